/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PKCS#15 ASN.1 templates: every directory entry OpenSC wrote in the
 * reference traces decodes, maps to the expected object, and re-encodes to
 * the same bytes (so what we write is what OpenSC reads).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mock_card.h"
#include "pkcs15.h"

/* entries from opensc-entersafe-full-flow.trace / -pin-and-import.trace */
static const char *const prkdf_gen =
	"30 4A 30 14 0C 0B 43 65 72 74 69 66 69 63 61 74 65 03 02 06 C0 04 01 01 30 0E 04 01 01 03 02 02 74 03 02 03 B8 02 01 01 A0 12 30 10 30 0E 31 0C 30 0A 06 03 55 04 03 0C 03 65 6D 75 A1 0E 30 0C 30 06 04 04 3F 00 50 15 02 02 08 00";
static const char *const prkdf_imp =
	"30 36 30 14 0C 0B 50 72 69 76 61 74 65 20 4B 65 79 03 02 06 C0 04 01 01 30 0E 04 01 02 03 02 05 20 03 02 07 80 02 01 01 A1 0E 30 0C 30 06 04 04 3F 00 50 15 02 02 04 00";
static const char *const pukdf_gen =
	"30 34 30 11 0C 0B 50 72 69 76 61 74 65 20 4B 65 79 03 02 06 40 30 0D 04 01 01 03 02 00 8B 01 01 00 02 01 00 A1 10 30 0E 30 08 04 06 3F 00 50 15 30 00 02 02 08 00";
static const char *const pukdf_imp =
	"30 33 30 10 0C 0A 50 75 62 6C 69 63 20 4B 65 79 03 02 06 40 30 0D 04 01 02 03 02 01 02 01 01 00 02 01 00 A1 10 30 0E 30 08 04 06 3F 00 50 15 30 00 02 02 04 00";
static const char *const cdf =
	"30 26 30 11 0C 0B 43 65 72 74 69 66 69 63 61 74 65 03 02 06 40 30 03 04 01 01 A1 0C 30 0A 30 08 04 06 3F 00 50 15 31 00";
static const char *const aodf =
	"30 36 30 0D 0C 07 55 73 65 72 50 49 4E 03 02 06 C0 30 03 04 01 01 A1 20 30 1E 03 02 02 4C 0A 01 01 02 01 04 02 01 10 02 01 10 80 01 01 04 01 00 30 06 04 04 3F 00 50 15";
static const char *const tokeninfo =
	"30 34 02 01 00 04 08 01 02 03 04 05 06 07 08 0C 09 45 6E 74 65 72 53 61 66 65 80 03 45 4D 55 03 02 04 10 A5 11 18 0F 32 30 32 36 31 31 32 34 32 31 32 30 33 33 5A";
static const char *const odf =
	"A8 0A 30 08 04 06 3F 00 50 15 44 01 A0 0A 30 08 04 06 3F 00 50 15 44 02 A1 0A 30 08 04 06 3F 00 50 15 44 03 A4 0A 30 08 04 06 3F 00 50 15 44 04 00 00 00 00";

static uint8_t buf[512];
static long blen;

static void hex(const char *s)
{
	blen = mock_hex(s, buf, sizeof(buf));
	ck_assert_int_gt(blen, 0);
}

#define ROUNDTRIP(TYPE)                                                      \
	do {                                                                 \
		const unsigned char *p = buf;                                \
		unsigned char *out = NULL;                                   \
		TYPE *v = d2i_##TYPE(NULL, &p, blen);                        \
		int l;                                                       \
		ck_assert_ptr_nonnull(v);                                    \
		ck_assert_ptr_eq(p, buf + blen);                             \
		l = i2d_##TYPE(v, &out);                                     \
		ck_assert_int_eq(l, blen);                                   \
		ck_assert_mem_eq(out, buf, (size_t)blen);                    \
		OPENSSL_free(out);                                           \
		TYPE##_free(v);                                              \
	} while (0)

START_TEST(test_roundtrip_opensc_entries)
{
	hex(prkdf_gen);
	ROUNDTRIP(P15_KEY_OBJ);
	hex(prkdf_imp);
	ROUNDTRIP(P15_KEY_OBJ);
	hex(pukdf_gen);
	ROUNDTRIP(P15_KEY_OBJ);
	hex(pukdf_imp);
	ROUNDTRIP(P15_KEY_OBJ);
	hex(cdf);
	ROUNDTRIP(P15_CERT_OBJ);
	hex(aodf);
	ROUNDTRIP(P15_PIN_OBJ);
	hex(tokeninfo);
	ROUNDTRIP(P15_TOKENINFO);
}
END_TEST

