/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GM/T 0017 virtual OS: RSA key generation, import, raw signing, public
 * key export — signatures checked with OpenSSL. */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/x509.h>

#include "gm_tutil.h"

static unsigned gen_rsa(gt_card *c, uint16_t app, uint16_t cid, uint32_t bits)
{
	uint8_t d[8];
	gt_ids(d, app, cid);
	d[4] = (uint8_t)(bits >> 24);
	d[5] = (uint8_t)(bits >> 16);
	d[6] = (uint8_t)(bits >> 8);
	d[7] = (uint8_t)bits;
	return gt_apdu(c, 0x80, 0x54, 0, 0, d, 8, GT_NO_LE);
}

static unsigned export_pub(gt_card *c, uint16_t app, uint16_t cid, int sign)
{
	uint8_t d[4];
	gt_ids(d, app, cid);
	return gt_apdu(c, 0x80, 0x88, (uint8_t)sign, 0, d, 4, GT_NO_LE);
}

/* Sign msg on the card (PKCS#1 v1.5 / SHA-256 block built here, sent in
 * two short APDUs) and return the verification result. */
static int card_sign_verifies(gt_card *c, uint16_t app, uint16_t cid,
			      EVP_PKEY *pub, const char *msg)
{
	size_t k = (size_t)EVP_PKEY_get_size(pub);
	uint8_t block[256], sig[256];
	gt_pkcs1_block((const uint8_t *)msg, strlen(msg), block, k);
	ck_assert_uint_eq(gt_chained(c, 0x58, 0, app, cid, block, k, 200), 0x9000);
	ck_assert_uint_eq(c->len, k);
	memcpy(sig, c->rsp, k);
	int ok = gt_verify_sig(pub, (const uint8_t *)msg, strlen(msg), sig, k);
	/* negative control: another message must not verify */
	ck_assert_int_eq(gt_verify_sig(pub, (const uint8_t *)"other", 5, sig, k), 0);
	return ok;
}

START_TEST(generate_sign_verify)
{
	uint16_t app, cid;
	gt_card *c = gt_new_app(&app);
	ck_assert_uint_eq(gt_verify(c, app, 1, "111111"), 0x9000);
	ck_assert_uint_eq(gt_create_cont(c, app, "K1", &cid), 0x9000);
	ck_assert_uint_eq(export_pub(c, app, cid, 1), 0x6A82);
	ck_assert_uint_eq(gen_rsa(c, app, cid, 512), 0x6A80);
	ck_assert_uint_eq(gen_rsa(c, app, cid, 2048), 0x9000);
	ck_assert_int_eq(c->dirty, 1);
	ck_assert_uint_eq(c->len, 268);
	uint8_t blob[268];
	memcpy(blob, c->rsp, 268);
	ck_assert_mem_eq(blob, "\x00\x01\x00\x00\x00\x00\x08\x00", 8);
	ck_assert_mem_eq(blob + 264, "\x00\x01\x00\x01", 4);
	ck_assert_uint_ge(blob[8], 0x80); /* full 2048-bit modulus */

	/* ExportPublicKey, direct and through T=0 (256 + 61 0C) */
	ck_assert_uint_eq(export_pub(c, app, cid, 1), 0x9000);
	ck_assert_uint_eq(c->len, 268);
	ck_assert_mem_eq(c->rsp, blob, 268);
	ck_assert_uint_eq(export_pub(c, app, cid, 0), 0x6A82);
	uint8_t d[4];
	int pieces;
	gt_ids(d, app, cid);
	ck_assert_uint_eq(gt_apdu_t0(c, 0x80, 0x88, 1, 0, d, 4, GT_NO_LE, &pieces), 0x9000);
	ck_assert_int_eq(pieces, 2);
	ck_assert_uint_eq(c->len, 268);
	ck_assert_mem_eq(c->rsp, blob, 268);

	uint8_t info[9];
	gt_ids(d, app, cid);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x4A, 0, 0, d, 4, GT_NO_LE), 0x9000);
	memcpy(info, c->rsp, 9);
	ck_assert_mem_eq(info, "\x01\x08\x00\x00\x00\x00\x00\x00\x00", 9);

	EVP_PKEY *pub = gt_blob_to_pkey(blob);
	ck_assert_int_eq(card_sign_verifies(c, app, cid, pub, "hello, world"), 1);

	/* survives save/load */
	gt_reload(c);
	app = gt_open_app(c, "APP1");
	ck_assert_uint_eq(gt_open_cont(c, app, "K1", &cid), 0x9000);
	ck_assert_uint_eq(export_pub(c, app, cid, 1), 0x9000);
	ck_assert_mem_eq(c->rsp, blob, 268);
	uint8_t block[256];
	gt_pkcs1_block((const uint8_t *)"x", 1, block, 256);
	/* signing needs the user PIN */
	ck_assert_uint_eq(gt_chained(c, 0x58, 0, app, cid, block, 256, 200), 0x6982);
	ck_assert_uint_eq(gt_verify(c, app, 1, "111111"), 0x9000);
	ck_assert_int_eq(card_sign_verifies(c, app, cid, pub, "after reload"), 1);
	EVP_PKEY_free(pub);
	gt_free(c);
}
END_TEST

