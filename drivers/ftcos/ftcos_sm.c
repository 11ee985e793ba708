/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/ftcos/ftcos_sm.c — FTCOS administration commands protected by a
 * MAC over a fresh card challenge (CREATE, ERASE, INSTALL KEY) and WRITE KEY,
 * which is additionally 3DES-encrypted under the key-maintenance key.
 */
#include <string.h>

#include "ftcos.h"

ukey_rv ftcos_sm_mac_cmd(ftcos_ctx *c, uint8_t ins, uint8_t p1, uint8_t p2,
			 const uint8_t *data, size_t len, const uint8_t *key,
			 size_t keylen)
{
	uint8_t chal[8], mac[8], rsp[8];
	uint8_t macin[5 + 255 + 8], cmd[255];
	size_t mlen, rlen = 0;
	uint16_t sw = 0;
	/* WRITE KEY and INSTALL KEY carry key or PIN bodies: keep them out
	 * of traces */
	ukey_apdu a = { 0x84, ins, p1, p2, cmd, len + 4, 0,
			(ins == 0xF4 || ins == 0xF0) ? UKEY_APDU_SENSITIVE : 0 };
	ukey_rv rv;

	if ((!data && len) || len + 4 > 255 || (keylen != 8 && keylen != 16))
		return UKEY_E_ARGS;
	rv = ftcos_get_challenge(c, chal, sizeof(chal));
	if (rv)
		return rv;
	/* MAC input: 84 INS P1 P2 (Lc+4) data, ISO padding; IV = challenge. */
	macin[0] = 0x84;
	macin[1] = ins;
	macin[2] = p1;
	macin[3] = p2;
	macin[4] = (uint8_t)(len + 4);
	if (len)
		memcpy(macin + 5, data, len);
	/* ISO 9797-1 padding 2, done in place */
	mlen = 5 + len;
	macin[mlen++] = 0x80;
	while (mlen % 8)
		macin[mlen++] = 0x00;
	if (keylen == 8)
		rv = ukey_sm_cbc_mac(key, 8, chal, macin, mlen, mac);
	else
		rv = ukey_sm_retail_mac(key, chal, macin, mlen, mac);
	if (rv)
		goto out;
	if (len)
		memcpy(cmd, data, len);
	memcpy(cmd + len, mac, 4);
	rv = ukey_transmit(c->ch, &a, rsp, sizeof(rsp), &rlen, &sw);
	if (rv == UKEY_OK && sw != UKEY_SW_OK) {
		rv = ukey_sw_to_err(sw);
		if (rv == UKEY_OK)
			rv = UKEY_E_SW_OTHER;
	}
out:
	ukey_memzero(macin, sizeof(macin));
	ukey_memzero(cmd, sizeof(cmd));
	ukey_memzero(mac, sizeof(mac));
	return rv;
}

ukey_rv ftcos_write_key(ftcos_ctx *c, uint8_t usage, uint8_t kid,
			const uint8_t *data, size_t len)
{
	/* Plaintext: Lc || data || 80 00.. to ((Lc+2)/8+1)*8 bytes (the card's
	 * rule, which sometimes adds a whole block of padding). */
	uint8_t plain[256], enc[256];
	size_t plen = ((len + 2) / 8 + 1) * 8;
	ukey_rv rv;

	if (!data || len == 0 || plen + 4 > 255)
		return UKEY_E_ARGS;
	memset(plain, 0, plen);
	plain[0] = (uint8_t)len;
	memcpy(plain + 1, data, len);
	plain[1 + len] = 0x80;
	rv = ukey_sm_3des_ecb(c->maint_key, c->maint_key_len, 1, plain, plen, enc);
	if (!rv)
		rv = ftcos_sm_mac_cmd(c, 0xF4, usage, kid, enc, plen, c->maint_key,
				      c->maint_key_len);
	ukey_memzero(plain, sizeof(plain));
	ukey_memzero(enc, sizeof(enc));
	return rv;
}

