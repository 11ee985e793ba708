/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rn_flow.h — internals shared by the rn_flow_*.c files that implement
 * renew.h: one "job" holds the loaded module, the chosen token and
 * certificate, the logged-in session and the state-file lock, so that
 * `renew` does apply + wait + install with one login.
 */
#ifndef UKEY_RN_FLOW_H
#define UKEY_RN_FLOW_H

#include "renew.h"
#include "rn_token.h"
#include "rn_cmp.h"
#include "rn_state.h"
#include "rn_verify.h"

struct rn_job {
	const struct renew_options *o;
	struct renew_result *res;
	struct rn_module *m;
	struct rn_token_info tok;
	struct rn_session *s;
	struct rn_cert cert;          /* chosen certificate (der owned) */
	X509 *old_x509;
	char state_dir[512];
	char state_path[640];
	struct rn_lock *lock;
	X509_STORE *roots;
	struct rn_transport *transport;
	struct rn_cmp *cmp;
	EVP_PKEY *key;                /* the current key (token) */
	EVP_PKEY *new_key;            /* rekey: the new key (token) */
	struct rn_state st;           /* the pending renewal */
	int have_state;
	int verified;                 /* st.new_cert passed every check in this process */
	time_t wait_start;
};

void rn_job_init(struct rn_job *j, const struct renew_options *o, struct renew_result *res);
void rn_job_end(struct rn_job *j);

/* res: rc, step, detail (printf) — returns rc. */
enum renew_rc rn_fail(struct rn_job *j, enum renew_rc rc, enum renew_step step,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void rn_step(struct rn_job *j, enum renew_step step);
void rn_dry(struct rn_job *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rn_trace_cb(const char *line, void *arg);   /* arg = job */
enum renew_rc rn_map_tok(struct rn_job *j, enum rn_tok_rc rc, enum renew_step step, const char *err);

/* 1 (and res = RENEW_TOKEN_REMOVED) when the last token call failed because
 * the token went away. */
int rn_job_token_gone(struct rn_job *j);
enum renew_rc rn_job_load_module(struct rn_job *j);
/* Finds the token with this serial (or label when serial is empty). */
enum renew_rc rn_job_find_token(struct rn_job *j, const char *serial, const char *label);
/* The only certificate of the tokens present, or the one --id/--label chose. */
enum renew_rc rn_job_choose_cert(struct rn_job *j);
enum renew_rc rn_job_open_session(struct rn_job *j);
/* Checks the PIN state, asks the PIN (callback), logs in; nothing else. */
enum renew_rc rn_job_login(struct rn_job *j);
enum renew_rc rn_job_state_dir(struct rn_job *j, long lock_wait_s);
enum renew_rc rn_job_cmp_open(struct rn_job *j);

/* Phases. */
enum renew_rc rn_phase_request(struct rn_job *j);            /* apply's send */
enum renew_rc rn_phase_wait(struct rn_job *j, int wait);      /* poll (loop) */
enum renew_rc rn_phase_write(struct rn_job *j);               /* token writes */

/* The certificate checks (also the CMP on_cert callback). */
int rn_check_new_cert(struct rn_job *j, X509 *cert, STACK_OF(X509) *extra,
		      char *why, size_t whylen);

/* CKA_ID of the key pair the new certificate is for: the new pair (rekey)
 * or the current one. */
const unsigned char *rn_job_new_id(const struct rn_job *j, size_t *len);
/* floor((t - now) / 86400) */
long rn_days_left(time_t not_after, time_t now);
time_t rn_asn1_time(const ASN1_TIME *t);

#endif
