/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Host side of the ePass2003 secure messaging for the unit tests
 * (e3_thost.h). Everything here is computed with OpenSSL EVP. */
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "e3_thost.h"

void e3h_global_init(void)
{
	/* kept for the life of the process (reachable, not a leak) */
	static OSSL_PROVIDER *legacy, *dflt;
	if (!legacy)
		legacy = OSSL_PROVIDER_load(NULL, "legacy");
	if (!dflt)
		dflt = OSSL_PROVIDER_load(NULL, "default");
}

static int crypt(const char *alg, const uint8_t *key, const uint8_t *iv,
		 int enc, const uint8_t *in, size_t len, uint8_t *out)
{
	EVP_CIPHER *ci = EVP_CIPHER_fetch(NULL, alg, NULL);
	EVP_CIPHER_CTX *cx = EVP_CIPHER_CTX_new();
	int ok = 0, l1 = 0, l2 = 0;
	if (ci && cx && EVP_CipherInit_ex2(cx, ci, key, iv, enc, NULL) &&
	    EVP_CIPHER_CTX_set_padding(cx, 0) &&
	    EVP_CipherUpdate(cx, out, &l1, in, (int)len) &&
	    EVP_CipherFinal_ex(cx, out + l1, &l2))
		ok = 1;
	EVP_CIPHER_CTX_free(cx);
	EVP_CIPHER_free(ci);
	return ok ? 0 : -1;
}

static int cmac(const uint8_t key[16], const uint8_t *msg, size_t len,
		uint8_t out[16])
{
	EVP_MAC *m = EVP_MAC_fetch(NULL, "CMAC", NULL);
	EVP_MAC_CTX *cx = m ? EVP_MAC_CTX_new(m) : NULL;
	OSSL_PARAM pr[2] = { OSSL_PARAM_construct_utf8_string(
				     OSSL_MAC_PARAM_CIPHER, (char *)"AES-128-CBC", 0),
			     OSSL_PARAM_construct_end() };
	size_t ol = 0;
	int ok = cx && EVP_MAC_init(cx, key, 16, pr) && EVP_MAC_update(cx, msg, len) &&
		 EVP_MAC_final(cx, out, &ol, 16);
	EVP_MAC_CTX_free(cx);
	EVP_MAC_free(m);
	return ok ? 0 : -1;
}

/* FIPS MAC: CMAC whose chain starts at icv. 16 bytes or more: EVP CMAC
 * over the message with icv XORed into its first block (what OpenSC does);
 * shorter: the one-block form by hand (OpenSC's aes128_encrypt_cmac_ft). */
static int cmac_iv(const uint8_t key[16], const uint8_t icv[16],
		   const uint8_t *msg, size_t len, uint8_t out[16])
{
	uint8_t buf[4096];
	if (len >= 16) {
		if (len > sizeof buf)
			return -1;
		memcpy(buf, msg, len);
		for (int i = 0; i < 16; i++)
			buf[i] ^= icv[i];
		return cmac(key, buf, len, out);
	}
	uint8_t zero[16] = { 0 }, l[16], k1[16], k2[16], blk[16] = { 0 };
	if (crypt("AES-128-ECB", key, NULL, 1, zero, 16, l))
		return -1;
	for (int r = 0; r < 2; r++) {
		const uint8_t *in = r ? k1 : l;
		uint8_t *o = r ? k2 : k1;
		for (int i = 0; i < 15; i++)
			o[i] = (uint8_t)(in[i] << 1 | in[i + 1] >> 7);
		o[15] = (uint8_t)(in[15] << 1 ^ (in[0] & 0x80 ? 0x87 : 0));
	}
	memcpy(blk, msg, len);
	blk[len] = 0x80;
	for (int i = 0; i < 16; i++)
		blk[i] ^= k2[i];
	return crypt("AES-128-CBC", key, icv, 1, blk, 16, out);
}

static size_t bs(const e3h *h)
{
	return h->model == 0 ? 8 : 16;
}

static const char *cbc(const e3h *h)
{
	return h->model == 0 ? "DES-EDE-CBC" : "AES-128-CBC";
}

/* the block MACs: DES retail MAC (DES-CBC with K1 and IV icv, last block
 * decrypted with K2, encrypted with K1) or AES CBC-MAC; msg padded. */
