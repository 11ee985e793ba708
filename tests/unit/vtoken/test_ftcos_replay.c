/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Replays the COMMANDS of the two reference traces (real OpenSC 0.23
 * sessions against an FTCOS emulator) against a fresh ukey-vtoken FTCOS
 * card, in-process through vt_t0_apdu (so 61xx/GET RESPONSE behave as on
 * the wire), and checks every status word against the trace.
 *
 * Replay rules:
 *  - GET CHALLENGE answers are random: only their length is compared.
 *  - Commands with CLA 84 carry a MAC over the challenge just returned. The
 *    trace's MAC is first recomputed with the TRACE's challenge and must
 *    equal the recorded one (this checks our MAC algorithm against real
 *    OpenSC output); then the MAC is recomputed with the challenge the
 *    vtoken returned and replaced. Key: transport key for CREATE MF
 *    (E0 P1=00) and ERASE (EE); the DF init key 01..10 for CREATE DF/EF and
 *    INSTALL KEY (F0); the maintenance key for WRITE KEY (F4; MAC over the
 *    ciphertext, which is deterministic and replayed as is).
 *  - Data of responses that depend on randomness (GET CHALLENGE, READ
 *    PUBLIC KEY 80 E6, its GET RESPONSE, PSO 2A) is compared by length only;
 *    all other response data (FCIs, READ BINARY, SERIAL) must match byte
 *    for byte.
 *  - After the second trace, the imported keys (kid 1: 1024-bit non-CRT via
 *    WRITE KEY; kid 2: 2048-bit CRT via 00 46) are used to sign, and the
 *    signatures are verified with OpenSSL against the public keys OpenSC
 *    wrote to 3000 / 3001: this proves the byte orders of the import.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OPENSSL_API_COMPAT 0x10100000L /* RSA_set0_key for a raw public key */
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "vt_os_ftcos.h"

static const char *trace_dir = ".";

typedef struct {
	uint8_t cmd[600];
	size_t clen;
	uint8_t rsp[600];
	size_t rlen;
} exch;

static size_t parse_hex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	unsigned v;
	int used;
	while (sscanf(s, "%2x%n", &v, &used) == 1) {
		ck_assert_uint_lt(n, cap);
		out[n++] = (uint8_t)v;
		s += used;
		while (*s == ' ')
			s++;
	}
	return n;
}

static exch *load_trace(const char *name, size_t *count)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", trace_dir, name);
	FILE *f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	size_t cap = 2048, n = 0;
	exch *e = calloc(cap, sizeof *e);
	ck_assert_ptr_nonnull(e);
	static char line[8192];
	while (fgets(line, sizeof line, f)) {
		if (!strncmp(line, ">> ", 3)) {
			ck_assert_uint_lt(n, cap);
			e[n].clen = parse_hex(line + 3, e[n].cmd, sizeof e[n].cmd);
		} else if (!strncmp(line, "<< ", 3)) {
			e[n].rlen = parse_hex(line + 3, e[n].rsp, sizeof e[n].rsp);
			n++;
		}
	}
	fclose(f);
	*count = n;
	return e;
}

static const uint8_t *mac_key(const uint8_t *cmd, size_t *klen)
{
	if (cmd[1] == 0xEE || (cmd[1] == 0xE0 && cmd[2] == 0x00)) {
		*klen = 8;
		return ft_default_transport_key;
	}
	*klen = 16;
	if (cmd[1] == 0xF4)
		return ft_default_maint_key;
	return ft_default_init_key;
}

