/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* FTCOS personalisation (`ukey-vtoken init`) and `show`: builds, directly in
 * the card state, the PKCS#15 layout OpenSC's entersafe profile writes (same
 * FIDs, sizes, access conditions and key records as the reference traces),
 * with an RSA key pair generated "on card" (kid 1), its public key in 3000
 * and a certificate in 3100. The DER is our own encoding (vt_p15.[ch],
 * shared with ePass2003). */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "vt_os_ftcos.h"
#include "vt_p15.h"
#include "vt_perso.h"

static const uint8_t ac_free[10] = { 0x10, 0x10, 0x10, 0x10, 0x10,
				     0x10, 0x10, 0x10, 0x10, 0x10 };
/* read free, update "needs PIN" written as 00 as OpenSC does */
static const uint8_t ac_p15[10] = { 0x10, 0x00, 0x10, 0x10, 0x10,
				    0x10, 0x10, 0x10, 0x10, 0x10 };

int ft_p_add_df(ft_card *c, int parent, uint16_t fid, const uint8_t name[16],
		  uint8_t cnt, uint8_t flag, uint16_t kfs)
{
	int i = ft_new_file(c, parent < 0 ? FT_NONE : (uint16_t)parent, fid, 1);
	if (i < 0)
		return -1;
	ft_file *f = &c->files[i];
	memcpy(f->name, name, 16);
	memcpy(f->init_key, ft_default_init_key, 16);
	f->df_acs[0] = 0x10;
	f->df_acs[1] = 0xC0;
	f->df_acs[2] = 0x10;
	f->file_count = cnt;
	f->flag = flag;
	f->key_file_size = kfs;
	return i;
}

int ft_p_add_ef(ft_card *c, int parent, uint16_t fid, size_t size,
		  const uint8_t ac[10], uint16_t attr, const uint8_t *content,
		  size_t clen)
{
	uint8_t *body = vt_perso_ef_body(size, content, clen);
	int i = body ? ft_new_file(c, (uint16_t)parent, fid, 0) : -1;
	if (i < 0) {
		free(body);
		return -1;
	}
	ft_file *f = &c->files[i];
	f->size = (uint16_t)size;
	f->data = body;
	f->attr[0] = (uint8_t)(attr >> 8);
	f->attr[1] = (uint8_t)attr;
	memcpy(f->ac, ac, 10);
	return i;
}

ft_key *ft_p_add_key(ft_card *c, int df, uint8_t kid, const uint8_t hdr[9])
{
	ft_key *k = ft_add_key(c, (uint16_t)df, hdr[2], kid);
	if (k)
		memcpy(k->hdr, hdr, 9);
	return k;
}

int ft_p_set_pin(ft_key *k, const char *pin)
{
	size_t l = strlen(pin);
	if (l < 4 || l > 16) {
		fprintf(stderr, "ukey-vtoken: PINs must have 4 to 16 characters\n");
		return -1;
	}
	memset(k->sym, 0, sizeof k->sym);
	memcpy(k->sym, pin, l);
	k->sym_len = 16;
	k->ec = 0x33;          /* 3 tries, as OpenSC's WRITE KEY sets */
	k->written = 1;
	return 0;
}

static EVP_PKEY *key_from_record(const ft_key *k, int with_private)
{
	static const char *names[RSA_NCOMP] = {
		OSSL_PKEY_PARAM_RSA_N, OSSL_PKEY_PARAM_RSA_E, OSSL_PKEY_PARAM_RSA_D,
		OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2,
		OSSL_PKEY_PARAM_RSA_EXPONENT1, OSSL_PKEY_PARAM_RSA_EXPONENT2,
		OSSL_PKEY_PARAM_RSA_COEFFICIENT1
	};
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	BIGNUM *bn[RSA_NCOMP] = { 0 };
	EVP_PKEY *pk = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *cx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	int ncomp = with_private ? RSA_NCOMP : 2, ok = b && cx;
	for (int i = 0; i < ncomp && ok; i++) {
		bn[i] = BN_bin2bn(k->rsa[i].v, (int)k->rsa[i].len, NULL);
		ok = bn[i] && OSSL_PARAM_BLD_push_BN(b, names[i], bn[i]);
	}
	if (ok)
		params = OSSL_PARAM_BLD_to_param(b);
	if (params && EVP_PKEY_fromdata_init(cx) > 0)
		EVP_PKEY_fromdata(cx, &pk, with_private ? EVP_PKEY_KEYPAIR :
				  EVP_PKEY_PUBLIC_KEY, params);
	for (int i = 0; i < RSA_NCOMP; i++)
		BN_clear_free(bn[i]);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	EVP_PKEY_CTX_free(cx);
	return pk;
}

