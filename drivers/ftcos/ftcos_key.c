/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/ftcos/ftcos_key.c — FTCOS RSA: MSE + PSO private-key operation
 * (2048-bit blocks split: 64 bytes in the MSE under tag 89, 192 in the PSO),
 * on-card generation, public-key read-back (little-endian on the card) and
 * key import.
 */
#include <stdlib.h>
#include <string.h>

#include "ftcos.h"

static ukey_rv xfer_ok(ftcos_ctx *c, const ukey_apdu *a, uint8_t *rsp,
		       size_t rcap, size_t *rlen)
{
	uint16_t sw = 0;
	size_t dummy;
	ukey_rv rv = ukey_transmit(c->ch, a, rsp, rcap, rlen ? rlen : &dummy, &sw);

	if (rv)
		return rv;
	if (sw == UKEY_SW_OK)
		return UKEY_OK;
	rv = ukey_sw_to_err(sw);
	return rv ? rv : UKEY_E_SW_OTHER;
}

/* MSE SET: 00 22 p1 B8 with a CRT of `tag 02 kid usage` [89 40 first64]. */
static ukey_rv mse(ftcos_ctx *c, uint8_t p1, uint8_t crt_tag, uint8_t kid,
		   uint8_t usage, int with_alg, const uint8_t *first64)
{
	uint8_t d[3 + 4 + 2 + 64], rsp[8];
	size_t n = 0;
	ukey_apdu a = { 0x00, 0x22, p1, 0xB8, d, 0, 0, 0 };
	ukey_rv rv;

	if (with_alg) {
		d[n++] = 0x80; /* algorithm: raw RSA */
		d[n++] = 0x01;
		d[n++] = 0x80;
	}
	d[n++] = crt_tag;
	d[n++] = 0x02;
	d[n++] = kid;
	d[n++] = usage;
	if (first64) {
		d[n++] = 0x89;
		d[n++] = 0x40;
		memcpy(d + n, first64, 64);
		n += 64;
	}
	a.lc = n;
	rv = xfer_ok(c, &a, rsp, sizeof(rsp), NULL);
	ukey_memzero(d, sizeof(d));
	return rv;
}

ukey_rv ftcos_rsa_raw(ftcos_ctx *c, uint8_t kid, const uint8_t *in,
		      size_t inlen, uint8_t *out, size_t *outlen)
{
	uint8_t rsp[258];
	size_t rlen = 0, off;
	ukey_apdu a = { 0x00, 0x2A, 0x86, 0x80, NULL, 0, UKEY_LE_ANY, 0 };
	ukey_rv rv;

	if (!in || !out || !outlen || kid < 1 || kid > 9)
		return UKEY_E_ARGS;
	if (inlen != 128 && inlen != 256)
		return UKEY_E_ARGS; /* FTCOS does 1024 and 2048 bits only */
	off = inlen == 256 ? 64 : 0;
	rv = mse(c, 0x41, 0x83, kid, FTCOS_USAGE_RSA_PRV, 1, off ? in : NULL);
	if (rv)
		return rv;
	a.data = in + off;
	a.lc = inlen - off;
	rv = xfer_ok(c, &a, rsp, sizeof(rsp), &rlen);
	if (rv == UKEY_OK && rlen != inlen)
		rv = UKEY_E_MALFORMED;
	if (rv == UKEY_OK) {
		memcpy(out, rsp, inlen);
		*outlen = inlen;
	}
	ukey_memzero(rsp, sizeof(rsp));
	return rv;
}

ukey_rv ftcos_generate_rsa(ftcos_ctx *c, uint8_t kid, unsigned bits)
{
	uint8_t d[2] = { (uint8_t)(bits >> 8), (uint8_t)bits }, rsp[8];
	ukey_apdu a = { 0x00, 0x46, 0x00, 0x00, d, 2, 0, 0 };
	ukey_rv rv;

	if ((bits != 1024 && bits != 2048) || kid < 1 || kid > 9)
		return UKEY_E_ARGS;
	rv = mse(c, 0x01, 0x83, kid, FTCOS_USAGE_RSA_PUB, 0, NULL);
	if (rv)
		return rv;
	return xfer_ok(c, &a, rsp, sizeof(rsp), NULL);
}

