/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rn_flow_renew.c — apply, install, renew. The order of the token writes is
 * what keeps a token usable whatever happens: the new certificate is written
 * and read back byte for byte before the old one is deleted, and (rekey) the
 * old key pair goes last. Each step is idempotent, so a rerun after a pulled
 * token or a killed process finishes the job from the state file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <openssl/rand.h>

#include "rn_flow.h"

/* How long install/renew wait for another run holding the state lock. */
#define RN_LOCK_WAIT_S 120

static enum renew_rc get_key(struct rn_job *j, const unsigned char *id, size_t id_len, EVP_PKEY **k)
{
	char err[512] = "";
	enum rn_tok_rc rc = rn_private_key(j->s, id, id_len, k, err, sizeof(err));
	return rn_map_tok(j, rc, RENEW_STEP_LOGIN, err);
}

static int state_exists(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0;
}

/* Writes the new certificate, reads it back, deletes the old objects. */
enum renew_rc rn_phase_write(struct rn_job *j)
{
	char err[512] = "";
	int found = 0;
	CK_OBJECT_HANDLE h;
	const unsigned char *p = j->st.new_cert;
	X509 *x = d2i_X509(NULL, &p, (long)j->st.new_cert_len);
	if (!x)
		return rn_fail(j, RENEW_STATE, RENEW_STEP_WRITE_CERT, "state file: new certificate unreadable");
	j->res->new_not_before = rn_asn1_time(X509_get0_notBefore(x));
	j->res->new_not_after = rn_asn1_time(X509_get0_notAfter(x));
	X509_free(x);
	size_t id_len;
	const unsigned char *id = rn_job_new_id(j, &id_len);

	rn_step(j, RENEW_STEP_WRITE_CERT);
	if (j->o->dry_run) {
		rn_dry(j, "write the new certificate (CKA_ID as the key, label \"%s\"), "
			  "read it back, then delete the old certificate%s", j->st.cert_label,
		       j->st.rekey ? " and the old key pair" : "");
		return rn_fail(j, RENEW_DRY_RUN, RENEW_STEP_WRITE_CERT, "dry run: stopped before writing");
	}
	enum rn_tok_rc rc = rn_cert_find_exact(j->s, j->st.new_cert, j->st.new_cert_len, &found, &h,
					       err, sizeof(err));
	if (rc != RN_TOK_OK)
		return rn_map_tok(j, rc, RENEW_STEP_WRITE_CERT, err);
	if (!found) {
		rc = rn_cert_write(j->s, j->st.new_cert, j->st.new_cert_len, id, id_len,
				   j->st.cert_label, err, sizeof(err));
		if (rc == RN_TOK_ERROR && !j->st.rekey) {
			/* Some modules (OpenSC's PKCS#15) refuse a second certificate
			 * with the key's CKA_ID. The old certificate then steps aside
			 * (CKA_ID + "old"; it keeps matching the same key) and the
			 * write is tried once more; the old one is deleted below. */
			unsigned char aside[sizeof(j->st.cert_id) + 3];
			char e2[512];
			memcpy(aside, j->st.cert_id, j->st.cert_id_len);
			memcpy(aside + j->st.cert_id_len, "old", 3);
			if (rn_cert_set_id(j->s, j->st.old_cert, j->st.old_cert_len, aside,
					   j->st.cert_id_len + 3, e2, sizeof(e2)) == RN_TOK_OK)
				rc = rn_cert_write(j->s, j->st.new_cert, j->st.new_cert_len, id, id_len,
						   j->st.cert_label, err, sizeof(err));
		}
		if (rc != RN_TOK_OK)
			return rn_map_tok(j, rc, RENEW_STEP_WRITE_CERT, err);
	}
	rn_step(j, RENEW_STEP_READ_BACK);
	rc = rn_cert_find_exact(j->s, j->st.new_cert, j->st.new_cert_len, &found, &h, err, sizeof(err));
	if (rc != RN_TOK_OK)
		return rn_map_tok(j, rc, RENEW_STEP_READ_BACK, err);
	if (!found)
		return rn_fail(j, RENEW_TOKEN_ERROR, RENEW_STEP_READ_BACK,
			       "the certificate read back from the token differs from the one written; "
			       "the old certificate was kept");

