/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rn_flow_cmp.c — the CA side of a job: trust store, transport, CMP client,
 * and the checks an issued certificate passes before anything is confirmed
 * or written (run from the CMP client's certConf callback, so a bad
 * certificate is rejected to the CA too).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>

#include "rn_flow.h"

static enum renew_rc cmp_fail(struct rn_job *j, enum rn_cmp_rc rc, const struct rn_cmp_outcome *out,
			      enum renew_step step)
{
	if (rc == RN_CMP_ERROR && rn_job_token_gone(j))
		return RENEW_TOKEN_REMOVED;
	switch (rc) {
	case RN_CMP_REJECTED:
		snprintf(j->res->ca_text, sizeof(j->res->ca_text), "%s", out->ca_text);
		/* A CMP error message is the server failing, not a decision on
		 * the request: the manual's "login fails" class (exit 31). */
		if (out->error_msg)
			return rn_fail(j, RENEW_NETWORK, step, "%s", out->detail);
		return rn_fail(j, RENEW_REJECTED, step, "the CA rejected the request: %s",
			       out->ca_text[0] ? out->ca_text : out->detail);
	case RN_CMP_NETWORK:
		return rn_fail(j, RENEW_NETWORK, step, "%s", out->detail);
	case RN_CMP_BAD_ANSWER:
	case RN_CMP_CERT_REFUSED:
		return rn_fail(j, RENEW_BAD_ANSWER, step, "%s", out->detail);
	default:
		return rn_fail(j, RENEW_TOKEN_ERROR, step, "%s", out->detail);
	}
}

/* The checks of a new certificate: chain, key, a real signature, fields. */
int rn_check_new_cert(struct rn_job *j, X509 *cert, STACK_OF(X509) *extra, char *why, size_t whylen)
{
	char err[512] = "";
	EVP_PKEY *pub = NULL;
	size_t id_len;
	const unsigned char *id = rn_job_new_id(j, &id_len);
	EVP_PKEY *priv = j->st.rekey ? j->new_key : j->key;

	rn_step(j, RENEW_STEP_VERIFY_CHAIN);
	if (rn_verify_chain(cert, j->roots, extra, err, sizeof(err)) != 0)
		goto bad;
	rn_step(j, RENEW_STEP_VERIFY_KEY);
	enum rn_tok_rc trc = rn_public_key(j->s, id, id_len, &pub, err, sizeof(err));
	if (trc != RN_TOK_OK) {
		rn_map_tok(j, trc, RENEW_STEP_VERIFY_KEY, err);
		snprintf(why, whylen, "%s", err);
		return -1;
	}
	int r = rn_verify_same_key(cert, pub, err, sizeof(err));
	EVP_PKEY_free(pub);
	if (r != 0)
		goto bad;
	rn_step(j, RENEW_STEP_SIGN_TEST);
	if (!priv || rn_verify_sign_roundtrip(cert, priv, err, sizeof(err)) != 0) {
		if (rn_job_token_gone(j)) {
			snprintf(why, whylen, "%s", j->res->detail);
			return -1;
		}
		goto bad;
	}
	rn_step(j, RENEW_STEP_VERIFY_FIELDS);
	if (rn_verify_fields(j->old_x509, cert, time(NULL), err, sizeof(err)) != 0)
		goto bad;
	j->res->new_not_before = rn_asn1_time(X509_get0_notBefore(cert));
	j->res->new_not_after = rn_asn1_time(X509_get0_notAfter(cert));
	return 0;
bad:
	rn_fail(j, RENEW_BAD_ANSWER, j->res->step, "issued certificate refused: %s", err);
	snprintf(why, whylen, "%s", err);
	return -1;
}

/* certConf callback: check, then record the certificate in the state file
 * before the CA hears "accepted" — after that, a crash loses nothing. */
