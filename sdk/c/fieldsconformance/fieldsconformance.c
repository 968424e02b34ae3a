/* The C SDK's guest for the projection conformance vectors
 * (sdk/testdata/projection.json, docs/abi.md §4b). Its config is
 * {"paths": [...]}: it declares those paths, and obeys the command in each
 * string field, in field order, as the Go SDK's guest does
 * (sdk/go/internal/fieldsconformance): keep | set:TEXT | json:RAW | drop |
 * error:MSG | route:P1,P2 | meta:K=V | getmeta:K | type | fanout:N, and
 * room:TEXT (set:TEXT through weir_field_string_room, C only); any other
 * string fails the record. An error ends the record; fields of other
 * types get no replacement. With "insert": [indices] (the insertion
 * vectors, sdk/testdata/insertion.json) those paths are insertion paths,
 * and every field of type WEIR_ABSENT obeys the config's "absent"
 * command. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../weir.h"
#include "../weir_json.h"

static char arena[WEIR_MAX_PATHS * (WEIR_MAX_PATH_BYTES + 1)], errbuf[256], absent[1024];
static uint32_t absent_len;

/* Reads "insert": [indices] and declares them. */
static const char *insertable(weir_json *j) {
	uint32_t idx[WEIR_MAX_PATHS], k = 0;
	int64_t v;
	if (!wj_open(j, '[')) return NULL;
	while (wj_more(j, &k, ']')) {
		if (k > WEIR_MAX_PATHS) return "config: more than 64 insertion paths";
		if (!wj_int(j, &v)) return NULL;
		idx[k - 1] = (uint32_t)v;
	}
	return j->failed ? NULL : weir_project_insertable(idx, k);
}

const char *weir_on_init(const uint8_t *config, uint32_t len) {
	weir_json j;
	const char *paths[WEIR_MAX_PATHS + 1];
	char key[16];
	uint32_t n = 0, m = 0, used = 0, pl;
	const char *err = NULL;
	size_t at = 0;
	wj_init(&j, config, len);
	if (!wj_check(&j) || !wj_open(&j, '{')) goto bad;
	while (wj_more(&j, &n, '}')) {
		if (!wj_key(&j, key, sizeof key, NULL)) goto bad;
		if (!strcmp(key, "insert")) {
			at = (size_t)(j.p - j.start); /* read once the paths are declared */
			if (!wj_skip(&j)) goto bad;
			continue;
		}
		if (!strcmp(key, "absent")) {
			if (!wj_string(&j, absent, sizeof absent, &absent_len)) goto bad;
			continue;
		}
		if (strcmp(key, "paths")) {
			if (!wj_skip(&j)) goto bad;
			continue;
		}
		if (!wj_open(&j, '[')) goto bad;
		while (wj_more(&j, &m, ']')) {
			if (m > WEIR_MAX_PATHS) return "config: more than 64 paths";
			if (!wj_string(&j, arena + used, WEIR_MAX_PATH_BYTES + 1, &pl)) goto bad;
			paths[m - 1] = arena + used;
			used += pl + 1;
		}
	}
	if (j.failed) goto bad;
	if ((err = weir_project(paths, m)) || !at) return err;
	wj_init(&j, config + at, len - (uint32_t)at);
	if ((err = insertable(&j)) || !j.failed) return err;
bad:
	snprintf(errbuf, sizeof errbuf, "config: %s", j.msg);
	return errbuf;
}

static void set(weir_record *r, uint32_t i, const char *s) { weir_field_set_string(r, i, (const uint8_t *)s, (uint32_t)strlen(s)); }

static void route(weir_record *r, char *ports) {
	for (char *p = ports, *comma; p; p = comma ? comma + 1 : NULL) {
		comma = strchr(p, ',');
		if (comma) *comma = 0;
		weir_route(r, p);
	}
}

/* Obeys command v[0:n] (verb[:arg]) for field i; returns 0 when the
 * record failed. */
static int obey(weir_record *r, uint32_t i, const uint8_t *v, uint32_t n) {
	char cmd[1024], *arg, *eq;
	uint32_t ml;
	const uint8_t *m;
	if (n >= sizeof cmd) n = sizeof cmd - 1;
	memcpy(cmd, v, n);
	cmd[n] = 0;
	arg = strchr(cmd, ':');
	if (arg) *arg++ = 0;
	else arg = cmd + n;
	if (!strcmp(cmd, "keep")) {
	} else if (!strcmp(cmd, "set")) {
		set(r, i, arg);
	} else if (!strcmp(cmd, "room")) {
		uint32_t al = (uint32_t)strlen(arg);
		memcpy(weir_field_string_room(r, i, al), arg, al);
	} else if (!strcmp(cmd, "json")) {
		return weir_field_set_json(r, i, (const uint8_t *)arg, (uint32_t)strlen(arg));
	} else if (!strcmp(cmd, "drop")) {
		weir_drop(r);
	} else if (!strcmp(cmd, "error")) {
		weir_fail(r, arg);
		return 0;
	} else if (!strcmp(cmd, "route")) {
		route(r, arg);
	} else if (!strcmp(cmd, "meta")) {
		eq = strchr(arg, '=');
		if (eq) *eq++ = 0;
		weir_set_meta(r, arg, (const uint8_t *)(eq ? eq : ""), eq ? (uint32_t)strlen(eq) : 0);
	} else if (!strcmp(cmd, "getmeta")) {
		m = weir_meta(r, arg, &ml);
		if (m) weir_field_set_string(r, i, m, ml);
		else set(r, i, "<none>");
	} else if (!strcmp(cmd, "type")) {
		snprintf(cmd, sizeof cmd, "%d", weir_field_type(r, i));
		set(r, i, cmd);
	} else if (!strcmp(cmd, "fanout")) {
		int count = atoi(arg);
		for (int k = 0; k < count; k++) {
			snprintf(cmd, sizeof cmd, "%d", k);
			set(r, i, cmd);
			weir_field_emit(r, NULL);
		}
	} else {
		char msg[1100];
		snprintf(msg, sizeof msg, "unknown command %s", cmd);
		weir_fail(r, msg);
		return 0;
	}
	return 1;
}

void weir_on_fields(weir_record *r) {
	uint32_t n;
	const uint8_t *v;
	for (uint32_t i = 0; i < weir_field_count(r); i++) {
		int t = weir_field_type(r, i);
		if (t == WEIR_STRING && (v = weir_field_value(r, i, &n)) && !obey(r, i, v, n)) return;
		if (t == WEIR_ABSENT && absent_len && !obey(r, i, (const uint8_t *)absent, absent_len)) return;
	}
}
