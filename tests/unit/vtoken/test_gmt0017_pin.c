/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GM/T 0017 virtual OS: PIN commands. */
#include <stdlib.h>
#include <string.h>

#include "gm_tutil.h"

START_TEST(pin_info_and_verify)
{
	uint16_t app;
	gt_card *c = gt_new_app(&app);
	uint8_t info[3];
	ck_assert_uint_eq(gt_pin_info(c, app, 0, info), 0x9000);
	ck_assert_mem_eq(info, "\x0a\x0a\x01", 3);
	ck_assert_uint_eq(gt_pin_info(c, app, 1, info), 0x9000);
	ck_assert_mem_eq(info, "\x0a\x0a\x01", 3);
	ck_assert_uint_eq(gt_pin_info(c, app, 2, info), 0x6A86);
	ck_assert_uint_eq(gt_verify(c, app, 1, "111111"), 0x9000);
	ck_assert_uint_eq(gt_verify(c, app, 0, "87654321"), 0x9000);
	/* each PIN only matches its own type */
	ck_assert_uint_eq(gt_verify(c, app, 0, "111111"), 0x63C9);
	ck_assert_uint_eq(gt_verify(c, app, 1, "87654321"), 0x63C9);
	ck_assert_uint_eq(gt_verify(c, app, 1, "111111"), 0x9000);
	ck_assert_uint_eq(gt_pin_info(c, app, 1, info), 0x9000);
	ck_assert_uint_eq(info[1], 10);
	/* admin counter is still at 9 */
	ck_assert_uint_eq(gt_pin_info(c, app, 0, info), 0x9000);
	ck_assert_uint_eq(info[1], 9);
	/* wrong P1/P2, lengths */
	uint8_t d[18] = {0};
	gt_ids(d, app, -1);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x18, 0, 2, d, 18, GT_NO_LE), 0x6A86);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x18, 1, 1, d, 18, GT_NO_LE), 0x6A86);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x18, 0, 1, d, 17, GT_NO_LE), 0x6700);
	gt_free(c);
}
END_TEST

START_TEST(verify_needs_fresh_challenge)
{
	uint16_t app;
	gt_card *c = gt_new_app(&app);
	uint8_t chal[8], key[16], d[18], info[3];
	gt_pin_key("111111", key);
	gt_ids(d, app, -1);
	/* without any challenge: 6985 and no try is used */
	memset(d + 2, 0x55, 16);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x18, 0, 1, d, 18, GT_NO_LE), 0x6985);
	ck_assert_uint_eq(gt_pin_info(c, app, 1, info), 0x9000);
	ck_assert_uint_eq(info[1], 10);
	/* the right cryptogram once */
	gt_challenge(c, chal);
	gt_cryptogram(key, chal, 1, d + 2);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x18, 0, 1, d, 18, GT_NO_LE), 0x9000);
	/* replaying it fails: the challenge was used up */
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x18, 0, 1, d, 18, GT_NO_LE), 0x6985);
	/* a challenge of another length does not arm */
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x50, 0, 0, NULL, 0, 16), 0x9000);
	memcpy(chal, c->rsp, 8);
	gt_cryptogram(key, chal, 1, d + 2);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x18, 0, 1, d, 18, GT_NO_LE), 0x6985);
	/* a zero-padded (DevAuth-style) cryptogram is wrong */
	gt_challenge(c, chal);
	gt_cryptogram(key, chal, 0, d + 2);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x18, 0, 1, d, 18, GT_NO_LE), 0x63C9);
	/* the challenge does not survive a reset */
	gt_challenge(c, chal);
	gt_cryptogram(key, chal, 1, d + 2);
	vt_os_gmt0017.reset(c->st);
	app = gt_open_app(c, "APP1");
	gt_ids(d, app, -1);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x18, 0, 1, d, 18, GT_NO_LE), 0x6985);
	gt_free(c);
}
END_TEST

