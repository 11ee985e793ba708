/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PKCS#15 writes in the right order, on the token of the reference trace:
 * a new certificate file is created, written and read back BEFORE its CDF
 * entry is appended (only the new bytes); a delete removes the directory
 * entry first, then zeroes the file. Each change ends, as with OpenSC, by
 * rewriting TokenInfo's lastUpdate.
 *
 * And the layouts over a card OS that is not FTCOS (case "cardfs"): an
 * in-memory card file system (cardfs.h) with other PIN facts, key
 * references and a DELETE FILE; PKCS#15 bound, written, keys generated
 * and deleted through it alone, and the layout chosen in the profile's
 * order (layout.h).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "layout.h"
#include "mock_card.h"
#include "pkcs15.h"
#include "pkcs15_asn1.h"

static mock_card mock;
static ukey_card card;
static ukey_profile prof;

static void setup(void)
{
	ck_assert_int_eq(mock_load_profile("ftcos-pk01c.profile", &prof), 0);
	mock_init(&mock);
	memset(&card, 0, sizeof(card));
	ukey_chan_init(&card.chan, mock_xfer, &mock, &prof.chan);
	card.profile = &prof;
	card.drv = ukey_driver_find("ftcos");
	ck_assert_int_eq(mock_load_data(&mock, "bind.script"), 0);
	ck_assert_int_eq(mock_load_data(&mock, "list.script"), 0);
}

static void load(const char *name)
{
	ck_assert_int_eq(mock_load_data(&mock, name), 0);
}

/* TokenInfo of the reference trace (lastUpdate 2026-11-24 21:20:33Z) */
static const char ti_hex[] =
	"30 34 02 01 00 04 08 01 02 03 04 05 06 07 08 0C 09 45 6E 74 65 72 53 61 66 65 80 03 45 4D 55 03 02 04 10 A5 11 18 0F 32 30 32 36 31 31 32 34 32 31 32 30 33 33 5A";

/* Like OpenSC, every change ends by rewriting TokenInfo's lastUpdate:
 * select 5032, read it, write it back whole. Returns the step of the
 * write. */
static size_t expect_touch(void)
{
	uint8_t rsp[0x80 + 2];

	memset(rsp, 0, sizeof(rsp));
	ck_assert_int_eq(mock_hex(ti_hex, rsp, sizeof(rsp)), 0x36);
	rsp[0x80] = 0x90;
	mock_add(&mock, "00 A4 00 00 02 50 32 E0",
		 "6F 0B 83 02 50 32 80 02 00 80 82 01 01 90 00");
	mock_add_raw(&mock, (const uint8_t *)"\x00\xB0\x00\x00\x80", 5, rsp,
		     sizeof(rsp));
	mock_add_prefix(&mock, "00 D6 00 00 80", "90 00");
	return mock.n - 1;
}

/* The TokenInfo written at `step` is the trace's with lastUpdate = now. */
static void check_touched(size_t step)
{
	uint8_t old[0x36];
	const uint8_t *cmd = mock.got[step];
	ASN1_GENERALIZEDTIME *gt;
	int day = 1, sec = 1;

	ck_assert_ptr_nonnull(cmd);
	ck_assert_uint_eq(mock.got_len[step], 5 + 0x80);
	ck_assert_int_eq(mock_hex(ti_hex, old, sizeof(old)), 0x36);
	/* all but the 15 characters of the time are unchanged */
	ck_assert_mem_eq(cmd + 5, old, 0x36 - 15);
	for (size_t i = 5 + 0x36; i < 5 + 0x80; i++)
		ck_assert_uint_eq(cmd[i], 0);
	gt = ASN1_GENERALIZEDTIME_new();
	ck_assert_ptr_nonnull(gt);
	ck_assert_int_eq(ASN1_STRING_set(gt, cmd + 5 + 0x36 - 15, 15), 1);
	ck_assert_int_eq(ASN1_GENERALIZEDTIME_check(gt), 1);
	ck_assert_int_eq(ASN1_TIME_diff(&day, &sec, NULL, gt), 1);
	ck_assert_int_eq(day, 0);
	ck_assert_int_le(abs(sec), 5);
	ASN1_GENERALIZEDTIME_free(gt);
}

static void teardown(void)
{
	if (card.drv_data)
		card.drv->unbind(&card);
	mock_free(&mock);
}

