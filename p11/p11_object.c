/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Object handles and the object functions: C_GetAttributeValue,
 * C_FindObjects*, C_SetAttributeValue, C_CreateObject, C_DestroyObject.
 * Handles are per slot, never reused while the module is loaded, and kept
 * across re-reads of the token's object list (matched by driver reference).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "driver.h"

#include "p11_attr.h"
#include "p11_log.h"
#include "p11_object.h"
#include "p11_session.h"
#include "p11_slot.h"
#include "p11_tmpl.h"
#include "p11_token.h"

p11_obj *p11_obj_find(p11_slot *s, CK_OBJECT_HANDLE h)
{
	p11_token *t = s->token;
	if (!t || h == CK_INVALID_HANDLE)
		return NULL;
	for (size_t i = 0; i < t->nobjs; i++)
		if (t->objs[i].handle == h)
			return &t->objs[i];
	for (p11_session *se = s->sessions; se; se = se->next)
		for (size_t i = 0; !se->removed && i < se->nsobjs; i++)
			if (se->sobjs[i].handle == h)
				return &se->sobjs[i];
	return NULL;
}

size_t p11_sobj_count(const p11_slot *s)
{
	size_t n = 0;
	for (const p11_session *se = s->sessions; se; se = se->next)
		if (!se->removed)
			n += se->nsobjs;
	return n;
}

CK_RV p11_sobj_add(p11_slot *s, p11_session *se, ukey_object *o,
		   CK_OBJECT_HANDLE *out)
{
	p11_obj *nv = realloc(se->sobjs, (se->nsobjs + 1) * sizeof(*nv));
	if (!nv)
		return CKR_HOST_MEMORY;
	se->sobjs = nv;
	p11_obj *po = &nv[se->nsobjs++];
	memset(po, 0, sizeof(*po));
	po->o = *o;
	memset(o, 0, sizeof(*o));
	po->handle = s->next_obj_handle++;
	po->owner = se->handle;
	*out = po->handle;
	return CKR_OK;
}

/* Free a session object (its owner's array shrinks; handles stay). */
static void sobj_remove(p11_slot *s, CK_OBJECT_HANDLE h)
{
	for (p11_session *se = s->sessions; se; se = se->next)
		for (size_t i = 0; i < se->nsobjs; i++)
			if (se->sobjs[i].handle == h) {
				p11_obj_clear(&se->sobjs[i]);
				memmove(&se->sobjs[i], &se->sobjs[i + 1],
					(se->nsobjs - i - 1) * sizeof(se->sobjs[0]));
				se->nsobjs--;
				return;
			}
}

int p11_obj_visible(const p11_slot *s, const p11_obj *po)
{
	return !po->o.private_obj || (s->token && s->token->login == CKU_USER);
}

CK_RV p11_obj_lookup(p11_slot *s, CK_OBJECT_HANDLE h, p11_obj **out)
{
	CK_RV rv = p11_token_ensure(s);
	if (rv != CKR_OK)
		return rv;
	/* Handles are only ever given out for cached objects, so a handle
	 * that is not in the cache is invalid without reading anything. */
	p11_obj *po = p11_obj_find(s, h);
	if (!po)
		return CKR_OBJECT_HANDLE_INVALID;
	if (!po->owner && !p11_obj_current(s->token, po)) {
		unsigned b = p11_cls_bit((int)po->o.cls);
		rv = p11_token_load_classes(s, b == P11_CLS_OTHER ? P11_CLS_ALL : b);
		if (rv != CKR_OK)
			return rv;
		po = p11_obj_find(s, h); /* the array was rebuilt */
	}
	if (!po || !p11_obj_visible(s, po))
		return CKR_OBJECT_HANDLE_INVALID;
	*out = po;
	return CKR_OK;
}

static CK_RV obj_get(p11_slot *s, CK_OBJECT_HANDLE h, p11_obj **out)
{
	return p11_obj_lookup(s, h, out);
}

