/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Feitian ePass2003 card OS for ukey-vtoken: APDU dispatch, the SM
 * envelope around it, and the vt_os entry points. The wire rules are in
 * docs/epass2003-wire.md.
 */
#include <string.h>

#include "vt_os_epass2003.h"

/* GET DATA 00 CA 01 P2: 86 = capabilities (what OpenSC reads, plain,
 * before the mutual authentication, at fixed offsets: [2] 01 = AES, [14]
 * 84 and [16] SM on, [0..2] 80 01 01 + [32..34] 87 01 01 = FIPS), 80 =
 * serial number. */
static size_t get_data(vte_card *c, const vte_cmd *m, uint8_t *rsp)
{
	static const uint8_t caps[] = {
		0x80, 0x01, 0x00,             /* [2]: SM cipher, set below */
		0x81, 0x02, 0x1D, 0xD5,
		0x82, 0x01, 0x03,
		0x83, 0x02, 0x00, 0x00,
		0x84, 0x01, 0x01,             /* SM on */
		0x85, 0x0A, 0x00, 0x9A, 0x2E, 0x81, 0x08, 0x96, 0x00, 0x1A, 0x00, 0x1D,
		0x86, 0x01, 0x00,
		0x87, 0x01, 0x00,             /* [34]: FIPS, set below */
	};
	if (m->p1 != 0x01)
		return vt_sw(rsp, 0, 0x6A86);
	if (m->p2 == 0x80) {
		memcpy(rsp, c->serial, 8);
		return vt_sw(rsp, 8, 0x9000);
	}
	if (m->p2 != 0x86)
		return vt_sw(rsp, 0, 0x6A88);
	memcpy(rsp, caps, sizeof caps);
	rsp[2] = c->model == VTE_MODEL_DES ? 0x02 : 0x01;
	rsp[34] = c->model == VTE_MODEL_FIPS ? 0x01 : 0x00;
	/* the 3DES and AES models answer the short form older tokens give */
	size_t n = c->model == VTE_MODEL_FIPS ? sizeof caps : 17;
	return vt_sw(rsp, n, 0x9000);
}

static size_t dispatch(vte_card *c, const vte_cmd *m, uint8_t *rsp, int *dirty)
{
	if (m->cla == 0x84) {
		if (m->ins == 0x82)
			return vte_ext_auth_sm(c, m, rsp);
		return vt_sw(rsp, 0, 0x6D00);
	}
	if (m->cla == 0x80) {
		switch (m->ins) {
		case 0x50: return vte_init_update(c, m, rsp);
		case 0x34: return vte_list_files(c, m, rsp);
		case 0xE3: return vte_install_key(c, m, rsp, dirty);
		case 0xE5: return vte_update_key(c, m, rsp, dirty);
		case 0xB4: return vte_read_pubkey(c, m, rsp);
		case 0xE7: return vte_write_factor(c, m, rsp, dirty);
		default: return vt_sw(rsp, 0, 0x6D00);
		}
	}
	if (m->cla != 0x00)
		return vt_sw(rsp, 0, 0x6E00);
	switch (m->ins) {
	case 0xA4: return vte_select(c, m, rsp);
	case 0xB0: return vte_read_binary(c, m, rsp);
	case 0xD6: return vte_update_binary(c, m, rsp, dirty);
	case 0xB2: return vte_read_record(c, m, rsp);
	case 0xDC: case 0xE2: return vte_write_record(c, m, rsp, dirty);
	case 0xE0: return vte_create(c, m, rsp, dirty);
	case 0xE4: return vte_delete(c, m, rsp, dirty);
	case 0x84: return vte_get_challenge(c, m, rsp);
	case 0x82: return vte_ext_auth_key(c, m, rsp, dirty);
	case 0x20: return vte_verify(c, m, rsp, dirty);
	case 0xCA: return get_data(c, m, rsp);
	case 0x22: return vte_mse(c, m, rsp);
	case 0x2A: return vte_pso(c, m, rsp);
	case 0x46: return vte_generate(c, m, rsp, dirty);
	default: return vt_sw(rsp, 0, 0x6D00);
	}
}

