/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/epass2003/epass2003_sm.c — ePass2003 context, card info (GET DATA
 * 86), mutual authentication and session keys, wrapping of commands and
 * checking/unwrapping of answers (ISO 7816-4 SM objects 87/97/99/8E as the
 * card uses them), and the one transmit every command goes through.
 *
 * Facts from OpenSC's card-epass2003.c (gen_init_key, verify_init_key,
 * construct_*_tlv, encode_apdu, epass2003_check_response_mac_and_sw,
 * decrypt_response); the code is ours.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "apdu_sm_aes.h"
#include "epass2003.h"

const uint8_t epass2003_default_sm_key[16] = {
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
	0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x10
};

/* Wrapped data: 87 82 hh ll 01 <data padded> 97 02 hh ll 8E 08 <mac>. */
#define WRAP_MAX (EPASS2003_SM_MAX_DATA + 16 + 5 + 4 + 10)
/* Raw answer: 87 82 hh ll 01 <plain padded> 99 02 sw 8E 08 <mac>. */
#define RAW_RSP_MAX (EPASS2003_RSP_MAX + 16 + 5 + 4 + 10)
/* MAC input: padded header, TLVs, padding. */
#define MACIN_MAX (16 + (WRAP_MAX > RAW_RSP_MAX ? WRAP_MAX : RAW_RSP_MAX) + 16)

static const uint8_t zero16[16];

/* ------------------------------------------------------------ context */

static void load_key16(const ukey_profile *prof, const char *name,
		       uint8_t out[16])
{
	size_t len = 0;

	if (prof && ukey_profile_get_hex(prof, name, out, 16, &len) == UKEY_OK &&
	    len == 16)
		return;
	memcpy(out, epass2003_default_sm_key, 16);
}

static int sm_kind_from_text(const char *s)
{
	if (!s || !strcmp(s, "auto"))
		return -1;
	if (!strcmp(s, "plain") || !strcmp(s, "none"))
		return EPASS2003_SM_PLAIN;
	if (!strcmp(s, "des") || !strcmp(s, "3des"))
		return EPASS2003_SM_DES;
	if (!strcmp(s, "aes"))
		return EPASS2003_SM_AES;
	if (!strcmp(s, "fips") || !strcmp(s, "aes-fips"))
		return EPASS2003_SM_FIPS;
	return -1;
}

static ukey_rv default_rng(void *arg, uint8_t *buf, size_t len)
{
	(void)arg;
	if (len > 1024 || RAND_bytes(buf, (int)len) != 1)
		return UKEY_E_CRYPTO;
	return UKEY_OK;
}

ukey_rv epass2003_ctx_init(epass2003_ctx *c, ukey_chan *ch,
			   const ukey_profile *prof)
{
	/* the MAXPIN file of OpenSC's layout (epass2003.profile) */
	static const uint8_t maxpin[6] = { 0x3F, 0x00, 0x50, 0x15, 0x9F, 0x00 };
	unsigned long v;
	const char *s;
	size_t len = 0;

	if (!c || !ch)
		return UKEY_E_ARGS;
	memset(c, 0, sizeof(*c));
	c->ch = ch;
	c->sm_cfg = sm_kind_from_text(prof ? ukey_profile_get(prof, "sm") : NULL);
	load_key16(prof, "sm_key_enc", c->key_enc);
	load_key16(prof, "sm_key_mac", c->key_mac);
	v = ukey_profile_get_uint(prof, "max_read", EPASS2003_READ_MAX);
	c->max_read = (v >= 1 && v <= 0xF0) ? v : EPASS2003_READ_MAX;
	v = ukey_profile_get_uint(prof, "max_update", EPASS2003_UPDATE_MAX);
	c->max_update = (v >= 1 && v <= 0xE8) ? v : EPASS2003_UPDATE_MAX;
	v = ukey_profile_get_uint(prof, "challenge_len", 8);
	c->challenge_len = (v >= 8 && v <= 16) ? v : 8;
	c->fid_hook = ukey_profile_get_bool(prof, "fid_hook", 1);
	v = ukey_profile_get_uint(prof, "user_pin_kid", 1);
	c->user_kid = (v >= 1 && v <= 0x7F) ? (uint8_t)v : 1;
	v = ukey_profile_get_uint(prof, "so_pin_kid", 2);
	c->so_kid = (v >= 1 && v <= 0x7F) ? (uint8_t)v : 2;
	v = ukey_profile_get_uint(prof, "mse_alg_raw", 0x84);
	c->alg_raw = v <= 0xFF ? (uint8_t)v : 0x84;
	v = ukey_profile_get_uint(prof, "mse_alg_sha256", 0x82);
	c->alg_sha256 = v <= 0xFF ? (uint8_t)v : 0x82;
	v = ukey_profile_get_uint(prof, "pin_max_tries", 6);
	c->pin_max_default = (v >= 1 && v <= 15) ? (unsigned)v : 6;
	s = prof ? ukey_profile_get(prof, "pin_maxtries_path") : NULL;
	if (s && !strcmp(s, "none")) {
		c->maxpin_path_len = 0;
	} else if (s && ukey_profile_get_hex(prof, "pin_maxtries_path",
					     c->maxpin_path,
					     sizeof(c->maxpin_path), &len) == UKEY_OK &&
		   len >= 2 && len % 2 == 0) {
		c->maxpin_path_len = len;
	} else {
		memcpy(c->maxpin_path, maxpin, sizeof(maxpin));
		c->maxpin_path_len = sizeof(maxpin);
	}
	c->rng = default_rng;
	return UKEY_OK;
}

