/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * C_GenerateKeyPair: RSA key pairs generated on the card. CKA_ID comes from
 * the templates or, when absent, the driver derives it from the public key
 * (SHA-1 of the modulus, as OpenSC does).
 */
#include <stdlib.h>
#include <string.h>

#include "driver.h"

#include "p11_log.h"
#include "p11_mech.h"
#include "p11_object.h"
#include "p11_scratch.h"
#include "p11_session.h"
#include "p11_slot.h"
#include "p11_tmpl.h"
#include "p11_token.h"

/* What the card cannot do must be refused, not silently ignored. */
static CK_RV check_templates(const CK_ATTRIBUTE *pub, CK_ULONG npub,
			     const CK_ATTRIBUTE *priv, CK_ULONG npriv)
{
	if (p11_tmpl_bool(priv, npriv, CKA_SENSITIVE) == 0 ||
	    p11_tmpl_bool(priv, npriv, CKA_EXTRACTABLE) == 1 ||
	    p11_tmpl_bool(priv, npriv, CKA_PRIVATE) == 0)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	CK_ULONG cls;
	int r = p11_tmpl_ulong(pub, npub, CKA_CLASS, &cls);
	if (r < 0 || (r == 1 && cls != CKO_PUBLIC_KEY))
		return CKR_TEMPLATE_INCONSISTENT;
	r = p11_tmpl_ulong(priv, npriv, CKA_CLASS, &cls);
	if (r < 0 || (r == 1 && cls != CKO_PRIVATE_KEY))
		return CKR_TEMPLATE_INCONSISTENT;
	CK_ULONG kt;
	r = p11_tmpl_ulong(pub, npub, CKA_KEY_TYPE, &kt);
	if (r < 0 || (r == 1 && kt != CKK_RSA))
		return CKR_TEMPLATE_INCONSISTENT;
	r = p11_tmpl_ulong(priv, npriv, CKA_KEY_TYPE, &kt);
	if (r < 0 || (r == 1 && kt != CKK_RSA))
		return CKR_TEMPLATE_INCONSISTENT;
	/* The card generates with e = 65537 only. */
	const CK_ATTRIBUTE *e = p11_tmpl_find(pub, npub, CKA_PUBLIC_EXPONENT);
	if (e) {
		static const uint8_t f4[] = { 0x01, 0x00, 0x01 };
		const uint8_t *p = e->pValue;
		size_t l = e->ulValueLen;
		while (l && *p == 0) {
			p++;
			l--;
		}
		if (l != 3 || memcmp(p, f4, 3) != 0)
			return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	return CKR_OK;
}

/* The generated pair as session objects of se (scratch records). */
static CK_RV session_keys(p11_slot *s, p11_session *se,
			  const ukey_keygen_params *kp, const char *label,
			  ukey_object *opub, ukey_object *opriv,
			  CK_OBJECT_HANDLE_PTR phPub, CK_OBJECT_HANDLE_PTR phPriv)
{
	ukey_object *ko[2] = { opriv, opub };
	CK_OBJECT_HANDLE *hs[2] = { phPriv, phPub };
	for (int i = 0; i < 2; i++) {
		ukey_object *o = ko[i];
		memcpy(o->label, label, sizeof(o->label)); /* UKEY_LABEL_MAX */
		if (!o->id_len && kp->id_len) {
			memcpy(o->id, kp->id, kp->id_len);
			o->id_len = kp->id_len;
		}
		if (!o->usage)
			o->usage = kp->usage;
		if (!o->key_bits)
			o->key_bits = kp->bits;
		o->native = 1;
		o->private_obj = i == 0;
		if (!opriv->modulus && opub->modulus && i == 0) {
			/* the private key's modulus, for its size and links */
			opriv->modulus = malloc(opub->modulus_len);
			if (opriv->modulus) {
				memcpy(opriv->modulus, opub->modulus, opub->modulus_len);
				opriv->modulus_len = opub->modulus_len;
			}
		}
		CK_RV rv = p11_sobj_add(s, se, o, hs[i]);
		if (rv != CKR_OK)
			return rv; /* reclaimed by the next listing */
		p11_obj_find(s, *hs[i])->scratch = 1;
	}
	p11_log("C_GenerateKeyPair: session key pair, handles 0x%lx/0x%lx",
		(unsigned long)*phPub, (unsigned long)*phPriv);
	return CKR_OK;
}

static CK_RV generate_key_pair(CK_SESSION_HANDLE h, CK_MECHANISM_PTR pMech,
			       CK_ATTRIBUTE_PTR pub, CK_ULONG npub,
			       CK_ATTRIBUTE_PTR priv, CK_ULONG npriv,
			       CK_OBJECT_HANDLE_PTR phPub, CK_OBJECT_HANDLE_PTR phPriv)
{
	p11_slot *s;
	p11_session *se;
	CK_RV rv = p11_session_acquire(h, &s, &se);
	if (rv != CKR_OK)
		return rv;
	ukey_object opub, opriv;
	memset(&opub, 0, sizeof(opub));
	memset(&opriv, 0, sizeof(opriv));
	if (!pMech || !phPub || !phPriv) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if ((rv = p11_tmpl_check(pub, npub)) != CKR_OK ||
	    (rv = p11_tmpl_check(priv, npriv)) != CKR_OK)
		goto out;
	if (pMech->mechanism != CKM_RSA_PKCS_KEY_PAIR_GEN) {
		rv = CKR_MECHANISM_INVALID;
		goto out;
	}
	if (!s->token->card.drv->generate_rsa) {
		rv = CKR_MECHANISM_INVALID;
		goto out;
	}
	rv = check_templates(pub, npub, priv, npriv);
	if (rv != CKR_OK)
		goto out;
	/* base §4.1.2: a session key pair (CKA_TOKEN false) may be made in
	 * any session; its private key is a scratch record on the card
	 * (p11_scratch.c), never a host key. Both keys are session objects. */
	int stok = p11_tmpl_bool(priv, npriv, CKA_TOKEN);
	int ptok = p11_tmpl_bool(pub, npub, CKA_TOKEN);
	int session_pair = stok == 0;
	if (stok == -2 || ptok == -2) {
		rv = CKR_ATTRIBUTE_VALUE_INVALID;
		goto out;
	}
	if ((stok == 0) != (ptok == 0)) {
		rv = CKR_TEMPLATE_INCONSISTENT; /* one on the card, one not */
		goto out;
	}
	if (session_pair) {
		if (s->token->card.write_protected)
			rv = CKR_TOKEN_WRITE_PROTECTED;
		else if (s->token->login != CKU_USER)
			rv = CKR_USER_NOT_LOGGED_IN;
		else if (!s->token->card.drv->delete_object)
			rv = CKR_TEMPLATE_INCONSISTENT; /* could not take it away */
	} else {
		rv = p11_write_access(s, se, 1);
	}
	if (rv != CKR_OK)
		goto out;
	CK_ULONG bits;
	rv = p11_tmpl_ulong_need(pub, npub, CKA_MODULUS_BITS, &bits);
	if (rv != CKR_OK)
		goto out;
	if (!p11_mech_key_size_ok(s, bits)) {
		rv = CKR_KEY_SIZE_RANGE;
		goto out;
	}
	ukey_keygen_params kp;
	memset(&kp, 0, sizeof(kp));
	kp.bits = (unsigned)bits;
	kp.private_obj = 1;
	kp.usage = p11_usage_from_template(priv, npriv, 1) |
		   p11_usage_from_template(pub, npub, 0);
	/* ID and label: the private template wins, the public one is the
	 * fallback (pkcs11-tool sets both to the same). */
	const CK_ATTRIBUTE *a = p11_tmpl_find(priv, npriv, CKA_ID);
	if (!a)
		a = p11_tmpl_find(pub, npub, CKA_ID);
	if (a) {
		if (a->ulValueLen > UKEY_ID_MAX) {
			rv = CKR_ATTRIBUTE_VALUE_INVALID;
			goto out;
		}
		if (a->ulValueLen)
			memcpy(kp.id, a->pValue, a->ulValueLen);
		kp.id_len = a->ulValueLen;
	}
	a = p11_tmpl_find(priv, npriv, CKA_LABEL);
	if (!a)
		a = p11_tmpl_find(pub, npub, CKA_LABEL);
	if (a) {
		if (a->ulValueLen >= UKEY_LABEL_MAX) {
			rv = CKR_ATTRIBUTE_VALUE_INVALID;
			goto out;
		}
		if (a->ulValueLen)
			memcpy(kp.label, a->pValue, a->ulValueLen);
	}
	char user_label[UKEY_LABEL_MAX];
	memcpy(user_label, kp.label, sizeof(user_label));
	if (session_pair)
		p11_scratch_label(kp.label, sizeof(kp.label));
	rv = p11_token_load_objects(s);
	if (rv != CKR_OK)
		goto out;
	rv = p11_token_begin(s);
	if (rv != CKR_OK)
		goto out;
	ukey_rv ur = s->token->card.drv->generate_rsa(&s->token->card, &kp,
						      &opub, &opriv);
	p11_token_end(s);
	if (ur == UKEY_E_ARGS)
		rv = CKR_KEY_SIZE_RANGE; /* the driver refused the parameters */
	else
		rv = p11_token_rv(s, ur);
	if (rv != CKR_OK)
		goto out;
	opub.cls = UKEY_OBJ_PUBKEY;
	opriv.cls = UKEY_OBJ_PRIVKEY;
	if (session_pair) {
		p11_token_invalidate_objects(s);
		rv = session_keys(s, se, &kp, user_label, &opub, &opriv, phPub,
				  phPriv);
		goto out;
	}
	*phPriv = p11_objs_reload_find(s, &opriv);
	*phPub = s->token ? p11_objs_reload_find(s, &opub) : CK_INVALID_HANDLE;
	if (*phPub == CK_INVALID_HANDLE || *phPriv == CK_INVALID_HANDLE)
		rv = s->token ? CKR_GENERAL_ERROR : CKR_DEVICE_REMOVED;
	p11_log("C_GenerateKeyPair: %lu-bit key, handles 0x%lx/0x%lx",
		(unsigned long)bits, (unsigned long)*phPub,
		(unsigned long)*phPriv);
out:
	ukey_object_clear(&opub);
	ukey_object_clear(&opriv);
	return p11_session_done(s, se, rv);
}

CK_RV C_GenerateKeyPair(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
			CK_ATTRIBUTE_PTR pPublicKeyTemplate,
			CK_ULONG ulPublicKeyAttributeCount,
			CK_ATTRIBUTE_PTR pPrivateKeyTemplate,
			CK_ULONG ulPrivateKeyAttributeCount,
			CK_OBJECT_HANDLE_PTR phPublicKey,
			CK_OBJECT_HANDLE_PTR phPrivateKey)
{
	return p11_log_rv("C_GenerateKeyPair",
			  generate_key_pair(hSession, pMechanism, pPublicKeyTemplate,
					    ulPublicKeyAttributeCount,
					    pPrivateKeyTemplate,
					    ulPrivateKeyAttributeCount,
					    phPublicKey, phPrivateKey));
}
