/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tokens: a card in a slot, bound lazily (on the first call that needs it)
 * to the driver its ATR's profile names. Every driver call runs with the
 * slot lock held and inside a PC/SC transaction. A reset by someone else
 * forgets the login and rebinds; a removed card drops the token and every
 * session on it.
 */
#include <stdlib.h>
#include <string.h>

#include "pcsc.h"
#include "driver.h"
#include "profile.h"

#include "p11_backend.h"
#include "p11_lock.h"
#include "p11_log.h"
#include "p11_module.h"
#include "p11_object.h"
#include "p11_session.h"
#include "p11_slot.h"
#include "p11_token.h"

CK_RV p11_ukey_to_ckr(ukey_rv rv)
{
	switch (rv) {
	case UKEY_OK: return CKR_OK;
	case UKEY_E_NOMEM: return CKR_HOST_MEMORY;
	case UKEY_E_ARGS: return CKR_ARGUMENTS_BAD;
	case UKEY_E_NO_CARD:
	case UKEY_E_NO_READER: return CKR_DEVICE_REMOVED;
	case UKEY_E_SW_WRONG_PIN: return CKR_PIN_INCORRECT;
	case UKEY_E_SW_PIN_BLOCKED: return CKR_PIN_LOCKED;
	case UKEY_E_SW_SECURITY: return CKR_USER_NOT_LOGGED_IN;
	case UKEY_E_SW_COND_NOT_SAT: return CKR_FUNCTION_FAILED;
	case UKEY_E_SW_NOT_ENOUGH_SPACE:
	case UKEY_E_SW_MEMORY: return CKR_DEVICE_MEMORY;
	case UKEY_E_SW_WRONG_DATA: return CKR_DATA_INVALID;
	case UKEY_E_SW_FUNC_NOT_SUPPORTED: return CKR_FUNCTION_NOT_SUPPORTED;
	case UKEY_E_CRYPTO: return CKR_GENERAL_ERROR;
	default: return CKR_DEVICE_ERROR;
	}
}

static void token_free(p11_token *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nobjs; i++)
		p11_obj_clear(&t->objs[i]);
	free(t->objs);
	ukey_objlist_clear(&t->reclaim);
	ukey_card_close(&t->card); /* unbind, trace, channel */
	if (t->conn)
		p11_be->disconnect(t->conn, 0);
	p11_wipe(t, sizeof(*t));
	free(t);
}

void p11_token_drop(p11_slot *s, int card_gone)
{
	if (s->token) {
		p11_log("slot %lu: token %s", (unsigned long)s->id,
			card_gone ? "removed" : "released");
		token_free(s->token);
		s->token = NULL;
	}
	if (card_gone) {
		for (p11_session *se = s->sessions; se; se = se->next) {
			p11_session_reset_ops(se);
			se->removed = 1;
		}
		s->session_count = s->rw_session_count = 0;
	}
}

CK_RV p11_token_check_present(p11_slot *s)
{
	if (!s->token)
		return CKR_OK;
	ukey_reader_state st;
	memset(&st, 0, sizeof(st));
	ukey_rv r = p11_g.pcsc ? p11_be->reader_state(p11_g.pcsc, s->reader, &st)
			       : UKEY_E_NO_READER;
	if (r == UKEY_OK && st.present &&
	    st.event_count == s->token->event_count)
		return CKR_OK;
	if (r != UKEY_OK && r != UKEY_E_NO_READER && r != UKEY_E_NO_CARD)
		return CKR_OK; /* transient: let the next card I/O decide */
	p11_token_drop(s, 1);
	return CKR_DEVICE_REMOVED;
}

/* What the module learnt of a PIN's counter (verify answers: SW 63Cx)
 * outlives a rebind after our own reset, when the driver reads no counter
 * (FTCOS reports tries-left only in a wrong verify's answer). */
static void keep_learnt(ukey_pin_info *now, const ukey_pin_info *old,
			int had_old)
{
	if (!had_old || now->tries_left >= 0)
		return;
	now->tries_left = old->tries_left;
	if (now->max_tries < 0)
		now->max_tries = old->max_tries;
	if (old->blocked)
		now->blocked = 1;
}

