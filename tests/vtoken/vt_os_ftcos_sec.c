/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* FTCOS security: GET CHALLENGE, the MACs of the administration commands,
 * key records (INSTALL F0, WRITE KEY F4) and PIN checks with persistent
 * retry counters. DES and the MACs come from vt_cipher.[ch] (OpenSSL's
 * legacy provider in a private library context, shared with ePass2003). */
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "vt_cipher.h"
#include "vt_os_ftcos.h"

int ft_3des_ecb(const uint8_t key[16], int enc, const uint8_t *in, size_t len,
		uint8_t *out)
{
	return vt_ecb("DES-EDE-ECB", key, enc, in, len, out);
}

/* MAC input = hdr4 || Lc || data, padded 80 00..; IV = challenge.
 * 8-byte key: DES CBC-MAC; 16-byte key: ISO 9797-1 alg. 3 (retail MAC). */
int ft_mac(const uint8_t *key, size_t keylen, const uint8_t iv[8],
	   const uint8_t *hdr4, size_t lc_total, const uint8_t *data,
	   size_t datalen, uint8_t mac4[4])
{
	if ((keylen != 8 && keylen != 16) || datalen > 512 || lc_total > 255)
		return -1;
	uint8_t buf[528], h[8];
	size_t n = 0;
	memcpy(buf, hdr4, 4);
	buf[4] = (uint8_t)lc_total;
	n = 5;
	memcpy(buf + n, data, datalen);
	n += datalen;
	buf[n++] = 0x80;
	while (n % 8)
		buf[n++] = 0;
	int rc = vt_des_mac(key, keylen, iv, buf, n, h);
	if (!rc)
		memcpy(mac4, h, 4);
	vt_wipe(buf, sizeof buf);
	vt_wipe(h, sizeof h);
	return rc;
}

uint16_t ft_check_mac(ft_card *c, const uint8_t *cmd, size_t lc,
		      const uint8_t *data, const uint8_t *key, size_t keylen)
{
	if (!c->chal_valid)
		return 0x6985;        /* no GET CHALLENGE just before */
	c->chal_valid = 0;
	if (lc < 4)
		return 0x6700;
	uint8_t mac[4];
	if (ft_mac(key, keylen, c->chal, cmd, lc, data, lc - 4, mac))
		return 0x6F00;
	if (vt_ct_memcmp(mac, data + lc - 4, 4))
		return 0x6988;
	return 0;
}

size_t ft_get_challenge(ft_card *c, long le, uint8_t *rsp)
{
	if (le != 8 && le != 4)
		return vt_sw(rsp, 0, 0x6700);
	memset(c->chal, 0, 8);
	if (RAND_bytes(c->chal, (int)le) != 1)
		return vt_sw(rsp, 0, 0x6F00);
	c->chal_valid = 1;
	memcpy(rsp, c->chal, (size_t)le);
	return vt_sw(rsp, (size_t)le, 0x9000);
}

void ft_key_clear(ft_key *k)
{
	for (int j = 0; j < RSA_NCOMP; j++) {
		if (k->rsa[j].v) {
			vt_wipe(k->rsa[j].v, k->rsa[j].len);
			free(k->rsa[j].v);
		}
	}
	vt_wipe(k, sizeof *k);
}

int ft_bn_set(ft_bn *b, const uint8_t *v, size_t len, int little_endian)
{
	/* strip leading zeros of the magnitude */
	uint8_t *p = malloc(len ? len : 1);
	if (!p)
		return -1;
	for (size_t i = 0; i < len; i++)
		p[i] = little_endian ? v[len - 1 - i] : v[i];
	size_t z = 0;
	while (z < len && p[z] == 0)
		z++;
	memmove(p, p + z, len - z);
	if (b->v) {
		vt_wipe(b->v, b->len);
		free(b->v);
	}
	b->v = p;
	b->len = len - z;
	return 0;
}

ft_key *ft_find_key(ft_card *c, uint16_t df, uint8_t usage, uint8_t kid)
{
	for (size_t i = 0; i < FT_MAX_KEYS; i++) {
		ft_key *k = &c->keys[i];
		if (k->used && k->df == df && k->usage == usage && k->kid == kid)
			return k;
	}
	return NULL;
}

ft_key *ft_lookup_key(ft_card *c, uint8_t usage, uint8_t kid)
{
	uint16_t df = c->cur_df;
	while (df != FT_NONE && df < FT_MAX_FILES && c->files[df].used) {
		ft_key *k = ft_find_key(c, df, usage, kid);
		if (k)
			return k;
		df = c->files[df].parent;
	}
	return NULL;
}

ft_key *ft_add_key(ft_card *c, uint16_t df, uint8_t usage, uint8_t kid)
{
	ft_key *k = ft_find_key(c, df, usage, kid);
	if (k) {
		ft_key_clear(k);
	} else {
		for (size_t i = 0; i < FT_MAX_KEYS && !k; i++)
			if (!c->keys[i].used)
				k = &c->keys[i];
		if (!k)
			return NULL;
	}
	k->used = 1;
	k->df = df;
	k->usage = usage;
	k->kid = kid;
	return k;
}

