/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of renew/cli: option parsing (options after the command, PIN
 * never as an argument), the exit-code table, JSON escaping, messages in
 * both languages, PIN sources (file, environment, a pty without echo), and
 * whole runs of cli_main against a stub librenew (stub_renew.c).
 */
#define _XOPEN_SOURCE 700 /* posix_openpt */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"

static char tmpdir[256], cfgpath[300], logpath[300];

static void setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/cli_test.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(cfgpath, sizeof(cfgpath), "%s/t.conf", tmpdir);
	snprintf(logpath, sizeof(logpath), "%s/log", tmpdir);
	FILE *f = fopen(cfgpath, "w");
	fputs("server = https://ca.test/cmp\nsupport_text = Call 400-123-4567\nwait_limit_minutes = 5\n", f);
	fclose(f);
	setenv("UKEY_RENEW_SYSTEM_CONFIG", "/nonexistent/renew.conf", 1);
	setenv("XDG_CONFIG_HOME", tmpdir, 1);
	setenv("STUB_LOG", logpath, 1);
	setenv("UKEY_LOCALEDIR", UKEY_TEST_LOCALEDIR, 1);
	unsetenv("LANGUAGE");
	unsetenv("LC_ALL");
	unsetenv("LC_MESSAGES");
	setenv("LANG", "C", 1);
}

static void teardown(void)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup failed\n");
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return strdup("");
	char *b = calloc(1, 1 << 16);
	size_t n = fread(b, 1, (1 << 16) - 1, f);
	b[n] = '\0';
	fclose(f);
	return b;
}

/* Runs cli_main(args) in a child with env ("K=V", NULL-terminated);
 * returns the exit code, stdout and stderr in *out / *err (malloc'd). */
