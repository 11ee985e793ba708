/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rn_flow_status.c — what is on the tokens (no PIN) and which certificate a
 * command works on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/x509.h>

#include "rn_flow.h"

static void name_line(const X509_NAME *n, char *out, size_t outlen)
{
	BIO *b = BIO_new(BIO_s_mem());
	out[0] = 0;
	if (!b)
		return;
	X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
	int k = BIO_read(b, out, (int)outlen - 1);
	out[k > 0 ? k : 0] = 0;
	BIO_free(b);
}

/* Fills ci from the token and certificate; 0, or -1 if the DER is not a
 * certificate (then it is skipped). */
static int fill_info(struct renew_cert_info *ci, const struct rn_token_info *t,
		     const struct rn_cert *c, long window_days, time_t now)
{
	const unsigned char *p = c->der;
	X509 *x = d2i_X509(NULL, &p, (long)c->der_len);
	if (!x || p != c->der + c->der_len) {
		X509_free(x);
		return -1;
	}
	memset(ci, 0, sizeof(*ci));
	ci->slot = t->slot;
	snprintf(ci->token_label, sizeof(ci->token_label), "%s", t->label);
	snprintf(ci->token_serial, sizeof(ci->token_serial), "%s", t->serial);
	snprintf(ci->token_model, sizeof(ci->token_model), "%s", t->model);
	snprintf(ci->token_manufacturer, sizeof(ci->token_manufacturer), "%s", t->manufacturer);
	ci->id_len = c->id_len < sizeof(ci->id) ? c->id_len : sizeof(ci->id);
	memcpy(ci->id, c->id, ci->id_len);
	snprintf(ci->label, sizeof(ci->label), "%s", c->label);
	name_line(X509_get_subject_name(x), ci->subject, sizeof(ci->subject));
	name_line(X509_get_issuer_name(x), ci->issuer, sizeof(ci->issuer));
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	snprintf(ci->serial_hex, sizeof(ci->serial_hex), "%s", hex ? hex : "");
	OPENSSL_free(hex);
	BN_free(bn);
	ci->not_before = rn_asn1_time(X509_get0_notBefore(x));
	ci->not_after = rn_asn1_time(X509_get0_notAfter(x));
	ci->days_left = rn_days_left(ci->not_after, now);
	ci->expired = ci->not_after <= now;
	ci->due = ci->expired || ci->days_left <= window_days;
	ci->key_present = c->key_present;
	ci->der = malloc(c->der_len);
	if (ci->der) {
		memcpy(ci->der, c->der, c->der_len);
		ci->der_len = c->der_len;
	}
	X509_free(x);
	return 0;
}

static int has_pending(const char *state_dir, const struct renew_cert_info *ci)
{
	char path[640];
	if (!state_dir[0] ||
	    rn_state_path(state_dir, ci->token_serial, ci->id, ci->id_len, path, sizeof(path)) != 0)
		return 0;
	FILE *f = fopen(path, "r");
	if (f)
		fclose(f);
	return f != NULL;
}

/* Every certificate of every token (public session, no login). */
static enum renew_rc inventory(struct rn_job *j, struct renew_inventory *inv)
{
	char err[512] = "";
	struct rn_token_info *t = NULL;
	size_t nt = 0;
	time_t now = time(NULL);
	char dir[512] = "", e2[256];
	memset(inv, 0, sizeof(*inv));
	rn_step(j, RENEW_STEP_FIND_TOKEN);
	enum rn_tok_rc rc = rn_token_list(j->m, &t, &nt, err, sizeof(err));
	if (rc != RN_TOK_OK)
		return rn_map_tok(j, rc, RENEW_STEP_FIND_TOKEN, err);
	if (rn_state_dir(j->o->state_dir, 0, dir, sizeof(dir), e2, sizeof(e2)) != 0)
		dir[0] = 0;
	for (size_t i = 0; i < nt; i++) {
		if (!(t[i].flags & CKF_TOKEN_INITIALIZED))
			continue;
		inv->n_tokens++;
		struct rn_session *s = NULL;
		struct rn_cert *c = NULL;
		size_t nc = 0;
		rc = rn_session_open(j->m, t[i].slot, 0, &s, err, sizeof(err));
		if (rc == RN_TOK_OK)
			rc = rn_cert_list(s, &c, &nc, err, sizeof(err));
		rn_session_close(s);
		if (rc == RN_TOK_REMOVED)
			continue; /* pulled while we looked: not there */
		if (rc != RN_TOK_OK) {
			free(t);
			return rn_map_tok(j, rc, RENEW_STEP_FIND_TOKEN, err);
		}
		struct renew_cert_info *grown =
			realloc(inv->certs, (inv->n_certs + nc + 1) * sizeof(*grown));
		if (!grown) {
			rn_cert_list_free(c, nc);
			free(t);
			return rn_fail(j, RENEW_INTERNAL, RENEW_STEP_FIND_TOKEN, "out of memory");
		}
		inv->certs = grown;
		for (size_t k = 0; k < nc; k++) {
			struct renew_cert_info *ci = &inv->certs[inv->n_certs];
			if (fill_info(ci, &t[i], &c[k], j->o->window_days, now) == 0) {
				ci->pending = has_pending(dir, ci);
				inv->n_certs++;
			}
		}
		rn_cert_list_free(c, nc);
	}
	free(t);
	/* A renewal through a module that cannot delete certificates leaves
	 * the old one behind: it is superseded, not due. */
	for (size_t a = 0; a < inv->n_certs; a++) {
		struct renew_cert_info *x = &inv->certs[a];
		for (size_t b = 0; b < inv->n_certs; b++) {
			const struct renew_cert_info *y = &inv->certs[b];
			if (a != b && x->slot == y->slot && !strcmp(x->subject, y->subject) &&
			    !strcmp(x->issuer, y->issuer) && y->not_after > x->not_after && !y->expired) {
				x->superseded = 1;
				x->due = 0;
			}
		}
	}
	return RENEW_OK;
}

