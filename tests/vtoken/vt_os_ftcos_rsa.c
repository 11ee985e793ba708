/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* FTCOS RSA: MANAGE SECURITY ENVIRONMENT, on-card generation, READ PUBLIC
 * KEY (little-endian modulus), CRT / modulus / exponent import through
 * 00 46 P1=factor, and raw RSA for PSO (sign and decipher share the APDU;
 * PKCS#1 padding is the host's job). 2048-bit blocks arrive split: the
 * first 64 bytes in the MSE (tag 89), the remaining 192 in the PSO. */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "vt_der.h"
#include "vt_os_ftcos.h"

size_t ft_mse(ft_card *c, const uint8_t *cmd, size_t lc, const uint8_t *data,
	      uint8_t *rsp)
{
	if ((cmd[2] != 0x01 && cmd[2] != 0x41) || cmd[3] != 0xB8)
		return vt_sw(rsp, 0, 0x6A86);
	int have_key = 0;
	uint8_t kid = 0, usage = 0, prefix[64];
	size_t plen = 0;
	size_t o = 0;
	while (o < lc) {
		if (lc - o < 2 || data[o + 1] > lc - o - 2)
			return vt_sw(rsp, 0, 0x6A80);
		uint8_t tag = data[o], l = data[o + 1];
		const uint8_t *v = data + o + 2;
		switch (tag) {
		case 0x80:              /* algorithm */
			if (l != 1)
				return vt_sw(rsp, 0, 0x6A80);
			break;
		case 0x83:
		case 0x84:              /* key reference: kid, usage */
			if (l != 2)
				return vt_sw(rsp, 0, 0x6A80);
			kid = v[0];
			usage = v[1];
			have_key = 1;
			break;
		case 0x89:              /* first part of a long data block */
			if (l == 0 || l > sizeof prefix)
				return vt_sw(rsp, 0, 0x6A80);
			memcpy(prefix, v, l);
			plen = l;
			break;
		default:
			return vt_sw(rsp, 0, 0x6A80);
		}
		o += 2u + l;
	}
	if (!have_key)
		return vt_sw(rsp, 0, 0x6A80);
	c->env_set = 1;
	c->env_op = cmd[2] == 0x41 ? 2 : 1;
	c->env_kid = kid;
	c->env_usage = usage;
	memcpy(c->prefix, prefix, plen);
	c->prefix_len = plen;
	vt_wipe(prefix, sizeof prefix);
	return vt_sw(rsp, 0, 0x9000);
}

static int put_bn(ft_bn *b, const BIGNUM *x)
{
	int n = BN_num_bytes(x);
	uint8_t *p = malloc(n > 0 ? (size_t)n : 1);
	if (!p)
		return -1;
	BN_bn2bin(x, p);
	if (b->v) {
		vt_wipe(b->v, b->len);
		free(b->v);
	}
	b->v = p;
	b->len = (size_t)n;
	return 0;
}

int ft_rsa_generate(ft_key *priv, ft_key *pub, unsigned bits)
{
	static const char *names[RSA_NCOMP] = {
		OSSL_PKEY_PARAM_RSA_N, OSSL_PKEY_PARAM_RSA_E, OSSL_PKEY_PARAM_RSA_D,
		OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2,
		OSSL_PKEY_PARAM_RSA_EXPONENT1, OSSL_PKEY_PARAM_RSA_EXPONENT2,
		OSSL_PKEY_PARAM_RSA_COEFFICIENT1
	};
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	if (!pk)
		return -1;
	int rc = 0;
	for (int i = 0; i < RSA_NCOMP && !rc; i++) {
		BIGNUM *x = NULL;
		if (!EVP_PKEY_get_bn_param(pk, names[i], &x))
			rc = -1;
		else
			rc = put_bn(&priv->rsa[i], x) ||
			     ((i == RSA_N || i == RSA_E) && put_bn(&pub->rsa[i], x));
		BN_clear_free(x);
	}
	EVP_PKEY_free(pk);
	if (!rc)
		priv->written = pub->written = 1;
	return rc;
}

const ft_bn *ft_rsa_modulus(ft_card *c, uint8_t kid)
{
	ft_key *k = ft_lookup_key(c, FT_USAGE_RSA_PUB, kid);
	if (k && k->rsa[RSA_N].len)
		return &k->rsa[RSA_N];
	k = ft_lookup_key(c, FT_USAGE_RSA_PRIV, kid);
	if (k && k->rsa[RSA_N].len)
		return &k->rsa[RSA_N];
	return NULL;
}

size_t ft_generate_or_import(ft_card *c, const uint8_t *cmd, size_t lc,
			     const uint8_t *data, uint8_t *rsp, int *dirty)
{
	uint8_t p1 = cmd[2];
	if (!c->env_set || c->env_op != 1)
		return vt_sw(rsp, 0, 0x6985);
	if (cmd[3] != 0)
		return vt_sw(rsp, 0, 0x6A86);
	uint8_t kid = c->env_kid;
	ft_key *priv = ft_lookup_key(c, FT_USAGE_RSA_PRIV, kid);
	ft_key *pub = ft_lookup_key(c, FT_USAGE_RSA_PUB, kid);
	if (!priv || !pub)
		return vt_sw(rsp, 0, 0x6A88);
	if (!ft_ac_ok(c, FT_UPDATE_AC(priv)))
		return vt_sw(rsp, 0, 0x6982);
	if (p1 == 0x00) {
		if (lc != 2)
			return vt_sw(rsp, 0, 0x6700);
		unsigned bits = (unsigned)data[0] << 8 | data[1];
		if (bits != 1024 && bits != 2048)
			return vt_sw(rsp, 0, 0x6A80);
		for (int i = 0; i < RSA_NCOMP; i++) {
			ft_bn_set(&priv->rsa[i], NULL, 0, 0);
			ft_bn_set(&pub->rsa[i], NULL, 0, 0);
		}
		if (ft_rsa_generate(priv, pub, bits))
			return vt_sw(rsp, 0, 0x6F00);
		*dirty = 1;
		return vt_sw(rsp, 0, 0x9000);
	}
	if (lc == 0 || lc > 256)
		return vt_sw(rsp, 0, 0x6700);
	int r = 0;
	if (p1 >= 0x01 && p1 <= 0x05) {
		/* p, q, dp, dq, qinv: little-endian */
		static const int idx[] = { RSA_P, RSA_Q, RSA_DP, RSA_DQ, RSA_QINV };
		r = ft_bn_set(&priv->rsa[idx[p1 - 1]], data, lc, 1);
		int all = 1;
		for (int i = 0; i < 5; i++)
			all &= priv->rsa[idx[i]].len > 0;
		if (all)
			priv->written = 1;
	} else if (p1 == 0x0B) {
		/* modulus, big-endian, first bytes from the MSE's tag 89 */
		uint8_t n[512];
		memcpy(n, c->prefix, c->prefix_len);
		memcpy(n + c->prefix_len, data, lc);
		r = ft_bn_set(&pub->rsa[RSA_N], n, c->prefix_len + lc, 0);
		c->prefix_len = 0;
		pub->written = pub->rsa[RSA_E].len > 0;
	} else if (p1 == 0x0D) {
		r = ft_bn_set(&pub->rsa[RSA_E], data, lc, 1) ||
		    ft_bn_set(&priv->rsa[RSA_E], data, lc, 1);
		pub->written = pub->rsa[RSA_N].len > 0;
	} else {
		return vt_sw(rsp, 0, 0x6A86);
	}
	if (r)
		return vt_sw(rsp, 0, 0x6581);
	*dirty = 1;
	return vt_sw(rsp, 0, 0x9000);
}

size_t ft_read_pubkey(ft_card *c, const uint8_t *cmd, uint8_t *rsp)
{
	if (cmd[2] != FT_USAGE_RSA_PUB)
		return vt_sw(rsp, 0, 0x6A86);
	ft_key *k = ft_lookup_key(c, FT_USAGE_RSA_PUB, cmd[3]);
	if (!k)
		return vt_sw(rsp, 0, 0x6A88);
	const ft_bn *n = &k->rsa[RSA_N], *e = &k->rsa[RSA_E];
	if (!n->len || !e->len || e->len > 64 || n->len > 512)
		return vt_sw(rsp, 0, 0x6A88);
	size_t o = 0;
	size_t elen = e->len < 4 ? 4 : e->len;
	rsp[o++] = 0x45;
	rsp[o++] = (uint8_t)elen;
	for (size_t i = 0; i < elen; i++)      /* little-endian, zero-padded */
		rsp[o++] = i < e->len ? e->v[e->len - 1 - i] : 0;
	rsp[o++] = 0x4E;
	o += vt_der_len(rsp + o, n->len);
	for (size_t i = 0; i < n->len; i++)
		rsp[o++] = n->v[n->len - 1 - i];
	return vt_sw(rsp, o, 0x9000);
}

static BIGNUM *bn(const ft_bn *b, int reverse)
{
	if (!b->len)
		return NULL;
	if (!reverse)
		return BN_bin2bn(b->v, (int)b->len, NULL);
	return BN_lebin2bn(b->v, (int)b->len, NULL);
}

/* out = in^d mod n, with CRT when the factors are known. Imported CRT parts
 * are little-endian per the reference; if p*q does not give n we try the
 * other byte order before giving up (the trace cannot show which one). */
static int rsa_raw(const ft_key *priv, const ft_bn *nb, const uint8_t *in,
		   size_t len, uint8_t *out)
{
	BN_CTX *cx = BN_CTX_new();
	BIGNUM *n = bn(nb, 0), *x = BN_bin2bn(in, (int)len, NULL), *y = BN_new();
	int rc = -1;
	if (!cx || !n || !x || !y || BN_cmp(x, n) >= 0)
		goto out;
	BN_set_flags(x, BN_FLG_CONSTTIME);
	if (priv->rsa[RSA_P].len && priv->rsa[RSA_Q].len && priv->rsa[RSA_DP].len &&
	    priv->rsa[RSA_DQ].len && priv->rsa[RSA_QINV].len) {
		for (int rev = 0; rev < 2 && rc; rev++) {
			BIGNUM *p = bn(&priv->rsa[RSA_P], 0), *q = bn(&priv->rsa[RSA_Q], 0);
			BIGNUM *dp = bn(&priv->rsa[RSA_DP], 0), *dq = bn(&priv->rsa[RSA_DQ], 0);
			BIGNUM *qi = bn(&priv->rsa[RSA_QINV], 0);
			BIGNUM *m1 = BN_new(), *m2 = BN_new(), *h = BN_new();
			if (rev) {
				BN_free(p); BN_free(q); BN_free(dp); BN_free(dq); BN_free(qi);
				p = bn(&priv->rsa[RSA_P], 1); q = bn(&priv->rsa[RSA_Q], 1);
				dp = bn(&priv->rsa[RSA_DP], 1); dq = bn(&priv->rsa[RSA_DQ], 1);
				qi = bn(&priv->rsa[RSA_QINV], 1);
			}
			if (p && q && dp && dq && qi && m1 && m2 && h &&
			    BN_mul(h, p, q, cx) && !BN_cmp(h, n)) {
				BN_set_flags(dp, BN_FLG_CONSTTIME);
				BN_set_flags(dq, BN_FLG_CONSTTIME);
				if (BN_mod_exp_mont_consttime(m1, x, dp, p, cx, NULL) &&
				    BN_mod_exp_mont_consttime(m2, x, dq, q, cx, NULL) &&
				    BN_mod_sub(h, m1, m2, p, cx) &&
				    BN_mod_mul(h, h, qi, p, cx) && BN_mul(h, h, q, cx) &&
				    BN_add(y, m2, h))
					rc = 0;
			}
			BN_clear_free(p); BN_clear_free(q); BN_clear_free(dp);
			BN_clear_free(dq); BN_clear_free(qi); BN_clear_free(m1);
			BN_clear_free(m2); BN_clear_free(h);
		}
	} else if (priv->rsa[RSA_D].len) {
		BIGNUM *d = bn(&priv->rsa[RSA_D], 0);
		if (d) {
			BN_set_flags(d, BN_FLG_CONSTTIME);
			if (BN_mod_exp_mont_consttime(y, x, d, n, cx, NULL))
				rc = 0;
		}
		BN_clear_free(d);
	}
	if (!rc && BN_bn2binpad(y, out, (int)nb->len) != (int)nb->len)
		rc = -1;
out:
	BN_clear_free(x);
	BN_clear_free(y);
	BN_free(n);
	BN_CTX_free(cx);
	return rc;
}

size_t ft_pso(ft_card *c, const uint8_t *cmd, size_t lc, const uint8_t *data,
	      uint8_t *rsp)
{
	uint16_t p = (uint16_t)(cmd[2] << 8 | cmd[3]);
	if (p != 0x8680 && p != 0x8086 && p != 0x9E9A)
		return vt_sw(rsp, 0, 0x6A86);
	if (!c->env_set || c->env_op != 2)
		return vt_sw(rsp, 0, 0x6985);
	ft_key *priv = ft_lookup_key(c, FT_USAGE_RSA_PRIV, c->env_kid);
	const ft_bn *n = ft_rsa_modulus(c, c->env_kid);
	size_t plen = c->prefix_len;
	c->prefix_len = 0;
	if (!priv || !priv->written || !n)
		return vt_sw(rsp, 0, 0x6A88);
	if (!ft_ac_ok(c, FT_USE_AC(priv)))
		return vt_sw(rsp, 0, 0x6982);
	if (n->len != 128 && n->len != 256)
		return vt_sw(rsp, 0, 0x6A80);
	if (lc == 0 || plen + lc != n->len)
		return vt_sw(rsp, 0, 0x6700);
	uint8_t in[256];
	memcpy(in, c->prefix, plen);
	memcpy(in + plen, data, lc);
	vt_wipe(c->prefix, sizeof c->prefix);
	int rc = rsa_raw(priv, n, in, n->len, rsp);
	vt_wipe(in, sizeof in);
	if (rc)
		return vt_sw(rsp, 0, 0x6A80);
	return vt_sw(rsp, n->len, 0x9000);
}
