/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ukey_transmit over a scripted mock transport: 61xx chains, 6Cxx, command
 * chaining, limits, malformed responses. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "apdu.h"
#include "mock_xfer.h"

static mock_xfer *m;
static ukey_chan ch;
static uint8_t r[4096];
static size_t rl;
static uint16_t sw;

static void setup(void)
{
	m = malloc(sizeof(*m));
	ck_assert_ptr_nonnull(m);
	mock_init(m);
	ukey_chan_init(&ch, mock_xfer_fn, m, NULL);
	rl = 0;
	sw = 0;
}

static void teardown(void)
{
	free(m);
}

static const uint8_t fid[2] = {0x3F, 0x00};

START_TEST(plain_9000)
{
	mock_add_hex(m, "01 02 03 90 00");
	ukey_apdu a = {.ins = 0xB0, .le = 3};
	ck_assert_int_eq(ukey_transmit(&ch, &a, r, sizeof(r), &rl, &sw), UKEY_OK);
	ck_assert_uint_eq(sw, 0x9000);
	ck_assert_uint_eq(rl, 3);
	ck_assert_mem_eq(r, "\x01\x02\x03", 3);
	ck_assert_uint_eq(ch.apdu_count, 1);
	ck_assert(mock_cmd_is(m, 0, "00 B0 00 00 03"));
}
END_TEST

START_TEST(get_response_chain)
{
	mock_add_hex(m, "61 05");
	mock_add_hex(m, "11 12 13 14 15 61 03");
	mock_add_hex(m, "21 22 23 90 00");
	ukey_apdu a = {.ins = 0xA4, .data = fid, .lc = 2, .le = UKEY_LE_ANY};
	ck_assert_int_eq(ukey_transmit(&ch, &a, r, sizeof(r), &rl, &sw), UKEY_OK);
	ck_assert_uint_eq(sw, 0x9000);
	ck_assert_uint_eq(rl, 8);
	ck_assert_mem_eq(r, "\x11\x12\x13\x14\x15\x21\x22\x23", 8);
	ck_assert_uint_eq(m->ncalls, 3);
	ck_assert_uint_eq(ch.apdu_count, 3);
	ck_assert(mock_cmd_is(m, 0, "00 A4 00 00 02 3F 00 00"));
	ck_assert(mock_cmd_is(m, 1, "00 C0 00 00 05"));
	ck_assert(mock_cmd_is(m, 2, "00 C0 00 00 03"));
}
END_TEST

START_TEST(get_response_with_data_and_cla)
{
	ukey_chan_opts o = {.get_response_cla = 0x80};
	ukey_chan_init(&ch, mock_xfer_fn, m, &o);
	mock_add_hex(m, "AA BB 61 00"); /* data before 61xx (T=1), 00 = 256 */
	mock_add_hex(m, "CC 6A 82");
	ukey_apdu a = {.cla = 0x80, .ins = 0xE6, .p1 = 0x2A, .p2 = 1, .le = 256};
	ck_assert_int_eq(ukey_transmit(&ch, &a, r, sizeof(r), &rl, &sw), UKEY_OK);
	ck_assert_uint_eq(sw, 0x6A82);
	ck_assert_uint_eq(rl, 3);
	ck_assert_mem_eq(r, "\xAA\xBB\xCC", 3);
	ck_assert(mock_cmd_is(m, 1, "80 C0 00 00 00"));
}
END_TEST

START_TEST(wrong_le_resend)
{
	mock_add_hex(m, "6C 04");
	mock_add_hex(m, "DE AD BE EF 90 00");
	ukey_apdu a = {.ins = 0xB0, .p2 = 0x10, .le = UKEY_LE_ANY};
	ck_assert_int_eq(ukey_transmit(&ch, &a, r, sizeof(r), &rl, &sw), UKEY_OK);
	ck_assert_uint_eq(sw, 0x9000);
	ck_assert_uint_eq(rl, 4);
	ck_assert_mem_eq(r, "\xDE\xAD\xBE\xEF", 4);
	ck_assert(mock_cmd_is(m, 0, "00 B0 00 10 00"));
	ck_assert(mock_cmd_is(m, 1, "00 B0 00 10 04"));
	ck_assert_uint_eq(ch.apdu_count, 2);
}
END_TEST

