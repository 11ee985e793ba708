/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ePass2003 file system: SELECT (FID, DF name, path), READ/UPDATE BINARY,
 * records of linear EFs (EF.DIR), CREATE FILE from an FCP (62 ...),
 * DELETE FILE (3F00 wipes the card), LIST FILES, and the access rules.
 */
#include <stdlib.h>
#include <string.h>

#include "vt_os_epass2003.h"

/* Access condition (tag 86 byte): FF never. Bit 7 = the command must come
 * under secure messaging. Bits 6..4 compare the security level reached by
 * EXTERNAL AUTHENTICATE / VERIFY with the low nibble: 1 (and 0 without SM
 * bit) "no less", 3 "equal", 2 "less", 0 with SM bit "unequal" (OpenSC's
 * names MAC_NOLESS 90, MAC_EQUAL B0, MAC_LESS A0, MAC_UNEQUAL 80). */
int vte_ac_ok(const vte_card *c, uint8_t ac)
{
	uint8_t lvl = ac & 0x0F, rule = (uint8_t)(ac >> 4);
	if (ac == 0xFF)
		return 0;
	if ((ac & 0x80) && !c->in_sm)
		return 0;
	switch (rule) {
	case 0x0: case 0x1: case 0x9:
		return c->level >= lvl;
	case 0xB:
		return c->level == lvl;
	case 0xA:
		return c->level < lvl;
	case 0x8:
		return c->level != lvl;
	default:
		return 0;
	}
}

void vte_file_free(vte_file *f)
{
	if (f->data) {
		vt_wipe(f->data, f->size);
		free(f->data);
	}
	for (int i = 0; i < VTE_MAX_RECS; i++)
		free(f->rec[i]);
	vte_bn_clear(&f->n);
	vte_bn_clear(&f->e);
	vte_bn_clear(&f->d);
	memset(f, 0, sizeof *f);
}

size_t vte_mem_used(const vte_card *c)
{
	size_t n = 0;
	for (int i = 0; i < VTE_MAX_FILES; i++) {
		const vte_file *f = &c->files[i];
		if (!f->used)
			continue;
		n += 32 + f->size;
		for (int r = 0; r < f->nrec; r++)
			n += f->rec_len[r];
		if (f->type == VTE_FT_RSA_PRIV || f->type == VTE_FT_RSA_PUB)
			n += (size_t)f->bits / 4;
	}
	return n;
}

int vte_find_child(const vte_card *c, uint16_t df, uint16_t fid)
{
	for (int i = 0; i < VTE_MAX_FILES; i++)
		if (c->files[i].used && c->files[i].parent == df &&
		    c->files[i].fid == fid)
			return i;
	return -1;
}

static int find_mf(const vte_card *c)
{
	for (int i = 0; i < VTE_MAX_FILES; i++)
		if (c->files[i].used && c->files[i].parent == VTE_NONE)
			return i;
	return -1;
}

int vte_new_file(vte_card *c, uint16_t parent, uint16_t fid, uint8_t type)
{
	for (int i = 0; i < VTE_MAX_FILES; i++) {
		vte_file *f = &c->files[i];
		if (f->used)
			continue;
		memset(f, 0, sizeof *f);
		f->used = 1;
		f->type = type;
		f->fid = fid;
		f->parent = parent;
		memset(f->acl, 0xFF, sizeof f->acl);
		return i;
	}
	return -1;
}

static int is_key_file(const vte_file *f)
{
	return f->type == VTE_FT_RSA_PRIV || f->type == VTE_FT_RSA_PUB;
}

