/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tokens (p11_token.c): a card in a slot, bound lazily (on the first call
 * that needs it) to the driver its ATR's profile names, through the card
 * channel drivers/ opens (ukey_card_open). Transactions, resets by us or by
 * someone else, removal, C_GetTokenInfo. Every function here runs with the
 * slot lock held.
 */
#ifndef UKEY_P11_TOKEN_H
#define UKEY_P11_TOKEN_H

#include <stddef.h>

#include <p11-kit/pkcs11.h>

#include "pcsc.h"
#include "driver.h"

typedef struct p11_slot p11_slot;
typedef struct p11_obj p11_obj;

typedef struct p11_token {
	ukey_pcsc_card *conn;
	ukey_card card;             /* ukey_card_open / ukey_card_close */
	int bound;                  /* P11_BOUND, P11_UNBOUND, P11_REBIND_* */
	unsigned long event_count;  /* reader event count when bound */
	CK_USER_TYPE login;         /* P11_NOBODY, CKU_USER, CKU_SO */
	ukey_pin_info pin_user, pin_so;
	int have_pin_user, have_pin_so;
	/* A wrong PIN was presented since the last successful verify
	 * (CKF_*_PIN_COUNT_LOW; kept across our own resets). */
	int pin_user_wrong, pin_so_wrong;

	p11_obj *objs;              /* the object cache (p11_object.h) */
	size_t nobjs;
	/* Classes whose cached objects are current (P11_CLS_BIT per
	 * ukey_obj_class). Objects of other classes may still be in objs
	 * (stale, kept for their handles) until their class is re-read. */
	unsigned cls_valid;
	/* Scratch key records of dead owners found by the last listing, to
	 * be deleted (p11_scratch_reclaim). */
	ukey_objlist reclaim;
} p11_token;

#define P11_NOBODY ((CK_USER_TYPE)-1)

/* Binding state of a token's driver. */
#define P11_UNBOUND 0         /* bind failed or not done */
#define P11_BOUND 1
#define P11_REBIND_FOREIGN 2  /* someone reset the card: rebind, re-list */
#define P11_REBIND_OWN 3      /* we reset it (logout): rebind, keep objects */
#define P11_RESELECT 4        /* we reset it, the driver has reselect: call
			       * that (keeps its state), bind only if it fails */

/* Make sure the slot's token is bound. Card I/O. */
CK_RV p11_token_ensure(p11_slot *s);
/* p11_token_ensure, once more when the card we knew is gone: a new card may
 * be in the reader already. */
CK_RV p11_token_ensure_current(p11_slot *s);
/* Bind + begin a transaction; handles reset (rebind) and removal. */
CK_RV p11_token_begin(p11_slot *s);
void p11_token_end(p11_slot *s);
/* Map a driver result; on UKEY_E_NO_CARD (or a link lost during the
 * transaction, whatever the driver returned: ukey_card_link_lost) drop the
 * token, on reset forget the login. */
CK_RV p11_token_rv(p11_slot *s, ukey_rv rv);
/* Drop the token: sessions are marked removed. */
void p11_token_drop(p11_slot *s, int card_gone);
/* Check the reader state for removal/reinsertion. */
CK_RV p11_token_check_present(p11_slot *s);
/* Reset the card (drops its security state, e.g. a verified PIN) and
 * reconnect; at the next transaction the driver re-selects (its reselect
 * operation, keeping what it read) or, without one, rebinds. */
CK_RV p11_token_reset_card(p11_slot *s);
CK_RV p11_ukey_to_ckr(ukey_rv rv);

#endif /* UKEY_P11_TOKEN_H */
