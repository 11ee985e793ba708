/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GM/T 0017 virtual OS: files and their access rights. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gm_tutil.h"

static unsigned create_file(gt_card *c, uint16_t app, const char *name,
			    uint32_t size, uint32_t rd, uint32_t wr)
{
	uint8_t d[255];
	size_t n = gt_ids(d, app, -1), nl = strlen(name);
	const uint32_t v[3] = {size, rd, wr};
	for (int i = 0; i < 3; i++) {
		d[n++] = (uint8_t)(v[i] >> 24);
		d[n++] = (uint8_t)(v[i] >> 16);
		d[n++] = (uint8_t)(v[i] >> 8);
		d[n++] = (uint8_t)v[i];
	}
	memcpy(d + n, name, nl);
	return gt_apdu(c, 0x80, 0x30, 0, 0, d, n + nl, GT_NO_LE);
}

static unsigned write_file(gt_card *c, uint16_t app, const char *name,
			   uint32_t off, const uint8_t *data, size_t len)
{
	uint8_t d[255];
	size_t n = gt_ids(d, app, -1), nl = strlen(name);
	d[n++] = (uint8_t)(off >> 24);
	d[n++] = (uint8_t)(off >> 16);
	d[n++] = (uint8_t)(off >> 8);
	d[n++] = (uint8_t)off;
	d[n++] = (uint8_t)nl;
	memcpy(d + n, name, nl);
	n += nl;
	ck_assert_uint_le(n + len, 255);
	if (len)
		memcpy(d + n, data, len);
	return gt_apdu(c, 0x80, 0x3A, 0, 0, d, n + len, GT_NO_LE);
}

static unsigned read_file(gt_card *c, uint16_t app, const char *name,
			  uint32_t off, uint16_t len)
{
	uint8_t d[255];
	size_t n = gt_ids(d, app, -1), nl = strlen(name);
	d[n++] = (uint8_t)(off >> 24);
	d[n++] = (uint8_t)(off >> 16);
	d[n++] = (uint8_t)(off >> 8);
	d[n++] = (uint8_t)off;
	d[n++] = (uint8_t)(len >> 8);
	d[n++] = (uint8_t)len;
	memcpy(d + n, name, nl);
	return gt_apdu(c, 0x80, 0x38, 0, 0, d, n + nl, GT_NO_LE);
}

static unsigned name_cmd(gt_card *c, uint8_t ins, uint16_t app, const char *name)
{
	uint8_t d[255];
	size_t n = gt_ids(d, app, -1), nl = strlen(name);
	memcpy(d + n, name, nl);
	return gt_apdu(c, 0x80, ins, 0, 0, d, n + nl, GT_NO_LE);
}

