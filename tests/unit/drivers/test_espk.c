/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ENTERSAFE-ESPK layout against a scripted card built from the public
 * description (index 6F01 of 30-byte records, attribute-stream files, key
 * handle in vendor attribute 0x80000100): listing, and the key handle used
 * in the MSE of a signature. Also hostile index records / streams. Case
 * "write": the write operations (espk_write.c) over an in-memory card OS,
 * in both forms (FTCOS: 1-byte kid, attribute-stream containermap, no
 * DELETE FILE; ePass2003: 4-byte A0xx/80xx handles, containermap records,
 * DELETE FILE).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "espk.h"
#include "layout.h"
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

/* What a bind of the FTCOS driver on an ESPK token sends: no PKCS#15
 * application, the ESPK DF, its index and tokeninfo, the serial. */
static void mock_espk_bind(const buf *idx, const buf *ti)
{
	mock_add(&mock, "00 A4 04 00 0C A0 00 00 00 63 50 4B 43 53 2D 31 35 E0", "6A 82");
	mock_add(&mock, "00 A4 00 00 02 3F 00 E0", "6F 04 83 02 3F 00 90 00");
	mock_add(&mock, "00 A4 00 00 02 20 03 E0",
		 "6F 14 83 02 20 03 84 0E 45 4E 54 45 52 53 41 46 45 2D 45 53 50 4B 90 00");
	fci_ef(0x6F01, idx->n);
	read_resp(0, idx, idx->n);
	fci_ef(0x6F02, ti->n);
	read_resp(0, ti, ti->n);
	mock_add(&mock, "80 EA 00 00 08", "11 22 33 44 55 66 77 88 90 00");
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

	mock_espk_bind(&idx, &ti);
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

/* The vendor's public keys carry CKA_VERIFY only: a public key without
 * CKA_ENCRYPT encrypts when its private key decrypts (a key pair's usages
 * agree: OpenSC's p11test usage_test); an explicit CKA_ENCRYPT false, or a
 * private key that does not decrypt, leaves it off. */
START_TEST(test_espk_pair_usage)
{
	buf idx = { .n = 0 }, ti = { .n = 0 }, pub[3], prv[3];
	uint8_t one = 1, zero = 0;
	ukey_objlist l = { 0 };
	unsigned want[3] = { UKEY_USAGE_VERIFY | UKEY_USAGE_ENCRYPT,
			     UKEY_USAGE_VERIFY, UKEY_USAGE_VERIFY };
	int seen = 0;

	index_rec(&idx, 0xFFFF, "", 0);
	attr(&ti, 0x003, "Espk Token", 10);
	for (int k = 0; k < 3; k++) {
		uint8_t id = (uint8_t)(0x10 + k), kid = (uint8_t)(1 + k);
		char name[9];

		pub[k].n = prv[k].n = 0;
		attr_u32(&pub[k], 0x000, 2);
		attr(&pub[k], 0x102, &id, 1);
		attr(&pub[k], 0x10A, &one, 1);        /* CKA_VERIFY */
		if (k == 1)
			attr(&pub[k], 0x104, &zero, 1); /* CKA_ENCRYPT false */
		attr_u32(&prv[k], 0x000, 3);
		attr(&prv[k], 0x102, &id, 1);
		attr(&prv[k], 0x108, &one, 1);        /* CKA_SIGN */
		attr(&prv[k], 0x105, k == 2 ? &zero : &one, 1); /* CKA_DECRYPT */
		attr(&prv[k], 0x80000100u, &kid, 1);
		snprintf(name, sizeof(name), "pubk%04d", k + 1);
		index_rec(&idx, (uint16_t)(0x7101 + k), name, pub[k].n);
		snprintf(name, sizeof(name), "prvk%04d", k + 1);
		index_rec(&idx, (uint16_t)(0x7201 + k), name, prv[k].n);
	}
	index_rec(&idx, 0x6F02, "tokeninfo", ti.n);

	mock_espk_bind(&idx, &ti);
	ck_assert_int_eq(card.drv->bind(&card), UKEY_OK);
	for (int k = 0; k < 3; k++) {
		fci_ef((uint16_t)(0x7101 + k), pub[k].n);
		read_resp(0, &pub[k], pub[k].n);
		fci_ef((uint16_t)(0x7201 + k), prv[k].n);
		read_resp(0, &prv[k], prv[k].n);
	}
	ck_assert_int_eq(card.drv->list_objects(&card, &l), UKEY_OK);
	ck_assert_msg(mock_done(&mock), "%s", mock.last_error);
	ck_assert_uint_eq(l.n, 6);
	for (size_t i = 0; i < l.n; i++) {
		int k = l.v[i].id[0] - 0x10;

		ck_assert(k >= 0 && k < 3);
		if (l.v[i].cls == UKEY_OBJ_PUBKEY) {
			ck_assert_msg(l.v[i].usage == want[k], "public key %d: usage %x, want %x",
				      k, l.v[i].usage, want[k]);
			seen++;
		}
	}
	ck_assert_int_eq(seen, 3);
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
	ck_assert_int_eq(espk_parse_attrs(b.b, b.n, &o, &kh, NULL), -1);
	ukey_object_clear(&o);
	/* a label of 300 bytes is cut, not overflowed */
	b.n = 0;
	attr_u32(&b, 0x000, 2);
	{
		char lab[300];

		memset(lab, 'x', sizeof(lab));
		attr(&b, 0x003, lab, sizeof(lab));
	}
	ck_assert_int_eq(espk_parse_attrs(b.b, b.n, &o, &kh, NULL), 0);
	ck_assert_uint_eq(strlen(o.label), UKEY_LABEL_MAX - 1);
	ukey_object_clear(&o);
	/* no class => not an object */
	b.n = 0;
	attr(&b, 0x003, "x", 1);
	ck_assert_int_eq(espk_parse_attrs(b.b, b.n, &o, &kh, NULL), -1);
	ukey_object_clear(&o);
	/* key handle of 5 bytes */
	b.n = 0;
	attr_u32(&b, 0x000, 3);
	attr(&b, 0x80000100u, "\x01\x02\x03\x04\x05", 5);
	ck_assert_int_eq(espk_parse_attrs(b.b, b.n, &o, &kh, NULL), -1);
	ukey_object_clear(&o);
}
END_TEST

/* ------------------------------------------------ writing, over a memfs */

/* An in-memory card OS (cardfs.h) holding DF 3F00/2003 only: EFs by FID,
 * RSA key records by reference; DELETE FILE on request. */
#define MF_MAX 48
typedef struct {
	uint16_t fid;
	uint8_t *data;
	size_t size;
	int used;
} mf_ef;

static struct {
	mf_ef ef[MF_MAX];
	int cur;            /* current EF, -1 none */
	int in_df;
	unsigned keys[16];  /* key records made (reference) */
	size_t n_keys;
	int can_delete;
	size_t updates;
	unsigned missing;   /* a key reference without a record (6A88) */
	long fail_at;       /* >= 0: UPDATE number fail_at and later fail (pulled) */
} mfs;

static mf_ef *mf_find(uint16_t fid)
{
	for (int i = 0; i < MF_MAX; i++)
		if (mfs.ef[i].used && mfs.ef[i].fid == fid)
			return &mfs.ef[i];
	return NULL;
}

static ukey_rv m_select(void *os, const uint8_t *path, size_t len, ukey_fs_file *out)
{
	(void)os;
	if (len == 4 && !memcmp(path, "\x3F\x00\x20\x03", 4)) {
		mfs.cur = -1;
		mfs.in_df = 1;
		if (out) {
			memset(out, 0, sizeof(*out));
			out->fid = 0x2003;
			out->is_df = 1;
			memcpy(out->name, "ENTERSAFE-ESPK\0\0", 16);
			out->name_len = 16;
		}
		return UKEY_OK;
	}
	if (len != 6 || memcmp(path, "\x3F\x00\x20\x03", 4))
		return UKEY_E_SW_FILE_NOT_FOUND;
	mf_ef *e = mf_find((uint16_t)(path[4] << 8 | path[5]));
	if (!e)
		return UKEY_E_SW_FILE_NOT_FOUND;
	mfs.cur = (int)(e - mfs.ef);
	if (out) {
		memset(out, 0, sizeof(*out));
		out->fid = e->fid;
		out->size = e->size;
	}
	return UKEY_OK;
}

static ukey_rv m_read(void *os, size_t off, uint8_t *out, size_t len, size_t *got)
{
	(void)os;
	if (mfs.cur < 0)
		return UKEY_E_SW_COND_NOT_SAT;
	mf_ef *e = &mfs.ef[mfs.cur];
	*got = 0;
	if (off > e->size)
		return UKEY_E_SW_WRONG_P1P2;
	*got = len < e->size - off ? len : e->size - off;
	memcpy(out, e->data + off, *got);
	return UKEY_OK;
}

static ukey_rv m_update(void *os, size_t off, const uint8_t *in, size_t len)
{
	(void)os;
	if (mfs.cur < 0)
		return UKEY_E_SW_COND_NOT_SAT;
	mf_ef *e = &mfs.ef[mfs.cur];
	if (off + len > e->size)
		return UKEY_E_SW_WRONG_LENGTH;
	if (mfs.fail_at >= 0 && (long)mfs.updates >= mfs.fail_at)
		return UKEY_E_NO_CARD;
	memcpy(e->data + off, in, len);
	mfs.updates++;
	return UKEY_OK;
}

static void mf_put(uint16_t fid, const void *data, size_t len, size_t size)
{
	for (int i = 0; i < MF_MAX; i++)
		if (!mfs.ef[i].used) {
			mfs.ef[i].used = 1;
			mfs.ef[i].fid = fid;
			mfs.ef[i].size = size;
			mfs.ef[i].data = calloc(1, size ? size : 1);
			memcpy(mfs.ef[i].data, data, len);
			return;
		}
	ck_abort_msg("memfs full");
}

static ukey_rv m_create(void *os, const ukey_fs_file *spec)
{
	(void)os;
	ck_assert(mfs.in_df);
	ck_assert_int_eq(spec->ac_read, UKEY_AC_ALWAYS);
	if (mf_find(spec->fid))
		return UKEY_E_SW_FILE_EXISTS;
	mf_put(spec->fid, "", 0, spec->size);
	mfs.cur = (int)(mf_find(spec->fid) - mfs.ef);
	return UKEY_OK;
}

static ukey_rv m_delete(void *os, const uint8_t *path, size_t len)
{
	(void)os;
	ck_assert_uint_eq(len, 6);
	mf_ef *e = mf_find((uint16_t)(path[4] << 8 | path[5]));
	if (!e)
		return UKEY_E_SW_FILE_NOT_FOUND;
	free(e->data);
	memset(e, 0, sizeof(*e));
	mfs.cur = -1;
	return UKEY_OK;
}

static ukey_rv m_key_create(void *os, unsigned key, const ukey_fs_keyspec *ks)
{
	(void)os;
	ck_assert(mfs.in_df);
	ck_assert_uint_eq(ks->bits, 1024);
	ck_assert_uint_lt(mfs.n_keys, 16);
	if (key == mfs.missing)
		return UKEY_E_SW_REF_NOT_FOUND;
	mfs.keys[mfs.n_keys++] = key;
	return UKEY_OK;
}

/* the public key of record k: a modulus made from k */
static ukey_rv m_key_pub(void *os, unsigned key, uint8_t **n, size_t *nlen,
			 uint8_t **e, size_t *elen)
{
	(void)os;
	*n = malloc(128);
	*e = malloc(3);
	memset(*n, (int)(0x80 | (key & 0x7F)), 128);
	(*n)[127] = (uint8_t)(key >> 8);
	memcpy(*e, "\x01\x00\x01", 3);
	*nlen = 128;
	*elen = 3;
	return UKEY_OK;
}

static ukey_cardfs_ops mops = {
	.name = "memfs",
	.select_path = m_select,
	.read = m_read,
	.update = m_update,
	.create_ef = m_create,
	.delete_file = NULL,
	.key_create = m_key_create,
	.key_read_public = m_key_pub,
	.pin_stored_len = 16,
	.pin_ref_user = 1,
	.pin_ref_so = 2,
	.key_ref_min = 1,
	.key_ref_max = 9,
};

static void rec30(buf *b, uint16_t fid, const char *dir, const char *name,
		  uint8_t acl, size_t used, size_t alloc)
{
	uint8_t r[30];

	memset(r, 0, sizeof(r));
	r[0] = (uint8_t)fid;
	r[1] = (uint8_t)(fid >> 8);
	memcpy(r + 2, dir, strlen(dir));
	memcpy(r + 12, name, strlen(name));
	r[25] = acl;
	r[26] = (uint8_t)used;
	r[27] = (uint8_t)(used >> 8);
	r[28] = (uint8_t)alloc;
	r[29] = (uint8_t)(alloc >> 8);
	put(b, r, 30);
}

/* A token in form hw (1: FTCOS, 4: ePass2003) with one key pair (handle
 * 1 / A020, modulus of record 1 / A020) and its certificate. */
static void mf_token(unsigned hw)
{
	buf idx = { .n = 0 }, ti = { .n = 0 }, cm = { .n = 0 }, cmf = { .n = 0 },
	    crt = { .n = 0 }, pk = { .n = 0 }, sk = { .n = 0 };
	static const uint8_t id[4] = { 1, 2, 3, 4 }, der[5] = { 0x30, 0x03, 0x02, 0x01, 0x07 };
	unsigned hp = hw == 1 ? 1 : 0xA020, hu = hw == 1 ? 1 : 0x8020;
	uint8_t *n, *e, one = 1, k1 = 1;
	size_t nl, el;
	const char *d1 = hw == 1 ? "ESPK" : "tkinfdir", *d2 = hw == 1 ? "ESPK" : "internal";
	uint16_t fc = hw == 1 ? 0x7001 : 0x2401, fp = fc + 0x100, fs = fc + 0x200;

	for (int i = 0; i < MF_MAX; i++)
		free(mfs.ef[i].data);
	memset(&mfs, 0, sizeof(mfs));
	mfs.cur = -1;
	mfs.fail_at = -1;
	m_key_pub(NULL, hp, &n, &nl, &e, &el);
	if (hw == 1) {
		attr(&ti, 0x003, "mem token", 9);
		attr(&ti, 0x082, "0102030405060708", 16);
		attr(&cm, 0x003, "c1", 2);
		attr(&cm, 0x102, id, 4);
		attr(&cm, 0x80000100u, &k1, 1);
	} else {
		char t[81];

		snprintf(t, sizeof(t), "%-32s%-32s%s", "mem token", "EnterSafe", "0102030405060708");
		put(&ti, t, 80);
		put(&cm, "\x01", 1);
		for (int i = 1; i < 32; i++)
			put(&cm, "", 1);
		{
			uint8_t r[24] = { 0x20, 0xA0, 0, 0, 0x20, 0x80 };

			put(&cm, r, 24);
		}
	}
	{
		uint8_t r[86] = { 'c', 0, '1', 0 };

		r[80] = 3;
		r[84] = 0x00;
		r[85] = 0x04;
		put(&cmf, r, 86);
	}
	attr_u32(&crt, 0x000, 1);
	attr(&crt, 0x003, "c1", 2);
	attr(&crt, 0x102, id, 4);
	attr(&crt, 0x011, der, 5);
	for (int priv = 0; priv < 2; priv++) {
		buf *b = priv ? &sk : &pk;
		uint8_t m[129] = { 0 };

		attr_u32(b, 0x000, priv ? 3 : 2);
		attr(b, 0x003, "c1", 2);
		attr(b, 0x102, id, 4);
		memcpy(m + 1, n, 128);
		attr(b, 0x120, hw == 4 ? m : m + 1, hw == 4 ? 129 : 128);
		attr(b, 0x122, e, 3);
		attr(b, priv ? 0x108 : 0x10A, &one, 1);
		if (hw == 1)
			attr(b, 0x80000100u, &k1, 1);
		else
			attr_u32(b, 0x80000100u, priv ? hp : hu);
	}
	free(n);
	free(e);
	rec30(&idx, 0xFFFF, d1, "", 0x10, 0, 0);
	rec30(&idx, 0x6F02, d1, "tokeninfo", 0x10, ti.n, ti.n);
	if (hw == 4)
		rec30(&idx, 0xFFFF, d2, "", 0x10, 0, 0);
	rec30(&idx, 0x6F04, d2, "containermap", 0x10, cm.n, 256);
	rec30(&idx, 0x6F05, d2, "cmapfile", 0x10, cmf.n, 86 * 4);
	if (hw == 4)
		rec30(&idx, 0xFFFF, "ESPK", "", 0x00, 0, 0);
	rec30(&idx, fc, "ESPK", "cert0001", 0x00, crt.n, crt.n);
	rec30(&idx, fp, "ESPK", "pubk0001", 0x00, pk.n, pk.n);
	rec30(&idx, fs, "ESPK", "prvk0001", 0x00, sk.n, sk.n);
	mf_put(0x6F01, idx.b, idx.n, 30 * 16);
	mf_put(0x6F02, ti.b, ti.n, ti.n);
	mf_put(0x6F04, cm.b, cm.n, 256);
	mf_put(0x6F05, cmf.b, cmf.n, 86 * 4);
	mf_put(fc, crt.b, crt.n, crt.n);
	mf_put(fp, pk.b, pk.n, pk.n);
	mf_put(fs, sk.b, sk.n, sk.n);
	(void)hu;
}

static const ukey_object *find_cls(const ukey_objlist *l, ukey_obj_class c,
				   const uint8_t *id, size_t idlen)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].cls == c && (!id || (l->v[i].id_len == idlen &&
						 !memcmp(l->v[i].id, id, idlen))))
			return &l->v[i];
	return NULL;
}

