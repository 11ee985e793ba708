/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rn_flow_job.c — the job every command starts from: module, token,
 * certificate choice, session, login, state directory. Nothing here prints;
 * results go to renew_result and events to the front end's callback.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "rn_flow.h"

void rn_job_init(struct rn_job *j, const struct renew_options *o, struct renew_result *res)
{
	memset(j, 0, sizeof(*j));
	j->o = o;
	j->res = res;
	memset(res, 0, sizeof(*res));
	res->tries_left = -1;
}

void rn_job_end(struct rn_job *j)
{
	rn_cmp_free(j->cmp);
	if (j->transport && j->transport->destroy)
		j->transport->destroy(j->transport);
	EVP_PKEY_free(j->key);
	EVP_PKEY_free(j->new_key);
	X509_STORE_free(j->roots);
	X509_free(j->old_x509);
	free(j->cert.der);
	rn_state_clear(&j->st);
	rn_session_close(j->s);
	rn_module_unload(j->m);
	rn_state_unlock(j->lock);
	memset(j, 0, sizeof(*j));
}

enum renew_rc rn_fail(struct rn_job *j, enum renew_rc rc, enum renew_step step, const char *fmt, ...)
{
	va_list ap;
	j->res->rc = rc;
	j->res->step = step;
	va_start(ap, fmt);
	vsnprintf(j->res->detail, sizeof(j->res->detail), fmt, ap);
	va_end(ap);
	return rc;
}

static void emit(struct rn_job *j, const struct renew_event *ev)
{
	if (j->o->on_event)
		j->o->on_event(ev, j->o->arg);
}

void rn_step(struct rn_job *j, enum renew_step step)
{
	struct renew_event ev = { .type = RENEW_EV_STEP, .step = step };
	j->res->step = step;
	emit(j, &ev);
}

void rn_dry(struct rn_job *j, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	struct renew_event ev = { .type = RENEW_EV_DRY_RUN, .step = j->res->step, .text = buf };
	emit(j, &ev);
}

void rn_trace_cb(const char *line, void *arg)
{
	struct rn_job *j = arg;
	if (!j->o->verbose)
		return;
	struct renew_event ev = { .type = RENEW_EV_TRACE, .step = j->res->step, .text = line };
	emit(j, &ev);
}

enum renew_rc rn_map_tok(struct rn_job *j, enum rn_tok_rc rc, enum renew_step step, const char *err)
{
	switch (rc) {
	case RN_TOK_OK: return RENEW_OK;
	case RN_TOK_PIN_INCORRECT: return rn_fail(j, RENEW_PIN_INCORRECT, step, "%s", err);
	case RN_TOK_PIN_LOCKED: return rn_fail(j, RENEW_PIN_LOCKED, step, "%s", err);
	case RN_TOK_PIN_INVALID: return rn_fail(j, RENEW_PIN_INVALID, step, "%s", err);
	case RN_TOK_REMOVED: return rn_fail(j, RENEW_TOKEN_REMOVED, step, "%s", err);
	case RN_TOK_MODULE: return rn_fail(j, RENEW_MODULE, step, "%s", err);
	case RN_TOK_NOT_FOUND:
	case RN_TOK_ERROR:
	default: return rn_fail(j, RENEW_TOKEN_ERROR, step, "%s", err);
	}
}

/* When OpenSSL-driven signing failed, the session knows whether the token
 * went away: a pulled token is RENEW_TOKEN_REMOVED, not a CA problem. */
static int token_gone(struct rn_job *j, char *err, size_t errlen)
{
	if (!j->s)
		return 0;
	return rn_session_last_error(j->s, err, errlen) == RN_TOK_REMOVED;
}

int rn_job_token_gone(struct rn_job *j)
{
	char err[256];
	if (token_gone(j, err, sizeof(err))) {
		rn_fail(j, RENEW_TOKEN_REMOVED, j->res->step, "%s", err);
		return 1;
	}
	return 0;
}

/* The default module: UKEY_RENEW_MODULE, else the installed ukey-pkcs11.so,
 * else the one of the build tree this executable runs from. */
const char *renew_default_module(void)
{
	static char path[4096];
	const char *env = getenv("UKEY_RENEW_MODULE");
	if (env && *env)
		return env;
#ifdef UKEY_RENEW_DEFAULT_MODULE
	if (access(UKEY_RENEW_DEFAULT_MODULE, R_OK) == 0)
		return UKEY_RENEW_DEFAULT_MODULE;
#endif
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 64);
	if (n > 0) {
		path[n] = 0;
		char *slash = strrchr(path, '/');
		/* build/renew/cli/ukey-renew → build/p11/ukey-pkcs11.so */
		if (slash) {
			strcpy(slash, "/../../p11/ukey-pkcs11.so");
			if (access(path, R_OK) == 0)
				return path;
		}
	}
#ifdef UKEY_RENEW_DEFAULT_MODULE
	return UKEY_RENEW_DEFAULT_MODULE;
#else
	return "ukey-pkcs11.so";
#endif
}