static int block_mac(const e3h *h, const uint8_t *msg, size_t len, uint8_t out[8])
{
	uint8_t c[4096], t[16];
	if (len > sizeof c)
		return -1;
	if (h->model == 0) {
		if (crypt("DES-CBC", h->sk_mac, h->icv, 1, msg, len, c) ||
		    crypt("DES-ECB", h->sk_mac + 8, NULL, 0, c + len - 8, 8, t) ||
		    crypt("DES-ECB", h->sk_mac, NULL, 1, t, 8, out))
			return -1;
		return 0;
	}
	if (crypt("AES-128-CBC", h->sk_mac, h->icv, 1, msg, len, c))
		return -1;
	memcpy(out, c + len - 16, 8);
	return 0;
}

void e3h_attach(e3h *h, void *card, int model)
{
	memset(h, 0, sizeof *h);
	h->card = card;
	h->model = model;
	h->check_mac = 1;
	for (int i = 0; i < 16; i++)
		h->kenc[i] = h->kmac[i] = (uint8_t)(i + 1);
}

unsigned e3h_raw(e3h *h, const uint8_t *apdu, size_t len)
{
	h->rawlen = vt_os_epass2003.apdu(h->card, apdu, len, h->raw, &h->dirty);
	if (h->rawlen < 2)
		return 0;
	return (unsigned)h->raw[h->rawlen - 2] << 8 | h->raw[h->rawlen - 1];
}

static size_t encode(uint8_t *o, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2,
		     const uint8_t *data, size_t lc, long le)
{
	size_t n = 0;
	int ext = lc > 255 || le > 256;
	o[n++] = cla; o[n++] = ins; o[n++] = p1; o[n++] = p2;
	if (lc) {
		if (ext) {
			o[n++] = 0; o[n++] = (uint8_t)(lc >> 8); o[n++] = (uint8_t)lc;
		} else {
			o[n++] = (uint8_t)lc;
		}
		memcpy(o + n, data, lc);
		n += lc;
	}
	if (le >= 0) {
		if (ext) {
			if (!lc)
				o[n++] = 0;
			o[n++] = (uint8_t)(le >> 8); o[n++] = (uint8_t)le;
		} else {
			o[n++] = (uint8_t)le;
		}
	}
	return n;
}

unsigned e3h_plain(e3h *h, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2,
		   const uint8_t *data, size_t lc, long le)
{
	static uint8_t apdu[70000];
	unsigned sw = e3h_raw(h, apdu, encode(apdu, cla, ins, p1, p2, data, lc, le));
	h->rlen = h->rawlen >= 2 ? h->rawlen - 2 : 0;
	memcpy(h->rsp, h->raw, h->rlen);
	return sw;
}

unsigned e3h_open(e3h *h, int corrupt)
{
	uint8_t hr[8], dd[32] = { 0 }, m[32] = { 0 }, c[32], cr[8], cc[8], data[16];
	RAND_bytes(hr, 8);
	h->sm = 0;
	size_t want = h->model == 2 ? 29 : 28;
	unsigned sw = e3h_plain(h, 0x80, 0x50, 0, 0, hr, 8, (long)want);
	if (sw != 0x9000 || h->rlen != want)
		return sw ? sw : 0x6F00;
	const uint8_t *crnd = h->rsp + (h->model == 2 ? 13 : 12), *ccry = crnd + 8;
	memcpy(cr, crnd, 8);
	memcpy(cc, ccry, 8);
	if (h->model == 2) {
		dd[11] = 0x04; dd[14] = 0x80; dd[15] = 0x01;
		memcpy(dd + 16, hr, 8);
		memcpy(dd + 24, cr, 8);
		cmac(h->kenc, dd, 32, h->sk_enc);
		dd[11] = 0x06;
		cmac(h->kmac, dd, 32, h->sk_mac);
		dd[11] = 0x00; dd[14] = 0x40;
		cmac(h->sk_enc, dd, 32, c);
		if (memcmp(c, cc, 8))
			return 0x6F01;            /* card cryptogram wrong */
		dd[11] = 0x01;
		cmac(h->sk_enc, dd, 32, c);
	} else {
		const char *ecb = h->model == 0 ? "DES-EDE-ECB" : "AES-128-ECB";
		memcpy(dd, cr + 4, 4); memcpy(dd + 4, hr, 4);
		memcpy(dd + 8, cr, 4); memcpy(dd + 12, hr + 4, 4);
		crypt(ecb, h->kenc, NULL, 1, dd, 16, h->sk_enc);
		crypt(ecb, h->kmac, NULL, 1, dd, 16, h->sk_mac);
		memcpy(m, hr, 8); memcpy(m + 8, cr, 8); m[16] = 0x80;
		crypt(cbc(h), h->sk_enc, NULL, 1, m, 16 + bs(h), c);
		if (memcmp(c + 16, cc, 8))
			return 0x6F01;
		memset(m, 0, sizeof m);
		memcpy(m, cr, 8); memcpy(m + 8, hr, 8); m[16] = 0x80;
		crypt(cbc(h), h->sk_enc, NULL, 1, m, 16 + bs(h), c);
		memmove(c, c + 16, 8);
	}
	memcpy(data, c, 8);
	if (corrupt == 1)
		data[0] ^= 1;
	uint8_t mm[16] = { 0x84, 0x82, 0x03, 0x00, 0x10 }, mac[16];
	memcpy(mm + 5, data, 8);
	if (h->model == 2) {
		cmac(h->sk_mac, mm, 13, mac);
	} else {
		mm[13] = 0x80;
		crypt(cbc(h), h->sk_mac, NULL, 1, mm, 16, c);
		memcpy(mac, h->model == 0 ? c + 8 : c, 8);
	}
	memcpy(data + 8, mac, 8);
	if (corrupt == 2)
		data[15] ^= 1;
	sw = e3h_plain(h, 0x84, 0x82, 0x03, 0x00, data, 16, -1);
	if (sw == 0x9000) {
		memset(h->icv, 0, 16);
		memcpy(h->icv, mac, 8);
		h->sm = 1;
	}
	return sw;
}

