/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ePass2003 command layer end to end against a model card behind the test
 * card's secure messaging (test_epass2003_card.c): files through the cardfs
 * ops (OpenSC's FID hook, chunked reads and writes, FCP of CREATE FILE),
 * PINs (EXTERNAL AUTHENTICATE of a challenge under SHA-1(PIN) || len),
 * raw RSA, SHA-256 finished on the card (the signature checked with
 * OpenSSL against the whole message), key generation, public key, import,
 * logout, and answers of the wrong shape refused.
 */
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA256_CTX: a midstate, and resuming from one */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include "epass2003.h"
#include "test_epass2003_card.h"

/* ------------------------------------------------------------ model */

#define MAXF 24

typedef struct {
	int used;
	uint16_t parent;      /* index + 1 of the parent DF, 0 for the MF */
	uint16_t fid;
	uint8_t type;         /* 38 DF, 01 EF, 02 linear, 11/12 key files */
	uint8_t name[16];
	size_t name_len;
	size_t size, reclen;
	uint8_t data[2048];
	uint8_t fcp[96];      /* the FCP it was created with */
	size_t fcp_len;
} mfile;

typedef struct {
	uint8_t secret[24];
	int tries, max;
	int verified;
} mpin;

static struct {
	mfile f[MAXF];
	int cur_df, cur_ef;   /* indexes, -1 none */
	mpin pin[3];
	uint8_t chal[16];
	size_t chal_len;
	uint8_t mse_p2, mse_alg;
	uint16_t mse_fid;
	uint8_t digest[32];
	int have_digest;
	EVP_PKEY *key;        /* every key file holds this key */
	uint8_t n[256], d[256];
	size_t nlen, dlen;
	int generated;
	uint8_t imported_n[256], imported_d[256];
	size_t imported_nlen, imported_dlen;
	/* override of the next answer to instruction ins */
	int ov_ins;
	uint8_t ov_rsp[600];
	size_t ov_len;
	uint16_t ov_sw;
	unsigned long cmds;
	int e5_df;            /* the current DF when a PIN was written */
} M;

static int add_file(int parent, uint16_t fid, uint8_t type, size_t size)
{
	for (int i = 0; i < MAXF; i++) {
		if (M.f[i].used)
			continue;
		memset(&M.f[i], 0, sizeof(M.f[i]));
		M.f[i].used = 1;
		M.f[i].parent = (uint16_t)(parent + 1);
		M.f[i].fid = fid;
		M.f[i].type = type;
		M.f[i].size = size;
		return i;
	}
	return -1;
}

static int child(int df, uint16_t fid)
{
	for (int i = 0; i < MAXF; i++)
		if (M.f[i].used && M.f[i].parent == df + 1 && M.f[i].fid == fid)
			return i;
	return -1;
}

static void pin_set(int kid, const char *pin, int max)
{
	uint8_t h[20];
	size_t len = strlen(pin);

	SHA1((const uint8_t *)pin, len, h);
	memcpy(M.pin[kid].secret, h, 20);
	memset(M.pin[kid].secret + 20, 0, 4);
	M.pin[kid].secret[23] = (uint8_t)len;
	M.pin[kid].tries = M.pin[kid].max = max;
}

static EVP_PKEY *key1024, *key2048;

static void use_key(EVP_PKEY *k)
{
	BIGNUM *n = NULL, *d = NULL;

	M.key = k;
	EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n);
	EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_D, &d);
	M.nlen = (size_t)BN_num_bytes(n);
	BN_bn2bin(n, M.n);
	M.dlen = (size_t)BN_bn2binpad(d, M.d, (int)M.nlen);
	BN_free(n);
	BN_clear_free(d);
}

static void model_reset(void)
{
	int mf, p15, espk, f;

	memset(&M, 0, sizeof(M));
	M.cur_df = M.cur_ef = -1;
	mf = add_file(-1, 0x3F00, 0x38, 0);
	p15 = add_file(mf, 0x5015, 0x38, 0);
	memcpy(M.f[p15].name, "\xA0\x00\x00\x00\x63PKCS-15", 12);
	M.f[p15].name_len = 12;
	f = add_file(p15, 0x9F00, 0x01, 2);      /* MAXPIN: user 5, SO 4 */
	M.f[f].data[0] = 5;
	M.f[f].data[1] = 4;
	f = add_file(p15, 0x3120, 0x01, 600);    /* OpenSC's 3101, hooked */
	for (int i = 0; i < 600; i++)
		M.f[f].data[i] = (uint8_t)(i * 3 + 1);
	espk = add_file(mf, 0x2003, 0x38, 0);
	memcpy(M.f[espk].name, "ENTERSAFE-ESPK", 14);
	M.f[espk].name_len = 14;
	f = add_file(espk, 0x6F01, 0x02, 90);
	M.f[f].reclen = 30;
	for (int i = 0; i < 90; i++)
		M.f[f].data[i] = (uint8_t)(0x40 + i);
	pin_set(1, "1234", 5);
	pin_set(2, "87654321", 4);
	M.ov_ins = -1;
	use_key(key1024);
}

static size_t fci(int i, uint8_t *out)
{
	mfile *f = &M.f[i];
	size_t n = 2;

	out[n++] = 0x83; out[n++] = 2;
	out[n++] = (uint8_t)(f->fid >> 8); out[n++] = (uint8_t)f->fid;
	out[n++] = 0x82;
	if (f->type == 0x02) {
		out[n++] = 5; out[n++] = 0x02; out[n++] = 0; out[n++] = 0;
		out[n++] = (uint8_t)f->reclen; out[n++] = (uint8_t)(f->size / f->reclen);
	} else {
		out[n++] = 2; out[n++] = f->type; out[n++] = 0;
	}
	if (f->type == 0x38 && f->name_len) {
		out[n++] = 0x84; out[n++] = (uint8_t)f->name_len;
		memcpy(out + n, f->name, f->name_len);
		n += f->name_len;
	} else if (f->type != 0x38) {
		out[n++] = 0x80; out[n++] = 2;
		out[n++] = (uint8_t)(f->size >> 8); out[n++] = (uint8_t)f->size;
	}
	out[n++] = 0x86; out[n++] = 8;
	memcpy(out + n, "\x90\x96\xFF\x96\xFF\xFF\xFF\xFF", 8);
	n += 8;
	out[0] = 0x6F;
	out[1] = (uint8_t)(n - 2);
	return n;
}

static int any_verified(void)
{
	return M.pin[1].verified || M.pin[2].verified;
}

