/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ePass2003 secure messaging: known answers of the new primitives (FIPS-197,
 * RFC 4493, OpenSSL's own SHA-256 state), wrapped commands byte for byte
 * against bytes this test builds with OpenSSL calls of its own, answers
 * unwrapped and every kind of broken answer refused, mutual authentication
 * against the test card for 3DES, AES and FIPS models.
 */
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA256_CTX: OpenSSL's own midstate */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "apdu_sm_aes.h"
#include "epass2003.h"
#include "test_epass2003_card.h"

static long hex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	unsigned v;

	while (*s) {
		if (*s == ' ') {
			s++;
			continue;
		}
		if (n >= cap || sscanf(s, "%2x", &v) != 1)
			return -1;
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return (long)n;
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 3));
}

/* ------------------------------------------------------- primitives */

START_TEST(test_aes_ecb_fips197)
{
	uint8_t k[16], pt[16], ct[16], want[16], back[16];

	hex("000102030405060708090a0b0c0d0e0f", k, 16);
	hex("00112233445566778899aabbccddeeff", pt, 16);
	hex("69c4e0d86a7b0430d8cdb78070b4c55a", want, 16);
	ck_assert_int_eq(ukey_aes128_ecb(k, 1, pt, 16, ct), UKEY_OK);
	ck_assert_mem_eq(ct, want, 16);
	ck_assert_int_eq(ukey_aes128_ecb(k, 0, ct, 16, back), UKEY_OK);
	ck_assert_mem_eq(back, pt, 16);
	ck_assert_int_eq(ukey_aes128_ecb(k, 1, pt, 15, ct), UKEY_E_ARGS);
	ck_assert_int_eq(ukey_aes128_ecb(k, 1, pt, 0, ct), UKEY_E_ARGS);
}
END_TEST

START_TEST(test_cmac_rfc4493)
{
	static const char *msgs[4] = {
		"",
		"6bc1bee22e409f96e93d7e117393172a",
		"6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
		"30c81c46a35ce411",
		"6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
		"30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710",
	};
	static const char *tags[4] = {
		"bb1d6929e95937287fa37d129b756746", "070a16b46b4d4144f79bdd9dd04a287c",
		"dfa66747de9ae63030ca32611497c827", "51f0bebf7e3b9d92fc49741779363cfe",
	};
	uint8_t k[16], m[64], t[16], mac[16], ref[16], big[300];

	hex("2b7e151628aed2a6abf7158809cf4f3c", k, 16);
	for (int i = 0; i < 4; i++) {
		long n = hex(msgs[i], m, sizeof(m));

		hex(tags[i], t, 16);
		ck_assert_int_eq(ukey_aes128_cmac(k, n ? m : NULL, (size_t)n, mac), UKEY_OK);
		ck_assert_mem_eq(mac, t, 16);
	}
	/* and OpenSSL's CMAC, called by the test, on other lengths */
	fill(big, sizeof(big), 3);
	for (size_t n = 1; n <= sizeof(big); n += 13) {
		ck_assert_int_eq(ukey_aes128_cmac(k, big, n, mac), UKEY_OK);
		tc_cmac(k, big, n, ref);
		ck_assert_mem_eq(mac, ref, 16);
	}
}
END_TEST

START_TEST(test_cbc_against_openssl)
{
	uint8_t k[16], iv[16], in[96], out[96], ref[96], back[96];

	fill(k, 16, 1);
	fill(iv, 16, 2);
	fill(in, sizeof(in), 4);
	ck_assert_int_eq(ukey_3des2_cbc(k, iv, 1, in, 96, out), UKEY_OK);
	tc_cbc(TC_DES, k, iv, 1, in, 96, ref);
	ck_assert_mem_eq(out, ref, 96);
	ck_assert_int_eq(ukey_3des2_cbc(k, iv, 0, out, 96, back), UKEY_OK);
	ck_assert_mem_eq(back, in, 96);
	ck_assert_int_eq(ukey_aes128_cbc(k, iv, 1, in, 96, out), UKEY_OK);
	tc_cbc(TC_AES, k, iv, 1, in, 96, ref);
	ck_assert_mem_eq(out, ref, 96);
	ck_assert_int_eq(ukey_aes128_cbc(k, iv, 0, out, 96, back), UKEY_OK);
	ck_assert_mem_eq(back, in, 96);
	ck_assert_int_eq(ukey_3des2_cbc(k, iv, 1, in, 12, out), UKEY_E_ARGS);
	/* the retail MAC of apdu/ against this test's single-DES version */
	ck_assert_int_eq(ukey_sm_retail_mac(k, iv, in, 96, out), UKEY_OK);
	tc_retail_mac(k, iv, in, 96, ref);
	ck_assert_mem_eq(out, ref, 8);
}
END_TEST

