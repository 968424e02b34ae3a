/*
 * weir capabilities for C guests: kv lookups and writes, guest metrics
 * (docs/abi.md, "Capabilities"). Header-only: a transform that includes
 * it and calls a function imports that capability's host functions, and
 * must declare the capability in its manifest; one that does not imports
 * nothing more. Include it in one source file.
 *
 * Look every record's key up in one call per batch: register a batch
 * handler (weir_on_batch) from weir_on_init, call weir_kv_get_many there,
 * and use the results by index (weir_record_index) in weir_on_record.
 */
#ifndef WEIR_CAPS_H
#define WEIR_CAPS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "weir.h"

/* ---- kv (docs/abi.md, "Capability kv") ---- */

/* A key's result: distinct, a miss is never an error. */
enum {
	WEIR_KV_FOUND = 0,
	WEIR_KV_MISS = 1,
	WEIR_KV_STORE_ERROR = 2, /* only when the grant hands store errors to the guest */
	WEIR_KV_NO_ROOM = 3,     /* did not fit even when asked again (over the grant's max_response_bytes) */
	WEIR_KV_INVALID_KEY = 4, /* empty, or longer than the grant allows */
	WEIR_KV_TOO_LARGE = 5,   /* found, over the grant's max_value_bytes; len is its size */
};

typedef struct {
	uint32_t status;
	uint32_t len;         /* the value's length (also when TOO_LARGE or NO_ROOM) */
	const uint8_t *value; /* when FOUND: valid until the next weir_kv_get_many */
} weir_kv_result;

__attribute__((import_module("weir_kv"), import_name("get_many"))) int64_t weir_host_kv_get_many(
	const char *ns, uint32_t ns_len, const uint8_t *req, uint32_t req_len, uint8_t *out, uint32_t out_cap);
__attribute__((import_module("weir_kv"), import_name("set"))) int32_t weir_host_kv_set(
	const char *ns, uint32_t ns_len, const uint8_t *key, uint32_t key_len, const uint8_t *val, uint32_t val_len,
	int64_t ttl_ms);

/* The request and answer buffers, grown as batches need. */
static uint8_t *weir_kv_req_, *weir_kv_ans_;
static uint32_t weir_kv_req_cap_, weir_kv_ans_cap_;

static inline int weir_kv_grow_(uint8_t **p, uint32_t *cap, uint64_t want) {
	if (want <= *cap) return 1;
	if (want > UINT32_MAX / 2) return 0;
	uint8_t *q = realloc(*p, (size_t)want);
	if (!q) return 0;
	*p = q;
	*cap = (uint32_t)want;
	return 1;
}

/* Encodes the request: count, then each key's length and bytes. */
static inline uint32_t weir_kv_encode_(const uint8_t *const *keys, const uint32_t *lens, uint32_t n) {
	uint64_t size = 4;
	for (uint32_t i = 0; i < n; i++) size += 4 + (uint64_t)lens[i];
	if (!weir_kv_grow_(&weir_kv_req_, &weir_kv_req_cap_, size)) abort();
	uint8_t *p = weir_kv_req_;
	memcpy(p, &n, 4);
	p += 4;
	for (uint32_t i = 0; i < n; i++) {
		memcpy(p, &lens[i], 4);
		if (lens[i]) memcpy(p + 4, keys[i], lens[i]);
		p += 4 + lens[i];
	}
	return (uint32_t)size;
}

/* Reads the answer into results; returns the bytes the values answered
 * NO_ROOM need. */
static inline uint64_t weir_kv_decode_(uint32_t n, weir_kv_result *results) {
	const uint8_t *v = weir_kv_ans_ + (uint64_t)n * 8;
	uint64_t more = 0;
	for (uint32_t i = 0; i < n; i++) {
		memcpy(&results[i].status, weir_kv_ans_ + i * 8, 4);
		memcpy(&results[i].len, weir_kv_ans_ + i * 8 + 4, 4);
		results[i].value = 0;
		if (results[i].status == WEIR_KV_FOUND) {
			results[i].value = v;
			v += results[i].len;
		} else if (results[i].status == WEIR_KV_NO_ROOM) {
			more += results[i].len;
		}
	}
	return more;
}

/* Looks up n keys in namespace ns in one host call, filling results[0..n).
 * A value over the answer buffer is asked again, with room, once. A
 * malformed call or an undeclared namespace fails the batch. */
static inline void weir_kv_get_many(const char *ns, const uint8_t *const *keys, const uint32_t *lens, uint32_t n,
				    weir_kv_result *results) {
	if (n == 0) return;
	uint32_t req = weir_kv_encode_(keys, lens, n);
	uint64_t want = (uint64_t)n * 8 + 64 * 1024;
	for (int round = 0; round < 2; round++) {
		if (!weir_kv_grow_(&weir_kv_ans_, &weir_kv_ans_cap_, want)) abort();
		weir_host_kv_get_many(ns, (uint32_t)strlen(ns), weir_kv_req_, req, weir_kv_ans_, weir_kv_ans_cap_);
		uint64_t more = weir_kv_decode_(n, results);
		if (more == 0) return;
		want = (uint64_t)weir_kv_ans_cap_ + more;
	}
}

/* Writes val under key in ns with a time to live in milliseconds (0:
 * none; the grant may bound it). Returns WEIR_KV_FOUND (0) when written,
 * WEIR_KV_STORE_ERROR, WEIR_KV_INVALID_KEY or WEIR_KV_TOO_LARGE. The
 * manifest must declare "write": true. */
static inline int weir_kv_set(const char *ns, const uint8_t *key, uint32_t key_len, const uint8_t *val, uint32_t val_len,
			      int64_t ttl_ms) {
	return weir_host_kv_set(ns, (uint32_t)strlen(ns), key, key_len, val, val_len, ttl_ms);
}

/* ---- metrics (docs/abi.md, "Capability metrics") ---- */

__attribute__((import_module("weir_metrics"), import_name("counter_add"))) void weir_host_counter_add(
	const char *name, uint32_t len, int64_t v);
__attribute__((import_module("weir_metrics"), import_name("gauge_set"))) void weir_host_gauge_set(
	const char *name, uint32_t len, int64_t v);
__attribute__((import_module("weir_metrics"), import_name("histogram_observe"))) void weir_host_histogram_observe(
	const char *name, uint32_t len, int64_t v);

/* Update a metric the manifest declares (counters only go up). */
static inline void weir_counter_add(const char *name, int64_t v) { weir_host_counter_add(name, (uint32_t)strlen(name), v); }
static inline void weir_gauge_set(const char *name, int64_t v) { weir_host_gauge_set(name, (uint32_t)strlen(name), v); }
static inline void weir_histogram_observe(const char *name, int64_t v) {
	weir_host_histogram_observe(name, (uint32_t)strlen(name), v);
}

#endif
