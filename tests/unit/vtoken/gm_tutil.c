/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Test helpers for the GM/T 0017 virtual card OS (see gm_tutil.h). */
#include <stdlib.h>
#include <string.h>

#include "gm_tcrypto.h"
#include "gm_tutil.h"

const uint8_t gt_devkey[16] = "1234567812345678";

gt_card *gt_new(void)
{
	gt_card *c = calloc(1, sizeof(*c));
	ck_assert_ptr_nonnull(c);
	c->st = vt_os_gmt0017.create();
	ck_assert_ptr_nonnull(c->st);
	return c;
}

void gt_free(gt_card *c)
{
	if (!c)
		return;
	vt_t0_clear(&c->t0);
	vt_os_gmt0017.destroy(c->st);
	free(c);
}

void gt_reload(gt_card *c)
{
	vt_buf b = {0};
	ck_assert_int_eq(vt_os_gmt0017.save(c->st, &b), 0);
	vt_os_gmt0017.destroy(c->st);
	c->st = vt_os_gmt0017.load(b.p, b.len);
	vt_buf_free(&b);
	ck_assert_ptr_nonnull(c->st);
	vt_t0_clear(&c->t0);
}

gt_card *gt_new_init(unsigned key_bits)
{
	gt_card *c = gt_new();
	vt_init_params p = {0};
	p.label = "Test Token";
	p.user_pin = "123456";
	p.so_pin = "12345678";
	p.key_bits = key_bits;
	p.days_left = 30;
	p.days_valid = 365;
	p.subject_cn = "ukey unit test";
	p.serial = "WD0123456789";
	ck_assert_int_eq(vt_os_gmt0017.init(c->st, &p), 0);
	return c;
}

unsigned gt_raw(gt_card *c, const uint8_t *cmd, size_t len)
{
	size_t n = vt_os_gmt0017.apdu(c->st, cmd, len, c->rsp, &c->dirty);
	ck_assert_uint_ge(n, 2);
	ck_assert_uint_le(n, VT_RSP_MAX);
	c->len = n - 2;
	c->sw = (unsigned)c->rsp[n - 2] << 8 | c->rsp[n - 1];
	return c->sw;
}

static size_t gt_build(uint8_t *cmd, uint8_t cla, uint8_t ins, uint8_t p1,
		       uint8_t p2, const void *data, size_t lc, int le)
{
	size_t n = 0;
	ck_assert_uint_le(lc, 255);
	cmd[n++] = cla;
	cmd[n++] = ins;
	cmd[n++] = p1;
	cmd[n++] = p2;
	if (lc) {
		cmd[n++] = (uint8_t)lc;
		memcpy(cmd + n, data, lc);
		n += lc;
	}
	if (le != GT_NO_LE)
		cmd[n++] = (uint8_t)(le & 0xFF);
	return n;
}

unsigned gt_apdu(gt_card *c, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2,
		 const void *data, size_t lc, int le)
{
	uint8_t cmd[4 + 1 + 255 + 1];
	size_t n = gt_build(cmd, cla, ins, p1, p2, data, lc, le);
	return gt_raw(c, cmd, n);
}

unsigned gt_apdu_t0(gt_card *c, uint8_t cla, uint8_t ins, uint8_t p1,
		    uint8_t p2, const void *data, size_t lc, int le,
		    int *pieces)
{
	static uint8_t all[VT_RSP_MAX];
	uint8_t cmd[4 + 1 + 255 + 1];
	size_t total = 0;
	size_t n = gt_build(cmd, cla, ins, p1, p2, data, lc, le);
	*pieces = 0;
	for (;;) {
		size_t r = vt_t0_apdu(&c->t0, &vt_os_gmt0017, c->st, cmd, n,
				      c->rsp, &c->dirty);
		ck_assert_uint_ge(r, 2);
		ck_assert_uint_le(r - 2, 256); /* T=0: never more per piece */
		(*pieces)++;
		ck_assert_int_lt(*pieces, 300);
		memcpy(all + total, c->rsp, r - 2);
		total += r - 2;
		c->sw = (unsigned)c->rsp[r - 2] << 8 | c->rsp[r - 1];
		if ((c->sw >> 8) != 0x61)
			break;
		/* GET RESPONSE, Le = SW2 (00 = 256) */
		n = gt_build(cmd, 0x00, 0xC0, 0, 0, NULL, 0, (int)(c->sw & 0xFF));
	}
	memcpy(c->rsp, all, total);
	c->len = total;
	return c->sw;
}