void epass2003_sm_close(epass2003_ctx *c)
{
	c->sm_open = 0;
	ukey_memzero(c->sk_enc, sizeof(c->sk_enc));
	ukey_memzero(c->sk_mac, sizeof(c->sk_mac));
	ukey_memzero(c->icv, sizeof(c->icv));
}

void epass2003_forget(epass2003_ctx *c)
{
	if (!c)
		return;
	epass2003_sm_close(c);
	c->pin_ok = 0;
	c->df_known = 0;
	c->df_depth = 0;
	c->ef = 0;
	c->ef_size = 0;
	c->ef_type = 0;
}

void epass2003_ctx_wipe(epass2003_ctx *c)
{
	if (c)
		ukey_memzero(c, sizeof(*c));
}

ukey_rv epass2003_sw_err(uint16_t sw)
{
	ukey_rv rv;

	if (sw == UKEY_SW_OK)
		return UKEY_OK;
	if (sw == 0x6A8A) /* DF name already exists */
		return UKEY_E_SW_FILE_EXISTS;
	if (sw == 0x6A83) /* record not found */
		return UKEY_E_SW_REF_NOT_FOUND;
	rv = ukey_sw_to_err(sw);
	return rv == UKEY_OK ? UKEY_E_SW_OTHER : rv; /* 61xx is apdu/'s business */
}

/* ----------------------------------------------------------- card info */

ukey_rv epass2003_parse_info(const uint8_t *p, size_t len,
			     epass2003_sm_kind *kind)
{
	const uint8_t *q = p;
	size_t left = len;
	int alg = -1, sm_on = 1, fips = 0;
	ukey_tlv t;

	if (!p || !kind || len == 0)
		return UKEY_E_MALFORMED;
	while (left) {
		if (ukey_tlv_next(&q, &left, &t) != UKEY_OK)
			return UKEY_E_MALFORMED;
		switch (t.tag) {
		case 0x80: /* SM algorithm: 01 AES, else 3DES */
			if (t.len != 1 || alg >= 0)
				return UKEY_E_MALFORMED;
			alg = t.value[0];
			break;
		case 0x84: /* 00: secure messaging off */
			if (t.len != 1)
				return UKEY_E_MALFORMED;
			sm_on = t.value[0] != 0x00;
			break;
		case 0x87: /* 01: FIPS model */
			if (t.len != 1)
				return UKEY_E_MALFORMED;
			fips = t.value[0] == 0x01;
			break;
		default:
			break; /* 81, 82, 83, 85 (serial), 86: not needed */
		}
	}
	if (!sm_on)
		*kind = EPASS2003_SM_PLAIN;
	else if (alg == 0x01)
		*kind = fips ? EPASS2003_SM_FIPS : EPASS2003_SM_AES;
	else
		*kind = EPASS2003_SM_DES;
	return UKEY_OK;
}

