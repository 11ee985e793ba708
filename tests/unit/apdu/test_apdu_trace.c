/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* APDU traces: format, timing, secrets redacted, thread safety. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apdu.h"
#include "mock_xfer.h"

/* Read a whole stream into a NUL-terminated malloc'd string. */
static char *slurp(FILE *fp)
{
	fflush(fp);
	long n = ftell(fp);
	ck_assert_int_ge(n, 0);
	char *s = calloc(1, (size_t)n + 1);
	ck_assert_ptr_nonnull(s);
	rewind(fp);
	ck_assert_uint_eq(fread(s, 1, (size_t)n, fp), (size_t)n);
	return s;
}

static void assert_no_pin(const char *log)
{
	ck_assert_msg(strstr(log, "31 32 33 34") == NULL, "PIN hex in trace:\n%s", log);
	ck_assert_msg(strstr(log, "31323334") == NULL, "PIN hex in trace");
	/* ASCII: only the APDU part of each line — the timestamp in front and
	 * the "(N us)" round trip behind it are numbers that may well contain
	 * 1234 by chance (a flaky failure seen under load). */
	char *apdus = calloc(1, strlen(log) + 1);
	ck_assert_ptr_nonnull(apdus);
	for (const char *l = log; *l;) {
		const char *end = strchr(l, '\n');
		if (!end)
			end = l + strlen(l);
		const char *from = l;
		while (from < end && *from != '>' && *from != '<')
			from++;
		const char *to = end;
		for (const char *q = end; q > from; q--)
			if (q[-1] == '(' && q - 1 > from && q[-2] == ' ') {
				to = q - 2;
				break;
			}
		strncat(apdus, from, (size_t)(to - from));
		strcat(apdus, "\n");
		l = *end ? end + 1 : end;
	}
	ck_assert_msg(strstr(apdus, "1234") == NULL, "PIN ASCII in trace:\n%s", apdus);
	free(apdus);
}

START_TEST(verify_is_redacted)
{
	FILE *fp = tmpfile();
	ck_assert_ptr_nonnull(fp);
	mock_xfer *m = malloc(sizeof(*m));
	mock_init(m);
	mock_add_hex(m, "63 C2");
	ukey_chan ch;
	ukey_chan_init(&ch, mock_xfer_fn, m, NULL);
	ch.trace = ukey_trace_new_fp(fp);
	ck_assert_ptr_nonnull(ch.trace);
	/* FTCOS VERIFY: "123456" padded with 00 to 16 */
	uint8_t pin[16] = {'1', '2', '3', '4', '5', '6'};
	ukey_apdu a = {.ins = 0x20, .p2 = 0x01, .data = pin, .lc = 16};
	uint8_t r[16];
	size_t rl;
	uint16_t sw;
	ck_assert_int_eq(ukey_transmit(&ch, &a, r, sizeof(r), &rl, &sw), UKEY_OK);
	ck_assert_uint_eq(sw, 0x63C2);
	ukey_trace_free(ch.trace);
	char *log = slurp(fp);
	ck_assert_msg(strstr(log, ">> 00 20 00 01 10 ** redacted (16 bytes) **\n") != NULL,
		      "header missing:\n%s", log);
	ck_assert_ptr_nonnull(strstr(log, "<< 63 C2 ("));
	ck_assert_ptr_nonnull(strstr(log, " us)\n"));
	assert_no_pin(log);
	/* and the mock really got the PIN (the test can fail) */
	ck_assert_mem_eq(m->cmd[0] + 5, "123456", 6);
	free(log);
	free(m);
	fclose(fp);
}
END_TEST

