/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ePass2003 personalisation (`ukey-vtoken init --os epass2003`):
 *   --layout pkcs15 (default): the card as OpenSC 0.23's pkcs15-init leaves
 *     it with the pkcs15+onepin profile of epass2003.profile — same FIDs,
 *     sizes, access bytes and key records (checked against a card OpenSC
 *     personalised on this emulation: tests/unit/vtoken/ and the
 *     interop_opensc_epass2003_init test read and sign with it);
 *   --layout espk: the vendor's ENTERSAFE-ESPK layout (vt_os_epass2003_espk.c).
 * The DER is our own encoding.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "vt_der.h"
#include "vt_os_epass2003.h"
#include "vt_pem.h"

static const uint8_t p15_aid[12] = { 0xA0, 0x00, 0x00, 0x00, 0x63, 0x50,
				     0x4B, 0x43, 0x53, 0x2D, 0x31, 0x35 };
/* epass2003.profile's MF aid */
static const char mf_name[] = "entersafe-fips";

/* Access bytes as OpenSC's construct_fci derives them from the onepin
 * macros (90 = SM, anyone; 96 = SM, user PIN; 9F = SM, nobody). */
static const uint8_t acl_df[8] = { 0x90, 0x90, 0xFF, 0x90, 0xFF, 0xFF, 0xFF, 0xFF };
static const uint8_t acl_bso[8] = { 0x90, 0xFF, 0xFF, 0x9F, 0xFF, 0xFF, 0xFF, 0xFF };
static const uint8_t acl_dir[8] = { 0x90, 0x90, 0x90, 0x90, 0xFF, 0xFF, 0xFF, 0xFF };
static const uint8_t acl_free[8] = { 0x90, 0x90, 0xFF, 0x90, 0xFF, 0xFF, 0xFF, 0xFF };
static const uint8_t acl_prot[8] = { 0x90, 0x96, 0xFF, 0x96, 0xFF, 0xFF, 0xFF, 0xFF };
static const uint8_t acl_prkey[8] = { 0xFF, 0x90, 0x90, 0x90, 0xFF, 0xFF, 0xFF, 0xFF };

/* ------------------------------------------------------ building blocks */

int vte_p_file(vte_card *c, int parent, uint16_t fid, uint8_t type,
	       const uint8_t acl[8])
{
	int i = vte_new_file(c, parent < 0 ? VTE_NONE : (uint16_t)parent, fid, type);
	if (i < 0) {
		fprintf(stderr, "ukey-vtoken: too many files\n");
		return -1;
	}
	memcpy(c->files[i].acl, acl, 8);
	return i;
}

int vte_p_df(vte_card *c, int parent, uint16_t fid, const uint8_t *name,
	     size_t namelen, const uint8_t acl[8])
{
	if (namelen > 16)
		return -1;
	int i = vte_p_file(c, parent, fid, VTE_FT_DF, acl);
	if (i < 0)
		return -1;
	vte_file *f = &c->files[i];
	memcpy(f->name, name, namelen);
	f->namelen = (uint8_t)namelen;
	f->prop[0] = 0x00;           /* 85 02 00 7F: room for 127 files */
	f->prop[1] = 0x7F;
	f->proplen = 2;
	return i;
}

int vte_p_ef(vte_card *c, int parent, uint16_t fid, size_t size,
	     const uint8_t acl[8], const uint8_t *content, size_t clen)
{
	if (size > 0xFFFF || clen > size)
		return -1;
	int i = vte_p_file(c, parent, fid, VTE_FT_EF, acl);
	if (i < 0)
		return -1;
	vte_file *f = &c->files[i];
	f->size = (uint16_t)size;
	f->data = calloc(1, size ? size : 1);
	if (!f->data)
		return -1;
	if (clen)
		memcpy(f->data, content, clen);
	return i;
}