ukey_rv epass2003_get_info(epass2003_ctx *c)
{
	uint8_t rsp[258];
	size_t rlen = 0;
	uint16_t sw = 0;
	ukey_apdu a = { 0x00, 0xCA, 0x01, 0x86, NULL, 0, UKEY_LE_ANY, 0 };
	epass2003_sm_kind k;
	ukey_rv rv;

	if (c->sm_cfg >= 0) {
		c->sm = (epass2003_sm_kind)c->sm_cfg;
		c->info_known = 1;
		return UKEY_OK;
	}
	rv = ukey_transmit(c->ch, &a, rsp, sizeof(rsp), &rlen, &sw);
	if (rv)
		return rv == UKEY_E_BUFFER_TOO_SMALL ? UKEY_E_MALFORMED : rv;
	if (sw != UKEY_SW_OK)
		return epass2003_sw_err(sw);
	rv = epass2003_parse_info(rsp, rlen, &k);
	if (rv)
		return rv;
	c->sm = k;
	c->info_known = 1;
	return UKEY_OK;
}

/* -------------------------------------------------------- primitives */

static size_t blk(const epass2003_ctx *c)
{
	return c->sm == EPASS2003_SM_DES ? 8 : 16;
}

/* CBC with the session's encryption key, IV 0 (commands and answers). */
static ukey_rv enc_cbc(const epass2003_ctx *c, int enc, const uint8_t *in,
		       size_t len, uint8_t *out)
{
	if (c->sm == EPASS2003_SM_DES)
		return ukey_3des2_cbc(c->sk_enc, zero16, enc, in, len, out);
	return ukey_aes128_cbc(c->sk_enc, zero16, enc, in, len, out);
}

/* Encrypt with key, IV 0, and return the first 8 bytes of the last block
 * (the non-FIPS cryptograms and MACs). */
static ukey_rv cbc_last8(const epass2003_ctx *c, const uint8_t *key,
			 const uint8_t *iv, const uint8_t *in, size_t len,
			 uint8_t out[8])
{
	uint8_t tmp[MACIN_MAX];
	size_t b = blk(c);
	ukey_rv rv;

	if (len == 0 || len % b || len > sizeof(tmp))
		return UKEY_E_ARGS;
	if (c->sm == EPASS2003_SM_DES)
		rv = ukey_3des2_cbc(key, iv, 1, in, len, tmp);
	else
		rv = ukey_aes128_cbc(key, iv, 1, in, len, tmp);
	if (!rv)
		memcpy(out, tmp + len - b, 8);
	ukey_memzero(tmp, len);
	return rv;
}

/* The MAC of a command or answer, chained from the ICV. m is already
 * padded (3DES, AES) or raw with the ICV applied (FIPS: CMAC). */
static ukey_rv chain_mac(const epass2003_ctx *c, const uint8_t *m, size_t len,
			 uint8_t out[8])
{
	uint8_t full[16];
	ukey_rv rv;

	switch (c->sm) {
	case EPASS2003_SM_DES:
		/* single DES with K1 over all blocks, the last one finished
		 * with K2 and K1 (ISO 9797-1 algorithm 3), IV = ICV */
		rv = ukey_sm_retail_mac(c->sk_mac, c->icv, m, len, full);
		break;
	case EPASS2003_SM_AES:
		return cbc_last8(c, c->sk_mac, c->icv, m, len, out);
	case EPASS2003_SM_FIPS:
		rv = ukey_aes128_cmac(c->sk_mac, m, len, full);
		break;
	default:
		return UKEY_E_ARGS;
	}
	if (!rv)
		memcpy(out, full, 8);
	ukey_memzero(full, sizeof(full));
	return rv;
}

/* Append ISO 9797-1 method 2 padding to m[0..len) up to a multiple of b. */
static size_t pad80(uint8_t *m, size_t len, size_t b)
{
	m[len++] = 0x80;
	while (len % b)
		m[len++] = 0x00;
	return len;
}

static void icv_increment(epass2003_ctx *c)
{
	for (size_t i = blk(c); i-- > 0;)
		if (++c->icv[i] != 0)
			break;
}

