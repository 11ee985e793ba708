/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rn_token_objects.c — certificates (list, write, find by exact DER, delete)
 * and key pair presence/deletion.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "rn_token_int.h"

void rn_cert_list_free(struct rn_cert *c, size_t n)
{
	if (!c)
		return;
	for (size_t i = 0; i < n; i++)
		free(c[i].der);
	free(c);
}

/* Copies a CKA_LABEL into cap bytes: control bytes replaced, cut on a UTF-8
 * character boundary. */
static void copy_label(char *dst, size_t cap, const unsigned char *src, size_t n)
{
	size_t len = n < cap - 1 ? n : cap - 1;

	if (len < n)
		while (len > 0 && (src[len] & 0xC0) == 0x80)
			len--;
	for (size_t i = 0; i < len; i++)
		dst[i] = (src[i] < 0x20 || src[i] == 0x7f) ? '?' : (char)src[i];
	dst[len] = '\0';
}

static enum rn_tok_rc count_by_id(struct rn_session *s, CK_OBJECT_CLASS cls,
				  const unsigned char *id, size_t id_len, size_t *n, char *err,
				  size_t errlen)
{
	CK_OBJECT_HANDLE *h;
	enum rn_tok_rc rc = rn_find_by_id(s, cls, id, id_len, &h, n, err, errlen);

	free(h);
	return rc;
}

static enum rn_tok_rc key_present(struct rn_session *s, const unsigned char *id, size_t id_len,
				  int *present, char *err, size_t errlen)
{
	size_t n = 0;
	enum rn_tok_rc rc = count_by_id(s, CKO_PRIVATE_KEY, id, id_len, &n, err, errlen);

	if (rc == RN_TOK_OK && n == 0)
		rc = count_by_id(s, CKO_PUBLIC_KEY, id, id_len, &n, err, errlen);
	if (rc != RN_TOK_OK)
		return rc;
	*present = n ? 1 : (s->logged_in ? 0 : -1);
	return RN_TOK_OK;
}

static enum rn_tok_rc find_certs(struct rn_session *s, CK_OBJECT_HANDLE **h, size_t *n,
				 char *err, size_t errlen)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE ct = CKC_X_509;
	CK_ATTRIBUTE t[2] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_CERTIFICATE_TYPE, &ct, sizeof(ct) },
	};

	return rn_find(s, t, 2, h, n, err, errlen);
}

enum rn_tok_rc rn_cert_list(struct rn_session *s, struct rn_cert **out, size_t *n,
			    char *err, size_t errlen)
{
	CK_OBJECT_HANDLE *h = NULL;
	struct rn_cert *c = NULL;
	size_t nh = 0, k = 0;
	enum rn_tok_rc rc;

	*out = NULL;
	*n = 0;
	rc = find_certs(s, &h, &nh, err, errlen);
	if (rc != RN_TOK_OK)
		return rc;
	if (nh == 0)
		return RN_TOK_OK;
	c = calloc(nh, sizeof(*c));
	if (!c) {
		free(h);
		rn_seterr(err, errlen, "out of memory");
		return RN_TOK_ERROR;
	}
	for (size_t i = 0; i < nh; i++) {
		struct rn_cert *x = &c[k];
		unsigned char *v = NULL;
		size_t len = 0;

		memset(x, 0, sizeof(*x));
		x->handle = h[i];
		rc = rn_get_attr(s, h[i], CKA_VALUE, RN_MAX_VALUE, &x->der, &x->der_len, err,
				 errlen);
		if (rc != RN_TOK_OK)
			goto fail;
		if (!x->der || x->der_len == 0) {
			/* No readable value: nothing we could renew. */
			free(x->der);
			x->der = NULL;
			continue;
		}
		rc = rn_get_attr(s, h[i], CKA_ID, RN_MAX_LABEL_IN, &v, &len, err, errlen);
		if (rc != RN_TOK_OK)
			goto fail;
		if (len > sizeof(x->id)) {
			/* Cannot be represented (and a cut id would match other
			 * keys): leave the certificate out. */
			rn_trace(s->m, "certificate object %lu: CKA_ID of %zu bytes skipped",
				 (unsigned long)h[i], len);
			free(v);
			free(x->der);
			x->der = NULL;
			continue;
		}
		if (v)
			memcpy(x->id, v, len);
		x->id_len = len;
		free(v);
		v = NULL;
		rc = rn_get_attr(s, h[i], CKA_LABEL, RN_MAX_LABEL_IN, &v, &len, err, errlen);
		if (rc != RN_TOK_OK)
			goto fail;
		if (v)
			copy_label(x->label, sizeof(x->label), v, len);
		free(v);
		rc = key_present(s, x->id, x->id_len, &x->key_present, err, errlen);
		if (rc != RN_TOK_OK)
			goto fail;
		k++;
	}
	free(h);
	if (k == 0) {
		free(c);
		c = NULL;
	}
	*out = c;
	*n = k;
	return RN_TOK_OK;
fail:
	free(h);
	rn_cert_list_free(c, k + 1);
	return rc;
}