vte_key *vte_p_pin(vte_card *c, int df, uint8_t kid, const char *pin,
		   uint8_t use_ac, uint8_t modify_ac, uint8_t grant,
		   uint8_t tries)
{
	size_t l = strlen(pin);
	if (l < 4 || l > 16) {
		fprintf(stderr, "ukey-vtoken: PINs must have 4 to 16 characters\n");
		return NULL;
	}
	vte_key *k = vte_add_key(c, (uint16_t)df);
	if (!k)
		return NULL;
	/* what OpenSC's install_secret_key sends for a PIN */
	const uint8_t hdr[10] = { VTE_KT_PIN_KEY, kid, use_ac, modify_ac, VTE_AC_SO,
				  VTE_AC_SO, 0x00, grant, 0xFF,
				  (uint8_t)(tries << 4 | tries) };
	memcpy(k->hdr, hdr, 10);
	k->ec = hdr[9];
	if (vte_pin_key((const uint8_t *)pin, l, k->val))
		return NULL;
	k->vlen = 24;
	return k;
}

static int bn_param(EVP_PKEY *k, const char *name, vte_bn *out)
{
	BIGNUM *b = NULL;
	uint8_t buf[VTE_RSA_MAX + 8];
	if (!EVP_PKEY_get_bn_param(k, name, &b))
		return -1;
	int n = BN_num_bytes(b);
	int rc = n <= 0 || n > (int)sizeof buf || BN_bn2bin(b, buf) != n ||
		 vte_bn_set(out, buf, (size_t)n);
	vt_wipe(buf, sizeof buf);
	BN_clear_free(b);
	return rc ? -1 : 0;
}

int vte_p_keypair(vte_file *priv, vte_file *pub, unsigned bits, EVP_PKEY **out)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	if (!k)
		return -1;
	int rc = bn_param(k, OSSL_PKEY_PARAM_RSA_N, &priv->n) ||
		 bn_param(k, OSSL_PKEY_PARAM_RSA_E, &priv->e) ||
		 bn_param(k, OSSL_PKEY_PARAM_RSA_D, &priv->d) ||
		 (pub && (bn_param(k, OSSL_PKEY_PARAM_RSA_N, &pub->n) ||
			  bn_param(k, OSSL_PKEY_PARAM_RSA_E, &pub->e)));
	priv->bits = (uint16_t)bits;
	if (pub)
		pub->bits = (uint16_t)bits;
	if (rc) {
		EVP_PKEY_free(k);
		return -1;
	}
	*out = k;
	return 0;
}

int vte_p_cert(const vt_init_params *p, EVP_PKEY *key, uint8_t **der,
	       size_t *dlen)
{
	X509 *x = X509_new(), *ca = NULL;
	EVP_PKEY *cakey = NULL;
	X509_NAME *name = X509_NAME_new();
	BIGNUM *sn = BN_new();
	int rc = -1;
	const char *cn = p->subject_cn ? p->subject_cn : "ukey virtual ePass2003";
	if (!x || !name || !sn)
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
	}
	/* same defaults as the other personalisations: a year left, valid
	 * since yesterday */
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
	    !X509_set_pubkey(x, key) || !X509_sign(x, ca ? cakey : key, EVP_sha256()))
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

int vte_p_serial(const char *s, uint8_t out[8])
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

/* ---------------------------------------------------- PKCS#15 objects */

static int common_obj(vt_buf *o, const char *label, uint8_t flags, int auth_id)
{
	vt_buf in = { 0 };
	uint8_t a = (uint8_t)auth_id;
	if (vt_der_utf8(&in, label) || vt_der_bits(&in, 6, &flags, 1) ||
	    (auth_id > 0 && vt_der_tlv(&in, 0x04, &a, 1))) {
		vt_buf_free(&in);
		return -1;
	}
	return vt_der_wrap(o, 0x30, &in);
}

/* AODF: the user PIN, reference 1, in 3F00/5015 (what pkcs15-init's
 * onepin writes; the PUK gets no object of its own). */
