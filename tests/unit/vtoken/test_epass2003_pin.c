/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ePass2003 emulation: PIN checks by EXTERNAL AUTHENTICATE and VERIFY,
 * persistent retry counters (state image round trips), the challenge
 * rule, PIN change and its access condition, unblock by the PUK, key
 * installation rules and OpenSC's erase sequence. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "e3_thost.h"
#include "vt_os_epass2003.h"

static vte_card *c;
static e3h h;

static void setup(void)
{
	e3h_global_init();
	c = vt_os_epass2003.create();
	ck_assert_ptr_nonnull(c);
	vt_init_params p = { 0 };
	p.user_pin = "1234";
	p.so_pin = "56785678";
	p.key_bits = 1024;
	ck_assert_int_eq(vt_os_epass2003.init(c, &p), 0);
	e3h_attach(&h, c, VTE_MODEL_DES);
	ck_assert_uint_eq(e3h_open(&h, 0), 0x9000);
	uint8_t df[2] = { 0x50, 0x15 };
	ck_assert_uint_eq(e3h_sm(&h, 0, 0xA4, 0, 0, df, 2, 256), 0x9000);
}

static void teardown(void)
{
	vt_os_epass2003.destroy(c);
}

static unsigned tries(uint8_t kid)
{
	vte_key *k = vte_find_key(c, c->cur_df, kid);
	ck_assert_ptr_nonnull(k);
	return k->ec & 0x0F;
}

/* save and load the image, as a restart of ukey-vtoken would */
static void restart(void)
{
	vt_buf b = { 0 };
	ck_assert_int_eq(vt_image_wrap(&vt_os_epass2003, c, &b), 0);
	vte_card *n = vt_image_unwrap(&vt_os_epass2003, b.p, b.len);
	vt_buf_free(&b);
	ck_assert_ptr_nonnull(n);
	vt_os_epass2003.destroy(c);
	c = n;
	h.card = c;
	ck_assert_uint_eq(e3h_open(&h, 0), 0x9000);
	uint8_t df[2] = { 0x50, 0x15 };
	ck_assert_uint_eq(e3h_sm(&h, 0, 0xA4, 0, 0, df, 2, 256), 0x9000);
}

START_TEST(counter_counts_and_persists)
{
	ck_assert_uint_eq(tries(1), 6);
	ck_assert_uint_eq(e3h_ext_auth(&h, 1, "1234"), 0x9000);
	ck_assert_uint_eq(c->level, VTE_LEVEL_USER);
	for (unsigned n = 1; n <= 6; n++) {
		unsigned sw = e3h_ext_auth(&h, 1, "9999");
		ck_assert_uint_eq(sw, 0x63C0 | (6 - n));
		ck_assert_int_eq(h.dirty, 1);        /* saved before the answer */
		ck_assert_uint_eq(tries(1), 6 - n);
		if (n == 3)
			restart();                   /* the count survives */
	}
	/* blocked: the right PIN is refused, the counter does not move */
	ck_assert_uint_eq(e3h_ext_auth(&h, 1, "1234"), 0x6983);
	restart();
	ck_assert_uint_eq(tries(1), 0);
	/* the retry query (no data) answers 63Cx and changes nothing */
	ck_assert_uint_eq(e3h_sm(&h, 0, 0x84, 0, 0, NULL, 0, 16), 0x9000);
	ck_assert_uint_eq(e3h_sm(&h, 0, 0x82, 0x01, 0x81, NULL, 0, -1), 0x63C0);
	ck_assert_int_eq(h.dirty, 0);
}
END_TEST

START_TEST(good_pin_resets)
{
	ck_assert_uint_eq(e3h_ext_auth(&h, 1, "12345"), 0x63C5);
	ck_assert_uint_eq(e3h_ext_auth(&h, 1, "123"), 0x63C4);
	ck_assert_uint_eq(e3h_ext_auth(&h, 1, "1234"), 0x9000);
	ck_assert_uint_eq(tries(1), 6);
	ck_assert_uint_eq(e3h_sm(&h, 0, 0x84, 0, 0, NULL, 0, 16), 0x9000);
	ck_assert_uint_eq(e3h_sm(&h, 0, 0x82, 0x01, 0x81, NULL, 0, -1), 0x63C6);
	/* VERIFY with the PIN itself (what OpenSC's erase uses) works on the
	 * same record, and counts the same way */
	uint8_t pin[16] = "1234";
	ck_assert_uint_eq(e3h_sm(&h, 0, 0x20, 0x00, 0x01, pin, 16, -1), 0x9000);
	pin[3] = '5';
	ck_assert_uint_eq(e3h_sm(&h, 0, 0x20, 0x00, 0x01, pin, 16, -1), 0x63C5);
	/* the security level ends with the session */
	ck_assert_uint_eq(e3h_ext_auth(&h, 1, "1234"), 0x9000);
	ck_assert_uint_eq(e3h_open(&h, 0), 0x9000);
	ck_assert_uint_eq(c->level, 0);
}
END_TEST

