/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * renew.h — the public API of librenew, the certificate-renewal library under
 * ukey-renew (CLI) and the desktop assistant.
 *
 * The library decides nothing that a user reads: it reports progress through
 * renew_event callbacks and outcomes through renew_result (codes, step ids,
 * technical detail). The front ends turn those into Chinese or English text.
 *
 * It reaches tokens only through a PKCS#11 module loaded at run time
 * (rn_token.h) and the CA only through a transport (rn_transport.h).
 */
#ifndef UKEY_RENEW_H
#define UKEY_RENEW_H

#include <stddef.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Outcome of a library call. The CLI maps these to its exit codes
 * (renew/cli/cli_exit.c); the numbers here are not exit codes. */
enum renew_rc {
	RENEW_OK = 0,
	RENEW_NOT_DUE,          /* nothing to do: no renewal due (renew --if-due) */
	RENEW_PENDING,          /* the CA is still deciding; state saved */
	RENEW_NO_TOKEN,         /* no token, or no certificate on it */
	RENEW_AMBIGUOUS,        /* several certificates and no --id/--label */
	RENEW_NO_MATCH,         /* --id/--label matches nothing */
	RENEW_NOTHING_PENDING,  /* install with no pending transaction */
	RENEW_REJECTED,         /* the CA refused (its text in result.ca_text) */
	RENEW_BAD_ANSWER,       /* the CA's answer failed a check */
	RENEW_NETWORK,          /* unreachable, TLS, HTTP status */
	RENEW_PIN_INCORRECT,    /* result.tries_left may be known */
	RENEW_PIN_LOCKED,
	RENEW_PIN_INVALID,      /* length/characters refused by the token */
	RENEW_TOKEN_REMOVED,    /* token pulled during the work */
	RENEW_TOKEN_ERROR,      /* a PKCS#11 call failed (detail names it) */
	RENEW_MODULE,           /* module failed to load (dlerror text) */
	RENEW_CONFIG,           /* bad configuration (file:line: what) */
	RENEW_STATE,            /* state file unreadable / corrupt */
	RENEW_BUSY,             /* another process holds the state lock */
	RENEW_DRY_RUN,          /* --dry-run stopped before the first send/write */
	RENEW_TRUST,            /* trust store problem (fingerprint, file) */
	RENEW_INTERNAL
};

/* Steps, reported in events and as result.step (where it failed). */
enum renew_step {
	RENEW_STEP_NONE = 0,
	RENEW_STEP_LOAD_MODULE,
	RENEW_STEP_FIND_TOKEN,
	RENEW_STEP_LOGIN,
	RENEW_STEP_GENERATE_KEY,   /* --rekey */
	RENEW_STEP_SEND_REQUEST,   /* key update request to the CA */
	RENEW_STEP_WAIT,           /* polling while the CA decides */
	RENEW_STEP_RECEIVE,        /* the certificate arrived */
	RENEW_STEP_VERIFY_CHAIN,
	RENEW_STEP_VERIFY_KEY,     /* public key == token key */
	RENEW_STEP_SIGN_TEST,      /* sign with the token, verify with the new cert */
	RENEW_STEP_VERIFY_FIELDS,  /* same subject, later notAfter */
	RENEW_STEP_WRITE_CERT,
	RENEW_STEP_READ_BACK,
	RENEW_STEP_DELETE_OLD_CERT,
	RENEW_STEP_DELETE_OLD_KEY,
	RENEW_STEP_DONE
};

/* Everything status shows about one certificate on one token. */
struct renew_cert_info {
	unsigned long slot;
	char token_label[33];      /* trimmed, NUL-terminated */
	char token_serial[17];
	char token_model[17];
	char token_manufacturer[33];
	unsigned char id[64];      /* CKA_ID */
	size_t id_len;
	char label[128];           /* CKA_LABEL */
	char subject[256];         /* RFC 2253 one-line */
	char issuer[256];
	char serial_hex[96];
	time_t not_before, not_after;
	long days_left;            /* floor((not_after - now) / 86400), < 0 expired */
	int key_present;           /* 1 yes, 0 no, -1 unknown without login */
	int due;                   /* days_left <= window_days */
	int expired;
	int pending;               /* a pending transaction exists for it */
	int superseded;            /* a certificate with the same subject and a later
				    * notAfter is on the same token (the old one of a
				    * renewal the module could not delete): never due */
	unsigned char *der;        /* the certificate, owned */
	size_t der_len;
};

struct renew_inventory {
	size_t n_tokens;           /* tokens seen (with or without certificates) */
	struct renew_cert_info *certs;
	size_t n_certs;
};