const CK_ATTRIBUTE *p11_tmpl_find(const CK_ATTRIBUTE *t, CK_ULONG n,
				  CK_ATTRIBUTE_TYPE type)
{
	for (CK_ULONG i = 0; t && i < n; i++)
		if (t[i].type == type)
			return &t[i];
	return NULL;
}

int p11_tmpl_bool(const CK_ATTRIBUTE *t, CK_ULONG n, CK_ATTRIBUTE_TYPE type)
{
	const CK_ATTRIBUTE *a = p11_tmpl_find(t, n, type);
	if (!a)
		return -1;
	if (a->ulValueLen != sizeof(CK_BBOOL) || !a->pValue)
		return -2;
	return *(const CK_BBOOL *)a->pValue ? 1 : 0;
}

int p11_tmpl_ulong(const CK_ATTRIBUTE *t, CK_ULONG n, CK_ATTRIBUTE_TYPE type,
		   CK_ULONG *out)
{
	const CK_ATTRIBUTE *a = p11_tmpl_find(t, n, type);
	if (!a)
		return 0;
	if (a->ulValueLen != sizeof(CK_ULONG) || !a->pValue)
		return -1;
	memcpy(out, a->pValue, sizeof(CK_ULONG));
	return 1;
}

CK_RV p11_tmpl_ulong_need(const CK_ATTRIBUTE *t, CK_ULONG n,
			  CK_ATTRIBUTE_TYPE type, CK_ULONG *out)
{
	int r = p11_tmpl_ulong(t, n, type, out);
	if (r == 0)
		return CKR_TEMPLATE_INCOMPLETE;
	if (r < 0)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	return CKR_OK;
}

CK_RV p11_tmpl_check(const CK_ATTRIBUTE *t, CK_ULONG n)
{
	if (n && !t)
		return CKR_ARGUMENTS_BAD;
	for (CK_ULONG i = 0; i < n; i++)
		if (t[i].ulValueLen && !t[i].pValue)
			return CKR_ATTRIBUTE_VALUE_INVALID;
	return CKR_OK;
}

/* ------------------------------------------------------ C_GetAttributeValue */

static CK_RV get_attribute_value(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE ho,
				 CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
	p11_slot *s;
	p11_session *se;
	CK_RV rv = p11_session_acquire(h, &s, &se);
	if (rv != CKR_OK)
		return rv;
	if (pTemplate == NULL && ulCount) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	p11_obj *po;
	rv = obj_get(s, ho, &po);
	if (rv != CKR_OK)
		goto out;
	unsigned deps = 0;
	for (CK_ULONG i = 0; i < ulCount; i++)
		deps |= p11_attr_deps(po->o.cls, &po->o, pTemplate[i].type);
	if (deps & ~s->token->cls_valid) {
		rv = p11_token_load_classes(s, deps);
		if (rv != CKR_OK)
			goto out;
		po = s->token ? p11_obj_find(s, ho) : NULL;
		if (!po || !p11_obj_visible(s, po)) {
			rv = CKR_OBJECT_HANDLE_INVALID;
			goto out;
		}
	}
	/* §5.7: every attribute is processed; SENSITIVE, TYPE_INVALID and
	 * BUFFER_TOO_SMALL are not true errors. We return the first of them
	 * in that order of precedence (the spec sets none). */
	int sens = 0, inval = 0, small = 0;
	for (CK_ULONG i = 0; i < ulCount; i++) {
		CK_ATTRIBUTE *a = &pTemplate[i];
		const void *val = NULL;
		size_t len = 0;
		p11_attr_tmp tmp = { .heap = NULL };
		CK_RV r = p11_attr_get(s, po, a->type, &val, &len, &tmp);
		if (r == CKR_ATTRIBUTE_SENSITIVE || r == CKR_ATTRIBUTE_TYPE_INVALID) {
			a->ulValueLen = CK_UNAVAILABLE_INFORMATION;
			if (r == CKR_ATTRIBUTE_SENSITIVE)
				sens = 1;
			else
				inval = 1;
		} else if (r != CKR_OK) {
			p11_attr_tmp_free(&tmp);
			rv = r; /* device error: objects may be gone, stop */
			goto out;
		} else if (a->pValue == NULL) {
			a->ulValueLen = len;
		} else if (a->ulValueLen >= len) {
			if (len)
				memcpy(a->pValue, val, len);
			a->ulValueLen = len;
		} else {
			a->ulValueLen = CK_UNAVAILABLE_INFORMATION;
			small = 1;
		}
		p11_attr_tmp_free(&tmp);
	}
	rv = sens ? CKR_ATTRIBUTE_SENSITIVE
		  : inval ? CKR_ATTRIBUTE_TYPE_INVALID
			  : small ? CKR_BUFFER_TOO_SMALL : CKR_OK;
out:
	return p11_session_done(s, se, rv);
}