/* No Le: no data (OpenSC fails to unwrap data it did not ask for); data
 * beyond Le is cut. */
static size_t limit_le(const vte_cmd *m, uint8_t *rsp, size_t n)
{
	size_t dlen = n - 2, want = m->le < 0 ? 0 : (size_t)m->le;
	if (dlen <= want)
		return n;
	rsp[want] = rsp[n - 2];
	rsp[want + 1] = rsp[n - 1];
	return want + 2;
}

static size_t vte_apdu(void *st, const uint8_t *cmd, size_t len, uint8_t *rsp,
		       int *dirty)
{
	static uint8_t plain[65536 + 32];
	vte_card *c = st;
	vte_cmd m;
	size_t n;
	*dirty = 0;
	/* a challenge is good for the command right after it only */
	c->chal_live = c->chal_next;
	c->chal_next = 0;
	memset(&m, 0, sizeof m);
	if (len >= 4 && (cmd[0] & 0x0C) == 0x0C && !(cmd[0] & 0x70)) {
		uint16_t sw = vte_sm_unwrap(c, cmd, len, &m, plain, sizeof plain);
		if (sw) {
			n = vt_sw(rsp, 0, sw);
		} else {
			c->in_sm = 1;
			n = limit_le(&m, rsp, dispatch(c, &m, rsp, dirty));
			n = vte_sm_wrap(c, rsp, n);
		}
		vt_wipe(plain, m.lc < sizeof plain ? m.lc : sizeof plain);
	} else {
		int ext;
		if (vt_apdu_parse(cmd, len, &m.lc, &m.data, &m.le, &ext)) {
			n = vt_sw(rsp, 0, 0x6700);
		} else {
			m.cla = cmd[0];
			m.ins = cmd[1];
			m.p1 = cmd[2];
			m.p2 = cmd[3];
			n = limit_le(&m, rsp, dispatch(c, &m, rsp, dirty));
		}
	}
	c->in_sm = 0;
	if (!c->chal_next)
		vt_wipe(c->chal, sizeof c->chal);
	c->chal_live = 0;
	return n;
}

static void *vte_create_entry(void) { return vte_card_new(); }

static void *vte_load_entry(const uint8_t *img, size_t len)
{
	return vte_load(img, len);
}

static int vte_save_entry(void *st, vt_buf *out) { return vte_save(st, out); }

static void vte_destroy(void *st) { vte_card_free(st); }

static void vte_reset(void *st) { vte_card_reset(st); }

static int vte_init_entry(void *st, const vt_init_params *p)
{
	return vte_perso(st, p);
}

static void vte_describe_entry(void *st, FILE *out) { vte_describe(st, out); }

/* The SM model is burnt in at manufacture: a blank card takes it from
 * --sm, else from the ATR; an existing image keeps its own. */
static int vte_set_model(void *st, const char *name, const uint8_t *atr,
			 size_t len)
{
	vte_card *c = st;
	int m = name ? vte_model_by_name(name) : vte_model_from_atr(atr, len);
	if (m < 0)
		return -1;
	c->model = (uint8_t)m;
	return 0;
}

static int vte_model_matches(const void *st, const char *name,
			     const uint8_t *atr, size_t len)
{
	const vte_card *c = st;
	int m = name ? vte_model_by_name(name) : vte_model_from_atr(atr, len);
	return m == c->model;
}

const vt_os vt_os_epass2003 = {
	.name = "epass2003",
	.t0 = 0,
	.create = vte_create_entry,
	.load = vte_load_entry,
	.save = vte_save_entry,
	.destroy = vte_destroy,
	.reset = vte_reset,
	.apdu = vte_apdu,
	.init = vte_init_entry,
	.describe = vte_describe_entry,
	.set_model = vte_set_model,
	.model_matches = vte_model_matches,
};
