/* The C SDK's guest for the ABI conformance vectors (sdk/testdata/conformance.json):
 * keep | set:TEXT | drop | error:MSG | route:P1,P2 | fanout:N | meta:K=V | delmeta:K | getmeta:K | panic */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../weir.h"

static char prefix[256];

const char *weir_on_init(const uint8_t *config, uint32_t len) {
	if (len == 4 && memcmp(config, "fail", 4) == 0) return "config says fail";
	if (len >= sizeof prefix) return "config too long";
	memcpy(prefix, config, len);
	prefix[len] = 0;
	return NULL;
}

static int is(const char *cmd, uint32_t n, const char *verb, const char **arg) {
	size_t vl = strlen(verb);
	if (n < vl || memcmp(cmd, verb, vl) != 0) return 0;
	*arg = cmd + vl;
	return 1;
}

void weir_on_record(weir_record *r) {
	uint32_t n;
	const char *cmd = (const char *)weir_value(r, &n), *arg;
	char tmp[512];
	uint32_t al;
	if (n >= sizeof tmp) {
		weir_fail(r, "command too long");
		return;
	}
	if (n == 4 && memcmp(cmd, "keep", 4) == 0) return;
	if (n == 4 && memcmp(cmd, "drop", 4) == 0) {
		weir_drop(r);
	} else if (n == 5 && memcmp(cmd, "panic", 5) == 0) {
		weir_fail(r, "handler panicked: asked to panic"); /* C has no panics: fail the record as Go's SDK does */
	} else if (is(cmd, n, "set:", &arg)) {
		al = n - 4;
		size_t pl = strlen(prefix);
		memcpy(tmp, prefix, pl);
		memcpy(tmp + pl, arg, al);
		weir_set_value(r, (const uint8_t *)tmp, (uint32_t)(pl + al));
	} else if (is(cmd, n, "error:", &arg)) {
		al = n - 6;
		memcpy(tmp, arg, al);
		tmp[al] = 0;
		weir_fail(r, tmp);
	} else if (is(cmd, n, "route:", &arg)) {
		al = n - 6;
		memcpy(tmp, arg, al);
		tmp[al] = 0;
		for (char *p = strtok(tmp, ","); p; p = strtok(NULL, ",")) weir_route(r, p);
	} else if (is(cmd, n, "fanout:", &arg)) {
		memcpy(tmp, arg, n - 7);
		tmp[n - 7] = 0;
		int count = atoi(tmp);
		for (int i = 0; i < count; i++) {
			char v[16];
			int vl = snprintf(v, sizeof v, "%d", i);
			weir_emit(r, (const uint8_t *)v, (uint32_t)vl, NULL);
		}
	} else if (is(cmd, n, "meta:", &arg)) {
		memcpy(tmp, arg, n - 5);
		tmp[n - 5] = 0;
		char *eq = strchr(tmp, '=');
		if (!eq) {
			weir_fail(r, "meta: want K=V");
			return;
		}
		*eq = 0;
		weir_set_meta(r, tmp, (const uint8_t *)eq + 1, (uint32_t)strlen(eq + 1));
	} else if (is(cmd, n, "delmeta:", &arg)) {
		memcpy(tmp, arg, n - 8);
		tmp[n - 8] = 0;
		weir_delete_meta(r, tmp);
	} else if (is(cmd, n, "getmeta:", &arg)) {
		char key[256];
		memcpy(key, arg, n - 8);
		key[n - 8] = 0;
		uint32_t vl;
		const uint8_t *v = weir_meta(r, key, &vl);
		int len = v ? snprintf(tmp, sizeof tmp, "true:%.*s", (int)vl, (const char *)v) : snprintf(tmp, sizeof tmp, "false:");
		weir_set_value(r, (const uint8_t *)tmp, (uint32_t)len);
	} else {
		snprintf(tmp, sizeof tmp, "unknown command %.*s", (int)n, cmd);
		weir_fail(r, tmp);
	}
}
