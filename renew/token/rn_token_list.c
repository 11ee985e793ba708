/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rn_token_list.c — slots with a token (C_GetSlotList(TRUE)) and their
 * CK_TOKEN_INFO, trimmed.
 */
#include <stdlib.h>
#include <string.h>

#include "rn_token_int.h"

/* Copies a blank-padded CK_TOKEN_INFO field: stops at a NUL (some modules
 * pad with NULs), trims trailing blanks, replaces control bytes. */
static void field(char *dst, size_t cap, const CK_UTF8CHAR *src, size_t n)
{
	size_t len = 0;

	while (len < n && src[len] != '\0')
		len++;
	while (len > 0 && src[len - 1] == ' ')
		len--;
	if (len > cap - 1)
		len = cap - 1;
	for (size_t i = 0; i < len; i++)
		dst[i] = (src[i] < 0x20 || src[i] == 0x7f) ? '?' : (char)src[i];
	dst[len] = '\0';
}

static void fill_info(struct rn_token_info *ti, CK_SLOT_ID slot, const CK_TOKEN_INFO *t)
{
	memset(ti, 0, sizeof(*ti));
	ti->slot = slot;
	field(ti->label, sizeof(ti->label), t->label, sizeof(t->label));
	field(ti->serial, sizeof(ti->serial), t->serialNumber, sizeof(t->serialNumber));
	field(ti->model, sizeof(ti->model), t->model, sizeof(t->model));
	field(ti->manufacturer, sizeof(ti->manufacturer), t->manufacturerID,
	      sizeof(t->manufacturerID));
	ti->flags = t->flags;
	ti->login_required = !!(t->flags & CKF_LOGIN_REQUIRED);
	ti->pin_count_low = !!(t->flags & CKF_USER_PIN_COUNT_LOW);
	ti->pin_final_try = !!(t->flags & CKF_USER_PIN_FINAL_TRY);
	ti->pin_locked = !!(t->flags & CKF_USER_PIN_LOCKED);
}

static enum rn_tok_rc get_info(struct rn_module *m, CK_SLOT_ID slot, struct rn_token_info *ti,
			       CK_RV *rvp, char *err, size_t errlen)
{
	CK_TOKEN_INFO t;
	CK_RV rv;

	memset(&t, 0, sizeof(t));
	rv = m->f->C_GetTokenInfo(slot, &t);
	*rvp = rv;
	rn_trace(m, "C_GetTokenInfo(slot %lu) = %s", (unsigned long)slot, rn_ckr_name(rv));
	if (rv != CKR_OK)
		return rn_map_rv(m, slot, rv, "C_GetTokenInfo", err, errlen);
	fill_info(ti, slot, &t);
	return RN_TOK_OK;
}

enum rn_tok_rc rn_token_info(struct rn_module *m, CK_SLOT_ID slot, struct rn_token_info *ti,
			     char *err, size_t errlen)
{
	CK_RV rv;

	return get_info(m, slot, ti, &rv, err, errlen);
}

enum rn_tok_rc rn_token_list(struct rn_module *m, struct rn_token_info **out, size_t *n,
			     char *err, size_t errlen)
{
	CK_SLOT_ID *slots = NULL;
	CK_ULONG count = 0, got;
	struct rn_token_info *ti = NULL;
	size_t k = 0;
	CK_RV rv;

	*out = NULL;
	*n = 0;
	for (int attempt = 0; attempt < 4; attempt++) {
		rv = m->f->C_GetSlotList(CK_TRUE, NULL, &count);
		rn_trace(m, "C_GetSlotList(tokenPresent, NULL) = %s, %lu slots", rn_ckr_name(rv),
			 (unsigned long)count);
		if (rv != CKR_OK)
			return rn_map_rv(m, RN_NO_SLOT, rv, "C_GetSlotList", err, errlen);
		if (count == 0)
			return RN_TOK_OK;
		if (count > RN_MAX_SLOTS) {
			rn_seterr(err, errlen, "C_GetSlotList: %lu slots, more than %u",
				  (unsigned long)count, RN_MAX_SLOTS);
			return RN_TOK_ERROR;
		}
		free(slots);
		/* One spare entry: a token inserted in between is caught by
		 * CKR_BUFFER_TOO_SMALL and another round. */
		slots = calloc(count + 1, sizeof(*slots));
		if (!slots) {
			rn_seterr(err, errlen, "out of memory");
			return RN_TOK_ERROR;
		}
		got = count + 1;
		rv = m->f->C_GetSlotList(CK_TRUE, slots, &got);
		rn_trace(m, "C_GetSlotList(tokenPresent, %lu) = %s, %lu slots",
			 (unsigned long)(count + 1), rn_ckr_name(rv), (unsigned long)got);
		if (rv == CKR_BUFFER_TOO_SMALL)
			continue;
		if (rv != CKR_OK) {
			free(slots);
			return rn_map_rv(m, RN_NO_SLOT, rv, "C_GetSlotList", err, errlen);
		}
		if (got > count + 1) {
			free(slots);
			rn_seterr(err, errlen, "C_GetSlotList: module returned %lu slots in a "
				  "buffer of %lu", (unsigned long)got, (unsigned long)(count + 1));
			return RN_TOK_ERROR;
		}
		count = got;
		goto have;
	}
	free(slots);
	rn_seterr(err, errlen, "C_GetSlotList: slot list keeps changing");
	return RN_TOK_ERROR;
have:
	if (count == 0) {
		free(slots);
		return RN_TOK_OK;
	}
	ti = calloc(count, sizeof(*ti));
	if (!ti) {
		free(slots);
		rn_seterr(err, errlen, "out of memory");
		return RN_TOK_ERROR;
	}
	for (CK_ULONG i = 0; i < count; i++) {
		char e2[128];
		CK_RV rv2 = CKR_OK;
		enum rn_tok_rc rc = get_info(m, slots[i], &ti[k], &rv2, e2, sizeof(e2));

		if (rc == RN_TOK_OK)
			k++;
		else if (rc != RN_TOK_REMOVED && rv2 != CKR_TOKEN_NOT_RECOGNIZED) {
			/* A token pulled in between, or a card the module does
			 * not know (another application's), is just not listed;
			 * anything else is reported. */
			rn_seterr(err, errlen, "slot %lu: %s", (unsigned long)slots[i], e2);
			free(slots);
			free(ti);
			return rc;
		}
	}
	free(slots);
	if (k == 0) {
		free(ti);
		ti = NULL;
	}
	*out = ti;
	*n = k;
	return RN_TOK_OK;
}