	rn_step(j, RENEW_STEP_DELETE_OLD_CERT);
	if (j->st.old_cert_len != j->st.new_cert_len ||
	    memcmp(j->st.old_cert, j->st.new_cert, j->st.new_cert_len) != 0) {
		rc = rn_cert_delete_exact(j->s, j->st.old_cert, j->st.old_cert_len, err, sizeof(err));
		if (rc == RN_TOK_NOT_SUPPORTED)
			j->res->old_cert_kept = 1;
		else if (rc != RN_TOK_OK && rc != RN_TOK_NOT_FOUND)
			return rn_map_tok(j, rc, RENEW_STEP_DELETE_OLD_CERT, err);
	}
	/* The old key pair goes only with its certificate: never leave a
	 * certificate on the token without its key. */
	if (j->res->old_cert_kept && j->st.rekey)
		j->res->old_key_kept = 1;
	else if (j->st.rekey && (j->st.new_key_id_len != j->st.cert_id_len ||
			    memcmp(j->st.new_key_id, j->st.cert_id, j->st.cert_id_len) != 0)) {
		rn_step(j, RENEW_STEP_DELETE_OLD_KEY);
		rc = rn_keypair_delete(j->s, j->st.cert_id, j->st.cert_id_len, err, sizeof(err));
		if (rc == RN_TOK_NOT_SUPPORTED)
			j->res->old_key_kept = 1;
		else if (rc != RN_TOK_OK && rc != RN_TOK_NOT_FOUND)
			return rn_map_tok(j, rc, RENEW_STEP_DELETE_OLD_KEY, err);
	}
	if (rn_state_remove(j->state_path, err, sizeof(err)) != 0)
		return rn_fail(j, RENEW_STATE, RENEW_STEP_DONE, "%s", err);
	j->have_state = 0;
	rn_step(j, RENEW_STEP_DONE);
	j->res->rc = RENEW_OK;
	j->res->step = RENEW_STEP_DONE;
	return RENEW_OK;
}

/* The transaction ended at the CA without a certificate: drop the state and
 * (rekey) the key pair generated for it — it was never used. */
static void abandon(struct rn_job *j)
{
	char err[256];
	if (j->st.rekey && j->st.new_key_id_len && j->s)
		(void)rn_keypair_delete(j->s, j->st.new_key_id, j->st.new_key_id_len, err, sizeof(err));
	if (j->state_path[0])
		(void)rn_state_remove(j->state_path, err, sizeof(err));
	j->have_state = 0;
}

/* Continues a pending renewal whose state is in j->st (session logged in). */
static enum renew_rc run_pending(struct rn_job *j, int wait)
{
	enum renew_rc rc;
	if (j->st.phase == RN_PHASE_WAITING) {
		if ((rc = get_key(j, j->st.cert_id, j->st.cert_id_len, &j->key)) != RENEW_OK)
			return rc;
		if (j->st.rekey &&
		    (rc = get_key(j, j->st.new_key_id, j->st.new_key_id_len, &j->new_key)) != RENEW_OK)
			return rc;
		if ((rc = rn_job_cmp_open(j)) != RENEW_OK)
			return rc;
		struct rn_cmp_outcome out;
		memset(&out, 0, sizeof(out));
		enum rn_cmp_rc crc = rn_cmp_resume(j->cmp, &j->st.cmp, &out);
		if (crc != RN_CMP_WAITING) {
			rn_fail(j, RENEW_STATE, RENEW_STEP_WAIT, "state file: cannot resume the CMP transaction: %s",
				out.detail);
			rn_cmp_outcome_clear(&out);
			return RENEW_STATE;
		}
		rn_cmp_outcome_clear(&out);
		rc = rn_phase_wait(j, wait);
		if (rc == RENEW_REJECTED)
			abandon(j);
		if (rc != RENEW_OK)
			return rc;
	} else {
		/* A certificate received by an earlier process: the state file is
		 * input from disk, so check it all again before writing. */
		const unsigned char *p = j->st.new_cert;
		X509 *x = d2i_X509(NULL, &p, (long)j->st.new_cert_len);
		char why[512], err[512] = "";
		if (!x)
			return rn_fail(j, RENEW_STATE, RENEW_STEP_RECEIVE, "state file: new certificate unreadable");
		size_t id_len;
		const unsigned char *id = rn_job_new_id(j, &id_len);
		EVP_PKEY **slot = j->st.rekey ? &j->new_key : &j->key;
		rc = get_key(j, id, id_len, slot);
		if (rc == RENEW_OK && !j->roots) {
			j->roots = rn_trust_load(j->o->trust_dir ? j->o->trust_dir : "", err, sizeof(err));
			if (!j->roots)
				rc = rn_fail(j, RENEW_TRUST, RENEW_STEP_VERIFY_CHAIN, "%s", err);
		}
		if (rc == RENEW_OK && rn_check_new_cert(j, x, NULL, why, sizeof(why)) != 0)
			rc = j->res->rc != RENEW_OK ? j->res->rc : RENEW_BAD_ANSWER;
		X509_free(x);
		if (rc != RENEW_OK)
			return rc;
	}
	return rn_phase_write(j);
}

