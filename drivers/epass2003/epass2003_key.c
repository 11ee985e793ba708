/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/epass2003/epass2003_key.c — ePass2003 RSA: MSE SET, raw private
 * key operation (PSO DECIPHER, what OpenSC also signs with), signing with
 * the hash finished on the card (PSO HASH with a SHA-256 midstate, PSO
 * COMPUTE DIGITAL SIGNATURE), key files, on-card generation, public key
 * read-back and key import. Facts from OpenSC's card-epass2003.c
 * (epass2003_set_security_env, epass2003_decipher, epass2003_gen_key,
 * internal_write_rsa_key_factor, epass2003_construct_fci) and
 * pkcs15-epass2003.c; the PSO HASH data from the published trace quoted in
 * shared/reference/epass2003-espk.md.
 */
#include <stdlib.h>
#include <string.h>

#include "epass2003.h"

ukey_rv epass2003_key_fids(unsigned key, uint16_t *prv, uint16_t *pub)
{
	if (!prv || !pub)
		return UKEY_E_ARGS;
	if (key <= 0xFF) {
		/* OpenSC's layout: key EFs 29xx / 30xx, xx = 0x20 * k (the
		 * FID hook), so k < 8 */
		if (key > 7)
			return UKEY_E_ARGS;
		*prv = (uint16_t)(0x2900 | key << 5);
		*pub = (uint16_t)(0x3000 | key << 5);
		return UKEY_OK;
	}
	if (key > 0xFFFF)
		return UKEY_E_ARGS;
	*prv = (uint16_t)key;
	switch (key >> 8) {
	case 0xA0: /* ESPK: private A0xx, public 80xx */
		*pub = (uint16_t)(0x8000 | (key & 0xFF));
		break;
	case 0x29:
		*pub = (uint16_t)(0x3000 | (key & 0xFF));
		break;
	default:
		*pub = 0; /* no public key file known */
		break;
	}
	return UKEY_OK;
}

static ukey_rv xfer_ok(epass2003_ctx *c, const ukey_apdu *a, unsigned flags,
		       uint8_t *rsp, size_t cap, size_t *rlen)
{
	size_t dummy = 0;
	uint16_t sw = 0;
	ukey_rv rv = epass2003_transmit(c, a, flags, rsp, cap,
					rlen ? rlen : &dummy, &sw);

	if (rv)
		return rv;
	if (sw != UKEY_SW_OK)
		return epass2003_sw_err(sw);
	return UKEY_OK;
}

ukey_rv epass2003_mse(epass2003_ctx *c, uint8_t p2, uint8_t alg, uint16_t fid)
{
	uint8_t d[7] = { 0x80, 0x01, alg, 0x81, 0x02, (uint8_t)(fid >> 8),
			 (uint8_t)fid };
	uint8_t rsp[64];
	size_t rlen = 0;
	ukey_apdu a = { 0x00, 0x22, 0x41, p2, d, sizeof(d), 0, 0 };
	ukey_rv rv;

	if (!c || fid == 0)
		return UKEY_E_ARGS;
	rv = xfer_ok(c, &a, 0, rsp, sizeof(rsp), &rlen);
	if (!rv && rlen != 0)
		rv = UKEY_E_MALFORMED;
	return rv;
}

static int mod_len_ok(size_t len)
{
	return len >= 64 && len <= 256 && len % 4 == 0;
}

ukey_rv epass2003_rsa_raw(epass2003_ctx *c, uint16_t prv_fid,
			  const uint8_t *in, size_t inlen, uint8_t *out,
			  size_t *outlen)
{
	uint8_t rsp[EPASS2003_RSP_MAX];
	size_t rlen = 0;
	ukey_apdu a = { 0x00, 0x2A, 0x80, 0x86, in, inlen, UKEY_LE_ANY, 0 };
	ukey_rv rv;

	if (!c || !in || !out || !outlen || !mod_len_ok(inlen))
		return UKEY_E_ARGS;
	*outlen = 0;
	rv = epass2003_mse(c, 0xB8, c->alg_raw, prv_fid);
	if (rv)
		return rv;
	rv = xfer_ok(c, &a, EPASS2003_TX_BIG, rsp, sizeof(rsp), &rlen);
	if (!rv && rlen != inlen)
		rv = UKEY_E_MALFORMED;
	if (!rv) {
		memcpy(out, rsp, inlen);
		*outlen = inlen;
	}
	ukey_memzero(rsp, sizeof(rsp));
	return rv;
}

