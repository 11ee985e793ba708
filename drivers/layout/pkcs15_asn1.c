/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/layout/pkcs15_asn1.c — OpenSSL ASN.1 templates for the PKCS#15
 * structures of pkcs15_asn1.h, and helpers to walk a directory file.
 *
 * Tagging follows what OpenSC 0.23 writes (see the reference traces): the
 * [0] subclass and [1] type attributes of an object are EXPLICIT, while
 * Path.length, PinAttributes.pinReference and TokenInfo.label are IMPLICIT.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "driver.h"
#include "pkcs15_asn1.h"

ASN1_SEQUENCE(P15_PATH) = {
	ASN1_SIMPLE(P15_PATH, path, ASN1_OCTET_STRING),
	ASN1_OPT(P15_PATH, index, ASN1_INTEGER),
	ASN1_IMP_OPT(P15_PATH, length, ASN1_INTEGER, 0),
} ASN1_SEQUENCE_END(P15_PATH)
IMPLEMENT_ASN1_FUNCTIONS(P15_PATH)

ASN1_CHOICE(P15_ODF_ENTRY) = {
	ASN1_EXP(P15_ODF_ENTRY, d.path, P15_PATH, 0),
	ASN1_EXP(P15_ODF_ENTRY, d.path, P15_PATH, 1),
	ASN1_EXP(P15_ODF_ENTRY, d.path, P15_PATH, 2),
	ASN1_EXP(P15_ODF_ENTRY, d.path, P15_PATH, 3),
	ASN1_EXP(P15_ODF_ENTRY, d.path, P15_PATH, 4),
	ASN1_EXP(P15_ODF_ENTRY, d.path, P15_PATH, 5),
	ASN1_EXP(P15_ODF_ENTRY, d.path, P15_PATH, 6),
	ASN1_EXP(P15_ODF_ENTRY, d.path, P15_PATH, 7),
	ASN1_EXP(P15_ODF_ENTRY, d.path, P15_PATH, 8),
} ASN1_CHOICE_END(P15_ODF_ENTRY)
IMPLEMENT_ASN1_FUNCTIONS(P15_ODF_ENTRY)

ASN1_SEQUENCE(P15_TOKENINFO) = {
	ASN1_SIMPLE(P15_TOKENINFO, version, ASN1_INTEGER),
	ASN1_SIMPLE(P15_TOKENINFO, serial, ASN1_OCTET_STRING),
	ASN1_OPT(P15_TOKENINFO, manufacturer, ASN1_UTF8STRING),
	ASN1_IMP_OPT(P15_TOKENINFO, label, ASN1_UTF8STRING, 0),
	ASN1_SIMPLE(P15_TOKENINFO, flags, ASN1_BIT_STRING),
	ASN1_OPT(P15_TOKENINFO, se_info, ASN1_SEQUENCE),
	ASN1_EXP_OPT(P15_TOKENINFO, record_info, ASN1_ANY, 1),
	ASN1_EXP_OPT(P15_TOKENINFO, algorithms, ASN1_ANY, 2),
	ASN1_IMP_OPT(P15_TOKENINFO, issuer_id, ASN1_OCTET_STRING, 3),
	ASN1_IMP_OPT(P15_TOKENINFO, holder_id, ASN1_OCTET_STRING, 4),
	ASN1_EXP_OPT(P15_TOKENINFO, last_update, ASN1_ANY, 5),
	ASN1_OPT(P15_TOKENINFO, language, ASN1_PRINTABLESTRING),
} ASN1_SEQUENCE_END(P15_TOKENINFO)
IMPLEMENT_ASN1_FUNCTIONS(P15_TOKENINFO)

ASN1_SEQUENCE(P15_COMMON_OBJ) = {
	ASN1_OPT(P15_COMMON_OBJ, label, ASN1_UTF8STRING),
	ASN1_OPT(P15_COMMON_OBJ, flags, ASN1_BIT_STRING),
	ASN1_OPT(P15_COMMON_OBJ, auth_id, ASN1_OCTET_STRING),
	ASN1_OPT(P15_COMMON_OBJ, user_consent, ASN1_INTEGER),
	ASN1_OPT(P15_COMMON_OBJ, acl, ASN1_SEQUENCE),
} ASN1_SEQUENCE_END(P15_COMMON_OBJ)
IMPLEMENT_ASN1_FUNCTIONS(P15_COMMON_OBJ)

