/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The gmt0017 (Watchdata, GM/T 0017) driver against a scripted card, every
 * APDU byte-exact as docs/watchdata-wire.md and the Watchdata profiles
 * have it: cold bind (GetDevInfo's 288 bytes through 61 20 + GET
 * RESPONSE, OpenApplication), PIN info and flags, login with the SM4
 * cryptogram over the card's challenge (both named cryptogram layouts;
 * expected values from the openssl CLI), listing with stable CKA_IDs,
 * a 2048-bit sign split into two APDUs, certificate export and import
 * split at command level, wrong/blocked PIN, logout, and a hostile card
 * (every answer of the flow malformed in turn).
 *
 * Expected cryptograms (PIN "246810", challenge 01..08), computed with:
 *   K=$(printf 246810 | openssl dgst -sha1 -binary | head -c 16 | xxd -p)
 *   printf '0102030405060708 8000000000000000' | xxd -r -p |
 *     openssl enc -sm4-ecb -nopad -K $K | xxd -p
 *   => 4eddb851e769f0b0e5ecd96748e93887 (challenge-pad80)
 *   K2 = SHA-1("246810" || 00*10)[0..15]; block 0800 0102..08 80 00*5
 *   => e3b3c3e99a4edcd98a236d07832cc38f (gm3000)
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "gmt0017.h"
#include "mock_card.h"

static mock_card mock;
static ukey_card card;
static ukey_profile prof;

