/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The attributes of token objects (PKCS#11 v2.40 §4): common storage
 * attributes, X.509 certificates (fields derived from the DER with OpenSSL,
 * the DER being treated as hostile), RSA public and private keys, data
 * objects.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "driver.h"

#include "p11_attr.h"
#include "p11_mech.h"
#include "p11_object.h"
#include "p11_rsa.h"
#include "p11_slot.h"
#include "p11_token.h"

void p11_attr_tmp_free(p11_attr_tmp *t)
{
	free(t->heap);
	t->heap = NULL;
}

void p11_obj_clear(p11_obj *po)
{
	ukey_object_clear(&po->o);
	free(po->subject);
	free(po->issuer);
	free(po->serial);
	free(po->spki);
	memset(po, 0, sizeof(*po));
}

static uint8_t *dup_i2d_name(const X509_NAME *n, size_t *len)
{
	unsigned char *der = NULL;
	int l = i2d_X509_NAME(n, &der);
	if (l <= 0)
		return NULL;
	uint8_t *out = malloc((size_t)l);
	if (out)
		memcpy(out, der, (size_t)l);
	OPENSSL_free(der);
	*len = out ? (size_t)l : 0;
	return out;
}

static int asn1_time_to_ckdate(const ASN1_TIME *t, CK_DATE *d)
{
	struct tm tm;
	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	char buf[40];
	int y = tm.tm_year + 1900;
	if (y < 0 || y > 9999 || tm.tm_mon < 0 || tm.tm_mon > 11 ||
	    tm.tm_mday < 1 || tm.tm_mday > 31)
		return 0;
	snprintf(buf, sizeof(buf), "%04d%02d%02d", y, tm.tm_mon + 1,
		 tm.tm_mday);
	memcpy(d->year, buf, 4);
	memcpy(d->month, buf + 4, 2);
	memcpy(d->day, buf + 6, 2);
	return 1;
}

/* Derive subject/issuer/serial/SPKI/dates from a certificate's DER. A
 * malformed certificate leaves them absent (attributes then empty). */
static void derive_cert(p11_obj *po)
{
	po->derived = 1;
	if (!po->o.value || po->o.value_len == 0 || po->o.value_len > 65536)
		return;
	const unsigned char *p = po->o.value;
	X509 *x = d2i_X509(NULL, &p, (long)po->o.value_len);
	if (!x)
		return;
	po->subject = dup_i2d_name(X509_get_subject_name(x), &po->subject_len);
	po->issuer = dup_i2d_name(X509_get_issuer_name(x), &po->issuer_len);
	unsigned char *der = NULL;
	int l = i2d_ASN1_INTEGER(X509_get0_serialNumber(x), &der);
	if (l > 0 && (po->serial = malloc((size_t)l)) != NULL) {
		memcpy(po->serial, der, (size_t)l);
		po->serial_len = (size_t)l;
	}
	OPENSSL_free(der);
	der = NULL;
	l = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	if (l > 0 && (po->spki = malloc((size_t)l)) != NULL) {
		memcpy(po->spki, der, (size_t)l);
		po->spki_len = (size_t)l;
	}
	OPENSSL_free(der);
	po->has_dates = asn1_time_to_ckdate(X509_get0_notBefore(x), &po->start) &&
			asn1_time_to_ckdate(X509_get0_notAfter(x), &po->end);
	X509_free(x);
}

CK_RV p11_obj_load_value(p11_slot *s, p11_obj *po)
{
	ukey_object *o = &po->o;
	if ((o->cls == UKEY_OBJ_CERT || o->cls == UKEY_OBJ_DATA) && !o->value &&
	    o->value_len > 0) {
		const ukey_driver *d = s->token->card.drv;
		if (!d->read_value)
			return CKR_DEVICE_ERROR;
		CK_RV rv = p11_token_begin(s);
		if (rv != CKR_OK)
			return rv;
		ukey_rv r = d->read_value(&s->token->card, o);
		p11_token_end(s);
		rv = p11_token_rv(s, r);
		if (rv != CKR_OK)
			return rv;
		if (!o->value)
			o->value_len = 0;
	}
	if (o->cls == UKEY_OBJ_CERT && !po->derived)
		derive_cert(po);
	return CKR_OK;
}

/* Keys without modulus/exponent in their directory entry take them from
 * the public key or certificate with the same CKA_ID. */
void p11_objs_link(p11_token *t)
{
	for (size_t i = 0; i < t->nobjs; i++) {
		ukey_object *k = &t->objs[i].o;
		if (k->cls != UKEY_OBJ_PRIVKEY && k->cls != UKEY_OBJ_PUBKEY)
			continue;
		if (k->modulus && k->pub_exp)
			continue;
		for (size_t j = 0; j < t->nobjs; j++) {
			ukey_object *o = &t->objs[j].o;
			if (j == i || o->cls != UKEY_OBJ_PUBKEY ||
			    !p11_obj_current(t, &t->objs[j]) || !o->modulus ||
			    !o->pub_exp || o->id_len != k->id_len ||
			    memcmp(o->id, k->id, k->id_len) != 0)
				continue;
			uint8_t *n = malloc(o->modulus_len);
			uint8_t *e = malloc(o->pub_exp_len);
			if (!n || !e) {
				free(n);
				free(e);
				break;
			}
			memcpy(n, o->modulus, o->modulus_len);
			memcpy(e, o->pub_exp, o->pub_exp_len);
			free(k->modulus);
			free(k->pub_exp);
			k->modulus = n;
			k->modulus_len = o->modulus_len;
			k->pub_exp = e;
			k->pub_exp_len = o->pub_exp_len;
			break;
		}
		if (k->modulus && !k->key_bits) {
			size_t i0 = 0;
			while (i0 < k->modulus_len && k->modulus[i0] == 0)
				i0++;
			if (i0 < k->modulus_len) {
				unsigned bits = (unsigned)(k->modulus_len - i0 - 1) * 8;
				for (uint8_t b = k->modulus[i0]; b; b >>= 1)
					bits++;
				k->key_bits = bits;
			}
		}
	}
}

/* The modulus size of a key is needed for every operation; when the
 * directory entry did not give it and no public key object exists, the
 * certificate with the same CKA_ID tells it. */
CK_RV p11_key_from_cert(p11_slot *s, CK_OBJECT_HANDLE hkey)
{
	p11_obj *k = p11_obj_find(s, hkey);
	if (!k || k->o.modulus || !k->o.id_len)
		return CKR_OK;
	p11_obj *c = NULL;
	for (size_t i = 0; i < s->token->nobjs && !c; i++) {
		ukey_object *o = &s->token->objs[i].o;
		if (o->cls == UKEY_OBJ_CERT &&
		    p11_obj_current(s->token, &s->token->objs[i]) &&
		    o->id_len == k->o.id_len &&
		    memcmp(o->id, k->o.id, o->id_len) == 0)
			c = &s->token->objs[i];
	}
	if (!c)
		return CKR_OK;
	CK_RV rv = p11_obj_load_value(s, c);
	if (rv != CKR_OK)
		return rv;
	k = p11_obj_find(s, hkey); /* the list may have been re-read */
	if (!k || !c->o.value)
		return CKR_OK;
	const unsigned char *p = c->o.value;
	X509 *x = d2i_X509(NULL, &p, (long)c->o.value_len);
	EVP_PKEY *pk = x ? X509_get0_pubkey(x) : NULL;
	BIGNUM *n = NULL, *e = NULL;
	if (pk && EVP_PKEY_is_a(pk, "RSA") &&
	    EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &n) &&
	    EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &e)) {
		size_t nl = (size_t)BN_num_bytes(n), el = (size_t)BN_num_bytes(e);
		uint8_t *nb = malloc(nl ? nl : 1), *eb = malloc(el ? el : 1);
		if (nb && eb && nl && el) {
			BN_bn2bin(n, nb);
			BN_bn2bin(e, eb);
			free(k->o.pub_exp);
			k->o.modulus = nb;
			k->o.modulus_len = nl;
			k->o.pub_exp = eb;
			k->o.pub_exp_len = el;
			if (!k->o.key_bits)
				k->o.key_bits = (unsigned)BN_num_bits(n);
			nb = eb = NULL;
		}
		free(nb);
		free(eb);
	}
	BN_free(n);
	BN_free(e);
	X509_free(x);
	return CKR_OK;
}

