/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz entry for the ePass2003 secure messaging and command layer
 * (drivers/epass2003): every answer of the card comes from the input.
 *
 * Input layout:
 *   byte 0: bits 0-1 SM kind (0 3DES, 1 AES, 2 FIPS, 3 none)
 *           bit 2   the harness wraps each answer itself (right MAC,
 *                   right encryption), so the input reaches the command
 *                   parsers behind SM; else answers are raw SM answers
 *           bit 3   extended APDUs allowed
 *           bit 4   no session to start with: GET DATA 86 and the mutual
 *                   authentication read their answers from the input too
 *           bit 5   when the script is exhausted: "no card" (1) or 6F00
 *           bit 6   also the write operations (PINs, files, keys)
 *           bit 7   the OpenSC FID hook off
 *   then one answer per command: <len:2 BE> <len bytes> (data + SW; with
 *   bit 2 the plain data + SW that the harness wraps).
 * First the whole input after byte 0 is also unwrapped directly as one
 * raw answer of a fixed session (its last two bytes as the status word).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "apdu_sm_aes.h"
#include "epass2003.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SCRIPT_MAX_CALLS 4000

typedef struct {
	const uint8_t *p;
	size_t left;
	int no_card_at_end;
	int wrap;
	unsigned long calls;
} script;

static epass2003_ctx ctx;

/* The card's side of a wrapped answer for the harness: the MAC the host
 * checks, computed with apdu/'s primitives and the context's session. */
static size_t wrap_answer(const uint8_t *plain, size_t plen, uint16_t sw,
			  uint8_t *out)
{
	static const uint8_t zero[16];
	uint8_t pad[1100 + 16], m[1400], full[1400];
	size_t b = ctx.sm == EPASS2003_SM_DES ? 8 : 16, n = 0, pl, ml;

	if (plen > 1100)
		plen = 1100;
	if (plen) {
		memcpy(pad, plain, plen);
		pl = plen;
		pad[pl++] = 0x80;
		while (pl % b)
			pad[pl++] = 0;
		out[n++] = 0x87;
		if (pl + 1 < 0x80) {
			out[n++] = (uint8_t)(pl + 1);
		} else if (pl + 1 <= 0xFF) {
			out[n++] = 0x81;
			out[n++] = (uint8_t)(pl + 1);
		} else {
			out[n++] = 0x82;
			out[n++] = (uint8_t)((pl + 1) >> 8);
			out[n++] = (uint8_t)(pl + 1);
		}
		out[n++] = 0x01;
		if ((ctx.sm == EPASS2003_SM_DES
			     ? ukey_3des2_cbc(ctx.sk_enc, zero, 1, pad, pl, out + n)
			     : ukey_aes128_cbc(ctx.sk_enc, zero, 1, pad, pl, out + n)) != UKEY_OK)
			memset(out + n, 0, pl);
		n += pl;
	}
	out[n++] = 0x99;
	out[n++] = 0x02;
	out[n++] = (uint8_t)(sw >> 8);
	out[n++] = (uint8_t)sw;
	memcpy(m, out, n);
	ml = n;
	m[ml++] = 0x80;
	while (ml % b)
		m[ml++] = 0;
	memset(full, 0, 16);
	if (ctx.sm == EPASS2003_SM_DES)
		(void)ukey_sm_retail_mac(ctx.sk_mac, ctx.icv, m, ml, full);
	else if (ctx.sm == EPASS2003_SM_AES &&
		 ukey_aes128_cbc(ctx.sk_mac, ctx.icv, 1, m, ml, full) == UKEY_OK)
		memmove(full, full + ml - 16, 8);
	out[n++] = 0x8E;
	out[n++] = 0x08;
	memcpy(out + n, full, 8);
	return n + 8;
}

static ukey_rv script_xfer(void *c, const uint8_t *cmd, size_t cmdlen,
			   uint8_t *rsp, size_t rspcap, size_t *rsplen)
{
	script *s = c;
	ukey_apdu a;
	size_t n;

	if (ukey_apdu_decode(cmd, cmdlen, &a) != UKEY_OK)
		__builtin_trap(); /* the driver must send valid APDUs */
	if (++s->calls > SCRIPT_MAX_CALLS)
		__builtin_trap();
	if (rspcap < 1400)
		__builtin_trap(); /* apdu/ always offers more */
	if (s->left < 2) {
		if (s->no_card_at_end)
			return UKEY_E_NO_CARD;
		rsp[0] = 0x6F;
		rsp[1] = 0x00;
		*rsplen = 2;
		return UKEY_OK;
	}
	n = (size_t)s->p[0] << 8 | s->p[1];
	s->p += 2;
	s->left -= 2;
	if (n > s->left)
		n = s->left;
	if (s->wrap && (a.cla & 0x0C) == 0x0C && ctx.sm_open && n >= 2 &&
	    ctx.sm != EPASS2003_SM_PLAIN) {
		uint16_t sw = (uint16_t)(s->p[n - 2] << 8 | s->p[n - 1]);
		size_t w = wrap_answer(s->p, n - 2, sw, rsp);

		rsp[w++] = (uint8_t)(sw >> 8);
		rsp[w++] = (uint8_t)sw;
		*rsplen = w;
	} else {
		if (n > rspcap)
			__builtin_trap();
		memcpy(rsp, s->p, n);
		*rsplen = n;
	}
	s->p += n;
	s->left -= n;
	return UKEY_OK;
}

