/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Vendor profiles: parser, errors with FILE:LINE, loader + override, ATR
 * matching with masks and length, getters, the shipped FTCOS profiles. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "driver.h"
#include "profile.h"

static const char good[] =
	"# a comment\n"
	"name        = Test Token\n"
	"atr         = 3B 9F 95 81 31 FE 9F 00 65 46 53 05 30 06 71 DF 00 00 00 80 6A 82 5E\n"
	"atr_mask    = FF FF FF FF FF FF FF FF FF FF FF 00 FF FF FF FF FF FF 00 00 00 00 FF\n"
	"atr         = 3B0F00\n"
	"driver      = ftcos\n"
	"layout      = pkcs15, entersafe-espk\n"
	"manufacturer= Feitian\n"
	"model       = PK-01C\n"
	"extended_apdu = no\n"
	"chaining    = yes\n"
	"max_lc      = 200\n"
	"max_get_response = 10\n"
	"pin_min = 6\n"
	"pin_max = 12\n"
	"init_key = 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10\n"
	"max_read = 0xE0\n"
	"flag = true\n";

START_TEST(test_parse_good)
{
	ukey_profile p;
	char err[256];
	uint8_t key[32];
	size_t len = 0;

	ck_assert_int_eq(ukey_profile_parse(good, strlen(good), "g.profile", &p, err,
					    sizeof(err)), UKEY_OK);
	ck_assert_str_eq(p.name, "Test Token");
	ck_assert_str_eq(p.driver, "ftcos");
	ck_assert_str_eq(p.layouts, "pkcs15, entersafe-espk");
	ck_assert_str_eq(p.manufacturer, "Feitian");
	ck_assert_str_eq(p.model, "PK-01C");
	ck_assert_uint_eq(p.n_atrs, 2);
	ck_assert_uint_eq(p.atrs[0].len, 23);
	ck_assert_uint_eq(p.atrs[0].mask[11], 0);
	ck_assert_uint_eq(p.atrs[1].len, 3);
	ck_assert_uint_eq(p.atrs[1].mask[2], 0xFF);
	ck_assert_int_eq(p.chan.extended_ok, 0);
	ck_assert_int_eq(p.chan.chaining_ok, 1);
	ck_assert_uint_eq(p.chan.max_lc, 200);
	ck_assert_uint_eq(p.chan.max_get_response, 10);
	ck_assert_uint_eq(p.pin_min, 6);
	ck_assert_uint_eq(p.pin_max, 12);
	ck_assert_int_eq(ukey_profile_get_hex(&p, "init_key", key, sizeof(key), &len),
			 UKEY_OK);
	ck_assert_uint_eq(len, 16);
	ck_assert_uint_eq(key[15], 0x10);
	ck_assert_int_eq(ukey_profile_get_hex(&p, "init_key", key, 8, &len), UKEY_E_ARGS);
	ck_assert_int_eq(ukey_profile_get_hex(&p, "nokey", key, 8, &len), UKEY_E_ARGS);
	ck_assert_uint_eq(ukey_profile_get_uint(&p, "max_read", 1), 224);
	ck_assert_uint_eq(ukey_profile_get_uint(&p, "name", 7), 7);
	ck_assert_uint_eq(ukey_profile_get_uint(&p, "absent", 9), 9);
	ck_assert_int_eq(ukey_profile_get_bool(&p, "flag", 0), 1);
	ck_assert_int_eq(ukey_profile_get_bool(&p, "name", -1), -1);
	ck_assert_ptr_null(ukey_profile_get(&p, "absent"));
	ck_assert_str_eq(ukey_profile_get(&p, "driver"), "ftcos");
}
END_TEST

static void expect_error(const char *text, const char *where)
{
	ukey_profile p;
	char err[256];

	ck_assert_int_eq(ukey_profile_parse(text, strlen(text), "bad.profile", &p,
					    err, sizeof(err)), UKEY_E_MALFORMED);
	ck_assert_msg(strncmp(err, where, strlen(where)) == 0,
		      "expected '%s...', got '%s'", where, err);
}

