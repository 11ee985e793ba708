/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of the vtoken common core: buffers, bounded reader, APDU
 * parsing, ATR table, atomic state files, image framing, T=0 splitting,
 * secrets files. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vtoken.h"

static char tmpdir[] = "/tmp/vtcore.XXXXXX";

START_TEST(buf_and_reader)
{
	vt_buf b = { 0 };
	ck_assert_int_eq(vt_buf_put_u8(&b, 0xAB), 0);
	ck_assert_int_eq(vt_buf_put_u16(&b, 0x1234), 0);
	ck_assert_int_eq(vt_buf_put_u32(&b, 0xDEADBEEF), 0);
	ck_assert_int_eq(vt_buf_put_blob(&b, "hello", 5), 0);
	for (int i = 0; i < 1000; i++)
		ck_assert_int_eq(vt_buf_put_u8(&b, (uint8_t)i), 0);
	ck_assert_uint_eq(b.len, 1 + 2 + 4 + 4 + 5 + 1000);
	vt_rd r = { b.p, b.len, 0 };
	ck_assert_uint_eq(vt_rd_u8(&r), 0xAB);
	ck_assert_uint_eq(vt_rd_u16(&r), 0x1234);
	ck_assert_uint_eq(vt_rd_u32(&r), 0xDEADBEEF);
	size_t l;
	uint8_t *s = vt_rd_blob(&r, &l, 16);
	ck_assert_uint_eq(l, 5);
	ck_assert(!memcmp(s, "hello", 5));
	free(s);
	ck_assert_int_eq(r.err, 0);
	/* blob over the limit and overruns set err and return zeros */
	vt_rd r2 = { b.p + 7, b.len - 7, 0 };
	ck_assert_ptr_null(vt_rd_blob(&r2, &l, 4));
	ck_assert_int_eq(r2.err, 1);
	vt_rd r3 = { b.p, 3, 0 };
	ck_assert_uint_eq(vt_rd_u32(&r3), 0);
	ck_assert_int_eq(r3.err, 1);
	ck_assert_uint_eq(vt_rd_u8(&r3), 0);
	/* a blob claiming more than is left */
	uint8_t bad[6] = { 0x00, 0x00, 0x10, 0x00, 1, 2 };
	vt_rd r4 = { bad, sizeof bad, 0 };
	ck_assert_ptr_null(vt_rd_blob(&r4, &l, 1u << 20));
	ck_assert_int_eq(r4.err, 1);
	vt_buf_free(&b);
	ck_assert_ptr_null(b.p);
}
END_TEST

START_TEST(apdu_parse_cases)
{
	size_t lc;
	const uint8_t *d;
	long le;
	int ext;
	const uint8_t c1[4] = { 0, 0xA4, 0, 0 };
	ck_assert_int_eq(vt_apdu_parse(c1, 4, &lc, &d, &le, &ext), 0);
	ck_assert(lc == 0 && le == -1);
	const uint8_t c2[5] = { 0, 0xB0, 0, 0, 0 };
	ck_assert_int_eq(vt_apdu_parse(c2, 5, &lc, &d, &le, &ext), 0);
	ck_assert_int_eq(le, 256);
	const uint8_t c3[7] = { 0, 0xA4, 0, 0, 2, 0x3F, 0 };
	ck_assert_int_eq(vt_apdu_parse(c3, 7, &lc, &d, &le, &ext), 0);
	ck_assert(lc == 2 && d == c3 + 5 && le == -1);
	const uint8_t c4[8] = { 0, 0xA4, 0, 0, 2, 0x3F, 0, 0xE0 };
	ck_assert_int_eq(vt_apdu_parse(c4, 8, &lc, &d, &le, &ext), 0);
	ck_assert(lc == 2 && le == 0xE0 && !ext);
	/* Lc promising more than present, and one byte too many */
	ck_assert_int_eq(vt_apdu_parse(c4, 6, &lc, &d, &le, &ext), -1);
	const uint8_t c5[9] = { 0, 0xA4, 0, 0, 2, 0x3F, 0, 0xE0, 0x00 };
	ck_assert_int_eq(vt_apdu_parse(c5, 9, &lc, &d, &le, &ext), -1);
	/* extended */
	const uint8_t e2[7] = { 0, 0xB0, 0, 0, 0, 0x01, 0x00 };
	ck_assert_int_eq(vt_apdu_parse(e2, 7, &lc, &d, &le, &ext), 0);
	ck_assert(ext && le == 256);
	const uint8_t e3[9] = { 0, 0xD6, 0, 0, 0, 0x00, 0x02, 1, 2 };
	ck_assert_int_eq(vt_apdu_parse(e3, 9, &lc, &d, &le, &ext), 0);
	ck_assert(ext && lc == 2);
	const uint8_t e0[7] = { 0, 0xD6, 0, 0, 0, 0x00, 0x00 };
	ck_assert_int_eq(vt_apdu_parse(e0, 7, &lc, &d, &le, &ext), 0); /* Le 65536 */
	ck_assert_int_eq(le, 65536);
	ck_assert_int_eq(vt_apdu_parse(e0, 3, &lc, &d, &le, &ext), -1);
}
END_TEST