static void read_pin_info(p11_token *t, int keep)
{
	const ukey_driver *d = t->card.drv;
	ukey_pin_info ou = t->pin_user, os = t->pin_so;
	int hu = keep && t->have_pin_user, hs = keep && t->have_pin_so;
	t->have_pin_user = t->have_pin_so = 0;
	if (!keep)
		t->pin_user_wrong = t->pin_so_wrong = 0;
	if (!d->pin_info)
		return;
	memset(&t->pin_user, 0, sizeof(t->pin_user));
	memset(&t->pin_so, 0, sizeof(t->pin_so));
	if (d->pin_info(&t->card, UKEY_PIN_USER, &t->pin_user) == UKEY_OK) {
		t->have_pin_user = 1;
		keep_learnt(&t->pin_user, &ou, hu);
	}
	if (d->pin_info(&t->card, UKEY_PIN_SO, &t->pin_so) == UKEY_OK) {
		t->have_pin_so = 1;
		keep_learnt(&t->pin_so, &os, hs);
	}
}

/* The transport under every token's channel (ctx: the p11_token): the
 * backend's exchange on the token's current connection, which
 * p11_token_reset_card replaces; none once it is gone. The channel
 * drivers/ opens over it (ukey_card_open) decides what a lost link is. */
static ukey_rv token_xfer(void *ctx, const uint8_t *cmd, size_t cmdlen,
			  uint8_t *rsp, size_t rspcap, size_t *rsplen)
{
	p11_token *t = ctx;
	if (!t || !t->conn)
		return UKEY_E_NO_CARD;
	return p11_be->xfer(t->conn, cmd, cmdlen, rsp, rspcap, rsplen);
}

/* drv->bind inside a transaction that the caller holds. */
static CK_RV token_bind_locked(p11_token *t, int keep_pins)
{
	const ukey_driver *d = t->card.drv;
	memset(t->card.label, 0, sizeof(t->card.label));
	ukey_rv r = d->bind ? d->bind(&t->card) : UKEY_OK;
	if (r != UKEY_OK) {
		int lost = ukey_card_link_lost(&t->card);
		p11_log("bind failed: %s%s", ukey_strerror(r),
			lost ? " (link to the card lost)" : "");
		if (r == UKEY_E_NO_CARD || r == UKEY_E_NO_READER || lost)
			return CKR_DEVICE_REMOVED;
		if (r == UKEY_E_NOMEM)
			return CKR_HOST_MEMORY;
		if (r == UKEY_E_TRANSPORT || r == UKEY_E_TIMEOUT ||
		    r == UKEY_E_CARD_RESET || r == UKEY_E_SHARING)
			return CKR_DEVICE_ERROR;
		return CKR_TOKEN_NOT_RECOGNIZED;
	}
	/* Whatever the driver wrote, the strings end inside their arrays. */
	t->card.label[sizeof(t->card.label) - 1] = '\0';
	t->card.manufacturer[sizeof(t->card.manufacturer) - 1] = '\0';
	t->card.model[sizeof(t->card.model) - 1] = '\0';
	t->card.serial[sizeof(t->card.serial) - 1] = '\0';
	t->bound = P11_BOUND;
	read_pin_info(t, keep_pins);
	return CKR_OK;
}

