/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Slots (p11_slot.c): the slot pool, one slot per PC/SC reader, IDs stable
 * by reader name for the module's life; presence from the reader state
 * only (no card I/O); C_WaitForSlotEvent.
 */
#ifndef UKEY_P11_SLOT_H
#define UKEY_P11_SLOT_H

#include <p11-kit/pkcs11.h>

#include "pcsc.h"
#include "p11_lock.h"

#define P11_READER_MAX 256

typedef struct p11_token p11_token;
typedef struct p11_session p11_session;

typedef struct p11_slot {
	CK_SLOT_ID id;
	char reader[P11_READER_MAX];
	int listed;             /* reader is in the current reader list */
	int present_cached;     /* token present at the last list refresh */
	unsigned long wait_seen;/* event count last reported by WaitForSlotEvent */
	int wait_seen_present;
	p11_mutex *lock;        /* protects everything below (order: p11_lock.h) */
	p11_token *token;       /* NULL => not bound */
	p11_session *sessions;
	unsigned long session_count, rw_session_count;
	unsigned long next_obj_handle;
	unsigned session_seq;
} p11_slot;

/* Refresh the reader list (global lock held by caller). */
void p11_slots_refresh(void);
/* Find a slot (any thread; takes the global lock briefly). */
p11_slot *p11_slot_get(CK_SLOT_ID id);
/* Front of the calls addressed by slot ID, checked in this order: library
 * initialized, the caller's pointer arguments given (args_ok), slot known.
 * On CKR_OK *out is the slot, locked. */
CK_RV p11_slot_lock(CK_SLOT_ID id, int args_ok, p11_slot **out);
void p11_slots_free(void);
/* A card is in the slot's reader and not mute, from the reader state (no
 * card I/O); st (may be NULL) gets the state. */
int p11_slot_token_present(p11_slot *s, ukey_reader_state *st);

#endif /* UKEY_P11_SLOT_H */
