/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/drivers/test_epass2003_card.c — see test_epass2003_card.h. */
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "test_epass2003_card.h"

static const uint8_t opensc_key[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
					12, 13, 14, 15, 16 };
static const uint8_t zero[16];

static void fail(tc_card *t, const char *what)
{
	if (!t->failed)
		snprintf(t->err, sizeof(t->err), "test card: %s", what);
	t->failed = 1;
}

/* ---------------------------------------------------------- crypto */

static void evp(const EVP_CIPHER *c, const uint8_t *key, const uint8_t *iv,
		int enc, const uint8_t *in, size_t len, uint8_t *out)
{
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int l1 = 0, l2 = 0;

	if (!x || EVP_CipherInit_ex(x, c, NULL, key, iv, enc) != 1 ||
	    EVP_CIPHER_CTX_set_padding(x, 0) != 1 ||
	    EVP_CipherUpdate(x, out, &l1, in, (int)len) != 1 ||
	    EVP_CipherFinal_ex(x, out + l1, &l2) != 1)
		memset(out, 0xEE, len);
	EVP_CIPHER_CTX_free(x);
}

void tc_des_ecb(const uint8_t k[8], int enc, const uint8_t in[8], uint8_t out[8])
{
	/* single DES = 3DES-EDE with K1 = K2 = K3 (default provider) */
	uint8_t k3[24];

	memcpy(k3, k, 8);
	memcpy(k3 + 8, k, 8);
	memcpy(k3 + 16, k, 8);
	evp(EVP_des_ede3_ecb(), k3, NULL, enc, in, 8, out);
}

void tc_cbc(int kind, const uint8_t *key, const uint8_t *iv, int enc,
	    const uint8_t *in, size_t len, uint8_t *out)
{
	evp(kind == TC_DES ? EVP_des_ede_cbc() : EVP_aes_128_cbc(), key,
	    iv ? iv : zero, enc, in, len, out);
}

void tc_ecb(int kind, const uint8_t *key, int enc, const uint8_t *in,
	    size_t len, uint8_t *out)
{
	evp(kind == TC_DES ? EVP_des_ede_ecb() : EVP_aes_128_ecb(), key, NULL,
	    enc, in, len, out);
}

void tc_cmac(const uint8_t k[16], const uint8_t *d, size_t len, uint8_t out[16])
{
	EVP_MAC *m = EVP_MAC_fetch(NULL, "CMAC", NULL);
	EVP_MAC_CTX *x = m ? EVP_MAC_CTX_new(m) : NULL;
	OSSL_PARAM p[2];
	size_t ol = 0;

	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER,
						(char *)"AES-128-CBC", 0);
	p[1] = OSSL_PARAM_construct_end();
	if (!x || EVP_MAC_init(x, k, 16, p) != 1 ||
	    (len && EVP_MAC_update(x, d, len) != 1) ||
	    EVP_MAC_final(x, out, &ol, 16) != 1)
		memset(out, 0xEE, 16);
	EVP_MAC_CTX_free(x);
	EVP_MAC_free(m);
}

void tc_retail_mac(const uint8_t k[16], const uint8_t iv[8], const uint8_t *d,
		   size_t len, uint8_t out[8])
{
	uint8_t x[8], y[8];

	memcpy(x, iv, 8);
	for (size_t i = 0; i < len; i += 8) {
		for (int j = 0; j < 8; j++)
			x[j] ^= d[i + j];
		tc_des_ecb(k, 1, x, y);
		memcpy(x, y, 8);
	}
	tc_des_ecb(k + 8, 0, x, y);
	tc_des_ecb(k, 1, y, out);
}

size_t tc_pad(uint8_t *buf, size_t len, size_t blk)
{
	buf[len++] = 0x80;
	while (len % blk)
		buf[len++] = 0;
	return len;
}

static size_t bs(const tc_card *t)
{
	return t->kind == TC_DES ? 8 : 16;
}

