/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GM/T 0017 virtual OS: containers and certificates. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gm_tutil.h"

static unsigned cont_info(gt_card *c, uint16_t app, uint16_t cid)
{
	uint8_t d[4];
	gt_ids(d, app, cid);
	unsigned sw = gt_apdu(c, 0x80, 0x4A, 0, 0, d, 4, GT_NO_LE);
	if (sw == 0x9000)
		ck_assert_uint_eq(c->len, 9);
	return sw;
}

static unsigned export_cert(gt_card *c, uint16_t app, uint16_t cid, int sign)
{
	uint8_t d[4];
	gt_ids(d, app, cid);
	return gt_apdu(c, 0x80, 0x4E, (uint8_t)sign, 0, d, 4, GT_NO_LE);
}

START_TEST(create_open_enum_delete)
{
	uint16_t app, cid, cid2;
	gt_card *c = gt_new_app(&app);
	ck_assert_uint_eq(gt_create_cont(c, app, "K1", &cid), 0x6982);
	ck_assert_uint_eq(gt_verify(c, app, 1, "111111"), 0x9000);
	ck_assert_uint_eq(gt_create_cont(c, app, "K1", &cid), 0x9000);
	ck_assert_int_eq(c->dirty, 1);
	ck_assert_uint_eq(gt_create_cont(c, app, "K1", &cid2), 0x6A89);
	ck_assert_uint_eq(gt_open_cont(c, app, "K1", &cid2), 0x9000);
	ck_assert_uint_eq(cid2, cid);
	ck_assert_uint_eq(gt_open_cont(c, app, "K9", &cid2), 0x6A82);
	char longname[66];
	memset(longname, 'c', 65);
	longname[65] = 0;
	ck_assert_uint_eq(gt_create_cont(c, app, longname, &cid2), 0x6700);
	longname[64] = 0;
	ck_assert_uint_eq(gt_create_cont(c, app, longname, &cid2), 0x9000);
	ck_assert_uint_ne(cid2, cid);

	/* empty container: Type 0, no keys, no certs */
	ck_assert_uint_eq(cont_info(c, app, cid), 0x9000);
	ck_assert_mem_eq(c->rsp, "\0\0\0\0\0\0\0\0\0", 9);
	ck_assert_uint_eq(cont_info(c, app, 0x0077), 0x6A88);
	ck_assert_uint_eq(cont_info(c, app, 0), 0x6A88);
	ck_assert_uint_eq(cont_info(c, 0x0055, cid), 0x6A88);

	uint8_t d[4];
	gt_ids(d, app, -1);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x46, 0, 0, d, 2, GT_NO_LE), 0x9000);
	ck_assert_uint_eq(c->len, 3 + 65 + 1);
	ck_assert_mem_eq(c->rsp, "K1\0", 3);

	/* CloseContainer kills the handle; OpenContainer revives it */
	gt_ids(d, app, cid);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x44, 0, 0, d, 4, GT_NO_LE), 0x9000);
	ck_assert_uint_eq(cont_info(c, app, cid), 0x6A88);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x44, 0, 0, d, 4, GT_NO_LE), 0x6A88);
	ck_assert_uint_eq(gt_open_cont(c, app, "K1", &cid2), 0x9000);
	ck_assert_uint_eq(cont_info(c, app, cid2), 0x9000);

	/* delete needs the user PIN */
	uint8_t id[2];
	gt_ids(id, app, -1);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x1C, 0, 0, id, 2, GT_NO_LE), 0x9000);
	uint8_t dd[8];
	gt_ids(dd, app, -1);
	memcpy(dd + 2, "K1", 2);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x48, 0, 0, dd, 4, GT_NO_LE), 0x6982);
	ck_assert_uint_eq(gt_verify(c, app, 1, "111111"), 0x9000);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x48, 0, 0, dd, 4, GT_NO_LE), 0x9000);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x48, 0, 0, dd, 4, GT_NO_LE), 0x6A82);
	ck_assert_uint_eq(cont_info(c, app, cid2), 0x6A88);
	gt_reload(c);
	app = gt_open_app(c, "APP1");
	ck_assert_uint_eq(gt_open_cont(c, app, "K1", &cid), 0x6A82);
	ck_assert_uint_eq(gt_open_cont(c, app, longname, &cid), 0x9000);
	gt_free(c);
}
END_TEST

START_TEST(container_table_full)
{
	uint16_t app, cid;
	gt_card *c = gt_new_app(&app);
	char name[8];
	ck_assert_uint_eq(gt_verify(c, app, 1, "111111"), 0x9000);
	for (int i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "C%d", i);
		ck_assert_uint_eq(gt_create_cont(c, app, name, &cid), 0x9000);
	}
	ck_assert_uint_eq(gt_create_cont(c, app, "C8", &cid), 0x6A84);
	gt_free(c);
}
END_TEST

