/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* FTCOS card models and key slots:
 *  - the transport key (CREATE MF / ERASE) is the ePass3000's 01..08 on a
 *    card made with the ePass3000 ATR, the default 92 34 2E EF .. otherwise,
 *    and it survives the state image (it is the chip's, not the reader's);
 *  - `init --layout pkcs15` installs empty RSA records 1..9 as OpenSC does,
 *    so a second key can be generated into slot 2 and signs verifiably. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include "vt_os_ftcos.h"

static uint8_t rsp[VT_RSP_MAX];
static vt_t0 t;
static int dirty;

static unsigned txb(ft_card *c, const uint8_t *cmd, size_t n, size_t *dl)
{
	size_t rl = vt_t0_apdu(&t, &vt_os_ftcos, c, cmd, n, rsp, &dirty);
	ck_assert_uint_ge(rl, 2);
	if (dl)
		*dl = rl - 2;
	return (unsigned)rsp[rl - 2] << 8 | rsp[rl - 1];
}

static unsigned tx(ft_card *c, const char *hex, size_t *dl)
{
	uint8_t cmd[600];
	size_t n = 0;
	unsigned v;
	int used;
	while (n < sizeof cmd && sscanf(hex, " %2x%n", &v, &used) == 1) {
		cmd[n++] = (uint8_t)v;
		hex += used;
	}
	return txb(c, cmd, n, dl);
}

static const uint8_t *named_atr(const char *name, size_t *len)
{
	static uint8_t atr[33];
	ck_assert_int_eq(vt_atr_lookup(name, atr, len), 0);
	return atr;
}

/* ERASE (84 EE 00 00 06 3F 00 + MAC) under a given 8-byte transport key. */
static unsigned erase_with(ft_card *c, const uint8_t key[8])
{
	size_t dl;
	ck_assert_uint_eq(tx(c, "00 84 00 00 08", &dl), 0x9000);
	ck_assert_uint_eq(dl, 8);
	uint8_t chal[8];
	memcpy(chal, rsp, 8);
	uint8_t cmd[11] = { 0x84, 0xEE, 0x00, 0x00, 0x06, 0x3F, 0x00 };
	ck_assert_int_eq(ft_mac(key, 8, chal, cmd, 6, cmd + 5, 2, cmd + 7), 0);
	return txb(c, cmd, sizeof cmd, NULL);
}

/* CREATE MF (84 E0 00 00 2D: 41 bytes + MAC) under a transport key. */
static unsigned create_mf_with(ft_card *c, const uint8_t key[8])
{
	size_t dl;
	ck_assert_uint_eq(tx(c, "00 84 00 00 08", &dl), 0x9000);
	uint8_t chal[8];
	memcpy(chal, rsp, 8);
	uint8_t cmd[5 + 45] = { 0x84, 0xE0, 0x00, 0x00, 0x2D, 0x3F, 0x00, 0x04, 0x11,
				0x03, 0x00, 0x10, 0xC0, 0x10 };
	memcpy(cmd + 5 + 25, ft_default_init_key, 16);
	ck_assert_int_eq(ft_mac(key, 8, chal, cmd, 0x2D, cmd + 5, 41, cmd + 46), 0);
	return txb(c, cmd, sizeof cmd, NULL);
}

static ft_card *reload(ft_card *c)
{
	vt_buf b = { 0 };
	ck_assert_int_eq(vt_image_wrap(&vt_os_ftcos, c, &b), 0);
	vt_os_ftcos.destroy(c);
	c = vt_image_unwrap(&vt_os_ftcos, b.p, b.len);
	vt_buf_free(&b);
	ck_assert_ptr_nonnull(c);
	vt_t0_clear(&t);
	return c;
}

