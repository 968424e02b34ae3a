/*
 * A small, strict, bounded JSON reader for a transform's config (C SDK).
 *
 * Header-only (every function static): include it where weir_on_init
 * parses its config. It reads one document in place, without allocating:
 * wj_check validates the whole document first (RFC 8259 grammar; nesting at
 * most WJ_MAX_DEPTH), then the wj_* readers pull the values the transform
 * wants, skipping the rest. Strings decode as Go's encoding/json decodes
 * them (escapes resolved, a lone surrogate or an invalid UTF-8 byte becomes
 * U+FFFD; wj_validate refuses them, as jsonpath.Validate does) into a caller's buffer of fixed size. The first error sticks: every
 * later call returns 0, and j->msg says what went wrong and at which offset.
 *
 *   weir_json j;
 *   wj_init(&j, config, len);
 *   uint32_t n = 0;
 *   if (!wj_check(&j) || !wj_open(&j, '{')) return j.msg;
 *   while (wj_more(&j, &n, '}')) { wj_key(&j, key, sizeof key, &kl); ...value... }
 */
#ifndef WEIR_JSON_H
#define WEIR_JSON_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define WJ_MAX_DEPTH 512 /* as sdk/go/jsonpath.MaxDepth */

/* Every function is static (one copy per file that includes this) and may go unused. */
#define WJ_API static __attribute__((unused))

typedef struct {
	const uint8_t *p, *start, *end;
	int failed;
	int strict; /* refuse invalid UTF-8 and unpaired surrogates (jsonpath.Validate) */
	char msg[192];
} weir_json;

WJ_API void wj_init(weir_json *j, const uint8_t *doc, uint32_t len) {
	j->p = j->start = doc;
	j->end = doc + len;
	j->failed = j->strict = 0;
	j->msg[0] = 0;
}

__attribute__((format(printf, 2, 3))) WJ_API int wj_fail(weir_json *j, const char *format, ...) {
	if (j->failed) return 0;
	j->failed = 1;
	int n = snprintf(j->msg, sizeof j->msg, "offset %u: ", (unsigned)(j->p - j->start));
	va_list ap;
	va_start(ap, format);
	vsnprintf(j->msg + n, sizeof j->msg - (size_t)n, format, ap);
	va_end(ap);
	return 0;
}

/* The next byte after whitespace, or -1 at the end (or after an error). */
WJ_API int wj_peek(weir_json *j) {
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) j->p++;
	return j->failed || j->p >= j->end ? -1 : *j->p;
}

WJ_API int wj_lit(weir_json *j, const char *lit) {
	size_t n = strlen(lit);
	if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n) != 0) return wj_fail(j, "want %s", lit);
	j->p += n;
	return 1;
}