/* FCI of a file: 6F L { 80 82 83 84 85 86 87 } as the card shows it. */
static size_t fci(const vte_file *f, uint8_t *o)
{
	size_t n = 2;
	if (f->type == VTE_FT_EF) {
		o[n++] = 0x80; o[n++] = 2;
		o[n++] = (uint8_t)(f->size >> 8); o[n++] = (uint8_t)f->size;
	}
	o[n++] = 0x82;
	if (f->type == VTE_FT_LINEAR_VAR || f->type == VTE_FT_LINEAR_FIXED) {
		o[n++] = 5;
		o[n++] = f->type; o[n++] = 0;
		o[n++] = (uint8_t)(f->rec_size >> 8); o[n++] = (uint8_t)f->rec_size;
		o[n++] = f->nrec;            /* the card reports the record count */
	} else {
		o[n++] = 2; o[n++] = f->type; o[n++] = 0;
	}
	o[n++] = 0x83; o[n++] = 2;
	o[n++] = (uint8_t)(f->fid >> 8); o[n++] = (uint8_t)f->fid;
	if (f->type == VTE_FT_DF && f->namelen) {
		o[n++] = 0x84; o[n++] = f->namelen;
		memcpy(o + n, f->name, f->namelen);
		n += f->namelen;
	}
	if (f->proplen) {
		o[n++] = 0x85; o[n++] = f->proplen;
		memcpy(o + n, f->prop, f->proplen);
		n += f->proplen;
	}
	o[n++] = 0x86; o[n++] = 8;
	memcpy(o + n, f->acl, 8);
	n += 8;
	if (f->has87) {
		o[n++] = 0x87; o[n++] = 2;
		o[n++] = f->t87[0]; o[n++] = f->t87[1];
	}
	o[0] = 0x6F;
	o[1] = (uint8_t)(n - 2);
	return n;
}

/* Make idx current; answer its FCI when asked (P2 00/04), nothing for 0C. */
static size_t selected(vte_card *c, int idx, uint8_t p2, uint8_t *rsp)
{
	vte_file *f = &c->files[idx];
	if (f->type == VTE_FT_RSA_PRIV)
		return vt_sw(rsp, 0, 0x6982);   /* private keys are not selectable */
	if (f->type == VTE_FT_DF) {
		c->cur_df = (uint16_t)idx;
		c->cur_ef = VTE_NONE;
	} else {
		c->cur_ef = (uint16_t)idx;
	}
	if (p2 == 0x0C)
		return vt_sw(rsp, 0, 0x9000);
	return vt_sw(rsp, fci(f, rsp), 0x9000);
}

static int select_fid(const vte_card *c, uint16_t fid)
{
	int mf = find_mf(c);
	if (fid == 0x3F00)
		return mf;
	if (c->cur_df == VTE_NONE)
		return -1;
	const vte_file *df = &c->files[c->cur_df];
	if (df->fid == fid)
		return c->cur_df;
	int i = vte_find_child(c, c->cur_df, fid);
	if (i >= 0)
		return i;
	if (df->parent != VTE_NONE && c->files[df->parent].fid == fid)
		return df->parent;
	return -1;
}