/* Replay one trace on card c; returns number of exchanges replayed. */
static size_t replay(ft_card *c, vt_t0 *t, const char *name)
{
	size_t n;
	exch *e = load_trace(name, &n);
	ck_assert_uint_gt(n, 100);
	static uint8_t rsp[VT_RSP_MAX];
	uint8_t trace_chal[8] = { 0 }, card_chal[8] = { 0 };
	for (size_t i = 0; i < n; i++) {
		uint8_t cmd[600];
		size_t clen = e[i].clen;
		memcpy(cmd, e[i].cmd, clen);
		if (cmd[0] == 0x84) {
			size_t klen;
			const uint8_t *key = mac_key(cmd, &klen);
			size_t lc = cmd[4];
			uint8_t mac[4];
			ck_assert_int_eq(ft_mac(key, klen, trace_chal, cmd, lc, cmd + 5,
						lc - 4, mac), 0);
			ck_assert_msg(!memcmp(mac, cmd + 5 + lc - 4, 4),
				      "%s #%zu: our MAC differs from OpenSC's", name, i);
			ck_assert_int_eq(ft_mac(key, klen, card_chal, cmd, lc, cmd + 5,
						lc - 4, cmd + 5 + lc - 4), 0);
		}
		int dirty = 0;
		size_t rl = vt_t0_apdu(t, &vt_os_ftcos, c, cmd, clen, rsp, &dirty);
		ck_assert_uint_ge(rl, 2);
		ck_assert_msg(rsp[rl - 2] == e[i].rsp[e[i].rlen - 2] &&
			      rsp[rl - 1] == e[i].rsp[e[i].rlen - 1],
			      "%s #%zu (%02X %02X %02X %02X): SW %02X%02X, trace %02X%02X",
			      name, i, cmd[0], cmd[1], cmd[2], cmd[3], rsp[rl - 2],
			      rsp[rl - 1], e[i].rsp[e[i].rlen - 2], e[i].rsp[e[i].rlen - 1]);
		ck_assert_msg(rl == e[i].rlen, "%s #%zu: length %zu, trace %zu", name,
			      i, rl, e[i].rlen);
		int random = (cmd[0] == 0x00 && (cmd[1] == 0x84 || cmd[1] == 0xC0 ||
						 cmd[1] == 0x2A)) ||
			     (cmd[0] == 0x80 && cmd[1] == 0xE6);
		if (!random)
			ck_assert_msg(!memcmp(rsp, e[i].rsp, rl), "%s #%zu: data differs",
				      name, i);
		if (cmd[0] == 0x00 && cmd[1] == 0x84 && rl == 10) {
			memcpy(trace_chal, e[i].rsp, 8);
			memcpy(card_chal, rsp, 8);
		}
		/* persistence must be flagged for every state change */
		if (cmd[1] == 0xD6 || cmd[1] == 0xE0 || cmd[1] == 0xF0 ||
		    cmd[1] == 0xF4 || (cmd[1] == 0x46))
			ck_assert_int_eq(dirty, 1);
		if (cmd[1] == 0xA4 || cmd[1] == 0xB0 || cmd[1] == 0x22)
			ck_assert_int_eq(dirty, 0);
	}
	free(e);
	return n;
}

/* Read a whole EF through APDUs (select by path from MF). */
static size_t read_ef(ft_card *c, vt_t0 *t, uint16_t fid, uint8_t *out, size_t cap)
{
	static uint8_t rsp[VT_RSP_MAX];
	int dirty;
	const uint8_t sel[3][8] = {
		{ 0x00, 0xA4, 0x00, 0x00, 0x02, 0x3F, 0x00, 0xE0 },
		{ 0x00, 0xA4, 0x00, 0x00, 0x02, 0x50, 0x15, 0xE0 },
		{ 0x00, 0xA4, 0x00, 0x00, 0x02, (uint8_t)(fid >> 8), (uint8_t)fid, 0xE0 },
	};
	size_t rl = 0;
	for (int i = 0; i < 3; i++) {
		rl = vt_t0_apdu(t, &vt_os_ftcos, c, sel[i], 8, rsp, &dirty);
		ck_assert_uint_eq(rsp[rl - 2], 0x90);
	}
	ck_assert_uint_eq(rl, 15);
	size_t size = (size_t)rsp[8] << 8 | rsp[9];
	ck_assert_uint_le(size, cap);
	for (size_t off = 0; off < size;) {
		size_t want = size - off > 224 ? 224 : size - off;
		uint8_t rb[5] = { 0x00, 0xB0, (uint8_t)(off >> 8), (uint8_t)off,
				  (uint8_t)want };
		rl = vt_t0_apdu(t, &vt_os_ftcos, c, rb, 5, rsp, &dirty);
		ck_assert_uint_eq(rl, want + 2);
		memcpy(out + off, rsp, want);
		off += want;
	}
	return size;
}

/* Public key as the card reports it: 80 E6 2A kid 00 (+ GET RESPONSE),
 * '45' len e(LE) '4E' len n(LE). */