/* 84 F0 00 kid Lc hdr(9) body MAC(init_key of the current DF) */
size_t ft_install_key(ft_card *c, const uint8_t *cmd, size_t lc,
		      const uint8_t *data, uint8_t *rsp, int *dirty)
{
	if (c->cur_df == FT_NONE || !c->files[0].used)
		return vt_sw(rsp, 0, 0x6A82);
	if (cmd[2] != 0)
		return vt_sw(rsp, 0, 0x6A86);
	if (lc < 9 + 4 || lc - 13 > sizeof(((ft_key *)0)->sym))
		return vt_sw(rsp, 0, 0x6700);
	uint16_t sw = ft_check_mac(c, cmd, lc, data,
				   c->files[c->cur_df].init_key, 16);
	if (sw)
		return vt_sw(rsp, 0, sw);
	ft_key *k = ft_add_key(c, c->cur_df, data[2], cmd[3]);
	if (!k)
		return vt_sw(rsp, 0, 0x6A84);
	memcpy(k->hdr, data, 9);
	size_t blen = lc - 13;
	if (data[2] == FT_USAGE_RSA_PRIV || data[2] == FT_USAGE_RSA_PUB) {
		k->written = 0;   /* the body only announces the key's shape */
	} else {
		memcpy(k->sym, data + 9, blen);
		k->sym_len = (uint8_t)blen;
		k->ec = data[7];
		/* a PIN record installed with counter FF is not usable until
		 * WRITE KEY sets a value and a real counter */
		k->written = !(data[2] == FT_USAGE_PIN && data[7] == 0xFF);
	}
	*dirty = 1;
	return vt_sw(rsp, 0, 0x9000);
}

/* TLV inside a WRITE KEY RSA body: tag, length 1 byte or 81 xx / 82 xx xx. */
static int next_tlv(const uint8_t **p, size_t *left, uint8_t *tag,
		    const uint8_t **v, size_t *vlen)
{
	if (*left < 2)
		return -1;
	const uint8_t *q = *p;
	size_t l = *left;
	*tag = q[0];
	size_t len, hl;
	if (q[1] < 0x80) {
		len = q[1];
		hl = 2;
	} else if (q[1] == 0x81 && l >= 3) {
		len = q[2];
		hl = 3;
	} else if (q[1] == 0x82 && l >= 4) {
		len = (size_t)q[2] << 8 | q[3];
		hl = 4;
	} else {
		return -1;
	}
	if (len > l - hl)
		return -1;
	*v = q + hl;
	*vlen = len;
	*p = q + hl + len;
	*left = l - hl - len;
	return 0;
}

static uint16_t write_rsa(ft_key *k, const uint8_t *body, size_t len)
{
	/* EC ver then 45 e, 44 d (private) or 4E n (public), little-endian */
	if (len < 2)
		return 0x6A80;
	const uint8_t *p = body + 2;
	size_t left = len - 2;
	int got = 0;
	while (left) {
		uint8_t tag;
		const uint8_t *v;
		size_t vl;
		if (next_tlv(&p, &left, &tag, &v, &vl) || vl == 0 || vl > 512)
			return 0x6A80;
		int idx = tag == 0x45 ? RSA_E : tag == 0x44 ? RSA_D :
			  tag == 0x4E ? RSA_N : -1;
		if (idx < 0)
			return 0x6A80;
		if (ft_bn_set(&k->rsa[idx], v, vl, 1))
			return 0x6581;
		got |= 1 << idx;
	}
	if (!(got & (1 << RSA_E)) || !(got & ((1 << RSA_D) | (1 << RSA_N))))
		return 0x6A80;
	k->written = 1;
	return 0;
}

