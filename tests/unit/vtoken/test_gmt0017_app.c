/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GM/T 0017 virtual OS: application commands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gm_tutil.h"

START_TEST(create_needs_dev_auth)
{
	gt_card *c = gt_new();
	ck_assert_uint_eq(gt_create_app(c, "A", "87654321", "111111", 10, 0xFF), 0x6982);
	/* DevAuth security state is lost on reset */
	ck_assert_uint_eq(gt_dev_auth(c, gt_devkey), 0x9000);
	vt_os_gmt0017.reset(c->st);
	ck_assert_uint_eq(gt_create_app(c, "A", "87654321", "111111", 10, 0xFF), 0x6982);
	ck_assert_uint_eq(gt_dev_auth(c, gt_devkey), 0x9000);
	ck_assert_uint_eq(gt_create_app(c, "A", "87654321", "111111", 10, 0xFF), 0x9000);
	ck_assert_int_eq(c->dirty, 1);
	ck_assert_uint_eq(gt_create_app(c, "A", "87654321", "111111", 10, 0xFF), 0x6A89);
	/* bad PIN lengths, retries, rights, names */
	ck_assert_uint_eq(gt_create_app(c, "B", "12345", "111111", 10, 0xFF), 0x6A80);
	ck_assert_uint_eq(gt_create_app(c, "B", "87654321", "123456789012345678901234567890123", 10, 0xFF), 0x6A80);
	ck_assert_uint_eq(gt_create_app(c, "B", "87654321", "111111", 0, 0xFF), 0x6A80);
	ck_assert_uint_eq(gt_create_app(c, "B", "87654321", "111111", 16, 0xFF), 0x6A80);
	ck_assert_uint_eq(gt_create_app(c, "B", "87654321", "111111", 10, 0x02), 0x6A80);
	ck_assert_uint_eq(gt_create_app(c, "", "87654321", "111111", 10, 0xFF), 0x6A80);
	ck_assert_uint_eq(gt_create_app(c, "123456789012345678901234567890123", "87654321", "111111", 10, 0xFF), 0x6A80);
	/* PIN of exactly 32 is fine */
	ck_assert_uint_eq(gt_create_app(c, "B", "12345678901234567890123456789012", "111111", 15, 0x11), 0x9000);
	/* block encrypted under the wrong key => garbage => 6A80 */
	uint8_t d[255];
	size_t n = 0;
	d[n++] = 1; d[n++] = 'C'; d[n++] = 10; d[n++] = 10;
	d[n++] = 0; d[n++] = 0; d[n++] = 0; d[n++] = 0xFF;
	uint8_t other[16] = "FFFFFFFFFFFFFFFF";
	gt_pin_block(other, "87654321", d + n); n += 48;
	gt_pin_block(other, "111111", d + n); n += 48;
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x20, 0, 0, d, n, GT_NO_LE), 0x6A80);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x20, 0, 0, d, n - 1, GT_NO_LE), 0x6700);
	gt_free(c);
}
END_TEST

START_TEST(enum_open_close_delete)
{
	gt_card *c = gt_new();
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x22, 0, 0, NULL, 0, 0), 0x9000);
	ck_assert_uint_eq(c->len, 1);
	ck_assert_uint_eq(c->rsp[0], 0);
	ck_assert_uint_eq(gt_dev_auth(c, gt_devkey), 0x9000);
	ck_assert_uint_eq(gt_create_app(c, "ONE", "87654321", "111111", 10, 0x10), 0x9000);
	ck_assert_uint_eq(gt_create_app(c, "TWO", "87654321", "111111", 5, 0xFF), 0x9000);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x22, 0, 0, NULL, 0, 0), 0x9000);
	ck_assert_uint_eq(c->len, 9);
	ck_assert_mem_eq(c->rsp, "ONE\0TWO\0\0", 9);

	/* OpenApplication: CreateFileRights(4) MaxContainers(1) MaxCerts(1)
	 * MaxFiles(2) AppID(2) */
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x26, 0, 0, "TWO", 3, GT_NO_LE), 0x9000);
	ck_assert_uint_eq(c->len, 10);
	const uint8_t want[8] = {0, 0, 0, 0xFF, 8, 16, 0, 16};
	ck_assert_mem_eq(c->rsp, want, 8);
	uint16_t two = (uint16_t)(c->rsp[8] << 8 | c->rsp[9]);
	uint16_t one = gt_open_app(c, "ONE");
	ck_assert_uint_ne(one, two);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x26, 0, 0, "THREE", 5, GT_NO_LE), 0x6A82);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x26, 0, 0, NULL, 0, GT_NO_LE), 0x6700);

	uint8_t info[3];
	ck_assert_uint_eq(gt_pin_info(c, two, 1, info), 0x9000);
	ck_assert_uint_eq(info[0], 5);
	/* close: the handle is dead afterwards */
	uint8_t id[2];
	gt_ids(id, two, -1);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x28, 0, 0, id, 2, GT_NO_LE), 0x9000);
	ck_assert_uint_eq(gt_pin_info(c, two, 1, info), 0x6A88);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x28, 0, 0, id, 2, GT_NO_LE), 0x6A88);
	/* unknown / bogus AppIDs */
	const uint8_t bogus[][2] = {{0, 0}, {0, 9}, {0xFF, 0xFF}, {0, 7}};
	for (size_t i = 0; i < 4; i++)
		ck_assert_uint_eq(gt_apdu(c, 0x80, 0x28, 0, 0, bogus[i], 2, GT_NO_LE), 0x6A88);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x28, 0, 0, id, 1, GT_NO_LE), 0x6700);

	/* delete needs device auth (lost by reset) */
	vt_os_gmt0017.reset(c->st);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x24, 0, 0, "ONE", 3, GT_NO_LE), 0x6982);
	ck_assert_uint_eq(gt_dev_auth(c, gt_devkey), 0x9000);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x24, 0, 0, "NONE", 4, GT_NO_LE), 0x6A82);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x24, 0, 0, "ONE", 3, GT_NO_LE), 0x9000);
	ck_assert_int_eq(c->dirty, 1);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x22, 0, 0, NULL, 0, 0), 0x9000);
	ck_assert_uint_eq(c->len, 5);
	ck_assert_mem_eq(c->rsp, "TWO\0\0", 5);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x26, 0, 0, "ONE", 3, GT_NO_LE), 0x6A82);
	gt_free(c);
}
END_TEST

START_TEST(app_table_full)
{
	gt_card *c = gt_new();
	char name[8];
	ck_assert_uint_eq(gt_dev_auth(c, gt_devkey), 0x9000);
	for (int i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "APP%d", i);
		ck_assert_uint_eq(gt_create_app(c, name, "87654321", "111111", 10, 0xFF), 0x9000);
	}
	ck_assert_uint_eq(gt_create_app(c, "APP9", "87654321", "111111", 10, 0xFF), 0x6A84);
	gt_reload(c);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x22, 0, 0, NULL, 0, 0), 0x9000);
	ck_assert_uint_eq(c->len, 8 * 5 + 1);
	ck_assert_mem_eq(c->rsp, "APP0\0APP1\0", 10);
	gt_free(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vtoken_gmt0017_app");
	TCase *tc = tcase_create("app");
	tcase_add_test(tc, create_needs_dev_auth);
	tcase_add_test(tc, enum_open_close_delete);
	tcase_add_test(tc, app_table_full);
	suite_add_tcase(s, tc);
	return gt_run(s);
}
