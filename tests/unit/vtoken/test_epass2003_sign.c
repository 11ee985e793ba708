/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ePass2003 emulation: signatures checked with OpenSSL. OpenSC's way on
 * the PKCS#15 layout (raw RSA on a host-padded block, 00 2A 80 86) with
 * the personalised key, a key generated on the card (00 46, modulus read
 * with 80 B4) and one imported (80 E7); and the vendor's published ESPK
 * sequence, in plain and under SM: SELECT 2003, certificate read without
 * PIN, EXTERNAL AUTHENTICATE key 1, MSE 41 B6 {80 01 82 81 02 A0 20},
 * PSO HASH with OpenSSL's own SHA-256 midstate, PSO CDS. */
#define OPENSSL_SUPPRESS_DEPRECATED 1  /* SHA256_CTX: a midstate source */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "e3_thost.h"
#include "vt_os_epass2003.h"

static const char *model_name[3] = { "des", "aes", "fips" };
static uint8_t msg[1000];

static vte_card *card(int model, const char *layout)
{
	vte_card *c = vt_os_epass2003.create();
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(vt_os_epass2003.set_model(c, model_name[model], NULL, 0), 0);
	vt_init_params p = { 0 };
	p.user_pin = "1234";
	p.so_pin = "56785678";
	p.key_bits = 2048;
	p.layout = layout;
	p.label = "unit";
	ck_assert_int_eq(vt_os_epass2003.init(c, &p), 0);
	return c;
}

static void sel(e3h *h, uint16_t fid)
{
	uint8_t f[2] = { (uint8_t)(fid >> 8), (uint8_t)fid };
	ck_assert_uint_eq(e3h_cmd(h, 0, 0xA4, 0, 0, f, 2, 256), 0x9000);
}

/* Whole transparent EF (size from the FCI tag 80) into out. */
static size_t read_ef(e3h *h, uint16_t fid, uint8_t *out, size_t cap)
{
	sel(h, fid);
	ck_assert_uint_eq(h->rsp[2], 0x80);
	size_t size = (size_t)h->rsp[4] << 8 | h->rsp[5];
	ck_assert_uint_le(size, cap);
	for (size_t o = 0; o < size; o += 216) {
		size_t l = size - o < 216 ? size - o : 216;
		ck_assert_uint_eq(e3h_cmd(h, 0, 0xB0, (uint8_t)(o >> 8), (uint8_t)o,
					  NULL, 0, (long)l), 0x9000);
		ck_assert_uint_eq(h->rlen, l);
		memcpy(out + o, h->rsp, l);
	}
	return size;
}

static EVP_PKEY *pub_from_modulus(const uint8_t *n, size_t len)
{
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	BIGNUM *bn = BN_bin2bn(n, (int)len, NULL), *be = BN_new();
	BN_set_word(be, 65537);
	OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, bn);
	OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, be);
	OSSL_PARAM *pr = OSSL_PARAM_BLD_to_param(b);
	EVP_PKEY_CTX *cx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *k = NULL;
	ck_assert_int_gt(EVP_PKEY_fromdata_init(cx), 0);
	ck_assert_int_gt(EVP_PKEY_fromdata(cx, &k, EVP_PKEY_PUBLIC_KEY, pr), 0);
	EVP_PKEY_CTX_free(cx);
	OSSL_PARAM_free(pr);
	OSSL_PARAM_BLD_free(b);
	BN_free(bn);
	BN_free(be);
	return k;
}

static void verify(EVP_PKEY *k, const uint8_t *sig, size_t slen)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	ck_assert_int_eq(EVP_DigestVerifyInit(m, NULL, EVP_sha256(), NULL, k), 1);
	ck_assert_int_eq(EVP_DigestVerify(m, sig, slen, msg, sizeof msg), 1);
	EVP_MD_CTX_free(m);
}

/* OpenSC's signature: PKCS#1 v1.5 block made on the host, raw RSA on the
 * card with the key the MSE names. */