static void reverse(uint8_t *dst, const uint8_t *src, size_t len)
{
	for (size_t i = 0; i < len; i++)
		dst[i] = src[len - 1 - i];
}

/* Little-endian card integer to a malloc'd minimal big-endian one. */
static ukey_rv le_to_be(const uint8_t *le, size_t len, uint8_t **out,
			size_t *outlen)
{
	uint8_t *b;

	while (len && le[len - 1] == 0)
		len--;
	if (!len)
		return UKEY_E_MALFORMED;
	b = malloc(len);
	if (!b)
		return UKEY_E_NOMEM;
	reverse(b, le, len);
	*out = b;
	*outlen = len;
	return UKEY_OK;
}

ukey_rv ftcos_read_pubkey(ftcos_ctx *c, uint8_t kid, uint8_t **n, size_t *nlen,
			  uint8_t **e, size_t *elen)
{
	uint8_t rsp[600];
	size_t rlen = 0, pos = 0, el, nl;
	const uint8_t *ep, *np;
	ukey_apdu a = { 0x80, 0xE6, FTCOS_USAGE_RSA_PUB, kid, NULL, 0,
			UKEY_LE_ANY, 0 };
	ukey_rv rv;

	*n = *e = NULL;
	*nlen = *elen = 0;
	rv = xfer_ok(c, &a, rsp, sizeof(rsp), &rlen);
	if (rv)
		return rv;
	/* 'E' len e 'N' len n, lengths in DER form; integers little-endian */
	if (rlen < 2 || rsp[0] != 'E')
		return UKEY_E_MALFORMED;
	el = rsp[1];
	pos = 2;
	if (el == 0 || el > 8 || pos + el > rlen)
		return UKEY_E_MALFORMED;
	ep = rsp + pos;
	pos += el;
	if (pos + 2 > rlen || rsp[pos] != 'N')
		return UKEY_E_MALFORMED;
	pos++;
	if (rsp[pos] < 0x80) {
		nl = rsp[pos++];
	} else if (rsp[pos] == 0x81 && pos + 1 < rlen) {
		nl = rsp[pos + 1];
		pos += 2;
	} else if (rsp[pos] == 0x82 && pos + 2 < rlen) {
		nl = (size_t)rsp[pos + 1] << 8 | rsp[pos + 2];
		pos += 3;
	} else {
		return UKEY_E_MALFORMED;
	}
	if (nl == 0 || nl > 512 || pos + nl != rlen)
		return UKEY_E_MALFORMED;
	np = rsp + pos;
	rv = le_to_be(np, nl, n, nlen);
	if (!rv)
		rv = le_to_be(ep, el, e, elen);
	if (rv) {
		free(*n);
		*n = NULL;
		*nlen = 0;
	}
	return rv;
}

/* Big-endian integer to little-endian, zero-padded to width. */
static ukey_rv be_to_le(const uint8_t *be, size_t len, uint8_t *out,
			size_t width)
{
	while (len && be[0] == 0) {
		be++;
		len--;
	}
	if (len > width)
		return UKEY_E_ARGS;
	memset(out, 0, width);
	reverse(out, be, len);
	return UKEY_OK;
}

static ukey_rv put_key_factor(ftcos_ctx *c, uint8_t p1, const uint8_t *data,
			      size_t len)
{
	uint8_t rsp[8];
	ukey_apdu a = { 0x00, 0x46, p1, 0x00, data, len, 0, UKEY_APDU_SENSITIVE };

	return xfer_ok(c, &a, rsp, sizeof(rsp), NULL);
}