/* DER certificate for the card key, issued by the CA (or self-signed):
 * vt_perso_cert with FTCOS's default CN and the key rebuilt from its
 * records. */
int ft_p_make_cert(const vt_init_params *p, const ft_key *priv,
		   uint8_t **der, size_t *dlen)
{
	EVP_PKEY *pub = key_from_record(priv, 0), *own = NULL;
	if (pub && !p->ca_cert_path && !p->ca_key_path)
		own = key_from_record(priv, 1);
	int rc = vt_perso_cert(p, pub, own, "ukey virtual token", der, dlen);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(own);
	return rc;
}

/* --- PKCS#15 objects --------------------------------------------------- */

/* PrKDF / PuKDF entry of key id 01: the private key is key reference 1 of
 * the application DF's key store (path 3F00/5015), the public one EF 3000;
 * the private key needs the user PIN (auth id 01) when there is one. */
static int key_entry(vt_buf *o, int private_key, unsigned bits, int has_pin)
{
	static const uint8_t pub_path[6] = { 0x3F, 0x00, 0x50, 0x15, 0x30, 0x00 };
	return private_key ? vt_p15_key_entry(o, 1, bits, has_pin ? 1 : 0, 1,
					      vt_p15_app_path, sizeof vt_p15_app_path)
			   : vt_p15_key_entry(o, 0, bits, 0, 0, pub_path, sizeof pub_path);
}