static uint16_t model_pso_hash(const tc_cmd *c)
{
	const uint8_t *d = c->data;
	uint32_t nb;
	SHA256_CTX x;
	uint64_t bits;

	/* 81 04 N 90 20 state 80 n tail, nothing else */
	if (c->lc < 42 || d[0] != 0x81 || d[1] != 4 || d[6] != 0x90 || d[7] != 0x20 ||
	    d[40] != 0x80 || d[41] >= 64 || (size_t)d[41] + 42 != c->lc)
		return 0x6A80;
	nb = (uint32_t)d[2] << 24 | (uint32_t)d[3] << 16 | (uint32_t)d[4] << 8 | d[5];
	SHA256_Init(&x);
	for (int i = 0; i < 8; i++)
		x.h[i] = (uint32_t)d[8 + 4 * i] << 24 | (uint32_t)d[9 + 4 * i] << 16 |
			 (uint32_t)d[10 + 4 * i] << 8 | d[11 + 4 * i];
	bits = (uint64_t)nb * 512;
	x.Nl = (SHA_LONG)bits;
	x.Nh = (SHA_LONG)(bits >> 32);
	x.num = 0;
	SHA256_Update(&x, d + 42, d[41]);
	SHA256_Final(M.digest, &x);
	M.have_digest = 1;
	return 0x9000;
}

static uint16_t model_sign(uint8_t *rsp, size_t *rlen)
{
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(M.key, NULL);
	size_t sl = 600;

	if (!M.have_digest || M.mse_p2 != 0xB6)
		return 0x6985;
	if (!pc || EVP_PKEY_sign_init(pc) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(pc, EVP_sha256()) != 1 ||
	    EVP_PKEY_sign(pc, rsp, &sl, M.digest, 32) != 1)
		sl = 0;
	EVP_PKEY_CTX_free(pc);
	M.have_digest = 0;
	*rlen = sl;
	return sl ? 0x9000 : 0x6F00;
}

static uint16_t model_raw(const tc_cmd *c, uint8_t *rsp, size_t *rlen)
{
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(M.key, NULL);
	size_t ol = 600;

	if (M.mse_p2 != 0xB8 || c->lc != M.nlen)
		return 0x6985;
	if (!pc || EVP_PKEY_decrypt_init(pc) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pc, RSA_NO_PADDING) != 1 ||
	    EVP_PKEY_decrypt(pc, rsp, &ol, c->data, c->lc) != 1)
		ol = 0;
	EVP_PKEY_CTX_free(pc);
	*rlen = ol;
	return ol ? 0x9000 : 0x6F00;
}

static uint16_t model_create(const tc_cmd *c)
{
	const uint8_t *p = c->data;
	size_t n = c->lc, i = 2;
	uint16_t fid = 0;
	uint8_t type = 0;
	size_t size = 0, reclen = 0, nrec = 0;
	int f;

	if (n < 2 || p[0] != 0x62 || (size_t)p[1] + 2 != n || M.cur_df < 0)
		return 0x6A80;
	while (i + 2 <= n) {
		uint8_t t = p[i], l = p[i + 1];
		const uint8_t *v = p + i + 2;

		if (i + 2 + l > n)
			return 0x6A80;
		if (t == 0x83 && l == 2)
			fid = (uint16_t)(v[0] << 8 | v[1]);
		else if (t == 0x82) {
			type = v[0];
			if (l >= 5) {
				reclen = (size_t)v[2] << 8 | v[3];
				nrec = v[4];
			}
		}
		else if ((t == 0x80 || t == 0x85) && l == 2)
			size = (size_t)v[0] << 8 | v[1];
		i += 2u + l;
	}
	if (!fid || !type)
		return 0x6A80;
	if (child(M.cur_df, fid) >= 0)
		return 0x6A89;
	f = add_file(M.cur_df, fid, type, type == 0x02 ? reclen * nrec : size);
	if (f < 0)
		return 0x6A84;
	M.f[f].reclen = reclen;
	memcpy(M.f[f].fcp, p, n);
	M.f[f].fcp_len = n;
	if (type == 0x38)
		M.cur_df = f, M.cur_ef = -1;
	else
		M.cur_ef = f;
	return 0x9000;
}

