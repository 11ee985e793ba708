/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * GM/T 0017 virtual OS: lifecycle and the persistent state image.
 *
 * Image v1 (big-endian, blobs = u32 length + bytes):
 *   "UKGM" u32 version=1
 *   blob label(<=32) blob serial(<=32) devkey[16] u8 dev_max u8 dev_left
 *   u8 n_apps, each: blob name(1..32) u32 create_rights
 *       2 x { key[16] u8 max u8 left u8 is_default }   (admin, user)
 *       u8 n_files, each: blob name(1..32) u32 rd u32 wr blob data(<=32K)
 *       u8 n_conts, each: blob name(1..64)
 *           2 x { blob key_der(<=4K) blob cert(<=4K) }  (enc, sign)
 *   nothing after.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "vt_os_gmt0017.h"

#define GM_MAGIC "UKGM"
#define GM_IMAGE_VERSION 1u

const uint8_t gm_default_devkey[16] = {'1', '2', '3', '4', '5', '6', '7', '8',
				       '1', '2', '3', '4', '5', '6', '7', '8'};

gm_state *gm_state_new(void)
{
	gm_state *st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	memcpy(st->devkey, gm_default_devkey, 16);
	st->dev_max = st->dev_left = GM_RETRY_DEFAULT;
	return st;
}

void gm_file_clear(gm_file *f)
{
	if (f->data)
		OPENSSL_cleanse(f->data, f->size ? f->size : 1);
	free(f->data);
	memset(f, 0, sizeof(*f));
}

void gm_cont_clear(gm_cont *k)
{
	for (int s = 0; s < 2; s++) {
		EVP_PKEY_free(k->key[s]);
		free(k->cert[s]);
	}
	memset(k, 0, sizeof(*k));
}

void gm_app_clear(gm_app *a)
{
	for (int i = 0; i < GM_MAX_FILES; i++)
		gm_file_clear(&a->files[i]);
	for (int i = 0; i < GM_MAX_CONTAINERS; i++)
		gm_cont_clear(&a->conts[i]);
	OPENSSL_cleanse(a, sizeof(*a));
}

void gm_state_free(gm_state *st)
{
	if (!st)
		return;
	for (int i = 0; i < GM_MAX_APPS; i++)
		gm_app_clear(&st->apps[i]);
	OPENSSL_cleanse(st, sizeof(*st));
	free(st);
}

void gm_state_reset(gm_state *st)
{
	st->dev_authed = 0;
	st->chal_next = st->chal_live = 0;
	OPENSSL_cleanse(st->chal, sizeof(st->chal));
	gm_stage_clear(&st->stage);
	for (int i = 0; i < GM_MAX_APPS; i++) {
		gm_app *a = &st->apps[i];
		a->open = 0;
		a->auth[0] = a->auth[1] = 0;
		for (int j = 0; j < GM_MAX_CONTAINERS; j++)
			a->conts[j].open = 0;
	}
}

/* ------------------------------------------------------------- saving */

static int gm_put_key(vt_buf *out, EVP_PKEY *k)
{
	if (!k)
		return vt_buf_put_blob(out, NULL, 0);
	unsigned char *der = NULL;
	int n = i2d_PrivateKey(k, &der);
	if (n <= 0)
		return -1;
	int rc = vt_buf_put_blob(out, der, (size_t)n);
	OPENSSL_clear_free(der, (size_t)n);
	return rc;
}

static int gm_put_str(vt_buf *out, const char *s)
{
	return vt_buf_put_blob(out, s, strlen(s));
}

