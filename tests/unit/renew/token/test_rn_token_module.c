/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_rn_token_module — renew/token's life on any PKCS#11 module with an
 * initialised token holding a certificate and its RSA key:
 *
 *   test_rn_token_module MODULE SECRETS [--pull]
 *
 * --pull (under pcsc-run only): at the end, kills the first card
 * (UKEY_CARD_PIDS) while a session is logged in with a token key, and checks
 * that signing and listing then report RN_TOK_REMOVED.
 *
 * SECRETS is a file with a "user_pin=..." line (the PIN is never on a
 * command line). Lists tokens and certificates, checks a wrong PIN's class
 * (one failed try, reset by the following correct login), signs with the
 * certificate's key (SHA-256 PKCS#1 v1.5 and PSS, verified against the
 * certificate), generates an RSA-2048 key pair, writes a certificate for it,
 * finds it byte for byte, deletes it and the key pair. Used on ukey-pkcs11.so
 * with a virtual token (pcsc harness) and by hand on other modules.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "rn_token.h"

static int failures;

#define CHECK(cond, ...)                                                   \
	do {                                                               \
		if (cond) {                                                \
			printf("ok   ");                                   \
		} else {                                                   \
			printf("FAIL ");                                   \
			failures++;                                        \
		}                                                          \
		printf(__VA_ARGS__);                                       \
		printf("\n");                                              \
		fflush(stdout);                                            \
		err[0] = '\0';                                             \
	} while (0)

static char pin[64];
static size_t trace_pin_hits, trace_lines;

static void trace_cb(const char *line, void *arg)
{
	(void)arg;
	trace_lines++;
	if (pin[0] && strstr(line, pin))
		trace_pin_hits++;
	if (getenv("RN_TEST_TRACE"))
		fprintf(stderr, "trace: %s\n", line);
}

static int read_pin(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[128];

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "user_pin=", 9) == 0) {
			size_t l = strcspn(line + 9, "\r\n");

			if (l >= sizeof(pin))
				break;
			memcpy(pin, line + 9, l);
			pin[l] = '\0';
			OPENSSL_cleanse(line, sizeof(line));
			fclose(f);
			return 0;
		}
	}
	OPENSSL_cleanse(line, sizeof(line));
	fclose(f);
	return -1;
}

static int sign_verify(EVP_PKEY *k, EVP_PKEY *pub, int pss)
{
	static const unsigned char msg[] = "token signing check";
	unsigned char sig[2048];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *mc = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = NULL;
	int ok;

	ok = EVP_DigestSignInit(mc, &pc, EVP_sha256(), NULL, k) == 1 &&
	     (!pss || (EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) == 1 &&
		       EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_DIGEST) == 1)) &&
	     EVP_DigestSign(mc, sig, &siglen, msg, sizeof(msg)) == 1;
	EVP_MD_CTX_free(mc);
	if (!ok) {
		ERR_print_errors_fp(stderr);
		return 0;
	}
	mc = EVP_MD_CTX_new();
	pc = NULL;
	ok = EVP_DigestVerifyInit(mc, &pc, EVP_sha256(), NULL, pub) == 1 &&
	     (!pss || (EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) == 1 &&
		       EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_DIGEST) == 1)) &&
	     EVP_DigestVerify(mc, sig, siglen, msg, sizeof(msg)) == 1;
	EVP_MD_CTX_free(mc);
	ERR_clear_error();
	return ok;
}

static unsigned char *self_signed(EVP_PKEY *pk, size_t *len)
{
	X509 *x = X509_new();
	unsigned char *der = NULL;
	int l = -1;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), (long)getpid());
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)"rn-token-module-test", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	if (X509_set_pubkey(x, pk) == 1 && X509_sign(x, pk, EVP_sha256()) > 0 &&
	    X509_verify(x, X509_get0_pubkey(x)) == 1)
		l = i2d_X509(x, &der);
	else
		ERR_print_errors_fp(stderr);
	X509_free(x);
	*len = l > 0 ? (size_t)l : 0;
	return l > 0 ? der : NULL;
}