void tc_mac(const tc_card *t, const uint8_t *m, size_t len, uint8_t out[8])
{
	uint8_t tmp[1400], full[16];

	if (t->kind == TC_DES) {
		tc_retail_mac(t->sk_mac, t->icv, m, len, out);
	} else if (t->kind == TC_AES) {
		tc_cbc(TC_AES, t->sk_mac, t->icv, 1, m, len, tmp);
		memcpy(out, tmp + len - 16, 8);
	} else {
		tc_cmac(t->sk_mac, m, len, full);
		memcpy(out, full, 8);
	}
}

/* -------------------------------------------------------- card side */

void tc_init(tc_card *t, int kind, const uint8_t *key_enc,
	     const uint8_t *key_mac, tc_handler h)
{
	static const uint8_t info_des[] = { 0x80, 0x01, 0x00, 0x81, 0x02, 0x1D,
					    0xD5, 0x82, 0x01, 0x03 };
	static const uint8_t info_aes[] = { 0x80, 0x01, 0x01, 0x81, 0x02, 0x1D,
					    0xD5, 0x82, 0x01, 0x03 };
	/* a FIPS model's answer as published in OpenSC issue 2843 */
	static const uint8_t info_fips[] = {
		0x80, 0x01, 0x01, 0x81, 0x02, 0x1D, 0xD4, 0x82, 0x01, 0x00,
		0x83, 0x02, 0x00, 0x00, 0x84, 0x01, 0x01, 0x85, 0x0A, 0x07,
		0x55, 0x2E, 0x6F, 0x44, 0xEB, 0x00, 0x1A, 0x00, 0x03, 0x86,
		0x01, 0x00, 0x87, 0x01, 0x01 };
	static const uint8_t info_plain[] = { 0x80, 0x01, 0x00, 0x84, 0x01, 0x00 };
	static const uint8_t rnd[8] = { 0xC1, 0xC2, 0xC3, 0xC4, 0xC5, 0xC6, 0xC7, 0xC8 };

	memset(t, 0, sizeof(*t));
	t->kind = kind;
	memcpy(t->key_enc, key_enc ? key_enc : opensc_key, 16);
	memcpy(t->key_mac, key_mac ? key_mac : opensc_key, 16);
	memcpy(t->card_rand, rnd, 8);
	switch (kind) {
	case TC_DES: memcpy(t->info, info_des, sizeof(info_des)); t->info_len = sizeof(info_des); break;
	case TC_AES: memcpy(t->info, info_aes, sizeof(info_aes)); t->info_len = sizeof(info_aes); break;
	case TC_FIPS: memcpy(t->info, info_fips, sizeof(info_fips)); t->info_len = sizeof(info_fips); break;
	default: memcpy(t->info, info_plain, sizeof(info_plain)); t->info_len = sizeof(info_plain); break;
	}
	t->handler = h;
}

static void fips_blk(uint8_t out[32], uint8_t k, uint16_t bits,
		     const uint8_t host[8], const uint8_t card[8])
{
	memset(out, 0, 16);
	out[11] = k;
	out[13] = (uint8_t)(bits >> 8);
	out[14] = (uint8_t)bits;
	out[15] = 1;
	memcpy(out + 16, host, 8);
	memcpy(out + 24, card, 8);
}

/* card = 1: card cryptogram (host||card), 0: host cryptogram. */
static void crypt8(const tc_card *t, int card, uint8_t out[8])
{
	uint8_t m[32], c[32];

	if (t->kind == TC_FIPS) {
		fips_blk(m, card ? 0x00 : 0x01, 64, t->host, t->card_rand);
		tc_cmac(t->sk_enc, m, 32, c);
		memcpy(out, c, 8);
		return;
	}
	memcpy(m, card ? t->host : t->card_rand, 8);
	memcpy(m + 8, card ? t->card_rand : t->host, 8);
	size_t n = tc_pad(m, 16, bs(t));
	tc_cbc(t->kind, t->sk_enc, NULL, 1, m, n, c);
	memcpy(out, c + n - bs(t), 8);
}