size_t vte_select(vte_card *c, const vte_cmd *m, uint8_t *rsp)
{
	if (m->p2 != 0x00 && m->p2 != 0x04 && m->p2 != 0x0C)
		return vt_sw(rsp, 0, 0x6A86);
	int idx = -1;
	switch (m->p1) {
	case 0x00:
		if (m->lc == 0) {
			idx = find_mf(c);
			break;
		}
		if (m->lc != 2)
			return vt_sw(rsp, 0, 0x6700);
		idx = select_fid(c, (uint16_t)(m->data[0] << 8 | m->data[1]));
		break;
	case 0x04:                      /* DF name (a prefix is enough) */
		if (m->lc < 1 || m->lc > 16)
			return vt_sw(rsp, 0, 0x6700);
		for (int i = 0; i < VTE_MAX_FILES && idx < 0; i++) {
			const vte_file *f = &c->files[i];
			if (f->used && f->type == VTE_FT_DF && f->namelen >= m->lc &&
			    !memcmp(f->name, m->data, m->lc))
				idx = i;
		}
		break;
	case 0x08:                      /* path from the MF */
	case 0x09: {                    /* path from the current DF */
		if (m->lc < 2 || m->lc % 2 || m->lc > 16)
			return vt_sw(rsp, 0, 0x6700);
		int at = m->p1 == 0x08 ? find_mf(c) : (int)c->cur_df;
		if (c->cur_df == VTE_NONE && m->p1 == 0x09)
			at = -1;
		for (size_t o = 0; o < m->lc && at >= 0; o += 2) {
			uint16_t fid = (uint16_t)(m->data[o] << 8 | m->data[o + 1]);
			if (o == 0 && m->p1 == 0x08 && fid == 0x3F00)
				continue;
			if (c->files[at].type != VTE_FT_DF) {
				at = -1;
				break;
			}
			at = vte_find_child(c, (uint16_t)at, fid);
		}
		idx = at;
		if (idx >= 0) {
			/* the DF holding the target becomes current */
			const vte_file *f = &c->files[idx];
			if (f->type != VTE_FT_DF && f->parent != VTE_NONE)
				c->cur_df = f->parent;
		}
		break;
	}
	default:
		return vt_sw(rsp, 0, 0x6A86);
	}
	if (idx < 0)
		return vt_sw(rsp, 0, 0x6A82);
	return selected(c, idx, m->p2, rsp);
}

static vte_file *cur_ef(vte_card *c, uint16_t *sw)
{
	if (c->cur_ef == VTE_NONE) {
		*sw = 0x6986;
		return NULL;
	}
	return &c->files[c->cur_ef];
}

size_t vte_read_binary(vte_card *c, const vte_cmd *m, uint8_t *rsp)
{
	uint16_t sw;
	if (m->p1 & 0x80)
		return vt_sw(rsp, 0, 0x6A81);   /* no short FIDs */
	vte_file *f = cur_ef(c, &sw);
	if (!f)
		return vt_sw(rsp, 0, sw);
	if (f->type != VTE_FT_EF)
		return vt_sw(rsp, 0, 0x6981);
	if (!vte_ac_ok(c, f->acl[0]))
		return vt_sw(rsp, 0, 0x6982);
	size_t off = (size_t)m->p1 << 8 | m->p2, want = m->le < 0 ? 256 : (size_t)m->le;
	if (off >= f->size)
		return vt_sw(rsp, 0, 0x6B00);
	size_t n = f->size - off < want ? f->size - off : want;
	memcpy(rsp, f->data + off, n);
	return vt_sw(rsp, n, 0x9000);
}

size_t vte_update_binary(vte_card *c, const vte_cmd *m, uint8_t *rsp,
			 int *dirty)
{
	uint16_t sw;
	if (m->p1 & 0x80)
		return vt_sw(rsp, 0, 0x6A81);
	vte_file *f = cur_ef(c, &sw);
	if (!f)
		return vt_sw(rsp, 0, sw);
	if (f->type != VTE_FT_EF)
		return vt_sw(rsp, 0, 0x6981);
	if (!vte_ac_ok(c, f->acl[1]))
		return vt_sw(rsp, 0, 0x6982);
	size_t off = (size_t)m->p1 << 8 | m->p2;
	if (m->lc == 0 || off + m->lc > f->size)
		return vt_sw(rsp, 0, off >= f->size ? 0x6B00 : 0x6700);
	memcpy(f->data + off, m->data, m->lc);
	*dirty = 1;
	return vt_sw(rsp, 0, 0x9000);
}

static int is_linear(const vte_file *f)
{
	return f->type == VTE_FT_LINEAR_VAR || f->type == VTE_FT_LINEAR_FIXED;
}

