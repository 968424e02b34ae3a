/* The guest side of weir ABI v1 (docs/abi.md) for C: the full-value path
 * (weir_process, §4) and field projection (weir_fields and
 * weir_process_fields, §4b). */
#include "weir.h"
#include "weir_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT(name) __attribute__((export_name(name)))

__attribute__((import_module("weir"), import_name("log")))
extern void weir_host_log(int32_t level, const char *ptr, int32_t len);

void weir_log(int level, const char *msg) { weir_host_log(level, msg, (int32_t)strlen(msg)); }

/* ---- buffers ---- */

/* A growable byte buffer: it only grows, so a steady stream allocates nothing. */
typedef struct {
	uint8_t *p;
	uint32_t len, cap;
} buf;

static int reserve(buf *b, uint32_t n) {
	if (b->len > b->cap) abort(); /* a broken invariant: never write past the block */
	if (n <= b->cap - b->len) return 1;
	if (n > UINT32_MAX / 2 - b->len) return 0;
	uint32_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + n) cap *= 2;
	uint8_t *p = realloc(b->p, cap);
	if (!p) return 0;
	b->p = p;
	b->cap = cap;
	return 1;
}

static void put(buf *b, const void *v, uint32_t n) {
	if (!reserve(b, n)) abort(); /* out of memory: a trap, the host replaces the instance */
	if (n) memcpy(b->p + b->len, v, n);
	b->len += n;
}

static void put_u32(buf *b, uint32_t v) { put(b, &v, 4); } /* wasm is little-endian */
static void put_u8(buf *b, uint8_t v) { put(b, &v, 1); }
static void put_bytes(buf *b, const void *v, uint32_t n) {
	put_u32(b, n);
	put(b, v, n);
}

/* Grows an array of n elements of size sz to at least want elements. */
static void *grow(void *p, uint32_t *n, uint32_t want, size_t sz) {
	if (want <= *n) return p;
	uint32_t cap = *n ? *n : 16;
	while (cap < want) cap *= 2;
	p = realloc(p, (size_t)cap * sz);
	if (!p) abort();
	*n = cap;
	return p;
}

/* ---- reading what the host wrote: every length checked ---- */

typedef struct {
	const uint8_t *p, *end;
} rd;

static uint32_t rd_left(const rd *r) { return (uint32_t)(r->end - r->p); }

static int rd_u32(rd *r, uint32_t *v) {
	if (rd_left(r) < 4) return 0;
	memcpy(v, r->p, 4);
	r->p += 4;
	return 1;
}

static int rd_bytes(rd *r, const uint8_t **v, uint32_t *n) {
	if (!rd_u32(r, n) || rd_left(r) < *n) return 0;
	*v = r->p;
	r->p += *n;
	return 1;
}

/* Checks a record's metadata, leaving *meta at its first entry. */
static int rd_meta(rd *r, const uint8_t **meta, uint32_t *count) {
	const uint8_t *v;
	uint32_t n;
	if (!rd_u32(r, count) || *count > rd_left(r) / 8) return 0;
	*meta = r->p;
	for (uint32_t i = 0; i < *count; i++)
		if (!rd_bytes(r, &v, &n) || !rd_bytes(r, &v, &n)) return 0;
	return 1;
}

/* Reads a u32 the SDK has already bounds-checked. */
static const uint8_t *read_u32(const uint8_t *p, uint32_t *v) {
	memcpy(v, p, 4);
	return p + 4;
}

/* ---- the record ---- */

/* A field as the host sent it, and its replacement (kind 0: none). */
typedef struct {
	const uint8_t *v;
	uint32_t len, path;
	uint8_t type;
} field;

typedef struct {
	uint32_t off, len;
	uint8_t kind; /* 0 none, 1 text (wire type 1), 2 raw JSON (wire type 0) */
} repl;