static void mf_bind(ukey_layout *l, ukey_profile *p)
{
	char err[128];
	static const char text[] = "name = m\ndriver = none\natr = 3B 00\n"
				   "layout = entersafe-espk\n";
	ukey_cardfs fs = { &mops, &mfs, 0 };

	ck_assert_int_eq(ukey_profile_parse(text, strlen(text), "m", p, err,
					    sizeof(err)), UKEY_OK);
	ck_assert_int_eq(ukey_layout_bind(l, &fs, p), UKEY_OK);
	ck_assert_ptr_eq(l->ops, &ukey_layout_espk);
}

/* Rekey and renewal in the token's own form: key pair, certificate,
 * deletion of the old objects; index, containermap and cmapfile as the
 * vendor keeps them; label update. */
static void write_flow(unsigned hw, int can_delete)
{
	static ukey_profile p;
	ukey_layout l;
	ukey_objlist ls = { 0 };
	ukey_keygen_params kp;
	ukey_object pub, priv, cert, *old[3], gone;
	static const uint8_t oid[4] = { 1, 2, 3, 4 }, der[5] = { 0x30, 0x03, 0x02, 0x01, 0x09 };
	unsigned ref = 0;
	uint8_t df[UKEY_FS_PATH_MAX];
	size_t dfl = 0;
	mf_ef *e;

	mf_token(hw);
	mops.delete_file = can_delete ? m_delete : NULL;
	mf_bind(&l, &p);
	ck_assert_str_eq(l.label, "mem token");
	ck_assert_str_eq(l.serial, "0102030405060708");
	ck_assert_int_eq(l.ops->list(&l, 0, &ls), UKEY_OK);
	ck_assert_uint_eq(ls.n, 3);
	ck_assert_int_eq(l.ops->key_ref(&l, find_cls(&ls, UKEY_OBJ_PRIVKEY, NULL, 0), &ref,
					df, &dfl), UKEY_OK);
	ck_assert_uint_eq(ref, hw == 1 ? 1 : 0xA020);
	ck_assert_uint_eq(find_cls(&ls, UKEY_OBJ_PRIVKEY, NULL, 0)->key_bits, 1024);

	/* a new key pair: next handle (FTCOS: kid 2 has no record, kid 3),
	 * pubk0002 / prvk0002, a container */
	mfs.missing = hw == 1 ? 2 : 0;
	memset(&kp, 0, sizeof(kp));
	kp.bits = 1024;
	strcpy(kp.label, "renewed");
	memset(&pub, 0, sizeof(pub));
	memset(&priv, 0, sizeof(priv));
	ck_assert_int_eq(l.ops->generate_rsa(&l, &kp, &pub, &priv), UKEY_OK);
	ck_assert_uint_eq(mfs.n_keys, 1);
	ck_assert_uint_eq(mfs.keys[0], hw == 1 ? 3 : 0xA040);
	ck_assert_int_eq(l.ops->key_ref(&l, &priv, &ref, df, &dfl), UKEY_OK);
	ck_assert_uint_eq(ref, hw == 1 ? 3 : 0xA040);
	ck_assert_uint_eq(priv.id_len, 20); /* SHA-1 of the modulus */
	ck_assert_uint_eq(priv.key_bits, 1024);
	ck_assert_ptr_nonnull(mf_find(hw == 1 ? 0x7102 : 0x2502));
	ck_assert_ptr_nonnull(mf_find(hw == 1 ? 0x7202 : 0x2602));
	e = mf_find(0x6F05);
	ck_assert_uint_eq(e->data[86 + 80], 0x01); /* valid, not the default */
	e = mf_find(0x6F04);
	if (hw == 4) {
		ck_assert_uint_eq(e->data[0], 2);
		ck_assert_mem_eq(e->data + 56, "\x40\xA0\x00\x00\x40\x80\x00\x00", 8);
	}
	/* the certificate for it */
	memset(&cert, 0, sizeof(cert));
	cert.cls = UKEY_OBJ_CERT;
	strcpy(cert.label, "renewed");
	memcpy(cert.id, priv.id, priv.id_len);
	cert.id_len = priv.id_len;
	cert.value = (uint8_t *)der;
	cert.value_len = sizeof(der);
	ck_assert_int_eq(l.ops->write_object(&l, &cert), UKEY_OK);
	ck_assert_ptr_nonnull(mf_find(hw == 1 ? 0x7002 : 0x2402));
	cert.value = NULL;

	/* the old objects go: certificate, private key (its container
	 * first), public key */
	ukey_objlist_clear(&ls);
	ck_assert_int_eq(l.ops->list(&l, 0, &ls), UKEY_OK);
	ck_assert_uint_eq(ls.n, 6);
	old[0] = (ukey_object *)find_cls(&ls, UKEY_OBJ_CERT, oid, 4);
	old[1] = (ukey_object *)find_cls(&ls, UKEY_OBJ_PRIVKEY, oid, 4);
	old[2] = (ukey_object *)find_cls(&ls, UKEY_OBJ_PUBKEY, oid, 4);
	for (int i = 0; i < 3; i++) {
		ck_assert_ptr_nonnull(old[i]);
		ck_assert_int_eq(l.ops->delete_object(&l, old[i]), UKEY_OK);
	}
	memset(&gone, 0, sizeof(gone));
	gone.cls = UKEY_OBJ_CERT;
	memcpy(gone.drv_ref, old[0]->drv_ref, old[0]->drv_ref_len);
	gone.drv_ref_len = old[0]->drv_ref_len;
	/* the file is gone, or kept zeroed when the card cannot delete */
	e = mf_find(hw == 1 ? 0x7001 : 0x2401);
	if (can_delete) {
		ck_assert_ptr_null(e);
	} else {
		ck_assert_ptr_nonnull(e);
		ck_assert_uint_eq(e->data[0] | e->data[4] | e->data[8], 0);
	}
	/* a deleted object is not found again */
	ck_assert_int_eq(l.ops->delete_object(&l, &gone), UKEY_E_SW_FILE_NOT_FOUND);
	ukey_objlist_clear(&ls);
	ck_assert_int_eq(l.ops->list(&l, 0, &ls), UKEY_OK);
	ck_assert_uint_eq(ls.n, 3);
	ck_assert_ptr_nonnull(find_cls(&ls, UKEY_OBJ_CERT, priv.id, priv.id_len));
	ck_assert_str_eq(find_cls(&ls, UKEY_OBJ_PRIVKEY, priv.id, priv.id_len)->label, "renewed");
	/* one container, the new one, now the default */
	e = mf_find(0x6F05);
	ck_assert_uint_eq(e->data[0], 'u');
	ck_assert_uint_eq(e->data[80], 0x03);
	e = mf_find(0x6F04);
	if (hw == 4) {
		ck_assert_uint_eq(e->data[0], 1);
		ck_assert_mem_eq(e->data + 32, "\x40\xA0\x00\x00\x40\x80\x00\x00", 8);
	} else {
		ck_assert_mem_eq(e->data + 8, "ukey-container-0002", 19);
	}
	{
		/* the index: cmapfile used 86, containermap record in place */
		mf_ef *ix = mf_find(0x6F01);
		int seen = 0;

		for (size_t off = 0; off < ix->size; off += 30)
			if (!memcmp(ix->data + off + 12, "cmapfile", 8)) {
				ck_assert_uint_eq(ix->data[off + 26] | ix->data[off + 27] << 8, 86);
				seen = 1;
			}
		ck_assert(seen);
	}
	/* relabel the certificate */
	strcpy(cert.label, "a longer label than before");
	ck_assert_int_eq(l.ops->update_object(&l, &cert), UKEY_OK);
	ukey_objlist_clear(&ls);
	ck_assert_int_eq(l.ops->list(&l, UKEY_OBJ_CERT, &ls), UKEY_OK);
	ck_assert_uint_eq(ls.n, 1);
	ck_assert_str_eq(ls.v[0].label, "a longer label than before");
	ck_assert_uint_eq(ls.v[0].value_len, sizeof(der));

	/* a second key pair reuses what was freed (FTCOS: kid 1) */
	mfs.n_keys = 0;
	ukey_object_clear(&pub);
	ukey_object_clear(&priv);
	ck_assert_int_eq(l.ops->generate_rsa(&l, &kp, &pub, &priv), UKEY_OK);
	ck_assert_uint_eq(mfs.keys[0], hw == 1 ? 1 : 0xA020);
	ukey_object_clear(&pub);
	ukey_object_clear(&priv);
	ukey_object_clear(&cert);
	ukey_objlist_clear(&ls);
	ukey_layout_free(&l);
}