size_t vte_read_record(vte_card *c, const vte_cmd *m, uint8_t *rsp)
{
	uint16_t sw;
	vte_file *f = cur_ef(c, &sw);
	if (!f)
		return vt_sw(rsp, 0, sw);
	if (!is_linear(f))
		return vt_sw(rsp, 0, 0x6981);
	if (m->p2 != 0x04)
		return vt_sw(rsp, 0, 0x6A86);
	if (!vte_ac_ok(c, f->acl[0]))
		return vt_sw(rsp, 0, 0x6982);
	if (m->p1 == 0 || m->p1 > f->nrec)
		return vt_sw(rsp, 0, 0x6A83);
	size_t n = f->rec_len[m->p1 - 1];
	if (m->le >= 0 && (size_t)m->le < n)
		n = (size_t)m->le;
	memcpy(rsp, f->rec[m->p1 - 1], n);
	return vt_sw(rsp, n, 0x9000);
}

/* UPDATE RECORD (DC, P1 = record, P2 = 04) and APPEND RECORD (E2). */
size_t vte_write_record(vte_card *c, const vte_cmd *m, uint8_t *rsp,
			int *dirty)
{
	uint16_t sw;
	vte_file *f = cur_ef(c, &sw);
	if (!f)
		return vt_sw(rsp, 0, sw);
	if (!is_linear(f))
		return vt_sw(rsp, 0, 0x6981);
	int append = m->ins == 0xE2;
	if (append ? (m->p1 || m->p2) : m->p2 != 0x04)
		return vt_sw(rsp, 0, 0x6A86);
	if (!vte_ac_ok(c, f->acl[append ? 2 : 1]))
		return vt_sw(rsp, 0, 0x6982);
	if (m->lc == 0 || m->lc > f->rec_size || m->lc > 255)
		return vt_sw(rsp, 0, 0x6700);
	int r;
	if (append) {
		if (f->nrec >= VTE_MAX_RECS)
			return vt_sw(rsp, 0, 0x6A84);
		r = f->nrec;
	} else {
		if (m->p1 == 0 || m->p1 > f->nrec)
			return vt_sw(rsp, 0, 0x6A83);
		r = m->p1 - 1;
	}
	if (vte_mem_used(c) + m->lc > VTE_MEM_LIMIT)
		return vt_sw(rsp, 0, 0x6A84);
	uint8_t *p = malloc(m->lc);
	if (!p)
		return vt_sw(rsp, 0, 0x6581);
	memcpy(p, m->data, m->lc);
	free(f->rec[r]);
	f->rec[r] = p;
	f->rec_len[r] = (uint8_t)m->lc;
	if (append)
		f->nrec++;
	*dirty = 1;
	return vt_sw(rsp, 0, 0x9000);
}

/* One TLV of an FCP: 0 ok (tag, value, length), -1 malformed. */
static int tlv(const uint8_t *p, size_t left, uint8_t *tag, const uint8_t **v,
	       size_t *l, size_t *used)
{
	if (left < 2 || p[1] >= 0x80 || (size_t)p[1] + 2 > left)
		return -1;
	*tag = p[0];
	*l = p[1];
	*v = p + 2;
	*used = 2 + p[1];
	return 0;
}