static int run(const char *const *env, const char *const *args, char **out, char **err)
{
	char po[320], pe[320];
	snprintf(po, sizeof(po), "%s/out", tmpdir);
	snprintf(pe, sizeof(pe), "%s/err", tmpdir);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		for (size_t i = 0; env && env[i]; i++)
			putenv(strdup(env[i])); /* writable, as a real environment */
		if (freopen(po, "w", stdout) == NULL || freopen(pe, "w", stderr) == NULL)
			_exit(99);
		int setsid_rc = setsid(); /* no controlling terminal: no PIN prompt */
		(void)setsid_rc;
		char *argv[32];
		int argc = 0;
		argv[argc++] = (char *)"ukey-renew";
		for (size_t i = 0; args[i]; i++)
			argv[argc++] = (char *)args[i];
		argv[argc] = NULL;
		int code = cli_main(argc, argv);
		fflush(stdout);
		fflush(stderr);
		_exit(code);
	}
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	*out = slurp(po);
	*err = slurp(pe);
	return WEXITSTATUS(st);
}

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define ENV(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* ---- parsing ---- */

static int parse(struct cli_opts *o, char *err, const char *const *args)
{
	char *argv[32];
	int argc = 0;
	argv[argc++] = (char *)"ukey-renew";
	for (size_t i = 0; args[i]; i++)
		argv[argc++] = (char *)args[i];
	argv[argc] = NULL;
	return cli_parse(argc, argv, o, err, 512);
}

START_TEST(parse_good)
{
	struct cli_opts o;
	char err[512];
	ck_assert_int_eq(parse(&o, err, ARGS("status", "--json", "--module", "/m.so", "--verbose")), 0);
	ck_assert_int_eq(o.cmd, CLI_CMD_STATUS);
	ck_assert(o.json && o.verbose);
	ck_assert_str_eq(o.module, "/m.so");
	ck_assert_int_eq(parse(&o, err, ARGS("--module=/x.so", "--dry-run", "apply", "--id", "01:aB",
					     "--pin-env", "P", "--rekey", "--config", "/c")), 0);
	ck_assert_int_eq(o.cmd, CLI_CMD_APPLY);
	ck_assert(o.dry_run && o.rekey && o.have_id);
	ck_assert_uint_eq(o.id_len, 2);
	ck_assert_int_eq(o.id[0], 0x01);
	ck_assert_int_eq(o.id[1], 0xab);
	ck_assert_str_eq(o.pin_env, "P");
	ck_assert_str_eq(o.config, "/c");
	ck_assert_int_eq(parse(&o, err, ARGS("install", "--lang=zh", "--wait", "--label", "my cert")), 0);
	ck_assert_int_eq(o.cmd, CLI_CMD_INSTALL);
	ck_assert_str_eq(o.lang, "zh");
	ck_assert_str_eq(o.label, "my cert");
	ck_assert(o.wait);
	ck_assert_int_eq(parse(&o, err, ARGS("renew", "--if-due", "--pin-file", "/p")), 0);
	ck_assert(o.if_due);
	ck_assert_str_eq(o.pin_file, "/p");
	ck_assert_int_eq(parse(&o, err, ARGS("--sha256=AA:bb", "trust", "add", "root.pem")), 0);
	ck_assert_int_eq(o.cmd, CLI_CMD_TRUST_ADD);
	ck_assert_str_eq(o.arg, "root.pem");
	ck_assert_str_eq(o.sha256, "AA:bb");
	ck_assert_int_eq(parse(&o, err, ARGS("trust", "remove", "--", "-odd")), 0);
	ck_assert_int_eq(o.cmd, CLI_CMD_TRUST_REMOVE);
	ck_assert_str_eq(o.arg, "-odd");
	ck_assert_int_eq(parse(&o, err, ARGS("trust", "list")), 0);
	ck_assert_int_eq(o.cmd, CLI_CMD_TRUST_LIST);
	ck_assert_int_eq(parse(&o, err, ARGS("apply", "--help")), 0);
	ck_assert_int_eq(o.cmd, CLI_CMD_HELP);
	ck_assert_int_eq(parse(&o, err, ARGS("--version")), 0);
	ck_assert_int_eq(o.cmd, CLI_CMD_VERSION);
}
END_TEST

START_TEST(parse_bad)
{
	static const struct {
		const char *a[6];
		const char *want;
	} cases[] = {
		{ { "--pin", "1234", "apply" }, "PIN is never accepted" },
		{ { "apply", "--pin=1234" }, "PIN is never accepted" },
		{ { "apply", "-p", "1234" }, "PIN is never accepted" },
		{ { "renew", "--pincode", "1234" }, "PIN is never accepted" },
		{ { "install", "--user-pin=1" }, "PIN is never accepted" },
		{ { "status", "--rekey" }, "does not apply to 'status'" },
		{ { "install", "--rekey" }, "does not apply to 'install'" },
		{ { "apply", "--if-due" }, "does not apply to 'apply'" },
		{ { "apply", "--json" }, "does not apply" },
		{ { "apply", "--pin-file", "a", "--pin-env", "b" }, "not both" },
		{ { "apply", "--id", "01", "--label", "b" }, "not both" },
		{ { "apply", "--id", "0g" }, "--id must be hexadecimal" },
		{ { "apply", "--id", "012" }, "--id must be hexadecimal" },
		{ { "--lang", "fr", "status" }, "--lang must be" },
		{ { "--verbose" }, "no command given" },
		{ { "frobnicate" }, "unknown command 'frobnicate'" },
		{ { "trust" }, "'trust' needs" },
		{ { "trust", "add" }, "needs the root certificate file" },
		{ { "trust", "add", "r.pem" }, "needs --sha256" },
		{ { "trust", "remove" }, "needs the SHA-256" },
		{ { "status", "extra" }, "too many arguments: 'extra'" },
		{ { "status", "--module" }, "'--module' needs a value" },
		{ { "status", "--json=yes" }, "takes no value" },
		{ { "status", "--json", "--json" }, "given twice" },
		{ { "status", "--frob" }, "unknown option '--frob'" },
		{ { "status", "-x" }, "unknown option '-x'" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cli_opts o;
		char err[512] = "";
		ck_assert_msg(parse(&o, err, cases[i].a) == -1, "case %zu accepted", i);
		ck_assert_msg(strstr(err, cases[i].want) != NULL, "case %zu: want '%s' got '%s'", i,
			      cases[i].want, err);
	}
	unsigned char b[4];
	ck_assert_int_eq(cli_parse_hex("a:b", b, 4), -1);
	ck_assert_int_eq(cli_parse_hex("0a:0B:ff", b, 4), 3);
	ck_assert_int_eq(cli_parse_hex("0102030405", b, 4), -1);
	ck_assert_int_eq(cli_parse_hex("", b, 4), -1);
}
END_TEST

/* ---- exit codes ---- */

START_TEST(exit_table)
{
	static const int want[] = {
		[RENEW_OK] = 0, [RENEW_NOT_DUE] = 0, [RENEW_PENDING] = 11, [RENEW_NO_TOKEN] = 2,
		[RENEW_AMBIGUOUS] = 2, [RENEW_NO_MATCH] = 2, [RENEW_NOTHING_PENDING] = 3,
		[RENEW_REJECTED] = 20, [RENEW_BAD_ANSWER] = 30, [RENEW_NETWORK] = 31,
		[RENEW_PIN_INCORRECT] = 4, [RENEW_PIN_LOCKED] = 4, [RENEW_PIN_INVALID] = 4,
		[RENEW_TOKEN_REMOVED] = 1, [RENEW_TOKEN_ERROR] = 1, [RENEW_MODULE] = 1,
		[RENEW_CONFIG] = 1, [RENEW_STATE] = 1, [RENEW_BUSY] = 5, [RENEW_DRY_RUN] = 0,
		[RENEW_TRUST] = 1, [RENEW_INTERNAL] = 1,
	};
	for (int rc = RENEW_OK; rc <= RENEW_INTERNAL; rc++)
		ck_assert_msg(cli_exit_code((enum renew_rc)rc) == want[rc], "rc %d -> %d", rc,
			      cli_exit_code((enum renew_rc)rc));
	ck_assert_int_eq(cli_exit_code((enum renew_rc)999), 1);

	struct renew_cert_info c[2];
	memset(c, 0, sizeof(c));
	struct renew_inventory inv = { 1, c, 0 };
	ck_assert_int_eq(cli_status_exit(&inv), 2);
	inv.n_certs = 2;
	ck_assert_int_eq(cli_status_exit(&inv), 0);
	c[1].due = 1;
	ck_assert_int_eq(cli_status_exit(&inv), 10);
	c[1].due = 0;
	c[0].expired = 1;
	ck_assert_int_eq(cli_status_exit(&inv), 10);
	c[1].pending = 1;
	ck_assert_int_eq(cli_status_exit(&inv), 11);
}
END_TEST

/* ---- JSON ---- */

static char *json_of(const char *s)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	cli_json_string(f, s);
	fclose(f);
	return buf;
}

START_TEST(json_escaping)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "", "\"\"" },
		{ "plain", "\"plain\"" },
		{ "a\"b\\c", "\"a\\\"b\\\\c\"" },
		{ "\n\r\t\b\f", "\"\\n\\r\\t\\b\\f\"" },
		{ "\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"" },
		{ "张三", "\"张三\"" },
		{ "\xf0\x9f\x94\x91", "\"\xf0\x9f\x94\x91\"" },
		{ "x\xffy", "\"x\\ufffdy\"" },
		{ "\xc0\xaf", "\"\\ufffd\\ufffd\"" },             /* overlong '/' */
		{ "\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"" },   /* surrogate */
		{ "\xe4\xb8", "\"\\ufffd\\ufffd\"" },              /* truncated */
		{ "</script>", "\"</script>\"" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *j = json_of(cases[i].in);
		ck_assert_msg(strcmp(j, cases[i].out) == 0, "case %zu: %s", i, j);
		free(j);
	}
	char t[32];
	cli_iso8601(1700000000, t);
	ck_assert_str_eq(t, "2023-11-14T22:13:20Z");
}
END_TEST

/* ---- messages in both languages ---- */

static int has_non_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 1;
	return 0;
}

