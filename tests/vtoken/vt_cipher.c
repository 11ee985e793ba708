/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Block-cipher helpers of the Feitian card OSes (see vt_cipher.h). */
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/provider.h>

#include "vt_cipher.h"

OSSL_LIB_CTX *vt_libctx(void)
{
	static OSSL_LIB_CTX *ctx;
	if (!ctx) {
		OSSL_LIB_CTX *n = OSSL_LIB_CTX_new();
		if (!n)
			return NULL;
		if (!OSSL_PROVIDER_load(n, "legacy") ||
		    !OSSL_PROVIDER_load(n, "default")) {
			OSSL_LIB_CTX_free(n);
			return NULL;
		}
		ctx = n;
	}
	return ctx;
}

int vt_ecb(const char *alg, const uint8_t *key, int enc, const uint8_t *in,
	   size_t len, uint8_t *out)
{
	OSSL_LIB_CTX *lc = vt_libctx();
	if (!lc || len % 8 || len > INT32_MAX)
		return -1;
	EVP_CIPHER *ci = EVP_CIPHER_fetch(lc, alg, NULL);
	EVP_CIPHER_CTX *cx = EVP_CIPHER_CTX_new();
	int ok = 0, l1 = 0, l2 = 0;
	if (ci && cx && EVP_CipherInit_ex2(cx, ci, key, NULL, enc, NULL) &&
	    EVP_CIPHER_CTX_set_padding(cx, 0) &&
	    EVP_CipherUpdate(cx, out, &l1, in, (int)len) &&
	    EVP_CipherFinal_ex(cx, out + l1, &l2) && (size_t)(l1 + l2) == len)
		ok = 1;
	EVP_CIPHER_CTX_free(cx);
	EVP_CIPHER_free(ci);
	return ok ? 0 : -1;
}

int vt_cbc_mac(const char *alg, size_t bs, const uint8_t *key,
	       const uint8_t *icv, const uint8_t *msg, size_t len, uint8_t *out)
{
	uint8_t h[16], t[16];
	if ((bs != 8 && bs != 16) || len == 0 || len % bs)
		return -1;
	memcpy(h, icv, bs);
	int rc = 0;
	for (size_t o = 0; o < len && !rc; o += bs) {
		for (size_t i = 0; i < bs; i++)
			t[i] = h[i] ^ msg[o + i];
		rc = vt_ecb(alg, key, 1, t, bs, h);
	}
	if (!rc)
		memcpy(out, h, bs);
	vt_wipe(h, sizeof h);
	vt_wipe(t, sizeof t);
	return rc;
}

int vt_des_mac(const uint8_t *key, size_t keylen, const uint8_t icv[8],
	       const uint8_t *msg, size_t len, uint8_t out[8])
{
	uint8_t h[8], t[8];
	if (keylen != 8 && keylen != 16)
		return -1;
	int rc = vt_cbc_mac("DES-ECB", 8, key, icv, msg, len, h);
	/* algorithm 3's final block: decrypt with K2, encrypt with K1 */
	if (!rc && keylen == 16)
		rc = vt_ecb("DES-ECB", key + 8, 0, h, 8, t) ||
		     vt_ecb("DES-ECB", key, 1, t, 8, h);
	if (!rc)
		memcpy(out, h, 8);
	vt_wipe(h, sizeof h);
	vt_wipe(t, sizeof t);
	return rc ? -1 : 0;
}