WJ_API int wj_hex(int c) {
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

/* The code unit of \uXXXX at p (p at the backslash), or -1. */
WJ_API int32_t wj_u4(const weir_json *j, const uint8_t *p) {
	if (j->end - p < 6 || p[0] != '\\' || p[1] != 'u') return -1;
	int32_t v = 0;
	for (int i = 2; i < 6; i++) {
		int h = wj_hex(p[i]);
		if (h < 0) return -1;
		v = v << 4 | h;
	}
	return v;
}

/* The length of the valid UTF-8 sequence at p (Go's rules), or 0. */
WJ_API uint32_t wj_utf8(const uint8_t *p, const uint8_t *end) {
	uint8_t c = p[0], lo = 0x80, hi = 0xBF;
	uint32_t n;
	if (c < 0x80) return 1;
	if (c < 0xC2) return 0;
	if (c < 0xE0) n = 2;
	else if (c < 0xF0) {
		n = 3;
		if (c == 0xE0) lo = 0xA0;
		if (c == 0xED) hi = 0x9F;
	} else if (c < 0xF5) {
		n = 4;
		if (c == 0xF0) lo = 0x90;
		if (c == 0xF4) hi = 0x8F;
	} else return 0;
	if ((uint32_t)(end - p) < n || p[1] < lo || p[1] > hi) return 0;
	for (uint32_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xBF) return 0;
	return n;
}

/* Appends rune r as UTF-8 to out (cap bytes, one kept for a NUL). */
WJ_API int wj_put_rune(weir_json *j, char *out, uint32_t cap, uint32_t *n, uint32_t r) {
	uint8_t b[4];
	uint32_t k;
	if (r < 0x80) b[0] = (uint8_t)r, k = 1;
	else if (r < 0x800) b[0] = (uint8_t)(0xC0 | r >> 6), b[1] = (uint8_t)(0x80 | (r & 0x3F)), k = 2;
	else if (r < 0x10000)
		b[0] = (uint8_t)(0xE0 | r >> 12), b[1] = (uint8_t)(0x80 | (r >> 6 & 0x3F)), b[2] = (uint8_t)(0x80 | (r & 0x3F)), k = 3;
	else
		b[0] = (uint8_t)(0xF0 | r >> 18), b[1] = (uint8_t)(0x80 | (r >> 12 & 0x3F)),
		b[2] = (uint8_t)(0x80 | (r >> 6 & 0x3F)), b[3] = (uint8_t)(0x80 | (r & 0x3F)), k = 4;
	if (!out) return 1;
	if (cap - 1 - *n < k) return wj_fail(j, "string longer than %u bytes", cap - 1);
	memcpy(out + *n, b, k);
	*n += k;
	return 1;
}

/* Reads a string at p: decodes into out (NUL-terminated) unless out is NULL,
 * in which case it only validates. */
WJ_API int wj_string(weir_json *j, char *out, uint32_t cap, uint32_t *len) {
	uint32_t n = 0;
	if (wj_peek(j) != '"') return wj_fail(j, "want a string");
	j->p++;
	while (j->p < j->end && *j->p != '"') {
		uint8_t c = *j->p;
		uint32_t r, k;
		if (c < 0x20) return wj_fail(j, "control character in a string");
		if (c == '\\') {
			if (j->end - j->p < 2) break;
			const char *esc = strchr("\"\\/bfnrt", j->p[1]);
			if (j->p[1] && esc) {
				r = (uint32_t)"\"\\/\b\f\n\r\t"[esc - "\"\\/bfnrt"];
				j->p += 2;
			} else {
				int32_t u = wj_u4(j, j->p);
				if (u < 0) return wj_fail(j, "bad escape in a string");
				j->p += 6;
				r = (uint32_t)u;
				if (u >= 0xD800 && u < 0xDC00) {
					int32_t lo = wj_u4(j, j->p);
					r = 0xFFFD;
					if (lo >= 0xDC00 && lo < 0xE000) {
						r = 0x10000 + (((uint32_t)u - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
						j->p += 6;
					}
				} else if (u >= 0xDC00 && u < 0xE000) r = 0xFFFD;
				if (r == 0xFFFD && u != 0xFFFD && j->strict) return wj_fail(j, "unpaired surrogate in string");
			}
			if (!wj_put_rune(j, out, cap, &n, r)) return 0;
			continue;
		}
		k = wj_utf8(j->p, j->end);
		if (k == 0) {
			if (j->strict) return wj_fail(j, "invalid UTF-8 in string");
			if (!wj_put_rune(j, out, cap, &n, 0xFFFD)) return 0;
			j->p++;
			continue;
		}
		if (out) {
			if (cap - 1 - n < k) return wj_fail(j, "string longer than %u bytes", cap - 1);
			memcpy(out + n, j->p, k);
			n += k;
		}
		j->p += k;
	}
	if (j->p >= j->end) return wj_fail(j, "unterminated string");
	j->p++;
	if (out) out[n] = 0;
	if (len) *len = n;
	return 1;
}

WJ_API int wj_digits(weir_json *j) {
	const uint8_t *s = j->p;
	while (j->p < j->end && *j->p >= '0' && *j->p <= '9') j->p++;
	return j->p > s;
}

/* Reads a number; *integral says whether it had no fraction or exponent. */
WJ_API int wj_number(weir_json *j, int *integral) {
	*integral = 1;
	if (j->p < j->end && *j->p == '-') j->p++;
	if (j->p < j->end && *j->p == '0') j->p++;
	else if (!wj_digits(j)) return wj_fail(j, "want a value");
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		*integral = 0;
		if (!wj_digits(j)) return wj_fail(j, "want a digit after '.'");
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		*integral = 0;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-')) j->p++;
		if (!wj_digits(j)) return wj_fail(j, "want a digit in the exponent");
	}
	return 1;
}

WJ_API int wj_scalar(weir_json *j) {
	int integral;
	switch (wj_peek(j)) {
	case '"': return wj_string(j, NULL, 0, NULL);
	case 't': return wj_lit(j, "true");
	case 'f': return wj_lit(j, "false");
	case 'n': return wj_lit(j, "null");
	default: return wj_number(j, &integral);
	}
}

/* Consumes a null if one is next. */
WJ_API int wj_null(weir_json *j) {
	if (wj_peek(j) != 'n') return 0;
	return wj_lit(j, "null");
}

/* Consumes c ('{' or '['), or fails naming what was wanted. */
WJ_API int wj_open(weir_json *j, char c) {
	if (wj_peek(j) != c) return wj_fail(j, "want %s", c == '{' ? "an object" : "an array");
	j->p++;
	return 1;
}

/* Iterates an object's members or an array's elements after wj_open: returns
 * 1 while there is another (consuming the ',' between them), 0 at close
 * (consumed) or on an error. *n counts the members read; start it at 0. */
WJ_API int wj_more(weir_json *j, uint32_t *n, char close) {
	int c = wj_peek(j);
	if (c == close) {
		j->p++;
		return 0;
	}
	if (*n > 0) {
		if (c != ',') return wj_fail(j, "want ',' or '%c'", close);
		j->p++;
	}
	(*n)++;
	return !j->failed;
}

/* Reads a member's key and its ':'. */
WJ_API int wj_key(weir_json *j, char *key, uint32_t cap, uint32_t *len) {
	if (!wj_string(j, key, cap, len)) return 0;
	if (wj_peek(j) != ':') return wj_fail(j, "want ':' after a key");
	j->p++;
	return 1;
}

/* Skips one value, validating it (iteratively: no recursion). */
WJ_API int wj_skip(weir_json *j) {
	char stack[WJ_MAX_DEPTH];
	uint32_t depth = 0, counts[WJ_MAX_DEPTH];
	for (;;) {
		int c = wj_peek(j);
		if (c == '{' || c == '[') {
			if (depth == WJ_MAX_DEPTH) return wj_fail(j, "nesting deeper than %d", WJ_MAX_DEPTH);
			j->p++;
			stack[depth] = (char)(c + 2); /* '}' is '{'+2, ']' is '['+2 */
			counts[depth++] = 0;
		} else if (!wj_scalar(j)) return 0;
		while (depth > 0) {
			char close = stack[depth - 1];
			if (!wj_more(j, &counts[depth - 1], close)) {
				if (j->failed) return 0;
				depth--;
				continue;
			}
			if (close == '}' && !wj_key(j, NULL, 0, NULL)) return 0;
			break;
		}
		if (depth == 0) return !j->failed;
	}
}

/* Validates the whole document: one value, whitespace around it. Leaves the
 * reader at the start. */
WJ_API int wj_check(weir_json *j) {
	if (wj_peek(j) < 0) return wj_fail(j, "empty document");
	if (!wj_skip(j)) return 0;
	if (wj_peek(j) >= 0) return wj_fail(j, "bytes after the value");
	j->p = j->start;
	return 1;
}

/* Checks that doc is exactly one JSON value as jsonpath.Validate does
 * (invalid UTF-8 and unpaired surrogates refused); on failure j->msg says why. */
WJ_API int wj_validate(weir_json *j, const uint8_t *doc, uint32_t len) {
	wj_init(j, doc, len);
	j->strict = 1;
	return wj_check(j);
}

/* Reads an integer (no fraction, no exponent) that fits in int64_t. */
WJ_API int wj_int(weir_json *j, int64_t *v) {
	int c = wj_peek(j), integral;
	if (c != '-' && (c < '0' || c > '9')) return wj_fail(j, "want an integer");
	const uint8_t *s = j->p;
	if (!wj_number(j, &integral)) return 0;
	if (!integral) {
		int n = (int)(j->p - s);
		j->p = s;
		return wj_fail(j, "want an integer, got %.*s", n, (const char *)s);
	}
	int neg = *s == '-';
	uint64_t u = 0;
	for (const uint8_t *q = s + neg; q < j->p; q++) {
		if (u > (UINT64_MAX - 9) / 10) {
			j->p = s;
			return wj_fail(j, "integer out of range");
		}
		u = u * 10 + (uint64_t)(*q - '0');
	}
	if (u > (uint64_t)INT64_MAX + (uint64_t)neg) {
		j->p = s;
		return wj_fail(j, "integer out of range");
	}
	*v = neg ? (int64_t)(0 - u) : (int64_t)u;
	return 1;
}

#endif