/* ------------------------------------------------- mutual authentication */

/* The FIPS models' derivation block: 11 zero bytes, constant, 00, the
 * output length in bits (BE16), counter 01, host then card challenge. */
static void fips_block(uint8_t out[32], uint8_t konst, uint16_t bits,
		       const uint8_t host[8], const uint8_t card[8])
{
	memset(out, 0, 16);
	out[11] = konst;
	out[13] = (uint8_t)(bits >> 8);
	out[14] = (uint8_t)bits;
	out[15] = 0x01;
	memcpy(out + 16, host, 8);
	memcpy(out + 24, card, 8);
}

static ukey_rv derive(epass2003_ctx *c, const uint8_t host[8],
		      const uint8_t card[8])
{
	uint8_t d[32];
	ukey_rv rv;

	if (c->sm == EPASS2003_SM_FIPS) {
		fips_block(d, 0x04, 128, host, card);
		rv = ukey_aes128_cmac(c->key_enc, d, 32, c->sk_enc);
		if (!rv) {
			fips_block(d, 0x06, 128, host, card);
			rv = ukey_aes128_cmac(c->key_mac, d, 32, c->sk_mac);
		}
	} else {
		/* GlobalPlatform SCP01 derivation data */
		memcpy(d, card + 4, 4);
		memcpy(d + 4, host, 4);
		memcpy(d + 8, card, 4);
		memcpy(d + 12, host + 4, 4);
		if (c->sm == EPASS2003_SM_DES) {
			rv = ukey_sm_3des_ecb(c->key_enc, 16, 1, d, 16, c->sk_enc);
			if (!rv)
				rv = ukey_sm_3des_ecb(c->key_mac, 16, 1, d, 16,
						      c->sk_mac);
		} else {
			rv = ukey_aes128_ecb(c->key_enc, 1, d, 16, c->sk_enc);
			if (!rv)
				rv = ukey_aes128_ecb(c->key_mac, 1, d, 16, c->sk_mac);
		}
	}
	ukey_memzero(d, sizeof(d));
	return rv;
}

/* Card (host_first) or host cryptogram. */
static ukey_rv cryptogram(epass2003_ctx *c, int card_side,
			  const uint8_t host[8], const uint8_t card[8],
			  uint8_t out[8])
{
	uint8_t m[32], full[16];
	size_t n;
	ukey_rv rv;

	if (c->sm == EPASS2003_SM_FIPS) {
		fips_block(m, card_side ? 0x00 : 0x01, 64, host, card);
		rv = ukey_aes128_cmac(c->sk_enc, m, 32, full);
		if (!rv)
			memcpy(out, full, 8);
		ukey_memzero(full, sizeof(full));
		ukey_memzero(m, sizeof(m));
		return rv;
	}
	memcpy(m, card_side ? host : card, 8);
	memcpy(m + 8, card_side ? card : host, 8);
	n = pad80(m, 16, blk(c)); /* 24 (3DES) or 32 (AES) */
	rv = cbc_last8(c, c->sk_enc, zero16, m, n, out);
	ukey_memzero(m, sizeof(m));
	return rv;
}