START_TEST(sign_rejects_bad_blocks)
{
	uint16_t app, cid, cid2;
	gt_card *c = gt_new_app(&app);
	ck_assert_uint_eq(gt_verify(c, app, 1, "111111"), 0x9000);
	ck_assert_uint_eq(gt_create_cont(c, app, "K1", &cid), 0x9000);
	ck_assert_uint_eq(gt_create_cont(c, app, "K2", &cid2), 0x9000);
	ck_assert_uint_eq(gen_rsa(c, app, cid, 1024), 0x9000);
	ck_assert_uint_eq(c->len, 268);
	ck_assert_mem_eq(c->rsp + 4, "\x00\x00\x04\x00", 4);
	/* 1024-bit modulus right-aligned: first 128 bytes zero */
	for (int i = 0; i < 128; i++)
		ck_assert_uint_eq(c->rsp[8 + i], 0);
	uint8_t blob[268], block[256];
	memcpy(blob, c->rsp, 268);
	EVP_PKEY *pub = gt_blob_to_pkey(blob);
	ck_assert_int_eq(card_sign_verifies(c, app, cid, pub, "1024-bit"), 1);

	gt_pkcs1_block((const uint8_t *)"x", 1, block, 128);
	/* wrong length */
	ck_assert_uint_eq(gt_chained(c, 0x58, 0, app, cid, block, 127, 200), 0x6700);
	ck_assert_uint_eq(gt_chained(c, 0x58, 0, app, cid, block, 129, 200), 0x6700);
	/* block >= modulus */
	memset(block, 0xFF, 128);
	ck_assert_uint_eq(gt_chained(c, 0x58, 0, app, cid, block, 128, 200), 0x6A80);
	/* no key in the container, bad P1 */
	ck_assert_uint_eq(gt_chained(c, 0x58, 0, app, cid2, block, 128, 200), 0x6A82);
	ck_assert_uint_eq(gt_chained(c, 0x58, 1, app, cid, block, 128, 200), 0x6A86);
	/* sign with a 2048 block over 3 APDUs: still fine (P2 0,1,2) */
	ck_assert_uint_eq(gen_rsa(c, app, cid2, 2048), 0x9000);
	memcpy(blob, c->rsp, 268);
	EVP_PKEY *pub2 = gt_blob_to_pkey(blob);
	gt_pkcs1_block((const uint8_t *)"three", 5, block, 256);
	ck_assert_uint_eq(gt_chained(c, 0x58, 0, app, cid2, block, 256, 100), 0x9000);
	ck_assert_uint_eq(c->len, 256);
	ck_assert_int_eq(gt_verify_sig(pub2, (const uint8_t *)"three", 5, c->rsp, 256), 1);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(pub2);
	gt_free(c);
}
END_TEST

START_TEST(import_key_pair)
{
	uint16_t app, cid;
	gt_card *c = gt_new_app(&app);
	ck_assert_uint_eq(gt_verify(c, app, 1, "111111"), 0x9000);
	ck_assert_uint_eq(gt_create_cont(c, app, "K1", &cid), 0x9000);
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	ck_assert_ptr_nonnull(key);
	unsigned char *der = NULL;
	int n = i2d_PrivateKey(key, &der);
	ck_assert_int_gt(n, 255);
	/* garbage is refused */
	uint8_t junk[300];
	memset(junk, 0x30, sizeof(junk));
	ck_assert_uint_eq(gt_chained(c, 0x56, 0, app, cid, junk, sizeof(junk), 200), 0x6A80);
	/* into the encryption slot (P1 00), then the signing slot (P1 01) */
	ck_assert_uint_eq(gt_chained(c, 0x56, 0, app, cid, der, (size_t)n, 200), 0x9000);
	ck_assert_int_eq(c->dirty, 1);
	uint8_t d[4];
	gt_ids(d, app, cid);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x88, 0, 0, d, 4, GT_NO_LE), 0x9000);
	ck_assert_uint_eq(c->len, 268);
	BIGNUM *bn = NULL;
	uint8_t nbytes[128];
	ck_assert_int_eq(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &bn), 1);
	ck_assert_int_eq(BN_bn2binpad(bn, nbytes, 128), 128);
	BN_free(bn);
	ck_assert_mem_eq(c->rsp + 8 + 128, nbytes, 128);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x88, 1, 0, d, 4, GT_NO_LE), 0x6A82);

	ck_assert_uint_eq(gt_chained(c, 0x56, 1, app, cid, der, (size_t)n, 240), 0x9000);
	ck_assert_int_eq(card_sign_verifies(c, app, cid, key, "imported"), 1);
	OPENSSL_clear_free(der, (size_t)n);

	/* import needs the user PIN */
	uint8_t id[2];
	gt_ids(id, app, -1);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x1C, 0, 0, id, 2, GT_NO_LE), 0x9000);
	ck_assert_uint_eq(gt_chained(c, 0x56, 0, app, cid, junk, 10, 200), 0x6982);
	EVP_PKEY_free(key);
	gt_free(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vtoken_gmt0017_rsa");
	TCase *tc = tcase_create("rsa");
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, generate_sign_verify);
	tcase_add_test(tc, sign_rejects_bad_blocks);
	tcase_add_test(tc, import_key_pair);
	suite_add_tcase(s, tc);
	return gt_run(s);
}
