/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rn_token_session.c — sessions and C_Login. The PIN is copied only into a
 * buffer that is wiped before it is freed, and never traced.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "rn_token_int.h"

#define RN_MAX_PIN 256u

enum rn_tok_rc rn_session_open(struct rn_module *m, CK_SLOT_ID slot, int rw,
			       struct rn_session **out, char *err, size_t errlen)
{
	struct rn_session *s;
	CK_SESSION_HANDLE h = CK_INVALID_HANDLE;
	CK_FLAGS fl = CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0);
	CK_RV rv;

	*out = NULL;
	rv = m->f->C_OpenSession(slot, fl, NULL, NULL, &h);
	rn_trace(m, "C_OpenSession(slot %lu, %s) = %s, session %lu", (unsigned long)slot,
		 rw ? "CKF_RW_SESSION" : "read-only", rn_ckr_name(rv), (unsigned long)h);
	if (rv != CKR_OK)
		return rn_map_rv(m, slot, rv, "C_OpenSession", err, errlen);
	s = calloc(1, sizeof(*s));
	if (!s) {
		rv = m->f->C_CloseSession(h);
		rn_trace(m, "C_CloseSession(session %lu) = %s", (unsigned long)h, rn_ckr_name(rv));
		rn_seterr(err, errlen, "out of memory");
		return RN_TOK_ERROR;
	}
	s->m = m;
	s->slot = slot;
	s->h = h;
	*out = s;
	return RN_TOK_OK;
}

void rn_session_close(struct rn_session *s)
{
	CK_RV rv;

	if (!s)
		return;
	if (s->logged_in) {
		rv = s->m->f->C_Logout(s->h);
		rn_trace(s->m, "C_Logout(session %lu) = %s", (unsigned long)s->h, rn_ckr_name(rv));
	}
	rv = s->m->f->C_CloseSession(s->h);
	rn_trace(s->m, "C_CloseSession(session %lu) = %s", (unsigned long)s->h, rn_ckr_name(rv));
	free(s);
}

enum rn_tok_rc rn_session_login(struct rn_session *s, const char *pin, size_t pin_len,
				char *err, size_t errlen)
{
	unsigned char *copy = NULL;
	CK_RV rv;

	if (pin_len > RN_MAX_PIN) {
		rn_seterr(err, errlen, "C_Login: PIN longer than %u bytes", RN_MAX_PIN);
		return RN_TOK_PIN_INVALID;
	}
	if (pin) {
		/* C_Login takes a non-const pointer: hand it a copy. */
		copy = OPENSSL_malloc(pin_len + 1);
		if (!copy) {
			rn_seterr(err, errlen, "out of memory");
			return RN_TOK_ERROR;
		}
		memcpy(copy, pin, pin_len);
		copy[pin_len] = '\0';
	}
	/* pin == NULL: protected authentication path (PIN pad). */
	rv = s->m->f->C_Login(s->h, CKU_USER, copy, copy ? (CK_ULONG)pin_len : 0);
	if (copy) {
		OPENSSL_cleanse(copy, pin_len + 1);
		OPENSSL_free(copy);
	}
	rn_trace(s->m, "C_Login(session %lu, CKU_USER, %s) = %s", (unsigned long)s->h,
		 pin ? "<PIN withheld>" : "NULL (protected path)", rn_ckr_name(rv));
	if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN) {
		s->logged_in = 1;
		return RN_TOK_OK;
	}
	return rn_map_rv(s->m, s->slot, rv, "C_Login", err, errlen);
}

int rn_session_logged_in(const struct rn_session *s)
{
	return s && s->logged_in;
}

enum rn_tok_rc rn_session_last_error(const struct rn_session *s, char *err, size_t errlen)
{
	if (!s)
		return RN_TOK_ERROR;
	if (s->last_rc != RN_TOK_OK)
		rn_seterr(err, errlen, "%s", s->last_err);
	return s->last_rc;
}