START_TEST(test_write_then_delete_cert)
{
	ukey_objlist l = { 0 };
	ukey_object c;
	static const uint8_t der[5] = { 0x30, 0x03, 0x02, 0x01, 0x05 };
	size_t steps_before, cdf_step, touch1, touch2, zap_step;

	ck_assert_int_eq(card.drv->bind(&card), UKEY_OK);
	ck_assert_int_eq(card.drv->list_objects(&card, &l), UKEY_OK);
	ck_assert_msg(!mock.mismatch, "%s", mock.last_error);

	/* a write starts from fresh directories (another application may
	 * have changed them): ODF, PrKDF, PuKDF, CDF are read again */
	load("odf.script");
	load("dirs.script");
	/* 3100 is used by the listed certificate: 3101 is tried, absent,
	 * created (MAC'd), written, read back; then the CDF entry is added
	 * right after the existing 0x28 bytes of content. */
	mock_add(&mock, "00 A4 00 00 02 31 01 E0", "6A 82");
	mock_add(&mock, "00 84 00 00 08", "01 02 03 04 05 06 07 08 90 00");
	mock_add_prefix(&mock, "84 E0 02 00 17 31 01 00 05 00 00 00 10 00 10 10 10 10 10 10 10 10 00 00",
			"90 00");
	mock_add(&mock, "00 D6 00 00 05 30 03 02 01 05", "90 00");
	mock_add(&mock, "00 B0 00 00 05", "30 03 02 01 05 90 00");
	mock_add(&mock, "00 A4 00 00 02 44 04 E0", "6F 0B 83 02 44 04 80 02 02 00 82 01 01 90 00");
	mock_add_prefix(&mock, "00 D6 00 28", "90 00");
	cdf_step = mock.n - 1;
	touch1 = expect_touch();
	steps_before = mock.n;

	memset(&c, 0, sizeof(c));
	c.cls = UKEY_OBJ_CERT;
	c.id[0] = 0x07;
	c.id_len = 1;
	strcpy(c.label, "new cert");
	c.value = malloc(sizeof(der));
	memcpy(c.value, der, sizeof(der));
	c.value_len = sizeof(der);
	ck_assert_int_eq(card.drv->write_object(&card, &c), UKEY_OK);
	ck_assert_msg(mock_done(&mock), "%s", mock.last_error);
	ck_assert_uint_eq(mock.n, steps_before);
	ck_assert_uint_eq(c.drv_ref_len, 10);
	ck_assert_mem_eq(c.drv_ref + 4, "\x3F\x00\x50\x15\x31\x01", 6);
	{
		/* the appended bytes are one CDF entry naming 3101, ID 07 */
		const uint8_t *cmd = mock.got[cdf_step];
		const unsigned char *p = cmd + 5;
		P15_CERT_OBJ *e = d2i_P15_CERT_OBJ(NULL, &p, cmd[4]);

		ck_assert_ptr_nonnull(e);
		ck_assert_ptr_eq(p, cmd + 5 + cmd[4]);
		ck_assert_int_eq(ASN1_STRING_length(e->cert->id), 1);
		ck_assert_uint_eq(ASN1_STRING_get0_data(e->cert->id)[0], 0x07);
		ck_assert_mem_eq(ASN1_STRING_get0_data(e->x509->value->path),
				 "\x3F\x00\x50\x15\x31\x01", 6);
		ck_assert_mem_eq(ASN1_STRING_get0_data(e->common->label), "new cert", 8);
		P15_CERT_OBJ_free(e);
	}
	check_touched(touch1);

	/* delete: fresh ODF and CDF (now with the new entry), then the entry
	 * goes first (rewrite of the CDF from its offset, zeros), then the
	 * file contents are zeroed */
	load("odf.script");
	{
		const uint8_t *app = mock.got[cdf_step];
		uint8_t rsp[226];
		static const uint8_t old_cdf[0x28] = {
			0x30, 0x26, 0x30, 0x11, 0x0C, 0x0B, 'C', 'e', 'r', 't', 'i',
			'f', 'i', 'c', 'a', 't', 'e', 0x03, 0x02, 0x06, 0x40, 0x30,
			0x03, 0x04, 0x01, 0x01, 0xA1, 0x0C, 0x30, 0x0A, 0x30, 0x08,
			0x04, 0x06, 0x3F, 0x00, 0x50, 0x15, 0x31, 0x00 };

		memset(rsp, 0, sizeof(rsp));
		memcpy(rsp, old_cdf, sizeof(old_cdf));
		memcpy(rsp + 0x28, app + 5, app[4]);
		rsp[224] = 0x90;
		mock_add(&mock, "00 A4 00 00 02 44 04 E0",
			 "6F 0B 83 02 44 04 80 02 02 00 82 01 01 90 00");
		mock_add_raw(&mock, (const uint8_t *)"\x00\xB0\x00\x00\xE0", 5, rsp,
			     sizeof(rsp));
	}
	mock_add_prefix(&mock, "00 D6 00 28", "90 00");
	zap_step = mock.n - 1;
	mock_add(&mock, "00 A4 00 00 02 31 01 E0", "6F 0B 83 02 31 01 80 02 00 05 82 01 01 90 00");
	mock_add(&mock, "00 D6 00 00 05 00 00 00 00 00", "90 00");
	touch2 = expect_touch();
	ck_assert_int_eq(card.drv->delete_object(&card, &c), UKEY_OK);
	ck_assert_msg(mock_done(&mock), "%s", mock.last_error);
	/* the deleted entry's bytes were all rewritten as zeros */
	{
		const uint8_t *cmd = mock.got[zap_step];
		size_t lc;

		ck_assert_ptr_nonnull(cmd);
		ck_assert_uint_ge(mock.got_len[zap_step], 5);
		lc = cmd[4];
		ck_assert_uint_eq(mock.got_len[zap_step], 5 + lc);
		ck_assert_uint_gt(lc, 10);
		for (size_t i = 0; i < lc; i++)
			ck_assert_uint_eq(cmd[5 + i], 0);
	}
	check_touched(touch2);
	ukey_object_clear(&c);
	ukey_objlist_clear(&l);
}
END_TEST

