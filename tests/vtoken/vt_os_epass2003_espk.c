/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ePass2003 personalised as the vendor's middleware leaves it: the
 * ENTERSAFE-ESPK layout (public facts: /work/shared/reference/
 * epass2003-espk.md, OpenSC issue 3834 and PR 3835). Our concrete choices
 * where those are silent, for drivers to rely on (docs/epass2003-wire.md
 * has the same table):
 *
 *   3F00                MF (as OpenSC's profile names it: "entersafe-fips")
 *   3F00/2003           DF, FCI name "ENTERSAFE-ESPK" zero-padded to 16
 *     key kid 1         user PIN: EXTERNAL AUTHENTICATE key, 3DES
 *                       SHA-1(PIN) || BE32(len); use 10 (plain or SM),
 *                       change 96, unblock 98, grants the user level, 6 tries
 *     key kid 2         SO PIN / PUK (if so_pin): use 10, change B8, SO level
 *     6F01 index        30-byte records: FID (LE; FFFF = directory entry),
 *                       directory name[10], file name[13], read access byte,
 *                       used size (LE), allocated size (LE)
 *     6F02 tkinfdir/tokeninfo   label (32, space-padded) || "EnterSafe"
 *                               (32, space-padded) || serial (16 hex digits)
 *     6F03 internal/cardid      serial (8) || 8 zero bytes
 *     6F04 internal/containermap  32-byte header (byte 0 = count) then
 *                       24-byte records: private handle LE32, public
 *                       handle LE32, 16 zero bytes
 *     6F05 mscp/cmapfile        CONTAINER_MAP_RECORD: UTF-16LE name[40],
 *                               flags 03, 00, sig bits 0, exchange bits LE16
 *     24nn ESPK/certNNNN        attribute stream (below): certificate
 *     25nn ESPK/pubkNNNN        public key object
 *     26nn ESPK/prvkNNNN        private key object (no secret in it)
 *     A0xx                      private key file, xx = 0x20 * NNNN
 *     80xx                      public key file (its modulus, 80 B4)
 *   Attribute stream (vt_espk.h, shared with FTCOS): u32 type LE || u32
 *   length LE || value; CK_ULONG as u32 LE, CK_BBOOL one byte. Ours:
 *   CKA_MODULUS with the leading 00 byte the vendor's tool writes, CKA_ID
 *   = SHA-1 of the modulus, vendor attribute 0x80000100 = the key file's
 *   handle as u32 LE.
 *   Data files: read 00 (no SM, no PIN: certificates are read plain),
 *   update/delete 96. Private key: no read, use 16 (user level, plain or
 *   SM), update 96. Signing: MSE 00 22 41 B6 {80 01 82 81 02 A0 20},
 *   PSO HASH 00 2A 90 A0 (SHA-256 midstate TLV), PSO CDS 00 2A 9E 9A.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "vt_espk.h"
#include "vt_os_epass2003.h"
#include "vt_perso.h"

static const uint8_t acl_mf[8] = { 0x90, 0x98, 0xFF, 0x9F, 0xFF, 0xFF, 0xFF, 0xFF };
static const uint8_t acl_df[8] = { 0x10, 0x96, 0xFF, 0x98, 0xFF, 0xFF, 0xFF, 0xFF };
static const uint8_t acl_data[8] = { 0x00, 0x96, 0xFF, 0x96, 0xFF, 0xFF, 0xFF, 0xFF };
static const uint8_t acl_prkey[8] = { 0xFF, 0x96, 0x16, 0x96, 0xFF, 0xFF, 0xFF, 0xFF };
static const uint8_t acl_pubkey[8] = { 0x10, 0x96, 0x10, 0x96, 0xFF, 0xFF, 0xFF, 0xFF };

typedef struct {
	vte_card *c;
	int df;
	vt_espk_index index;
} espk;

/* A data file of DF 2003 and its index record (alloc at least its size). */
static int add_file(espk *e, uint16_t fid, const char *dir, const char *name,
		    const vt_buf *content, size_t alloc)
{
	if (alloc < content->len)
		alloc = content->len;
	return vt_espk_index_add(&e->index, fid, dir, name, acl_data[0], content->len,
				 alloc) ||
	       vte_p_ef(e->c, e->df, fid, alloc, acl_data, content->p, content->len) < 0;
}

static int padded(vt_buf *b, const char *s, size_t width)
{
	size_t l = strlen(s);
	if (l > width)
		l = width;
	if (vt_buf_put(b, s, l))
		return -1;
	for (; l < width; l++)
		if (vt_buf_put_u8(b, ' '))
			return -1;
	return 0;
}

static void put_le32(uint8_t x[4], uint32_t v)
{
	x[0] = (uint8_t)v;
	x[1] = (uint8_t)(v >> 8);
	x[2] = (uint8_t)(v >> 16);
	x[3] = (uint8_t)(v >> 24);
}

int vte_espk_perso(vte_card *c, const vt_init_params *p)
{
	const char *label = p->label ? p->label : "ukey";
	const char *cname = "ukey-container-0001";
	unsigned bits = p->key_bits;
	if (!p->user_pin || (bits != 1024 && bits != 2048)) {
		fprintf(stderr, "ukey-vtoken: the espk layout needs a user PIN and a 1024/2048-bit key\n");
		return -1;
	}
	static const char mfn[] = "entersafe-fips";
	uint8_t dfn[16] = { 0 };
	memcpy(dfn, "ENTERSAFE-ESPK", 14);
	int mf = vte_p_df(c, -1, 0x3F00, (const uint8_t *)mfn, strlen(mfn), acl_mf);
	espk e = { c, -1, { { 0 }, NULL } };
	e.df = mf < 0 ? -1 : vte_p_df(c, mf, 0x2003, dfn, 16, acl_df);
	if (e.df < 0)
		return -1;
	if (!vte_p_pin(c, e.df, 1, p->user_pin, 0x10, VTE_AC_USER, VTE_LEVEL_USER, 6) ||
	    (p->so_pin && *p->so_pin &&
	     !vte_p_pin(c, e.df, 2, p->so_pin, 0x10, 0xB8, VTE_LEVEL_SO, 6)))
		return -1;
	/* container 1: key files A020 / 8020 */
	const uint16_t hpriv = 0xA020, hpub = 0x8020;
	int ip = vte_p_file(c, e.df, hpriv, VTE_FT_RSA_PRIV, acl_prkey);
	int iu = vte_p_file(c, e.df, hpub, VTE_FT_RSA_PUB, acl_pubkey);
	EVP_PKEY *key = NULL;
	if (ip < 0 || iu < 0 || vte_p_keypair(&c->files[ip], &c->files[iu], bits, &key))
		return -1;
	vte_file *pub = &c->files[iu];
	for (int i = 0; i < 2; i++) {
		vte_file *f = &c->files[i ? iu : ip];
		f->prop[0] = (uint8_t)(bits >> 8);
		f->prop[1] = (uint8_t)bits;
		f->proplen = 2;
	}
	pub->t87[0] = 0x00;
	pub->t87[1] = 0x66;
	pub->has87 = 1;

	uint8_t *cert = NULL;
	size_t certlen = 0;
	if (vte_p_cert(p, key, &cert, &certlen)) {
		EVP_PKEY_free(key);
		return -1;
	}
	EVP_PKEY_free(key);
	unsigned char *subj = NULL;
	int subjlen = vt_perso_cert_subject(cert, certlen, &subj);

	/* modulus as the vendor stores it: a leading 00 byte */
	uint8_t mod[VTE_RSA_MAX + 1], hp[4], hs[4];
	mod[0] = 0;
	memcpy(mod + 1, pub->n.v, pub->n.len);
	put_le32(hp, hpub);
	put_le32(hs, hpriv);
	vt_espk_cont k = { .name = cname, .mod = mod, .mod_len = pub->n.len + 1,
			   .exp = pub->e.v, .exp_len = pub->e.len,
			   .cert = cert, .cert_len = certlen,
			   .subj = subj, .subj_len = subjlen > 0 ? (size_t)subjlen : 0,
			   .pub_key = hp, .priv_key = hs, .key_len = 4 };
	vt_espk_key_id(k.id, pub->n.v, pub->n.len);
	char serial_hex[17];
	vt_espk_serial_hex(serial_hex, c->serial);
	uint8_t cardid[16], cmrec[VT_ESPK_CMAP_REC], cmhead[32] = { 0 },
		cmentry[24] = { 0 };
	vt_espk_card_id(cardid, c->serial);
	vt_espk_cmap_record(cmrec, cname, bits);
	cmhead[0] = 1;                               /* one container */
	put_le32(cmentry, hpriv);
	put_le32(cmentry + 4, hpub);
	vt_buf ti = { 0 }, cid = { 0 }, cmap = { 0 }, cmf = { 0 }, cf = { 0 },
	       pk = { 0 }, sk = { 0 };
	int rc = subjlen <= 0 ||
		 padded(&ti, label, 32) || padded(&ti, "EnterSafe", 32) ||
		 vt_buf_put(&ti, serial_hex, 16) ||
		 vt_buf_put(&cid, cardid, 16) ||
		 vt_buf_put(&cmap, cmhead, 32) || vt_buf_put(&cmap, cmentry, 24) ||
		 vt_buf_put(&cmf, cmrec, sizeof cmrec) ||
		 vt_espk_objects(&k, &cf, &pk, &sk) ||
		 add_file(&e, 0x6F02, "tkinfdir", "tokeninfo", &ti, 0) ||
		 add_file(&e, 0x6F03, "internal", "cardid", &cid, 16) ||
		 add_file(&e, 0x6F04, "internal", "containermap", &cmap, 32 + 24 * 8) ||
		 add_file(&e, 0x6F05, "mscp", "cmapfile", &cmf, 86 * 8) ||
		 add_file(&e, 0x2401, "ESPK", "cert0001", &cf, 0) ||
		 add_file(&e, 0x2501, "ESPK", "pubk0001", &pk, 0) ||
		 add_file(&e, 0x2601, "ESPK", "prvk0001", &sk, 0);
	/* the index itself, with room for 32 records */
	if (!rc) {
		size_t used = e.index.rec.len;
		rc = vte_p_ef(c, e.df, 0x6F01, used > 30 * 32 ? used : 30 * 32, acl_data,
			      e.index.rec.p, used) < 0;
	}
	OPENSSL_free(subj);
	OPENSSL_free(cert);
	vt_buf_free(&ti); vt_buf_free(&cid); vt_buf_free(&cmap); vt_buf_free(&cmf);
	vt_buf_free(&cf); vt_buf_free(&pk); vt_buf_free(&sk); vt_buf_free(&e.index.rec);
	if (!rc && vte_mem_used(c) > VTE_MEM_LIMIT)
		rc = -1;
	if (rc)
		fprintf(stderr, "ukey-vtoken: espk personalisation failed\n");
	return rc ? -1 : 0;
}