CK_RV C_GetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
			  CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
	CK_RV rv = get_attribute_value(hSession, hObject, pTemplate, ulCount);
	if (p11_log_enabled()) {
		for (CK_ULONG i = 0; pTemplate && i < ulCount; i++)
			p11_log("  object 0x%lx attr 0x%lx len %ld",
				(unsigned long)hObject,
				(unsigned long)pTemplate[i].type,
				(long)pTemplate[i].ulValueLen);
	}
	return p11_log_rv("C_GetAttributeValue", rv);
}

/* -------------------------------------------------------------- find */

/* 1 match, 0 no match, <0 => -rv (device error) */
static CK_RV obj_matches(p11_slot *s, p11_obj *po, const CK_ATTRIBUTE *t,
			 CK_ULONG n, int *match)
{
	*match = 1;
	for (CK_ULONG i = 0; i < n; i++) {
		const void *val;
		size_t len;
		p11_attr_tmp tmp = { .heap = NULL };
		CK_RV r = p11_attr_get(s, po, t[i].type, &val, &len, &tmp);
		if (r == CKR_OK) {
			if (len != t[i].ulValueLen ||
			    (len && memcmp(val, t[i].pValue, len) != 0))
				*match = 0;
		} else if (r == CKR_ATTRIBUTE_SENSITIVE ||
			   r == CKR_ATTRIBUTE_TYPE_INVALID) {
			*match = 0;
		} else {
			p11_attr_tmp_free(&tmp);
			return r;
		}
		p11_attr_tmp_free(&tmp);
		if (!*match)
			break;
	}
	return CKR_OK;
}

/* The classes a find must read: the template's class (and what its
 * attributes depend on), or every class. A class that no token object can
 * have needs nothing read. */
static unsigned find_classes(const CK_ATTRIBUTE *t, CK_ULONG n)
{
	CK_ULONG ck;
	if (p11_tmpl_ulong(t, n, CKA_CLASS, &ck) != 1)
		return P11_CLS_ALL;
	ukey_obj_class c;
	switch (ck) {
	case CKO_CERTIFICATE: c = UKEY_OBJ_CERT; break;
	case CKO_PUBLIC_KEY: c = UKEY_OBJ_PUBKEY; break;
	case CKO_PRIVATE_KEY: c = UKEY_OBJ_PRIVKEY; break;
	case CKO_DATA: c = UKEY_OBJ_DATA; break;
	default: return 0;
	}
	unsigned mask = P11_CLS_BIT(c);
	for (CK_ULONG i = 0; i < n; i++)
		mask |= p11_attr_deps(c, NULL, t[i].type);
	return mask;
}

