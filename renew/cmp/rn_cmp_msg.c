/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rn_cmp_msg.c — reads the few fields of a CMP answer the trace shows (PKI
 * status of a certificate response, checkAfter of a pollRep) straight from
 * its DER: OpenSSL 3.0 has no public getters for them. Defensive against any
 * bytes (the answer has already been decoded by d2i_OSSL_CMP_MSG, but this
 * walker does not rely on it).
 */
#include <stdio.h>
#include <string.h>
#include <openssl/asn1.h>

#include "rn_cmp_int.h"

static const char *const body_names[] = {
	"ir", "ip", "cr", "cp", "p10cr", "popdecc", "popdecr", "kur", "kup", "krr",
	"krp", "rr", "rp", "ccr", "ccp", "ckuann", "cann", "rann", "crlann", "pkiconf",
	"nested", "genm", "genp", "error", "certConf", "pollReq", "pollRep"
};

static const char *const status_names[] = {
	"accepted", "grantedWithMods", "rejection", "waiting", "revocationWarning",
	"revocationNotification", "keyUpdateWarning"
};

const char *rn_cmp_body_name(int bt)
{
	if (bt >= 0 && bt < (int)(sizeof(body_names) / sizeof(body_names[0])))
		return body_names[bt];
	return "unknown";
}

/* One TLV header: *p moves to the content, *len its length. */
struct der {
	const unsigned char *p;
	long rem;
};

static int tlv(struct der *d, int *tag, int *cls, struct der *content)
{
	const unsigned char *q = d->p;
	long len = 0;
	if (d->rem <= 0)
		return -1;
	int r = ASN1_get_object(&q, &len, tag, cls, d->rem);
	if (r & 0x80)
		return -1;
	if (r & 1) /* indefinite length: not DER */
		return -1;
	long hdr = (long)(q - d->p);
	if (len < 0 || hdr + len > d->rem)
		return -1;
	content->p = q;
	content->rem = len;
	d->p = q + len;
	d->rem -= hdr + len;
	return 0;
}

static int enter(struct der *d, int want_tag, int want_cls, struct der *content)
{
	int tag, cls;
	if (tlv(d, &tag, &cls, content) != 0 || tag != want_tag || cls != want_cls)
		return -1;
	return 0;
}

static long small_int(const struct der *d)
{
	if (d->rem < 1 || d->rem > 4 || (d->p[0] & 0x80))
		return -1;
	long v = 0;
	for (long i = 0; i < d->rem; i++)
		v = v << 8 | d->p[i];
	return v;
}

/* The content of the body [bt] EXPLICIT. */
static int body_of(const unsigned char *der, size_t len, int bt, struct der *body)
{
	struct der d = { der, (long)len }, msg, hdr;
	if (len > 0x7fffffff || enter(&d, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, &msg) != 0 ||
	    enter(&msg, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, &hdr) != 0 ||
	    enter(&msg, bt, V_ASN1_CONTEXT_SPECIFIC, body) != 0)
		return -1;
	return 0;
}

int rn_cmp_der_status(const unsigned char *der, size_t len, int bt)
{
	struct der body, seq, resp, cr, si, num;
	int tag, cls;
	if (body_of(der, len, bt, &body) != 0 || enter(&body, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, &seq) != 0)
		return -1;
	if (bt == RN_BODY_ERROR) {
		if (enter(&seq, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, &si) != 0 ||
		    enter(&si, V_ASN1_INTEGER, V_ASN1_UNIVERSAL, &num) != 0)
			return -1;
		return (int)small_int(&num);
	}
	if (bt != RN_BODY_IP && bt != RN_BODY_CP && bt != RN_BODY_KUP)
		return -1;
	/* caPubs [1] OPTIONAL, then response SEQUENCE OF CertResponse */
	if (tlv(&seq, &tag, &cls, &resp) != 0)
		return -1;
	if (cls == V_ASN1_CONTEXT_SPECIFIC && tag == 1 && tlv(&seq, &tag, &cls, &resp) != 0)
		return -1;
	if (tag != V_ASN1_SEQUENCE || cls != V_ASN1_UNIVERSAL ||
	    enter(&resp, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, &cr) != 0 ||
	    enter(&cr, V_ASN1_INTEGER, V_ASN1_UNIVERSAL, &num) != 0 ||
	    enter(&cr, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, &si) != 0 ||
	    enter(&si, V_ASN1_INTEGER, V_ASN1_UNIVERSAL, &num) != 0)
		return -1;
	return (int)small_int(&num);
}

static long der_check_after(const unsigned char *der, size_t len)
{
	struct der body, seq, rep, num;
	if (body_of(der, len, RN_BODY_POLLREP, &body) != 0 ||
	    enter(&body, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, &seq) != 0 ||
	    enter(&seq, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, &rep) != 0 ||
	    enter(&rep, V_ASN1_INTEGER, V_ASN1_UNIVERSAL, &num) != 0 ||
	    enter(&rep, V_ASN1_INTEGER, V_ASN1_UNIVERSAL, &num) != 0)
		return -1;
	return small_int(&num);
}

void rn_cmp_describe(const unsigned char *der, size_t len, int bt, char *out, size_t outlen)
{
	const char *name = rn_cmp_body_name(bt);
	if (bt == RN_BODY_IP || bt == RN_BODY_CP || bt == RN_BODY_KUP || bt == RN_BODY_ERROR) {
		int st = rn_cmp_der_status(der, len, bt);
		if (st >= 0 && st < (int)(sizeof(status_names) / sizeof(status_names[0])))
			snprintf(out, outlen, "%s status=%s", name, status_names[st]);
		else
			snprintf(out, outlen, "%s status=?", name);
	} else if (bt == RN_BODY_POLLREP) {
		long ca = der_check_after(der, len);
		if (ca >= 0)
			snprintf(out, outlen, "%s checkAfter=%ld", name, ca);
		else
			snprintf(out, outlen, "%s checkAfter=?", name);
	} else {
		snprintf(out, outlen, "%s", name);
	}
}