START_TEST(epass3000_atr_match)
{
	size_t l;
	const uint8_t *a = named_atr("epass3000", &l);
	ck_assert_int_eq(ft_atr_is_epass3000(a, l), 1);
	uint8_t m[33];
	memcpy(m, a, l);
	m[7] ^= 0xFF;           /* masked version byte */
	m[16] = 0x42;           /* masked historical tail */
	ck_assert_int_eq(ft_atr_is_epass3000(m, l), 1);
	m[10] ^= 1;             /* not masked */
	ck_assert_int_eq(ft_atr_is_epass3000(m, l), 0);
	ck_assert_int_eq(ft_atr_is_epass3000(a, l - 1), 0);
	ck_assert_int_eq(ft_atr_is_epass3000(NULL, 0), 0);
	a = named_atr("ftcos-pk01c", &l);
	ck_assert_int_eq(ft_atr_is_epass3000(a, l), 0);
	a = named_atr("epass2000", &l);
	ck_assert_int_eq(ft_atr_is_epass3000(a, l), 0);
}
END_TEST

START_TEST(transport_key_follows_model_and_persists)
{
	static const struct { const char *atr; const uint8_t *key, *other; } cases[] = {
		{ "epass3000", ft_epass3000_transport_key, ft_default_transport_key },
		{ "ftcos-pk01c", ft_default_transport_key, ft_epass3000_transport_key },
		{ "epass2000", ft_default_transport_key, ft_epass3000_transport_key },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t l;
		const uint8_t *a = named_atr(cases[i].atr, &l);
		ft_card *c = vt_os_ftcos.create();
		ck_assert_ptr_nonnull(c);
		ft_set_model_from_atr(c, a, l);
		ck_assert_int_eq(ft_model_matches_atr(c, a, l), 1);
		vt_os_ftcos.reset(c);
		/* the wrong model's key is refused, nothing changes */
		ck_assert_uint_eq(create_mf_with(c, cases[i].other), 0x6988);
		ck_assert_uint_eq(tx(c, "00 A4 00 00 02 3F 00", NULL), 0x6A82);
		ck_assert_uint_eq(create_mf_with(c, cases[i].key), 0x9000);
		ck_assert_int_eq(dirty, 1);
		ck_assert_uint_eq(tx(c, "00 A4 00 00 02 3F 00", NULL), 0x9000);
		/* power cycle through the image: the chip keeps its key */
		c = reload(c);
		ck_assert_int_eq(ft_model_matches_atr(c, a, l), 1);
		ck_assert_uint_eq(tx(c, "00 A4 00 00 02 3F 00", NULL), 0x9000);
		ck_assert_uint_eq(erase_with(c, cases[i].other), 0x6988);
		ck_assert_uint_eq(tx(c, "00 A4 00 00 02 3F 00", NULL), 0x9000);
		ck_assert_uint_eq(erase_with(c, cases[i].key), 0x9000);
		ck_assert_uint_eq(tx(c, "00 A4 00 00 02 3F 00", NULL), 0x6A82);
		/* ERASE keeps the transport key (it is not part of the FS) */
		c = reload(c);
		ck_assert_uint_eq(create_mf_with(c, cases[i].key), 0x9000);
		vt_os_ftcos.destroy(c);
	}
}
END_TEST

/* A token personalised for the ePass3000 model (init --atr epass3000)
 * answers ERASE under 01..08 only. */
START_TEST(personalised_epass3000_erase)
{
	size_t l;
	const uint8_t *a = named_atr("epass3000", &l);
	ft_card *c = vt_os_ftcos.create();
	ft_set_model_from_atr(c, a, l);
	vt_init_params p = { 0 };
	p.user_pin = "1234";
	p.so_pin = "56785678";
	p.key_bits = 0;
	ck_assert_int_eq(vt_os_ftcos.init(c, &p), 0);
	c = reload(c);
	ck_assert_uint_eq(tx(c, "00 A4 00 00 02 3F 00", NULL), 0x9000);
	ck_assert_uint_eq(erase_with(c, ft_default_transport_key), 0x6988);
	ck_assert_uint_eq(erase_with(c, ft_epass3000_transport_key), 0x9000);
	vt_os_ftcos.destroy(c);
}
END_TEST

static ft_card *perso(unsigned bits)
{
	ft_card *c = vt_os_ftcos.create();
	vt_init_params p = { 0 };
	p.label = "slots";
	p.user_pin = "1234";
	p.so_pin = "56785678";
	p.key_bits = bits;
	p.serial = "0102030405060708";
	ck_assert_int_eq(vt_os_ftcos.init(c, &p), 0);
	vt_os_ftcos.reset(c);
	vt_t0_clear(&t);
	return c;
}

