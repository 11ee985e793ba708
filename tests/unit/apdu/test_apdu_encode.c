/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ISO 7816-4 command encoding (all cases, short and extended), strict
 * decoding and response splitting. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "apdu.h"
#include "mock_xfer.h"

static uint8_t buf[UKEY_APDU_MAX_ENCODED];
static uint8_t data[65535];

static void fill_data(void)
{
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 3);
}

/* Encode and compare with expected hex. */
static void expect_enc(const ukey_apdu *a, int ext, const char *hex)
{
	uint8_t want[64];
	size_t wn = hex2bin(hex, want, sizeof(want)), n = 0;
	ck_assert_int_eq(ukey_apdu_encode(a, ext, buf, sizeof(buf), &n), UKEY_OK);
	ck_assert_uint_eq(n, wn);
	ck_assert_mem_eq(buf, want, wn);
}

START_TEST(case1_and_2s)
{
	ukey_apdu a = {.cla = 0x00, .ins = 0xA4, .p1 = 1, .p2 = 2};
	expect_enc(&a, 0, "00 A4 01 02");
	a.le = 8;
	expect_enc(&a, 0, "00 A4 01 02 08");
	a.le = 256; /* 256 => 00 */
	expect_enc(&a, 0, "00 A4 01 02 00");
	a.le = UKEY_LE_ANY;
	expect_enc(&a, 0, "00 A4 01 02 00");
	expect_enc(&a, 1, "00 A4 01 02 00"); /* short still preferred */
}
END_TEST

START_TEST(case3s_4s)
{
	uint8_t d[3] = {0x3F, 0x00, 0x11};
	ukey_apdu a = {.cla = 0x80, .ins = 0xD6, .data = d, .lc = 3};
	expect_enc(&a, 0, "80 D6 00 00 03 3F 00 11");
	a.le = 0x10;
	expect_enc(&a, 0, "80 D6 00 00 03 3F 00 11 10");
	a.le = 256;
	expect_enc(&a, 0, "80 D6 00 00 03 3F 00 11 00");
}
END_TEST

START_TEST(case2e_3e_4e)
{
	fill_data();
	ukey_apdu a = {.cla = 0x00, .ins = 0xB0};
	a.le = 257;
	expect_enc(&a, 1, "00 B0 00 00 00 01 01");
	a.le = 65536; /* => 00 00 */
	expect_enc(&a, 1, "00 B0 00 00 00 00 00");
	ck_assert_int_eq(ukey_apdu_encode(&a, 0, buf, sizeof(buf), &(size_t){0}),
			 UKEY_E_ARGS);

	/* case 3E: 00 Lc1 Lc2 data */
	a.le = 0;
	a.data = data;
	a.lc = 300;
	size_t n = 0;
	ck_assert_int_eq(ukey_apdu_encode(&a, 1, buf, sizeof(buf), &n), UKEY_OK);
	ck_assert_uint_eq(n, 4 + 3 + 300);
	ck_assert_uint_eq(buf[4], 0x00);
	ck_assert_uint_eq(buf[5], 0x01);
	ck_assert_uint_eq(buf[6], 0x2C);
	ck_assert_mem_eq(buf + 7, data, 300);
	ck_assert_int_eq(ukey_apdu_encode(&a, 0, buf, sizeof(buf), &n), UKEY_E_ARGS);

	/* case 4E: 00 Lc1 Lc2 data Le1 Le2 */
	a.le = UKEY_LE_ANY;
	ck_assert_int_eq(ukey_apdu_encode(&a, 1, buf, sizeof(buf), &n), UKEY_OK);
	ck_assert_uint_eq(n, 4 + 3 + 300 + 2);
	ck_assert_uint_eq(buf[n - 2], 0x00);
	ck_assert_uint_eq(buf[n - 1], 0x00);
	a.le = 0x1234;
	ck_assert_int_eq(ukey_apdu_encode(&a, 1, buf, sizeof(buf), &n), UKEY_OK);
	ck_assert_uint_eq(buf[n - 2], 0x12);
	ck_assert_uint_eq(buf[n - 1], 0x34);

	/* short Lc with long Le forces extended for both fields */
	uint8_t d2[2] = {0xAA, 0xBB};
	ukey_apdu b = {.ins = 0x2A, .p1 = 0x86, .p2 = 0x80, .data = d2, .lc = 2,
		       .le = 512};
	expect_enc(&b, 1, "00 2A 86 80 00 00 02 AA BB 02 00");

	/* maximum sizes */
	a.lc = 65535;
	a.le = 65536;
	ck_assert_int_eq(ukey_apdu_encode(&a, 1, buf, sizeof(buf), &n), UKEY_OK);
	ck_assert_uint_eq(n, UKEY_APDU_MAX_ENCODED - 1);
}
END_TEST

START_TEST(encode_bad_args)
{
	size_t n = 99;
	ukey_apdu a = {.ins = 0xB0, .lc = 2, .data = NULL};
	ck_assert_int_eq(ukey_apdu_encode(&a, 1, buf, sizeof(buf), &n), UKEY_E_ARGS);
	a.lc = 65536;
	a.data = data;
	ck_assert_int_eq(ukey_apdu_encode(&a, 1, buf, sizeof(buf), &n), UKEY_E_ARGS);
	a.lc = 0;
	a.le = 65537;
	ck_assert_int_eq(ukey_apdu_encode(&a, 1, buf, sizeof(buf), &n), UKEY_E_ARGS);
	a.le = 5;
	ck_assert_int_eq(ukey_apdu_encode(&a, 1, buf, 4, &n), UKEY_E_BUFFER_TOO_SMALL);
	ck_assert_int_eq(ukey_apdu_encode(NULL, 1, buf, 4, &n), UKEY_E_ARGS);
}
END_TEST