ukey_rv epass2003_sm_open(epass2003_ctx *c)
{
	uint8_t host[8], r[64], cc[8], hc[8], m[16], mac[8], ea_data[16];
	const uint8_t *card_rnd, *card_crypt;
	size_t rlen = 0, want;
	uint16_t sw = 0;
	int fips;
	ukey_apdu iu = { 0x80, 0x50, 0x00, 0x00, host, 8, 0, 0 };
	ukey_apdu ea = { 0x84, 0x82, 0x03, 0x00, ea_data, 16, 0, 0 };
	ukey_rv rv;

	if (!c)
		return UKEY_E_ARGS;
	epass2003_sm_close(c);
	if (!c->info_known) {
		rv = epass2003_get_info(c);
		if (rv)
			return rv;
	}
	if (c->sm == EPASS2003_SM_PLAIN)
		return UKEY_OK;
	fips = c->sm == EPASS2003_SM_FIPS;
	want = fips ? 29 : 28;
	iu.le = want;
	rv = c->rng ? c->rng(c->rng_arg, host, sizeof(host)) : UKEY_E_ARGS;
	if (rv)
		return rv;
	/* INITIALIZE UPDATE: key diversification data (10), key information
	 * (2, FIPS 3), card challenge (8), card cryptogram (8) */
	rv = ukey_transmit(c->ch, &iu, r, sizeof(r), &rlen, &sw);
	if (rv)
		goto out;
	if (sw != UKEY_SW_OK) {
		rv = epass2003_sw_err(sw);
		goto out;
	}
	if (rlen != want) {
		rv = UKEY_E_MALFORMED;
		goto out;
	}
	card_rnd = r + (fips ? 13 : 12);
	card_crypt = r + (fips ? 21 : 20);
	rv = derive(c, host, card_rnd);
	if (!rv)
		rv = cryptogram(c, 1, host, card_rnd, cc);
	if (rv)
		goto out;
	if (CRYPTO_memcmp(cc, card_crypt, 8) != 0) {
		/* the card does not know our keys (or is not the card) */
		rv = UKEY_E_SW_SM;
		goto out;
	}
	rv = cryptogram(c, 0, host, card_rnd, hc);
	if (rv)
		goto out;
	/* EXTERNAL AUTHENTICATE's MAC over 84 82 03 00 10 <host cryptogram> */
	m[0] = 0x84; m[1] = 0x82; m[2] = 0x03; m[3] = 0x00; m[4] = 0x10;
	memcpy(m + 5, hc, 8);
	if (fips) {
		uint8_t full[16];

		rv = ukey_aes128_cmac(c->sk_mac, m, 13, full);
		memcpy(mac, full, 8);
		ukey_memzero(full, sizeof(full));
	} else {
		pad80(m, 13, 8); /* 16 bytes for both block sizes */
		rv = cbc_last8(c, c->sk_mac, zero16, m, 16, mac);
	}
	if (rv)
		goto out;
	memcpy(ea_data, hc, 8);
	memcpy(ea_data + 8, mac, 8);
	rv = ukey_transmit(c->ch, &ea, r, sizeof(r), &rlen, &sw);
	if (rv)
		goto out;
	if (sw != UKEY_SW_OK || rlen != 0) {
		/* 6300 here is the card refusing our cryptogram, not a PIN */
		rv = (sw == UKEY_SW_OK || (sw & 0xFF00) == 0x6300) ? UKEY_E_SW_SM
								  : epass2003_sw_err(sw);
		goto out;
	}
	memset(c->icv, 0, sizeof(c->icv));
	memcpy(c->icv, mac, 8);
	c->sm_open = 1;
	c->pin_ok = 0; /* a new session: no PIN verified in it */
out:
	if (!c->sm_open)
		epass2003_sm_close(c);
	ukey_memzero(host, sizeof(host));
	ukey_memzero(r, sizeof(r));
	ukey_memzero(cc, sizeof(cc));
	ukey_memzero(hc, sizeof(hc));
	ukey_memzero(m, sizeof(m));
	ukey_memzero(mac, sizeof(mac));
	ukey_memzero(ea_data, sizeof(ea_data));
	return rv;
}

/* ------------------------------------------------------------- wrapping */