START_TEST(messages_zh_en)
{
	cli_i18n_init("zh");
	for (int rc = RENEW_OK; rc <= RENEW_INTERNAL; rc++) {
		const char *id = cli_rc_msgid((enum renew_rc)rc);
		const char *zh = cli_rc_text((enum renew_rc)rc);
		ck_assert_msg(strcmp(id, zh) != 0 && has_non_ascii(zh), "rc %d not translated: %s", rc, id);
	}
	for (int s = RENEW_STEP_NONE; s <= RENEW_STEP_DONE; s++) {
		const char *id = cli_step_msgid((enum renew_step)s);
		const char *zh = cli_step_text((enum renew_step)s);
		ck_assert_msg(strcmp(id, zh) != 0 && has_non_ascii(zh), "step %d not translated: %s", s, id);
	}
	ck_assert_str_eq(_("renewal succeeded"), "续期成功");
	cli_i18n_init("en");
	for (int rc = RENEW_OK; rc <= RENEW_INTERNAL; rc++)
		ck_assert_str_eq(cli_rc_text((enum renew_rc)rc), cli_rc_msgid((enum renew_rc)rc));
	ck_assert_str_eq(_("renewal succeeded"), "renewal succeeded");
}
END_TEST

/* LANG=zh_CN.UTF-8 on a system without that locale still gives Chinese. */
START_TEST(lang_env_fallback)
{
	setenv("LANG", "zh_CN.UTF-8", 1);
	cli_i18n_init(NULL);
	ck_assert_str_eq(_("renewal succeeded"), "续期成功");
	ck_assert_str_eq(cli_locale_dir(), UKEY_TEST_LOCALEDIR);
	/* without UKEY_LOCALEDIR: this executable runs from the build tree */
	unsetenv("UKEY_LOCALEDIR");
	cli_i18n_init(NULL);
	ck_assert_str_eq(cli_locale_dir(), UKEY_TEST_LOCALEDIR);
	ck_assert_str_eq(_("renewal succeeded"), "续期成功");
}
END_TEST

