/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * as_notify.h — the reminder (ukey-assistant --notify): which threshold
 * (60, 30, 10, 3 days before expiry) to announce for a certificate, once
 * each, remembered in $XDG_STATE_HOME/ukey/notify.state. No display, no PIN.
 */
#ifndef UKEY_AS_NOTIFY_H
#define UKEY_AS_NOTIFY_H

#include <stddef.h>
#include <time.h>

#define AS_N_THRESHOLDS 4
extern const long as_thresholds[AS_N_THRESHOLDS]; /* 60, 30, 10, 3 */

struct as_notify_entry {
	char token_serial[17];
	char id_hex[129];
	long long not_after;       /* a renewed certificate starts afresh */
	unsigned mask;             /* bit i: as_thresholds[i] announced */
	int seen;                  /* on a token in this run */
};

struct as_notify_state {
	struct as_notify_entry *e;
	size_t n, cap;
};

/* days = floor((not_after - now) / 86400) */
long as_days_between(time_t now, time_t not_after);
/* The threshold to announce now (its value), or 0: the most urgent one
 * crossed and not yet announced; marks every crossed one as announced. */
long as_notify_decide(long days_left, unsigned *mask);

/* "now", overridable by UKEY_ASSISTANT_NOW (seconds since the epoch) for tests. */
time_t as_now(void);
/* $XDG_STATE_HOME/ukey/notify.state (or ~/.local/state/ukey/...) */
int as_notify_state_path(char *buf, size_t n);
/* Missing file: empty state, 0. Bad lines are ignored. */
int as_notify_state_load(struct as_notify_state *s, const char *path);
/* Atomic (temporary file + rename); creates the directory (0700). */
int as_notify_state_save(const struct as_notify_state *s, const char *path);
struct as_notify_entry *as_notify_state_get(struct as_notify_state *s, const char *serial,
					   const char *id_hex, long long not_after);
void as_notify_state_free(struct as_notify_state *s);

#endif