START_TEST(atr_table)
{
	uint8_t a[33];
	size_t l;
	ck_assert_int_eq(vt_atr_lookup("ftcos-pk01c", a, &l), 0);
	ck_assert_uint_eq(l, 23);
	ck_assert(a[0] == 0x3B && a[1] == 0x9F && a[22] == 0x5E);
	ck_assert_int_eq(vt_atr_lookup("epass2000", a, &l), 0);
	ck_assert_uint_eq(l, 19);
	ck_assert_uint_eq(a[18], 0x83);
	ck_assert_int_eq(vt_atr_lookup("epass3000", a, &l), 0);
	ck_assert_uint_eq(l, 17);
	ck_assert_int_eq(vt_atr_lookup("proxkey", a, &l), 0);
	ck_assert_uint_eq(l, 17);
	ck_assert_uint_eq(a[16], 0xAF);
	/* T0 = 6E: 2 interface bytes + 14 historical bytes */
	ck_assert_int_eq(vt_atr_lookup("watchdata-wd6", a, &l), 0);
	ck_assert_uint_eq(l, 4 + 14);
	ck_assert_int_eq(vt_atr_lookup("3B 02 14 50", a, &l), 0);
	ck_assert_uint_eq(l, 4);
	ck_assert_int_eq(vt_atr_lookup("nonsense", a, &l), -1);
	ck_assert_int_eq(vt_atr_lookup("3B0", a, &l), -1);
	char longhex[100];
	memset(longhex, 'A', 68);
	longhex[68] = 0;
	ck_assert_int_eq(vt_atr_lookup(longhex, a, &l), -1);   /* > 33 bytes */
}
END_TEST

START_TEST(state_atomic_write)
{
	char path[256], tmp[300];
	snprintf(path, sizeof path, "%s/state", tmpdir);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	uint8_t data[5000];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 31);
	ck_assert_int_eq(vt_state_write(path, data, sizeof data), 0);
	ck_assert_int_eq(access(tmp, F_OK), -1);          /* no leftover */
	uint8_t *back;
	size_t bl;
	ck_assert_int_eq(vt_state_read(path, &back, &bl), 0);
	ck_assert_uint_eq(bl, sizeof data);
	ck_assert(!memcmp(back, data, bl));
	free(back);
	ck_assert_int_eq(vt_state_write(path, data, 10), 0);
	ck_assert_int_eq(vt_state_read(path, &back, &bl), 0);
	ck_assert_uint_eq(bl, 10);
	free(back);
	ck_assert_int_eq(vt_state_read("/nonexistent/x", &back, &bl), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(vt_state_write("/nonexistent/dir/x", data, 1), -1);
	unlink(path);
}
END_TEST

START_TEST(image_framing)
{
	void *st = vt_os_ftcos.create();
	vt_buf b = { 0 };
	ck_assert_int_eq(vt_image_wrap(&vt_os_ftcos, st, &b), 0);
	void *st2 = vt_image_unwrap(&vt_os_ftcos, b.p, b.len);
	ck_assert_ptr_nonnull(st2);
	vt_os_ftcos.destroy(st2);
	/* wrong OS, every truncation, one byte more: refused */
	ck_assert_ptr_null(vt_image_unwrap(&vt_os_gmt0017, b.p, b.len));
	for (size_t l = 0; l < b.len; l++)
		ck_assert_ptr_null(vt_image_unwrap(&vt_os_ftcos, b.p, l));
	ck_assert_int_eq(vt_buf_put_u8(&b, 0), 0);
	ck_assert_ptr_null(vt_image_unwrap(&vt_os_ftcos, b.p, b.len));
	vt_buf_free(&b);
	vt_os_ftcos.destroy(st);
	ck_assert_ptr_eq(vt_os_find("ftcos"), &vt_os_ftcos);
	ck_assert_ptr_eq(vt_os_find("gmt0017"), &vt_os_gmt0017);
	ck_assert_ptr_null(vt_os_find("other"));
}
END_TEST

