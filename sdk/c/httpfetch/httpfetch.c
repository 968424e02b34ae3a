/* A test guest of the http capability in C (runtime/capability_http_test.go):
 * each record holds URLs, one a line; the guest fetches them all in one
 * host call and replaces the record with one line per answer: code name,
 * status, body (or the error, which it also logs). As
 * runtime/testdata/guests/httpfetch does in Go. */
#include <stdio.h>
#include <string.h>

#include "../weir.h"
#include "../weir_http.h"

#define MAX_URLS 16

static const char *code_name(int c) {
	switch (c) {
	case WEIR_HTTP_OK: return "ok";
	case WEIR_HTTP_REFUSED: return "refused";
	case WEIR_HTTP_TIMEOUT: return "timeout";
	case WEIR_HTTP_TOO_LARGE: return "too_large";
	case WEIR_HTTP_TRANSPORT: return "transport_error";
	}
	return "unknown";
}

static char urls[MAX_URLS][2048];
static char out[1 << 16];

void weir_on_record(weir_record *r) {
	uint32_t len, n = 0, start = 0;
	const uint8_t *v = weir_value(r, &len);
	weir_http_request reqs[MAX_URLS];
	weir_http_header hdr = {"X-Record", "1"};
	for (uint32_t i = 0; i <= len && n < MAX_URLS; i++) {
		if (i < len && v[i] != '\n') continue;
		uint32_t l = i - start;
		if (l > 0 && l < sizeof urls[0]) {
			memcpy(urls[n], v + start, l);
			urls[n][l] = 0;
			reqs[n] = (weir_http_request){.url = urls[n], .headers = &hdr, .header_count = 1};
			n++;
		}
		start = i + 1;
	}
	weir_http_result res[MAX_URLS];
	int rc = weir_http_fetch_many(reqs, n, res);
	if (rc < 0) {
		weir_fail(r, "weir_http_fetch_many failed");
		return;
	}
	size_t o = 0;
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *text = res[i].code == WEIR_HTTP_OK ? res[i].body : res[i].err;
		uint32_t tl = res[i].code == WEIR_HTTP_OK ? res[i].body_len : res[i].err_len;
		if (res[i].code != WEIR_HTTP_OK) weir_log(2, "fetch failed");
		int w = snprintf(out + o, sizeof out - o, "%s %u %.*s\n", code_name(res[i].code), res[i].status, (int)tl, (const char *)text);
		if (w < 0 || (size_t)w >= sizeof out - o) break;
		o += (size_t)w;
	}
	weir_set_value(r, (const uint8_t *)out, (uint32_t)o);
}

const char *weir_on_init(const uint8_t *config, uint32_t len) {
	(void)config;
	(void)len;
	return 0;
}
