/* A guest for the C SDK's in-place rewrites (weir_set_value writes into the
 * output): each record's first byte picks what follows a rewrite. */
#include <string.h>

#include "../../weir.h"

static void set(weir_record *r, const char *s) { weir_set_value(r, (const uint8_t *)s, (uint32_t)strlen(s)); }

void weir_on_record(weir_record *r) {
	uint32_t n;
	const uint8_t *v = weir_value(r, &n);
	char c = n ? (char)v[0] : 0;
	uint8_t big[5000];
	if (c == 'N') return; /* kept: a 6-byte entry, to move the next record's place in the output */
	set(r, "first");
	set(r, "[second]");
	v = weir_value(r, &n);
	weir_set_value(r, v + 1, n - 2); /* its own bytes: "second" */
	switch (c) {
	case 'R': /* two ports and metadata, each EMIT with the value */
		weir_set_meta(r, "k", (const uint8_t *)"v", 1);
		weir_route(r, "a");
		weir_route(r, "b");
		break;
	case 'G': /* a value that grows the output past its first allocation */
		memset(big, 'g', sizeof big);
		weir_set_value(r, big, sizeof big);
		weir_route(r, "a");
		weir_route(r, "b");
		break;
	case 'F': weir_fail(r, "failed after a rewrite"); break;
	case 'D': weir_drop(r); break;
	case 'E': /* fan-out after a rewrite: the emits, not the rewrite */
		v = weir_value(r, &n);
		weir_emit(r, v, n, "a");
		weir_emit(r, (const uint8_t *)"x", 1, NULL);
		break;
	}
}