static void model(tc_card *t, const tc_cmd *c, uint8_t *rsp, size_t cap,
		  size_t *rlen, uint16_t *sw)
{
	int f;

	(void)t;
	(void)cap;
	*rlen = 0;
	*sw = 0x9000;
	M.cmds++;
	if (M.ov_ins == c->ins) {
		memcpy(rsp, M.ov_rsp, M.ov_len);
		*rlen = M.ov_len;
		*sw = M.ov_sw;
		M.ov_ins = -1;
		return;
	}
	switch (c->ins) {
	case 0xA4:
		if (c->p1 == 0x04) {
			for (f = 0; f < MAXF; f++)
				if (M.f[f].used && M.f[f].type == 0x38 &&
				    M.f[f].name_len == c->lc &&
				    !memcmp(M.f[f].name, c->data, c->lc))
					break;
			if (f == MAXF) {
				*sw = 0x6A82;
				return;
			}
		} else {
			uint16_t fid;

			if (c->lc != 2) {
				*sw = 0x6700;
				return;
			}
			fid = (uint16_t)(c->data[0] << 8 | c->data[1]);
			f = fid == 0x3F00 ? 0 : (M.cur_df >= 0 ? child(M.cur_df, fid) : -1);
			if (f < 0 || (M.f[f].type == 0x11)) {
				*sw = 0x6A82;
				return;
			}
		}
		if (M.f[f].type == 0x38) {
			M.cur_df = f;
			M.cur_ef = -1;
		} else {
			M.cur_ef = f;
		}
		if (c->le)
			*rlen = fci(f, rsp);
		return;
	case 0xB0: {
		size_t off = (size_t)c->p1 << 8 | c->p2, n = c->le;

		if (M.cur_ef < 0) {
			*sw = 0x6986;
			return;
		}
		if (off > M.f[M.cur_ef].size) {
			*sw = 0x6B00;
			return;
		}
		if (off + n > M.f[M.cur_ef].size) {
			n = M.f[M.cur_ef].size - off;
			*sw = 0x6282;
		}
		memcpy(rsp, M.f[M.cur_ef].data + off, n);
		*rlen = n;
		return;
	}
	case 0xD6: {
		size_t off = (size_t)c->p1 << 8 | c->p2;

		if (M.cur_ef < 0 || off + c->lc > M.f[M.cur_ef].size) {
			*sw = 0x6A84;
			return;
		}
		memcpy(M.f[M.cur_ef].data + off, c->data, c->lc);
		return;
	}
	case 0xB2: {
		mfile *e = M.cur_ef >= 0 ? &M.f[M.cur_ef] : NULL;

		if (!e || !e->reclen || c->p2 != 0x04) {
			*sw = 0x6981;
			return;
		}
		if (c->p1 < 1 || (size_t)c->p1 * e->reclen > e->size) {
			*sw = 0x6A83;
			return;
		}
		memcpy(rsp, e->data + (c->p1 - 1) * e->reclen, e->reclen);
		*rlen = e->reclen;
		return;
	}
	case 0xE0:
		*sw = model_create(c);
		return;
	case 0xE4: {
		uint16_t fid = c->lc == 2 ? (uint16_t)(c->data[0] << 8 | c->data[1]) : 0;

		f = M.cur_df >= 0 ? child(M.cur_df, fid) : -1;
		if (f < 0) {
			*sw = 0x6A82;
			return;
		}
		M.f[f].used = 0;
		if (M.cur_ef == f)
			M.cur_ef = -1;
		return;
	}
	case 0x84:
		M.chal_len = c->le;
		for (size_t i = 0; i < c->le; i++)
			M.chal[i] = rsp[i] = (uint8_t)(0x5A ^ (i * 17) ^ M.cmds);
		*rlen = c->le;
		return;
	case 0xCA:
		if (c->p2 == 0x80) {
			memcpy(rsp, "\x2E\x6F\x45\x50\x00\x1A\x00\x28", 8);
			*rlen = 8;
		} else {
			*sw = 0x6A88;
		}
		return;
	case 0x82: {
		int kid = c->p2 & 0x7F;
		mpin *p;

		if (c->p1 != 0x01 || !(c->p2 & 0x80) || kid < 1 || kid > 2) {
			*sw = 0x6A86;
			return;
		}
		p = &M.pin[kid];
		if (c->lc == 0) {
			*sw = (uint16_t)(0x63C0 | p->tries);
			return;
		}
		if (p->tries == 0) {
			*sw = 0x6983;
			return;
		}
		if (c->lc != 8 || M.chal_len < 8) {
			*sw = 0x6985;
			return;
		}
		{
			uint8_t want[8];

			{
				EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
				int l1 = 0, l2 = 0;

				EVP_EncryptInit_ex(x, EVP_des_ede3_ecb(), NULL, p->secret, NULL);
				EVP_CIPHER_CTX_set_padding(x, 0);
				EVP_EncryptUpdate(x, want, &l1, M.chal, 8);
				EVP_EncryptFinal_ex(x, want + l1, &l2);
				EVP_CIPHER_CTX_free(x);
			}
			M.chal_len = 0;
			if (memcmp(want, c->data, 8)) {
				p->tries--;
				*sw = p->tries ? (uint16_t)(0x63C0 | p->tries) : 0x6983;
				return;
			}
		}
		p->tries = p->max;
		p->verified = 1;
		return;
	}
	case 0xE5: {
		int kid = c->p2;

		if (c->p1 != 0x04 || kid < 1 || kid > 2 || c->lc != 25) {
			*sw = 0x6A80;
			return;
		}
		if (!M.pin[kid].verified && !M.pin[2].verified) {
			*sw = 0x6982;
			return;
		}
		M.e5_df = M.cur_df;
		memcpy(M.pin[kid].secret, c->data + 1, 24);
		M.pin[kid].max = c->data[0] & 0x0F;
		M.pin[kid].tries = c->data[0] >> 4;
		return;
	}
	case 0x22:
		if (c->p1 != 0x41 || c->lc != 7 || c->data[0] != 0x80 || c->data[1] != 1 ||
		    c->data[3] != 0x81 || c->data[4] != 2) {
			*sw = 0x6A80;
			return;
		}
		M.mse_p2 = c->p2;
		M.mse_alg = c->data[2];
		M.mse_fid = (uint16_t)(c->data[5] << 8 | c->data[6]);
		return;
	case 0x2A:
		if (!any_verified()) {
			*sw = 0x6982;
			return;
		}
		if (c->p1 == 0x90 && c->p2 == 0xA0)
			*sw = model_pso_hash(c);
		else if (c->p1 == 0x9E && c->p2 == 0x9A)
			*sw = model_sign(rsp, rlen);
		else if (c->p1 == 0x80 && c->p2 == 0x86)
			*sw = model_raw(c, rsp, rlen);
		else
			*sw = 0x6A86;
		return;
	case 0x46: {
		uint16_t prv, pub;

		if (c->lc != 7 || c->data[0] != 0x01) {
			*sw = 0x6A80;
			return;
		}
		prv = (uint16_t)(c->data[3] << 8 | c->data[4]);
		pub = (uint16_t)(c->data[5] << 8 | c->data[6]);
		if (child(M.cur_df, prv) < 0 || child(M.cur_df, pub) < 0) {
			*sw = 0x6A82;
			return;
		}
		use_key(((size_t)c->data[1] << 8 | c->data[2]) == 2048 ? key2048 : key1024);
		M.generated++;
		return;
	}
	case 0xB4:
		if (c->cla != 0x80 || c->p1 != 0x02 || c->lc != 2) {
			*sw = 0x6A86;
			return;
		}
		memcpy(rsp, M.n, M.nlen);
		*rlen = M.nlen;
		return;
	case 0xE7:
		if (c->cla != 0x80 || c->lc < 3) {
			*sw = 0x6A80;
			return;
		}
		if (c->p1 == 0x02) {
			M.imported_nlen = c->lc - 2;
			memcpy(M.imported_n, c->data + 2, c->lc - 2);
		} else if (c->p1 == 0x03) {
			M.imported_dlen = c->lc - 2;
			memcpy(M.imported_d, c->data + 2, c->lc - 2);
		} else {
			*sw = 0x6A86;
		}
		return;
	default:
		*sw = 0x6D00;
		return;
	}
}

/* ------------------------------------------------------------ fixture */

static tc_card card;
static ukey_chan chan;
static epass2003_ctx ctx;

static void setup_kind(int kind, int ext)
{
	ukey_chan_opts o;

	model_reset();
	tc_init(&card, kind, NULL, NULL, model);
	memset(&o, 0, sizeof(o));
	o.extended_ok = ext;
	ukey_chan_init(&chan, tc_xfer, &card, &o);
	ck_assert_int_eq(epass2003_ctx_init(&ctx, &chan, NULL), UKEY_OK);
}

static void setup(void)
{
	setup_kind(TC_FIPS, 0);
}

static void done(void)
{
	ck_assert_msg(!card.failed, "%s", card.err);
	epass2003_ctx_wipe(&ctx);
}

static void override(int ins, const char *hexrsp, uint16_t sw)
{
	unsigned v;
	const char *s = hexrsp;

	M.ov_ins = ins;
	M.ov_len = 0;
	while (s && *s) {
		if (*s == ' ') {
			s++;
			continue;
		}
		sscanf(s, "%2x", &v);
		M.ov_rsp[M.ov_len++] = (uint8_t)v;
		s += 2;
	}
	M.ov_sw = sw;
}

/* --------------------------------------------------------------- files */

