/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GM/T 0017 virtual OS: device commands (GetDevInfo, SetLabel, DevAuth,
 * ChangeDevAuthKey, GenRandom / GET CHALLENGE). */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "vt_os_gmt0017.h"

static void gm_put_str(uint8_t *p, size_t field, const char *s)
{
	size_t n = strlen(s);
	memcpy(p, s, n < field ? n : field);
}

size_t gm_cmd_get_dev_info(gm_state *st, const gm_cmd *c, uint8_t *rsp,
			   int *dirty)
{
	(void)dirty;
	if (c->p1 || c->p2)
		return gm_rsp(rsp, 0, GM_SW_WRONG_P1P2);
	if (c->lc)
		return gm_rsp(rsp, 0, GM_SW_WRONG_LEN);
	uint8_t *p = rsp;
	memset(p, 0, GM_DEVINFO_LEN);
	p[0] = 1; p[1] = 0;             /* Version 1.0 */
	p[2] = 1; p[3] = 0;             /* SpecVersion 1.0 */
	gm_put_str(p + 4, 64, "Watchdata");
	gm_put_str(p + 68, 64, "ukey-vtoken");
	gm_put_str(p + 132, 32, st->label);
	gm_put_str(p + 164, 32, st->serial);
	gm_put16(p + 196, 0x0100);      /* HWVersion */
	gm_put16(p + 198, 0x0100);      /* FWVersion */
	gm_put32(p + 200, GM_SGD_SM4_ECB | GM_SGD_SM4_CBC | GM_SGD_SM4_MAC);
	gm_put32(p + 204, GM_SGD_RSA);  /* AlgAsymCap */
	gm_put32(p + 208, 0);           /* AlgHashCap: no on-card hashing */
	gm_put32(p + 212, GM_SGD_SM4_ECB); /* DevAuthAlgId */
	size_t used = gm_used_space(st);
	gm_put32(p + 216, GM_TOTAL_SPACE);
	gm_put32(p + 220, (uint32_t)(used < GM_TOTAL_SPACE ? GM_TOTAL_SPACE - used : 0));
	gm_put16(p + 224, 255);         /* MaxAPDUDataLen */
	gm_put16(p + 226, 0x0001);      /* UserAuthMethod: PIN */
	gm_put16(p + 228, 0x0001);      /* DeviceType: USB key */
	p[230] = GM_MAX_CONTAINERS;
	p[231] = GM_MAX_CERTS;
	gm_put16(p + 232, GM_MAX_FILES);
	/* 234..287 reserved, zero */
	return gm_rsp(rsp, GM_DEVINFO_LEN, GM_SW_OK);
}

size_t gm_cmd_set_label(gm_state *st, const gm_cmd *c, uint8_t *rsp,
			int *dirty)
{
	if (c->p1 || c->p2)
		return gm_rsp(rsp, 0, GM_SW_WRONG_P1P2);
	if (c->lc == 0 || c->lc > GM_LABEL_MAX)
		return gm_rsp(rsp, 0, GM_SW_WRONG_LEN);
	if (!gm_name_ok(c->data, c->lc, GM_LABEL_MAX))
		return gm_rsp(rsp, 0, GM_SW_WRONG_DATA);
	memset(st->label, 0, sizeof(st->label));
	memcpy(st->label, c->data, c->lc);
	*dirty = 1;
	return gm_rsp(rsp, 0, GM_SW_OK);
}

size_t gm_cmd_gen_random(gm_state *st, const gm_cmd *c, uint8_t *rsp,
			 int *dirty)
{
	(void)dirty;
	if (c->p1 || c->p2)
		return gm_rsp(rsp, 0, GM_SW_WRONG_P1P2);
	if (c->lc || !c->has_le)
		return gm_rsp(rsp, 0, GM_SW_WRONG_LEN);
	if (RAND_bytes(rsp, (int)c->le) != 1)
		return gm_rsp(rsp, 0, GM_SW_INTERNAL);
	/* Only an 8-byte answer arms a challenge (for the next command). */
	if (c->le == GM_CHAL_LEN) {
		memcpy(st->chal, rsp, GM_CHAL_LEN);
		st->chal_next = 1;
	}
	return gm_rsp(rsp, c->le, GM_SW_OK);
}

size_t gm_cmd_dev_auth(gm_state *st, const gm_cmd *c, uint8_t *rsp,
		       int *dirty)
{
	uint8_t expect[16];
	if (c->p1 || c->p2)
		return gm_rsp(rsp, 0, GM_SW_WRONG_P1P2);
	if (c->lc != 16)
		return gm_rsp(rsp, 0, GM_SW_WRONG_LEN);
	st->dev_authed = 0;
	if (st->dev_left == 0)
		return gm_rsp(rsp, 0, GM_SW_BLOCKED);
	if (!st->chal_live)
		return gm_rsp(rsp, 0, GM_SW_COND);
	if (gm_dev_cryptogram(st->devkey, st->chal, expect) != 0)
		return gm_rsp(rsp, 0, GM_SW_INTERNAL);
	unsigned sw = gm_check_counter(&st->dev_left, st->dev_max, expect,
				       c->data, dirty);
	OPENSSL_cleanse(expect, sizeof(expect));
	if (sw == GM_SW_OK)
		st->dev_authed = 1;
	return gm_rsp(rsp, 0, sw);
}

size_t gm_cmd_change_dev_key(gm_state *st, const gm_cmd *c, uint8_t *rsp,
			     int *dirty)
{
	uint8_t key[16];
	if (c->p1 || c->p2)
		return gm_rsp(rsp, 0, GM_SW_WRONG_P1P2);
	if (c->lc != 16)
		return gm_rsp(rsp, 0, GM_SW_WRONG_LEN);
	if (!st->dev_authed)
		return gm_rsp(rsp, 0, GM_SW_SECURITY);
	if (gm_sm4_ecb(st->devkey, c->data, 16, key, 0) != 0)
		return gm_rsp(rsp, 0, GM_SW_INTERNAL);
	memcpy(st->devkey, key, 16);
	OPENSSL_cleanse(key, sizeof(key));
	st->dev_left = st->dev_max;
	*dirty = 1;
	return gm_rsp(rsp, 0, GM_SW_OK);
}