CK_RV p11_token_ensure(p11_slot *s)
{
	if (s->token)
		return p11_token_check_present(s);
	ukey_reader_state st;
	if (!p11_slot_token_present(s, &st))
		return CKR_TOKEN_NOT_PRESENT;
	const ukey_profile *prof = ukey_profile_match(&p11_g.profiles, st.atr,
						      st.atr_len);
	/* Unknown ATR: like OpenSC, the slot shows a token present and the
	 * token calls answer CKR_TOKEN_NOT_RECOGNIZED — the spec's code for
	 * exactly this, and it tells the user "a card is there, but not one
	 * we support" instead of an empty reader. */
	if (!prof)
		return CKR_TOKEN_NOT_RECOGNIZED;
	const ukey_driver *drv = p11_be->driver_find(prof->driver);
	if (!drv)
		return CKR_TOKEN_NOT_RECOGNIZED;

	p11_token *t = calloc(1, sizeof(*t));
	if (!t)
		return CKR_HOST_MEMORY;
	t->login = P11_NOBODY;
	t->event_count = st.event_count;
	/* (apdu/pcsc gives every connected card a PC/SC context of its own,
	 * so two tokens work in parallel.) */
	ukey_rv r = p11_be->connect(p11_g.pcsc, s->reader, &t->conn);
	if (r != UKEY_OK) {
		free(t);
		return r == UKEY_E_NO_CARD ? CKR_TOKEN_NOT_PRESENT
					   : CKR_DEVICE_ERROR;
	}
	/* The connected card's ATR decides (the reader state may be stale). */
	uint8_t atr[33];
	size_t atr_len = 0;
	if (p11_be->atr(t->conn, atr, sizeof(atr), &atr_len) == UKEY_OK) {
		prof = ukey_profile_match(&p11_g.profiles, atr, atr_len);
		drv = prof ? p11_be->driver_find(prof->driver) : NULL;
		if (!drv) {
			token_free(t);
			return CKR_TOKEN_NOT_RECOGNIZED;
		}
	}
	r = ukey_card_open(&t->card, prof, drv, token_xfer, t);
	if (r != UKEY_OK) {
		token_free(t);
		return p11_ukey_to_ckr(r);
	}

	r = p11_be->begin(t->conn);
	if (r == UKEY_E_CARD_RESET)
		r = p11_be->begin(t->conn);
	ukey_card_link_reset(&t->card);
	if (r != UKEY_OK) {
		token_free(t);
		return r == UKEY_E_NO_CARD ? CKR_TOKEN_NOT_PRESENT
					   : CKR_DEVICE_ERROR;
	}
	CK_RV rv = token_bind_locked(t, 0);
	p11_be->end(t->conn);
	if (rv != CKR_OK) {
		token_free(t);
		return rv == CKR_DEVICE_REMOVED ? CKR_TOKEN_NOT_PRESENT : rv;
	}
	p11_log("slot %lu: bound to driver %s (profile %s), %lu APDUs",
		(unsigned long)s->id, drv->name, prof->name,
		t->card.chan.apdu_count);
	s->token = t;
	return CKR_OK;
}

CK_RV p11_token_reset_card(p11_slot *s)
{
	p11_token *t = s->token;
	if (!t)
		return CKR_OK;
	/* Our own reset changes nothing on the card: the object list stays,
	 * and a driver that can re-select keeps what it read too. A reset by
	 * someone else that we have not handled yet still rebinds. */
	int foreign = t->bound == P11_REBIND_FOREIGN;
	int reselect = (t->bound == P11_BOUND || t->bound == P11_RESELECT) &&
		       t->card.drv->reselect;
	t->login = P11_NOBODY;
	if (!reselect) {
		if (t->card.drv_data && t->card.drv->unbind)
			t->card.drv->unbind(&t->card);
		t->card.drv_data = NULL;
		t->bound = P11_UNBOUND;
	}
	p11_be->disconnect(t->conn, 1);
	t->conn = NULL;
	ukey_rv r = p11_be->connect(p11_g.pcsc, s->reader, &t->conn);
	if (r != UKEY_OK) {
		t->conn = NULL;
		p11_token_drop(s, 1);
		return CKR_DEVICE_REMOVED;
	}
	t->bound = foreign ? P11_REBIND_FOREIGN
			   : reselect ? P11_RESELECT : P11_REBIND_OWN;
	return CKR_OK;
}

/* Someone reset the card: the login is gone, the driver must re-select. */
static CK_RV token_rebind(p11_slot *s, int foreign_reset)
{
	p11_token *t = s->token;
	p11_log("slot %lu: card reset, rebinding", (unsigned long)s->id);
	t->login = P11_NOBODY;
	if (foreign_reset)
		t->cls_valid = 0; /* someone else may have changed the card */
	if (t->card.drv_data && t->card.drv->unbind)
		t->card.drv->unbind(&t->card);
	t->bound = P11_UNBOUND;
	t->card.drv_data = NULL;
	return token_bind_locked(t, !foreign_reset);
}