START_TEST(lang_env_english)
{
	setenv("LANG", "en_US.UTF-8", 1);
	cli_i18n_init(NULL);
	ck_assert_str_eq(_("renewal succeeded"), "renewal succeeded");
	/* --lang en beats LANGUAGE=zh_CN */
	setenv("LANGUAGE", "zh_CN", 1);
	setenv("LANG", "zh_CN.UTF-8", 1);
	cli_i18n_init("en");
	ck_assert_str_eq(_("renewal succeeded"), "renewal succeeded");
}
END_TEST

/* ---- PIN sources ---- */

START_TEST(pin_sources)
{
	struct cli_pin p;
	char pin[32];
	memset(&p, 0, sizeof(p));
	/* environment: read then wiped */
	setenv("TEST_PIN", "123456", 1);
	p.env = "TEST_PIN";
	ck_assert_int_eq(cli_pin_read(&p, pin, sizeof(pin), -1), 6);
	ck_assert_str_eq(pin, "123456");
	ck_assert_ptr_null(getenv("TEST_PIN"));
	ck_assert_int_eq(cli_pin_read(&p, pin, sizeof(pin), -1), -1);
	ck_assert_ptr_nonnull(strstr(p.why, "TEST_PIN"));
	/* file: first line, CR LF stripped */
	char path[320];
	snprintf(path, sizeof(path), "%s/pin", tmpdir);
	FILE *f = fopen(path, "w");
	fputs("4321\r\nsecond line\n", f);
	fclose(f);
	chmod(path, 0600);
	memset(&p, 0, sizeof(p));
	p.file = path;
	ck_assert_int_eq(cli_pin_read(&p, pin, sizeof(pin), -1), 4);
	ck_assert_str_eq(pin, "4321");
	/* too long for the buffer */
	ck_assert_int_eq(cli_pin_read(&p, pin, 4, -1), -1);
	ck_assert(p.failed);
	/* empty file */
	f = fopen(path, "w");
	fclose(f);
	ck_assert_int_eq(cli_pin_read(&p, pin, sizeof(pin), -1), -1);
	ck_assert_ptr_nonnull(strstr(p.why, "empty"));
	/* missing file */
	p.file = "/nonexistent/pin";
	ck_assert_int_eq(cli_pin_read(&p, pin, sizeof(pin), -1), -1);
	ck_assert_ptr_nonnull(strstr(p.why, "/nonexistent/pin"));
	/* no terminal */
	memset(&p, 0, sizeof(p));
	p.tty_path = "/nonexistent/tty";
	ck_assert_int_eq(cli_pin_read(&p, pin, sizeof(pin), -1), -1);
	ck_assert_ptr_nonnull(strstr(p.why, "--pin-file"));
}
END_TEST

/* The terminal prompt on a pty: the PIN is read and not echoed. */
START_TEST(pin_tty)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	ck_assert_int_ge(m, 0);
	ck_assert_int_eq(grantpt(m), 0);
	ck_assert_int_eq(unlockpt(m), 0);
	char *slave = ptsname(m);
	ck_assert_ptr_nonnull(slave);
	/* keep the slave open: the pty lives on between the child and us */
	int s = open(slave, O_RDWR | O_NOCTTY);
	ck_assert_int_ge(s, 0);
	struct cli_pin p;
	memset(&p, 0, sizeof(p));
	p.tty_path = slave;
	pid_t pid = fork();
	if (pid == 0) {
		char pin[32];
		int n = cli_pin_read(&p, pin, sizeof(pin), 1);
		_exit(n == 6 && strcmp(pin, "987654") == 0 ? 0 : 1);
	}
	/* wait for the prompt (echo is switched off right after it) */
	char out[2048];
	ssize_t n = 0, r;
	fcntl(m, F_SETFL, O_NONBLOCK);
	for (int i = 0; i < 100; i++) {
		r = read(m, out + n, sizeof(out) - 1 - (size_t)n);
		if (r > 0)
			n += r;
		out[n] = '\0';
		if (strstr(out, "(not shown): ") != NULL)
			break;
		usleep(50 * 1000);
	}
	usleep(200 * 1000);
	ck_assert_int_eq(write(m, "987654\n", 7), 7);
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	while (n < (ssize_t)sizeof(out) - 1 && (r = read(m, out + n, sizeof(out) - 1 - (size_t)n)) > 0)
		n += r;
	out[n] = '\0';
	ck_assert_msg(strstr(out, "PIN") != NULL, "no prompt: %s", out);
	ck_assert_msg(strstr(out, "LAST try") != NULL, "no final-try warning: %s", out);
	ck_assert_msg(strstr(out, "987654") == NULL, "PIN echoed: %s", out);
	/* the terminal is restored */
	struct termios t;
	ck_assert_int_eq(tcgetattr(s, &t), 0);
	ck_assert(t.c_lflag & ECHO);
	close(s);
	close(m);
}
END_TEST