static ukey_rv fixed_rng(void *arg, uint8_t *buf, size_t len)
{
	(void)arg;
	memset(buf, 0x5A, len);
	return UKEY_OK;
}

static void fixed_session(epass2003_sm_kind kind)
{
	ctx.sm = kind;
	ctx.sm_cfg = (int)kind;
	ctx.info_known = 1;
	if (kind == EPASS2003_SM_PLAIN)
		return;
	ctx.sm_open = 1;
	for (int i = 0; i < 16; i++) {
		ctx.sk_enc[i] = (uint8_t)(0x10 + i);
		ctx.sk_mac[i] = (uint8_t)(0x30 + i);
		ctx.icv[i] = i < 8 ? (uint8_t)(0x50 + i) : 0;
	}
}

static void direct_unwrap(epass2003_sm_kind kind, const uint8_t *p, size_t n)
{
	static uint8_t out[EPASS2003_RSP_MAX];
	static ukey_chan ch;
	size_t olen = 99999;
	uint16_t psw = 0;
	int auth = -1;
	ukey_rv rv;

	if (kind == EPASS2003_SM_PLAIN || n < 2)
		return;
	memset(&ctx, 0, sizeof(ctx));
	ctx.ch = &ch;
	fixed_session(kind);
	rv = epass2003_sm_unwrap(&ctx, p, n - 2, (uint16_t)(p[n - 2] << 8 | p[n - 1]),
				 out, sizeof(out), &olen, &psw, &auth);
	if (rv == UKEY_OK && (olen > sizeof(out) || (auth != 0 && auth != 1)))
		__builtin_trap();
	if (rv != UKEY_OK && olen != 0)
		__builtin_trap();
	/* the same with a small buffer */
	(void)epass2003_sm_unwrap(&ctx, p, n - 2, (uint16_t)(p[n - 2] << 8 | p[n - 1]),
				  out, 7, &olen, &psw, &auth);
	if (olen > 7)
		__builtin_trap();
	epass2003_ctx_wipe(&ctx);
}

static void check_key(ukey_rv rv, uint8_t *n, size_t nlen, uint8_t *e, size_t elen)
{
	if (rv == UKEY_OK && (!n || !e || nlen < 64 || nlen > 256 || elen != 3))
		__builtin_trap();
	if (rv != UKEY_OK && (n || e))
		__builtin_trap();
	free(n);
	free(e);
}

/* The SHA-256 state after the first four blocks of read_ops's message (300
 * bytes of 0x42), as the host computes it for sign_sha256_state. The card's
 * answers come from the input whatever it is; this value keeps PSO HASH
 * byte for byte what it was when the driver computed it. */
static const uint8_t msg_midstate[32] = {
	0x1B, 0x49, 0xE4, 0xE9, 0x44, 0x8A, 0x8D, 0xFF,
	0x53, 0xD8, 0x24, 0xE6, 0x6B, 0xF9, 0x34, 0xEA,
	0x09, 0xB0, 0x46, 0x0B, 0x30, 0x46, 0xB0, 0x2D,
	0x2C, 0xDB, 0xAB, 0x4C, 0x10, 0xA4, 0x22, 0x00,
};