START_TEST(wrong_le_twice_is_error)
{
	m->repeat_last = 1;
	mock_add_hex(m, "6C 04");
	ukey_apdu a = {.ins = 0xB0, .le = 2};
	ck_assert_int_eq(ukey_transmit(&ch, &a, r, sizeof(r), &rl, &sw),
			 UKEY_E_MALFORMED);
	ck_assert_uint_eq(m->ncalls, 2);
	ck_assert_uint_eq(rl, 0);
}
END_TEST

START_TEST(too_many_61_configured)
{
	ukey_chan_opts o = {.max_get_response = 3};
	ukey_chan_init(&ch, mock_xfer_fn, m, &o);
	m->repeat_last = 1;
	mock_add_hex(m, "AA 61 01");
	ukey_apdu a = {.ins = 0xCA, .le = UKEY_LE_ANY};
	ck_assert_int_eq(ukey_transmit(&ch, &a, r, sizeof(r), &rl, &sw),
			 UKEY_E_TOO_MANY_61);
	ck_assert_uint_eq(m->ncalls, 4); /* command + 3 GET RESPONSE */
}
END_TEST

START_TEST(too_many_61_default)
{
	m->repeat_last = 1;
	mock_add_hex(m, "61 01");
	ukey_apdu a = {.ins = 0xCA, .le = UKEY_LE_ANY};
	ck_assert_int_eq(ukey_transmit(&ch, &a, r, sizeof(r), &rl, &sw),
			 UKEY_E_TOO_MANY_61);
	ck_assert_uint_eq(m->ncalls, 65);
}
END_TEST