ukey_rv epass2003_sm_wrap(epass2003_ctx *c, const ukey_apdu *plain,
			  unsigned flags, uint8_t *buf, size_t cap,
			  ukey_apdu *out)
{
	uint8_t padded[EPASS2003_SM_MAX_DATA + 16], m[MACIN_MAX], mac[8];
	size_t b, pos = 0, plen = 0, hlen, mlen;
	uint8_t cla;
	int case1;
	ukey_rv rv = UKEY_OK;

	if (!c || !plain || !buf || !out || !c->sm_open)
		return UKEY_E_ARGS;
	if (plain->lc > EPASS2003_SM_MAX_DATA || (plain->lc && !plain->data) ||
	    (plain->cla & 0x0C) || cap < WRAP_MAX)
		return UKEY_E_ARGS;
	if (plain->le != 0 && plain->le != UKEY_LE_ANY && plain->le > 0xFFFF &&
	    plain->le != 256)
		return UKEY_E_ARGS;
	b = blk(c);
	cla = (uint8_t)(plain->cla | 0x0C);
	/* FIPS: EXTERNAL AUTHENTICATE 82 01 without data (the PIN counter
	 * query) is MACed over the bare header, no ICV (OpenSC's
	 * construct_mac_tlv_case1) */
	case1 = c->sm == EPASS2003_SM_FIPS && plain->ins == 0x82 &&
		plain->p1 == 0x01 && plain->lc == 0;
	if (case1 && plain->le)
		return UKEY_E_ARGS;

	/* 87 L 01 <data, ISO-padded, CBC-encrypted, IV 0> */
	if (plain->lc) {
		memcpy(padded, plain->data, plain->lc);
		plen = pad80(padded, plain->lc, b);
		buf[pos++] = 0x87;
		if (plen + 1 > 0x7F) {
			buf[pos++] = 0x82; /* the two-byte form, as OpenSC */
			buf[pos++] = (uint8_t)((plen + 1) >> 8);
			buf[pos++] = (uint8_t)(plen + 1);
		} else {
			buf[pos++] = (uint8_t)(plen + 1);
		}
		buf[pos++] = 0x01;
		rv = enc_cbc(c, 1, padded, plen, buf + pos);
		ukey_memzero(padded, plen);
		if (rv)
			goto out;
		pos += plen;
	}
	/* 97 01 Le, or 97 02 Le Le above 7F; Le 256 / "any" is 97 01 00 */
	if (plain->le) {
		buf[pos++] = 0x97;
		if (plain->le == UKEY_LE_ANY || plain->le == 256 || plain->le <= 0x7F) {
			buf[pos++] = 0x01;
			buf[pos++] = (plain->le == UKEY_LE_ANY || plain->le == 256)
					     ? 0x00 : (uint8_t)plain->le;
		} else {
			buf[pos++] = 0x02;
			buf[pos++] = (uint8_t)(plain->le >> 8);
			buf[pos++] = (uint8_t)plain->le;
		}
	}

	icv_increment(c);
	m[0] = cla;
	m[1] = plain->ins;
	m[2] = plain->p1;
	m[3] = plain->p2;
	if (case1) {
		mlen = 4;
	} else {
		m[4] = 0x80;
		memset(m + 5, 0, b - 5);
		hlen = b;
		memcpy(m + hlen, buf, pos);
		mlen = hlen + pos;
		if (c->sm == EPASS2003_SM_FIPS) {
			for (size_t i = 0; i < 16; i++)
				m[i] ^= c->icv[i];
		} else if (pos) {
			mlen = pad80(m, mlen, b);
		}
	}
	rv = chain_mac(c, m, mlen, mac);
	if (rv)
		goto out;
	buf[pos++] = 0x8E;
	buf[pos++] = 0x08;
	memcpy(buf + pos, mac, 8);
	pos += 8;

	memset(out, 0, sizeof(*out));
	out->cla = cla;
	out->ins = plain->ins;
	out->p1 = plain->p1;
	out->p2 = plain->p2;
	out->data = buf;
	out->lc = pos;
	/* The answer carries 99 and 8E at least: always ask for data. */
	out->le = ((flags & EPASS2003_TX_BIG) && c->ch && c->ch->opts.extended_ok)
			  ? 65536 : UKEY_LE_ANY;
	out->flags = (plain->flags & UKEY_APDU_SENSITIVE) | UKEY_APDU_NO_CHAIN;
out:
	ukey_memzero(m, sizeof(m));
	ukey_memzero(mac, sizeof(mac));
	if (rv)
		ukey_memzero(buf, pos);
	return rv;
}

/* ------------------------------------------------------------ unwrapping */