/* ---- whole runs against the stub library ---- */

static int logged(const char *what)
{
	char *l = slurp(logpath);
	int r = strstr(l, what) != NULL;
	free(l);
	return r;
}

START_TEST(run_status)
{
	char *o, *e;
	ck_assert_int_eq(run(ENV("STUB_STATUS=ok"), ARGS("status"), &o, &e), 0);
	ck_assert_ptr_nonnull(strstr(o, "not yet: more than 180 days left (opens in 120 days)"));
	ck_assert_ptr_nonnull(strstr(o, "Key \"Test Key\" (serial FT0001)"));
	free(o), free(e);
	ck_assert_int_eq(run(ENV("STUB_STATUS=due"), ARGS("status"), &o, &e), 10);
	ck_assert_ptr_nonnull(strstr(o, "open: run 'ukey-renew renew'"));
	free(o), free(e);
	ck_assert_int_eq(run(ENV("STUB_STATUS=expired"), ARGS("status"), &o, &e), 10);
	free(o), free(e);
	ck_assert_int_eq(run(ENV("STUB_STATUS=pending"), ARGS("status"), &o, &e), 11);
	free(o), free(e);
	ck_assert_int_eq(run(ENV("STUB_STATUS=none"), ARGS("status"), &o, &e), 2);
	ck_assert_ptr_nonnull(strstr(e, "holds no certificate"));
	free(o), free(e);
	ck_assert_int_eq(run(ENV("STUB_STATUS=notoken"), ARGS("status", "--json"), &o, &e), 2);
	ck_assert_str_eq(o, "[]\n");
	free(o), free(e);
	/* the window comes from the configuration */
	FILE *f = fopen(cfgpath, "a");
	fputs("window_days = 400\n", f);
	fclose(f);
	ck_assert_int_eq(run(ENV("STUB_STATUS=ok"), ARGS("status", "--config", cfgpath), &o, &e), 10);
	ck_assert(logged("window=400"));
	free(o), free(e);
	/* options after the command reach the library; --verbose shows traces */
	ck_assert_int_eq(run(ENV("STUB_STATUS=ok"), ARGS("status", "--module", "/m.so", "--verbose"), &o, &e), 0);
	ck_assert(logged("status module=/m.so"));
	ck_assert(logged("verbose=1"));
	ck_assert_ptr_nonnull(strstr(e, "C_GetSlotList"));
	free(o), free(e);
	/* Chinese */
	ck_assert_int_eq(run(ENV("STUB_STATUS=due", "LANG=zh_CN.UTF-8"), ARGS("status"), &o, &e), 10);
	ck_assert_ptr_nonnull(strstr(o, "可以续期"));
	free(o), free(e);
}
END_TEST

