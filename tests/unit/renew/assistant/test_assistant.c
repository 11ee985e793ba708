/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_assistant.c — ukey-assistant's logic without a display: the pages
 * and transitions of struct as_model, the sentences (English and Chinese),
 * and the reminder's thresholds and state file.
 */
#include "as_logic.h"
#include "as_notify.h"

#include <check.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct renew_cert_info certs[3];
static struct renew_inventory inv;

static void mk_inv(long days0, int pending0, size_t n)
{
	memset(certs, 0, sizeof(certs));
	for (size_t i = 0; i < n; i++) {
		struct renew_cert_info *c = &certs[i];
		snprintf(c->token_label, sizeof(c->token_label), "key%zu", i);
		snprintf(c->token_serial, sizeof(c->token_serial), "SER%u", (unsigned)i % 10);
		snprintf(c->subject, sizeof(c->subject), "CN=User %zu,O=ukey test", i);
		snprintf(c->issuer, sizeof(c->issuer), "CN=Test CA");
		c->id[0] = (unsigned char)(i + 1);
		c->id_len = 1;
		c->not_before = 1700000000;
		c->not_after = 1800000000;
		c->days_left = i == 0 ? days0 : 300;
		c->due = c->days_left <= 180;
		c->expired = c->days_left < 0;
		c->pending = i == 0 ? pending0 : 0;
	}
	inv.certs = certs;
	inv.n_certs = n;
	inv.n_tokens = n;
}

static void setup_en(void)
{
	unsetenv("LANGUAGE");
	setlocale(LC_ALL, "C");
	bindtextdomain(AS_DOMAIN, UKEY_TEST_LOCALEDIR);
}

static void setup_zh(void)
{
	setenv("LANGUAGE", "zh_CN", 1);
	if (setlocale(LC_ALL, "C.UTF-8") == NULL)
		setlocale(LC_ALL, "C");
	bindtextdomain(AS_DOMAIN, UKEY_TEST_LOCALEDIR);
	bind_textdomain_codeset(AS_DOMAIN, "UTF-8");
}

START_TEST(t_cert_state)
{
	struct renew_cert_info c;
	memset(&c, 0, sizeof(c));
	c.days_left = 300;
	ck_assert_int_eq(as_cert_state_of(&c), AS_CERT_NOT_DUE);
	c.due = 1;
	ck_assert_int_eq(as_cert_state_of(&c), AS_CERT_DUE);
	c.expired = 1;
	c.days_left = -2;
	ck_assert_int_eq(as_cert_state_of(&c), AS_CERT_EXPIRED);
	c.pending = 1;
	ck_assert_int_eq(as_cert_state_of(&c), AS_CERT_PENDING);
	c.superseded = 1;
	ck_assert_int_eq(as_cert_state_of(&c), AS_CERT_SUPERSEDED);
}
END_TEST

START_TEST(t_list_and_selection)
{
	struct as_model m;
	char buf[1024];
	as_model_init(&m, 30, NULL);
	as_model_set_inventory(&m, RENEW_NO_TOKEN, NULL);
	ck_assert_int_eq(m.page, AS_PAGE_TOKENS);
	ck_assert(!as_model_can_renew(&m));
	as_list_text(&m, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "Plug your key in"));
	/* the second certificate (300 days) first, the first (20 days) is due */
	mk_inv(20, 0, 2);
	as_model_set_inventory(&m, RENEW_OK, &inv);
	ck_assert_int_eq(m.selected, 0); /* the due one */
	ck_assert(as_model_can_renew(&m));
	ck_assert_int_eq(as_model_select(&m, 1), 0);
	ck_assert(!as_model_can_renew(&m)); /* not due */
	as_list_text(&m, buf, sizeof(buf));
	ck_assert_str_eq(buf, as_rc_text(RENEW_NOT_DUE));
	/* a refresh keeps the choice; pulling the token removes it */
	as_model_set_inventory(&m, RENEW_OK, &inv);
	ck_assert_int_eq(m.selected, 1);
	mk_inv(20, 0, 1);
	as_model_set_inventory(&m, RENEW_OK, &inv);
	ck_assert_int_eq(m.selected, 0);
	ck_assert_int_eq(as_model_select(&m, 5), -1);
	inv.n_certs = 0;
	as_model_set_inventory(&m, RENEW_OK, &inv);
	as_list_text(&m, buf, sizeof(buf));
	ck_assert_str_eq(buf, "A key is plugged in, but it holds no certificate.");
}
END_TEST