/* After our own reset: the driver forgets the card-side state and keeps
 * what it read (no bind, usually no APDU). If it cannot, it binds again
 * (the objects stay unless the card reports a reset by someone else). */
static CK_RV token_reselect(p11_slot *s)
{
	p11_token *t = s->token;
	ukey_rv r = t->card.drv->reselect(&t->card);
	if (r == UKEY_OK) {
		t->bound = P11_BOUND;
		return CKR_OK;
	}
	p11_log("slot %lu: reselect failed: %s", (unsigned long)s->id,
		ukey_strerror(r));
	if (r == UKEY_E_NO_CARD || r == UKEY_E_NO_READER ||
	    ukey_card_link_lost(&t->card))
		return CKR_DEVICE_REMOVED;
	return token_rebind(s, r == UKEY_E_CARD_RESET);
}

CK_RV p11_token_ensure_current(p11_slot *s)
{
	CK_RV rv = p11_token_ensure(s);
	if (rv == CKR_DEVICE_REMOVED) /* old card gone, maybe a new one */
		rv = p11_token_ensure(s);
	return rv;
}

CK_RV p11_token_begin(p11_slot *s)
{
	CK_RV rv = p11_token_ensure(s);
	if (rv != CKR_OK)
		return rv;
	p11_token *t = s->token;
	ukey_rv r = p11_be->begin(t->conn);
	if (r == UKEY_E_CARD_RESET) {
		t->login = P11_NOBODY;
		r = p11_be->begin(t->conn);
		t->bound = P11_REBIND_FOREIGN;
	}
	if (r == UKEY_E_NO_CARD || r == UKEY_E_NO_READER) {
		p11_token_drop(s, 1);
		return CKR_DEVICE_REMOVED;
	}
	if (r != UKEY_OK)
		return CKR_DEVICE_ERROR;
	ukey_card_link_reset(&t->card);
	if (t->bound != P11_BOUND) {
		rv = t->bound == P11_RESELECT ? token_reselect(s)
			: token_rebind(s, t->bound != P11_REBIND_OWN);
		if (rv != CKR_OK) {
			p11_be->end(t->conn);
			if (rv == CKR_DEVICE_REMOVED)
				p11_token_drop(s, 1);
			return rv;
		}
	}
	return CKR_OK;
}

void p11_token_end(p11_slot *s)
{
	if (s->token)
		p11_be->end(s->token->conn);
}

CK_RV p11_token_rv(p11_slot *s, ukey_rv r)
{
	if (r == UKEY_OK)
		return CKR_OK;
	/* A driver may turn a lost link into a code of its own (a file "not
	 * found", malformed data): removal is what happened. */
	if (r == UKEY_E_NO_CARD || r == UKEY_E_NO_READER ||
	    (s->token && ukey_card_link_lost(&s->token->card))) {
		p11_token_drop(s, 1);
		return CKR_DEVICE_REMOVED;
	}
	if (r == UKEY_E_CARD_RESET && s->token) {
		/* Reset in the middle of an operation: the card forgot the
		 * login; rebind at the next transaction. */
		s->token->login = P11_NOBODY;
		s->token->cls_valid = 0;
		s->token->bound = P11_REBIND_FOREIGN;
		return CKR_DEVICE_ERROR;
	}
	return p11_ukey_to_ckr(r);
}

static void pin_flags(const ukey_pin_info *pi, int have, int so, int wrong,
		      CK_FLAGS *flags)
{
	if (!have || !pi->present)
		return;
	if (pi->blocked || pi->tries_left == 0) {
		*flags |= so ? CKF_SO_PIN_LOCKED : CKF_USER_PIN_LOCKED;
		return;
	}
	if (pi->tries_left == 1)
		*flags |= so ? CKF_SO_PIN_FINAL_TRY : CKF_USER_PIN_FINAL_TRY;
	/* base §5.3 CK_TOKEN_INFO: COUNT_LOW = "an incorrect PIN has been
	 * entered at least once since the last successful authentication":
	 * a wrong verify we saw, or a counter below its maximum. */
	if (wrong || (pi->tries_left > 0 && pi->max_tries > 0 &&
		      pi->tries_left < pi->max_tries))
		*flags |= so ? CKF_SO_PIN_COUNT_LOW : CKF_USER_PIN_COUNT_LOW;
}