/* Used size of index file `name` (the record's bytes 26..27). */
static size_t used_of(const char *name)
{
	mf_ef *ix = mf_find(0x6F01);

	for (size_t off = 0; off + 30 <= ix->size; off += 30)
		if (!memcmp(ix->data + off + 12, name, strlen(name) + 1))
			return ix->data[off + 26] | (size_t)ix->data[off + 27] << 8;
	ck_abort_msg("no index record %s", name);
	return 0;
}

/* Containers of the containermap: ePass2003 its count (every record
 * naming a key), FTCOS its key-handle attributes. */
static size_t containers(unsigned hw)
{
	mf_ef *cm = mf_find(0x6F04);
	size_t used = used_of("containermap"), n = 0, p = 0;

	if (hw == 4) {
		n = cm->data[0];
		for (size_t i = 0; i < n; i++)
			ck_assert_msg(cm->data[32 + 24 * i] | cm->data[33 + 24 * i],
				      "container %zu names no key", i);
		return n;
	}
	while (p + 8 <= used) {
		uint32_t t = cm->data[p] | (uint32_t)cm->data[p + 1] << 8 |
			     (uint32_t)cm->data[p + 2] << 16 | (uint32_t)cm->data[p + 3] << 24;
		uint32_t l = cm->data[p + 4] | (uint32_t)cm->data[p + 5] << 8;

		if (t == 0 && l == 0)
			break;
		n += t == 0x80000100u;
		p += 8 + l;
	}
	return n;
}