START_TEST(test_fs_read_hooked)
{
	static const uint8_t path[6] = { 0x3F, 0x00, 0x50, 0x15, 0x31, 0x01 };
	static const uint8_t maxp[6] = { 0x3F, 0x00, 0x50, 0x15, 0x9F, 0x00 };
	const ukey_cardfs_ops *ops = &epass2003_cardfs_ops;
	ukey_fs_file f;
	uint8_t buf[700];
	size_t got = 0;
	unsigned long n0;

	setup();
	ck_assert_str_eq(ops->name, "epass2003");
	ck_assert_int_eq(ops->select_path(&ctx, path, 6, &f), UKEY_OK);
	ck_assert_uint_eq(f.fid, 0x3101);      /* the layout's FID back */
	ck_assert_uint_eq(M.f[M.cur_ef].fid, 0x3120); /* the card's */
	ck_assert_uint_eq(f.size, 600);
	ck_assert_int_eq(f.is_df, 0);
	ck_assert_int_eq(f.ac_read, UKEY_AC_ALWAYS);
	ck_assert_int_eq(f.ac_update, UKEY_AC_USER);
	/* GET DATA, INITIALIZE UPDATE, EXTERNAL AUTHENTICATE, 3 SELECTs */
	ck_assert_uint_eq(card.apdus, 6);
	ck_assert_int_eq(ops->read(&ctx, 0, buf, sizeof(buf), &got), UKEY_OK);
	ck_assert_uint_eq(got, 600);
	for (int i = 0; i < 600; i++)
		ck_assert_uint_eq(buf[i], (uint8_t)(i * 3 + 1));
	ck_assert_uint_eq(card.apdus, 6 + 3); /* 216 + 216 + 168 */
	n0 = card.apdus;
	ck_assert_int_eq(ops->select_path(&ctx, path, 6, NULL), UKEY_OK);
	ck_assert_uint_eq(card.apdus, n0); /* already selected */
	ck_assert_int_eq(ops->select_path(&ctx, maxp, 6, &f), UKEY_OK);
	ck_assert_uint_eq(card.apdus, n0 + 1); /* only the EF */
	ck_assert_int_eq(ops->read(&ctx, 1, buf, 5, &got), UKEY_OK);
	ck_assert_uint_eq(got, 1);
	ck_assert_uint_eq(buf[0], 4);
	/* a missing file */
	{
		static const uint8_t nope[6] = { 0x3F, 0x00, 0x50, 0x15, 0x44, 0x44 };

		ck_assert_int_eq(ops->select_path(&ctx, nope, 6, &f),
				 UKEY_E_SW_FILE_NOT_FOUND);
		ck_assert_int_eq(ops->select_path(&ctx, nope, 5, &f), UKEY_E_ARGS);
	}
	done();
}
END_TEST

START_TEST(test_fs_update_create_delete)
{
	static const uint8_t p15[4] = { 0x3F, 0x00, 0x50, 0x15 };
	static const uint8_t cert[6] = { 0x3F, 0x00, 0x50, 0x15, 0x31, 0x01 };
	static const uint8_t newp[6] = { 0x3F, 0x00, 0x50, 0x15, 0x31, 0x02 };
	const ukey_cardfs_ops *ops = &epass2003_cardfs_ops;
	uint8_t data[300], back[300];
	ukey_fs_file spec, f;
	size_t got;
	int i;

	setup_kind(TC_DES, 0);
	for (i = 0; i < 300; i++)
		data[i] = (uint8_t)(255 - i);
	ck_assert_int_eq(ops->select_path(&ctx, cert, 6, NULL), UKEY_OK);
	unsigned long n0 = card.apdus;
	ck_assert_int_eq(ops->update(&ctx, 10, data, 300), UKEY_OK);
	ck_assert_uint_eq(card.apdus, n0 + 2); /* 232 + 68 */
	ck_assert_mem_eq(M.f[M.cur_ef].data + 10, data, 300);
	ck_assert_int_eq(ops->read(&ctx, 10, back, 300, &got), UKEY_OK);
	ck_assert_mem_eq(back, data, 300);

	/* CREATE FILE 3102 (the card's 3140) in 5015 */
	ck_assert_int_eq(ops->select_path(&ctx, p15, 4, NULL), UKEY_OK);
	memset(&spec, 0, sizeof(spec));
	spec.fid = 0x3102;
	spec.size = 100;
	spec.ac_read = UKEY_AC_ALWAYS;
	spec.ac_update = UKEY_AC_USER;
	spec.ac_delete = UKEY_AC_SO;
	ck_assert_int_eq(ops->create_ef(&ctx, &spec), UKEY_OK);
	{
		static const uint8_t want[] = { 0x62, 0x16, 0x80, 0x02, 0x00, 0x64, 0x82,
						0x02, 0x01, 0x00, 0x83, 0x02, 0x31, 0x40,
						0x86, 0x08, 0x90, 0x96, 0xFF, 0x96, 0xFF,
						0xFF, 0xFF, 0xFF };

		ck_assert_uint_eq(M.f[M.cur_ef].fcp_len, sizeof(want));
		ck_assert_mem_eq(M.f[M.cur_ef].fcp, want, sizeof(want));
	}
	/* the new file is current: written without a SELECT */
	n0 = card.apdus;
	ck_assert_int_eq(ops->update(&ctx, 0, data, 100), UKEY_OK);
	ck_assert_uint_eq(card.apdus, n0 + 1);
	ck_assert_int_eq(ops->create_ef(&ctx, &spec), UKEY_E_SW_FILE_EXISTS);
	spec.ac_read = UKEY_AC_UNKNOWN;
	ck_assert_int_eq(ops->create_ef(&ctx, &spec), UKEY_E_ARGS);
	/* record files are not the cardfs' (transparent EFs only) ... */
	memset(&spec, 0, sizeof(spec));
	spec.fid = 0x6F02;
	spec.size = 90;
	spec.record_len = 30;
	ck_assert_int_eq(ops->create_ef(&ctx, &spec), UKEY_E_ARGS);
	/* ... but the card OS makes them */
	{
		epass2003_fci rf;

		memset(&rf, 0, sizeof(rf));
		rf.fid = 0x6F02;
		rf.type = EPASS2003_FT_LINEAR;
		rf.record_len = 30;
		rf.records = 3;
		ck_assert_int_eq(epass2003_create_file(&ctx, &rf), UKEY_OK);
		ck_assert_uint_eq(M.f[M.cur_ef].fcp[2], 0x82);
		ck_assert_uint_eq(M.f[M.cur_ef].fcp[3], 0x05);
		ck_assert_uint_eq(M.f[M.cur_ef].fcp[4], 0x02);
		ck_assert_uint_eq(M.f[M.cur_ef].fcp[7], 30);
		ck_assert_uint_eq(M.f[M.cur_ef].fcp[8], 3);
		ck_assert_uint_eq(M.f[M.cur_ef].size, 90);
	}

	ck_assert_int_eq(ops->delete_file(&ctx, newp, 6), UKEY_OK);
	ck_assert_int_eq(card.last.ins, 0xE4);
	ck_assert_uint_eq(card.last.data[0], 0x31);
	ck_assert_uint_eq(card.last.data[1], 0x40);
	ck_assert_int_eq(ops->select_path(&ctx, newp, 6, &f), UKEY_E_SW_FILE_NOT_FOUND);
	ck_assert_int_eq(ops->delete_file(&ctx, newp, 6), UKEY_E_SW_FILE_NOT_FOUND);
	ck_assert_int_eq(ops->delete_file(&ctx, p15, 2), UKEY_E_ARGS);
	done();
}
END_TEST