static void assert_records(ft_card *c, int kid1_written)
{
	int df = ft_find_child(c, 0, 0x5015);
	ck_assert_int_ge(df, 0);
	for (uint8_t kid = 1; kid <= 9; kid++) {
		ft_key *pr = ft_find_key(c, (uint16_t)df, FT_USAGE_RSA_PRIV, kid);
		ft_key *pu = ft_find_key(c, (uint16_t)df, FT_USAGE_RSA_PUB, kid);
		ck_assert_msg(pr && pu, "key records of kid %u missing", kid);
		/* headers exactly as OpenSC's INSTALL KEY in the trace */
		static const uint8_t hpr[9] = { 0x04, 0x0A, 0x22, 0x34, 0x04, 0x34, 0x40, 0, 0 };
		static const uint8_t hpu[9] = { 0x01, 0x0A, 0x2A, 0x10, 0x04, 0x10, 0x40, 0, 0 };
		ck_assert_mem_eq(pr->hdr, hpr, 9);
		ck_assert_mem_eq(pu->hdr, hpu, 9);
		int want = kid == 1 && kid1_written;
		ck_assert_int_eq(pr->written, want);
		ck_assert_int_eq(pu->written, want);
	}
	ck_assert_ptr_null(ft_find_key(c, (uint16_t)df, FT_USAGE_RSA_PRIV, 10));
}

/* READ PUBLIC KEY of kid (little-endian E and N) into an EVP_PKEY. */
static EVP_PKEY *read_pub(ft_card *c, uint8_t kid)
{
	uint8_t cmd[5] = { 0x80, 0xE6, 0x2A, kid, 0x00 };
	size_t dl;
	ck_assert_uint_eq(txb(c, cmd, 5, &dl), 0x9000);
	ck_assert_uint_ge(dl, 2 + 4 + 3 + 128);
	ck_assert_uint_eq(rsp[0], 0x45);
	size_t el = rsp[1], o = 2 + el;
	ck_assert_uint_eq(rsp[o], 0x4E);
	ck_assert_uint_eq(rsp[o + 1], 0x81);
	size_t nl = rsp[o + 2];
	ck_assert_uint_eq(nl, 128);
	ck_assert_uint_eq(o + 3 + nl, dl);
	BIGNUM *e = BN_lebin2bn(rsp + 2, (int)el, NULL);
	BIGNUM *n = BN_lebin2bn(rsp + o + 3, (int)nl, NULL);
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	ck_assert(e && n && b);
	ck_assert(OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, n));
	ck_assert(OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, e));
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(b);
	EVP_PKEY_CTX *cx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *pk = NULL;
	ck_assert_int_eq(EVP_PKEY_fromdata_init(cx), 1);
	ck_assert_int_eq(EVP_PKEY_fromdata(cx, &pk, EVP_PKEY_PUBLIC_KEY, params), 1);
	EVP_PKEY_CTX_free(cx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	BN_free(e);
	BN_free(n);
	return pk;
}

/* PKCS#1 v1.5 SHA-256 signature by kid (1024-bit: one PSO, no tag 89). */
static unsigned sign1024(ft_card *c, uint8_t kid, const uint8_t dg[32], uint8_t sig[128])
{
	static const uint8_t prefix[19] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
					    0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
					    0x01, 0x05, 0x00, 0x04, 0x20 };
	uint8_t mse[12] = { 0x00, 0x22, 0x41, 0xB8, 0x07, 0x80, 0x01, 0x80,
			    0x83, 0x02, kid, 0x22 };
	ck_assert_uint_eq(txb(c, mse, sizeof mse, NULL), 0x9000);
	uint8_t pso[5 + 128 + 1] = { 0x00, 0x2A, 0x86, 0x80, 0x80 };
	uint8_t *blk = pso + 5;
	memset(blk, 0xFF, 128);
	blk[0] = 0;
	blk[1] = 1;
	blk[128 - 52] = 0;
	memcpy(blk + 128 - 51, prefix, 19);
	memcpy(blk + 128 - 32, dg, 32);
	size_t dl;
	unsigned sw = txb(c, pso, sizeof pso, &dl);
	if (sw == 0x9000) {
		ck_assert_uint_eq(dl, 128);
		memcpy(sig, rsp, 128);
	}
	return sw;
}

