/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GM/T 0017 virtual OS: personalisation (ukey-vtoken init --os gmt0017). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "gm_tutil.h"

/* Fetches the signing certificate and public key blob of the initialised
 * container (logging in as the user). */
static X509 *personalised_cert(gt_card *c, uint8_t blob[268], uint16_t *app,
			       uint16_t *cid)
{
	*app = gt_open_app(c, "UKEY-APP");
	ck_assert_uint_eq(gt_open_cont(c, *app, "UKEY-CONTAINER", cid), 0x9000);
	uint8_t d[4];
	gt_ids(d, *app, *cid);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x88, 1, 0, d, 4, GT_NO_LE), 0x9000);
	memcpy(blob, c->rsp, 268);
	int pieces;
	ck_assert_uint_eq(gt_apdu_t0(c, 0x80, 0x4E, 1, 0, d, 4, GT_NO_LE, &pieces), 0x9000);
	ck_assert_int_gt(pieces, 1); /* a real certificate is > 256 bytes */
	const unsigned char *p = c->rsp;
	X509 *x = d2i_X509(NULL, &p, (long)c->len);
	ck_assert_ptr_nonnull(x);
	ck_assert_ptr_eq(p, c->rsp + c->len);
	return x;
}

static int64_t days_from_now(const ASN1_TIME *t)
{
	int day = 0, sec = 0;
	ck_assert_int_eq(ASN1_TIME_diff(&day, &sec, NULL, t), 1);
	return day;
}

START_TEST(self_signed)
{
	gt_card *c = gt_new_init(2048);
	uint8_t blob[268], info[3];
	uint16_t app, cid;
	X509 *x = personalised_cert(c, blob, &app, &cid);

	/* PINs as given, 10 tries, not flagged as defaults */
	ck_assert_uint_eq(gt_pin_info(c, app, 1, info), 0x9000);
	ck_assert_mem_eq(info, "\x0a\x0a\x00", 3);
	ck_assert_uint_eq(gt_verify(c, app, 0, "12345678"), 0x9000);
	ck_assert_uint_eq(gt_verify(c, app, 1, "123456"), 0x9000);

	/* subject, validity, key */
	char cn[64];
	ck_assert_int_gt(X509_NAME_get_text_by_NID(X509_get_subject_name(x),
						   NID_commonName, cn, sizeof(cn)), 0);
	ck_assert_str_eq(cn, "ukey unit test");
	int64_t left = days_from_now(X509_get0_notAfter(x));
	ck_assert(left >= 29 && left <= 30);
	int day = 0, sec = 0;
	ck_assert_int_eq(ASN1_TIME_diff(&day, &sec, X509_get0_notBefore(x),
					X509_get0_notAfter(x)), 1);
	ck_assert_int_eq(day, 365);
	EVP_PKEY *certkey = X509_get0_pubkey(x);
	ck_assert_int_eq(X509_verify(x, certkey), 1);
	EVP_PKEY *pub = gt_blob_to_pkey(blob);
	ck_assert_int_eq(EVP_PKEY_eq(pub, certkey), 1);

	/* the token signs with the certified key */
	uint8_t block[256];
	gt_pkcs1_block((const uint8_t *)"msg", 3, block, 256);
	ck_assert_uint_eq(gt_chained(c, 0x58, 0, app, cid, block, 256, 200), 0x9000);
	ck_assert_int_eq(gt_verify_sig(certkey, (const uint8_t *)"msg", 3, c->rsp, c->len), 1);

	/* label and serial in GetDevInfo */
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x04, 0, 0, NULL, 0, 0), 0x9000);
	ck_assert_mem_eq(c->rsp + 132, "Test Token\0", 11);
	ck_assert_mem_eq(c->rsp + 164, "WD0123456789\0", 13);

	/* show */
	char *text = NULL;
	size_t tlen = 0;
	FILE *f = open_memstream(&text, &tlen);
	ck_assert_ptr_nonnull(f);
	vt_os_gmt0017.describe(c->st, f);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(text, "UKEY-APP"));
	ck_assert_ptr_nonnull(strstr(text, "CN=ukey unit test"));
	ck_assert_ptr_nonnull(strstr(text, "sign key 2048 bits"));
	free(text);
	EVP_PKEY_free(pub);
	X509_free(x);
	gt_free(c);
}
END_TEST