int vte_fcp_create(vte_card *c, uint16_t parent, const uint8_t *fcp,
		   size_t len, uint16_t *sw)
{
	*sw = 0x6A80;
	if (len < 2 || fcp[0] != 0x62 || fcp[1] >= 0x80 || (size_t)fcp[1] + 2 != len)
		return -1;
	const uint8_t *v80 = NULL, *v82 = NULL, *v83 = NULL, *v84 = NULL,
		      *v85 = NULL, *v86 = NULL, *v87 = NULL;
	size_t l80 = 0, l82 = 0, l84 = 0, l85 = 0, l86 = 0, l87 = 0;
	for (size_t o = 2; o < len;) {
		uint8_t tag;
		const uint8_t *v;
		size_t l, used;
		if (tlv(fcp + o, len - o, &tag, &v, &l, &used))
			return -1;
		switch (tag) {
		case 0x80: v80 = v; l80 = l; break;
		case 0x82: v82 = v; l82 = l; break;
		case 0x83: if (l != 2) return -1; v83 = v; break;
		case 0x84: v84 = v; l84 = l; break;
		case 0x85: v85 = v; l85 = l; break;
		case 0x86: v86 = v; l86 = l; break;
		case 0x87: v87 = v; l87 = l; break;
		default: break;              /* other tags are ignored */
		}
		o += used;
	}
	if (!v82 || l82 < 1 || !v83)
		return -1;
	uint8_t type = v82[0];
	uint16_t fid = (uint16_t)(v83[0] << 8 | v83[1]);
	size_t size = 0, rec = 0x40;
	switch (type) {
	case VTE_FT_DF:
		if (!v84 || l84 < 1 || l84 > 16)
			return -1;
		break;
	case VTE_FT_EF:
		if (!v80 || l80 < 1 || l80 > 2)
			return -1;
		size = l80 == 2 ? (size_t)v80[0] << 8 | v80[1] : v80[0];
		break;
	case VTE_FT_LINEAR_FIXED:
	case VTE_FT_LINEAR_VAR:
		if (l82 >= 4)
			rec = (size_t)v82[2] << 8 | v82[3];
		if (rec == 0 || rec > 255)
			return -1;
		break;
	case VTE_FT_BSO:
		break;
	case VTE_FT_RSA_PRIV:
	case VTE_FT_RSA_PUB:
		/* key size in bits in 85: 04 00 = 1024, 08 00 = 2048 */
		if (!v85 || l85 != 2)
			return -1;
		size = (size_t)v85[0] << 8 | v85[1];
		if (size != 512 && size != 768 && size != 1024 && size != 2048)
			return -1;
		break;
	default:                         /* EC key files (13, 14) and others */
		return -1;
	}
	if (l85 > 8 || (l86 && l86 != 8) || (v87 && l87 != 2))
		return -1;
	if (parent == VTE_NONE) {
		if (fid != 0x3F00 || type != VTE_FT_DF) {
			*sw = 0x6A82;        /* no MF yet: nothing else can exist */
			return -1;
		}
	} else if (fid == 0x3F00 || vte_find_child(c, parent, fid) >= 0) {
		*sw = 0x6A89;
		return -1;
	}
	if (type == VTE_FT_DF)
		for (int i = 0; i < VTE_MAX_FILES; i++)
			if (c->files[i].used && c->files[i].type == VTE_FT_DF &&
			    c->files[i].namelen == l84 && !memcmp(c->files[i].name, v84, l84)) {
				*sw = 0x6A8A;
				return -1;
			}
	if (vte_mem_used(c) + 32 + (type == VTE_FT_EF ? size : 0) > VTE_MEM_LIMIT) {
		*sw = 0x6A84;
		return -1;
	}
	int idx = vte_new_file(c, parent, fid, type);
	if (idx < 0) {
		*sw = 0x6A84;
		return -1;
	}
	vte_file *f = &c->files[idx];
	if (type == VTE_FT_DF) {
		memcpy(f->name, v84, l84);
		f->namelen = (uint8_t)l84;
	} else if (type == VTE_FT_EF) {
		f->size = (uint16_t)size;
		f->data = calloc(1, size ? size : 1);
		if (!f->data) {
			vte_file_free(f);
			*sw = 0x6581;
			return -1;
		}
	} else if (type == VTE_FT_LINEAR_FIXED || type == VTE_FT_LINEAR_VAR) {
		f->rec_size = (uint16_t)rec;
	} else if (is_key_file(f)) {
		f->bits = (uint16_t)size;
	}
	if (l85) {
		memcpy(f->prop, v85, l85);
		f->proplen = (uint8_t)l85;
	}
	if (l86)
		memcpy(f->acl, v86, 8);
	if (v87) {
		memcpy(f->t87, v87, 2);
		f->has87 = 1;
	}
	return idx;
}

