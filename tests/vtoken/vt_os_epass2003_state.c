/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ePass2003 emulation: lifecycle, card models and the persistent image.
 *
 * Image v1 (big-endian, blobs = u32 length + bytes):
 *   "UKE3" u32 version=1
 *   u8 model  serial[8]  sm_kenc[16]  sm_kmac[16]
 *   u16 nfiles, each:
 *     u16 index  u8 type  u16 fid  u16 parent  blob name(<=16)  acl[8]
 *     blob prop(<=8)  u8 has87  t87[2]  blob data  u16 rec_size
 *     u8 nrec + nrec blobs  u16 bits  blob n  blob e  blob d
 *   u16 nkeys, each: u16 df  hdr[10]  u8 ec  blob value(<=32)
 *   nothing after.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/rand.h>

#include "vt_os_epass2003.h"

#define VTE_MAGIC "UKE3"
#define VTE_IMAGE_VERSION 1u

/* OpenSC's g_init_key_enc / g_init_key_mac: 01 02 .. 10 */
const uint8_t vte_default_sm_key[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
					 11, 12, 13, 14, 15, 16 };

vte_card *vte_card_new(void)
{
	vte_card *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->model = VTE_MODEL_DES;
	memcpy(c->sm_kenc, vte_default_sm_key, 16);
	memcpy(c->sm_kmac, vte_default_sm_key, 16);
	if (RAND_bytes(c->serial, sizeof c->serial) != 1) {
		free(c);
		return NULL;
	}
	vte_card_reset(c);
	return c;
}

void vte_card_wipe_fs(vte_card *c)
{
	for (int i = 0; i < VTE_MAX_FILES; i++)
		if (c->files[i].used)
			vte_file_free(&c->files[i]);
	for (int i = 0; i < VTE_MAX_KEYS; i++)
		vte_key_clear(&c->keys[i]);
	c->cur_df = c->cur_ef = VTE_NONE;
	c->env_set = 0;
	c->hash_set = 0;
}

void vte_card_free(vte_card *c)
{
	if (!c)
		return;
	vte_card_wipe_fs(c);
	vt_wipe(c, sizeof *c);
	free(c);
}

void vte_card_reset(vte_card *c)
{
	vte_sm_drop(c);
	c->cur_df = c->cur_ef = VTE_NONE;
	for (int i = 0; i < VTE_MAX_FILES; i++)
		if (c->files[i].used && c->files[i].parent == VTE_NONE)
			c->cur_df = (uint16_t)i;
	c->in_sm = 0;
	c->chal_next = c->chal_live = 0;
	vt_wipe(c->chal, sizeof c->chal);
	c->env_set = 0;
	c->hash_set = 0;
	vt_wipe(c->hash, sizeof c->hash);
}

/* ------------------------------------------------------------- models */

static const struct {
	const char *name;
	int model;
} models[] = {
	{ "des", VTE_MODEL_DES },
	{ "aes", VTE_MODEL_AES },
	{ "fips", VTE_MODEL_FIPS },
};

int vte_model_by_name(const char *name)
{
	for (size_t i = 0; i < sizeof models / sizeof models[0]; i++)
		if (!strcasecmp(name, models[i].name))
			return models[i].model;
	return -1;
}

const char *vte_model_name(int model)
{
	for (size_t i = 0; i < sizeof models / sizeof models[0]; i++)
		if (models[i].model == model)
			return models[i].name;
	return "?";
}

/* The ATR OpenSC's comments and public GET DATA dumps pair with the FIPS
 * firmware (historical bytes 10 11 31) means FIPS; every other ATR the
 * 3DES model. The ATR does not decide it for OpenSC (GET DATA 86 does). */
int vte_model_from_atr(const uint8_t *atr, size_t len)
{
	static const uint8_t fips[3] = { 0x10, 0x11, 0x31 };
	if (len == 23 && !memcmp(atr + 12, fips, 3))
		return VTE_MODEL_FIPS;
	return VTE_MODEL_DES;
}

/* ------------------------------------------------------------- saving */

static int put_bn(vt_buf *o, const vte_bn *b)
{
	return vt_buf_put_blob(o, b->v, b->v ? b->len : 0);
}

