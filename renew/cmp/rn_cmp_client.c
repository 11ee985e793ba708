/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rn_cmp_client.c — the CMP client on OpenSSL 3's OSSL_CMP_CTX: a key update
 * request (KUR) protected and proven with the token key, polled with the
 * non-blocking OSSL_CMP_try_certreq, explicitly confirmed (certConf) after
 * our own check of the issued certificate. Every message goes through our
 * transfer callback: DER out to the transport, DER back, decoded here, so that
 * transport failures, undecodable answers and replayed answers (resume, see
 * rn_cmp_resume.c) are told apart, and each message is traced on one line.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/cmp.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "rn_cmp_int.h"

void rn_cmp_trace(struct rn_cmp *c, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	if (c->p.trace == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	c->p.trace(line, c->p.trace_arg);
}

static int keep_der(unsigned char **dst, size_t *dlen, const unsigned char *src, size_t len)
{
	unsigned char *n = OPENSSL_malloc(len ? len : 1);
	if (n == NULL)
		return -1;
	memcpy(n, src, len);
	OPENSSL_free(*dst);
	*dst = n;
	*dlen = len;
	return 0;
}

static OSSL_CMP_MSG *transfer_cb(OSSL_CMP_CTX *ctx, const OSSL_CMP_MSG *req)
{
	struct rn_cmp *c = OSSL_CMP_CTX_get_transfer_cb_arg(ctx);
	int req_bt = OSSL_CMP_MSG_get_bodytype(req);
	unsigned char *der = NULL, *rsp = NULL;
	size_t rsp_len = 0;
	const unsigned char *in;
	int replayed = 0;
	OSSL_CMP_MSG *ans = NULL;

	if (req_bt == RN_BODY_KUR || req_bt == RN_BODY_IR || req_bt == RN_BODY_CR) {
		const ASN1_OCTET_STRING *tid =
			OSSL_CMP_HDR_get0_transactionID(OSSL_CMP_MSG_get0_header(req));
		int n = tid != NULL ? ASN1_STRING_length(tid) : 0;
		if (c->n_replay == 0 && n > 0 && (size_t)n <= sizeof(c->txid)) {
			memcpy(c->txid, ASN1_STRING_get0_data(tid), (size_t)n);
			c->txid_len = (size_t)n;
		}
	}
	if (c->replay_pos < c->n_replay) {
		/* resume: the saved answer stands in for the CA's */
		const ASN1_OCTET_STRING *tid =
			OSSL_CMP_HDR_get0_transactionID(OSSL_CMP_MSG_get0_header(req));
		if (tid == NULL || (size_t)ASN1_STRING_length(tid) != c->txid_len ||
		    memcmp(ASN1_STRING_get0_data(tid), c->txid, c->txid_len) != 0)
			c->replay_txid_bad = 1;
		rn_cmp_trace(c, "CMP send %s (replayed, not sent)", rn_cmp_body_name(req_bt));
		rsp_len = c->replay_len[c->replay_pos];
		rsp = OPENSSL_malloc(rsp_len ? rsp_len : 1);
		if (rsp == NULL)
			return NULL;
		memcpy(rsp, c->replay[c->replay_pos], rsp_len);
		c->replay_pos++;
		replayed = 1;
	} else {
		int n = i2d_OSSL_CMP_MSG(req, &der);
		if (n <= 0) {
			snprintf(c->bad, sizeof(c->bad), "cannot encode the %s request",
				 rn_cmp_body_name(req_bt));
			return NULL;
		}
		rn_cmp_trace(c, "CMP send %s (%d bytes)", rn_cmp_body_name(req_bt), n);
		c->net_err[0] = '\0';
		enum rn_net_rc nr = c->p.transport->exchange(c->p.transport, der, (size_t)n,
							     &rsp, &rsp_len, c->net_err,
							     sizeof(c->net_err));
		OPENSSL_free(der);
		if (nr != RN_NET_OK) {
			OPENSSL_free(rsp);
			c->net = nr;
			if (c->net_err[0] == '\0')
				snprintf(c->net_err, sizeof(c->net_err), "transport failed");
			rn_cmp_trace(c, "CMP transport failed: %s", c->net_err);
			return NULL;
		}
	}

	in = rsp;
	if (rsp_len > 0 && rsp_len <= 0x7fffffff)
		ans = d2i_OSSL_CMP_MSG(NULL, &in, (long)rsp_len);
	if (ans == NULL || in != rsp + rsp_len) {
		snprintf(c->bad, sizeof(c->bad), rsp_len == 0 ? "CA answer: empty body"
			 : ans == NULL ? "CA answer: not a CMP message (DER decode failed)"
				       : "CA answer: trailing bytes after the CMP message");
		rn_cmp_trace(c, "CMP recv %zu bytes: %s", rsp_len, c->bad);
		OSSL_CMP_MSG_free(ans);
		OPENSSL_free(rsp);
		ERR_clear_error();
		return NULL;
	}

	int bt = OSSL_CMP_MSG_get_bodytype(ans);
	char desc[128];
	rn_cmp_describe(rsp, rsp_len, bt, desc, sizeof(desc));
	rn_cmp_trace(c, "CMP recv %s%s", desc, replayed ? " (saved)" : "");

	/* keep what a later process needs to resume */
	if (req_bt == RN_BODY_KUR || req_bt == RN_BODY_IR || req_bt == RN_BODY_CR) {
		OPENSSL_free(c->poll_rsp);
		c->poll_rsp = NULL;
		c->poll_rsp_len = 0;
		if (keep_der(&c->first_rsp, &c->first_rsp_len, rsp, rsp_len) != 0)
			goto oom;
	} else if (bt == RN_BODY_POLLREP) {
		if (keep_der(&c->poll_rsp, &c->poll_rsp_len, rsp, rsp_len) != 0)
			goto oom;
	}
	if (replayed) {
		/* the saved answer answered an earlier request: expect its nonce */
		const ASN1_OCTET_STRING *rn =
			OSSL_CMP_HDR_get0_recipNonce(OSSL_CMP_MSG_get0_header(ans));
		if (rn == NULL || !OSSL_CMP_CTX_set1_senderNonce(ctx, rn)) {
			snprintf(c->bad, sizeof(c->bad), "saved CA answer has no recipNonce");
			goto fail;
		}
	}
	OPENSSL_free(rsp);
	return ans;
oom:
	snprintf(c->bad, sizeof(c->bad), "out of memory");
fail:
	OSSL_CMP_MSG_free(ans);
	OPENSSL_free(rsp);
	return NULL;
}

/* Runs before certConf: our key check, then the caller's. Returns the
 * PKIFailureInfo bits of a rejection (0 accepts). */
static int certconf_cb(OSSL_CMP_CTX *ctx, X509 *cert, int fail_info, const char **txt)
{
	struct rn_cmp *c = OSSL_CMP_CTX_get_certConf_cb_arg(ctx);
	EVP_PKEY *want = c->p.new_key != NULL ? c->p.new_key : c->p.key;
	EVP_PKEY *got = cert != NULL ? X509_get0_pubkey(cert) : NULL;

	if (got == NULL || want == NULL || EVP_PKEY_eq(got, want) != 1) {
		c->key_mismatch = 1;
		*txt = "public key in new certificate does not match the request";
		ERR_clear_error();
		return fail_info != 0 ? fail_info : 1 << OSSL_CMP_PKIFAILUREINFO_incorrectData;
	}
	if (fail_info != 0) {
		/* OpenSSL's own pre-check refused it already */
		snprintf(c->bad, sizeof(c->bad), "issued certificate failed OpenSSL's check%s%s",
			 *txt != NULL ? ": " : "", *txt != NULL ? *txt : "");
		return fail_info;
	}
	if (c->p.on_cert != NULL) {
		sk_X509_pop_free(c->extra, X509_free);
		c->extra = OSSL_CMP_CTX_get1_extraCertsIn(ctx);
		STACK_OF(X509) *capubs = OSSL_CMP_CTX_get1_caPubs(ctx);
		if (c->extra == NULL)
			c->extra = sk_X509_new_null();
		for (int i = 0; c->extra != NULL && i < sk_X509_num(capubs); i++) {
			X509 *x = sk_X509_value(capubs, i);
			if (X509_up_ref(x) && !sk_X509_push(c->extra, x))
				X509_free(x);
		}
		sk_X509_pop_free(capubs, X509_free);
		c->why[0] = '\0';
		if (c->p.on_cert(cert, c->extra, c->p.on_cert_arg, c->why, sizeof(c->why)) != 0) {
			c->refused = 1;
			if (c->why[0] == '\0')
				snprintf(c->why, sizeof(c->why), "refused by the local check");
			*txt = c->why;
			ERR_clear_error();
			return 1 << OSSL_CMP_PKIFAILUREINFO_badCertTemplate;
		}
	}
	return 0;
}

static int quiet_log(const char *func, const char *file, int line,
		     OSSL_CMP_severity level, const char *msg)
{
	(void)func; (void)file; (void)line; (void)level; (void)msg;
	return 1;
}

static int setup_ctx(struct rn_cmp *c, char *err, size_t errlen)
{
	const struct rn_cmp_params *p = &c->p;
	OSSL_CMP_CTX *ctx = OSSL_CMP_CTX_new(NULL, NULL);
	if (ctx == NULL) {
		snprintf(err, errlen, "OSSL_CMP_CTX_new failed");
		return -1;
	}
	c->ctx = ctx;
	/* OpenSSL's log callback off: we report through the trace */
	if (!OSSL_CMP_CTX_set_log_cb(ctx, quiet_log) ||
	    !OSSL_CMP_CTX_set_transfer_cb(ctx, transfer_cb) ||
	    !OSSL_CMP_CTX_set_transfer_cb_arg(ctx, c) ||
	    !OSSL_CMP_CTX_set_certConf_cb(ctx, certconf_cb) ||
	    !OSSL_CMP_CTX_set_certConf_cb_arg(ctx, c) ||
	    !OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_KEEP_ALIVE, 0) ||
	    !OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_IMPLICIT_CONFIRM, 0) ||
	    !OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_DISABLE_CONFIRM, 0) ||
	    !OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_TOTAL_TIMEOUT, 0) ||
	    !OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_MSG_TIMEOUT, 0)) {
		snprintf(err, errlen, "cannot set the CMP options");
		return -1;
	}
	if (!OSSL_CMP_CTX_set1_cert(ctx, p->cert) || !OSSL_CMP_CTX_set1_pkey(ctx, p->key) ||
	    !OSSL_CMP_CTX_set1_oldCert(ctx, p->cert)) {
		unsigned long e = ERR_peek_last_error();
		snprintf(err, errlen, "CMP client refuses the certificate or key: %s",
			 e ? ERR_reason_error_string(e) : "unknown");
		return -1;
	}
	if (p->new_key != NULL) {
		if (!EVP_PKEY_up_ref(p->new_key))
			return -1;
		if (!OSSL_CMP_CTX_set0_newPkey(ctx, 1, p->new_key)) {
			EVP_PKEY_free(p->new_key);
			snprintf(err, errlen, "CMP client refuses the new key");
			return -1;
		}
	}
	if (p->trusted != NULL) {
		if (!X509_STORE_up_ref(p->trusted))
			return -1;
		if (!OSSL_CMP_CTX_set0_trustedStore(ctx, p->trusted)) {
			X509_STORE_free(p->trusted);
			snprintf(err, errlen, "cannot set the trusted roots");
			return -1;
		}
	}
	if (p->untrusted != NULL && !OSSL_CMP_CTX_set1_untrusted(ctx, p->untrusted)) {
		snprintf(err, errlen, "cannot set the intermediate certificates");
		return -1;
	}
	return 0;
}