size_t vte_create(vte_card *c, const vte_cmd *m, uint8_t *rsp, int *dirty)
{
	if (m->p1 || m->p2)
		return vt_sw(rsp, 0, 0x6A86);
	int mf = find_mf(c);
	uint16_t parent = VTE_NONE, sw;
	if (mf >= 0) {
		if (c->cur_df == VTE_NONE)
			return vt_sw(rsp, 0, 0x6986);
		parent = c->cur_df;
		if (!vte_ac_ok(c, c->files[parent].acl[1]))
			return vt_sw(rsp, 0, 0x6982);
	}
	int idx = vte_fcp_create(c, parent, m->data, m->lc, &sw);
	if (idx < 0)
		return vt_sw(rsp, 0, sw);
	*dirty = 1;
	if (c->files[idx].type == VTE_FT_DF) {
		c->cur_df = (uint16_t)idx;
		c->cur_ef = VTE_NONE;
	} else {
		c->cur_ef = (uint16_t)idx;
	}
	return vt_sw(rsp, 0, 0x9000);
}

static void delete_tree(vte_card *c, int idx)
{
	for (int i = 0; i < VTE_MAX_FILES; i++)
		if (c->files[i].used && c->files[i].parent == (uint16_t)idx)
			delete_tree(c, i);
	for (int k = 0; k < VTE_MAX_KEYS; k++)
		if (c->keys[k].used && c->keys[k].df == (uint16_t)idx)
			vte_key_clear(&c->keys[k]);
	if (c->env_set && c->files[idx].fid == c->env_fid)
		c->env_set = 0;
	vte_file_free(&c->files[idx]);
}

size_t vte_delete(vte_card *c, const vte_cmd *m, uint8_t *rsp, int *dirty)
{
	if (m->p1 || m->p2)
		return vt_sw(rsp, 0, 0x6A86);
	if (m->lc != 2)
		return vt_sw(rsp, 0, 0x6700);
	uint16_t fid = (uint16_t)(m->data[0] << 8 | m->data[1]);
	int idx = -1;
	if (fid == 0x3F00)
		idx = find_mf(c);
	else if (c->cur_df != VTE_NONE && c->files[c->cur_df].fid == fid)
		idx = c->cur_df;
	else if (c->cur_df != VTE_NONE)
		idx = vte_find_child(c, c->cur_df, fid);
	if (idx < 0)
		return vt_sw(rsp, 0, 0x6A82);
	vte_file *f = &c->files[idx];
	if (!vte_ac_ok(c, f->acl[3]))
		return vt_sw(rsp, 0, 0x6982);
	uint16_t parent = f->parent;
	int was_df = f->type == VTE_FT_DF;
	if (parent == VTE_NONE) {
		vte_card_wipe_fs(c);         /* the MF: the whole card */
	} else {
		/* is the current DF inside what goes away? */
		for (uint16_t d = c->cur_df; d != VTE_NONE; d = c->files[d].parent)
			if (d == (uint16_t)idx) {
				c->cur_df = parent;
				break;
			}
		delete_tree(c, idx);
		if (c->cur_ef != VTE_NONE && !c->files[c->cur_ef].used)
			c->cur_ef = VTE_NONE;
		if (was_df)
			c->cur_ef = VTE_NONE;
	}
	*dirty = 1;
	return vt_sw(rsp, 0, 0x9000);
}

size_t vte_list_files(vte_card *c, const vte_cmd *m, uint8_t *rsp)
{
	(void)m;
	if (c->cur_df == VTE_NONE)
		return vt_sw(rsp, 0, 0x6A82);
	if (!vte_ac_ok(c, c->files[c->cur_df].acl[0]))
		return vt_sw(rsp, 0, 0x6982);
	size_t n = 0;
	for (int i = 0; i < VTE_MAX_FILES && n < 254; i++)
		if (c->files[i].used && c->files[i].parent == c->cur_df) {
			rsp[n++] = (uint8_t)(c->files[i].fid >> 8);
			rsp[n++] = (uint8_t)c->files[i].fid;
		}
	return vt_sw(rsp, n, 0x9000);
}
