/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_rn_token_hostile.c — renew/token against fake_p11.so, a module that
 * lies: counts beyond the room it was given, attribute lengths that grow or
 * are huge, over-long CKA_IDs, control bytes in labels, every PIN class,
 * CKR_DEVICE_ERROR with and without the token, signatures too long or short,
 * and templates it refuses until they are minimal.
 */
#include <check.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "rn_token.h"

static const char *fake_path;

static struct rn_module *load(const char *mode_name)
{
	struct rn_module *m = NULL;
	char err[256] = "";

	setenv("RN_FAKE_MODE", mode_name, 1);
	ck_assert_msg(rn_module_load(fake_path, NULL, NULL, &m, err, sizeof(err)) == RN_TOK_OK,
		      "%s", err);
	return m;
}

static struct rn_session *session(struct rn_module *m)
{
	struct rn_session *s = NULL;
	char err[256] = "";

	ck_assert_int_eq(rn_session_open(m, 7, 1, &s, err, sizeof(err)), RN_TOK_OK);
	return s;
}

typedef void (*counts_fn)(unsigned *, unsigned *, unsigned long *, unsigned long *,
			  unsigned long *);

static counts_fn counts(void)
{
	void *h = dlopen(fake_path, RTLD_NOW | RTLD_NOLOAD);
	void *sym;
	counts_fn f;

	ck_assert_ptr_nonnull(h);
	sym = dlsym(h, "fake_p11_counts");
	ck_assert_ptr_nonnull(sym);
	memcpy(&f, &sym, sizeof(f));
	dlclose(h);
	return f;
}

START_TEST(init_fails)
{
	struct rn_module *m = (void *)1;
	char err[256] = "";

	setenv("RN_FAKE_MODE", "init_fail", 1);
	ck_assert_int_eq(rn_module_load(fake_path, NULL, NULL, &m, err, sizeof(err)),
			 RN_TOK_MODULE);
	ck_assert_ptr_null(m);
	ck_assert_str_eq(err, "C_Initialize: CKR_GENERAL_ERROR");
}
END_TEST

START_TEST(already_initialised)
{
	struct rn_module *m = load("already_init");
	void *h = dlopen(fake_path, RTLD_NOW | RTLD_NOLOAD);
	void *sym = h ? dlsym(h, "fake_p11_finalize_calls") : NULL;
	unsigned (*fin)(void);
	unsigned before;

	ck_assert_ptr_nonnull(sym);
	memcpy(&fin, &sym, sizeof(fin));
	before = fin();
	/* Someone else initialised it: it is theirs to finalise. */
	rn_module_unload(m);
	ck_assert_uint_eq(fin(), before);
	m = load("");
	rn_module_unload(m);
	ck_assert_uint_eq(fin(), before + 1);
	dlclose(h);
}
END_TEST

