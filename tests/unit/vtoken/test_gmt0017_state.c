/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GM/T 0017 virtual OS: state image (save/load, malformed images) and
 * reset semantics. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gm_tutil.h"

/* A card with something of everything, saved. */
static void rich_image(vt_buf *out)
{
	uint16_t app, cid;
	gt_card *c = gt_new_init(1024);
	app = gt_open_app(c, "UKEY-APP");
	ck_assert_uint_eq(gt_verify(c, app, 1, "123456"), 0x9000);
	ck_assert_uint_eq(gt_verify(c, app, 0, "00000000"), 0x63C9);
	uint8_t d[64];
	size_t n = gt_ids(d, app, -1);
	memcpy(d + n, "\0\0\0\x05\0\0\0\xff\0\0\0\x10" "f1", 14);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x30, 0, 0, d, n + 14, GT_NO_LE), 0x9000);
	ck_assert_uint_eq(gt_create_cont(c, app, "EMPTY", &cid), 0x9000);
	ck_assert_int_eq(vt_os_gmt0017.save(c->st, out), 0);
	gt_free(c);
}

static void *load_quiet(const uint8_t *img, size_t len)
{
	/* the OS reports why on stderr: keep the test log readable */
	fflush(stderr);
	int saved = dup(2), null = open("/dev/null", O_WRONLY);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_ge(null, 0);
	dup2(null, 2);
	void *st = vt_os_gmt0017.load(img, len);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(null);
	return st;
}

START_TEST(roundtrip_is_stable)
{
	vt_buf a = {0}, b = {0};
	rich_image(&a);
	void *st = vt_os_gmt0017.load(a.p, a.len);
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(vt_os_gmt0017.save(st, &b), 0);
	ck_assert_uint_eq(a.len, b.len);
	ck_assert_mem_eq(a.p, b.p, a.len);
	vt_os_gmt0017.destroy(st);

	/* the loaded card works: admin tries left 9, file, containers */
	gt_card *c = gt_new();
	vt_os_gmt0017.destroy(c->st);
	c->st = vt_os_gmt0017.load(a.p, a.len);
	ck_assert_ptr_nonnull(c->st);
	uint16_t app = gt_open_app(c, "UKEY-APP"), cid;
	uint8_t info[3];
	ck_assert_uint_eq(gt_pin_info(c, app, 0, info), 0x9000);
	ck_assert_mem_eq(info, "\x0a\x09\x00", 3);
	ck_assert_uint_eq(gt_open_cont(c, app, "EMPTY", &cid), 0x9000);
	ck_assert_uint_eq(gt_open_cont(c, app, "UKEY-CONTAINER", &cid), 0x9000);
	uint8_t d[4];
	gt_ids(d, app, cid);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x88, 1, 0, d, 4, GT_NO_LE), 0x9000);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x4E, 1, 0, d, 4, GT_NO_LE), 0x9000);
	ck_assert_uint_gt(c->len, 256);
	gt_free(c);
	vt_buf_free(&a);
	vt_buf_free(&b);
}
END_TEST

START_TEST(every_truncation_rejected)
{
	vt_buf a = {0};
	rich_image(&a);
	for (size_t len = 0; len < a.len; len++) {
		void *st = load_quiet(a.p, len);
		if (st)
			ck_abort_msg("image truncated to %zu of %zu bytes was accepted", len, a.len);
	}
	/* one trailing byte too many */
	uint8_t *p = malloc(a.len + 1);
	ck_assert_ptr_nonnull(p);
	memcpy(p, a.p, a.len);
	p[a.len] = 0;
	ck_assert_ptr_null(load_quiet(p, a.len + 1));
	free(p);
	vt_buf_free(&a);
}
END_TEST

START_TEST(corrupt_fields_rejected)
{
	vt_buf a = {0};
	rich_image(&a);
	uint8_t *p = malloc(a.len);
	ck_assert_ptr_nonnull(p);
	/* bad magic */
	memcpy(p, a.p, a.len);
	p[0] ^= 1;
	ck_assert_ptr_null(load_quiet(p, a.len));
	/* unknown version */
	memcpy(p, a.p, a.len);
	p[7] = 2;
	ck_assert_ptr_null(load_quiet(p, a.len));
	/* label blob length absurd */
	memcpy(p, a.p, a.len);
	p[8] = 0x7F;
	ck_assert_ptr_null(load_quiet(p, a.len));
	/* label length 33 (> 32) with the bytes actually there */
	memcpy(p, a.p, a.len);
	p[11] = 33;
	ck_assert_ptr_null(load_quiet(p, a.len));
	/* every single-byte corruption either loads (and then saves) or is
	 * refused — never crashes (ASan/UBSan builds check the "never") */
	size_t accepted = 0;
	for (size_t i = 0; i < a.len; i += 3) {
		memcpy(p, a.p, a.len);
		p[i] ^= 0xA5;
		void *st = load_quiet(p, a.len);
		if (st) {
			vt_buf b = {0};
			ck_assert_int_eq(vt_os_gmt0017.save(st, &b), 0);
			vt_buf_free(&b);
			vt_os_gmt0017.destroy(st);
			accepted++;
		}
	}
	ck_assert_uint_lt(accepted, a.len / 3);
	free(p);
	vt_buf_free(&a);
	/* empty and tiny images */
	ck_assert_ptr_null(load_quiet((const uint8_t *)"", 0));
	ck_assert_ptr_null(load_quiet((const uint8_t *)"UKGM", 4));
}
END_TEST

START_TEST(blank_card_roundtrip)
{
	gt_card *c = gt_new();
	gt_reload(c);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x22, 0, 0, NULL, 0, 0), 0x9000);
	ck_assert_uint_eq(c->len, 1);
	/* default device key survives */
	ck_assert_uint_eq(gt_dev_auth(c, gt_devkey), 0x9000);
	gt_free(c);
}
END_TEST

START_TEST(reset_forgets_volatile_state)
{
	uint16_t app, cid;
	gt_card *c = gt_new_app(&app);
	ck_assert_uint_eq(gt_verify(c, app, 1, "111111"), 0x9000);
	ck_assert_uint_eq(gt_create_cont(c, app, "K1", &cid), 0x9000);
	vt_os_gmt0017.reset(c->st);
	/* application and container handles are gone */
	uint8_t d[4], info[3];
	gt_ids(d, app, cid);
	ck_assert_uint_eq(gt_pin_info(c, app, 1, info), 0x6A88);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x4A, 0, 0, d, 4, GT_NO_LE), 0x6A88);
	app = gt_open_app(c, "APP1");
	gt_ids(d, app, cid);
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x4A, 0, 0, d, 4, GT_NO_LE), 0x6A88);
	/* the user is logged out; persistent data stays */
	ck_assert_uint_eq(gt_create_cont(c, app, "K2", &cid), 0x6982);
	ck_assert_uint_eq(gt_open_cont(c, app, "K1", &cid), 0x9000);
	ck_assert_uint_eq(gt_pin_info(c, app, 1, info), 0x9000);
	ck_assert_uint_eq(info[1], 10);
	gt_free(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vtoken_gmt0017_state");
	TCase *tc = tcase_create("state");
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, roundtrip_is_stable);
	tcase_add_test(tc, every_truncation_rejected);
	tcase_add_test(tc, corrupt_fields_rejected);
	tcase_add_test(tc, blank_card_roundtrip);
	tcase_add_test(tc, reset_forgets_volatile_state);
	suite_add_tcase(s, tc);
	return gt_run(s);
}