static void fill_state(struct rn_job *j)
{
	struct rn_state *st = &j->st;
	memset(st, 0, sizeof(*st));
	snprintf(st->server, sizeof(st->server), "%s", j->o->server ? j->o->server : "");
	snprintf(st->token_serial, sizeof(st->token_serial), "%s", j->tok.serial);
	snprintf(st->token_label, sizeof(st->token_label), "%s", j->tok.label);
	memcpy(st->cert_id, j->cert.id, j->cert.id_len);
	st->cert_id_len = j->cert.id_len;
	snprintf(st->cert_label, sizeof(st->cert_label), "%s", j->cert.label);
	st->old_cert = malloc(j->cert.der_len);
	if (st->old_cert) {
		memcpy(st->old_cert, j->cert.der, j->cert.der_len);
		st->old_cert_len = j->cert.der_len;
	}
	st->rekey = j->o->rekey;
	st->created = time(NULL);
}

/* A new request: login done, no state yet. */
static enum renew_rc run_new(struct rn_job *j, int wait)
{
	char err[512] = "";
	enum renew_rc rc;
	fill_state(j);
	if (!j->st.old_cert)
		return rn_fail(j, RENEW_INTERNAL, RENEW_STEP_SEND_REQUEST, "out of memory");
	if ((rc = get_key(j, j->cert.id, j->cert.id_len, &j->key)) != RENEW_OK)
		return rc;
	if (j->st.rekey) {
		rn_step(j, RENEW_STEP_GENERATE_KEY);
		if (j->o->dry_run) {
			rn_dry(j, "generate a new RSA-2048 key pair on token %s", j->tok.label);
			return rn_fail(j, RENEW_DRY_RUN, RENEW_STEP_GENERATE_KEY,
				       "dry run: stopped before generating a key");
		}
		j->st.new_key_id_len = 20;
		if (RAND_bytes(j->st.new_key_id, (int)j->st.new_key_id_len) != 1)
			return rn_fail(j, RENEW_INTERNAL, RENEW_STEP_GENERATE_KEY, "no random bytes");
		enum rn_tok_rc trc = rn_generate_rsa(j->s, 2048, j->st.new_key_id, j->st.new_key_id_len,
						     j->cert.label, err, sizeof(err));
		if (trc != RN_TOK_OK)
			return rn_map_tok(j, trc, RENEW_STEP_GENERATE_KEY, err);
		if ((rc = get_key(j, j->st.new_key_id, j->st.new_key_id_len, &j->new_key)) != RENEW_OK) {
			abandon(j);
			return rc;
		}
	}
	if ((rc = rn_job_cmp_open(j)) != RENEW_OK) {
		abandon(j);
		return rc;
	}
	if (j->o->dry_run) {
		rn_step(j, RENEW_STEP_SEND_REQUEST);
		rn_dry(j, "send a key update request for \"%s\" to %s", j->cert.label, j->o->server);
		return rn_fail(j, RENEW_DRY_RUN, RENEW_STEP_SEND_REQUEST,
			       "dry run: stopped before the first message to the CA");
	}
	rc = rn_phase_request(j);
	if (rc == RENEW_PENDING && wait)
		rc = rn_phase_wait(j, 1);
	if (rc == RENEW_OK || j->verified)
		return rn_phase_write(j);
	if (rc != RENEW_PENDING && !j->have_state)
		abandon(j);
	else if (rc == RENEW_REJECTED)
		abandon(j);
	return rc;
}