static int aodf_pin(vt_buf *o)
{
	static const uint8_t path[4] = { 0x3F, 0x00, 0x50, 0x15 };
	vt_buf e = { 0 }, id = { 0 }, seq = { 0 }, attrs = { 0 };
	uint8_t flags = 0x4C, ref = 1, pad = 0, one = 1; /* local, initialized, needs-padding */
	int rc = common_obj(&e, "User PIN", 0xC0, 0) ||
		 vt_der_tlv(&id, 0x04, &one, 1) || vt_der_wrap(&e, 0x30, &id) ||
		 vt_der_bits(&seq, 2, &flags, 1) ||
		 vt_der_tlv(&seq, 0x0A, "\x01", 1) ||     /* ascii-numeric */
		 vt_der_int(&seq, 4) || vt_der_int(&seq, 16) || vt_der_int(&seq, 16) ||
		 vt_der_tlv(&seq, 0x80, &ref, 1) || vt_der_tlv(&seq, 0x04, &pad, 1) ||
		 vt_der_path(&seq, path, 4) || vt_der_wrap(&attrs, 0x30, &seq) ||
		 vt_der_wrap(&e, 0xA1, &attrs);
	vt_buf_free(&id);
	vt_buf_free(&seq);
	if (rc) {
		vt_buf_free(&e);
		return -1;
	}
	return vt_der_wrap(o, 0x30, &e);
}

/* PrKDF / PuKDF entry of key id 01, key reference 0 (file 2900 / 3000). */
static int key_entry(vt_buf *o, int priv, unsigned bits)
{
	static const uint8_t prk_path[6] = { 0x3F, 0x00, 0x50, 0x15, 0x29, 0x00 };
	static const uint8_t puk_path[6] = { 0x3F, 0x00, 0x50, 0x15, 0x30, 0x00 };
	vt_buf e = { 0 }, cls = { 0 }, inner = { 0 }, seq = { 0 };
	uint8_t id = 1, usage_priv = 0x74, usage_pub = 0x8B, access = 0xB8;
	int rc = common_obj(&e, priv ? "Private Key" : "Public Key", priv ? 0xC0 : 0x40,
			    priv ? 1 : 0) ||
		 vt_der_tlv(&cls, 0x04, &id, 1) ||
		 (priv ? vt_der_bits(&cls, 2, &usage_priv, 1) ||
			 vt_der_bits(&cls, 3, &access, 1)
		       : vt_der_bits(&cls, 0, &usage_pub, 1) ||
			 vt_der_tlv(&cls, 0x01, "\x00", 1)) ||
		 vt_der_int(&cls, 0) ||              /* keyReference 0 */
		 vt_der_wrap(&e, 0x30, &cls) ||
		 vt_der_path(&inner, priv ? prk_path : puk_path, 6) ||
		 vt_der_int(&inner, bits) || vt_der_wrap(&seq, 0x30, &inner) ||
		 vt_der_wrap(&e, 0xA1, &seq);
	vt_buf_free(&cls);
	vt_buf_free(&inner);
	if (rc) {
		vt_buf_free(&e);
		return -1;
	}
	return vt_der_wrap(o, 0x30, &e);
}

static int cert_entry(vt_buf *o)
{
	static const uint8_t path[6] = { 0x3F, 0x00, 0x50, 0x15, 0x31, 0x00 };
	vt_buf e = { 0 }, cls = { 0 }, inner = { 0 }, seq = { 0 };
	uint8_t id = 1;
	int rc = common_obj(&e, "Certificate", 0x40, 0) ||
		 vt_der_tlv(&cls, 0x04, &id, 1) || vt_der_wrap(&e, 0x30, &cls) ||
		 vt_der_path(&inner, path, 6) || vt_der_wrap(&seq, 0x30, &inner) ||
		 vt_der_wrap(&e, 0xA1, &seq);
	vt_buf_free(&cls);
	vt_buf_free(&inner);
	if (rc) {
		vt_buf_free(&e);
		return -1;
	}
	return vt_der_wrap(o, 0x30, &e);
}

static int odf_entry(vt_buf *o, uint8_t tag, uint16_t fid)
{
	uint8_t path[6] = { 0x3F, 0x00, 0x50, 0x15, (uint8_t)(fid >> 8), (uint8_t)fid };
	vt_buf in = { 0 };
	if (vt_der_path(&in, path, 6)) {
		vt_buf_free(&in);
		return -1;
	}
	return vt_der_wrap(o, tag, &in);
}