/* Every case, short and extended: decode(encode(x)) == x and
 * encode(decode(raw)) == raw. */
START_TEST(round_trip)
{
	fill_data();
	static const size_t lcs[] = {0, 1, 2, 254, 255, 256, 1000, 65535};
	static const size_t les[] = {0, 1, 255, 256, 257, 4096, 65535, 65536};
	for (size_t i = 0; i < sizeof(lcs) / sizeof(lcs[0]); i++) {
		for (size_t j = 0; j < sizeof(les) / sizeof(les[0]); j++) {
			ukey_apdu a = {.cla = 0x0C, .ins = 0x2A, .p1 = 0x9E,
				       .p2 = 0x9A, .data = lcs[i] ? data : NULL,
				       .lc = lcs[i], .le = les[j]};
			size_t n = 0;
			ck_assert_int_eq(ukey_apdu_encode(&a, 1, buf, sizeof(buf), &n),
					 UKEY_OK);
			ukey_apdu d;
			ck_assert_int_eq(ukey_apdu_decode(buf, n, &d), UKEY_OK);
			ck_assert_uint_eq(d.cla, 0x0C);
			ck_assert_uint_eq(d.ins, 0x2A);
			ck_assert_uint_eq(d.p1, 0x9E);
			ck_assert_uint_eq(d.p2, 0x9A);
			ck_assert_uint_eq(d.lc, lcs[i]);
			ck_assert_uint_eq(d.le, les[j]);
			if (lcs[i])
				ck_assert_mem_eq(d.data, data, lcs[i]);
			uint8_t again[UKEY_APDU_MAX_ENCODED];
			size_t n2 = 0;
			ck_assert_int_eq(ukey_apdu_encode(&d, 1, again, sizeof(again), &n2),
					 UKEY_OK);
			ck_assert_uint_eq(n2, n);
			ck_assert_mem_eq(again, buf, n);
		}
	}
}
END_TEST

START_TEST(decode_strict)
{
	uint8_t raw[16];
	ukey_apdu a;
	static const char *bad[] = {
		"",                       /* empty */
		"00",                     /* short header */
		"00 A4 00",
		"00 A4 00 00 02 3F",      /* Lc says 2, only 1 byte */
		"00 A4 00 00 02 3F 00 00 00", /* one byte too many */
		"00 A4 00 00 00 00",      /* 00 then one byte: neither 2E nor 3E */
		"00 A4 00 00 00 00 00 01", /* 3E with Lc 0 */
		"00 A4 00 00 00 00 02 3F", /* 3E truncated */
		"00 A4 00 00 00 00 01 3F 00", /* 4E with a 1-byte Le */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = hex2bin(bad[i], raw, sizeof(raw));
		ck_assert_msg(ukey_apdu_decode(raw, n, &a) == UKEY_E_MALFORMED,
			      "accepted bad APDU #%zu", i);
	}
	size_t n = hex2bin("00 A4 00 00 02 3F 00 00", raw, sizeof(raw));
	ck_assert_int_eq(ukey_apdu_decode(raw, n, &a), UKEY_OK);
	ck_assert_uint_eq(a.lc, 2);
	ck_assert_uint_eq(a.le, 256);
	n = hex2bin("00 B0 00 00 00 00 00", raw, sizeof(raw));
	ck_assert_int_eq(ukey_apdu_decode(raw, n, &a), UKEY_OK);
	ck_assert_uint_eq(a.lc, 0);
	ck_assert_uint_eq(a.le, 65536);
}
END_TEST

START_TEST(rapdu_split)
{
	uint8_t r[4] = {0xAB, 0xCD, 0x63, 0xC2};
	size_t dl = 99;
	uint16_t sw = 0;
	ck_assert_int_eq(ukey_rapdu_split(r, 0, &dl, &sw), UKEY_E_MALFORMED);
	ck_assert_int_eq(ukey_rapdu_split(r, 1, &dl, &sw), UKEY_E_MALFORMED);
	ck_assert_int_eq(ukey_rapdu_split(r, 4, &dl, &sw), UKEY_OK);
	ck_assert_uint_eq(dl, 2);
	ck_assert_uint_eq(sw, 0x63C2);
	ck_assert_int_eq(ukey_rapdu_split(r + 2, 2, &dl, &sw), UKEY_OK);
	ck_assert_uint_eq(dl, 0);
	uint8_t *big = calloc(1, UKEY_RAPDU_MAX + 1);
	ck_assert_ptr_nonnull(big);
	ck_assert_int_eq(ukey_rapdu_split(big, UKEY_RAPDU_MAX + 1, &dl, &sw),
			 UKEY_E_MALFORMED);
	ck_assert_int_eq(ukey_rapdu_split(big, UKEY_RAPDU_MAX, &dl, &sw), UKEY_OK);
	ck_assert_uint_eq(dl, 65536);
	free(big);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("apdu_encode");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, case1_and_2s);
	tcase_add_test(tc, case3s_4s);
	tcase_add_test(tc, case2e_3e_4e);
	tcase_add_test(tc, encode_bad_args);
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, decode_strict);
	tcase_add_test(tc, rapdu_split);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
