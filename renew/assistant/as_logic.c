/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * as_logic.c — the assistant's pages, transitions and sentences (no display).
 */
#include "as_logic.h"

#include <stdio.h>
#include <string.h>

void as_model_init(struct as_model *m, long wait_limit_minutes, const char *support_text)
{
	memset(m, 0, sizeof(*m));
	m->page = AS_PAGE_TOKENS;
	m->selected = -1;
	m->tries_left = -1;
	m->list_rc = RENEW_NO_TOKEN;
	m->wait_limit_minutes = wait_limit_minutes > 0 ? wait_limit_minutes : 30;
	m->support_text = support_text;
}

enum as_cert_state as_cert_state_of(const struct renew_cert_info *c)
{
	if (c->superseded)
		return AS_CERT_SUPERSEDED;
	if (c->pending)
		return AS_CERT_PENDING;
	if (c->expired || c->days_left < 0)
		return AS_CERT_EXPIRED;
	if (c->due)
		return AS_CERT_DUE;
	return AS_CERT_NOT_DUE;
}

static int same_cert(const struct as_cert *c, const char *serial, const unsigned char *id, size_t id_len)
{
	return strcmp(c->token_serial, serial) == 0 && c->id_len == id_len &&
	       memcmp(c->id, id, id_len) == 0;
}

void as_model_set_inventory(struct as_model *m, enum renew_rc rc, const struct renew_inventory *inv)
{
	m->list_rc = rc;
	m->n_tokens = (rc == RENEW_OK && inv) ? inv->n_tokens : 0;
	m->n_certs = 0;
	m->selected = -1;
	if (rc == RENEW_OK && inv) {
		for (size_t i = 0; i < inv->n_certs && m->n_certs < AS_MAX_CERTS; i++) {
			const struct renew_cert_info *c = &inv->certs[i];
			struct as_cert *a = &m->certs[m->n_certs++];
			memset(a, 0, sizeof(*a));
			snprintf(a->token_label, sizeof(a->token_label), "%s", c->token_label);
			snprintf(a->token_serial, sizeof(a->token_serial), "%s", c->token_serial);
			snprintf(a->subject, sizeof(a->subject), "%s", c->subject);
			snprintf(a->issuer, sizeof(a->issuer), "%s", c->issuer);
			snprintf(a->label, sizeof(a->label), "%s", c->label);
			a->id_len = c->id_len <= sizeof(a->id) ? c->id_len : sizeof(a->id);
			memcpy(a->id, c->id, a->id_len);
			a->not_before = c->not_before;
			a->not_after = c->not_after;
			a->days_left = c->days_left;
			a->state = as_cert_state_of(c);
		}
	}
	/* keep the selection; else the first certificate that needs renewal, else the first */
	for (size_t i = 0; i < m->n_certs && m->sel_id_len > 0; i++)
		if (same_cert(&m->certs[i], m->sel_serial, m->sel_id, m->sel_id_len))
			m->selected = (int)i;
	if (m->page == AS_PAGE_REMOVED || m->page == AS_PAGE_FAILED) {
		m->token_back = m->selected >= 0;
		return; /* the choice made for the failed job stays */
	}
	if (m->selected < 0) {
		for (size_t i = 0; i < m->n_certs && m->selected < 0; i++)
			if (m->certs[i].state == AS_CERT_DUE || m->certs[i].state == AS_CERT_EXPIRED ||
			    m->certs[i].state == AS_CERT_PENDING)
				m->selected = (int)i;
		if (m->selected < 0 && m->n_certs > 0)
			m->selected = 0;
		if (m->selected >= 0)
			as_model_select(m, m->selected);
	}
}

int as_model_select(struct as_model *m, int index)
{
	if (index < 0 || (size_t)index >= m->n_certs)
		return -1;
	m->selected = index;
	const struct as_cert *c = &m->certs[index];
	snprintf(m->sel_serial, sizeof(m->sel_serial), "%s", c->token_serial);
	memcpy(m->sel_id, c->id, c->id_len);
	m->sel_id_len = c->id_len;
	return 0;
}

const struct as_cert *as_model_selected(const struct as_model *m)
{
	if (m->selected < 0 || (size_t)m->selected >= m->n_certs)
		return NULL;
	return &m->certs[m->selected];
}