static CK_RV find_init(CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR pTemplate,
		       CK_ULONG ulCount)
{
	p11_slot *s;
	p11_session *se;
	CK_RV rv = p11_session_acquire(h, &s, &se);
	if (rv != CKR_OK)
		return rv;
	if (pTemplate == NULL && ulCount) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	for (CK_ULONG i = 0; i < ulCount; i++)
		if (pTemplate[i].ulValueLen && !pTemplate[i].pValue) {
			rv = CKR_ATTRIBUTE_VALUE_INVALID;
			goto out;
		}
	if (se->find_active) {
		rv = CKR_OPERATION_ACTIVE;
		goto out;
	}
	rv = p11_token_load_classes(s, find_classes(pTemplate, ulCount));
	if (rv != CKR_OK)
		goto out;
	p11_token *t = s->token;
	/* token objects, then the session objects of every session */
	size_t nobjs = t->nobjs + p11_sobj_count(s);
	CK_OBJECT_HANDLE *found = nobjs ? calloc(nobjs, sizeof(*found)) : NULL;
	if (nobjs && !found) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	size_t nf = 0;
	/* Snapshot handles first: matching may read values from the card. */
	CK_OBJECT_HANDLE *cand = nobjs ? calloc(nobjs, sizeof(*cand)) : NULL;
	if (nobjs && !cand) {
		free(found);
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	size_t nc = 0;
	for (size_t i = 0; i < t->nobjs; i++)
		cand[nc++] = t->objs[i].handle;
	for (p11_session *o = s->sessions; o; o = o->next)
		for (size_t i = 0; !o->removed && i < o->nsobjs; i++)
			cand[nc++] = o->sobjs[i].handle;
	for (size_t i = 0; i < nobjs; i++) {
		p11_obj *po = s->token ? p11_obj_find(s, cand[i]) : NULL;
		if (!s->token) {
			rv = CKR_DEVICE_REMOVED;
			break;
		}
		/* Objects of classes not (re-)read are stale: the template's
		 * class excludes them anyway. */
		if (!po || !p11_obj_visible(s, po) ||
		    (!po->owner && !p11_obj_current(s->token, po)))
			continue;
		int m;
		rv = obj_matches(s, po, pTemplate, ulCount, &m);
		if (rv != CKR_OK)
			break;
		if (m)
			found[nf++] = cand[i];
	}
	free(cand);
	if (rv != CKR_OK) {
		free(found);
		goto out;
	}
	se->found = found;
	se->nfound = nf;
	se->found_pos = 0;
	se->find_active = 1;
out:
	return p11_session_done(s, se, rv);
}

CK_RV C_FindObjectsInit(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate,
			CK_ULONG ulCount)
{
	return p11_log_rv("C_FindObjectsInit", find_init(hSession, pTemplate, ulCount));
}

static CK_RV find_objects(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE_PTR phObject,
			  CK_ULONG ulMaxObjectCount, CK_ULONG_PTR pulObjectCount)
{
	p11_slot *s;
	p11_session *se;
	CK_RV rv = p11_session_acquire(h, &s, &se);
	if (rv != CKR_OK)
		return rv;
	if (!se->find_active) {
		rv = CKR_OPERATION_NOT_INITIALIZED;
	} else if (pulObjectCount == NULL || (phObject == NULL && ulMaxObjectCount)) {
		rv = CKR_ARGUMENTS_BAD;
	} else {
		CK_ULONG n = 0;
		while (n < ulMaxObjectCount && se->found_pos < se->nfound)
			phObject[n++] = se->found[se->found_pos++];
		*pulObjectCount = n;
	}
	return p11_session_done(s, se, rv);
}

CK_RV C_FindObjects(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE_PTR phObject,
		    CK_ULONG ulMaxObjectCount, CK_ULONG_PTR pulObjectCount)
{
	return p11_log_rv("C_FindObjects", find_objects(hSession, phObject,
						ulMaxObjectCount, pulObjectCount));
}

static CK_RV find_final(CK_SESSION_HANDLE h)
{
	p11_slot *s;
	p11_session *se;
	CK_RV rv = p11_session_acquire(h, &s, &se);
	if (rv != CKR_OK)
		return rv;
	if (!se->find_active) {
		rv = CKR_OPERATION_NOT_INITIALIZED;
	} else {
		free(se->found);
		se->found = NULL;
		se->nfound = se->found_pos = 0;
		se->find_active = 0;
	}
	return p11_session_done(s, se, rv);
}

CK_RV C_FindObjectsFinal(CK_SESSION_HANDLE hSession)
{
	return p11_log_rv("C_FindObjectsFinal", find_final(hSession));
}

/* ------------------------------------------------------- writes */

CK_OBJECT_HANDLE p11_objs_reload_find(p11_slot *s, const ukey_object *o)
{
	if (!s->token)
		return CK_INVALID_HANDLE;
	s->token->cls_valid = 0; /* our write: every cached class is stale */
	unsigned b = p11_cls_bit((int)o->cls);
	if (p11_token_load_classes(s, b == P11_CLS_OTHER ? P11_CLS_ALL : b) != CKR_OK ||
	    !s->token)
		return CK_INVALID_HANDLE;
	p11_token *t = s->token;
	for (size_t i = 0; i < t->nobjs; i++) {
		ukey_object *x = &t->objs[i].o;
		if (x->cls == o->cls && o->drv_ref_len &&
		    x->drv_ref_len == o->drv_ref_len &&
		    memcmp(x->drv_ref, o->drv_ref, o->drv_ref_len) == 0)
			return t->objs[i].handle;
	}
	/* Not listed (layout without such entries): keep our copy. */
	p11_obj *nv = realloc(t->objs, (t->nobjs + 1) * sizeof(*nv));
	if (!nv)
		return CK_INVALID_HANDLE;
	t->objs = nv;
	memset(&nv[t->nobjs], 0, sizeof(nv[0]));
	if (ukey_object_copy(&nv[t->nobjs].o, o) != 0)
		return CK_INVALID_HANDLE;
	nv[t->nobjs].handle = s->next_obj_handle++;
	return nv[t->nobjs++].handle;
}

/* Writes need a R/W session; private objects need the user. */
CK_RV p11_write_access(p11_slot *s, p11_session *se, int private_obj)
{
	if (!p11_session_is_rw(se))
		return CKR_SESSION_READ_ONLY;
	if (s->token->card.write_protected)
		return CKR_TOKEN_WRITE_PROTECTED;
	if (private_obj && s->token->login != CKU_USER)
		return CKR_USER_NOT_LOGGED_IN;
	return CKR_OK;
}

static CK_RV set_attribute_value(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE ho,
				 CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
	p11_slot *s;
	p11_session *se;
	CK_RV rv = p11_session_acquire(h, &s, &se);
	if (rv != CKR_OK)
		return rv;
	ukey_object copy;
	memset(&copy, 0, sizeof(copy));
	rv = p11_tmpl_check(pTemplate, ulCount);
	if (rv != CKR_OK)
		goto out;
	p11_obj *po;
	rv = obj_get(s, ho, &po);
	if (rv != CKR_OK)
		goto out;
	/* base §4.1.2: session objects may be changed in any session */
	rv = po->owner ? CKR_OK : p11_write_access(s, se, po->o.private_obj);
	if (rv != CKR_OK)
		goto out;
	if (!po->o.modifiable) {
		rv = CKR_ATTRIBUTE_READ_ONLY;
		goto out;
	}
	if (ukey_object_copy(&copy, &po->o) != 0) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	for (CK_ULONG i = 0; i < ulCount; i++) {
		const CK_ATTRIBUTE *a = &pTemplate[i];
		if (a->type == CKA_LABEL) {
			if (a->ulValueLen >= UKEY_LABEL_MAX) {
				rv = CKR_ATTRIBUTE_VALUE_INVALID;
				goto out;
			}
			memset(copy.label, 0, sizeof(copy.label));
			if (a->ulValueLen)
				memcpy(copy.label, a->pValue, a->ulValueLen);
		} else if (a->type == CKA_ID && copy.cls != UKEY_OBJ_DATA) {
			if (a->ulValueLen > UKEY_ID_MAX) {
				rv = CKR_ATTRIBUTE_VALUE_INVALID;
				goto out;
			}
			if (a->ulValueLen)
				memcpy(copy.id, a->pValue, a->ulValueLen);
			copy.id_len = a->ulValueLen;
		} else {
			/* Only label and ID are stored in directories we
			 * can rewrite. */
			const void *v;
			size_t l;
			p11_attr_tmp tmp = { .heap = NULL };
			CK_RV r = p11_attr_get(s, po, a->type, &v, &l, &tmp);
			int same = r == CKR_OK && l == a->ulValueLen &&
				   (!l || memcmp(v, a->pValue, l) == 0);
			p11_attr_tmp_free(&tmp);
			if (r == CKR_DEVICE_REMOVED) {
				rv = r;
				goto out;
			}
			if (!same) {
				rv = r == CKR_ATTRIBUTE_TYPE_INVALID
					     ? CKR_ATTRIBUTE_TYPE_INVALID
					     : CKR_ATTRIBUTE_READ_ONLY;
				goto out;
			}
		}
	}
	if (po->owner) {
		memcpy(po->o.label, copy.label, sizeof(copy.label));
		memcpy(po->o.id, copy.id, sizeof(copy.id));
		po->o.id_len = copy.id_len;
		goto out;
	}
	if (!s->token->card.drv->update_object) {
		rv = CKR_FUNCTION_NOT_SUPPORTED;
		goto out;
	}
	rv = p11_token_begin(s);
	if (rv != CKR_OK)
		goto out;
	ukey_rv r = s->token->card.drv->update_object(&s->token->card, &copy);
	p11_token_end(s);
	rv = p11_token_rv(s, r);
	if (rv == CKR_OK && s->token) {
		/* Our write: the cached list is stale. Update the entry in
		 * place so the handle stays, then re-read lazily. */
		po = p11_obj_find(s, ho);
		if (po) {
			memcpy(po->o.label, copy.label, sizeof(copy.label));
			memcpy(po->o.id, copy.id, sizeof(copy.id));
			po->o.id_len = copy.id_len;
		}
		p11_token_invalidate_objects(s);
	}
out:
	ukey_object_clear(&copy);
	return p11_session_done(s, se, rv);
}

CK_RV C_SetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
			  CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
	return p11_log_rv("C_SetAttributeValue",
			  set_attribute_value(hSession, hObject, pTemplate, ulCount));
}

