/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * apdu/ PC/SC transport through the real stack: libpcsclite -> private
 * pcscd -> vpcd -> ukey-scripted-card. Run by tests/harness/pcsc-run with
 *   card 0: ukey-scripted-card --script apdu.script   (default ATR)
 *   card 1: ukey-scripted-card --atr CARD1_ATR --reconnect=…
 * Each Check tcase is one ctest test (CK_RUN_CASE), in its own namespace.
 */
#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "apdu.h"
#include "pcsc.h"
#include "scripted_card.h"

#define CARD1_ATR_HEX "3B05756B657931"
static const uint8_t card0_atr[] = { 0x3B, 0x04, 0x75, 0x6B, 0x65, 0x79 };
static const uint8_t card1_atr[] = { 0x3B, 0x05, 0x75, 0x6B, 0x65, 0x79, 0x31 };

/* ---------------------------------------------------------------- helpers */

static const char *reader_of(int k)
{
	char var[32];
	const char *v;

	snprintf(var, sizeof(var), "UKEY_READER_%d", k);
	v = getenv(var);
	ck_assert_msg(getenv("UKEY_HARNESS") != NULL && v != NULL,
		      "run me through tests/harness/pcsc-run (%s unset)", var);
	return v;
}

static pid_t card_pid(int k)
{
	const char *s = getenv("UKEY_CARD_PIDS");
	long pid = -1;

	ck_assert_msg(s != NULL, "UKEY_CARD_PIDS unset");
	for (int i = 0; i <= k; i++) {
		char *end;

		pid = strtol(s, &end, 10);
		ck_assert_msg(end != s, "UKEY_CARD_PIDS has no card %d", k);
		s = end;
	}
	ck_assert_int_gt(pid, 1);
	return (pid_t)pid;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Wait (event-driven, bounded) until the reader shows present == want. */
static int wait_present(ukey_pcsc *ctx, const char *reader, int want,
			long timeout_ms)
{
	long deadline = now_ms() + timeout_ms;

	for (;;) {
		ukey_reader_state st;
		ukey_rv rv = ukey_pcsc_reader_state(ctx, reader, &st);
		long left = deadline - now_ms();

		if (rv == UKEY_OK && st.present == want)
			return 0;
		if (left <= 0)
			return -1;
		(void)ukey_pcsc_wait_change(ctx, &reader, 1,
					    left < 500 ? left : 500);
	}
}

static ukey_pcsc_card *connect_ok(ukey_pcsc *ctx, const char *reader)
{
	ukey_pcsc_card *card = NULL;
	ukey_rv rv = ukey_pcsc_connect(ctx, reader, &card);

	ck_assert_msg(rv == UKEY_OK, "connect %s: %s", reader,
		      ukey_strerror(rv));
	ck_assert_ptr_nonnull(card);
	return card;
}

/* Echo n bytes through the built-in echo command; asserts the bytes. */
static ukey_rv echo(ukey_chan *ch, size_t n, uint8_t seed)
{
	uint8_t data[255], out[300];
	size_t rlen = 0;
	uint16_t sw = 0;
	ukey_apdu a = { SC_CLA, SC_INS_ECHO, 0, 0, data, n, UKEY_LE_ANY, 0 };
	ukey_rv rv;

	ck_assert(n >= 1 && n <= sizeof(data));
	for (size_t i = 0; i < n; i++)
		data[i] = (uint8_t)(seed + i * 13u);
	rv = ukey_transmit(ch, &a, out, sizeof(out), &rlen, &sw);
	if (rv != UKEY_OK)
		return rv;
	ck_assert_uint_eq(sw, 0x9000);
	ck_assert_uint_eq(rlen, n);
	ck_assert_mem_eq(out, data, n);
	return UKEY_OK;
}

/* ------------------------------------------------------------------ list */

START_TEST(test_list_readers)
{
	ukey_pcsc *ctx = NULL;
	char **names = NULL;
	size_t count = 0;
	int seen0 = 0, seen1 = 0;
	ukey_reader_state st;

	ck_assert_int_eq(ukey_pcsc_open(&ctx), UKEY_OK);
	ck_assert_int_eq(ukey_pcsc_list_readers(ctx, &names, &count), UKEY_OK);
	ck_assert_uint_eq(count, 2); /* one vpcd entry = two readers */
	for (size_t i = 0; i < count; i++) {
		seen0 += strcmp(names[i], reader_of(0)) == 0;
		seen1 += strcmp(names[i], reader_of(1)) == 0;
	}
	ck_assert_int_eq(seen0, 1);
	ck_assert_int_eq(seen1, 1);
	ukey_pcsc_free_names(names, count);

	ck_assert_int_eq(ukey_pcsc_reader_state(ctx, reader_of(0), &st), UKEY_OK);
	ck_assert_int_eq(st.present, 1);
	ck_assert_uint_eq(st.atr_len, sizeof(card0_atr));
	ck_assert_mem_eq(st.atr, card0_atr, sizeof(card0_atr));
	ck_assert_int_eq(ukey_pcsc_reader_state(ctx, reader_of(1), &st), UKEY_OK);
	ck_assert_int_eq(st.present, 1);
	ck_assert_uint_eq(st.atr_len, sizeof(card1_atr));
	ck_assert_mem_eq(st.atr, card1_atr, sizeof(card1_atr));

	ck_assert_int_eq(ukey_pcsc_reader_state(ctx, "No Such Reader 00 00", &st),
			 UKEY_E_NO_READER);
	ukey_pcsc_close(ctx);
}
END_TEST

/* -------------------------------------------------------------- exchange */

START_TEST(test_plain_exchange)
{
	ukey_pcsc *ctx = NULL;
	ukey_pcsc_card *a, *b;
	ukey_chan ch;
	uint8_t atr[40], out[300];
	size_t len = 0, rlen = 0;
	uint16_t sw = 0;
	static const uint8_t aid[] = { 0xA0, 0x00, 0x00, 0x00, 0x01 };
	static const uint8_t fci[] = { 0x6F, 0x03, 0x84, 0x01, 0x42 };
	ukey_apdu sel = { 0x00, 0xA4, 0x04, 0x00, aid, sizeof(aid), 0, 0 };
	ukey_apdu bad = { 0x00, 0xB0, 0x00, 0x00, NULL, 0, 4, 0 };

	ck_assert_int_eq(ukey_pcsc_open(&ctx), UKEY_OK);
	a = connect_ok(ctx, reader_of(0));
	b = connect_ok(ctx, reader_of(0)); /* SHARED: a second handle works */
	ck_assert_int_eq(ukey_pcsc_protocol(a), 0); /* the ATR offers T=0 only */
	ck_assert_int_eq(ukey_pcsc_atr(a, atr, sizeof(atr), &len), UKEY_OK);
	ck_assert_uint_eq(len, sizeof(card0_atr));
	ck_assert_mem_eq(atr, card0_atr, len);
	ck_assert_int_eq(ukey_pcsc_atr(a, atr, 3, &len),
			 UKEY_E_BUFFER_TOO_SMALL);

	ukey_chan_init(&ch, ukey_pcsc_xfer, a, NULL);
	ck_assert_int_eq(ukey_pcsc_begin(a), UKEY_OK);
	/* scripted answer (apdu.script) */
	ck_assert_int_eq(ukey_transmit(&ch, &sel, out, sizeof(out), &rlen, &sw),
			 UKEY_OK);
	ck_assert_uint_eq(sw, 0x9000);
	ck_assert_uint_eq(rlen, sizeof(fci));
	ck_assert_mem_eq(out, fci, sizeof(fci));
	/* scripted error SW surfaces as the SW, mapped by ukey_sw_to_err */
	ck_assert_int_eq(ukey_transmit(&ch, &bad, out, sizeof(out), &rlen, &sw),
			 UKEY_OK);
	ck_assert_uint_eq(sw, 0x6A82);
	ck_assert_uint_eq(rlen, 0);
	ck_assert_int_eq(ukey_sw_to_err(sw), UKEY_E_SW_FILE_NOT_FOUND);
	ck_assert_int_eq(echo(&ch, 1, 0x11), UKEY_OK);
	ck_assert_int_eq(echo(&ch, 255, 0x22), UKEY_OK);
	ck_assert_uint_eq(ch.apdu_count, 4);
	/* scripted sequence: 01, 02, then 02 again */
	for (uint8_t want = 1; want <= 3; want++) {
		ukey_apdu gd = { 0x00, 0xCA, 0x01, 0x01, NULL, 0, UKEY_LE_ANY, 0 };

		ck_assert_int_eq(ukey_transmit_ok(&ch, &gd, out, sizeof(out),
						  &rlen, &sw), UKEY_OK);
		ck_assert_uint_eq(rlen, 1);
		ck_assert_uint_eq(out[0], want < 2 ? want : 2);
	}
	/* scripted prefix match with 100 bytes of data */
	{
		uint8_t blob[100];
		ukey_apdu upd = { 0x00, 0xD6, 0x00, 0x10, blob, sizeof(blob), 0, 0 };

		memset(blob, 0x5A, sizeof(blob));
		ck_assert_int_eq(ukey_transmit_ok(&ch, &upd, out, sizeof(out),
						  &rlen, &sw), UKEY_OK);
		ck_assert_uint_eq(sw, 0x9000);
		ck_assert_uint_eq(rlen, 0);
	}
	ukey_pcsc_end(a);

	/* the other handle can use the card between transactions */
	ukey_chan_init(&ch, ukey_pcsc_xfer, b, NULL);
	ck_assert_int_eq(ukey_pcsc_begin(b), UKEY_OK);
	ck_assert_int_eq(echo(&ch, 16, 0x33), UKEY_OK);
	ukey_pcsc_end(b);

	ukey_pcsc_disconnect(b, 0);
	ukey_pcsc_disconnect(a, 0);
	ukey_pcsc_close(ctx);
}
END_TEST

/* ----------------------------------------------------------- transaction */

struct waiter {
	ukey_pcsc_card *card;
	atomic_int done;
	ukey_rv rv;
};

static void *begin_in_thread(void *p)
{
	struct waiter *w = p;

	w->rv = ukey_pcsc_begin(w->card);
	atomic_store(&w->done, 1);
	return NULL;
}

START_TEST(test_transaction_excludes)
{
	ukey_pcsc *ctx1 = NULL, *ctx2 = NULL;
	ukey_pcsc_card *a, *b;
	struct waiter w;
	pthread_t th;
	ukey_chan ch;

	/* two contexts = two independent clients of pcscd */
	ck_assert_int_eq(ukey_pcsc_open(&ctx1), UKEY_OK);
	ck_assert_int_eq(ukey_pcsc_open(&ctx2), UKEY_OK);
	a = connect_ok(ctx1, reader_of(0));
	b = connect_ok(ctx2, reader_of(0));

	ck_assert_int_eq(ukey_pcsc_begin(a), UKEY_OK);
	memset(&w, 0, sizeof(w));
	w.card = b;
	atomic_init(&w.done, 0);
	ck_assert_int_eq(pthread_create(&th, NULL, begin_in_thread, &w), 0);
	/* while a holds the transaction, b's begin must stay blocked */
	usleep(300 * 1000);
	ck_assert_msg(atomic_load(&w.done) == 0,
		      "second BeginTransaction did not wait (rv %d)", w.rv);
	ukey_chan_init(&ch, ukey_pcsc_xfer, a, NULL);
	ck_assert_int_eq(echo(&ch, 8, 0x44), UKEY_OK);
	ukey_pcsc_end(a);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_int_eq(atomic_load(&w.done), 1);
	ck_assert_int_eq(w.rv, UKEY_OK);
	ukey_chan_init(&ch, ukey_pcsc_xfer, b, NULL);
	ck_assert_int_eq(echo(&ch, 8, 0x55), UKEY_OK);
	ukey_pcsc_end(b);

	ukey_pcsc_disconnect(b, 0);
	ukey_pcsc_disconnect(a, 0);
	ukey_pcsc_close(ctx2);
	ukey_pcsc_close(ctx1);
}
END_TEST

/* ----------------------------------------------------------- 61xx / 6Cxx */

static void check_big(uint8_t ins, unsigned long want_apdus)
{
	ukey_pcsc *ctx = NULL;
	ukey_pcsc_card *card;
	ukey_chan ch;
	uint8_t out[1024];
	size_t rlen = 0;
	uint16_t sw = 0;
	ukey_apdu big = { SC_CLA, ins, 0, 0, NULL, 0, UKEY_LE_ANY, 0 };

	ck_assert_int_eq(ukey_pcsc_open(&ctx), UKEY_OK);
	card = connect_ok(ctx, reader_of(0));
	ukey_chan_init(&ch, ukey_pcsc_xfer, card, NULL);
	ck_assert_int_eq(ukey_pcsc_begin(card), UKEY_OK);

	memset(out, 0xEE, sizeof(out));
	ck_assert_int_eq(ukey_transmit(&ch, &big, out, sizeof(out), &rlen, &sw),
			 UKEY_OK);
	ck_assert_uint_eq(sw, 0x9000);
	ck_assert_uint_eq(rlen, SC_BIG_LEN);
	for (size_t i = 0; i < SC_BIG_LEN; i++)
		ck_assert_msg(out[i] == sc_big_byte(i),
			      "byte %zu: %02X, want %02X", i, out[i],
			      sc_big_byte(i));
	ck_assert_uint_eq(ch.apdu_count, want_apdus);

	/* the same answer does not fit 500 bytes: a clear error, no overflow */
	ck_assert_int_eq(ukey_transmit(&ch, &big, out, 500, &rlen, &sw),
			 UKEY_E_BUFFER_TOO_SMALL);
	/* and the card is still usable afterwards */
	ck_assert_int_eq(echo(&ch, 4, 0x66), UKEY_OK);
	ukey_pcsc_end(card);
	ukey_pcsc_disconnect(card, 0);
	ukey_pcsc_close(ctx);
}

START_TEST(test_get_response_t0)
{
	/* 61 00, then 256 + 61 00, 256 + 61 58, 88 + 90 00 */
	check_big(SC_INS_BIG_T0, 4);
}
END_TEST

START_TEST(test_get_response_with_data)
{
	/* 256 + 61 00, 256 + 61 58, 88 + 90 00 */
	check_big(SC_INS_BIG_DATA, 3);
}
END_TEST

START_TEST(test_wrong_length_6c)
{
	ukey_pcsc *ctx = NULL;
	ukey_pcsc_card *card;
	ukey_chan ch;
	uint8_t out[300];
	size_t rlen = 0;
	uint16_t sw = 0;
	ukey_apdu a = { SC_CLA, SC_INS_EXACT_LE, 0, 0, NULL, 0, UKEY_LE_ANY, 0 };

	ck_assert_int_eq(ukey_pcsc_open(&ctx), UKEY_OK);
	card = connect_ok(ctx, reader_of(0));
	ukey_chan_init(&ch, ukey_pcsc_xfer, card, NULL);
	ck_assert_int_eq(ukey_pcsc_begin(card), UKEY_OK);
	ck_assert_int_eq(ukey_transmit(&ch, &a, out, sizeof(out), &rlen, &sw),
			 UKEY_OK);
	ck_assert_uint_eq(sw, 0x9000);
	ck_assert_uint_eq(rlen, SC_EXACT_LEN);
	for (size_t i = 0; i < SC_EXACT_LEN; i++)
		ck_assert_uint_eq(out[i], sc_exact_byte(i));
	ck_assert_uint_eq(ch.apdu_count, 2); /* Le=00 -> 6C14 -> Le=14 */

	/* asking for the exact length from the start: one APDU */
	a.le = SC_EXACT_LEN;
	ck_assert_int_eq(ukey_transmit(&ch, &a, out, sizeof(out), &rlen, &sw),
			 UKEY_OK);
	ck_assert_uint_eq(sw, 0x9000);
	ck_assert_uint_eq(rlen, SC_EXACT_LEN);
	ck_assert_uint_eq(ch.apdu_count, 3);
	ukey_pcsc_end(card);
	ukey_pcsc_disconnect(card, 0);
	ukey_pcsc_close(ctx);
}
END_TEST

/* ------------------------------------------------------------------ pull */

static ukey_rv pull(ukey_chan *ch)
{
	uint8_t out[16];
	size_t rlen = 0;
	uint16_t sw = 0;
	ukey_apdu a = { SC_CLA, SC_INS_PULL, 0, 0, NULL, 0, 0, 0 };

	return ukey_transmit(ch, &a, out, sizeof(out), &rlen, &sw);
}

START_TEST(test_pull_and_reinsert)
{
	const char *reader = reader_of(0);
	ukey_pcsc *ctx = NULL;
	ukey_pcsc_card *card;
	ukey_chan ch;
	ukey_rv rv;
	long t0;

	ck_assert_int_eq(ukey_pcsc_open(&ctx), UKEY_OK);
	card = connect_ok(ctx, reader);
	ukey_chan_init(&ch, ukey_pcsc_xfer, card, NULL);
	ck_assert_int_eq(ukey_pcsc_begin(card), UKEY_OK);
	ck_assert_int_eq(echo(&ch, 8, 0x77), UKEY_OK);

	/* the card vanishes while it owes an answer */
	t0 = now_ms();
	rv = pull(&ch);
	ck_assert_msg(rv == UKEY_E_NO_CARD, "pull mid-exchange gave %s",
		      ukey_strerror(rv));
	ck_assert_msg(now_ms() - t0 < 5000, "pull took %ld ms", now_ms() - t0);
	ukey_pcsc_end(card); /* must be harmless on a removed card */

	ck_assert_msg(wait_present(ctx, reader, 0, 5000) == 0,
		      "reader still shows a card 5 s after the pull");
	rv = ukey_pcsc_begin(card);
	ck_assert_msg(rv == UKEY_E_NO_CARD, "begin without card gave %s",
		      ukey_strerror(rv));
	rv = echo(&ch, 4, 0x01);
	ck_assert_msg(rv == UKEY_E_NO_CARD, "exchange without card gave %s",
		      ukey_strerror(rv));

	/* put it back */
	ck_assert_int_eq(kill(card_pid(0), SIGUSR1), 0);
	ck_assert_msg(wait_present(ctx, reader, 1, 5000) == 0,
		      "card not back 5 s after reinsertion");
	/* the old handle belongs to the removed card */
	rv = ukey_pcsc_begin(card);
	ck_assert_msg(rv == UKEY_E_NO_CARD, "old handle after reinsertion gave %s",
		      ukey_strerror(rv));
	ukey_pcsc_disconnect(card, 0);

	card = connect_ok(ctx, reader);
	ukey_chan_init(&ch, ukey_pcsc_xfer, card, NULL);
	ck_assert_int_eq(ukey_pcsc_begin(card), UKEY_OK);
	ck_assert_int_eq(echo(&ch, 32, 0x99), UKEY_OK);
	ukey_pcsc_end(card);
	ukey_pcsc_disconnect(card, 0);
	ukey_pcsc_close(ctx);
}
END_TEST

START_TEST(test_pull_auto_reconnect)
{
	/* card 1 comes back by itself (--reconnect) */
	const char *reader = reader_of(1);
	ukey_pcsc *ctx = NULL;
	ukey_pcsc_card *card;
	ukey_chan ch;
	ukey_rv rv;
	long deadline;

	ck_assert_int_eq(ukey_pcsc_open(&ctx), UKEY_OK);
	card = connect_ok(ctx, reader);
	ukey_chan_init(&ch, ukey_pcsc_xfer, card, NULL);
	ck_assert_int_eq(ukey_pcsc_begin(card), UKEY_OK);
	rv = pull(&ch);
	ck_assert_msg(rv == UKEY_E_NO_CARD, "pull mid-exchange gave %s",
		      ukey_strerror(rv));
	ukey_pcsc_end(card);
	ukey_pcsc_disconnect(card, 0);

	/* reconnect as an application would: retry until the card is back */
	deadline = now_ms() + 10000;
	for (;;) {
		card = NULL;
		if (wait_present(ctx, reader, 1, 1000) == 0 &&
		    ukey_pcsc_connect(ctx, reader, &card) == UKEY_OK) {
			ukey_chan_init(&ch, ukey_pcsc_xfer, card, NULL);
			rv = ukey_pcsc_begin(card);
			if (rv == UKEY_OK) {
				rv = echo(&ch, 8, 0xAB);
				ukey_pcsc_end(card);
			}
			ukey_pcsc_disconnect(card, 0);
			if (rv == UKEY_OK)
				break;
		}
		ck_assert_msg(now_ms() < deadline,
			      "card 1 not usable 10 s after the pull");
		(void)ukey_pcsc_wait_change(ctx, &reader, 1, 200);
	}
	ukey_pcsc_close(ctx);
}
END_TEST

/* Card 0 of the pull_quick_back run comes back QUICK_BACK_MS after a pull:
 * well inside pcscd's 0.4 s presence poll, so pcscd mostly never sees the
 * card leave and the reader state never changes. The pull must still be
 * reported as a removal, at once (not after watching the reader for a
 * second), and the card must be usable again through a new handle. */
#define QUICK_PULLS 5

START_TEST(test_pull_quick_back)
{
	const char *reader = reader_of(0);
	ukey_pcsc *ctx = NULL;
	ukey_pcsc_card *card;
	ukey_chan ch;
	ukey_rv rv;

	ck_assert_int_eq(ukey_pcsc_open(&ctx), UKEY_OK);
	for (int i = 0; i < QUICK_PULLS; i++) {
		long deadline = now_ms() + 10000, t0;

		/* a handle on the card as it is now (back from the last pull) */
		for (;;) {
			card = NULL;
			if (wait_present(ctx, reader, 1, 1000) == 0 &&
			    ukey_pcsc_connect(ctx, reader, &card) == UKEY_OK) {
				ukey_chan_init(&ch, ukey_pcsc_xfer, card, NULL);
				rv = ukey_pcsc_begin(card);
				if (rv == UKEY_OK) {
					rv = echo(&ch, 8, (uint8_t)(0x40 + i));
					if (rv == UKEY_OK)
						break; /* transaction held */
					ukey_pcsc_end(card);
				}
				ukey_pcsc_disconnect(card, 0);
			}
			ck_assert_msg(now_ms() < deadline,
				      "pull %d: card not usable 10 s after the last pull", i);
			(void)ukey_pcsc_wait_change(ctx, &reader, 1, 200);
		}
		t0 = now_ms();
		rv = pull(&ch);
		ck_assert_msg(rv == UKEY_E_NO_CARD, "pull %d gave %s", i,
			      ukey_strerror(rv));
		/* the old code watched the reader for 1 s and then, seeing no
		 * change, passed the empty answer up as a malformed response */
		ck_assert_msg(now_ms() - t0 < 900, "pull %d took %ld ms", i,
			      now_ms() - t0);
		ukey_pcsc_end(card);
		ukey_pcsc_disconnect(card, 0);
	}
	ukey_pcsc_close(ctx);
}
END_TEST

/* ------------------------------------------------------------------ main */

static TCase *tc(const char *name, const TTest *t)
{
	TCase *c = tcase_create(name);

	tcase_set_timeout(c, 30);
	tcase_add_test(c, t);
	return c;
}

int main(void)
{
	Suite *s = suite_create("integ_apdu");
	SRunner *sr;
	int failed;

	suite_add_tcase(s, tc("list", test_list_readers));
	suite_add_tcase(s, tc("exchange", test_plain_exchange));
	suite_add_tcase(s, tc("transaction", test_transaction_excludes));
	suite_add_tcase(s, tc("getresponse_t0", test_get_response_t0));
	suite_add_tcase(s, tc("getresponse_data", test_get_response_with_data));
	suite_add_tcase(s, tc("wrong_length", test_wrong_length_6c));
	suite_add_tcase(s, tc("pull", test_pull_and_reinsert));
	suite_add_tcase(s, tc("pull_reconnect", test_pull_auto_reconnect));
	suite_add_tcase(s, tc("pull_quick_back", test_pull_quick_back));
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	/* CK_RUN_CASE naming no tcase would run nothing: that is a failure */
	if (srunner_ntests_run(sr) == 0) {
		fprintf(stderr, "test_integ_apdu: no test ran (CK_RUN_CASE?)\n");
		failed = 1;
	}
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