static int verify(EVP_PKEY *pk, const uint8_t dg[32], const uint8_t sig[128])
{
	EVP_PKEY_CTX *vc = EVP_PKEY_CTX_new(pk, NULL);
	ck_assert_int_eq(EVP_PKEY_verify_init(vc), 1);
	ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_padding(vc, RSA_PKCS1_PADDING), 1);
	ck_assert_int_eq(EVP_PKEY_CTX_set_signature_md(vc, EVP_sha256()), 1);
	int r = EVP_PKEY_verify(vc, sig, 128, dg, 32);
	EVP_PKEY_CTX_free(vc);
	return r;
}

START_TEST(pkcs15_installs_slots_1_to_9)
{
	ft_card *c = perso(0);
	assert_records(c, 0);
	c = reload(c);
	assert_records(c, 0);
	vt_os_ftcos.destroy(c);
	c = perso(1024);
	assert_records(c, 1);
	vt_os_ftcos.destroy(c);
}
END_TEST

START_TEST(second_key_generated_in_slot_2)
{
	ft_card *c = perso(1024);
	uint8_t dg[32], sig[128];
	for (int i = 0; i < 32; i++)
		dg[i] = (uint8_t)(i * 7 + 1);
	ck_assert_uint_eq(tx(c, "00 A4 00 00 02 3F 00", NULL), 0x9000);
	ck_assert_uint_eq(tx(c, "00 A4 00 00 02 50 15", NULL), 0x9000);
	/* slot 2 is empty: no public key, no signature */
	ck_assert_uint_eq(tx(c, "80 E6 2A 02 00", NULL), 0x6A88);
	ck_assert_uint_eq(sign1024(c, 2, dg, sig), 0x6A88);
	/* generating needs the user PIN (update AC 34) */
	ck_assert_uint_eq(tx(c, "00 22 01 B8 04 83 02 02 2A", NULL), 0x9000);
	ck_assert_uint_eq(tx(c, "00 46 00 00 02 04 00", NULL), 0x6982);
	ck_assert_uint_eq(tx(c, "00 20 00 01 10 31 32 33 34 00 00 00 00 00 00 00 00 00 00 00 00",
			     NULL), 0x9000);
	ck_assert_uint_eq(tx(c, "00 22 01 B8 04 83 02 02 2A", NULL), 0x9000);
	ck_assert_uint_eq(tx(c, "00 46 00 00 02 04 00", NULL), 0x9000);
	ck_assert_int_eq(dirty, 1);
	/* persists across a power cycle */
	c = reload(c);
	ck_assert_uint_eq(tx(c, "00 A4 00 00 02 3F 00", NULL), 0x9000);
	ck_assert_uint_eq(tx(c, "00 A4 00 00 02 50 15", NULL), 0x9000);
	EVP_PKEY *k1 = read_pub(c, 1), *k2 = read_pub(c, 2);
	ck_assert_int_ne(EVP_PKEY_eq(k1, k2), 1);
	/* the private key needs the PIN again after the power cycle */
	ck_assert_uint_eq(sign1024(c, 2, dg, sig), 0x6982);
	ck_assert_uint_eq(tx(c, "00 20 00 01 10 31 32 33 34 00 00 00 00 00 00 00 00 00 00 00 00",
			     NULL), 0x9000);
	ck_assert_uint_eq(sign1024(c, 2, dg, sig), 0x9000);
	ck_assert_int_eq(verify(k2, dg, sig), 1);
	ck_assert_int_ne(verify(k1, dg, sig), 1);
	/* slot 1 still signs with its own key */
	ck_assert_uint_eq(sign1024(c, 1, dg, sig), 0x9000);
	ck_assert_int_eq(verify(k1, dg, sig), 1);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
	vt_os_ftcos.destroy(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vtoken_ftcos_model");
	TCase *tc = tcase_create("model");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, epass3000_atr_match);
	tcase_add_test(tc, transport_key_follows_model_and_persists);
	tcase_add_test(tc, personalised_epass3000_erase);
	tcase_add_test(tc, pkcs15_installs_slots_1_to_9);
	tcase_add_test(tc, second_key_generated_in_slot_2);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