/* Kills card 0 with a logged-in session and a token key in hand. */
static void pull(struct rn_session *s, CK_SLOT_ID slot, struct rn_module *m, char *err,
		 size_t errlen)
{
	const char *pids = getenv("UKEY_CARD_PIDS");
	struct rn_cert *c = NULL;
	size_t nc = 0;
	EVP_PKEY *k = NULL;
	X509 *x = NULL;
	enum rn_tok_rc rc;
	int gone = 0;

	if (!pids || atoi(pids) <= 0) {
		printf("FAIL --pull needs UKEY_CARD_PIDS (run under pcsc-run)\n");
		failures++;
		return;
	}
	rc = rn_cert_list(s, &c, &nc, err, errlen);
	for (size_t i = 0; rc == RN_TOK_OK && i < nc && !k; i++) {
		const unsigned char *p = c[i].der;

		if (c[i].key_present == 1 &&
		    rn_private_key(s, c[i].id, c[i].id_len, &k, err, errlen) == RN_TOK_OK)
			x = d2i_X509(NULL, &p, (long)c[i].der_len);
	}
	rn_cert_list_free(c, nc);
	c = NULL;
	printf("%s pull: token key in hand\n", k && x ? "ok  " : "FAIL");
	if (!k || !x) {
		failures++;
		EVP_PKEY_free(k);
		X509_free(x);
		return;
	}
	kill((pid_t)atoi(pids), SIGKILL);
	/* Wait (at most 15 s) until the module no longer lists the token. */
	for (int i = 0; i < 150 && !gone; i++) {
		struct rn_token_info *ti = NULL;
		size_t n = 0;
		struct timespec ts = { 0, 100000000L };

		if (rn_token_list(m, &ti, &n, err, errlen) == RN_TOK_OK) {
			gone = 1;
			for (size_t j = 0; j < n; j++)
				if (ti[j].slot == slot)
					gone = 0;
		}
		free(ti);
		if (!gone)
			nanosleep(&ts, NULL);
	}
	CHECK(gone, "pull: token gone from the slot list");
	{
		int r = sign_verify(k, X509_get0_pubkey(x), 0);

		CHECK(!r, "pull: signing fails");
		rc = rn_session_last_error(s, err, errlen);
		CHECK(rc == RN_TOK_REMOVED, "pull: rn_session_last_error → %d (%s)", (int)rc, err);
	}
	rc = rn_cert_list(s, &c, &nc, err, errlen);
	CHECK(rc == RN_TOK_REMOVED, "pull: rn_cert_list → %d (%s)", (int)rc, err);
	rn_cert_list_free(c, nc);
	EVP_PKEY_free(k);
	X509_free(x);
}

