/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of renew/store/rn_state*.c: round trip, corruption classes,
 * mode 0600, lock contention between processes, atomic replacement. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rn_state.h"

static char tmpdir[256];

static void setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/rn_state_test.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", tmpdir);
}

static unsigned char *blob(size_t n, unsigned seed)
{
	unsigned char *p = malloc(n);
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(i * 31u + seed);
	return p;
}

static void fill(struct rn_state *st)
{
	memset(st, 0, sizeof(*st));
	st->phase = RN_PHASE_WAITING;
	strcpy(st->server, "https://ca.example.cn:8443/pkix/cmp");
	strcpy(st->token_serial, "FT0123456789");
	strcpy(st->token_label, "测试 key = 1");
	st->cert_id_len = 20;
	memcpy(st->cert_id, "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\xff", 20);
	strcpy(st->cert_label, "Signing cert");
	st->old_cert_len = 1201;
	st->old_cert = blob(st->old_cert_len, 7);
	st->rekey = 1;
	st->new_key_id_len = 2;
	st->new_key_id[0] = 0xab;
	st->new_key_id[1] = 0xcd;
	st->cmp.transaction_id_len = 16;
	st->cmp.transaction_id = blob(16, 3);
	st->cmp.waiting_rsp_len = 700;
	st->cmp.waiting_rsp = blob(700, 5);
	st->cmp.last_poll_rsp_len = 2;
	st->cmp.last_poll_rsp = blob(2, 9);
	st->created = 1765000000;
	st->next_poll = 1765000180;
}

static void assert_same(const struct rn_state *a, const struct rn_state *b)
{
	ck_assert_int_eq(a->phase, b->phase);
	ck_assert_str_eq(a->server, b->server);
	ck_assert_str_eq(a->token_serial, b->token_serial);
	ck_assert_str_eq(a->token_label, b->token_label);
	ck_assert_uint_eq(a->cert_id_len, b->cert_id_len);
	ck_assert_mem_eq(a->cert_id, b->cert_id, a->cert_id_len);
	ck_assert_str_eq(a->cert_label, b->cert_label);
	ck_assert_uint_eq(a->old_cert_len, b->old_cert_len);
	ck_assert_mem_eq(a->old_cert, b->old_cert, a->old_cert_len);
	ck_assert_int_eq(a->rekey, b->rekey);
	ck_assert_uint_eq(a->new_key_id_len, b->new_key_id_len);
	ck_assert_mem_eq(a->new_key_id, b->new_key_id, a->new_key_id_len);
	ck_assert_uint_eq(a->cmp.transaction_id_len, b->cmp.transaction_id_len);
	ck_assert_mem_eq(a->cmp.transaction_id, b->cmp.transaction_id, a->cmp.transaction_id_len);
	ck_assert_uint_eq(a->cmp.waiting_rsp_len, b->cmp.waiting_rsp_len);
	ck_assert_mem_eq(a->cmp.waiting_rsp, b->cmp.waiting_rsp, a->cmp.waiting_rsp_len);
	ck_assert_uint_eq(a->cmp.last_poll_rsp_len, b->cmp.last_poll_rsp_len);
	if (a->cmp.last_poll_rsp_len)
		ck_assert_mem_eq(a->cmp.last_poll_rsp, b->cmp.last_poll_rsp, a->cmp.last_poll_rsp_len);
	ck_assert_uint_eq(a->new_cert_len, b->new_cert_len);
	if (a->new_cert_len)
		ck_assert_mem_eq(a->new_cert, b->new_cert, a->new_cert_len);
	ck_assert(a->created == b->created);
	ck_assert(a->next_poll == b->next_poll);
}

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	char *buf = malloc(1 << 20);
	*n = fread(buf, 1, 1 << 20, f);
	fclose(f);
	buf[*n] = '\0';
	return buf;
}

