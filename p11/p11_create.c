/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * C_CreateObject: X.509 certificates, data objects, RSA public keys (via
 * drv->write_object) and RSA private key import (drv->import_rsa);
 * session objects (CKA_TOKEN false: data, certificates, public keys) in
 * host memory; C_CopyObject.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "driver.h"

#include "p11_attr.h"
#include "p11_log.h"
#include "p11_mech.h"
#include "p11_object.h"
#include "p11_session.h"
#include "p11_slot.h"
#include "p11_tmpl.h"
#include "p11_token.h"

static CK_RV copy_label_id(const CK_ATTRIBUTE *t, CK_ULONG n, char *label,
			   uint8_t *id, size_t *id_len)
{
	const CK_ATTRIBUTE *a = p11_tmpl_find(t, n, CKA_LABEL);
	if (a) {
		if (a->ulValueLen >= UKEY_LABEL_MAX)
			return CKR_ATTRIBUTE_VALUE_INVALID;
		memcpy(label, a->pValue, a->ulValueLen);
		label[a->ulValueLen] = '\0';
	}
	a = p11_tmpl_find(t, n, CKA_ID);
	if (a && id) {
		if (a->ulValueLen > UKEY_ID_MAX)
			return CKR_ATTRIBUTE_VALUE_INVALID;
		if (a->ulValueLen)
			memcpy(id, a->pValue, a->ulValueLen);
		*id_len = a->ulValueLen;
	}
	return CKR_OK;
}

static CK_RV dup_attr(const CK_ATTRIBUTE *t, CK_ULONG n, CK_ATTRIBUTE_TYPE type,
		      int required, uint8_t **out, size_t *len)
{
	const CK_ATTRIBUTE *a = p11_tmpl_find(t, n, type);
	*out = NULL;
	*len = 0;
	if (!a)
		return required ? CKR_TEMPLATE_INCOMPLETE : CKR_OK;
	if (a->ulValueLen > 65536)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	if (a->ulValueLen == 0)
		return required ? CKR_ATTRIBUTE_VALUE_INVALID : CKR_OK;
	*out = malloc(a->ulValueLen);
	if (!*out)
		return CKR_HOST_MEMORY;
	memcpy(*out, a->pValue, a->ulValueLen);
	*len = a->ulValueLen;
	return CKR_OK;
}

/* Key usage from CKA_SIGN & co, with defaults when none is given. */
static unsigned usage_from(const CK_ATTRIBUTE *t, CK_ULONG n, int priv)
{
	static const struct { CK_ATTRIBUTE_TYPE a; unsigned u; } map[] = {
		{ CKA_SIGN, UKEY_USAGE_SIGN }, { CKA_DECRYPT, UKEY_USAGE_DECRYPT },
		{ CKA_UNWRAP, UKEY_USAGE_UNWRAP }, { CKA_SIGN_RECOVER, UKEY_USAGE_SIGN_RECOVER },
		{ CKA_VERIFY, UKEY_USAGE_VERIFY }, { CKA_ENCRYPT, UKEY_USAGE_ENCRYPT },
		{ CKA_WRAP, UKEY_USAGE_WRAP }, { CKA_VERIFY_RECOVER, UKEY_USAGE_SIGN_RECOVER },
	};
	unsigned u = 0;
	int any = 0;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		int b = p11_tmpl_bool(t, n, map[i].a);
		if (b >= 0)
			any = 1;
		if (b == 1)
			u |= map[i].u;
	}
	if (!any)
		u = priv ? UKEY_USAGE_SIGN | UKEY_USAGE_DECRYPT
			 : UKEY_USAGE_VERIFY | UKEY_USAGE_ENCRYPT;
	return u;
}

unsigned p11_usage_from_template(const CK_ATTRIBUTE *t, CK_ULONG n, int priv)
{
	return usage_from(t, n, priv);
}

