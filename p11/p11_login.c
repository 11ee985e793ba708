/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * C_Login, C_Logout, C_SetPIN, C_InitPIN, C_InitToken. The login state is
 * the token's (shared by all its sessions). PINs are passed to the driver
 * as given, never copied into long-lived memory and never logged.
 */
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "profile.h"

#include "p11_lock.h"
#include "p11_log.h"
#include "p11_session.h"
#include "p11_slot.h"
#include "p11_token.h"

static void pin_range(const p11_slot *s, ukey_pin_role role, unsigned *minl,
		      unsigned *maxl)
{
	const p11_token *t = s->token;
	const ukey_profile *p = t->card.profile;
	*minl = p && p->pin_min ? p->pin_min : 1;
	*maxl = p && p->pin_max ? p->pin_max : 64;
	const ukey_pin_info *pi = role == UKEY_PIN_SO ? &t->pin_so : &t->pin_user;
	int have = role == UKEY_PIN_SO ? t->have_pin_so : t->have_pin_user;
	if (have && pi->min_len)
		*minl = pi->min_len;
	if (have && pi->max_len)
		*maxl = pi->max_len;
}

static CK_RV check_pin_len(const p11_slot *s, ukey_pin_role role,
			   CK_ULONG len)
{
	unsigned minl, maxl;
	pin_range(s, role, &minl, &maxl);
	if (len < minl || len > maxl)
		return CKR_PIN_LEN_RANGE;
	return CKR_OK;
}

/* Record what a verify told us about the counter. */
static void note_verify(p11_token *t, ukey_pin_role role, ukey_rv r,
			int tries)
{
	ukey_pin_info *pi = role == UKEY_PIN_SO ? &t->pin_so : &t->pin_user;
	int *have = role == UKEY_PIN_SO ? &t->have_pin_so : &t->have_pin_user;
	if (!*have) {
		memset(pi, 0, sizeof(*pi));
		pi->present = 1;
		pi->max_tries = -1;
		pi->tries_left = -1;
		pi->initialized = 1;
		*have = 1;
	}
	int *wrong = role == UKEY_PIN_SO ? &t->pin_so_wrong : &t->pin_user_wrong;
	if (r == UKEY_OK) {
		pi->blocked = 0;
		*wrong = 0;
		/* The card reset its counter: full again (unknown if the
		 * driver cannot tell its maximum). */
		pi->tries_left = pi->max_tries > 0 ? pi->max_tries : -1;
	} else if (r == UKEY_E_SW_WRONG_PIN) {
		*wrong = 1;
		if (tries >= 0)
			pi->tries_left = tries;
		if (tries == 0)
			pi->blocked = 1;
	} else if (r == UKEY_E_SW_PIN_BLOCKED) {
		*wrong = 1;
		pi->blocked = 1;
		pi->tries_left = 0;
	}
}

/* The steps every PIN operation takes before it talks to the card, in this
 * order: the PIN length fits the role, the driver has the operation, the
 * card is ours. On CKR_OK the caller owns the card until p11_token_end(). */
static CK_RV pin_op_begin(p11_slot *s, ukey_pin_role role, CK_ULONG len,
			  int drv_has_op)
{
	CK_RV rv = check_pin_len(s, role, len);
	if (rv != CKR_OK)
		return rv;
	if (!drv_has_op)
		return CKR_FUNCTION_NOT_SUPPORTED;
	return p11_token_begin(s);
}

/* Take the counters the card reports now (the caller owns the card);
 * 1 when they were read and stored, 0 when the card would not tell. */
static int refresh_pin_info(p11_token *t, ukey_pin_role role)
{
	ukey_pin_info pi;
	if (t->card.drv->pin_info(&t->card, role, &pi) != UKEY_OK)
		return 0;
	if (role == UKEY_PIN_SO)
		t->pin_so = pi;
	else
		t->pin_user = pi;
	return 1;
}

