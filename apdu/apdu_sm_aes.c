/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * AES-128 ECB/CBC/CMAC, two-key 3DES CBC and SHA-256 intermediate states
 * (apdu_sm_aes.h). The ciphers and the MAC come from OpenSSL 3 (default
 * library context, fetched per call); the SHA-256 compression function is
 * written out from FIPS 180-4 because OpenSSL 3 offers no intermediate
 * state through EVP.
 */
#include <string.h>

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

/* ------------------------------------------------------------- SHA-256 */

static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
};

static const uint32_t sha256_h0[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
};

static uint32_t rotr(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

static void sha256_block(uint32_t h[8], const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, k, t1, t2;
	unsigned i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (i = 16; i < 64; i++) {
		uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);

		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = h[0]; b = h[1]; c = h[2]; d = h[3];
	e = h[4]; f = h[5]; g = h[6]; k = h[7];
	for (i = 0; i < 64; i++) {
		t1 = k + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) +
		     ((e & f) ^ (~e & g)) + sha256_k[i] + w[i];
		t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) +
		     ((a & b) ^ (a & c) ^ (b & c));
		k = g; g = f; f = e; e = d + t1;
		d = c; c = b; b = a; a = t1 + t2;
	}
	h[0] += a; h[1] += b; h[2] += c; h[3] += d;
	h[4] += e; h[5] += f; h[6] += g; h[7] += k;
	memset(w, 0, sizeof(w));
}

static void put_state(const uint32_t h[8], uint8_t out[32])
{
	for (unsigned i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(h[i] >> 8);
		out[4 * i + 3] = (uint8_t)h[i];
	}
}

ukey_rv ukey_sha256_midstate(const uint8_t *data, size_t nblocks,
			     uint8_t state[32])
{
	uint32_t h[8];

	if (!state || (!data && nblocks))
		return UKEY_E_ARGS;
	memcpy(h, sha256_h0, sizeof(h));
	for (size_t i = 0; i < nblocks; i++)
		sha256_block(h, data + 64 * i);
	put_state(h, state);
	ukey_memzero(h, sizeof(h));
	return UKEY_OK;
}

ukey_rv ukey_sha256_finish(const uint8_t state[32], uint64_t nblocks,
			   const uint8_t *tail, size_t tail_len,
			   uint8_t digest[32])
{
	uint32_t h[8];
	uint8_t last[128];
	uint64_t bits;
	size_t n;

	if (!state || !digest || tail_len >= 64 || (!tail && tail_len) ||
	    nblocks > (UINT64_MAX >> 9) - 1)
		return UKEY_E_ARGS;
	for (unsigned i = 0; i < 8; i++)
		h[i] = (uint32_t)state[4 * i] << 24 | (uint32_t)state[4 * i + 1] << 16 |
		       (uint32_t)state[4 * i + 2] << 8 | state[4 * i + 3];
	bits = (nblocks * 64 + tail_len) * 8;
	memset(last, 0, sizeof(last));
	if (tail_len)
		memcpy(last, tail, tail_len);
	last[tail_len] = 0x80;
	n = tail_len + 1 + 8 <= 64 ? 64 : 128;
	for (unsigned i = 0; i < 8; i++)
		last[n - 1 - i] = (uint8_t)(bits >> (8 * i));
	sha256_block(h, last);
	if (n == 128)
		sha256_block(h, last + 64);
	put_state(h, digest);
	ukey_memzero(h, sizeof(h));
	ukey_memzero(last, sizeof(last));
	return UKEY_OK;
}