int gm_state_save(const gm_state *st, vt_buf *out)
{
	int rc = 0;
	uint8_t n_apps = 0;
	rc |= vt_buf_put(out, GM_MAGIC, 4);
	rc |= vt_buf_put_u32(out, GM_IMAGE_VERSION);
	rc |= gm_put_str(out, st->label);
	rc |= gm_put_str(out, st->serial);
	rc |= vt_buf_put(out, st->devkey, 16);
	rc |= vt_buf_put_u8(out, st->dev_max);
	rc |= vt_buf_put_u8(out, st->dev_left);
	for (int i = 0; i < GM_MAX_APPS; i++)
		n_apps += st->apps[i].used ? 1 : 0;
	rc |= vt_buf_put_u8(out, n_apps);
	for (int i = 0; i < GM_MAX_APPS && !rc; i++) {
		const gm_app *a = &st->apps[i];
		if (!a->used)
			continue;
		rc |= gm_put_str(out, a->name);
		rc |= vt_buf_put_u32(out, a->create_rights);
		for (int t = 0; t < 2; t++) {
			rc |= vt_buf_put(out, a->pin[t].key, 16);
			rc |= vt_buf_put_u8(out, a->pin[t].max);
			rc |= vt_buf_put_u8(out, a->pin[t].left);
			rc |= vt_buf_put_u8(out, a->pin[t].is_default);
		}
		uint8_t n = 0;
		for (int j = 0; j < GM_MAX_FILES; j++)
			n += a->files[j].used ? 1 : 0;
		rc |= vt_buf_put_u8(out, n);
		for (int j = 0; j < GM_MAX_FILES; j++) {
			const gm_file *f = &a->files[j];
			if (!f->used)
				continue;
			rc |= gm_put_str(out, f->name);
			rc |= vt_buf_put_u32(out, f->rd);
			rc |= vt_buf_put_u32(out, f->wr);
			rc |= vt_buf_put_blob(out, f->data, f->size);
		}
		n = 0;
		for (int j = 0; j < GM_MAX_CONTAINERS; j++)
			n += a->conts[j].used ? 1 : 0;
		rc |= vt_buf_put_u8(out, n);
		for (int j = 0; j < GM_MAX_CONTAINERS; j++) {
			const gm_cont *k = &a->conts[j];
			if (!k->used)
				continue;
			rc |= gm_put_str(out, k->name);
			for (int s = 0; s < 2; s++) {
				rc |= gm_put_key(out, k->key[s]);
				rc |= vt_buf_put_blob(out, k->cert[s],
						      k->cert_len[s]);
			}
		}
	}
	return rc ? -1 : 0;
}

/* ------------------------------------------------------------ loading */

/* Reads a blob naming something into out (NUL-terminated); min..max. */
static int gm_rd_name(vt_rd *r, char *out, size_t min, size_t max)
{
	size_t len = 0;
	uint8_t *p = vt_rd_blob(r, &len, max);
	int ok = !r->err && len >= min && len <= max &&
		 (len == 0 || gm_name_ok(p, len, max));
	if (ok && len)
		memcpy(out, p, len);
	free(p);
	return ok ? 0 : -1;
}