START_TEST(t_renew_success)
{
	struct as_model m;
	char buf[2048];
	as_model_init(&m, 30, NULL);
	mk_inv(20, 0, 1);
	as_model_set_inventory(&m, RENEW_OK, &inv);
	ck_assert_int_eq(as_model_start(&m), 0);
	ck_assert_int_eq(m.page, AS_PAGE_PROGRESS);
	ck_assert_int_eq(as_model_start(&m), -1); /* busy */
	as_model_pin_request(&m, -1);
	ck_assert_int_eq(m.page, AS_PAGE_PIN);
	as_tries_text(m.wrong_pin, m.tries_left, buf, sizeof(buf));
	ck_assert_str_eq(buf, "");
	as_model_pin_given(&m);
	ck_assert_int_eq(m.page, AS_PAGE_PROGRESS);
	struct renew_event ev = { .type = RENEW_EV_STEP, .step = RENEW_STEP_SEND_REQUEST };
	as_model_event(&m, &ev);
	as_progress_text(&m, buf, sizeof(buf));
	ck_assert_str_eq(buf, "Sending the renewal request to the CA…");
	ev = (struct renew_event){ .type = RENEW_EV_WAITING, .elapsed_s = 65, .next_poll_s = 20, .left_s = 1735 };
	as_model_event(&m, &ev);
	as_progress_text(&m, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "Time waited: 1:05. Next question to the CA in 0:20."));
	ck_assert_ptr_nonnull(strstr(buf, "about 3 minutes"));
	ck_assert_ptr_null(strstr(buf, "longer than usual"));
	ev.next_poll_s = 0;
	ev.elapsed_s = 200;
	as_model_event(&m, &ev);
	as_progress_text(&m, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "Asking the CA now."));
	ck_assert_ptr_nonnull(strstr(buf, "gives up in 28:55"));
	struct renew_result r;
	memset(&r, 0, sizeof(r));
	r.old_not_before = 1700000000;
	r.old_not_after = 1800000000;
	r.new_not_before = 1790000000;
	r.new_not_after = 1890000000;
	as_model_finish(&m, RENEW_OK, &r);
	ck_assert_int_eq(m.page, AS_PAGE_RESULT);
	ck_assert(!m.busy);
	as_result_text(&m, buf, sizeof(buf));
	char d[40];
	as_fmt_date(1890000000, d, sizeof(d));
	ck_assert_ptr_nonnull(strstr(buf, "New certificate: valid from"));
	ck_assert_ptr_nonnull(strstr(buf, d));
	ck_assert_ptr_nonnull(strstr(buf, "Old certificate: valid from"));
	as_model_back(&m);
	ck_assert_int_eq(m.page, AS_PAGE_TOKENS);
}
END_TEST