START_TEST(token_info_failures)
{
	struct rn_token_info *ti = NULL;
	size_t n = 9;
	char err[256] = "";
	struct rn_module *m = load("tok_unrecognized");

	/* A card the module does not know is left out, not an error. */
	ck_assert_int_eq(rn_token_list(m, &ti, &n, err, sizeof(err)), RN_TOK_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(ti);
	setenv("RN_FAKE_MODE", "tok_error", 1);
	ck_assert_int_eq(rn_token_list(m, &ti, &n, err, sizeof(err)), RN_TOK_ERROR);
	ck_assert_str_eq(err, "slot 7: C_GetTokenInfo: CKR_FUNCTION_FAILED");
	rn_module_unload(m);
}
END_TEST

START_TEST(slot_counts)
{
	struct rn_token_info *ti = (void *)1;
	size_t n = 5;
	char err[256] = "";
	struct rn_module *m = load("slots_huge");

	ck_assert_int_eq(rn_token_list(m, &ti, &n, err, sizeof(err)), RN_TOK_ERROR);
	ck_assert_ptr_null(ti);
	ck_assert_uint_eq(n, 0);
	ck_assert_msg(strstr(err, "100000 slots") != NULL, "%s", err);
	setenv("RN_FAKE_MODE", "slots_overflow", 1);
	ck_assert_int_eq(rn_token_list(m, &ti, &n, err, sizeof(err)), RN_TOK_ERROR);
	ck_assert_msg(strstr(err, "in a buffer of") != NULL, "%s", err);
	rn_module_unload(m);
}
END_TEST

START_TEST(token_fields_sanitised)
{
	struct rn_token_info *ti = NULL;
	size_t n = 0;
	char err[256] = "";
	struct rn_module *m = load("");

	ck_assert_int_eq(rn_token_list(m, &ti, &n, err, sizeof(err)), RN_TOK_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(ti[0].slot, 7);
	ck_assert_str_eq(ti[0].label, "evil?label");       /* cut at the NUL */
	ck_assert_str_eq(ti[0].manufacturer, "Fake?");
	ck_assert_str_eq(ti[0].serial, "SSSSSSSSSSSSSSSS"); /* 16, no padding */
	ck_assert_int_eq(ti[0].pin_count_low, 1);
	ck_assert_int_eq(ti[0].pin_final_try, 1);
	ck_assert_int_eq(ti[0].login_required, 1);
	free(ti);
	rn_module_unload(m);
}
END_TEST

static enum rn_tok_rc list_certs(const char *mode_name, size_t *n, char *err, size_t errlen,
				 struct rn_cert **out)
{
	struct rn_module *m = load(mode_name);
	struct rn_session *s = session(m);
	struct rn_cert *c = NULL;
	enum rn_tok_rc rc = rn_cert_list(s, &c, n, err, errlen);

	if (out)
		*out = c;
	else
		rn_cert_list_free(c, *n);
	rn_session_close(s);
	rn_module_unload(m);
	return rc;
}

START_TEST(cert_list_hostile)
{
	struct rn_cert *c = NULL;
	size_t n = 0;
	char err[256] = "";

	ck_assert_int_eq(list_certs("", &n, err, sizeof(err), &c), RN_TOK_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(c[0].label, "cert?label");
	ck_assert_uint_eq(c[0].id_len, 1);
	ck_assert_uint_eq(c[0].der_len, 16);
	ck_assert_int_eq(c[0].key_present, -1);
	rn_cert_list_free(c, n);

	ck_assert_int_eq(list_certs("find_overcount", &n, err, sizeof(err), NULL), RN_TOK_ERROR);
	ck_assert_msg(strstr(err, "C_FindObjects: 33 objects") != NULL, "%s", err);
	ck_assert_int_eq(list_certs("attr_huge", &n, err, sizeof(err), NULL), RN_TOK_ERROR);
	ck_assert_msg(strstr(err, "CKA_VALUE of 2097152 bytes") != NULL, "%s", err);
	ck_assert_int_eq(list_certs("attr_grow", &n, err, sizeof(err), NULL), RN_TOK_ERROR);
	ck_assert_msg(strstr(err, "grew") != NULL, "%s", err);
	/* A 100-byte CKA_ID cannot be represented: the certificate is left out. */
	ck_assert_int_eq(list_certs("id_long", &n, err, sizeof(err), NULL), RN_TOK_OK);
	ck_assert_uint_eq(n, 0);
	/* CKR_DEVICE_ERROR: removal only when the slot says the token is gone. */
	ck_assert_int_eq(list_certs("device_error_present", &n, err, sizeof(err), NULL),
			 RN_TOK_ERROR);
	ck_assert_str_eq(err, "C_FindObjectsInit: CKR_DEVICE_ERROR");
	ck_assert_int_eq(list_certs("device_error_gone", &n, err, sizeof(err), NULL),
			 RN_TOK_REMOVED);
	ck_assert_str_eq(err, "C_FindObjectsInit: CKR_DEVICE_ERROR (token removed)");
	ck_assert_int_eq(list_certs("session_invalid_present", &n, err, sizeof(err), NULL),
			 RN_TOK_ERROR);
	ck_assert_str_eq(err, "C_FindObjectsInit: CKR_SESSION_HANDLE_INVALID");
}
END_TEST

static enum rn_tok_rc login(const char *mode_name, const char *pin, char *err, size_t errlen)
{
	struct rn_module *m = load(mode_name);
	struct rn_session *s = session(m);
	enum rn_tok_rc rc = rn_session_login(s, pin, strlen(pin), err, errlen);

	rn_session_close(s);
	rn_module_unload(m);
	return rc;
}

START_TEST(pin_classes)
{
	char err[256];

	ck_assert_int_eq(login("", "1234", err, sizeof(err)), RN_TOK_OK);
	ck_assert_int_eq(login("", "9999", err, sizeof(err)), RN_TOK_PIN_INCORRECT);
	ck_assert_int_eq(login("pin_locked", "1234", err, sizeof(err)), RN_TOK_PIN_LOCKED);
	ck_assert_str_eq(err, "C_Login: CKR_PIN_LOCKED");
	ck_assert_int_eq(login("pin_len", "1234", err, sizeof(err)), RN_TOK_PIN_INVALID);
	ck_assert_int_eq(login("pin_invalid", "1234", err, sizeof(err)), RN_TOK_PIN_INVALID);
	ck_assert_int_eq(login("pin_expired", "1234", err, sizeof(err)), RN_TOK_ERROR);
	ck_assert_str_eq(err, "C_Login: CKR_PIN_EXPIRED");
}
END_TEST

/* PKCS#1 v1.5 signature of a SHA-256 digest with the fake token key. */
static int fake_sign(const char *mode_name, unsigned char *sig, size_t *siglen,
		     enum rn_tok_rc *last, char *err, size_t errlen)
{
	struct rn_module *m = load("");
	struct rn_session *s = session(m);
	EVP_PKEY *k = NULL;
	EVP_PKEY_CTX *pc;
	unsigned char md[32] = { 1, 2, 3 };
	int ok;

	ck_assert_int_eq(rn_session_login(s, "1234", 4, err, errlen), RN_TOK_OK);
	ck_assert_msg(rn_private_key(s, (const unsigned char *)"\x01", 1, &k, err, errlen) ==
		      RN_TOK_OK, "%s", err);
	ck_assert_int_eq(EVP_PKEY_get_bits(k), 2048);
	setenv("RN_FAKE_MODE", mode_name, 1);
	pc = EVP_PKEY_CTX_new(k, NULL);
	ck_assert_int_eq(EVP_PKEY_sign_init(pc), 1);
	ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING), 1);
	ck_assert_int_eq(EVP_PKEY_CTX_set_signature_md(pc, EVP_sha256()), 1);
	ok = EVP_PKEY_sign(pc, sig, siglen, md, sizeof(md)) == 1;
	EVP_PKEY_CTX_free(pc);
	ERR_clear_error();
	*last = rn_session_last_error(s, err, errlen);
	EVP_PKEY_free(k);
	rn_session_close(s);
	rn_module_unload(m);
	return ok;
}

START_TEST(sign_lengths)
{
	unsigned char sig[512];
	size_t siglen = sizeof(sig);
	enum rn_tok_rc last;
	char err[256] = "";

	/* 255 bytes back: the dropped leading zero is restored. */
	ck_assert_int_eq(fake_sign("", sig, &siglen, &last, err, sizeof(err)), 1);
	ck_assert_uint_eq(siglen, 256);
	ck_assert_uint_eq(sig[0], 0);
	ck_assert_uint_eq(sig[1], 0x5A);
	ck_assert_uint_eq(sig[255], 0x5A);
	ck_assert_int_eq(last, RN_TOK_OK);

	/* CKR_BUFFER_TOO_SMALL for a modulus-sized buffer: retried with room. */
	siglen = sizeof(sig);
	ck_assert_int_eq(fake_sign("sign_toosmall", sig, &siglen, &last, err, sizeof(err)), 1);
	ck_assert_uint_eq(siglen, 256);
	ck_assert_uint_eq(sig[0], 0);
	ck_assert_uint_eq(sig[1], 0x5A);

	/* Claims 300 bytes for a 2048-bit key: refused. */
	siglen = sizeof(sig);
	ck_assert_int_eq(fake_sign("sign_long", sig, &siglen, &last, err, sizeof(err)), 0);
	ck_assert_int_eq(last, RN_TOK_ERROR);
	ck_assert_msg(strstr(err, "C_Sign: 300 bytes") != NULL, "%s", err);

	siglen = sizeof(sig);
	ck_assert_int_eq(fake_sign("sign_removed", sig, &siglen, &last, err, sizeof(err)), 0);
	ck_assert_int_eq(last, RN_TOK_REMOVED);
	ck_assert_str_eq(err, "C_Sign: CKR_DEVICE_REMOVED");
}
END_TEST

START_TEST(key_type_dispatch)
{
	struct rn_module *m = load("key_ec");
	struct rn_session *s = session(m);
	EVP_PKEY *k = NULL;
	char err[256] = "";

	ck_assert_int_eq(rn_session_login(s, "1234", 4, err, sizeof(err)), RN_TOK_OK);
	ck_assert_int_eq(rn_private_key(s, (const unsigned char *)"\x01", 1, &k, err,
					sizeof(err)), RN_TOK_NOT_FOUND);
	ck_assert_ptr_null(k);
	ck_assert_msg(strstr(err, "not supported") != NULL, "%s", err);
	rn_session_close(s);
	rn_module_unload(m);
}
END_TEST

static unsigned char *soft_cert(size_t *len)
{
	EVP_PKEY *k = EVP_RSA_gen(1024);
	X509 *x = X509_new();
	unsigned char *der = NULL;
	int l;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 99);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)"x", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 60);
	X509_set_pubkey(x, k);
	ck_assert_int_gt(X509_sign(x, k, EVP_sha256()), 0);
	l = i2d_X509(x, &der);
	ck_assert_int_gt(l, 0);
	X509_free(x);
	EVP_PKEY_free(k);
	*len = (size_t)l;
	return der;
}