START_TEST(run_status_json)
{
	char *o, *e;
	ck_assert_int_eq(run(ENV("STUB_STATUS=weird"), ARGS("status", "--json"), &o, &e), 0);
	ck_assert_ptr_nonnull(strstr(o, "\"label\": \"a\\\"b\\\\c\\n\\u0001\\ufffd\""));
	ck_assert_ptr_nonnull(strstr(o, "\"subject\": \"CN=张三,O=\\\"Q\\\"\""));
	ck_assert_ptr_nonnull(strstr(o, "\"key_present\": true"));
	ck_assert_ptr_nonnull(strstr(o, "\"not_before\": \"2023-11-14T22:13:20Z\""));
	free(o), free(e);
	ck_assert_int_eq(run(ENV("STUB_STATUS=two"), ARGS("--json", "status"), &o, &e), 10);
	ck_assert(o[0] == '[');
	ck_assert_ptr_nonnull(strstr(o, "\"token_label\": \"Test Key\", \"token_serial\": \"FT0001\""));
	ck_assert_ptr_nonnull(strstr(o, "\"days_left\": 20, \"key_present\": null, \"due\": true, "
				    "\"expired\": false, \"pending\": false, \"superseded\": false}"));
	ck_assert_ptr_nonnull(strstr(o, "},\n  {"));
	free(o), free(e);
	/* with python3 present, the output must be valid JSON */
	if (access("/usr/bin/python3", X_OK) == 0) {
		char cmd[400];
		run(ENV("STUB_STATUS=weird"), ARGS("status", "--json"), &o, &e);
		free(o), free(e);
		snprintf(cmd, sizeof(cmd),
			 "python3 -c 'import json,sys; d=json.load(open(\"%s/out\")); "
			 "assert d[0][\"key_present\"] is True and d[0][\"subject\"]==\"CN=\\u5f20\\u4e09,O=\\\"Q\\\"\"'",
			 tmpdir);
		ck_assert_int_eq(system(cmd), 0);
	}
}
END_TEST

START_TEST(run_apply)
{
	char *o, *e;
	char rc[32];
	/* no server configured */
	ck_assert_int_eq(run(NULL, ARGS("apply"), &o, &e), 1);
	ck_assert_ptr_nonnull(strstr(e, "No CA server is configured"));
	free(o), free(e);
	const char *cfg = cfgpath;
	snprintf(rc, sizeof(rc), "STUB_RC=%d", RENEW_PENDING);
	ck_assert_int_eq(run(ENV(rc), ARGS("apply", "--config", cfg, "--id", "45:02", "--rekey"), &o, &e), 11);
	ck_assert_ptr_nonnull(strstr(o, "ukey-renew install"));
	ck_assert(logged("apply module=- server=https://ca.test/cmp window=180 wait=5"));
	ck_assert(logged("rekey=1"));
	ck_assert(logged("id=4502"));
	ck_assert_ptr_nonnull(strstr(e, "sending the renewal request to the CA"));
	free(o), free(e);
	snprintf(rc, sizeof(rc), "STUB_RC=%d", RENEW_REJECTED);
	ck_assert_int_eq(run(ENV(rc, "STUB_CA_TEXT=more than 180 days of validity left"),
			     ARGS("--config", cfg, "apply"), &o, &e), 20);
	ck_assert_ptr_nonnull(strstr(e, "The CA says: more than 180 days of validity left"));
	free(o), free(e);
	snprintf(rc, sizeof(rc), "STUB_RC=%d", RENEW_BAD_ANSWER);
	ck_assert_int_eq(run(ENV(rc), ARGS("--config", cfg, "apply"), &o, &e), 30);
	ck_assert_ptr_nonnull(strstr(e, "Detail: stub detail"));
	ck_assert_ptr_nonnull(strstr(e, "Failed step: sending the renewal request"));
	free(o), free(e);
	snprintf(rc, sizeof(rc), "STUB_RC=%d", RENEW_NETWORK);
	ck_assert_int_eq(run(ENV(rc), ARGS("--config", cfg, "apply"), &o, &e), 31);
	free(o), free(e);
	snprintf(rc, sizeof(rc), "STUB_RC=%d", RENEW_PIN_LOCKED);
	ck_assert_int_eq(run(ENV(rc), ARGS("--config", cfg, "apply"), &o, &e), 4);
	ck_assert_ptr_nonnull(strstr(e, "locked"));
	free(o), free(e);
	snprintf(rc, sizeof(rc), "STUB_RC=%d", RENEW_BUSY);
	ck_assert_int_eq(run(ENV(rc), ARGS("--config", cfg, "install"), &o, &e), 5);
	free(o), free(e);
	snprintf(rc, sizeof(rc), "STUB_RC=%d", RENEW_NOTHING_PENDING);
	ck_assert_int_eq(run(ENV(rc), ARGS("install"), &o, &e), 3);
	free(o), free(e);
	/* ambiguous: the certificates are listed with their --id */
	snprintf(rc, sizeof(rc), "STUB_RC=%d", RENEW_AMBIGUOUS);
	ck_assert_int_eq(run(ENV(rc, "STUB_STATUS=two"), ARGS("--config", cfg, "apply"), &o, &e), 2);
	ck_assert_ptr_nonnull(strstr(e, "--id 4501"));
	ck_assert_ptr_nonnull(strstr(e, "--id 4502"));
	free(o), free(e);
	/* issued at once */
	ck_assert_int_eq(run(ENV("STUB_RC=0"), ARGS("--config", cfg, "apply"), &o, &e), 0);
	ck_assert_ptr_nonnull(strstr(o, "renewal succeeded"));
	ck_assert_ptr_nonnull(strstr(o, "Old certificate valid: 2023-11-14 22:13 UTC to 2023-12-14 22:13 UTC"));
	free(o), free(e);
	ck_assert_int_eq(run(ENV("STUB_RC=0"), ARGS("--config", cfg, "install", "--lang", "zh"), &o, &e), 0);
	ck_assert_ptr_nonnull(strstr(o, "续期成功"));
	ck_assert_ptr_nonnull(strstr(o, "新证书有效期"));
	free(o), free(e);
	snprintf(rc, sizeof(rc), "STUB_RC=%d", RENEW_DRY_RUN);
	ck_assert_int_eq(run(ENV(rc), ARGS("--config", cfg, "apply", "--dry-run"), &o, &e), 0);
	ck_assert(logged("dry=1"));
	ck_assert_ptr_nonnull(strstr(o, "Dry run"));
	free(o), free(e);
}
END_TEST