ukey_rv epass2003_sm_unwrap(epass2003_ctx *c, const uint8_t *rsp, size_t len,
			    uint16_t sw, uint8_t *out, size_t cap,
			    size_t *outlen, uint16_t *plain_sw, int *authentic)
{
	uint8_t m[MACIN_MAX], mac[8], plain[RAW_RSP_MAX];
	const uint8_t *ct = NULL;
	size_t b, pos = 0, ctlen = 0, macpos, mlen, plen = 0;
	uint16_t inner;
	ukey_rv rv = UKEY_OK;

	if (!c || (!rsp && len) || !outlen || !plain_sw || !authentic ||
	    (!out && cap) || !c->sm_open)
		return UKEY_E_ARGS;
	*outlen = 0;
	*plain_sw = sw;
	*authentic = 0;
	b = blk(c);
	if (len == 0) {
		/* A bare status word: acceptable only as an error. */
		if (sw == UKEY_SW_OK || (sw & 0xFF00) == 0x6100)
			return UKEY_E_SW_SM;
		return UKEY_OK;
	}
	if (len > RAW_RSP_MAX)
		return UKEY_E_MALFORMED;
	if (rsp[0] == 0x87) {
		size_t l, hl;

		/* The card may send 87 <L> 01 with a one-byte L >= 80 (not
		 * BER; OpenSC's decrypt_response accepts it), besides the
		 * proper 87 81 L 01 and 87 82 LL LL 01. */
		if (len < 3)
			return UKEY_E_MALFORMED;
		if (rsp[2] == 0x01 && rsp[1] != 0x82) {
			l = rsp[1];
			hl = 1;
		} else if (rsp[1] == 0x81 && len >= 4 && rsp[3] == 0x01) {
			l = rsp[2];
			hl = 2;
		} else if (rsp[1] == 0x82 && len >= 5 && rsp[4] == 0x01) {
			l = (size_t)rsp[2] << 8 | rsp[3];
			hl = 3;
		} else {
			return UKEY_E_MALFORMED;
		}
		if (l < 1 + b || (l - 1) % b || l > len - 1 - hl)
			return UKEY_E_MALFORMED;
		ct = rsp + 1 + hl + 1;
		ctlen = l - 1;
		pos = 1 + hl + l;
	}
	/* 99 02 SW1 SW2: the status word, under the MAC */
	if (len - pos < 4 || rsp[pos] != 0x99 || rsp[pos + 1] != 0x02)
		return UKEY_E_MALFORMED;
	inner = (uint16_t)(rsp[pos + 2] << 8 | rsp[pos + 3]);
	pos += 4;
	/* 8E 08 MAC, and nothing after it */
	if (len - pos != 10 || rsp[pos] != 0x8E || rsp[pos + 1] != 0x08)
		return UKEY_E_MALFORMED;
	macpos = pos;
	if (inner != sw)
		return UKEY_E_SW_SM;
	if (c->sm != EPASS2003_SM_FIPS) {
		/* MAC over everything before 8E, padded, IV = the command's
		 * ICV. FIPS models: no public description of the answer's
		 * MAC (OpenSC does not check it either); only the structure
		 * above is checked. */
		memcpy(m, rsp, macpos);
		mlen = pad80(m, macpos, b);
		rv = chain_mac(c, m, mlen, mac);
		if (rv)
			goto out;
		if (CRYPTO_memcmp(mac, rsp + macpos + 2, 8) != 0) {
			rv = UKEY_E_SW_SM;
			goto out;
		}
	}
	if (ct) {
		size_t i;

		rv = enc_cbc(c, 0, ct, ctlen, plain);
		if (rv)
			goto out;
		/* strict ISO padding: 80 then 00s, 1..b bytes in all */
		for (i = ctlen; i > 0 && plain[i - 1] == 0x00 && ctlen - i < b; i--)
			;
		if (i == 0 || plain[i - 1] != 0x80 || ctlen - (i - 1) > b) {
			rv = UKEY_E_MALFORMED;
			goto out;
		}
		plen = i - 1;
		if (plen > cap) {
			rv = UKEY_E_BUFFER_TOO_SMALL;
			goto out;
		}
		if (plen)
			memcpy(out, plain, plen);
	}
	*outlen = plen;
	*plain_sw = inner;
	*authentic = 1;
out:
	ukey_memzero(m, sizeof(m));
	ukey_memzero(plain, sizeof(plain));
	return rv;
}

/* ------------------------------------------------------------- transmit */

