/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DES/3DES and SM4 primitives for secure messaging. Single DES lives in
 * OpenSSL 3's legacy provider; we load it (and "default" for 3DES and SM4,
 * GB/T 32907) into a private OSSL_LIB_CTX so the application's own provider
 * configuration is never changed.
 */
#include <limits.h>
#include <pthread.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/provider.h>

#include "apdu.h"

static pthread_mutex_t sm_lock = PTHREAD_MUTEX_INITIALIZER;
static OSSL_LIB_CTX *sm_ctx;
static OSSL_PROVIDER *sm_legacy, *sm_default;

/* Upper bound for MAC input: far above any APDU, keeps int casts safe. */
#define SM_MAX_DATA (1u << 20)

static void sm_release_locked(void)
{
	if (sm_legacy != NULL)
		OSSL_PROVIDER_unload(sm_legacy);
	if (sm_default != NULL)
		OSSL_PROVIDER_unload(sm_default);
	if (sm_ctx != NULL)
		OSSL_LIB_CTX_free(sm_ctx);
	sm_legacy = sm_default = NULL;
	sm_ctx = NULL;
}

/* Fetch a cipher from the private context (created on first use). The
 * caller frees the returned reference. */
static EVP_CIPHER *sm_fetch(const char *name)
{
	EVP_CIPHER *c = NULL;
	pthread_mutex_lock(&sm_lock);
	if (sm_ctx == NULL) {
		sm_ctx = OSSL_LIB_CTX_new();
		if (sm_ctx != NULL) {
			sm_default = OSSL_PROVIDER_load(sm_ctx, "default");
			sm_legacy = OSSL_PROVIDER_load(sm_ctx, "legacy");
		}
		if (sm_ctx == NULL || sm_default == NULL || sm_legacy == NULL)
			sm_release_locked();
	}
	if (sm_ctx != NULL)
		c = EVP_CIPHER_fetch(sm_ctx, name, NULL);
	pthread_mutex_unlock(&sm_lock);
	return c;
}

void ukey_sm_cleanup(void)
{
	pthread_mutex_lock(&sm_lock);
	sm_release_locked();
	pthread_mutex_unlock(&sm_lock);
}

/* One-shot encrypt/decrypt without padding. */
static ukey_rv sm_crypt_blk(const char *cipher, size_t blk, const uint8_t *key,
			    size_t keylen, const uint8_t *iv, int enc,
			    const uint8_t *in, size_t len, uint8_t *out)
{
	if (len == 0 || len % blk != 0 || len > SM_MAX_DATA)
		return UKEY_E_ARGS;
	EVP_CIPHER *c = sm_fetch(cipher);
	if (c == NULL)
		return UKEY_E_CRYPTO;
	ukey_rv rv = UKEY_E_CRYPTO;
	EVP_CIPHER_CTX *cx = EVP_CIPHER_CTX_new();
	int outl = 0, finl = 0;
	if (cx == NULL)
		goto done;
	if ((size_t)EVP_CIPHER_get_key_length(c) != keylen)
		goto done;
	if (EVP_CipherInit_ex2(cx, c, key, iv, enc, NULL) != 1)
		goto done;
	if (EVP_CIPHER_CTX_set_padding(cx, 0) != 1)
		goto done;
	if (EVP_CipherUpdate(cx, out, &outl, in, (int)len) != 1)
		goto done;
	if (EVP_CipherFinal_ex(cx, out + outl, &finl) != 1)
		goto done;
	if ((size_t)outl + (size_t)finl != len)
		goto done;
	rv = UKEY_OK;
done:
	EVP_CIPHER_CTX_free(cx); /* cleanses the key schedule */
	EVP_CIPHER_free(c);
	return rv;
}

static ukey_rv sm_crypt(const char *cipher, const uint8_t *key, size_t keylen,
			const uint8_t *iv, int enc, const uint8_t *in,
			size_t len, uint8_t *out)
{
	return sm_crypt_blk(cipher, 8, key, keylen, iv, enc, in, len, out);
}