static CK_RV destroy_object(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE ho)
{
	p11_slot *s;
	p11_session *se;
	CK_RV rv = p11_session_acquire(h, &s, &se);
	if (rv != CKR_OK)
		return rv;
	p11_obj *po;
	rv = obj_get(s, ho, &po);
	if (rv != CKR_OK)
		goto out;
	if (po->owner) {
		/* base §5.7 C_DestroyObject: a session object, in any session
		 * (R/O too) of the application; a session key's record leaves
		 * the card first */
		if (po->scratch) {
			if (!s->token->card.drv->delete_object) {
				rv = CKR_FUNCTION_NOT_SUPPORTED;
				goto out;
			}
			rv = p11_token_begin(s);
			if (rv != CKR_OK)
				goto out;
			po = p11_obj_find(s, ho);
			ukey_rv r = po ? s->token->card.drv->delete_object(&s->token->card, &po->o)
				       : UKEY_E_ARGS;
			p11_token_end(s);
			rv = po ? p11_token_rv(s, r) : CKR_OBJECT_HANDLE_INVALID;
			if (rv != CKR_OK)
				goto out;
			p11_token_invalidate_objects(s);
		}
		sobj_remove(s, ho);
		goto out;
	}
	rv = p11_write_access(s, se, po->o.private_obj);
	if (rv != CKR_OK)
		goto out;
	if (!s->token->card.drv->delete_object) {
		rv = CKR_FUNCTION_NOT_SUPPORTED;
		goto out;
	}
	rv = p11_token_begin(s);
	if (rv != CKR_OK)
		goto out;
	po = p11_obj_find(s, ho); /* still there after a possible rebind */
	ukey_rv r = po ? s->token->card.drv->delete_object(&s->token->card, &po->o)
		       : UKEY_E_ARGS;
	p11_token_end(s);
	rv = po ? p11_token_rv(s, r) : CKR_OBJECT_HANDLE_INVALID;
	if (s->token)
		p11_token_invalidate_objects(s);
out:
	return p11_session_done(s, se, rv);
}

