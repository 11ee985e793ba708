/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* FTCOS file system: MF/DF/EF tree, SELECT, READ/UPDATE BINARY, CREATE
 * (MAC-protected) and ERASE. FCI formats follow the reference traces. */
#include <stdlib.h>
#include <string.h>

#include "vt_os_ftcos.h"

#define FT_MAX_IO 224 /* READ/UPDATE BINARY limit per command */

void ft_file_free(ft_file *f)
{
	if (f->data) {
		vt_wipe(f->data, f->size);
		free(f->data);
	}
	memset(f, 0, sizeof *f);
}

size_t ft_mem_used(const ft_card *c)
{
	size_t n = 0;
	for (size_t i = 0; i < FT_MAX_FILES; i++)
		if (c->files[i].used && !c->files[i].is_df)
			n += c->files[i].size;
	return n;
}

/* Access conditions. 00 and 10 are free (00 because OpenSC writes every
 * "needs PIN" condition as 00, see the reference); C0 and above: never.
 * Otherwise the low nibble names the PIN: 04 (or 01..03) = PIN kid 1,
 * 08 = kid 2 (PUK), 0C = either; a bare 30 ("CHV") = any verified PIN. */
int ft_ac_ok(const ft_card *c, uint8_t ac)
{
	if (ac == 0x00 || ac == FT_AC_FREE)
		return 1;
	if ((ac & 0xF0) >= 0xC0)
		return 0;
	uint8_t m = ac & 0x0F;
	int pin = (c->verified >> 1) & 1, puk = (c->verified >> 2) & 1;
	if (m == 0)
		return pin || puk;
	if ((m & 0x07) && pin)
		return 1;
	if ((m & 0x08) && puk)
		return 1;
	return 0;
}

int ft_find_child(const ft_card *c, uint16_t df, uint16_t fid)
{
	for (size_t i = 1; i < FT_MAX_FILES; i++)
		if (c->files[i].used && c->files[i].parent == df &&
		    c->files[i].fid == fid)
			return (int)i;
	return -1;
}

int ft_new_file(ft_card *c, uint16_t parent, uint16_t fid, int is_df)
{
	size_t i;
	if (parent == FT_NONE) {
		i = 0;
	} else {
		for (i = 1; i < FT_MAX_FILES && c->files[i].used; i++)
			;
		if (i == FT_MAX_FILES)
			return -1;
	}
	ft_file *f = &c->files[i];
	memset(f, 0, sizeof *f);
	f->used = 1;
	f->is_df = is_df ? 1 : 0;
	f->fid = fid;
	f->parent = parent;
	return (int)i;
}

static size_t fci(const ft_card *c, uint16_t idx, uint8_t *rsp)
{
	const ft_file *f = &c->files[idx];
	size_t n = 0;
	rsp[n++] = 0x6F;
	if (f->is_df) {
		rsp[n++] = 0x16;
		rsp[n++] = 0x83; rsp[n++] = 0x02;
		rsp[n++] = (uint8_t)(f->fid >> 8); rsp[n++] = (uint8_t)f->fid;
		rsp[n++] = 0x84; rsp[n++] = 0x10;
		memcpy(rsp + n, f->name, 16);
		n += 16;
	} else {
		/* two-byte size: a one-byte 80 01 breaks OpenSC 0.23 */
		rsp[n++] = 0x0B;
		rsp[n++] = 0x83; rsp[n++] = 0x02;
		rsp[n++] = (uint8_t)(f->fid >> 8); rsp[n++] = (uint8_t)f->fid;
		rsp[n++] = 0x80; rsp[n++] = 0x02;
		rsp[n++] = (uint8_t)(f->size >> 8); rsp[n++] = (uint8_t)f->size;
		rsp[n++] = 0x82; rsp[n++] = 0x01; rsp[n++] = 0x01;
	}
	return vt_sw(rsp, n, 0x9000);
}

static void make_current(ft_card *c, uint16_t idx)
{
	if (c->files[idx].is_df) {
		c->cur_df = idx;
		c->cur_ef = FT_NONE;
	} else {
		c->cur_df = c->files[idx].parent;
		c->cur_ef = idx;
	}
}

/* FID lookup relative to the current DF: MF, the DF itself, its children,
 * its parent. */
