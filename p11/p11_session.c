/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Sessions. A handle encodes its slot (bits 24..31: slot index + 1) and a
 * per-slot sequence number, so finding a session needs only that slot's
 * lock. Sessions live in their slot's list; the login state is the token's.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "p11_lock.h"
#include "p11_log.h"
#include "p11_module.h"
#include "p11_object.h"
#include "p11_scratch.h"
#include "p11_session.h"
#include "p11_slot.h"
#include "p11_token.h"

#define SLOT_SHIFT 24
#define SEQ_MASK ((1UL << SLOT_SHIFT) - 1)

void p11_op_free(p11_crypto_op *op)
{
	if (op->mdctx)
		EVP_MD_CTX_free(op->mdctx);
	if (op->buf) {
		p11_wipe(op->buf, op->buf_cap);
		free(op->buf);
	}
	if (op->result) {
		p11_wipe(op->result, op->result_len);
		free(op->result);
	}
	free(op->label);
	memset(op, 0, sizeof(*op));
}

void p11_session_reset_ops(p11_session *se)
{
	free(se->found);
	se->found = NULL;
	se->nfound = se->found_pos = 0;
	se->find_active = 0;
	p11_op_free(&se->sign);
	p11_op_free(&se->verify);
	p11_op_free(&se->enc);
	p11_op_free(&se->dec);
	p11_op_free(&se->dig);
	se->sign_active = se->verify_active = se->enc_active = 0;
	se->dec_active = se->dig_active = 0;
}

void p11_session_free(p11_session *se)
{
	if (!se)
		return;
	p11_session_reset_ops(se);
	for (size_t i = 0; i < se->nsobjs; i++)
		p11_obj_clear(&se->sobjs[i]);
	free(se->sobjs);
	free(se);
}

int p11_session_is_rw(const p11_session *se)
{
	return (se->flags & CKF_RW_SESSION) != 0;
}

CK_STATE p11_session_state(const p11_slot *s, const p11_session *se)
{
	CK_USER_TYPE who = s->token ? s->token->login : P11_NOBODY;
	int rw = p11_session_is_rw(se);
	if (who == CKU_SO)
		return CKS_RW_SO_FUNCTIONS;
	if (who == CKU_USER)
		return rw ? CKS_RW_USER_FUNCTIONS : CKS_RO_USER_FUNCTIONS;
	return rw ? CKS_RW_PUBLIC_SESSION : CKS_RO_PUBLIC_SESSION;
}

/* Unlink and free (slot lock held). */
static void session_remove(p11_slot *s, p11_session *se)
{
	for (p11_session **pp = &s->sessions; *pp; pp = &(*pp)->next) {
		if (*pp == se) {
			*pp = se->next;
			break;
		}
	}
	p11_scratch_end_session(s, se);
	if (!se->removed) {
		if (s->session_count)
			s->session_count--;
		if (p11_session_is_rw(se) && s->rw_session_count)
			s->rw_session_count--;
	}
	p11_session_free(se);
}

void p11_slot_free_sessions(p11_slot *s)
{
	while (s->sessions)
		session_remove(s, s->sessions);
	s->session_count = s->rw_session_count = 0;
}

static p11_slot *slot_of_handle(CK_SESSION_HANDLE h)
{
	unsigned long idx = (unsigned long)(h >> SLOT_SHIFT);
	if (idx == 0 || (h & SEQ_MASK) == 0)
		return NULL;
	return p11_slot_get(idx - 1);
}

CK_RV p11_session_acquire(CK_SESSION_HANDLE h, p11_slot **slot,
			  p11_session **sess)
{
	CK_RV rv = p11_check_init();
	if (rv != CKR_OK)
		return rv;
	p11_slot *s = slot_of_handle(h);
	if (!s)
		return CKR_SESSION_HANDLE_INVALID;
	p11_mutex_lock(s->lock);
	p11_session *se = s->sessions;
	while (se && se->handle != h)
		se = se->next;
	if (!se) {
		p11_mutex_unlock(s->lock);
		return CKR_SESSION_HANDLE_INVALID;
	}
	/* A card pulled since the last call: every session reports it
	 * once, then its handle is invalid. */
	if (!se->removed && s->token)
		(void)p11_token_check_present(s);
	if (se->removed || !s->token) {
		/* A session always has a token: none means it was lost
		 * (removal, or a failed rebind). */
		se->removed = 1;
		session_remove(s, se);
		p11_mutex_unlock(s->lock);
		return CKR_DEVICE_REMOVED;
	}
	*slot = s;
	*sess = se;
	return CKR_OK;
}

void p11_session_release(p11_slot *s)
{
	p11_mutex_unlock(s->lock);
}

CK_RV p11_session_done(p11_slot *s, p11_session *se, CK_RV rv)
{
	/* The call that noticed the removal reported it: this session is
	 * done, its handle is invalid from now on. */
	if (rv == CKR_DEVICE_REMOVED && se->removed)
		session_remove(s, se);
	p11_mutex_unlock(s->lock);
	return rv;
}

CK_RV p11_session_answer(CK_SESSION_HANDLE h, CK_RV answer)
{
	p11_slot *s;
	p11_session *se;
	CK_RV rv = p11_session_acquire(h, &s, &se);
	if (rv != CKR_OK)
		return rv;
	return p11_session_done(s, se, answer);
}