int vte_save(const vte_card *c, vt_buf *o)
{
	int rc = vt_buf_put(o, VTE_MAGIC, 4) || vt_buf_put_u32(o, VTE_IMAGE_VERSION) ||
		 vt_buf_put_u8(o, c->model) || vt_buf_put(o, c->serial, 8) ||
		 vt_buf_put(o, c->sm_kenc, 16) || vt_buf_put(o, c->sm_kmac, 16);
	uint16_t nf = 0, nk = 0;
	for (int i = 0; i < VTE_MAX_FILES; i++)
		nf += c->files[i].used ? 1 : 0;
	for (int i = 0; i < VTE_MAX_KEYS; i++)
		nk += c->keys[i].used ? 1 : 0;
	rc = rc || vt_buf_put_u16(o, nf);
	for (int i = 0; i < VTE_MAX_FILES && !rc; i++) {
		const vte_file *f = &c->files[i];
		if (!f->used)
			continue;
		rc = vt_buf_put_u16(o, (uint16_t)i) || vt_buf_put_u8(o, f->type) ||
		     vt_buf_put_u16(o, f->fid) || vt_buf_put_u16(o, f->parent) ||
		     vt_buf_put_blob(o, f->name, f->namelen) || vt_buf_put(o, f->acl, 8) ||
		     vt_buf_put_blob(o, f->prop, f->proplen) || vt_buf_put_u8(o, f->has87) ||
		     vt_buf_put(o, f->t87, 2) ||
		     vt_buf_put_blob(o, f->data, f->data ? f->size : 0) ||
		     vt_buf_put_u16(o, f->rec_size) || vt_buf_put_u8(o, f->nrec);
		for (int r = 0; r < f->nrec && !rc; r++)
			rc = vt_buf_put_blob(o, f->rec[r], f->rec_len[r]);
		rc = rc || vt_buf_put_u16(o, f->bits) || put_bn(o, &f->n) ||
		     put_bn(o, &f->e) || put_bn(o, &f->d);
	}
	rc = rc || vt_buf_put_u16(o, nk);
	for (int i = 0; i < VTE_MAX_KEYS && !rc; i++) {
		const vte_key *k = &c->keys[i];
		if (!k->used)
			continue;
		rc = vt_buf_put_u16(o, k->df) || vt_buf_put(o, k->hdr, 10) ||
		     vt_buf_put_u8(o, k->ec) || vt_buf_put_blob(o, k->val, k->vlen);
	}
	return rc ? -1 : 0;
}

/* ------------------------------------------------------------ loading */

static int rd_fixed(vt_rd *r, void *out, size_t max, uint8_t *len)
{
	size_t n = 0;
	uint8_t *p = vt_rd_blob(r, &n, max);
	if (r->err)
		return -1;
	if (n)
		memcpy(out, p, n);
	*len = (uint8_t)n;
	vt_wipe(p, n);
	free(p);
	return 0;
}

static int rd_bn(vt_rd *r, vte_bn *b)
{
	size_t n = 0;
	uint8_t *p = vt_rd_blob(r, &n, VTE_RSA_MAX + 1);
	if (r->err)
		return -1;
	b->v = p;
	b->len = n;
	return 0;
}

