/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The per-user directory cache (drivers/dircache.c): round trip through
 * the file, the marker deciding validity, files it must not trust (corrupt,
 * truncated, foreign mode, symlink), drop, UKEY_CACHE=off, limits.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dircache.h"

static char dir[256];
static const uint8_t id[4] = { 0xDE, 0xAD, 0xBE, 0xEF };
static const uint8_t m1[] = "tokeninfo-1";
static const uint8_t m2[] = "tokeninfo-2";

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/ukey-dircache-test.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	setenv("XDG_CACHE_HOME", dir, 1);
	unsetenv("UKEY_CACHE");
}

static void teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void path_of(char *out, size_t n)
{
	snprintf(out, n, "%s/ukey/test-deadbeef", dir);
}

static ukey_dircache *open_m(const uint8_t *m, size_t l)
{
	return ukey_dircache_open("test", id, sizeof(id), m, l);
}

static void fill(void)
{
	ukey_dircache *c = open_m(m1, sizeof(m1));

	ck_assert_ptr_nonnull(c);
	ukey_dircache_put(c, (const uint8_t *)"Fodf", 4, (const uint8_t *)"ODF!", 4);
	ukey_dircache_put(c, (const uint8_t *)"Fcdf", 4, (const uint8_t *)"", 0);
	ukey_dircache_close(c);
}

static int has(ukey_dircache *c, const char *key, const char *want)
{
	const uint8_t *d;
	size_t l;

	if (!ukey_dircache_get(c, (const uint8_t *)key, strlen(key), &d, &l))
		return 0;
	return l == strlen(want) && !memcmp(d, want, l);
}

START_TEST(round_trip)
{
	char p[300];
	struct stat st;
	ukey_dircache *c;

	fill();
	path_of(p, sizeof(p));
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	snprintf(p, sizeof(p), "%s/ukey", dir);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0700);

	c = open_m(m1, sizeof(m1));
	ck_assert(has(c, "Fodf", "ODF!"));
	ck_assert(has(c, "Fcdf", ""));
	ck_assert(!has(c, "Fprk", ""));
	ck_assert_uint_eq(ukey_dircache_hits(c), 2);
	/* replace an entry */
	ukey_dircache_put(c, (const uint8_t *)"Fodf", 4, (const uint8_t *)"new", 3);
	ukey_dircache_close(c);
	c = open_m(m1, sizeof(m1));
	ck_assert(has(c, "Fodf", "new"));
	ukey_dircache_close(c);
}
END_TEST

START_TEST(other_marker_is_stale)
{
	ukey_dircache *c;

	fill();
	c = open_m(m2, sizeof(m2));
	ck_assert_ptr_nonnull(c);
	ck_assert(!has(c, "Fodf", "ODF!"));
	/* a marker that is a prefix of the stored one is another marker */
	ukey_dircache_close(c);
	c = open_m(m1, sizeof(m1) - 1);
	ck_assert(!has(c, "Fodf", "ODF!"));
	ukey_dircache_close(c);
}
END_TEST

static void mangle(long off, int truncate_to)
{
	char p[300];
	FILE *f;

	path_of(p, sizeof(p));
	if (truncate_to >= 0) {
		ck_assert_int_eq(truncate(p, truncate_to), 0);
		return;
	}
	f = fopen(p, "r+b");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fseek(f, off, SEEK_SET), 0);
	int ch = fgetc(f);
	ck_assert_int_ne(ch, EOF);
	ck_assert_int_eq(fseek(f, off, SEEK_SET), 0);
	fputc(ch ^ 0x01, f);
	fclose(f);
}

START_TEST(corrupt_files_are_ignored)
{
	/* every byte of the file is covered by the digest or the checks */
	char p[300];
	struct stat st;

	fill();
	path_of(p, sizeof(p));
	ck_assert_int_eq(stat(p, &st), 0);
	for (long off = 0; off < st.st_size; off++) {
		ukey_dircache *c;

		fill();
		mangle(off, -1);
		c = open_m(m1, sizeof(m1));
		ck_assert_msg(!has(c, "Fodf", "ODF!"), "flipped byte %ld accepted", off);
		ukey_dircache_close(c);
	}
	for (int len = 0; len < st.st_size; len += 7) {
		ukey_dircache *c;

		fill();
		mangle(0, len);
		c = open_m(m1, sizeof(m1));
		ck_assert_msg(!has(c, "Fodf", "ODF!"), "truncation to %d accepted", len);
		ukey_dircache_close(c);
	}
}
END_TEST

