/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * FTCOS personalisation with the layout Feitian's own middleware writes
 * ("ENTERSAFE-ESPK", public facts from OpenSC issue 3834; OpenSC cannot read
 * it). Our concrete choices, for drivers to rely on:
 *
 *   3F00            MF
 *   3F00/2003       DF, FCI name "ENTERSAFE-ESPK" (zero-padded to 16)
 *     6F01          index: 30-byte records
 *                     FID (2, little-endian; FFFF = directory entry)
 *                     directory name [10] (zero-padded)   "ESPK"
 *                     file name [13] (zero-padded)        e.g. "cert0001"
 *                     ACL byte (read AC of the file)
 *                     used size (2, LE), allocated size (2, LE)
 *                   record 0 is the directory entry (FFFF, "ESPK", "").
 *     6F02 tokeninfo     attribute stream: CKA_LABEL, CKA_SERIAL_NUMBER (hex)
 *     6F03 cardid        16 bytes: serial (8) || 8 zero bytes
 *     6F04 containermap  attribute stream: CKA_LABEL (container name),
 *                        CKA_ID, vendor 0x80000100 (key id)
 *     6F05 cmapfile      one Windows CONTAINER_MAP_RECORD (86 bytes):
 *                        UTF-16LE name[40], flags 03, reserved, sig bits 0,
 *                        key-exchange bits (LE u16)
 *     7001 cert0001      CKA_CLASS, CKA_TOKEN, CKA_CERTIFICATE_TYPE, CKA_LABEL,
 *                        CKA_ID, CKA_SUBJECT, CKA_VALUE (DER)
 *     7101 pubk0001      CKA_CLASS, CKA_KEY_TYPE, CKA_TOKEN, CKA_LABEL, CKA_ID,
 *                        CKA_MODULUS, CKA_PUBLIC_EXPONENT, CKA_VERIFY, 0x80000100
 *     7201 prvk0001      CKA_CLASS, CKA_KEY_TYPE, CKA_TOKEN, CKA_PRIVATE,
 *                        CKA_SENSITIVE, CKA_LABEL, CKA_ID, CKA_MODULUS,
 *                        CKA_PUBLIC_EXPONENT, CKA_SIGN, CKA_DECRYPT, 0x80000100
 *   Attribute stream (vt_espk.h, shared with ePass2003): u32 type LE ||
 *   u32 length LE || value; CK_ULONG values (class, key type, certificate
 *   type) as u32 LE, booleans as one byte. CKA_ID = SHA-1 of the modulus
 *   (20 bytes). 0x80000100 = 1 byte, the key id (kid) to use in MSE
 *   (83 02 kid 22 / 2A). Key records live in DF 2003 exactly as in the
 *   PKCS#15 layout (maintenance key kid 0, user PIN kid 1, SO PIN / PUK
 *   kid 2, RSA kid 1 usages 22/2A). Files are read-free; every update needs
 *   the user PIN (04).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "vt_espk.h"
#include "vt_os_ftcos.h"
#include "vt_perso.h"

static const uint8_t ac_espk[10] = { 0x10, 0x04, 0x10, 0x10, 0x10,
				     0x10, 0x10, 0x10, 0x10, 0x10 };

typedef struct {
	vt_espk_index index;
	int df;
	ft_card *c;
} espk;

/* A file of DF 2003 (directory "ESPK") and its index record. */
static int add_file(espk *e, uint16_t fid, const char *name, const vt_buf *content,
		    size_t alloc)
{
	if (alloc < content->len)
		alloc = content->len;
	if (vt_espk_index_add(&e->index, fid, "ESPK", name, ac_espk[0], content->len,
			      alloc))
		return -1;
	return ft_p_add_ef(e->c, e->df, fid, alloc, ac_espk, 0, content->p,
			   content->len) < 0 ? -1 : 0;
}