START_TEST(create_write_read)
{
	uint16_t app;
	gt_card *c = gt_new_app(&app); /* create-file rights: user */
	ck_assert_uint_eq(create_file(c, app, "data", 600, 0xFF, 0x10), 0x6982);
	ck_assert_uint_eq(gt_verify(c, app, 1, "111111"), 0x9000);
	ck_assert_uint_eq(create_file(c, app, "data", 600, 0xFF, 0x10), 0x9000);
	ck_assert_int_eq(c->dirty, 1);
	ck_assert_uint_eq(create_file(c, app, "data", 10, 0xFF, 0x10), 0x6A89);
	ck_assert_uint_eq(create_file(c, app, "big", 32769, 0xFF, 0x10), 0x6A80);
	ck_assert_uint_eq(create_file(c, app, "bad", 10, 0x02, 0x10), 0x6A80);

	uint8_t buf[600];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	/* > 255 bytes: consecutive WriteFile at increasing offsets */
	ck_assert_uint_eq(write_file(c, app, "data", 0, buf, 240), 0x9000);
	ck_assert_uint_eq(write_file(c, app, "data", 240, buf + 240, 240), 0x9000);
	ck_assert_uint_eq(write_file(c, app, "data", 480, buf + 480, 120), 0x9000);
	ck_assert_uint_eq(write_file(c, app, "data", 590, buf, 11), 0x6B00);
	ck_assert_uint_eq(write_file(c, app, "data", 601, buf, 0), 0x6B00);
	ck_assert_uint_eq(write_file(c, app, "nope", 0, buf, 1), 0x6A82);

	/* whole file in one ReadFile (> 256 comes through 61xx on T=0) */
	ck_assert_uint_eq(read_file(c, app, "data", 0, 4096), 0x9000);
	ck_assert_uint_eq(c->len, 600);
	ck_assert_mem_eq(c->rsp, buf, 600);
	ck_assert_uint_eq(read_file(c, app, "data", 100, 50), 0x9000);
	ck_assert_uint_eq(c->len, 50);
	ck_assert_mem_eq(c->rsp, buf + 100, 50);
	ck_assert_uint_eq(read_file(c, app, "data", 590, 50), 0x9000);
	ck_assert_uint_eq(c->len, 10);
	ck_assert_uint_eq(read_file(c, app, "data", 600, 1), 0x9000);
	ck_assert_uint_eq(c->len, 0);
	ck_assert_uint_eq(read_file(c, app, "data", 601, 1), 0x6B00);
	ck_assert_uint_eq(read_file(c, app, "data", 0, 0), 0x6A80);
	ck_assert_uint_eq(read_file(c, app, "data", 0, 4097), 0x6A80);

	/* GetFileInfo: Size ReadRights WriteRights */
	ck_assert_uint_eq(name_cmd(c, 0x36, app, "data"), 0x9000);
	ck_assert_uint_eq(c->len, 12);
	ck_assert_mem_eq(c->rsp, "\0\0\x02\x58\0\0\0\xff\0\0\0\x10", 12);
	ck_assert_uint_eq(name_cmd(c, 0x36, app, "nope"), 0x6A82);

	/* persisted */
	gt_reload(c);
	app = gt_open_app(c, "APP1");
	ck_assert_uint_eq(read_file(c, app, "data", 0, 600), 0x9000);
	ck_assert_mem_eq(c->rsp, buf, 600);
	/* anyone may read it, only the user may write */
	ck_assert_uint_eq(write_file(c, app, "data", 0, buf, 1), 0x6982);

	/* enum and delete */
	ck_assert_uint_eq(gt_verify(c, app, 1, "111111"), 0x9000);
	ck_assert_uint_eq(create_file(c, app, "empty", 0, 0xFF, 0xFF), 0x9000);
	uint8_t id[2];
	gt_ids(id, app, -1);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x34, 0, 0, id, 2, GT_NO_LE), 0x9000);
	ck_assert_uint_eq(c->len, 12);
	ck_assert_mem_eq(c->rsp, "data\0empty\0\0", 12);
	ck_assert_uint_eq(name_cmd(c, 0x32, app, "data"), 0x9000);
	ck_assert_uint_eq(name_cmd(c, 0x32, app, "data"), 0x6A82);
	ck_assert_uint_eq(read_file(c, app, "data", 0, 1), 0x6A82);
	gt_reload(c);
	app = gt_open_app(c, "APP1");
	gt_ids(id, app, -1);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x34, 0, 0, id, 2, GT_NO_LE), 0x9000);
	ck_assert_uint_eq(c->len, 7);
	ck_assert_mem_eq(c->rsp, "empty\0\0", 7);
	gt_free(c);
}
END_TEST