static CK_RV build_object(const CK_ATTRIBUTE *t, CK_ULONG n,
			  CK_OBJECT_CLASS cls, ukey_object *o)
{
	CK_RV rv;
	int priv = p11_tmpl_bool(t, n, CKA_PRIVATE);
	if (priv == -2)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	o->modifiable = p11_tmpl_bool(t, n, CKA_MODIFIABLE) != 0;
	rv = copy_label_id(t, n, o->label, cls == CKO_DATA ? NULL : o->id,
			   &o->id_len);
	if (rv != CKR_OK)
		return rv;
	switch (cls) {
	case CKO_CERTIFICATE: {
		CK_ULONG ct;
		int r = p11_tmpl_ulong(t, n, CKA_CERTIFICATE_TYPE, &ct);
		if (r < 0)
			return CKR_ATTRIBUTE_VALUE_INVALID;
		if (r == 1 && ct != CKC_X_509)
			return CKR_ATTRIBUTE_VALUE_INVALID;
		o->cls = UKEY_OBJ_CERT;
		o->private_obj = priv == 1;
		rv = dup_attr(t, n, CKA_VALUE, 1, &o->value, &o->value_len);
		if (rv != CKR_OK)
			return rv;
		const unsigned char *p = o->value;
		X509 *x = d2i_X509(NULL, &p, (long)o->value_len);
		if (!x || p != o->value + o->value_len) {
			X509_free(x);
			return CKR_ATTRIBUTE_VALUE_INVALID;
		}
		X509_free(x);
		return CKR_OK;
	}
	case CKO_DATA: {
		o->cls = UKEY_OBJ_DATA;
		o->private_obj = priv == 1;
		const CK_ATTRIBUTE *a = p11_tmpl_find(t, n, CKA_APPLICATION);
		if (a) {
			if (a->ulValueLen >= UKEY_LABEL_MAX)
				return CKR_ATTRIBUTE_VALUE_INVALID;
			memcpy(o->application, a->pValue, a->ulValueLen);
		}
		rv = dup_attr(t, n, CKA_OBJECT_ID, 0, &o->oid_der, &o->oid_der_len);
		if (rv != CKR_OK)
			return rv;
		return dup_attr(t, n, CKA_VALUE, 0, &o->value, &o->value_len);
	}
	case CKO_PUBLIC_KEY: {
		CK_ULONG kt;
		if (p11_tmpl_ulong(t, n, CKA_KEY_TYPE, &kt) != 1)
			return CKR_TEMPLATE_INCOMPLETE;
		if (kt != CKK_RSA)
			return CKR_ATTRIBUTE_VALUE_INVALID;
		o->cls = UKEY_OBJ_PUBKEY;
		o->private_obj = priv == 1;
		o->usage = usage_from(t, n, 0);
		rv = dup_attr(t, n, CKA_MODULUS, 1, &o->modulus, &o->modulus_len);
		if (rv == CKR_OK)
			rv = dup_attr(t, n, CKA_PUBLIC_EXPONENT, 1, &o->pub_exp,
				      &o->pub_exp_len);
		if (rv == CKR_OK) {
			size_t i = 0;
			while (i < o->modulus_len && o->modulus[i] == 0)
				i++;
			o->key_bits = (unsigned)(o->modulus_len - i) * 8;
		}
		return rv;
	}
	default:
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
}

/* RSA private key import: every CRT component is required (the card
 * stores CRT keys; we do not recompute missing ones). */
static CK_RV import_private(p11_slot *s, const CK_ATTRIBUTE *t, CK_ULONG n,
			    CK_OBJECT_HANDLE *out)
{
	CK_ULONG kt;
	if (p11_tmpl_ulong(t, n, CKA_KEY_TYPE, &kt) != 1)
		return CKR_TEMPLATE_INCOMPLETE;
	if (kt != CKK_RSA)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	if (!s->token->card.drv->import_rsa)
		return CKR_FUNCTION_NOT_SUPPORTED;
	if (p11_tmpl_bool(t, n, CKA_SENSITIVE) == 0 ||
	    p11_tmpl_bool(t, n, CKA_EXTRACTABLE) == 1 ||
	    p11_tmpl_bool(t, n, CKA_PRIVATE) == 0)
		return CKR_ATTRIBUTE_VALUE_INVALID; /* we cannot honour it */
	static const CK_ATTRIBUTE_TYPE need[8] = {
		CKA_MODULUS, CKA_PUBLIC_EXPONENT, CKA_PRIVATE_EXPONENT, CKA_PRIME_1,
		CKA_PRIME_2, CKA_EXPONENT_1, CKA_EXPONENT_2, CKA_COEFFICIENT,
	};
	const CK_ATTRIBUTE *a[8];
	for (int i = 0; i < 8; i++) {
		a[i] = p11_tmpl_find(t, n, need[i]);
		if (!a[i])
			return CKR_TEMPLATE_INCOMPLETE;
		if (a[i]->ulValueLen == 0 || a[i]->ulValueLen > 1024)
			return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	ukey_keygen_params kp;
	memset(&kp, 0, sizeof(kp));
	CK_RV rv = copy_label_id(t, n, kp.label, kp.id, &kp.id_len);
	if (rv != CKR_OK)
		return rv;
	const uint8_t *nn = a[0]->pValue;
	size_t nl = a[0]->ulValueLen;
	while (nl && *nn == 0) {
		nn++;
		nl--;
	}
	if (!nl)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	unsigned bits = (unsigned)(nl - 1) * 8;
	for (uint8_t b = nn[0]; b; b >>= 1)
		bits++;
	if (!p11_mech_key_size_ok(s, bits))
		return CKR_KEY_SIZE_RANGE;
	kp.bits = bits;
	kp.usage = usage_from(t, n, 1);
	kp.private_obj = 1;
	ukey_rsa_material m = {
		.n = a[0]->pValue, .n_len = a[0]->ulValueLen,
		.e = a[1]->pValue, .e_len = a[1]->ulValueLen,
		.d = a[2]->pValue, .d_len = a[2]->ulValueLen,
		.p = a[3]->pValue, .p_len = a[3]->ulValueLen,
		.q = a[4]->pValue, .q_len = a[4]->ulValueLen,
		.dp = a[5]->pValue, .dp_len = a[5]->ulValueLen,
		.dq = a[6]->pValue, .dq_len = a[6]->ulValueLen,
		.qinv = a[7]->pValue, .qinv_len = a[7]->ulValueLen,
	};
	ukey_object priv;
	memset(&priv, 0, sizeof(priv));
	rv = p11_token_begin(s);
	if (rv != CKR_OK)
		return rv;
	ukey_rv r = s->token->card.drv->import_rsa(&s->token->card, &kp, &m, &priv);
	p11_token_end(s);
	rv = p11_token_rv(s, r);
	if (rv == CKR_OK) {
		priv.cls = UKEY_OBJ_PRIVKEY;
		*out = p11_objs_reload_find(s, &priv);
		if (*out == CK_INVALID_HANDLE)
			rv = s->token ? CKR_GENERAL_ERROR : CKR_DEVICE_REMOVED;
	}
	ukey_object_clear(&priv);
	return rv;
}

/* base §4.1.2, §5.7 C_CreateObject with CKA_TOKEN false: a session object
 * in host memory, allowed in R/O sessions too; a private one needs the
 * user logged in. Private keys never live in host memory: a session
 * private key would be a scratch key record on the card, which no driver
 * offers yet (CKR_TEMPLATE_INCONSISTENT, as before). */
static CK_RV create_session_object(p11_slot *s, p11_session *se,
				   const CK_ATTRIBUTE *t, CK_ULONG n,
				   CK_ULONG cls, int priv,
				   CK_OBJECT_HANDLE_PTR phObject)
{
	if (cls == CKO_PRIVATE_KEY || cls == CKO_SECRET_KEY)
		return CKR_TEMPLATE_INCONSISTENT;
	if (priv == 1 && s->token->login != CKU_USER)
		return CKR_USER_NOT_LOGGED_IN;
	ukey_object o;
	memset(&o, 0, sizeof(o));
	CK_RV rv = build_object(t, n, cls, &o);
	if (rv == CKR_OK)
		rv = p11_sobj_add(s, se, &o, phObject);
	ukey_object_clear(&o);
	return rv;
}

/* base §5.7 C_CopyObject: a data object, certificate or public key (token
 * or session) copied with the template's changes (CKA_TOKEN, CKA_PRIVATE,
 * CKA_LABEL, CKA_ID, CKA_MODIFIABLE): a session copy stays in host
 * memory, a token copy is written like C_CreateObject's. Private keys are
 * not copyable (CKA_COPYABLE false: CKR_ACTION_PROHIBITED). */
static CK_RV copy_object(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE ho,
			 CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount,
			 CK_OBJECT_HANDLE_PTR phNew)
{
	p11_slot *s;
	p11_session *se;
	CK_RV rv = p11_session_acquire(h, &s, &se);
	if (rv != CKR_OK)
		return rv;
	ukey_object o;
	memset(&o, 0, sizeof(o));
	if (phNew == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	rv = p11_tmpl_check(pTemplate, ulCount);
	if (rv != CKR_OK)
		goto out;
	p11_obj *po;
	rv = p11_obj_lookup(s, ho, &po);
	if (rv != CKR_OK)
		goto out;
	if (po->o.cls == UKEY_OBJ_PRIVKEY) {
		rv = CKR_ACTION_PROHIBITED;
		goto out;
	}
	rv = p11_obj_load_value(s, po);
	if (rv != CKR_OK)
		goto out;
	po = p11_obj_find(s, ho);
	if (!po) {
		rv = s->token ? CKR_OBJECT_HANDLE_INVALID : CKR_DEVICE_REMOVED;
		goto out;
	}
	if (ukey_object_copy(&o, &po->o) != 0) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	int tok = po->owner ? 0 : 1;
	for (CK_ULONG i = 0; i < ulCount; i++) {
		const CK_ATTRIBUTE *a = &pTemplate[i];
		int b = a->ulValueLen == sizeof(CK_BBOOL) ? *(CK_BBOOL *)a->pValue != 0 : -1;
		switch (a->type) {
		case CKA_TOKEN: case CKA_PRIVATE: case CKA_MODIFIABLE:
			if (b < 0) {
				rv = CKR_ATTRIBUTE_VALUE_INVALID;
				goto out;
			}
			if (a->type == CKA_TOKEN)
				tok = b;
			else if (a->type == CKA_PRIVATE)
				o.private_obj = b;
			else
				o.modifiable = b;
			break;
		case CKA_LABEL:
			if (a->ulValueLen >= UKEY_LABEL_MAX) {
				rv = CKR_ATTRIBUTE_VALUE_INVALID;
				goto out;
			}
			memset(o.label, 0, sizeof(o.label));
			if (a->ulValueLen)
				memcpy(o.label, a->pValue, a->ulValueLen);
			break;
		case CKA_ID:
			if (o.cls == UKEY_OBJ_DATA || a->ulValueLen > UKEY_ID_MAX) {
				rv = o.cls == UKEY_OBJ_DATA ? CKR_ATTRIBUTE_TYPE_INVALID
							    : CKR_ATTRIBUTE_VALUE_INVALID;
				goto out;
			}
			if (a->ulValueLen)
				memcpy(o.id, a->pValue, a->ulValueLen);
			o.id_len = a->ulValueLen;
			break;
		default:
			rv = CKR_ATTRIBUTE_READ_ONLY;
			goto out;
		}
	}
	if (o.private_obj && s->token->login != CKU_USER) {
		rv = CKR_USER_NOT_LOGGED_IN;
		goto out;
	}
	memset(o.drv_ref, 0, sizeof(o.drv_ref));
	o.drv_ref_len = 0;
	if (!tok) {
		rv = p11_sobj_add(s, se, &o, phNew);
		goto out;
	}
	rv = p11_write_access(s, se, o.private_obj);
	if (rv != CKR_OK)
		goto out;
	if (!s->token->card.drv->write_object) {
		rv = CKR_FUNCTION_NOT_SUPPORTED;
		goto out;
	}
	rv = p11_token_begin(s);
	if (rv != CKR_OK)
		goto out;
	ukey_rv ur = s->token->card.drv->write_object(&s->token->card, &o);
	p11_token_end(s);
	rv = p11_token_rv(s, ur);
	if (rv == CKR_OK) {
		*phNew = p11_objs_reload_find(s, &o);
		if (*phNew == CK_INVALID_HANDLE)
			rv = s->token ? CKR_GENERAL_ERROR : CKR_DEVICE_REMOVED;
	}
out:
	ukey_object_clear(&o);
	return p11_session_done(s, se, rv);
}

CK_RV C_CopyObject(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
		   CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount,
		   CK_OBJECT_HANDLE_PTR phNewObject)
{
	return p11_log_rv("C_CopyObject", copy_object(hSession, hObject, pTemplate,
						      ulCount, phNewObject));
}

static CK_RV create_object(CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR pTemplate,
			   CK_ULONG ulCount, CK_OBJECT_HANDLE_PTR phObject)
{
	p11_slot *s;
	p11_session *se;
	CK_RV rv = p11_session_acquire(h, &s, &se);
	if (rv != CKR_OK)
		return rv;
	ukey_object o;
	memset(&o, 0, sizeof(o));
	if (phObject == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	rv = p11_tmpl_check(pTemplate, ulCount);
	if (rv != CKR_OK)
		goto out;
	CK_ULONG cls;
	rv = p11_tmpl_ulong_need(pTemplate, ulCount, CKA_CLASS, &cls);
	if (rv != CKR_OK)
		goto out;
	int tok = p11_tmpl_bool(pTemplate, ulCount, CKA_TOKEN);
	if (tok == -2) {
		rv = CKR_ATTRIBUTE_VALUE_INVALID;
		goto out;
	}
	int priv = p11_tmpl_bool(pTemplate, ulCount, CKA_PRIVATE);
	if (tok == 0) {
		rv = create_session_object(s, se, pTemplate, ulCount, cls, priv,
					   phObject);
		goto out;
	}
	rv = p11_write_access(s, se, cls == CKO_PRIVATE_KEY || priv == 1);
	if (rv != CKR_OK)
		goto out;
	rv = p11_token_load_objects(s);
	if (rv != CKR_OK)
		goto out;
	if (cls == CKO_PRIVATE_KEY) {
		rv = import_private(s, pTemplate, ulCount, phObject);
		goto out;
	}
	rv = build_object(pTemplate, ulCount, cls, &o);
	if (rv != CKR_OK)
		goto out;
	if (!s->token->card.drv->write_object) {
		rv = CKR_FUNCTION_NOT_SUPPORTED;
		goto out;
	}
	rv = p11_token_begin(s);
	if (rv != CKR_OK)
		goto out;
	ukey_rv ur = s->token->card.drv->write_object(&s->token->card, &o);
	p11_token_end(s);
	rv = ur == UKEY_E_SW_REF_NOT_FOUND ? CKR_TEMPLATE_INCONSISTENT : p11_token_rv(s, ur);
	if (rv == CKR_OK) {
		*phObject = p11_objs_reload_find(s, &o);
		if (*phObject == CK_INVALID_HANDLE)
			rv = s->token ? CKR_GENERAL_ERROR : CKR_DEVICE_REMOVED;
	}
out:
	ukey_object_clear(&o);
	return p11_session_done(s, se, rv);
}

CK_RV C_CreateObject(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate,
		     CK_ULONG ulCount, CK_OBJECT_HANDLE_PTR phObject)
{
	return p11_log_rv("C_CreateObject",
			  create_object(hSession, pTemplate, ulCount, phObject));
}