START_TEST(sensitive_ins_and_flag)
{
	FILE *fp = tmpfile();
	struct ukey_trace *t = ukey_trace_new_fp(fp);
	uint8_t cmd[64];
	uint8_t rsp[2] = {0x90, 0x00};
	static const char *cmds[] = {
		"00 24 00 01 08 31 32 33 34 35 36 37 38",      /* CHANGE REF DATA */
		"00 2C 00 01 04 31 32 33 34",                  /* RESET RETRY */
		"84 F4 0B 01 08 31 32 33 34 31 32 33 34",      /* WRITE KEY */
		"00 20 00 01 00 00 04 31 32 33 34",            /* extended VERIFY */
		"00 20 00 01 04 31 32 33 34 00",               /* with Le */
		"00 20 00 01 07 31 32 33 34",                  /* malformed */
	};
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		size_t n = hex2bin(cmds[i], cmd, sizeof(cmd));
		ukey_trace_exchange(t, cmd, n, 0, rsp, 2, 10);
	}
	/* any INS with the sensitive flag */
	size_t n = hex2bin("00 DA 01 6E 04 31 32 33 34", cmd, sizeof(cmd));
	ukey_trace_exchange(t, cmd, n, 1, rsp, 2, 10);
	/* not sensitive: shown in full */
	n = hex2bin("00 DA 01 6E 02 AB CD", cmd, sizeof(cmd));
	ukey_trace_exchange(t, cmd, n, 0, rsp, 2, 10);
	ukey_trace_note(t, "step %d\nsecond line", 7);
	ukey_trace_free(t);
	char *log = slurp(fp);
	assert_no_pin(log);
	ck_assert_ptr_nonnull(strstr(log, ">> 00 24 00 01 08 ** redacted (8 bytes) **\n"));
	ck_assert_ptr_nonnull(strstr(log, ">> 00 2C 00 01 04 ** redacted (4 bytes) **\n"));
	ck_assert_ptr_nonnull(strstr(log, ">> 84 F4 0B 01 08 ** redacted (8 bytes) **\n"));
	ck_assert_ptr_nonnull(strstr(log, ">> 00 20 00 01 00 00 04 ** redacted (4 bytes) **\n"));
	ck_assert_ptr_nonnull(strstr(log, ">> 00 20 00 01 04 ** redacted (4 bytes) ** 00\n"));
	ck_assert_ptr_nonnull(strstr(log, ">> 00 20 00 01 ** redacted (5 bytes) **\n"));
	ck_assert_ptr_nonnull(strstr(log, ">> 00 DA 01 6E 04 ** redacted (4 bytes) **\n"));
	ck_assert_ptr_nonnull(strstr(log, ">> 00 DA 01 6E 02 AB CD\n"));
	ck_assert_ptr_nonnull(strstr(log, "-- step 7 second line\n"));
	free(log);
	fclose(fp);
}
END_TEST

START_TEST(chained_sensitive_and_get_response)
{
	FILE *fp = tmpfile();
	mock_xfer *m = malloc(sizeof(*m));
	mock_init(m);
	mock_add_hex(m, "90 00");
	mock_add_hex(m, "61 02");
	mock_add_hex(m, "AB CD 90 00");
	ukey_chan_opts o = {.chaining_ok = 1, .max_lc = 4};
	ukey_chan ch;
	ukey_chan_init(&ch, mock_xfer_fn, m, &o);
	ch.trace = ukey_trace_new_fp(fp);
	uint8_t key[8] = {'1', '2', '3', '4', '1', '2', '3', '4'};
	ukey_apdu a = {.cla = 0x80, .ins = 0xDA, .data = key, .lc = 8,
		       .le = UKEY_LE_ANY, .flags = UKEY_APDU_SENSITIVE};
	uint8_t r[8];
	size_t rl;
	uint16_t sw;
	ck_assert_int_eq(ukey_transmit(&ch, &a, r, sizeof(r), &rl, &sw), UKEY_OK);
	ukey_trace_free(ch.trace);
	char *log = slurp(fp);
	assert_no_pin(log);
	ck_assert_ptr_nonnull(strstr(log, ">> 90 DA 00 00 04 ** redacted (4 bytes) **\n"));
	ck_assert_ptr_nonnull(strstr(log, ">> 80 DA 00 00 04 ** redacted (4 bytes) ** 00\n"));
	ck_assert_ptr_nonnull(strstr(log, ">> 00 C0 00 00 02\n"));
	ck_assert_ptr_nonnull(strstr(log, "<< AB CD 90 00 ("));
	free(log);
	free(m);
	fclose(fp);
}
END_TEST