unsigned p11_attr_deps(ukey_obj_class cls, const ukey_object *o,
		       CK_ATTRIBUTE_TYPE type)
{
	const unsigned pub = P11_CLS_BIT(UKEY_OBJ_PUBKEY) | P11_CLS_BIT(UKEY_OBJ_CERT);
	switch (cls) {
	case UKEY_OBJ_CERT:
		return type == CKA_CERTIFICATE_CATEGORY ? P11_CLS_BIT(UKEY_OBJ_PRIVKEY) : 0;
	case UKEY_OBJ_PUBKEY:
	case UKEY_OBJ_PRIVKEY:
		switch (type) {
		case CKA_SUBJECT:
			return P11_CLS_BIT(UKEY_OBJ_CERT);
		case CKA_MODULUS:
		case CKA_PUBLIC_EXPONENT:
		case CKA_PUBLIC_KEY_INFO:
			return !o || !o->modulus || !o->pub_exp ? pub : 0;
		case CKA_MODULUS_BITS:
			return !o || (!o->modulus && !o->key_bits) ? pub : 0;
		default:
			return 0;
		}
	default:
		return 0;
	}
}

static CK_OBJECT_CLASS ck_class(ukey_obj_class c)
{
	switch (c) {
	case UKEY_OBJ_CERT: return CKO_CERTIFICATE;
	case UKEY_OBJ_PUBKEY: return CKO_PUBLIC_KEY;
	case UKEY_OBJ_PRIVKEY: return CKO_PRIVATE_KEY;
	default: return CKO_DATA;
	}
}