static int token_info(vt_buf *o, const vte_card *c, const char *label)
{
	vt_buf s = { 0 }, lu = { 0 };
	uint8_t flags = 0x10;                       /* EID compliant */
	char when[16];
	time_t now = time(NULL);
	struct tm tmv;
	if (!gmtime_r(&now, &tmv) ||
	    strftime(when, sizeof when, "%Y%m%d%H%M%SZ", &tmv) != 15)
		return -1;
	int rc = vt_der_int(&s, 0) || vt_der_tlv(&s, 0x04, c->serial, 8) ||
		 vt_der_utf8(&s, "EnterSafe") ||
		 vt_der_tlv(&s, 0x80, label, strlen(label)) ||
		 vt_der_bits(&s, 4, &flags, 1) || vt_der_tlv(&lu, 0x18, when, 15) ||
		 vt_der_wrap(&s, 0xA5, &lu);
	if (rc) {
		vt_buf_free(&s);
		vt_buf_free(&lu);
		return -1;
	}
	return vt_der_wrap(o, 0x30, &s);
}

static int add_bso(vte_card *c, int df, uint16_t fid, uint8_t size)
{
	int i = vte_p_file(c, df, fid, VTE_FT_BSO, acl_bso);
	if (i < 0)
		return -1;
	c->files[i].prop[0] = size;
	c->files[i].proplen = 1;
	return i;
}