enum renew_rc rn_job_load_module(struct rn_job *j)
{
	char err[512] = "";
	const char *path = j->o->module_path ? j->o->module_path : renew_default_module();
	rn_step(j, RENEW_STEP_LOAD_MODULE);
	enum rn_tok_rc rc = rn_module_load(path, rn_trace_cb, j, &j->m, err, sizeof(err));
	if (rc != RN_TOK_OK)
		return rn_fail(j, RENEW_MODULE, RENEW_STEP_LOAD_MODULE, "%s: %s", path, err);
	return RENEW_OK;
}

enum renew_rc rn_job_find_token(struct rn_job *j, const char *serial, const char *label)
{
	char err[512] = "";
	struct rn_token_info *t = NULL;
	size_t n = 0;
	rn_step(j, RENEW_STEP_FIND_TOKEN);
	enum rn_tok_rc rc = rn_token_list(j->m, &t, &n, err, sizeof(err));
	if (rc != RN_TOK_OK)
		return rn_map_tok(j, rc, RENEW_STEP_FIND_TOKEN, err);
	for (size_t i = 0; i < n; i++) {
		int hit = serial && *serial ? strcmp(t[i].serial, serial) == 0
					    : (label && strcmp(t[i].label, label) == 0);
		if (hit) {
			j->tok = t[i];
			snprintf(j->res->token_label, sizeof(j->res->token_label), "%s", t[i].label);
			free(t);
			return RENEW_OK;
		}
	}
	free(t);
	return rn_fail(j, RENEW_NO_TOKEN, RENEW_STEP_FIND_TOKEN,
		       "token %s (serial %s) is not inserted", label ? label : "", serial ? serial : "");
}

enum renew_rc rn_job_open_session(struct rn_job *j)
{
	char err[512] = "";
	if (j->s)
		return RENEW_OK;
	enum rn_tok_rc rc = rn_session_open(j->m, j->tok.slot, 1, &j->s, err, sizeof(err));
	return rn_map_tok(j, rc, RENEW_STEP_FIND_TOKEN, err);
}

static int tries_from_flags(const struct rn_token_info *ti)
{
	if (ti->pin_final_try)
		return 1;
	if (ti->pin_count_low)
		return -2;
	return -1;
}

enum renew_rc rn_job_login(struct rn_job *j)
{
	char err[512] = "";
	char pin[256];
	struct rn_token_info ti;
	enum renew_rc rrc = rn_job_open_session(j);
	if (rrc != RENEW_OK)
		return rrc;
	if (rn_session_logged_in(j->s))
		return RENEW_OK;
	rn_step(j, RENEW_STEP_LOGIN);
	enum rn_tok_rc rc = rn_token_info(j->m, j->tok.slot, &ti, err, sizeof(err));
	if (rc != RN_TOK_OK)
		return rn_map_tok(j, rc, RENEW_STEP_LOGIN, err);
	if (ti.pin_locked)
		return rn_fail(j, RENEW_PIN_LOCKED, RENEW_STEP_LOGIN,
			       "the user PIN of token %s is locked", ti.label);
	if (!j->o->get_pin)
		return rn_fail(j, RENEW_PIN_INVALID, RENEW_STEP_LOGIN, "no way to ask the PIN");
	int len = j->o->get_pin(pin, sizeof(pin), tries_from_flags(&ti), j->o->arg);
	if (len < 0 || (size_t)len >= sizeof(pin)) {
		OPENSSL_cleanse(pin, sizeof(pin));
		return rn_fail(j, RENEW_PIN_INVALID, RENEW_STEP_LOGIN, "no PIN given");
	}
	rc = rn_session_login(j->s, pin, (size_t)len, err, sizeof(err));
	OPENSSL_cleanse(pin, sizeof(pin));
	if (rc == RN_TOK_PIN_INCORRECT) {
		char e2[256];
		if (rn_token_info(j->m, j->tok.slot, &ti, e2, sizeof(e2)) == RN_TOK_OK) {
			j->res->tries_left = tries_from_flags(&ti);
			if (ti.pin_locked)
				return rn_fail(j, RENEW_PIN_LOCKED, RENEW_STEP_LOGIN,
					       "wrong PIN; the user PIN is now locked");
		}
	}
	return rn_map_tok(j, rc, RENEW_STEP_LOGIN, err);
}

enum renew_rc rn_job_state_dir(struct rn_job *j, long lock_wait_s)
{
	char err[512] = "";
	if (rn_state_dir(j->o->state_dir, 1, j->state_dir, sizeof(j->state_dir), err, sizeof(err)) != 0)
		return rn_fail(j, RENEW_STATE, j->res->step, "%s", err);
	int r = rn_state_lock(j->state_dir, lock_wait_s, &j->lock, err, sizeof(err));
	if (r == 1)
		return rn_fail(j, RENEW_BUSY, j->res->step,
			       "another ukey-renew holds %s/lock", j->state_dir);
	if (r != 0)
		return rn_fail(j, RENEW_STATE, j->res->step, "%s", err);
	return RENEW_OK;
}
