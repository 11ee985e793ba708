/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rn_verify.c — the checks a renewed certificate passes before it is written
 * to the token: chain to a trusted root, same public key as the token key,
 * a signature made by the token verifies with the certificate, and the
 * fields (subject, validity) make sense as a renewal of the old one.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "rn_verify.h"

#define RN_CLOCK_SKEW_S 300

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int rn_verify_chain(X509 *cert, X509_STORE *roots, STACK_OF(X509) *untrusted,
		    char *err, size_t errlen)
{
	if (cert == NULL || roots == NULL) {
		seterr(err, errlen, "no certificate or no trusted roots");
		return -1;
	}
	X509_STORE_CTX *sc = X509_STORE_CTX_new();
	if (sc == NULL || !X509_STORE_CTX_init(sc, roots, cert, untrusted)) {
		X509_STORE_CTX_free(sc);
		seterr(err, errlen, "chain check: out of memory");
		return -1;
	}
	X509_STORE_CTX_set_purpose(sc, X509_PURPOSE_ANY);
	int ok = X509_verify_cert(sc);
	int rc = 0;
	if (ok != 1) {
		int e = X509_STORE_CTX_get_error(sc);
		int depth = X509_STORE_CTX_get_error_depth(sc);
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "certificate chain not trusted: %s (depth %d)",
				 X509_verify_cert_error_string(e), depth);
		rc = -1;
	}
	X509_STORE_CTX_free(sc);
	ERR_clear_error();
	return rc;
}

int rn_verify_same_key(X509 *cert, EVP_PKEY *pub, char *err, size_t errlen)
{
	EVP_PKEY *cpub = cert != NULL ? X509_get0_pubkey(cert) : NULL;
	if (cpub == NULL || pub == NULL) {
		seterr(err, errlen, "certificate or key has no public key");
		ERR_clear_error();
		return -1;
	}
	if (EVP_PKEY_eq(cpub, pub) != 1) {
		seterr(err, errlen, "certificate's public key differs from the token key");
		ERR_clear_error();
		return -1;
	}
	return 0;
}

int rn_verify_sign_roundtrip(X509 *cert, EVP_PKEY *priv, char *err, size_t errlen)
{
	unsigned char challenge[32];
	unsigned char *sig = NULL;
	size_t siglen = 0;
	EVP_MD_CTX *mc = NULL;
	int rc = -1;
	EVP_PKEY *pub = cert != NULL ? X509_get0_pubkey(cert) : NULL;

	if (pub == NULL || priv == NULL) {
		seterr(err, errlen, "sign test: no key or no certificate key");
		goto out;
	}
	if (RAND_bytes(challenge, sizeof(challenge)) != 1) {
		seterr(err, errlen, "sign test: no random challenge");
		goto out;
	}
	mc = EVP_MD_CTX_new();
	if (mc == NULL || EVP_DigestSignInit(mc, NULL, EVP_sha256(), NULL, priv) != 1 ||
	    EVP_DigestSign(mc, NULL, &siglen, challenge, sizeof(challenge)) != 1 ||
	    (sig = OPENSSL_malloc(siglen ? siglen : 1)) == NULL ||
	    EVP_DigestSign(mc, sig, &siglen, challenge, sizeof(challenge)) != 1) {
		unsigned long e = ERR_peek_last_error();
		char buf[160];
		ERR_error_string_n(e, buf, sizeof(buf));
		seterr(err, errlen, "sign test: signing with the token key failed: %s",
		       e ? buf : "unknown error");
		goto out;
	}
	EVP_MD_CTX_free(mc);
	mc = EVP_MD_CTX_new();
	if (mc == NULL || EVP_DigestVerifyInit(mc, NULL, EVP_sha256(), NULL, pub) != 1) {
		seterr(err, errlen, "sign test: cannot set up the verification");
		goto out;
	}
	if (EVP_DigestVerify(mc, sig, siglen, challenge, sizeof(challenge)) != 1) {
		seterr(err, errlen, "sign test: the token's signature does not verify with the new certificate");
		goto out;
	}
	rc = 0;
out:
	EVP_MD_CTX_free(mc);
	OPENSSL_free(sig);
	ERR_clear_error();
	return rc;
}

int rn_verify_fields(X509 *old_cert, X509 *new_cert, time_t now, char *err, size_t errlen)
{
	if (old_cert == NULL || new_cert == NULL) {
		seterr(err, errlen, "fields check: missing certificate");
		return -1;
	}
	if (X509_NAME_cmp(X509_get_subject_name(old_cert), X509_get_subject_name(new_cert)) != 0) {
		char buf[200];
		X509_NAME_oneline(X509_get_subject_name(new_cert), buf, sizeof(buf));
		seterr(err, errlen, "new certificate's subject differs from the old one: %s", buf);
		return -1;
	}
	const ASN1_TIME *old_na = X509_get0_notAfter(old_cert);
	const ASN1_TIME *na = X509_get0_notAfter(new_cert);
	const ASN1_TIME *nb = X509_get0_notBefore(new_cert);
	int day = 0, sec = 0;
	if (!ASN1_TIME_diff(&day, &sec, old_na, na)) {
		seterr(err, errlen, "new certificate's validity cannot be read");
		return -1;
	}
	if (day < 0 || sec < 0 || (day == 0 && sec == 0)) {
		seterr(err, errlen, "new certificate's notAfter is not later than the old one's");
		return -1;
	}
	time_t t = now + RN_CLOCK_SKEW_S;
	if (X509_cmp_time(nb, &t) > 0) {
		seterr(err, errlen, "new certificate's notBefore is in the future");
		return -1;
	}
	t = now;
	if (X509_cmp_time(na, &t) <= 0) {
		seterr(err, errlen, "new certificate has expired");
		return -1;
	}
	ERR_clear_error();
	return 0;
}