START_TEST(test_entry_mapping)
{
	p15_token t;
	ukey_object o;

	memset(&t, 0, sizeof(t));
	memcpy(t.app_path, "\x3F\x00\x50\x15", 4);
	hex(prkdf_imp);
	ck_assert_int_eq(p15_entry_to_object(&t, P15_DF_PRKDF, buf, (size_t)blen, &o), 0);
	ck_assert_int_eq(o.cls, UKEY_OBJ_PRIVKEY);
	ck_assert_str_eq(o.label, "Private Key");
	ck_assert_uint_eq(o.id_len, 1);
	ck_assert_uint_eq(o.id[0], 2);
	ck_assert_uint_eq(o.key_bits, 1024);
	ck_assert_int_eq(o.native, 0); /* imported: not local */
	ck_assert_uint_eq(o.drv_ref[2], 1); /* key reference */
	ck_assert_uint_eq(o.drv_ref[3], 4);
	ck_assert_mem_eq(o.drv_ref + 4, "\x3F\x00\x50\x15", 4);
	ukey_object_clear(&o);

	hex(cdf);
	ck_assert_int_eq(p15_entry_to_object(&t, P15_DF_CDF, buf, (size_t)blen, &o), 0);
	ck_assert_int_eq(o.cls, UKEY_OBJ_CERT);
	ck_assert_uint_eq(o.drv_ref[3], 6);
	ck_assert_mem_eq(o.drv_ref + 4, "\x3F\x00\x50\x15\x31\x00", 6);
	ck_assert_int_eq(o.private_obj, 0);
	ck_assert_int_eq(o.modifiable, 1);
	ukey_object_clear(&o);

	/* the wrong template for the bytes is refused, not misread */
	ck_assert_int_eq(p15_entry_to_object(&t, P15_DF_CDF, buf, 10, &o), -1);
	hex(aodf);
	ck_assert_int_eq(p15_entry_to_object(&t, P15_DF_PRKDF, buf, (size_t)blen, &o), -1);
}
END_TEST

START_TEST(test_odf_walk)
{
	size_t off = 0, l;
	const uint8_t *el;
	int n = 0, more = 0;
	static const int types[] = { 8, 0, 1, 4 };

	hex(odf);
	ck_assert_int_eq(p15_used_length(buf, (size_t)blen, &more), 48);
	ck_assert_int_eq(more, 0);
	while (p15_next_element(buf, (size_t)blen, &off, &el, &l) == 1) {
		const unsigned char *p = el;
		P15_ODF_ENTRY *e = d2i_P15_ODF_ENTRY(NULL, &p, (long)l);

		ck_assert_ptr_nonnull(e);
		ck_assert_int_eq(e->type, types[n]);
		ck_assert_int_eq(ASN1_STRING_length(e->d.path->path), 6);
		P15_ODF_ENTRY_free(e);
		n++;
	}
	ck_assert_int_eq(n, 4);
	/* cut inside the 3rd entry: need more */
	ck_assert_int_eq(p15_used_length(buf, 30, &more), 24);
	ck_assert_int_eq(more, 1);
	/* FF padding (erased flash) ends the content too */
	memset(buf + 48, 0xFF, 4);
	ck_assert_int_eq(p15_used_length(buf, (size_t)blen, &more), 48);
	/* garbage after the content */
	buf[48] = 0x02;
	buf[49] = 0x05;
	buf[50] = 0x00;
	ck_assert_int_eq(p15_used_length(buf, 51, &more), -1);
}
END_TEST

/* What `pkcs15-init -C` writes in 5015/5032 for serial 0102..08, label
 * "EMU" at 2026-11-24 21:20:33Z (the trace's last TokenInfo). */