static void icv_inc(e3h *h)
{
	for (int i = (int)bs(h) - 1; i >= 0; i--)
		if (++h->icv[i])
			break;
}

static size_t tl(uint8_t *o, uint8_t tag, size_t len)
{
	o[0] = tag;
	if (len < 0x80) { o[1] = (uint8_t)len; return 2; }
	if (len < 0x100) { o[1] = 0x81; o[2] = (uint8_t)len; return 3; }
	o[1] = 0x82; o[2] = (uint8_t)(len >> 8); o[3] = (uint8_t)len;
	return 4;
}

size_t e3h_wrap(e3h *h, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2,
		const uint8_t *data, size_t lc, long le, uint8_t *out)
{
	static uint8_t body[70000], macin[70000], pad[70000];
	size_t b = 0, B = bs(h);
	cla |= 0x0C;
	if (lc) {
		memcpy(pad, data, lc);
		size_t pl = lc;
		pad[pl++] = 0x80;
		while (pl % B)
			pad[pl++] = 0;
		b = tl(body, 0x87, pl + 1);
		body[b++] = 0x01;
		crypt(cbc(h), h->sk_enc, NULL, 1, pad, pl, body + b);
		b += pl;
	}
	if (le >= 0) {                        /* OpenSC: two bytes above 7F */
		body[b++] = 0x97;
		if (le > 0x7F) {
			body[b++] = 2; body[b++] = (uint8_t)(le >> 8); body[b++] = (uint8_t)le;
		} else {
			body[b++] = 1; body[b++] = (uint8_t)le;
		}
	}
	icv_inc(h);
	uint8_t mac[16];
	memset(macin, 0, B);
	macin[0] = cla; macin[1] = ins; macin[2] = p1; macin[3] = p2;
	size_t ml;
	if (h->model == 2 && !b && ins == 0x82 && p1 == 0x01) {
		ml = 4;                           /* OpenSC's case-1 rule */
	} else {
		macin[4] = 0x80;
		memcpy(macin + B, body, b);
		ml = B + b;
	}
	if (h->model == 2) {
		cmac_iv(h->sk_mac, h->icv, macin, ml, mac);
	} else {
		if (ml > B) {
			macin[ml++] = 0x80;
			while (ml % B)
				macin[ml++] = 0;
		}
		block_mac(h, macin, ml, mac);
	}
	body[b++] = 0x8E; body[b++] = 8;
	memcpy(body + b, mac, 8);
	b += 8;
	return encode(out, cla, ins, p1, p2, body, b, 0);
}

