/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Built-in vendor profiles (issue 9, "works wherever it is copied"): the
 * compiled-in table is the source tree's vendor-profiles/ byte for byte,
 * loads through the same parser with no report, is the lowest layer under
 * the install dir and UKEY_PROFILE_DIR (a file of the same name wins, a
 * malformed one is reported and leaves the built-in in place), and is not
 * loaded for a list of dirs that does not name the install dir. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "profile.h"
#include "profile_builtin.h"

static const uint8_t pk01c[23] = { 0x3B, 0x9F, 0x95, 0x81, 0x31, 0xFE, 0x9F,
	0x00, 0x65, 0x46, 0x53, 0x05, 0x30, 0x06, 0x71, 0xDF, 0x00, 0x00, 0x00,
	0x80, 0x6A, 0x82, 0x5E };

static char reported[8][1024];
static int n_reported;

static void report(const char *line)
{
	if (n_reported < 8)
		snprintf(reported[n_reported], sizeof(reported[0]), "%s", line);
	n_reported++;
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static const ukey_profile *by_base(const ukey_profile_set *set, const char *name)
{
	for (size_t i = 0; i < set->n; i++) {
		const char *b = strrchr(set->v[i].file, '/');

		if (strcmp(b ? b + 1 : set->v[i].file, name) == 0)
			return &set->v[i];
	}
	return NULL;
}

START_TEST(test_table_is_the_source_tree)
{
	DIR *d = opendir(UKEY_SOURCE_PROFILES);
	struct dirent *de;
	size_t files = 0;

	ck_assert_ptr_nonnull(d);
	ck_assert_uint_gt(ukey_profile_builtins_n, 0);
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name), i;
		char path[512], buf[70000];
		FILE *f;
		size_t n;

		if (l <= 8 || strcmp(de->d_name + l - 8, ".profile") || de->d_name[0] == '.')
			continue;
		files++;
		for (i = 0; i < ukey_profile_builtins_n; i++)
			if (strcmp(strrchr(ukey_profile_builtins[i].file, '/') + 1,
				   de->d_name) == 0)
				break;
		ck_assert_msg(i < ukey_profile_builtins_n, "%s is not built in", de->d_name);
		snprintf(path, sizeof(path), "%s/%s", UKEY_SOURCE_PROFILES, de->d_name);
		f = fopen(path, "rb");
		ck_assert_ptr_nonnull(f);
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		ck_assert_msg(n == ukey_profile_builtins[i].len &&
			      memcmp(buf, ukey_profile_builtins[i].text, n) == 0,
			      "built-in %s differs from the file (rebuild?)", de->d_name);
	}
	closedir(d);
	ck_assert_uint_eq(files, ukey_profile_builtins_n);
	/* sorted by name, terminated by an all-zero entry */
	for (size_t i = 1; i < ukey_profile_builtins_n; i++)
		ck_assert_int_lt(strcmp(ukey_profile_builtins[i - 1].file,
					ukey_profile_builtins[i].file), 0);
	ck_assert_ptr_null(ukey_profile_builtins[ukey_profile_builtins_n].file);
}
END_TEST

START_TEST(test_builtins_load_without_files)
{
	char buf[4096];
	ukey_profile_set set;
	const ukey_profile *p;

	unsetenv("UKEY_PROFILE_DIR");
	n_reported = 0;
	ck_assert_int_eq(ukey_profiles_load(ukey_profiles_default_dirs(buf, sizeof(buf)),
					    &set, report), UKEY_OK);
	ck_assert_msg(n_reported == 0, "%s", reported[0]);
	ck_assert_uint_ge(set.n, ukey_profile_builtins_n);
	for (size_t i = 0; i < ukey_profile_builtins_n; i++) {
		const char *name = strrchr(ukey_profile_builtins[i].file, '/') + 1;

		ck_assert_msg(by_base(&set, name) != NULL, "%s not loaded", name);
	}
	p = ukey_profile_match(&set, pk01c, sizeof(pk01c));
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->driver, "ftcos");
	ck_assert_uint_eq(ukey_profile_get_uint(p, "max_read", 0), 224);
	if (access(UKEY_PROFILE_INSTALL_DIR "/ftcos-pk01c.profile", F_OK) != 0)
		ck_assert_str_eq(p->file, "built-in:vendor-profiles/ftcos-pk01c.profile");
	ukey_profiles_free(&set);

	/* A list that does not name the install dir gets no built-ins. */
	ck_assert_int_eq(ukey_profiles_load("/nonexistent-ukey-dir", &set, report), UKEY_OK);
	ck_assert_uint_eq(set.n, 0);
	ukey_profiles_free(&set);
}
END_TEST