static void raw_sign_verify(e3h *h, uint16_t keyfid, EVP_PKEY *pub)
{
	static const uint8_t prefix[19] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
					    0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
					    0x01, 0x05, 0x00, 0x04, 0x20 };
	uint8_t mse[7] = { 0x80, 0x01, 0x84, 0x81, 0x02, (uint8_t)(keyfid >> 8),
			   (uint8_t)keyfid }, em[256];
	ck_assert_uint_eq(e3h_cmd(h, 0, 0x22, 0x41, 0xB8, mse, 7, -1), 0x9000);
	em[0] = 0; em[1] = 1;
	memset(em + 2, 0xFF, 256 - 3 - 19 - 32);
	em[256 - 20 - 32] = 0;
	memcpy(em + 256 - 19 - 32, prefix, 19);
	SHA256(msg, sizeof msg, em + 256 - 32);
	ck_assert_uint_eq(e3h_cmd(h, 0, 0x2A, 0x80, 0x86, em, 256, 0), 0x9000);
	ck_assert_uint_eq(h->rlen, 256);
	verify(pub, h->rsp, 256);
}

START_TEST(pkcs15_personalised_key)
{
	int model = _i;
	e3h h;
	uint8_t der[600];
	e3h_global_init();
	vte_card *c = card(model, "pkcs15");
	e3h_attach(&h, c, model);
	ck_assert_uint_eq(e3h_open(&h, 0), 0x9000);
	sel(&h, 0x5015);
	size_t n = read_ef(&h, 0x3000, der, sizeof der);
	const unsigned char *p = der;
	EVP_PKEY *pub = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)n);
	ck_assert_ptr_nonnull(pub);
	raw_sign_verify(&h, 0x2900, pub);
	EVP_PKEY_free(pub);
	vt_os_epass2003.destroy(c);
}
END_TEST

START_TEST(generated_and_imported_keys)
{
	e3h h;
	uint8_t fcp[64], d[300];
	e3h_global_init();
	vte_card *c = card(VTE_MODEL_FIPS, "pkcs15");
	e3h_attach(&h, c, VTE_MODEL_FIPS);
	ck_assert_uint_eq(e3h_open(&h, 0), 0x9000);
	sel(&h, 0x5015);
	/* key files as OpenSC's pkcs15-init creates them for key reference 1 */
	size_t l = e3h_hex("62 16 82 02 11 00 83 02 29 20 85 02 08 00"
			   " 86 08 FF 90 90 90 FF FF FF FF", fcp, sizeof fcp);
	ck_assert_uint_eq(e3h_sm(&h, 0, 0xE0, 0, 0, fcp, l, -1), 0x9000);
	l = e3h_hex("62 1A 82 02 12 00 83 02 30 20 85 02 08 00"
		    " 86 08 90 90 90 90 FF FF FF FF 87 02 00 66", fcp, sizeof fcp);
	ck_assert_uint_eq(e3h_sm(&h, 0, 0xE0, 0, 0, fcp, l, -1), 0x9000);
	l = e3h_hex("01 08 00 29 20 30 20", d, sizeof d);
	ck_assert_uint_eq(e3h_sm(&h, 0, 0x46, 0, 0, d, l, -1), 0x9000);
	uint8_t pf[2] = { 0x30, 0x20 };
	ck_assert_uint_eq(e3h_sm(&h, 0x80, 0xB4, 0x02, 0x00, pf, 2, 0), 0x9000);
	ck_assert_uint_eq(h.rlen, 256);
	EVP_PKEY *pub = pub_from_modulus(h.rsp, 256);
	raw_sign_verify(&h, 0x2920, pub);
	EVP_PKEY_free(pub);
	/* an EC key pair is not emulated */
	d[0] = 0x02;
	ck_assert_uint_eq(e3h_sm(&h, 0, 0x46, 0, 0, d, l, -1), 0x6A80);

	/* import: n and d, big-endian, extended APDUs under SM */
	l = e3h_hex("62 16 82 02 11 00 83 02 29 40 85 02 08 00"
		    " 86 08 FF 90 90 90 FF FF FF FF", fcp, sizeof fcp);
	ck_assert_uint_eq(e3h_sm(&h, 0, 0xE0, 0, 0, fcp, l, -1), 0x9000);
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	BIGNUM *bn = NULL, *bd = NULL;
	ck_assert(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &bn));
	ck_assert(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_D, &bd));
	d[0] = 0x29;
	d[1] = 0x40;
	BN_bn2binpad(bn, d + 2, 256);
	ck_assert_uint_eq(e3h_sm(&h, 0x80, 0xE7, 0x02, 0x00, d, 258, -1), 0x9000);
	BN_bn2binpad(bd, d + 2, 256);
	ck_assert_uint_eq(e3h_sm(&h, 0x80, 0xE7, 0x03, 0x00, d, 258, -1), 0x9000);
	raw_sign_verify(&h, 0x2940, k);
	BN_clear_free(bd);
	BN_free(bn);
	EVP_PKEY_free(k);
	vt_os_epass2003.destroy(c);
}
END_TEST