/* Per-record decision state; strings live in the scratch buffers. */
struct weir_record {
	const uint8_t *value;
	uint32_t value_len;
	const uint8_t *meta; /* encoded metadata of the input, bounds-checked */
	uint32_t meta_count;
	int dropped, changed, failed, projected;
	int dirty; /* any of the above but projected, or an op, port or emit: the slow verdict */
	buf ops, ports, emits, error, repl_bytes;
	uint32_t op_count, port_count, emit_count;
	uint32_t out_at, new_len; /* where its entries start in the output; the rewritten value's length */
	uint32_t field_count, repl_count;
	uint32_t index; /* in the batch */
};

static buf input, output, decl;
static weir_record rec;
static field *fields;
static repl *repls;
static uint32_t fields_cap, repls_cap;
static char errmsg[320];

/* A rewritten value sits in the output right after the room for its EMIT
 * header (index, kind, flags, length), which the verdict fills in: the
 * value is copied once, not into a scratch buffer and again into the output. */
#define HEADER 10

const uint8_t *weir_value(const weir_record *r, uint32_t *len) {
	if (r->changed) {
		*len = r->new_len;
		return output.p + r->out_at + HEADER;
	}
	*len = r->value_len;
	return r->value;
}

const uint8_t *weir_meta(const weir_record *r, const char *key, uint32_t *len) {
	size_t klen = strlen(key);
	const uint8_t *p = r->meta;
	for (uint32_t i = 0; i < r->meta_count; i++) {
		uint32_t kl, vl;
		p = read_u32(p, &kl);
		const uint8_t *k = p;
		p = read_u32(p + kl, &vl);
		if (kl == klen && memcmp(k, key, kl) == 0) {
			*len = vl;
			return p;
		}
		p += vl;
	}
	return NULL;
}

void weir_set_value(weir_record *r, const uint8_t *v, uint32_t len) {
	if (r->projected) {
		weir_fail(r, "weir_set_value in weir_on_fields: replace fields with weir_field_set_string or weir_field_set_json");
		return;
	}
	/* v may be the output's own bytes (from weir_value): an offset survives growth */
	uintptr_t at = (uintptr_t)v, base = (uintptr_t)output.p;
	int inside = at >= base && at < base + output.cap;
	output.len = r->out_at;
	if (len > UINT32_MAX - HEADER || !reserve(&output, HEADER + len)) abort();
	output.len += HEADER;
	memmove(output.p + output.len, inside ? output.p + (at - base) : v, len);
	output.len += len;
	r->new_len = len;
	r->changed = r->dirty = 1;
}

void weir_set_meta(weir_record *r, const char *key, const uint8_t *v, uint32_t len) {
	put_u8(&r->ops, 1);
	put_bytes(&r->ops, key, (uint32_t)strlen(key));
	put_bytes(&r->ops, v, len);
	r->op_count++;
	r->dirty = 1;
}

void weir_delete_meta(weir_record *r, const char *key) {
	put_u8(&r->ops, 2);
	put_bytes(&r->ops, key, (uint32_t)strlen(key));
	r->op_count++;
	r->dirty = 1;
}

void weir_drop(weir_record *r) { r->dropped = r->dirty = 1; }

void weir_route(weir_record *r, const char *port) {
	put_bytes(&r->ports, port, (uint32_t)strlen(port));
	r->port_count++;
	r->dirty = 1;
}

void weir_emit(weir_record *r, const uint8_t *v, uint32_t len, const char *port) {
	if (r->projected) {
		weir_fail(r, "weir_emit in weir_on_fields: fan out with weir_field_emit");
		return;
	}
	put_bytes(&r->emits, v, len);
	put_bytes(&r->emits, port ? port : "", port ? (uint32_t)strlen(port) : 0);
	r->emit_count++;
	r->dirty = 1;
}

void weir_fail(weir_record *r, const char *msg) {
	r->error.len = 0;
	put(&r->error, msg, (uint32_t)strlen(msg));
	r->failed = r->dirty = 1;
}

/* ---- projected fields ---- */

uint32_t weir_field_count(const weir_record *r) { return r->projected ? r->field_count : 0; }

uint32_t weir_field_path(const weir_record *r, uint32_t i) {
	return i < weir_field_count(r) ? fields[i].path : UINT32_MAX;
}

int weir_field_type(const weir_record *r, uint32_t i) { return i < weir_field_count(r) ? fields[i].type : 0; }

