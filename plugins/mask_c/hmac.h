/* SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), for the C mask. */
#ifndef MASK_HMAC_H
#define MASK_HMAC_H

#include <stdint.h>

typedef struct {
	uint32_t h[8];
	uint64_t len; /* bytes absorbed */
	uint8_t block[64];
	uint32_t fill; /* bytes in block */
} sha256;

void sha256_init(sha256 *s);
void sha256_write(sha256 *s, const uint8_t *p, uint32_t n);
void sha256_sum(sha256 *s, uint8_t out[32]);

/* HMAC-SHA256 keyed once: the states after the key's inner and outer pads,
 * copied per message so a message costs only its own blocks. */
typedef struct {
	sha256 inner, outer;
} hmac256;

void hmac256_key(hmac256 *h, const uint8_t *key, uint32_t n);
void hmac256_sum(const hmac256 *h, const uint8_t *msg, uint32_t n, uint8_t out[32]);

#endif