static int perso_pkcs15(ft_card *c, const vt_init_params *p)
{
	const char *label = p->label ? p->label : "ukey";
	uint8_t mf_name[16] = { 0 }, df_name[16];
	memcpy(mf_name + 8, c->serial, 8);
	memcpy(df_name, vt_p15_aid, 12);
	memcpy(df_name + 12, "\x00\x00\x10\x10", 4);
	int mf = ft_p_add_df(c, -1, 0x3F00, mf_name, 0x04, 0x11, 0x0300);
	if (mf < 0)
		return -1;
	int rc = 0;
	/* EF.DIR */
	vt_buf dir = { 0 };
	rc = vt_p15_dir_record(&dir, label) ||
	     ft_p_add_ef(c, mf, 0x2F00, 128, ac_free, 0, dir.p, dir.len) < 0;
	vt_buf_free(&dir);
	int df = rc ? -1 : ft_p_add_df(c, mf, 0x5015, df_name, 0x30, 0x01, 16000);
	if (df < 0)
		return -1;
	/* key records */
	static const uint8_t h_maint[9] = { 0x00, 0x10, 0x03, 0x10, 0x10, 0xC0, 0x01, 0x00, 0x00 };
	static const uint8_t h_pin[9] = { 0x00, 0x10, 0x0B, 0x10, 0x04, 0x38, 0x01, 0xFF, 0x00 };
	static const uint8_t h_puk[9] = { 0x00, 0x10, 0x0B, 0x10, 0x08, 0xC0, 0x01, 0xFF, 0x00 };
	uint8_t h_priv[9] = { 0x04, 0x0A, 0x22, 0x34, 0x04, 0x34, 0x40, 0x00, 0x00 };
	static const uint8_t h_pub[9] = { 0x01, 0x0A, 0x2A, 0x10, 0x04, 0x10, 0x40, 0x00, 0x00 };
	ft_key *k = ft_p_add_key(c, df, 0, h_maint);
	if (!k)
		return -1;
	memcpy(k->sym, ft_default_maint_key, 16);
	k->sym_len = 16;
	k->written = 1;
	int has_pin = p->user_pin && *p->user_pin;
	if (has_pin) {
		if (!(k = ft_p_add_key(c, df, 1, h_pin)) || ft_p_set_pin(k, p->user_pin))
			return -1;
		const char *puk = p->so_pin && *p->so_pin ? p->so_pin : NULL;
		if (puk && (!(k = ft_p_add_key(c, df, 2, h_puk)) || ft_p_set_pin(k, puk)))
			return -1;
	} else {
		h_priv[3] = 0x10;   /* no PIN: key usable by anyone */
		h_priv[5] = 0x10;
	}
	/* Empty RSA key records for kids 1..9 (private 22, public 2A), as
	 * OpenSC's "create" step installs them: a host can then generate or
	 * import further keys into slots 2..9 without INSTALL KEY. Kid 1 is
	 * filled below when --key-bits asks for a key. */
	for (uint8_t kid = 1; kid <= 9; kid++)
		if (!ft_p_add_key(c, df, kid, h_priv) || !ft_p_add_key(c, df, kid, h_pub))
			return -1;
	/* PKCS#15 files, sizes and ACs as OpenSC's entersafe profile */
	if (ft_p_add_ef(c, df, 0xFFFD, 2560, ac_free, 0x1580, NULL, 0) < 0)
		return -1;
	vt_p15_files d = { 0 };
	unsigned bits = p->key_bits;
	/* TokenInfo flags: loginRequired, prnGeneration */
	rc = vt_p15_odf(&d.odf, bits != 0) ||
	     vt_p15_token_info(&d.token_info, c->serial, "EnterSafe", label, 5, 0x60) ||
	     (has_pin && vt_p15_aodf_pin(&d.aodf, "UserPIN", 1, 1, 0)) ||
	     (has_pin && p->so_pin && *p->so_pin &&
	      vt_p15_aodf_pin(&d.aodf, "UserPUK", 2, 2, 1));
	if (!rc && bits) {
		if (bits != 1024 && bits != 2048) {
			fprintf(stderr, "ukey-vtoken: --key-bits must be 1024 or 2048\n");
			rc = -1;
		}
	}
	uint8_t *cert = NULL, *pubder = NULL;
	size_t certlen = 0;
	int publen = 0;
	if (!rc && bits) {
		ft_key *priv = ft_find_key(c, (uint16_t)df, FT_USAGE_RSA_PRIV, 1),
		       *pub = ft_find_key(c, (uint16_t)df, FT_USAGE_RSA_PUB, 1);
		if (!priv || !pub || ft_rsa_generate(priv, pub, bits)) {
			rc = -1;
		} else {
			EVP_PKEY *pk = key_from_record(priv, 0);
			publen = pk ? i2d_PublicKey(pk, &pubder) : -1;
			EVP_PKEY_free(pk);
			rc = publen <= 0 || ft_p_make_cert(p, priv, &cert, &certlen) ||
			     key_entry(&d.prkdf, 1, bits, has_pin) ||
			     key_entry(&d.pukdf, 0, bits, has_pin) || vt_p15_cert_entry(&d.cdf);
		}
	}
	if (!rc)
		rc = ft_p_add_ef(c, df, 0x5031, 256, ac_p15, 0, d.odf.p, d.odf.len) < 0 ||
		     ft_p_add_ef(c, df, 0x5032, 128, ac_p15, 0, d.token_info.p,
				 d.token_info.len) < 0 ||
		     ft_p_add_ef(c, df, 0x5033, 128, ac_p15, 0, NULL, 0) < 0 ||
		     ft_p_add_ef(c, df, 0x4401, 256, ac_p15, 0, d.aodf.p, d.aodf.len) < 0 ||
		     ft_p_add_ef(c, df, 0x4402, 256, ac_p15, 0, d.prkdf.p, d.prkdf.len) < 0 ||
		     ft_p_add_ef(c, df, 0x4403, 256, ac_p15, 0, d.pukdf.p, d.pukdf.len) < 0 ||
		     ft_p_add_ef(c, df, 0x4404, 512, ac_p15, 0, d.cdf.p, d.cdf.len) < 0 ||
		     ft_p_add_ef(c, df, 0x4405, 256, ac_p15, 0, NULL, 0) < 0 ||
		     (bits && (ft_p_add_ef(c, df, 0x3000, (size_t)publen, ac_p15, 0, pubder,
				      (size_t)publen) < 0 ||
			       ft_p_add_ef(c, df, 0x3100, certlen, ac_p15, 0, cert,
				      certlen) < 0));
	OPENSSL_free(cert);
	OPENSSL_free(pubder);
	vt_p15_files_free(&d);
	if (rc)
		fprintf(stderr, "ukey-vtoken: personalisation failed (sizes or memory)\n");
	return rc ? -1 : 0;
}