START_TEST(test_failed_file_write_leaves_directory_alone)
{
	ukey_objlist l = { 0 };
	ukey_object c;

	ck_assert_int_eq(card.drv->bind(&card), UKEY_OK);
	ck_assert_int_eq(card.drv->list_objects(&card, &l), UKEY_OK);
	load("odf.script");
	load("dirs.script");
	mock_add(&mock, "00 A4 00 00 02 31 01 E0", "6A 82");
	mock_add(&mock, "00 84 00 00 08", "01 02 03 04 05 06 07 08 90 00");
	mock_add_prefix(&mock, "84 E0 02 00 17 31 01", "90 00");
	mock_add(&mock, "00 D6 00 00 03 30 01 00", "90 00");
	/* the card returns something else than what was written */
	mock_add(&mock, "00 B0 00 00 03", "30 01 FF 90 00");
	memset(&c, 0, sizeof(c));
	c.cls = UKEY_OBJ_CERT;
	c.id_len = 1;
	c.value = malloc(3);
	memcpy(c.value, "\x30\x01\x00", 3);
	c.value_len = 3;
	ck_assert_int_eq(card.drv->write_object(&card, &c), UKEY_E_SW_MEMORY);
	/* nothing was sent after the failed read-back: no CDF update */
	ck_assert_msg(mock_done(&mock), "%s", mock.last_error);
	ukey_object_clear(&c);
	ukey_objlist_clear(&l);
}
END_TEST

/* ------------------------------------------- a card OS that is not FTCOS */

#define MF_MAX 48

typedef struct {
	int used, is_df;
	uint8_t path[UKEY_FS_PATH_MAX];
	size_t plen;
	uint8_t name[16];
	size_t name_len;
	uint8_t *data;
	size_t size;
	ukey_fs_ac rac, uac;
} mf_file;

typedef struct {
	mf_file f[MF_MAX];
	uint8_t df[UKEY_FS_PATH_MAX]; /* current DF */
	size_t df_len;
	int cur;                      /* current EF, -1 none */
	unsigned aid_selects, creates, deletes, key_deletes;
	unsigned pin_ref;             /* last set_pin */
	uint8_t pin[16];
	size_t pin_len;
	unsigned created[8];          /* key_create calls, by reference */
	size_t n_created;
	ukey_fs_file last_spec;
} memfs;

static memfs mfs;

static int mf_find(memfs *m, const uint8_t *path, size_t plen)
{
	for (int i = 0; i < MF_MAX; i++)
		if (m->f[i].used && m->f[i].plen == plen &&
		    !memcmp(m->f[i].path, path, plen))
			return i;
	return -1;
}

