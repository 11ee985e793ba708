/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ePass2003 emulation: block ciphers, the three MAC flavours of its secure
 * messaging, SHA-256 from a midstate (PSO HASH), the PIN key and raw RSA.
 *
 * Ciphers come from OpenSSL through vt_cipher.[ch] (single DES from the
 * legacy provider, loaded into a private library context so the process's
 * default context is not touched; the CBC-MAC and retail MAC are shared
 * with FTCOS there); CBC, CMAC and SHA-256's compression are written out
 * here so the unit tests can check them against OpenSSL's own.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "vt_cipher.h"
#include "vt_os_epass2003.h"

int vte_ecb(const char *alg, const uint8_t *key, int enc, const uint8_t *in,
	    size_t len, uint8_t *out)
{
	return vt_ecb(alg, key, enc, in, len, out);
}

int vte_cbc(const char *alg, size_t bs, const uint8_t *key, const uint8_t *iv,
	    int enc, const uint8_t *in, size_t len, uint8_t *out)
{
	uint8_t chain[16] = { 0 }, blk[16], prev[16];
	if ((bs != 8 && bs != 16) || len % bs)
		return -1;
	if (iv)
		memcpy(chain, iv, bs);
	for (size_t o = 0; o < len; o += bs) {
		if (enc) {
			for (size_t i = 0; i < bs; i++)
				blk[i] = in[o + i] ^ chain[i];
			if (vte_ecb(alg, key, 1, blk, bs, out + o))
				return -1;
			memcpy(chain, out + o, bs);
		} else {
			memcpy(prev, in + o, bs);
			if (vte_ecb(alg, key, 0, prev, bs, blk))
				return -1;
			for (size_t i = 0; i < bs; i++)
				out[o + i] = blk[i] ^ chain[i];
			memcpy(chain, prev, bs);
		}
	}
	vt_wipe(blk, sizeof blk);
	return 0;
}

int vte_mac_des(const uint8_t key[16], const uint8_t icv[8], const uint8_t *msg,
		size_t len, uint8_t out[8])
{
	return vt_des_mac(key, 16, icv, msg, len, out);
}

int vte_mac_aes(const uint8_t key[16], const uint8_t icv[16],
		const uint8_t *msg, size_t len, uint8_t out[16])
{
	return vt_cbc_mac("AES-128-ECB", 16, key, icv, msg, len, out);
}

/* GF(2^128) doubling of RFC 4493 (subkey generation). */
static void dbl(const uint8_t in[16], uint8_t out[16])
{
	uint8_t carry = in[0] >> 7;
	for (int i = 0; i < 15; i++)
		out[i] = (uint8_t)(in[i] << 1 | in[i + 1] >> 7);
	out[15] = (uint8_t)(in[15] << 1);
	if (carry)
		out[15] ^= 0x87;
}

int vte_cmac(const uint8_t key[16], const uint8_t *iv, const uint8_t *msg,
	     size_t len, uint8_t out[16])
{
	static const uint8_t zero[16];
	uint8_t l[16], k1[16], k2[16], h[16] = { 0 }, t[16], last[16];
	if (vte_ecb("AES-128-ECB", key, 1, zero, 16, l))
		return -1;
	dbl(l, k1);
	dbl(k1, k2);
	if (iv)
		memcpy(h, iv, 16);
	size_t nblk = len ? (len + 15) / 16 : 1;
	int complete = len && len % 16 == 0;
	for (size_t b = 0; b + 1 < nblk; b++) {
		for (int i = 0; i < 16; i++)
			t[i] = h[i] ^ msg[16 * b + i];
		if (vte_ecb("AES-128-ECB", key, 1, t, 16, h))
			return -1;
	}
	size_t off = 16 * (nblk - 1), rest = len - off;
	memset(last, 0, 16);
	memcpy(last, msg + off, rest);
	if (!complete)
		last[rest] = 0x80;
	for (int i = 0; i < 16; i++)
		t[i] = h[i] ^ last[i] ^ (complete ? k1[i] : k2[i]);
	int rc = vte_ecb("AES-128-ECB", key, 1, t, 16, out);
	vt_wipe(l, 16);
	vt_wipe(k1, 16);
	vt_wipe(k2, 16);
	vt_wipe(t, 16);
	return rc;
}

/* OpenSC's CMAC subkey K2 for its one-block "case 1" MAC: it doubles
 * through BN_lshift1 + BN_bn2bin, which writes the minimal big-endian form
 * left-aligned, so a doubled value with a leading zero byte comes out
 * shifted, and it tests the carry with "> 0x80" (about 1 key in 90 in
 * all). Rebuilt here byte by byte. */
static void bn_dbl(const uint8_t in[16], uint8_t out[16])
{
	uint8_t x[17], buf[32] = { 0 };
	x[0] = in[0] >> 7;
	for (int i = 0; i < 16; i++)
		x[i + 1] = (uint8_t)(in[i] << 1 | (i < 15 ? in[i + 1] >> 7 : 0));
	size_t skip = 0;
	while (skip < 17 && x[skip] == 0)
		skip++;
	memcpy(buf, x + skip, 17 - skip);
	/* OpenSC tests its carry with "> 0x80", not the top bit: for a top
	 * byte of exactly 80 it neither drops the carry byte nor applies
	 * the 87 constant */
	size_t off = in[0] > 0x80 ? 1 : 0;
	if (off)
		buf[16] ^= 0x87;
	memcpy(out, buf + off, 16);
}

