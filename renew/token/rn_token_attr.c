/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rn_token_attr.c — object search and attribute reads, with every length the
 * module gives checked before use.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rn_token_int.h"

/* "CKO_CERTIFICATE, CKA_ID 0102" — names and sizes only. */
static void describe(const CK_ATTRIBUTE *t, CK_ULONG cnt, char *buf, size_t cap)
{
	size_t o = 0;

	buf[0] = '\0';
	for (CK_ULONG i = 0; i < cnt && o < cap; i++) {
		char v[64];
		int w;

		if (t[i].type == CKA_CLASS && t[i].ulValueLen == sizeof(CK_OBJECT_CLASS) &&
		    t[i].pValue) {
			CK_OBJECT_CLASS c;

			memcpy(&c, t[i].pValue, sizeof(c));
			snprintf(v, sizeof(v), "%s", rn_cko_name(c));
		} else if (t[i].type == CKA_ID) {
			char hx[40];

			rn_hex_short(t[i].pValue, t[i].ulValueLen, hx, sizeof(hx));
			snprintf(v, sizeof(v), "CKA_ID %s", t[i].ulValueLen ? hx : "(empty)");
		} else if (t[i].type == CKA_CERTIFICATE_TYPE) {
			snprintf(v, sizeof(v), "CKC_X_509");
		} else {
			snprintf(v, sizeof(v), "%s (%lu bytes)", rn_cka_name(t[i].type),
				 (unsigned long)t[i].ulValueLen);
		}
		w = snprintf(buf + o, cap - o, "%s%s", i ? ", " : "", v);
		if (w < 0)
			break;
		o += (size_t)w;
	}
}

enum rn_tok_rc rn_find(struct rn_session *s, CK_ATTRIBUTE *tmpl, CK_ULONG cnt,
		       CK_OBJECT_HANDLE **out, size_t *n, char *err, size_t errlen)
{
	CK_FUNCTION_LIST_PTR f = s->m->f;
	CK_OBJECT_HANDLE batch[32], *all = NULL;
	size_t k = 0, cap = 0;
	char d[256];
	enum rn_tok_rc rc = RN_TOK_OK;
	CK_RV rv;

	*out = NULL;
	*n = 0;
	describe(tmpl, cnt, d, sizeof(d));
	rv = f->C_FindObjectsInit(s->h, tmpl, cnt);
	rn_trace(s->m, "C_FindObjectsInit(session %lu, %s) = %s", (unsigned long)s->h, d,
		 rn_ckr_name(rv));
	if (rv != CKR_OK)
		return rn_map_rv(s->m, s->slot, rv, "C_FindObjectsInit", err, errlen);
	for (;;) {
		CK_ULONG got = 0;

		rv = f->C_FindObjects(s->h, batch, 32, &got);
		rn_trace(s->m, "C_FindObjects(session %lu, 32) = %s, %lu found",
			 (unsigned long)s->h, rn_ckr_name(rv), (unsigned long)got);
		if (rv != CKR_OK) {
			rc = rn_map_rv(s->m, s->slot, rv, "C_FindObjects", err, errlen);
			break;
		}
		if (got > 32) {
			rn_seterr(err, errlen, "C_FindObjects: %lu objects for room of 32",
				  (unsigned long)got);
			rc = RN_TOK_ERROR;
			break;
		}
		if (got == 0)
			break;
		if (k + got > RN_MAX_OBJECTS) {
			rn_seterr(err, errlen, "C_FindObjects: more than %u objects",
				  RN_MAX_OBJECTS);
			rc = RN_TOK_ERROR;
			break;
		}
		if (k + got > cap) {
			size_t nc = cap ? cap * 2 : 32;
			CK_OBJECT_HANDLE *na;

			while (nc < k + got)
				nc *= 2;
			na = realloc(all, nc * sizeof(*na));
			if (!na) {
				rn_seterr(err, errlen, "out of memory");
				rc = RN_TOK_ERROR;
				break;
			}
			all = na;
			cap = nc;
		}
		memcpy(all + k, batch, got * sizeof(*batch));
		k += got;
	}
	rv = f->C_FindObjectsFinal(s->h);
	rn_trace(s->m, "C_FindObjectsFinal(session %lu) = %s", (unsigned long)s->h,
		 rn_ckr_name(rv));
	if (rc == RN_TOK_OK && rv != CKR_OK)
		rc = rn_map_rv(s->m, s->slot, rv, "C_FindObjectsFinal", err, errlen);
	if (rc != RN_TOK_OK) {
		free(all);
		return rc;
	}
	*out = all;
	*n = k;
	return RN_TOK_OK;
}

