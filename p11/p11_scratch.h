/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Scratch key records (p11_scratch.c): session private keys (CKA_TOKEN
 * false) live on the card as key records labelled "ukey-scratch BOOT PIDNS
 * PID", hidden from the token's objects, deleted when their session ends,
 * reclaimed by the next listing when their owner cannot be alive.
 */
#ifndef UKEY_P11_SCRATCH_H
#define UKEY_P11_SCRATCH_H

#include <stddef.h>

#include "driver.h"

typedef struct p11_slot p11_slot;
typedef struct p11_session p11_session;

/* The card label of this process's scratch key records. */
void p11_scratch_label(char *out, size_t cap);
/* The label marks a scratch key record (hidden from the token objects). */
int p11_scratch_is(const char *label);
/* A scratch record whose owner cannot be alive (slot lock held). */
int p11_scratch_reclaimable(const p11_slot *s, const ukey_object *o);
/* Delete the token's reclaim list's records (own transaction; errors
 * ignored). */
void p11_scratch_reclaim(p11_slot *s);
/* Delete the session's scratch records from the card (slot lock held). */
void p11_scratch_end_session(p11_slot *s, p11_session *se);

#endif /* UKEY_P11_SCRATCH_H */
