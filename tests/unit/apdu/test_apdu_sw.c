/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Status-word mapping and texts. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "apdu.h"

START_TEST(sw_classes)
{
	static const struct {
		uint16_t sw;
		ukey_rv rv;
	} map[] = {
		{0x9000, UKEY_OK},
		{0x6100, UKEY_OK},
		{0x6110, UKEY_OK},
		{0x63C0, UKEY_E_SW_WRONG_PIN},
		{0x63C2, UKEY_E_SW_WRONG_PIN},
		{0x63CF, UKEY_E_SW_WRONG_PIN},
		{0x6300, UKEY_E_SW_WRONG_PIN},
		{0x6983, UKEY_E_SW_PIN_BLOCKED},
		{0x6982, UKEY_E_SW_SECURITY},
		{0x6985, UKEY_E_SW_COND_NOT_SAT},
		{0x6A82, UKEY_E_SW_FILE_NOT_FOUND},
		{0x6A84, UKEY_E_SW_NOT_ENOUGH_SPACE},
		{0x6700, UKEY_E_SW_WRONG_LENGTH},
		{0x6A80, UKEY_E_SW_WRONG_DATA},
		{0x6A86, UKEY_E_SW_WRONG_P1P2},
		{0x6B00, UKEY_E_SW_WRONG_P1P2},
		{0x6D00, UKEY_E_SW_INS_NOT_SUPPORTED},
		{0x6E00, UKEY_E_SW_CLA_NOT_SUPPORTED},
		{0x6A89, UKEY_E_SW_FILE_EXISTS},
		{0x6A88, UKEY_E_SW_REF_NOT_FOUND},
		{0x6A81, UKEY_E_SW_FUNC_NOT_SUPPORTED},
		{0x6581, UKEY_E_SW_MEMORY},
		{0x6987, UKEY_E_SW_SM},
		{0x6988, UKEY_E_SW_SM},
		{0x6F00, UKEY_E_SW_OTHER},
		{0x6C10, UKEY_E_SW_OTHER},
		{0x63C, UKEY_E_SW_OTHER},
		{0x0000, UKEY_E_SW_OTHER},
		{0x9001, UKEY_E_SW_OTHER},
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		ck_assert_msg(ukey_sw_to_err(map[i].sw) == map[i].rv,
			      "SW %04X mapped to %d, want %d", map[i].sw,
			      ukey_sw_to_err(map[i].sw), map[i].rv);
}
END_TEST

START_TEST(sw_texts)
{
	char b[128];
	ck_assert_str_eq(ukey_sw_text(0x6A82, b, sizeof(b)),
			 "6A82: file or application not found");
	ck_assert_str_eq(ukey_sw_text(0x63C2, b, sizeof(b)),
			 "63C2: wrong PIN, 2 tries left");
	ck_assert_str_eq(ukey_sw_text(0x63C1, b, sizeof(b)),
			 "63C1: wrong PIN, 1 try left");
	ck_assert_str_eq(ukey_sw_text(0x6983, b, sizeof(b)),
			 "6983: authentication method blocked (PIN locked)");
	ck_assert_str_eq(ukey_sw_text(0x9000, b, sizeof(b)), "9000: success");
	ck_assert_str_eq(ukey_sw_text(0x6C20, b, sizeof(b)),
			 "6C20: wrong Le, exact length is 32");
	/* truncation keeps a NUL */
	char small[5];
	memset(small, 'x', sizeof(small));
	ck_assert_str_eq(ukey_sw_text(0x6A82, small, sizeof(small)), "6A82");
	/* every code has a text */
	for (int rv = UKEY_OK; rv <= UKEY_E_SW_OTHER; rv++) {
		const char *t = ukey_strerror((ukey_rv)rv);
		ck_assert_ptr_nonnull(t);
		ck_assert_str_ne(t, "unknown error");
		ck_assert_ptr_null(strchr(t, '\n'));
	}
	ck_assert_str_eq(ukey_strerror((ukey_rv)999), "unknown error");
}
END_TEST

START_TEST(tries_left)
{
	ck_assert_int_eq(ukey_sw_tries_left(0x63C0), 0);
	ck_assert_int_eq(ukey_sw_tries_left(0x63C5), 5);
	ck_assert_int_eq(ukey_sw_tries_left(0x63CF), 15);
	ck_assert_int_eq(ukey_sw_tries_left(0x6300), -1);
	ck_assert_int_eq(ukey_sw_tries_left(0x9000), -1);
	ck_assert_int_eq(ukey_sw_tries_left(0x6983), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("apdu_sw");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, sw_classes);
	tcase_add_test(tc, sw_texts);
	tcase_add_test(tc, tries_left);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