CK_RV C_DestroyObject(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject)
{
	return p11_log_rv("C_DestroyObject", destroy_object(hSession, hObject));
}

/* ------------------------------------------------------ object size */

/* Every attribute an object of ours can have (p11_attr_get answers the
 * ones of its class, CKR_ATTRIBUTE_TYPE_INVALID for the others). */
static const CK_ATTRIBUTE_TYPE size_attrs[] = {
	CKA_CLASS, CKA_TOKEN, CKA_PRIVATE, CKA_MODIFIABLE, CKA_LABEL,
	CKA_COPYABLE, CKA_DESTROYABLE, CKA_CERTIFICATE_TYPE, CKA_TRUSTED,
	CKA_CERTIFICATE_CATEGORY, CKA_ID, CKA_VALUE, CKA_CHECK_VALUE,
	CKA_SUBJECT, CKA_ISSUER, CKA_SERIAL_NUMBER, CKA_START_DATE,
	CKA_END_DATE, CKA_PUBLIC_KEY_INFO, CKA_URL,
	CKA_HASH_OF_SUBJECT_PUBLIC_KEY, CKA_HASH_OF_ISSUER_PUBLIC_KEY,
	CKA_JAVA_MIDP_SECURITY_DOMAIN, CKA_NAME_HASH_ALGORITHM, CKA_KEY_TYPE,
	CKA_DERIVE, CKA_LOCAL, CKA_KEY_GEN_MECHANISM, CKA_ALLOWED_MECHANISMS,
	CKA_MODULUS, CKA_MODULUS_BITS, CKA_PUBLIC_EXPONENT, CKA_ENCRYPT,
	CKA_VERIFY, CKA_VERIFY_RECOVER, CKA_WRAP, CKA_SENSITIVE,
	CKA_ALWAYS_SENSITIVE, CKA_NEVER_EXTRACTABLE, CKA_EXTRACTABLE,
	CKA_DECRYPT, CKA_SIGN, CKA_SIGN_RECOVER, CKA_UNWRAP,
	CKA_WRAP_WITH_TRUSTED, CKA_ALWAYS_AUTHENTICATE, CKA_APPLICATION,
	CKA_OBJECT_ID,
};

