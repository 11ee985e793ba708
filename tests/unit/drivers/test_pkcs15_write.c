/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PKCS#15 writes in the right order, on the token of the reference trace:
 * a new certificate file is created, written and read back BEFORE its CDF
 * entry is appended (only the new bytes); a delete removes the directory
 * entry first, then zeroes the file. Each change ends, as with OpenSC, by
 * rewriting TokenInfo's lastUpdate.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "mock_card.h"
#include "pkcs15_asn1.h"

static mock_card mock;
static ukey_card card;
static ukey_profile prof;

static void setup(void)
{
	ck_assert_int_eq(mock_load_profile("ftcos-pk01c.profile", &prof), 0);
	mock_init(&mock);
	memset(&card, 0, sizeof(card));
	ukey_chan_init(&card.chan, mock_xfer, &mock, &prof.chan);
	card.profile = &prof;
	card.drv = ukey_driver_find("ftcos");
	ck_assert_int_eq(mock_load_data(&mock, "bind.script"), 0);
	ck_assert_int_eq(mock_load_data(&mock, "list.script"), 0);
}

static void load(const char *name)
{
	ck_assert_int_eq(mock_load_data(&mock, name), 0);
}

/* TokenInfo of the reference trace (lastUpdate 2026-11-24 21:20:33Z) */
static const char ti_hex[] =
	"30 34 02 01 00 04 08 01 02 03 04 05 06 07 08 0C 09 45 6E 74 65 72 53 61 66 65 80 03 45 4D 55 03 02 04 10 A5 11 18 0F 32 30 32 36 31 31 32 34 32 31 32 30 33 33 5A";

/* Like OpenSC, every change ends by rewriting TokenInfo's lastUpdate:
 * select 5032, read it, write it back whole. Returns the step of the
 * write. */
static size_t expect_touch(void)
{
	uint8_t rsp[0x80 + 2];

	memset(rsp, 0, sizeof(rsp));
	ck_assert_int_eq(mock_hex(ti_hex, rsp, sizeof(rsp)), 0x36);
	rsp[0x80] = 0x90;
	mock_add(&mock, "00 A4 00 00 02 50 32 E0",
		 "6F 0B 83 02 50 32 80 02 00 80 82 01 01 90 00");
	mock_add_raw(&mock, (const uint8_t *)"\x00\xB0\x00\x00\x80", 5, rsp,
		     sizeof(rsp));
	mock_add_prefix(&mock, "00 D6 00 00 80", "90 00");
	return mock.n - 1;
}

/* The TokenInfo written at `step` is the trace's with lastUpdate = now. */
static void check_touched(size_t step)
{
	uint8_t old[0x36];
	const uint8_t *cmd = mock.got[step];
	ASN1_GENERALIZEDTIME *gt;
	int day = 1, sec = 1;

	ck_assert_ptr_nonnull(cmd);
	ck_assert_uint_eq(mock.got_len[step], 5 + 0x80);
	ck_assert_int_eq(mock_hex(ti_hex, old, sizeof(old)), 0x36);
	/* all but the 15 characters of the time are unchanged */
	ck_assert_mem_eq(cmd + 5, old, 0x36 - 15);
	for (size_t i = 5 + 0x36; i < 5 + 0x80; i++)
		ck_assert_uint_eq(cmd[i], 0);
	gt = ASN1_GENERALIZEDTIME_new();
	ck_assert_ptr_nonnull(gt);
	ck_assert_int_eq(ASN1_STRING_set(gt, cmd + 5 + 0x36 - 15, 15), 1);
	ck_assert_int_eq(ASN1_GENERALIZEDTIME_check(gt), 1);
	ck_assert_int_eq(ASN1_TIME_diff(&day, &sec, NULL, gt), 1);
	ck_assert_int_eq(day, 0);
	ck_assert_int_le(abs(sec), 5);
	ASN1_GENERALIZEDTIME_free(gt);
}