ukey_rv ftcos_erase_card(ftcos_ctx *c)
{
	static const uint8_t mf[2] = { 0x3F, 0x00 };
	uint8_t rsp[258];
	size_t rlen = 0;
	uint16_t sw = 0;
	/* The card wants the MF selected by a SELECT without Le first. */
	ukey_apdu sel = { 0x00, 0xA4, 0x00, 0x00, mf, 2, 0, 0 };
	ukey_rv rv;

	ftcos_forget(c);
	rv = ukey_transmit(c->ch, &sel, rsp, sizeof(rsp), &rlen, &sw);
	if (rv)
		return rv;
	if (sw == 0x6A82)
		return UKEY_OK; /* no MF: the card is blank already */
	if (sw != UKEY_SW_OK)
		return ukey_sw_to_err(sw) ? ukey_sw_to_err(sw) : UKEY_E_SW_OTHER;
	rv = ftcos_sm_mac_cmd(c, 0xEE, 0x00, 0x00, mf, 2, c->transport_key,
			      c->transport_key_len);
	ftcos_forget(c);
	return rv;
}

ukey_rv ftcos_create_mf(ftcos_ctx *c, const uint8_t aid16[16])
{
	/* FID, file count, flag, key-file size, create/append/lock AC, AID,
	 * init key (as OpenSC's entersafe profile creates it). */
	uint8_t d[41] = { 0x3F, 0x00, 0x04, 0x11, 0x03, 0x00, 0x10, 0xC0, 0x10 };
	ukey_rv rv;

	memcpy(d + 9, aid16, 16);
	memcpy(d + 25, c->init_key, 16);
	rv = ftcos_sm_mac_cmd(c, 0xE0, 0x00, 0x00, d, sizeof(d), c->transport_key,
			      c->transport_key_len);
	ukey_memzero(d, sizeof(d));
	ftcos_forget(c);
	if (!rv) {
		c->df_known = 1;
		c->df_path[0] = 0x3F00;
		c->df_depth = 1;
	}
	return rv;
}

ukey_rv ftcos_create_df(ftcos_ctx *c, uint16_t fid, uint8_t file_count,
			uint16_t key_file_size, const uint8_t *aid, size_t aid_len)
{
	uint8_t d[41] = { (uint8_t)(fid >> 8), (uint8_t)fid, file_count, 0x01,
			  (uint8_t)(key_file_size >> 8), (uint8_t)key_file_size,
			  0x10, 0xC0, 0x10 };
	ukey_rv rv;

	if (aid_len > 16)
		return UKEY_E_ARGS;
	if (aid_len)
		memcpy(d + 9, aid, aid_len);
	memcpy(d + 25, c->init_key, 16);
	rv = ftcos_sm_mac_cmd(c, 0xE0, 0x01, 0x00, d, sizeof(d), c->init_key,
			      c->init_key_len);
	ukey_memzero(d, sizeof(d));
	if (rv) {
		ftcos_forget(c);
		return rv;
	}
	if (c->df_known && c->df_depth < FTCOS_MAX_DEPTH) {
		c->df_path[c->df_depth++] = fid; /* the new DF is current */
		c->ef = 0;
	} else {
		ftcos_forget(c);
	}
	return UKEY_OK;
}

ukey_rv ftcos_create_ef(ftcos_ctx *c, uint16_t fid, uint16_t size,
			uint16_t attr, uint8_t read_ac, uint8_t update_ac)
{
	uint8_t d[19] = { (uint8_t)(fid >> 8), (uint8_t)fid, (uint8_t)(size >> 8),
			  (uint8_t)size, (uint8_t)(attr >> 8), (uint8_t)attr,
			  0x00 };
	ukey_rv rv;

	d[7] = read_ac;
	d[8] = update_ac;
	memset(d + 9, 0x10, 8);
	d[17] = d[18] = 0x00;
	rv = ftcos_sm_mac_cmd(c, 0xE0, 0x02, 0x00, d, sizeof(d), c->init_key,
			      c->init_key_len);
	if (rv) {
		c->ef = 0;
		return rv;
	}
	c->ef = fid; /* the new EF is current */
	c->ef_size = size;
	return UKEY_OK;
}

ukey_rv ftcos_install_key(ftcos_ctx *c, uint8_t kid, const uint8_t *rec,
			  size_t len)
{
	return ftcos_sm_mac_cmd(c, 0xF0, 0x00, kid, rec, len, c->init_key,
				c->init_key_len);
}
