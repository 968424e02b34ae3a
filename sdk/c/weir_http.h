/*
 * The http capability for C transforms (docs/abi.md, "Capability http").
 *
 * Header-only (every function static): include it where the transform
 * fetches. One call sends many requests; the host runs them under the
 * pipeline's grant and answers each with a code (WEIR_HTTP_OK with the
 * server's status, or why it was refused or failed). The answers point
 * into a buffer the header keeps, valid until the next call.
 *
 *   weir_http_request reqs[2] = {{.url = "https://risk.example/v1/c/42"}, {.url = ...}};
 *   weir_http_result res[2];
 *   int rc = weir_http_fetch_many(reqs, 2, res);
 *   if (rc < 0) ... the call failed as a whole (see WEIR_HTTP_E*) ...
 *   if (res[0].code == WEIR_HTTP_OK && res[0].status == 200) ... res[0].body, res[0].body_len ...
 */
#ifndef WEIR_HTTP_H
#define WEIR_HTTP_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define WEIR_HTTP_API static __attribute__((unused))

/* Result codes. */
#define WEIR_HTTP_OK 0        /* a response arrived: status, headers, body */
#define WEIR_HTTP_REFUSED 1   /* the grant does not allow it; err says which rule */
#define WEIR_HTTP_TIMEOUT 2   /* no answer before the grant's timeout or the batch deadline */
#define WEIR_HTTP_TOO_LARGE 3 /* over the grant's size caps */
#define WEIR_HTTP_TRANSPORT 4 /* connecting, TLS or the exchange failed */

/* Errors of the call as a whole (weir_http_fetch_many's return). A call
 * the host cannot accept (more than the grant's max_requests) fails the
 * batch as bad_output instead: it never returns. */
#define WEIR_HTTP_ENOMEM -10  /* this header could not allocate its buffers */
#define WEIR_HTTP_EANSWER -11 /* the host's answer did not decode */

typedef struct {
	const char *name, *value; /* NUL-terminated */
} weir_http_header;

typedef struct {
	const char *method; /* NULL or "": GET */
	const char *url;
	const weir_http_header *headers;
	uint32_t header_count;
	const uint8_t *body;
	uint32_t body_len;
} weir_http_request;

typedef struct {
	uint8_t code, cached;
	uint16_t status;
	const uint8_t *err, *body, *headers; /* headers: header_count pairs, see weir_http_header_at */
	uint32_t err_len, body_len, header_count, headers_len;
} weir_http_result;

__attribute__((import_module("weir_http"), import_name("fetch"))) int64_t weir_http_host_fetch(uint32_t ptr, uint32_t len);
__attribute__((import_module("weir_http"), import_name("take"))) int32_t weir_http_host_take(uint32_t ptr, uint32_t len);

static uint8_t *weir_http_buf, *weir_http_answer;
static uint32_t weir_http_buf_cap, weir_http_answer_cap;

static int weir_http_grow(uint8_t **b, uint32_t *cap, uint64_t want) {
	if (want <= *cap) return 1;
	if (want > 0xffffffffu) return 0;
	uint8_t *n = realloc(*b, (size_t)want);
	if (!n) return 0;
	*b = n;
	*cap = (uint32_t)want;
	return 1;
}

static uint8_t *weir_http_u32(uint8_t *p, uint32_t v) {
	memcpy(p, &v, 4); /* wasm32 is little-endian */
	return p + 4;
}

static uint8_t *weir_http_str(uint8_t *p, const void *s, uint32_t n) {
	p = weir_http_u32(p, n);
	if (n) memcpy(p, s, n);
	return p + n;
}

static uint32_t weir_http_slen(const char *s) { return s ? (uint32_t)strlen(s) : 0; }

static uint64_t weir_http_size(const weir_http_request *reqs, uint32_t n) {
	uint64_t size = 4;
	for (uint32_t i = 0; i < n; i++) {
		size += 16 + (uint64_t)weir_http_slen(reqs[i].method) + weir_http_slen(reqs[i].url) + reqs[i].body_len;
		for (uint32_t h = 0; h < reqs[i].header_count; h++)
			size += 8 + (uint64_t)weir_http_slen(reqs[i].headers[h].name) + weir_http_slen(reqs[i].headers[h].value);
	}
	return size;
}