START_TEST(command_chaining)
{
	ukey_chan_opts o = {.chaining_ok = 1, .max_lc = 4};
	ukey_chan_init(&ch, mock_xfer_fn, m, &o);
	uint8_t d[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
	mock_add_hex(m, "90 00");
	mock_add_hex(m, "90 00");
	mock_add_hex(m, "61 02");
	mock_add_hex(m, "AB CD 90 00");
	ukey_apdu a = {.ins = 0x2A, .p1 = 0x9E, .p2 = 0x9A, .data = d, .lc = 10,
		       .le = UKEY_LE_ANY};
	ck_assert_int_eq(ukey_transmit(&ch, &a, r, sizeof(r), &rl, &sw), UKEY_OK);
	ck_assert_uint_eq(sw, 0x9000);
	ck_assert_uint_eq(rl, 2);
	ck_assert(mock_cmd_is(m, 0, "10 2A 9E 9A 04 00 01 02 03"));
	ck_assert(mock_cmd_is(m, 1, "10 2A 9E 9A 04 04 05 06 07"));
	ck_assert(mock_cmd_is(m, 2, "00 2A 9E 9A 02 08 09 00"));
	ck_assert(mock_cmd_is(m, 3, "00 C0 00 00 02"));
	ck_assert_uint_eq(ch.apdu_count, 4);
}
END_TEST

START_TEST(chaining_refused_midway)
{
	ukey_chan_opts o = {.chaining_ok = 1, .max_lc = 4};
	ukey_chan_init(&ch, mock_xfer_fn, m, &o);
	uint8_t d[10] = {0};
	mock_add_hex(m, "90 00");
	mock_add_hex(m, "6A 80");
	ukey_apdu a = {.ins = 0xD6, .data = d, .lc = 10};
	ck_assert_int_eq(ukey_transmit(&ch, &a, r, sizeof(r), &rl, &sw), UKEY_OK);
	ck_assert_uint_eq(sw, 0x6A80);
	ck_assert_uint_eq(m->ncalls, 2);
	ck_assert_int_eq(ukey_transmit_ok(&ch, &a, r, sizeof(r), &rl, &sw),
			 UKEY_E_TRANSPORT); /* script exhausted */
}
END_TEST

START_TEST(short_only_refusal)
{
	uint8_t *d = calloc(1, 300);
	ck_assert_ptr_nonnull(d);
	ukey_apdu a = {.ins = 0xD6, .data = d, .lc = 300};
	mock_add_hex(m, "90 00");
	/* short-only card, no chaining: refuse, send nothing */
	ck_assert_int_eq(ukey_transmit(&ch, &a, r, sizeof(r), &rl, &sw), UKEY_E_ARGS);
	ck_assert_uint_eq(m->ncalls, 0);
	/* chaining allowed but this command must not be chained */
	ukey_chan_opts o = {.chaining_ok = 1};
	ukey_chan_init(&ch, mock_xfer_fn, m, &o);
	a.flags = UKEY_APDU_NO_CHAIN;
	ck_assert_int_eq(ukey_transmit(&ch, &a, r, sizeof(r), &rl, &sw), UKEY_E_ARGS);
	ck_assert_uint_eq(m->ncalls, 0);
	/* extended card: one case 3E command */
	ukey_chan_opts e = {.extended_ok = 1, .max_lc = 1000};
	ukey_chan_init(&ch, mock_xfer_fn, m, &e);
	a.flags = 0;
	ck_assert_int_eq(ukey_transmit(&ch, &a, r, sizeof(r), &rl, &sw), UKEY_OK);
	ck_assert_uint_eq(m->ncalls, 1);
	ck_assert_uint_eq(m->cmdlen[0], 4 + 3 + 300);
	ck_assert_uint_eq(m->cmd[0][4], 0x00);
	ck_assert_uint_eq(m->cmd[0][5], 0x01);
	ck_assert_uint_eq(m->cmd[0][6], 0x2C);
	/* extended_ok but max_lc default 255: still refused without chaining */
	ukey_chan_opts e2 = {.extended_ok = 1};
	ukey_chan_init(&ch, mock_xfer_fn, m, &e2);
	ck_assert_int_eq(ukey_transmit(&ch, &a, r, sizeof(r), &rl, &sw), UKEY_E_ARGS);
	free(d);
}
END_TEST

START_TEST(short_only_long_le)
{
	mock_add_hex(m, "90 00");
	ukey_apdu a = {.ins = 0xB0, .le = 1000};
	ck_assert_int_eq(ukey_transmit(&ch, &a, r, sizeof(r), &rl, &sw), UKEY_OK);
	ck_assert(mock_cmd_is(m, 0, "00 B0 00 00 00"));
}
END_TEST

START_TEST(buffer_too_small)
{
	mock_add_hex(m, "01 02 03 04 05 06 07 08 09 0A 90 00");
	ukey_apdu a = {.ins = 0xB0, .le = UKEY_LE_ANY};
	ck_assert_int_eq(ukey_transmit(&ch, &a, r, 8, &rl, &sw),
			 UKEY_E_BUFFER_TOO_SMALL);
	ck_assert_uint_eq(rl, 0);
	/* the GET RESPONSE chain overflows on its second part */
	mock_init(m);
	mock_add_hex(m, "01 02 03 04 05 61 05");
	mock_add_hex(m, "06 07 08 09 0A 90 00");
	ck_assert_int_eq(ukey_transmit(&ch, &a, r, 8, &rl, &sw),
			 UKEY_E_BUFFER_TOO_SMALL);
	ck_assert_uint_eq(m->ncalls, 2);
	/* exactly fitting is fine */
	mock_init(m);
	mock_add_hex(m, "01 02 03 04 61 04");
	mock_add_hex(m, "05 06 07 08 90 00");
	ck_assert_int_eq(ukey_transmit(&ch, &a, r, 8, &rl, &sw), UKEY_OK);
	ck_assert_uint_eq(rl, 8);
	/* no buffer, no data: fine; data: too small */
	mock_init(m);
	mock_add_hex(m, "90 00");
	mock_add_hex(m, "01 90 00");
	ck_assert_int_eq(ukey_transmit(&ch, &a, NULL, 0, &rl, &sw), UKEY_OK);
	ck_assert_int_eq(ukey_transmit(&ch, &a, NULL, 0, &rl, &sw),
			 UKEY_E_BUFFER_TOO_SMALL);
}
END_TEST

/* A transport that claims more bytes than the buffer holds. */
static ukey_rv lying_xfer(void *ctx, const uint8_t *cmd, size_t cmdlen,
			  uint8_t *rsp, size_t rspcap, size_t *rsplen)
{
	(void)ctx;
	(void)cmd;
	(void)cmdlen;
	rsp[0] = 0x90;
	rsp[1] = 0x00;
	*rsplen = rspcap + 1;
	return UKEY_OK;
}

START_TEST(malformed_responses)
{
	ukey_apdu a = {.ins = 0xB0, .le = 4};
	mock_add_hex(m, "");       /* 0 bytes */
	mock_add_hex(m, "90");     /* 1 byte */
	mock_add_hex(m, "61 02");
	mock_add_hex(m, "90");     /* 1 byte in a GET RESPONSE */
	mock_add_hex(m, "01 02 03 04 05 90 00"); /* more than Le = 4 */
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(ukey_transmit(&ch, &a, r, sizeof(r), &rl, &sw),
				 UKEY_E_MALFORMED);
		ck_assert_uint_eq(rl, 0);
		ck_assert_uint_eq(sw, 0);
	}
	ck_assert_uint_eq(m->ncalls, 5);
	ukey_chan_init(&ch, lying_xfer, NULL, NULL);
	ck_assert_int_eq(ukey_transmit(&ch, &a, r, sizeof(r), &rl, &sw),
			 UKEY_E_MALFORMED);
}
END_TEST