unsigned e3h_sm(e3h *h, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2,
		const uint8_t *data, size_t lc, long le)
{
	static uint8_t apdu[70000];
	size_t n = e3h_wrap(h, cla, ins, p1, p2, data, lc, le, apdu);
	unsigned sw = e3h_raw(h, apdu, n);
	h->rlen = 0;
	if (h->rawlen < 2)
		return 0;
	const uint8_t *r = h->raw;
	size_t rl = h->rawlen - 2, o = 0;
	if (rl == 0)
		return sw;                        /* a plain error (6988 ...) */
	const uint8_t *c87 = NULL, *s99 = NULL, *m8e = NULL;
	size_t l87 = 0, end = 0;
	while (o < rl) {
		uint8_t tag = r[o];
		size_t l = r[o + 1], hl = 2;
		if (l == 0x81) { l = r[o + 2]; hl = 3; }
		else if (l == 0x82) { l = (size_t)r[o + 2] << 8 | r[o + 3]; hl = 4; }
		if (tag == 0x87) { c87 = r + o + hl; l87 = l; }
		else if (tag == 0x99 && l == 2) s99 = r + o + hl;
		else if (tag == 0x8E && l == 8) { m8e = r + o + hl; end = o; }
		else return 0;
		o += hl + l;
	}
	if (!s99 || !m8e || o != rl || (unsigned)(s99[0] << 8 | s99[1]) != sw)
		return 0;
	if (h->check_mac) {
		static uint8_t mi[70000];
		uint8_t mac[16];
		size_t ml = end;
		memcpy(mi, r, end);
		if (h->model == 2) {
			cmac_iv(h->sk_mac, h->icv, mi, ml, mac);
		} else {
			mi[ml++] = 0x80;
			while (ml % bs(h))
				mi[ml++] = 0;
			block_mac(h, mi, ml, mac);
		}
		if (memcmp(mac, m8e, 8))
			return 0;
	}
	if (c87) {
		if (l87 < 2 || c87[0] != 0x01)
			return 0;
		crypt(cbc(h), h->sk_enc, NULL, 0, c87 + 1, l87 - 1, h->rsp);
		size_t pl = l87 - 1;
		while (pl && h->rsp[pl - 1] == 0)
			pl--;
		if (!pl || h->rsp[pl - 1] != 0x80)
			return 0;
		h->rlen = pl - 1;
	}
	return sw;
}

unsigned e3h_cmd(e3h *h, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2,
		 const uint8_t *data, size_t lc, long le)
{
	return h->sm ? e3h_sm(h, cla, ins, p1, p2, data, lc, le)
		     : e3h_plain(h, cla, ins, p1, p2, data, lc, le);
}

unsigned e3h_ext_auth(e3h *h, uint8_t kid, const char *pin)
{
	uint8_t key[24], out[8], zero[8] = { 0 };
	unsigned sw = e3h_cmd(h, 0x00, 0x84, 0, 0, NULL, 0, 16);
	if (sw != 0x9000 || h->rlen < 8)
		return sw ? sw : 0x6F00;
	size_t l = strlen(pin);
	SHA1((const uint8_t *)pin, l, key);
	key[20] = (uint8_t)(l >> 24); key[21] = (uint8_t)(l >> 16);
	key[22] = (uint8_t)(l >> 8); key[23] = (uint8_t)l;
	crypt("DES-EDE3-CBC", key, zero, 1, h->rsp, 8, out);
	return e3h_cmd(h, 0x00, 0x82, 0x01, (uint8_t)(0x80 | kid), out, 8, -1);
}

size_t e3h_hex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	unsigned v;
	int used;
	while (n < cap && sscanf(hex, " %2x%n", &v, &used) == 1) {
		out[n++] = (uint8_t)v;
		hex += used;
	}
	return n;
}

int e3h_opensc_case1_mac(const uint8_t key[16], const uint8_t iv[16],
			 const uint8_t *msg, size_t len, uint8_t out[16])
{
	uint8_t zero[16] = { 0 }, l[16], k1[33] = { 0 }, k2[33] = { 0 }, blk[16] = { 0 };
	if (len >= 16 || crypt("AES-128-ECB", key, NULL, 1, zero, 16, l))
		return -1;
	BIGNUM *a = BN_bin2bn(l, 16, NULL), *b = BN_new();
	BN_lshift1(b, a);
	BN_bn2bin(b, k1);
	/* card-epass2003.c aes128_encrypt_cmac_ft: "if (check > 0x80)" */
	int off = l[0] > 0x80 ? 1 : 0;
	if (off)
		k1[15 + off] ^= 0x87;
	uint8_t check = k1[off];
	BN_bin2bn(k1 + off, 16, a);
	BN_lshift1(b, a);
	BN_bn2bin(b, k2);
	int off2 = check > 0x80 ? 1 : 0;
	if (off2)
		k2[15 + off2] ^= 0x87;
	BN_free(a);
	BN_free(b);
	memcpy(blk, msg, len);
	blk[len] = 0x80;
	for (int i = 0; i < 16; i++)
		blk[i] ^= k2[off2 + i];
	return crypt("AES-128-CBC", key, iv, 1, blk, 16, out);
}