const uint8_t *weir_field_value(const weir_record *r, uint32_t i, uint32_t *len) {
	if (i >= weir_field_count(r)) {
		*len = 0;
		return NULL;
	}
	*len = fields[i].len;
	return fields[i].v;
}

/* Room for field i's replacement of len bytes in the arena, or NULL (the
 * record failed) when i is out of range. */
static uint8_t *set_field(weir_record *r, uint32_t i, uint32_t len, uint8_t kind) {
	if (i >= weir_field_count(r)) {
		snprintf(errmsg, sizeof errmsg, "weir_field_set: field %u of a record with %u fields", i, weir_field_count(r));
		weir_fail(r, errmsg);
		return NULL;
	}
	if (!reserve(&r->repl_bytes, len ? len : 1)) abort(); /* never NULL, even for no bytes */
	if (!repls[i].kind) r->repl_count++;
	repls[i] = (repl){r->repl_bytes.len, len, kind};
	r->repl_bytes.len += len;
	return r->repl_bytes.p + repls[i].off;
}

static void set_field_bytes(weir_record *r, uint32_t i, const uint8_t *v, uint32_t len, uint8_t kind) {
	uint8_t *o = set_field(r, i, len, kind);
	if (o && len) memcpy(o, v, len);
}

uint8_t *weir_field_string_room(weir_record *r, uint32_t i, uint32_t len) { return set_field(r, i, len, 1); }
void weir_field_set_string(weir_record *r, uint32_t i, const uint8_t *v, uint32_t len) {
	set_field_bytes(r, i, v, len, 1);
}
int weir_field_set_json(weir_record *r, uint32_t i, const uint8_t *v, uint32_t len) {
	weir_json j;
	if (!wj_validate(&j, v, len)) {
		snprintf(errmsg, sizeof errmsg, "weir_field_set_json: field %u: %s", i, j.msg);
		weir_fail(r, errmsg);
		return 0;
	}
	set_field_bytes(r, i, v, len, 2);
	return !r->failed;
}

/* Appends the replacements so far: n:u32 (field:u32 type:u8 value:bytes)*n.
 * The room is reserved once: the arena's length bounds their bytes. */
static void put_fields(buf *b, const weir_record *r) {
	uint64_t room = 4 + (uint64_t)r->repl_count * 9 + r->repl_bytes.len;
	if (room > UINT32_MAX / 2 || !reserve(b, (uint32_t)room)) abort();
	uint8_t *o = b->p + b->len;
	memcpy(o, &r->repl_count, 4);
	o += 4;
	for (uint32_t i = 0; i < r->field_count; i++) {
		const repl *x = &repls[i];
		if (!x->kind) continue;
		memcpy(o, &i, 4);
		o[4] = x->kind == 1 ? 1 : 0;
		memcpy(o + 5, &x->len, 4);
		memcpy(o + 9, r->repl_bytes.p + x->off, x->len);
		o += 9 + x->len;
	}
	b->len = (uint32_t)(o - b->p);
}

void weir_field_emit(weir_record *r, const char *port) {
	if (!r->projected) {
		weir_fail(r, "weir_field_emit outside weir_on_fields: fan out with weir_emit");
		return;
	}
	uint32_t at = r->emits.len;
	put_u32(&r->emits, 0); /* blob length, patched below */
	if (r->repl_count) put_fields(&r->emits, r);
	uint32_t n = r->emits.len - at - 4;
	memcpy(r->emits.p + at, &n, 4);
	put_bytes(&r->emits, port ? port : "", port ? (uint32_t)strlen(port) : 0);
	r->emit_count++;
	r->dirty = 1;
}

static uint32_t decl_paths, decl_paths_len; /* the last weir_project's: count, bytes */

