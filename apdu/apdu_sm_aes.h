/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * apdu/apdu_sm_aes.h — more secure-messaging primitives, beside the DES/SM4
 * ones of apdu.h: AES-128 (ECB, CBC, CMAC as in NIST SP 800-38B / RFC 4493)
 * and two-key 3DES in CBC mode. Cards using GlobalPlatform SCP01/SCP03-style
 * SM (Feitian ePass2003) need them. (The SHA-256 midstate a card finishes
 * with PSO HASH is the host's: p11/p11_sha256.c.)
 *
 * AES and 3DES are taken from OpenSSL 3's default provider through the
 * default library context (fetched per call, no global state is kept);
 * nothing here loads or configures providers.
 */
#ifndef UKEY_APDU_SM_AES_H
#define UKEY_APDU_SM_AES_H

#include <stddef.h>
#include <stdint.h>

#include "apdu.h"

#ifdef __cplusplus
extern "C" {
#endif

/* AES-128 ECB, no padding: len a non-zero multiple of 16; in-place allowed.
 * enc = 1 encrypt, 0 decrypt. */
ukey_rv ukey_aes128_ecb(const uint8_t key[16], int enc, const uint8_t *in,
			size_t len, uint8_t *out);
/* AES-128 CBC, no padding: len a non-zero multiple of 16; in-place allowed. */
ukey_rv ukey_aes128_cbc(const uint8_t key[16], const uint8_t iv[16], int enc,
			const uint8_t *in, size_t len, uint8_t *out);
/* AES-128 CMAC (RFC 4493) of len bytes (len may be 0): the full 16-byte tag. */
ukey_rv ukey_aes128_cmac(const uint8_t key[16], const uint8_t *data,
			 size_t len, uint8_t mac[16]);
/* Two-key 3DES (K1,K2,K1; key = 16 bytes) CBC, no padding: len a non-zero
 * multiple of 8; in-place allowed. */
ukey_rv ukey_3des2_cbc(const uint8_t key[16], const uint8_t iv[8], int enc,
		       const uint8_t *in, size_t len, uint8_t *out);

#ifdef __cplusplus
}
#endif
#endif /* UKEY_APDU_SM_AES_H */