/* A fake OS answering INS 01 with P1*256+P2 data bytes. */
static size_t fake_apdu(void *st, const uint8_t *cmd, size_t len, uint8_t *rsp,
			int *dirty)
{
	(void)st;
	(void)len;
	*dirty = 0;
	size_t n = (size_t)cmd[2] << 8 | cmd[3];
	for (size_t i = 0; i < n; i++)
		rsp[i] = (uint8_t)i;
	return vt_sw(rsp, n, 0x9000);
}

START_TEST(t0_get_response)
{
	vt_os fake = { 0 };
	fake.name = "fake";
	fake.apdu = fake_apdu;
	vt_t0 t = { 0 };
	static uint8_t rsp[VT_RSP_MAX];
	int dirty;
	const uint8_t big[5] = { 0x00, 0x01, 0x02, 0x0A, 0x00 };  /* 522 bytes */
	size_t rl = vt_t0_apdu(&t, &fake, NULL, big, 5, rsp, &dirty);
	ck_assert_uint_eq(rl, 258);
	ck_assert(rsp[256] == 0x61 && rsp[257] == 0x00);          /* > 255 left */
	ck_assert_uint_eq(rsp[255], 255);
	const uint8_t gr[5] = { 0x00, 0xC0, 0x00, 0x00, 0x00 };
	rl = vt_t0_apdu(&t, &fake, NULL, gr, 5, rsp, &dirty);
	ck_assert_uint_eq(rl, 258);
	ck_assert(rsp[0] == 0 && rsp[256] == 0x61 && rsp[257] == 0x0A);
	/* asking too much for the rest: 6C0A */
	const uint8_t gr20[5] = { 0x00, 0xC0, 0x00, 0x00, 0x20 };
	rl = vt_t0_apdu(&t, &fake, NULL, gr20, 5, rsp, &dirty);
	ck_assert(rl == 2 && rsp[0] == 0x6C && rsp[1] == 0x0A);
	const uint8_t gr0a[5] = { 0x00, 0xC0, 0x00, 0x00, 0x0A };
	rl = vt_t0_apdu(&t, &fake, NULL, gr0a, 5, rsp, &dirty);
	ck_assert_uint_eq(rl, 12);
	ck_assert(rsp[0] == (uint8_t)512 && rsp[10] == 0x90);
	/* nothing pending any more */
	rl = vt_t0_apdu(&t, &fake, NULL, gr0a, 5, rsp, &dirty);
	ck_assert(rl == 2 && rsp[0] == 0x69 && rsp[1] == 0x85);
	/* short-APDU enforcement */
	t.enforce_short = 1;
	const uint8_t ext[7] = { 0x00, 0x01, 0x00, 0x01, 0x00, 0x01, 0x00 };
	rl = vt_t0_apdu(&t, &fake, NULL, ext, 7, rsp, &dirty);
	ck_assert(rl == 2 && rsp[0] == 0x67);
	/* malformed */
	rl = vt_t0_apdu(&t, &fake, NULL, ext, 3, rsp, &dirty);
	ck_assert(rl == 2 && rsp[0] == 0x67);
	vt_t0_clear(&t);
}
END_TEST

START_TEST(secrets_file)
{
	char path[256];
	snprintf(path, sizeof path, "%s/secrets", tmpdir);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("# comment\nuser_pin=1234\r\nso_pin=56785678\nother=x\n", f);
	fclose(f);
	char u[17], s[17];
	ck_assert_int_eq(vt_read_secrets(path, u, s, sizeof u), 0);
	ck_assert_str_eq(u, "1234");
	ck_assert_str_eq(s, "56785678");
	f = fopen(path, "w");
	fputs("user_pin=12345678901234567890\n", f);
	fclose(f);
	ck_assert_int_eq(vt_read_secrets(path, u, s, sizeof u), -1);
	unlink(path);
	ck_assert_int_eq(vt_read_secrets(path, u, s, sizeof u), -1);
	ck_assert_int_eq(vt_ct_memcmp("abcd", "abcd", 4), 0);
	ck_assert_int_ne(vt_ct_memcmp("abcd", "abce", 4), 0);
}
END_TEST

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	Suite *s = suite_create("vtoken_core");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, buf_and_reader);
	tcase_add_test(tc, apdu_parse_cases);
	tcase_add_test(tc, atr_table);
	tcase_add_test(tc, state_atomic_write);
	tcase_add_test(tc, image_framing);
	tcase_add_test(tc, t0_get_response);
	tcase_add_test(tc, secrets_file);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	rmdir(tmpdir);
	return failed ? 1 : 0;
}