static EVP_PKEY *card_pubkey(ft_card *c, vt_t0 *t, uint8_t kid)
{
	static uint8_t rsp[VT_RSP_MAX], all[600];
	int dirty;
	const uint8_t rp[5] = { 0x80, 0xE6, 0x2A, kid, 0x00 };
	size_t rl = vt_t0_apdu(t, &vt_os_ftcos, c, rp, 5, rsp, &dirty);
	size_t n = rl - 2;
	memcpy(all, rsp, n);
	if (rsp[rl - 2] == 0x61) {
		const uint8_t gr[5] = { 0x00, 0xC0, 0x00, 0x00, rsp[rl - 1] };
		rl = vt_t0_apdu(t, &vt_os_ftcos, c, gr, 5, rsp, &dirty);
		ck_assert_uint_eq(rsp[rl - 2], 0x90);
		memcpy(all + n, rsp, rl - 2);
		n += rl - 2;
	}
	ck_assert_uint_eq(all[0], 0x45);
	size_t el = all[1], o = 2 + el;
	ck_assert_uint_eq(all[o], 0x4E);
	size_t nl = all[o + 1] == 0x82 ? 256 : all[o + 2];
	o += all[o + 1] == 0x82 ? 4 : 3;
	ck_assert_uint_eq(o + nl, n);
	BIGNUM *bn_n = BN_lebin2bn(all + o, (int)nl, NULL);
	BIGNUM *bn_e = BN_lebin2bn(all + 2, (int)el, NULL);
	RSA *r = RSA_new();
	ck_assert_int_eq(RSA_set0_key(r, bn_n, bn_e, NULL), 1);
	EVP_PKEY *pk = EVP_PKEY_new();
	ck_assert_int_eq(EVP_PKEY_assign_RSA(pk, r), 1);
	return pk;
}

/* Sign a PKCS#1 v1.5 SHA-256 block with kid through MSE + PSO, verify with
 * the public key in EF pubfid (0 = as READ PUBLIC KEY reports it). */
static void sign_and_verify(ft_card *c, vt_t0 *t, uint8_t kid, uint16_t pubfid)
{
	static uint8_t der[1024], rsp[VT_RSP_MAX];
	EVP_PKEY *pk;
	if (pubfid) {
		size_t dlen = read_ef(c, t, pubfid, der, sizeof der);
		const unsigned char *p = der;
		pk = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)dlen);
	} else {
		pk = card_pubkey(c, t, kid);
	}
	ck_assert_ptr_nonnull(pk);
	size_t mlen = (size_t)EVP_PKEY_get_size(pk);
	ck_assert(mlen == 128 || mlen == 256);
	/* EMSA-PKCS1-v1_5 over a fixed digest */
	static const uint8_t prefix[19] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
					    0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
					    0x01, 0x05, 0x00, 0x04, 0x20 };
	uint8_t digest[32], block[256];
	for (int i = 0; i < 32; i++)
		digest[i] = (uint8_t)(i * 7 + kid);
	memset(block, 0xFF, mlen);
	block[0] = 0;
	block[1] = 1;
	block[mlen - 52] = 0;
	memcpy(block + mlen - 51, prefix, 19);
	memcpy(block + mlen - 32, digest, 32);
	uint8_t mse[80] = { 0x00, 0x22, 0x41, 0xB8, 0, 0x80, 0x01, 0x80, 0x83, 0x02,
			    kid, 0x22 };
	size_t ml = 12, first = 0;
	if (mlen == 256) {
		mse[ml++] = 0x89;
		mse[ml++] = 0x40;
		memcpy(mse + ml, block, 64);
		ml += 64;
		first = 64;
	}
	mse[4] = (uint8_t)(ml - 5);
	int dirty;
	size_t rl = vt_t0_apdu(t, &vt_os_ftcos, c, mse, ml, rsp, &dirty);
	ck_assert_uint_eq(rl, 2);
	ck_assert_uint_eq(rsp[0], 0x90);
	uint8_t pso[300] = { 0x00, 0x2A, 0x86, 0x80, (uint8_t)(mlen - first) };
	memcpy(pso + 5, block + first, mlen - first);
	pso[5 + mlen - first] = 0x00;
	rl = vt_t0_apdu(t, &vt_os_ftcos, c, pso, 6 + mlen - first, rsp, &dirty);
	ck_assert_uint_eq(rl, mlen + 2);
	ck_assert_uint_eq(rsp[mlen], 0x90);
	EVP_PKEY_CTX *vc = EVP_PKEY_CTX_new(pk, NULL);
	ck_assert_ptr_nonnull(vc);
	ck_assert_int_eq(EVP_PKEY_verify_init(vc), 1);
	ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_padding(vc, RSA_PKCS1_PADDING), 1);
	ck_assert_int_eq(EVP_PKEY_CTX_set_signature_md(vc, EVP_sha256()), 1);
	ck_assert_int_eq(EVP_PKEY_verify(vc, rsp, mlen, digest, 32), 1);
	EVP_PKEY_CTX_free(vc);
	EVP_PKEY_free(pk);
}