enum rn_tok_rc rn_private_key_exists(struct rn_session *s, const unsigned char *id,
				     size_t id_len, int *exists, char *err, size_t errlen)
{
	size_t n = 0;
	enum rn_tok_rc rc = count_by_id(s, CKO_PRIVATE_KEY, id, id_len, &n, err, errlen);

	*exists = rc == RN_TOK_OK && n > 0;
	return rc;
}

/* DER of X509_NAME / ASN1_INTEGER into a malloc'd buffer. */
static unsigned char *der_of_name(const X509_NAME *nm, size_t *len)
{
	unsigned char *p = NULL;
	int l = i2d_X509_NAME(nm, &p);

	if (l <= 0)
		return NULL;
	*len = (size_t)l;
	return p;
}

static unsigned char *der_of_int(const ASN1_INTEGER *a, size_t *len)
{
	unsigned char *p = NULL;
	int l = i2d_ASN1_INTEGER(a, &p);

	if (l <= 0)
		return NULL;
	*len = (size_t)l;
	return p;
}

enum rn_tok_rc rn_cert_write(struct rn_session *s, const unsigned char *der, size_t der_len,
			     const unsigned char *id, size_t id_len, const char *label,
			     char *err, size_t errlen)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE ct = CKC_X_509;
	CK_BBOOL yes = CK_TRUE;
	const unsigned char *p = der;
	unsigned char *subj = NULL, *iss = NULL, *ser = NULL;
	size_t subj_len = 0, iss_len = 0, ser_len = 0;
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	enum rn_tok_rc rc = RN_TOK_ERROR;
	X509 *x = NULL;
	CK_RV rv = CKR_OK;

	if (!der || der_len == 0 || der_len > RN_MAX_VALUE || (id_len && !id)) {
		rn_seterr(err, errlen, "rn_cert_write: bad arguments");
		return RN_TOK_ERROR;
	}
	if (!label)
		label = "";
	x = d2i_X509(NULL, &p, (long)der_len);
	if (!x || p != der + der_len) {
		rn_seterr(err, errlen, "rn_cert_write: not one DER X.509 certificate");
		goto out;
	}
	subj = der_of_name(X509_get_subject_name(x), &subj_len);
	iss = der_of_name(X509_get_issuer_name(x), &iss_len);
	ser = der_of_int(X509_get0_serialNumber(x), &ser_len);
	if (!subj || !iss || !ser) {
		rn_seterr(err, errlen, "rn_cert_write: cannot encode subject/issuer/serial");
		goto out;
	}
	{
		CK_ATTRIBUTE t[] = {
			{ CKA_CLASS, &cls, sizeof(cls) },
			{ CKA_CERTIFICATE_TYPE, &ct, sizeof(ct) },
			{ CKA_TOKEN, &yes, sizeof(yes) },
			{ CKA_VALUE, (void *)der, (CK_ULONG)der_len },
			{ CKA_SUBJECT, subj, (CK_ULONG)subj_len },
			{ CKA_ID, (void *)id, (CK_ULONG)id_len },
			{ CKA_LABEL, (void *)label, (CK_ULONG)strlen(label) },
			/* Optional from here on. */
			{ CKA_ISSUER, iss, (CK_ULONG)iss_len },
			{ CKA_SERIAL_NUMBER, ser, (CK_ULONG)ser_len },
		};
		/* Full template first; a module refusing an optional attribute
		 * (CKR_ATTRIBUTE_TYPE_INVALID / CKR_TEMPLATE_INCONSISTENT /
		 * CKR_ATTRIBUTE_VALUE_INVALID) gets the template without
		 * CKA_ISSUER/CKA_SERIAL_NUMBER, then without CKA_LABEL too. */
		const CK_ULONG tries[] = { 9, 7, 6 }; /* CKA_LABEL is t[6] */

		for (size_t i = 0; i < 3; i++) {
			h = CK_INVALID_HANDLE;
			rv = s->m->f->C_CreateObject(s->h, t, tries[i], &h);
			rn_trace(s->m, "C_CreateObject(session %lu, CKO_CERTIFICATE, %lu "
				 "attributes, CKA_VALUE %zu bytes) = %s, object %lu",
				 (unsigned long)s->h, (unsigned long)tries[i], der_len,
				 rn_ckr_name(rv), (unsigned long)h);
			if (rv != CKR_ATTRIBUTE_TYPE_INVALID && rv != CKR_TEMPLATE_INCONSISTENT &&
			    rv != CKR_ATTRIBUTE_VALUE_INVALID)
				break;
		}
	}
	rc = rn_map_rv(s->m, s->slot, rv, "C_CreateObject", err, errlen);
