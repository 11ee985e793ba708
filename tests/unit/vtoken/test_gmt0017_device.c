/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GM/T 0017 virtual OS: device commands. */
#include <stdlib.h>
#include <string.h>

#include "gm_tutil.h"

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

START_TEST(devinfo_full_record)
{
	gt_card *c = gt_new_init(0);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x04, 0, 0, NULL, 0, 0), 0x9000);
	ck_assert_uint_eq(c->len, 288);
	uint8_t *p = c->rsp;
	ck_assert_uint_eq(p[0], 1);
	ck_assert_uint_eq(p[1], 0);
	ck_assert_mem_eq(p + 4, "Watchdata\0", 10);
	ck_assert_mem_eq(p + 132, "Test Token\0", 11);  /* Label[32] */
	ck_assert_mem_eq(p + 164, "WD0123456789\0", 13); /* Serial[32] */
	ck_assert_uint_eq(be32(p + 204), 0x00010000);    /* RSA */
	ck_assert_uint_eq(be32(p + 212), 0x00000401);    /* SM4-ECB dev auth */
	ck_assert_uint_gt(be32(p + 216), 0);             /* TotalSpace */
	ck_assert_uint_le(be32(p + 220), be32(p + 216)); /* FreeSpace */
	ck_assert_uint_eq(p[224] << 8 | p[225], 255);    /* MaxAPDUDataLen */
	ck_assert_uint_eq(p[230], 8);                    /* MaxContainerNum */
	ck_assert_uint_eq(p[231], 16);                   /* MaxCertNum */
	ck_assert_uint_eq(p[232] << 8 | p[233], 16);     /* MaxFileNum */
	for (int i = 234; i < 288; i++)
		ck_assert_uint_eq(p[i], 0);
	uint8_t direct[288];
	memcpy(direct, c->rsp, 288);

	/* Through T=0: 256 bytes + 61 20, then GET RESPONSE of 32. */
	int pieces;
	ck_assert_uint_eq(gt_apdu_t0(c, 0x80, 0x04, 0, 0, NULL, 0, 0, &pieces), 0x9000);
	ck_assert_int_eq(pieces, 2);
	ck_assert_uint_eq(c->len, 288);
	ck_assert_mem_eq(c->rsp, direct, 288);
	gt_free(c);
}
END_TEST

START_TEST(devinfo_rejects_junk)
{
	gt_card *c = gt_new();
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x04, 1, 0, NULL, 0, 0), 0x6A86);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x04, 0, 0, "x", 1, 0), 0x6700);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x99, 0, 0, NULL, 0, 0), 0x6D00);
	ck_assert_uint_eq(gt_apdu(c, 0xB0, 0x04, 0, 0, NULL, 0, 0), 0x6E00);
	ck_assert_uint_eq(gt_apdu(c, 0x00, 0xA4, 0, 0, NULL, 0, 0), 0x6D00);
	/* CLA 84 only for ChangeDevAuthKey */
	ck_assert_uint_eq(gt_apdu(c, 0x84, 0x04, 0, 0, NULL, 0, 0), 0x6E00);
	const uint8_t bad1[] = {0x80, 0x04, 0x00};
	const uint8_t bad2[] = {0x80, 0x02, 0x00, 0x00, 0x05, 'a', 'b'};
	const uint8_t bad3[] = {0x80, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 'a'};
	ck_assert_uint_eq(gt_raw(c, bad1, sizeof(bad1)), 0x6700);
	ck_assert_uint_eq(gt_raw(c, bad2, sizeof(bad2)), 0x6700);
	ck_assert_uint_eq(gt_raw(c, bad3, sizeof(bad3)), 0x6700);
	ck_assert_uint_eq(c->len, 0);
	gt_free(c);
}
END_TEST

START_TEST(set_label)
{
	gt_card *c = gt_new();
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x02, 0, 0, "My Key", 6, GT_NO_LE), 0x9000);
	ck_assert_int_eq(c->dirty, 1);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x04, 0, 0, NULL, 0, 0), 0x9000);
	ck_assert_mem_eq(c->rsp + 132, "My Key\0", 7);
	char big[33];
	memset(big, 'L', sizeof(big));
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x02, 0, 0, big, 33, GT_NO_LE), 0x6700);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x02, 0, 0, "a\001b", 3, GT_NO_LE), 0x6A80);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x02, 0, 0, big, 32, GT_NO_LE), 0x9000);
	gt_reload(c);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x04, 0, 0, NULL, 0, 0), 0x9000);
	ck_assert_mem_eq(c->rsp + 132, big, 32);
	gt_free(c);
}
END_TEST