START_TEST(access_rights)
{
	uint16_t app;
	gt_card *c = gt_new_app(&app);
	uint8_t x = 0x42;
	ck_assert_uint_eq(gt_verify(c, app, 1, "111111"), 0x9000);
	ck_assert_uint_eq(create_file(c, app, "admin-only", 4, 0x01, 0x01), 0x9000);
	ck_assert_uint_eq(create_file(c, app, "user-rw", 4, 0x10, 0x10), 0x9000);
	ck_assert_uint_eq(create_file(c, app, "read-only", 4, 0xFF, 0x00), 0x9000);
	ck_assert_uint_eq(create_file(c, app, "either", 4, 0x11, 0x11), 0x9000);
	/* user logged in */
	ck_assert_uint_eq(read_file(c, app, "admin-only", 0, 4), 0x6982);
	ck_assert_uint_eq(write_file(c, app, "admin-only", 0, &x, 1), 0x6982);
	ck_assert_uint_eq(write_file(c, app, "user-rw", 0, &x, 1), 0x9000);
	ck_assert_uint_eq(read_file(c, app, "user-rw", 0, 4), 0x9000);
	ck_assert_mem_eq(c->rsp, "\x42\0\0\0", 4);
	ck_assert_uint_eq(write_file(c, app, "either", 0, &x, 1), 0x9000);
	ck_assert_uint_eq(write_file(c, app, "read-only", 0, &x, 1), 0x6982);
	/* admin only */
	uint8_t id[2];
	gt_ids(id, app, -1);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x1C, 0, 0, id, 2, GT_NO_LE), 0x9000);
	ck_assert_uint_eq(gt_verify(c, app, 0, "87654321"), 0x9000);
	ck_assert_uint_eq(write_file(c, app, "admin-only", 0, &x, 1), 0x9000);
	ck_assert_uint_eq(read_file(c, app, "admin-only", 0, 4), 0x9000);
	ck_assert_uint_eq(read_file(c, app, "user-rw", 0, 4), 0x6982);
	ck_assert_uint_eq(write_file(c, app, "either", 1, &x, 1), 0x9000);
	ck_assert_uint_eq(write_file(c, app, "read-only", 0, &x, 1), 0x6982);
	/* nobody: only FF files; create/delete need the user (app rights 10) */
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x1C, 0, 0, id, 2, GT_NO_LE), 0x9000);
	ck_assert_uint_eq(read_file(c, app, "read-only", 0, 4), 0x9000);
	ck_assert_uint_eq(read_file(c, app, "either", 0, 4), 0x6982);
	ck_assert_uint_eq(name_cmd(c, 0x32, app, "user-rw"), 0x6982);
	ck_assert_uint_eq(create_file(c, app, "x", 4, 0xFF, 0xFF), 0x6982);
	gt_free(c);
}
END_TEST

START_TEST(file_limits)
{
	uint16_t app;
	gt_card *c = gt_new_app(&app);
	char name[40];
	ck_assert_uint_eq(gt_verify(c, app, 1, "111111"), 0x9000);
	/* 8 x 32K fill the 256K device */
	for (int i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "f%02d", i);
		ck_assert_uint_eq(create_file(c, app, name, 32768, 0xFF, 0xFF), 0x9000);
	}
	ck_assert_uint_eq(create_file(c, app, "f08", 1, 0xFF, 0xFF), 0x6A84);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x04, 0, 0, NULL, 0, 0), 0x9000);
	ck_assert_mem_eq(c->rsp + 220, "\0\0\0\0", 4);
	/* empty files still fit, up to the 16-entry file table */
	for (int i = 8; i < 16; i++) {
		snprintf(name, sizeof(name), "f%02d", i);
		ck_assert_uint_eq(create_file(c, app, name, 0, 0xFF, 0xFF), 0x9000);
	}
	ck_assert_uint_eq(create_file(c, app, "f16", 0, 0xFF, 0xFF), 0x6A84);
	memset(name, 'n', 33);
	name[33] = 0;
	ck_assert_uint_eq(create_file(c, app, name, 1, 0xFF, 0xFF), 0x6700);
	uint8_t id[2];
	gt_ids(id, app, -1);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x34, 0, 0, id, 2, GT_NO_LE), 0x9000);
	ck_assert_uint_eq(c->len, 16 * 4 + 1);
	/* a 256K image survives save/load */
	gt_reload(c);
	app = gt_open_app(c, "APP1");
	gt_ids(id, app, -1);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x34, 0, 0, id, 2, GT_NO_LE), 0x9000);
	ck_assert_uint_eq(c->len, 16 * 4 + 1);
	gt_free(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vtoken_gmt0017_file");
	TCase *tc = tcase_create("file");
	tcase_add_test(tc, create_write_read);
	tcase_add_test(tc, access_rights);
	tcase_add_test(tc, file_limits);
	suite_add_tcase(s, tc);
	return gt_run(s);
}