START_TEST(templates_retried)
{
	struct rn_module *m = load("create_strict");
	struct rn_session *s = session(m);
	counts_fn cnt = counts();
	unsigned gen0, cre0, gen, cre;
	unsigned long last, gp, gq;
	size_t len;
	unsigned char *der = soft_cert(&len);
	char err[256] = "";

	cnt(&gen0, &cre0, &last, &gp, &gq);
	/* CKA_ISSUER/CKA_SERIAL_NUMBER refused: second try without them. */
	ck_assert_msg(rn_cert_write(s, der, len, (const unsigned char *)"\x05", 1, "l", err,
				    sizeof(err)) == RN_TOK_OK, "%s", err);
	cnt(&gen, &cre, &last, &gp, &gq);
	ck_assert_uint_eq(cre - cre0, 2);
	ck_assert_uint_eq(last, 7);
	/* CKA_LABEL refused too: third try. */
	setenv("RN_FAKE_MODE", "create_nolabel", 1);
	ck_assert_int_eq(rn_cert_write(s, der, len, (const unsigned char *)"\x05", 1, "l", err,
				       sizeof(err)), RN_TOK_OK);
	cnt(&gen, &cre0, &last, &gp, &gq);
	ck_assert_uint_eq(cre0 - cre, 3);
	ck_assert_uint_eq(last, 6);
	setenv("RN_FAKE_MODE", "create_full", 1);
	ck_assert_int_eq(rn_cert_write(s, der, len, (const unsigned char *)"\x05", 1, "l", err,
				       sizeof(err)), RN_TOK_ERROR);
	ck_assert_str_eq(err, "C_CreateObject: CKR_DEVICE_MEMORY");
	/* A DER with trailing bytes is not a certificate. */
	{
		unsigned char *more = malloc(len + 1);

		memcpy(more, der, len);
		more[len] = 0;
		ck_assert_int_eq(rn_cert_write(s, more, len + 1, (const unsigned char *)"\x05", 1,
					       "l", err, sizeof(err)), RN_TOK_ERROR);
		free(more);
	}

	setenv("RN_FAKE_MODE", "gen_strict", 1);
	ck_assert_msg(rn_generate_rsa(s, 2048, (const unsigned char *)"\x06", 1, "k", err,
				      sizeof(err)) == RN_TOK_OK, "%s", err);
	cnt(&gen, &cre, &last, &gp, &gq);
	ck_assert_uint_eq(gen - gen0, 2);
	ck_assert_uint_eq(gp, 6);
	ck_assert_uint_eq(gq, 6);
	OPENSSL_free(der);
	rn_session_close(s);
	rn_module_unload(m);
}
END_TEST

int main(int argc, char **argv)
{
	Suite *su = suite_create("rn_token_hostile");
	TCase *tc = tcase_create("fake");
	SRunner *sr;
	int failed;

	if (argc != 2) {
		fprintf(stderr, "usage: %s FAKE_MODULE\n", argv[0]);
		return 2;
	}
	fake_path = argv[1];
	tcase_add_test(tc, init_fails);
	tcase_add_test(tc, already_initialised);
	tcase_add_test(tc, token_info_failures);
	tcase_add_test(tc, slot_counts);
	tcase_add_test(tc, token_fields_sanitised);
	tcase_add_test(tc, cert_list_hostile);
	tcase_add_test(tc, pin_classes);
	tcase_add_test(tc, sign_lengths);
	tcase_add_test(tc, key_type_dispatch);
	tcase_add_test(tc, templates_retried);
	suite_add_tcase(su, tc);
	sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