/* The attribute stream of an ESPK object file: value of type t. */
static const uint8_t *espk_attr(const uint8_t *b, size_t len, uint32_t t,
				size_t *vl)
{
	for (size_t o = 0; o + 8 <= len;) {
		uint32_t ty = (uint32_t)b[o] | (uint32_t)b[o + 1] << 8 |
			      (uint32_t)b[o + 2] << 16 | (uint32_t)b[o + 3] << 24;
		size_t l = (size_t)b[o + 4] | (size_t)b[o + 5] << 8;
		ck_assert_uint_le(o + 8 + l, len);
		if (ty == t) {
			*vl = l;
			return b + o + 8;
		}
		o += 8 + l;
	}
	return NULL;
}

/* FID of an index record by file name; its used size in *used. */
static uint16_t espk_find(const uint8_t *idx, size_t len, const char *name,
			  size_t *used)
{
	for (size_t o = 0; o + 30 <= len; o += 30) {
		const uint8_t *r = idx + o;
		if (r[0] == 0xFF && r[1] == 0xFF)
			continue;
		if (!strncmp((const char *)r + 12, name, 13)) {
			*used = (size_t)r[26] | (size_t)r[27] << 8;
			return (uint16_t)(r[0] | r[1] << 8);
		}
	}
	return 0;
}