/* base §5.7 C_GetObjectSize: "the size of the object in bytes" is ours to
 * define; the honest estimate is the sum of the value lengths of every
 * attribute the object has (sensitive values excluded: the card keeps
 * them and does not tell their size). */
static CK_RV get_object_size(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE ho,
			     CK_ULONG_PTR pulSize)
{
	p11_slot *s;
	p11_session *se;
	CK_RV rv = p11_session_acquire(h, &s, &se);
	if (rv != CKR_OK)
		return rv;
	if (pulSize == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	p11_obj *po;
	rv = obj_get(s, ho, &po);
	if (rv != CKR_OK)
		goto out;
	CK_ULONG total = 0;
	for (size_t i = 0; i < sizeof(size_attrs) / sizeof(size_attrs[0]); i++) {
		po = s->token ? p11_obj_find(s, ho) : NULL;
		if (!po || !p11_obj_visible(s, po)) {
			rv = s->token ? CKR_OBJECT_HANDLE_INVALID : CKR_DEVICE_REMOVED;
			goto out;
		}
		const void *val = NULL;
		size_t len = 0;
		p11_attr_tmp tmp = { .heap = NULL };
		CK_RV r = p11_attr_get(s, po, size_attrs[i], &val, &len, &tmp);
		p11_attr_tmp_free(&tmp);
		if (r == CKR_OK)
			total += len;
		else if (r != CKR_ATTRIBUTE_SENSITIVE &&
			 r != CKR_ATTRIBUTE_TYPE_INVALID) {
			rv = r;
			goto out;
		}
	}
	*pulSize = total;
out:
	return p11_session_done(s, se, rv);
}

CK_RV C_GetObjectSize(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
		      CK_ULONG_PTR pulSize)
{
	return p11_log_rv("C_GetObjectSize",
			  get_object_size(hSession, hObject, pulSize));
}
