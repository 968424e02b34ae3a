/*
 * mask_c: weir's PII-masking transform in C, with the Go mask's JSON mode
 * (plugins/mask) as its contract: the same config, the same output bytes.
 *
 *   {"hmac_key": "k", "fields": [{"path": "customer.email", "action": "email"},
 *                                {"path": "customer.card", "action": "last", "keep": 4, "with": "****"}]}
 *
 * Actions: redact (the value becomes `with`, default "***"), last (`with`
 * then the last `keep` characters, default 4, counted as UTF-8 characters),
 * email (`with` then the value from its last '@'; `with` alone without
 * one), hmac (`with`, default "", then hex HMAC-SHA256 of the value under
 * hmac_key). Numbers and booleans are masked as their text; null stays;
 * an object or array is replaced whole by redact and refused by the other
 * actions. Where rules reach one value the first in the config applies;
 * where a matched value holds another, the outer one is masked whole.
 *
 * It uses field projection (docs/abi.md §4b): the rules' paths are declared
 * at init, and the host validates each record (one that is not JSON fails
 * with class bad_input), finds every value at every path (duplicated keys
 * and parents included) and splices the masked values back; this code only
 * parses its config and masks values. It reads JSON records only: a
 * schema-bound (protobuf) stream needs the Go mask.
 */
#include <stdio.h>
#include <string.h>

#include "../../sdk/c/weir.h"
#include "mask.h"

const char *weir_on_init(const uint8_t *config, uint32_t len) { return parse_config(config, len); }

/* Whether s[0..n) is all ASCII, a word at a time. */
static int ascii(const uint8_t *s, uint32_t n) {
	uint32_t acc = 0, w;
	for (; n >= 4; s += 4, n -= 4) {
		memcpy(&w, s, 4);
		acc |= w;
	}
	for (; n > 0; n--) acc |= *s++;
	return !(acc & 0x80808080u);
}

/* Where the last n UTF-8 characters of s begin (0 if it has no more): when
 * the last n bytes are ASCII they are the last n characters. */
static uint32_t last_chars(const uint8_t *s, uint32_t len, int64_t n) {
	if (n > 0 && n <= len && ascii(s + len - n, (uint32_t)n)) return len - (uint32_t)n;
	uint32_t i = len;
	for (; n > 0 && i > 0; n--)
		while (i > 0 && (s[--i] & 0xC0) == 0x80) {
		}
	return i;
}

/* Where s's last '@' is (len if it has none): a word at a time back to the
 * word holding one, then byte by byte. */
static uint32_t last_at(const uint8_t *s, uint32_t len) {
	uint32_t i = len, w;
	for (; i >= 4; i -= 4) {
		memcpy(&w, s + i - 4, 4);
		w ^= 0x40404040u; /* a byte that was '@' is now 0 */
		if ((w - 0x01010101u) & ~w & 0x80808080u) break;
	}
	for (; i > 0; i--)
		if (s[i - 1] == '@') return i - 1;
	return len;
}

/* Writes the text s masked by rule r as field i's replacement, straight
 * into the SDK's arena. */
static void mask_text(weir_record *rec, uint32_t i, const rule *r, const uint8_t *s, uint32_t len) {
	static const char hex[] = "0123456789abcdef";
	uint32_t from = len;
	switch (r->action) {
	case LAST: from = last_chars(s, len, r->keep); break;
	case EMAIL: from = last_at(s, len); break;
	case HMAC: {
		uint8_t sum[32], *o = weir_field_string_room(rec, i, r->with_len + 64);
		hmac256_sum(&mac, s, len, sum);
		memcpy(o, r->with, r->with_len);
		for (int k = 0; k < 32; k++) {
			o[r->with_len + 2 * k] = (uint8_t)hex[sum[k] >> 4];
			o[r->with_len + 2 * k + 1] = (uint8_t)hex[sum[k] & 15];
		}
		return;
	}
	}
	uint8_t *o = weir_field_string_room(rec, i, r->with_len + (len - from));
	memcpy(o, r->with, r->with_len);
	memcpy(o + r->with_len, s + from, len - from);
}

/* Masks field i; returns 0 when the record must fail. */
static int mask_field(weir_record *rec, uint32_t i) {
	char msg[1200];
	uint32_t p = weir_field_path(rec, i), len;
	if (p >= rule_count) {
		weir_fail(rec, "mask: the host sent a field at an undeclared path");
		return 0;
	}
	const rule *r = &rules[p];
	const uint8_t *v = weir_field_value(rec, i, &len);
	switch (weir_field_type(rec, i)) {
	case WEIR_NULL: return 1; /* hides nothing */
	case WEIR_OBJECT:
	case WEIR_ARRAY:
		if (r->action != REDACT) {
			snprintf(msg, sizeof msg, "mask: field %s is an object or array; only action redact applies", r->path);
			weir_fail(rec, msg);
			return 0;
		}
		weir_field_set_string(rec, i, (const uint8_t *)r->with, r->with_len);
		return 1;
	}
	mask_text(rec, i, r, v, len);
	return 1;
}

void weir_on_fields(weir_record *rec) {
	uint32_t n = weir_field_count(rec);
	for (uint32_t i = 0; i < n; i++)
		if (!mask_field(rec, i)) return;
}