const char *weir_project(const char *const *paths, uint32_t n) {
	decl.len = decl_paths = decl_paths_len = 0;
	if (n > WEIR_MAX_PATHS) {
		snprintf(errmsg, sizeof errmsg, "weir_project: %u paths, at most %d", n, WEIR_MAX_PATHS);
		return errmsg;
	}
	if (n == 0) return NULL;
	put_u32(&decl, n);
	for (uint32_t i = 0; i < n; i++) {
		size_t len = paths[i] ? strlen(paths[i]) : 0;
		if (len == 0 || len > WEIR_MAX_PATH_BYTES) {
			decl.len = 0;
			snprintf(errmsg, sizeof errmsg, "weir_project: path %u is %s", i,
				 len ? "longer than 1024 bytes" : "empty");
			return errmsg;
		}
		put_bytes(&decl, paths[i], (uint32_t)len);
	}
	decl_paths = n;
	decl_paths_len = decl.len;
	return NULL;
}

const char *weir_project_insertable(const uint32_t *indices, uint32_t n) {
	if (decl_paths == 0) return "weir_project_insertable: call weir_project first";
	decl.len = decl_paths_len;
	put_u32(&decl, n);
	for (uint32_t k = 0; k < n; k++) {
		if (indices[k] >= decl_paths || (k > 0 && indices[k] <= indices[k - 1])) {
			decl.len = decl_paths_len;
			snprintf(errmsg, sizeof errmsg, "weir_project_insertable: index %u: want increasing indices below %u", indices[k], decl_paths);
			return errmsg;
		}
		put_u32(&decl, indices[k]);
	}
	return NULL;
}

/* ---- default handlers: fail closed ---- */

__attribute__((weak)) const char *weir_on_init(const uint8_t *config, uint32_t len) {
	(void)config;
	(void)len;
	return NULL;
}

__attribute__((weak)) void weir_on_record(weir_record *r) {
	weir_fail(r, decl.len ? "this transform reads projected fields (weir_project), but the host called weir_process: "
				"it needs a host with field projection (docs/abi.md §4b)"
			      : "this transform has no record handler (weir_on_record)");
}

__attribute__((weak)) void weir_on_fields(weir_record *r) {
	weir_fail(r, "this transform declared fields (weir_project) but has no weir_on_fields handler");
}

/* ---- verdicts ---- */

/* The start of one EMIT entry: flags, value, port, metadata ops. */
static void entry_head(uint32_t idx, const weir_record *r, uint8_t flags, const uint8_t *v, uint32_t vlen,
		       const uint8_t *port, uint32_t plen) {
	put_u32(&output, idx);
	put_u8(&output, 1);
	put_u8(&output, flags);
	if (flags & 1) put_bytes(&output, v, vlen);
	if (flags & 2) put_bytes(&output, port, plen);
	if (flags & 4) {
		put_u32(&output, r->op_count);
		put(&output, r->ops.p, r->ops.len);
	}
}

static uint8_t flags_of(const weir_record *r, int has_value, const uint8_t *port, uint32_t plen, int has_fields) {
	return (uint8_t)((has_value ? 1 : 0) | (port && plen ? 2 : 0) | (r->op_count ? 4 : 0) | (has_fields ? 8 : 0));
}

/* One EMIT entry: flags, value, port, metadata ops, a replacement blob. */
static void emit_entry(uint32_t idx, const weir_record *r, const uint8_t *v, uint32_t vlen, int has_value,
		       const uint8_t *port, uint32_t plen, const uint8_t *repl, uint32_t rlen) {
	entry_head(idx, r, flags_of(r, has_value, port, plen, rlen != 0), v, vlen, port, plen);
	put(&output, repl, rlen);
}

/* One EMIT entry keeping the value, with the record's replacements so far
 * written straight into the output. */
static void emit_fields(uint32_t idx, const weir_record *r, const uint8_t *port, uint32_t plen) {
	entry_head(idx, r, flags_of(r, 0, port, plen, r->repl_count != 0), NULL, 0, port, plen);
	if (r->repl_count) put_fields(&output, r);
}

/* The EMITs of a fan-out (weir_emit or weir_field_emit): each a value or a
 * replacement blob, then a port. */
static uint32_t fan_out(uint32_t idx, const weir_record *r) {
	rd e = {r->emits.p, r->emits.p + r->emits.len};
	for (uint32_t i = 0; i < r->emit_count; i++) {
		const uint8_t *v, *port;
		uint32_t vl, pl;
		rd_bytes(&e, &v, &vl);
		rd_bytes(&e, &port, &pl);
		if (r->projected)
			emit_entry(idx, r, NULL, 0, 0, port, pl, v, vl);
		else
			emit_entry(idx, r, v, vl, 1, port, pl, NULL, 0);
	}
	return r->emit_count;
}