struct rn_cmp *rn_cmp_new(const struct rn_cmp_params *p, char *err, size_t errlen)
{
	char dummy[8];
	if (err == NULL || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	if (p == NULL || p->transport == NULL || p->key == NULL || p->cert == NULL ||
	    p->trusted == NULL) {
		snprintf(err, errlen, "CMP client needs a transport, a key, a certificate and trusted roots");
		return NULL;
	}
	struct rn_cmp *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->p = *p;
	if (setup_ctx(c, err, errlen) != 0) {
		if (err[0] == '\0')
			snprintf(err, errlen, "CMP client set-up failed");
		rn_cmp_free(c);
		ERR_clear_error();
		return NULL;
	}
	ERR_clear_error();
	return c;
}

void rn_cmp_free(struct rn_cmp *c)
{
	if (c == NULL)
		return;
	OSSL_CMP_CTX_free(c->ctx);
	OPENSSL_free(c->first_rsp);
	OPENSSL_free(c->poll_rsp);
	sk_X509_pop_free(c->extra, X509_free);
	free(c);
}

void rn_cmp_outcome_clear(struct rn_cmp_outcome *o)
{
	if (o == NULL)
		return;
	X509_free(o->cert);
	sk_X509_pop_free(o->extra, X509_free);
	memset(o, 0, sizeof(*o));
}

void rn_cmp_call_reset(struct rn_cmp *c)
{
	c->net = RN_NET_OK;
	c->net_err[0] = '\0';
	c->bad[0] = '\0';
	c->refused = 0;
	c->why[0] = '\0';
	c->key_mismatch = 0;
	ERR_clear_error();
}

static void take_results(struct rn_cmp *c, struct rn_cmp_outcome *out)
{
	X509 *nc = OSSL_CMP_CTX_get0_newCert(c->ctx);
	if (nc != NULL && X509_up_ref(nc))
		out->cert = nc;
	out->extra = OSSL_CMP_CTX_get1_extraCertsIn(c->ctx);
	STACK_OF(X509) *capubs = OSSL_CMP_CTX_get1_caPubs(c->ctx);
	if (capubs != NULL && sk_X509_num(capubs) > 0) {
		if (out->extra == NULL)
			out->extra = sk_X509_new_null();
		for (int i = 0; out->extra != NULL && i < sk_X509_num(capubs); i++) {
			X509 *x = sk_X509_value(capubs, i);
			if (X509_up_ref(x) && !sk_X509_push(out->extra, x))
				X509_free(x);
		}
	}
	sk_X509_pop_free(capubs, X509_free);
}

/* One OSSL_CMP_try_certreq call (first message or one poll) and its outcome. */
enum rn_cmp_rc rn_cmp_step(struct rn_cmp *c, struct rn_cmp_outcome *out)
{
	int check_after = 0;
	int r = OSSL_CMP_try_certreq(c->ctx, OSSL_CMP_KUR, NULL, &check_after);
	c->waiting = OSSL_CMP_CTX_get_status(c->ctx) == OSSL_CMP_PKISTATUS_waiting;
	if (r == 1) {
		c->waiting = 0;
		take_results(c, out);
		if (out->cert == NULL) {
			snprintf(out->detail, sizeof(out->detail), "CA answer holds no certificate");
			return RN_CMP_BAD_ANSWER;
		}
		ERR_clear_error();
		return RN_CMP_ISSUED;
	}
	if (r == -1) {
		c->waiting = 1;
		out->check_after_s = check_after;
		ERR_clear_error();
		return RN_CMP_WAITING;
	}
	enum rn_cmp_rc rc = rn_cmp_classify(c, out);
	ERR_clear_error();
	return rc;
}

enum rn_cmp_rc rn_cmp_request(struct rn_cmp *c, struct rn_cmp_outcome *out)
{
	if (c == NULL || out == NULL)
		return RN_CMP_ERROR;
	memset(out, 0, sizeof(*out));
	rn_cmp_call_reset(c);
	c->n_replay = c->replay_pos = 0;
	c->waiting = 0;
	OPENSSL_free(c->first_rsp);
	OPENSSL_free(c->poll_rsp);
	c->first_rsp = c->poll_rsp = NULL;
	c->first_rsp_len = c->poll_rsp_len = 0;
	if (!OSSL_CMP_CTX_reinit(c->ctx)) {
		snprintf(out->detail, sizeof(out->detail), "cannot start a new CMP transaction");
		return RN_CMP_ERROR;
	}
	return rn_cmp_step(c, out);
}

enum rn_cmp_rc rn_cmp_poll(struct rn_cmp *c, struct rn_cmp_outcome *out)
{
	if (c == NULL || out == NULL)
		return RN_CMP_ERROR;
	memset(out, 0, sizeof(*out));
	if (!c->waiting || OSSL_CMP_CTX_get_status(c->ctx) != OSSL_CMP_PKISTATUS_waiting) {
		snprintf(out->detail, sizeof(out->detail), "no CMP transaction is waiting");
		return RN_CMP_ERROR;
	}
	rn_cmp_call_reset(c);
	return rn_cmp_step(c, out);
}