ASN1_SEQUENCE(P15_COMMON_KEY) = {
	ASN1_SIMPLE(P15_COMMON_KEY, id, ASN1_OCTET_STRING),
	ASN1_SIMPLE(P15_COMMON_KEY, usage, ASN1_BIT_STRING),
	ASN1_OPT(P15_COMMON_KEY, native, ASN1_TBOOLEAN),
	ASN1_OPT(P15_COMMON_KEY, access, ASN1_BIT_STRING),
	ASN1_OPT(P15_COMMON_KEY, key_ref, ASN1_INTEGER),
	ASN1_OPT(P15_COMMON_KEY, start_date, ASN1_GENERALIZEDTIME),
	ASN1_IMP_OPT(P15_COMMON_KEY, end_date, ASN1_GENERALIZEDTIME, 0),
} ASN1_SEQUENCE_END(P15_COMMON_KEY)
IMPLEMENT_ASN1_FUNCTIONS(P15_COMMON_KEY)

ASN1_SEQUENCE(P15_RSA_ATTR) = {
	ASN1_SIMPLE(P15_RSA_ATTR, value, P15_PATH),
	ASN1_SIMPLE(P15_RSA_ATTR, modulus_bits, ASN1_INTEGER),
} ASN1_SEQUENCE_END(P15_RSA_ATTR)
IMPLEMENT_ASN1_FUNCTIONS(P15_RSA_ATTR)

ASN1_SEQUENCE(P15_KEY_OBJ) = {
	ASN1_SIMPLE(P15_KEY_OBJ, common, P15_COMMON_OBJ),
	ASN1_SIMPLE(P15_KEY_OBJ, key, P15_COMMON_KEY),
	ASN1_EXP_OPT(P15_KEY_OBJ, subclass, ASN1_SEQUENCE, 0),
	ASN1_EXP(P15_KEY_OBJ, rsa, P15_RSA_ATTR, 1),
} ASN1_SEQUENCE_END(P15_KEY_OBJ)
IMPLEMENT_ASN1_FUNCTIONS(P15_KEY_OBJ)

ASN1_SEQUENCE(P15_COMMON_CERT) = {
	ASN1_SIMPLE(P15_COMMON_CERT, id, ASN1_OCTET_STRING),
	ASN1_OPT(P15_COMMON_CERT, authority, ASN1_FBOOLEAN),
	ASN1_OPT(P15_COMMON_CERT, identifier, ASN1_SEQUENCE),
} ASN1_SEQUENCE_END(P15_COMMON_CERT)
IMPLEMENT_ASN1_FUNCTIONS(P15_COMMON_CERT)

ASN1_SEQUENCE(P15_X509_ATTR) = {
	ASN1_SIMPLE(P15_X509_ATTR, value, P15_PATH),
	ASN1_OPT(P15_X509_ATTR, subject, ASN1_SEQUENCE),
	ASN1_EXP_OPT(P15_X509_ATTR, issuer, ASN1_SEQUENCE, 0),
	ASN1_OPT(P15_X509_ATTR, serial, ASN1_INTEGER),
} ASN1_SEQUENCE_END(P15_X509_ATTR)
IMPLEMENT_ASN1_FUNCTIONS(P15_X509_ATTR)

ASN1_SEQUENCE(P15_CERT_OBJ) = {
	ASN1_SIMPLE(P15_CERT_OBJ, common, P15_COMMON_OBJ),
	ASN1_SIMPLE(P15_CERT_OBJ, cert, P15_COMMON_CERT),
	ASN1_EXP_OPT(P15_CERT_OBJ, subclass, ASN1_SEQUENCE, 0),
	ASN1_EXP(P15_CERT_OBJ, x509, P15_X509_ATTR, 1),
} ASN1_SEQUENCE_END(P15_CERT_OBJ)
IMPLEMENT_ASN1_FUNCTIONS(P15_CERT_OBJ)

