/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GM/T 0017 virtual OS: PIN commands (GetPINInfo, VerifyPIN, ChangePIN,
 * UnblockPIN, ClearSecureState). The PIN never travels in clear: see
 * docs/watchdata-wire.md for the cryptogram and the new-PIN block. */
#include <string.h>

#include <openssl/crypto.h>

#include "vt_os_gmt0017.h"

/* Common front of VerifyPIN/ChangePIN/UnblockPIN: checks the 16-byte
 * cryptogram at data[2..18) for PIN `type`, counting the attempt. */
static unsigned gm_pin_prove(gm_state *st, gm_app *a, int type,
			     const uint8_t *crypt, int *dirty)
{
	uint8_t expect[16];
	gm_pin *pin = &a->pin[type];
	if (pin->left == 0)
		return GM_SW_BLOCKED;
	if (!st->chal_live)
		return GM_SW_COND;
	if (gm_pin_cryptogram(pin->key, st->chal, expect) != 0)
		return GM_SW_INTERNAL;
	unsigned sw = gm_check_counter(&pin->left, pin->max, expect, crypt, dirty);
	OPENSSL_cleanse(expect, sizeof(expect));
	return sw;
}

size_t gm_cmd_get_pin_info(gm_state *st, const gm_cmd *c, uint8_t *rsp,
			   int *dirty)
{
	unsigned sw;
	(void)dirty;
	gm_app *a = gm_app_front(st, c, 1, 2, &sw);
	if (!a)
		return gm_rsp(rsp, 0, sw);
	const gm_pin *pin = &a->pin[c->p2];
	rsp[0] = pin->max;
	rsp[1] = pin->left;
	rsp[2] = pin->is_default;
	return gm_rsp(rsp, 3, GM_SW_OK);
}

size_t gm_cmd_verify_pin(gm_state *st, const gm_cmd *c, uint8_t *rsp,
			 int *dirty)
{
	unsigned sw;
	gm_app *a = gm_app_front(st, c, 1, 2 + 16, &sw);
	if (!a)
		return gm_rsp(rsp, 0, sw);
	a->auth[c->p2] = 0;
	sw = gm_pin_prove(st, a, c->p2, c->data + 2, dirty);
	if (sw == GM_SW_OK)
		a->auth[c->p2] = 1;
	return gm_rsp(rsp, 0, sw);
}

/* Sets PIN `target` from a new-PIN block encrypted under `key`. */
static unsigned gm_pin_set_from_block(gm_pin *target, const uint8_t key[16],
				      const uint8_t *blk, int is_default)
{
	uint8_t pin[GM_PIN_MAX];
	size_t len = 0;
	if (gm_pin_block_open(key, blk, pin, &len) != 0)
		return GM_SW_WRONG_DATA;
	gm_pin_key(pin, len, target->key);
	OPENSSL_cleanse(pin, sizeof(pin));
	target->left = target->max;
	target->is_default = (uint8_t)is_default;
	return GM_SW_OK;
}

size_t gm_cmd_change_pin(gm_state *st, const gm_cmd *c, uint8_t *rsp,
			 int *dirty)
{
	unsigned sw;
	gm_app *a = gm_app_front(st, c, 1, 2 + 16 + GM_PIN_BLOCK, &sw);
	if (!a)
		return gm_rsp(rsp, 0, sw);
	gm_pin *pin = &a->pin[c->p2];
	sw = gm_pin_prove(st, a, c->p2, c->data + 2, dirty);
	if (sw != GM_SW_OK) {
		if ((sw & 0xFFF0u) == 0x63C0u)
			a->auth[c->p2] = 0;
		return gm_rsp(rsp, 0, sw);
	}
	uint8_t oldkey[16];
	memcpy(oldkey, pin->key, 16);
	sw = gm_pin_set_from_block(pin, oldkey, c->data + 18, 0);
	OPENSSL_cleanse(oldkey, sizeof(oldkey));
	*dirty = 1;
	return gm_rsp(rsp, 0, sw);
}

size_t gm_cmd_unblock_pin(gm_state *st, const gm_cmd *c, uint8_t *rsp,
			  int *dirty)
{
	unsigned sw;
	gm_app *a = gm_app_front(st, c, 0, 2 + 16 + GM_PIN_BLOCK, &sw);
	if (!a)
		return gm_rsp(rsp, 0, sw);
	sw = gm_pin_prove(st, a, GM_PIN_ADMIN, c->data + 2, dirty);
	if (sw != GM_SW_OK) {
		if ((sw & 0xFFF0u) == 0x63C0u)
			a->auth[GM_PIN_ADMIN] = 0;
		return gm_rsp(rsp, 0, sw);
	}
	/* The administrator chose this PIN: flag it as one to change. */
	sw = gm_pin_set_from_block(&a->pin[GM_PIN_USER], a->pin[GM_PIN_ADMIN].key,
				   c->data + 18, 1);
	*dirty = 1;
	return gm_rsp(rsp, 0, sw);
}

size_t gm_cmd_clear_secure(gm_state *st, const gm_cmd *c, uint8_t *rsp,
			   int *dirty)
{
	unsigned sw;
	(void)dirty;
	gm_app *a = gm_app_front(st, c, 0, 2, &sw);
	if (!a)
		return gm_rsp(rsp, 0, sw);
	a->auth[GM_PIN_ADMIN] = a->auth[GM_PIN_USER] = 0;
	return gm_rsp(rsp, 0, GM_SW_OK);
}