START_TEST(round_trip)
{
	char path[512], err[512];
	struct rn_state a, b;
	fill(&a);
	ck_assert_int_eq(rn_state_path(tmpdir, a.token_serial, a.cert_id, a.cert_id_len, path, sizeof(path)), 0);
	ck_assert_int_eq(rn_state_save(path, &a, err, sizeof(err)), 0);
	ck_assert_int_eq(rn_state_load(path, &b, err, sizeof(err)), 0);
	assert_same(&a, &b);
	rn_state_clear(&b);
	/* received phase, no rekey, empty optional strings */
	rn_state_clear(&a);
	fill(&a);
	a.phase = RN_PHASE_RECEIVED;
	a.rekey = 0;
	a.new_key_id_len = 0;
	a.token_label[0] = a.cert_label[0] = '\0';
	a.new_cert_len = 999;
	a.new_cert = blob(999, 1);
	ck_assert_int_eq(rn_state_save(path, &a, err, sizeof(err)), 0);
	ck_assert_int_eq(rn_state_load(path, &b, err, sizeof(err)), 0);
	assert_same(&a, &b);
	rn_state_clear(&a);
	rn_state_clear(&b);
	/* no temporary files left behind */
	char **paths;
	size_t n;
	ck_assert_int_eq(rn_state_list(tmpdir, &paths, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(paths[0], path);
	rn_state_list_free(paths, n);
	ck_assert_int_eq(rn_state_remove(path, err, sizeof(err)), 0);
	ck_assert_int_eq(rn_state_remove(path, err, sizeof(err)), 0);
	ck_assert_int_eq(rn_state_list(tmpdir, &paths, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(mode_0600)
{
	char path[512], err[512];
	struct rn_state a;
	fill(&a);
	mode_t old = umask(0);
	snprintf(path, sizeof(path), "%s/pending-x-01.state", tmpdir);
	ck_assert_int_eq(rn_state_save(path, &a, err, sizeof(err)), 0);
	umask(old);
	struct stat sb;
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	rn_state_clear(&a);
}
END_TEST

START_TEST(state_dir)
{
	char out[512], err[512], want[512];
	snprintf(want, sizeof(want), "%s/x/y/ukey", tmpdir);
	ck_assert_int_eq(rn_state_dir(want, 1, out, sizeof(out), err, sizeof(err)), 0);
	ck_assert_str_eq(out, want);
	struct stat sb;
	ck_assert_int_eq(stat(want, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0700);
	char xdg[512];
	snprintf(xdg, sizeof(xdg), "%s/xdg", tmpdir);
	setenv("XDG_STATE_HOME", xdg, 1);
	ck_assert_int_eq(rn_state_dir(NULL, 0, out, sizeof(out), err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s/xdg/ukey", tmpdir);
	ck_assert_str_eq(out, want);
	setenv("XDG_STATE_HOME", "relative/ignored", 1);
	setenv("HOME", "/home/someone", 1);
	ck_assert_int_eq(rn_state_dir(NULL, 0, out, sizeof(out), err, sizeof(err)), 0);
	ck_assert_str_eq(out, "/home/someone/.local/state/ukey");
	unsetenv("XDG_STATE_HOME");
	/* path naming */
	ck_assert_int_eq(rn_state_path("/d", "A b/../c", (const unsigned char *)"\x0a\xff", 2, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "/d/pending-A_b____c-0aff.state");
	ck_assert_int_eq(rn_state_path("/d", "", NULL, 0, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "/d/pending-none-noid.state");
	ck_assert_int_eq(rn_state_path("/d", "s", NULL, 0, out, 8), -1);
}
END_TEST

/* A valid text to corrupt line by line. */
static char *valid_text(size_t *n)
{
	char path[512], err[512];
	struct rn_state a;
	fill(&a);
	snprintf(path, sizeof(path), "%s/v.state", tmpdir);
	ck_assert_int_eq(rn_state_save(path, &a, err, sizeof(err)), 0);
	rn_state_clear(&a);
	return slurp(path, n);
}

/* Replaces the line starting with key (e.g. "rekey=") by repl (NULL: delete). */
static char *edit(const char *text, const char *key, const char *repl)
{
	size_t cap = strlen(text) + (repl ? strlen(repl) : 0) + 2;
	char *out = malloc(cap);
	out[0] = '\0';
	const char *p = text;
	int done = 0;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p + 1) : strlen(p);
		if (!done && strncmp(p, key, strlen(key)) == 0) {
			done = 1;
			if (repl)
				strcat(strcat(out, repl), "\n");
		} else {
			strncat(out, p, l);
		}
		p += l;
	}
	ck_assert_msg(done, "key %s not in text", key);
	return out;
}

struct bad {
	const char *key, *repl, *want; /* want: substring of err, with line */
};

START_TEST(corruption)
{
	size_t n;
	char *text = valid_text(&n);
	char err[512];
	struct rn_state st;
	ck_assert_int_eq(rn_state_parse("f", text, n, &st, err, sizeof(err)), 0);
	rn_state_clear(&st);
	static const struct bad cases[] = {
		{ "ukey-renew-state", "ukey-renew-state 2", "f:1: unsupported state file version" },
		{ "ukey-renew-state", "hello", "f:1: not a ukey-renew state file" },
		{ "phase=", "phase=done", "f:2: phase: must be" },
		{ "phase=", "phase", "f:2: missing '='" },
		{ "phase=", NULL, "missing field 'phase'" },
		{ "server=", "server=ftp://x", "f:3: server: must be an http" },
		{ "server=", "server=https://a b", "f:3: server: space" },
		{ "token_serial=", "token_serial=12345678901234567", "f:4: token_serial: value too long" },
		{ "token_serial=", "token_serial=\xe4\xb8\xad", "f:4: token_serial: non-ASCII" },
		{ "token_label=", "token_label=a\tb", "f:5: token_label: control character" },
		{ "token_label=", "token_label=\r", "f:5: token_label: control character" },
		{ "cert_id=", "cert_id=0g", "f:6: cert_id: invalid hex" },
		{ "cert_id=", "cert_id=abc", "f:6: cert_id: invalid hex" },
		{ "cert_id=", "cert_id=00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000ff", "f:6: cert_id: value too long" },
		{ "cert_label=", "bogus=1", "f:7: unknown key 'bogus'" },
		{ "old_cert=", "old_cert=AAA", "f:8: old_cert: invalid base64" },
		{ "old_cert=", "old_cert=AA=A", "f:8: old_cert: invalid base64" },
		{ "old_cert=", "old_cert=AB==", "f:8: old_cert: invalid base64" }, /* non-canonical */
		{ "old_cert=", "old_cert=AA*=", "f:8: old_cert: invalid base64" },
		{ "old_cert=", "old_cert=", "f:8: old_cert: empty value" },
		{ "old_cert=", NULL, "missing field 'old_cert'" },
		{ "rekey=", "rekey=2", "f:9: rekey: must be 0 or 1" },
		{ "rekey=", "rekey=0", "'new_key_id' set but rekey=0" },
		{ "new_key_id=", NULL, "rekey=1 needs a non-empty 'new_key_id'" },
		{ "transaction_id=", NULL, "missing field 'transaction_id'" },
		{ "transaction_id=", "transaction_id=", "f:11: transaction_id: empty value" },
		{ "waiting_rsp=", NULL, "missing field 'waiting_rsp'" },
		{ "created=", "created=-5", "f:14: created: must be a non-negative" },
		{ "created=", "created=12x", "f:14: created: must be" },
		{ "created=", "created=0123", "f:14: created: must be" },
		{ "created=", "created=99999999999999999999", "f:14: created: must be" },
		{ "next_poll=", "next_poll=1\nnext_poll=2", "f:16: duplicate key 'next_poll'" },
		{ "end", NULL, "truncated (no 'end' line)" },
		{ "end", "end\nphase=waiting", "f:17: data after 'end'" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *t = edit(text, cases[i].key, cases[i].repl);
		memset(err, 0, sizeof(err));
		int rc = rn_state_parse("f", t, strlen(t), &st, err, sizeof(err));
		ck_assert_msg(rc == -1, "case %zu (%s) accepted", i, cases[i].repl ? cases[i].repl : "delete");
		ck_assert_msg(strstr(err, cases[i].want) != NULL, "case %zu: want '%s', got '%s'", i,
			      cases[i].want, err);
		ck_assert_msg(strncmp(err, "f:", 2) == 0, "case %zu: no file:line in '%s'", i, err);
		ck_assert_ptr_null(st.old_cert);
		free(t);
	}
	/* truncation at every byte: never accepted, always with a line */
	for (size_t cut = 0; cut < n; cut++) {
		int rc = rn_state_parse("f", text, cut, &st, err, sizeof(err));
		ck_assert_msg(rc == -1, "truncated at %zu accepted", cut);
		ck_assert_msg(strncmp(err, "f:", 2) == 0, "cut %zu: %s", cut, err);
	}
	/* NUL byte, missing final newline, too large */
	char *t = strdup(text);
	t[30] = '\0';
	ck_assert_int_eq(rn_state_parse("f", t, n, &st, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "NUL"));
	ck_assert_int_eq(rn_state_parse("f", text, n - 1, &st, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "truncated"));
	free(t);
	char *big = malloc(300 * 1024);
	memset(big, 'A', 300 * 1024);
	ck_assert_int_eq(rn_state_parse("f", big, 300 * 1024, &st, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "f:1: file too large"));
	free(big);
	/* a file on disk: load names it */
	char path[512];
	snprintf(path, sizeof(path), "%s/bad.state", tmpdir);
	FILE *f = fopen(path, "w");
	fputs("ukey-renew-state 1\nphase=waiting\nx\n", f);
	fclose(f);
	ck_assert_int_eq(rn_state_load(path, &st, err, sizeof(err)), -1);
	char want[600];
	snprintf(want, sizeof(want), "%s:3: missing '='", path);
	ck_assert_str_eq(err, want);
	free(text);
}
END_TEST

START_TEST(save_refuses_bad_struct)
{
	char path[512], err[512];
	struct rn_state a;
	fill(&a);
	snprintf(path, sizeof(path), "%s/pending-a-01.state", tmpdir);
	strcpy(a.server, "gopher://x");
	ck_assert_int_eq(rn_state_save(path, &a, err, sizeof(err)), -1);
	ck_assert_int_eq(access(path, F_OK), -1);
	rn_state_clear(&a);
}
END_TEST

START_TEST(lock_contention)
{
	char err[512];
	int pfd[2];
	ck_assert_int_eq(pipe(pfd), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct rn_lock *l;
		close(pfd[0]);
		if (rn_state_lock(tmpdir, 0, &l, err, sizeof(err)) != 0)
			_exit(3);
		if (write(pfd[1], "x", 1) != 1)
			_exit(4);
		sleep(2);
		rn_state_unlock(l);
		_exit(0);
	}
	close(pfd[1]);
	char c;
	ck_assert_int_eq(read(pfd[0], &c, 1), 1);
	close(pfd[0]);
	struct rn_lock *l = NULL;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(rn_state_lock(tmpdir, 0, &l, err, sizeof(err)), 1);
	ck_assert_ptr_nonnull(strstr(err, "held by another process"));
	ck_assert_int_eq(rn_state_lock(tmpdir, 1, &l, err, sizeof(err)), 1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double dt = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ck_assert_msg(dt >= 0.9 && dt < 5.0, "waited %.2f s", dt);
	/* waiting long enough gets it once the holder lets go */
	ck_assert_int_eq(rn_state_lock(tmpdir, 10, &l, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(l);
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	rn_state_unlock(l);
	/* held lock released by death of the holder */
	pid = fork();
	if (pid == 0) {
		struct rn_lock *l2;
		if (rn_state_lock(tmpdir, 0, &l2, err, sizeof(err)) != 0)
			_exit(3);
		raise(SIGKILL);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	ck_assert_int_eq(rn_state_lock(tmpdir, 0, &l, err, sizeof(err)), 0);
	rn_state_unlock(l);
	/* error: directory missing */
	char nodir[512];
	snprintf(nodir, sizeof(nodir), "%s/none/here", tmpdir);
	ck_assert_int_eq(rn_state_lock(nodir, 0, &l, err, sizeof(err)), -1);
}
END_TEST

START_TEST(atomic_replace)
{
	/* A reader loading while a writer replaces the file again and again
	 * always sees a complete file (old or new). */
	char path[512], err[512];
	struct rn_state a;
	fill(&a);
	snprintf(path, sizeof(path), "%s/pending-a-01.state", tmpdir);
	ck_assert_int_eq(rn_state_save(path, &a, err, sizeof(err)), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		for (int i = 0; i < 300; i++) {
			a.next_poll = 1765000000 + i;
			free(a.old_cert);
			a.old_cert_len = 1000 + (size_t)(i * 37) % 5000;
			a.old_cert = blob(a.old_cert_len, (unsigned)i);
			if (rn_state_save(path, &a, err, sizeof(err)) != 0)
				_exit(1);
		}
		_exit(0);
	}
	int status, reads = 0;
	for (;;) {
		struct rn_state b;
		int rc = rn_state_load(path, &b, err, sizeof(err));
		ck_assert_msg(rc == 0, "partial file seen: %s", err);
		rn_state_clear(&b);
		reads++;
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
	}
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_gt(reads, 0);
	char **paths;
	size_t n;
	ck_assert_int_eq(rn_state_list(tmpdir, &paths, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(n, 1);
	rn_state_list_free(paths, n);
	rn_state_clear(&a);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rn_state");
	TCase *tc = tcase_create("state");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, mode_0600);
	tcase_add_test(tc, state_dir);
	tcase_add_test(tc, corruption);
	tcase_add_test(tc, save_refuses_bad_struct);
	tcase_add_test(tc, lock_contention);
	tcase_add_test(tc, atomic_replace);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