void renew_inventory_free(struct renew_inventory *inv)
{
	if (!inv)
		return;
	for (size_t i = 0; i < inv->n_certs; i++)
		free(inv->certs[i].der);
	free(inv->certs);
	memset(inv, 0, sizeof(*inv));
}

enum renew_rc renew_status(const struct renew_options *o, struct renew_inventory *inv,
			   struct renew_result *res)
{
	struct rn_job j;
	rn_job_init(&j, o, res);
	memset(inv, 0, sizeof(*inv));
	enum renew_rc rc = rn_job_load_module(&j);
	if (rc == RENEW_OK)
		rc = inventory(&j, inv);
	if (rc == RENEW_OK && inv->n_certs == 0)
		rc = rn_fail(&j, RENEW_NO_TOKEN, RENEW_STEP_FIND_TOKEN,
			     inv->n_tokens ? "no certificate on the token" : "no token inserted");
	rn_job_end(&j);
	res->rc = rc;
	return rc;
}

static int chosen(const struct renew_options *o, const struct renew_cert_info *ci)
{
	if (o->id && o->id_len)
		return ci->id_len == o->id_len && memcmp(ci->id, o->id, o->id_len) == 0;
	if (o->label)
		return strcmp(ci->label, o->label) == 0;
	return 1;
}

enum renew_rc rn_job_choose_cert(struct rn_job *j)
{
	struct renew_inventory inv;
	enum renew_rc rc = inventory(j, &inv);
	if (rc != RENEW_OK)
		return rc;
	if (inv.n_certs == 0) {
		size_t nt = inv.n_tokens;
		renew_inventory_free(&inv);
		return rn_fail(j, RENEW_NO_TOKEN, RENEW_STEP_FIND_TOKEN,
			       nt ? "no certificate on the token" : "no token inserted");
	}
	/* Without a choice, certificates without a key (CA certificates on the
	 * token) are not candidates. */
	size_t hit = 0, n_hits = 0, n_match = 0;
	for (size_t i = 0; i < inv.n_certs; i++) {
		if (!chosen(j->o, &inv.certs[i]))
			continue;
		n_match++;
		if ((inv.certs[i].key_present == 0 || inv.certs[i].superseded) &&
		    !j->o->id && !j->o->label)
			continue;
		hit = i;
		n_hits++;
	}
	if (n_match == 0 || n_hits == 0) {
		renew_inventory_free(&inv);
		return rn_fail(j, j->o->id || j->o->label ? RENEW_NO_MATCH : RENEW_NO_TOKEN,
			       RENEW_STEP_FIND_TOKEN, "no certificate with a key matches the choice");
	}
	if (n_hits > 1) {
		renew_inventory_free(&inv);
		return rn_fail(j, RENEW_AMBIGUOUS, RENEW_STEP_FIND_TOKEN,
			       "%zu certificates: choose one with --id or --label", n_hits);
	}
	struct renew_cert_info *ci = &inv.certs[hit];
	memset(&j->tok, 0, sizeof(j->tok));
	char err[512];
	enum rn_tok_rc trc = rn_token_info(j->m, ci->slot, &j->tok, err, sizeof(err));
	if (trc != RN_TOK_OK) {
		renew_inventory_free(&inv);
		return rn_map_tok(j, trc, RENEW_STEP_FIND_TOKEN, err);
	}
	snprintf(j->res->token_label, sizeof(j->res->token_label), "%s", ci->token_label);
	memcpy(j->cert.id, ci->id, ci->id_len);
	j->cert.id_len = ci->id_len;
	snprintf(j->cert.label, sizeof(j->cert.label), "%s", ci->label);
	j->cert.der = ci->der;
	j->cert.der_len = ci->der_len;
	j->cert.key_present = ci->key_present;
	ci->der = NULL;
	j->res->old_not_before = ci->not_before;
	j->res->old_not_after = ci->not_after;
	const unsigned char *p = j->cert.der;
	j->old_x509 = d2i_X509(NULL, &p, (long)j->cert.der_len);
	renew_inventory_free(&inv);
	if (!j->old_x509)
		return rn_fail(j, RENEW_INTERNAL, RENEW_STEP_FIND_TOKEN, "certificate decode failed");
	return RENEW_OK;
}
