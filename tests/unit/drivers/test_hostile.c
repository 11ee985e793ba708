/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Hostile card answers: errors, never crashes or overreads (run under
 * ASan/UBSan with -DUKEY_SANITIZE=ON). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "ftcos.h"
#include "mock_card.h"

static mock_card mock;
static ukey_chan chan;
static ftcos_ctx ctx;

static void setup(void)
{
	mock_init(&mock);
	ukey_chan_init(&chan, mock_xfer, &mock, NULL);
	ftcos_ctx_init(&ctx, &chan, NULL);
}

static void teardown(void)
{
	mock_free(&mock);
}

START_TEST(test_fci_parser)
{
	ftcos_fci f;
	uint8_t b[64];
	long n;

	n = mock_hex("6F 0B 83 02 50 31 80 02 01", b, sizeof(b)); /* truncated */
	ck_assert_int_eq(ftcos_parse_fci(b, (size_t)n, &f), UKEY_E_MALFORMED);
	n = mock_hex("6F 04 83 05 50 31", b, sizeof(b)); /* inner overruns */
	ck_assert_int_eq(ftcos_parse_fci(b, (size_t)n, &f), UKEY_E_MALFORMED);
	n = mock_hex("6F 84 FF FF FF FF 00", b, sizeof(b)); /* huge length */
	ck_assert_int_eq(ftcos_parse_fci(b, (size_t)n, &f), UKEY_E_MALFORMED);
	n = mock_hex("6F 03 83 01 50", b, sizeof(b)); /* FID of 1 byte */
	ck_assert_int_eq(ftcos_parse_fci(b, (size_t)n, &f), UKEY_E_MALFORMED);
	n = mock_hex("6F 14 84 12 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
		     b, sizeof(b)); /* DF name longer than 16 */
	ck_assert_int_eq(ftcos_parse_fci(b, (size_t)n, &f), UKEY_E_MALFORMED);
	n = mock_hex("62 03 83 01 50", b, sizeof(b)); /* not an FCI */
	ck_assert_int_eq(ftcos_parse_fci(b, (size_t)n, &f), UKEY_E_MALFORMED);
	n = mock_hex("6F 08 83 02 50 31 80 02 01 0E 99", b, sizeof(b)); /* trailing */
	ck_assert_int_eq(ftcos_parse_fci(b, (size_t)n, &f), UKEY_E_MALFORMED);
	n = mock_hex("6F 08 83 02 50 31 80 02 01 0E", b, sizeof(b));
	ck_assert_int_eq(ftcos_parse_fci(b, (size_t)n, &f), UKEY_OK);
	ck_assert_uint_eq(f.size, 270);
	ck_assert_int_eq(f.is_df, 0);
}
END_TEST

START_TEST(test_select_wrong_fid_in_fci)
{
	static const uint8_t path[4] = { 0x3F, 0x00, 0x50, 0x31 };

	mock_add(&mock, "00 A4 00 00 02 3F 00 E0", "6F 04 83 02 3F 00 90 00");
	mock_add(&mock, "00 A4 00 00 02 50 31 E0", "6F 04 83 02 50 32 90 00");
	ck_assert_int_eq(ftcos_select_path(&ctx, path, 4, NULL), UKEY_E_MALFORMED);
	ck_assert_int_eq(ctx.df_known, 0);
}
END_TEST

START_TEST(test_read_binary_too_long_answer)
{
	uint8_t buf[16];
	size_t got = 0;

	mock_add(&mock, "00 B0 00 00 04", "01 02 03 04 05 90 00");
	ck_assert_int_eq(ftcos_read_binary(&ctx, 0, buf, 4, &got), UKEY_E_MALFORMED);
}
END_TEST

START_TEST(test_read_pubkey_malformed)
{
	uint8_t *n = NULL, *e = NULL;
	size_t nl, el;

	mock_add(&mock, "80 E6 2A 01 00", "45 C8 01 00 01 90 00");
	mock_add(&mock, "80 E6 2A 01 00", "45 04 01 00 01 00 4E 82 01 00 01 02 90 00");
	mock_add(&mock, "80 E6 2A 01 00", "45 04 01 00 01 00 4E 83 01 00 00 90 00");
	mock_add(&mock, "80 E6 2A 01 00", "45 03 01 00 01 4E 04 04 03 02 01 90 00");
	ck_assert_int_eq(ftcos_read_pubkey(&ctx, 1, &n, &nl, &e, &el), UKEY_E_MALFORMED);
	ck_assert_int_eq(ftcos_read_pubkey(&ctx, 1, &n, &nl, &e, &el), UKEY_E_MALFORMED);
	ck_assert_int_eq(ftcos_read_pubkey(&ctx, 1, &n, &nl, &e, &el), UKEY_E_MALFORMED);
	ck_assert_ptr_null(n);
	/* a well-formed tiny one: little-endian on the card */
	ck_assert_int_eq(ftcos_read_pubkey(&ctx, 1, &n, &nl, &e, &el), UKEY_OK);
	ck_assert_uint_eq(nl, 4);
	ck_assert_mem_eq(n, "\x01\x02\x03\x04", 4);
	ck_assert_uint_eq(el, 3);
	ck_assert_mem_eq(e, "\x01\x00\x01", 3);
	free(n);
	free(e);
}
END_TEST

