/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Host-side crypto of the GM/T 0017 wire format (docs/watchdata-wire.md),
 * written independently of the virtual OS so that the tests check it rather
 * than repeat it. Plain functions (no Check): also used by the PC/SC smoke
 * client. All return 0 on success, -1 on failure.
 */
#ifndef UKEY_GM_TCRYPTO_H
#define UKEY_GM_TCRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

int tc_sm4_ecb(const uint8_t key[16], const uint8_t *in, size_t len,
	       uint8_t *out, int enc);
/* first 16 bytes of SHA-1(pin) */
void tc_pin_key(const char *pin, uint8_t key[16]);
/* 48-byte new-PIN block: SM4-ECB(key, len ‖ pin ‖ 00…) */
int tc_pin_block(const uint8_t key[16], const char *pin, uint8_t out[48]);
/* SM4-ECB(key, chal ‖ 80 00…) when pin, SM4-ECB(key, chal ‖ 00…) else */
int tc_cryptogram(const uint8_t key[16], const uint8_t chal[8], int pin,
		  uint8_t out[16]);
/* RSA public key from an SKF blob (268 bytes); NULL if malformed. */
EVP_PKEY *tc_blob_to_pkey(const uint8_t *blob);
/* PKCS#1 v1.5 block (SHA-256 DigestInfo) of msg for a k-byte modulus. */
int tc_pkcs1_block(const uint8_t *msg, size_t len, uint8_t *block, size_t k);
/* 1 if sig is a valid RSA PKCS#1 v1.5 SHA-256 signature of msg. */
int tc_verify_sig(EVP_PKEY *pub, const uint8_t *msg, size_t len,
		  const uint8_t *sig, size_t siglen);

#endif
