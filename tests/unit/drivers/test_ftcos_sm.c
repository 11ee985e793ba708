/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * FTCOS secure-messaging admin commands: the bytes we send must equal the
 * ones OpenSC sent in the reference traces for the same card challenge.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ftcos.h"
#include "mock_card.h"

static mock_card mock;
static ukey_chan chan;
static ftcos_ctx ctx;

static void setup_script(const char *name)
{
	mock_init(&mock);
	ck_assert_int_eq(mock_load_data(&mock, name), 0);
	ck_assert_uint_gt(mock.n, 0);
	ukey_chan_init(&chan, mock_xfer, &mock, NULL);
	ck_assert_int_eq(ftcos_ctx_init(&ctx, &chan, NULL), UKEY_OK);
}

START_TEST(test_admin_commands_match_trace)
{
	static const uint8_t mf_aid[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					    0x4B, 0x6F, 0x18, 0xAB, 0x28 };
	static const uint8_t df_aid[16] = { 0xA0, 0x00, 0x00, 0x00, 0x63, 0x50,
					    0x4B, 0x43, 0x53, 0x2D, 0x31, 0x35,
					    0x00, 0x00, 0x10, 0x10 };
	static const uint8_t rec[] = { 0x04, 0x0A, 0x22, 0x34, 0x04, 0x34, 0x40,
				       0x00, 0x00, 0x45, 0x04, 0x01, 0x00, 0x01,
				       0x00, 0xE9, 0x82, 0x04, 0x00 };

	setup_script("admin.script");
	ck_assert_int_eq(ftcos_create_mf(&ctx, mf_aid), UKEY_OK);
	ck_assert_msg(!mock.mismatch, "%s", mock.last_error);
	ck_assert_int_eq(ftcos_create_ef(&ctx, 0x2F00, 0x80, 0, 0x10, 0x10), UKEY_OK);
	ck_assert_msg(!mock.mismatch, "%s", mock.last_error);
	ck_assert_uint_eq(ctx.ef, 0x2F00);
	ck_assert_int_eq(ftcos_create_df(&ctx, 0x5015, 0x30, 0x3E80, df_aid, 16),
			 UKEY_OK);
	ck_assert_msg(!mock.mismatch, "%s", mock.last_error);
	ck_assert_uint_eq(ctx.df_depth, 2);
	ck_assert_uint_eq(ctx.df_path[1], 0x5015);
	ck_assert_int_eq(ftcos_install_key(&ctx, 1, rec, sizeof(rec)), UKEY_OK);
	ck_assert_msg(!mock.mismatch, "%s", mock.last_error);
	ck_assert_int_eq(ftcos_set_pin(&ctx, 1, (const uint8_t *)"1234", 4), UKEY_OK);
	ck_assert_msg(mock_done(&mock), "%s", mock.last_error);
	mock_free(&mock);
}
END_TEST

START_TEST(test_write_key_long_matches_trace)
{
	char path[512], line[1024];
	uint8_t plain[256];
	long n = -1;
	FILE *f;

	setup_script("writekey.script");
	snprintf(path, sizeof(path), "%s/writekey.script", UKEY_TEST_DATA);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "# plain ", 8) == 0)
			n = mock_hex(line + 8, plain, sizeof(plain));
	fclose(f);
	ck_assert_int_eq(n, 139);
	ck_assert_int_eq(ftcos_write_key(&ctx, 0x22, 1, plain, (size_t)n), UKEY_OK);
	ck_assert_msg(mock_done(&mock), "%s", mock.last_error);
	mock_free(&mock);
}
END_TEST

START_TEST(test_wrong_mac_reported)
{
	mock_init(&mock);
	mock_add(&mock, "00 84 00 00 08", "01 02 03 04 05 06 07 08 90 00");
	mock_add(&mock, "84 F0 00 01 07 01 02 03 49 0F F5 32", "69 88");
	ukey_chan_init(&chan, mock_xfer, &mock, NULL);
	ftcos_ctx_init(&ctx, &chan, NULL);
	/* whatever the MAC, a card answering 6988 must give UKEY_E_SW_SM or a
	 * transport mismatch; never success */
	ck_assert_int_ne(ftcos_install_key(&ctx, 1, (const uint8_t *)"\x01\x02\x03", 3),
			 UKEY_OK);
	mock_free(&mock);
}
END_TEST

START_TEST(test_challenge_short_answer)
{
	uint8_t buf[8];

	mock_init(&mock);
	mock_add(&mock, "00 84 00 00 08", "01 02 03 90 00");
	ukey_chan_init(&chan, mock_xfer, &mock, NULL);
	ftcos_ctx_init(&ctx, &chan, NULL);
	ck_assert_int_eq(ftcos_get_challenge(&ctx, buf, 8), UKEY_E_MALFORMED);
	mock_free(&mock);
}
END_TEST

START_TEST(test_profile_keys_override)
{
	ukey_profile prof;
	char err[256];
	static const char text[] =
		"name = x\ndriver = ftcos\natr = 3B 00\n"
		"transport_key = 01 02 03 04 05 06 07 08\nmax_read = 100\n";

	ck_assert_int_eq(ukey_profile_parse(text, strlen(text), "t.profile", &prof,
					    err, sizeof(err)), UKEY_OK);
	ukey_chan_init(&chan, mock_xfer, &mock, NULL);
	ck_assert_int_eq(ftcos_ctx_init(&ctx, &chan, &prof), UKEY_OK);
	ck_assert_uint_eq(ctx.transport_key_len, 8);
	ck_assert_uint_eq(ctx.transport_key[7], 8);
	ck_assert_uint_eq(ctx.max_read, 100);
	ck_assert_uint_eq(ctx.init_key_len, 16);
	ck_assert_uint_eq(ctx.maint_key[15], 0xEF);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("drivers_ftcos_sm");
	TCase *tc = tcase_create("sm");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_admin_commands_match_trace);
	tcase_add_test(tc, test_write_key_long_matches_trace);
	tcase_add_test(tc, test_wrong_mac_reported);
	tcase_add_test(tc, test_challenge_short_answer);
	tcase_add_test(tc, test_profile_keys_override);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