static const uint8_t appid[2] = { 0x00, 0x01 };
static const uint8_t cid[2] = { 0x00, 0x01 };
static const uint8_t chal[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const char *cont = "UKEY-CONTAINER";

static void setup_profile(const char *name)
{
	memset(&card, 0, sizeof(card));
	mock_init(&mock);
	ck_assert_int_eq(mock_load_profile(name, &prof), 0);
	ukey_chan_init(&card.chan, mock_xfer, &mock, &prof.chan);
	card.profile = &prof;
	card.drv = ukey_driver_find(prof.driver);
	ck_assert_ptr_nonnull(card.drv);
	ck_assert_str_eq(card.drv->name, "gmt0017");
}

static void setup(void)
{
	setup_profile("watchdata-wd6.profile");
}

static void teardown(void)
{
	if (card.drv && card.drv->unbind)
		card.drv->unbind(&card);
	mock_free(&mock);
}

/* Append one exchange: header, optional data, Le (-1: none), answer. */
static void ex(uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2,
	       const uint8_t *d, size_t lc, int le, const uint8_t *r, size_t rl,
	       uint16_t sw)
{
	uint8_t c[300], a[600];
	size_t n = 0;

	c[n++] = cla;
	c[n++] = ins;
	c[n++] = p1;
	c[n++] = p2;
	if (lc) {
		c[n++] = (uint8_t)lc;
		memcpy(c + n, d, lc);
		n += lc;
	}
	if (le >= 0)
		c[n++] = (uint8_t)le;
	ck_assert_uint_le(rl, sizeof(a) - 2);
	if (rl)
		memcpy(a, r, rl);
	a[rl] = (uint8_t)(sw >> 8);
	a[rl + 1] = (uint8_t)sw;
	ck_assert_int_eq(mock_add_raw(&mock, c, n, a, rl + 2), 0);
}

static size_t cat(uint8_t *out, const uint8_t *a, size_t al, const void *b,
		  size_t bl)
{
	memcpy(out, a, al);
	memcpy(out + al, b, bl);
	return al + bl;
}

static void script_pin_info(uint8_t type, uint8_t max, uint8_t left, uint8_t def)
{
	uint8_t r[3] = { max, left, def };

	ex(0x80, 0x14, 0, type, appid, 2, -1, r, 3, 0x9000);
}

static void script_bind(void)
{
	uint8_t di[288], r[10];

	memset(di, 0, sizeof(di));
	di[0] = 1;
	di[2] = 1;
	memcpy(di + 4, "Watchdata", 9);
	memcpy(di + 68, "ukey-vtoken", 11);
	memcpy(di + 132, "wd unit", 7);
	memcpy(di + 164, "0123456789ABCDEF0123", 20);
	/* T=0: 256 bytes + 61 20, the rest by GET RESPONSE */
	ex(0x80, 0x04, 0, 0, NULL, 0, 0, di, 256, 0x6120);
	ex(0x00, 0xC0, 0, 0, NULL, 0, 0x20, di + 256, 32, 0x9000);
	memcpy(r, "\x00\x00\x00\x11\x08\x10\x00\x10", 8);
	memcpy(r + 8, appid, 2);
	ex(0x80, 0x26, 0, 0, (const uint8_t *)"UKEY-APP", 8, -1, r, 10, 0x9000);
	/* the PIN records p11/ asks for after the bind, read by the bind */
	script_pin_info(0x01, 10, 10, 0);
	script_pin_info(0x00, 10, 10, 0);
}

static void script_dir(unsigned bits, unsigned certlen)
{
	uint8_t d[80], r[9];
	size_t n;

	ex(0x80, 0x46, 0, 0, appid, 2, 0, (const uint8_t *)"UKEY-CONTAINER\0", 16,
	   0x9000);
	n = cat(d, appid, 2, cont, strlen(cont));
	ex(0x80, 0x42, 0, 0, d, n, -1, cid, 2, 0x9000);
	n = cat(d, appid, 2, cid, 2);
	r[0] = 1;
	r[1] = (uint8_t)(bits >> 8);
	r[2] = (uint8_t)bits;
	r[3] = r[4] = 0;
	r[5] = (uint8_t)(certlen >> 8);
	r[6] = (uint8_t)certlen;
	r[7] = r[8] = 0;
	ex(0x80, 0x4A, 0, 0, d, n, -1, r, 9, 0x9000);
}

static void script_verify(const char *crypt_hex, uint8_t type, uint16_t sw)
{
	uint8_t d[18];

	ex(0x80, 0x50, 0, 0, NULL, 0, 8, chal, 8, 0x9000);
	memcpy(d, appid, 2);
	ck_assert_int_eq(mock_hex(crypt_hex, d + 2, 16), 16);
	ex(0x80, 0x18, 0, type, d, 18, -1, NULL, 0, sw);
}

static void make_blob(uint8_t *blob, unsigned bits)
{
	memset(blob, 0, 268);
	blob[1] = 1; /* AlgID 00 01 00 00 */
	blob[6] = (uint8_t)(bits >> 8);
	blob[7] = (uint8_t)bits;
	for (size_t i = 0; i < bits / 8; i++)
		blob[8 + 256 - bits / 8 + i] = (uint8_t)(0x80 + i);
	blob[8 + 256 - bits / 8] |= 0x80;
	blob[8 + 256 + 1] = 1;
	blob[8 + 256 + 3] = 1; /* e = 65537 */
}

START_TEST(test_bind_login_find_sign)
{
	ukey_objlist objs = { 0 };
	ukey_pin_info pi;
	uint8_t block[256], sig[256], d[260], want[256];
	size_t siglen = sizeof(sig), n;
	int tries = 5;

	script_bind();
	script_verify("4eddb851e769f0b0e5ecd96748e93887", 0x01, 0x9000);
	script_dir(2048, 0);
	for (int i = 0; i < 256; i++) {
		block[i] = (uint8_t)i;
		want[i] = (uint8_t)(255 - i);
	}
	n = cat(d, appid, 2, cid, 2);
	memcpy(d + n, block, 251);
	ex(0x80, 0x58, 0x80, 0x00, d, 255, -1, NULL, 0, 0x9000);
	memcpy(d + 4, block + 251, 5);
	ex(0x80, 0x58, 0x00, 0x01, d, 9, 0, want, 256, 0x9000);
	ex(0x80, 0x1C, 0, 0, appid, 2, -1, NULL, 0, 0x9000);

	ck_assert_int_eq(card.drv->bind(&card), UKEY_OK);
	ck_assert_str_eq(card.label, "wd unit");
	ck_assert_str_eq(card.manufacturer, "Watchdata");
	ck_assert_str_eq(card.serial, "456789ABCDEF0123");
	ck_assert_int_eq(card.token_initialized, 1);
	ck_assert_int_eq(card.drv->pin_info(&card, UKEY_PIN_USER, &pi), UKEY_OK);
	ck_assert_int_eq(pi.present, 1);
	ck_assert_int_eq(pi.initialized, 1);
	ck_assert_int_eq(pi.max_tries, 10);
	ck_assert_int_eq(pi.tries_left, 10);
	ck_assert_uint_eq(pi.min_len, 6);
	ck_assert_uint_eq(pi.max_len, 32);
	ck_assert_int_eq(card.drv->pin_info(&card, UKEY_PIN_SO, &pi), UKEY_OK);
	ck_assert_int_eq(card.drv->verify_pin(&card, UKEY_PIN_USER,
					      (const uint8_t *)"246810", 6, &tries),
			 UKEY_OK);
	ck_assert_int_eq(card.drv->list_class(&card, UKEY_OBJ_PRIVKEY, &objs),
			 UKEY_OK);
	ck_assert_uint_eq(objs.n, 1);
	ck_assert_int_eq(objs.v[0].cls, UKEY_OBJ_PRIVKEY);
	ck_assert_str_eq(objs.v[0].label, "UKEY-CONTAINER");
	ck_assert_uint_eq(objs.v[0].key_bits, 2048);
	ck_assert(objs.v[0].usage & UKEY_USAGE_SIGN);
	ck_assert(!(objs.v[0].usage & UKEY_USAGE_DECRYPT));
	/* CKA_ID = SHA-1("UKEY-CONTAINER")[0..7] || 01 */
	{
		uint8_t id[9];

		ck_assert_int_eq(mock_hex("6b0dd43f26c1f8e8 01", id, 9), 9);
		ck_assert_uint_eq(objs.v[0].id_len, 9);
		ck_assert_mem_eq(objs.v[0].id, id, 9);
	}
	ck_assert_int_eq(card.drv->sign_raw(&card, &objs.v[0], block, 256, sig,
					    &siglen), UKEY_OK);
	ck_assert_uint_eq(siglen, 256);
	ck_assert_mem_eq(sig, want, 256);
	ck_assert_int_eq(card.drv->logout(&card), UKEY_OK);
	ck_assert_msg(mock_done(&mock), "%s", mock.last_error);
	/* the directory is read once per binding: no APDU for a second list */
	ukey_objlist_clear(&objs);
	ck_assert_int_eq(card.drv->list_class(&card, UKEY_OBJ_PRIVKEY, &objs),
			 UKEY_OK);
	ck_assert_uint_eq(objs.n, 1);
	ukey_objlist_clear(&objs);
}
END_TEST

START_TEST(test_gm3000_cryptogram)
{
	gm_cfg cfg;
	uint8_t key[16], out[16], want[16];

	/* the named option of the profile selects the published layout */
	ck_assert_int_eq(gm_cfg_load(&cfg, &prof), UKEY_OK);
	ck_assert_int_eq(cfg.pincrypt, GM_PINCRYPT_PAD80);
	cfg.pincrypt = GM_PINCRYPT_GM3000;
	gm_pin_key(&cfg, (const uint8_t *)"246810", 6, key);
	mock_hex("a9b972d79262d68159d3ae883e5069fe", want, 16);
	ck_assert_mem_eq(key, want, 16);
	ck_assert_int_eq(gm_pin_cryptogram(&cfg, key, chal, 8, out), UKEY_OK);
	mock_hex("e3b3c3e99a4edcd98a236d07832cc38f", want, 16);
	ck_assert_mem_eq(out, want, 16);
	cfg.pincrypt = GM_PINCRYPT_PAD80;
	gm_pin_key(&cfg, (const uint8_t *)"246810", 6, key);
	mock_hex("fa7c781f9469a8989eeb919d18930b16", want, 16);
	ck_assert_mem_eq(key, want, 16);
	ck_assert_int_eq(gm_pin_cryptogram(&cfg, key, chal, 8, out), UKEY_OK);
	mock_hex("4eddb851e769f0b0e5ecd96748e93887", want, 16);
	ck_assert_mem_eq(out, want, 16);
}
END_TEST

/* A profile that names gm3000 sends that cryptogram on the wire. */
START_TEST(test_gm3000_on_wire)
{
	int tries = 0;

	for (size_t i = 0; i < prof.n_kv; i++)
		if (strcmp(prof.kv[i].key, "pin_cryptogram") == 0)
			strcpy(prof.kv[i].value, "gm3000");
	script_bind();
	script_verify("e3b3c3e99a4edcd98a236d07832cc38f", 0x01, 0x9000);
	ck_assert_int_eq(card.drv->bind(&card), UKEY_OK);
	ck_assert_int_eq(card.drv->verify_pin(&card, UKEY_PIN_USER,
					      (const uint8_t *)"246810", 6, &tries),
			 UKEY_OK);
	ck_assert_msg(mock_done(&mock), "%s", mock.last_error);
}
END_TEST

START_TEST(test_bad_cryptogram_option)
{
	for (size_t i = 0; i < prof.n_kv; i++)
		if (strcmp(prof.kv[i].key, "pin_cryptogram") == 0)
			strcpy(prof.kv[i].value, "nonsense");
	ck_assert_int_ne(card.drv->bind(&card), UKEY_OK);
	ck_assert_uint_eq(mock.pos, 0); /* refused before any APDU */
}
END_TEST

START_TEST(test_wrong_and_blocked_pin)
{
	ukey_pin_info pi;
	int tries = -5;

	script_bind();
	script_verify("4eddb851e769f0b0e5ecd96748e93887", 0x01, 0x63C1);
	script_verify("4eddb851e769f0b0e5ecd96748e93887", 0x01, 0x6983);
	script_pin_info(0x01, 10, 0, 0);
	ck_assert_int_eq(card.drv->bind(&card), UKEY_OK);
	ck_assert_int_eq(card.drv->verify_pin(&card, UKEY_PIN_USER,
					      (const uint8_t *)"246810", 6, &tries),
			 UKEY_E_SW_WRONG_PIN);
	ck_assert_int_eq(tries, 1);
	ck_assert_int_eq(card.drv->verify_pin(&card, UKEY_PIN_USER,
					      (const uint8_t *)"246810", 6, &tries),
			 UKEY_E_SW_PIN_BLOCKED);
	ck_assert_int_eq(card.drv->pin_info(&card, UKEY_PIN_USER, &pi), UKEY_OK);
	ck_assert_int_eq(pi.blocked, 1);
	ck_assert_int_eq(pi.initialized, 1);
	ck_assert_msg(mock_done(&mock), "%s", mock.last_error);
}
END_TEST

/* ChangePIN / UnblockPIN blocks: len || PIN || 00.. under the old key. */
START_TEST(test_unblock_needs_so)
{
	gm_cfg cfg;
	uint8_t key[16], blk[48], plain[48], d[2 + 16 + 48];

	ck_assert_int_eq(card.drv->init_user_pin(&card, (const uint8_t *)"123456", 6),
			 UKEY_E_ARGS); /* not bound */
	script_bind();
	script_verify("4eddb851e769f0b0e5ecd96748e93887", 0x00, 0x9000);
	ex(0x80, 0x50, 0, 0, NULL, 0, 8, chal, 8, 0x9000);
	ck_assert_int_eq(gm_cfg_load(&cfg, &prof), UKEY_OK);
	gm_pin_key(&cfg, (const uint8_t *)"246810", 6, key);
	memcpy(d, appid, 2);
	mock_hex("4eddb851e769f0b0e5ecd96748e93887", d + 2, 16);
	memset(plain, 0, sizeof(plain));
	plain[0] = 8;
	memcpy(plain + 1, "87654321", 8);
	ck_assert_int_eq(ukey_sm4_ecb(key, 1, plain, 48, blk), UKEY_OK);
	memcpy(d + 18, blk, 48);
	ex(0x80, 0x1A, 0, 0, d, sizeof(d), -1, NULL, 0, 0x9000);
	ck_assert_int_eq(card.drv->bind(&card), UKEY_OK);
	ck_assert_int_eq(card.drv->init_user_pin(&card, (const uint8_t *)"87654321", 8),
			 UKEY_E_SW_SECURITY); /* no SO login yet: no APDU */
	ck_assert_int_eq(card.drv->verify_pin(&card, UKEY_PIN_SO,
					      (const uint8_t *)"246810", 6, NULL),
			 UKEY_OK);
	ck_assert_int_eq(card.drv->init_user_pin(&card, (const uint8_t *)"87654321", 8),
			 UKEY_OK);
	ck_assert_msg(mock_done(&mock), "%s", mock.last_error);
}
END_TEST

/* Public keys, a 768-byte certificate read through GET RESPONSE and a
 * 600-byte one written in three chunks (251 + 251 + 98). */
START_TEST(test_pubkey_and_certs)
{
	ukey_objlist objs = { 0 };
	uint8_t blob[268], d[260], cert[768];
	size_t n;

	script_bind();
	script_dir(2048, 768);
	make_blob(blob, 2048);
	n = cat(d, appid, 2, cid, 2);
	ex(0x80, 0x88, 0x01, 0, d, n, 0, blob, 256, 0x610C);
	ex(0x00, 0xC0, 0, 0, NULL, 0, 0x0C, blob + 256, 12, 0x9000);
	for (size_t i = 0; i < sizeof(cert); i++)
		cert[i] = (uint8_t)(i * 7);
	ex(0x80, 0x4E, 0x01, 0, d, n, 0, cert, 256, 0x6100);
	ex(0x00, 0xC0, 0, 0, NULL, 0, 0, cert + 256, 256, 0x6100);
	ex(0x00, 0xC0, 0, 0, NULL, 0, 0, cert + 512, 256, 0x9000);

	ck_assert_int_eq(card.drv->bind(&card), UKEY_OK);
	ck_assert_int_eq(card.drv->list_class(&card, UKEY_OBJ_PUBKEY, &objs), UKEY_OK);
	ck_assert_uint_eq(objs.n, 1);
	ck_assert_uint_eq(objs.v[0].modulus_len, 256);
	ck_assert_mem_eq(objs.v[0].modulus, blob + 8, 256);
	ck_assert_uint_eq(objs.v[0].pub_exp_len, 3);
	ukey_objlist_clear(&objs);
	ck_assert_int_eq(card.drv->list_class(&card, UKEY_OBJ_CERT, &objs), UKEY_OK);
	ck_assert_uint_eq(objs.n, 1);
	ck_assert_uint_eq(objs.v[0].value_len, 768);
	ck_assert_ptr_null(objs.v[0].value);
	ck_assert_int_eq(card.drv->read_value(&card, &objs.v[0]), UKEY_OK);
	ck_assert_uint_eq(objs.v[0].value_len, 768);
	ck_assert_mem_eq(objs.v[0].value, cert, 768);
	ck_assert_msg(mock_done(&mock), "%s", mock.last_error);
	/* delete it: an empty upload into the signing slot */
	n = cat(d, appid, 2, cid, 2);
	ex(0x80, 0x4C, 0x01, 0, d, n, -1, NULL, 0, 0x9000);
	ck_assert_int_eq(card.drv->delete_object(&card, &objs.v[0]), UKEY_OK);
	ck_assert_msg(mock_done(&mock), "%s", mock.last_error);
	ukey_objlist_clear(&objs);
	ck_assert_int_eq(card.drv->list_class(&card, UKEY_OBJ_CERT, &objs), UKEY_OK);
	ck_assert_uint_eq(objs.n, 0);
	ukey_objlist_clear(&objs);
}
END_TEST

/* A handle the card forgot (6A88) is opened again, once. */
START_TEST(test_stale_handle)
{
	uint8_t r[10];
	unsigned max, left, def;

	script_bind();
	ex(0x80, 0x14, 0, 0x01, appid, 2, -1, NULL, 0, 0x6A88);
	memcpy(r, "\x00\x00\x00\x11\x08\x10\x00\x10\x00\x01", 10);
	ex(0x80, 0x26, 0, 0, (const uint8_t *)"UKEY-APP", 8, -1, r, 10, 0x9000);
	script_pin_info(0x01, 10, 9, 0);
	ck_assert_int_eq(card.drv->bind(&card), UKEY_OK);
	ck_assert_int_eq(gm_pin_info((gm_ctx *)card.drv_data, 0x01, &max, &left, &def),
			 UKEY_OK);
	ck_assert_uint_eq(left, 9);
	ck_assert_msg(mock_done(&mock), "%s", mock.last_error);
}
END_TEST

/* The bind → PIN → login → list → sign flow with answer k replaced by
 * junk, for every k: an error, never a crash, never a success built on
 * bad data. */
static void script_full(void)
{
	uint8_t d[260], sig[256];
	size_t n;

	script_bind();
	script_verify("4eddb851e769f0b0e5ecd96748e93887", 0x01, 0x9000);
	script_dir(2048, 0);
	memset(d, 0, sizeof(d));
	memset(sig, 0x55, sizeof(sig));
	n = cat(d, appid, 2, cid, 2);
	ex(0x80, 0x58, 0x80, 0x00, d, 255, -1, NULL, 0, 0x9000);
	(void)n;
	ex(0x80, 0x58, 0x00, 0x01, d, 9, 0, sig, 256, 0x9000);
}

static ukey_rv run_full(void)
{
	ukey_objlist objs = { 0 };
	ukey_pin_info pi;
	uint8_t block[256], sig[256];
	size_t siglen = sizeof(sig);
	ukey_rv rv;

	memset(block, 0, sizeof(block));
	rv = card.drv->bind(&card);
	if (!rv)
		rv = card.drv->pin_info(&card, UKEY_PIN_USER, &pi);
	if (!rv)
		rv = card.drv->pin_info(&card, UKEY_PIN_SO, &pi);
	if (!rv)
		rv = card.drv->verify_pin(&card, UKEY_PIN_USER,
					  (const uint8_t *)"246810", 6, NULL);
	if (!rv)
		rv = card.drv->list_class(&card, UKEY_OBJ_PRIVKEY, &objs);
	if (!rv && objs.n != 1)
		rv = UKEY_E_MALFORMED;
	if (!rv)
		rv = card.drv->sign_raw(&card, &objs.v[0], block, 256, sig, &siglen);
	ukey_objlist_clear(&objs);
	return rv;
}

START_TEST(test_hostile_each_answer)
{
	size_t steps;
	static const char *junk[] = { "", "90", "6F00", "00 90 00", "61 05",
				      "6C 01", "6A 88", "63 C0" };

	script_full();
	ck_assert_int_eq(run_full(), UKEY_OK);
	steps = mock.n;
	ck_assert_msg(mock_done(&mock), "%s", mock.last_error);
	for (size_t k = 0; k < steps; k++)
		for (size_t j = 0; j < sizeof(junk) / sizeof(junk[0]); j++) {
			uint8_t b[8];
			long l;

			card.drv->unbind(&card);
			mock_free(&mock);
			mock_init(&mock);
			script_full();
			l = mock_hex(junk[j], b, sizeof(b));
			ck_assert_int_ge(l, 0);
			free(mock.rsp[k]);
			mock.rsp[k] = malloc(l ? (size_t)l : 1);
			memcpy(mock.rsp[k], b, (size_t)l);
			mock.rsp_len[k] = (size_t)l;
			/* an answer cut short or garbled never passes */
			if (run_full() == UKEY_OK)
				ck_assert_msg(0, "junk '%s' at answer %zu accepted",
					      junk[j], k);
		}
	/* and the truncations of each answer's data */
	for (size_t k = 0; k < steps; k++) {
		size_t full;

		card.drv->unbind(&card);
		mock_free(&mock);
		mock_init(&mock);
		script_full();
		full = mock.rsp_len[k];
		if (full <= 2)
			continue;
		mock.rsp[k][full - 3] ^= 0x01; /* last data byte flipped: may pass */
		mock.rsp_len[k] = full - 1;     /* SW byte lost: must fail */
		ck_assert_int_ne(run_full(), UKEY_OK);
	}
}
END_TEST

/* C_InitToken: DevAuth under the profile's device key (default ASCII
 * "1234567812345678"): SM4-ECB of challenge 01..08 || 00*8 =
 * 5fa2df7aeaf68c7f0ddcec1871ca96b7 (openssl enc -sm4-ecb -nopad -K
 * 31323334353637383132333435363738), then DeleteApplication,
 * CreateApplication (admin = SO PIN block under the device key), SetLabel,
 * and the bind again. */
START_TEST(test_init_token_dev_auth)
{
	uint8_t crypt[16], d[255], blk[48], plain[48], key[16];
	static const uint8_t upin_rnd[8] = { 0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7 };
	size_t n = 0;

	script_bind();
	ex(0x80, 0x50, 0, 0, NULL, 0, 8, chal, 8, 0x9000);
	mock_hex("5fa2df7aeaf68c7f0ddcec1871ca96b7", crypt, 16);
	ex(0x80, 0x10, 0, 0, crypt, 16, -1, NULL, 0, 0x9000);
	ex(0x80, 0x24, 0, 0, (const uint8_t *)"UKEY-APP", 8, -1, NULL, 0, 0x9000);
	ex(0x80, 0x50, 0, 0, NULL, 0, 8, upin_rnd, 8, 0x9000);
	d[n++] = 8;
	memcpy(d + n, "UKEY-APP", 8);
	n += 8;
	d[n++] = 10;
	d[n++] = 10;
	memcpy(d + n, "\x00\x00\x00\x11", 4);
	n += 4;
	memcpy(key, "1234567812345678", 16);
	memset(plain, 0, sizeof(plain));
	plain[0] = 8;
	memcpy(plain + 1, "13572468", 8);
	ck_assert_int_eq(ukey_sm4_ecb(key, 1, plain, 48, blk), UKEY_OK);
	memcpy(d + n, blk, 48);
	n += 48;
	memset(plain, 0, sizeof(plain));
	plain[0] = 16;
	memcpy(plain + 1, "A0A1A2A3A4A5A6A7", 16);
	ck_assert_int_eq(ukey_sm4_ecb(key, 1, plain, 48, blk), UKEY_OK);
	memcpy(d + n, blk, 48);
	n += 48;
	ex(0x80, 0x20, 0, 0, d, n, -1, NULL, 0, 0x9000);
	ex(0x80, 0x02, 0, 0, (const uint8_t *)"fresh", 5, -1, NULL, 0, 0x9000);
	script_bind();
	ck_assert_int_eq(card.drv->bind(&card), UKEY_OK);
	ck_assert_int_eq(card.drv->init_token(&card, (const uint8_t *)"13572468", 8,
					      "fresh"), UKEY_OK);
	ck_assert_msg(mock_done(&mock), "%s", mock.last_error);
	ck_assert_int_eq(card.token_initialized, 1);
}
END_TEST

/* rsa_sign = pkcs1: the card pads, only the DigestInfo is sent (one APDU);
 * a block that is not PKCS#1 type 1 is refused without an APDU. */
START_TEST(test_rsa_sign_pkcs1_mode)
{
	ukey_objlist objs = { 0 };
	uint8_t block[256], sig[256], d[64], want[256];
	size_t siglen = sizeof(sig), n;

	for (size_t i = 0; i < prof.n_kv; i++)
		if (strcmp(prof.kv[i].key, "rsa_sign") == 0)
			strcpy(prof.kv[i].value, "pkcs1");
	script_bind();
	script_dir(2048, 0);
	memset(block, 0xFF, sizeof(block));
	block[0] = 0;
	block[1] = 1;
	block[256 - 36] = 0;
	for (int i = 0; i < 35; i++)
		block[256 - 35 + i] = (uint8_t)(0x30 + i);
	memset(want, 0x42, sizeof(want));
	n = cat(d, appid, 2, cid, 2);
	memcpy(d + n, block + 256 - 35, 35);
	ex(0x80, 0x58, 0x00, 0x00, d, 4 + 35, 0, want, 256, 0x9000);
	ck_assert_int_eq(card.drv->bind(&card), UKEY_OK);
	ck_assert_int_eq(card.drv->list_class(&card, UKEY_OBJ_PRIVKEY, &objs), UKEY_OK);
	ck_assert_uint_eq(objs.n, 1);
	ck_assert_int_eq(card.drv->sign_raw(&card, &objs.v[0], block, 256, sig,
					    &siglen), UKEY_OK);
	ck_assert_mem_eq(sig, want, 256);
	block[1] = 2; /* not a signature block */
	siglen = sizeof(sig);
	ck_assert_int_eq(card.drv->sign_raw(&card, &objs.v[0], block, 256, sig,
					    &siglen), UKEY_E_SW_FUNC_NOT_SUPPORTED);
	ck_assert_msg(mock_done(&mock), "%s", mock.last_error);
	ukey_objlist_clear(&objs);
}
END_TEST

/* C_GenerateKeyPair with CKA_LABEL "FOO" and CKA_ID 01 02: container
 * "FOO#0102" (SKF stores no CKA_ID, the name carries it), RSA-2048 in it;
 * the objects have CKA_ID 01 02 and CKA_LABEL "FOO". A second one with
 * the same label and ID gets "FOO-2#0102". */
START_TEST(test_generate_id_in_name)
{
	ukey_keygen_params kp;
	ukey_object pub, priv;
	uint8_t blob[268], d[80], cid2[2] = { 0, 2 }, cid3[2] = { 0, 3 };
	uint8_t bits[4] = { 0, 0, 8, 0 };
	size_t n;

	script_bind();
	script_dir(2048, 0);
	make_blob(blob, 2048);
	n = cat(d, appid, 2, "FOO#0102", 8);
	ex(0x80, 0x40, 0, 0, d, n, -1, cid2, 2, 0x9000);
	memcpy(d, appid, 2);
	memcpy(d + 2, cid2, 2);
	memcpy(d + 4, bits, 4);
	ex(0x80, 0x54, 0, 0, d, 8, 0, blob, 256, 0x610C);
	ex(0x00, 0xC0, 0, 0, NULL, 0, 0x0C, blob + 256, 12, 0x9000);
	n = cat(d, appid, 2, "FOO-2#0102", 10);
	ex(0x80, 0x40, 0, 0, d, n, -1, cid3, 2, 0x9000);
	memcpy(d, appid, 2);
	memcpy(d + 2, cid3, 2);
	memcpy(d + 4, bits, 4);
	ex(0x80, 0x54, 0, 0, d, 8, 0, blob, 256, 0x610C);
	ex(0x00, 0xC0, 0, 0, NULL, 0, 0x0C, blob + 256, 12, 0x9000);

	ck_assert_int_eq(card.drv->bind(&card), UKEY_OK);
	memset(&kp, 0, sizeof(kp));
	kp.bits = 2048;
	kp.id[0] = 1;
	kp.id[1] = 2;
	kp.id_len = 2;
	strcpy(kp.label, "FOO");
	for (int round = 0; round < 2; round++) {
		memset(&pub, 0, sizeof(pub));
		memset(&priv, 0, sizeof(priv));
		ck_assert_int_eq(card.drv->generate_rsa(&card, &kp, &pub, &priv), UKEY_OK);
		ck_assert_uint_eq(priv.id_len, 2);
		ck_assert_mem_eq(priv.id, "\x01\x02", 2);
		ck_assert_mem_eq(pub.id, "\x01\x02", 2);
		ck_assert_str_eq(priv.label, round ? "FOO-2" : "FOO");
		ck_assert_uint_eq(pub.modulus_len, 256);
		ck_assert_mem_eq(pub.drv_ref, priv.drv_ref, 22);
		ukey_object_clear(&pub);
		ukey_object_clear(&priv);
	}
	ck_assert_msg(mock_done(&mock), "%s", mock.last_error);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("drivers_gmt0017");
	TCase *tc = tcase_create("flow");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_bind_login_find_sign);
	tcase_add_test(tc, test_gm3000_cryptogram);
	tcase_add_test(tc, test_gm3000_on_wire);
	tcase_add_test(tc, test_bad_cryptogram_option);
	tcase_add_test(tc, test_wrong_and_blocked_pin);
	tcase_add_test(tc, test_unblock_needs_so);
	tcase_add_test(tc, test_pubkey_and_certs);
	tcase_add_test(tc, test_stale_handle);
	tcase_add_test(tc, test_hostile_each_answer);
	tcase_add_test(tc, test_init_token_dev_auth);
	tcase_add_test(tc, test_rsa_sign_pkcs1_mode);
	tcase_add_test(tc, test_generate_id_in_name);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