static CK_RV open_session(CK_SLOT_ID slotID, CK_FLAGS flags,
			  CK_SESSION_HANDLE_PTR phSession)
{
	CK_RV rv = p11_check_init();
	if (rv != CKR_OK)
		return rv;
	if (phSession == NULL)
		return CKR_ARGUMENTS_BAD;
	if (!(flags & CKF_SERIAL_SESSION))
		return CKR_SESSION_PARALLEL_NOT_SUPPORTED;
	p11_slot *s = p11_slot_get(slotID);
	if (!s)
		return CKR_SLOT_ID_INVALID;
	p11_mutex_lock(s->lock);
	rv = p11_token_ensure_current(s);
	if (rv != CKR_OK)
		goto out;
	p11_token *t = s->token;
	if (!(flags & CKF_RW_SESSION) && t->login == CKU_SO) {
		rv = CKR_SESSION_READ_WRITE_SO_EXISTS;
		goto out;
	}
	if ((flags & CKF_RW_SESSION) && t->card.write_protected) {
		rv = CKR_TOKEN_WRITE_PROTECTED;
		goto out;
	}
	p11_session *se = calloc(1, sizeof(*se));
	if (!se) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	/* Next free sequence number of this slot. */
	CK_SESSION_HANDLE h;
	for (;;) {
		s->session_seq = (s->session_seq + 1) & SEQ_MASK;
		if (s->session_seq == 0)
			continue;
		h = ((CK_SESSION_HANDLE)(s->id + 1) << SLOT_SHIFT) |
		    s->session_seq;
		p11_session *o = s->sessions;
		while (o && o->handle != h)
			o = o->next;
		if (!o)
			break;
	}
	se->handle = h;
	se->flags = flags & (CKF_SERIAL_SESSION | CKF_RW_SESSION);
	se->next = s->sessions;
	s->sessions = se;
	s->session_count++;
	if (flags & CKF_RW_SESSION)
		s->rw_session_count++;
	*phSession = h;
out:
	p11_mutex_unlock(s->lock);
	return rv;
}

CK_RV C_OpenSession(CK_SLOT_ID slotID, CK_FLAGS flags,
		    CK_VOID_PTR pApplication, CK_NOTIFY Notify,
		    CK_SESSION_HANDLE_PTR phSession)
{
	(void)pApplication; /* we never call back (no notifications) */
	(void)Notify;
	CK_RV rv = open_session(slotID, flags, phSession);
	if (rv == CKR_OK)
		p11_log("C_OpenSession(slot=%lu, flags=0x%lx) -> 0x%lx",
			(unsigned long)slotID, (unsigned long)flags,
			(unsigned long)*phSession);
	return p11_log_rv("C_OpenSession", rv);
}

/* The token logs out when its last session closes (PKCS#11 §5.6). */
static void logout_if_idle(p11_slot *s)
{
	p11_token *t = s->token;
	if (!t || s->sessions || t->login == P11_NOBODY)
		return;
	if (t->card.drv->logout && p11_token_begin(s) == CKR_OK) {
		ukey_rv r = t->card.drv->logout(&t->card);
		p11_token_end(s);
		(void)p11_token_rv(s, r);
	} else if (!t->card.drv->logout) {
		/* No logout command: a reset is the only way to take the
		 * verified PIN away from the card. */
		(void)p11_token_reset_card(s);
	}
	if (s->token)
		s->token->login = P11_NOBODY;
}

static CK_RV close_session(CK_SESSION_HANDLE h)
{
	p11_slot *s;
	p11_session *se;
	CK_RV rv = p11_session_acquire(h, &s, &se);
	if (rv != CKR_OK)
		return rv == CKR_DEVICE_REMOVED ? CKR_OK : rv;
	session_remove(s, se);
	logout_if_idle(s);
	p11_session_release(s);
	return CKR_OK;
}

CK_RV C_CloseSession(CK_SESSION_HANDLE hSession)
{
	return p11_log_rv("C_CloseSession", close_session(hSession));
}

static CK_RV close_all(CK_SLOT_ID slotID)
{
	p11_slot *s;
	CK_RV rv = p11_slot_lock(slotID, 1, &s);
	if (rv != CKR_OK)
		return rv;
	p11_slot_free_sessions(s);
	logout_if_idle(s);
	p11_mutex_unlock(s->lock);
	return CKR_OK;
}

CK_RV C_CloseAllSessions(CK_SLOT_ID slotID)
{
	return p11_log_rv("C_CloseAllSessions", close_all(slotID));
}

static CK_RV get_session_info(CK_SESSION_HANDLE h, CK_SESSION_INFO_PTR pInfo)
{
	p11_slot *s;
	p11_session *se;
	CK_RV rv = p11_session_acquire(h, &s, &se);
	if (rv != CKR_OK)
		return rv;
	if (pInfo == NULL) {
		p11_session_release(s);
		return CKR_ARGUMENTS_BAD;
	}
	memset(pInfo, 0, sizeof(*pInfo));
	pInfo->slotID = s->id;
	pInfo->state = p11_session_state(s, se);
	pInfo->flags = se->flags;
	pInfo->ulDeviceError = 0;
	p11_session_release(s);
	return CKR_OK;
}

CK_RV C_GetSessionInfo(CK_SESSION_HANDLE hSession, CK_SESSION_INFO_PTR pInfo)
{
	return p11_log_rv("C_GetSessionInfo", get_session_info(hSession, pInfo));
}