static CK_RV put_bool(p11_attr_tmp *t, int v, const void **val, size_t *len)
{
	t->small[0] = v ? CK_TRUE : CK_FALSE;
	*val = t->small;
	*len = sizeof(CK_BBOOL);
	return CKR_OK;
}

static CK_RV put_ulong(p11_attr_tmp *t, CK_ULONG v, const void **val,
		       size_t *len)
{
	memcpy(t->small, &v, sizeof(v));
	*val = t->small;
	*len = sizeof(CK_ULONG);
	return CKR_OK;
}

static CK_RV put_bytes(const void *p, size_t n, const void **val, size_t *len)
{
	*val = p ? p : (const void *)"";
	*len = p ? n : 0;
	return CKR_OK;
}

/* The certificate with the same ID as a key (for CKA_SUBJECT of keys). */
static p11_obj *cert_for(p11_slot *s, const ukey_object *k)
{
	p11_token *t = s->token;
	for (size_t i = 0; i < t->nobjs; i++) {
		ukey_object *o = &t->objs[i].o;
		if (o->cls == UKEY_OBJ_CERT && p11_obj_current(t, &t->objs[i]) &&
		    o->id_len == k->id_len &&
		    k->id_len && memcmp(o->id, k->id, k->id_len) == 0 &&
		    (!o->private_obj || t->login == CKU_USER))
			return &t->objs[i];
	}
	return NULL;
}

static int has_privkey(p11_slot *s, const ukey_object *c)
{
	p11_token *t = s->token;
	for (size_t i = 0; i < t->nobjs; i++) {
		ukey_object *o = &t->objs[i].o;
		if (o->cls == UKEY_OBJ_PRIVKEY && p11_obj_current(t, &t->objs[i]) &&
		    o->id_len == c->id_len &&
		    c->id_len && memcmp(o->id, c->id, c->id_len) == 0)
			return 1;
	}
	return 0;
}