START_TEST(run_renew)
{
	char *o, *e, rc[32];
	const char *cfg = cfgpath;
	snprintf(rc, sizeof(rc), "STUB_RC=%d", RENEW_PENDING);
	ck_assert_int_eq(run(ENV(rc), ARGS("renew", "--config", cfg), &o, &e), 11);
	ck_assert_ptr_nonnull(strstr(o, "still not decided after 5 minutes"));
	ck_assert_ptr_nonnull(strstr(o, "Call 400-123-4567"));
	ck_assert_ptr_nonnull(strstr(o, "ukey-renew install"));
	/* not a terminal: one progress line per poll */
	ck_assert_ptr_nonnull(strstr(e, "Waiting for the CA: 1:05 elapsed, asking now, giving up in 28:55"));
	free(o), free(e);
	/* without support_text: the default sentence, translated */
	FILE *f = fopen(cfgpath, "w");
	fputs("server = https://ca.test/cmp\n", f);
	fclose(f);
	ck_assert_int_eq(run(ENV(rc), ARGS("renew", "--config", cfg, "--lang", "zh"), &o, &e), 11);
	ck_assert_ptr_nonnull(strstr(o, "请联系 CA 客服"));
	free(o), free(e);
	/* --if-due with nothing due: 0, nothing asked, renew not called */
	unlink(logpath);
	ck_assert_int_eq(run(ENV("STUB_STATUS=ok", "STUB_PIN=1"), ARGS("renew", "--if-due", "--config", cfg), &o, &e), 0);
	ck_assert(logged("status"));
	ck_assert(!logged("renew module"));
	ck_assert_ptr_nonnull(strstr(o, "No renewal is due"));
	free(o), free(e);
	/* --if-due with a due certificate: renews */
	ck_assert_int_eq(run(ENV("STUB_STATUS=due", "STUB_RC=0"), ARGS("renew", "--if-due", "--config", cfg), &o, &e), 0);
	ck_assert(logged("renew module"));
	ck_assert_ptr_nonnull(strstr(o, "renewal succeeded"));
	free(o), free(e);
	/* --if-due, the chosen one is not due although another is */
	unlink(logpath);
	ck_assert_int_eq(run(ENV("STUB_STATUS=two"), ARGS("renew", "--if-due", "--label", "sign", "--config", cfg), &o, &e), 0);
	ck_assert(!logged("renew module"));
	free(o), free(e);
}
END_TEST