static const char *load_file(vt_rd *r, vte_card *c)
{
	uint16_t idx = vt_rd_u16(r);
	if (r->err || idx >= VTE_MAX_FILES || c->files[idx].used)
		return "bad file index";
	vte_file *f = &c->files[idx];
	f->used = 1;
	f->type = vt_rd_u8(r);
	f->fid = vt_rd_u16(r);
	f->parent = vt_rd_u16(r);
	if (rd_fixed(r, f->name, 16, &f->namelen))
		return "bad DF name";
	vt_rd_bytes(r, f->acl, 8);
	if (rd_fixed(r, f->prop, 8, &f->proplen))
		return "bad tag 85";
	f->has87 = vt_rd_u8(r);
	vt_rd_bytes(r, f->t87, 2);
	size_t n = 0;
	f->data = vt_rd_blob(r, &n, VTE_MEM_LIMIT);
	if (r->err || n > 0xFFFF)
		return "bad file data";
	f->size = (uint16_t)n;
	if (f->type == VTE_FT_EF && !f->data && !(f->data = calloc(1, 1)))
		return "out of memory";
	if (f->type != VTE_FT_EF && f->data)
		return "data in a non-transparent file";
	f->rec_size = vt_rd_u16(r);
	f->nrec = vt_rd_u8(r);
	if (r->err || f->nrec > VTE_MAX_RECS)
		return "bad record count";
	for (int i = 0; i < f->nrec; i++) {
		size_t l = 0;
		f->rec[i] = vt_rd_blob(r, &l, 255);
		if (r->err || l == 0)
			return "bad record";
		f->rec_len[i] = (uint8_t)l;
	}
	f->bits = vt_rd_u16(r);
	if (rd_bn(r, &f->n) || rd_bn(r, &f->e) || rd_bn(r, &f->d))
		return "bad key material";
	switch (f->type) {
	case VTE_FT_DF: case VTE_FT_EF: case VTE_FT_LINEAR_FIXED:
	case VTE_FT_LINEAR_VAR: case VTE_FT_BSO: case VTE_FT_RSA_PRIV:
	case VTE_FT_RSA_PUB:
		break;
	default:
		return "bad file type";
	}
	return r->err ? "truncated file" : NULL;
}

/* Parents must be DFs, exactly one MF, no cycles, unique FIDs per DF. */
static const char *check_tree(const vte_card *c)
{
	int mfs = 0;
	for (int i = 0; i < VTE_MAX_FILES; i++) {
		const vte_file *f = &c->files[i];
		if (!f->used)
			continue;
		if (f->parent == VTE_NONE) {
			if (f->fid != 0x3F00 || f->type != VTE_FT_DF)
				return "bad MF";
			mfs++;
			continue;
		}
		if (f->parent >= VTE_MAX_FILES || !c->files[f->parent].used ||
		    c->files[f->parent].type != VTE_FT_DF)
			return "bad parent";
		int depth = 0;
		for (uint16_t d = f->parent; d != VTE_NONE; d = c->files[d].parent)
			if (++depth > 16)
				return "file tree has a cycle";
		for (int j = 0; j < i; j++)
			if (c->files[j].used && c->files[j].parent == f->parent &&
			    c->files[j].fid == f->fid)
				return "duplicate FID";
	}
	return mfs > 1 ? "two MFs" : NULL;
}

vte_card *vte_load(const uint8_t *img, size_t len)
{
	vt_rd r = { img, len, 0 };
	const char *why = NULL;
	uint8_t magic[4];
	vte_card *c = vte_card_new();
	if (!c) {
		fprintf(stderr, "epass2003 state: out of memory\n");
		return NULL;
	}
	vt_rd_bytes(&r, magic, 4);
	uint32_t ver = vt_rd_u32(&r);
	if (r.err || memcmp(magic, VTE_MAGIC, 4)) {
		why = "not an epass2003 state image";
		goto bad;
	}
	if (ver != VTE_IMAGE_VERSION) {
		why = "unsupported state image version";
		goto bad;
	}
	c->model = vt_rd_u8(&r);
	vt_rd_bytes(&r, c->serial, 8);
	vt_rd_bytes(&r, c->sm_kenc, 16);
	vt_rd_bytes(&r, c->sm_kmac, 16);
	if (r.err || c->model > VTE_MODEL_FIPS) {
		why = "bad card header";
		goto bad;
	}
	uint16_t nf = vt_rd_u16(&r);
	if (r.err || nf > VTE_MAX_FILES) {
		why = "bad file count";
		goto bad;
	}
	for (uint16_t i = 0; i < nf && !why; i++)
		why = load_file(&r, c);
	if (!why)
		why = check_tree(c);
	if (why)
		goto bad;
	uint16_t nk = vt_rd_u16(&r);
	if (r.err || nk > VTE_MAX_KEYS) {
		why = "bad key count";
		goto bad;
	}
	for (uint16_t i = 0; i < nk; i++) {
		vte_key *k = &c->keys[i];
		k->used = 1;
		k->df = vt_rd_u16(&r);
		vt_rd_bytes(&r, k->hdr, 10);
		k->ec = vt_rd_u8(&r);
		if (rd_fixed(&r, k->val, 32, &k->vlen) || k->df >= VTE_MAX_FILES ||
		    !c->files[k->df].used || c->files[k->df].type != VTE_FT_DF) {
			why = "bad key record";
			goto bad;
		}
	}
	if (r.err || r.left) {
		why = r.err ? "truncated image" : "trailing bytes after image";
		goto bad;
	}
	if (vte_mem_used(c) > VTE_MEM_LIMIT) {
		why = "contents exceed the card's memory";
		goto bad;
	}
	vte_card_reset(c);
	return c;
bad:
	fprintf(stderr, "epass2003 state: %s\n", why);
	vte_card_free(c);
	return NULL;
}

