/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * as_logic.h — ukey-assistant's application logic, without a display: the
 * pages and their transitions, and every sentence a user reads (gettext
 * domain "ukey-assistant", renew/assistant/po). The GTK window (as_app.c)
 * only mirrors this model; the unit tests drive it directly.
 */
#ifndef UKEY_AS_LOGIC_H
#define UKEY_AS_LOGIC_H

#include "renew.h"

#include <libintl.h>
#include <stddef.h>
#include <time.h>

#define AS_DOMAIN "ukey-assistant"
#define _(s) dgettext(AS_DOMAIN, s)
#define N_(s) s

/* What the token list says about one certificate. */
enum as_cert_state {
	AS_CERT_NOT_DUE = 0,
	AS_CERT_DUE,
	AS_CERT_EXPIRED,
	AS_CERT_PENDING,     /* a request waits at the CA */
	AS_CERT_SUPERSEDED   /* an older copy next to its renewed certificate */
};

enum as_page {
	AS_PAGE_TOKENS = 0,  /* list of tokens and certificates, Renew button */
	AS_PAGE_PIN,         /* PIN dialog */
	AS_PAGE_PROGRESS,    /* steps, waiting for the CA */
	AS_PAGE_RESULT,      /* success: old and new validity */
	AS_PAGE_FAILED,      /* a sentence saying what went wrong and what to do */
	AS_PAGE_REMOVED      /* the token was pulled during the work */
};

#define AS_MAX_CERTS 32

struct as_cert {
	char token_label[33], token_serial[17], subject[256], issuer[256], label[128];
	unsigned char id[64];
	size_t id_len;
	time_t not_before, not_after;
	long days_left;
	enum as_cert_state state;
};

struct as_model {
	enum as_page page;
	int busy;                  /* a renewal job is running */
	int restart;               /* front end: start the job again (after a wrong PIN) */
	int cancelled;             /* the user cancelled the PIN dialog */
	enum renew_rc list_rc;     /* outcome of the last status */
	size_t n_tokens, n_certs;
	struct as_cert certs[AS_MAX_CERTS];
	int selected;              /* index into certs, -1 none */
	char sel_serial[17];       /* selection kept across refreshes */
	unsigned char sel_id[64];
	size_t sel_id_len;
	int tries_left;            /* as renew_result.tries_left */
	int wrong_pin;             /* the PIN page follows a wrong PIN */
	enum renew_step step;
	int waiting;
	long elapsed_s, next_poll_s, left_s;
	long wait_limit_minutes;
	const char *support_text;  /* borrowed (configuration) */
	int token_back;            /* REMOVED page: the token is present again */
	struct renew_result result;
};

void as_model_init(struct as_model *m, long wait_limit_minutes, const char *support_text);
enum as_cert_state as_cert_state_of(const struct renew_cert_info *c);
/* A new status (from the worker, every 2 s). Keeps the selection. */
void as_model_set_inventory(struct as_model *m, enum renew_rc rc, const struct renew_inventory *inv);
int as_model_select(struct as_model *m, int index);
const struct as_cert *as_model_selected(const struct as_model *m);
/* Renew may be pressed: the token page, a due / expired / pending certificate. */
int as_model_can_renew(const struct as_model *m);
/* Renew pressed (or Retry on the removed / failed page): 0 started, -1 not now. */
int as_model_start(struct as_model *m);
/* The library asks for the PIN (worker → main thread). */
void as_model_pin_request(struct as_model *m, int tries_left);
void as_model_pin_given(struct as_model *m);
void as_model_pin_cancel(struct as_model *m);
void as_model_event(struct as_model *m, const struct renew_event *ev);
/* The job ended. */
void as_model_finish(struct as_model *m, enum renew_rc rc, const struct renew_result *res);
/* Back to the list (Close / Done / Cancel). */
void as_model_back(struct as_model *m);
/* The wait limit passed (pending at the end of renew). */
int as_model_wait_limit_reached(const struct as_model *m);

/* Texts (translated). */
const char *as_rc_msgid(enum renew_rc rc);
const char *as_rc_text(enum renew_rc rc);
const char *as_step_msgid(enum renew_step step);
const char *as_step_text(enum renew_step step);
const char *as_state_text(enum as_cert_state s);
const char *as_page_title(enum as_page p);
void as_days_text(long days_left, char *buf, size_t n);
void as_fmt_duration(long s, char *buf, size_t n);
void as_fmt_date(time_t t, char *buf, size_t n);
/* Tries-left sentence after a wrong PIN ("" when nothing is known). */
void as_tries_text(int wrong_pin, int tries_left, char *buf, size_t n);
/* Progress page body: current step, elapsed, next poll, "about 3 minutes". */
void as_progress_text(const struct as_model *m, char *buf, size_t n);
/* Result / failure page body. */
void as_result_text(const struct as_model *m, char *buf, size_t n);
/* The list's status line (no token, no certificate, n certificates). */
void as_list_text(const struct as_model *m, char *buf, size_t n);

/* i18n set-up (as_i18n.c): locale with the C.UTF-8 + LANGUAGE fallback. */
void as_i18n_init(void);
const char *as_locale_dir(void);

#endif