int ft_espk_perso(ft_card *c, const vt_init_params *p)
{
	static const uint8_t h_maint[9] = { 0x00, 0x10, 0x03, 0x10, 0x10, 0xC0, 0x01, 0x00, 0x00 };
	static const uint8_t h_pin[9] = { 0x00, 0x10, 0x0B, 0x10, 0x04, 0x38, 0x01, 0xFF, 0x00 };
	static const uint8_t h_puk[9] = { 0x00, 0x10, 0x0B, 0x10, 0x08, 0xC0, 0x01, 0xFF, 0x00 };
	static const uint8_t h_priv[9] = { 0x04, 0x0A, 0x22, 0x34, 0x04, 0x34, 0x40, 0x00, 0x00 };
	static const uint8_t h_pub[9] = { 0x01, 0x0A, 0x2A, 0x10, 0x04, 0x10, 0x40, 0x00, 0x00 };
	const char *label = p->label ? p->label : "ukey";
	uint8_t mf_name[16] = { 0 }, df_name[16] = { 0 };
	memcpy(mf_name + 8, c->serial, 8);
	memcpy(df_name, "ENTERSAFE-ESPK", 14);
	if (!p->user_pin || (p->key_bits != 1024 && p->key_bits != 2048)) {
		fprintf(stderr, "ukey-vtoken: espk layout needs a user PIN and a 1024/2048-bit key\n");
		return -1;
	}
	int mf = ft_p_add_df(c, -1, 0x3F00, mf_name, 0x04, 0x11, 0x0300);
	espk e = { { { 0 }, NULL }, -1, c };
	e.df = mf < 0 ? -1 : ft_p_add_df(c, mf, 0x2003, df_name, 0x30, 0x01, 16000);
	if (e.df < 0)
		return -1;
	ft_key *k = ft_p_add_key(c, e.df, 0, h_maint);
	if (!k)
		return -1;
	memcpy(k->sym, ft_default_maint_key, 16);
	k->sym_len = 16;
	k->written = 1;
	if (!(k = ft_p_add_key(c, e.df, 1, h_pin)) || ft_p_set_pin(k, p->user_pin))
		return -1;
	if (p->so_pin && *p->so_pin &&
	    (!(k = ft_p_add_key(c, e.df, 2, h_puk)) || ft_p_set_pin(k, p->so_pin)))
		return -1;
	/* Empty RSA records 2..9, as the PKCS#15 personalisation leaves them:
	 * FTCOS can neither install nor erase key records from a host without
	 * the DF's init key, so a second key pair (a renewal with a new key)
	 * needs a spare one. Kid 1 gets the key below. */
	for (uint8_t kid = 2; kid <= 9; kid++)
		if (!ft_p_add_key(c, e.df, kid, h_priv) || !ft_p_add_key(c, e.df, kid, h_pub))
			return -1;
	ft_key *priv = ft_p_add_key(c, e.df, 1, h_priv), *pub = ft_p_add_key(c, e.df, 1, h_pub);
	if (!priv || !pub || ft_rsa_generate(priv, pub, p->key_bits))
		return -1;
	uint8_t *cert = NULL;
	size_t certlen = 0;
	if (ft_p_make_cert(p, priv, &cert, &certlen))
		return -1;
	unsigned char *subj = NULL;
	int subjlen = vt_perso_cert_subject(cert, certlen, &subj);
	char serial_hex[17];
	vt_espk_serial_hex(serial_hex, c->serial);
	const ft_bn *n = &pub->rsa[RSA_N], *ex = &pub->rsa[RSA_E];
	const char *cname = "ukey-container-0001";
	/* vendor attribute 0x80000100: the key id, one byte */
	uint8_t kid = 1;
	vt_espk_cont kc = { .name = cname, .mod = n->v, .mod_len = n->len,
			    .exp = ex->v, .exp_len = ex->len,
			    .cert = cert, .cert_len = certlen,
			    .subj = subj, .subj_len = subjlen > 0 ? (size_t)subjlen : 0,
			    .pub_key = &kid, .priv_key = &kid, .key_len = 1 };
	vt_espk_key_id(kc.id, n->v, n->len);
	vt_buf ti = { 0 }, cid = { 0 }, cmap = { 0 }, cmf = { 0 }, cf = { 0 },
	       pk = { 0 }, sk = { 0 };
	uint8_t cardid[16], rec[VT_ESPK_CMAP_REC];
	vt_espk_card_id(cardid, c->serial);
	vt_espk_cmap_record(rec, cname, p->key_bits);
	int rc = subjlen <= 0 ||
		 vt_espk_attr(&ti, VT_CKA_LABEL, label, strlen(label)) ||
		 vt_espk_attr(&ti, VT_CKA_SERIAL_NUMBER, serial_hex, 16) ||
		 vt_buf_put(&cid, cardid, 16) ||
		 vt_espk_attr(&cmap, VT_CKA_LABEL, cname, strlen(cname)) ||
		 vt_espk_attr(&cmap, VT_CKA_ID, kc.id, sizeof kc.id) ||
		 vt_espk_attr(&cmap, VT_CKA_VENDOR_KEY, &kid, 1) ||
		 vt_buf_put(&cmf, rec, sizeof rec) ||
		 vt_espk_objects(&kc, &cf, &pk, &sk) ||
		 add_file(&e, 0x6F02, "tokeninfo", &ti, 256) ||
		 add_file(&e, 0x6F03, "cardid", &cid, 16) ||
		 add_file(&e, 0x6F04, "containermap", &cmap, 256) ||
		 add_file(&e, 0x6F05, "cmapfile", &cmf, 86 * 8) ||
		 add_file(&e, 0x7001, "cert0001", &cf, 0) ||
		 add_file(&e, 0x7101, "pubk0001", &pk, 0) ||
		 add_file(&e, 0x7201, "prvk0001", &sk, 0);
	/* the index itself: 16 records of room */
	if (!rc) {
		size_t used = e.index.rec.len;
		rc = ft_p_add_ef(c, e.df, 0x6F01, 30 * 16 > used ? 30 * 16 : used, ac_espk,
				 0, e.index.rec.p, used) < 0;
	}
	OPENSSL_free(subj);
	OPENSSL_free(cert);
	vt_buf_free(&ti); vt_buf_free(&cid); vt_buf_free(&cmap); vt_buf_free(&cmf);
	vt_buf_free(&cf); vt_buf_free(&pk); vt_buf_free(&sk); vt_buf_free(&e.index.rec);
	if (rc)
		fprintf(stderr, "ukey-vtoken: espk personalisation failed\n");
	return rc ? -1 : 0;
}