/* ----------------------------------------------------------- describe */

static void print_name(const uint8_t *n, size_t len, FILE *out)
{
	int text = len > 0;
	for (size_t i = 0; i < len; i++)
		text = text && n[i] >= 0x20 && n[i] < 0x7F;
	if (text) {
		fprintf(out, "\"%.*s\"", (int)len, (const char *)n);
		return;
	}
	for (size_t i = 0; i < len; i++)
		fprintf(out, "%02X", n[i]);
}

static void print_acl(const vte_file *f, FILE *out)
{
	fprintf(out, " acl ");
	for (int i = 0; i < 8; i++)
		fprintf(out, "%02X", f->acl[i]);
}

static void describe_df(vte_card *c, uint16_t df, int depth, FILE *out)
{
	for (int i = 0; i < VTE_MAX_FILES; i++) {
		vte_file *f = &c->files[i];
		if (!f->used || f->parent != df)
			continue;
		fprintf(out, "%*s%04X ", 2 * depth + 2, "", f->fid);
		switch (f->type) {
		case VTE_FT_DF:
			fprintf(out, "DF ");
			print_name(f->name, f->namelen, out);
			print_acl(f, out);
			fprintf(out, "\n");
			for (int k = 0; k < VTE_MAX_KEYS; k++)
				if (c->keys[k].used && c->keys[k].df == (uint16_t)i)
					fprintf(out, "%*skey kid %u type %02X tries %u/%u"
						" hdr %02X%02X%02X%02X%02X%02X%02X%02X\n",
						2 * depth + 4, "", VTE_KID(&c->keys[k]),
						VTE_KTYPE(&c->keys[k]), c->keys[k].ec & 0x0F,
						c->keys[k].ec >> 4, c->keys[k].hdr[2],
						c->keys[k].hdr[3], c->keys[k].hdr[4],
						c->keys[k].hdr[5], c->keys[k].hdr[6],
						c->keys[k].hdr[7], c->keys[k].hdr[8],
						c->keys[k].hdr[9]);
			describe_df(c, (uint16_t)i, depth + 1, out);
			break;
		case VTE_FT_EF:
			fprintf(out, "EF %u bytes", f->size);
			print_acl(f, out);
			fprintf(out, "\n");
			break;
		case VTE_FT_LINEAR_FIXED:
		case VTE_FT_LINEAR_VAR:
			fprintf(out, "linear EF, %u records", f->nrec);
			print_acl(f, out);
			fprintf(out, "\n");
			break;
		case VTE_FT_BSO:
			fprintf(out, "BSO");
			print_acl(f, out);
			fprintf(out, "\n");
			break;
		default:
			fprintf(out, "RSA %s key, %u bits%s",
				f->type == VTE_FT_RSA_PRIV ? "private" : "public", f->bits,
				f->n.v ? "" : " (empty)");
			print_acl(f, out);
			fprintf(out, "\n");
			break;
		}
	}
}

void vte_describe(vte_card *c, FILE *out)
{
	fprintf(out, "ePass2003 token, SM model %s, serial ", vte_model_name(c->model));
	for (int i = 0; i < 8; i++)
		fprintf(out, "%02X", c->serial[i]);
	fprintf(out, "\n");
	for (int i = 0; i < VTE_MAX_FILES; i++)
		if (c->files[i].used && c->files[i].parent == VTE_NONE) {
			fprintf(out, "  3F00 MF ");
			print_name(c->files[i].name, c->files[i].namelen, out);
			print_acl(&c->files[i], out);
			fprintf(out, "\n");
			describe_df(c, (uint16_t)i, 1, out);
		}
}