static void read_ops(void)
{
	static const uint8_t cert[6] = { 0x3F, 0x00, 0x50, 0x15, 0x31, 0x01 };
	static const uint8_t espk[4] = { 0x3F, 0x00, 0x20, 0x03 };
	static const uint8_t idx[6] = { 0x3F, 0x00, 0x20, 0x03, 0x6F, 0x01 };
	static uint8_t buf[1200], msg[300], sig[256], in[128];
	const ukey_cardfs_ops *ops = &epass2003_cardfs_ops;
	ukey_fs_file f;
	uint8_t *n = NULL, *e = NULL, ser[8], rnd[16];
	size_t got = 0, nlen = 0, elen = 0;
	int tries = 0;
	unsigned max = 0;
	ukey_rv rv;

	if (ops->select_path(&ctx, cert, sizeof(cert), &f) == UKEY_OK &&
	    (f.name_len > sizeof(f.name)))
		__builtin_trap();
	if (ops->read(&ctx, 0, buf, 600, &got) == UKEY_OK && got > 600)
		__builtin_trap();
	if (ops->select_aid(&ctx, (const uint8_t *)"ENTERSAFE-ESPK", 14, espk, 4,
			    &f) == UKEY_OK && !f.is_df)
		__builtin_trap();
	(void)ops->select_path(&ctx, idx, sizeof(idx), NULL);
	if (epass2003_read_record(&ctx, 1, buf, 30, &got) == UKEY_OK && got > 30)
		__builtin_trap();
	if (epass2003_pin_tries(&ctx, 1, &tries) == UKEY_OK && (tries < 0 || tries > 15))
		__builtin_trap();
	if (epass2003_verify_pin(&ctx, 1, (const uint8_t *)"1234", 4, &tries) ==
	    UKEY_E_SW_WRONG_PIN && (tries < -1 || tries > 15))
		__builtin_trap();
	if (epass2003_pin_max_tries(&ctx, 2, &max) == UKEY_OK && (max < 1 || max > 15))
		__builtin_trap();
	memset(msg, 0x42, sizeof(msg));
	(void)epass2003_sign_sha256_state(&ctx, 0xA020, msg_midstate, 4, msg + 256,
					  sizeof(msg) - 256, sig, 128);
	memset(in, 0x11, sizeof(in));
	in[0] = 0;
	got = 0;
	if (epass2003_rsa_raw(&ctx, 0x2900, in, sizeof(in), sig, &got) == UKEY_OK &&
	    got != sizeof(in))
		__builtin_trap();
	rv = ops->key_read_public(&ctx, 0, &n, &nlen, &e, &elen);
	check_key(rv, n, nlen, e, elen);
	n = e = NULL;
	rv = epass2003_read_pubkey(&ctx, 0x3000, 2048, &n, &nlen, &e, &elen);
	check_key(rv, n, nlen, e, elen);
	(void)epass2003_serial(&ctx, ser);
	(void)epass2003_get_challenge(&ctx, rnd, 8);
}

static void write_ops(void)
{
	static const uint8_t p15[4] = { 0x3F, 0x00, 0x50, 0x15 };
	static const uint8_t newf[6] = { 0x3F, 0x00, 0x50, 0x15, 0x31, 0x02 };
	static uint8_t nbuf[128], dbuf[128], buf[300];
	const ukey_cardfs_ops *ops = &epass2003_cardfs_ops;
	ukey_fs_file spec;
	ukey_fs_keyspec ks;
	ukey_rsa_material m;

	(void)epass2003_change_pin(&ctx, 1, (const uint8_t *)"1234", 4,
				   (const uint8_t *)"123456", 6);
	(void)epass2003_unblock_pin(&ctx, (const uint8_t *)"87654321", 8,
				    (const uint8_t *)"1234", 4);
	(void)ops->set_pin(&ctx, 1, (const uint8_t *)"4321", 4);
	(void)ops->select_path(&ctx, p15, sizeof(p15), NULL);
	memset(&spec, 0, sizeof(spec));
	spec.fid = 0x3102;
	spec.size = 300;
	spec.ac_read = UKEY_AC_ALWAYS;
	spec.ac_update = UKEY_AC_USER;
	(void)ops->create_ef(&ctx, &spec);
	memset(buf, 0x77, sizeof(buf));
	(void)ops->update(&ctx, 0, buf, sizeof(buf));
	(void)ops->delete_file(&ctx, newf, sizeof(newf));
	ks.bits = 1024;
	ks.import = NULL;
	(void)ops->select_path(&ctx, p15, sizeof(p15), NULL);
	(void)ops->key_create(&ctx, 1, &ks);
	memset(nbuf, 0xC5, sizeof(nbuf));
	memset(dbuf, 0x35, sizeof(dbuf));
	memset(&m, 0, sizeof(m));
	m.n = nbuf;
	m.n_len = sizeof(nbuf);
	m.d = dbuf;
	m.d_len = sizeof(dbuf);
	ks.import = &m;
	(void)ops->key_create(&ctx, 0xA021, &ks);
	(void)ops->key_delete(&ctx, 2);
	(void)epass2003_logout(&ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static ukey_chan ch;
	script s;
	ukey_chan_opts o;
	epass2003_sm_kind kind;

	if (size < 1)
		return 0;
	kind = (epass2003_sm_kind)((data[0] & 3) == 3 ? EPASS2003_SM_PLAIN
						       : (data[0] & 3) + 1);
	direct_unwrap(kind, data + 1, size - 1);

	memset(&s, 0, sizeof(s));
	s.p = data + 1;
	s.left = size - 1;
	s.wrap = (data[0] >> 2) & 1;
	s.no_card_at_end = (data[0] >> 5) & 1;
	memset(&o, 0, sizeof(o));
	o.extended_ok = (data[0] >> 3) & 1;
	ukey_chan_init(&ch, script_xfer, &s, &o);
	if (epass2003_ctx_init(&ctx, &ch, NULL) != UKEY_OK)
		__builtin_trap();
	ctx.rng = fixed_rng;
	ctx.fid_hook = !(data[0] & 0x80);
	if (!(data[0] & 0x10))
		fixed_session(kind);
	read_ops();
	if (data[0] & 0x40)
		write_ops();
	epass2003_forget(&ctx);
	if (ctx.sm_open)
		__builtin_trap();
	epass2003_ctx_wipe(&ctx);
	return 0;
}
