/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of renew/store/rn_config.c. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rn_config.h"

static int parse(struct rn_config *c, const char *text, char *err, size_t errlen)
{
	return rn_config_parse(c, "t.conf", text, strlen(text), err, errlen);
}

START_TEST(defaults)
{
	struct rn_config c;
	setenv("XDG_CONFIG_HOME", "/x/cfg", 1);
	rn_config_defaults(&c);
	ck_assert_int_eq(c.window_days, 180);
	ck_assert_int_eq(c.wait_limit_minutes, 30);
	ck_assert_int_eq(c.poll_seconds, 0);
	ck_assert_str_eq(c.server, "");
	ck_assert_str_eq(c.support_text, "");
	ck_assert_str_eq(c.module, "");
	if (geteuid() == 0)
		ck_assert_str_eq(c.trust_dir, "/etc/ukey/trust");
	else
		ck_assert_str_eq(c.trust_dir, "/x/cfg/ukey/trust");
	unsetenv("XDG_CONFIG_HOME");
}
END_TEST

START_TEST(good)
{
	struct rn_config c;
	char err[512] = "";
	rn_config_defaults(&c);
	const char *t =
		"\xef\xbb\xbf# renew.conf\n"
		"\n"
		"   # indented comment\n"
		"server = https://ca.example.cn:8443/cmp#frag\n"
		"trust_dir=/etc/ukey/trust2\r\n"
		"\tmodule =  /usr/lib/x86_64-linux-gnu/opensc-pkcs11.so  \n"
		"window_days = 30\n"
		"wait_limit_minutes = 10080\n"
		"poll_seconds = 0\n"
		"support_text = 请致电 400-000-0000 # not a comment\n"
		"last = line without newline";
	ck_assert_int_eq(parse(&c, "server = http://h/p\nwindow_days=1", err, sizeof(err)), 0);
	ck_assert_str_eq(c.server, "http://h/p");
	ck_assert_int_eq(c.window_days, 1);
	/* last line "last = ..." is an unknown key: error at line 11 */
	ck_assert_int_eq(parse(&c, t, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "t.conf:11: unknown key 'last'");
	/* the configuration is unchanged by a failed file */
	ck_assert_str_eq(c.server, "http://h/p");
	ck_assert_int_eq(c.window_days, 1);
	char *t2 = strdup(t);
	*strstr(t2, "last") = '\0';
	ck_assert_int_eq(parse(&c, t2, err, sizeof(err)), 0);
	free(t2);
	ck_assert_str_eq(c.server, "https://ca.example.cn:8443/cmp#frag");
	ck_assert_str_eq(c.trust_dir, "/etc/ukey/trust2");
	ck_assert_str_eq(c.module, "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so");
	ck_assert_int_eq(c.window_days, 30);
	ck_assert_int_eq(c.wait_limit_minutes, 10080);
	ck_assert_int_eq(c.poll_seconds, 0);
	ck_assert_str_eq(c.support_text, "请致电 400-000-0000 # not a comment");
	/* ~/ expansion */
	setenv("HOME", "/home/u", 1);
	ck_assert_int_eq(parse(&c, "trust_dir = ~/roots\n", err, sizeof(err)), 0);
	ck_assert_str_eq(c.trust_dir, "/home/u/roots");
	/* empty support_text allowed */
	ck_assert_int_eq(parse(&c, "support_text =\n", err, sizeof(err)), 0);
	ck_assert_str_eq(c.support_text, "");
}
END_TEST

START_TEST(bad)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "foo = 1\n", "t.conf:1: unknown key 'foo'" },
		{ "\n\nserver https://x/\n", "t.conf:3: missing '='" },
		{ "= 5\n", "t.conf:1: missing key before '='" },
		{ "window_days = 0\n", "t.conf:1: window_days: 0 out of range 1..3650" },
		{ "window_days = 3651\n", "t.conf:1: window_days: 3651 out of range 1..3650" },
		{ "window_days = -1\n", "t.conf:1: window_days: not a number: '-1'" },
		{ "window_days = 12d\n", "t.conf:1: window_days: not a number: '12d'" },
		{ "window_days =\n", "t.conf:1: window_days: not a number" },
		{ "window_days = 99999999999999999999999\n", "t.conf:1: window_days: 99999999999999999999999 out of range" },
		{ "wait_limit_minutes = 10081\n", "t.conf:1: wait_limit_minutes: 10081 out of range 1..10080" },
		{ "wait_limit_minutes = 0\n", "t.conf:1: wait_limit_minutes: 0 out of range" },
		{ "poll_seconds = 3601\n", "t.conf:1: poll_seconds: 3601 out of range 0..3600" },
		{ "server = ftp://x/\n", "t.conf:1: server must be an http:// or https:// URL" },
		{ "server = https://\n", "t.conf:1: server URL has no host" },
		{ "server = https:///cmp\n", "t.conf:1: server URL has no host" },
		{ "server = https://a b/\n", "t.conf:1: server URL contains a space" },
		{ "server =\n", "t.conf:1: server must be" },
		{ "trust_dir = relative\n", "t.conf:1: trust_dir must be an absolute path" },
		{ "module =\n", "t.conf:1: empty value" },
		{ "window_days = 5\n# c\nwindow_days = 6\n", "t.conf:3: duplicate key 'window_days'" },
		{ "support_text = a\x01z\n", "t.conf:1: control character" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rn_config c;
		char err[512] = "";
		rn_config_defaults(&c);
		ck_assert_msg(parse(&c, cases[i].text, err, sizeof(err)) == -1, "case %zu accepted", i);
		ck_assert_msg(strncmp(err, cases[i].want, strlen(cases[i].want)) == 0,
			      "case %zu: want '%s', got '%s'", i, cases[i].want, err);
		ck_assert_int_eq(c.window_days, 180);
	}
	/* NUL byte in the buffer */
	struct rn_config c;
	char err[512];
	rn_config_defaults(&c);
	ck_assert_int_eq(rn_config_parse(&c, "t.conf", "a\0= 1\n", 6, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "t.conf:1: control character in line");
	/* too long values */
	char big[2000];
	memset(big, 'x', sizeof(big));
	memcpy(big, "support_text = ", 15);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(parse(&c, big, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "t.conf:1: support_text too long");
}
END_TEST

START_TEST(files)
{
	char dir[] = "/tmp/rn_config_test.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char sys[256], home[256], user[300], extra[256], err[700];
	snprintf(sys, sizeof(sys), "%s/sys.conf", dir);
	snprintf(home, sizeof(home), "%s/xdg", dir);
	snprintf(user, sizeof(user), "%s/ukey", home);
	ck_assert_int_eq(system(strcat(strcpy(err, "mkdir -p "), user)), 0);
	strcat(user, "/renew.conf");
	snprintf(extra, sizeof(extra), "%s/extra.conf", dir);
	FILE *f = fopen(sys, "w");
	fputs("server = https://sys/cmp\nwindow_days = 100\nwait_limit_minutes = 5\n", f);
	fclose(f);
	f = fopen(user, "w");
	fputs("window_days = 90\n", f);
	fclose(f);
	f = fopen(extra, "w");
	fputs("wait_limit_minutes = 7\n", f);
	fclose(f);
	setenv("UKEY_RENEW_SYSTEM_CONFIG", sys, 1);
	setenv("XDG_CONFIG_HOME", home, 1);
	struct rn_config c;
	rn_config_defaults(&c);
	ck_assert_int_eq(rn_config_load_all(&c, extra, err, sizeof(err)), 0);
	ck_assert_str_eq(c.server, "https://sys/cmp");
	ck_assert_int_eq(c.window_days, 90);
	ck_assert_int_eq(c.wait_limit_minutes, 7);
	/* missing --config file is an error; missing system/user files are not */
	char missing[300];
	snprintf(missing, sizeof(missing), "%s/none.conf", dir);
	ck_assert_int_eq(rn_config_load_all(&c, missing, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "none.conf: cannot open"));
	setenv("UKEY_RENEW_SYSTEM_CONFIG", missing, 1);
	ck_assert_int_eq(rn_config_load_all(&c, NULL, err, sizeof(err)), 0);
	/* the error names the file that failed */
	f = fopen(user, "w");
	fputs("# ok\nwindow_days = x\n", f);
	fclose(f);
	ck_assert_int_eq(rn_config_load_all(&c, NULL, err, sizeof(err)), -1);
	char want[400];
	snprintf(want, sizeof(want), "%s:2: window_days: not a number: 'x'", user);
	ck_assert_str_eq(err, want);
	/* a directory is not a configuration file */
	ck_assert_int_eq(rn_config_load(&c, dir, 1, err, sizeof(err)), -1);
	unsetenv("UKEY_RENEW_SYSTEM_CONFIG");
	unsetenv("XDG_CONFIG_HOME");
	snprintf(err, sizeof(err), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(err), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rn_config");
	TCase *tc = tcase_create("config");
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, good);
	tcase_add_test(tc, bad);
	tcase_add_test(tc, files);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
