/* The C SDK's guest for the kv and metrics capabilities (kv_test.go), as
 * sdk/go/internal/kvlookup: each record's value is a key in namespace
 * "risk", all looked up in one weir_kv_get_many per batch. Found: the
 * value replaces the record's; a miss keeps it with metadata kv=miss; any
 * other result fails the record. "set:K=V" writes V under K instead. */
#include <string.h>

#include "../../weir.h"
#include "../../weir_caps.h"

static weir_kv_result *results;
static uint32_t results_cap;

static void lookup(const uint8_t *const *values, const uint32_t *lens, uint32_t n) {
	if (n > results_cap) {
		results = realloc(results, n * sizeof *results);
		if (!results) abort();
		results_cap = n;
	}
	weir_kv_get_many("risk", values, lens, n, results);
	weir_counter_add("lookups", n);
	weir_gauge_set("batch_size", n);
}

const char *weir_on_init(const uint8_t *config, uint32_t len) {
	weir_on_batch(lookup);
	return 0;
}

static const char *names[] = {"found", "miss", "store_error", "no_room", "invalid_key", "too_large"};

void weir_on_record(weir_record *r) {
	uint32_t len;
	const uint8_t *v = weir_value(r, &len);
	const uint8_t *eq = memchr(v, '=', len);
	if (len > 4 && memcmp(v, "set:", 4) == 0 && eq) {
		if (weir_kv_set("risk", v + 4, (uint32_t)(eq - v - 4), eq + 1, (uint32_t)(v + len - eq - 1), 3600000) != 0)
			weir_fail(r, "kv set failed");
		return;
	}
	weir_kv_result res = results[weir_record_index(r)];
	switch (res.status) {
	case WEIR_KV_FOUND:
		weir_counter_add("hits", 1);
		weir_set_value(r, res.value, res.len);
		break;
	case WEIR_KV_MISS:
		weir_set_meta(r, "kv", (const uint8_t *)"miss", 4);
		break;
	default: {
		char msg[32] = "kv ";
		strcat(msg, res.status < 6 ? names[res.status] : "unknown");
		weir_fail(r, msg);
	}
	}
}