/* Progress and trace reports. */
enum renew_event_type {
	RENEW_EV_STEP,      /* a step starts: ev.step */
	RENEW_EV_WAITING,   /* about once a second while waiting: elapsed_s since the
			     * request, next_poll_s until the next poll (0: polling
			     * now — exactly one such event per poll), left_s before
			     * the wait limit gives up */
	RENEW_EV_TRACE,     /* --verbose: one PKCS#11 call or CMP message (text, no secrets) */
	RENEW_EV_DRY_RUN    /* what would be done next: ev.text (technical) */
};

struct renew_event {
	enum renew_event_type type;
	enum renew_step step;
	long elapsed_s, next_poll_s, left_s;
	const char *text;
};

typedef void (*renew_event_fn)(const struct renew_event *ev, void *arg);

/* Fills pin (NUL-terminated, at most cap-1 bytes) and returns its length, or
 * -1 to cancel. tries_left as in renew_result (-1: unknown / first ask). The
 * library asks once per call; after a wrong PIN it returns RENEW_PIN_INCORRECT
 * (a front end may call again).
 * The library wipes the buffer after use. */
typedef int (*renew_pin_fn)(char *pin, size_t cap, int tries_left, void *arg);

/* Settings: the merged configuration plus command-line choices. Strings are
 * borrowed for the duration of the call. */
struct renew_options {
	const char *module_path;   /* NULL: the default ukey-pkcs11.so */
	const char *server;        /* http(s)://host:port/path */
	const char *trust_dir;
	const char *state_dir;     /* NULL: $XDG_STATE_HOME/ukey or ~/.local/state/ukey */
	long window_days;          /* 180 */
	long wait_limit_minutes;   /* 30 */
	long poll_seconds;         /* 0: as the CA's checkAfter says */
	const unsigned char *id;   /* certificate choice, or NULL */
	size_t id_len;
	const char *label;
	int rekey;
	int dry_run;
	int verbose;
	renew_event_fn on_event;
	renew_pin_fn get_pin;
	void *arg;                 /* passed to on_event and get_pin */
};

struct renew_result {
	enum renew_rc rc;
	enum renew_step step;      /* where it failed (or stopped) */
	char detail[512];          /* technical, one line, English (names what was wrong) */
	char ca_text[512];         /* the CA's own status text, when it gave one */
	int tries_left;            /* after RENEW_PIN_INCORRECT: 1 = final try
				    * (CKF_USER_PIN_FINAL_TRY), -2 = few left
				    * (CKF_USER_PIN_COUNT_LOW), -1 unknown */
	long check_after_s;        /* RENEW_PENDING: when to come back */
	time_t old_not_before, old_not_after, new_not_before, new_not_after;
	char token_label[33];
	/* Success, but the module could not delete the old certificate / old
	 * key pair (CKR_FUNCTION_NOT_SUPPORTED: OpenSC 0.23 destroys no
	 * certificates); the new one is on the token and used first. */
	int old_cert_kept, old_key_kept;
};

/* Default module: UKEY_RENEW_MODULE env, else the installed ukey-pkcs11.so. */
const char *renew_default_module(void);

/* status: no PIN. Fills inv (free with renew_inventory_free). */
enum renew_rc renew_status(const struct renew_options *o, struct renew_inventory *inv,
			   struct renew_result *res);
void renew_inventory_free(struct renew_inventory *inv);

/* apply: log in, (rekey), send the key update request. RENEW_PENDING when the
 * CA answers "waiting" (state saved), RENEW_OK when the CA issued at once
 * (then the certificate is installed too), RENEW_REJECTED, ... */
enum renew_rc renew_apply(const struct renew_options *o, struct renew_result *res);

/* install: resume the pending transaction, poll once (or until the wait limit
 * when wait != 0), verify, write, read back, delete the old objects. */
enum renew_rc renew_install(const struct renew_options *o, int wait, struct renew_result *res);

/* renew: apply + wait (events) + install, one login. */
enum renew_rc renew_renew(const struct renew_options *o, struct renew_result *res);

/* Trust store (PEM files named <sha256-hex>.pem in trust_dir). */
struct renew_trust_entry {
	char sha256_hex[65];
	char subject[256];
	time_t not_after;
};
enum renew_rc renew_trust_add(const char *trust_dir, const char *pem_path,
			      const char *fingerprint, struct renew_result *res);
enum renew_rc renew_trust_list(const char *trust_dir, struct renew_trust_entry **out,
			       size_t *n, struct renew_result *res);
enum renew_rc renew_trust_remove(const char *trust_dir, const char *fingerprint,
				 struct renew_result *res);

#ifdef __cplusplus
}
#endif
#endif