static int lookup_fid(const ft_card *c, uint16_t fid)
{
	if (!c->files[0].used)
		return -1;
	if (fid == 0x3F00)
		return 0;
	uint16_t df = c->cur_df == FT_NONE ? 0 : c->cur_df;
	if (c->files[df].fid == fid)
		return df;
	int i = ft_find_child(c, df, fid);
	if (i >= 0)
		return i;
	uint16_t p = c->files[df].parent;
	if (p != FT_NONE && c->files[p].fid == fid)
		return p;
	return -1;
}

size_t ft_select(ft_card *c, const uint8_t *cmd, size_t lc, const uint8_t *data,
		 long le, uint8_t *rsp)
{
	uint8_t p1 = cmd[2], p2 = cmd[3];
	if (p2 != 0x00 && p2 != 0x0C)
		return vt_sw(rsp, 0, 0x6A86);
	int idx = -1;
	if (p1 == 0x00) {
		if (lc == 0) {
			idx = c->files[0].used ? 0 : -1;
		} else if (lc != 2) {
			return vt_sw(rsp, 0, 0x6700);
		} else {
			idx = lookup_fid(c, (uint16_t)(data[0] << 8 | data[1]));
		}
	} else if (p1 == 0x04) {
		if (lc < 1 || lc > 16)
			return vt_sw(rsp, 0, 0x6700);
		for (size_t i = 0; i < FT_MAX_FILES && idx < 0; i++)
			if (c->files[i].used && c->files[i].is_df &&
			    !memcmp(c->files[i].name, data, lc))
				idx = (int)i;
	} else if (p1 == 0x08) {
		/* path from the MF, with or without the leading 3F00 */
		if (lc < 2 || lc % 2 || !c->files[0].used)
			return vt_sw(rsp, 0, lc % 2 ? 0x6700 : 0x6A82);
		idx = 0;
		for (size_t o = 0; o < lc && idx >= 0; o += 2) {
			uint16_t fid = (uint16_t)(data[o] << 8 | data[o + 1]);
			if (o == 0 && fid == 0x3F00)
				continue;
			if (!c->files[idx].is_df)
				idx = -1;
			else
				idx = ft_find_child(c, (uint16_t)idx, fid);
		}
	} else {
		return vt_sw(rsp, 0, 0x6A86);
	}
	if (idx < 0)
		return vt_sw(rsp, 0, 0x6A82);
	make_current(c, (uint16_t)idx);
	if (le < 0 || p2 == 0x0C)
		return vt_sw(rsp, 0, 0x9000);
	return fci(c, (uint16_t)idx, rsp);
}

/* The key file (attr 15 xx) holds key records: never readable as bytes. */
static int is_key_file(const ft_file *f)
{
	return f->attr[0] == 0x15;
}

size_t ft_read_binary(ft_card *c, const uint8_t *cmd, long le, uint8_t *rsp)
{
	if (cmd[2] & 0x80)
		return vt_sw(rsp, 0, 0x6A81);
	if (c->cur_ef == FT_NONE)
		return vt_sw(rsp, 0, 0x6986);
	if (le < 0 || le > FT_MAX_IO)
		return vt_sw(rsp, 0, 0x6700);
	ft_file *f = &c->files[c->cur_ef];
	if (is_key_file(f))
		return vt_sw(rsp, 0, 0x6981);
	if (!ft_ac_ok(c, f->ac[0]))
		return vt_sw(rsp, 0, 0x6982);
	size_t off = (size_t)cmd[2] << 8 | cmd[3];
	if (off >= f->size)
		return vt_sw(rsp, 0, 0x6B00);
	size_t n = (size_t)le;
	if (n > f->size - off)
		n = f->size - off;
	memcpy(rsp, f->data + off, n);
	return vt_sw(rsp, n, 0x9000);
}

size_t ft_update_binary(ft_card *c, const uint8_t *cmd, size_t lc,
			const uint8_t *data, uint8_t *rsp, int *dirty)
{
	if (cmd[2] & 0x80)
		return vt_sw(rsp, 0, 0x6A81);
	if (c->cur_ef == FT_NONE)
		return vt_sw(rsp, 0, 0x6986);
	if (lc == 0 || lc > FT_MAX_IO)
		return vt_sw(rsp, 0, 0x6700);
	ft_file *f = &c->files[c->cur_ef];
	if (is_key_file(f))
		return vt_sw(rsp, 0, 0x6981);
	if (!ft_ac_ok(c, f->ac[1]))
		return vt_sw(rsp, 0, 0x6982);
	size_t off = (size_t)cmd[2] << 8 | cmd[3];
	if (off >= f->size)
		return vt_sw(rsp, 0, 0x6B00);
	if (lc > f->size - off)
		return vt_sw(rsp, 0, 0x6700);
	memcpy(f->data + off, data, lc);
	*dirty = 1;
	return vt_sw(rsp, 0, 0x9000);
}