ukey_rv epass2003_state_tlv(const uint8_t state[32], uint64_t nblocks,
			    const uint8_t *tail, size_t tail_len, uint8_t *out,
			    size_t cap, size_t *outlen)
{
	size_t n = 0;

	if (!state || (!tail && tail_len) || !out || !outlen)
		return UKEY_E_ARGS;
	*outlen = 0;
	if (nblocks > 0xFFFFFFFFu || tail_len >= 64)
		return UKEY_E_ARGS;
	if (cap < 6 + 34 + 2 + tail_len)
		return UKEY_E_BUFFER_TOO_SMALL;
	out[n++] = 0x81;
	out[n++] = 0x04;
	out[n++] = (uint8_t)(nblocks >> 24);
	out[n++] = (uint8_t)(nblocks >> 16);
	out[n++] = (uint8_t)(nblocks >> 8);
	out[n++] = (uint8_t)nblocks;
	out[n++] = 0x90;
	out[n++] = 0x20;
	memcpy(out + n, state, 32);
	n += 32;
	out[n++] = 0x80;
	out[n++] = (uint8_t)tail_len;
	if (tail_len)
		memcpy(out + n, tail, tail_len);
	n += tail_len;
	*outlen = n;
	return UKEY_OK;
}

ukey_rv epass2003_pso_hash(epass2003_ctx *c, const uint8_t *tlv, size_t len)
{
	uint8_t rsp[EPASS2003_RSP_MAX];
	size_t rlen = 0;
	ukey_apdu a = { 0x00, 0x2A, 0x90, 0xA0, tlv, len, 0, 0 };
	ukey_rv rv;

	if (!c || !tlv || len == 0 || len > 255)
		return UKEY_E_ARGS;
	/* whatever body the card may add is of no interest */
	rv = xfer_ok(c, &a, 0, rsp, sizeof(rsp), &rlen);
	ukey_memzero(rsp, sizeof(rsp));
	return rv;
}

ukey_rv epass2003_pso_cds(epass2003_ctx *c, uint8_t *out, size_t siglen)
{
	uint8_t rsp[EPASS2003_RSP_MAX];
	size_t rlen = 0;
	ukey_apdu a = { 0x00, 0x2A, 0x9E, 0x9A, NULL, 0, UKEY_LE_ANY, 0 };
	ukey_rv rv;

	if (!c || !out || !mod_len_ok(siglen))
		return UKEY_E_ARGS;
	rv = xfer_ok(c, &a, EPASS2003_TX_BIG, rsp, sizeof(rsp), &rlen);
	if (!rv && rlen != siglen)
		rv = UKEY_E_MALFORMED;
	if (!rv)
		memcpy(out, rsp, siglen);
	ukey_memzero(rsp, sizeof(rsp));
	return rv;
}

/* MSE B6, PSO HASH with tlv, PSO CDS. */
static ukey_rv sign_tlv(epass2003_ctx *c, uint16_t prv_fid, const uint8_t *tlv,
			size_t tlen, uint8_t *out, size_t siglen)
{
	ukey_rv rv = epass2003_mse(c, 0xB6, c->alg_sha256, prv_fid);

	if (!rv)
		rv = epass2003_pso_hash(c, tlv, tlen);
	if (!rv)
		rv = epass2003_pso_cds(c, out, siglen);
	return rv;
}

ukey_rv epass2003_sign_sha256_state(epass2003_ctx *c, uint16_t prv_fid,
				    const uint8_t state[32], uint64_t nblocks,
				    const uint8_t *tail, size_t tail_len,
				    uint8_t *out, size_t siglen)
{
	uint8_t tlv[128];
	size_t tlen = 0;
	ukey_rv rv;

	if (!c || !state || (!tail && tail_len) || !out || !mod_len_ok(siglen))
		return UKEY_E_ARGS;
	rv = epass2003_state_tlv(state, nblocks, tail, tail_len, tlv, sizeof(tlv),
				 &tlen);
	if (!rv)
		rv = sign_tlv(c, prv_fid, tlv, tlen, out, siglen);
	ukey_memzero(tlv, sizeof(tlv));
	return rv;
}

static int bits_ok(unsigned bits)
{
	return bits >= 512 && bits <= 2048 && bits % 32 == 0;
}

ukey_rv epass2003_create_key_files(epass2003_ctx *c, uint16_t prv_fid,
				   uint16_t pub_fid, unsigned bits)
{
	const uint8_t user = EPASS2003_AC_MAC_NOLESS | EPASS2003_AC_USER;
	epass2003_fci f;
	ukey_rv rv;

	if (!c || !prv_fid || !bits_ok(bits))
		return UKEY_E_ARGS;
	memset(&f, 0, sizeof(f));
	f.type = EPASS2003_FT_RSA_PRV;
	f.fid = prv_fid;
	f.size = bits;
	f.ac_len = 8;
	memset(f.ac, 0xFF, sizeof(f.ac));
	/* never read; update, use (crypto) and delete after the user PIN */
	f.ac[EPASS2003_ACI_UPDATE] = user;
	f.ac[EPASS2003_ACI_WRITE] = user;
	f.ac[EPASS2003_ACI_DELETE] = user;
	rv = epass2003_create_file(c, &f);
	if (rv || !pub_fid)
		return rv;
	f.type = EPASS2003_FT_RSA_PUB;
	f.fid = pub_fid;
	f.ac[EPASS2003_ACI_READ] = EPASS2003_AC_MAC_NOLESS | EPASS2003_AC_EVERYONE;
	return epass2003_create_file(c, &f);
}

