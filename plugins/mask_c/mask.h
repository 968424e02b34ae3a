/* The C mask's rules, as its config declares them (config.c). */
#ifndef MASK_H
#define MASK_H

#include <stdint.h>

#include "hmac.h"

enum { REDACT = 1, LAST, EMAIL, HMAC };

/* The most rules a config may hold: the most paths one projection declares. */
#define MAX_RULES 64

typedef struct {
	const char *path; /* NUL-terminated, as the config spells it */
	int action;
	int64_t keep;     /* last: characters kept (default 4) */
	const char *with; /* replacement or prefix (default "***", hmac "") */
	uint32_t with_len;
} rule;

extern rule rules[];
extern uint32_t rule_count;
extern hmac256 mac; /* keyed with hmac_key when a rule uses hmac */

/* Parses and checks the config; returns NULL or the error for weir_on_init. */
const char *parse_config(const uint8_t *config, uint32_t len);

#endif
