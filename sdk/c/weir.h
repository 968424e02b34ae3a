/*
 * weir guest SDK for C (ABI v1, docs/abi.md).
 *
 * Implement weir_on_record (and optionally weir_on_init), compile with
 *   clang-19 --target=wasm32-wasi -O2 -mexec-model=reactor weir.c yours.c -o t.wasm
 * and pack a manifest with `weir transform pack`. A record is kept unchanged
 * unless the handler says otherwise; the SDK encodes the verdicts.
 */
#ifndef WEIR_H
#define WEIR_H

#include <stddef.h>
#include <stdint.h>

typedef struct weir_record weir_record;

/* The record's current value (the input's, or what weir_set_value set). */
const uint8_t *weir_value(const weir_record *r, uint32_t *len);
/* Metadata lookup on the input record; returns NULL when absent. */
const uint8_t *weir_meta(const weir_record *r, const char *key, uint32_t *len);

/* Replace the value. The bytes are copied. */
void weir_set_value(weir_record *r, const uint8_t *v, uint32_t len);
/* Set a metadata key on every output of the record (copied). */
void weir_set_meta(weir_record *r, const char *key, const uint8_t *v, uint32_t len);
/* Delete a metadata key from every output of the record. */
void weir_delete_meta(weir_record *r, const char *key);
/* Filter the record out. */
void weir_drop(weir_record *r);
/* Send the record to a named port declared in the manifest (call again for more). */
void weir_route(weir_record *r, const char *port);
/* Fan-out: add an output record; once any is emitted the input is not kept. */
void weir_emit(weir_record *r, const uint8_t *v, uint32_t len, const char *port);
/* Fail the record with a message (copied); it goes to the dead-letter path. */
void weir_fail(weir_record *r, const char *msg);

/* Log through the host (levels 0 debug, 1 info, 2 warn, 3 error). */
void weir_log(int level, const char *msg);

/* Implemented by the transform. */
void weir_on_record(weir_record *r);
/* Optional: receives the config blob once; return NULL, or an error message. */
const char *weir_on_init(const uint8_t *config, uint32_t len);

#endif