START_TEST(test_fs_aid_and_records)
{
	static const uint8_t idx[6] = { 0x3F, 0x00, 0x20, 0x03, 0x6F, 0x01 };
	const ukey_cardfs_ops *ops = &epass2003_cardfs_ops;
	ukey_fs_file f;
	uint8_t rec[64];
	size_t got = 0;

	static const uint8_t df[4] = { 0x3F, 0x00, 0x20, 0x03 };
	static const uint8_t elsewhere[4] = { 0x3F, 0x00, 0x20, 0x04 };
	unsigned long n0;

	setup_kind(TC_AES, 0);
	ck_assert_int_eq(ops->select_aid(&ctx, (const uint8_t *)"ENTERSAFE-ESPK", 14,
					 df, 4, &f), UKEY_OK);
	ck_assert_int_eq(f.is_df, 1);
	ck_assert_uint_eq(f.fid, 0x2003);
	ck_assert_uint_eq(f.name_len, 14);
	/* the DF is where the layout expected it: one SELECT for the index */
	n0 = card.apdus;
	ck_assert_int_eq(ops->select_path(&ctx, idx, 6, &f), UKEY_OK);
	ck_assert_uint_eq(card.apdus, n0 + 1);
	ck_assert_int_eq(f.record_len, 30);
	ck_assert_int_eq(epass2003_read_record(&ctx, 2, rec, 30, &got), UKEY_OK);
	ck_assert_uint_eq(got, 30);
	ck_assert_uint_eq(rec[0], 0x40 + 30);
	ck_assert_int_eq(epass2003_read_record(&ctx, 4, rec, 30, &got),
			 UKEY_E_SW_REF_NOT_FOUND);
	/* the card names another FID than the layout's path: DF unknown */
	ck_assert_int_eq(ops->select_aid(&ctx, (const uint8_t *)"ENTERSAFE-ESPK", 14,
					 elsewhere, 4, &f), UKEY_OK);
	ck_assert_int_eq(ctx.df_known, 0);
	ck_assert_int_eq(ops->select_aid(&ctx, (const uint8_t *)"NOPE", 4, NULL, 0, &f),
			 UKEY_E_SW_FILE_NOT_FOUND);
	done();
}
END_TEST

/* ---------------------------------------------------------------- PINs */

START_TEST(test_pins)
{
	int tries = 99;
	unsigned max = 0;

	setup();
	ck_assert_int_eq(epass2003_pin_tries(&ctx, 1, &tries), UKEY_OK);
	ck_assert_int_eq(tries, 5);
	ck_assert_int_eq(epass2003_verify_pin(&ctx, 1, (const uint8_t *)"1111", 4, &tries),
			 UKEY_E_SW_WRONG_PIN);
	ck_assert_int_eq(tries, 4);
	ck_assert_int_eq(epass2003_verify_pin(&ctx, 1, (const uint8_t *)"1234", 4, &tries),
			 UKEY_OK);
	ck_assert_int_eq(epass2003_pin_tries(&ctx, 1, &tries), UKEY_OK);
	ck_assert_int_eq(tries, 5);
	/* the maximum from the MAXPIN file: user 5, SO 4 */
	ck_assert_int_eq(epass2003_pin_max_tries(&ctx, 1, &max), UKEY_OK);
	ck_assert_uint_eq(max, 5);
	ck_assert_int_eq(epass2003_pin_max_tries(&ctx, 2, &max), UKEY_OK);
	ck_assert_uint_eq(max, 4);
	/* change: the card gets SHA-1(new) || len and the counter 55 */
	ck_assert_int_eq(epass2003_change_pin(&ctx, 1, (const uint8_t *)"1234", 4,
					      (const uint8_t *)"99887766", 8), UKEY_OK);
	ck_assert_uint_eq(card.last.ins, 0xE5);
	ck_assert_uint_eq(card.last.data[0], 0x55);
	ck_assert_int_eq(epass2003_verify_pin(&ctx, 1, (const uint8_t *)"99887766", 8,
					      &tries), UKEY_OK);
	/* block it */
	for (int i = 4; i > 0; i--) {
		ck_assert_int_eq(epass2003_verify_pin(&ctx, 1, (const uint8_t *)"0000", 4,
						      &tries), UKEY_E_SW_WRONG_PIN);
		ck_assert_int_eq(tries, i);
	}
	ck_assert_int_eq(epass2003_verify_pin(&ctx, 1, (const uint8_t *)"0000", 4, &tries),
			 UKEY_E_SW_PIN_BLOCKED);
	ck_assert_int_eq(tries, 0);
	ck_assert_int_eq(epass2003_verify_pin(&ctx, 1, (const uint8_t *)"99887766", 8,
					      &tries), UKEY_E_SW_PIN_BLOCKED);
	ck_assert_int_eq(epass2003_pin_tries(&ctx, 1, &tries), UKEY_OK);
	ck_assert_int_eq(tries, 0);
	/* unblock with the SO PIN */
	ck_assert_int_eq(epass2003_unblock_pin(&ctx, (const uint8_t *)"bad", 3,
					       (const uint8_t *)"4321", 4),
			 UKEY_E_SW_WRONG_PIN);
	ck_assert_int_eq(epass2003_unblock_pin(&ctx, (const uint8_t *)"87654321", 8,
					       (const uint8_t *)"4321", 4), UKEY_OK);
	ck_assert_int_eq(epass2003_verify_pin(&ctx, 1, (const uint8_t *)"4321", 4, &tries),
			 UKEY_OK);
	ck_assert_int_eq(epass2003_pin_tries(&ctx, 1, &tries), UKEY_OK);
	ck_assert_int_eq(tries, 5);
	/* the cardfs' set_pin (C_InitPIN): the SO PIN is verified */
	ck_assert_int_eq(epass2003_cardfs_ops.set_pin(&ctx, 1, (const uint8_t *)"2468", 4),
			 UKEY_OK);
	ck_assert_int_eq(epass2003_verify_pin(&ctx, 1, (const uint8_t *)"2468", 4, &tries),
			 UKEY_OK);
	ck_assert_uint_eq(epass2003_cardfs_ops.pin_ref_user, 1);
	ck_assert_uint_eq(epass2003_cardfs_ops.pin_ref_so, 2);
	/* a PIN of another DF: the MAXPIN file (in 5015) is read, and the
	 * PIN written with that DF current again */
	{
		static const uint8_t espk[4] = { 0x3F, 0x00, 0x20, 0x03 };

		ctx.maxpin_known = 0;
		ck_assert_int_eq(epass2003_select_path(&ctx, espk, 4, NULL), UKEY_OK);
		ck_assert_int_eq(epass2003_set_pin(&ctx, 1, (const uint8_t *)"1357", 4),
				 UKEY_OK);
		ck_assert_str_eq((const char *)M.f[M.e5_df].name, "ENTERSAFE-ESPK");
		ck_assert_uint_eq(card.last.data[0], 0x55);
	}
	/* arguments */
	ck_assert_int_eq(epass2003_verify_pin(&ctx, 1, (const uint8_t *)"", 0, &tries),
			 UKEY_E_ARGS);
	ck_assert_int_eq(epass2003_verify_pin(&ctx, 0, (const uint8_t *)"1", 1, &tries),
			 UKEY_E_ARGS);
	done();
}
END_TEST

