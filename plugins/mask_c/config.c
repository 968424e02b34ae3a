/* The C mask's config: the Go mask's JSON mode (plugins/mask), read with
 * the SDK's strict reader. Errors read as the Go mask's where the cause is
 * the same; keys match case-insensitively (ASCII), duplicates decode in
 * place, and unknown keys are ignored, as Go's encoding/json does. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../../sdk/c/weir.h"
#include "../../sdk/c/weir_json.h"
#include "mask.h"

/* Rules as decoded, before the checks; up to the decode cap. */
typedef struct {
	char *path, *action, *with;
	uint32_t path_len, with_len;
	int64_t keep;
} raw_rule;

#define DECODE_RULES 1024

rule rules[MAX_RULES];
uint32_t rule_count;
hmac256 mac;

static raw_rule raw[DECODE_RULES];
static uint32_t raw_count;
static char arena[1 << 16], *hmac_key, *format, errbuf[512];
static uint32_t arena_used, hmac_key_len;
static int by_schema;

static const char *fail(const char *format_, ...) __attribute__((format(printf, 1, 2)));
static const char *fail(const char *format_, ...) {
	va_list ap;
	va_start(ap, format_);
	int n = snprintf(errbuf, sizeof errbuf, "mask: config: ");
	vsnprintf(errbuf + n, sizeof errbuf - (size_t)n, format_, ap);
	va_end(ap);
	return errbuf;
}

/* Reads a string (or null: left as it was) into the arena. */
static int read_string(weir_json *j, char **s, uint32_t *len) {
	if (wj_null(j)) return 1;
	uint32_t n;
	char *at = arena + arena_used;
	if (!wj_string(j, at, (uint32_t)sizeof arena - arena_used, &n)) return 0;
	arena_used += n + 1;
	*s = at;
	if (len) *len = n;
	return 1;
}

/* Reads a member's key into the arena's free space: valid until the next
 * string is read (the member's value, read after the key is compared). */
static int read_key(weir_json *j, const char **key) {
	*key = arena + arena_used;
	return wj_key(j, arena + arena_used, (uint32_t)sizeof arena - arena_used, NULL);
}

static int read_rule(weir_json *j, raw_rule *r) {
	const char *k;
	uint32_t n = 0;
	if (wj_null(j)) return 1;
	if (!wj_open(j, '{')) return 0;
	while (wj_more(j, &n, '}')) {
		if (!read_key(j, &k)) return 0;
		if (!strcasecmp(k, "path")) {
			if (!read_string(j, &r->path, &r->path_len)) return 0;
		} else if (!strcasecmp(k, "action")) {
			if (!read_string(j, &r->action, NULL)) return 0;
		} else if (!strcasecmp(k, "with")) {
			if (!read_string(j, &r->with, &r->with_len)) return 0;
		} else if (!strcasecmp(k, "keep")) {
			if (!wj_null(j) && !wj_int(j, &r->keep)) return 0;
		} else if (!wj_skip(j)) {
			return 0;
		}
	}
	return !j->failed;
}

static int read_fields(weir_json *j) {
	uint32_t n = 0;
	if (wj_null(j)) {
		raw_count = 0;
		return 1;
	}
	if (!wj_open(j, '[')) return 0;
	while (wj_more(j, &n, ']')) {
		if (n > DECODE_RULES) return wj_fail(j, "fields: more than %d rules", DECODE_RULES);
		if (!read_rule(j, &raw[n - 1])) return 0;
	}
	raw_count = n;
	return !j->failed;
}

/* Skips a value that must be an object (or null), as weir_schema must. */
static int skip_object(weir_json *j, int *present) {
	int c = wj_peek(j);
	if (c == 'n') return wj_null(j);
	if (c != '{') return wj_fail(j, "want an object");
	*present = 1;
	return wj_skip(j);
}

static int read_top(weir_json *j) {
	const char *k;
	char *ignored;
	uint32_t n = 0;
	if (wj_null(j)) return 1;
	if (!wj_open(j, '{')) return 0;
	while (wj_more(j, &n, '}')) {
		if (!read_key(j, &k)) return 0;
		if (!strcasecmp(k, "fields")) {
			if (!read_fields(j)) return 0;
		} else if (!strcasecmp(k, "hmac_key")) {
			if (!read_string(j, &hmac_key, &hmac_key_len)) return 0;
		} else if (!strcasecmp(k, "format")) {
			if (!read_string(j, &format, NULL)) return 0;
		} else if (!strcasecmp(k, "unknown_fields")) {
			if (!read_string(j, &ignored, NULL)) return 0;
		} else if (!strcasecmp(k, "weir_schema")) {
			if (!skip_object(j, &by_schema)) return 0;
		} else if (!wj_skip(j)) {
			return 0;
		}
	}
	return !j->failed;
}

