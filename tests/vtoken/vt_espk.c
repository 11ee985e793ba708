/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ENTERSAFE-ESPK building blocks (see vt_espk.h). */
#include <stdio.h>
#include <string.h>

#include <openssl/sha.h>

#include "vt_espk.h"

static int le32(vt_buf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 24) };
	return vt_buf_put(b, x, 4);
}

int vt_espk_attr(vt_buf *b, uint32_t type, const void *v, size_t len)
{
	return le32(b, type) || le32(b, (uint32_t)len) || vt_buf_put(b, v, len) ? -1 : 0;
}

int vt_espk_attr_ulong(vt_buf *b, uint32_t type, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 24) };
	return vt_espk_attr(b, type, x, 4);
}

int vt_espk_attr_bool(vt_buf *b, uint32_t type, int v)
{
	uint8_t x = v ? 1 : 0;
	return vt_espk_attr(b, type, &x, 1);
}

/* Copy at most cap bytes of s to dst (the rest of dst stays zero). */
static void put_name(uint8_t *dst, const char *s, size_t cap)
{
	size_t l = strlen(s);
	memcpy(dst, s, l > cap ? cap : l);
}

int vt_espk_index_add(vt_espk_index *ix, uint16_t fid, const char *dir,
		      const char *name, uint8_t read_ac, size_t used, size_t alloc)
{
	uint8_t rec[VT_ESPK_INDEX_REC] = { 0 };
	if (!ix->lastdir || strcmp(ix->lastdir, dir)) {
		rec[0] = rec[1] = 0xFF;
		put_name(rec + 2, dir, 10);
		rec[25] = read_ac;
		if (vt_buf_put(&ix->rec, rec, sizeof rec))
			return -1;
		memset(rec, 0, sizeof rec);
		ix->lastdir = dir;
	}
	rec[0] = (uint8_t)fid;
	rec[1] = (uint8_t)(fid >> 8);
	put_name(rec + 2, dir, 10);
	put_name(rec + 12, name, 13);
	rec[25] = read_ac;
	rec[26] = (uint8_t)used;
	rec[27] = (uint8_t)(used >> 8);
	rec[28] = (uint8_t)alloc;
	rec[29] = (uint8_t)(alloc >> 8);
	return vt_buf_put(&ix->rec, rec, sizeof rec);
}

void vt_espk_key_id(uint8_t id[20], const uint8_t *n, size_t nlen)
{
	SHA1(n, nlen, id);
}

/* LABEL and ID, common to the three objects of a container. */
static int label_id(vt_buf *b, const vt_espk_cont *k)
{
	return vt_espk_attr(b, VT_CKA_LABEL, k->name, strlen(k->name)) ||
	       vt_espk_attr(b, VT_CKA_ID, k->id, sizeof k->id);
}

/* A key object: CLASS cls, KEY_TYPE RSA, TOKEN, the flags before the
 * label (private: PRIVATE, SENSITIVE), LABEL, ID, MODULUS,
 * PUBLIC_EXPONENT, its uses, the vendor key attribute. */
static int key_obj(vt_buf *b, const vt_espk_cont *k, int priv)
{
	return vt_espk_attr_ulong(b, VT_CKA_CLASS, priv ? 3 : 2) ||
	       vt_espk_attr_ulong(b, VT_CKA_KEY_TYPE, 0) ||
	       vt_espk_attr_bool(b, VT_CKA_TOKEN, 1) ||
	       (priv && (vt_espk_attr_bool(b, VT_CKA_PRIVATE, 1) ||
			 vt_espk_attr_bool(b, VT_CKA_SENSITIVE, 1))) ||
	       label_id(b, k) ||
	       vt_espk_attr(b, VT_CKA_MODULUS, k->mod, k->mod_len) ||
	       vt_espk_attr(b, VT_CKA_PUBLIC_EXPONENT, k->exp, k->exp_len) ||
	       (priv ? vt_espk_attr_bool(b, VT_CKA_SIGN, 1) ||
		       vt_espk_attr_bool(b, VT_CKA_DECRYPT, 1)
		     : vt_espk_attr_bool(b, VT_CKA_VERIFY, 1)) ||
	       vt_espk_attr(b, VT_CKA_VENDOR_KEY, priv ? k->priv_key : k->pub_key,
			    k->key_len);
}

int vt_espk_objects(const vt_espk_cont *k, vt_buf *cert, vt_buf *pub,
		    vt_buf *priv)
{
	return vt_espk_attr_ulong(cert, VT_CKA_CLASS, 1) ||
	       vt_espk_attr_bool(cert, VT_CKA_TOKEN, 1) ||
	       vt_espk_attr_ulong(cert, VT_CKA_CERTIFICATE_TYPE, 0) ||
	       label_id(cert, k) ||
	       vt_espk_attr(cert, VT_CKA_SUBJECT, k->subj, k->subj_len) ||
	       vt_espk_attr(cert, VT_CKA_VALUE, k->cert, k->cert_len) ||
	       key_obj(pub, k, 0) || key_obj(priv, k, 1) ? -1 : 0;
}

void vt_espk_cmap_record(uint8_t rec[VT_ESPK_CMAP_REC], const char *name,
			 unsigned bits)
{
	memset(rec, 0, VT_ESPK_CMAP_REC);
	for (size_t i = 0; name[i] && i < 39; i++)
		rec[2 * i] = (uint8_t)name[i];    /* UTF-16LE */
	rec[80] = 0x03;                           /* valid | default */
	rec[84] = (uint8_t)bits;
	rec[85] = (uint8_t)(bits >> 8);
}

void vt_espk_card_id(uint8_t id[16], const uint8_t serial[8])
{
	memset(id, 0, 16);
	memcpy(id, serial, 8);
}

void vt_espk_serial_hex(char hex[17], const uint8_t serial[8])
{
	for (int i = 0; i < 8; i++)
		snprintf(hex + 2 * i, 3, "%02X", serial[i]);
}