int ft_perso(ft_card *c, const vt_init_params *p)
{
	if (c->files[0].used) {
		fprintf(stderr, "ukey-vtoken: token already personalised\n");
		return -1;
	}
	if (p->serial ? vt_perso_serial(p->serial, c->serial)
		      : RAND_bytes(c->serial, 8) != 1)
		return -1;
	int layout = vt_perso_layout(p->layout);
	if (layout < 0)
		return -1;
	int rc = layout == VT_LAYOUT_ESPK ? ft_espk_perso(c, p) : perso_pkcs15(c, p);
	c->cur_df = c->files[0].used ? 0 : FT_NONE;
	c->cur_ef = FT_NONE;
	return rc;
}

static void path_of(const ft_card *c, uint16_t i, char *buf, size_t cap)
{
	uint16_t chain[16];
	size_t n = 0;
	while (i != FT_NONE && n < 16) {
		chain[n++] = i;
		i = c->files[i].parent;
	}
	size_t o = 0;
	buf[0] = '\0';
	while (n-- && o + 6 < cap)
		o += (size_t)snprintf(buf + o, cap - o, "%s%04X", o ? "/" : "",
				      c->files[chain[n]].fid);
}

void ft_describe(ft_card *c, FILE *out)
{
	fprintf(out, "os: ftcos\nserial: ");
	for (int i = 0; i < 8; i++)
		fprintf(out, "%02X", c->serial[i]);
	fprintf(out, "\ntransport key: %s\n",
		!memcmp(c->transport_key, ft_epass3000_transport_key, 8) ? "ePass3000 (01..08)" :
		!memcmp(c->transport_key, ft_default_transport_key, 8) ? "default FTCOS" : "other");
	if (!c->files[0].used) {
		fprintf(out, "blank card (no MF)\n");
		return;
	}
	fprintf(out, "files:\n");
	for (uint16_t i = 0; i < FT_MAX_FILES; i++) {
		const ft_file *f = &c->files[i];
		if (!f->used)
			continue;
		char path[128];
		path_of(c, i, path, sizeof path);
		if (f->is_df)
			fprintf(out, "  DF %-24s\n", path);
		else
			fprintf(out, "  EF %-24s size %5u read-ac %02X update-ac %02X\n",
				path, f->size, f->ac[0], f->ac[1]);
	}
	fprintf(out, "keys:\n");
	for (size_t i = 0; i < FT_MAX_KEYS; i++) {
		const ft_key *k = &c->keys[i];
		if (!k->used)
			continue;
		char path[128];
		path_of(c, k->df, path, sizeof path);
		fprintf(out, "  %s kid %u usage %02X ", path, k->kid, k->usage);
		if (k->usage == FT_USAGE_PIN)
			fprintf(out, "PIN %s, tries left %u of %u\n",
				k->written ? "set" : "unset", k->ec & 15, k->ec >> 4);
		else if (k->usage == FT_USAGE_RSA_PRIV || k->usage == FT_USAGE_RSA_PUB) {
			const ft_key *pk = ft_find_key(c, k->df, FT_USAGE_RSA_PUB, k->kid);
			size_t nl = k->rsa[RSA_N].len ? k->rsa[RSA_N].len :
				    pk ? pk->rsa[RSA_N].len : 0;
			fprintf(out, "RSA %s, %s, %zu bits\n",
				k->usage == FT_USAGE_RSA_PRIV ? "private" : "public",
				k->written ? "set" : "empty", nl * 8);
		}
		else
			fprintf(out, "symmetric, %u bytes\n", k->sym_len);
	}
}
