/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GM/T 0017 virtual OS: SM4 cryptograms, PIN blocks, RSA key blobs. */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "vt_os_gmt0017.h"

int gm_sm4_ecb(const uint8_t key[16], const uint8_t *in, size_t len,
	       uint8_t *out, int enc)
{
	if (len == 0 || len % 16 || len > 1024)
		return -1;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int ok = 0, n1 = 0, n2 = 0;
	if (ctx && EVP_CipherInit_ex(ctx, EVP_sm4_ecb(), NULL, key, NULL, enc) &&
	    EVP_CIPHER_CTX_set_padding(ctx, 0) &&
	    EVP_CipherUpdate(ctx, out, &n1, in, (int)len) &&
	    EVP_CipherFinal_ex(ctx, out + n1, &n2) && (size_t)(n1 + n2) == len)
		ok = 1;
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -1;
}

void gm_pin_key(const uint8_t *pin, size_t len, uint8_t key[16])
{
	uint8_t md[SHA_DIGEST_LENGTH];
	SHA1(pin, len, md);
	memcpy(key, md, 16);
	OPENSSL_cleanse(md, sizeof(md));
}

int gm_pin_cryptogram(const uint8_t key[16], const uint8_t chal[8],
		      uint8_t out[16])
{
	uint8_t blk[16] = {0};
	memcpy(blk, chal, 8);
	blk[8] = 0x80; /* ISO 7816-4 padding */
	return gm_sm4_ecb(key, blk, 16, out, 1);
}

int gm_dev_cryptogram(const uint8_t key[16], const uint8_t chal[8],
		      uint8_t out[16])
{
	uint8_t blk[16] = {0};
	memcpy(blk, chal, 8);
	return gm_sm4_ecb(key, blk, 16, out, 1);
}

int gm_pin_block_seal(const uint8_t key[16], const uint8_t *pin, size_t len,
		      uint8_t blk[GM_PIN_BLOCK])
{
	uint8_t plain[GM_PIN_BLOCK] = {0};
	if (len < GM_PIN_MIN || len > GM_PIN_MAX)
		return -1;
	plain[0] = (uint8_t)len;
	memcpy(plain + 1, pin, len);
	int rc = gm_sm4_ecb(key, plain, sizeof(plain), blk, 1);
	OPENSSL_cleanse(plain, sizeof(plain));
	return rc;
}

int gm_pin_block_open(const uint8_t key[16], const uint8_t *blk,
		      uint8_t pin[GM_PIN_MAX], size_t *len)
{
	uint8_t plain[GM_PIN_BLOCK];
	int rc = -1;
	if (gm_sm4_ecb(key, blk, GM_PIN_BLOCK, plain, 0) != 0)
		goto out;
	size_t n = plain[0];
	if (n < GM_PIN_MIN || n > GM_PIN_MAX)
		goto out;
	uint8_t pad = 0;
	for (size_t i = 1 + n; i < GM_PIN_BLOCK; i++)
		pad |= plain[i];
	if (pad)
		goto out;
	memcpy(pin, plain + 1, n);
	*len = n;
	rc = 0;
out:
	OPENSSL_cleanse(plain, sizeof(plain));
	return rc;
}

unsigned gm_check_counter(uint8_t *left, uint8_t max, const uint8_t expect[16],
			  const uint8_t *got, int *dirty)
{
	if (*left == 0)
		return GM_SW_BLOCKED;
	/* Count the attempt first: a card torn during the comparison must
	 * not have given a free try. */
	(*left)--;
	*dirty = 1;
	if (vt_ct_memcmp(expect, got, 16) == 0) {
		*left = max;
		return GM_SW_OK;
	}
	return 0x63C0u | *left;
}

int gm_rsa_bits(EVP_PKEY *k) { return k ? EVP_PKEY_get_bits(k) : 0; }

int gm_rsa_pubblob(EVP_PKEY *k, uint8_t out[GM_PUBBLOB_LEN])
{
	BIGNUM *n = NULL, *e = NULL;
	int rc = -1, bits = gm_rsa_bits(k);
	memset(out, 0, GM_PUBBLOB_LEN);
	if (bits != 1024 && bits != 2048)
		return -1;
	if (!EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n) ||
	    !EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &e))
		goto out;
	if (BN_num_bytes(e) > 4)
		goto out;
	gm_put32(out, GM_SGD_RSA);
	gm_put32(out + 4, (uint32_t)bits);
	/* modulus right-aligned in the 256-byte field (1024-bit keys too) */
	if (BN_bn2binpad(n, out + 8, 256) != 256 ||
	    BN_bn2binpad(e, out + 8 + 256, 4) != 4)
		goto out;
	rc = 0;
out:
	BN_free(n);
	BN_free(e);
	return rc;
}

EVP_PKEY *gm_rsa_from_der(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	if (len == 0 || len > GM_KEYDER_MAX)
		return NULL;
	EVP_PKEY *k = d2i_PrivateKey(EVP_PKEY_RSA, NULL, &p, (long)len);
	if (!k)
		return NULL;
	int bits = EVP_PKEY_get_bits(k);
	BIGNUM *e = NULL;
	int ok = p == der + len && (bits == 1024 || bits == 2048) &&
		 EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &e) &&
		 BN_num_bytes(e) <= 4;
	BN_free(e);
	if (!ok) {
		EVP_PKEY_free(k);
		return NULL;
	}
	return k;
}