static mf_file *mf_add(memfs *m, const uint8_t *path, size_t plen, size_t size)
{
	for (int i = 0; i < MF_MAX; i++) {
		mf_file *f = &m->f[i];

		if (f->used)
			continue;
		memset(f, 0, sizeof(*f));
		f->used = 1;
		memcpy(f->path, path, plen);
		f->plen = plen;
		f->size = size;
		f->data = calloc(1, size ? size : 1);
		ck_assert_ptr_nonnull(f->data);
		return f;
	}
	ck_abort_msg("memfs full");
	return NULL;
}

static void mf_fill(const mf_file *f, ukey_fs_file *out)
{
	memset(out, 0, sizeof(*out));
	out->fid = (uint16_t)(f->path[f->plen - 2] << 8 | f->path[f->plen - 1]);
	out->is_df = f->is_df;
	out->size = f->is_df ? 0 : f->size;
	memcpy(out->name, f->name, f->name_len);
	out->name_len = f->name_len;
	out->ac_read = f->rac;
	out->ac_update = f->uac;
	out->ac_delete = UKEY_AC_UNKNOWN;
}

static void mf_enter(memfs *m, int i)
{
	mf_file *f = &m->f[i];

	if (f->is_df) {
		memcpy(m->df, f->path, f->plen);
		m->df_len = f->plen;
		m->cur = -1;
	} else {
		memcpy(m->df, f->path, f->plen - 2);
		m->df_len = f->plen - 2;
		m->cur = i;
	}
}

static ukey_rv mf_select_path(void *os, const uint8_t *path, size_t len,
			      ukey_fs_file *out)
{
	memfs *m = os;
	int i = mf_find(m, path, len);

	if (i < 0)
		return UKEY_E_SW_FILE_NOT_FOUND;
	mf_enter(m, i);
	if (out)
		mf_fill(&m->f[i], out);
	return UKEY_OK;
}

static ukey_rv mf_select_aid(void *os, const uint8_t *aid, size_t len,
			     const uint8_t *path, size_t path_len,
			     ukey_fs_file *out)
{
	memfs *m = os;

	(void)path;
	(void)path_len; /* this card OS knows where its DFs are */
	m->aid_selects++;
	for (int i = 0; i < MF_MAX; i++) {
		if (!m->f[i].used || !m->f[i].is_df || m->f[i].name_len != len ||
		    memcmp(m->f[i].name, aid, len))
			continue;
		mf_enter(m, i);
		if (out)
			mf_fill(&m->f[i], out);
		return UKEY_OK;
	}
	return UKEY_E_SW_FILE_NOT_FOUND;
}

static ukey_rv mf_read(void *os, size_t off, uint8_t *buf, size_t len,
		       size_t *got)
{
	memfs *m = os;
	mf_file *f;

	*got = 0;
	if (m->cur < 0)
		return UKEY_E_SW_COND_NOT_SAT;
	f = &m->f[m->cur];
	if (off > f->size)
		return UKEY_E_SW_WRONG_P1P2;
	if (len > f->size - off)
		len = f->size - off;
	memcpy(buf, f->data + off, len);
	*got = len;
	return UKEY_OK;
}

static ukey_rv mf_update(void *os, size_t off, const uint8_t *buf, size_t len)
{
	memfs *m = os;
	mf_file *f;

	if (m->cur < 0)
		return UKEY_E_SW_COND_NOT_SAT;
	f = &m->f[m->cur];
	if (off > f->size || len > f->size - off)
		return UKEY_E_SW_WRONG_P1P2;
	memcpy(f->data + off, buf, len);
	return UKEY_OK;
}

static ukey_rv mf_create_ef(void *os, const ukey_fs_file *spec)
{
	memfs *m = os;
	uint8_t path[UKEY_FS_PATH_MAX];
	mf_file *f;

	ck_assert_uint_le(m->df_len + 2, sizeof(path));
	memcpy(path, m->df, m->df_len);
	path[m->df_len] = (uint8_t)(spec->fid >> 8);
	path[m->df_len + 1] = (uint8_t)spec->fid;
	if (mf_find(m, path, m->df_len + 2) >= 0)
		return UKEY_E_SW_FILE_EXISTS;
	f = mf_add(m, path, m->df_len + 2, spec->size);
	f->rac = spec->ac_read;
	f->uac = spec->ac_update;
	m->creates++;
	m->last_spec = *spec;
	mf_enter(m, (int)(f - m->f));
	return UKEY_OK;
}