out:
	X509_free(x);
	OPENSSL_free(subj);
	OPENSSL_free(iss);
	OPENSSL_free(ser);
	return rc;
}

/* All certificates whose CKA_VALUE is exactly der. Lists the certificates
 * and compares what is read back (a module's CKA_VALUE search is not trusted
 * to compare the whole value). */
static enum rn_tok_rc find_exact_all(struct rn_session *s, const unsigned char *der,
				     size_t der_len, CK_OBJECT_HANDLE **out, size_t *n,
				     char *err, size_t errlen)
{
	CK_OBJECT_HANDLE *h = NULL;
	size_t nh = 0, k = 0;
	enum rn_tok_rc rc;

	*out = NULL;
	*n = 0;
	rc = find_certs(s, &h, &nh, err, errlen);
	if (rc != RN_TOK_OK)
		return rc;
	for (size_t i = 0; i < nh; i++) {
		CK_ATTRIBUTE a = { CKA_VALUE, NULL, 0 };
		unsigned char *v = NULL;
		size_t len = 0;
		CK_RV rv;

		/* Cheap length check before reading the value. */
		rv = s->m->f->C_GetAttributeValue(s->h, h[i], &a, 1);
		rn_trace(s->m, "C_GetAttributeValue(session %lu, object %lu, CKA_VALUE size) "
			 "= %s, %ld", (unsigned long)s->h, (unsigned long)h[i],
			 rn_ckr_name(rv), (long)a.ulValueLen);
		if (rv == CKR_OK && a.ulValueLen != der_len)
			continue;
		rc = rn_get_attr(s, h[i], CKA_VALUE, RN_MAX_VALUE, &v, &len, err, errlen);
		if (rc != RN_TOK_OK) {
			free(h);
			return rc;
		}
		if (v && len == der_len && memcmp(v, der, der_len) == 0)
			h[k++] = h[i];
		free(v);
	}
	if (k == 0) {
		free(h);
		h = NULL;
	}
	*out = h;
	*n = k;
	return RN_TOK_OK;
}

enum rn_tok_rc rn_cert_find_exact(struct rn_session *s, const unsigned char *der, size_t der_len,
				  int *found, CK_OBJECT_HANDLE *handle, char *err, size_t errlen)
{
	CK_OBJECT_HANDLE *h;
	size_t n;
	enum rn_tok_rc rc;

	*found = 0;
	if (handle)
		*handle = CK_INVALID_HANDLE;
	if (!der || !der_len) {
		rn_seterr(err, errlen, "rn_cert_find_exact: empty certificate");
		return RN_TOK_ERROR;
	}
	rc = find_exact_all(s, der, der_len, &h, &n, err, errlen);
	if (rc != RN_TOK_OK)
		return rc;
	if (n) {
		*found = 1;
		if (handle)
			*handle = h[0];
	}
	free(h);
	return RN_TOK_OK;
}

static enum rn_tok_rc destroy(struct rn_session *s, CK_OBJECT_HANDLE o, const char *what,
			      char *err, size_t errlen)
{
	CK_RV rv = s->m->f->C_DestroyObject(s->h, o);

	rn_trace(s->m, "C_DestroyObject(session %lu, %s object %lu) = %s", (unsigned long)s->h,
		 what, (unsigned long)o, rn_ckr_name(rv));
	if (rv == CKR_OBJECT_HANDLE_INVALID)
		return RN_TOK_NOT_FOUND;   /* gone in between */
	return rn_map_rv(s->m, s->slot, rv, "C_DestroyObject", err, errlen);
}