static CK_RV attr_common(p11_obj *po, CK_ATTRIBUTE_TYPE type,
			 const void **val, size_t *len, p11_attr_tmp *tmp,
			 int *done)
{
	const ukey_object *o = &po->o;
	*done = 1;
	switch (type) {
	case CKA_CLASS: return put_ulong(tmp, ck_class(o->cls), val, len);
	case CKA_TOKEN: return put_bool(tmp, !po->owner, val, len);
	case CKA_PRIVATE: return put_bool(tmp, o->private_obj, val, len);
	case CKA_MODIFIABLE: return put_bool(tmp, o->modifiable, val, len);
	case CKA_LABEL: return put_bytes(o->label, strlen(o->label), val, len);
	/* objects held in host memory (session objects, data objects,
	 * certificates, public keys) can be copied; private keys cannot */
	case CKA_COPYABLE:
		return put_bool(tmp, o->cls != UKEY_OBJ_PRIVKEY, val, len);
	case CKA_DESTROYABLE: return put_bool(tmp, 1, val, len);
	default: *done = 0; return CKR_OK;
	}
}

static CK_RV attr_cert(p11_slot *s, p11_obj *po, CK_ATTRIBUTE_TYPE type,
		       const void **val, size_t *len, p11_attr_tmp *tmp)
{
	const ukey_object *o = &po->o;
	CK_RV rv;
	switch (type) {
	case CKA_CERTIFICATE_TYPE: return put_ulong(tmp, CKC_X_509, val, len);
	case CKA_TRUSTED: return put_bool(tmp, 0, val, len);
	case CKA_CERTIFICATE_CATEGORY:
		/* 1 = token user: we hold the matching private key */
		return put_ulong(tmp, has_privkey(s, o) ? 1 : 0, val, len);
	case CKA_ID: return put_bytes(o->id, o->id_len, val, len);
	case CKA_URL:
	case CKA_HASH_OF_SUBJECT_PUBLIC_KEY:
	case CKA_HASH_OF_ISSUER_PUBLIC_KEY:
		return put_bytes(NULL, 0, val, len);
	case CKA_JAVA_MIDP_SECURITY_DOMAIN: return put_ulong(tmp, 0, val, len);
	case CKA_NAME_HASH_ALGORITHM: return put_ulong(tmp, CKM_SHA_1, val, len);
	case CKA_VALUE: case CKA_CHECK_VALUE: case CKA_SUBJECT:
	case CKA_ISSUER: case CKA_SERIAL_NUMBER: case CKA_START_DATE:
	case CKA_END_DATE: case CKA_PUBLIC_KEY_INFO:
		break;
	default: return CKR_ATTRIBUTE_TYPE_INVALID;
	}
	rv = p11_obj_load_value(s, po);
	if (rv != CKR_OK)
		return rv;
	switch (type) {
	case CKA_VALUE: return put_bytes(o->value, o->value_len, val, len);
	case CKA_CHECK_VALUE: {
		uint8_t md[SHA_DIGEST_LENGTH];
		if (!o->value)
			return put_bytes(NULL, 0, val, len);
		SHA1(o->value, o->value_len, md);
		memcpy(tmp->small, md, 3);
		return put_bytes(tmp->small, 3, val, len);
	}
	case CKA_SUBJECT: return put_bytes(po->subject, po->subject_len, val, len);
	case CKA_ISSUER: return put_bytes(po->issuer, po->issuer_len, val, len);
	case CKA_SERIAL_NUMBER: return put_bytes(po->serial, po->serial_len, val, len);
	case CKA_PUBLIC_KEY_INFO: return put_bytes(po->spki, po->spki_len, val, len);
	case CKA_START_DATE:
		return po->has_dates ? put_bytes(&po->start, sizeof(CK_DATE), val, len)
				     : put_bytes(NULL, 0, val, len);
	default: /* CKA_END_DATE */
		return po->has_dates ? put_bytes(&po->end, sizeof(CK_DATE), val, len)
				     : put_bytes(NULL, 0, val, len);
	}
}

