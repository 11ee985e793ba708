/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* OS-independent personalisation helpers (see vt_perso.h). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/x509.h>

#include "vt_pem.h"
#include "vt_perso.h"

static int parse_serial(const char *s, uint8_t out[8])
{
	size_t l = strlen(s);
	if (l == 0 || l > 16 || l % 2)
		return -1;
	memset(out, 0, 8);
	for (size_t i = 0; i < l; i += 2) {
		char t[3] = { s[i], s[i + 1], 0 }, *end;
		unsigned long v = strtoul(t, &end, 16);
		if (*end)
			return -1;
		out[8 - l / 2 + i / 2] = (uint8_t)v;
	}
	return 0;
}

int vt_perso_serial(const char *s, uint8_t out[8])
{
	if (parse_serial(s, out)) {
		fprintf(stderr, "ukey-vtoken: --serial wants up to 16 hex digits\n");
		return -1;
	}
	return 0;
}

uint8_t *vt_perso_ef_body(size_t size, const uint8_t *content, size_t clen)
{
	if (size > 0xFFFF || clen > size)
		return NULL;
	uint8_t *d = calloc(1, size ? size : 1);
	if (d && clen)
		memcpy(d, content, clen);
	return d;
}

int vt_perso_layout(const char *layout)
{
	if (!layout || !strcmp(layout, "pkcs15"))
		return VT_LAYOUT_PKCS15;
	if (!strcmp(layout, "espk"))
		return VT_LAYOUT_ESPK;
	fprintf(stderr, "ukey-vtoken: unknown layout '%s' (pkcs15, espk)\n", layout);
	return -1;
}

int vt_perso_cert(const vt_init_params *p, EVP_PKEY *pub, EVP_PKEY *own_key,
		  const char *default_cn, uint8_t **der, size_t *dlen)
{
	X509 *x = X509_new(), *ca = NULL;
	EVP_PKEY *cakey = NULL;
	X509_NAME *name = X509_NAME_new();
	BIGNUM *sn = BN_new();
	int rc = -1;
	const char *cn = p->subject_cn ? p->subject_cn : default_cn;
	if (!pub || !x || !name || !sn)
		goto out;
	if (p->ca_cert_path || p->ca_key_path) {
		if (!p->ca_cert_path || !p->ca_key_path) {
			fprintf(stderr, "ukey-vtoken: --ca-cert and --ca-key go together\n");
			goto out;
		}
		ca = vt_pem_read_cert(p->ca_cert_path);
		cakey = vt_pem_read_key(p->ca_key_path);
		if (!ca || !cakey) {
			fprintf(stderr, "ukey-vtoken: cannot read the CA certificate or key\n");
			goto out;
		}
	} else if (!own_key) {
		goto out;
	}
	long days_left = p->days_left ? p->days_left : 365;
	long days_valid = p->days_valid ? p->days_valid : days_left + 1;
	time_t now = time(NULL);
	if (!BN_rand(sn, 120, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) ||
	    !BN_to_ASN1_INTEGER(sn, X509_get_serialNumber(x)) ||
	    !X509_set_version(x, 2) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
					(const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_subject_name(x, name) ||
	    !X509_set_issuer_name(x, ca ? X509_get_subject_name(ca) : name) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), (int)days_left, 0, &now) ||
	    !X509_time_adj_ex(X509_getm_notBefore(x), (int)(days_left - days_valid),
			      0, &now) ||
	    !X509_set_pubkey(x, pub) ||
	    !X509_sign(x, ca ? cakey : own_key, EVP_sha256()))
		goto out;
	unsigned char *buf = NULL;
	int n = i2d_X509(x, &buf);
	if (n <= 0)
		goto out;
	*der = buf;
	*dlen = (size_t)n;
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "ukey-vtoken: cannot make the certificate\n");
	X509_free(x);
	X509_free(ca);
	EVP_PKEY_free(cakey);
	X509_NAME_free(name);
	BN_free(sn);
	return rc;
}

int vt_perso_cert_subject(const uint8_t *cert, size_t len, unsigned char **subj)
{
	const unsigned char *cp = cert;
	X509 *x = d2i_X509(NULL, &cp, (long)len);
	*subj = NULL;
	int n = x ? i2d_X509_NAME(X509_get_subject_name(x), subj) : -1;
	X509_free(x);
	return n;
}
