/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ENTERSAFE-ESPK layout against a scripted card built from the public
 * description (index 6F01 of 30-byte records, attribute-stream files, key
 * handle in vendor attribute 0x80000100): listing, and the key handle used
 * in the MSE of a signature. Also hostile index records / streams.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "espk.h"
#include "mock_card.h"

static mock_card mock;
static ukey_card card;
static ukey_profile prof;

typedef struct {
	uint8_t b[2048];
	size_t n;
} buf;

static void put(buf *b, const void *p, size_t l)
{
	ck_assert_uint_le(b->n + l, sizeof(b->b));
	memcpy(b->b + b->n, p, l);
	b->n += l;
}

static void attr(buf *b, uint32_t type, const void *v, uint32_t l)
{
	uint8_t h[8] = { (uint8_t)type, (uint8_t)(type >> 8), (uint8_t)(type >> 16),
			 (uint8_t)(type >> 24), (uint8_t)l, (uint8_t)(l >> 8),
			 (uint8_t)(l >> 16), (uint8_t)(l >> 24) };

	put(b, h, 8);
	put(b, v, l);
}

static void attr_u32(buf *b, uint32_t type, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 24) };

	attr(b, type, x, 4);
}

static void index_rec(buf *b, uint16_t fid, const char *name, size_t used)
{
	uint8_t r[30];

	memset(r, 0, sizeof(r));
	r[0] = (uint8_t)fid;
	r[1] = (uint8_t)(fid >> 8);
	memcpy(r + 2, "ESPK", 4);
	memcpy(r + 12, name, strlen(name));
	r[25] = 0x10;
	r[26] = (uint8_t)used;
	r[27] = (uint8_t)(used >> 8);
	r[28] = (uint8_t)used;
	r[29] = (uint8_t)(used >> 8);
	put(b, r, 30);
}

static void fci_ef(uint16_t fid, size_t size)
{
	uint8_t cmd[7] = { 0x00, 0xA4, 0x00, 0x00, 0x02, (uint8_t)(fid >> 8), (uint8_t)fid };
	uint8_t full[8];
	uint8_t rsp[15] = { 0x6F, 0x0B, 0x83, 0x02, (uint8_t)(fid >> 8), (uint8_t)fid,
			    0x80, 0x02, (uint8_t)(size >> 8), (uint8_t)size,
			    0x82, 0x01, 0x01, 0x90, 0x00 };

	memcpy(full, cmd, 7);
	full[7] = 0xE0;
	mock_add_raw(&mock, full, 8, rsp, sizeof(rsp));
}

static void read_resp(size_t off, const buf *content, size_t len)
{
	while (len) {
		size_t c = len > 224 ? 224 : len;
		uint8_t cmd[5] = { 0x00, 0xB0, (uint8_t)(off >> 8), (uint8_t)off, (uint8_t)c };
		uint8_t rsp[226];

		memcpy(rsp, content->b + off, c);
		rsp[c] = 0x90;
		rsp[c + 1] = 0x00;
		mock_add_raw(&mock, cmd, 5, rsp, c + 2);
		off += c;
		len -= c;
	}
}

static void setup(void)
{
	char err[256];
	static const char text[] = "name = t\ndriver = ftcos\natr = 3B 00\n"
				   "layout = pkcs15, entersafe-espk\n";

	mock_init(&mock);
	ck_assert_int_eq(ukey_profile_parse(text, strlen(text), "t", &prof, err,
					    sizeof(err)), UKEY_OK);
	memset(&card, 0, sizeof(card));
	ukey_chan_init(&card.chan, mock_xfer, &mock, NULL);
	card.profile = &prof;
	card.drv = ukey_driver_find("ftcos");
}

static void teardown(void)
{
	if (card.drv_data)
		card.drv->unbind(&card);
	mock_free(&mock);
}