static size_t init_update(tc_card *t, const uint8_t *host, uint8_t *rsp)
{
	uint8_t d[32];
	size_t n = 0;

	memcpy(t->host, host, 8);
	if (t->kind == TC_FIPS) {
		fips_blk(d, 0x04, 128, t->host, t->card_rand);
		tc_cmac(t->key_enc, d, 32, t->sk_enc);
		fips_blk(d, 0x06, 128, t->host, t->card_rand);
		tc_cmac(t->key_mac, d, 32, t->sk_mac);
	} else {
		memcpy(d, t->card_rand + 4, 4);
		memcpy(d + 4, host, 4);
		memcpy(d + 8, t->card_rand, 4);
		memcpy(d + 12, host + 4, 4);
		tc_ecb(t->kind, t->key_enc, 1, d, 16, t->sk_enc);
		tc_ecb(t->kind, t->key_mac, 1, d, 16, t->sk_mac);
	}
	for (int i = 0; i < 10; i++)
		rsp[n++] = (uint8_t)(0xD0 + i); /* key diversification data */
	rsp[n++] = 0x01;                       /* key version */
	rsp[n++] = t->kind == TC_FIPS ? 0x03 : 0x01;
	if (t->kind == TC_FIPS)
		rsp[n++] = 0x00;
	memcpy(rsp + n, t->card_rand, 8);
	n += 8;
	crypt8(t, 1, rsp + n);
	if (t->fault & TC_F_BAD_CARD_CRYPT) {
		rsp[n] ^= 0x01;
		t->fault &= ~(unsigned)TC_F_BAD_CARD_CRYPT;
	}
	n += 8;
	return n;
}

static uint16_t ext_auth(tc_card *t, const uint8_t *d, size_t len)
{
	uint8_t hc[8], m[16], mac[16], full[16];

	if (len != 16)
		return 0x6700;
	crypt8(t, 0, hc);
	if (memcmp(hc, d, 8)) {
		fail(t, "host cryptogram wrong");
		return 0x6300;
	}
	m[0] = 0x84; m[1] = 0x82; m[2] = 0x03; m[3] = 0x00; m[4] = 0x10;
	memcpy(m + 5, hc, 8);
	if (t->kind == TC_FIPS) {
		tc_cmac(t->sk_mac, m, 13, full);
		memcpy(mac, full, 8);
	} else {
		m[13] = 0x80; m[14] = 0; m[15] = 0;
		tc_cbc(t->kind, t->sk_mac, NULL, 1, m, 16, full);
		memcpy(mac, t->kind == TC_DES ? full + 8 : full, 8);
	}
	if (memcmp(mac, d + 8, 8)) {
		fail(t, "EXTERNAL AUTHENTICATE MAC wrong");
		return 0x6988;
	}
	memset(t->icv, 0, 16);
	memcpy(t->icv, mac, 8);
	t->open = 1;
	t->auths++;
	return 0x9000;
}

static void icv_inc(tc_card *t)
{
	for (size_t i = bs(t); i-- > 0;)
		if (++t->icv[i])
			break;
}