/* A container change stopped at every UPDATE BINARY (the token pulled),
 * then done again by a fresh bind (the rerun of a new process): the
 * cmapfile ends with one VALID record per container, the containermap
 * names only keys (espk_write.c cmapfile_repair). Removal of the old
 * pair's container, and the addition of a new pair's. */
static void torn_flow(unsigned hw)
{
	static ukey_profile p;
	static const uint8_t oid[4] = { 1, 2, 3, 4 };
	int finished[2] = { 0, 0 };

	for (int add = 0; add < 2; add++)
		for (long k = 0; !finished[add] && k < 40; k++) {
			ukey_layout l;
			ukey_objlist ls = { 0 };
			ukey_keygen_params kp;
			ukey_object pub, priv;
			ukey_rv rv;

			mf_token(hw);
			mops.delete_file = hw == 4 ? m_delete : NULL;
			mfs.missing = 0;
			memset(&kp, 0, sizeof(kp));
			kp.bits = 1024;
			strcpy(kp.label, "renewed");
			memset(&pub, 0, sizeof(pub));
			memset(&priv, 0, sizeof(priv));
			mf_bind(&l, &p);
			if (!add)
				ck_assert_int_eq(l.ops->generate_rsa(&l, &kp, &pub, &priv), UKEY_OK);
			ck_assert_int_eq(l.ops->list(&l, 0, &ls), UKEY_OK);
			mfs.fail_at = (long)mfs.updates + k;
			if (add)
				rv = l.ops->generate_rsa(&l, &kp, &pub, &priv);
			else
				rv = l.ops->delete_object(&l, find_cls(&ls, UKEY_OBJ_PRIVKEY, oid, 4));
			mfs.fail_at = -1;
			finished[add] = rv == UKEY_OK;
			ukey_object_clear(&pub);
			ukey_object_clear(&priv);
			ukey_objlist_clear(&ls);
			ukey_layout_free(&l);
			/* the rerun: a fresh bind; removal is done again,
			 * an add is not (the job makes a new pair) */
			mf_bind(&l, &p);
			ck_assert_int_eq(l.ops->list(&l, 0, &ls), UKEY_OK);
			if (!add && find_cls(&ls, UKEY_OBJ_PRIVKEY, oid, 4))
				ck_assert_int_eq(l.ops->delete_object(&l, find_cls(&ls, UKEY_OBJ_PRIVKEY,
										   oid, 4)), UKEY_OK);
			if (add) {
				memset(&pub, 0, sizeof(pub));
				memset(&priv, 0, sizeof(priv));
				strcpy(kp.label, "again");
				ck_assert_int_eq(l.ops->generate_rsa(&l, &kp, &pub, &priv), UKEY_OK);
				ukey_object_clear(&pub);
				ukey_object_clear(&priv);
			}
			{
				size_t n = containers(hw), u = used_of("cmapfile");
				mf_ef *cf = mf_find(0x6F05);

				ck_assert_msg(u == 86 * n, "%s stopped at update %ld: %zu cmapfile bytes for %zu containers",
					      add ? "add" : "removal", k, u, n);
				for (size_t i = 0; i < n; i++)
					ck_assert_msg(cf->data[86 * i + 80] & 0x01,
						      "%s stopped at update %ld: cmapfile record %zu not valid",
						      add ? "add" : "removal", k, i);
			}
			ukey_objlist_clear(&ls);
			ukey_layout_free(&l);
		}
	ck_assert_msg(finished[0] && finished[1], "the changes never finished");
}