START_TEST(test_espk_list_and_sign)
{
	buf idx = { .n = 0 }, ti = { .n = 0 }, crt = { .n = 0 }, prv = { .n = 0 };
	static const uint8_t id[4] = { 0xAA, 0xBB, 0xCC, 0xDD };
	static const uint8_t certder[6] = { 0x30, 0x04, 0x02, 0x02, 0x01, 0x02 };
	uint8_t mod[128], kid = 3, one = 1, zero = 0, in[128], out[128];
	size_t outlen = sizeof(out);
	ukey_objlist l = { 0 };
	const ukey_object *pk = NULL, *c = NULL;

	memset(mod, 0xC5, sizeof(mod));
	index_rec(&idx, 0xFFFF, "", 0);
	attr(&ti, 0x003, "Espk Token", 10);
	attr_u32(&crt, 0x000, 1);
	attr(&crt, 0x003, "my cert", 7);
	attr(&crt, 0x102, id, 4);
	attr(&crt, 0x011, certder, sizeof(certder));
	attr_u32(&prv, 0x000, 3);
	attr(&prv, 0x003, "my key", 6);
	attr(&prv, 0x102, id, 4);
	attr(&prv, 0x120, mod, sizeof(mod));
	attr(&prv, 0x108, &one, 1);
	attr(&prv, 0x105, &zero, 1);
	attr(&prv, 0x80000100u, &kid, 1);
	index_rec(&idx, 0x6F02, "tokeninfo", ti.n);
	index_rec(&idx, 0x7001, "cert0001", crt.n);
	index_rec(&idx, 0x7201, "prvk0001", prv.n);
	index_rec(&idx, 0x6F05, "cmapfile", 86);

	/* bind: no PKCS#15 application, then the ESPK DF */
	mock_add(&mock, "00 A4 04 00 0C A0 00 00 00 63 50 4B 43 53 2D 31 35 E0", "6A 82");
	mock_add(&mock, "00 A4 00 00 02 3F 00 E0", "6F 04 83 02 3F 00 90 00");
	mock_add(&mock, "00 A4 00 00 02 20 03 E0",
		 "6F 14 83 02 20 03 84 0E 45 4E 54 45 52 53 41 46 45 2D 45 53 50 4B 90 00");
	fci_ef(0x6F01, idx.n);
	read_resp(0, &idx, idx.n);
	fci_ef(0x6F02, ti.n);
	read_resp(0, &ti, ti.n);
	mock_add(&mock, "80 EA 00 00 08", "11 22 33 44 55 66 77 88 90 00");
	ck_assert_int_eq(card.drv->bind(&card), UKEY_OK);
	ck_assert_msg(!mock.mismatch, "%s", mock.last_error);
	ck_assert_str_eq(card.label, "Espk Token");
	ck_assert_int_eq(card.token_initialized, 1);

	fci_ef(0x7001, crt.n);
	read_resp(0, &crt, crt.n);
	fci_ef(0x7201, prv.n);
	read_resp(0, &prv, prv.n);
	ck_assert_int_eq(card.drv->list_objects(&card, &l), UKEY_OK);
	ck_assert_msg(!mock.mismatch, "%s", mock.last_error);
	ck_assert_uint_eq(l.n, 2);
	for (size_t i = 0; i < l.n; i++) {
		if (l.v[i].cls == UKEY_OBJ_PRIVKEY)
			pk = &l.v[i];
		if (l.v[i].cls == UKEY_OBJ_CERT)
			c = &l.v[i];
	}
	ck_assert(pk && c);
	ck_assert_str_eq(pk->label, "my key");
	ck_assert_uint_eq(pk->key_bits, 1024);
	ck_assert_uint_eq(pk->id_len, 4);
	ck_assert_uint_eq(pk->usage, UKEY_USAGE_SIGN);
	ck_assert_int_eq(pk->private_obj, 1);
	ck_assert_str_eq(c->label, "my cert");
	ck_assert_uint_eq(c->value_len, sizeof(certder));
	ck_assert_mem_eq(c->value, certder, sizeof(certder));

	/* the key handle (3) goes into the MSE; the DF 2003 is current */
	memset(in, 0x42, sizeof(in));
	mock_add(&mock, "00 22 41 B8 07 80 01 80 83 02 03 22", "90 00");
	{
		uint8_t cmd[5 + 128 + 1], rsp[130];

		memcpy(cmd, "\x00\x2A\x86\x80\x80", 5);
		memcpy(cmd + 5, in, 128);
		cmd[133] = 0x00;
		memset(rsp, 0x17, 128);
		rsp[128] = 0x90;
		rsp[129] = 0x00;
		mock_add_raw(&mock, cmd, sizeof(cmd), rsp, sizeof(rsp));
	}
	ck_assert_int_eq(card.drv->sign_raw(&card, pk, in, 128, out, &outlen), UKEY_OK);
	ck_assert_msg(mock_done(&mock), "%s", mock.last_error);
	ck_assert_uint_eq(outlen, 128);
	ck_assert_uint_eq(out[0], 0x17);
	/* decrypt is not allowed by the attributes */
	ck_assert_int_eq(card.drv->decipher_raw(&card, pk, in, 128, out, &outlen),
			 UKEY_E_SW_COND_NOT_SAT);
	ukey_objlist_clear(&l);
}
END_TEST