enum rn_tok_rc rn_cert_delete_exact(struct rn_session *s, const unsigned char *der,
				    size_t der_len, char *err, size_t errlen)
{
	CK_OBJECT_HANDLE *h;
	size_t n, gone = 0;
	enum rn_tok_rc rc;

	if (!der || !der_len) {
		rn_seterr(err, errlen, "rn_cert_delete_exact: empty certificate");
		return RN_TOK_ERROR;
	}
	rc = find_exact_all(s, der, der_len, &h, &n, err, errlen);
	if (rc != RN_TOK_OK)
		return rc;
	/* Every identical copy goes. */
	for (size_t i = 0; i < n; i++) {
		rc = destroy(s, h[i], "CKO_CERTIFICATE", err, errlen);
		if (rc == RN_TOK_NOT_FOUND)
			continue;
		if (rc != RN_TOK_OK) {
			free(h);
			return rc;
		}
		gone++;
	}
	free(h);
	if (!gone) {
		rn_seterr(err, errlen, "certificate not on the token");
		return RN_TOK_NOT_FOUND;
	}
	return RN_TOK_OK;
}

enum rn_tok_rc rn_keypair_delete(struct rn_session *s, const unsigned char *id, size_t id_len,
				 char *err, size_t errlen)
{
	static const CK_OBJECT_CLASS cls[2] = { CKO_PRIVATE_KEY, CKO_PUBLIC_KEY };

	if (!id || !id_len) {
		/* An empty CKA_ID would match every key without one. */
		rn_seterr(err, errlen, "rn_keypair_delete: empty CKA_ID refused");
		return RN_TOK_ERROR;
	}
	enum rn_tok_rc first = RN_TOK_OK;

	/* The private key first (what matters); every object is tried even
	 * after a failure (OpenSC's entersafe driver destroys private keys but
	 * answers CKR_FUNCTION_NOT_SUPPORTED for public keys), and the first
	 * failure is reported. */
	for (int c = 0; c < 2; c++) {
		CK_OBJECT_HANDLE *h;
		size_t n;
		char e2[256];
		enum rn_tok_rc rc = rn_find_by_id(s, cls[c], id, id_len, &h, &n, e2, sizeof(e2));

		if (rc == RN_TOK_REMOVED)
			first = rc;
		if (rc != RN_TOK_OK) {
			if (first == RN_TOK_OK || rc == RN_TOK_REMOVED)
				rn_seterr(err, errlen, "%s", e2);
			return first != RN_TOK_OK ? first : rc;
		}
		for (size_t i = 0; i < n; i++) {
			rc = destroy(s, h[i], rn_cko_name(cls[c]), e2, sizeof(e2));
			if (rc != RN_TOK_OK && rc != RN_TOK_NOT_FOUND && first == RN_TOK_OK) {
				first = rc;
				rn_seterr(err, errlen, "%s (%s)", e2, rn_cko_name(cls[c]));
			}
		}
		free(h);
	}
	return first;
}

/* C_SetAttributeValue(CKA_ID) on every certificate with exactly this DER.
 * Used when a module refuses a second certificate with the same CKA_ID
 * (OpenSC's PKCS#15 layer: "non-unique ID") and cannot delete the old one:
 * the old certificate steps aside so the new one can take its key's ID. */
enum rn_tok_rc rn_cert_set_id(struct rn_session *s, const unsigned char *der, size_t der_len,
			      const unsigned char *id, size_t id_len, char *err, size_t errlen)
{
	CK_OBJECT_HANDLE *h;
	size_t n;
	enum rn_tok_rc rc;

	if (!der || !der_len || !id || !id_len) {
		rn_seterr(err, errlen, "rn_cert_set_id: empty argument");
		return RN_TOK_ERROR;
	}
	rc = find_exact_all(s, der, der_len, &h, &n, err, errlen);
	if (rc != RN_TOK_OK)
		return rc;
	if (!n) {
		free(h);
		rn_seterr(err, errlen, "certificate not on the token");
		return RN_TOK_NOT_FOUND;
	}
	for (size_t i = 0; i < n && rc == RN_TOK_OK; i++) {
		CK_ATTRIBUTE a = { CKA_ID, (void *)id, (CK_ULONG)id_len };
		CK_RV rv = s->m->f->C_SetAttributeValue(s->h, h[i], &a, 1);
		rn_trace(s->m, "C_SetAttributeValue(session %lu, CKO_CERTIFICATE object %lu, CKA_ID) = %s",
			 (unsigned long)s->h, (unsigned long)h[i], rn_ckr_name(rv));
		rc = rn_map_rv(s->m, s->slot, rv, "C_SetAttributeValue", err, errlen);
	}
	free(h);
	return rc;
}