int vte_cmac_opensc_case1(const uint8_t key[16], const uint8_t iv[16],
			  const uint8_t *msg, size_t len, uint8_t out[16])
{
	static const uint8_t zero[16];
	uint8_t l[16], k1[16], k2[16], t[16] = { 0 };
	if (len >= 16 || vte_ecb("AES-128-ECB", key, 1, zero, 16, l))
		return -1;
	bn_dbl(l, k1);
	bn_dbl(k1, k2);
	memcpy(t, msg, len);
	t[len] = 0x80;
	for (int i = 0; i < 16; i++)
		t[i] ^= k2[i] ^ iv[i];
	int rc = vte_ecb("AES-128-ECB", key, 1, t, 16, out);
	vt_wipe(l, 16);
	vt_wipe(k1, 16);
	vt_wipe(k2, 16);
	return rc;
}

/* ---------------------------------------------------------------- SHA-256
 * FIPS 180-4: the card finishes a hash the host started, so it needs the
 * compression function itself, not just a one-shot digest. */

static const uint32_t K256[64] = {
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
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n) ((x) >> (n) | (x) << (32 - (n)))

void vte_sha256_init(uint32_t st[8])
{
	static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372,
					0xa54ff53a, 0x510e527f, 0x9b05688c,
					0x1f83d9ab, 0x5be0cd19 };
	memcpy(st, iv, sizeof iv);
}

void vte_sha256_block(uint32_t st[8], const uint8_t blk[64])
{
	uint32_t w[64], a[8];
	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)blk[4 * i] << 24 | (uint32_t)blk[4 * i + 1] << 16 |
		       (uint32_t)blk[4 * i + 2] << 8 | blk[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	memcpy(a, st, sizeof a);
	for (int i = 0; i < 64; i++) {
		uint32_t S1 = ROR(a[4], 6) ^ ROR(a[4], 11) ^ ROR(a[4], 25);
		uint32_t ch = (a[4] & a[5]) ^ (~a[4] & a[6]);
		uint32_t t1 = a[7] + S1 + ch + K256[i] + w[i];
		uint32_t S0 = ROR(a[0], 2) ^ ROR(a[0], 13) ^ ROR(a[0], 22);
		uint32_t mj = (a[0] & a[1]) ^ (a[0] & a[2]) ^ (a[1] & a[2]);
		uint32_t t2 = S0 + mj;
		memmove(a + 1, a, 7 * sizeof a[0]);
		a[4] += t1;
		a[0] = t1 + t2;
	}
	for (int i = 0; i < 8; i++)
		st[i] += a[i];
}

void vte_sha256_finish(const uint32_t st0[8], uint64_t nblocks,
		       const uint8_t *tail, size_t taillen, uint8_t out[32])
{
	uint32_t st[8];
	uint8_t blk[64];
	if (st0)
		memcpy(st, st0, sizeof st);
	else
		vte_sha256_init(st);
	uint64_t bits = (nblocks * 64 + taillen) * 8;
	while (taillen >= 64) {
		vte_sha256_block(st, tail);
		tail += 64;
		taillen -= 64;
	}
	memset(blk, 0, sizeof blk);
	memcpy(blk, tail, taillen);
	blk[taillen] = 0x80;
	if (taillen >= 56) {
		vte_sha256_block(st, blk);
		memset(blk, 0, sizeof blk);
	}
	for (int i = 0; i < 8; i++)
		blk[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
	vte_sha256_block(st, blk);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(st[i] >> 24);
		out[4 * i + 1] = (uint8_t)(st[i] >> 16);
		out[4 * i + 2] = (uint8_t)(st[i] >> 8);
		out[4 * i + 3] = (uint8_t)st[i];
	}
}

int vte_pin_key(const uint8_t *pin, size_t len, uint8_t key[24])
{
	if (len > 0xFFFFu || !SHA1(pin, len, key))
		return -1;
	key[20] = (uint8_t)(len >> 24);
	key[21] = (uint8_t)(len >> 16);
	key[22] = (uint8_t)(len >> 8);
	key[23] = (uint8_t)len;
	return 0;
}

/* ------------------------------------------------------------------ RSA */

int vte_bn_set(vte_bn *b, const uint8_t *v, size_t len)
{
	while (len > 1 && *v == 0) { /* drop leading zeros */
		v++;
		len--;
	}
	uint8_t *p = malloc(len ? len : 1);
	if (!p)
		return -1;
	memcpy(p, v, len);
	vte_bn_clear(b);
	b->v = p;
	b->len = len;
	return 0;
}

void vte_bn_clear(vte_bn *b)
{
	if (b->v)
		vt_wipe(b->v, b->len);
	free(b->v);
	b->v = NULL;
	b->len = 0;
}

int vte_rsa_raw(const vte_bn *n, const vte_bn *d, const uint8_t *in,
		size_t inlen, uint8_t *out)
{
	if (!n->v || !d->v || inlen > n->len)
		return -1;
	BN_CTX *ctx = BN_CTX_new();
	BIGNUM *bn = BN_bin2bn(n->v, (int)n->len, NULL);
	BIGNUM *bd = BN_bin2bn(d->v, (int)d->len, NULL);
	BIGNUM *bm = BN_bin2bn(in, (int)inlen, NULL);
	BIGNUM *br = BN_new();
	int rc = -1;
	if (!ctx || !bn || !bd || !bm || !br || BN_cmp(bm, bn) >= 0)
		goto out;
	BN_set_flags(bd, BN_FLG_CONSTTIME);
	BN_MONT_CTX *mont = BN_MONT_CTX_new();
	if (mont && BN_MONT_CTX_set(mont, bn, ctx) &&
	    BN_mod_exp_mont_consttime(br, bm, bd, bn, ctx, mont) &&
	    BN_bn2binpad(br, out, (int)n->len) == (int)n->len)
		rc = 0;
	BN_MONT_CTX_free(mont);
out:
	BN_clear_free(bd);
	BN_free(bn);
	BN_clear_free(bm);
	BN_clear_free(br);
	BN_CTX_free(ctx);
	return rc;
}