static ukey_rv mf_delete_file(void *os, const uint8_t *path, size_t len)
{
	memfs *m = os;
	int i = mf_find(m, path, len);

	if (i < 0)
		return UKEY_E_SW_FILE_NOT_FOUND;
	free(m->f[i].data);
	memset(&m->f[i], 0, sizeof(m->f[i]));
	m->cur = -1;
	m->deletes++;
	return UKEY_OK;
}

static ukey_rv mf_set_pin(void *os, unsigned ref, const uint8_t *pin, size_t len)
{
	memfs *m = os;

	ck_assert_uint_le(len, 8);
	m->pin_ref = ref;
	memcpy(m->pin, pin, len);
	m->pin_len = len;
	return UKEY_OK;
}

static ukey_rv mf_key_create(void *os, unsigned key, const ukey_fs_keyspec *ks)
{
	memfs *m = os;

	ck_assert_uint_eq(ks->bits, 1024);
	ck_assert_ptr_null(ks->import);
	ck_assert_uint_lt(m->n_created, 8);
	m->created[m->n_created++] = key;
	return UKEY_OK;
}

static ukey_rv mf_key_read_public(void *os, unsigned key, uint8_t **n,
				  size_t *nlen, uint8_t **e, size_t *elen)
{
	(void)os;
	*n = malloc(128);
	*e = malloc(3);
	ck_assert(*n && *e);
	memset(*n, (int)(0xC0 | key), 128);
	memcpy(*e, "\x01\x00\x01", 3);
	*nlen = 128;
	*elen = 3;
	return UKEY_OK;
}

static ukey_rv mf_key_delete(void *os, unsigned key)
{
	memfs *m = os;

	m->key_deletes = key;
	return UKEY_OK;
}

/* Other facts than FTCOS's, so that a layout that still assumes FTCOS
 * (16-byte PINs padded with 00, references 1 and 2, key records 1..9)
 * shows it. */
static const ukey_cardfs_ops memfs_ops = {
	.name = "memfs",
	.select_path = mf_select_path,
	.select_aid = mf_select_aid,
	.read = mf_read,
	.update = mf_update,
	.create_ef = mf_create_ef,
	.delete_file = mf_delete_file,
	.set_pin = mf_set_pin,
	.key_create = mf_key_create,
	.key_read_public = mf_key_read_public,
	.key_delete = mf_key_delete,
	.pin_stored_len = 8,
	.pin_pad = 0xFF,
	.pin_ref_user = 0x81,
	.pin_ref_so = 0x82,
	.key_ref_min = 3,
	.key_ref_max = 5,
};

static ukey_cardfs memfs_fs(void)
{
	ukey_cardfs fs = { &memfs_ops, &mfs, 100 };

	return fs;
}

static void mf_put(const uint8_t *path, size_t plen, size_t size,
		   const uint8_t *data, size_t dlen)
{
	mf_file *f = mf_add(&mfs, path, plen, size);

	if (dlen)
		memcpy(f->data, data, dlen);
}

static void mf_df(const uint8_t *path, size_t plen, const void *name,
		  size_t name_len)
{
	mf_file *f = mf_add(&mfs, path, plen, 0);

	f->is_df = 1;
	if (name_len) /* memcpy's source must not be NULL, even for 0 bytes */
		memcpy(f->name, name, name_len);
	f->name_len = name_len;
}

/* A card with the PKCS#15 structure ukey's C_InitToken writes (empty
 * directories) and, if espk, an ESPK DF with an empty index. */
static void memfs_card(int p15, int espk)
{
	static const uint8_t serial[8] = { 9, 8, 7, 6, 5, 4, 3, 2 };
	static const struct { uint16_t fid, size; } efs[] = {
		{ 0x5031, 0x100 }, { 0x4401, 0x100 }, { 0x4402, 0x100 },
		{ 0x4403, 0x100 }, { 0x4404, 0x200 }, { 0x4405, 0x100 },
	};
	uint8_t path[6] = { 0x3F, 0x00, 0x50, 0x15, 0, 0 };
	uint8_t ti[P15_TI_INIT_SIZE];

	memset(&mfs, 0, sizeof(mfs));
	mfs.cur = -1;
	mf_df(path, 2, NULL, 0);
	if (p15) {
		mf_df(path, 4, p15_aid, sizeof(p15_aid));
		for (size_t i = 0; i < sizeof(efs) / sizeof(efs[0]); i++) {
			path[4] = (uint8_t)(efs[i].fid >> 8);
			path[5] = (uint8_t)efs[i].fid;
			mf_put(path, 6, efs[i].size, NULL, 0);
		}
		ck_assert_int_eq(p15_init_tokeninfo("memfs token", 11, serial,
						    sizeof(serial), ti), UKEY_OK);
		mf_put((const uint8_t *)"\x3F\x00\x50\x15\x50\x32", 6, sizeof(ti),
		       ti, sizeof(ti));
	}
	if (espk) {
		mf_df((const uint8_t *)"\x3F\x00\x20\x03", 4, "ENTERSAFE-ESPK", 14);
		mf_put((const uint8_t *)"\x3F\x00\x20\x03\x6F\x01", 6, 30, NULL, 0);
	}
}