/* Quotes s as Go's %q does for printable ASCII, escaping the rest. */
static const char *quote(const char *s, char *out, size_t cap) {
	size_t o = 0;
	out[o++] = '"';
	for (; *s && o + 6 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') o += (size_t)snprintf(out + o, cap - o, "\\%c", c);
		else if (c < 0x20 || c == 0x7f) o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
		else out[o++] = (char)c;
	}
	out[o++] = '"';
	out[o] = 0;
	return out;
}

static const char *check_path(uint32_t i, const raw_rule *r) {
	char q[160];
	const char *p = r->path ? r->path : "";
	uint32_t len = r->path ? r->path_len : 0;
	if (strlen(p) != len) return fail("fields[%u].path: holds a NUL character, which a projected path cannot", i);
	if (len > WEIR_MAX_PATH_BYTES) return fail("fields[%u].path: longer than %d bytes, the most a projected path may be", i, WEIR_MAX_PATH_BYTES);
	int empty = len == 0 || p[0] == '.' || p[len - 1] == '.' || strstr(p, "..");
	if (empty) return fail("fields[%u].path: jsonpath: path %s has an empty segment", i, quote(p, q, sizeof q));
	return NULL;
}

/* The action and its defaults, as the Go mask's compileAction. */
static const char *check_action(uint32_t i, const raw_rule *r, rule *out) {
	static const char *names[] = {"", "redact", "last", "email", "hmac"};
	char q[160];
	const char *a = r->action ? r->action : "";
	out->action = 0;
	for (int k = REDACT; k <= HMAC; k++)
		if (!strcmp(a, names[k])) out->action = k;
	out->with = r->with ? r->with : "";
	out->with_len = r->with ? r->with_len : 0;
	if (out->with_len == 0 && out->action != HMAC) out->with = "***", out->with_len = 3;
	out->keep = r->keep == 0 ? 4 : r->keep;
	if (out->action == HMAC && hmac_key_len == 0) return fail("fields[%u]: action hmac needs hmac_key", i);
	if (!out->action)
		return fail("fields[%u].action: unknown action %s (want redact, last, email or hmac)", i, quote(a, q, sizeof q));
	if (out->keep < 0) return fail("fields[%u].keep: must be >= 0", i);
	return NULL;
}

static const char *check(void) {
	if (raw_count == 0 && by_schema)
		return fail("fields: schema-bound (protobuf) records need the Go mask (plugins/mask); the C mask reads JSON");
	if (raw_count == 0) return fail("fields: at least one field rule is required");
	if (format && *format && strcmp(format, "json")) {
		char q[160];
		if (!strcmp(format, "protobuf")) return fail("format: protobuf needs the Go mask (plugins/mask); the C mask reads JSON");
		return fail("format: want json or protobuf, got %s", quote(format, q, sizeof q));
	}
	for (uint32_t i = 0; i < raw_count; i++) {
		rule r = {0};
		const char *err = check_path(i, &raw[i]);
		if (!err) err = check_action(i, &raw[i], &r);
		if (err) return err;
		r.path = raw[i].path;
		if (i < MAX_RULES) rules[i] = r;
	}
	if (raw_count > MAX_RULES) return fail("fields: %u rules, at most %d in json format", raw_count, MAX_RULES);
	rule_count = raw_count;
	return NULL;
}

const char *parse_config(const uint8_t *config, uint32_t len) {
	if (len > 0) {
		weir_json j;
		wj_init(&j, config, len);
		if (!wj_check(&j) || !read_top(&j)) return fail("%s", j.msg);
	}
	const char *err = check();
	if (err) return err;
	if (hmac_key_len) hmac256_key(&mac, (const uint8_t *)hmac_key, hmac_key_len);
	const char *paths[MAX_RULES];
	for (uint32_t i = 0; i < rule_count; i++) paths[i] = rules[i].path;
	return weir_project(paths, rule_count);
}