ASN1_SEQUENCE(P15_COMMON_DATA) = {
	ASN1_OPT(P15_COMMON_DATA, app_name, ASN1_UTF8STRING),
	ASN1_OPT(P15_COMMON_DATA, app_oid, ASN1_OBJECT),
} ASN1_SEQUENCE_END(P15_COMMON_DATA)
IMPLEMENT_ASN1_FUNCTIONS(P15_COMMON_DATA)

ASN1_SEQUENCE(P15_DATA_OBJ) = {
	ASN1_SIMPLE(P15_DATA_OBJ, common, P15_COMMON_OBJ),
	ASN1_SIMPLE(P15_DATA_OBJ, data, P15_COMMON_DATA),
	ASN1_EXP_OPT(P15_DATA_OBJ, subclass, ASN1_SEQUENCE, 0),
	ASN1_EXP(P15_DATA_OBJ, value, P15_PATH, 1),
} ASN1_SEQUENCE_END(P15_DATA_OBJ)
IMPLEMENT_ASN1_FUNCTIONS(P15_DATA_OBJ)

ASN1_SEQUENCE(P15_PIN_ATTR) = {
	ASN1_SIMPLE(P15_PIN_ATTR, flags, ASN1_BIT_STRING),
	ASN1_SIMPLE(P15_PIN_ATTR, type, ASN1_ENUMERATED),
	ASN1_SIMPLE(P15_PIN_ATTR, min_len, ASN1_INTEGER),
	ASN1_SIMPLE(P15_PIN_ATTR, stored_len, ASN1_INTEGER),
	ASN1_OPT(P15_PIN_ATTR, max_len, ASN1_INTEGER),
	ASN1_IMP_OPT(P15_PIN_ATTR, reference, ASN1_INTEGER, 0),
	ASN1_OPT(P15_PIN_ATTR, pad_char, ASN1_OCTET_STRING),
	ASN1_OPT(P15_PIN_ATTR, last_change, ASN1_GENERALIZEDTIME),
	ASN1_OPT(P15_PIN_ATTR, path, P15_PATH),
} ASN1_SEQUENCE_END(P15_PIN_ATTR)
IMPLEMENT_ASN1_FUNCTIONS(P15_PIN_ATTR)

ASN1_SEQUENCE(P15_COMMON_AUTH) = {
	ASN1_SIMPLE(P15_COMMON_AUTH, auth_id, ASN1_OCTET_STRING),
	ASN1_OPT(P15_COMMON_AUTH, auth_ref, ASN1_INTEGER),
} ASN1_SEQUENCE_END(P15_COMMON_AUTH)
IMPLEMENT_ASN1_FUNCTIONS(P15_COMMON_AUTH)

ASN1_SEQUENCE(P15_PIN_OBJ) = {
	ASN1_SIMPLE(P15_PIN_OBJ, common, P15_COMMON_OBJ),
	ASN1_SIMPLE(P15_PIN_OBJ, auth, P15_COMMON_AUTH),
	ASN1_EXP_OPT(P15_PIN_OBJ, subclass, ASN1_SEQUENCE, 0),
	ASN1_EXP(P15_PIN_OBJ, pin, P15_PIN_ATTR, 1),
} ASN1_SEQUENCE_END(P15_PIN_OBJ)
IMPLEMENT_ASN1_FUNCTIONS(P15_PIN_OBJ)

/* --------------------------------------------------------------- walking */

/* One DER header at buf[off..len): 1 ok (*total = header+content), 0 when
 * the buffer ends inside it, -1 when it is not DER we accept. */