static void memfs_free(void)
{
	for (int i = 0; i < MF_MAX; i++)
		free(mfs.f[i].data);
	memset(&mfs, 0, sizeof(mfs));
}

static void memfs_profile(const char *layouts, ukey_profile *p)
{
	char text[256], err[256];
	int n = snprintf(text, sizeof(text),
			 "name = memfs\ndriver = none\natr = 3B 00\n%s%s%s"
			 "pin_min = 4\npin_max = 8\n",
			 layouts ? "layout = " : "", layouts ? layouts : "",
			 layouts ? "\n" : "");

	ck_assert(n > 0 && (size_t)n < sizeof(text));
	ck_assert_int_eq(ukey_profile_parse(text, (size_t)n, "memfs.profile", p,
					    err, sizeof(err)), UKEY_OK);
}

static size_t count(const ukey_objlist *l, ukey_obj_class c)
{
	size_t k = 0;

	for (size_t i = 0; i < l->n; i++)
		k += l->v[i].cls == c;
	return k;
}

static void cardfs_setup(void)
{
	setenv("UKEY_CACHE", "off", 1);
}

START_TEST(test_pkcs15_over_another_card_os)
{
	static const uint8_t der[5] = { 0x30, 0x03, 0x02, 0x01, 0x07 };
	ukey_cardfs fs;
	ukey_layout l;
	ukey_layout_pin pin;
	ukey_keygen_params kp;
	ukey_object pub, priv, c;
	ukey_objlist objs = { 0 };
	uint8_t df[UKEY_FS_PATH_MAX];
	size_t df_len = 0, i;
	unsigned ref = 0;
	static ukey_profile p;

	memfs_card(1, 0);
	memfs_profile("pkcs15, entersafe-espk", &p);
	fs = memfs_fs();
	ck_assert_int_eq(ukey_layout_bind(&l, &fs, &p), UKEY_OK);
	ck_assert_ptr_eq(l.ops, &ukey_layout_pkcs15);
	ck_assert_str_eq(l.label, "memfs token");
	ck_assert_str_eq(l.serial, "0908070605040302");
	ck_assert_uint_eq(mfs.aid_selects, 1);

	/* no AODF listed yet: no user PIN; the SO PIN with this card's facts */
	ck_assert_int_eq(l.ops->pin(&l, UKEY_PIN_USER, &pin), UKEY_OK);
	ck_assert_int_eq(pin.present, 0);
	ck_assert_uint_eq(pin.ref, 0x81);
	ck_assert_int_eq(l.ops->pin(&l, UKEY_PIN_SO, &pin), UKEY_OK);
	ck_assert_int_eq(pin.present, 1);
	ck_assert_uint_eq(pin.ref, 0x82);
	ck_assert_uint_eq(pin.max_len, 8);
	ck_assert_uint_eq(pin.df_len, 4);
	ck_assert_mem_eq(pin.df, "\x3F\x00\x50\x15", 4);

	/* C_InitPIN: the card OS sets the PIN, the layout adds the AODF
	 * entry with the card OS's reference, length and pad */
	ck_assert_int_eq(l.ops->init_user_pin(&l, (const uint8_t *)"1234", 4),
			 UKEY_OK);
	ck_assert_uint_eq(mfs.pin_ref, 0x81);
	ck_assert_uint_eq(mfs.pin_len, 4);
	ck_assert_int_eq(l.ops->pin(&l, UKEY_PIN_USER, &pin), UKEY_OK);
	ck_assert_int_eq(pin.present, 1);
	ck_assert_uint_eq(pin.ref, 0x81);
	ck_assert_uint_eq(pin.max_len, 8);
	{
		p15_token *t = l.st;

		ck_assert_uint_eq(t->pin[0].stored_len, 8);
		ck_assert_uint_eq(t->pin[0].pad_char, 0xFF);
	}
	l.ops->pin_seen(&l, UKEY_PIN_USER, UKEY_E_SW_WRONG_PIN, 2);
	ck_assert_int_eq(l.ops->pin(&l, UKEY_PIN_USER, &pin), UKEY_OK);
	ck_assert_int_eq(pin.tries_left, 2);

	/* two key pairs: the first free references of this card OS */
	memset(&kp, 0, sizeof(kp));
	kp.bits = 1024;
	kp.usage = UKEY_USAGE_SIGN;
	kp.private_obj = 1;
	strcpy(kp.label, "k");
	for (unsigned k = 0; k < 2; k++) {
		memset(&pub, 0, sizeof(pub));
		memset(&priv, 0, sizeof(priv));
		kp.id[0] = (uint8_t)(0x10 + k);
		kp.id_len = 1;
		ck_assert_int_eq(l.ops->generate_rsa(&l, &kp, &pub, &priv), UKEY_OK);
		ck_assert_uint_eq(mfs.created[k], 3 + k);
		ck_assert_int_eq(l.ops->key_ref(&l, &priv, &ref, df, &df_len), UKEY_OK);
		ck_assert_uint_eq(ref, 3 + k);
		ck_assert_uint_eq(df_len, 4);
		ck_assert_mem_eq(df, "\x3F\x00\x50\x15", 4);
		ck_assert_uint_eq(pub.modulus_len, 128);
		ck_assert_uint_eq(pub.modulus[0], 0xC0 | (3 + k));
		ukey_object_clear(&pub);
		ukey_object_clear(&priv);
	}
	/* the public key file was created readable by all */
	ck_assert_int_eq(mfs.last_spec.ac_read, UKEY_AC_ALWAYS);
	ck_assert_int_eq(mfs.last_spec.ac_update, UKEY_AC_USER);

	/* a certificate and a private data object: files with the access
	 * conditions the objects need */
	memset(&c, 0, sizeof(c));
	c.cls = UKEY_OBJ_CERT;
	c.id[0] = 0x10;
	c.id_len = 1;
	strcpy(c.label, "cert");
	c.value = (uint8_t *)der;
	c.value_len = sizeof(der);
	ck_assert_int_eq(l.ops->write_object(&l, &c), UKEY_OK);
	ck_assert_int_eq(mfs.last_spec.ac_read, UKEY_AC_ALWAYS);
	ck_assert_mem_eq(c.drv_ref + 4, "\x3F\x00\x50\x15\x31\x00", 6);
	c.value = NULL;
	{
		ukey_object d;

		memset(&d, 0, sizeof(d));
		d.cls = UKEY_OBJ_DATA;
		d.private_obj = 1;
		strcpy(d.label, "secret");
		d.value = (uint8_t *)der;
		d.value_len = 3;
		ck_assert_int_eq(l.ops->write_object(&l, &d), UKEY_OK);
		ck_assert_int_eq(mfs.last_spec.ac_read, UKEY_AC_USER);
	}

	/* everything lists back; public keys get their modulus from the key
	 * records 3 and 4 */
	ck_assert_int_eq(l.ops->list(&l, 0, &objs), UKEY_OK);
	ck_assert_uint_eq(count(&objs, UKEY_OBJ_PRIVKEY), 2);
	ck_assert_uint_eq(count(&objs, UKEY_OBJ_PUBKEY), 2);
	ck_assert_uint_eq(count(&objs, UKEY_OBJ_CERT), 1);
	ck_assert_uint_eq(count(&objs, UKEY_OBJ_DATA), 1);
	for (i = 0; i < objs.n; i++) {
		ukey_object *o = &objs.v[i];

		if (o->cls == UKEY_OBJ_PUBKEY) {
			ck_assert_ptr_nonnull(o->modulus);
			ck_assert_uint_eq(o->modulus[0], 0xC0 | (3 + (o->id[0] - 0x10)));
		}
		if (o->cls == UKEY_OBJ_CERT) {
			ck_assert_int_eq(l.ops->read_value(&l, o), UKEY_OK);
			ck_assert_uint_eq(o->value_len, sizeof(der));
			ck_assert_mem_eq(o->value, der, sizeof(der));
		}
	}

	/* deletes: the certificate's file is deleted (this card OS can), the
	 * private key's record erased */
	ck_assert_int_eq(l.ops->delete_object(&l, &c), UKEY_OK);
	ck_assert_uint_eq(mfs.deletes, 1);
	ck_assert_int_lt(mf_find(&mfs, (const uint8_t *)"\x3F\x00\x50\x15\x31\x00", 6), 0);
	for (i = 0; i < objs.n; i++)
		if (objs.v[i].cls == UKEY_OBJ_PRIVKEY && objs.v[i].id[0] == 0x10)
			break;
	ck_assert_uint_lt(i, objs.n);
	ck_assert_int_eq(l.ops->delete_object(&l, &objs.v[i]), UKEY_OK);
	ck_assert_uint_eq(mfs.key_deletes, 3);
	/* and reference 3 is free again */
	kp.id[0] = 0x12;
	memset(&pub, 0, sizeof(pub));
	memset(&priv, 0, sizeof(priv));
	ck_assert_int_eq(l.ops->generate_rsa(&l, &kp, &pub, &priv), UKEY_OK);
	ck_assert_uint_eq(mfs.created[2], 3);
	ukey_object_clear(&pub);
	ukey_object_clear(&priv);

	ukey_objlist_clear(&objs);
	ukey_layout_free(&l);
	ck_assert_ptr_null(l.ops);
	memfs_free();
}
END_TEST

