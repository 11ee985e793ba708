/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of renew/cmp/rn_verify.c and rn_trust.c: chain, same key, sign
 * round trip, fields, trust store and fingerprints, with software keys.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "rn_verify.h"
#include "rn_test_pki.h"

START_TEST(chain_ok_and_untrusted)
{
	char err[256] = "";
	X509 *nc = rn_pki_cert("new");
	X509_STORE *roots = rn_pki_store("root");
	X509_STORE *evil = rn_pki_store("evil");
	ck_assert_ptr_nonnull(nc);
	ck_assert_int_eq(rn_verify_chain(nc, roots, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(rn_verify_chain(nc, evil, NULL, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "unable to get local issuer certificate") != NULL, "%s", err);
	ck_assert_int_eq(rn_verify_chain(nc, NULL, NULL, err, sizeof(err)), -1);
	X509_free(nc);
	X509_STORE_free(roots);
	X509_STORE_free(evil);
}
END_TEST

START_TEST(same_key)
{
	char err[256] = "";
	X509 *nc = rn_pki_cert("new");
	EVP_PKEY *user = rn_pki_key("user"), *other = rn_pki_key("other");
	ck_assert_int_eq(rn_verify_same_key(nc, user, err, sizeof(err)), 0);
	ck_assert_int_eq(rn_verify_same_key(nc, other, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "differs") != NULL, "%s", err);
	X509_free(nc);
	EVP_PKEY_free(user);
	EVP_PKEY_free(other);
}
END_TEST

START_TEST(sign_roundtrip)
{
	char err[256] = "";
	X509 *nc = rn_pki_cert("new");
	EVP_PKEY *user = rn_pki_key("user"), *other = rn_pki_key("other");
	ck_assert_int_eq(rn_verify_sign_roundtrip(nc, user, err, sizeof(err)), 0);
	ck_assert_int_eq(rn_verify_sign_roundtrip(nc, other, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "does not verify") != NULL, "%s", err);
	ck_assert_int_eq(rn_verify_sign_roundtrip(nc, NULL, err, sizeof(err)), -1);
	X509_free(nc);
	EVP_PKEY_free(user);
	EVP_PKEY_free(other);
}
END_TEST

START_TEST(fields)
{
	char err[256] = "";
	X509 *old = rn_pki_cert("user"), *nc = rn_pki_cert("new"), *tls = rn_pki_cert("tls");
	time_t now = time(NULL);
	ck_assert_int_eq(rn_verify_fields(old, nc, now, err, sizeof(err)), 0);
	/* not later */
	ck_assert_int_eq(rn_verify_fields(nc, old, now, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "notAfter is not later") != NULL, "%s", err);
	ck_assert_int_eq(rn_verify_fields(nc, nc, now, err, sizeof(err)), -1);
	/* other subject */
	ck_assert_int_eq(rn_verify_fields(old, tls, now, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "subject differs") != NULL, "%s", err);
	/* notBefore in the future (seen from a clock one hour behind) */
	ck_assert_int_eq(rn_verify_fields(old, nc, now - 3600, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "notBefore is in the future") != NULL, "%s", err);
	/* 4 minutes behind: within the skew */
	ck_assert_int_eq(rn_verify_fields(old, nc, now - 240, err, sizeof(err)), 0);
	/* expired (seen two years later) */
	ck_assert_int_eq(rn_verify_fields(old, nc, now + 2 * 365 * 86400L, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "expired") != NULL, "%s", err);
	X509_free(old);
	X509_free(nc);
	X509_free(tls);
}
END_TEST

START_TEST(parse_fp)
{
	unsigned char fp[32], want[32];
	const char *hex = "0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789abcdef";
	ck_assert_int_eq(rn_trust_parse_fp(hex, want), 0);
	ck_assert_int_eq(want[0], 0x01);
	ck_assert_int_eq(want[31], 0xef);
	ck_assert_int_eq(rn_trust_parse_fp("01:23:45:67:89:AB:CD:EF:01:23:45:67:89:ab:cd:ef:"
					   "01:23:45:67:89:ab:cd:ef:01:23:45:67:89:AB:CD:EF", fp), 0);
	ck_assert_mem_eq(fp, want, 32);
	ck_assert_int_eq(rn_trust_parse_fp("sha256 Fingerprint=01:23:45:67:89:AB:CD:EF:01:23:45:67:89:ab:cd:ef:"
					   "01:23:45:67:89:ab:cd:ef:01:23:45:67:89:AB:CD:EF\n", fp), 0);
	ck_assert_mem_eq(fp, want, 32);
	ck_assert_int_eq(rn_trust_parse_fp("0123", fp), -1);
	ck_assert_int_eq(rn_trust_parse_fp("", fp), -1);
	ck_assert_int_eq(rn_trust_parse_fp(NULL, fp), -1);
	/* 33 bytes */
	ck_assert_int_eq(rn_trust_parse_fp("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef00", fp), -1);
	/* odd digit count, non-hex, colon inside a byte */
	ck_assert_int_eq(rn_trust_parse_fp("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde", fp), -1);
	ck_assert_int_eq(rn_trust_parse_fp("g123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", fp), -1);
	ck_assert_int_eq(rn_trust_parse_fp("0:123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", fp), -1);
}
END_TEST

static void openssl_fp(const char *crt, char out[65])
{
	char cmd[600], line[256];
	snprintf(cmd, sizeof(cmd), "OPENSSL_CONF=/dev/null openssl x509 -in %s -noout -fingerprint -sha256", crt);
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), p));
	pclose(p);
	size_t n = 0;
	for (const char *s = strchr(line, '=') + 1; *s && n < 64; s++)
		if (*s != ':' && *s != '\n')
			out[n++] = (char)(*s >= 'A' && *s <= 'F' ? *s - 'A' + 'a' : *s);
	out[n] = '\0';
}