/* OpenSSL's SHA256_CTX after nblocks blocks: h[] is the midstate. */
static void openssl_midstate(const uint8_t *m, size_t nblocks, uint8_t out[32])
{
	SHA256_CTX x;

	SHA256_Init(&x);
	if (nblocks)
		SHA256_Update(&x, m, 64 * nblocks);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(x.h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(x.h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(x.h[i] >> 8);
		out[4 * i + 3] = (uint8_t)x.h[i];
	}
}

/* What the card does with PSO HASH: OpenSSL resumed from the state. */
static void openssl_finish(const uint8_t st[32], uint32_t nblocks,
			   const uint8_t *tail, size_t tl, uint8_t dig[32])
{
	SHA256_CTX x;
	uint64_t bits = (uint64_t)nblocks * 512;

	SHA256_Init(&x);
	for (int i = 0; i < 8; i++)
		x.h[i] = (uint32_t)st[4 * i] << 24 | (uint32_t)st[4 * i + 1] << 16 |
			 (uint32_t)st[4 * i + 2] << 8 | st[4 * i + 3];
	x.Nl = (SHA_LONG)bits;
	x.Nh = (SHA_LONG)(bits >> 32);
	x.num = 0;
	if (tl)
		SHA256_Update(&x, tail, tl);
	SHA256_Final(dig, &x);
}

/* The PSO HASH data from a host midstate (sign_sha256_state's), checked
 * by finishing SHA-256 from it with OpenSSL as the card would. */
START_TEST(test_state_tlv)
{
	static uint8_t msg[3000];
	uint8_t st[32], dig[32], want[32], tlv[128];
	size_t tlen;

	fill(msg, sizeof(msg), 9);
	for (size_t len = 0; len <= sizeof(msg); len += (len < 200 ? 1 : 97)) {
		size_t nb = len / 64, tl = len % 64;

		openssl_midstate(msg, nb, st);
		SHA256(msg, len, want);

		/* the PSO HASH data: 81 04 N 90 20 state 80 n tail */
		ck_assert_int_eq(epass2003_state_tlv(st, nb, msg + 64 * nb, tl, tlv,
						     sizeof(tlv), &tlen), UKEY_OK);
		ck_assert_uint_eq(tlen, 6 + 34 + 2 + tl);
		ck_assert_uint_eq(tlv[0], 0x81);
		ck_assert_uint_eq(tlv[1], 0x04);
		ck_assert_uint_eq((uint32_t)tlv[2] << 24 | (uint32_t)tlv[3] << 16 |
				  (uint32_t)tlv[4] << 8 | tlv[5], nb);
		ck_assert_uint_eq(tlv[6], 0x90);
		ck_assert_uint_eq(tlv[7], 0x20);
		ck_assert_mem_eq(tlv + 8, st, 32);
		ck_assert_uint_eq(tlv[40], 0x80);
		ck_assert_uint_eq(tlv[41], tl);
		openssl_finish(tlv + 8, (uint32_t)nb, tlv + 42, tl, dig);
		ck_assert_mem_eq(dig, want, 32);
	}
	/* 100 bytes: one block and 36 more need 78 */
	ck_assert_int_eq(epass2003_state_tlv(st, 1, msg + 64, 36, tlv, 40, &tlen),
			 UKEY_E_BUFFER_TOO_SMALL);
	/* a tail is less than a block, the block counter 32 bits */
	ck_assert_int_eq(epass2003_state_tlv(st, 1, msg, 64, tlv, sizeof(tlv), &tlen),
			 UKEY_E_ARGS);
	ck_assert_int_eq(epass2003_state_tlv(st, (uint64_t)1 << 32, msg, 1, tlv,
					     sizeof(tlv), &tlen), UKEY_E_ARGS);
	ck_assert_int_eq(epass2003_state_tlv(NULL, 1, msg, 1, tlv, sizeof(tlv), &tlen),
			 UKEY_E_ARGS);
	ck_assert_int_eq(epass2003_state_tlv(st, 1, NULL, 1, tlv, sizeof(tlv), &tlen),
			 UKEY_E_ARGS);
}
END_TEST

START_TEST(test_pin_secret)
{
	uint8_t s[24], h[20];

	ck_assert_int_eq(epass2003_pin_secret((const uint8_t *)"12345678", 8, s),
			 UKEY_OK);
	SHA1((const uint8_t *)"12345678", 8, h);
	ck_assert_mem_eq(s, h, 20);
	ck_assert_uint_eq(s[20], 0);
	ck_assert_uint_eq(s[21], 0);
	ck_assert_uint_eq(s[22], 0);
	ck_assert_uint_eq(s[23], 8);
	ck_assert_int_eq(epass2003_pin_secret((const uint8_t *)"1", 0, s), UKEY_E_ARGS);
	ck_assert_int_eq(epass2003_pin_secret((const uint8_t *)"12345678901234567", 17, s),
			 UKEY_E_ARGS);
}
END_TEST

/* ------------------------------------------------------------ wrapping */

static ukey_chan chan;
static epass2003_ctx ctx;
static tc_card card;

/* A context with an open session of kind, keys and ICV of the test. */
static void session(int kind)
{
	ukey_chan_init(&chan, tc_xfer, &card, NULL);
	ck_assert_int_eq(epass2003_ctx_init(&ctx, &chan, NULL), UKEY_OK);
	ctx.sm = (epass2003_sm_kind)kind;
	ctx.info_known = 1;
	ctx.sm_open = 1;
	fill(ctx.sk_enc, 16, 21);
	fill(ctx.sk_mac, 16, 22);
	memset(ctx.icv, 0, 16);
	fill(ctx.icv, 8, 23);
	tc_init(&card, kind, NULL, NULL, NULL);
	card.open = 1;
	memcpy(card.sk_enc, ctx.sk_enc, 16);
	memcpy(card.sk_mac, ctx.sk_mac, 16);
}

static size_t blk(int kind)
{
	return kind == TC_DES ? 8 : 16;
}

static void icv_plus1(uint8_t *icv, size_t n)
{
	for (size_t i = n; i-- > 0;)
		if (++icv[i])
			break;
}

/* The expected data field, built here from OpenSSL: [87] [97] 8E. */
static size_t expect_wrap(int kind, const uint8_t ekey[16], const uint8_t mkey[16],
			  uint8_t icv[16], uint8_t cla, uint8_t ins, uint8_t p1,
			  uint8_t p2, const uint8_t *data, size_t lc,
			  const uint8_t *le_tlv, size_t le_len, uint8_t *out)
{
	uint8_t pad[600], m[800], mac[16];
	size_t b = blk(kind), n = 0, pl, ml;
	tc_card t;

	if (lc) {
		memcpy(pad, data, lc);
		pl = tc_pad(pad, lc, b);
		out[n++] = 0x87;
		if (pl + 1 > 0x7F) {
			out[n++] = 0x82;
			out[n++] = (uint8_t)((pl + 1) >> 8);
			out[n++] = (uint8_t)(pl + 1);
		} else {
			out[n++] = (uint8_t)(pl + 1);
		}
		out[n++] = 0x01;
		tc_cbc(kind, ekey, NULL, 1, pad, pl, out + n);
		n += pl;
	}
	if (le_len)
		memcpy(out + n, le_tlv, le_len);
	n += le_len;
	icv_plus1(icv, b);
	memset(m, 0, sizeof(m));
	m[0] = (uint8_t)(cla | 0x0C); m[1] = ins; m[2] = p1; m[3] = p2;
	memset(&t, 0, sizeof(t));
	t.kind = kind;
	memcpy(t.sk_mac, mkey, 16);
	memcpy(t.icv, icv, 16);
	if (kind == TC_FIPS && ins == 0x82 && p1 == 0x01 && !lc) {
		tc_cmac(mkey, m, 4, mac);
	} else {
		m[4] = 0x80;
		memcpy(m + b, out, n);
		ml = b + n;
		if (kind == TC_FIPS) {
			for (int i = 0; i < 16; i++)
				m[i] ^= icv[i];
		} else if (n) {
			ml = tc_pad(m, ml, b);
		}
		tc_mac(&t, m, ml, mac);
	}
	out[n++] = 0x8E;
	out[n++] = 0x08;
	memcpy(out + n, mac, 8);
	return n + 8;
}

static void check_wrap(int kind, const ukey_apdu *plain, const uint8_t *le_tlv,
		       size_t le_len)
{
	uint8_t buf[1200], want[1200], icv[16];
	ukey_apdu w;
	size_t wl;

	memcpy(icv, ctx.icv, 16);
	ck_assert_int_eq(epass2003_sm_wrap(&ctx, plain, 0, buf, sizeof(buf), &w),
			 UKEY_OK);
	wl = expect_wrap(kind, ctx.sk_enc, ctx.sk_mac, icv, plain->cla, plain->ins,
			 plain->p1, plain->p2, plain->data, plain->lc, le_tlv,
			 le_len, want);
	ck_assert_uint_eq(w.cla, (uint8_t)(plain->cla | 0x0C));
	ck_assert_uint_eq(w.ins, plain->ins);
	ck_assert_uint_eq(w.p1, plain->p1);
	ck_assert_uint_eq(w.p2, plain->p2);
	ck_assert_uint_eq(w.lc, wl);
	ck_assert_mem_eq(w.data, want, wl);
	ck_assert_mem_eq(ctx.icv, icv, 16); /* incremented once */
	ck_assert(w.le == UKEY_LE_ANY);
}

START_TEST(test_wrap_known_answers)
{
	static const int kinds[3] = { TC_DES, TC_AES, TC_FIPS };
	uint8_t data[300];
	static const uint8_t le_d8[4] = { 0x97, 0x02, 0x00, 0xD8 };
	static const uint8_t le_00[3] = { 0x97, 0x01, 0x00 };
	static const uint8_t le_08[3] = { 0x97, 0x01, 0x08 };

	fill(data, sizeof(data), 5);
	for (int k = 0; k < 3; k++) {
		int kind = kinds[k];

		session(kind);
		/* UPDATE BINARY: data only */
		ukey_apdu upd = { 0x00, 0xD6, 0x00, 0x10, data, 5, 0, 0 };
		check_wrap(kind, &upd, NULL, 0);
		/* READ BINARY 216: Le above 7F in two bytes */
		ukey_apdu rd = { 0x00, 0xB0, 0x01, 0x00, NULL, 0, 0xD8, 0 };
		check_wrap(kind, &rd, le_d8, 4);
		/* SELECT with Le 00 */
		ukey_apdu sel = { 0x00, 0xA4, 0x00, 0x00, data, 2, UKEY_LE_ANY, 0 };
		check_wrap(kind, &sel, le_00, 3);
		/* GET CHALLENGE 8 */
		ukey_apdu gc = { 0x00, 0x84, 0x00, 0x00, NULL, 0, 8, 0 };
		check_wrap(kind, &gc, le_08, 3);
		/* a proprietary class, data of 200 bytes: 87 82 hh ll 01 */
		ukey_apdu big = { 0x80, 0xE7, 0x02, 0x00, data, 200, 0, 0 };
		check_wrap(kind, &big, NULL, 0);
		/* no data, no Le: the MAC alone (FIPS: 82 01 is case 1) */
		ukey_apdu q = { 0x00, 0x82, 0x01, 0x81, NULL, 0, 0, 0 };
		check_wrap(kind, &q, NULL, 0);
		ukey_apdu q2 = { 0x00, 0x44, 0x00, 0x00, NULL, 0, 0, 0 };
		check_wrap(kind, &q2, NULL, 0);
		/* ICV carry over all its bytes */
		memset(ctx.icv, 0xFF, 16);
		check_wrap(kind, &upd, NULL, 0);
		for (size_t i = 0; i < blk(kind); i++)
			ck_assert_uint_eq(ctx.icv[i], 0);
	}
}
END_TEST

START_TEST(test_wrap_refuses)
{
	uint8_t buf[1200], data[1100];
	ukey_apdu w;

	memset(data, 0, sizeof(data));
	session(TC_AES);
	ukey_apdu sm = { 0x0C, 0xB0, 0, 0, NULL, 0, 8, 0 };
	ck_assert_int_eq(epass2003_sm_wrap(&ctx, &sm, 0, buf, sizeof(buf), &w), UKEY_E_ARGS);
	ukey_apdu huge = { 0x00, 0xD6, 0, 0, data, EPASS2003_SM_MAX_DATA + 1, 0, 0 };
	ck_assert_int_eq(epass2003_sm_wrap(&ctx, &huge, 0, buf, sizeof(buf), &w), UKEY_E_ARGS);
	ukey_apdu ok = { 0x00, 0xD6, 0, 0, data, 4, 0, 0 };
	ck_assert_int_eq(epass2003_sm_wrap(&ctx, &ok, 0, buf, 100, &w), UKEY_E_ARGS);
	ctx.sm_open = 0;
	ck_assert_int_eq(epass2003_sm_wrap(&ctx, &ok, 0, buf, sizeof(buf), &w), UKEY_E_ARGS);
}
END_TEST

/* ---------------------------------------------------------- unwrapping */

static ukey_rv unwrap_with(unsigned fault, const uint8_t *data, size_t dlen,
			   uint16_t sw, uint8_t *out, size_t *outlen,
			   uint16_t *psw, int *auth)
{
	uint8_t raw[1400];
	uint16_t rsw;
	size_t n;

	memcpy(card.icv, ctx.icv, 16);
	card.fault = fault;
	n = tc_wrap_answer(&card, data, dlen, sw, raw, &rsw);
	return epass2003_sm_unwrap(&ctx, raw, n, rsw, out, 1100, outlen, psw, auth);
}

START_TEST(test_unwrap)
{
	static const int kinds[3] = { TC_DES, TC_AES, TC_FIPS };
	uint8_t data[300], out[1100];
	size_t olen;
	uint16_t psw;
	int auth;

	fill(data, sizeof(data), 7);
	for (int k = 0; k < 3; k++) {
		int kind = kinds[k];

		session(kind);
		for (size_t len = 0; len <= 260; len += (len < 40 ? 1 : 37)) {
			ck_assert_int_eq(unwrap_with(0, data, len, 0x9000, out, &olen,
						     &psw, &auth), UKEY_OK);
			ck_assert_uint_eq(olen, len);
			ck_assert_mem_eq(out, data, len);
			ck_assert_uint_eq(psw, 0x9000);
			ck_assert_int_eq(auth, 1);
		}
		/* a wrapped error, with and without data */
		ck_assert_int_eq(unwrap_with(0, NULL, 0, 0x6A82, out, &olen, &psw, &auth),
				 UKEY_OK);
		ck_assert_uint_eq(psw, 0x6A82);
		ck_assert_int_eq(auth, 1);
		ck_assert_int_eq(unwrap_with(0, data, 3, 0x6282, out, &olen, &psw, &auth),
				 UKEY_OK);
		ck_assert_uint_eq(olen, 3);
		/* the card's one-byte length >= 80 (87 <L> 01) is read */
		ck_assert_int_eq(unwrap_with(TC_F_ODD_BER, data, 200, 0x9000, out,
					     &olen, &psw, &auth), UKEY_OK);
		ck_assert_uint_eq(olen, 200);
		ck_assert_mem_eq(out, data, 200);

		/* broken answers */
		ck_assert_int_eq(unwrap_with(TC_F_BAD_MAC, data, 16, 0x9000, out,
					     &olen, &psw, &auth),
				 kind == TC_FIPS ? UKEY_OK : UKEY_E_SW_SM);
		ck_assert_int_eq(unwrap_with(TC_F_BAD_MAC, NULL, 0, 0x9000, out,
					     &olen, &psw, &auth),
				 kind == TC_FIPS ? UKEY_OK : UKEY_E_SW_SM);
		ck_assert_int_eq(unwrap_with(TC_F_BAD_PAD, data, 16, 0x9000, out,
					     &olen, &psw, &auth), UKEY_E_MALFORMED);
		ck_assert_int_eq(unwrap_with(TC_F_BAD_PAD, data, 13, 0x9000, out,
					     &olen, &psw, &auth), UKEY_E_MALFORMED);
		ck_assert_int_eq(unwrap_with(TC_F_SW_MISMATCH, data, 4, 0x9000, out,
					     &olen, &psw, &auth), UKEY_E_SW_SM);
		ck_assert_int_eq(unwrap_with(TC_F_TRAILING, data, 4, 0x9000, out,
					     &olen, &psw, &auth), UKEY_E_MALFORMED);
		ck_assert_int_eq(unwrap_with(TC_F_NO_99, data, 4, 0x9000, out,
					     &olen, &psw, &auth), UKEY_E_MALFORMED);
		ck_assert_int_eq(unwrap_with(TC_F_CT_ODD, data, 20, 0x9000, out,
					     &olen, &psw, &auth), UKEY_E_MALFORMED);
		ck_assert_int_eq(unwrap_with(TC_F_LONG87, data, 20, 0x9000, out,
					     &olen, &psw, &auth), UKEY_E_MALFORMED);
		/* bare status words: an error is passed on as not authentic,
		 * a success without SM objects is refused */
		ck_assert_int_eq(unwrap_with(TC_F_BARE_SW, NULL, 0, 0x6988, out,
					     &olen, &psw, &auth), UKEY_OK);
		ck_assert_int_eq(auth, 0);
		ck_assert_uint_eq(psw, 0x6988);
		ck_assert_int_eq(unwrap_with(TC_F_BARE_SW, NULL, 0, 0x9000, out,
					     &olen, &psw, &auth), UKEY_E_SW_SM);
		/* our buffer too small */
		{
			uint8_t raw[400];
			uint16_t rsw;
			size_t n;

			memcpy(card.icv, ctx.icv, 16);
			card.fault = 0;
			n = tc_wrap_answer(&card, data, 40, 0x9000, raw, &rsw);
			ck_assert_int_eq(epass2003_sm_unwrap(&ctx, raw, n, rsw, out, 39,
							     &olen, &psw, &auth),
					 UKEY_E_BUFFER_TOO_SMALL);
			/* every prefix and every one-byte change is refused */
			for (size_t cut = 0; cut < n; cut++) {
				ukey_rv rv = epass2003_sm_unwrap(&ctx, raw, cut, rsw, out,
								 sizeof(out), &olen,
								 &psw, &auth);
				ck_assert(rv != UKEY_OK || !auth);
			}
			if (kind != TC_FIPS) {
				for (size_t i = 0; i < n; i++) {
					raw[i] ^= 0x40;
					ck_assert_int_ne(epass2003_sm_unwrap(&ctx, raw, n, rsw,
									     out, sizeof(out),
									     &olen, &psw,
									     &auth), UKEY_OK);
					raw[i] ^= 0x40;
				}
			}
		}
	}
}
END_TEST

/* ------------------------------------------------- mutual authentication */

static void echo_handler(tc_card *t, const tc_cmd *c, uint8_t *rsp, size_t cap,
			 size_t *rlen, uint16_t *sw)
{
	(void)t;
	/* GET CHALLENGE: Le bytes; anything else: its own data back */
	if (c->ins == 0x84) {
		for (size_t i = 0; i < c->le && i < cap; i++)
			rsp[i] = (uint8_t)(0xA0 + i);
		*rlen = c->le;
	} else {
		memcpy(rsp, c->data, c->lc);
		*rlen = c->lc;
	}
	*sw = 0x9000;
}

static ukey_rv fixed_rng(void *arg, uint8_t *buf, size_t len)
{
	(void)arg;
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(0x11 * (i + 1));
	return UKEY_OK;
}

static void auth_setup(int kind, const uint8_t *card_key)
{
	tc_init(&card, kind, card_key, card_key, echo_handler);
	ukey_chan_init(&chan, tc_xfer, &card, NULL);
	ck_assert_int_eq(epass2003_ctx_init(&ctx, &chan, NULL), UKEY_OK);
	ctx.rng = fixed_rng;
}

START_TEST(test_mutual_auth_kinds)
{
	static const int kinds[4] = { TC_DES, TC_AES, TC_FIPS, TC_PLAIN };
	uint8_t rnd[8];

	for (int k = 0; k < 4; k++) {
		auth_setup(kinds[k], NULL);
		ck_assert_int_eq(epass2003_get_challenge(&ctx, rnd, 8), UKEY_OK);
		ck_assert_msg(!card.failed, "%s", card.err);
		ck_assert_int_eq((int)ctx.sm, kinds[k]);
		if (kinds[k] == TC_PLAIN) {
			/* no SM: the command went as it is, no authentication */
			ck_assert_int_eq(card.auths, 0);
			ck_assert_uint_eq(card.apdus, 2);
			ck_assert_uint_eq(card.last.ins, 0x84);
			continue;
		}
		ck_assert_int_eq(card.auths, 1);
		ck_assert_int_eq(ctx.sm_open, 1);
		ck_assert_uint_eq(rnd[0], 0xA0);
		/* the session goes on: no second authentication */
		ck_assert_int_eq(epass2003_get_challenge(&ctx, rnd, 8), UKEY_OK);
		ck_assert_int_eq(card.auths, 1);
		/* the host challenge was ours */
		ck_assert_uint_eq(card.host[0], 0x11);
	}
}
END_TEST

START_TEST(test_mutual_auth_failures)
{
	static const uint8_t other[16] = { 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46,
					   0x47, 0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D,
					   0x4E, 0x4F };
	uint8_t rnd[8];

	/* the card has other keys: its cryptogram does not check out */
	auth_setup(TC_AES, other);
	ck_assert_int_eq(epass2003_sm_open(&ctx), UKEY_E_SW_SM);
	ck_assert_int_eq(ctx.sm_open, 0);
	ck_assert_int_eq(card.auths, 0);
	/* a card cryptogram off by one bit */
	auth_setup(TC_DES, NULL);
	card.fault = TC_F_BAD_CARD_CRYPT;
	ck_assert_int_eq(epass2003_get_challenge(&ctx, rnd, 8), UKEY_E_SW_SM);
	/* the profile's keys are used */
	{
		ukey_profile prof;
		char err[256];
		static const char text[] =
			"name = x\ndriver = epass2003\natr = 3B 00\n"
			"sm_key_enc = 40 41 42 43 44 45 46 47 48 49 4A 4B 4C 4D 4E 4F\n"
			"sm_key_mac = 40 41 42 43 44 45 46 47 48 49 4A 4B 4C 4D 4E 4F\n"
			"sm = fips\nmax_read = 100\n";

		ck_assert_int_eq(ukey_profile_parse(text, strlen(text), "t.profile", &prof,
						    err, sizeof(err)), UKEY_OK);
		tc_init(&card, TC_FIPS, other, other, echo_handler);
		ukey_chan_init(&chan, tc_xfer, &card, NULL);
		ck_assert_int_eq(epass2003_ctx_init(&ctx, &chan, &prof), UKEY_OK);
		ck_assert_uint_eq(ctx.max_read, 100);
		ck_assert_int_eq(epass2003_get_challenge(&ctx, rnd, 8), UKEY_OK);
		ck_assert_msg(!card.failed, "%s", card.err);
		/* forced kind: no GET DATA 86 was sent (1 IU + 1 EA + 1) */
		ck_assert_uint_eq(card.apdus, 3);
	}
}
END_TEST

START_TEST(test_info_parse)
{
	uint8_t b[64];
	epass2003_sm_kind k;
	long n;

	n = hex("80 01 01 81 02 1D D4 82 01 00 83 02 00 00 84 01 01 85 0A 07 55 2E 6F 44 "
		"EB 00 1A 00 03 86 01 00 87 01 01", b, sizeof(b));
	ck_assert_int_eq(epass2003_parse_info(b, (size_t)n, &k), UKEY_OK);
	ck_assert_int_eq(k, EPASS2003_SM_FIPS);
	n = hex("80 01 01 81 02 1D D5 82 01 03", b, sizeof(b));
	ck_assert_int_eq(epass2003_parse_info(b, (size_t)n, &k), UKEY_OK);
	ck_assert_int_eq(k, EPASS2003_SM_AES);
	n = hex("80 01 02 84 01 01", b, sizeof(b));
	ck_assert_int_eq(epass2003_parse_info(b, (size_t)n, &k), UKEY_OK);
	ck_assert_int_eq(k, EPASS2003_SM_DES);
	n = hex("80 01 01 84 01 00", b, sizeof(b));
	ck_assert_int_eq(epass2003_parse_info(b, (size_t)n, &k), UKEY_OK);
	ck_assert_int_eq(k, EPASS2003_SM_PLAIN);
	n = hex("80 02 01 01", b, sizeof(b));
	ck_assert_int_eq(epass2003_parse_info(b, (size_t)n, &k), UKEY_E_MALFORMED);
	n = hex("80 05 01", b, sizeof(b));
	ck_assert_int_eq(epass2003_parse_info(b, (size_t)n, &k), UKEY_E_MALFORMED);
	ck_assert_int_eq(epass2003_parse_info(b, 0, &k), UKEY_E_MALFORMED);
}
END_TEST

/* A MAC failure ends the session; a bare 6988 is retried once. */
static int calls;
static void count_handler(tc_card *t, const tc_cmd *c, uint8_t *rsp, size_t cap,
			  size_t *rlen, uint16_t *sw)
{
	calls++;
	echo_handler(t, c, rsp, cap, rlen, sw);
}

START_TEST(test_session_recovery)
{
	uint8_t rnd[8];

	auth_setup(TC_DES, NULL);
	card.handler = count_handler;
	calls = 0;
	ck_assert_int_eq(epass2003_get_challenge(&ctx, rnd, 8), UKEY_OK);
	card.fault = TC_F_BAD_MAC;
	ck_assert_int_eq(epass2003_get_challenge(&ctx, rnd, 8), UKEY_E_SW_SM);
	ck_assert_int_eq(ctx.sm_open, 0);
	ck_assert_int_eq(calls, 2); /* not sent again */
	ck_assert_int_eq(epass2003_get_challenge(&ctx, rnd, 8), UKEY_OK);
	ck_assert_int_eq(card.auths, 2);
	/* the card lost its session (it answers 6988 bare): authenticate
	 * and send the command once more */
	card.open = 0;
	ck_assert_int_eq(epass2003_get_challenge(&ctx, rnd, 8), UKEY_OK);
	ck_assert_int_eq(card.auths, 3);
	ck_assert_int_eq(calls, 4);
	/* ... but not when a PIN was verified in the lost session: the login
	 * went with it (another application's session), which is told as a
	 * reset, not retried; the next command authenticates again */
	ctx.pin_ok = 1;
	card.open = 0;
	ck_assert_int_eq(epass2003_get_challenge(&ctx, rnd, 8), UKEY_E_CARD_RESET);
	ck_assert_int_eq(ctx.pin_ok, 0);
	ck_assert_int_eq(calls, 4); /* refused by the card's SM layer */
	ck_assert_int_eq(card.auths, 3);
	ck_assert_int_eq(epass2003_get_challenge(&ctx, rnd, 8), UKEY_OK);
	ck_assert_int_eq(card.auths, 4);
	ck_assert_int_eq(calls, 5);
	/* a bare error that is not about SM: the card's error, no retry */
	card.fault = TC_F_BARE_SW;
	card.handler = NULL;
	ck_assert_int_ne(epass2003_get_challenge(&ctx, rnd, 8), UKEY_OK);
	ck_assert_msg(!card.failed, "%s", card.err);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("drivers_epass2003_sm");
	TCase *tc = tcase_create("sm");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_aes_ecb_fips197);
	tcase_add_test(tc, test_cmac_rfc4493);
	tcase_add_test(tc, test_cbc_against_openssl);
	tcase_add_test(tc, test_state_tlv);
	tcase_add_test(tc, test_pin_secret);
	tcase_add_test(tc, test_wrap_known_answers);
	tcase_add_test(tc, test_wrap_refuses);
	tcase_add_test(tc, test_unwrap);
	tcase_add_test(tc, test_mutual_auth_kinds);
	tcase_add_test(tc, test_mutual_auth_failures);
	tcase_add_test(tc, test_info_parse);
	tcase_add_test(tc, test_session_recovery);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