size_t ft_create(ft_card *c, const uint8_t *cmd, size_t lc, const uint8_t *data,
		 uint8_t *rsp, int *dirty)
{
	uint8_t p1 = cmd[2];
	if (cmd[3] != 0 || p1 > 2)
		return vt_sw(rsp, 0, 0x6A86);
	size_t want = p1 == 2 ? 19 : 41;
	if (lc != want + 4)
		return vt_sw(rsp, 0, 0x6700);
	uint16_t sw;
	if (p1 == 0) {
		sw = ft_check_mac(c, cmd, lc, data, c->transport_key, 8);
	} else {
		if (c->cur_df == FT_NONE || !c->files[0].used)
			return vt_sw(rsp, 0, 0x6A82);
		sw = ft_check_mac(c, cmd, lc, data, c->files[c->cur_df].init_key, 16);
	}
	if (sw)
		return vt_sw(rsp, 0, sw);
	uint16_t fid = (uint16_t)(data[0] << 8 | data[1]);
	if (p1 == 0) {
		if (c->files[0].used)
			return vt_sw(rsp, 0, 0x6A89);
	} else {
		ft_file *df = &c->files[c->cur_df];
		if (!ft_ac_ok(c, df->df_acs[0]))
			return vt_sw(rsp, 0, 0x6982);
		if (fid == 0x3F00 || fid == 0xFFFF || fid == df->fid ||
		    ft_find_child(c, c->cur_df, fid) >= 0)
			return vt_sw(rsp, 0, 0x6A89);
	}
	if (p1 == 2) {
		uint16_t size = (uint16_t)(data[2] << 8 | data[3]);
		if (ft_mem_used(c) + size > FT_MEM_LIMIT)
			return vt_sw(rsp, 0, 0x6A84);
		uint8_t *buf = calloc(1, size ? size : 1);
		if (!buf)
			return vt_sw(rsp, 0, 0x6581);
		int i = ft_new_file(c, c->cur_df, fid, 0);
		if (i < 0) {
			free(buf);
			return vt_sw(rsp, 0, 0x6A84);
		}
		ft_file *f = &c->files[i];
		f->size = size;
		f->data = buf;
		memcpy(f->attr, data + 4, 2);
		f->ef_name = data[6];
		memcpy(f->ac, data + 7, 10);
		memcpy(f->sm, data + 17, 2);
		make_current(c, (uint16_t)i);
	} else {
		int i = ft_new_file(c, p1 == 0 ? FT_NONE : c->cur_df, fid, 1);
		if (i < 0)
			return vt_sw(rsp, 0, 0x6A84);
		ft_file *f = &c->files[i];
		f->file_count = data[2];
		f->flag = data[3];
		f->key_file_size = (uint16_t)(data[4] << 8 | data[5]);
		memcpy(f->df_acs, data + 6, 3);
		memcpy(f->name, data + 9, 16);
		memcpy(f->init_key, data + 25, 16);
		make_current(c, (uint16_t)i);
	}
	*dirty = 1;
	return vt_sw(rsp, 0, 0x9000);
}

size_t ft_erase(ft_card *c, const uint8_t *cmd, size_t lc, const uint8_t *data,
		uint8_t *rsp, int *dirty)
{
	if (cmd[2] || cmd[3])
		return vt_sw(rsp, 0, 0x6A86);
	if (lc != 6)
		return vt_sw(rsp, 0, 0x6700);
	uint16_t sw = ft_check_mac(c, cmd, lc, data, c->transport_key, 8);
	if (sw)
		return vt_sw(rsp, 0, sw);
	if (data[0] != 0x3F || data[1] != 0x00)
		return vt_sw(rsp, 0, 0x6A80);
	for (size_t i = 0; i < FT_MAX_FILES; i++)
		ft_file_free(&c->files[i]);
	for (size_t i = 0; i < FT_MAX_KEYS; i++)
		ft_key_clear(&c->keys[i]);
	c->cur_df = c->cur_ef = FT_NONE;
	c->verified = 0;
	c->env_set = 0;
	*dirty = 1;
	return vt_sw(rsp, 0, 0x9000);
}
