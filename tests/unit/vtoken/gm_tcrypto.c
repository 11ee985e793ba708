/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Host-side crypto of the GM/T 0017 wire format (see gm_tcrypto.h). */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/sha.h>

#include "gm_tcrypto.h"

int tc_sm4_ecb(const uint8_t key[16], const uint8_t *in, size_t len,
	       uint8_t *out, int enc)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n1 = 0, n2 = 0;
	int ok = ctx && len % 16 == 0 && len <= 4096 &&
		 EVP_CipherInit_ex(ctx, EVP_sm4_ecb(), NULL, key, NULL, enc) == 1 &&
		 EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
		 EVP_CipherUpdate(ctx, out, &n1, in, (int)len) == 1 &&
		 EVP_CipherFinal_ex(ctx, out + n1, &n2) == 1 &&
		 (size_t)(n1 + n2) == len;
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -1;
}

void tc_pin_key(const char *pin, uint8_t key[16])
{
	uint8_t md[SHA_DIGEST_LENGTH];
	SHA1((const uint8_t *)pin, strlen(pin), md);
	memcpy(key, md, 16);
}

int tc_pin_block(const uint8_t key[16], const char *pin, uint8_t out[48])
{
	uint8_t plain[48] = {0};
	size_t n = strlen(pin);
	if (n > 47)
		return -1;
	plain[0] = (uint8_t)n;
	memcpy(plain + 1, pin, n);
	return tc_sm4_ecb(key, plain, 48, out, 1);
}

int tc_cryptogram(const uint8_t key[16], const uint8_t chal[8], int pin,
		  uint8_t out[16])
{
	uint8_t blk[16] = {0};
	memcpy(blk, chal, 8);
	if (pin)
		blk[8] = 0x80;
	return tc_sm4_ecb(key, blk, 16, out, 1);
}

EVP_PKEY *tc_blob_to_pkey(const uint8_t *blob)
{
	uint32_t alg = (uint32_t)blob[0] << 24 | (uint32_t)blob[1] << 16 |
		       (uint32_t)blob[2] << 8 | blob[3];
	uint32_t bits = (uint32_t)blob[4] << 24 | (uint32_t)blob[5] << 16 |
			(uint32_t)blob[6] << 8 | blob[7];
	if (alg != 0x00010000u || (bits != 1024 && bits != 2048))
		return NULL;
	EVP_PKEY *pk = NULL;
	BIGNUM *n = BN_bin2bn(blob + 8 + 256 - bits / 8, (int)(bits / 8), NULL);
	BIGNUM *e = BN_bin2bn(blob + 8 + 256, 4, NULL);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (n && e && bld && ctx &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) &&
	    (params = OSSL_PARAM_BLD_to_param(bld)) != NULL &&
	    EVP_PKEY_fromdata_init(ctx) == 1 &&
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) == 1 &&
	    EVP_PKEY_get_bits(pk) != (int)bits) {
		EVP_PKEY_free(pk);
		pk = NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return pk;
}

int tc_pkcs1_block(const uint8_t *msg, size_t len, uint8_t *block, size_t k)
{
	static const uint8_t prefix[19] = {
		0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
		0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
	size_t t = sizeof(prefix) + 32;
	if (k < t + 11)
		return -1;
	memset(block, 0xFF, k);
	block[0] = 0x00;
	block[1] = 0x01;
	block[k - t - 1] = 0x00;
	memcpy(block + k - t, prefix, sizeof(prefix));
	SHA256(msg, len, block + k - 32);
	return 0;
}

int tc_verify_sig(EVP_PKEY *pub, const uint8_t *msg, size_t len,
		  const uint8_t *sig, size_t siglen)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pub) == 1 &&
		 EVP_DigestVerify(md, sig, siglen, msg, len) == 1;
	EVP_MD_CTX_free(md);
	return ok;
}