START_TEST(test_parse_errors)
{
	expect_error("name = x\ndriver = ftcos\nnot a setting\natr = 3B 00\n",
		     "bad.profile:3: expected 'key = value'");
	expect_error("name = x\ndriver = ftcos\natr = 3B 0G\n", "bad.profile:3: atr");
	expect_error("name = x\natr = 3B 00\natr_mask = FF\ndriver = d\n",
		     "bad.profile:3: atr_mask length");
	expect_error("name = x\ndriver = d\natr_mask = FF FF\n",
		     "bad.profile:3: atr_mask must");
	expect_error("name = x\ndriver = d\natr = 3B 00\nchaining = maybe\n",
		     "bad.profile:4: chaining");
	expect_error("name = x\ndriver = d\natr = 3B 00\nmax_lc = -5\n",
		     "bad.profile:4: max_lc");
	expect_error("name = x\ndriver = d\natr = 3B 00\nmax_lc = 99999999\n",
		     "bad.profile:4: max_lc");
	expect_error("name = x\ndriver = d\n", "bad.profile:2: no 'atr'");
	expect_error("driver = d\natr = 3B 00\n", "bad.profile:2: missing 'name'");
	expect_error("name = x\natr = 3B 00\n", "bad.profile:2: missing 'driver'");
	expect_error("name = x\ndriver = d\natr = 3B 00\n = v\n", "bad.profile:4: empty key");
	expect_error("name = 0123456789012345678901234567890123456789012345678901234567890123456789\n",
		     "bad.profile:1: name too long");
	expect_error("name = x\ndriver = d\natr = 3B 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
		     " 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n",
		     "bad.profile:3: atr");
	expect_error("name = x\ndriver = d\natr = 3B 00\npin_min = 9\npin_max = 4\n",
		     "bad.profile:5: pin_min > pin_max");
	{
		char big[3000];

		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = 0;
		big[0] = 'k';
		big[1] = '=';
		expect_error(big, "bad.profile:1: line longer");
	}
}
END_TEST

START_TEST(test_atr_match)
{
	ukey_profile_set set;
	ukey_profile p[2];
	char err[256];
	static const char t2[] = "name = B\ndriver = d\natr = 3B 02 14 50\n";
	uint8_t atr[23];

	ck_assert_int_eq(ukey_profile_parse(good, strlen(good), "a.profile", &p[0],
					    err, sizeof(err)), UKEY_OK);
	ck_assert_int_eq(ukey_profile_parse(t2, strlen(t2), "b.profile", &p[1], err,
					    sizeof(err)), UKEY_OK);
	set.v = p;
	set.n = 2;
	{
		static const uint8_t pk[23] = { 0x3B, 0x9F, 0x95, 0x81, 0x31, 0xFE,
			0x9F, 0x00, 0x65, 0x46, 0x53, 0x05, 0x30, 0x06, 0x71, 0xDF,
			0x00, 0x00, 0x00, 0x80, 0x6A, 0x82, 0x5E };

		memcpy(atr, pk, 23);
	}
	ck_assert_ptr_eq(ukey_profile_match(&set, atr, 23), &p[0]);
	atr[11] = 0x77; /* masked byte */
	atr[19] = 0x11;
	ck_assert_ptr_eq(ukey_profile_match(&set, atr, 23), &p[0]);
	atr[12] = 0x31; /* unmasked byte */
	ck_assert_ptr_null(ukey_profile_match(&set, atr, 23));
	atr[12] = 0x30;
	ck_assert_ptr_null(ukey_profile_match(&set, atr, 22)); /* length differs */
	ck_assert_ptr_eq(ukey_profile_match(&set, (const uint8_t *)"\x3B\x0F\x00", 3),
			 &p[0]);
	ck_assert_ptr_eq(ukey_profile_match(&set, (const uint8_t *)"\x3B\x02\x14\x50", 4),
			 &p[1]);
	ck_assert_ptr_null(ukey_profile_match(&set, (const uint8_t *)"\x3B\x02\x14\x51", 4));
}
END_TEST

static char reported[8][512];
static int n_reported;