/* Unwrap an SM command: 0 ok, else the SW to answer (bare). */
static uint16_t unwrap_cmd(tc_card *t, const ukey_apdu *a, tc_cmd *out)
{
	const uint8_t *d = a->data;
	size_t n = a->lc, pos = 0, b = bs(t), tl_end;
	const uint8_t *ct = NULL;
	size_t ctlen = 0;
	uint8_t m[1400], mac[8], plain[1100];
	int has97 = 0;

	memset(out, 0, sizeof(*out));
	out->cla = a->cla & (uint8_t)~0x0C;
	out->ins = a->ins;
	out->p1 = a->p1;
	out->p2 = a->p2;
	out->wrapped = 1;
	if (!t->open)
		return 0x6985;
	if (n >= 3 && d[0] == 0x87) {
		size_t l, hl;

		if (d[1] < 0x80) {
			l = d[1]; hl = 2;
		} else if (d[1] == 0x82 && n >= 4) {
			l = (size_t)d[2] << 8 | d[3]; hl = 4;
		} else {
			fail(t, "87 length form");
			return 0x6988;
		}
		if (hl + l > n || l < 1 + b || (l - 1) % b || d[hl] != 0x01) {
			fail(t, "87 object");
			return 0x6988;
		}
		ct = d + hl + 1;
		ctlen = l - 1;
		pos = hl + l;
	}
	if (pos + 2 <= n && d[pos] == 0x97) {
		has97 = 1;
		if (d[pos + 1] == 1 && pos + 3 <= n) {
			out->le = d[pos + 2] ? d[pos + 2] : 256;
			pos += 3;
		} else if (d[pos + 1] == 2 && pos + 4 <= n) {
			out->le = (size_t)d[pos + 2] << 8 | d[pos + 3];
			pos += 4;
		} else {
			fail(t, "97 object");
			return 0x6988;
		}
	}
	tl_end = pos;
	if (pos + 10 != n || d[pos] != 0x8E || d[pos + 1] != 0x08) {
		fail(t, "8E object");
		return 0x6987;
	}
	icv_inc(t);
	m[0] = a->cla; m[1] = a->ins; m[2] = a->p1; m[3] = a->p2;
	size_t ml;
	if (t->kind == TC_FIPS && a->ins == 0x82 && a->p1 == 0x01 && !ct && !has97) {
		ml = 4; /* OpenSC's construct_mac_tlv_case1 */
		uint8_t full[16];
		tc_cmac(t->sk_mac, m, 4, full);
		memcpy(mac, full, 8);
	} else {
		memset(m + 4, 0, b - 4);
		m[4] = 0x80;
		memcpy(m + b, d, tl_end);
		ml = b + tl_end;
		if (t->kind == TC_FIPS) {
			for (int i = 0; i < 16; i++)
				m[i] ^= t->icv[i];
		} else if (tl_end) {
			ml = tc_pad(m, ml, b);
		}
		tc_mac(t, m, ml, mac);
	}
	if (memcmp(mac, d + pos + 2, 8)) {
		fail(t, "command MAC wrong");
		return 0x6988;
	}
	if (ct) {
		size_t i;

		tc_cbc(t->kind, t->sk_enc, NULL, 0, ct, ctlen, plain);
		for (i = ctlen; i > 0 && plain[i - 1] == 0; i--)
			;
		if (i == 0 || plain[i - 1] != 0x80 || ctlen - (i - 1) > b) {
			fail(t, "command padding");
			return 0x6988;
		}
		out->lc = i - 1;
		memcpy(out->data, plain, out->lc);
	}
	return 0;
}

size_t tc_wrap_answer(tc_card *t, const uint8_t *data, size_t dlen,
		      uint16_t sw, uint8_t *out, uint16_t *raw_sw)
{
	uint8_t pad[1100 + 16], m[1400], mac[8];
	size_t n = 0, b = bs(t);
	unsigned f = t->fault;

	*raw_sw = sw;
	if (f & TC_F_BARE_SW)
		return 0;
	if (dlen) {
		size_t pl;

		memcpy(pad, data, dlen);
		if (f & TC_F_BAD_PAD) {
			pl = dlen;
			while (pl % b)
				pad[pl++] = 0x55;
			if (pl == dlen) {
				memset(pad + pl, 0x55, b);
				pl += b;
			}
		} else {
			pl = tc_pad(pad, dlen, b);
		}
		if (f & TC_F_CT_ODD)
			pl -= 1;
		out[n++] = 0x87;
		if (f & TC_F_ODD_BER) {
			out[n++] = (uint8_t)(pl + 1);
		} else if (pl + 1 < 0x80) {
			out[n++] = (uint8_t)(pl + 1);
		} else if (pl + 1 <= 0xFF) {
			out[n++] = 0x81;
			out[n++] = (uint8_t)(pl + 1);
		} else {
			out[n++] = 0x82;
			out[n++] = (uint8_t)((pl + 1) >> 8);
			out[n++] = (uint8_t)(pl + 1);
		}
		if (f & TC_F_LONG87)
			out[n - 1] = (uint8_t)(out[n - 1] + 0x10);
		out[n++] = 0x01;
		if (f & TC_F_CT_ODD) {
			uint8_t tmp[1200];

			tc_cbc(t->kind, t->sk_enc, NULL, 1, pad, pl + 1, tmp);
			memcpy(out + n, tmp, pl);
		} else {
			tc_cbc(t->kind, t->sk_enc, NULL, 1, pad, pl, out + n);
		}
		n += pl;
	}
	if (!(f & TC_F_NO_99)) {
		uint16_t in = (f & TC_F_SW_MISMATCH) ? (uint16_t)(sw ^ 0x0001) : sw;

		out[n++] = 0x99;
		out[n++] = 0x02;
		out[n++] = (uint8_t)(in >> 8);
		out[n++] = (uint8_t)in;
	}
	memcpy(m, out, n);
	size_t ml = tc_pad(m, n, b);
	if (t->kind == TC_FIPS) {
		uint8_t full[16];

		tc_cmac(t->sk_mac, out, n, full); /* not checked by the host */
		memcpy(mac, full, 8);
	} else {
		tc_mac(t, m, ml, mac);
	}
	if (f & TC_F_BAD_MAC)
		mac[3] ^= 0x10;
	out[n++] = 0x8E;
	out[n++] = 0x08;
	memcpy(out + n, mac, 8);
	n += 8;
	if (f & TC_F_TRAILING)
		out[n++] = 0x00;
	return n;
}