START_TEST(certificate_import_export)
{
	uint16_t app, cid;
	gt_card *c = gt_new_app(&app);
	uint8_t cert[1500];
	for (size_t i = 0; i < sizeof(cert); i++)
		cert[i] = (uint8_t)(i ^ (i >> 8) ^ 0x5A);
	ck_assert_uint_eq(gt_verify(c, app, 1, "111111"), 0x9000);
	ck_assert_uint_eq(gt_create_cont(c, app, "K1", &cid), 0x9000);
	ck_assert_uint_eq(export_cert(c, app, cid, 1), 0x6A82);

	/* signing certificate in 200-byte chunks: P1 81.., final 01 */
	ck_assert_uint_eq(gt_chained(c, 0x4C, 0x01, app, cid, cert, sizeof(cert), 200), 0x9000);
	ck_assert_int_eq(c->dirty, 1);
	ck_assert_uint_eq(export_cert(c, app, cid, 1), 0x9000);
	ck_assert_uint_eq(c->len, sizeof(cert));
	ck_assert_mem_eq(c->rsp, cert, sizeof(cert));
	ck_assert_uint_eq(export_cert(c, app, cid, 0), 0x6A82);
	ck_assert_uint_eq(export_cert(c, app, cid, 2), 0x6A86);

	/* through T=0: 5 x 256 + 220 */
	uint8_t d[4];
	int pieces;
	gt_ids(d, app, cid);
	ck_assert_uint_eq(gt_apdu_t0(c, 0x80, 0x4E, 1, 0, d, 4, GT_NO_LE, &pieces), 0x9000);
	ck_assert_int_eq(pieces, 6);
	ck_assert_uint_eq(c->len, sizeof(cert));
	ck_assert_mem_eq(c->rsp, cert, sizeof(cert));

	ck_assert_uint_eq(cont_info(c, app, cid), 0x9000);
	ck_assert_mem_eq(c->rsp, "\0\0\0\0\0\x05\xdc\0\0", 9);

	/* encryption certificate in one APDU */
	ck_assert_uint_eq(gt_chained(c, 0x4C, 0x00, app, cid, cert, 100, 200), 0x9000);
	ck_assert_uint_eq(export_cert(c, app, cid, 0), 0x9000);
	ck_assert_uint_eq(c->len, 100);
	ck_assert_mem_eq(c->rsp, cert, 100);

	/* persisted */
	gt_reload(c);
	app = gt_open_app(c, "APP1");
	ck_assert_uint_eq(gt_open_cont(c, app, "K1", &cid), 0x9000);
	ck_assert_uint_eq(export_cert(c, app, cid, 1), 0x9000);
	ck_assert_uint_eq(c->len, sizeof(cert));
	ck_assert_mem_eq(c->rsp, cert, sizeof(cert));

	/* import needs the user PIN (lost by the reload) */
	ck_assert_uint_eq(gt_chained(c, 0x4C, 0x01, app, cid, cert, 10, 200), 0x6982);
	ck_assert_uint_eq(gt_verify(c, app, 1, "111111"), 0x9000);
	/* an empty certificate deletes the slot's one */
	ck_assert_uint_eq(gt_chained(c, 0x4C, 0x00, app, cid, cert, 0, 200), 0x9000);
	ck_assert_uint_eq(export_cert(c, app, cid, 0), 0x6A82);
	ck_assert_uint_eq(export_cert(c, app, cid, 1), 0x9000);
	gt_free(c);
}
END_TEST

START_TEST(chaining_rules)
{
	uint16_t app, cid;
	gt_card *c = gt_new_app(&app);
	uint8_t d[255];
	ck_assert_uint_eq(gt_verify(c, app, 1, "111111"), 0x9000);
	ck_assert_uint_eq(gt_create_cont(c, app, "K1", &cid), 0x9000);
	gt_ids(d, app, cid);
	memset(d + 4, 0x30, 200);
	/* skipped chunk number */
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x4C, 0x81, 0, d, 204, GT_NO_LE), 0x9000);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x4C, 0x81, 2, d, 204, GT_NO_LE), 0x6A86);
	/* ... and the upload is gone */
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x4C, 0x01, 1, d, 204, GT_NO_LE), 0x6A86);
	/* another command in between discards it */
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x4C, 0x81, 0, d, 204, GT_NO_LE), 0x9000);
	ck_assert_uint_eq(cont_info(c, app, cid), 0x9000);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x4C, 0x01, 1, d, 204, GT_NO_LE), 0x6A86);
	/* switching sign/enc mid-way */
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x4C, 0x81, 0, d, 204, GT_NO_LE), 0x9000);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x4C, 0x00, 1, d, 204, GT_NO_LE), 0x6A86);
	/* bad slot flag */
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x4C, 0x02, 0, d, 204, GT_NO_LE), 0x6A86);
	/* too short for the handles */
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x4C, 0x01, 0, d, 3, GT_NO_LE), 0x6700);
	/* more than 4096 bytes */
	uint8_t big[4200];
	memset(big, 0x31, sizeof(big));
	ck_assert_uint_eq(gt_chained(c, 0x4C, 0x01, app, cid, big, sizeof(big), 200), 0x6700);
	ck_assert_uint_eq(gt_chained(c, 0x4C, 0x01, app, cid, big, 4096, 200), 0x9000);
	ck_assert_uint_eq(export_cert(c, app, cid, 1), 0x9000);
	ck_assert_uint_eq(c->len, 4096);
	/* a reset discards an upload too */
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x4C, 0x81, 0, d, 204, GT_NO_LE), 0x9000);
	vt_os_gmt0017.reset(c->st);
	app = gt_open_app(c, "APP1");
	ck_assert_uint_eq(gt_open_cont(c, app, "K1", &cid), 0x9000);
	ck_assert_uint_eq(gt_verify(c, app, 1, "111111"), 0x9000);
	gt_ids(d, app, cid);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x4C, 0x01, 1, d, 204, GT_NO_LE), 0x6A86);
	gt_free(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vtoken_gmt0017_container");
	TCase *tc = tcase_create("container");
	tcase_add_test(tc, create_open_enum_delete);
	tcase_add_test(tc, container_table_full);
	tcase_add_test(tc, certificate_import_export);
	tcase_add_test(tc, chaining_rules);
	suite_add_tcase(s, tc);
	return gt_run(s);
}