static void report(const char *line)
{
	if (n_reported < 8)
		snprintf(reported[n_reported++], sizeof(reported[0]), "%s", line);
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

START_TEST(test_loader_and_override)
{
	char d1[] = "/tmp/ukey-prof1-XXXXXX", d2[] = "/tmp/ukey-prof2-XXXXXX";
	char dirs[256], buf[1024];
	ukey_profile_set set;

	ck_assert_ptr_nonnull(mkdtemp(d1));
	ck_assert_ptr_nonnull(mkdtemp(d2));
	write_file(d1, "a.profile", "name = A1\ndriver = ftcos\natr = 3B 01\n");
	write_file(d1, "b.profile", "name = B\ndriver = ftcos\natr = 3B 02\n");
	write_file(d1, "ignored.txt", "garbage\n");
	write_file(d2, "a.profile", "name = A2\ndriver = ftcos\natr = 3B 01\n");
	write_file(d2, "c.profile", "name = C\ndriver = ftcos\n\natr = 3B ZZ\n");
	snprintf(dirs, sizeof(dirs), "%s:%s:/nonexistent-dir", d1, d2);
	n_reported = 0;
	ck_assert_int_eq(ukey_profiles_load(dirs, &set, report), UKEY_OK);
	ck_assert_uint_eq(set.n, 2);
	ck_assert_str_eq(ukey_profile_match(&set, (const uint8_t *)"\x3B\x01", 2)->name, "A2");
	ck_assert_str_eq(ukey_profile_match(&set, (const uint8_t *)"\x3B\x02", 2)->name, "B");
	ck_assert_int_eq(n_reported, 1);
	ck_assert_msg(strstr(reported[0], "c.profile:4: atr") != NULL, "%s", reported[0]);
	ukey_profiles_free(&set);

	setenv("UKEY_PROFILE_DIR", d2, 1);
	ck_assert_ptr_nonnull(ukey_profiles_default_dirs(buf, sizeof(buf)));
	ck_assert_msg(strstr(buf, d2) != NULL && strncmp(buf, UKEY_PROFILE_INSTALL_DIR,
		      strlen(UKEY_PROFILE_INSTALL_DIR)) == 0, "%s", buf);
	unsetenv("UKEY_PROFILE_DIR");
	ck_assert_str_eq(ukey_profiles_default_dirs(buf, sizeof(buf)),
			 UKEY_PROFILE_INSTALL_DIR);

	snprintf(buf, sizeof(buf), "rm -rf '%s' '%s'", d1, d2);
	ck_assert_int_eq(system(buf), 0);
}
END_TEST

START_TEST(test_shipped_profiles)
{
	ukey_profile_set set;
	static const uint8_t pk01c[23] = { 0x3B, 0x9F, 0x95, 0x81, 0x31, 0xFE,
		0x9F, 0x00, 0x65, 0x46, 0x53, 0x05, 0x30, 0x06, 0x71, 0xDF, 0x00,
		0x00, 0x00, 0x80, 0x6A, 0x82, 0x5E };
	static const uint8_t ep3k[17] = { 0x3B, 0x0F, 0x00, 0x65, 0x46, 0x53,
		0x05, 0x19, 0x05, 0x71, 0xDF, 0, 0, 0, 0, 0, 0 };
	static const uint8_t ep2k[19] = { 0x3B, 0xF9, 0x94, 0x00, 0x00, 0x81,
		0x31, 0xFE, 0x65, 0x46, 0x54, 0x20, 0x56, 0x31, 0x30, 0x30, 0x90,
		0x00, 0x83 };
	const ukey_profile *p;
	uint8_t k[16];
	size_t len;

	n_reported = 0;
	ck_assert_int_eq(ukey_profiles_load(UKEY_TEST_PROFILES, &set, report), UKEY_OK);
	ck_assert_int_eq(n_reported, 0);
	p = ukey_profile_match(&set, pk01c, sizeof(pk01c));
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->driver, "ftcos");
	ck_assert_ptr_nonnull(ukey_driver_find(p->driver));
	ck_assert_int_eq(ukey_profile_get_hex(p, "transport_key", k, 16, &len), UKEY_OK);
	ck_assert_uint_eq(len, 8);
	ck_assert_uint_eq(k[0], 0x92);
	ck_assert_uint_eq(ukey_profile_get_uint(p, "max_read", 0), 224);
	ck_assert_uint_eq(ukey_profile_get_uint(p, "max_update", 0), 224);
	ck_assert_uint_eq(p->pin_min, 4);
	ck_assert_uint_eq(p->pin_max, 16);
	p = ukey_profile_match(&set, ep3k, sizeof(ep3k));
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(ukey_profile_get_hex(p, "transport_key", k, 16, &len), UKEY_OK);
	ck_assert_uint_eq(k[0], 0x01);
	ck_assert_uint_eq(k[7], 0x08);
	p = ukey_profile_match(&set, ep2k, sizeof(ep2k));
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->driver, "ftcos");
	ck_assert_ptr_null(ukey_driver_find("nosuchdriver"));
	ukey_profiles_free(&set);
}
END_TEST

/* The one list syntax of profile values: commas and/or spaces. */
START_TEST(test_list_values)
{
	const char *cur = " pkcs15,, entersafe-espk  x,", *it;
	const char *want[] = { "pkcs15", "entersafe-espk", "x" };
	size_t l, n = 0;

	while (ukey_profile_list_next(&cur, &it, &l)) {
		ck_assert_uint_lt(n, 3);
		ck_assert_uint_eq(l, strlen(want[n]));
		ck_assert(!strncmp(it, want[n], l));
		n++;
	}
	ck_assert_uint_eq(n, 3);
	cur = NULL;
	ck_assert_int_eq(ukey_profile_list_next(&cur, &it, &l), 0);
	cur = " , ";
	ck_assert_int_eq(ukey_profile_list_next(&cur, &it, &l), 0);
	ck_assert(ukey_profile_list_has("pkcs15, entersafe-espk", "entersafe-espk"));
	ck_assert(!ukey_profile_list_has("pkcs15, entersafe-espk", "pkcs"));
	ck_assert(!ukey_profile_list_has("pkcs15x", "pkcs15"));
	ck_assert(!ukey_profile_list_has("", "pkcs15"));
	ck_assert(!ukey_profile_list_has(NULL, "pkcs15"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("drivers_profile");
	TCase *tc = tcase_create("profile");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_parse_good);
	tcase_add_test(tc, test_parse_errors);
	tcase_add_test(tc, test_atr_match);
	tcase_add_test(tc, test_loader_and_override);
	tcase_add_test(tc, test_shipped_profiles);
	tcase_add_test(tc, test_list_values);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
