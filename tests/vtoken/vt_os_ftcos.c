/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* FTCOS ("entersafe") card OS: state life cycle, persistence and command
 * dispatch. The commands themselves live in vt_os_ftcos_{fs,sec,rsa}.c. */
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "vt_os_ftcos.h"

const uint8_t ft_default_transport_key[8] = { 0x92, 0x34, 0x2E, 0xEF,
					      0x23, 0x40, 0x4F, 0xD1 };
const uint8_t ft_epass3000_transport_key[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
const uint8_t ft_default_init_key[16] = { 1, 2, 3, 4, 5, 6, 7, 8,
					  9, 10, 11, 12, 13, 14, 15, 16 };
const uint8_t ft_default_maint_key[16] = { 0x12, 0x34, 0x56, 0x78, 0x21, 0x43,
					   0x65, 0x87, 0x11, 0x22, 0xAA, 0xBB,
					   0x33, 0x44, 0xCD, 0xEF };

static void ft_reset(void *st)
{
	ft_card *c = st;
	c->cur_df = c->files[0].used ? 0 : FT_NONE;
	c->cur_ef = FT_NONE;
	vt_wipe(c->chal, sizeof c->chal);
	c->chal_valid = 0;
	c->verified = 0;
	c->env_set = 0;
	c->prefix_len = 0;
}

static void *ft_create_card(void)
{
	ft_card *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	/* a blank card answers SERIAL with the reference's 01..08 */
	for (int i = 0; i < 8; i++)
		c->serial[i] = (uint8_t)(i + 1);
	memcpy(c->transport_key, ft_default_transport_key, 8);
	ft_reset(c);
	return c;
}

/* ePass3000 ATR; bytes 7 and 11..16 are masked (a version byte and the
 * trailing historical bytes), as in the reference and OpenSC's table. */
int ft_atr_is_epass3000(const uint8_t *atr, size_t len)
{
	static const uint8_t ref[17] = { 0x3B, 0x0F, 0x00, 0x65, 0x46, 0x53,
					 0x05, 0x19, 0x05, 0x71, 0xDF };
	if (!atr || len != sizeof ref)
		return 0;
	for (size_t i = 0; i < 11; i++)
		if (i != 7 && atr[i] != ref[i])
			return 0;
	return 1;
}

static const uint8_t *model_transport_key(const uint8_t *atr, size_t len)
{
	return ft_atr_is_epass3000(atr, len) ? ft_epass3000_transport_key
					     : ft_default_transport_key;
}

void ft_set_model_from_atr(ft_card *c, const uint8_t *atr, size_t len)
{
	memcpy(c->transport_key, model_transport_key(atr, len), 8);
}

int ft_model_matches_atr(const ft_card *c, const uint8_t *atr, size_t len)
{
	return !memcmp(c->transport_key, model_transport_key(atr, len), 8);
}

static void ft_destroy(void *st)
{
	ft_card *c = st;
	if (!c)
		return;
	for (size_t i = 0; i < FT_MAX_FILES; i++)
		ft_file_free(&c->files[i]);
	for (size_t i = 0; i < FT_MAX_KEYS; i++)
		ft_key_clear(&c->keys[i]);
	vt_wipe(c, sizeof *c);
	free(c);
}

static int ft_save(void *st, vt_buf *o)
{
	ft_card *c = st;
	int rc = vt_buf_put(o, c->serial, 8) || vt_buf_put(o, c->transport_key, 8);
	uint32_t nf = 0, nk = 0;
	for (size_t i = 0; i < FT_MAX_FILES; i++)
		nf += c->files[i].used;
	for (size_t i = 0; i < FT_MAX_KEYS; i++)
		nk += c->keys[i].used;
	rc = rc || vt_buf_put_u32(o, nf);
	for (size_t i = 0; i < FT_MAX_FILES && !rc; i++) {
		ft_file *f = &c->files[i];
		if (!f->used)
			continue;
		rc = vt_buf_put_u16(o, (uint16_t)i) || vt_buf_put_u8(o, f->is_df) ||
		     vt_buf_put_u16(o, f->fid) || vt_buf_put_u16(o, f->parent) ||
		     vt_buf_put(o, f->name, 16) || vt_buf_put(o, f->init_key, 16) ||
		     vt_buf_put(o, f->df_acs, 3) || vt_buf_put_u8(o, f->file_count) ||
		     vt_buf_put_u8(o, f->flag) || vt_buf_put_u16(o, f->key_file_size) ||
		     vt_buf_put_u16(o, f->size) || vt_buf_put(o, f->attr, 2) ||
		     vt_buf_put_u8(o, f->ef_name) || vt_buf_put(o, f->ac, 10) ||
		     vt_buf_put(o, f->sm, 2) ||
		     vt_buf_put_blob(o, f->data, f->is_df ? 0 : f->size);
	}
	rc = rc || vt_buf_put_u32(o, nk);
	for (size_t i = 0; i < FT_MAX_KEYS && !rc; i++) {
		ft_key *k = &c->keys[i];
		if (!k->used)
			continue;
		rc = vt_buf_put_u16(o, k->df) || vt_buf_put_u8(o, k->usage) ||
		     vt_buf_put_u8(o, k->kid) || vt_buf_put(o, k->hdr, 9) ||
		     vt_buf_put_u8(o, k->written) || vt_buf_put_u8(o, k->ec) ||
		     vt_buf_put_blob(o, k->sym, k->sym_len);
		for (int j = 0; j < RSA_NCOMP && !rc; j++)
			rc = vt_buf_put_blob(o, k->rsa[j].v, k->rsa[j].len);
	}
	return rc ? -1 : 0;
}

static void *ft_load(const uint8_t *img, size_t len)
{
	ft_card *c = ft_create_card();
	if (!c)
		return NULL;
	vt_rd r = { img, len, 0 };
	const char *why = NULL;
	vt_rd_bytes(&r, c->serial, 8);
	vt_rd_bytes(&r, c->transport_key, 8);
	uint32_t nf = vt_rd_u32(&r);
	if (nf > FT_MAX_FILES)
		why = "too many files";
	for (uint32_t n = 0; n < nf && !r.err && !why; n++) {
		uint16_t i = vt_rd_u16(&r);
		if (i >= FT_MAX_FILES || c->files[i].used) {
			why = "bad file index";
			break;
		}
		ft_file *f = &c->files[i];
		f->used = 1;
		f->is_df = vt_rd_u8(&r) ? 1 : 0;
		f->fid = vt_rd_u16(&r);
		f->parent = vt_rd_u16(&r);
		vt_rd_bytes(&r, f->name, 16);
		vt_rd_bytes(&r, f->init_key, 16);
		vt_rd_bytes(&r, f->df_acs, 3);
		f->file_count = vt_rd_u8(&r);
		f->flag = vt_rd_u8(&r);
		f->key_file_size = vt_rd_u16(&r);
		f->size = vt_rd_u16(&r);
		vt_rd_bytes(&r, f->attr, 2);
		f->ef_name = vt_rd_u8(&r);
		vt_rd_bytes(&r, f->ac, 10);
		vt_rd_bytes(&r, f->sm, 2);
		size_t dl;
		f->data = vt_rd_blob(&r, &dl, 65535);
		if (!r.err && (dl != (f->is_df ? 0u : f->size) ||
			       (!f->is_df && f->size && !f->data)))
			why = "file size mismatch";
		if (why || r.err) {
			/* f->size must describe f->data for ft_file_free */
			if (f->data) {
				vt_wipe(f->data, dl);
				free(f->data);
			}
			f->data = NULL;
			f->size = 0;
		}
	}
	uint32_t nk = vt_rd_u32(&r);
	if (!why && nk > FT_MAX_KEYS)
		why = "too many keys";
	for (uint32_t n = 0; n < nk && !r.err && !why; n++) {
		ft_key *k = &c->keys[n];
		k->used = 1;
		k->df = vt_rd_u16(&r);
		k->usage = vt_rd_u8(&r);
		k->kid = vt_rd_u8(&r);
		vt_rd_bytes(&r, k->hdr, 9);
		k->written = vt_rd_u8(&r);
		k->ec = vt_rd_u8(&r);
		size_t sl;
		uint8_t *s = vt_rd_blob(&r, &sl, sizeof k->sym);
		if (s) {
			memcpy(k->sym, s, sl);
			k->sym_len = (uint8_t)sl;
			vt_wipe(s, sl);
			free(s);
		}
		for (int j = 0; j < RSA_NCOMP; j++)
			k->rsa[j].v = vt_rd_blob(&r, &k->rsa[j].len, 1024);
	}
	if (!why && !r.err && r.left)
		why = "trailing bytes";
	/* structural checks: parents exist and are DFs, MF at index 0 */
	for (size_t i = 0; i < FT_MAX_FILES && !why && !r.err; i++) {
		ft_file *f = &c->files[i];
		if (!f->used)
			continue;
		if (i == 0 ? (f->parent != FT_NONE || !f->is_df)
			   : (f->parent >= FT_MAX_FILES || !c->files[f->parent].used ||
			      !c->files[f->parent].is_df || f->parent == i))
			why = "broken file tree";
	}
	/* every DF chain must end at the MF (no cycles) */
	for (size_t i = 1; i < FT_MAX_FILES && !why && !r.err; i++) {
		if (!c->files[i].used)
			continue;
		uint16_t p = (uint16_t)i;
		size_t steps = 0;
		while (p != 0 && steps++ < FT_MAX_FILES)
			p = c->files[p].parent;
		if (p != 0)
			why = "cycle in the file tree";
	}
	for (size_t i = 0; i < FT_MAX_KEYS && !why && !r.err; i++)
		if (c->keys[i].used && (c->keys[i].df >= FT_MAX_FILES ||
					!c->files[c->keys[i].df].used))
			why = "key in missing DF";
	if (r.err || why) {
		fprintf(stderr, "ukey-vtoken: ftcos state malformed: %s\n",
			why ? why : "truncated");
		ft_destroy(c);
		return NULL;
	}
	ft_reset(c);
	return c;
}

static size_t ft_serial(ft_card *c, const uint8_t *cmd, long le, uint8_t *rsp)
{
	if (cmd[2] || cmd[3])
		return vt_sw(rsp, 0, 0x6A86);
	if (le != 8)
		return vt_sw(rsp, 0, 0x6700);
	memcpy(rsp, c->serial, 8);
	return vt_sw(rsp, 8, 0x9000);
}

static size_t ft_apdu(void *st, const uint8_t *cmd, size_t len, uint8_t *rsp,
		      int *dirty)
{
	ft_card *c = st;
	size_t lc;
	const uint8_t *data;
	long le;
	int ext;
	*dirty = 0;
	if (vt_apdu_parse(cmd, len, &lc, &data, &le, &ext))
		return vt_sw(rsp, 0, 0x6700);
	if (ext)                     /* FTCOS speaks short APDUs only */
		return vt_sw(rsp, 0, 0x6700);
	uint8_t cla = cmd[0], ins = cmd[1];
	/* a challenge is good for the very next command only */
	int had_chal = c->chal_valid;
	if (!(cla == 0x00 && ins == 0x84))
		c->chal_valid = 0;
	size_t n;
	if (cla == 0x84) {
		c->chal_valid = had_chal;
		switch (ins) {
		case 0xE0: n = ft_create(c, cmd, lc, data, rsp, dirty); break;
		case 0xEE: n = ft_erase(c, cmd, lc, data, rsp, dirty); break;
		case 0xF0: n = ft_install_key(c, cmd, lc, data, rsp, dirty); break;
		case 0xF4: n = ft_write_key(c, cmd, lc, data, rsp, dirty); break;
		default: n = vt_sw(rsp, 0, 0x6D00); break;
		}
		c->chal_valid = 0;
		return n;
	}
	if (cla == 0x80) {
		switch (ins) {
		case 0xEA: return ft_serial(c, cmd, le, rsp);
		case 0xE6: return ft_read_pubkey(c, cmd, rsp);
		default: return vt_sw(rsp, 0, 0x6D00);
		}
	}
	if (cla != 0x00)
		return vt_sw(rsp, 0, 0x6E00);
	switch (ins) {
	case 0xA4: return ft_select(c, cmd, lc, data, le, rsp);
	case 0xB0: return ft_read_binary(c, cmd, le, rsp);
	case 0xD6: return ft_update_binary(c, cmd, lc, data, rsp, dirty);
	case 0x84: return ft_get_challenge(c, le, rsp);
	case 0x20: return ft_verify(c, cmd, lc, data, rsp, dirty);
	case 0x24: return ft_change(c, cmd, lc, data, rsp, dirty);
	case 0x22: return ft_mse(c, cmd, lc, data, rsp);
	case 0x46: return ft_generate_or_import(c, cmd, lc, data, rsp, dirty);
	case 0x2A: return ft_pso(c, cmd, lc, data, rsp);
	default: return vt_sw(rsp, 0, 0x6D00);
	}
}

static int ft_init(void *st, const vt_init_params *p)
{
	return ft_perso(st, p);
}

static void ft_describe_cb(void *st, FILE *out)
{
	ft_describe(st, out);
}

const vt_os vt_os_ftcos = {
	.name = "ftcos",
	/* The trace shows 61xx + GET RESPONSE for the 266-byte public key even
	 * behind the T=1 PK-01C ATR: the card OS itself limits answers to 256. */
	.t0 = 1,
	.create = ft_create_card,
	.load = ft_load,
	.save = ft_save,
	.destroy = ft_destroy,
	.reset = ft_reset,
	.apdu = ft_apdu,
	.init = ft_init,
	.describe = ft_describe_cb,
};