START_TEST(t_wrong_pin)
{
	struct as_model m;
	char buf[1024];
	as_model_init(&m, 30, NULL);
	mk_inv(20, 0, 1);
	as_model_set_inventory(&m, RENEW_OK, &inv);
	as_model_start(&m);
	as_model_pin_request(&m, -1);
	as_model_pin_given(&m);
	struct renew_result r;
	memset(&r, 0, sizeof(r));
	r.tries_left = 1;
	r.step = RENEW_STEP_LOGIN;
	as_model_finish(&m, RENEW_PIN_INCORRECT, &r);
	ck_assert_int_eq(m.page, AS_PAGE_PIN);
	ck_assert(m.restart);
	ck_assert(m.wrong_pin);
	as_tries_text(m.wrong_pin, m.tries_left, buf, sizeof(buf));
	ck_assert_str_eq(buf, "The PIN was wrong. Nothing was sent to the CA. Only one try is left: one "
			      "more wrong PIN locks the key.");
	/* the new job asks again: unknown tries keep the known ones */
	ck_assert_int_eq(as_model_start(&m), 0);
	as_model_pin_request(&m, -1);
	ck_assert_int_eq(m.tries_left, 1);
	as_model_pin_given(&m);
	r.tries_left = 3;
	as_model_finish(&m, RENEW_PIN_INCORRECT, &r);
	as_tries_text(m.wrong_pin, m.tries_left, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "3 tries are left."));
	r.tries_left = -2;
	as_model_finish(&m, RENEW_PIN_INCORRECT, &r);
	as_tries_text(m.wrong_pin, m.tries_left, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "Few tries"));
	/* the user gives up on the retry */
	as_model_back(&m);
	ck_assert_int_eq(m.page, AS_PAGE_TOKENS);
	ck_assert(!m.wrong_pin);
	/* locked */
	as_model_start(&m);
	as_model_finish(&m, RENEW_PIN_LOCKED, &r);
	ck_assert_int_eq(m.page, AS_PAGE_FAILED);
	as_result_text(&m, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "locked"));
}
END_TEST

START_TEST(t_cancel_pin)
{
	struct as_model m;
	as_model_init(&m, 30, NULL);
	mk_inv(20, 0, 1);
	as_model_set_inventory(&m, RENEW_OK, &inv);
	as_model_start(&m);
	as_model_pin_request(&m, -1);
	as_model_pin_cancel(&m);
	as_model_finish(&m, RENEW_PIN_INVALID, NULL);
	ck_assert_int_eq(m.page, AS_PAGE_TOKENS);
	ck_assert(as_model_can_renew(&m));
}
END_TEST

START_TEST(t_token_removed)
{
	struct as_model m;
	char buf[2048];
	as_model_init(&m, 30, NULL);
	mk_inv(20, 0, 1);
	as_model_set_inventory(&m, RENEW_OK, &inv);
	as_model_start(&m);
	as_model_pin_request(&m, -1);
	as_model_pin_given(&m);
	struct renew_result r;
	memset(&r, 0, sizeof(r));
	r.step = RENEW_STEP_WRITE_CERT;
	as_model_finish(&m, RENEW_TOKEN_REMOVED, &r);
	ck_assert_int_eq(m.page, AS_PAGE_REMOVED);
	ck_assert(!as_model_can_renew(&m));
	as_model_set_inventory(&m, RENEW_NO_TOKEN, NULL);
	ck_assert(!as_model_can_renew(&m));
	as_result_text(&m, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "Waiting for the key"));
	mk_inv(20, 1, 1); /* back, with the pending renewal */
	as_model_set_inventory(&m, RENEW_OK, &inv);
	ck_assert_int_eq(m.page, AS_PAGE_REMOVED);
	ck_assert(as_model_can_renew(&m));
	as_result_text(&m, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "Press Retry"));
	ck_assert_int_eq(as_model_start(&m), 0);
	as_model_finish(&m, RENEW_OK, &r);
	ck_assert_int_eq(m.page, AS_PAGE_RESULT);
}
END_TEST

START_TEST(t_wait_limit)
{
	struct as_model m;
	char buf[2048];
	as_model_init(&m, 30, "Call 400-000-0000");
	mk_inv(20, 0, 1);
	as_model_set_inventory(&m, RENEW_OK, &inv);
	as_model_start(&m);
	as_model_finish(&m, RENEW_PENDING, NULL);
	ck_assert(as_model_wait_limit_reached(&m));
	as_result_text(&m, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "after 30 minutes"));
	ck_assert_ptr_nonnull(strstr(buf, "Call 400-000-0000"));
	as_model_init(&m, 30, NULL);
	as_model_set_inventory(&m, RENEW_OK, &inv);
	as_model_start(&m);
	as_model_finish(&m, RENEW_PENDING, NULL);
	as_result_text(&m, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "Please contact your CA's support."));
	/* Retry from the failed page */
	mk_inv(20, 1, 1);
	as_model_set_inventory(&m, RENEW_OK, &inv);
	ck_assert(as_model_can_renew(&m));
}
END_TEST