START_TEST(test_espk_torn_ftcos)
{
	torn_flow(1);
}
END_TEST

START_TEST(test_espk_torn_epass2003)
{
	torn_flow(4);
}
END_TEST

START_TEST(test_espk_write_ftcos)
{
	write_flow(1, 0);
}
END_TEST

START_TEST(test_espk_write_epass2003)
{
	write_flow(4, 1);
}
END_TEST

START_TEST(test_espk_write_full_index)
{
	static ukey_profile p;
	ukey_layout l;
	ukey_object cert;
	static const uint8_t der[5] = { 0x30, 0x03, 0x02, 0x01, 0x09 };
	mf_ef *ix;
	size_t before;

	mf_token(1);
	mops.delete_file = NULL;
	/* an index with no free record left */
	ix = mf_find(0x6F01);
	ix->size = 30 * 7;
	mf_bind(&l, &p);
	memset(&cert, 0, sizeof(cert));
	cert.cls = UKEY_OBJ_CERT;
	cert.value = (uint8_t *)der;
	cert.value_len = sizeof(der);
	before = mfs.updates;
	ck_assert_int_eq(l.ops->write_object(&l, &cert), UKEY_E_SW_NOT_ENOUGH_SPACE);
	/* the file was written, the index not touched */
	ck_assert_uint_eq(mfs.updates, before + 1);
	/* data objects: not in this layout */
	cert.cls = UKEY_OBJ_DATA;
	ck_assert_int_eq(l.ops->write_object(&l, &cert), UKEY_E_SW_FUNC_NOT_SUPPORTED);
	ukey_layout_free(&l);
}
END_TEST