START_TEST(test_layout_chosen_from_profile)
{
	static ukey_profile p;
	ukey_cardfs fs;
	ukey_layout l;
	ukey_layout_pin pin;
	static const struct { const char *list; const ukey_layout_ops *want; } cases[] = {
		{ "pkcs15, entersafe-espk", &ukey_layout_pkcs15 },
		{ "entersafe-espk, pkcs15", &ukey_layout_espk },
		{ "entersafe-espk", &ukey_layout_espk },
		{ "skf", NULL },            /* no layout this card OS knows */
		{ NULL, &ukey_layout_pkcs15 }, /* no list: all, in fixed order */
	};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		memfs_card(1, 1);
		memfs_profile(cases[k].list, &p);
		fs = memfs_fs();
		ck_assert_int_eq(ukey_layout_bind(&l, &fs, &p), UKEY_OK);
		ck_assert_ptr_eq(l.ops, cases[k].want);
		if (l.ops == &ukey_layout_espk) {
			/* writable (espk_write.c), PINs of the card OS in the ESPK DF */
			ck_assert_ptr_nonnull(l.ops->write_object);
			ck_assert_ptr_nonnull(l.ops->generate_rsa);
			ck_assert_int_eq(l.ops->pin(&l, UKEY_PIN_SO, &pin), UKEY_OK);
			ck_assert_uint_eq(pin.ref, 0x82);
			ck_assert_uint_eq(pin.max_len, 8);
			ck_assert_mem_eq(pin.df, "\x3F\x00\x20\x03", 4);
			ck_assert_uint_eq(mfs.aid_selects, 0); /* PKCS#15 not tried */
		}
		ukey_layout_free(&l);
		memfs_free();
	}
	/* only ESPK on the card: PKCS#15 is tried first, then ESPK */
	memfs_card(0, 1);
	memfs_profile(NULL, &p);
	fs = memfs_fs();
	ck_assert_int_eq(ukey_layout_bind(&l, &fs, &p), UKEY_OK);
	ck_assert_ptr_eq(l.ops, &ukey_layout_espk);
	ck_assert_uint_eq(mfs.aid_selects, 1);
	ukey_layout_free(&l);
	memfs_free();
	/* a blank card: no layout, no error */
	memfs_card(0, 0);
	fs = memfs_fs();
	ck_assert_int_eq(ukey_layout_bind(&l, &fs, &p), UKEY_OK);
	ck_assert_ptr_null(l.ops);
	memfs_free();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("drivers_pkcs15_write");
	TCase *tc = tcase_create("write");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_write_then_delete_cert);
	tcase_add_test(tc, test_failed_file_write_leaves_directory_alone);
	suite_add_tcase(s, tc);
	tc = tcase_create("cardfs");
	tcase_add_checked_fixture(tc, cardfs_setup, NULL);
	tcase_add_test(tc, test_pkcs15_over_another_card_os);
	tcase_add_test(tc, test_layout_chosen_from_profile);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