static enum renew_rc apply_or_renew(const struct renew_options *o, struct renew_result *res, int wait)
{
	struct rn_job j;
	char err[512] = "";
	rn_job_init(&j, o, res);
	enum renew_rc rc = rn_job_load_module(&j);
	if (rc == RENEW_OK)
		rc = rn_job_choose_cert(&j);
	if (rc == RENEW_OK)
		rc = rn_job_state_dir(&j, wait ? RN_LOCK_WAIT_S : 5);
	if (rc == RENEW_OK &&
	    rn_state_path(j.state_dir, j.tok.serial, j.cert.id, j.cert.id_len, j.state_path,
			  sizeof(j.state_path)) != 0)
		rc = rn_fail(&j, RENEW_STATE, RENEW_STEP_FIND_TOKEN, "state path too long");
	if (rc == RENEW_OK && state_exists(j.state_path)) {
		/* Already applied: apply says so, renew goes on with it. */
		if (rn_state_load(j.state_path, &j.st, err, sizeof(err)) != 0)
			rc = rn_fail(&j, RENEW_STATE, RENEW_STEP_SEND_REQUEST, "%s", err);
		else if (!wait) {
			res->check_after_s = j.st.next_poll > time(NULL) ? j.st.next_poll - time(NULL) : 0;
			rc = rn_fail(&j, RENEW_PENDING, RENEW_STEP_WAIT,
				     "a renewal of this certificate is already pending: run install");
		} else {
			j.have_state = 1;
			if ((rc = rn_job_login(&j)) == RENEW_OK)
				rc = run_pending(&j, 1);
		}
	} else if (rc == RENEW_OK) {
		if ((rc = rn_job_login(&j)) == RENEW_OK)
			rc = run_new(&j, wait);
	}
	rn_job_end(&j);
	res->rc = rc;
	return rc;
}

enum renew_rc renew_apply(const struct renew_options *o, struct renew_result *res)
{
	return apply_or_renew(o, res, 0);
}

enum renew_rc renew_renew(const struct renew_options *o, struct renew_result *res)
{
	return apply_or_renew(o, res, 1);
}

/* The pending state the choice (--id/--label, or the only one) selects. */
static enum renew_rc pick_state(struct rn_job *j)
{
	char err[512] = "";
	char **paths = NULL;
	size_t n = 0, hits = 0;
	if (rn_state_list(j->state_dir, &paths, &n, err, sizeof(err)) != 0)
		return rn_fail(j, RENEW_STATE, RENEW_STEP_FIND_TOKEN, "%s", err);
	for (size_t i = 0; i < n; i++) {
		struct rn_state st;
		memset(&st, 0, sizeof(st));
		if (rn_state_load(paths[i], &st, err, sizeof(err)) != 0) {
			rn_state_list_free(paths, n);
			rn_state_clear(&j->st);
			return rn_fail(j, RENEW_STATE, RENEW_STEP_FIND_TOKEN, "%s", err);
		}
		int ok = 1;
		if (j->o->id && j->o->id_len)
			ok = st.cert_id_len == j->o->id_len && !memcmp(st.cert_id, j->o->id, st.cert_id_len);
		else if (j->o->label)
			ok = strcmp(st.cert_label, j->o->label) == 0;
		if (ok && ++hits == 1) {
			j->st = st;
			snprintf(j->state_path, sizeof(j->state_path), "%s", paths[i]);
		} else {
			rn_state_clear(&st);
		}
	}
	rn_state_list_free(paths, n);
	if (hits == 0)
		return rn_fail(j, RENEW_NOTHING_PENDING, RENEW_STEP_FIND_TOKEN, "no renewal is pending");
	if (hits > 1)
		return rn_fail(j, RENEW_AMBIGUOUS, RENEW_STEP_FIND_TOKEN,
			       "%zu renewals are pending: choose one with --id or --label", hits);
	j->have_state = 1;
	return RENEW_OK;
}

enum renew_rc renew_install(const struct renew_options *o, int wait, struct renew_result *res)
{
	struct rn_job j;
	rn_job_init(&j, o, res);
	enum renew_rc rc = rn_job_state_dir(&j, RN_LOCK_WAIT_S);
	if (rc == RENEW_OK)
		rc = pick_state(&j);
	if (rc == RENEW_OK)
		rc = rn_job_load_module(&j);
	if (rc == RENEW_OK)
		rc = rn_job_find_token(&j, j.st.token_serial, j.st.token_label);
	if (rc == RENEW_OK) {
		const unsigned char *p = j.st.old_cert;
		j.old_x509 = d2i_X509(NULL, &p, (long)j.st.old_cert_len);
		if (!j.old_x509)
			rc = rn_fail(&j, RENEW_STATE, RENEW_STEP_FIND_TOKEN,
				     "state file: old certificate unreadable");
		else {
			res->old_not_before = rn_asn1_time(X509_get0_notBefore(j.old_x509));
			res->old_not_after = rn_asn1_time(X509_get0_notAfter(j.old_x509));
		}
	}
	if (rc == RENEW_OK)
		rc = rn_job_login(&j);
	if (rc == RENEW_OK)
		rc = run_pending(&j, wait);
	rn_job_end(&j);
	res->rc = rc;
	return rc;
}