START_TEST(challenge_rule)
{
	uint8_t cry[8] = { 0 };
	/* no challenge */
	ck_assert_uint_eq(e3h_sm(&h, 0, 0x82, 0x01, 0x81, cry, 8, -1), 0x6985);
	/* a challenge, then another command: stale */
	ck_assert_uint_eq(e3h_sm(&h, 0, 0x84, 0, 0, NULL, 0, 16), 0x9000);
	ck_assert_uint_eq(e3h_sm(&h, 0, 0xCA, 0x01, 0x80, NULL, 0, 8), 0x9000);
	ck_assert_uint_eq(e3h_sm(&h, 0, 0x82, 0x01, 0x81, cry, 8, -1), 0x6985);
	ck_assert_uint_eq(tries(1), 6);            /* no try spent */
	/* unknown key */
	ck_assert_uint_eq(e3h_ext_auth(&h, 7, "1234"), 0x6A88);
}
END_TEST

START_TEST(change_needs_the_pin)
{
	uint8_t d[25] = { 0x66 };
	ck_assert_int_eq(vte_pin_key((const uint8_t *)"4321", 4, d + 1), 0);
	/* OpenSC 0.23's CHANGE: the bare UPDATE SECRET KEY is refused */
	ck_assert_uint_eq(e3h_sm(&h, 0x80, 0xE5, 0x04, 0x01, d, 25, -1), 0x6982);
	/* in plain too (SM required) */
	ck_assert_uint_eq(e3h_ext_auth(&h, 1, "1234"), 0x9000);
	ck_assert_uint_eq(e3h_plain(&h, 0x80, 0xE5, 0x04, 0x01, d, 25, -1), 0x6982);
	ck_assert_uint_eq(e3h_sm(&h, 0x80, 0xE5, 0x04, 0x01, d, 25, -1), 0x9000);
	ck_assert_uint_eq(e3h_ext_auth(&h, 1, "1234"), 0x63C5);
	ck_assert_uint_eq(e3h_ext_auth(&h, 1, "4321"), 0x9000);
	restart();
	ck_assert_uint_eq(e3h_ext_auth(&h, 1, "4321"), 0x9000);
}
END_TEST

START_TEST(unblock_with_puk)
{
	for (int n = 0; n < 6; n++)
		e3h_ext_auth(&h, 1, "0000");
	ck_assert_uint_eq(tries(1), 0);
	/* a wrong PUK costs a PUK try and unblocks nothing */
	ck_assert_uint_eq(e3h_ext_auth(&h, 2, "00000000"), 0x63C5);
	ck_assert_uint_eq(tries(1), 0);
	/* the user PIN cannot unblock itself; the PUK (SO level) can */
	ck_assert_uint_eq(e3h_ext_auth(&h, 2, "56785678"), 0x9000);
	ck_assert_uint_eq(tries(2), 6);
	ck_assert_uint_eq(tries(1), 6);
	ck_assert_int_eq(h.dirty, 1);
	/* with the SO level, the user PIN can be set (what an unblock with a
	 * new PIN needs) */
	uint8_t d[25] = { 0x66 };
	ck_assert_int_eq(vte_pin_key((const uint8_t *)"1111", 4, d + 1), 0);
	ck_assert_uint_eq(e3h_sm(&h, 0x80, 0xE5, 0x04, 0x01, d, 25, -1), 0x9000);
	ck_assert_uint_eq(e3h_ext_auth(&h, 1, "1111"), 0x9000);
}
END_TEST

