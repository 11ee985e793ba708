/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rn_flow_trust.c — renew.h's trust-store calls over rn_verify.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/x509.h>

#include "rn_flow.h"

static enum renew_rc tfail(struct renew_result *res, enum renew_rc rc, const char *msg)
{
	res->rc = rc;
	snprintf(res->detail, sizeof(res->detail), "%s", msg);
	return rc;
}

enum renew_rc renew_trust_add(const char *trust_dir, const char *pem_path, const char *fingerprint,
			      struct renew_result *res)
{
	unsigned char fp[32];
	char err[512] = "";
	memset(res, 0, sizeof(*res));
	if (!fingerprint || rn_trust_parse_fp(fingerprint, fp) != 0)
		return tfail(res, RENEW_TRUST, "the SHA-256 fingerprint must be 64 hex digits (colons allowed)");
	if (rn_trust_add(trust_dir, pem_path, fp, err, sizeof(err)) != 0)
		return tfail(res, RENEW_TRUST, err);
	return RENEW_OK;
}

enum renew_rc renew_trust_list(const char *trust_dir, struct renew_trust_entry **out, size_t *n,
			       struct renew_result *res)
{
	char err[512] = "";
	memset(res, 0, sizeof(*res));
	*out = NULL;
	*n = 0;
	STACK_OF(X509) *sk = rn_trust_certs(trust_dir, err, sizeof(err));
	if (!sk)
		return err[0] ? tfail(res, RENEW_TRUST, err) : RENEW_OK;
	int k = sk_X509_num(sk);
	*out = calloc(k > 0 ? (size_t)k : 1, sizeof(**out));
	if (!*out) {
		sk_X509_pop_free(sk, X509_free);
		return tfail(res, RENEW_INTERNAL, "out of memory");
	}
	for (int i = 0; i < k; i++) {
		X509 *x = sk_X509_value(sk, i);
		struct renew_trust_entry *e = &(*out)[i];
		rn_cert_sha256_hex(x, e->sha256_hex);
		X509_NAME_oneline(X509_get_subject_name(x), e->subject, sizeof(e->subject));
		e->not_after = rn_asn1_time(X509_get0_notAfter(x));
	}
	*n = (size_t)k;
	sk_X509_pop_free(sk, X509_free);
	return RENEW_OK;
}

enum renew_rc renew_trust_remove(const char *trust_dir, const char *fingerprint,
				 struct renew_result *res)
{
	unsigned char fp[32];
	char err[512] = "";
	memset(res, 0, sizeof(*res));
	if (!fingerprint || rn_trust_parse_fp(fingerprint, fp) != 0)
		return tfail(res, RENEW_TRUST, "the SHA-256 fingerprint must be 64 hex digits (colons allowed)");
	if (rn_trust_remove(trust_dir, fp, err, sizeof(err)) != 0)
		return tfail(res, RENEW_TRUST, err);
	return RENEW_OK;
}