int as_model_can_renew(const struct as_model *m)
{
	const struct as_cert *c = as_model_selected(m);
	if (m->busy || c == NULL)
		return 0;
	if (m->page == AS_PAGE_REMOVED)
		return m->token_back;
	if (m->page != AS_PAGE_TOKENS && m->page != AS_PAGE_FAILED)
		return 0;
	return c->state == AS_CERT_DUE || c->state == AS_CERT_EXPIRED || c->state == AS_CERT_PENDING;
}

int as_model_start(struct as_model *m)
{
	if (!m->restart && !as_model_can_renew(m))
		return -1;
	m->busy = 1;
	m->restart = 0;
	m->cancelled = 0;
	m->waiting = 0;
	m->step = RENEW_STEP_NONE;
	m->elapsed_s = m->next_poll_s = m->left_s = 0;
	if (!m->wrong_pin)
		m->tries_left = -1;
	memset(&m->result, 0, sizeof(m->result));
	m->page = AS_PAGE_PROGRESS;
	return 0;
}

void as_model_pin_request(struct as_model *m, int tries_left)
{
	if (tries_left != -1 || !m->wrong_pin)
		m->tries_left = tries_left;
	m->page = AS_PAGE_PIN;
}

void as_model_pin_given(struct as_model *m)
{
	if (m->page == AS_PAGE_PIN)
		m->page = AS_PAGE_PROGRESS;
}

void as_model_pin_cancel(struct as_model *m)
{
	m->cancelled = 1;
	m->page = AS_PAGE_PROGRESS;
}

void as_model_event(struct as_model *m, const struct renew_event *ev)
{
	switch (ev->type) {
	case RENEW_EV_STEP:
		m->step = ev->step;
		m->waiting = ev->step == RENEW_STEP_WAIT;
		if (ev->step > RENEW_STEP_LOGIN)
			m->wrong_pin = 0; /* the PIN was right */
		break;
	case RENEW_EV_WAITING:
		m->step = RENEW_STEP_WAIT;
		m->waiting = 1;
		m->elapsed_s = ev->elapsed_s;
		m->next_poll_s = ev->next_poll_s;
		m->left_s = ev->left_s;
		break;
	default:
		break;
	}
}

void as_model_finish(struct as_model *m, enum renew_rc rc, const struct renew_result *res)
{
	m->busy = 0;
	if (res != NULL)
		m->result = *res;
	m->result.rc = rc;
	if (m->cancelled) {
		m->cancelled = 0;
		m->wrong_pin = 0;
		m->page = AS_PAGE_TOKENS;
		return;
	}
	switch (rc) {
	case RENEW_OK:
		m->wrong_pin = 0;
		m->page = AS_PAGE_RESULT;
		break;
	case RENEW_PIN_INCORRECT:
		/* ask again, with the tries left */
		m->wrong_pin = 1;
		m->tries_left = res ? res->tries_left : -1;
		m->restart = 1;
		m->busy = 0;
		m->page = AS_PAGE_PIN;
		break;
	case RENEW_TOKEN_REMOVED:
		m->wrong_pin = 0;
		m->token_back = 0;
		m->page = AS_PAGE_REMOVED;
		break;
	default:
		m->wrong_pin = 0;
		m->page = AS_PAGE_FAILED;
		break;
	}
}

void as_model_back(struct as_model *m)
{
	if (m->busy)
		return;
	m->page = AS_PAGE_TOKENS;
	m->wrong_pin = 0;
	m->restart = 0;
	m->tries_left = -1;
}

int as_model_wait_limit_reached(const struct as_model *m)
{
	return m->page == AS_PAGE_FAILED && m->result.rc == RENEW_PENDING;
}

/* ---- texts ---- */

