/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * stub_renew.c — a stand-in for librenew (renew.h) so the CLI can be tested
 * alone. Driven by the environment:
 *   STUB_STATUS  none | notoken | ok | due | expired | pending | two | weird
 *   STUB_RC      the renew_rc number apply/install/renew return (default 0)
 *   STUB_PIN     if set, apply/install/renew ask the PIN and compare it
 *   STUB_CA_TEXT text of result.ca_text
 * Each call appends its name and the options it got to $STUB_LOG.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "renew.h"

static void logf_(const char *what, const struct renew_options *o)
{
	const char *p = getenv("STUB_LOG");
	if (p == NULL)
		return;
	FILE *f = fopen(p, "a");
	if (f == NULL)
		return;
	fprintf(f, "%s module=%s server=%s window=%ld wait=%ld poll=%ld rekey=%d dry=%d verbose=%d label=%s id=",
		what, o->module_path ? o->module_path : "-", o->server ? o->server : "-",
		o->window_days, o->wait_limit_minutes, o->poll_seconds, o->rekey, o->dry_run,
		o->verbose, o->label ? o->label : "-");
	for (size_t i = 0; o->id && i < o->id_len; i++)
		fprintf(f, "%02x", o->id[i]);
	fputc('\n', f);
	fclose(f);
}

const char *renew_default_module(void)
{
	return "stub.so";
}

static void add_cert(struct renew_inventory *inv, const char *label, long days, int pending,
		     int window)
{
	inv->certs = realloc(inv->certs, (inv->n_certs + 1) * sizeof(*inv->certs));
	struct renew_cert_info *c = &inv->certs[inv->n_certs++];
	memset(c, 0, sizeof(*c));
	strcpy(c->token_label, "Test Key");
	strcpy(c->token_serial, "FT0001");
	c->id[0] = 0x45;
	c->id[1] = (unsigned char)inv->n_certs;
	c->id_len = 2;
	snprintf(c->label, sizeof(c->label), "%s", label);
	strcpy(c->subject, "CN=Zhang San,O=Test");
	strcpy(c->issuer, "CN=Test CA");
	strcpy(c->serial_hex, "01AB");
	c->not_before = 1700000000;
	c->not_after = 1700000000 + days * 86400;
	c->days_left = days;
	c->key_present = -1;
	c->due = days <= window;
	c->expired = days < 0;
	c->pending = pending;
}

enum renew_rc renew_status(const struct renew_options *o, struct renew_inventory *inv,
			   struct renew_result *res)
{
	logf_("status", o);
	memset(inv, 0, sizeof(*inv));
	memset(res, 0, sizeof(*res));
	const char *s = getenv("STUB_STATUS");
	if (s == NULL)
		s = "ok";
	if (o->on_event) {
		struct renew_event ev = { RENEW_EV_TRACE, RENEW_STEP_FIND_TOKEN, 0, 0, 0,
					  "C_GetSlotList(tokenPresent=TRUE) = CKR_OK" };
		o->on_event(&ev, o->arg);
	}
	int w = (int)o->window_days;
	if (strcmp(s, "notoken") == 0)
		return RENEW_NO_TOKEN;
	inv->n_tokens = 1;
	if (strcmp(s, "none") == 0)
		return RENEW_OK;
	if (strcmp(s, "ok") == 0)
		add_cert(inv, "sign", 300, 0, w);
	else if (strcmp(s, "due") == 0)
		add_cert(inv, "sign", 30, 0, w);
	else if (strcmp(s, "expired") == 0)
		add_cert(inv, "sign", -3, 0, w);
	else if (strcmp(s, "pending") == 0)
		add_cert(inv, "sign", 30, 1, w);
	else if (strcmp(s, "two") == 0) {
		add_cert(inv, "sign", 300, 0, w);
		add_cert(inv, "auth", 20, 0, w);
	} else if (strcmp(s, "weird") == 0) {
		add_cert(inv, "a\"b\\c\n\x01\xff", 300, 0, w);
		strcpy(inv->certs[0].subject, "CN=张三,O=\"Q\"");
		inv->certs[0].key_present = 1;
	}
	return RENEW_OK;
}