static void weir_http_encode(uint8_t *p, const weir_http_request *reqs, uint32_t n) {
	p = weir_http_u32(p, n);
	for (uint32_t i = 0; i < n; i++) {
		const weir_http_request *r = &reqs[i];
		p = weir_http_str(p, r->method, weir_http_slen(r->method));
		p = weir_http_str(p, r->url, weir_http_slen(r->url));
		p = weir_http_u32(p, r->header_count);
		for (uint32_t h = 0; h < r->header_count; h++) {
			p = weir_http_str(p, r->headers[h].name, weir_http_slen(r->headers[h].name));
			p = weir_http_str(p, r->headers[h].value, weir_http_slen(r->headers[h].value));
		}
		p = weir_http_str(p, r->body, r->body_len);
	}
}

typedef struct {
	const uint8_t *p, *end;
	int bad;
} weir_http_reader;

static uint32_t weir_http_rd_u32(weir_http_reader *r) {
	uint32_t v = 0;
	if (r->bad || r->end - r->p < 4) {
		r->bad = 1;
		return 0;
	}
	memcpy(&v, r->p, 4);
	r->p += 4;
	return v;
}

static const uint8_t *weir_http_rd_field(weir_http_reader *r, uint32_t *len) {
	*len = weir_http_rd_u32(r);
	if (r->bad || (uint64_t)(r->end - r->p) < *len) {
		r->bad = 1;
		*len = 0;
		return 0;
	}
	const uint8_t *v = r->p;
	r->p += *len;
	return v;
}

static void weir_http_decode_one(weir_http_reader *r, weir_http_result *out) {
	if (r->end - r->p < 4) {
		r->bad = 1;
		return;
	}
	out->code = r->p[0];
	out->cached = r->p[1] & 1;
	out->status = (uint16_t)(r->p[2] | r->p[3] << 8);
	r->p += 4;
	out->err = weir_http_rd_field(r, &out->err_len);
	out->header_count = weir_http_rd_u32(r);
	out->headers = r->p;
	for (uint32_t h = 0; h < out->header_count && !r->bad; h++) {
		uint32_t l;
		weir_http_rd_field(r, &l);
		weir_http_rd_field(r, &l);
	}
	out->headers_len = (uint32_t)(r->p - out->headers);
	out->body = weir_http_rd_field(r, &out->body_len);
}

/* weir_http_fetch_many sends n requests in one host call and fills
 * results[0..n). It returns 0, or a WEIR_HTTP_E* code for the call as a
 * whole; a refused or failed request is its result's code. */
WEIR_HTTP_API int weir_http_fetch_many(const weir_http_request *reqs, uint32_t n, weir_http_result *results) {
	uint64_t size = weir_http_size(reqs, n);
	if (!weir_http_grow(&weir_http_buf, &weir_http_buf_cap, size)) return WEIR_HTTP_ENOMEM;
	weir_http_encode(weir_http_buf, reqs, n);
	int64_t answer = weir_http_host_fetch((uint32_t)(uintptr_t)weir_http_buf, (uint32_t)size);
	if (answer < 4) return WEIR_HTTP_EANSWER;
	if (!weir_http_grow(&weir_http_answer, &weir_http_answer_cap, (uint64_t)answer)) return WEIR_HTTP_ENOMEM;
	if (weir_http_host_take((uint32_t)(uintptr_t)weir_http_answer, (uint32_t)answer) != (int32_t)answer) return WEIR_HTTP_EANSWER;
	weir_http_reader r = {weir_http_answer, weir_http_answer + answer, 0};
	if (weir_http_rd_u32(&r) != n) return WEIR_HTTP_EANSWER;
	for (uint32_t i = 0; i < n && !r.bad; i++) weir_http_decode_one(&r, &results[i]);
	return r.bad ? WEIR_HTTP_EANSWER : 0;
}

/* weir_http_header_at reads the i-th response header of res (i <
 * res->header_count): name and value, not NUL-terminated. It returns 0
 * when i is out of range. */
WEIR_HTTP_API int weir_http_header_at(const weir_http_result *res, uint32_t i, const uint8_t **name, uint32_t *name_len,
                                      const uint8_t **value, uint32_t *value_len) {
	weir_http_reader r = {res->headers, res->headers + res->headers_len, 0};
	for (uint32_t h = 0; h <= i && h < res->header_count; h++) {
		*name = weir_http_rd_field(&r, name_len);
		*value = weir_http_rd_field(&r, value_len);
		if (h == i) return !r.bad;
	}
	return 0;
}

#endif
