/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/epass2003/epass2003_pin.c — ePass2003 PINs. The card stores a PIN
 * as a 3DES key, SHA-1(PIN) || BE32(length) (24 bytes), and checks it by
 * EXTERNAL AUTHENTICATE 00 82 01 (80|kid) of its own GET CHALLENGE random
 * encrypted under that key; the same command without data answers 63Cx
 * (tries left). UPDATE SECRET KEY 80 E5 04 kid writes a new PIN with its
 * error counter (maximum << 4 | maximum). Facts from OpenSC's
 * card-epass2003.c (external_key_auth, get_external_key_retries,
 * update_secret_key, hash_data, epass2003_pin_cmd).
 */
#include <string.h>

#include <openssl/evp.h>

#include "epass2003.h"

ukey_rv epass2003_pin_secret(const uint8_t *pin, size_t len, uint8_t out[24])
{
	unsigned int dlen = 0;

	if (!pin || !out || len == 0 || len > EPASS2003_PIN_MAX)
		return UKEY_E_ARGS;
	if (EVP_Digest(pin, len, out, &dlen, EVP_sha1(), NULL) != 1 || dlen != 20) {
		ukey_memzero(out, 24);
		return UKEY_E_CRYPTO;
	}
	out[20] = 0;
	out[21] = 0;
	out[22] = 0;
	out[23] = (uint8_t)len;
	return UKEY_OK;
}

static int kid_ok(uint8_t kid)
{
	return kid >= 1 && kid <= 0x7F;
}

ukey_rv epass2003_pin_tries(epass2003_ctx *c, uint8_t kid, int *tries_left)
{
	uint8_t rnd[16], rsp[64];
	size_t rlen = 0;
	uint16_t sw = 0;
	ukey_apdu a = { 0x00, 0x82, 0x01, 0, NULL, 0, 0, 0 };
	ukey_rv rv;

	if (!c || !tries_left || !kid_ok(kid))
		return UKEY_E_ARGS;
	*tries_left = -1;
	a.p2 = (uint8_t)(0x80 | kid);
	/* OpenSC asks for a challenge first; the card may insist on one */
	rv = epass2003_get_challenge(c, rnd, c->challenge_len);
	ukey_memzero(rnd, sizeof(rnd));
	if (rv)
		return rv;
	rv = epass2003_transmit(c, &a, 0, rsp, sizeof(rsp), &rlen, &sw);
	if (rv)
		return rv;
	if (rlen != 0)
		return UKEY_E_MALFORMED;
	if ((sw & 0xFFF0) == 0x63C0) {
		*tries_left = sw & 0x0F;
		return UKEY_OK;
	}
	if (sw == 0x6983) {
		*tries_left = 0;
		return UKEY_OK;
	}
	if (sw == UKEY_SW_OK)
		return UKEY_E_MALFORMED; /* not an answer this command has */
	return epass2003_sw_err(sw);
}

ukey_rv epass2003_verify_pin(epass2003_ctx *c, uint8_t kid, const uint8_t *pin,
			     size_t len, int *tries_left)
{
	uint8_t secret[24], rnd[16], crypt[8], rsp[64];
	size_t rlen = 0;
	uint16_t sw = 0;
	ukey_apdu a = { 0x00, 0x82, 0x01, 0, crypt, 8, 0, UKEY_APDU_SENSITIVE };
	ukey_rv rv;

	if (tries_left)
		*tries_left = -1;
	if (!c || !kid_ok(kid))
		return UKEY_E_ARGS;
	a.p2 = (uint8_t)(0x80 | kid);
	rv = epass2003_pin_secret(pin, len, secret);
	if (rv)
		return rv;
	rv = epass2003_get_challenge(c, rnd, c->challenge_len);
	/* one block: 3-key 3DES (K1 = SHA-1[0..7], K2 = [8..15], K3 =
	 * [16..19] || BE32(len)) of the challenge's first 8 bytes */
	if (!rv)
		rv = ukey_sm_3des_ecb(secret, 24, 1, rnd, 8, crypt);
	ukey_memzero(secret, sizeof(secret));
	ukey_memzero(rnd, sizeof(rnd));
	if (!rv)
		rv = epass2003_transmit(c, &a, 0, rsp, sizeof(rsp), &rlen, &sw);
	ukey_memzero(crypt, sizeof(crypt));
	if (rv)
		return rv;
	if (rlen != 0)
		return UKEY_E_MALFORMED;
	if (sw == UKEY_SW_OK) {
		c->pin_ok = c->sm != EPASS2003_SM_PLAIN;
		return UKEY_OK;
	}
	if ((sw & 0xFFF0) == 0x63C0) {
		if (tries_left)
			*tries_left = sw & 0x0F;
		return (sw & 0x0F) ? UKEY_E_SW_WRONG_PIN : UKEY_E_SW_PIN_BLOCKED;
	}
	if (sw == 0x6983) {
		if (tries_left)
			*tries_left = 0;
		return UKEY_E_SW_PIN_BLOCKED;
	}
	return epass2003_sw_err(sw);
}