static int perso_pkcs15(vte_card *c, const vt_init_params *p)
{
	const char *label = p->label ? p->label : "ukey";
	unsigned bits = p->key_bits;
	if (bits && bits != 1024 && bits != 2048) {
		fprintf(stderr, "ukey-vtoken: --key-bits must be 1024, 2048 or 0\n");
		return -1;
	}
	if (!p->user_pin || !p->so_pin) {
		fprintf(stderr, "ukey-vtoken: the pkcs15 layout needs user_pin and so_pin (PUK)\n");
		return -1;
	}
	int mf = vte_p_df(c, -1, 0x3F00, (const uint8_t *)mf_name, strlen(mf_name), acl_df);
	if (mf < 0 || add_bso(c, mf, 0x5300, 0x04) < 0)
		return -1;
	/* EF.DIR: linear, one record for the PKCS#15 application */
	int dir = vte_p_file(c, mf, 0x2F00, VTE_FT_LINEAR_VAR, acl_dir);
	vt_buf app = { 0 }, rec = { 0 };
	static const uint8_t app_path[4] = { 0x3F, 0x00, 0x50, 0x15 };
	if (dir < 0 || vt_der_tlv(&app, 0x4F, p15_aid, 12) ||
	    vt_der_tlv(&app, 0x50, label, strlen(label)) ||
	    vt_der_tlv(&app, 0x51, app_path, 4) || vt_der_wrap(&rec, 0x61, &app) ||
	    rec.len > 0x40 || !(c->files[dir].rec[0] = malloc(rec.len))) {
		vt_buf_free(&app);
		vt_buf_free(&rec);
		return -1;
	}
	c->files[dir].rec_size = 0x40;
	memcpy(c->files[dir].rec[0], rec.p, rec.len);
	c->files[dir].rec_len[0] = (uint8_t)rec.len;
	c->files[dir].nrec = 1;
	vt_buf_free(&rec);

	int df = vte_p_df(c, mf, 0x5015, p15_aid, sizeof p15_aid, acl_df);
	if (df < 0 || add_bso(c, df, 0x5301, 0x20) < 0)
		return -1;
	/* user PIN kid 1 (grants the user level), PUK kid 2 (SO level), 6
	 * tries each: the profile's attempts */
	if (!vte_p_pin(c, df, 1, p->user_pin, VTE_AC_FREE, VTE_AC_USER,
		       VTE_LEVEL_USER, 6) ||
	    !vte_p_pin(c, df, 2, p->so_pin, VTE_AC_FREE, 0xB8, VTE_LEVEL_SO, 6))
		return -1;
	static const uint8_t maxpin[2] = { 0x06, 0x06 };
	vt_buf odf = { 0 }, ti = { 0 }, aodf = { 0 }, prkdf = { 0 }, pukdf = { 0 },
	       cdf = { 0 };
	static const uint8_t info[] = { 0x01, 0x06, 'p', 'k', 'c', 's', '1', '5',
					0x02, 0x06, 'o', 'n', 'e', 'p', 'i', 'n' };
	uint8_t *cert = NULL, *pubder = NULL;
	size_t certlen = 0;
	int publen = 0, rc;
	EVP_PKEY *key = NULL;
	rc = vte_p_ef(c, df, 0x9F00, 2, acl_free, maxpin, 2) < 0 ||
	     odf_entry(&odf, 0xA8, 0x4401) ||
	     (bits && (odf_entry(&odf, 0xA0, 0x4402) || odf_entry(&odf, 0xA1, 0x4403) ||
		       odf_entry(&odf, 0xA4, 0x4404))) ||
	     token_info(&ti, c, label) || aodf_pin(&aodf);
	if (!rc && bits) {
		int kf = vte_p_file(c, df, 0x2900, VTE_FT_RSA_PRIV, acl_prkey);
		rc = kf < 0;
		if (!rc) {
			vte_file *priv = &c->files[kf];
			priv->prop[0] = (uint8_t)(bits >> 8);
			priv->prop[1] = (uint8_t)bits;
			priv->proplen = 2;
			rc = vte_p_keypair(priv, NULL, bits, &key);
		}
		if (!rc) {
			publen = i2d_PublicKey(key, &pubder);
			rc = publen <= 0 || vte_p_cert(p, key, &cert, &certlen) ||
			     key_entry(&prkdf, 1, bits) || key_entry(&pukdf, 0, bits) ||
			     cert_entry(&cdf);
		}
	}
	/* sizes: the onepin macros; 4401 and 4405 are 256 in the profile and
	 * OpenSC's construct_fci turns a 256-byte EF into 0x1300 */
	if (!rc)
		rc = vte_p_ef(c, df, 0x5031, 512, acl_prot, odf.p, odf.len) < 0 ||
		     vte_p_ef(c, df, 0x5032, 128, acl_prot, ti.p, ti.len) < 0 ||
		     vte_p_ef(c, df, 0x5033, 128, acl_prot, NULL, 0) < 0 ||
		     vte_p_ef(c, df, 0x4401, 0x1300, acl_prot, aodf.p, aodf.len) < 0 ||
		     vte_p_ef(c, df, 0x4402, 1024, acl_prot, prkdf.p, prkdf.len) < 0 ||
		     vte_p_ef(c, df, 0x4403, 1024, acl_prot, pukdf.p, pukdf.len) < 0 ||
		     vte_p_ef(c, df, 0x4404, 2048, acl_prot, cdf.p, cdf.len) < 0 ||
		     vte_p_ef(c, df, 0x4405, 0x1300, acl_prot, NULL, 0) < 0 ||
		     vte_p_ef(c, df, 0x4946, 128, acl_prot, info, sizeof info) < 0 ||
		     (bits && (vte_p_ef(c, df, 0x3000, (size_t)publen, acl_free, pubder,
					(size_t)publen) < 0 ||
			       vte_p_ef(c, df, 0x3100, certlen, acl_free, cert,
					certlen) < 0));
	EVP_PKEY_free(key);
	OPENSSL_free(cert);
	OPENSSL_free(pubder);
	vt_buf_free(&odf);
	vt_buf_free(&ti);
	vt_buf_free(&aodf);
	vt_buf_free(&prkdf);
	vt_buf_free(&pukdf);
	vt_buf_free(&cdf);
	if (!rc && vte_mem_used(c) > VTE_MEM_LIMIT)
		rc = -1;
	if (rc)
		fprintf(stderr, "ukey-vtoken: epass2003 personalisation failed\n");
	return rc ? -1 : 0;
}

int vte_perso(vte_card *c, const vt_init_params *p)
{
	for (int i = 0; i < VTE_MAX_FILES; i++)
		if (c->files[i].used) {
			fprintf(stderr, "ukey-vtoken: token already personalised\n");
			return -1;
		}
	if (p->serial && vte_p_serial(p->serial, c->serial)) {
		fprintf(stderr, "ukey-vtoken: --serial wants up to 16 hex digits\n");
		return -1;
	}
	int rc;
	if (!p->layout || !strcmp(p->layout, "pkcs15")) {
		rc = perso_pkcs15(c, p);
	} else if (!strcmp(p->layout, "espk")) {
		rc = vte_espk_perso(c, p);
	} else {
		fprintf(stderr, "ukey-vtoken: unknown layout '%s' (pkcs15, espk)\n",
			p->layout);
		return -1;
	}
	vte_card_reset(c);
	return rc;
}