START_TEST(test_espk_hostile)
{
	uint8_t rec[30];
	espk_file f;
	ukey_object o;
	uint32_t kh;
	buf b = { .n = 0 };

	memset(rec, 0, sizeof(rec));
	rec[0] = 0x01;
	rec[1] = 0x70;
	memcpy(rec + 12, "cert\x01", 5); /* control character in the name */
	ck_assert_int_eq(espk_parse_index_record(rec, &f), -1);
	memcpy(rec + 12, "cert0001", 8);
	rec[26] = 0x10; /* used 16 > allocated 0 */
	ck_assert_int_eq(espk_parse_index_record(rec, &f), -1);
	rec[28] = 0x10;
	ck_assert_int_eq(espk_parse_index_record(rec, &f), 1);
	ck_assert_str_eq(f.name, "cert0001");
	rec[0] = rec[1] = 0xFF;
	ck_assert_int_eq(espk_parse_index_record(rec, &f), 0);

	/* attribute length beyond the buffer */
	attr_u32(&b, 0x000, 3);
	b.b[b.n++] = 0x03;
	b.b[b.n++] = 0x00;
	b.b[b.n++] = 0x00;
	b.b[b.n++] = 0x00;
	b.b[b.n++] = 0xFF;
	b.b[b.n++] = 0xFF;
	b.b[b.n++] = 0xFF;
	b.b[b.n++] = 0x7F;
	memset(&o, 0, sizeof(o));
	ck_assert_int_eq(espk_parse_attrs(b.b, b.n, &o, &kh), -1);
	ukey_object_clear(&o);
	/* a label of 300 bytes is cut, not overflowed */
	b.n = 0;
	attr_u32(&b, 0x000, 2);
	{
		char lab[300];

		memset(lab, 'x', sizeof(lab));
		attr(&b, 0x003, lab, sizeof(lab));
	}
	ck_assert_int_eq(espk_parse_attrs(b.b, b.n, &o, &kh), 0);
	ck_assert_uint_eq(strlen(o.label), UKEY_LABEL_MAX - 1);
	ukey_object_clear(&o);
	/* no class => not an object */
	b.n = 0;
	attr(&b, 0x003, "x", 1);
	ck_assert_int_eq(espk_parse_attrs(b.b, b.n, &o, &kh), -1);
	ukey_object_clear(&o);
	/* key handle of 5 bytes */
	b.n = 0;
	attr_u32(&b, 0x000, 3);
	attr(&b, 0x80000100u, "\x01\x02\x03\x04\x05", 5);
	ck_assert_int_eq(espk_parse_attrs(b.b, b.n, &o, &kh), -1);
	ukey_object_clear(&o);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("drivers_espk");
	TCase *tc = tcase_create("espk");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_espk_list_and_sign);
	tcase_add_test(tc, test_espk_hostile);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
