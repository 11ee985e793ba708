/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rn_state.h — the pending-renewal state file: what a later `install` (a new
 * process) needs. One file per certificate being renewed, mode 0600, in the
 * state directory ($XDG_STATE_HOME/ukey, default ~/.local/state/ukey), written
 * atomically (temp file, fsync, rename); one lock file in the same directory
 * serialises the runs that change state. Everything read back is checked:
 * a corrupt file gives -1 with err naming the file, the line and the field.
 */
#ifndef UKEY_RN_STATE_H
#define UKEY_RN_STATE_H

#include <stddef.h>
#include <time.h>
#include "rn_cmp.h"

enum rn_phase {
	RN_PHASE_WAITING = 1,   /* request sent, CA deciding */
	RN_PHASE_RECEIVED       /* certificate received and verified; token writes in progress */
};

struct rn_state {
	enum rn_phase phase;
	char server[512];
	char token_serial[17];
	char token_label[33];
	unsigned char cert_id[64]; size_t cert_id_len;   /* CKA_ID of the certificate being renewed */
	char cert_label[128];
	unsigned char *old_cert; size_t old_cert_len;    /* DER of the certificate being renewed */
	int rekey;
	unsigned char new_key_id[64]; size_t new_key_id_len; /* rekey: CKA_ID of the new pair */
	struct rn_cmp_pending cmp;                        /* RN_PHASE_WAITING */
	unsigned char *new_cert; size_t new_cert_len;    /* RN_PHASE_RECEIVED */
	time_t created;
	time_t next_poll;
};

/* Frees the blobs (and wipes nothing secret: the file holds no secret). */
void rn_state_clear(struct rn_state *st);

/* The state directory: dir if non-NULL, else $XDG_STATE_HOME/ukey, else
 * $HOME/.local/state/ukey. Creates it (0700) when create != 0. */
int rn_state_dir(const char *dir, int create, char *out, size_t outlen, char *err, size_t errlen);
/* <dir>/pending-<serial>-<idhex>.state (serial reduced to [A-Za-z0-9_-]). */
int rn_state_path(const char *dir, const char *token_serial, const unsigned char *id,
		  size_t id_len, char *out, size_t outlen);
/* Paths of every pending-*.state in dir (malloc'd array of malloc'd strings). */
int rn_state_list(const char *dir, char ***paths, size_t *n, char *err, size_t errlen);
void rn_state_list_free(char **paths, size_t n);

int rn_state_load(const char *path, struct rn_state *st, char *err, size_t errlen);
/* Parses a state file's bytes (name is used in err): the fuzz target's entry. */
int rn_state_parse(const char *name, const char *buf, size_t len, struct rn_state *st,
		   char *err, size_t errlen);
int rn_state_save(const char *path, const struct rn_state *st, char *err, size_t errlen);
int rn_state_remove(const char *path, char *err, size_t errlen);

/* Lock of the state directory (flock on <dir>/lock). wait_s: how long to
 * wait for another holder; returns 0 locked, 1 busy (timed out), -1 error. */
struct rn_lock;
int rn_state_lock(const char *dir, long wait_s, struct rn_lock **out, char *err, size_t errlen);
void rn_state_unlock(struct rn_lock *l);

#endif