START_TEST(wrong_pin_locks)
{
	uint16_t app;
	gt_card *c = gt_new_app(&app);
	uint8_t info[3];
	for (unsigned left = 9;; left--) {
		ck_assert_uint_eq(gt_verify(c, app, 1, "999999"), 0x63C0 | left);
		ck_assert_int_eq(c->dirty, 1);
		if (left == 0)
			break;
	}
	ck_assert_uint_eq(gt_verify(c, app, 1, "111111"), 0x6983);
	ck_assert_uint_eq(gt_verify(c, app, 1, "999999"), 0x6983);
	ck_assert_uint_eq(gt_pin_info(c, app, 1, info), 0x9000);
	ck_assert_uint_eq(info[1], 0);
	/* still locked after save/load and reset */
	gt_reload(c);
	app = gt_open_app(c, "APP1");
	ck_assert_uint_eq(gt_verify(c, app, 1, "111111"), 0x6983);
	ck_assert_uint_eq(gt_pin_info(c, app, 1, info), 0x9000);
	ck_assert_uint_eq(info[0], 10);
	ck_assert_uint_eq(info[1], 0);
	/* a locked user PIN does not block the admin PIN */
	ck_assert_uint_eq(gt_verify(c, app, 0, "87654321"), 0x9000);
	/* UnblockPIN: admin proof + new user PIN */
	ck_assert_uint_eq(gt_unblock(c, app, "00000000", "222222"), 0x63C9);
	ck_assert_uint_eq(gt_unblock(c, app, "87654321", "12345"), 0x6A80);
	ck_assert_uint_eq(gt_pin_info(c, app, 1, info), 0x9000);
	ck_assert_uint_eq(info[1], 0);
	ck_assert_uint_eq(gt_unblock(c, app, "87654321", "222222"), 0x9000);
	ck_assert_int_eq(c->dirty, 1);
	ck_assert_uint_eq(gt_pin_info(c, app, 1, info), 0x9000);
	ck_assert_mem_eq(info, "\x0a\x0a\x01", 3);
	ck_assert_uint_eq(gt_pin_info(c, app, 0, info), 0x9000);
	ck_assert_uint_eq(info[1], 10);
	ck_assert_uint_eq(gt_verify(c, app, 1, "111111"), 0x63C9);
	ck_assert_uint_eq(gt_verify(c, app, 1, "222222"), 0x9000);
	gt_free(c);
}
END_TEST

START_TEST(admin_pin_locks)
{
	uint16_t app;
	gt_card *c = gt_new_app(&app);
	for (int i = 0; i < 10; i++)
		gt_verify(c, app, 0, "00000000");
	ck_assert_uint_eq(gt_verify(c, app, 0, "87654321"), 0x6983);
	ck_assert_uint_eq(gt_unblock(c, app, "87654321", "222222"), 0x6983);
	gt_free(c);
}
END_TEST

START_TEST(change_pin)
{
	uint16_t app;
	gt_card *c = gt_new_app(&app);
	uint8_t info[3];
	ck_assert_uint_eq(gt_change_pin(c, app, 1, "000000", "654321"), 0x63C9);
	ck_assert_uint_eq(gt_change_pin(c, app, 1, "111111", "65432"), 0x6A80);
	ck_assert_uint_eq(gt_change_pin(c, app, 1, "111111", "654321"), 0x9000);
	ck_assert_int_eq(c->dirty, 1);
	ck_assert_uint_eq(gt_pin_info(c, app, 1, info), 0x9000);
	ck_assert_mem_eq(info, "\x0a\x0a\x00", 3);
	ck_assert_uint_eq(gt_verify(c, app, 1, "111111"), 0x63C9);
	ck_assert_uint_eq(gt_verify(c, app, 1, "654321"), 0x9000);
	ck_assert_uint_eq(gt_change_pin(c, app, 0, "87654321",
					"a long admin pin of 32 chars...."), 0x9000);
	gt_reload(c);
	app = gt_open_app(c, "APP1");
	ck_assert_uint_eq(gt_verify(c, app, 0, "a long admin pin of 32 chars...."), 0x9000);
	ck_assert_uint_eq(gt_verify(c, app, 1, "654321"), 0x9000);
	/* wrong data length, wrong P2 */
	uint8_t d[66] = {0};
	gt_ids(d, app, -1);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x16, 0, 1, d, 65, GT_NO_LE), 0x6700);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x16, 0, 3, d, 66, GT_NO_LE), 0x6A86);
	gt_free(c);
}
END_TEST

START_TEST(clear_secure_state)
{
	uint16_t app, cid;
	gt_card *c = gt_new_app(&app);
	ck_assert_uint_eq(gt_create_cont(c, app, "K1", &cid), 0x6982);
	ck_assert_uint_eq(gt_verify(c, app, 1, "111111"), 0x9000);
	ck_assert_uint_eq(gt_create_cont(c, app, "K1", &cid), 0x9000);
	uint8_t d[2];
	gt_ids(d, app, -1);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x1C, 0, 0, d, 2, GT_NO_LE), 0x9000);
	ck_assert_uint_eq(gt_create_cont(c, app, "K2", &cid), 0x6982);
	/* a failed verify also drops the verified state */
	ck_assert_uint_eq(gt_verify(c, app, 1, "111111"), 0x9000);
	ck_assert_uint_eq(gt_verify(c, app, 1, "000000"), 0x63C9);
	ck_assert_uint_eq(gt_create_cont(c, app, "K2", &cid), 0x6982);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x1C, 0, 0, d, 1, GT_NO_LE), 0x6700);
	gt_free(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vtoken_gmt0017_pin");
	TCase *tc = tcase_create("pin");
	tcase_add_test(tc, pin_info_and_verify);
	tcase_add_test(tc, verify_needs_fresh_challenge);
	tcase_add_test(tc, wrong_pin_locks);
	tcase_add_test(tc, admin_pin_locks);
	tcase_add_test(tc, change_pin);
	tcase_add_test(tc, clear_secure_state);
	suite_add_tcase(s, tc);
	return gt_run(s);
}