START_TEST(transport_errors_and_ok)
{
	ukey_apdu a = {.ins = 0xA4, .data = fid, .lc = 2};
	mock_add_err(m, UKEY_E_NO_CARD);
	mock_add_hex(m, "61 02");
	mock_add_err(m, UKEY_E_CARD_RESET);
	mock_add_hex(m, "6A 82");
	mock_add_hex(m, "63 C1");
	ck_assert_int_eq(ukey_transmit(&ch, &a, r, sizeof(r), &rl, &sw),
			 UKEY_E_NO_CARD);
	ck_assert_int_eq(ukey_transmit(&ch, &a, r, sizeof(r), &rl, &sw),
			 UKEY_E_CARD_RESET);
	ck_assert_int_eq(ukey_transmit_ok(&ch, &a, r, sizeof(r), &rl, &sw),
			 UKEY_E_SW_FILE_NOT_FOUND);
	ck_assert_uint_eq(sw, 0x6A82);
	ck_assert_int_eq(ukey_transmit_ok(&ch, &a, r, sizeof(r), &rl, &sw),
			 UKEY_E_SW_WRONG_PIN);
	ck_assert_int_eq(ukey_sw_tries_left(sw), 1);
	ck_assert_uint_eq(ch.apdu_count, 5);
}
END_TEST

START_TEST(bad_args)
{
	ukey_apdu a = {.ins = 0xD6, .lc = 3, .data = NULL};
	ck_assert_int_eq(ukey_transmit(&ch, &a, r, sizeof(r), &rl, &sw), UKEY_E_ARGS);
	ck_assert_int_eq(ukey_transmit(NULL, &a, r, sizeof(r), &rl, &sw), UKEY_E_ARGS);
	ck_assert_int_eq(ukey_transmit(&ch, NULL, r, sizeof(r), &rl, &sw), UKEY_E_ARGS);
	ukey_chan empty;
	ukey_chan_init(&empty, NULL, NULL, NULL);
	ukey_apdu b = {.ins = 0xB0};
	ck_assert_int_eq(ukey_transmit(&empty, &b, r, sizeof(r), &rl, &sw), UKEY_E_ARGS);
	ck_assert_uint_eq(m->ncalls, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("apdu_transmit");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, plain_9000);
	tcase_add_test(tc, get_response_chain);
	tcase_add_test(tc, get_response_with_data_and_cla);
	tcase_add_test(tc, wrong_le_resend);
	tcase_add_test(tc, wrong_le_twice_is_error);
	tcase_add_test(tc, too_many_61_configured);
	tcase_add_test(tc, too_many_61_default);
	tcase_add_test(tc, command_chaining);
	tcase_add_test(tc, chaining_refused_midway);
	tcase_add_test(tc, short_only_refusal);
	tcase_add_test(tc, short_only_long_le);
	tcase_add_test(tc, buffer_too_small);
	tcase_add_test(tc, malformed_responses);
	tcase_add_test(tc, transport_errors_and_ok);
	tcase_add_test(tc, bad_args);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