START_TEST(espk_published_sequence)
{
	/* _i: bit 0 = under SM, bits 1.. = model */
	int sm = _i & 1, model = _i >> 1;
	e3h h;
	static uint8_t idx[1024], obj[4096];
	e3h_global_init();
	RAND_bytes(msg, sizeof msg);
	vte_card *c = card(model, "espk");
	e3h_attach(&h, c, model);
	/* 1. secure messaging (OpenSC's driver and the vendor's both do) */
	ck_assert_uint_eq(e3h_open(&h, 0), 0x9000);
	h.sm = sm;                      /* the rest plain, or wrapped */
	/* 2. SELECT the ESPK DF: its name in the FCI */
	uint8_t df[2] = { 0x20, 0x03 };
	ck_assert_uint_eq(e3h_cmd(&h, 0, 0xA4, 0, 0, df, 2, 256), 0x9000);
	ck_assert_uint_eq(h.rsp[10], 0x84);
	ck_assert_uint_eq(h.rsp[11], 16);
	ck_assert_mem_eq(h.rsp + 12, "ENTERSAFE-ESPK\0\0", 16);
	/* the index, then the certificate, without PIN */
	size_t il = read_ef(&h, 0x6F01, idx, sizeof idx), used = 0, vl = 0;
	uint16_t fid = espk_find(idx, il, "cert0001", &used);
	ck_assert_uint_eq(fid >> 8, 0x24);
	ck_assert_uint_ge(read_ef(&h, fid, obj, sizeof obj), used);
	const uint8_t *v = espk_attr(obj, used, 0x11, &vl);      /* CKA_VALUE */
	ck_assert_ptr_nonnull(v);
	X509 *x = d2i_X509(NULL, &v, (long)vl);
	ck_assert_ptr_nonnull(x);
	/* the key handles of the objects */
	uint16_t pf = espk_find(idx, il, "prvk0001", &used);
	read_ef(&h, pf, obj, sizeof obj);
	v = espk_attr(obj, used, 0x80000100u, &vl);
	ck_assert_uint_eq(vl, 4);
	ck_assert_mem_eq(v, "\x20\xA0\x00\x00", 4);
	uint16_t kf = espk_find(idx, il, "pubk0001", &used);
	read_ef(&h, kf, obj, sizeof obj);
	v = espk_attr(obj, used, 0x80000100u, &vl);
	ck_assert_mem_eq(v, "\x20\x80\x00\x00", 4);
	v = espk_attr(obj, used, 0x120, &vl);                  /* CKA_MODULUS */
	ck_assert_uint_eq(vl, 257);
	ck_assert_uint_eq(v[0], 0);

	uint8_t mse[7] = { 0x80, 0x01, 0x82, 0x81, 0x02, 0xA0, 0x20 };
	ck_assert_uint_eq(e3h_cmd(&h, 0, 0x22, 0x41, 0xB6, mse, 7, -1), 0x9000);
	/* the hash, as the host leaves it after the full blocks */
	SHA256_CTX s;
	SHA256_Init(&s);
	size_t full = sizeof msg / 64, tail = sizeof msg - full * 64;
	SHA256_Update(&s, msg, full * 64);
	uint8_t tlv[128], *p = tlv;
	*p++ = 0x81; *p++ = 4;
	*p++ = 0; *p++ = 0; *p++ = (uint8_t)(full >> 8); *p++ = (uint8_t)full;
	*p++ = 0x90; *p++ = 32;
	for (int i = 0; i < 8; i++) {
		*p++ = (uint8_t)(s.h[i] >> 24); *p++ = (uint8_t)(s.h[i] >> 16);
		*p++ = (uint8_t)(s.h[i] >> 8); *p++ = (uint8_t)s.h[i];
	}
	*p++ = 0x80; *p++ = (uint8_t)tail;
	memcpy(p, msg + full * 64, tail);
	p += tail;
	size_t tl = (size_t)(p - tlv);
	/* without the PIN the key cannot be used */
	ck_assert_uint_eq(e3h_cmd(&h, 0, 0x2A, 0x90, 0xA0, tlv, tl, -1), 0x9000);
	ck_assert_uint_eq(e3h_cmd(&h, 0, 0x2A, 0x9E, 0x9A, NULL, 0, 256), 0x6982);
	/* 3. the PIN, by EXTERNAL AUTHENTICATE with key 1 */
	ck_assert_uint_eq(e3h_ext_auth(&h, 1, "1234"), 0x9000);
	/* 4.-6. MSE, PSO HASH, PSO CDS; a new MSE drops the old hash */
	ck_assert_uint_eq(e3h_cmd(&h, 0, 0x22, 0x41, 0xB6, mse, 7, -1), 0x9000);
	ck_assert_uint_eq(e3h_cmd(&h, 0, 0x2A, 0x9E, 0x9A, NULL, 0, 256), 0x6985);
	ck_assert_uint_eq(e3h_cmd(&h, 0, 0x2A, 0x90, 0xA0, tlv, tl, -1), 0x9000);
	ck_assert_uint_eq(e3h_cmd(&h, 0, 0x2A, 0x9E, 0x9A, NULL, 0, 256), 0x9000);
	ck_assert_uint_eq(h.rlen, 256);
	verify(X509_get0_pubkey(x), h.rsp, 256);
	/* the hash is used up */
	ck_assert_uint_eq(e3h_cmd(&h, 0, 0x2A, 0x9E, 0x9A, NULL, 0, 256), 0x6985);
	X509_free(x);
	vt_os_epass2003.destroy(c);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("vtoken_epass2003_sign");
	TCase *t = tcase_create("sign");
	tcase_set_timeout(t, 120);
	tcase_add_loop_test(t, pkcs15_personalised_key, 0, 3);
	tcase_add_test(t, generated_and_imported_keys);
	tcase_add_loop_test(t, espk_published_sequence, 0, 6);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *r = srunner_create(suite());
	srunner_run_all(r, CK_NORMAL);
	int failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