START_TEST(test_tokeninfo_as_opensc)
{
	static const uint8_t serial[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct tm tm = { .tm_year = 126, .tm_mon = 10, .tm_mday = 24,
			 .tm_hour = 21, .tm_min = 20, .tm_sec = 33 };
	uint8_t out[128];
	long l;

	hex(tokeninfo);
	l = p15_tokeninfo_encode(serial, sizeof(serial), P15_ENTERSAFE_MANUFACTURER,
				 "EMU", 3, timegm(&tm), out, sizeof(out));
	ck_assert_int_eq(l, blen);
	ck_assert_mem_eq(out, buf, (size_t)blen);
	/* it must fit the 128-byte file, or be refused */
	ck_assert_int_eq(p15_tokeninfo_encode(serial, sizeof(serial), "EnterSafe",
					      "EMU", 3, timegm(&tm), out, 0x35), -1);
	ck_assert_int_eq(p15_tokeninfo_encode(NULL, 0, "EnterSafe", "EMU", 3,
					      timegm(&tm), out, sizeof(out)), -1);
}
END_TEST

/* 5015/4946 as -C writes it: "01 06 pkcs15" */
START_TEST(test_opensc_info_file)
{
	hex("01 06 70 6B 63 73 31 35");
	ck_assert_uint_eq(P15_OPENSC_INFO_FID, 0x4946);
	ck_assert_mem_eq(p15_opensc_info, buf, 8);
}
END_TEST

/* A generated 2048-bit key, ID 01, default usage (sign+decrypt), key
 * record 1: the PrKDF and PuKDF entries of `pkcs15-init -G rsa/2048
 * -u sign,decrypt` (MARK genkey), byte for byte. */
START_TEST(test_generated_key_entries_as_opensc)
{
	static const uint8_t id = 0x01, auth = 0x01;
	static const uint8_t app[4] = { 0x3F, 0x00, 0x50, 0x15 };
	static const uint8_t pubpath[6] = { 0x3F, 0x00, 0x50, 0x15, 0x30, 0x00 };
	const unsigned usage = UKEY_USAGE_SIGN | UKEY_USAGE_DECRYPT;
	uint8_t *der = NULL;
	long l;

	/* sign+signRecover+decrypt+unwrap / encrypt+wrap+verify+verifyRecover */
	ck_assert_uint_eq(p15_key_usage_bits(usage, 0), 0x2Eu);
	ck_assert_uint_eq(p15_key_usage_bits(usage, 1), 0xD1u);

	hex("30 36 30 14 0C 0B 50 72 69 76 61 74 65 20 4B 65 79 03 02 06 C0 04 01 01 30 0E 04 01 01 03 02 02 74 03 02 03 B8 02 01 01 A1 0E 30 0C 30 06 04 04 3F 00 50 15 02 02 08 00");
	l = p15_rsa_key_entry_der(0, "Private Key", &id, 1,
				  p15_key_usage_bits(usage, 0), 0x1D, 1, 2048,
				  app, sizeof(app), &auth, 1, &der);
	ck_assert_int_eq(l, blen);
	ck_assert_mem_eq(der, buf, (size_t)blen);
	free(der);

	hex(pukdf_gen);
	l = p15_rsa_key_entry_der(1, "Private Key", &id, 1,
				  p15_key_usage_bits(usage, 1), 0, 0, 2048,
				  pubpath, sizeof(pubpath), NULL, 0, &der);
	ck_assert_int_eq(l, blen);
	ck_assert_mem_eq(der, buf, (size_t)blen);
	free(der);

	/* hostile arguments are refused, nothing allocated */
	ck_assert_int_eq(p15_rsa_key_entry_der(0, "x", &id, 0, 0, 0, 1, 2048, app,
					       sizeof(app), NULL, 0, &der), -1);
	ck_assert_ptr_null(der);
	ck_assert_int_eq(p15_rsa_key_entry_der(0, "x", &id, 1, 0, 0, 1, 2048, app,
					       17, NULL, 0, &der), -1);
	ck_assert_ptr_null(der);
}
END_TEST

/* -P / -G rewrite only lastUpdate: the trace's TokenInfo of 21:20:26
 * becomes the one of 21:20:33 byte for byte. */
START_TEST(test_tokeninfo_touch)
{
	struct tm tm = { .tm_year = 126, .tm_mon = 10, .tm_mday = 24,
			 .tm_hour = 21, .tm_min = 20, .tm_sec = 33 };
	uint8_t in[128], out[128];
	long inl, l;

	memset(in, 0, sizeof(in));
	inl = mock_hex("30 34 02 01 00 04 08 01 02 03 04 05 06 07 08 0C 09 45 6E 74 65 72 53 61 66 65 80 03 45 4D 55 03 02 04 10 A5 11 18 0F 32 30 32 36 31 31 32 34 32 31 32 30 32 36 5A", in, sizeof(in));
	ck_assert_int_eq(inl, 0x36);
	hex(tokeninfo);
	/* the zero padding after the value is ignored */
	l = p15_tokeninfo_touch(in, sizeof(in), timegm(&tm), out, sizeof(out));
	ck_assert_int_eq(l, blen);
	ck_assert_mem_eq(out, buf, (size_t)blen);
	/* does not fit, garbage, truncated: refused */
	ck_assert_int_eq(p15_tokeninfo_touch(in, sizeof(in), timegm(&tm), out, 0x30), -1);
	ck_assert_int_eq(p15_tokeninfo_touch((const uint8_t *)"\x30\x03\x02\x01", 4,
					     timegm(&tm), out, sizeof(out)), -1);
	ck_assert_int_eq(p15_tokeninfo_touch(in, 0x20, timegm(&tm), out, sizeof(out)), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("drivers_pkcs15_asn1");
	TCase *tc = tcase_create("asn1");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_roundtrip_opensc_entries);
	tcase_add_test(tc, test_entry_mapping);
	tcase_add_test(tc, test_odf_walk);
	tcase_add_test(tc, test_tokeninfo_as_opensc);
	tcase_add_test(tc, test_opensc_info_file);
	tcase_add_test(tc, test_tokeninfo_touch);
	tcase_add_test(tc, test_generated_key_entries_as_opensc);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