int main(int argc, char **argv)
{
	struct rn_module *m = NULL;
	struct rn_session *s = NULL;
	struct rn_token_info *ti = NULL;
	struct rn_cert *c = NULL;
	size_t nt = 0, nc = 0, use = (size_t)-1;
	char err[512] = "";
	EVP_PKEY *existing = NULL;
	enum rn_tok_rc rc;

	if (argc < 3 || argc > 4 || (argc == 4 && strcmp(argv[3], "--pull") != 0) ||
	    read_pin(argv[2]) != 0) {
		fprintf(stderr, "usage: %s MODULE SECRETS [--pull] (SECRETS: a user_pin= line)\n",
			argv[0]);
		return 2;
	}
	rc = rn_module_load(argv[1], trace_cb, NULL, &m, err, sizeof(err));
	CHECK(rc == RN_TOK_OK, "rn_module_load %s %s", argv[1], err);
	if (rc != RN_TOK_OK)
		return 1;
	rc = rn_token_list(m, &ti, &nt, err, sizeof(err));
	CHECK(rc == RN_TOK_OK && nt > 0, "rn_token_list: %zu tokens %s", nt, err);
	for (size_t i = 0; i < nt; i++) {
		printf("     slot %lu label '%s' serial '%s' model '%s' manufacturer '%s' "
		       "flags 0x%lx\n", (unsigned long)ti[i].slot, ti[i].label, ti[i].serial,
		       ti[i].model, ti[i].manufacturer, (unsigned long)ti[i].flags);
		if (use == (size_t)-1 && (ti[i].flags & CKF_TOKEN_INITIALIZED))
			use = i;
	}
	if (use == (size_t)-1)
		goto out;
	rc = rn_session_open(m, ti[use].slot, 1, &s, err, sizeof(err));
	CHECK(rc == RN_TOK_OK, "rn_session_open slot %lu %s", (unsigned long)ti[use].slot, err);
	if (rc)
		goto out;
	rc = rn_cert_list(s, &c, &nc, err, sizeof(err));
	CHECK(rc == RN_TOK_OK, "rn_cert_list (public): %zu certificates %s", nc, err);
	for (size_t i = 0; i < nc; i++)
		printf("     cert '%s' id_len %zu der %zu bytes key_present %d\n", c[i].label,
		       c[i].id_len, c[i].der_len, c[i].key_present);
	rn_cert_list_free(c, nc);
	c = NULL;

	rc = rn_session_login(s, "0000000099", 10, err, sizeof(err));
	CHECK(rc == RN_TOK_PIN_INCORRECT || rc == RN_TOK_PIN_INVALID,
	      "wrong PIN → %d (%s)", (int)rc, err);
	{
		struct rn_token_info t2;

		rc = rn_token_info(m, ti[use].slot, &t2, err, sizeof(err));
		CHECK(rc == RN_TOK_OK, "rn_token_info after the wrong PIN: count_low %d "
		      "final_try %d locked %d", t2.pin_count_low, t2.pin_final_try, t2.pin_locked);
	}
	rc = rn_session_login(s, pin, strlen(pin), err, sizeof(err));
	CHECK(rc == RN_TOK_OK, "right PIN %s", err);
	if (rc)
		goto out;
	rc = rn_cert_list(s, &c, &nc, err, sizeof(err));
	CHECK(rc == RN_TOK_OK, "rn_cert_list (logged in): %zu certificates %s", nc, err);
	for (size_t i = 0; i < nc; i++) {
		const unsigned char *p = c[i].der;
		X509 *x = d2i_X509(NULL, &p, (long)c[i].der_len);
		EVP_PKEY *k = NULL, *pub = NULL;

		printf("     cert '%s' key_present %d\n", c[i].label, c[i].key_present);
		if (!x || c[i].key_present != 1) {
			X509_free(x);
			continue;
		}
		rc = rn_private_key(s, c[i].id, c[i].id_len, &k, err, sizeof(err));
		CHECK(rc == RN_TOK_OK, "rn_private_key '%s' %s", c[i].label, err);
		if (k) {
			CHECK(EVP_PKEY_eq(k, X509_get0_pubkey(x)) == 1, "token key == cert key");
			CHECK(sign_verify(k, X509_get0_pubkey(x), 0), "SHA-256 PKCS#1 v1.5 sign");
			CHECK(sign_verify(k, X509_get0_pubkey(x), 1), "SHA-256 PSS sign");
			rc = rn_session_last_error(s, err, sizeof(err));
			CHECK(rc == RN_TOK_OK, "last error after signing: %d %s", (int)rc,
			      rc ? err : "");
		}
		rc = rn_public_key(s, c[i].id, c[i].id_len, &pub, err, sizeof(err));
		CHECK(rc == RN_TOK_OK && EVP_PKEY_eq(pub, X509_get0_pubkey(x)) == 1,
		      "rn_public_key == cert key %s", err);
		EVP_PKEY_free(pub);
		if (!existing && k)
			existing = k;
		else
			EVP_PKEY_free(k);
		X509_free(x);
	}
	rn_cert_list_free(c, nc);
	c = NULL;

	{
		unsigned char id[8];
		unsigned long pid = (unsigned long)getpid();
		EVP_PKEY *k = NULL;
		unsigned char *der = NULL;
		size_t der_len = 0;
		int found = 0, exists = 0;

		memcpy(id, "rn", 2);
		for (int i = 0; i < 6; i++)
			id[2 + i] = (unsigned char)(pid >> (8 * i));
		rc = rn_generate_rsa(s, 2048, id, sizeof(id), "rn-test key", err, sizeof(err));
		CHECK(rc == RN_TOK_OK, "rn_generate_rsa 2048 %s", err);
		if (rc == RN_TOK_OK) {
			rc = rn_private_key(s, id, sizeof(id), &k, err, sizeof(err));
			CHECK(rc == RN_TOK_OK, "rn_private_key (generated) %s", err);
		}
		if (!k && existing && getenv("RN_TEST_KEYGEN_OPTIONAL")) {
			/* Module cannot generate (OpenSC on some cards): write a
			 * certificate for the existing key instead. */
			printf("     keygen refused: writing a certificate of the existing key\n");
			failures--;
			k = existing;
			existing = NULL;
		}
		if (k)
			der = self_signed(k, &der_len);
		CHECK(!k || der, "self-signed certificate signed by the generated token key");
		if (der) {
			rc = rn_cert_write(s, der, der_len, id, sizeof(id), "rn-test cert", err,
					   sizeof(err));
			CHECK(rc == RN_TOK_OK, "rn_cert_write %zu bytes %s", der_len, err);
			rc = rn_cert_find_exact(s, der, der_len, &found, NULL, err, sizeof(err));
			CHECK(rc == RN_TOK_OK && found == 1, "rn_cert_find_exact %s", err);
			rc = rn_cert_delete_exact(s, der, der_len, err, sizeof(err));
			CHECK(rc == RN_TOK_OK, "rn_cert_delete_exact %s", err);
			rc = rn_cert_find_exact(s, der, der_len, &found, NULL, err, sizeof(err));
			CHECK(rc == RN_TOK_OK && found == 0, "gone after delete %s", err);
			OPENSSL_free(der);
		}
		EVP_PKEY_free(k);
		rc = rn_keypair_delete(s, id, sizeof(id), err, sizeof(err));
		CHECK(rc == RN_TOK_OK, "rn_keypair_delete %s", err);
		rc = rn_private_key_exists(s, id, sizeof(id), &exists, err, sizeof(err));
		CHECK(rc == RN_TOK_OK && !exists, "private key gone %s", err);
	}
	if (argc == 4)
		pull(s, ti[use].slot, m, err, sizeof(err));
out:
	EVP_PKEY_free(existing);
	rn_session_close(s);
	free(ti);
	rn_module_unload(m);
	CHECK(trace_pin_hits == 0, "%zu trace lines, none with the PIN", trace_lines);
	OPENSSL_cleanse(pin, sizeof(pin));
	printf("%s: %d failure(s)\n", argv[0], failures);
	return failures ? 1 : 0;
}
