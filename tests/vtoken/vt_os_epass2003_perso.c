/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ePass2003 personalisation (`ukey-vtoken init --os epass2003`):
 *   --layout pkcs15 (default): the card as OpenSC 0.23's pkcs15-init leaves
 *     it with the pkcs15+onepin profile of epass2003.profile — same FIDs,
 *     sizes, access bytes and key records (checked against a card OpenSC
 *     personalised on this emulation: tests/unit/vtoken/ and the
 *     interop_opensc_epass2003_init test read and sign with it);
 *   --layout espk: the vendor's ENTERSAFE-ESPK layout (vt_os_epass2003_espk.c).
 * The DER is our own encoding (vt_p15.[ch], shared with FTCOS).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "vt_os_epass2003.h"
#include "vt_p15.h"
#include "vt_perso.h"

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
	uint8_t *body = vt_perso_ef_body(size, content, clen);
	int i = body ? vte_p_file(c, parent, fid, VTE_FT_EF, acl) : -1;
	if (i < 0) {
		free(body);
		return -1;
	}
	c->files[i].size = (uint16_t)size;
	c->files[i].data = body;
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

int vte_p_keypair(vte_file *priv, vte_file *pub, unsigned bits, EVP_PKEY **out)
{
	int rc = vte_rsa_keygen(priv, pub, bits, out);
	priv->bits = (uint16_t)bits;
	if (pub)
		pub->bits = (uint16_t)bits;
	return rc;
}

int vte_p_cert(const vt_init_params *p, EVP_PKEY *key, uint8_t **der,
	       size_t *dlen)
{
	return vt_perso_cert(p, key, key, "ukey virtual ePass2003", der, dlen);
}

/* ---------------------------------------------------- PKCS#15 objects */

/* PrKDF / PuKDF entry of key id 01, key reference 0, in key file 2900
 * (private) / EF 3000 (public key). */
static int key_entry(vt_buf *o, int priv, unsigned bits)
{
	static const uint8_t prk_path[6] = { 0x3F, 0x00, 0x50, 0x15, 0x29, 0x00 };
	static const uint8_t puk_path[6] = { 0x3F, 0x00, 0x50, 0x15, 0x30, 0x00 };
	return vt_p15_key_entry(o, priv, bits, 1, 0, priv ? prk_path : puk_path, 6);
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
	vt_buf rec = { 0 };
	if (dir < 0 || vt_p15_dir_record(&rec, label) ||
	    rec.len > 0x40 || !(c->files[dir].rec[0] = malloc(rec.len))) {
		vt_buf_free(&rec);
		return -1;
	}
	c->files[dir].rec_size = 0x40;
	memcpy(c->files[dir].rec[0], rec.p, rec.len);
	c->files[dir].rec_len[0] = (uint8_t)rec.len;
	c->files[dir].nrec = 1;
	vt_buf_free(&rec);

	int df = vte_p_df(c, mf, 0x5015, vt_p15_aid, sizeof vt_p15_aid, acl_df);
	if (df < 0 || add_bso(c, df, 0x5301, 0x20) < 0)
		return -1;
	/* user PIN kid 1 (grants the user level), PUK kid 2 (SO level), 6
	 * tries each: the profile's attempts */
	if (!vte_p_pin(c, df, 1, p->user_pin, VTE_AC_FREE, VTE_AC_USER,
		       VTE_LEVEL_USER, 6) ||
	    !vte_p_pin(c, df, 2, p->so_pin, VTE_AC_FREE, 0xB8, VTE_LEVEL_SO, 6))
		return -1;
	static const uint8_t maxpin[2] = { 0x06, 0x06 };
	vt_p15_files d = { 0 };
	static const uint8_t info[] = { 0x01, 0x06, 'p', 'k', 'c', 's', '1', '5',
					0x02, 0x06, 'o', 'n', 'e', 'p', 'i', 'n' };
	uint8_t *cert = NULL, *pubder = NULL;
	size_t certlen = 0;
	int publen = 0, rc;
	EVP_PKEY *key = NULL;
	/* TokenInfo flags: EID compliant; AODF: the user PIN, reference 1, in
	 * 3F00/5015 (what pkcs15-init's onepin writes; the PUK gets no object
	 * of its own) */
	rc = vte_p_ef(c, df, 0x9F00, 2, acl_free, maxpin, 2) < 0 ||
	     vt_p15_odf(&d.odf, bits != 0) ||
	     vt_p15_token_info(&d.token_info, c->serial, "EnterSafe", label, 4, 0x10) ||
	     vt_p15_aodf_pin(&d.aodf, "User PIN", 1, 1, 0);
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
			     key_entry(&d.prkdf, 1, bits) || key_entry(&d.pukdf, 0, bits) ||
			     vt_p15_cert_entry(&d.cdf);
		}
	}
	/* sizes: the onepin macros; 4401 and 4405 are 256 in the profile and
	 * OpenSC's construct_fci turns a 256-byte EF into 0x1300 */
	if (!rc)
		rc = vte_p_ef(c, df, 0x5031, 512, acl_prot, d.odf.p, d.odf.len) < 0 ||
		     vte_p_ef(c, df, 0x5032, 128, acl_prot, d.token_info.p,
			      d.token_info.len) < 0 ||
		     vte_p_ef(c, df, 0x5033, 128, acl_prot, NULL, 0) < 0 ||
		     vte_p_ef(c, df, 0x4401, 0x1300, acl_prot, d.aodf.p, d.aodf.len) < 0 ||
		     vte_p_ef(c, df, 0x4402, 1024, acl_prot, d.prkdf.p, d.prkdf.len) < 0 ||
		     vte_p_ef(c, df, 0x4403, 1024, acl_prot, d.pukdf.p, d.pukdf.len) < 0 ||
		     vte_p_ef(c, df, 0x4404, 2048, acl_prot, d.cdf.p, d.cdf.len) < 0 ||
		     vte_p_ef(c, df, 0x4405, 0x1300, acl_prot, NULL, 0) < 0 ||
		     vte_p_ef(c, df, 0x4946, 128, acl_prot, info, sizeof info) < 0 ||
		     (bits && (vte_p_ef(c, df, 0x3000, (size_t)publen, acl_free, pubder,
					(size_t)publen) < 0 ||
			       vte_p_ef(c, df, 0x3100, certlen, acl_free, cert,
					certlen) < 0));
	EVP_PKEY_free(key);
	OPENSSL_free(cert);
	OPENSSL_free(pubder);
	vt_p15_files_free(&d);
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
	if (p->serial && vt_perso_serial(p->serial, c->serial))
		return -1;
	int layout = vt_perso_layout(p->layout);
	if (layout < 0)
		return -1;
	int rc = layout == VT_LAYOUT_ESPK ? vte_espk_perso(c, p) : perso_pkcs15(c, p);
	vte_card_reset(c);
	return rc;
}
