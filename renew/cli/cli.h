/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cli.h — the pieces of ukey-renew (renew/cli/): options, PIN sources,
 * messages, progress, status output, trust commands, translations and the
 * exit-code table. Everything a user reads is decided here, never in
 * librenew.
 */
#ifndef UKEY_RENEW_CLI_H
#define UKEY_RENEW_CLI_H

#include <libintl.h>
#include <stdio.h>
#include <time.h>

#include "renew.h"

#define _(s) gettext(s)
#define N_(s) (s)
#define CLI_DOMAIN "ukey-renew"

/* ---- cli_i18n.c ---- */
/* lang: "zh", "en" (--lang) or NULL (environment). Sets the locale (falling
 * back to C.UTF-8 + LANGUAGE when the requested locale is not installed) and
 * binds the catalog. */
void cli_i18n_init(const char *lang);
/* The catalog directory in use (UKEY_LOCALEDIR, the build tree's, or the
 * installed one). */
const char *cli_locale_dir(void);

/* ---- cli_opts.c ---- */
enum cli_cmd {
	CLI_CMD_NONE = 0,
	CLI_CMD_HELP,
	CLI_CMD_VERSION,
	CLI_CMD_STATUS,
	CLI_CMD_APPLY,
	CLI_CMD_INSTALL,
	CLI_CMD_RENEW,
	CLI_CMD_TRUST_ADD,
	CLI_CMD_TRUST_LIST,
	CLI_CMD_TRUST_REMOVE
};

struct cli_opts {
	enum cli_cmd cmd;
	/* global */
	const char *module;
	const char *config;
	const char *lang;        /* "zh" | "en" | NULL */
	int verbose;
	int dry_run;
	/* command options */
	int json;
	int rekey;
	int if_due;
	int wait;                /* install --wait */
	unsigned char id[64];
	size_t id_len;
	int have_id;
	const char *label;
	const char *pin_file;
	const char *pin_env;
	const char *sha256;
	const char *arg;         /* trust add ROOT.pem | trust remove FP */
};

/* Returns the value of --lang without parsing the rest (so that errors of
 * the real parse are already translated), or NULL. */
const char *cli_prescan_lang(int argc, char **argv);
/* Parses argv. 0 ok, -1 with a translated one-line err. */
int cli_parse(int argc, char **argv, struct cli_opts *o, char *err, size_t errlen);
/* Hex with optional ':' separators, any case, into out; length or -1. */
long cli_parse_hex(const char *s, unsigned char *out, size_t cap);
const char *cli_cmd_name(enum cli_cmd c);
void cli_usage(FILE *f);

/* ---- cli_pin.c ---- */
struct cli_pin {
	const char *file;        /* --pin-file */
	const char *env;         /* --pin-env */
	const char *tty_path;    /* NULL: /dev/tty (tests use a pty) */
	int asked;               /* times the PIN was requested */
	int failed;              /* the source could not give a PIN */
	char why[512];           /* translated reason when failed */
};
/* Reads a PIN from the configured source into pin (NUL-terminated).
 * Returns its length, or -1 (why set). */
int cli_pin_read(struct cli_pin *p, char *pin, size_t cap, int tries_left);

/* ---- cli_progress.c ---- */
struct cli_progress {
	FILE *out;               /* stderr */
	int tty;                 /* live line with \r */
	int verbose;
	int show_steps;
	int line_open;           /* a \r line is on screen */
};
void cli_progress_init(struct cli_progress *p, FILE *out, int verbose, int show_steps);
void cli_progress_event(struct cli_progress *p, const struct renew_event *ev);
/* Ends an open live line (before other output). */
void cli_progress_end(struct cli_progress *p);
/* "1:05:03" / "12:34" */
void cli_fmt_duration(long s, char *buf, size_t n);

/* The argument given to the library callbacks. */
struct cli_ctx {
	struct cli_progress progress;
	struct cli_pin pin;
};
void cli_on_event(const struct renew_event *ev, void *arg);
int cli_get_pin(char *pin, size_t cap, int tries_left, void *arg);

/* ---- cli_messages.c ---- */
/* A translated sentence: what failed and what to do. */
const char *cli_rc_text(enum renew_rc rc);
/* A translated description of a step ("writing the new certificate to the token"). */
const char *cli_step_text(enum renew_step step);
/* The msgids (untranslated), for the tests. */
const char *cli_rc_msgid(enum renew_rc rc);
const char *cli_step_msgid(enum renew_step step);
/* Prints a failure: the sentence, the step, the technical detail, the CA's
 * text, PIN tries left. */
void cli_report_failure(FILE *f, const struct renew_result *res);
/* "2026-12-06 18:46 UTC" */
void cli_fmt_time(time_t t, char *buf, size_t n);
/* Prints "renewal succeeded" with the old and new validity. */
void cli_report_success(FILE *f, const struct renew_result *res);

/* ---- cli_exit.c ---- */
enum cli_exit {
	CLI_EXIT_OK = 0,
	CLI_EXIT_ERROR = 1,
	CLI_EXIT_NO_TOKEN = 2,        /* no token, no certificate, no/ambiguous choice */
	CLI_EXIT_NOTHING_PENDING = 3, /* install without a pending renewal */
	CLI_EXIT_PIN = 4,             /* PIN wrong, locked, refused, or not obtainable */
	CLI_EXIT_BUSY = 5,            /* another ukey-renew holds the state lock */
	CLI_EXIT_DUE = 10,
	CLI_EXIT_PENDING = 11,
	CLI_EXIT_REJECTED = 20,
	CLI_EXIT_BAD_ANSWER = 30,
	CLI_EXIT_NETWORK = 31
};
int cli_exit_code(enum renew_rc rc);
/* status: 2 no certificate, 11 any pending, 10 any due/expired, else 0. */
int cli_status_exit(const struct renew_inventory *inv);

/* ---- cli_status.c ---- */
void cli_iso8601(time_t t, char buf[32]);
/* Writes s as a JSON string (quotes included); invalid UTF-8 becomes U+FFFD. */
void cli_json_string(FILE *f, const char *s);
void cli_status_json(FILE *f, const struct renew_inventory *inv);
void cli_status_table(FILE *f, const struct renew_inventory *inv, long window_days);
/* Lists the certificates with the --id to choose each (apply with no choice). */
void cli_list_choices(FILE *f, const struct renew_inventory *inv);

/* ---- cli_run.c: the whole program (main() calls it) ---- */
int cli_main(int argc, char **argv);

/* ---- cli_trust.c ---- */
int cli_trust_add(const char *trust_dir, const char *pem, const char *fp);
int cli_trust_list(const char *trust_dir);
int cli_trust_remove(const char *trust_dir, const char *fp);

#endif