static int absent_rv(CK_RV rv)
{
	return rv == CKR_ATTRIBUTE_SENSITIVE || rv == CKR_ATTRIBUTE_TYPE_INVALID ||
	       rv == CKR_INFORMATION_SENSITIVE;
}

enum rn_tok_rc rn_get_attr(struct rn_session *s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type,
			   size_t max, unsigned char **val, size_t *len, char *err, size_t errlen)
{
	CK_FUNCTION_LIST_PTR f = s->m->f;
	CK_ATTRIBUTE a = { type, NULL, 0 };
	unsigned char *buf;
	CK_ULONG want;
	CK_RV rv;

	*val = NULL;
	*len = 0;
	rv = f->C_GetAttributeValue(s->h, o, &a, 1);
	rn_trace(s->m, "C_GetAttributeValue(session %lu, object %lu, %s size) = %s, %ld",
		 (unsigned long)s->h, (unsigned long)o, rn_cka_name(type), rn_ckr_name(rv),
		 (long)a.ulValueLen);
	if (absent_rv(rv) || (rv == CKR_OK && a.ulValueLen == CK_UNAVAILABLE_INFORMATION))
		return RN_TOK_OK;
	if (rv != CKR_OK)
		return rn_map_rv(s->m, s->slot, rv, "C_GetAttributeValue", err, errlen);
	if (a.ulValueLen > max) {
		rn_seterr(err, errlen, "C_GetAttributeValue: %s of %lu bytes (limit %zu)",
			  rn_cka_name(type), (unsigned long)a.ulValueLen, max);
		return RN_TOK_ERROR;
	}
	want = a.ulValueLen;
	buf = malloc((size_t)want + 1);
	if (!buf) {
		rn_seterr(err, errlen, "out of memory");
		return RN_TOK_ERROR;
	}
	a.pValue = buf;
	a.ulValueLen = want;
	rv = f->C_GetAttributeValue(s->h, o, &a, 1);
	rn_trace(s->m, "C_GetAttributeValue(session %lu, object %lu, %s) = %s, %ld bytes",
		 (unsigned long)s->h, (unsigned long)o, rn_cka_name(type), rn_ckr_name(rv),
		 (long)a.ulValueLen);
	if (absent_rv(rv)) {
		free(buf);
		return RN_TOK_OK;
	}
	if (rv != CKR_OK) {
		free(buf);
		return rn_map_rv(s->m, s->slot, rv, "C_GetAttributeValue", err, errlen);
	}
	if (a.ulValueLen > want) {
		/* Claims to have written more than we gave it room for. */
		free(buf);
		rn_seterr(err, errlen, "C_GetAttributeValue: %s grew from %lu to %lu bytes",
			  rn_cka_name(type), (unsigned long)want, (unsigned long)a.ulValueLen);
		return RN_TOK_ERROR;
	}
	buf[a.ulValueLen] = 0;
	*val = buf;
	*len = a.ulValueLen;
	return RN_TOK_OK;
}

enum rn_tok_rc rn_get_ulong(struct rn_session *s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type,
			    CK_ULONG *v, int *present, char *err, size_t errlen)
{
	unsigned char *val;
	size_t len;
	enum rn_tok_rc rc = rn_get_attr(s, o, type, sizeof(CK_ULONG), &val, &len, err, errlen);

	*present = 0;
	*v = 0;
	if (rc != RN_TOK_OK || !val)
		return rc;
	if (len == sizeof(CK_ULONG)) {
		memcpy(v, val, sizeof(*v));
		*present = 1;
	} else if (len == sizeof(CK_BBOOL)) {
		*v = val[0];
		*present = 1;
	}
	free(val);
	return RN_TOK_OK;
}

enum rn_tok_rc rn_find_by_id(struct rn_session *s, CK_OBJECT_CLASS cls,
			     const unsigned char *id, size_t id_len,
			     CK_OBJECT_HANDLE **out, size_t *n, char *err, size_t errlen)
{
	CK_ATTRIBUTE t[2] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_ID, (void *)id, (CK_ULONG)id_len },
	};

	return rn_find(s, t, 2, out, n, err, errlen);
}