START_TEST(test_pin_answers_refused)
{
	int tries;
	unsigned max;

	setup_kind(TC_AES, 0);
	override(0x82, NULL, 0x9000);
	ck_assert_int_eq(epass2003_pin_tries(&ctx, 1, &tries), UKEY_E_MALFORMED);
	override(0x82, "01", 0x9000);
	ck_assert_int_eq(epass2003_verify_pin(&ctx, 1, (const uint8_t *)"1234", 4, &tries),
			 UKEY_E_MALFORMED);
	override(0x84, "0102030405", 0x9000); /* short challenge */
	ck_assert_int_eq(epass2003_verify_pin(&ctx, 1, (const uint8_t *)"1234", 4, &tries),
			 UKEY_E_MALFORMED);
	override(0x82, NULL, 0x6983);
	ck_assert_int_eq(epass2003_verify_pin(&ctx, 1, (const uint8_t *)"1234", 4, &tries),
			 UKEY_E_SW_PIN_BLOCKED);
	/* no MAXPIN file: the profile's default (6) */
	{
		static const uint8_t none[4] = { 0x3F, 0x00, 0x77, 0x77 };

		memcpy(ctx.maxpin_path, none, 4);
		ctx.maxpin_path_len = 4;
		ctx.maxpin_known = 0;
		ck_assert_int_eq(epass2003_pin_max_tries(&ctx, 1, &max), UKEY_OK);
		ck_assert_uint_eq(max, 6);
	}
	done();
}
END_TEST

/* ------------------------------------------------------------- signing */

static int verify_sig(EVP_PKEY *k, const uint8_t *msg, size_t len,
		      const uint8_t *sig, size_t slen)
{
	EVP_MD_CTX *x = EVP_MD_CTX_new();
	int ok = x && EVP_DigestVerifyInit(x, NULL, EVP_sha256(), NULL, k) == 1 &&
		 EVP_DigestVerify(x, sig, slen, msg, len) == 1;

	EVP_MD_CTX_free(x);
	return ok;
}

/* Sign msg as the driver does (sign_sha256_state): the host hashes the
 * whole 64-byte blocks, the card the rest. The midstate is OpenSSL's own
 * (SHA256_CTX's h[] after whole blocks), as model_pso_hash resumes from it;
 * the signature is still checked against the whole message's SHA-256. */
static ukey_rv sign_msg(uint16_t prv, const uint8_t *msg, size_t len,
			uint8_t *sig, size_t siglen)
{
	size_t nb = len / 64;
	uint8_t st[32];
	SHA256_CTX x;

	SHA256_Init(&x);
	if (nb)
		SHA256_Update(&x, msg, 64 * nb);
	for (int i = 0; i < 8; i++) {
		st[4 * i] = (uint8_t)(x.h[i] >> 24);
		st[4 * i + 1] = (uint8_t)(x.h[i] >> 16);
		st[4 * i + 2] = (uint8_t)(x.h[i] >> 8);
		st[4 * i + 3] = (uint8_t)x.h[i];
	}
	return epass2003_sign_sha256_state(&ctx, prv, st, nb, msg + 64 * nb,
					   len % 64, sig, siglen);
}

START_TEST(test_sign_on_card_hash)
{
	static uint8_t msg[3000];
	uint8_t sig[256];

	setup();
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7 + 3);
	/* the key needs the PIN */
	ck_assert_int_eq(sign_msg(0xA020, msg, 10, sig, 128),
			 UKEY_E_SW_SECURITY);
	ck_assert_int_eq(epass2003_verify_pin(&ctx, 1, (const uint8_t *)"1234", 4, NULL),
			 UKEY_OK);
	static const size_t lens[] = { 0, 1, 55, 56, 63, 64, 65, 127, 128, 1000, 2613, 3000 };
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		memset(sig, 0, sizeof(sig));
		ck_assert_int_eq(sign_msg(0xA020, msg, lens[i], sig, 128),
				 UKEY_OK);
		ck_assert_msg(verify_sig(key1024, msg, lens[i], sig, 128),
			      "signature of %zu bytes does not verify", lens[i]);
		ck_assert_uint_eq(M.mse_p2, 0xB6);
		ck_assert_uint_eq(M.mse_alg, 0x82);
		ck_assert_uint_eq(M.mse_fid, 0xA020);
	}
	/* a signature of the wrong length */
	override(0x2A, "0102", 0x9000);
	ck_assert_int_eq(epass2003_pso_cds(&ctx, sig, 128), UKEY_E_MALFORMED);
	done();
}
END_TEST

/* sign_sha256_state refuses bad arguments before any APDU */
START_TEST(test_sign_state_args)
{
	static uint8_t st[32], tail[64], sig[256];
	static const struct {
		int no_ctx, no_state, no_tail, no_out;
		uint64_t nblocks;
		size_t tail_len, siglen;
	} bad[] = {
		{ 1, 0, 0, 0, 1, 3, 128 },
		{ 0, 1, 0, 0, 1, 3, 128 },
		{ 0, 0, 1, 0, 1, 3, 128 }, /* no tail, yet 3 bytes of it */
		{ 0, 0, 0, 1, 1, 3, 128 },
		/* a signature is a modulus long: 64..256 bytes, 4 | length */
		{ 0, 0, 0, 0, 1, 3, 130 },
		{ 0, 0, 0, 0, 1, 3, 60 },
		/* the tail is less than a block, the block counter 32 bits */
		{ 0, 0, 0, 0, 1, 64, 128 },
		{ 0, 0, 0, 0, (uint64_t)1 << 32, 3, 128 },
	};
	unsigned long n0;

	setup();
	n0 = card.apdus;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ukey_rv rv = epass2003_sign_sha256_state(
			bad[i].no_ctx ? NULL : &ctx, 0xA020,
			bad[i].no_state ? NULL : st, bad[i].nblocks,
			bad[i].no_tail ? NULL : tail, bad[i].tail_len,
			bad[i].no_out ? NULL : sig, bad[i].siglen);

		ck_assert_msg(rv == UKEY_E_ARGS, "case %zu: rv %d", i, (int)rv);
	}
	ck_assert_uint_eq(card.apdus, n0);
	done();
}
END_TEST

START_TEST(test_sign_2048_extended)
{
	static const uint8_t msg[] = "ePass2003 signs a 2048-bit signature";
	uint8_t sig[256];

	setup_kind(TC_DES, 1);
	use_key(key2048);
	ck_assert_int_eq(epass2003_verify_pin(&ctx, 1, (const uint8_t *)"1234", 4, NULL),
			 UKEY_OK);
	ck_assert_int_eq(sign_msg(0x2900, msg, sizeof(msg), sig, 256),
			 UKEY_OK);
	ck_assert(verify_sig(key2048, msg, sizeof(msg), sig, 256));
	done();
}
END_TEST