/* CBC-encrypt data and return the last ciphertext block. */
static ukey_rv cbc_last_block(const char *cipher, const uint8_t *key,
			      size_t keylen, const uint8_t iv[8],
			      const uint8_t *data, size_t len, uint8_t last[8])
{
	uint8_t *tmp = OPENSSL_malloc(len ? len : 1);
	if (tmp == NULL)
		return UKEY_E_NOMEM;
	ukey_rv rv = sm_crypt(cipher, key, keylen, iv, 1, data, len, tmp);
	if (rv == UKEY_OK)
		memcpy(last, tmp + len - 8, 8);
	OPENSSL_clear_free(tmp, len ? len : 1);
	return rv;
}

ukey_rv ukey_sm_cbc_mac(const uint8_t *key, size_t keylen, const uint8_t iv[8],
			const uint8_t *data, size_t len, uint8_t mac[8])
{
	if (key == NULL || iv == NULL || data == NULL || mac == NULL)
		return UKEY_E_ARGS;
	const char *name = keylen == 8 ? "DES-CBC"
			   : keylen == 16 ? "DES-EDE-CBC"
			   : keylen == 24 ? "DES-EDE3-CBC" : NULL;
	if (name == NULL)
		return UKEY_E_ARGS;
	return cbc_last_block(name, key, keylen, iv, data, len, mac);
}

ukey_rv ukey_sm_retail_mac(const uint8_t key[16], const uint8_t iv[8],
			   const uint8_t *data, size_t len, uint8_t mac[8])
{
	if (key == NULL || iv == NULL || data == NULL || mac == NULL)
		return UKEY_E_ARGS;
	if (len == 0 || len % 8 != 0 || len > SM_MAX_DATA)
		return UKEY_E_ARGS;
	uint8_t chain[8];
	ukey_rv rv = UKEY_OK;
	memcpy(chain, iv, 8);
	/* Blocks 1..q-1: single DES CBC with K1. */
	if (len > 8)
		rv = cbc_last_block("DES-CBC", key, 8, iv, data, len - 8, chain);
	/* Block q: 2-key 3DES-EDE (K1,K2,K1) chained from the previous block,
	 * i.e. E_K1(D_K2(E_K1(x ^ chain))) = the algorithm 3 output
	 * transformation applied to the final single-DES block. */
	if (rv == UKEY_OK)
		rv = cbc_last_block("DES-EDE-CBC", key, 16, chain,
				    data + len - 8, 8, mac);
	ukey_memzero(chain, sizeof(chain));
	return rv;
}

ukey_rv ukey_sm_3des_ecb(const uint8_t *key, size_t keylen, int enc,
			 const uint8_t *in, size_t len, uint8_t *out)
{
	if (key == NULL || in == NULL || out == NULL)
		return UKEY_E_ARGS;
	const char *name = keylen == 16 ? "DES-EDE-ECB"
			   : keylen == 24 ? "DES-EDE3-ECB" : NULL;
	if (name == NULL)
		return UKEY_E_ARGS;
	return sm_crypt(name, key, keylen, NULL, enc ? 1 : 0, in, len, out);
}

size_t ukey_sm_pad80(const uint8_t *in, size_t len, uint8_t *out, size_t outsz)
{
	if (out == NULL || (in == NULL && len > 0) || len > SIZE_MAX - 8)
		return 0;
	size_t padded = (len / 8 + 1) * 8;
	if (padded > outsz)
		return 0;
	if (len > 0 && in != out)
		memmove(out, in, len);
	out[len] = 0x80;
	memset(out + len + 1, 0, padded - len - 1);
	return padded;
}

ukey_rv ukey_sm4_ecb(const uint8_t key[16], int enc, const uint8_t *in,
		     size_t len, uint8_t *out)
{
	if (key == NULL || in == NULL || out == NULL)
		return UKEY_E_ARGS;
	return sm_crypt_blk("SM4-ECB", 16, key, 16, NULL, enc ? 1 : 0, in, len,
			    out);
}

ukey_rv ukey_sm4_cbc(const uint8_t key[16], const uint8_t iv[16], int enc,
		     const uint8_t *in, size_t len, uint8_t *out)
{
	if (key == NULL || iv == NULL || in == NULL || out == NULL)
		return UKEY_E_ARGS;
	return sm_crypt_blk("SM4-CBC", 16, key, 16, iv, enc ? 1 : 0, in, len,
			    out);
}