START_TEST(random_and_challenge)
{
	gt_card *c = gt_new();
	uint8_t a[256], b[256];
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x50, 0, 0, NULL, 0, 0), 0x9000);
	ck_assert_uint_eq(c->len, 256);
	memcpy(a, c->rsp, 256);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x50, 0, 0, NULL, 0, 0), 0x9000);
	memcpy(b, c->rsp, 256);
	ck_assert_int_ne(memcmp(a, b, 256), 0);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x50, 0, 0, NULL, 0, 16), 0x9000);
	ck_assert_uint_eq(c->len, 16);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x50, 0, 0, NULL, 0, GT_NO_LE), 0x6700);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x50, 0, 0, "x", 1, 8), 0x6700);
	/* ISO GET CHALLENGE */
	ck_assert_uint_eq(gt_apdu(c, 0x00, 0x84, 0, 0, NULL, 0, 8), 0x9000);
	ck_assert_uint_eq(c->len, 8);
	gt_free(c);
}
END_TEST

START_TEST(dev_auth)
{
	gt_card *c = gt_new();
	uint8_t chal[8], crypt[16], wrong[16];
	/* no challenge */
	memset(crypt, 0, 16);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x10, 0, 0, crypt, 16, GT_NO_LE), 0x6985);
	/* GET CHALLENGE then the right cryptogram */
	ck_assert_uint_eq(gt_apdu(c, 0x00, 0x84, 0, 0, NULL, 0, 8), 0x9000);
	memcpy(chal, c->rsp, 8);
	gt_cryptogram(gt_devkey, chal, 0, crypt);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x10, 0, 0, crypt, 16, GT_NO_LE), 0x9000);
	/* the challenge is single use */
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x10, 0, 0, crypt, 16, GT_NO_LE), 0x6985);
	/* and only good for the very next command */
	gt_challenge(c, chal);
	gt_cryptogram(gt_devkey, chal, 0, crypt);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x04, 0, 0, NULL, 0, 0), 0x9000);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x10, 0, 0, crypt, 16, GT_NO_LE), 0x6985);
	/* a PIN-style (80-padded) cryptogram is not the device one */
	gt_challenge(c, chal);
	gt_cryptogram(gt_devkey, chal, 1, wrong);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x10, 0, 0, wrong, 16, GT_NO_LE), 0x63C9);
	ck_assert_int_eq(c->dirty, 1);
	/* success restores the counter */
	ck_assert_uint_eq(gt_dev_auth(c, gt_devkey), 0x9000);
	uint8_t k2[16] = "0000000000000001";
	ck_assert_uint_eq(gt_dev_auth(c, k2), 0x63C9);
	gt_free(c);
}
END_TEST

START_TEST(dev_auth_locks)
{
	gt_card *c = gt_new();
	uint8_t bad[16] = {0};
	for (unsigned i = 9;; i--) {
		ck_assert_uint_eq(gt_dev_auth(c, bad), 0x63C0 | i);
		if (i == 0)
			break;
	}
	ck_assert_uint_eq(gt_dev_auth(c, gt_devkey), 0x6983);
	gt_reload(c);
	ck_assert_uint_eq(gt_dev_auth(c, gt_devkey), 0x6983);
	gt_free(c);
}
END_TEST

START_TEST(change_dev_key)
{
	gt_card *c = gt_new();
	uint8_t newkey[16] = "ABCDEFGHIJKLMNOP", wrapped[16];
	gt_sm4_ecb(gt_devkey, newkey, 16, wrapped, 1);
	ck_assert_uint_eq(gt_apdu(c, 0x84, 0x12, 0, 0, wrapped, 16, GT_NO_LE), 0x6982);
	ck_assert_uint_eq(gt_dev_auth(c, gt_devkey), 0x9000);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x12, 0, 0, wrapped, 16, GT_NO_LE), 0x6E00);
	ck_assert_uint_eq(gt_apdu(c, 0x84, 0x12, 0, 0, wrapped, 15, GT_NO_LE), 0x6700);
	ck_assert_uint_eq(gt_apdu(c, 0x84, 0x12, 0, 0, wrapped, 16, GT_NO_LE), 0x9000);
	ck_assert_int_eq(c->dirty, 1);
	gt_reload(c);
	ck_assert_uint_eq(gt_dev_auth(c, gt_devkey), 0x63C9);
	ck_assert_uint_eq(gt_dev_auth(c, newkey), 0x9000);
	gt_free(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vtoken_gmt0017_device");
	TCase *tc = tcase_create("device");
	tcase_add_test(tc, devinfo_full_record);
	tcase_add_test(tc, devinfo_rejects_junk);
	tcase_add_test(tc, set_label);
	tcase_add_test(tc, random_and_challenge);
	tcase_add_test(tc, dev_auth);
	tcase_add_test(tc, dev_auth_locks);
	tcase_add_test(tc, change_dev_key);
	suite_add_tcase(s, tc);
	return gt_run(s);
}