START_TEST(test_sign_rejects_bad_sizes)
{
	uint8_t in[100], out[256];
	size_t ol = sizeof(out);

	memset(in, 1, sizeof(in));
	ck_assert_int_eq(ftcos_rsa_raw(&ctx, 1, in, sizeof(in), out, &ol), UKEY_E_ARGS);
	ck_assert_int_eq(ftcos_rsa_raw(&ctx, 0, in, 128, out, &ol), UKEY_E_ARGS);
	ck_assert_int_eq(ftcos_rsa_raw(&ctx, 10, in, 128, out, &ol), UKEY_E_ARGS);
	ck_assert_uint_eq(mock.pos, 0); /* nothing sent */
}
END_TEST

START_TEST(test_sign_short_answer)
{
	uint8_t in[128], out[256];
	size_t ol = sizeof(out);

	memset(in, 0, sizeof(in));
	mock_add(&mock, "00 22 41 B8 07 80 01 80 83 02 01 22", "90 00");
	{
		char cmd[1024] = "00 2A 86 80 80";

		for (int i = 0; i < 128; i++)
			strcat(cmd, " 00");
		strcat(cmd, " 00");
		mock_add(&mock, cmd, "01 02 03 90 00");
	}
	ck_assert_int_eq(ftcos_rsa_raw(&ctx, 1, in, 128, out, &ol), UKEY_E_MALFORMED);
	ck_assert(mock_done(&mock));
}
END_TEST

/* Whole driver: directories with garbage or absurd sizes. */
static ukey_profile prof;
static ukey_card card;

static void bind_with(const char *odf_fci, const char *odf_rsp)
{
	char err[256];
	static const char text[] = "name = t\ndriver = ftcos\natr = 3B 00\n";

	ck_assert_int_eq(ukey_profile_parse(text, strlen(text), "t", &prof, err,
					    sizeof(err)), UKEY_OK);
	memset(&card, 0, sizeof(card));
	ukey_chan_init(&card.chan, mock_xfer, &mock, NULL);
	card.profile = &prof;
	card.drv = ukey_driver_find("ftcos");
	mock_add(&mock, "00 A4 04 00 0C A0 00 00 00 63 50 4B 43 53 2D 31 35 E0",
		 "6F 04 83 02 50 15 90 00");
	/* no TokenInfo (read first: the directory cache's marker) */
	mock_add(&mock, "00 A4 00 00 02 50 32 E0", "6A 82");
	mock_add(&mock, "00 A4 00 00 02 50 31 E0", odf_fci);
	if (odf_rsp)
		mock_add(&mock, "00 B0 00 00 10", odf_rsp);
}

START_TEST(test_bind_odf_garbage)
{
	ukey_objlist l = { 0 };

	/* ODF of 16 bytes: a valid [0] entry, then garbage */
	bind_with("6F 08 83 02 50 31 80 02 00 10 90 00",
		  "A0 0A 30 08 04 06 3F 00 50 15 44 02 02 FF FF FF 90 00");
	mock_add(&mock, "80 EA 00 00 08", "01 02 03 04 05 06 07 08 90 00");
	ck_assert_int_eq(card.drv->bind(&card), UKEY_OK);
	/* PrKDF: FCI claims 60000 bytes -> refused, not allocated/read */
	mock_add(&mock, "00 A4 00 00 02 44 02 E0", "6F 08 83 02 44 02 80 02 EA 60 90 00");
	ck_assert_int_eq(card.drv->list_objects(&card, &l), UKEY_E_MALFORMED);
	ck_assert(mock_done(&mock));
	ukey_objlist_clear(&l);
	card.drv->unbind(&card);
}
END_TEST

START_TEST(test_list_directory_garbage)
{
	ukey_objlist l = { 0 };

	bind_with("6F 08 83 02 50 31 80 02 00 10 90 00",
		  "A0 0A 30 08 04 06 3F 00 50 15 44 02 00 00 00 00 90 00");
	mock_add(&mock, "80 EA 00 00 08", "01 02 03 04 05 06 07 08 90 00");
	ck_assert_int_eq(card.drv->bind(&card), UKEY_OK);
	/* PrKDF of 32 bytes: an entry that does not decode, a SEQUENCE whose
	 * length overruns the file */
	mock_add(&mock, "00 A4 00 00 02 44 02 E0", "6F 08 83 02 44 02 80 02 00 20 90 00");
	mock_add(&mock, "00 B0 00 00 20",
		 "30 06 30 00 30 00 A1 00 30 FF 01 02 03 04 05 06 07 08 09 0A "
		 "0B 0C 0D 0E 0F 10 11 12 13 14 15 16 90 00");
	ck_assert_int_eq(card.drv->list_objects(&card, &l), UKEY_OK);
	ck_assert_uint_eq(l.n, 0);
	ck_assert(mock_done(&mock));
	ukey_objlist_clear(&l);
	card.drv->unbind(&card);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("drivers_hostile");
	TCase *tc = tcase_create("hostile");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_fci_parser);
	tcase_add_test(tc, test_select_wrong_fid_in_fci);
	tcase_add_test(tc, test_read_binary_too_long_answer);
	tcase_add_test(tc, test_read_pubkey_malformed);
	tcase_add_test(tc, test_sign_rejects_bad_sizes);
	tcase_add_test(tc, test_sign_short_answer);
	tcase_add_test(tc, test_bind_odf_garbage);
	tcase_add_test(tc, test_list_directory_garbage);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