START_TEST(install_rules)
{
	uint8_t rec[34] = { 0x04, 0x01, 0x90, 0x96, 0x98, 0x98, 0x00, 0x06, 0xFF, 0x66 };
	ck_assert_int_eq(vte_pin_key((const uint8_t *)"7777", 4, rec + 10), 0);
	/* not in plain */
	ck_assert_uint_eq(e3h_plain(&h, 0x80, 0xE3, 0, 0, rec, 34, -1), 0x6982);
	/* replacing the user PIN needs its modify condition (user level) */
	ck_assert_uint_eq(e3h_sm(&h, 0x80, 0xE3, 0, 0, rec, 34, -1), 0x6982);
	/* a new record is free (under SM); bad sizes and counters are not */
	rec[1] = 3;
	ck_assert_uint_eq(e3h_sm(&h, 0x80, 0xE3, 0, 0, rec, 34, -1), 0x9000);
	ck_assert_uint_eq(e3h_ext_auth(&h, 3, "7777"), 0x9000);
	rec[9] = 0x67;                          /* 7 left of 6 */
	ck_assert_uint_eq(e3h_sm(&h, 0x80, 0xE3, 0, 0, rec, 34, -1), 0x6A80);
	rec[9] = 0x66;
	ck_assert_uint_eq(e3h_sm(&h, 0x80, 0xE3, 0, 0, rec, 33, -1), 0x6A80);
	/* with the user level the user PIN can be replaced */
	ck_assert_uint_eq(e3h_ext_auth(&h, 1, "1234"), 0x9000);
	rec[1] = 1;
	ck_assert_uint_eq(e3h_sm(&h, 0x80, 0xE3, 0, 0, rec, 34, -1), 0x9000);
	ck_assert_uint_eq(e3h_ext_auth(&h, 1, "7777"), 0x9000);
}
END_TEST

START_TEST(opensc_erase)
{
	/* OpenSC's epass2003_erase_card: install a plain "magic" PIN in the
	 * MF (type 06, grants level F), VERIFY it, DELETE 3F00 */
	uint8_t mf[2] = { 0x3F, 0x00 }, magic[26], pin[16];
	e3h_hex("06 01 10 16 16 16 00 0f ff 66 31 32 33 34 35 36 37 38"
		" 31 32 33 34 35 36 37 38", magic, sizeof magic);
	memcpy(pin, "1234567812345678", 16);
	ck_assert_uint_eq(e3h_sm(&h, 0, 0xA4, 0, 0, mf, 2, -1), 0x9000);
	/* without the magic PIN the MF cannot go (delete condition 90 in
	 * the pkcs15 layout is free: use a stricter MF to see the rule) */
	c->files[c->cur_df].acl[3] = 0x9F;
	ck_assert_uint_eq(e3h_sm(&h, 0, 0xE4, 0, 0, mf, 2, -1), 0x6982);
	ck_assert_uint_eq(e3h_sm(&h, 0x80, 0xE3, 0, 0, magic, 26, -1), 0x9000);
	ck_assert_uint_eq(e3h_sm(&h, 0, 0x20, 0x00, 0x01, pin, 16, -1), 0x9000);
	ck_assert_uint_eq(c->level, VTE_LEVEL_ALL);
	ck_assert_uint_eq(e3h_sm(&h, 0, 0xE4, 0, 0, mf, 2, -1), 0x9000);
	ck_assert_uint_eq(e3h_sm(&h, 0, 0xA4, 0, 0, mf, 2, 256), 0x6A82);
	for (int i = 0; i < VTE_MAX_KEYS; i++)
		ck_assert_int_eq(c->keys[i].used, 0);
	/* a blank card takes a new MF, and only an MF */
	uint8_t fcp[40];
	size_t fl = e3h_hex("62 16 82 02 01 00 80 02 00 10 83 02 2F 00"
			    " 86 08 90 90 FF 90 FF FF FF FF", fcp, sizeof fcp);
	ck_assert_uint_eq(e3h_sm(&h, 0, 0xE0, 0, 0, fcp, fl, -1), 0x6A82);
	fl = e3h_hex("62 1C 82 02 38 00 83 02 3F 00 84 04 74 65 73 74 85 02 00 7F"
		     " 86 08 90 90 FF 90 FF FF FF FF", fcp, sizeof fcp);
	ck_assert_uint_eq(e3h_sm(&h, 0, 0xE0, 0, 0, fcp, fl, -1), 0x9000);
	ck_assert_uint_eq(e3h_sm(&h, 0, 0xA4, 0, 0, mf, 2, 256), 0x9000);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("vtoken_epass2003_pin");
	TCase *t = tcase_create("pin");
	tcase_set_timeout(t, 60);
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, counter_counts_and_persists);
	tcase_add_test(t, good_pin_resets);
	tcase_add_test(t, challenge_rule);
	tcase_add_test(t, change_needs_the_pin);
	tcase_add_test(t, unblock_with_puk);
	tcase_add_test(t, install_rules);
	tcase_add_test(t, opensc_erase);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *r = srunner_create(suite());
	srunner_run_all(r, CK_NORMAL);
	int failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