static const char *const rc_msgids[] = {
	[RENEW_OK] = N_("Your certificate was renewed and is on your key. You can use the key as before."),
	[RENEW_NOT_DUE] = N_("This certificate does not need renewal yet. Nothing was sent to the CA."),
	[RENEW_PENDING] = N_("The CA has not decided yet. Your request is saved on this computer: "
			     "open this assistant again later and press Renew to finish."),
	[RENEW_NO_TOKEN] = N_("No key with a certificate was found. Plug your key in; it appears "
			      "here by itself after a few seconds."),
	[RENEW_AMBIGUOUS] = N_("Several certificates fit. Choose one in the list, then press Renew."),
	[RENEW_NO_MATCH] = N_("The chosen certificate is no longer on the key. Check that the right "
			      "key is plugged in and choose again."),
	[RENEW_NOTHING_PENDING] = N_("There is no request waiting at the CA. Press Renew to start one."),
	[RENEW_REJECTED] = N_("The CA refused the renewal. Contact your CA's support; tell them the "
			      "reason shown below."),
	[RENEW_BAD_ANSWER] = N_("The CA's answer did not pass the safety checks, so it was not "
				"used. Your key was not changed. Contact your CA's support."),
	[RENEW_NETWORK] = N_("The CA could not be reached. Check that this computer is connected "
			     "to the network, then try again. If it keeps failing, ask your "
			     "administrator to check the CA address."),
	[RENEW_PIN_INCORRECT] = N_("The PIN was wrong. Nothing was sent to the CA. Type it again "
				   "carefully."),
	[RENEW_PIN_LOCKED] = N_("The PIN of your key is locked after too many wrong tries. "
				"Nothing was sent to the CA. Contact your CA's support to unlock it."),
	[RENEW_PIN_INVALID] = N_("The key did not accept this PIN (wrong length or characters). "
				 "Nothing was sent to the CA. Type the PIN of your key again."),
	[RENEW_TOKEN_REMOVED] = N_("The key was pulled out while it was being used. Plug it in "
				   "again and press Retry: the renewal continues where it stopped."),
	[RENEW_TOKEN_ERROR] = N_("The key reported an error. Unplug it, plug it in again and "
				 "press Retry. If it happens again, contact support."),
	[RENEW_MODULE] = N_("The software for your key could not be started. Ask your "
			    "administrator to check the installation."),
	[RENEW_CONFIG] = N_("The renewal settings of this computer are wrong or missing. Ask "
			    "your administrator to check them."),
	[RENEW_STATE] = N_("The saved renewal on this computer cannot be read. Contact support."),
	[RENEW_BUSY] = N_("Another renewal is running on this computer. Wait until it ends, "
			  "then try again."),
	[RENEW_DRY_RUN] = N_("Test run: stopped before anything was sent or written."),
	[RENEW_TRUST] = N_("The CA's root certificate is not set up on this computer. Ask your "
			   "administrator to install it."),
	[RENEW_INTERNAL] = N_("Something unexpected went wrong. Try again; if it happens again, "
			      "contact support."),
};

static const char *const step_msgids[] = {
	[RENEW_STEP_NONE] = N_("Starting"),
	[RENEW_STEP_LOAD_MODULE] = N_("Starting the key's software"),
	[RENEW_STEP_FIND_TOKEN] = N_("Looking for your key and its certificate"),
	[RENEW_STEP_LOGIN] = N_("Checking the PIN"),
	[RENEW_STEP_GENERATE_KEY] = N_("Creating a new key pair on your key"),
	[RENEW_STEP_SEND_REQUEST] = N_("Sending the renewal request to the CA"),
	[RENEW_STEP_WAIT] = N_("Waiting for the CA to approve"),
	[RENEW_STEP_RECEIVE] = N_("Receiving the new certificate"),
	[RENEW_STEP_VERIFY_CHAIN] = N_("Checking who issued the new certificate"),
	[RENEW_STEP_VERIFY_KEY] = N_("Checking that the certificate belongs to your key"),
	[RENEW_STEP_SIGN_TEST] = N_("Testing a signature with your key"),
	[RENEW_STEP_VERIFY_FIELDS] = N_("Checking the name and dates of the certificate"),
	[RENEW_STEP_WRITE_CERT] = N_("Saving the new certificate on your key — do not pull the key out"),
	[RENEW_STEP_READ_BACK] = N_("Reading the new certificate back from your key"),
	[RENEW_STEP_DELETE_OLD_CERT] = N_("Removing the old certificate"),
	[RENEW_STEP_DELETE_OLD_KEY] = N_("Removing the old key pair"),
	[RENEW_STEP_DONE] = N_("Finished"),
};

const char *as_rc_msgid(enum renew_rc rc)
{
	if ((size_t)rc < sizeof(rc_msgids) / sizeof(rc_msgids[0]) && rc_msgids[rc] != NULL)
		return rc_msgids[rc];
	return rc_msgids[RENEW_INTERNAL];
}

const char *as_rc_text(enum renew_rc rc)
{
	return _(as_rc_msgid(rc));
}