ukey_rv epass2003_pin_max_tries(epass2003_ctx *c, uint8_t kid, unsigned *max)
{
	uint8_t buf[2];
	size_t got = 0;
	unsigned v;
	ukey_rv rv;

	if (!c || !max || !kid_ok(kid))
		return UKEY_E_ARGS;
	if (!c->maxpin_known) {
		/* PINs live in a DF: come back to the current one afterwards */
		uint8_t back[2 * EPASS2003_MAX_DEPTH];
		size_t blen = 0;

		if (c->df_known) {
			for (size_t i = 0; i < c->df_depth; i++) {
				back[2 * i] = (uint8_t)(c->df_path[i] >> 8);
				back[2 * i + 1] = (uint8_t)c->df_path[i];
			}
			blen = 2 * c->df_depth;
		}
		c->maxpin[0] = c->maxpin[1] = 0;
		if (c->maxpin_path_len) {
			rv = epass2003_select_path(c, c->maxpin_path,
						   c->maxpin_path_len, NULL);
			if (!rv)
				rv = epass2003_read_binary(c, 0, buf, 2, &got);
			if (blen) {
				ukey_rv r2 = epass2003_select_path(c, back, blen, NULL);

				if (r2)
					return r2;
			}
			if (!rv && got == 2) {
				c->maxpin[0] = buf[0];
				c->maxpin[1] = buf[1];
			} else if (rv == UKEY_E_MALFORMED || rv == UKEY_E_NOMEM ||
				   rv == UKEY_E_TRANSPORT || rv == UKEY_E_NO_CARD ||
				   rv == UKEY_E_CARD_RESET || rv == UKEY_E_NO_READER ||
				   rv == UKEY_E_TIMEOUT || rv == UKEY_E_SHARING ||
				   rv == UKEY_E_SW_SM) {
				return rv;
			}
			/* refused or missing: no MAXPIN file on this token */
		}
		c->maxpin_known = 1;
	}
	v = c->maxpin[kid == c->so_kid ? 1 : 0];
	*max = (v >= 1 && v <= 15) ? v : c->pin_max_default;
	return UKEY_OK;
}

ukey_rv epass2003_set_pin(epass2003_ctx *c, uint8_t kid, const uint8_t *pin,
			  size_t len)
{
	uint8_t data[1 + 24], rsp[64];
	size_t rlen = 0;
	uint16_t sw = 0;
	unsigned max = 0;
	ukey_apdu a = { 0x80, 0xE5, 0x04, 0, data, sizeof(data), 0,
			UKEY_APDU_SENSITIVE };
	ukey_rv rv;

	if (!c || !kid_ok(kid) || !pin || len == 0 || len > EPASS2003_PIN_MAX)
		return UKEY_E_ARGS;
	a.p2 = kid;
	rv = epass2003_pin_max_tries(c, kid, &max);
	if (rv)
		return rv;
	data[0] = (uint8_t)(max << 4 | max);
	rv = epass2003_pin_secret(pin, len, data + 1);
	if (!rv)
		rv = epass2003_transmit(c, &a, 0, rsp, sizeof(rsp), &rlen, &sw);
	ukey_memzero(data, sizeof(data));
	if (rv)
		return rv;
	if (rlen != 0)
		return UKEY_E_MALFORMED;
	return epass2003_sw_err(sw);
}

ukey_rv epass2003_change_pin(epass2003_ctx *c, uint8_t kid,
			     const uint8_t *oldp, size_t oldlen,
			     const uint8_t *newp, size_t newlen)
{
	ukey_rv rv;

	if (!newp || newlen == 0 || newlen > EPASS2003_PIN_MAX)
		return UKEY_E_ARGS;
	rv = epass2003_verify_pin(c, kid, oldp, oldlen, NULL);
	if (!rv)
		rv = epass2003_set_pin(c, kid, newp, newlen);
	return rv;
}

ukey_rv epass2003_unblock_pin(epass2003_ctx *c, const uint8_t *puk,
			      size_t puklen, const uint8_t *newp, size_t newlen)
{
	ukey_rv rv;

	if (!c || !newp || newlen == 0 || newlen > EPASS2003_PIN_MAX)
		return UKEY_E_ARGS;
	rv = epass2003_verify_pin(c, c->so_kid, puk, puklen, NULL);
	if (!rv)
		rv = epass2003_set_pin(c, c->user_kid, newp, newlen);
	return rv;
}

ukey_rv epass2003_install_pin(epass2003_ctx *c, const uint8_t hdr[10],
			      const uint8_t *pin, size_t len)
{
	uint8_t d[10 + 24], rsp[64];
	size_t rlen = 0;
	uint16_t sw = 0;
	ukey_apdu a = { 0x80, 0xE3, 0x00, 0x00, d, sizeof(d), 0,
			UKEY_APDU_SENSITIVE };
	ukey_rv rv;

	if (!c || !hdr || !pin || len == 0 || len > EPASS2003_PIN_MAX ||
	    hdr[0] != 0x04 || !kid_ok(hdr[1]))
		return UKEY_E_ARGS;
	memcpy(d, hdr, 10);
	rv = epass2003_pin_secret(pin, len, d + 10);
	if (!rv)
		rv = epass2003_transmit(c, &a, 0, rsp, sizeof(rsp), &rlen, &sw);
	ukey_memzero(d, sizeof(d));
	if (rv)
		return rv;
	if (sw != UKEY_SW_OK)
		return epass2003_sw_err(sw);
	return rlen ? UKEY_E_MALFORMED : UKEY_OK;
}

ukey_rv epass2003_logout(epass2003_ctx *c)
{
	if (!c)
		return UKEY_E_ARGS;
	if (!c->info_known) {
		ukey_rv rv = epass2003_get_info(c);

		if (rv)
			return rv;
	}
	if (c->sm == EPASS2003_SM_PLAIN)
		return UKEY_E_SW_FUNC_NOT_SUPPORTED; /* only a reset logs out */
	/* a new session drops the verified PINs (OpenSC's logout) */
	return epass2003_sm_open(c);
}