ukey_rv epass2003_transmit(epass2003_ctx *c, const ukey_apdu *a,
			   unsigned flags, uint8_t *rsp, size_t cap,
			   size_t *rlen, uint16_t *sw)
{
	uint8_t *wbuf = NULL, *raw = NULL;
	ukey_rv rv;

	if (!c || !a || !rlen || !sw || (!rsp && cap))
		return UKEY_E_ARGS;
	*rlen = 0;
	*sw = 0;
	if (!(flags & EPASS2003_TX_PLAIN) && !c->info_known) {
		rv = epass2003_get_info(c);
		if (rv)
			return rv;
	}
	if ((flags & EPASS2003_TX_PLAIN) || c->sm == EPASS2003_SM_PLAIN) {
		rv = ukey_transmit(c->ch, a, rsp, cap, rlen, sw);
		if (rv == UKEY_E_BUFFER_TOO_SMALL)
			rv = UKEY_E_MALFORMED;
		if (ukey_rv_link_error(rv))
			epass2003_forget(c);
		return rv;
	}
	wbuf = malloc(WRAP_MAX);
	raw = malloc(RAW_RSP_MAX);
	rv = UKEY_E_NOMEM;
	if (!wbuf || !raw)
		goto out;
	for (int attempt = 0; attempt < 2; attempt++) {
		ukey_apdu w;
		size_t rl = 0;
		uint16_t rsw = 0, psw = 0;
		int authentic = 0;

		if (!c->sm_open) {
			rv = epass2003_sm_open(c);
			if (rv) {
				if (ukey_rv_link_error(rv))
					epass2003_forget(c);
				goto out;
			}
		}
		rv = epass2003_sm_wrap(c, a, flags, wbuf, WRAP_MAX, &w);
		if (rv)
			goto out;
		rv = ukey_transmit(c->ch, &w, raw, RAW_RSP_MAX, &rl, &rsw);
		ukey_memzero(wbuf, WRAP_MAX);
		if (rv) {
			/* the card's side of the session is unknown now */
			epass2003_sm_close(c);
			if (ukey_rv_link_error(rv))
				epass2003_forget(c);
			if (rv == UKEY_E_BUFFER_TOO_SMALL)
				rv = UKEY_E_MALFORMED;
			goto out;
		}
		rv = epass2003_sm_unwrap(c, raw, rl, rsw, rsp, cap, rlen, &psw,
					 &authentic);
		ukey_memzero(raw, rl);
		if (rv) {
			/* a wrong MAC or a broken answer ends the session (the
			 * card executed the command: never sent again); only
			 * our buffer being too small leaves it in step */
			if (rv != UKEY_E_BUFFER_TOO_SMALL)
				epass2003_sm_close(c);
			goto out;
		}
		if (!authentic) {
			/* The card answered outside SM: its session is gone.
			 * 6985/6987/6988 mean it refused the wrapping (e.g. its
			 * session was reset): authenticate again and send the
			 * command once more, as OpenSC does. */
			epass2003_sm_close(c);
			if (attempt == 0 && (psw == 0x6985 || psw == 0x6987 ||
					     psw == 0x6988)) {
				/* with a PIN verified in the lost session
				 * (another application opened its own), the
				 * login went with it: say so rather than fail
				 * later with 6982 while p11/ thinks it is
				 * logged in */
				if (c->pin_ok) {
					c->pin_ok = 0;
					rv = UKEY_E_CARD_RESET;
					goto out;
				}
				continue;
			}
		}
		*sw = psw;
		rv = UKEY_OK;
		goto out;
	}
out:
	if (wbuf) {
		ukey_memzero(wbuf, WRAP_MAX);
		free(wbuf);
	}
	if (raw) {
		ukey_memzero(raw, RAW_RSP_MAX);
		free(raw);
	}
	if (rv && rsp && *rlen)
		ukey_memzero(rsp, *rlen);
	if (rv)
		*rlen = 0;
	return rv;
}

ukey_rv epass2003_transmit_ok(epass2003_ctx *c, const ukey_apdu *a,
			      unsigned flags, uint8_t *rsp, size_t cap,
			      size_t *rlen)
{
	size_t dummy = 0;
	uint16_t sw = 0;
	ukey_rv rv = epass2003_transmit(c, a, flags, rsp, cap,
					rlen ? rlen : &dummy, &sw);

	if (rv)
		return rv;
	return epass2003_sw_err(sw);
}