const char *as_step_msgid(enum renew_step step)
{
	if ((size_t)step < sizeof(step_msgids) / sizeof(step_msgids[0]) && step_msgids[step] != NULL)
		return step_msgids[step];
	return step_msgids[RENEW_STEP_NONE];
}

const char *as_step_text(enum renew_step step)
{
	return _(as_step_msgid(step));
}

const char *as_state_text(enum as_cert_state s)
{
	switch (s) {
	case AS_CERT_DUE:
		return _("Renewal due");
	case AS_CERT_EXPIRED:
		return _("Expired — renew now");
	case AS_CERT_PENDING:
		return _("Pending at the CA");
	case AS_CERT_SUPERSEDED:
		return _("Replaced by a newer certificate");
	case AS_CERT_NOT_DUE:
	default:
		return _("Not due");
	}
}

const char *as_page_title(enum as_page p)
{
	switch (p) {
	case AS_PAGE_PIN:
		return _("Enter the PIN of your key");
	case AS_PAGE_PROGRESS:
		return _("Renewing your certificate");
	case AS_PAGE_RESULT:
		return _("Renewal succeeded");
	case AS_PAGE_FAILED:
		return _("The renewal did not finish");
	case AS_PAGE_REMOVED:
		return _("The key was removed");
	case AS_PAGE_TOKENS:
	default:
		return _("Your keys and certificates");
	}
}

void as_days_text(long d, char *buf, size_t n)
{
	if (d < 0)
		snprintf(buf, n, dngettext(AS_DOMAIN, "expired %ld day ago", "expired %ld days ago",
					   (unsigned long)-d), -d);
	else
		snprintf(buf, n, dngettext(AS_DOMAIN, "%ld day left", "%ld days left", (unsigned long)d), d);
}