START_TEST(sha256_hex)
{
	char got[65], want[65];
	X509 *root = rn_pki_cert("root");
	rn_cert_sha256_hex(root, got);
	openssl_fp(rn_pki_path("root.crt"), want);
	ck_assert_str_eq(got, want);
	X509_free(root);
}
END_TEST

START_TEST(trust_store)
{
	char err[256] = "", dir[600], hex[65], path[700];
	unsigned char fp[32], bad[32];
	snprintf(dir, sizeof(dir), "%s/trust-%d/sub", rn_pki_dir, (int)getpid());

	/* empty / missing store */
	ck_assert_ptr_null(rn_trust_load(dir, err, sizeof(err)));

	X509 *root = rn_pki_cert("root");
	rn_cert_sha256_hex(root, hex);
	ck_assert_int_eq(rn_trust_parse_fp(hex, fp), 0);
	memcpy(bad, fp, 32);
	bad[0] ^= 1;
	ck_assert_int_eq(rn_trust_add(dir, rn_pki_path("root.crt"), bad, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "fingerprint mismatch") != NULL, "%s", err);
	ck_assert_int_eq(rn_trust_add(dir, rn_pki_path("root.crt"), fp, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/%s.pem", dir, hex);
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	/* not a CA */
	X509 *user = rn_pki_cert("user");
	char uhex[65];
	unsigned char ufp[32];
	rn_cert_sha256_hex(user, uhex);
	rn_trust_parse_fp(uhex, ufp);
	ck_assert_int_eq(rn_trust_add(dir, rn_pki_path("user.crt"), ufp, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "not a CA") != NULL, "%s", err);
	/* a self-signed one (no basicConstraints) */
	X509 *evil = rn_pki_cert("evil");
	char ehex[65];
	unsigned char efp[32];
	rn_cert_sha256_hex(evil, ehex);
	rn_trust_parse_fp(ehex, efp);
	ck_assert_int_eq(rn_trust_add(dir, rn_pki_path("evil.crt"), efp, err, sizeof(err)), 0);

	STACK_OF(X509) *sk = rn_trust_certs(dir, err, sizeof(err));
	ck_assert_ptr_nonnull(sk);
	ck_assert_int_eq(sk_X509_num(sk), 2);
	sk_X509_pop_free(sk, X509_free);

	X509_STORE *store = rn_trust_load(dir, err, sizeof(err));
	ck_assert_ptr_nonnull(store);
	X509 *nc = rn_pki_cert("new");
	ck_assert_int_eq(rn_verify_chain(nc, store, NULL, err, sizeof(err)), 0);
	X509_STORE_free(store);

	/* remove, and remove again */
	ck_assert_int_eq(rn_trust_remove(dir, efp, err, sizeof(err)), 0);
	ck_assert_int_eq(rn_trust_remove(dir, efp, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "no root") != NULL, "%s", err);

	/* a file whose content does not match its name is refused */
	char fake[700], cmd[1600];
	snprintf(fake, sizeof(fake), "%s/%s.pem", dir, ehex);
	snprintf(cmd, sizeof(cmd), "cp %s %s", rn_pki_path("user.crt"), fake);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_ptr_null(rn_trust_load(dir, err, sizeof(err)));
	ck_assert_msg(strstr(err, "does not match its name") != NULL, "%s", err);
	unlink(fake);
	/* other file names are ignored */
	snprintf(cmd, sizeof(cmd), "echo junk > %s/README", dir);
	ck_assert_int_eq(system(cmd), 0);
	store = rn_trust_load(dir, err, sizeof(err));
	ck_assert_ptr_nonnull(store);
	X509_STORE_free(store);

	X509_free(root);
	X509_free(user);
	X509_free(evil);
	X509_free(nc);
}
END_TEST

int main(void)
{
	if (rn_pki_make() != 0) {
		fprintf(stderr, "cannot make the test PKI\n");
		return 1;
	}
	Suite *s = suite_create("rn_verify");
	TCase *tc = tcase_create("verify");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, chain_ok_and_untrusted);
	tcase_add_test(tc, same_key);
	tcase_add_test(tc, sign_roundtrip);
	tcase_add_test(tc, fields);
	tcase_add_test(tc, parse_fp);
	tcase_add_test(tc, sha256_hex);
	tcase_add_test(tc, trust_store);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	rn_pki_remove();
	return failed == 0 ? 0 : 1;
}