static int on_cert(X509 *cert, STACK_OF(X509) *extra, void *arg, char *why, size_t whylen)
{
	struct rn_job *j = arg;
	char err[512] = "";
	int unchecked = 0;
	if (rn_check_new_cert(j, cert, extra, why, whylen) != 0) {
		/* Token pulled during the checks (the test signature): the CA has
		 * issued and will not answer this transaction again, so keep the
		 * certificate as received — unconfirmed to the CA, and the rerun
		 * repeats every check with the token before writing anything. */
		if (j->res->rc != RENEW_TOKEN_REMOVED)
			return -1;
		unchecked = 1;
	}
	unsigned char *der = NULL;
	int n = i2d_X509(cert, &der);
	if (n <= 0) {
		snprintf(why, whylen, "cannot encode the issued certificate");
		return -1;
	}
	free(j->st.new_cert);
	j->st.new_cert = malloc((size_t)n);
	if (!j->st.new_cert) {
		OPENSSL_free(der);
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	memcpy(j->st.new_cert, der, (size_t)n);
	j->st.new_cert_len = (size_t)n;
	OPENSSL_free(der);
	j->st.phase = RN_PHASE_RECEIVED;
	rn_cmp_pending_clear(&j->st.cmp);
	if (rn_state_save(j->state_path, &j->st, err, sizeof(err)) != 0) {
		rn_fail(j, RENEW_STATE, RENEW_STEP_RECEIVE, "%s", err);
		snprintf(why, whylen, "%s", err);
		return -1;
	}
	j->have_state = 1;
	if (unchecked) {
		rn_fail(j, RENEW_TOKEN_REMOVED, j->res->step,
			"the key was removed while the new certificate was checked; it is kept: "
			"run install again");
		snprintf(why, whylen, "token removed during the checks");
		return -1;
	}
	j->verified = 1;
	return 0;
}

enum renew_rc rn_job_cmp_open(struct rn_job *j)
{
	char err[512] = "";
	const char *server = j->o->server;
	if (!server || !*server)
		return rn_fail(j, RENEW_CONFIG, RENEW_STEP_SEND_REQUEST,
			       "no CA server configured (server = ... in renew.conf)");
	if (!j->o->trust_dir || !*j->o->trust_dir)
		return rn_fail(j, RENEW_TRUST, RENEW_STEP_SEND_REQUEST, "no trust directory configured");
	j->roots = rn_trust_load(j->o->trust_dir, err, sizeof(err));
	if (!j->roots)
		return rn_fail(j, RENEW_TRUST, RENEW_STEP_SEND_REQUEST, "%s", err);
	struct rn_http_params hp = {
		.url = server, .roots = j->roots, .client_key = j->key,
		.client_cert = j->old_x509, .timeout_s = 60,
		.trace = rn_trace_cb, .trace_arg = j,
	};
	j->transport = rn_transport_http_new(&hp, err, sizeof(err));
	if (!j->transport)
		return rn_fail(j, RENEW_CONFIG, RENEW_STEP_SEND_REQUEST, "server %s: %s", server, err);
	struct rn_cmp_params cp = {
		.transport = j->transport, .key = j->key, .cert = j->old_x509,
		.new_key = j->st.rekey ? j->new_key : NULL, .trusted = j->roots,
		.on_cert = on_cert, .on_cert_arg = j,
		.trace = rn_trace_cb, .trace_arg = j,
	};
	j->cmp = rn_cmp_new(&cp, err, sizeof(err));
	if (!j->cmp)
		return rn_fail(j, RENEW_INTERNAL, RENEW_STEP_SEND_REQUEST, "%s", err);
	return RENEW_OK;
}

/* Stores what a later process needs to go on waiting. */
static enum renew_rc save_waiting(struct rn_job *j)
{
	char err[512] = "";
	rn_cmp_pending_clear(&j->st.cmp);
	if (rn_cmp_pending(j->cmp, &j->st.cmp) != 0)
		return rn_fail(j, RENEW_INTERNAL, RENEW_STEP_WAIT, "no pending CMP transaction to save");
	j->st.phase = RN_PHASE_WAITING;
	j->st.next_poll = time(NULL) + j->res->check_after_s;
	if (rn_state_save(j->state_path, &j->st, err, sizeof(err)) != 0)
		return rn_fail(j, RENEW_STATE, RENEW_STEP_WAIT, "%s", err);
	j->have_state = 1;
	return RENEW_OK;
}

static enum renew_rc outcome(struct rn_job *j, enum rn_cmp_rc rc, struct rn_cmp_outcome *out,
			     enum renew_step step)
{
	enum renew_rc r;
	if (rc == RN_CMP_ISSUED) {
		r = j->verified ? RENEW_OK
				: rn_fail(j, RENEW_INTERNAL, RENEW_STEP_RECEIVE, "certificate not checked");
	} else if (rc == RN_CMP_WAITING) {
		j->res->check_after_s = out->check_after_s > 0 ? out->check_after_s : 1;
		r = save_waiting(j);
		if (r == RENEW_OK)
			r = RENEW_PENDING;
	} else if (rc == RN_CMP_CERT_REFUSED && j->res->rc != RENEW_OK) {
		r = j->res->rc; /* our own check said what was wrong */
	} else {
		r = cmp_fail(j, rc, out, step);
	}
	rn_cmp_outcome_clear(out);
	return r;
}

enum renew_rc rn_phase_request(struct rn_job *j)
{
	struct rn_cmp_outcome out;
	memset(&out, 0, sizeof(out));
	rn_step(j, RENEW_STEP_SEND_REQUEST);
	enum rn_cmp_rc rc = rn_cmp_request(j->cmp, &out);
	return outcome(j, rc, &out, RENEW_STEP_SEND_REQUEST);
}

static int sleep_tick(struct rn_job *j, long secs, long limit_s)
{
	for (long k = secs; k > 0; k--) {
		long elapsed = (long)difftime(time(NULL), j->st.created);
		struct renew_event ev = {
			.type = RENEW_EV_WAITING, .step = RENEW_STEP_WAIT,
			.elapsed_s = elapsed, .next_poll_s = k, .left_s = limit_s - elapsed,
		};
		if (j->o->on_event)
			j->o->on_event(&ev, j->o->arg);
		if (elapsed >= limit_s)
			return 1;
		struct timespec ts = { 1, 0 };
		nanosleep(&ts, NULL);
	}
	return 0;
}

/* Polls once (wait == 0) or until issued / the wait limit (wait != 0). */
enum renew_rc rn_phase_wait(struct rn_job *j, int wait)
{
	long limit_s = (j->o->wait_limit_minutes > 0 ? j->o->wait_limit_minutes : 30) * 60;
	/* The CA said when to ask again (checkAfter, kept in st.next_poll):
	 * wait for it; a plain install does not sit out a long wait. */
	long until = (long)difftime(j->st.next_poll, time(NULL));
	if (until > 0 && !j->o->dry_run) {
		if (!wait && until > 60) {
			j->res->check_after_s = until;
			return rn_fail(j, RENEW_PENDING, RENEW_STEP_WAIT,
				       "the CA asked to check again in %ld s", until);
		}
		rn_step(j, RENEW_STEP_WAIT);
		if (sleep_tick(j, until, limit_s))
			return rn_fail(j, RENEW_PENDING, RENEW_STEP_WAIT,
				       "still pending after %ld minutes", limit_s / 60);
	}
	for (;;) {
		long elapsed = (long)difftime(time(NULL), j->st.created);
		struct renew_event ev = {
			.type = RENEW_EV_WAITING, .step = RENEW_STEP_WAIT,
			.elapsed_s = elapsed, .next_poll_s = 0, .left_s = limit_s - elapsed,
		};
		if (j->res->step != RENEW_STEP_WAIT)
			rn_step(j, RENEW_STEP_WAIT);
		if (j->o->on_event)
			j->o->on_event(&ev, j->o->arg);
		if (j->o->dry_run) {
			rn_dry(j, "poll %s for the pending request", j->o->server);
			return rn_fail(j, RENEW_DRY_RUN, RENEW_STEP_WAIT, "dry run: stopped before polling");
		}
		struct rn_cmp_outcome out;
		memset(&out, 0, sizeof(out));
		enum rn_cmp_rc rc = rn_cmp_poll(j->cmp, &out);
		enum renew_rc r = outcome(j, rc, &out, RENEW_STEP_WAIT);
		if (r != RENEW_PENDING || !wait)
			return r;
		elapsed = (long)difftime(time(NULL), j->st.created);
		if (elapsed >= limit_s)
			return rn_fail(j, RENEW_PENDING, RENEW_STEP_WAIT,
				       "still pending after %ld minutes", limit_s / 60);
		long pause = j->o->poll_seconds > 0 ? j->o->poll_seconds : j->res->check_after_s;
		if (pause < 1)
			pause = 1;
		if (elapsed + pause > limit_s)
			pause = limit_s - elapsed;
		if (sleep_tick(j, pause, limit_s))
			return rn_fail(j, RENEW_PENDING, RENEW_STEP_WAIT,
				       "still pending after %ld minutes", limit_s / 60);
	}
}