ukey_rv tc_xfer(void *ctx, const uint8_t *cmd, size_t cmdlen, uint8_t *rsp,
		size_t rspcap, size_t *rsplen)
{
	tc_card *t = ctx;
	ukey_apdu a;
	uint8_t ans[1100];
	size_t alen = 0, n = 0;
	uint16_t sw = 0x9000;

	t->apdus++;
	if (rspcap < 1400)
		return UKEY_E_BUFFER_TOO_SMALL;
	if (ukey_apdu_decode(cmd, cmdlen, &a) != UKEY_OK) {
		fail(t, "undecodable APDU");
		return UKEY_E_TRANSPORT;
	}
	if (a.cla == 0x80 && a.ins == 0x50) {
		t->open = 0;
		if (a.lc != 8 || a.le != (size_t)(t->kind == TC_FIPS ? 29 : 28)) {
			fail(t, "INITIALIZE UPDATE format");
			sw = 0x6700;
		} else {
			n = init_update(t, a.data, rsp);
		}
	} else if (a.cla == 0x84 && a.ins == 0x82 && a.p1 == 0x03) {
		sw = ext_auth(t, a.data, a.lc);
	} else if (a.cla == 0x00 && a.ins == 0xCA && a.p1 == 0x01 && a.p2 == 0x86) {
		memcpy(rsp, t->info, t->info_len);
		n = t->info_len;
	} else if ((a.cla & 0x0C) == 0x0C) {
		tc_cmd c;
		uint16_t bad = unwrap_cmd(t, &a, &c);

		t->sm_cmds++;
		if (a.le == 0)
			fail(t, "wrapped command without Le");
		if (bad) {
			rsp[0] = (uint8_t)(bad >> 8);
			rsp[1] = (uint8_t)bad;
			*rsplen = 2;
			t->open = 0;
			return UKEY_OK;
		}
		t->last = c;
		if (t->handler)
			t->handler(t, &c, ans, sizeof(ans), &alen, &sw);
		else
			sw = 0x6D00;
		if (t->sm_cmds <= t->fault_after) {
			unsigned f = t->fault;

			t->fault = 0;
			n = tc_wrap_answer(t, ans, alen, sw, rsp, &sw);
			t->fault = f;
		} else {
			n = tc_wrap_answer(t, ans, alen, sw, rsp, &sw);
			t->fault = 0;
		}
		if (a.le != 0 && a.le != 65536 && a.le != 256 && n > a.le)
			fail(t, "answer longer than the wrapped Le");
	} else {
		tc_cmd c;

		memset(&c, 0, sizeof(c));
		c.cla = a.cla; c.ins = a.ins; c.p1 = a.p1; c.p2 = a.p2;
		c.lc = a.lc;
		if (a.lc)
			memcpy(c.data, a.data, a.lc);
		c.le = a.le == UKEY_LE_ANY ? 256 : a.le;
		t->last = c;
		if (t->kind != TC_PLAIN) {
			sw = 0x6982; /* this card wants SM */
		} else if (t->handler) {
			t->handler(t, &c, rsp, rspcap - 2, &n, &sw);
		} else {
			sw = 0x6D00;
		}
	}
	rsp[n++] = (uint8_t)(sw >> 8);
	rsp[n++] = (uint8_t)sw;
	*rsplen = n;
	return UKEY_OK;
}