void renew_inventory_free(struct renew_inventory *inv)
{
	free(inv->certs);
	memset(inv, 0, sizeof(*inv));
}

static enum renew_rc outcome(const char *what, const struct renew_options *o, struct renew_result *res)
{
	logf_(what, o);
	memset(res, 0, sizeof(*res));
	res->tries_left = -1;
	const char *want = getenv("STUB_PIN");
	if (want != NULL) {
		char pin[64];
		int n = o->get_pin(pin, sizeof(pin), -1, o->arg);
		if (n < 0)
			return res->rc = RENEW_PIN_INVALID;
		int ok = (size_t)n == strlen(want) && memcmp(pin, want, (size_t)n) == 0;
		memset(pin, 0, sizeof(pin));
		if (!ok) {
			res->tries_left = 1;
			res->step = RENEW_STEP_LOGIN;
			snprintf(res->detail, sizeof(res->detail), "C_Login: CKR_PIN_INCORRECT");
			return res->rc = RENEW_PIN_INCORRECT;
		}
	}
	struct renew_event ev = { RENEW_EV_STEP, RENEW_STEP_SEND_REQUEST, 0, 0, 0, NULL };
	o->on_event(&ev, o->arg);
	struct renew_event w = { RENEW_EV_WAITING, RENEW_STEP_WAIT, 65, 0, 1735, NULL };
	o->on_event(&w, o->arg);
	const char *rc = getenv("STUB_RC");
	res->rc = rc ? (enum renew_rc)atoi(rc) : RENEW_OK;
	const char *ca = getenv("STUB_CA_TEXT");
	if (ca)
		snprintf(res->ca_text, sizeof(res->ca_text), "%s", ca);
	if (res->rc != RENEW_OK && res->rc != RENEW_PENDING) {
		res->step = RENEW_STEP_SEND_REQUEST;
		snprintf(res->detail, sizeof(res->detail), "stub detail");
	}
	res->check_after_s = 180;
	res->old_not_before = 1700000000;
	res->old_not_after = 1700000000 + 30 * 86400;
	res->new_not_before = 1702000000;
	res->new_not_after = 1702000000 + 730 * 86400;
	strcpy(res->token_label, "Test Key");
	return res->rc;
}

enum renew_rc renew_apply(const struct renew_options *o, struct renew_result *res)
{
	return outcome("apply", o, res);
}

enum renew_rc renew_install(const struct renew_options *o, int wait, struct renew_result *res)
{
	return outcome(wait ? "install-wait" : "install", o, res);
}

enum renew_rc renew_renew(const struct renew_options *o, struct renew_result *res)
{
	return outcome("renew", o, res);
}

enum renew_rc renew_trust_add(const char *trust_dir, const char *pem_path,
			      const char *fingerprint, struct renew_result *res)
{
	memset(res, 0, sizeof(*res));
	(void)trust_dir;
	(void)pem_path;
	if (strcmp(fingerprint, "good") != 0) {
		snprintf(res->detail, sizeof(res->detail), "fingerprint mismatch");
		return RENEW_TRUST;
	}
	return RENEW_OK;
}

enum renew_rc renew_trust_list(const char *trust_dir, struct renew_trust_entry **out,
			       size_t *n, struct renew_result *res)
{
	memset(res, 0, sizeof(*res));
	(void)trust_dir;
	*out = calloc(1, sizeof(**out));
	strcpy((*out)[0].sha256_hex, "ab12");
	strcpy((*out)[0].subject, "CN=Root");
	(*out)[0].not_after = 1900000000;
	*n = 1;
	return RENEW_OK;
}

enum renew_rc renew_trust_remove(const char *trust_dir, const char *fingerprint,
				 struct renew_result *res)
{
	memset(res, 0, sizeof(*res));
	(void)trust_dir;
	(void)fingerprint;
	return RENEW_OK;
}
