/* The guest side of weir ABI v1 (docs/abi.md) for C. */
#include "weir.h"

#include <stdlib.h>
#include <string.h>

#define EXPORT(name) __attribute__((export_name(name)))

__attribute__((import_module("weir"), import_name("log")))
extern void weir_host_log(int32_t level, const char *ptr, int32_t len);

void weir_log(int level, const char *msg) { weir_host_log(level, msg, (int32_t)strlen(msg)); }

__attribute__((weak)) const char *weir_on_init(const uint8_t *config, uint32_t len) {
	(void)config;
	(void)len;
	return NULL;
}

/* A growable byte buffer. */
typedef struct {
	uint8_t *p;
	uint32_t len, cap;
} buf;

static int reserve(buf *b, uint32_t n) {
	if (b->len + n <= b->cap) return 1;
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
	memcpy(b->p + b->len, v, n);
	b->len += n;
}

static void put_u32(buf *b, uint32_t v) { put(b, &v, 4); } /* wasm is little-endian */
static void put_u8(buf *b, uint8_t v) { put(b, &v, 1); }
static void put_bytes(buf *b, const void *v, uint32_t n) {
	put_u32(b, n);
	put(b, v, n);
}

/* Per-record decision state; strings live in the scratch buffer. */
struct weir_record {
	const uint8_t *value;
	uint32_t value_len;
	const uint8_t *meta; /* encoded metadata of the input */
	uint32_t meta_count;
	int dropped, changed, failed;
	buf new_value, ops, ports, emits, error;
	uint32_t op_count, port_count, emit_count;
};

static buf input, output;
static weir_record rec;

static const uint8_t *read_u32(const uint8_t *p, uint32_t *v) {
	memcpy(v, p, 4);
	return p + 4;
}

const uint8_t *weir_value(const weir_record *r, uint32_t *len) {
	if (r->changed) {
		*len = r->new_value.len;
		return r->new_value.p;
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
	r->new_value.len = 0;
	put(&r->new_value, v, len);
	r->changed = 1;
}

void weir_set_meta(weir_record *r, const char *key, const uint8_t *v, uint32_t len) {
	put_u8(&r->ops, 1);
	put_bytes(&r->ops, key, (uint32_t)strlen(key));
	put_bytes(&r->ops, v, len);
	r->op_count++;
}

void weir_delete_meta(weir_record *r, const char *key) {
	put_u8(&r->ops, 2);
	put_bytes(&r->ops, key, (uint32_t)strlen(key));
	r->op_count++;
}

void weir_drop(weir_record *r) { r->dropped = 1; }

void weir_route(weir_record *r, const char *port) {
	put_bytes(&r->ports, port, (uint32_t)strlen(port));
	r->port_count++;
}

void weir_emit(weir_record *r, const uint8_t *v, uint32_t len, const char *port) {
	put_bytes(&r->emits, v, len);
	put_bytes(&r->emits, port ? port : "", port ? (uint32_t)strlen(port) : 0);
	r->emit_count++;
}

void weir_fail(weir_record *r, const char *msg) {
	r->error.len = 0;
	put(&r->error, msg, (uint32_t)strlen(msg));
	r->failed = 1;
}

/* One EMIT entry: flags, value, port, metadata ops. */
static void emit_entry(uint32_t idx, const weir_record *r, const uint8_t *v, uint32_t vlen, int has_value,
		       const uint8_t *port, uint32_t plen) {
	uint8_t flags = (has_value ? 1 : 0) | (port && plen ? 2 : 0) | (r->op_count ? 4 : 0);
	put_u32(&output, idx);
	put_u8(&output, 1);
	put_u8(&output, flags);
	if (has_value) put_bytes(&output, v, vlen);
	if (flags & 2) put_bytes(&output, port, plen);
	if (r->op_count) {
		put_u32(&output, r->op_count);
		put(&output, r->ops.p, r->ops.len);
	}
}

/* Writes the record's entries and returns how many. */
static uint32_t verdict(uint32_t idx, weir_record *r) {
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
	if (r->emit_count) {
		const uint8_t *p = r->emits.p;
		for (uint32_t i = 0; i < r->emit_count; i++) {
			uint32_t vl, pl;
			p = read_u32(p, &vl);
			const uint8_t *v = p;
			p = read_u32(p + vl, &pl);
			emit_entry(idx, r, v, vl, 1, p, pl);
			p += pl;
		}
		return r->emit_count;
	}
	const uint8_t *v = r->changed ? r->new_value.p : NULL;
	if (!r->port_count) {
		emit_entry(idx, r, v, r->new_value.len, r->changed, NULL, 0);
		return 1;
	}
	const uint8_t *p = r->ports.p;
	for (uint32_t i = 0; i < r->port_count; i++) {
		uint32_t pl;
		p = read_u32(p, &pl);
		emit_entry(idx, r, v, r->new_value.len, r->changed, p, pl);
		p += pl;
	}
	return r->port_count;
}

static uint64_t pack(const buf *b) { return b->len ? ((uint64_t)(uintptr_t)b->p << 32) | b->len : 0; }

EXPORT("weir_buffer") uint32_t weir_buffer(uint32_t size) {
	if (size == 0) size = 1;
	if (size > input.cap) {
		input.len = 0;
		if (!reserve(&input, size)) return 0;
	}
	return (uint32_t)(uintptr_t)input.p;
}

EXPORT("weir_init") uint64_t weir_init(uint32_t len) {
	const char *err = weir_on_init(input.p, len);
	if (!err) return 0;
	output.len = 0;
	put(&output, err, (uint32_t)strlen(err));
	return pack(&output);
}

static void reset(weir_record *r, const uint8_t *value, uint32_t len, const uint8_t *meta, uint32_t mc) {
	r->value = value;
	r->value_len = len;
	r->meta = meta;
	r->meta_count = mc;
	r->dropped = r->changed = r->failed = 0;
	r->new_value.len = r->ops.len = r->ports.len = r->emits.len = r->error.len = 0;
	r->op_count = r->port_count = r->emit_count = 0;
}

EXPORT("weir_process") uint64_t weir_process(uint32_t len) {
	const uint8_t *p = input.p, *end = input.p + len;
	uint32_t count, entries = 0;
	p = read_u32(p, &count);
	output.len = 0;
	put_u32(&output, 0); /* entry count, patched below */
	for (uint32_t i = 0; i < count && p < end; i++) {
		uint32_t vl, mc;
		p = read_u32(p, &vl);
		const uint8_t *v = p;
		p = read_u32(p + vl, &mc);
		const uint8_t *meta = p;
		for (uint32_t j = 0; j < mc; j++) {
			uint32_t n;
			p = read_u32(p, &n);
			p = read_u32(p + n, &n);
			p += n;
		}
		reset(&rec, v, vl, meta, mc);
		weir_on_record(&rec);
		entries += verdict(i, &rec);
	}
	memcpy(output.p, &entries, 4);
	return pack(&output);
}