START_TEST(test_raw_rsa)
{
	uint8_t in[128], out[128], back[128];
	size_t olen = 0, blen = 128;
	EVP_PKEY_CTX *pc;

	setup_kind(TC_AES, 0);
	memset(in, 0x33, sizeof(in));
	in[0] = 0x00;
	ck_assert_int_eq(epass2003_verify_pin(&ctx, 1, (const uint8_t *)"1234", 4, NULL),
			 UKEY_OK);
	ck_assert_int_eq(epass2003_rsa_raw(&ctx, 0x2900, in, 128, out, &olen), UKEY_OK);
	ck_assert_uint_eq(olen, 128);
	ck_assert_uint_eq(M.mse_p2, 0xB8);
	ck_assert_uint_eq(M.mse_alg, 0x84);
	pc = EVP_PKEY_CTX_new(key1024, NULL);
	ck_assert(EVP_PKEY_encrypt_init(pc) == 1);
	ck_assert(EVP_PKEY_CTX_set_rsa_padding(pc, RSA_NO_PADDING) == 1);
	ck_assert(EVP_PKEY_encrypt(pc, back, &blen, out, 128) == 1);
	EVP_PKEY_CTX_free(pc);
	ck_assert_mem_eq(back, in, 128);
	ck_assert_int_eq(epass2003_rsa_raw(&ctx, 0x2900, in, 101, out, &olen), UKEY_E_ARGS);
	override(0x2A, "00", 0x9000);
	ck_assert_int_eq(epass2003_rsa_raw(&ctx, 0x2900, in, 128, out, &olen),
			 UKEY_E_MALFORMED);
	done();
}
END_TEST

/* ----------------------------------------------------- key generation */

START_TEST(test_keygen_and_pubkey)
{
	static const uint8_t p15[4] = { 0x3F, 0x00, 0x50, 0x15 };
	const ukey_cardfs_ops *ops = &epass2003_cardfs_ops;
	ukey_fs_keyspec ks = { 1024, NULL };
	uint8_t *n = NULL, *e = NULL;
	size_t nlen = 0, elen = 0;
	unsigned key = 0;
	int prv;

	setup();
	ck_assert_uint_eq(ops->key_ref_min, 0);
	ck_assert_uint_eq(ops->key_ref_max, 7);
	ck_assert_int_eq(ops->select_path(&ctx, p15, 4, NULL), UKEY_OK);
	ck_assert_int_eq(ops->key_create(&ctx, key, &ks), UKEY_OK);
	ck_assert_int_eq(M.generated, 1);
	prv = child(1, 0x2900);
	ck_assert_int_ge(prv, 0);
	ck_assert_int_ge(child(1, 0x3000), 0);
	{
		/* internal EF 11, 1024 bits, AC: -, user, user, user */
		static const uint8_t want[] = { 0x62, 0x16, 0x82, 0x02, 0x11, 0x00, 0x83,
						0x02, 0x29, 0x00, 0x85, 0x02, 0x04, 0x00,
						0x86, 0x08, 0xFF, 0x96, 0x96, 0x96, 0xFF,
						0xFF, 0xFF, 0xFF };

		ck_assert_uint_eq(M.f[prv].fcp_len, sizeof(want));
		ck_assert_mem_eq(M.f[prv].fcp, want, sizeof(want));
	}
	ck_assert_int_eq(ops->key_read_public(&ctx, key, &n, &nlen, &e, &elen), UKEY_OK);
	ck_assert_uint_eq(nlen, 128);
	ck_assert_mem_eq(n, M.n, 128);
	ck_assert_uint_eq(elen, 3);
	ck_assert_uint_eq(e[0], 1);
	free(n);
	free(e);
	/* generating again replaces the key (both files made anew) */
	ck_assert_int_eq(ops->key_create(&ctx, key, &ks), UKEY_OK);
	ck_assert_int_eq(M.generated, 2);
	ck_assert_int_eq(ops->key_create(&ctx, 8, &ks), UKEY_E_ARGS);
	/* delete both files */
	ck_assert_int_eq(ops->key_delete(&ctx, 0), UKEY_OK);
	ck_assert_int_lt(child(1, 0x2900), 0);
	ck_assert_int_lt(child(1, 0x3000), 0);
	/* a public key of the wrong shape */
	override(0xB4, "00 01 02", 0x9000);
	ck_assert_int_eq(epass2003_read_pubkey(&ctx, 0x3000, 0, &n, &nlen, &e, &elen),
			 UKEY_E_MALFORMED);
	{
		uint8_t even[128];
		char hexs[400];

		memset(even, 0xC4, sizeof(even));
		for (int i = 0; i < 128; i++)
			snprintf(hexs + 2 * i, 3, "%02X", even[i]);
		override(0xB4, hexs, 0x9000);
		ck_assert_int_eq(epass2003_read_pubkey(&ctx, 0x3000, 1024, &n, &nlen, &e,
						       &elen), UKEY_E_MALFORMED);
	}
	ck_assert_ptr_null(n);
	done();
}
END_TEST

START_TEST(test_import)
{
	static const uint8_t p15[4] = { 0x3F, 0x00, 0x50, 0x15 };
	const ukey_cardfs_ops *ops = &epass2003_cardfs_ops;
	ukey_rsa_material m;
	ukey_fs_keyspec ks;

	setup_kind(TC_DES, 1);
	use_key(key1024);
	memset(&m, 0, sizeof(m));
	m.n = M.n;
	m.n_len = M.nlen;
	m.d = M.d + 1; /* a shorter d is padded back to the modulus length */
	m.d_len = M.dlen - 1;
	m.e = (const uint8_t *)"\x01\x00\x01";
	m.e_len = 3;
	if (M.d[0] != 0) {
		m.d = M.d;
		m.d_len = M.dlen;
	}
	ks.bits = 1024;
	ks.import = &m;
	ck_assert_int_eq(ops->select_path(&ctx, p15, 4, NULL), UKEY_OK);
	ck_assert_int_eq(ops->key_create(&ctx, 0xA021, &ks), UKEY_OK);
	ck_assert_uint_eq(M.imported_nlen, 128);
	ck_assert_mem_eq(M.imported_n, M.n, 128);
	ck_assert_uint_eq(M.imported_dlen, 128);
	ck_assert_mem_eq(M.imported_d, M.d, 128);
	ck_assert_int_ge(child(1, 0xA021), 0);
	ks.bits = 2048;
	ck_assert_int_eq(ops->key_create(&ctx, 0xA021, &ks), UKEY_E_ARGS);
	done();
}
END_TEST

/* -------------------------------------------------------------- misc */