START_TEST(untrusted_files_are_ignored)
{
	char p[300], q[320];
	ukey_dircache *c;

	fill();
	path_of(p, sizeof(p));
	ck_assert_int_eq(chmod(p, 0644), 0);
	c = open_m(m1, sizeof(m1));
	ck_assert(!has(c, "Fodf", "ODF!"));
	ukey_dircache_close(c);

	/* a symlink to a good file is not followed */
	fill();
	snprintf(q, sizeof(q), "%s.real", p);
	ck_assert_int_eq(rename(p, q), 0);
	ck_assert_int_eq(symlink(q, p), 0);
	c = open_m(m1, sizeof(m1));
	ck_assert(!has(c, "Fodf", "ODF!"));
	ukey_dircache_close(c);
}
END_TEST

START_TEST(drop_removes_and_refuses)
{
	char p[300];
	ukey_dircache *c;

	fill();
	c = open_m(m1, sizeof(m1));
	ukey_dircache_drop(c);
	ck_assert(!has(c, "Fodf", "ODF!"));
	ukey_dircache_put(c, (const uint8_t *)"Fx", 2, (const uint8_t *)"y", 1);
	ck_assert(!has(c, "Fx", "y"));
	path_of(p, sizeof(p));
	ck_assert_int_ne(access(p, F_OK), 0);
	ukey_dircache_close(c);
}
END_TEST

START_TEST(off_and_bad_arguments)
{
	setenv("UKEY_CACHE", "off", 1);
	ck_assert_ptr_null(open_m(m1, sizeof(m1)));
	unsetenv("UKEY_CACHE");
	ck_assert_ptr_null(ukey_dircache_open("test", id, 0, m1, sizeof(m1)));
	ck_assert_ptr_null(ukey_dircache_open("test", id, sizeof(id), m1, 0));
	setenv("XDG_CACHE_HOME", "relative/dir", 1);
	unsetenv("HOME");
	ck_assert_ptr_null(open_m(m1, sizeof(m1)));
	/* NULL is a valid (empty, silent) cache everywhere */
	ukey_dircache_put(NULL, (const uint8_t *)"a", 1, (const uint8_t *)"b", 1);
	ukey_dircache_drop(NULL);
	ukey_dircache_close(NULL);
	ck_assert_uint_eq(ukey_dircache_hits(NULL), 0);
}
END_TEST

START_TEST(limits)
{
	ukey_dircache *c = ukey_dircache_new_detached(m1, sizeof(m1));
	uint8_t key[UKEY_DIRCACHE_MAX_KEY + 1] = { 'K' };
	static uint8_t big[UKEY_DIRCACHE_MAX_FILE];
	const uint8_t *d;
	size_t l;

	ck_assert_ptr_nonnull(c);
	ukey_dircache_put(c, key, sizeof(key), (const uint8_t *)"x", 1);
	ck_assert(!ukey_dircache_get(c, key, sizeof(key), &d, &l));
	ukey_dircache_put(c, key, 1, big, sizeof(big)); /* no room for it */
	ck_assert(!ukey_dircache_get(c, key, 1, &d, &l));
	for (unsigned i = 0; i < UKEY_DIRCACHE_MAX_ENTRIES + 10; i++) {
		uint8_t k[3] = { 'N', (uint8_t)(i >> 8), (uint8_t)i };

		ukey_dircache_put(c, k, 3, (const uint8_t *)"v", 1);
	}
	{
		uint8_t last[3] = { 'N', (uint8_t)((UKEY_DIRCACHE_MAX_ENTRIES + 5) >> 8),
				    (uint8_t)(UKEY_DIRCACHE_MAX_ENTRIES + 5) };
		uint8_t first[3] = { 'N', 0, 0 };

		ck_assert(!ukey_dircache_get(c, last, 3, &d, &l));
		ck_assert(ukey_dircache_get(c, first, 3, &d, &l));
	}
	ck_assert_int_eq(ukey_dircache_parse(c, big, 10), -1);
	ukey_dircache_close(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dircache");
	TCase *tc = tcase_create("dircache");
	SRunner *r;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, other_marker_is_stale);
	tcase_add_test(tc, corrupt_files_are_ignored);
	tcase_add_test(tc, untrusted_files_are_ignored);
	tcase_add_test(tc, drop_removes_and_refuses);
	tcase_add_test(tc, off_and_bad_arguments);
	tcase_add_test(tc, limits);
	suite_add_tcase(s, tc);
	r = srunner_create(s);
	srunner_run_all(r, CK_NORMAL);
	failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? 1 : 0;
}