static ukey_rv import_crt(ftcos_ctx *c, uint8_t kid, const uint8_t *n,
			  size_t nlen, const uint8_t *e, size_t elen,
			  const uint8_t *const parts[5], const size_t plens[5])
{
	uint8_t buf[128], nb[256];
	ukey_rv rv = UKEY_OK;

	/* Private CRT parts, little-endian, 128 bytes each, tags 01..05. */
	for (int i = 0; i < 5 && !rv; i++) {
		rv = be_to_le(parts[i], plens[i], buf, sizeof(buf));
		if (!rv)
			rv = mse(c, 0x01, 0x84, kid, FTCOS_USAGE_RSA_PRV, 0, NULL);
		if (!rv)
			rv = put_key_factor(c, (uint8_t)(i + 1), buf, sizeof(buf));
	}
	ukey_memzero(buf, sizeof(buf));
	if (rv)
		return rv;
	/* Public part: the modulus big-endian, first 64 bytes in the MSE. */
	while (nlen && n[0] == 0) {
		n++;
		nlen--;
	}
	while (elen && e[0] == 0) {
		e++;
		elen--;
	}
	if (nlen != 256 || elen == 0 || elen > 8)
		return UKEY_E_ARGS;
	memcpy(nb, n, 256);
	rv = mse(c, 0x01, 0x83, kid, FTCOS_USAGE_RSA_PUB, 0, nb);
	if (!rv)
		rv = put_key_factor(c, 0x0B, nb + 64, 192);
	if (!rv)
		rv = mse(c, 0x01, 0x84, kid, FTCOS_USAGE_RSA_PUB, 0, NULL);
	if (!rv)
		rv = put_key_factor(c, 0x0D, e, elen);
	return rv;
}

/* Non-CRT import through WRITE KEY: 00 00 'E' len e 'D'|'N' 82 len x (LE). */
static ukey_rv import_write_key(ftcos_ctx *c, uint8_t usage, uint8_t kid,
				const uint8_t *e, size_t elen, uint8_t tag,
				const uint8_t *x, size_t xlen, size_t width)
{
	uint8_t d[2 + 2 + 8 + 4 + 256];
	size_t pos = 0;
	ukey_rv rv;

	while (elen && e[0] == 0) {
		e++;
		elen--;
	}
	if (elen == 0 || elen > 8 || width > 256)
		return UKEY_E_ARGS;
	d[pos++] = 0x00;
	d[pos++] = 0x00;
	d[pos++] = 'E';
	d[pos++] = (uint8_t)elen;
	reverse(d + pos, e, elen);
	pos += elen;
	d[pos++] = tag;
	d[pos++] = 0x82;
	d[pos++] = (uint8_t)(width >> 8);
	d[pos++] = (uint8_t)width;
	rv = be_to_le(x, xlen, d + pos, width);
	pos += width;
	if (!rv)
		rv = ftcos_write_key(c, usage, kid, d, pos);
	ukey_memzero(d, sizeof(d));
	return rv;
}

ukey_rv ftcos_import_rsa(ftcos_ctx *c, uint8_t kid, unsigned bits,
			 const ukey_rsa_material *m)
{
	size_t width = bits / 8;
	ukey_rv rv;

	if (!m || kid < 1 || kid > 9 || !m->n || !m->e || (bits != 1024 && bits != 2048))
		return UKEY_E_ARGS;
	const uint8_t *n = m->n, *e = m->e, *d = m->d;
	size_t nlen = m->n_len, elen = m->e_len, dlen = m->d_len;
	if (bits == 2048) {
		const uint8_t *parts[5] = { m->p, m->q, m->dp, m->dq, m->qinv };
		const size_t lens[5] = { m->p_len, m->q_len, m->dp_len, m->dq_len, m->qinv_len };

		for (int i = 0; i < 5; i++)
			if (!parts[i])
				return UKEY_E_ARGS; /* 2048 needs the CRT parts */
		return import_crt(c, kid, n, nlen, e, elen, parts, lens);
	}
	if (!d)
		return UKEY_E_ARGS;
	rv = import_write_key(c, FTCOS_USAGE_RSA_PRV, kid, e, elen, 'D', d, dlen,
			      width);
	if (!rv)
		rv = import_write_key(c, FTCOS_USAGE_RSA_PUB, kid, e, elen, 'N', n,
				      nlen, width);
	return rv;
}