static int der_frame(const uint8_t *buf, size_t len, size_t off, size_t *total)
{
	const unsigned char *p = buf + off, *start = p;
	long clen = 0;
	int tag = 0, cls = 0, ret;
	size_t left = len - off;

	if (left > 0x7FFFFFFF)
		left = 0x7FFFFFFF;
	if (!(buf[off] & V_ASN1_CONSTRUCTED))
		return -1; /* directory entries are SEQUENCEs or [n] wrappers */
	ERR_set_mark();
	ret = ASN1_get_object(&p, &clen, &tag, &cls, (long)left);
	ERR_pop_to_mark();
	if (ret == 0x80 && p == start) {
		/* header itself unparseable: truncated if it is at the end */
		return left < 6 ? 0 : -1;
	}
	if (ret & 0x01)
		return -1; /* indefinite length is not DER */
	if (!(ret & V_ASN1_CONSTRUCTED))
		return -1; /* directory entries are SEQUENCEs or [n] wrappers */
	if (clen < 0)
		return -1;
	*total = (size_t)(p - start) + (size_t)clen;
	if (ret & 0x80)
		return 0; /* content runs past the buffer */
	return 1;
}

long p15_used_length(const uint8_t *buf, size_t len, int *need_more)
{
	size_t off = 0;

	*need_more = 0;
	while (off < len) {
		size_t total = 0;
		int r;

		if (buf[off] == 0x00 || buf[off] == 0xFF)
			return (long)off;
		r = der_frame(buf, len, off, &total);
		if (r < 0)
			return -1;
		if (r == 0) {
			*need_more = 1;
			return (long)off;
		}
		off += total;
	}
	if (off > 0x7FFFFFFF)
		return -1;
	return (long)off;
}

int p15_next_element(const uint8_t *buf, size_t len, size_t *off,
		     const uint8_t **el, size_t *ellen)
{
	size_t total = 0;
	int r;

	if (*off >= len || buf[*off] == 0x00 || buf[*off] == 0xFF)
		return 0;
	r = der_frame(buf, len, *off, &total);
	if (r <= 0)
		return -1;
	*el = buf + *off;
	*ellen = total;
	*off += total;
	return 1;
}

long p15_int(const ASN1_INTEGER *i, long def)
{
	long v;

	if (!i)
		return def;
	ERR_set_mark();
	v = ASN1_INTEGER_get(i);
	ERR_pop_to_mark();
	if (v < 0)
		return def;
	return v;
}

int p15_bit(const ASN1_BIT_STRING *b, int n)
{
	return b ? ASN1_BIT_STRING_get_bit(b, n) : 0;
}