START_TEST(test_logout_serial_and_junk)
{
	uint8_t ser[8], sig[128];
	epass2003_fci f;

	setup_kind(TC_AES, 0);
	ck_assert_int_eq(epass2003_serial(&ctx, ser), UKEY_OK);
	ck_assert_mem_eq(ser, "\x2E\x6F\x45\x50\x00\x1A\x00\x28", 8);
	ck_assert_int_eq(epass2003_verify_pin(&ctx, 1, (const uint8_t *)"1234", 4, NULL),
			 UKEY_OK);
	ck_assert_int_eq(card.auths, 1);
	ck_assert_int_eq(epass2003_logout(&ctx), UKEY_OK);
	ck_assert_int_eq(card.auths, 2);
	/* the model keeps verified state per card session: drop it as the
	 * real card does on a new mutual authentication */
	M.pin[1].verified = 0;
	ck_assert_int_eq(sign_msg(0x2900, ser, 8, sig, 128),
			 UKEY_E_SW_SECURITY);

	/* answers of the wrong shape */
	override(0xCA, "01 02 03", 0x9000);
	ck_assert_int_eq(epass2003_serial(&ctx, ser), UKEY_E_MALFORMED);
	override(0xA4, "6F 04 83 02 12 34", 0x9000); /* another FID */
	ck_assert_int_eq(epass2003_select_fid(&ctx, 0x3F00, &f), UKEY_E_MALFORMED);
	override(0xA4, "6F 05 83 02 3F 00", 0x9000); /* 6F length wrong */
	ck_assert_int_eq(epass2003_select_fid(&ctx, 0x3F00, &f), UKEY_E_MALFORMED);
	override(0xA4, "62 04 83 02 3F 00", 0x9000); /* not an FCI */
	ck_assert_int_eq(epass2003_select_fid(&ctx, 0x3F00, &f), UKEY_E_MALFORMED);
	override(0xA4, "", 0x9000);
	ck_assert_int_eq(epass2003_select_fid(&ctx, 0x3F00, &f), UKEY_E_MALFORMED);
	override(0xA4, "6F 08 83 02 3F 00 83 02 3F 00", 0x9000); /* a tag twice */
	ck_assert_int_eq(epass2003_select_fid(&ctx, 0x3F00, &f), UKEY_E_MALFORMED);
	ck_assert_int_eq(ctx.df_known, 0);
	{
		static const uint8_t cert[6] = { 0x3F, 0x00, 0x50, 0x15, 0x31, 0x20 };
		uint8_t buf[16];
		size_t got;

		memset(buf, 0x21, sizeof(buf));

		ck_assert_int_eq(epass2003_select_path(&ctx, cert, 6, NULL), UKEY_OK);
		override(0xB0, "01 02 03 04 05", 0x9000); /* more than Le */
		ck_assert_int_eq(epass2003_read_binary(&ctx, 0, buf, 4, &got),
				 UKEY_E_MALFORMED);
		override(0xD6, "01", 0x9000); /* data where none belongs */
		ck_assert_int_eq(epass2003_update_binary(&ctx, 0, buf, 4),
				 UKEY_E_MALFORMED);
	}
	/* SM faults from the card during a flow */
	card.fault = TC_F_BAD_MAC;
	ck_assert_int_eq(epass2003_serial(&ctx, ser), UKEY_E_SW_SM);
	ck_assert_int_eq(epass2003_serial(&ctx, ser), UKEY_OK); /* new session */
	card.fault = TC_F_BAD_PAD;
	ck_assert_int_eq(epass2003_serial(&ctx, ser), UKEY_E_MALFORMED);
	card.fault = TC_F_SW_MISMATCH;
	ck_assert_int_eq(epass2003_serial(&ctx, ser), UKEY_E_SW_SM);
	done();
}
END_TEST

START_TEST(test_profile_keys)
{
	ukey_profile prof;
	char err[256];
	static const char text[] =
		"name = x\ndriver = epass2003\natr = 3B 00\n"
		"sm = des\nfid_hook = no\nuser_pin_kid = 3\nso_pin_kid = 4\n"
		"pin_max_tries = 9\npin_maxtries_path = none\nchallenge_len = 16\n"
		"mse_alg_raw = 0x83\nmse_alg_sha256 = 0x92\nmax_update = 0x80\n";

	ck_assert_int_eq(ukey_profile_parse(text, strlen(text), "t.profile", &prof, err,
					    sizeof(err)), UKEY_OK);
	ukey_chan_init(&chan, tc_xfer, &card, NULL);
	ck_assert_int_eq(epass2003_ctx_init(&ctx, &chan, &prof), UKEY_OK);
	ck_assert_int_eq(ctx.sm_cfg, EPASS2003_SM_DES);
	ck_assert_int_eq(ctx.fid_hook, 0);
	ck_assert_uint_eq(ctx.user_kid, 3);
	ck_assert_uint_eq(ctx.so_kid, 4);
	ck_assert_uint_eq(ctx.pin_max_default, 9);
	ck_assert_uint_eq(ctx.maxpin_path_len, 0);
	ck_assert_uint_eq(ctx.challenge_len, 16);
	ck_assert_uint_eq(ctx.alg_raw, 0x83);
	ck_assert_uint_eq(ctx.alg_sha256, 0x92);
	ck_assert_uint_eq(ctx.max_update, 0x80);
	ck_assert_uint_eq(ctx.max_read, EPASS2003_READ_MAX);
	ck_assert_mem_eq(ctx.key_enc, epass2003_default_sm_key, 16);
	ck_assert_uint_eq(epass2003_hook_fid(&ctx, 0x3101), 0x3101);
	ctx.fid_hook = 1;
	ck_assert_uint_eq(epass2003_hook_fid(&ctx, 0x3101), 0x3120);
	ck_assert_uint_eq(epass2003_hook_fid(&ctx, 0x2903), 0x2960);
	ck_assert_uint_eq(epass2003_hook_fid(&ctx, 0x2003), 0x2003);
	ck_assert_uint_eq(epass2003_unhook_fid(&ctx, 0x3460), 0x3403);
	epass2003_ctx_wipe(&ctx);
	ck_assert_uint_eq(ctx.key_enc[0], 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("drivers_epass2003_flow");
	TCase *tc = tcase_create("flow");
	SRunner *sr;
	int failed;

	key1024 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	key2048 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (!key1024 || !key2048)
		return EXIT_FAILURE;
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_fs_read_hooked);
	tcase_add_test(tc, test_fs_update_create_delete);
	tcase_add_test(tc, test_fs_aid_and_records);
	tcase_add_test(tc, test_pins);
	tcase_add_test(tc, test_pin_answers_refused);
	tcase_add_test(tc, test_sign_on_card_hash);
	tcase_add_test(tc, test_sign_state_args);
	tcase_add_test(tc, test_sign_2048_extended);
	tcase_add_test(tc, test_raw_rsa);
	tcase_add_test(tc, test_keygen_and_pubkey);
	tcase_add_test(tc, test_import);
	tcase_add_test(tc, test_logout_serial_and_junk);
	tcase_add_test(tc, test_profile_keys);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	EVP_PKEY_free(key1024);
	EVP_PKEY_free(key2048);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
