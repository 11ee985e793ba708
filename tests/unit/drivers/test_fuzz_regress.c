/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Regressions found by the drivers fuzzers (tests/fuzz/fuzz_drivers_*.c):
 * each test replays the situation of one finding.
 */
#include <check.h>
#include <string.h>

#include "driver.h"
#include "ftcos.h"
#include "mock_card.h"

/* A blank card: every command answers 6A82. */
static ukey_rv blank_xfer(void *ctx, const uint8_t *cmd, size_t cmdlen,
			  uint8_t *rsp, size_t rspcap, size_t *rsplen)
{
	unsigned *calls = ctx;

	(void)cmd;
	(void)cmdlen;
	(*calls)++;
	if (rspcap < 2)
		return UKEY_E_BUFFER_TOO_SMALL;
	rsp[0] = 0x6A;
	rsp[1] = 0x82;
	*rsplen = 2;
	return UKEY_OK;
}

/* fuzz_drivers_profile: a profile with pin_min above what FTCOS stores
 * (16) gave pin_info min_len 38 > max_len 16 (CK_TOKEN_INFO with
 * ulMinPinLen > ulMaxPinLen). */
START_TEST(test_pin_info_min_le_max)
{
	static const char text[] = "name = t\ndriver = ftcos\natr = 3B 00\n"
				   "pin_min = 38\npin_max = 40\n";
	static ukey_profile prof;
	static ukey_card card;
	char err[128];
	unsigned calls = 0;
	ukey_pin_info pi;
	const ukey_driver *drv = ukey_driver_find("ftcos");

	ck_assert_ptr_nonnull(drv);
	ck_assert_int_eq(ukey_profile_parse(text, sizeof(text) - 1, "t.profile",
					    &prof, err, sizeof(err)), UKEY_OK);
	memset(&card, 0, sizeof(card));
	card.profile = &prof;
	card.drv = drv;
	ukey_chan_init(&card.chan, blank_xfer, &calls, &prof.chan);
	ck_assert_int_eq(drv->bind(&card), UKEY_OK);
	ck_assert_uint_gt(calls, 0);
	for (int role = UKEY_PIN_USER; role <= UKEY_PIN_SO; role++) {
		memset(&pi, 0xA5, sizeof(pi));
		ck_assert_int_eq(drv->pin_info(&card, (ukey_pin_role)role, &pi),
				 UKEY_OK);
		ck_assert_uint_eq(pi.max_len, FTCOS_PIN_STORED);
		ck_assert_uint_le(pi.min_len, pi.max_len);
		ck_assert_uint_eq(pi.min_len, FTCOS_PIN_STORED);
	}
	drv->unbind(&card);
	ck_assert_ptr_null(card.drv_data);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("drivers_fuzz_regress");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_pin_info_min_le_max);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