START_TEST(run_pin)
{
	char *o, *e;
	const char *cfg = cfgpath;
	/* a PIN on the command line: refused before anything runs */
	unlink(logpath);
	ck_assert_int_eq(run(NULL, ARGS("apply", "--pin", "1234", "--config", cfg), &o, &e), 1);
	ck_assert_ptr_nonnull(strstr(e, "never accepted on the command line"));
	ck_assert(!logged("apply"));
	free(o), free(e);
	ck_assert_int_eq(run(NULL, ARGS("--lang", "zh", "apply", "--pin=1234"), &o, &e), 1);
	ck_assert_ptr_nonnull(strstr(e, "不接受在命令行中给出 PIN 码"));
	free(o), free(e);
	/* right PIN from the environment */
	ck_assert_int_eq(run(ENV("STUB_PIN=1234", "MYPIN=1234"), ARGS("apply", "--pin-env", "MYPIN", "--config", cfg), &o, &e), 0);
	free(o), free(e);
	/* wrong PIN: tries left shown, exit 4 */
	ck_assert_int_eq(run(ENV("STUB_PIN=1234", "MYPIN=0000"), ARGS("apply", "--pin-env", "MYPIN", "--config", cfg), &o, &e), 4);
	ck_assert_ptr_nonnull(strstr(e, "Wrong PIN"));
	ck_assert_ptr_nonnull(strstr(e, "Only ONE try is left"));
	free(o), free(e);
	/* PIN file readable by others: warning */
	char pf[320];
	snprintf(pf, sizeof(pf), "%s/pin", tmpdir);
	FILE *f = fopen(pf, "w");
	fputs("1234\n", f);
	fclose(f);
	chmod(pf, 0644);
	ck_assert_int_eq(run(ENV("STUB_PIN=1234"), ARGS("install", "--pin-file", pf), &o, &e), 0);
	ck_assert_ptr_nonnull(strstr(e, "can be read by other users"));
	free(o), free(e);
	/* no terminal and no PIN source: clear message, exit 4 */
	ck_assert_int_eq(run(ENV("STUB_PIN=1234"), ARGS("install"), &o, &e), 4);
	ck_assert_ptr_nonnull(strstr(e, "no terminal to ask the PIN on"));
	free(o), free(e);
	ck_assert_int_eq(run(ENV("STUB_PIN=1234"), ARGS("install", "--pin-env", "UNSET_VAR"), &o, &e), 4);
	ck_assert_ptr_nonnull(strstr(e, "UNSET_VAR"));
	free(o), free(e);
}
END_TEST

START_TEST(run_misc)
{
	char *o, *e;
	/* configuration error: translated sentence + FILE:LINE: what; exit 1 */
	FILE *f = fopen(cfgpath, "w");
	fputs("server = https://ca.test/cmp\nwindow_days = soon\n", f);
	fclose(f);
	ck_assert_int_eq(run(NULL, ARGS("status", "--config", cfgpath, "--lang", "zh"), &o, &e), 1);
	ck_assert_ptr_nonnull(strstr(e, "配置文件有误："));
	ck_assert_ptr_nonnull(strstr(e, "t.conf:2: window_days: not a number: 'soon'"));
	free(o), free(e);
	ck_assert_int_eq(run(NULL, ARGS("--help"), &o, &e), 0);
	ck_assert_ptr_nonnull(strstr(o, "trust add ROOT.pem --sha256 FINGERPRINT"));
	free(o), free(e);
	ck_assert_int_eq(run(ENV("LANG=zh_CN.UTF-8"), ARGS("--help"), &o, &e), 0);
	ck_assert_ptr_nonnull(strstr(o, "用法"));
	free(o), free(e);
	ck_assert_int_eq(run(NULL, ARGS("--version"), &o, &e), 0);
	ck_assert_ptr_nonnull(strstr(o, "ukey-renew "));
	free(o), free(e);
	ck_assert_int_eq(run(NULL, ARGS("bogus"), &o, &e), 1);
	ck_assert_ptr_nonnull(strstr(e, "--help"));
	free(o), free(e);
	/* trust */
	ck_assert_int_eq(run(NULL, ARGS("trust", "add", "r.pem", "--sha256", "good"), &o, &e), 0);
	free(o), free(e);
	ck_assert_int_eq(run(NULL, ARGS("trust", "add", "r.pem", "--sha256", "bad"), &o, &e), 1);
	ck_assert_ptr_nonnull(strstr(e, "fingerprint mismatch"));
	free(o), free(e);
	ck_assert_int_eq(run(NULL, ARGS("trust", "list"), &o, &e), 0);
	ck_assert_ptr_nonnull(strstr(o, "ab12"));
	ck_assert_ptr_nonnull(strstr(o, "CN=Root"));
	free(o), free(e);
	ck_assert_int_eq(run(NULL, ARGS("trust", "remove", "ab12"), &o, &e), 0);
	free(o), free(e);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("cli");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, parse_good);
	tcase_add_test(tc, parse_bad);
	tcase_add_test(tc, exit_table);
	tcase_add_test(tc, json_escaping);
	tcase_add_test(tc, messages_zh_en);
	tcase_add_test(tc, lang_env_fallback);
	tcase_add_test(tc, lang_env_english);
	tcase_add_test(tc, pin_sources);
	tcase_add_test(tc, pin_tty);
	tcase_add_test(tc, run_status);
	tcase_add_test(tc, run_status_json);
	tcase_add_test(tc, run_apply);
	tcase_add_test(tc, run_renew);
	tcase_add_test(tc, run_pin);
	tcase_add_test(tc, run_misc);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