static void teardown(void)
{
	if (card.drv_data)
		card.drv->unbind(&card);
	mock_free(&mock);
}

START_TEST(test_write_then_delete_cert)
{
	ukey_objlist l = { 0 };
	ukey_object c;
	static const uint8_t der[5] = { 0x30, 0x03, 0x02, 0x01, 0x05 };
	size_t steps_before, cdf_step, touch1, touch2, zap_step;

	ck_assert_int_eq(card.drv->bind(&card), UKEY_OK);
	ck_assert_int_eq(card.drv->list_objects(&card, &l), UKEY_OK);
	ck_assert_msg(!mock.mismatch, "%s", mock.last_error);

	/* a write starts from fresh directories (another application may
	 * have changed them): ODF, PrKDF, PuKDF, CDF are read again */
	load("odf.script");
	load("dirs.script");
	/* 3100 is used by the listed certificate: 3101 is tried, absent,
	 * created (MAC'd), written, read back; then the CDF entry is added
	 * right after the existing 0x28 bytes of content. */
	mock_add(&mock, "00 A4 00 00 02 31 01 E0", "6A 82");
	mock_add(&mock, "00 84 00 00 08", "01 02 03 04 05 06 07 08 90 00");
	mock_add_prefix(&mock, "84 E0 02 00 17 31 01 00 05 00 00 00 10 00 10 10 10 10 10 10 10 10 00 00",
			"90 00");
	mock_add(&mock, "00 D6 00 00 05 30 03 02 01 05", "90 00");
	mock_add(&mock, "00 B0 00 00 05", "30 03 02 01 05 90 00");
	mock_add(&mock, "00 A4 00 00 02 44 04 E0", "6F 0B 83 02 44 04 80 02 02 00 82 01 01 90 00");
	mock_add_prefix(&mock, "00 D6 00 28", "90 00");
	cdf_step = mock.n - 1;
	touch1 = expect_touch();
	steps_before = mock.n;

	memset(&c, 0, sizeof(c));
	c.cls = UKEY_OBJ_CERT;
	c.id[0] = 0x07;
	c.id_len = 1;
	strcpy(c.label, "new cert");
	c.value = malloc(sizeof(der));
	memcpy(c.value, der, sizeof(der));
	c.value_len = sizeof(der);
	ck_assert_int_eq(card.drv->write_object(&card, &c), UKEY_OK);
	ck_assert_msg(mock_done(&mock), "%s", mock.last_error);
	ck_assert_uint_eq(mock.n, steps_before);
	ck_assert_uint_eq(c.drv_ref_len, 10);
	ck_assert_mem_eq(c.drv_ref + 4, "\x3F\x00\x50\x15\x31\x01", 6);
	{
		/* the appended bytes are one CDF entry naming 3101, ID 07 */
		const uint8_t *cmd = mock.got[cdf_step];
		const unsigned char *p = cmd + 5;
		P15_CERT_OBJ *e = d2i_P15_CERT_OBJ(NULL, &p, cmd[4]);

		ck_assert_ptr_nonnull(e);
		ck_assert_ptr_eq(p, cmd + 5 + cmd[4]);
		ck_assert_int_eq(ASN1_STRING_length(e->cert->id), 1);
		ck_assert_uint_eq(ASN1_STRING_get0_data(e->cert->id)[0], 0x07);
		ck_assert_mem_eq(ASN1_STRING_get0_data(e->x509->value->path),
				 "\x3F\x00\x50\x15\x31\x01", 6);
		ck_assert_mem_eq(ASN1_STRING_get0_data(e->common->label), "new cert", 8);
		P15_CERT_OBJ_free(e);
	}
	check_touched(touch1);

	/* delete: fresh ODF and CDF (now with the new entry), then the entry
	 * goes first (rewrite of the CDF from its offset, zeros), then the
	 * file contents are zeroed */
	load("odf.script");
	{
		const uint8_t *app = mock.got[cdf_step];
		uint8_t rsp[226];
		static const uint8_t old_cdf[0x28] = {
			0x30, 0x26, 0x30, 0x11, 0x0C, 0x0B, 'C', 'e', 'r', 't', 'i',
			'f', 'i', 'c', 'a', 't', 'e', 0x03, 0x02, 0x06, 0x40, 0x30,
			0x03, 0x04, 0x01, 0x01, 0xA1, 0x0C, 0x30, 0x0A, 0x30, 0x08,
			0x04, 0x06, 0x3F, 0x00, 0x50, 0x15, 0x31, 0x00 };

		memset(rsp, 0, sizeof(rsp));
		memcpy(rsp, old_cdf, sizeof(old_cdf));
		memcpy(rsp + 0x28, app + 5, app[4]);
		rsp[224] = 0x90;
		mock_add(&mock, "00 A4 00 00 02 44 04 E0",
			 "6F 0B 83 02 44 04 80 02 02 00 82 01 01 90 00");
		mock_add_raw(&mock, (const uint8_t *)"\x00\xB0\x00\x00\xE0", 5, rsp,
			     sizeof(rsp));
	}
	mock_add_prefix(&mock, "00 D6 00 28", "90 00");
	zap_step = mock.n - 1;
	mock_add(&mock, "00 A4 00 00 02 31 01 E0", "6F 0B 83 02 31 01 80 02 00 05 82 01 01 90 00");
	mock_add(&mock, "00 D6 00 00 05 00 00 00 00 00", "90 00");
	touch2 = expect_touch();
	ck_assert_int_eq(card.drv->delete_object(&card, &c), UKEY_OK);
	ck_assert_msg(mock_done(&mock), "%s", mock.last_error);
	/* the deleted entry's bytes were all rewritten as zeros */
	{
		const uint8_t *cmd = mock.got[zap_step];
		size_t lc;

		ck_assert_ptr_nonnull(cmd);
		ck_assert_uint_ge(mock.got_len[zap_step], 5);
		lc = cmd[4];
		ck_assert_uint_eq(mock.got_len[zap_step], 5 + lc);
		ck_assert_uint_gt(lc, 10);
		for (size_t i = 0; i < lc; i++)
			ck_assert_uint_eq(cmd[5 + i], 0);
	}
	check_touched(touch2);
	ukey_object_clear(&c);
	ukey_objlist_clear(&l);
}
END_TEST