void gt_challenge(gt_card *c, uint8_t chal[8])
{
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x50, 0, 0, NULL, 0, 8), 0x9000);
	ck_assert_uint_eq(c->len, 8);
	memcpy(chal, c->rsp, 8);
}


unsigned gt_dev_auth(gt_card *c, const uint8_t key[16])
{
	uint8_t chal[8], crypt[16];
	gt_challenge(c, chal);
	gt_cryptogram(key, chal, 0, crypt);
	return gt_apdu(c, 0x80, 0x10, 0, 0, crypt, 16, GT_NO_LE);
}

unsigned gt_create_app(gt_card *c, const char *name, const char *admin,
		       const char *user, uint8_t retries, uint32_t rights)
{
	uint8_t d[255];
	size_t n = 0, nl = strlen(name);
	d[n++] = (uint8_t)nl;
	memcpy(d + n, name, nl);
	n += nl;
	d[n++] = retries;
	d[n++] = retries;
	d[n++] = (uint8_t)(rights >> 24);
	d[n++] = (uint8_t)(rights >> 16);
	d[n++] = (uint8_t)(rights >> 8);
	d[n++] = (uint8_t)rights;
	gt_pin_block(gt_devkey, admin, d + n);
	n += 48;
	gt_pin_block(gt_devkey, user, d + n);
	n += 48;
	return gt_apdu(c, 0x80, 0x20, 0, 0, d, n, GT_NO_LE);
}

uint16_t gt_open_app(gt_card *c, const char *name)
{
	ck_assert_uint_eq(gt_apdu(c, 0x80, 0x26, 0, 0, name, strlen(name),
				  GT_NO_LE), 0x9000);
	ck_assert_uint_eq(c->len, 10);
	return (uint16_t)(c->rsp[8] << 8 | c->rsp[9]);
}

size_t gt_ids(uint8_t *out, uint16_t app, int cid)
{
	out[0] = (uint8_t)(app >> 8);
	out[1] = (uint8_t)app;
	if (cid < 0)
		return 2;
	out[2] = (uint8_t)(cid >> 8);
	out[3] = (uint8_t)cid;
	return 4;
}

unsigned gt_verify(gt_card *c, uint16_t app, int type, const char *pin)
{
	uint8_t chal[8], key[16], d[18];
	gt_challenge(c, chal);
	gt_pin_key(pin, key);
	gt_ids(d, app, -1);
	gt_cryptogram(key, chal, 1, d + 2);
	return gt_apdu(c, 0x80, 0x18, 0, (uint8_t)type, d, sizeof(d), GT_NO_LE);
}

unsigned gt_change_pin(gt_card *c, uint16_t app, int type, const char *old,
		       const char *newpin)
{
	uint8_t chal[8], key[16], d[66];
	gt_challenge(c, chal);
	gt_pin_key(old, key);
	gt_ids(d, app, -1);
	gt_cryptogram(key, chal, 1, d + 2);
	gt_pin_block(key, newpin, d + 18);
	return gt_apdu(c, 0x80, 0x16, 0, (uint8_t)type, d, sizeof(d), GT_NO_LE);
}

unsigned gt_unblock(gt_card *c, uint16_t app, const char *admin,
		    const char *newuser)
{
	uint8_t chal[8], key[16], d[66];
	gt_challenge(c, chal);
	gt_pin_key(admin, key);
	gt_ids(d, app, -1);
	gt_cryptogram(key, chal, 1, d + 2);
	gt_pin_block(key, newuser, d + 18);
	return gt_apdu(c, 0x80, 0x1A, 0, 0, d, sizeof(d), GT_NO_LE);
}

