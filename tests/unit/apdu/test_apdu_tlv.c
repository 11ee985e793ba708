/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Strict BER-TLV parser edge cases. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "apdu.h"
#include "mock_xfer.h"

static uint8_t b[70000];

static ukey_rv parse_hex(const char *hex, ukey_tlv *t, size_t *left_after)
{
	size_t n = hex2bin(hex, b, sizeof(b));
	const uint8_t *p = b;
	size_t left = n;
	ukey_rv rv = ukey_tlv_next(&p, &left, t);
	if (left_after)
		*left_after = left;
	return rv;
}

START_TEST(simple_and_fci)
{
	/* FCI as FTCOS returns it: 6F { 83 FID, 80 size } */
	size_t n = hex2bin("6F 08 83 02 3F 00 80 02 01 00 90", b, sizeof(b));
	const uint8_t *p = b;
	size_t left = n;
	ukey_tlv t;
	ck_assert_int_eq(ukey_tlv_next(&p, &left, &t), UKEY_OK);
	ck_assert_uint_eq(t.tag, 0x6F);
	ck_assert_int_eq(t.constructed, 1);
	ck_assert_uint_eq(t.len, 8);
	ck_assert_uint_eq(left, 1);
	ck_assert_ptr_eq(p, b + 10);
	ukey_tlv f;
	ck_assert_int_eq(ukey_tlv_find(t.value, t.len, 0x80, &f), 0);
	ck_assert_uint_eq(f.len, 2);
	ck_assert_uint_eq(f.value[0], 0x01);
	ck_assert_int_eq(f.constructed, 0);
	ck_assert_int_eq(ukey_tlv_find(t.value, t.len, 0x84, &f), 1);
	/* trailing garbage after the last TLV is detected by find */
	ck_assert_int_eq(ukey_tlv_find(b, n, 0x99, &f), UKEY_E_MALFORMED);
	ck_assert_int_eq(ukey_tlv_find(b, 0, 0x6F, &f), 1);
}
END_TEST

START_TEST(multi_byte_tags)
{
	ukey_tlv t;
	ck_assert_int_eq(parse_hex("5F 2D 02 65 6E", &t, NULL), UKEY_OK);
	ck_assert_uint_eq(t.tag, 0x5F2D);
	ck_assert_uint_eq(t.len, 2);
	ck_assert_int_eq(parse_hex("7F 81 01 01 AA", &t, NULL), UKEY_OK);
	ck_assert_uint_eq(t.tag, 0x7F8101);
	ck_assert_int_eq(t.constructed, 1);
	/* 4-byte tag: refused */
	ck_assert_int_eq(parse_hex("5F 81 81 01 01 AA", &t, NULL), UKEY_E_MALFORMED);
	/* tag truncated */
	ck_assert_int_eq(parse_hex("5F", &t, NULL), UKEY_E_MALFORMED);
	ck_assert_int_eq(parse_hex("5F 81", &t, NULL), UKEY_E_MALFORMED);
}
END_TEST

START_TEST(lengths)
{
	ukey_tlv t;
	size_t left;
	/* long form 81, 82 */
	b[0] = 0x04;
	b[1] = 0x81;
	b[2] = 0x80;
	const uint8_t *p = b;
	left = 3 + 0x80;
	ck_assert_int_eq(ukey_tlv_next(&p, &left, &t), UKEY_OK);
	ck_assert_uint_eq(t.len, 0x80);
	ck_assert_uint_eq(left, 0);
	b[1] = 0x82;
	b[2] = 0x01;
	b[3] = 0x00;
	p = b;
	left = 4 + 256 + 1;
	ck_assert_int_eq(ukey_tlv_next(&p, &left, &t), UKEY_OK);
	ck_assert_uint_eq(t.len, 256);
	ck_assert_uint_eq(left, 1);
	/* 83: 3 length bytes, 65540 bytes of value */
	b[1] = 0x83;
	b[2] = 0x01;
	b[3] = 0x00;
	b[4] = 0x04;
	p = b;
	left = 5 + 65540;
	ck_assert_int_eq(ukey_tlv_next(&p, &left, &t), UKEY_OK);
	ck_assert_uint_eq(t.len, 65540);
	/* 84: 4 length bytes, but claims far more than we have */
	ck_assert_int_eq(parse_hex("04 84 00 00 00 02 AA BB", &t, &left), UKEY_OK);
	ck_assert_uint_eq(t.len, 2);
	ck_assert_int_eq(parse_hex("04 84 7F FF FF FF AA", &t, NULL), UKEY_E_MALFORMED);
	ck_assert_int_eq(parse_hex("04 84 FF FF FF FF AA", &t, NULL), UKEY_E_MALFORMED);
	/* > 4 length bytes */
	ck_assert_int_eq(parse_hex("04 85 00 00 00 00 01 AA", &t, NULL), UKEY_E_MALFORMED);
	ck_assert_int_eq(parse_hex("04 FF", &t, NULL), UKEY_E_MALFORMED);
	/* indefinite */
	ck_assert_int_eq(parse_hex("30 80 04 00 00 00", &t, NULL), UKEY_E_MALFORMED);
	/* truncated: value, length bytes, missing length */
	ck_assert_int_eq(parse_hex("04 03 AA BB", &t, NULL), UKEY_E_MALFORMED);
	ck_assert_int_eq(parse_hex("04 82 01", &t, NULL), UKEY_E_MALFORMED);
	ck_assert_int_eq(parse_hex("04", &t, NULL), UKEY_E_MALFORMED);
	ck_assert_int_eq(parse_hex("", &t, NULL), UKEY_E_MALFORMED);
	/* zero-length value */
	ck_assert_int_eq(parse_hex("05 00", &t, &left), UKEY_OK);
	ck_assert_uint_eq(t.len, 0);
	ck_assert_uint_eq(left, 0);
}
END_TEST

START_TEST(failure_leaves_cursor)
{
	size_t n = hex2bin("04 05 AA", b, sizeof(b));
	const uint8_t *p = b;
	size_t left = n;
	ukey_tlv t;
	ck_assert_int_eq(ukey_tlv_next(&p, &left, &t), UKEY_E_MALFORMED);
	ck_assert_ptr_eq(p, b);
	ck_assert_uint_eq(left, n);
	ck_assert_int_eq(ukey_tlv_next(NULL, &left, &t), UKEY_E_ARGS);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("apdu_tlv");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, simple_and_fci);
	tcase_add_test(tc, multi_byte_tags);
	tcase_add_test(tc, lengths);
	tcase_add_test(tc, failure_leaves_cursor);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
