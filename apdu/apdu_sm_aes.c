/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * AES-128 ECB/CBC/CMAC and two-key 3DES CBC (apdu_sm_aes.h), from OpenSSL 3
 * (default library context, fetched per call).
 */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "apdu_sm_aes.h"

/* Far above any APDU; keeps the int casts OpenSSL wants safe. */
#define AES_MAX_DATA (1u << 20)

static ukey_rv crypt_blocks(const EVP_CIPHER *c, size_t blk, const uint8_t *key,
			    const uint8_t *iv, int enc, const uint8_t *in,
			    size_t len, uint8_t *out)
{
	EVP_CIPHER_CTX *cx;
	int outl = 0, finl = 0;
	ukey_rv rv = UKEY_E_CRYPTO;

	if (!key || !in || !out || len == 0 || len % blk || len > AES_MAX_DATA)
		return UKEY_E_ARGS;
	if (!c)
		return UKEY_E_CRYPTO;
	cx = EVP_CIPHER_CTX_new();
	if (!cx)
		return UKEY_E_NOMEM;
	if (EVP_CipherInit_ex2(cx, c, key, iv, enc ? 1 : 0, NULL) == 1 &&
	    EVP_CIPHER_CTX_set_padding(cx, 0) == 1 &&
	    EVP_CipherUpdate(cx, out, &outl, in, (int)len) == 1 &&
	    EVP_CipherFinal_ex(cx, out + outl, &finl) == 1 &&
	    (size_t)outl + (size_t)finl == len)
		rv = UKEY_OK;
	EVP_CIPHER_CTX_free(cx); /* cleanses the key schedule */
	return rv;
}

ukey_rv ukey_aes128_ecb(const uint8_t key[16], int enc, const uint8_t *in,
			size_t len, uint8_t *out)
{
	return crypt_blocks(EVP_aes_128_ecb(), 16, key, NULL, enc, in, len, out);
}

ukey_rv ukey_aes128_cbc(const uint8_t key[16], const uint8_t iv[16], int enc,
			const uint8_t *in, size_t len, uint8_t *out)
{
	if (!iv)
		return UKEY_E_ARGS;
	return crypt_blocks(EVP_aes_128_cbc(), 16, key, iv, enc, in, len, out);
}

ukey_rv ukey_3des2_cbc(const uint8_t key[16], const uint8_t iv[8], int enc,
		       const uint8_t *in, size_t len, uint8_t *out)
{
	if (!iv)
		return UKEY_E_ARGS;
	return crypt_blocks(EVP_des_ede_cbc(), 8, key, iv, enc, in, len, out);
}

ukey_rv ukey_aes128_cmac(const uint8_t key[16], const uint8_t *data,
			 size_t len, uint8_t mac[16])
{
	EVP_MAC *m;
	EVP_MAC_CTX *mc = NULL;
	OSSL_PARAM params[2];
	size_t outl = 0;
	ukey_rv rv = UKEY_E_CRYPTO;

	if (!key || !mac || (!data && len) || len > AES_MAX_DATA)
		return UKEY_E_ARGS;
	m = EVP_MAC_fetch(NULL, "CMAC", NULL);
	if (!m)
		return UKEY_E_CRYPTO;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER,
						     (char *)"AES-128-CBC", 0);
	params[1] = OSSL_PARAM_construct_end();
	mc = EVP_MAC_CTX_new(m);
	if (mc && EVP_MAC_init(mc, key, 16, params) == 1 &&
	    (len == 0 || EVP_MAC_update(mc, data, len) == 1) &&
	    EVP_MAC_final(mc, mac, &outl, 16) == 1 && outl == 16)
		rv = UKEY_OK;
	EVP_MAC_CTX_free(mc);
	EVP_MAC_free(m);
	return rv;
}