START_TEST(test_failed_file_write_leaves_directory_alone)
{
	ukey_objlist l = { 0 };
	ukey_object c;

	ck_assert_int_eq(card.drv->bind(&card), UKEY_OK);
	ck_assert_int_eq(card.drv->list_objects(&card, &l), UKEY_OK);
	load("odf.script");
	load("dirs.script");
	mock_add(&mock, "00 A4 00 00 02 31 01 E0", "6A 82");
	mock_add(&mock, "00 84 00 00 08", "01 02 03 04 05 06 07 08 90 00");
	mock_add_prefix(&mock, "84 E0 02 00 17 31 01", "90 00");
	mock_add(&mock, "00 D6 00 00 03 30 01 00", "90 00");
	/* the card returns something else than what was written */
	mock_add(&mock, "00 B0 00 00 03", "30 01 FF 90 00");
	memset(&c, 0, sizeof(c));
	c.cls = UKEY_OBJ_CERT;
	c.id_len = 1;
	c.value = malloc(3);
	memcpy(c.value, "\x30\x01\x00", 3);
	c.value_len = 3;
	ck_assert_int_eq(card.drv->write_object(&card, &c), UKEY_E_SW_MEMORY);
	/* nothing was sent after the failed read-back: no CDF update */
	ck_assert_msg(mock_done(&mock), "%s", mock.last_error);
	ukey_object_clear(&c);
	ukey_objlist_clear(&l);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("drivers_pkcs15_write");
	TCase *tc = tcase_create("write");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_write_then_delete_cert);
	tcase_add_test(tc, test_failed_file_write_leaves_directory_alone);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