START_TEST(t_failures_have_sentences)
{
	struct as_model m;
	char buf[2048];
	for (int rc = RENEW_NOT_DUE; rc <= RENEW_INTERNAL + 1; rc++) {
		ck_assert_ptr_nonnull(as_rc_msgid((enum renew_rc)rc));
		ck_assert_int_gt((int)strlen(as_rc_text((enum renew_rc)rc)), 20);
		for (int o = RENEW_OK; o < rc && rc <= RENEW_INTERNAL; o++)
			ck_assert_str_ne(as_rc_msgid((enum renew_rc)o), as_rc_msgid((enum renew_rc)rc));
	}
	/* never a CLI command or option in a sentence for the window */
	for (int rc = RENEW_OK; rc <= RENEW_INTERNAL; rc++) {
		ck_assert_ptr_null(strstr(as_rc_msgid((enum renew_rc)rc), "--"));
		ck_assert_ptr_null(strstr(as_rc_msgid((enum renew_rc)rc), "ukey-renew"));
	}
	for (int s = RENEW_STEP_NONE; s <= RENEW_STEP_DONE + 1; s++)
		ck_assert_ptr_nonnull(as_step_text((enum renew_step)s));
	as_model_init(&m, 30, NULL);
	mk_inv(20, 0, 1);
	as_model_set_inventory(&m, RENEW_OK, &inv);
	as_model_start(&m);
	struct renew_result r;
	memset(&r, 0, sizeof(r));
	r.step = RENEW_STEP_SEND_REQUEST;
	snprintf(r.ca_text, sizeof(r.ca_text), "key compromised");
	snprintf(r.detail, sizeof(r.detail), "PKIStatus rejection");
	as_model_finish(&m, RENEW_REJECTED, &r);
	as_result_text(&m, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "The CA says: key compromised"));
	ck_assert_ptr_nonnull(strstr(buf, "It stopped at: Sending the renewal request to the CA."));
	ck_assert_ptr_nonnull(strstr(buf, "For support: PKIStatus rejection"));
	as_days_text(1, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1 day left");
	as_days_text(-3, buf, sizeof(buf));
	ck_assert_str_eq(buf, "expired 3 days ago");
}
END_TEST

START_TEST(t_chinese)
{
	setup_zh();
	for (int rc = RENEW_OK; rc <= RENEW_INTERNAL; rc++)
		ck_assert_str_ne(as_rc_text((enum renew_rc)rc), as_rc_msgid((enum renew_rc)rc));
	for (int s = RENEW_STEP_NONE; s <= RENEW_STEP_DONE; s++)
		ck_assert_str_ne(as_step_text((enum renew_step)s), as_step_msgid((enum renew_step)s));
	ck_assert_str_eq(as_page_title(AS_PAGE_RESULT), "续期成功");
	ck_assert_str_eq(as_state_text(AS_CERT_PENDING), "CA 审批中");
	char buf[2048];
	as_days_text(5, buf, sizeof(buf));
	ck_assert_str_eq(buf, "剩余 5 天");
	struct as_model m;
	as_model_init(&m, 30, NULL);
	m.waiting = 1;
	m.elapsed_s = 30;
	m.next_poll_s = 10;
	as_progress_text(&m, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "约 3 分钟"));
	setup_en();
	ck_assert_str_eq(as_page_title(AS_PAGE_RESULT), "Renewal succeeded");
}
END_TEST