/* Fills in the header before a rewritten value and appends its port and
 * metadata ops. */
static void finish_rewritten(uint32_t idx, const weir_record *r, const uint8_t *port, uint32_t plen) {
	uint8_t *h = output.p + r->out_at;
	memcpy(h, &idx, 4);
	h[4] = 1;
	h[5] = 1 | (plen ? 2 : 0) | (r->op_count ? 4 : 0);
	memcpy(h + 6, &r->new_len, 4);
	if (plen) put_bytes(&output, port, plen);
	if (r->op_count) {
		put_u32(&output, r->op_count);
		put(&output, r->ops.p, r->ops.len);
	}
}

/* The EMITs of a rewritten value: the first around the value in place, one
 * more per further port copying it. */
static uint32_t rewritten(uint32_t idx, const weir_record *r) {
	uint32_t n = r->port_count ? r->port_count : 1;
	rd p = {r->ports.p, r->ports.p + r->ports.len};
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *port = NULL;
		uint32_t pl = 0;
		if (r->port_count) rd_bytes(&p, &port, &pl);
		if (i == 0) {
			finish_rewritten(idx, r, port, pl);
			continue;
		}
		/* room first, so the value copied from the output cannot move mid-copy */
		if (!reserve(&output, HEADER + r->new_len + 4 + pl + 4 + r->ops.len)) abort();
		emit_entry(idx, r, output.p + r->out_at + HEADER, r->new_len, 1, port, pl, NULL, 0);
	}
	return n;
}

/* Writes the record's entries and returns how many. */
static uint32_t verdict(uint32_t idx, weir_record *r) {
	if (!r->dirty) { /* kept, with its replacements if any */
		emit_fields(idx, r, NULL, 0);
		return 1;
	}
	if (r->changed && (r->failed || r->dropped || r->emit_count)) output.len = r->out_at; /* the rewrite is not kept */
	if (r->failed) {
		put_u32(&output, idx);
		put_u8(&output, 3);
		put_bytes(&output, r->error.p, r->error.len);
		return 1;
	}
	if (r->dropped) {
		put_u32(&output, idx);
		put_u8(&output, 2);
		return 1;
	}
	if (r->emit_count) return fan_out(idx, r);
	if (r->changed) return rewritten(idx, r);
	if (!r->port_count) {
		emit_fields(idx, r, NULL, 0);
		return 1;
	}
	rd p = {r->ports.p, r->ports.p + r->ports.len};
	for (uint32_t i = 0; i < r->port_count; i++) {
		const uint8_t *port;
		uint32_t pl;
		rd_bytes(&p, &port, &pl);
		emit_fields(idx, r, port, pl);
	}
	return r->port_count;
}

/* ---- exports ---- */

static uint64_t pack(const buf *b) { return b->len ? ((uint64_t)(uintptr_t)b->p << 32) | b->len : 0; }

EXPORT("weir_buffer") uint32_t weir_buffer(uint32_t size) {
	if (size == 0) size = 1;
	if (size > input.cap) {
		input.len = 0;
		if (!reserve(&input, size)) return 0;
	}
	return (uint32_t)(uintptr_t)input.p;
}

/* The host's bytes: never more than the buffer it was given. */
static rd input_of(uint32_t len) {
	if (len > input.cap) len = 0;
	return (rd){input.p, input.p + len};
}

EXPORT("weir_init") uint64_t weir_init(uint32_t len) {
	rd in = input_of(len);
	const char *err = weir_on_init(in.p, rd_left(&in));
	if (!err) return 0;
	output.len = 0;
	put(&output, err, (uint32_t)strlen(err));
	return pack(&output);
}

EXPORT("weir_fields") uint64_t weir_fields(void) { return pack(&decl); }

/* Readies rec for the next record; what only the slow verdict reads is
 * cleared only when a handler set some of it. */