START_TEST(from_env)
{
	char path[] = "/tmp/ukey-trace-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	unsetenv("UKEY_DEBUG");
	ck_assert_ptr_null(ukey_trace_from_env());
	setenv("UKEY_DEBUG", "p11,apdux", 1);
	ck_assert_ptr_null(ukey_trace_from_env());
	setenv("UKEY_DEBUG", "p11,apdu", 1);
	setenv("UKEY_DEBUG_FILE", path, 1);
	struct ukey_trace *t1 = ukey_trace_from_env();
	struct ukey_trace *t2 = ukey_trace_from_env();
	ck_assert_ptr_nonnull(t1);
	ck_assert_ptr_eq(t1, t2); /* one shared trace per process */
	uint8_t cmd[5] = {0x00, 0x84, 0x00, 0x00, 0x08};
	uint8_t rsp[10] = {1, 2, 3, 4, 5, 6, 7, 8, 0x90, 0x00};
	ukey_trace_exchange(t1, cmd, 5, 0, rsp, 10, 1234);
	ukey_trace_free(t1);
	ukey_trace_exchange(t2, cmd, 5, 0, NULL, 0, 5);
	ukey_trace_free(t2);
	unsetenv("UKEY_DEBUG");
	unsetenv("UKEY_DEBUG_FILE");
	FILE *fp = fopen(path, "r");
	ck_assert_ptr_nonnull(fp);
	fseek(fp, 0, SEEK_END);
	char *log = slurp(fp);
	fclose(fp);
	unlink(path);
	ck_assert_ptr_nonnull(strstr(log, "ukey apdu >> 00 84 00 00 08\n"));
	ck_assert_ptr_nonnull(strstr(log, "<< 01 02 03 04 05 06 07 08 90 00 (1234 us)\n"));
	ck_assert_ptr_nonnull(strstr(log, "<< (no response) (5 us)\n"));
	/* every line starts with an ISO 8601 UTC timestamp with microseconds */
	for (char *l = log; *l; l = strchr(l, '\n') + 1) {
		ck_assert_uint_ge(strlen(l), 28);
		ck_assert(l[4] == '-' && l[10] == 'T' && l[19] == '.' && l[26] == 'Z');
	}
	free(log);
}
END_TEST

static struct ukey_trace *shared_t;

static void *trace_worker(void *arg)
{
	uint8_t cmd[200], rsp[202];
	memset(cmd, (int)(uintptr_t)arg, sizeof(cmd));
	cmd[1] = 0xB0;
	cmd[4] = 195;
	memset(rsp, 0xEE, sizeof(rsp));
	for (int i = 0; i < 200; i++)
		ukey_trace_exchange(shared_t, cmd, sizeof(cmd), 0, rsp,
				    sizeof(rsp), i);
	return NULL;
}

START_TEST(threads_do_not_interleave)
{
	FILE *fp = tmpfile();
	shared_t = ukey_trace_new_fp(fp);
	pthread_t th[4];
	for (uintptr_t i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, trace_worker, (void *)(0x11 * (i + 1)));
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	ukey_trace_free(shared_t);
	char *log = slurp(fp);
	size_t lines = 0;
	for (char *l = log; *l; lines++) {
		char *e = strchr(l, '\n');
		ck_assert_ptr_nonnull(e);
		*e = '\0';
		const char *dir = strstr(l, " ukey apdu ");
		ck_assert_ptr_nonnull(dir);
		if (dir[11] == '>') {
			/* a command line holds bytes of one thread only */
			char first[3] = {dir[14], dir[15], 0};
			ck_assert_uint_eq(strlen(dir + 13), 200 * 3);
			ck_assert_ptr_nonnull(strstr(dir, first));
		} else {
			ck_assert_int_eq(dir[11], '<');
		}
		l = e + 1;
	}
	ck_assert_uint_eq(lines, 4 * 200 * 2);
	free(log);
	fclose(fp);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("apdu_trace");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, verify_is_redacted);
	tcase_add_test(tc, sensitive_ins_and_flag);
	tcase_add_test(tc, chained_sensitive_and_get_response);
	tcase_add_test(tc, from_env);
	tcase_add_test(tc, threads_do_not_interleave);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
