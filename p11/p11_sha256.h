/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Streaming SHA-256 whose chaining state is visible (p11_sha256.c), for
 * signatures whose hash a card finishes (ukey_driver.sign_sha256_state):
 * the host compresses the full 64-byte blocks as the data comes and keeps
 * only the state and the < 64 bytes after the last full block. EVP does
 * not expose that state, and OpenSSL's SHA256_* are deprecated; this is a
 * plain FIPS 180-4 implementation, checked against OpenSSL in
 * tests/unit/p11 (p11_sha256). Nothing here touches a card or a session.
 */
#ifndef UKEY_P11_SHA256_H
#define UKEY_P11_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
	uint32_t h[8];      /* the state after `blocks` full blocks */
	uint64_t blocks;    /* full 64-byte blocks compressed into h */
	uint8_t tail[64];   /* the bytes after them */
	size_t tail_len;    /* always < 64 */
} p11_sha256;

void p11_sha256_init(p11_sha256 *c);
/* Any amount of data; d may be NULL when len is 0. */
void p11_sha256_update(p11_sha256 *c, const uint8_t *d, size_t len);
/* The state after c->blocks full blocks: H0..H7, each big-endian. */
void p11_sha256_state(const p11_sha256 *c, uint8_t state[32]);
/* The digest of everything fed; c is left as it is. */
void p11_sha256_final(const p11_sha256 *c, uint8_t digest[32]);

#endif /* UKEY_P11_SHA256_H */
