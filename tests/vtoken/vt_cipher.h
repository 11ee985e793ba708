/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Block-cipher helpers shared by the Feitian card OSes (FTCOS and ePass2003
 * emulations): ECB through OpenSSL and the CBC-MACs their secure messaging
 * and administration commands are built on. Independent of apdu/ and
 * drivers/ (independence rule, see vtoken.h). */
#ifndef VT_CIPHER_H
#define VT_CIPHER_H

#include "vtoken.h"

struct ossl_lib_ctx_st;

/* The private OpenSSL library context the virtual tokens fetch ciphers
 * from: "legacy" (single DES) and "default" providers loaded, so the
 * process's default context is not touched. Created on first use; NULL if
 * a provider cannot be loaded. */
struct ossl_lib_ctx_st *vt_libctx(void);

/* ECB over whole 8-byte multiples (len % 8 == 0) without padding, with a
 * cipher of vt_libctx(): alg "DES-ECB" (8-byte key), "DES-EDE-ECB" (16),
 * "DES-EDE3-ECB" (24) or "AES-128-ECB" (16, len a multiple of 16).
 * enc 1 encrypts, 0 decrypts. 0 ok, -1 on error. */
int vt_ecb(const char *alg, const uint8_t *key, int enc, const uint8_t *in,
	   size_t len, uint8_t *out);

/* CBC-MAC: the last CBC block of msg (len a non-zero multiple of the block
 * size bs, 8 or 16, no padding added) under alg's ECB with key, the chain
 * starting at icv (bs bytes). out gets bs bytes. 0 ok, -1 on error. */
int vt_cbc_mac(const char *alg, size_t bs, const uint8_t *key,
	       const uint8_t *icv, const uint8_t *msg, size_t len, uint8_t *out);

/* ISO 9797-1 DES MACs over an already padded msg (len a non-zero multiple
 * of 8), chain starting at icv: keylen 8 = algorithm 1 (single-DES
 * CBC-MAC), keylen 16 = algorithm 3 (retail MAC: single-DES CBC-MAC under
 * K1, then the last block decrypted with K2 and encrypted with K1).
 * out gets 8 bytes. 0 ok, -1 on error. */
int vt_des_mac(const uint8_t *key, size_t keylen, const uint8_t icv[8],
	       const uint8_t *msg, size_t len, uint8_t out[8]);

#endif