static CK_RV get_token_info(CK_SLOT_ID slotID, CK_TOKEN_INFO_PTR pInfo)
{
	p11_slot *s;
	CK_RV rv = p11_slot_lock(slotID, pInfo != NULL, &s);
	if (rv != CKR_OK)
		return rv;
	rv = p11_token_ensure_current(s);
	if (rv != CKR_OK) {
		p11_mutex_unlock(s->lock);
		return rv;
	}
	p11_token *t = s->token;
	const ukey_card *c = &t->card;
	const ukey_profile *p = c->profile;
	memset(pInfo, 0, sizeof(*pInfo));
	p11_pad(pInfo->label, sizeof(pInfo->label), c->label);
	p11_pad(pInfo->manufacturerID, sizeof(pInfo->manufacturerID),
		c->manufacturer[0] ? c->manufacturer : p->manufacturer);
	p11_pad(pInfo->model, sizeof(pInfo->model),
		c->model[0] ? c->model : p->model);
	p11_pad(pInfo->serialNumber, sizeof(pInfo->serialNumber), c->serial);
	CK_FLAGS f = 0;
	if (c->has_rng && c->drv->get_random)
		f |= CKF_RNG;
	if (c->write_protected)
		f |= CKF_WRITE_PROTECTED;
	if (c->token_initialized)
		f |= CKF_TOKEN_INITIALIZED;
	if (t->have_pin_user && t->pin_user.present) {
		f |= CKF_LOGIN_REQUIRED;
		if (t->pin_user.initialized)
			f |= CKF_USER_PIN_INITIALIZED;
	} else if (!t->have_pin_user && c->token_initialized) {
		/* The driver cannot tell: a token with a layout has a PIN. */
		f |= CKF_LOGIN_REQUIRED | CKF_USER_PIN_INITIALIZED;
	}
	pin_flags(&t->pin_user, t->have_pin_user, 0, t->pin_user_wrong, &f);
	pin_flags(&t->pin_so, t->have_pin_so, 1, t->pin_so_wrong, &f);
	pInfo->flags = f;
	pInfo->ulMaxSessionCount = CK_EFFECTIVELY_INFINITE;
	pInfo->ulSessionCount = s->session_count;
	pInfo->ulMaxRwSessionCount = CK_EFFECTIVELY_INFINITE;
	pInfo->ulRwSessionCount = s->rw_session_count;
	unsigned minl = p->pin_min ? p->pin_min : 4;
	unsigned maxl = p->pin_max ? p->pin_max : 16;
	if (t->have_pin_user && t->pin_user.min_len)
		minl = t->pin_user.min_len;
	if (t->have_pin_user && t->pin_user.max_len)
		maxl = t->pin_user.max_len;
	pInfo->ulMinPinLen = minl;
	pInfo->ulMaxPinLen = maxl;
	pInfo->ulTotalPublicMemory = CK_UNAVAILABLE_INFORMATION;
	pInfo->ulFreePublicMemory = CK_UNAVAILABLE_INFORMATION;
	pInfo->ulTotalPrivateMemory = CK_UNAVAILABLE_INFORMATION;
	pInfo->ulFreePrivateMemory = CK_UNAVAILABLE_INFORMATION;
	pInfo->hardwareVersion.major = 1;
	pInfo->firmwareVersion.major = 1;
	memset(pInfo->utcTime, ' ', sizeof(pInfo->utcTime));
	p11_mutex_unlock(s->lock);
	return CKR_OK;
}

CK_RV C_GetTokenInfo(CK_SLOT_ID slotID, CK_TOKEN_INFO_PTR pInfo)
{
	return p11_log_rv("C_GetTokenInfo", get_token_info(slotID, pInfo));
}
