/*
 * weir guest SDK for C (ABI v1, docs/abi.md).
 *
 * Implement weir_on_record (and optionally weir_on_init), compile with
 *   clang-19 --target=wasm32-wasi -O2 -mbulk-memory -flto -mexec-model=reactor weir.c yours.c -o t.wasm
 * (weir_json.h, a bounded JSON reader for configs, is header-only)
 * and pack a manifest with `weir transform pack`. A record is kept unchanged
 * unless the handler says otherwise; the SDK encodes the verdicts.
 *
 * Field projection (docs/abi.md §4b): a transform that touches a few JSON
 * fields calls weir_project from weir_on_init and implements weir_on_fields
 * instead of weir_on_record. The host then validates each record, finds the
 * values at the declared paths and hands the handler only those; the
 * handler replaces some (weir_field_set_string/_json) and the host splices
 * them back. A record that is not JSON fails at the host (class bad_input)
 * and never reaches the handler. A transform that never calls weir_project
 * is a full-value transform: the host calls weir_on_record.
 *
 * Both handlers are weak symbols with a default that fails every record,
 * so a transform defining neither, or a projecting one run by a host that
 * does not project, fails closed rather than passing records on untouched.
 *
 * The SDK allocates nothing per record once its buffers have grown to the
 * largest batch seen: every string a setter receives is copied into a
 * per-record arena reset for the next record. Every length the host writes
 * is checked: a truncated batch ends the batch early (the host then flags
 * the records without a verdict), never a read out of bounds.
 */
#ifndef WEIR_H
#define WEIR_H

#include <stddef.h>
#include <stdint.h>

typedef struct weir_record weir_record;

/* The record's current value (the input's, or what weir_set_value set);
 * valid until the next weir_set_value or the handler's return. */
const uint8_t *weir_value(const weir_record *r, uint32_t *len);
/* Metadata lookup on the input record; returns NULL when absent. */
const uint8_t *weir_meta(const weir_record *r, const char *key, uint32_t *len);

/* Replace the value. The bytes are copied. Full-value records only. */
void weir_set_value(weir_record *r, const uint8_t *v, uint32_t len);
/* Set a metadata key on every output of the record (copied). */
void weir_set_meta(weir_record *r, const char *key, const uint8_t *v, uint32_t len);
/* Delete a metadata key from every output of the record. */
void weir_delete_meta(weir_record *r, const char *key);
/* Filter the record out. */
void weir_drop(weir_record *r);
/* Send the record to a named port declared in the manifest (call again for more). */
void weir_route(weir_record *r, const char *port);
/* Fan-out: add an output record; once any is emitted the input is not kept.
 * Full-value records only (see weir_field_emit). */
void weir_emit(weir_record *r, const uint8_t *v, uint32_t len, const char *port);
/* Fail the record with a message (copied); it goes to the dead-letter path. */
void weir_fail(weir_record *r, const char *msg);

/* Log through the host (levels 0 debug, 1 info, 2 warn, 3 error). */
void weir_log(int level, const char *msg);

/* Implemented by the transform (a full-value transform). */
void weir_on_record(weir_record *r);
/* Optional: receives the config blob once; return NULL, or an error message. */
const char *weir_on_init(const uint8_t *config, uint32_t len);

/* Registers (from weir_on_init) a function called once per batch before
 * any weir_on_record, with every record's value (views into the batch,
 * valid until the batch ends): where a transform looks all its keys up
 * with one weir_kv_get_many (weir_caps.h). NULL removes it. */
typedef void (*weir_batch_fn)(const uint8_t *const *values, const uint32_t *lens, uint32_t n);
void weir_on_batch(weir_batch_fn fn);
/* The record's position in its batch, as weir_on_batch's arrays index it. */
uint32_t weir_record_index(const weir_record *r);

/* ---- Field projection (docs/abi.md §4b) ---- */

/* The most paths and the longest path weir_project accepts (the host's limits). */
#define WEIR_MAX_PATHS 64
#define WEIR_MAX_PATH_BYTES 1024

/* A field's type, as the host found it. A string arrives decoded (escapes
 * resolved, valid UTF-8); the others as their raw JSON text. */
enum {
	WEIR_STRING = 1,
	WEIR_NUMBER = 2,
	WEIR_BOOL = 3,
	WEIR_NULL = 4,
	WEIR_OBJECT = 5,
	WEIR_ARRAY = 6,
	WEIR_ABSENT = 7, /* an insertion path's missing key: no value; setting it adds the key */
};

/* Declares the paths (jsonpath syntax: dot-separated keys, `*` any member
 * or element, a decimal segment also an array index) this instance reads;
 * call it from weir_on_init. The paths are copied. Returns NULL, or an error
 * message for weir_on_init to return (more than WEIR_MAX_PATHS, an empty or
 * over-long path). Calling it again replaces the set; n = 0 turns
 * projection off. The host checks each path's syntax and refuses the load
 * with the path's index. */
const char *weir_project(const char *const *paths, uint32_t n);

/* Marks paths of the last weir_project call (by index, increasing) as
 * insertion paths: where such a path's last key is missing from an object
 * its parent path finds (the record itself for a one-key path), the handler
 * gets a field of type WEIR_ABSENT (empty value), and setting it adds
 * "key":value at the end of that object; where the key exists the field is
 * ordinary and setting it replaces it (docs/abi.md §4b). Call it from
 * weir_on_init after weir_project; returns NULL or an error message. */
const char *weir_project_insertable(const uint32_t *indices, uint32_t n);

/* Implemented by a projecting transform: called once per record with its
 * fields (document order, not overlapping; a value inside another matched
 * value is not listed). weir_meta, weir_set_meta, weir_delete_meta,
 * weir_drop, weir_route and weir_fail work as in weir_on_record. */
void weir_on_fields(weir_record *r);

/* How many fields the record has. */
uint32_t weir_field_count(const weir_record *r);
/* The index of the declared path field i is at (the lowest, if several). */
uint32_t weir_field_path(const weir_record *r, uint32_t i);
/* Field i's type (WEIR_STRING…), or 0 when i is out of range. */
int weir_field_type(const weir_record *r, uint32_t i);
/* Field i's value (decoded string, or raw JSON text); NULL when out of range.
 * Valid until the handler returns. */
const uint8_t *weir_field_value(const weir_record *r, uint32_t i, uint32_t *len);
/* Replace field i with the UTF-8 text v (the host writes it as a JSON
 * string). The bytes are copied; a later call for the same field wins. An
 * out-of-range i fails the record. */
void weir_field_set_string(weir_record *r, uint32_t i, const uint8_t *v, uint32_t len);
/* weir_field_set_string without a copy: returns room for len bytes of
 * UTF-8 text for the caller to fill, valid until its next call into the
 * SDK; NULL when i is out of range (the record then fails). */
uint8_t *weir_field_string_room(weir_record *r, uint32_t i, uint32_t len);
/* Replace field i with raw JSON v, which must be exactly one JSON value (as
 * jsonpath.Validate checks: strict RFC 8259). Returns 1, or 0 when v is not
 * JSON or i is out of range: the record then fails, saying why. */
int weir_field_set_json(weir_record *r, uint32_t i, const uint8_t *v, uint32_t len);
/* Fan-out: add an output carrying the replacements set so far (and the
 * record's metadata changes), to port (NULL: the default port); once any is
 * emitted the input is not kept. Later setters change later emits only. */
void weir_field_emit(weir_record *r, const char *port);

#endif