/* 84 F4 usage kid Lc enc(Lc' data 80 00..) MAC(maintenance key) */
size_t ft_write_key(ft_card *c, const uint8_t *cmd, size_t lc,
		    const uint8_t *data, uint8_t *rsp, int *dirty)
{
	if (c->cur_df == FT_NONE || !c->files[0].used)
		return vt_sw(rsp, 0, 0x6A82);
	ft_key *mk = ft_lookup_key(c, 0x03, 0x00);
	if (!mk || mk->sym_len != 16) {
		c->chal_valid = 0;
		return vt_sw(rsp, 0, 0x6A88);
	}
	if (lc < 12 || (lc - 4) % 8)
		return vt_sw(rsp, 0, 0x6700);
	uint16_t sw = ft_check_mac(c, cmd, lc, data, mk->sym, 16);
	if (sw)
		return vt_sw(rsp, 0, sw);
	size_t elen = lc - 4;
	uint8_t plain[256];
	if (ft_3des_ecb(mk->sym, 0, data, elen, plain))
		return vt_sw(rsp, 0, 0x6F00);
	size_t n = plain[0];
	size_t r = 0x9000;
	/* strict padding: exactly Lc, 80, then zeros up to the block */
	if (n + 2 > elen || plain[1 + n] != 0x80 || ((n + 2) / 8 + 1) * 8 != elen) {
		r = 0x6A80;
	} else {
		for (size_t i = n + 2; i < elen; i++)
			if (plain[i])
				r = 0x6A80;
	}
	ft_key *k = NULL;
	if (r == 0x9000) {
		k = ft_lookup_key(c, cmd[2], cmd[3]);
		if (!k)
			r = 0x6A88;
	}
	if (r == 0x9000 && k->written && !ft_ac_ok(c, FT_UPDATE_AC(k)))
		r = 0x6982;
	if (r == 0x9000) {
		const uint8_t *body = plain + 1;
		if (cmd[2] == FT_USAGE_RSA_PRIV || cmd[2] == FT_USAGE_RSA_PUB) {
			if (!ft_ac_ok(c, FT_UPDATE_AC(k)))
				r = 0x6982;
			else
				r = write_rsa(k, body, n) ? 0x6A80 : 0x9000;
		} else if (cmd[2] == FT_USAGE_PIN) {
			/* EC ver value */
			if (n < 3 || n - 2 > sizeof k->sym) {
				r = 0x6700;
			} else {
				k->ec = body[0];
				memset(k->sym, 0, sizeof k->sym);
				memcpy(k->sym, body + 2, n - 2);
				k->sym_len = (uint8_t)(n - 2);
				k->written = 1;
			}
		} else {
			if (n > sizeof k->sym) {
				r = 0x6700;
			} else {
				memcpy(k->sym, body, n);
				k->sym_len = (uint8_t)n;
				k->written = 1;
			}
		}
		if (r == 0x9000)
			*dirty = 1;
	}
	vt_wipe(plain, sizeof plain);
	return vt_sw(rsp, 0, (uint16_t)r);
}

/* Compare a presented PIN block with a PIN record; updates the counter.
 * Returns 0x9000, 63Cx or 6983. *dirty when the counter changed. */
static uint16_t check_pin(ft_card *c, ft_key *k, const uint8_t *pin, size_t len,
			  int *dirty)
{
	uint8_t max = k->ec >> 4, left = k->ec & 0x0F;
	if (left == 0)
		return 0x6983;
	uint8_t ref[32] = { 0 };
	memcpy(ref, k->sym, k->sym_len);
	int bad = len != 16 || vt_ct_memcmp(ref, pin, 16);
	vt_wipe(ref, sizeof ref);
	if (bad) {
		left--;
		k->ec = (uint8_t)(max << 4 | left);
		*dirty = 1;
		c->verified &= (uint16_t)~(1u << (k->kid & 15));
		return left ? (uint16_t)(0x63C0 | left) : 0x6983;
	}
	if (left != max) {
		k->ec = (uint8_t)(max << 4 | max);
		*dirty = 1;
	}
	c->verified |= (uint16_t)(1u << (k->kid & 15));
	return 0x9000;
}

/* VERIFY and CHANGE REFERENCE DATA name the PIN in P2 (P1 must be 0): the
 * written PIN key, or NULL with the status word to answer. */
static ft_key *pin_of_p1p2(ft_card *c, const uint8_t *cmd, uint16_t *sw)
{
	if (cmd[2] != 0) {
		*sw = 0x6A86;
		return NULL;
	}
	ft_key *k = ft_lookup_key(c, FT_USAGE_PIN, cmd[3]);
	if (!k || !k->written) {
		*sw = 0x6A88;
		return NULL;
	}
	return k;
}

size_t ft_verify(ft_card *c, const uint8_t *cmd, size_t lc, const uint8_t *data,
		 uint8_t *rsp, int *dirty)
{
	uint16_t sw;
	ft_key *k = pin_of_p1p2(c, cmd, &sw);
	if (!k)
		return vt_sw(rsp, 0, sw);
	if (lc == 0) {           /* status query */
		if (c->verified & (1u << (k->kid & 15)))
			return vt_sw(rsp, 0, 0x9000);
		uint8_t left = k->ec & 0x0F;
		return vt_sw(rsp, 0, left ? (uint16_t)(0x63C0 | left) : 0x6983);
	}
	if (lc != 16)
		return vt_sw(rsp, 0, 0x6700);
	return vt_sw(rsp, 0, check_pin(c, k, data, lc, dirty));
}

size_t ft_change(ft_card *c, const uint8_t *cmd, size_t lc, const uint8_t *data,
		 uint8_t *rsp, int *dirty)
{
	uint16_t sw;
	ft_key *k = pin_of_p1p2(c, cmd, &sw);
	if (!k)
		return vt_sw(rsp, 0, sw);
	if (lc != 32)
		return vt_sw(rsp, 0, 0x6700);
	sw = check_pin(c, k, data, 16, dirty);
	if (sw != 0x9000)
		return vt_sw(rsp, 0, sw);
	memset(k->sym, 0, sizeof k->sym);
	memcpy(k->sym, data + 16, 16);
	k->sym_len = 16;
	*dirty = 1;
	return vt_sw(rsp, 0, 0x9000);
}