void p15_str(const ASN1_STRING *s, char *out, size_t outsz)
{
	size_t n;
	const unsigned char *d;

	if (!outsz)
		return;
	out[0] = 0;
	if (!s)
		return;
	d = ASN1_STRING_get0_data(s);
	n = (size_t)ASN1_STRING_length(s);
	if (n >= outsz) {
		n = outsz - 1;
		/* do not cut a UTF-8 sequence in half */
		while (n > 0 && (d[n] & 0xC0) == 0x80)
			n--;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = d[i] ? (char)d[i] : '?';
	out[n] = 0;
}

/* ------------------------------------------------ OpenSC-like encoders */

const uint8_t p15_opensc_info[8] = { 0x01, 0x06, 'p', 'k', 'c', 's', '1', '5' };

long p15_tokeninfo_encode(const uint8_t *serial, size_t slen,
			  const char *manufacturer, const char *label,
			  size_t llen, time_t when, uint8_t *out, size_t outsz)
{
	P15_TOKENINFO *ti;
	ASN1_GENERALIZEDTIME *gt = NULL;
	unsigned char *p = out;
	long ret = -1;
	int l;

	if (!serial || !slen || slen > 64 || !manufacturer || !label ||
	    llen > 255 || !out)
		return -1;
	ti = P15_TOKENINFO_new();
	if (!ti)
		return -1;
	ti->manufacturer = ASN1_UTF8STRING_new();
	ti->label = ASN1_UTF8STRING_new();
	ti->last_update = ASN1_TYPE_new();
	gt = ASN1_GENERALIZEDTIME_set(NULL, when);
	if (!ti->manufacturer || !ti->label || !ti->last_update || !gt ||
	    !ASN1_INTEGER_set(ti->version, 0) ||
	    !ASN1_OCTET_STRING_set(ti->serial, serial, (int)slen) ||
	    !ASN1_STRING_set(ti->manufacturer, manufacturer,
			     (int)strnlen(manufacturer, 255)) ||
	    !ASN1_STRING_set(ti->label, label, (int)llen) ||
	    !ASN1_BIT_STRING_set_bit(ti->flags, P15_TOKEN_FLAG_EID_COMPLIANT, 1))
		goto out;
	ASN1_TYPE_set(ti->last_update, V_ASN1_GENERALIZEDTIME, gt);
	gt = NULL; /* owned by last_update now */
	l = i2d_P15_TOKENINFO(ti, NULL);
	if (l <= 0 || (size_t)l > outsz)
		goto out;
	if (i2d_P15_TOKENINFO(ti, &p) != l)
		goto out;
	ret = l;
out:
	ASN1_GENERALIZEDTIME_free(gt);
	P15_TOKENINFO_free(ti);
	ERR_clear_error();
	return ret;
}

int p15_tokeninfo_age(const uint8_t *in, size_t inlen, time_t when, long *age)
{
	const unsigned char *p = in;
	P15_TOKENINFO *ti;
	ASN1_TIME *now = NULL;
	int day = 0, sec = 0, ret = -1;

	if (!in || !inlen || inlen > 0x7FFFFFFF || !age)
		return -1;
	ti = d2i_P15_TOKENINFO(NULL, &p, (long)inlen);
	if (!ti || !ti->last_update ||
	    ti->last_update->type != V_ASN1_GENERALIZEDTIME ||
	    ASN1_TIME_check(ti->last_update->value.generalizedtime) != 1)
		goto out;
	now = ASN1_TIME_set(NULL, when);
	if (!now || !ASN1_TIME_diff(&day, &sec, ti->last_update->value.generalizedtime, now))
		goto out;
	*age = (long)day * 86400L + sec;
	ret = 0;
out:
	ASN1_TIME_free(now);
	P15_TOKENINFO_free(ti);
	ERR_clear_error();
	return ret;
}

long p15_tokeninfo_touch(const uint8_t *in, size_t inlen, time_t when,
			 uint8_t *out, size_t outsz)
{
	const unsigned char *p = in;
	unsigned char *q = out;
	P15_TOKENINFO *ti;
	ASN1_GENERALIZEDTIME *gt;
	long ret = -1;
	int l;

	if (!in || !out || !inlen || inlen > 0x7FFFFFFF)
		return -1;
	ti = d2i_P15_TOKENINFO(NULL, &p, (long)inlen);
	if (!ti)
		goto out;
	/* Strictly later than the lastUpdate on the card: two changes within
	 * one second must still give two markers (directory caches key on it). */
	{
		long age;

		if (p15_tokeninfo_age(in, inlen, when, &age) == 0 && age <= 0)
			when += (time_t)(1 - age);
	}
	gt = ASN1_GENERALIZEDTIME_set(NULL, when);
	if (!gt)
		goto out;
	if (!ti->last_update && !(ti->last_update = ASN1_TYPE_new())) {
		ASN1_GENERALIZEDTIME_free(gt);
		goto out;
	}
	ASN1_TYPE_set(ti->last_update, V_ASN1_GENERALIZEDTIME, gt);
	l = i2d_P15_TOKENINFO(ti, NULL);
	if (l <= 0 || (size_t)l > outsz || i2d_P15_TOKENINFO(ti, &q) != l)
		goto out;
	ret = l;
out:
	P15_TOKENINFO_free(ti);
	ERR_clear_error();
	return ret;
}

unsigned p15_key_usage_bits(unsigned u, int pub)
{
	unsigned b = 0;

	if (pub) {
		if (u & (UKEY_USAGE_SIGN | UKEY_USAGE_SIGN_RECOVER | UKEY_USAGE_VERIFY))
			b |= 1u << P15_USAGE_VERIFY | 1u << P15_USAGE_VERIFYRECOVER;
		if (u & (UKEY_USAGE_DECRYPT | UKEY_USAGE_UNWRAP | UKEY_USAGE_ENCRYPT |
			 UKEY_USAGE_WRAP))
			b |= 1u << P15_USAGE_ENCRYPT | 1u << P15_USAGE_WRAP;
		if (u & UKEY_USAGE_NONREPUDIATION)
			b |= 1u << P15_USAGE_VERIFY;
		return b;
	}
	if (u & (UKEY_USAGE_SIGN | UKEY_USAGE_SIGN_RECOVER))
		b |= 1u << P15_USAGE_SIGN | 1u << P15_USAGE_SIGNRECOVER;
	if (u & (UKEY_USAGE_DECRYPT | UKEY_USAGE_UNWRAP))
		b |= 1u << P15_USAGE_DECRYPT | 1u << P15_USAGE_UNWRAP;
	if (u & UKEY_USAGE_NONREPUDIATION)
		b |= 1u << P15_USAGE_NONREP;
	return b;
}

static int set_bits(ASN1_BIT_STRING *b, unsigned mask)
{
	for (int n = 0; n < 16; n++)
		if ((mask >> n) & 1u && !ASN1_BIT_STRING_set_bit(b, n, 1))
			return 0;
	return 1;
}

long p15_rsa_key_entry_der(int pub, const char *label, const uint8_t *id,
			   size_t idlen, unsigned usage_bits,
			   unsigned access_bits, long key_ref, unsigned bits,
			   const uint8_t *path, size_t plen,
			   const uint8_t *auth, size_t alen, uint8_t **der)
{
	P15_KEY_OBJ *k;
	P15_COMMON_OBJ *co;
	unsigned char *p;
	long ret = -1;
	int l, ok;

	*der = NULL;
	if (!id || !idlen || idlen > 255 || !path || !plen || plen > 16 ||
	    alen > 255 || key_ref < 0)
		return -1;
	k = P15_KEY_OBJ_new();
	if (!k)
		return -1;
	co = k->common;
	ok = (co->flags = ASN1_BIT_STRING_new()) != NULL &&
	     (!pub ? ASN1_BIT_STRING_set_bit(co->flags, 0, 1) : 1) &&
	     ASN1_BIT_STRING_set_bit(co->flags, 1, 1);
	if (ok && label && label[0])
		ok = (co->label = ASN1_UTF8STRING_new()) != NULL &&
		     ASN1_STRING_set(co->label, label, (int)strnlen(label, 255));
	if (ok && !pub && auth && alen)
		ok = (co->auth_id = ASN1_OCTET_STRING_new()) != NULL &&
		     ASN1_OCTET_STRING_set(co->auth_id, auth, (int)alen);
	ok = ok && ASN1_OCTET_STRING_set(k->key->id, id, (int)idlen) &&
	     set_bits(k->key->usage, usage_bits);
	/* OpenSC marks the public half "not native"; the private key is
	 * native, the DEFAULT, so not encoded */
	k->key->native = pub ? 0 : 1;
	if (ok && !pub && access_bits)
		ok = (k->key->access = ASN1_BIT_STRING_new()) != NULL &&
		     set_bits(k->key->access, access_bits);
	ok = ok && (k->key->key_ref = ASN1_INTEGER_new()) != NULL &&
	     ASN1_INTEGER_set(k->key->key_ref, key_ref) &&
	     ASN1_OCTET_STRING_set(k->rsa->value->path, path, (int)plen) &&
	     ASN1_INTEGER_set(k->rsa->modulus_bits, (long)bits);
	if (!ok)
		goto out;
	l = i2d_P15_KEY_OBJ(k, NULL);
	if (l <= 0)
		goto out;
	*der = malloc((size_t)l);
	if (!*der)
		goto out;
	p = *der;
	if (i2d_P15_KEY_OBJ(k, &p) != l) {
		free(*der);
		*der = NULL;
		goto out;
	}
	ret = l;
out:
	P15_KEY_OBJ_free(k);
	ERR_clear_error();
	return ret;
}