static CK_RV attr_key(p11_slot *s, p11_obj *po, CK_ATTRIBUTE_TYPE type,
		      const void **val, size_t *len, p11_attr_tmp *tmp)
{
	const ukey_object *o = &po->o;
	int priv = o->cls == UKEY_OBJ_PRIVKEY;
	unsigned u = o->usage;
	if (!o->modulus && (type == CKA_MODULUS || type == CKA_MODULUS_BITS ||
			    type == CKA_PUBLIC_EXPONENT ||
			    type == CKA_PUBLIC_KEY_INFO)) {
		CK_RV rv = p11_key_from_cert(s, po->handle);
		if (rv != CKR_OK)
			return rv;
	}
	switch (type) {
	case CKA_KEY_TYPE: return put_ulong(tmp, CKK_RSA, val, len);
	case CKA_ID: return put_bytes(o->id, o->id_len, val, len);
	case CKA_START_DATE:
	case CKA_END_DATE: return put_bytes(NULL, 0, val, len);
	case CKA_DERIVE: return put_bool(tmp, 0, val, len);
	case CKA_LOCAL: return put_bool(tmp, o->native, val, len);
	case CKA_KEY_GEN_MECHANISM:
		return put_ulong(tmp, o->native ? CKM_RSA_PKCS_KEY_PAIR_GEN
						: CK_UNAVAILABLE_INFORMATION,
				 val, len);
	case CKA_SUBJECT: {
		p11_obj *c = cert_for(s, o);
		if (c) {
			CK_RV rv = p11_obj_load_value(s, c);
			if (rv == CKR_DEVICE_REMOVED)
				return rv; /* objects are gone */
			if (rv == CKR_OK && c->subject)
				return put_bytes(c->subject, c->subject_len,
						 val, len);
		}
		return put_bytes(NULL, 0, val, len);
	}
	case CKA_MODULUS:
		if (!o->modulus)
			return CKR_ATTRIBUTE_TYPE_INVALID;
		return put_bytes(o->modulus, o->modulus_len, val, len);
	case CKA_MODULUS_BITS:
		if (!o->key_bits)
			return CKR_ATTRIBUTE_TYPE_INVALID;
		return put_ulong(tmp, o->key_bits, val, len);
	case CKA_PUBLIC_EXPONENT:
		if (!o->pub_exp)
			return CKR_ATTRIBUTE_TYPE_INVALID;
		return put_bytes(o->pub_exp, o->pub_exp_len, val, len);
	case CKA_PUBLIC_KEY_INFO: {
		uint8_t *der = NULL;
		size_t dl = 0;
		if (!o->modulus || !o->pub_exp)
			return put_bytes(NULL, 0, val, len);
		CK_RV rv = p11_rsa_spki(o->modulus, o->modulus_len, o->pub_exp,
					o->pub_exp_len, &der, &dl);
		if (rv != CKR_OK)
			return rv;
		free(tmp->heap);
		tmp->heap = der;
		return put_bytes(der, dl, val, len);
	}
	case CKA_ALLOWED_MECHANISMS: {
		/* base §4.6 (v2.40 common key attributes): the list of
		 * mechanisms the key may be used with. */
		size_t n = p11_mech_for_key(s, priv, NULL, 0);
		CK_MECHANISM_TYPE *l = calloc(n ? n : 1, sizeof(*l));
		if (!l)
			return CKR_HOST_MEMORY;
		p11_mech_for_key(s, priv, l, n);
		free(tmp->heap);
		tmp->heap = (uint8_t *)l;
		return put_bytes(l, n * sizeof(*l), val, len);
	}
	default:
		break;
	}
	if (!priv) {
		switch (type) {
		case CKA_ENCRYPT:
			return put_bool(tmp, u & (UKEY_USAGE_ENCRYPT | UKEY_USAGE_DECRYPT), val, len);
		case CKA_VERIFY:
			return put_bool(tmp, u & (UKEY_USAGE_VERIFY | UKEY_USAGE_SIGN |
						  UKEY_USAGE_NONREPUDIATION), val, len);
		case CKA_VERIFY_RECOVER:
			return put_bool(tmp, u & UKEY_USAGE_SIGN_RECOVER, val, len);
		case CKA_WRAP:
			return put_bool(tmp, u & (UKEY_USAGE_WRAP | UKEY_USAGE_UNWRAP), val, len);
		case CKA_TRUSTED: return put_bool(tmp, 0, val, len);
		default: return CKR_ATTRIBUTE_TYPE_INVALID;
		}
	}
	switch (type) {
	case CKA_SENSITIVE:
	case CKA_ALWAYS_SENSITIVE: /* imported keys were never in the clear here */
		return put_bool(tmp, type == CKA_SENSITIVE || o->native, val, len);
	case CKA_NEVER_EXTRACTABLE: return put_bool(tmp, o->native, val, len);
	case CKA_EXTRACTABLE: return put_bool(tmp, 0, val, len);
	case CKA_DECRYPT: return put_bool(tmp, u & UKEY_USAGE_DECRYPT, val, len);
	case CKA_SIGN:
		return put_bool(tmp, u & (UKEY_USAGE_SIGN | UKEY_USAGE_NONREPUDIATION),
				val, len);
	case CKA_SIGN_RECOVER: return put_bool(tmp, 0, val, len);
	case CKA_UNWRAP: return put_bool(tmp, u & UKEY_USAGE_UNWRAP, val, len);
	case CKA_WRAP_WITH_TRUSTED: return put_bool(tmp, 0, val, len);
	case CKA_ALWAYS_AUTHENTICATE: return put_bool(tmp, 0, val, len);
	case CKA_PRIVATE_EXPONENT: case CKA_PRIME_1: case CKA_PRIME_2:
	case CKA_EXPONENT_1: case CKA_EXPONENT_2: case CKA_COEFFICIENT:
		return CKR_ATTRIBUTE_SENSITIVE;
	default: return CKR_ATTRIBUTE_TYPE_INVALID;
	}
}