static void write_pem(char *path, int cert, void *obj)
{
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	FILE *f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	if (cert)
		ck_assert_int_eq(PEM_write_X509(f, obj), 1);
	else
		ck_assert_int_eq(PEM_write_PrivateKey(f, obj, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);
}

START_TEST(issued_by_ca)
{
	/* a throw-away CA */
	EVP_PKEY *cakey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	X509 *ca = X509_new();
	ck_assert_ptr_nonnull(cakey);
	X509_set_version(ca, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(ca), 7);
	X509_gmtime_adj(X509_getm_notBefore(ca), 0);
	X509_gmtime_adj(X509_getm_notAfter(ca), 86400L * 100);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(ca), "CN", MBSTRING_ASC,
				   (const unsigned char *)"Unit Test CA", -1, -1, 0);
	X509_set_issuer_name(ca, X509_get_subject_name(ca));
	X509_set_pubkey(ca, cakey);
	ck_assert_int_gt(X509_sign(ca, cakey, EVP_sha256()), 0);
	char cpath[] = "/tmp/gmt0017-ca-XXXXXX", kpath[] = "/tmp/gmt0017-cakey-XXXXXX";
	write_pem(cpath, 1, ca);
	write_pem(kpath, 0, cakey);

	gt_card *c = gt_new();
	vt_init_params p = {0};
	p.label = "CA issued";
	p.user_pin = "123456";
	p.so_pin = "12345678";
	p.key_bits = 1024;
	p.ca_cert_path = cpath;
	p.ca_key_path = kpath;
	p.days_left = -2; /* already expired */
	p.days_valid = 10;
	p.subject_cn = "expired user";
	ck_assert_int_eq(vt_os_gmt0017.init(c->st, &p), 0);
	uint8_t blob[268];
	uint16_t app, cid;
	X509 *x = personalised_cert(c, blob, &app, &cid);
	ck_assert_int_eq(X509_verify(x, cakey), 1);
	ck_assert_int_eq(X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(ca)), 0);
	int64_t left = days_from_now(X509_get0_notAfter(x));
	ck_assert(left <= -1 && left >= -2);
	ck_assert_int_lt(X509_cmp_current_time(X509_get0_notAfter(x)), 0);

	/* a CA key that does not match the CA certificate is refused */
	EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	char k2path[] = "/tmp/gmt0017-other-XXXXXX";
	write_pem(k2path, 0, other);
	p.ca_key_path = k2path;
	ck_assert_int_ne(vt_os_gmt0017.init(c->st, &p), 0);
	p.ca_key_path = "/nonexistent/key.pem";
	ck_assert_int_ne(vt_os_gmt0017.init(c->st, &p), 0);

	unlink(cpath);
	unlink(kpath);
	unlink(k2path);
	EVP_PKEY_free(other);
	X509_free(x);
	X509_free(ca);
	EVP_PKEY_free(cakey);
	gt_free(c);
}
END_TEST

START_TEST(no_user_pin_yet)
{
	gt_card *c = gt_new();
	vt_init_params p = {0};
	p.label = "blank";
	p.so_pin = "12345678";
	ck_assert_int_eq(vt_os_gmt0017.init(c->st, &p), 0);
	uint16_t app = gt_open_app(c, "UKEY-APP"), cid;
	uint8_t info[3];
	ck_assert_uint_eq(gt_pin_info(c, app, 1, info), 0x9000);
	ck_assert_mem_eq(info, "\x0a\x00\x01", 3);
	ck_assert_uint_eq(gt_open_cont(c, app, "UKEY-CONTAINER", &cid), 0x6A82);
	/* the admin sets the first user PIN with UnblockPIN */
	ck_assert_uint_eq(gt_unblock(c, app, "12345678", "first-pin"), 0x9000);
	ck_assert_uint_eq(gt_verify(c, app, 1, "first-pin"), 0x9000);
	/* random serial of 20 hex digits */
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x04, 0, 0, NULL, 0, 0), 0x9000);
	ck_assert_uint_eq(strnlen((const char *)c->rsp + 164, 32), 20);
	gt_free(c);
}
END_TEST

START_TEST(default_validity)
{
	gt_card *c = gt_new();
	vt_init_params p = {0};
	p.user_pin = "123456";
	p.so_pin = "12345678";
	p.key_bits = 1024; /* days_left = days_valid = 0: the defaults */
	ck_assert_int_eq(vt_os_gmt0017.init(c->st, &p), 0);
	uint8_t blob[268];
	uint16_t app, cid;
	X509 *x = personalised_cert(c, blob, &app, &cid);
	int64_t left = days_from_now(X509_get0_notAfter(x));
	ck_assert(left >= 364 && left <= 365);
	int64_t since = days_from_now(X509_get0_notBefore(x));
	ck_assert(since >= -1 && since <= 0);
	ck_assert_int_le(X509_cmp_current_time(X509_get0_notBefore(x)), 0);
	char cn[64];
	ck_assert_int_gt(X509_NAME_get_text_by_NID(X509_get_subject_name(x),
						   NID_commonName, cn, sizeof(cn)), 0);
	ck_assert_str_eq(cn, "ukey test");
	X509_free(x);
	gt_free(c);
}
END_TEST

START_TEST(bad_parameters)
{
	gt_card *c = gt_new();
	vt_init_params p = {0};
	p.user_pin = "123456";
	ck_assert_int_ne(vt_os_gmt0017.init(c->st, &p), 0); /* no SO PIN */
	p.so_pin = "12345";
	ck_assert_int_ne(vt_os_gmt0017.init(c->st, &p), 0);
	p.so_pin = "12345678";
	p.user_pin = "123456789012345678901234567890123";
	ck_assert_int_ne(vt_os_gmt0017.init(c->st, &p), 0);
	p.user_pin = "123456";
	p.key_bits = 3072;
	ck_assert_int_ne(vt_os_gmt0017.init(c->st, &p), 0);
	p.key_bits = 0;
	p.layout = "pkcs15";
	ck_assert_int_ne(vt_os_gmt0017.init(c->st, &p), 0);
	p.layout = "skf";
	p.label = "a label that is much too long for the token";
	ck_assert_int_ne(vt_os_gmt0017.init(c->st, &p), 0);
	p.label = "ok";
	ck_assert_int_eq(vt_os_gmt0017.init(c->st, &p), 0);
	/* re-init replaces everything */
	ck_assert_int_eq(vt_os_gmt0017.init(c->st, &p), 0);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x22, 0, 0, NULL, 0, 0), 0x9000);
	ck_assert_uint_eq(c->len, 10);
	ck_assert_mem_eq(c->rsp, "UKEY-APP\0\0", 10);
	gt_free(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vtoken_gmt0017_init");
	TCase *tc = tcase_create("init");
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, self_signed);
	tcase_add_test(tc, issued_by_ca);
	tcase_add_test(tc, no_user_pin_yet);
	tcase_add_test(tc, default_validity);
	tcase_add_test(tc, bad_parameters);
	suite_add_tcase(s, tc);
	return gt_run(s);
}
