/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Watchdata / GM/T 0017 (SKF over APDU) card OS for ukey-vtoken: APDU
 * parsing and dispatch, and the vt_os entry points. The command table and
 * every data layout are in docs/watchdata-wire.md.
 */
#include <string.h>

#include "vt_os_gmt0017.h"

size_t gm_rsp(uint8_t *rsp, size_t n, unsigned sw)
{
	rsp[n] = (uint8_t)(sw >> 8);
	rsp[n + 1] = (uint8_t)sw;
	return n + 2;
}

/* Strict short-APDU parse: every byte must be accounted for. */
static int gm_parse(const uint8_t *cmd, size_t len, gm_cmd *c)
{
	memset(c, 0, sizeof(*c));
	if (len < 4)
		return -1;
	c->cla = cmd[0];
	c->ins = cmd[1];
	c->p1 = cmd[2];
	c->p2 = cmd[3];
	if (len == 4)
		return 0;
	if (len == 5) {
		c->has_le = 1;
		c->le = cmd[4] ? cmd[4] : 256;
		return 0;
	}
	if (cmd[4] == 0)
		return -1; /* extended length: not on this T=0 token */
	c->lc = cmd[4];
	c->data = cmd + 5;
	if (len == 5 + c->lc)
		return 0;
	if (len == 6 + c->lc) {
		c->has_le = 1;
		c->le = cmd[5 + c->lc] ? cmd[5 + c->lc] : 256;
		return 0;
	}
	return -1;
}

static gm_handler gm_lookup(uint8_t ins)
{
	switch (ins) {
	case 0x02: return gm_cmd_set_label;
	case 0x04: return gm_cmd_get_dev_info;
	case 0x10: return gm_cmd_dev_auth;
	case 0x12: return gm_cmd_change_dev_key;
	case 0x14: return gm_cmd_get_pin_info;
	case 0x16: return gm_cmd_change_pin;
	case 0x18: return gm_cmd_verify_pin;
	case 0x1A: return gm_cmd_unblock_pin;
	case 0x1C: return gm_cmd_clear_secure;
	case 0x20: return gm_cmd_create_app;
	case 0x22: return gm_cmd_enum_app;
	case 0x24: return gm_cmd_delete_app;
	case 0x26: return gm_cmd_open_app;
	case 0x28: return gm_cmd_close_app;
	case 0x30: return gm_cmd_create_file;
	case 0x32: return gm_cmd_delete_file;
	case 0x34: return gm_cmd_enum_files;
	case 0x36: return gm_cmd_file_info;
	case 0x38: return gm_cmd_read_file;
	case 0x3A: return gm_cmd_write_file;
	case 0x40: return gm_cmd_create_cont;
	case 0x42: return gm_cmd_open_cont;
	case 0x44: return gm_cmd_close_cont;
	case 0x46: return gm_cmd_enum_cont;
	case 0x48: return gm_cmd_delete_cont;
	case 0x4A: return gm_cmd_cont_info;
	case 0x4C: return gm_cmd_import_cert;
	case 0x4E: return gm_cmd_export_cert;
	case 0x50: return gm_cmd_gen_random;
	case 0x54: return gm_cmd_gen_rsa;
	case 0x56: return gm_cmd_import_rsa;
	case 0x58: return gm_cmd_rsa_sign;
	case 0x88: return gm_cmd_export_pub;
	default: return NULL;
	}
}

static size_t gm_dispatch(gm_state *st, const gm_cmd *c, uint8_t *rsp,
			  int *dirty)
{
	if (c->cla == 0x00) {
		/* ISO GET CHALLENGE is the only inter-industry command. */
		if (c->ins == 0x84)
			return gm_cmd_gen_random(st, c, rsp, dirty);
		return gm_rsp(rsp, 0, GM_SW_INS);
	}
	if (c->cla != 0x80 && c->cla != 0x84)
		return gm_rsp(rsp, 0, GM_SW_CLA);
	gm_handler h = gm_lookup(c->ins);
	if (!h)
		return gm_rsp(rsp, 0, GM_SW_INS);
	/* CLA 84 (secured) only for ChangeDevAuthKey, which needs it. */
	if ((c->cla == 0x84) != (c->ins == 0x12))
		return gm_rsp(rsp, 0, GM_SW_CLA);
	return h(st, c, rsp, dirty);
}

static size_t gm_apdu(void *vst, const uint8_t *cmd, size_t len, uint8_t *rsp,
		      int *dirty)
{
	gm_state *st = vst;
	gm_cmd c;
	*dirty = 0;
	/* A challenge is good for the command right after it, whatever
	 * that command is (ISO 7816-4 GET CHALLENGE rule). */
	st->chal_live = st->chal_next;
	st->chal_next = 0;
	size_t n;
	if (gm_parse(cmd, len, &c) != 0) {
		gm_stage_clear(&st->stage);
		n = gm_rsp(rsp, 0, GM_SW_WRONG_LEN);
	} else {
		/* A chained upload survives only its own next chunk. */
		if (st->stage.active && st->stage.ins != c.ins)
			gm_stage_clear(&st->stage);
		n = gm_dispatch(st, &c, rsp, dirty);
	}
	if (!st->chal_next)
		OPENSSL_cleanse(st->chal, sizeof(st->chal));
	st->chal_live = 0;
	return n;
}

static void *gm_create(void) { return gm_state_new(); }

static void *gm_load(const uint8_t *img, size_t len)
{
	return gm_state_load(img, len);
}

static int gm_save(void *st, vt_buf *out) { return gm_state_save(st, out); }

static void gm_destroy(void *st) { gm_state_free(st); }

static void gm_reset(void *st) { gm_state_reset(st); }

static int gm_init_entry(void *st, const vt_init_params *p)
{
	return gm_init(st, p);
}

static void gm_describe_entry(void *st, FILE *out) { gm_describe(st, out); }

const vt_os vt_os_gmt0017 = {
	.name = "gmt0017",
	.t0 = 1,
	.create = gm_create,
	.load = gm_load,
	.save = gm_save,
	.destroy = gm_destroy,
	.reset = gm_reset,
	.apdu = gm_apdu,
	.init = gm_init_entry,
	.describe = gm_describe_entry,
};