static CK_RV attr_data(p11_slot *s, p11_obj *po, CK_ATTRIBUTE_TYPE type,
		       const void **val, size_t *len)
{
	const ukey_object *o = &po->o;
	switch (type) {
	case CKA_APPLICATION:
		return put_bytes(o->application, strlen(o->application), val, len);
	case CKA_OBJECT_ID: return put_bytes(o->oid_der, o->oid_der_len, val, len);
	case CKA_VALUE: {
		CK_RV rv = p11_obj_load_value(s, po);
		if (rv != CKR_OK)
			return rv;
		return put_bytes(o->value, o->value_len, val, len);
	}
	default: return CKR_ATTRIBUTE_TYPE_INVALID;
	}
}

CK_RV p11_attr_get(p11_slot *s, p11_obj *po, CK_ATTRIBUTE_TYPE type,
		   const void **val, size_t *len, p11_attr_tmp *tmp)
{
	int done;
	CK_RV rv = attr_common(po, type, val, len, tmp, &done);
	if (done)
		return rv;
	switch (po->o.cls) {
	case UKEY_OBJ_CERT: return attr_cert(s, po, type, val, len, tmp);
	case UKEY_OBJ_PUBKEY:
	case UKEY_OBJ_PRIVKEY: return attr_key(s, po, type, val, len, tmp);
	case UKEY_OBJ_DATA: return attr_data(s, po, type, val, len);
	default: return CKR_ATTRIBUTE_TYPE_INVALID;
	}
}