ukey_rv epass2003_generate_rsa(epass2003_ctx *c, uint16_t prv_fid,
			       uint16_t pub_fid, unsigned bits)
{
	uint8_t d[7] = { 0x01, (uint8_t)(bits >> 8), (uint8_t)bits,
			 (uint8_t)(prv_fid >> 8), (uint8_t)prv_fid,
			 (uint8_t)(pub_fid >> 8), (uint8_t)pub_fid };
	uint8_t rsp[64];
	size_t rlen = 0;
	ukey_apdu a = { 0x00, 0x46, 0x00, 0x00, d, sizeof(d), 0, 0 };
	ukey_rv rv;

	if (!c || !prv_fid || !pub_fid || !bits_ok(bits))
		return UKEY_E_ARGS;
	rv = xfer_ok(c, &a, 0, rsp, sizeof(rsp), &rlen);
	if (!rv && rlen != 0)
		rv = UKEY_E_MALFORMED;
	return rv;
}

ukey_rv epass2003_read_pubkey(epass2003_ctx *c, uint16_t pub_fid,
			      unsigned bits, uint8_t **n, size_t *nlen,
			      uint8_t **e, size_t *elen)
{
	uint8_t d[2] = { (uint8_t)(pub_fid >> 8), (uint8_t)pub_fid };
	uint8_t rsp[EPASS2003_RSP_MAX];
	size_t rlen = 0;
	ukey_apdu a = { 0x80, 0xB4, 0x02, 0x00, d, 2, UKEY_LE_ANY, 0 };
	uint8_t *nb, *eb;
	ukey_rv rv;

	if (!c || !n || !nlen || !e || !elen || !pub_fid ||
	    (bits && !bits_ok(bits)))
		return UKEY_E_ARGS;
	*n = *e = NULL;
	*nlen = *elen = 0;
	rv = xfer_ok(c, &a, EPASS2003_TX_BIG, rsp, sizeof(rsp), &rlen);
	if (rv)
		return rv;
	/* the bare modulus, big-endian, full length: nothing else fits */
	if ((bits ? rlen != bits / 8 : !mod_len_ok(rlen)) || rsp[0] == 0x00 ||
	    !(rsp[rlen - 1] & 1))
		return UKEY_E_MALFORMED;
	nb = malloc(rlen);
	eb = malloc(3);
	if (!nb || !eb) {
		free(nb);
		free(eb);
		return UKEY_E_NOMEM;
	}
	memcpy(nb, rsp, rlen);
	eb[0] = 0x01; /* the card gives no exponent: 65537 (as OpenSC) */
	eb[1] = 0x00;
	eb[2] = 0x01;
	*n = nb;
	*nlen = rlen;
	*e = eb;
	*elen = 3;
	return UKEY_OK;
}

/* 80 E7 factor 00 <prv FID> <value> */
static ukey_rv put_factor(epass2003_ctx *c, uint8_t factor, uint16_t prv_fid,
			  const uint8_t *v, size_t vlen, size_t width)
{
	uint8_t d[2 + 256], rsp[64];
	size_t rlen = 0;
	ukey_apdu a = { 0x80, 0xE7, factor, 0x00, d, 2 + width, 0,
			UKEY_APDU_SENSITIVE };
	ukey_rv rv;

	if (vlen > width || width > 256)
		return UKEY_E_ARGS;
	d[0] = (uint8_t)(prv_fid >> 8);
	d[1] = (uint8_t)prv_fid;
	memset(d + 2, 0, width - vlen);
	memcpy(d + 2 + width - vlen, v, vlen);
	rv = xfer_ok(c, &a, 0, rsp, sizeof(rsp), &rlen);
	ukey_memzero(d, sizeof(d));
	if (!rv && rlen != 0)
		rv = UKEY_E_MALFORMED;
	return rv;
}

ukey_rv epass2003_import_rsa(epass2003_ctx *c, uint16_t prv_fid,
			     const ukey_rsa_material *m)
{
	const uint8_t *n, *d;
	size_t nlen, dlen;
	ukey_rv rv;

	if (!c || !m || !prv_fid || !m->n || !m->d)
		return UKEY_E_ARGS;
	n = m->n;
	nlen = m->n_len;
	d = m->d;
	dlen = m->d_len;
	while (nlen && n[0] == 0) {
		n++;
		nlen--;
	}
	while (dlen && d[0] == 0) {
		d++;
		dlen--;
	}
	if (!mod_len_ok(nlen) || dlen == 0 || dlen > nlen)
		return UKEY_E_ARGS;
	/* modulus (02), then private exponent (03), both modulus-wide */
	rv = put_factor(c, 0x02, prv_fid, n, nlen, nlen);
	if (!rv)
		rv = put_factor(c, 0x03, prv_fid, d, dlen, nlen);
	return rv;
}