START_TEST(test_override_by_file_name)
{
	char d[] = "/tmp/ukey-builtin-XXXXXX";
	char buf[4096], cmd[256];
	ukey_profile_set base, set;
	const ukey_profile *p;

	ck_assert_ptr_nonnull(mkdtemp(d));
	unsetenv("UKEY_PROFILE_DIR");
	ck_assert_int_eq(ukey_profiles_load(ukey_profiles_default_dirs(buf, sizeof(buf)),
					    &base, report), UKEY_OK);

	/* Same file name, same ATR, other settings: the file wins, in place. */
	write_file(d, "ftcos-pk01c.profile",
		   "name = Override PK\ndriver = ftcos\n"
		   "atr = 3B 9F 95 81 31 FE 9F 00 65 46 53 05 30 06 71 DF 00 00 00 80 6A 82 5E\n"
		   "max_read = 100\n");
	setenv("UKEY_PROFILE_DIR", d, 1);
	n_reported = 0;
	ck_assert_int_eq(ukey_profiles_load(ukey_profiles_default_dirs(buf, sizeof(buf)),
					    &set, report), UKEY_OK);
	ck_assert_int_eq(n_reported, 0);
	ck_assert_uint_eq(set.n, base.n);
	p = ukey_profile_match(&set, pk01c, sizeof(pk01c));
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->name, "Override PK");
	ck_assert_uint_eq(ukey_profile_get_uint(p, "max_read", 0), 100);
	ck_assert_ptr_nonnull(strstr(p->file, d));
	ukey_profiles_free(&set);

	/* A malformed file of that name is reported as FILE:LINE and skipped:
	 * the built-in (or installed) profile stays. */
	write_file(d, "ftcos-pk01c.profile", "name = Broken\ndriver = ftcos\natr = 3B ZZ\n");
	n_reported = 0;
	ck_assert_int_eq(ukey_profiles_load(ukey_profiles_default_dirs(buf, sizeof(buf)),
					    &set, report), UKEY_OK);
	ck_assert_int_eq(n_reported, 1);
	ck_assert_msg(strstr(reported[0], "ftcos-pk01c.profile:3: atr") != NULL, "%s",
		      reported[0]);
	ck_assert_uint_eq(set.n, base.n);
	p = ukey_profile_match(&set, pk01c, sizeof(pk01c));
	ck_assert_ptr_nonnull(p);
	ck_assert_str_ne(p->name, "Broken");
	ck_assert_str_eq(p->name, ukey_profile_match(&base, pk01c, sizeof(pk01c))->name);
	ukey_profiles_free(&set);

	/* A new file name adds a profile. */
	write_file(d, "ftcos-pk01c.profile", "name = Extra\ndriver = ftcos\natr = 3B 01\n");
	{
		char from[512], to[512];

		snprintf(from, sizeof(from), "%s/ftcos-pk01c.profile", d);
		snprintf(to, sizeof(to), "%s/zz-extra.profile", d);
		ck_assert_int_eq(rename(from, to), 0);
	}
	ck_assert_int_eq(ukey_profiles_load(ukey_profiles_default_dirs(buf, sizeof(buf)),
					    &set, report), UKEY_OK);
	ck_assert_uint_eq(set.n, base.n + 1);
	ck_assert_str_eq(ukey_profile_match(&set, (const uint8_t *)"\x3B\x01", 2)->name,
			 "Extra");
	ukey_profiles_free(&set);
	ukey_profiles_free(&base);
	unsetenv("UKEY_PROFILE_DIR");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("profile_builtin");
	TCase *tc = tcase_create("builtin");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_table_is_the_source_tree);
	tcase_add_test(tc, test_builtins_load_without_files);
	tcase_add_test(tc, test_override_by_file_name);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