START_TEST(replay_full_flow)
{
	ft_card *c = vt_os_ftcos.create();
	vt_t0 t = { 0 };
	size_t n = replay(c, &t, "opensc-entersafe-full-flow.trace");
	ck_assert_uint_eq(n, 293);
	/* the card's own generated key signs like the trace's PSO did */
	sign_and_verify(c, &t, 1, 0);
	vt_t0_clear(&t);
	vt_os_ftcos.destroy(c);
}
END_TEST

START_TEST(replay_pin_and_import)
{
	ft_card *c = vt_os_ftcos.create();
	vt_t0 t = { 0 };
	replay(c, &t, "opensc-entersafe-pin-and-import.trace");
	sign_and_verify(c, &t, 1, 0x3000);   /* 1024-bit, non-CRT, WRITE KEY */
	sign_and_verify(c, &t, 2, 0x3001);   /* 2048-bit, CRT via 00 46 */
	vt_t0_clear(&t);
	vt_os_ftcos.destroy(c);
}
END_TEST

START_TEST(replay_survives_save_load)
{
	/* replay, save, load, and the keys still sign */
	ft_card *c = vt_os_ftcos.create();
	vt_t0 t = { 0 };
	replay(c, &t, "opensc-entersafe-pin-and-import.trace");
	vt_buf b = { 0 };
	ck_assert_int_eq(vt_image_wrap(&vt_os_ftcos, c, &b), 0);
	ft_card *c2 = vt_image_unwrap(&vt_os_ftcos, b.p, b.len);
	ck_assert_ptr_nonnull(c2);
	vt_buf b2 = { 0 };
	ck_assert_int_eq(vt_image_wrap(&vt_os_ftcos, c2, &b2), 0);
	ck_assert_uint_eq(b.len, b2.len);
	ck_assert(!memcmp(b.p, b2.p, b.len));
	/* fresh power-on: PIN must be verified again before signing */
	static const uint8_t vpin[21] = { 0x00, 0x20, 0x00, 0x01, 0x10, '1', '1', '1', '1' };
	static const uint8_t sel[7] = { 0x00, 0xA4, 0x00, 0x00, 0x02, 0x50, 0x15 };
	static uint8_t rsp[VT_RSP_MAX];
	int dirty;
	size_t rl = vt_t0_apdu(&t, &vt_os_ftcos, c2, sel, sizeof sel, rsp, &dirty);
	ck_assert_uint_eq(rl, 2);
	rl = vt_t0_apdu(&t, &vt_os_ftcos, c2, vpin, sizeof vpin, rsp, &dirty);
	ck_assert_uint_eq(rl, 2);
	ck_assert_uint_eq(rsp[0], 0x90);
	sign_and_verify(c2, &t, 2, 0x3001);
	vt_buf_free(&b);
	vt_buf_free(&b2);
	vt_t0_clear(&t);
	vt_os_ftcos.destroy(c);
	vt_os_ftcos.destroy(c2);
}
END_TEST

int main(int argc, char **argv)
{
	if (argc > 1)
		trace_dir = argv[1];
	Suite *s = suite_create("vtoken_ftcos_replay");
	TCase *tc = tcase_create("replay");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, replay_full_flow);
	tcase_add_test(tc, replay_pin_and_import);
	tcase_add_test(tc, replay_survives_save_load);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