static void reset(weir_record *r, const uint8_t *value, uint32_t len, const uint8_t *meta, uint32_t mc) {
	r->value = value;
	r->value_len = len;
	r->meta = meta;
	r->meta_count = mc;
	r->projected = 0;
	r->out_at = output.len;
	r->repl_bytes.len = 0;
	r->field_count = r->repl_count = 0;
	if (!r->dirty) return;
	r->dropped = r->changed = r->failed = r->dirty = 0;
	r->new_len = 0;
	r->ops.len = r->ports.len = r->emits.len = r->error.len = 0;
	r->op_count = r->port_count = r->emit_count = 0;
}

/* Starts the output; the entry count is patched by finish. */
static void start(void) {
	output.len = 0;
	put_u32(&output, 0);
}

static uint64_t finish(uint32_t entries) {
	memcpy(output.p, &entries, 4);
	return pack(&output);
}

static weir_batch_fn batch_fn;
static const uint8_t **batch_values;
static uint32_t *batch_lens, batch_values_cap, batch_lens_cap;

void weir_on_batch(weir_batch_fn fn) { batch_fn = fn; }
uint32_t weir_record_index(const weir_record *r) { return r->index; }

/* Hands the batch's values to the batch function, if one is registered. */
static void before_batch(rd in, uint32_t count) {
	uint32_t n = 0, mc;
	const uint8_t *meta;
	if (!batch_fn || count > rd_left(&in) / 8) return;
	batch_values = grow(batch_values, &batch_values_cap, count, sizeof *batch_values);
	batch_lens = grow(batch_lens, &batch_lens_cap, count, sizeof *batch_lens);
	while (n < count && rd_bytes(&in, &batch_values[n], &batch_lens[n]) && rd_meta(&in, &meta, &mc)) n++;
	batch_fn(batch_values, batch_lens, n);
}

EXPORT("weir_process") uint64_t weir_process(uint32_t len) {
	rd in = input_of(len);
	uint32_t count, entries = 0;
	start();
	if (!rd_u32(&in, &count)) return finish(0);
	before_batch(in, count);
	for (uint32_t i = 0; i < count; i++) {
		const uint8_t *v, *meta;
		uint32_t vl, mc;
		if (!rd_bytes(&in, &v, &vl) || !rd_meta(&in, &meta, &mc)) break; /* truncated: the host flags the rest */
		reset(&rec, v, vl, meta, mc);
		rec.index = i;
		weir_on_record(&rec);
		entries += verdict(i, &rec);
	}
	return finish(entries);
}

/* Reads one projected record's fields into fields[0..count): 9 bytes of
 * head checked at once, then the value. */
static int rd_fields(rd *in, uint32_t *count) {
	if (!rd_u32(in, count) || *count > rd_left(in) / 9) return 0;
	fields = grow(fields, &fields_cap, *count, sizeof *fields);
	repls = grow(repls, &repls_cap, *count, sizeof *repls);
	const uint8_t *p = in->p, *end = in->end;
	for (uint32_t j = 0; j < *count; j++) {
		field *f = &fields[j];
		if (end - p < 9) return 0;
		memcpy(&f->path, p, 4);
		f->type = p[4];
		memcpy(&f->len, p + 5, 4);
		p += 9;
		if ((uint32_t)(end - p) < f->len) return 0;
		f->v = p;
		p += f->len;
		repls[j].kind = 0;
	}
	in->p = p;
	return 1;
}

EXPORT("weir_process_fields") uint64_t weir_process_fields(uint32_t len) {
	rd in = input_of(len);
	uint32_t count, entries = 0;
	start();
	if (!rd_u32(&in, &count)) return finish(0);
	for (uint32_t i = 0; i < count; i++) {
		const uint8_t *meta;
		uint32_t fc, mc;
		if (!rd_fields(&in, &fc) || !rd_meta(&in, &meta, &mc)) break; /* truncated: the host flags the rest */
		reset(&rec, NULL, 0, meta, mc);
		rec.index = i;
		rec.projected = 1;
		rec.field_count = fc;
		weir_on_fields(&rec);
		entries += verdict(i, &rec);
	}
	return finish(entries);
}