void as_fmt_duration(long s, char *buf, size_t n)
{
	if (s < 0)
		s = 0;
	if (s >= 3600)
		snprintf(buf, n, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
	else
		snprintf(buf, n, "%ld:%02ld", s / 60, s % 60);
}

void as_fmt_date(time_t t, char *buf, size_t n)
{
	struct tm tm;
	if (t == 0 || localtime_r(&t, &tm) == NULL) {
		snprintf(buf, n, "?");
		return;
	}
	strftime(buf, n, "%Y-%m-%d %H:%M", &tm);
}

void as_tries_text(int wrong_pin, int tries_left, char *buf, size_t n)
{
	buf[0] = '\0';
	if (!wrong_pin && tries_left != 1 && tries_left != -2)
		return;
	const char *head = wrong_pin ? _("The PIN was wrong. Nothing was sent to the CA.") : "";
	const char *tail = "";
	char num[160] = "";
	if (tries_left == 1)
		tail = _("Only one try is left: one more wrong PIN locks the key.");
	else if (tries_left == -2)
		tail = _("Few tries are left before the key locks.");
	else if (tries_left > 1) {
		snprintf(num, sizeof(num), dngettext(AS_DOMAIN, "%d try is left.", "%d tries are left.",
						     (unsigned long)tries_left), tries_left);
		tail = num;
	}
	snprintf(buf, n, "%s%s%s", head, (head[0] && tail[0]) ? " " : "", tail);
}

void as_progress_text(const struct as_model *m, char *buf, size_t n)
{
	char el[32], nx[32], left[32];
	if (!m->waiting) {
		snprintf(buf, n, "%s…", as_step_text(m->step));
		return;
	}
	as_fmt_duration(m->elapsed_s, el, sizeof(el));
	as_fmt_duration(m->next_poll_s, nx, sizeof(nx));
	as_fmt_duration(m->left_s, left, sizeof(left));
	char line[256];
	if (m->next_poll_s <= 0)
		snprintf(line, sizeof(line), _("Time waited: %s. Asking the CA now."), el);
	else
		snprintf(line, sizeof(line), _("Time waited: %s. Next question to the CA in %s."), el, nx);
	snprintf(buf, n, "%s\n%s\n%s", as_step_text(RENEW_STEP_WAIT), line,
		 _("The CA usually decides in about 3 minutes. You may keep working; do not pull "
		   "the key out."));
	if (m->elapsed_s > 180) {
		size_t l = strlen(buf);
		snprintf(buf + l, n - l, "\n");
		l = strlen(buf);
		snprintf(buf + l, n - l, _("This takes longer than usual. The assistant gives up in %s."), left);
	}
}

void as_result_text(const struct as_model *m, char *buf, size_t n)
{
	const struct renew_result *r = &m->result;
	char a[40], b[40], c[40], d[40];
	size_t l;
	switch (m->page) {
	case AS_PAGE_RESULT:
		as_fmt_date(r->old_not_before, a, sizeof(a));
		as_fmt_date(r->old_not_after, b, sizeof(b));
		as_fmt_date(r->new_not_before, c, sizeof(c));
		as_fmt_date(r->new_not_after, d, sizeof(d));
		snprintf(buf, n, "%s\n\n", as_rc_text(RENEW_OK));
		l = strlen(buf);
		snprintf(buf + l, n - l, _("Old certificate: valid from %s to %s"), a, b);
		l = strlen(buf);
		snprintf(buf + l, n - l, "\n");
		l = strlen(buf);
		snprintf(buf + l, n - l, _("New certificate: valid from %s to %s"), c, d);
		if (r->old_cert_kept) {
			l = strlen(buf);
			snprintf(buf + l, n - l, "\n\n%s",
				 _("The old certificate could not be removed from this key; programs use the new one."));
		}
		return;
	case AS_PAGE_FAILED:
		if (r->rc == RENEW_PENDING) {
			snprintf(buf, n, _("The CA has still not decided after %ld minutes."),
				 m->wait_limit_minutes);
			l = strlen(buf);
			snprintf(buf + l, n - l, "\n%s\n%s",
				 (m->support_text && m->support_text[0]) ? m->support_text
									 : _("Please contact your CA's support."),
				 _("Your request is saved on this computer: open this assistant again later and press Renew to finish."));
			return;
		}
		snprintf(buf, n, "%s", as_rc_text(r->rc));
		if (r->rc == RENEW_REJECTED && r->ca_text[0]) {
			l = strlen(buf);
			snprintf(buf + l, n - l, "\n");
			l = strlen(buf);
			snprintf(buf + l, n - l, _("The CA says: %s"), r->ca_text);
		}
		if (r->step != RENEW_STEP_NONE) {
			l = strlen(buf);
			snprintf(buf + l, n - l, "\n\n");
			l = strlen(buf);
			snprintf(buf + l, n - l, _("It stopped at: %s."), as_step_text(r->step));
		}
		if (r->detail[0]) {
			l = strlen(buf);
			snprintf(buf + l, n - l, "\n");
			l = strlen(buf);
			snprintf(buf + l, n - l, _("For support: %s"), r->detail);
		}
		return;
	case AS_PAGE_REMOVED:
		snprintf(buf, n, "%s\n\n%s", as_rc_text(RENEW_TOKEN_REMOVED),
			 m->token_back ? _("The key is back. Press Retry.")
				       : _("Waiting for the key to be plugged in again…"));
		return;
	default:
		buf[0] = '\0';
		return;
	}
}

void as_list_text(const struct as_model *m, char *buf, size_t n)
{
	if (m->list_rc != RENEW_OK && m->list_rc != RENEW_NO_TOKEN) {
		snprintf(buf, n, "%s", as_rc_text(m->list_rc));
		return;
	}
	if (m->n_certs == 0) {
		if (m->n_tokens > 0)
			snprintf(buf, n, "%s", _("A key is plugged in, but it holds no certificate."));
		else
			snprintf(buf, n, "%s", as_rc_text(RENEW_NO_TOKEN));
		return;
	}
	const struct as_cert *c = as_model_selected(m);
	if (c == NULL) {
		snprintf(buf, n, "%s", _("Choose a certificate in the list."));
		return;
	}
	switch (c->state) {
	case AS_CERT_DUE:
	case AS_CERT_EXPIRED:
		snprintf(buf, n, "%s", _("This certificate should be renewed. Press Renew; you will need the PIN of your key."));
		break;
	case AS_CERT_PENDING:
		snprintf(buf, n, "%s", _("A renewal request is waiting at the CA. Press Renew to check whether it was approved."));
		break;
	case AS_CERT_SUPERSEDED:
		snprintf(buf, n, "%s", _("This is an old copy; the key already holds the renewed certificate."));
		break;
	default:
		snprintf(buf, n, "%s", as_rc_text(RENEW_NOT_DUE));
		break;
	}
}