/* ePass2003 form: 4-byte handles, the key reference is the handle. */
START_TEST(test_espk_handles)
{
	ukey_object o;
	uint32_t kh;
	unsigned hw, ref;
	buf b = { .n = 0 };

	attr_u32(&b, 0x000, 3);
	attr_u32(&b, 0x80000100u, 0xA020);
	memset(&o, 0, sizeof(o));
	ck_assert_int_eq(espk_parse_attrs(b.b, b.n, &o, &kh, &hw), 0);
	ck_assert_uint_eq(kh, 0xA020);
	ck_assert_uint_eq(hw, 4);
	ukey_object_clear(&o);
	/* beyond 16 bits, and 2-byte handles: refused */
	b.n = 0;
	attr_u32(&b, 0x000, 3);
	attr_u32(&b, 0x80000100u, 0x1A020);
	ck_assert_int_eq(espk_parse_attrs(b.b, b.n, &o, &kh, &hw), -1);
	ukey_object_clear(&o);
	b.n = 0;
	attr_u32(&b, 0x000, 3);
	attr(&b, 0x80000100u, "\x20\xA0", 2);
	ck_assert_int_eq(espk_parse_attrs(b.b, b.n, &o, &kh, &hw), -1);
	ukey_object_clear(&o);
	/* key_ref: a public key or a stale reference is not a key */
	memset(&o, 0, sizeof(o));
	o.cls = UKEY_OBJ_PRIVKEY;
	memcpy(o.drv_ref, "E\x03\x04\xA0\x20\x26\x01", 7);
	o.drv_ref_len = 7;
	ck_assert_int_eq(espk_key_ref(&o, &ref), UKEY_OK);
	ck_assert_uint_eq(ref, 0xA020);
	o.drv_ref[2] = 1; /* a one-byte kid cannot be A020 */
	ck_assert_int_eq(espk_key_ref(&o, &ref), UKEY_E_ARGS);
	o.drv_ref[2] = 4;
	o.drv_ref[1] = UKEY_OBJ_PUBKEY;
	ck_assert_int_eq(espk_key_ref(&o, &ref), UKEY_E_ARGS);
	o.drv_ref[1] = UKEY_OBJ_PRIVKEY;
	o.drv_ref_len = 5;
	ck_assert_int_eq(espk_key_ref(&o, &ref), UKEY_E_ARGS);
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
	tcase_add_test(tc, test_espk_pair_usage);
	tcase_add_test(tc, test_espk_hostile);
	suite_add_tcase(s, tc);
	tc = tcase_create("write");
	tcase_add_test(tc, test_espk_write_ftcos);
	tcase_add_test(tc, test_espk_write_epass2003);
	tcase_add_test(tc, test_espk_torn_ftcos);
	tcase_add_test(tc, test_espk_torn_epass2003);
	tcase_add_test(tc, test_espk_write_full_index);
	tcase_add_test(tc, test_espk_handles);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
