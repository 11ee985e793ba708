/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ePass2003 RSA: MANAGE SECURITY ENVIRONMENT (00 22 41 B8/B6), key pair
 * generation into a private and a public key file (00 46), reading the
 * generated modulus (80 B4), importing n and d (80 E7), and PERFORM
 * SECURITY OPERATION: raw RSA (2A 80 86, OpenSC's sign and decipher),
 * HASH with the SHA-256 midstate TLV (2A 90 A0) and COMPUTE DIGITAL
 * SIGNATURE over the hash (2A 9E 9A, PKCS#1 v1.5 SHA-256).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "vt_os_epass2003.h"

/* algorithm references of MSE tag 80 */
#define VTE_ALG_RSA_SHA256 0x82   /* PSO CDS over a SHA-256 hash (ESPK) */
#define VTE_ALG_RSA_RAW 0x84      /* raw RSA on a host-padded block (OpenSC) */

/* A key file of the current DF (or of an ancestor) by FID. */
static vte_file *key_file(vte_card *c, uint16_t fid, uint8_t type)
{
	for (uint16_t d = c->cur_df; d != VTE_NONE; d = c->files[d].parent) {
		int i = vte_find_child(c, d, fid);
		if (i >= 0)
			return c->files[i].type == type ? &c->files[i] : NULL;
	}
	return NULL;
}

size_t vte_mse(vte_card *c, const vte_cmd *m, uint8_t *rsp)
{
	if (m->p1 == 0xF2)               /* RESTORE: nothing kept to restore */
		return vt_sw(rsp, 0, 0x9000);
	if (m->p1 != 0x41 || (m->p2 != 0xB8 && m->p2 != 0xB6))
		return vt_sw(rsp, 0, 0x6A86);
	int alg = -1, fid = -1;
	for (size_t o = 0; o + 2 <= m->lc;) {
		uint8_t tag = m->data[o], l = m->data[o + 1];
		if (o + 2 + l > m->lc)
			return vt_sw(rsp, 0, 0x6A80);
		const uint8_t *v = m->data + o + 2;
		if (tag == 0x80 && l == 1)
			alg = v[0];
		else if (tag == 0x81 && l == 2)
			fid = v[0] << 8 | v[1];
		else
			return vt_sw(rsp, 0, 0x6A80);
		o += 2 + (size_t)l;
	}
	c->env_set = 0;
	c->hash_set = 0;
	if (alg < 0 || fid < 0)
		return vt_sw(rsp, 0, 0x6A80);
	if (alg != VTE_ALG_RSA_RAW && alg != VTE_ALG_RSA_SHA256)
		return vt_sw(rsp, 0, 0x6A80);  /* EC (91/92) is not emulated */
	if (!key_file(c, (uint16_t)fid, VTE_FT_RSA_PRIV))
		return vt_sw(rsp, 0, 0x6A88);
	c->env_set = 1;
	c->env_p2 = m->p2;
	c->env_alg = (uint8_t)alg;
	c->env_fid = (uint16_t)fid;
	return vt_sw(rsp, 0, 0x9000);
}

static int bn_from_pkey(EVP_PKEY *k, const char *name, vte_bn *out)
{
	BIGNUM *b = NULL;
	uint8_t buf[VTE_RSA_MAX + 8];
	if (!EVP_PKEY_get_bn_param(k, name, &b))
		return -1;
	int n = BN_num_bytes(b);
	int rc = n <= 0 || n > (int)sizeof buf || BN_bn2bin(b, buf) != n ||
		 vte_bn_set(out, buf, (size_t)n);
	vt_wipe(buf, sizeof buf);
	BN_clear_free(b);
	return rc ? -1 : 0;
}

int vte_rsa_keygen(vte_file *priv, vte_file *pub, unsigned bits, EVP_PKEY **keep)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	if (!k)
		return -1;
	int rc = bn_from_pkey(k, OSSL_PKEY_PARAM_RSA_N, &priv->n) ||
		 bn_from_pkey(k, OSSL_PKEY_PARAM_RSA_E, &priv->e) ||
		 bn_from_pkey(k, OSSL_PKEY_PARAM_RSA_D, &priv->d) ||
		 (pub && (vte_bn_set(&pub->n, priv->n.v, priv->n.len) ||
			  vte_bn_set(&pub->e, priv->e.v, priv->e.len)));
	if (!rc && keep)
		*keep = k;
	else
		EVP_PKEY_free(k);
	return rc ? -1 : 0;
}

int vte_rsa_generate(vte_file *priv, vte_file *pub, unsigned bits)
{
	return vte_rsa_keygen(priv, pub, bits, NULL);
}

static int bits_ok(unsigned bits)
{
	return bits == 512 || bits == 768 || bits == 1024 || bits == 2048;
}

/* 00 46 00 00 07: 01 (RSA) bits(2) private-FID public-FID */
size_t vte_generate(vte_card *c, const vte_cmd *m, uint8_t *rsp, int *dirty)
{
	if (m->p1 || m->p2)
		return vt_sw(rsp, 0, 0x6A86);
	if (m->lc != 7)
		return vt_sw(rsp, 0, 0x6700);
	const uint8_t *d = m->data;
	unsigned bits = (unsigned)(d[1] << 8 | d[2]);
	if (d[0] != 0x01 || !bits_ok(bits))
		return vt_sw(rsp, 0, 0x6A80);   /* 02 = EC: not emulated */
	vte_file *priv = key_file(c, (uint16_t)(d[3] << 8 | d[4]), VTE_FT_RSA_PRIV);
	vte_file *pub = key_file(c, (uint16_t)(d[5] << 8 | d[6]), VTE_FT_RSA_PUB);
	if (!priv || !pub)
		return vt_sw(rsp, 0, 0x6A82);
	if (!vte_ac_ok(c, priv->acl[1]) || !vte_ac_ok(c, pub->acl[1]))
		return vt_sw(rsp, 0, 0x6982);
	if (priv->bits && priv->bits != bits)
		return vt_sw(rsp, 0, 0x6A80);
	if (vte_rsa_generate(priv, pub, bits))
		return vt_sw(rsp, 0, 0x6F00);
	priv->bits = pub->bits = (uint16_t)bits;
	*dirty = 1;
	return vt_sw(rsp, 0, 0x9000);
}

/* 80 B4 02 00 02 FID: the modulus of a public key file, big-endian. */
size_t vte_read_pubkey(vte_card *c, const vte_cmd *m, uint8_t *rsp)
{
	if (m->p1 != 0x02 || m->p2)
		return vt_sw(rsp, 0, 0x6A86);
	if (m->lc != 2)
		return vt_sw(rsp, 0, 0x6700);
	vte_file *pub = key_file(c, (uint16_t)(m->data[0] << 8 | m->data[1]),
				 VTE_FT_RSA_PUB);
	if (!pub)
		return vt_sw(rsp, 0, 0x6A82);
	if (!vte_ac_ok(c, pub->acl[0]))
		return vt_sw(rsp, 0, 0x6982);
	if (!pub->n.v)
		return vt_sw(rsp, 0, 0x6A88);
	size_t len = pub->bits / 8u;
	if (len < pub->n.len)
		len = pub->n.len;
	memset(rsp, 0, len - pub->n.len);
	memcpy(rsp + len - pub->n.len, pub->n.v, pub->n.len);
	return vt_sw(rsp, len, 0x9000);
}

/* 80 E7 P1 00: FID(2) value; P1 02 = modulus, 03 = private exponent. */
size_t vte_write_factor(vte_card *c, const vte_cmd *m, uint8_t *rsp,
			int *dirty)
{
	if ((m->p1 != 0x02 && m->p1 != 0x03) || m->p2)
		return vt_sw(rsp, 0, 0x6A86);
	if (m->lc < 3 || m->lc > 2 + VTE_RSA_MAX)
		return vt_sw(rsp, 0, 0x6700);
	vte_file *priv = key_file(c, (uint16_t)(m->data[0] << 8 | m->data[1]),
				  VTE_FT_RSA_PRIV);
	if (!priv)
		return vt_sw(rsp, 0, 0x6A82);
	if (!vte_ac_ok(c, priv->acl[1]))
		return vt_sw(rsp, 0, 0x6982);
	if (vte_bn_set(m->p1 == 0x02 ? &priv->n : &priv->d, m->data + 2, m->lc - 2))
		return vt_sw(rsp, 0, 0x6581);
	*dirty = 1;
	return vt_sw(rsp, 0, 0x9000);
}

uint16_t vte_hash_tlv(const uint8_t *data, size_t len, uint8_t out[32])
{
	const uint8_t *st = NULL, *tail = NULL, *cnt = NULL;
	size_t tlen = 0;
	for (size_t o = 0; o < len;) {
		if (o + 2 > len)
			return 0x6A80;
		uint8_t tag = data[o];
		size_t l = data[o + 1], h = 2;
		if (l == 0x81) {
			if (o + 3 > len)
				return 0x6A80;
			l = data[o + 2];
			h = 3;
		} else if (l > 0x80) {
			return 0x6A80;
		}
		if (o + h + l > len)
			return 0x6A80;
		const uint8_t *v = data + o + h;
		if (tag == 0x81 && l == 4 && !cnt)
			cnt = v;
		else if (tag == 0x90 && l == 32 && !st)
			st = v;
		else if (tag == 0x80 && !tail) {
			tail = v;
			tlen = l;
		} else
			return 0x6A80;
		o += h + l;
	}
	if (!cnt != !st)                 /* a midstate needs its block count */
		return 0x6A80;
	uint32_t s[8];
	uint64_t nblocks = 0;
	if (st) {
		for (int i = 0; i < 8; i++)
			s[i] = (uint32_t)st[4 * i] << 24 | (uint32_t)st[4 * i + 1] << 16 |
			       (uint32_t)st[4 * i + 2] << 8 | st[4 * i + 3];
		nblocks = (uint64_t)cnt[0] << 24 | (uint64_t)cnt[1] << 16 |
			  (uint64_t)cnt[2] << 8 | cnt[3];
	}
	vte_sha256_finish(st ? s : NULL, nblocks, tail ? tail : (const uint8_t *)"",
			  tlen, out);
	vt_wipe(s, sizeof s);
	return 0x9000;
}

static const uint8_t sha256_prefix[19] = {
	0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20,
};

static size_t sign_hash(vte_file *k, const uint8_t h[32], uint8_t *rsp)
{
	uint8_t em[VTE_RSA_MAX];
	size_t klen = k->n.len;
	if (klen < sizeof sha256_prefix + 32 + 11 || klen > sizeof em)
		return vt_sw(rsp, 0, 0x6A80);
	size_t ps = klen - 3 - sizeof sha256_prefix - 32;
	em[0] = 0x00;
	em[1] = 0x01;
	memset(em + 2, 0xFF, ps);
	em[2 + ps] = 0x00;
	memcpy(em + 3 + ps, sha256_prefix, sizeof sha256_prefix);
	memcpy(em + klen - 32, h, 32);
	int rc = vte_rsa_raw(&k->n, &k->d, em, klen, rsp);
	vt_wipe(em, sizeof em);
	return rc ? vt_sw(rsp, 0, 0x6F00) : vt_sw(rsp, klen, 0x9000);
}

size_t vte_pso(vte_card *c, const vte_cmd *m, uint8_t *rsp)
{
	uint16_t op = (uint16_t)(m->p1 << 8 | m->p2);
	if (op == 0x90A0) {              /* HASH */
		uint8_t h[32];
		c->hash_set = 0;
		uint16_t sw = vte_hash_tlv(m->data, m->lc, h);
		if (sw != 0x9000)
			return vt_sw(rsp, 0, sw);
		memcpy(c->hash, h, 32);
		c->hash_set = 1;
		return vt_sw(rsp, 0, 0x9000);
	}
	if (op != 0x8086 && op != 0x9E9A)
		return vt_sw(rsp, 0, 0x6A86);
	if (!c->env_set)
		return vt_sw(rsp, 0, 0x6985);
	vte_file *k = key_file(c, c->env_fid, VTE_FT_RSA_PRIV);
	if (!k)
		return vt_sw(rsp, 0, 0x6A88);
	if (!vte_ac_ok(c, k->acl[2]))
		return vt_sw(rsp, 0, 0x6982);
	if (!k->n.v || !k->d.v)
		return vt_sw(rsp, 0, 0x6A88);
	if (op == 0x8086) {
		if (m->lc == 0 || m->lc > k->n.len)
			return vt_sw(rsp, 0, 0x6700);
		if (vte_rsa_raw(&k->n, &k->d, m->data, m->lc, rsp))
			return vt_sw(rsp, 0, 0x6A80);  /* input >= modulus */
		return vt_sw(rsp, k->n.len, 0x9000);
	}
	/* COMPUTE DIGITAL SIGNATURE over the PSO HASH result, or over a
	 * SHA-256 value sent with it */
	uint8_t h[32];
	if (m->lc == 32) {
		memcpy(h, m->data, 32);
	} else if (m->lc == 0 && c->hash_set) {
		memcpy(h, c->hash, 32);
	} else {
		return vt_sw(rsp, 0, m->lc ? 0x6700 : 0x6985);
	}
	c->hash_set = 0;
	return sign_hash(k, h, rsp);
}
