/* The reference masking (bench/README: customer.email, .phone, .card) as a
 * C guest on the C SDK, with a hand-written byte scanner: finds each key's
 * string value by searching for `"key":"` and rewrites it. It assumes the
 * orders' shape (keys unique in the document, no escapes in these values);
 * it is a benchmark guest, not a general masker (see plugins/mask). */
#include <string.h>

#include "../../../sdk/c/weir.h"

static uint8_t out[1 << 16];

/* Finds `"key":"` and returns the value's span, or 0. */
static int find(const uint8_t *doc, uint32_t n, const char *key, uint32_t *start, uint32_t *end) {
	size_t kl = strlen(key);
	for (uint32_t i = 0; i + kl + 4 < n; i++) {
		if (doc[i] != '"' || memcmp(doc + i + 1, key, kl) != 0 || doc[i + 1 + kl] != '"' ||
		    doc[i + 2 + kl] != ':' || doc[i + 3 + kl] != '"')
			continue;
		uint32_t s = i + kl + 4, e = s;
		while (e < n && doc[e] != '"') e++;
		if (e >= n) return 0;
		*start = s;
		*end = e;
		return 1;
	}
	return 0;
}

/* Copies doc to out, replacing [s, e) with prefix + the kept tail. */
static uint32_t splice(const uint8_t *doc, uint32_t n, uint32_t s, uint32_t e, const char *prefix, uint32_t keep_from) {
	uint32_t pl = (uint32_t)strlen(prefix), o = 0;
	memmove(out, doc, s);
	o = s;
	memcpy(out + o, prefix, pl);
	o += pl;
	memmove(out + o, doc + keep_from, n - keep_from);
	return o + (n - keep_from);
}

void weir_on_record(weir_record *r) {
	uint32_t n, s, e;
	const uint8_t *doc = weir_value(r, &n);
	if (n > sizeof out / 2) {
		weir_fail(r, "record too large");
		return;
	}
	static uint8_t work[1 << 15];
	memcpy(work, doc, n);
	if (find(work, n, "email", &s, &e)) {
		uint32_t at = s;
		while (at < e && work[at] != '@') at++;
		n = splice(work, n, s, e, "***", at < e ? at : e);
		memcpy(work, out, n);
	}
	if (find(work, n, "phone", &s, &e) && e - s >= 4) {
		n = splice(work, n, s, e, "***", e - 4);
		memcpy(work, out, n);
	}
	if (find(work, n, "card", &s, &e) && e - s >= 4) {
		n = splice(work, n, s, e, "************", e - 4);
		memcpy(work, out, n);
	}
	weir_set_value(r, work, n);
}