static const char *gm_load_app(vt_rd *r, gm_app *a)
{
	if (gm_rd_name(r, a->name, 1, GM_APP_NAME_MAX))
		return "bad application name";
	a->create_rights = vt_rd_u32(r);
	if (!gm_rights_ok(a->create_rights))
		return "bad create-file rights";
	for (int t = 0; t < 2; t++) {
		gm_pin *p = &a->pin[t];
		vt_rd_bytes(r, p->key, 16);
		p->max = vt_rd_u8(r);
		p->left = vt_rd_u8(r);
		p->is_default = vt_rd_u8(r);
		if (r->err || p->max < 1 || p->max > GM_RETRY_MAX ||
		    p->left > p->max || p->is_default > 1)
			return "bad PIN record";
	}
	uint8_t n = vt_rd_u8(r);
	if (r->err || n > GM_MAX_FILES)
		return "bad file count";
	for (int j = 0; j < n; j++) {
		gm_file *f = &a->files[j];
		if (gm_rd_name(r, f->name, 1, GM_FILE_NAME_MAX))
			return "bad file name";
		for (int i = 0; i < j; i++)
			if (!strcmp(a->files[i].name, f->name))
				return "duplicate file name";
		f->rd = vt_rd_u32(r);
		f->wr = vt_rd_u32(r);
		if (!gm_rights_ok(f->rd) || !gm_rights_ok(f->wr))
			return "bad file rights";
		size_t len = 0;
		uint8_t *d = vt_rd_blob(r, &len, GM_FILE_SIZE_MAX);
		if (r->err)
			return "bad file data";
		f->used = 1;
		f->size = (uint32_t)len;
		f->data = d ? d : calloc(1, 1);
		if (!f->data)
			return "out of memory";
	}
	n = vt_rd_u8(r);
	if (r->err || n > GM_MAX_CONTAINERS)
		return "bad container count";
	for (int j = 0; j < n; j++) {
		gm_cont *k = &a->conts[j];
		if (gm_rd_name(r, k->name, 1, GM_CONT_NAME_MAX))
			return "bad container name";
		for (int i = 0; i < j; i++)
			if (!strcmp(a->conts[i].name, k->name))
				return "duplicate container name";
		k->used = 1;
		for (int s = 0; s < 2; s++) {
			size_t len = 0;
			uint8_t *der = vt_rd_blob(r, &len, GM_KEYDER_MAX);
			if (r->err)
				return "bad key blob";
			if (len) {
				k->key[s] = gm_rsa_from_der(der, len);
				OPENSSL_cleanse(der, len);
			}
			free(der);
			if (len && !k->key[s]) {
				ERR_clear_error();
				return "bad RSA key";
			}
			k->cert[s] = vt_rd_blob(r, &k->cert_len[s], GM_CERT_MAX);
			if (r->err)
				return "bad certificate blob";
		}
	}
	a->used = 1;
	return NULL;
}

gm_state *gm_state_load(const uint8_t *img, size_t len)
{
	vt_rd r = {img, len, 0};
	const char *why = NULL;
	uint8_t magic[4];
	gm_state *st = gm_state_new();
	if (!st) {
		fprintf(stderr, "gmt0017 state: out of memory\n");
		return NULL;
	}
	vt_rd_bytes(&r, magic, 4);
	uint32_t ver = vt_rd_u32(&r);
	if (r.err || memcmp(magic, GM_MAGIC, 4)) {
		why = "not a gmt0017 state image";
		goto bad;
	}
	if (ver != GM_IMAGE_VERSION) {
		why = "unsupported state image version";
		goto bad;
	}
	if (gm_rd_name(&r, st->label, 0, GM_LABEL_MAX) ||
	    gm_rd_name(&r, st->serial, 0, GM_SERIAL_MAX)) {
		why = "bad label or serial";
		goto bad;
	}
	vt_rd_bytes(&r, st->devkey, 16);
	st->dev_max = vt_rd_u8(&r);
	st->dev_left = vt_rd_u8(&r);
	if (r.err || st->dev_max < 1 || st->dev_max > GM_RETRY_MAX ||
	    st->dev_left > st->dev_max) {
		why = "bad device key record";
		goto bad;
	}
	uint8_t n = vt_rd_u8(&r);
	if (r.err || n > GM_MAX_APPS) {
		why = "bad application count";
		goto bad;
	}
	for (int i = 0; i < n; i++) {
		why = gm_load_app(&r, &st->apps[i]);
		if (!why && r.err)
			why = "truncated application";
		if (why)
			goto bad;
		for (int j = 0; j < i; j++)
			if (!strcmp(st->apps[j].name, st->apps[i].name)) {
				why = "duplicate application name";
				goto bad;
			}
	}
	if (r.err || r.left) {
		why = r.err ? "truncated image" : "trailing bytes after image";
		goto bad;
	}
	if (gm_used_space(st) > GM_TOTAL_SPACE) {
		why = "contents exceed the token's space";
		goto bad;
	}
	return st;
bad:
	fprintf(stderr, "gmt0017 state: %s\n", why);
	gm_state_free(st);
	return NULL;
}