START_TEST(t_notify_thresholds)
{
	unsigned mask = 0;
	static const long walk[] = { 100, 61, 60, 59, 45, 31, 30, 30, 29, 11, 10, 9, 4, 3, 2, 0, -5 };
	static const long want[] = { 0, 0, 60, 0, 0, 0, 30, 0, 0, 0, 10, 0, 0, 3, 0, 0, 0 };
	for (size_t i = 0; i < sizeof(walk) / sizeof(walk[0]); i++)
		ck_assert_int_eq(as_notify_decide(walk[i], &mask), want[i]);
	ck_assert_uint_eq(mask, 15);
	/* first run at 25 days: one reminder (30), not two */
	mask = 0;
	ck_assert_int_eq(as_notify_decide(25, &mask), 30);
	ck_assert_uint_eq(mask, 3);
	ck_assert_int_eq(as_notify_decide(25, &mask), 0);
	ck_assert_int_eq(as_notify_decide(2, &mask), 3); /* 10 skipped past: the most urgent only */
	ck_assert_int_eq(as_notify_decide(1, &mask), 0);
	ck_assert_int_eq(as_days_between(1000, 1000 + 86400 * 3 + 5), 3);
	ck_assert_int_eq(as_days_between(1000, 1000 + 86399), 0);
	ck_assert_int_eq(as_days_between(1000 + 5, 1000), -1);
	setenv("UKEY_ASSISTANT_NOW", "123456", 1);
	ck_assert_int_eq((long)as_now(), 123456);
	unsetenv("UKEY_ASSISTANT_NOW");
}
END_TEST

START_TEST(t_notify_state)
{
	char dir[] = "/tmp/as-test-XXXXXX", path[256];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	setenv("XDG_STATE_HOME", dir, 1);
	ck_assert_int_eq(as_notify_state_path(path, sizeof(path)), 0);
	char want[256];
	snprintf(want, sizeof(want), "%s/ukey/notify.state", dir);
	ck_assert_str_eq(path, want);
	struct as_notify_state s;
	ck_assert_int_eq(as_notify_state_load(&s, path), 0); /* missing: empty */
	ck_assert_uint_eq(s.n, 0);
	struct as_notify_entry *e = as_notify_state_get(&s, "SER1", "01", 1800000000LL);
	e->mask = 3;
	e = as_notify_state_get(&s, "", "", 5);
	e->mask = 1;
	for (int i = 0; i < 20; i++)
		as_notify_state_get(&s, "X", "ff", i); /* grows */
	ck_assert_uint_eq(s.n, 22);
	ck_assert_int_eq(as_notify_state_save(&s, path), 0);
	as_notify_state_free(&s);
	ck_assert_int_eq(as_notify_state_load(&s, path), 0);
	ck_assert_uint_eq(s.n, 22);
	ck_assert_uint_eq(as_notify_state_get(&s, "SER1", "01", 1800000000LL)->mask, 3);
	ck_assert_uint_eq(as_notify_state_get(&s, "", "", 5)->mask, 1);
	ck_assert_uint_eq(as_notify_state_get(&s, "SER1", "01", 1900000000LL)->mask, 0); /* renewed */
	as_notify_state_free(&s);
	/* garbage lines are skipped */
	FILE *f = fopen(path, "a");
	fputs("garbage\n\nA B notanumber 1\n", f);
	fclose(f);
	ck_assert_int_eq(as_notify_state_load(&s, path), 0);
	ck_assert_uint_eq(s.n, 22);
	as_notify_state_free(&s);
	unlink(path);
	snprintf(want, sizeof(want), "%s/ukey", dir);
	rmdir(want);
	rmdir(dir);
	unsetenv("XDG_STATE_HOME");
}
END_TEST

int main(void)
{
	setup_en();
	Suite *s = suite_create("renew_assistant");
	TCase *tc = tcase_create("logic");
	tcase_add_test(tc, t_cert_state);
	tcase_add_test(tc, t_list_and_selection);
	tcase_add_test(tc, t_renew_success);
	tcase_add_test(tc, t_wrong_pin);
	tcase_add_test(tc, t_cancel_pin);
	tcase_add_test(tc, t_token_removed);
	tcase_add_test(tc, t_wait_limit);
	tcase_add_test(tc, t_failures_have_sentences);
	tcase_add_test(tc, t_chinese);
	tcase_add_test(tc, t_notify_thresholds);
	tcase_add_test(tc, t_notify_state);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