static CK_RV do_login(CK_SESSION_HANDLE h, CK_USER_TYPE userType,
		      CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen)
{
	p11_slot *s;
	p11_session *se;
	CK_RV rv = p11_session_acquire(h, &s, &se);
	if (rv != CKR_OK)
		return rv;
	p11_token *t = s->token;
	ukey_pin_role role;
	if (userType == CKU_USER) {
		role = UKEY_PIN_USER;
	} else if (userType == CKU_SO) {
		role = UKEY_PIN_SO;
	} else if (userType == CKU_CONTEXT_SPECIFIC) {
		/* No key of ours has CKA_ALWAYS_AUTHENTICATE. */
		rv = t->login == CKU_USER ? CKR_OPERATION_NOT_INITIALIZED
					  : CKR_USER_NOT_LOGGED_IN;
		goto out;
	} else {
		rv = CKR_USER_TYPE_INVALID;
		goto out;
	}
	if (t->login == userType) {
		rv = CKR_USER_ALREADY_LOGGED_IN;
		goto out;
	}
	if (t->login != P11_NOBODY) {
		rv = CKR_USER_ANOTHER_ALREADY_LOGGED_IN;
		goto out;
	}
	if (userType == CKU_SO) {
		for (p11_session *o = s->sessions; o; o = o->next)
			if (!o->removed && !p11_session_is_rw(o)) {
				rv = CKR_SESSION_READ_ONLY_EXISTS;
				goto out;
			}
	}
	if (pPin == NULL) { /* no protected authentication path */
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if (role == UKEY_PIN_SO && t->have_pin_so && !t->pin_so.present) {
		/* The token has no SO PIN (a PKCS#15 layout without one): the
		 * user type does not exist here (base §5.6 C_Login,
		 * CKR_USER_TYPE_INVALID), rather than a verify of a PIN the
		 * card does not have. */
		rv = CKR_USER_TYPE_INVALID;
		goto out;
	}
	if (role == UKEY_PIN_USER && t->have_pin_user &&
	    t->pin_user.present && !t->pin_user.initialized) {
		rv = CKR_USER_PIN_NOT_INITIALIZED;
		goto out;
	}
	rv = pin_op_begin(s, role, ulPinLen, t->card.drv->verify_pin != NULL);
	if (rv != CKR_OK)
		goto out;
	t = s->token;
	int tries = -1;
	ukey_rv r = t->card.drv->verify_pin(&t->card, role, pPin, ulPinLen,
					    &tries);
	p11_token_end(s);
	if (s->token)
		note_verify(s->token, role, r, tries);
	rv = p11_token_rv(s, r);
	if (rv == CKR_OK)
		s->token->login = userType;
	else if (rv == CKR_PIN_INCORRECT && tries == 0)
		rv = CKR_PIN_LOCKED;
out:
	return p11_session_done(s, se, rv);
}

CK_RV C_Login(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType,
	      CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen)
{
	p11_log("C_Login(session=0x%lx, user=%lu, pin=<redacted>)",
		(unsigned long)hSession, (unsigned long)userType);
	return p11_log_rv("C_Login", do_login(hSession, userType, pPin, ulPinLen));
}

static CK_RV do_logout(CK_SESSION_HANDLE h)
{
	p11_slot *s;
	p11_session *se;
	CK_RV rv = p11_session_acquire(h, &s, &se);
	if (rv != CKR_OK)
		return rv;
	p11_token *t = s->token;
	if (t->login == P11_NOBODY) {
		rv = CKR_USER_NOT_LOGGED_IN;
		goto out;
	}
	if (t->card.drv->logout) {
		rv = p11_token_begin(s);
		if (rv == CKR_OK) {
			ukey_rv r = s->token->card.drv->logout(&s->token->card);
			p11_token_end(s);
			rv = p11_token_rv(s, r);
		}
	} else {
		/* The card OS cannot drop a verified PIN: reset the card so
		 * that the PIN really stops working (other applications
		 * sharing the card see the reset and re-authenticate). */
		rv = p11_token_reset_card(s);
	}
	if (s->token)
		s->token->login = P11_NOBODY;
	if (rv == CKR_DEVICE_ERROR)
		rv = CKR_OK; /* we forgot the login either way */
out:
	return p11_session_done(s, se, rv);
}

CK_RV C_Logout(CK_SESSION_HANDLE hSession)
{
	return p11_log_rv("C_Logout", do_logout(hSession));
}

static CK_RV do_set_pin(CK_SESSION_HANDLE h, CK_UTF8CHAR_PTR pOld,
			CK_ULONG ulOld, CK_UTF8CHAR_PTR pNew, CK_ULONG ulNew)
{
	p11_slot *s;
	p11_session *se;
	CK_RV rv = p11_session_acquire(h, &s, &se);
	if (rv != CKR_OK)
		return rv;
	p11_token *t = s->token;
	if (!p11_session_is_rw(se)) {
		rv = CKR_SESSION_READ_ONLY;
		goto out;
	}
	if (pOld == NULL || pNew == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	ukey_pin_role role = t->login == CKU_SO ? UKEY_PIN_SO : UKEY_PIN_USER;
	rv = pin_op_begin(s, role, ulNew, t->card.drv->change_pin != NULL);
	if (rv != CKR_OK)
		goto out;
	t = s->token;
	ukey_rv r = t->card.drv->change_pin(&t->card, role, pOld, ulOld, pNew,
					    ulNew);
	p11_token_end(s);
	if (s->token && (r == UKEY_OK || r == UKEY_E_SW_WRONG_PIN ||
			 r == UKEY_E_SW_PIN_BLOCKED))
		note_verify(s->token, role, r, -1);
	rv = p11_token_rv(s, r);
	if (rv == CKR_OK && s->token && s->token->card.drv->pin_info) {
		/* Refresh the counters the card now reports. */
		if (p11_token_begin(s) == CKR_OK) {
			refresh_pin_info(s->token, role);
			p11_token_end(s);
		}
	}
out:
	return p11_session_done(s, se, rv);
}

CK_RV C_SetPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pOldPin,
	       CK_ULONG ulOldLen, CK_UTF8CHAR_PTR pNewPin, CK_ULONG ulNewLen)
{
	return p11_log_rv("C_SetPIN",
			  do_set_pin(hSession, pOldPin, ulOldLen, pNewPin, ulNewLen));
}

static CK_RV do_init_pin(CK_SESSION_HANDLE h, CK_UTF8CHAR_PTR pPin,
			 CK_ULONG ulPinLen)
{
	p11_slot *s;
	p11_session *se;
	CK_RV rv = p11_session_acquire(h, &s, &se);
	if (rv != CKR_OK)
		return rv;
	p11_token *t = s->token;
	if (p11_session_state(s, se) != CKS_RW_SO_FUNCTIONS) {
		rv = CKR_USER_NOT_LOGGED_IN;
		goto out;
	}
	if (pPin == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	rv = pin_op_begin(s, UKEY_PIN_USER, ulPinLen,
			  t->card.drv->init_user_pin != NULL);
	if (rv != CKR_OK)
		goto out;
	t = s->token;
	ukey_rv r = t->card.drv->init_user_pin(&t->card, pPin, ulPinLen);
	/* a new PIN with a full counter: the wrong PINs given before it no
	 * longer count (COUNT_LOW, FINAL_TRY, LOCKED go) */
	if (r == UKEY_OK)
		t->pin_user_wrong = 0;
	if (r == UKEY_OK && t->card.drv->pin_info &&
	    refresh_pin_info(t, UKEY_PIN_USER))
		t->have_pin_user = 1;
	p11_token_end(s);
	rv = p11_token_rv(s, r);
out:
	return p11_session_done(s, se, rv);
}

CK_RV C_InitPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pPin,
		CK_ULONG ulPinLen)
{
	return p11_log_rv("C_InitPIN", do_init_pin(hSession, pPin, ulPinLen));
}

static CK_RV do_init_token(CK_SLOT_ID slotID, CK_UTF8CHAR_PTR pPin,
			   CK_ULONG ulPinLen, CK_UTF8CHAR_PTR pLabel)
{
	p11_slot *s;
	CK_RV rv = p11_slot_lock(slotID, pPin != NULL && pLabel != NULL, &s);
	if (rv != CKR_OK)
		return rv;
	rv = p11_token_ensure_current(s);
	if (rv != CKR_OK)
		goto out;
	for (p11_session *o = s->sessions; o; o = o->next)
		if (!o->removed) {
			rv = CKR_SESSION_EXISTS;
			goto out;
		}
	if (!s->token->card.drv->init_token) {
		rv = CKR_FUNCTION_NOT_SUPPORTED;
		goto out;
	}
	if (s->token->card.write_protected) {
		rv = CKR_TOKEN_WRITE_PROTECTED;
		goto out;
	}
	rv = check_pin_len(s, UKEY_PIN_SO, ulPinLen);
	if (rv != CKR_OK)
		goto out;
	/* The label is 32 blank-padded bytes: trim the padding. */
	char label[33];
	memcpy(label, pLabel, 32);
	label[32] = '\0';
	for (int i = 31; i >= 0 && label[i] == ' '; i--)
		label[i] = '\0';
	rv = p11_token_begin(s);
	if (rv != CKR_OK)
		goto out;
	p11_token *t = s->token;
	ukey_rv r = t->card.drv->init_token(&t->card, pPin, ulPinLen, label);
	p11_token_end(s);
	rv = p11_token_rv(s, r);
	if (rv == CKR_OK) {
		/* New layout: bind again from scratch on the next use. */
		p11_token_drop(s, 0);
	}
out:
	p11_mutex_unlock(s->lock);
	return rv;
}

CK_RV C_InitToken(CK_SLOT_ID slotID, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen,
		  CK_UTF8CHAR_PTR pLabel)
{
	return p11_log_rv("C_InitToken", do_init_token(slotID, pPin, ulPinLen, pLabel));
}