unsigned gt_pin_info(gt_card *c, uint16_t app, int type, uint8_t info[3])
{
	uint8_t d[2];
	gt_ids(d, app, -1);
	unsigned sw = gt_apdu(c, 0x80, 0x14, 0, (uint8_t)type, d, 2, GT_NO_LE);
	if (sw == 0x9000) {
		ck_assert_uint_eq(c->len, 3);
		memcpy(info, c->rsp, 3);
	}
	return sw;
}

static unsigned gt_cont_cmd(gt_card *c, uint8_t ins, uint16_t app,
			    const char *name, uint16_t *cid)
{
	uint8_t d[255];
	size_t n = gt_ids(d, app, -1), nl = strlen(name);
	memcpy(d + n, name, nl);
	unsigned sw = gt_apdu(c, 0x80, ins, 0, 0, d, n + nl, GT_NO_LE);
	if (sw == 0x9000) {
		ck_assert_uint_eq(c->len, 2);
		*cid = (uint16_t)(c->rsp[0] << 8 | c->rsp[1]);
	}
	return sw;
}

unsigned gt_create_cont(gt_card *c, uint16_t app, const char *name,
			uint16_t *cid)
{
	return gt_cont_cmd(c, 0x40, app, name, cid);
}

unsigned gt_open_cont(gt_card *c, uint16_t app, const char *name,
		      uint16_t *cid)
{
	return gt_cont_cmd(c, 0x42, app, name, cid);
}

unsigned gt_chained(gt_card *c, uint8_t ins, uint8_t flags, uint16_t app,
		    uint16_t cid, const uint8_t *data, size_t len, size_t chunk)
{
	uint8_t d[255];
	size_t off = 0;
	unsigned seq = 0, sw;
	ck_assert_uint_le(chunk, 251);
	do {
		size_t part = len - off < chunk ? len - off : chunk;
		int more = off + part < len;
		size_t n = gt_ids(d, app, cid);
		memcpy(d + n, data + off, part);
		sw = gt_apdu(c, 0x80, ins, (uint8_t)(flags | (more ? 0x80 : 0)),
			     (uint8_t)seq, d, n + part, GT_NO_LE);
		off += part;
		seq++;
		if (more && sw != 0x9000)
			return sw;
		if (more)
			ck_assert_uint_eq(c->len, 0);
	} while (off < len);
	return sw;
}

gt_card *gt_new_app(uint16_t *app)
{
	gt_card *c = gt_new();
	ck_assert_uint_eq(gt_dev_auth(c, gt_devkey), 0x9000);
	ck_assert_uint_eq(gt_create_app(c, "APP1", "87654321", "111111", 10,
					0x10), 0x9000);
	*app = gt_open_app(c, "APP1");
	return c;
}




void gt_sm4_ecb(const uint8_t key[16], const uint8_t *in, size_t len,
		uint8_t *out, int enc)
{
	ck_assert_int_eq(tc_sm4_ecb(key, in, len, out, enc), 0);
}

void gt_pin_key(const char *pin, uint8_t key[16]) { tc_pin_key(pin, key); }

void gt_pin_block(const uint8_t key[16], const char *pin, uint8_t out[48])
{
	ck_assert_int_eq(tc_pin_block(key, pin, out), 0);
}

void gt_cryptogram(const uint8_t key[16], const uint8_t chal[8], int pin,
		   uint8_t out[16])
{
	ck_assert_int_eq(tc_cryptogram(key, chal, pin, out), 0);
}

EVP_PKEY *gt_blob_to_pkey(const uint8_t *blob)
{
	EVP_PKEY *pk = tc_blob_to_pkey(blob);
	ck_assert_ptr_nonnull(pk);
	return pk;
}

void gt_pkcs1_block(const uint8_t *msg, size_t len, uint8_t *block, size_t k)
{
	ck_assert_int_eq(tc_pkcs1_block(msg, len, block, k), 0);
}

int gt_verify_sig(EVP_PKEY *pub, const uint8_t *msg, size_t len,
		  const uint8_t *sig, size_t siglen)
{
	return tc_verify_sig(pub, msg, len, sig, siglen);
}

int gt_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
