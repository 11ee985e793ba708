/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/layout/espk_write.c — writing the ENTERSAFE-ESPK layout in the
 * form the token already has (espk.h): a new certificate, public key or
 * key pair gets its own attribute-stream file (certNNNN / pubkNNNN /
 * prvkNNNN, FIDs next to the ones of its kind), an index record, and for
 * a key pair a containermap entry and a cmapfile record, the way the
 * vendor's middleware keeps them. The token is never converted: the FID
 * ranges, directory names, record access byte, key-handle width (FTCOS:
 * one-byte kid; ePass2003: u32 LE A0xx / 80xx) and containermap form are
 * taken from what is on the card.
 *
 * Ordering (a torn write never loses an object, nor leaves a record that
 * points at garbage):
 *  - create: the object's file is written and read back, then its index
 *    record (a directory entry first when its directory has none), the
 *    containermap / cmapfile entries last;
 *  - a container (key pair): its cmapfile record is written not VALID,
 *    the containermap entry, then the record made VALID; removal the other
 *    way round; cmapfile_repair puts a stopped one right before the next
 *    container change;
 *  - delete: containermap / cmapfile entries first (a private key), then
 *    the index record is zeroed (an all-zero record is a free record to
 *    both readers), then the file: DELETE FILE when the card OS has it,
 *    else its content is zeroed and the EF stays, to be reused by a later
 *    object of the same FID (FTCOS has no DELETE FILE); a key record is
 *    erased only when the card OS can (else its reference is reused);
 *  - the index itself is never grown (cardfs cannot resize an EF): a full
 *    index answers UKEY_E_SW_NOT_ENOUGH_SPACE.
 *
 * Key handles: FTCOS, the lowest kid of the card OS's key-record range no
 * private key object uses; ePass2003, the lowest A0xx (xx = 20, 40, … E0)
 * no object uses, its public key file 80xx. cardfs key_create and
 * key_read_public get the handle the card OS needs (kid, or A0xx).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>
#include <openssl/x509.h>

#include "espk.h"

#define A_CLASS 0x000u
#define A_TOKEN 0x001u
#define A_PRIVATE 0x002u
#define A_LABEL 0x003u
#define A_VALUE 0x011u
#define A_CERT_TYPE 0x080u
#define A_KEY_TYPE 0x100u
#define A_SUBJECT 0x101u
#define A_ID 0x102u
#define A_SENSITIVE 0x103u
#define A_DECRYPT 0x105u
#define A_SIGN 0x108u
#define A_VERIFY 0x10Au
#define A_MODULUS 0x120u
#define A_PUBLIC_EXPONENT 0x122u

#define CMAP_REC 86     /* Windows CONTAINER_MAP_RECORD */
#define CM2003_HEAD 32  /* ePass2003 containermap header */
#define CM2003_REC 24   /* priv handle LE32, pub handle LE32, 16 zero bytes */
#define MAX_OBJS 64

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* ------------------------------------------------------ stream builder */

typedef struct {
	uint8_t *p;
	size_t n, cap;
	int err;
} sbuf;

static void sb_put(sbuf *b, const void *v, size_t len)
{
	if (b->err)
		return;
	if (b->n + len > b->cap) {
		size_t nc = (b->n + len) * 2 + 64;
		uint8_t *np = realloc(b->p, nc);

		if (!np) {
			b->err = 1;
			return;
		}
		b->p = np;
		b->cap = nc;
	}
	if (len)
		memcpy(b->p + b->n, v, len);
	b->n += len;
}

static void sb_u32(sbuf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 24) };

	sb_put(b, x, 4);
}

static void sb_attr(sbuf *b, uint32_t type, const void *v, size_t len)
{
	sb_u32(b, type);
	sb_u32(b, (uint32_t)len);
	sb_put(b, v, len);
}

static void sb_ulong(sbuf *b, uint32_t type, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 24) };

	sb_attr(b, type, x, 4);
}

static void sb_bool(sbuf *b, uint32_t type, int v)
{
	uint8_t x = v ? 1 : 0;

	sb_attr(b, type, &x, 1);
}

static void sb_handle(sbuf *b, unsigned hw, unsigned h)
{
	if (hw == 1) {
		uint8_t k = (uint8_t)h;

		sb_attr(b, ESPK_ATTR_KEY_HANDLE, &k, 1);
	} else if (hw == 4) {
		sb_ulong(b, ESPK_ATTR_KEY_HANDLE, h);
	}
}

static void sb_free(sbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* ------------------------------------------------- what is on the card */

typedef struct {
	uint16_t fid;
	int cls;
	unsigned h, hw;
	uint8_t id[UKEY_ID_MAX];
	size_t id_len;
} objinfo;

/* The token's form, learnt from its objects and records. */
typedef struct {
	unsigned hw;      /* key-handle width: 1 (FTCOS kid) or 4 (ePass2003) */
	int mod00;        /* moduli stored with a leading 00 byte */
	objinfo o[MAX_OBJS];
	size_t n;
} form;

static const espk_file *by_name(const espk_token *t, const char *name)
{
	for (size_t i = 0; i < t->n_files; i++)
		if (!strcmp(t->files[i].name, name))
			return &t->files[i];
	return NULL;
}

static const espk_file *by_fid(const espk_token *t, uint16_t fid)
{
	for (size_t i = 0; i < t->n_files; i++)
		if (t->files[i].fid == fid)
			return &t->files[i];
	return NULL;
}

static int kind_of(const char *name)
{
	if (!strncmp(name, "cert", 4))
		return UKEY_OBJ_CERT;
	if (!strncmp(name, "pubk", 4))
		return UKEY_OBJ_PUBKEY;
	if (!strncmp(name, "prvk", 4))
		return UKEY_OBJ_PRIVKEY;
	return 0;
}

/* Is FID / directory name typical of the ePass2003 form? */
static int epass_hint(const espk_token *t)
{
	for (size_t off = 0; off + ESPK_REC_LEN <= t->idx_len; off += ESPK_REC_LEN) {
		const uint8_t *r = t->idx + off;
		uint16_t fid = (uint16_t)(r[0] | r[1] << 8);

		if ((fid >= 0x2400 && fid <= 0x26FF) ||
		    !memcmp(r + 2, "tkinfdir", 8) || !memcmp(r + 2, "internal", 8))
			return 1;
	}
	return 0;
}

/* Re-read the index and every key / certificate object's handle and ID. */
static ukey_rv learn(espk_token *t, form *f)
{
	ukey_rv rv = espk_read_index(t);

	memset(f, 0, sizeof(*f));
	if (rv)
		return rv;
	for (size_t i = 0; i < t->n_files && f->n < MAX_OBJS; i++) {
		const espk_file *e = &t->files[i];
		uint8_t *b = NULL;
		size_t bl = 0;
		ukey_object o;
		uint32_t h = 0;
		unsigned hw = 0;

		if (!kind_of(e->name))
			continue;
		rv = espk_read_ef(t, e->fid, e->size, &b, &bl);
		if (rv == UKEY_E_SW_FILE_NOT_FOUND)
			continue;
		if (rv)
			return rv;
		memset(&o, 0, sizeof(o));
		if (espk_parse_attrs(b, bl, &o, &h, &hw) == 0) {
			objinfo *x = &f->o[f->n++];

			x->fid = e->fid;
			x->cls = (int)o.cls;
			x->h = h;
			x->hw = hw;
			memcpy(x->id, o.id, o.id_len);
			x->id_len = o.id_len;
			if (hw && !f->hw)
				f->hw = hw;
			/* the raw modulus: does it start with 00? */
			for (size_t pos = 0; pos + 8 <= bl;) {
				uint32_t ty = le32(b + pos), ln = le32(b + pos + 4);

				if (ln > bl - pos - 8)
					break;
				if (ty == A_MODULUS && ln > 1 && b[pos + 8] == 0)
					f->mod00 = 1;
				pos += 8 + (size_t)ln;
			}
		}
		ukey_object_clear(&o);
		free(b);
	}
	if (!f->hw) {
		f->hw = epass_hint(t) ? 4 : 1;
		f->mod00 = f->hw == 4;
	}
	return UKEY_OK;
}

static int handle_used(const form *f, int cls, unsigned h)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->o[i].cls == cls && f->o[i].h == h)
			return 1;
	return 0;
}

/* The first free key handle above `after` (0: from the start): *priv for
 * key_create / MSE, *pub for the public key object (the same kid on
 * FTCOS). */
static ukey_rv free_handle(const espk_token *t, const form *f, unsigned after,
			   unsigned *priv, unsigned *pub)
{
	if (f->hw == 4) {
		for (unsigned x = 0x20; x <= 0xE0; x += 0x20) {
			unsigned hp = 0xA000 | x, hu = 0x8000 | x;

			if (hp > after && !handle_used(f, UKEY_OBJ_PRIVKEY, hp) &&
			    !handle_used(f, UKEY_OBJ_PUBKEY, hu)) {
				*priv = hp;
				*pub = hu;
				return UKEY_OK;
			}
		}
		return UKEY_E_SW_NOT_ENOUGH_SPACE;
	}
	{
		unsigned lo = t->fs.ops->key_ref_min, hi = t->fs.ops->key_ref_max;

		if (lo < 1)
			lo = 1;
		if (hi > 0xFF)
			hi = 0xFF;
		for (unsigned k = lo; k <= hi; k++)
			if (k > after && !handle_used(f, UKEY_OBJ_PRIVKEY, k)) {
				*priv = *pub = k;
				return UKEY_OK;
			}
	}
	return UKEY_E_SW_NOT_ENOUGH_SPACE;
}

/* Where objects of a kind live: FID high byte, directory, access byte —
 * from a record of that kind, else of any object kind, else the form's
 * defaults. */
static void kind_home(const espk_token *t, const form *f, int kind,
		      uint16_t *base, char dir[11], uint8_t *acl)
{
	const espk_file *same = NULL, *any = NULL;

	for (size_t i = 0; i < t->n_files; i++) {
		int k = kind_of(t->files[i].name);

		if (k == kind && !same)
			same = &t->files[i];
		if (k && !any)
			any = &t->files[i];
	}
	if (same) {
		*base = (uint16_t)(same->fid & 0xFF00);
	} else {
		static const uint16_t ft[] = { 0, 0x7000, 0x7100, 0x7200 };
		static const uint16_t ep[] = { 0, 0x2400, 0x2500, 0x2600 };

		*base = f->hw == 4 ? ep[kind] : ft[kind];
	}
	if (!any)
		any = same;
	memset(dir, 0, 11);
	if (same || any)
		memcpy(dir, (same ? same : any)->dir, 10);
	else
		memcpy(dir, "ESPK", 4);
	if (!dir[0])
		memcpy(dir, "ESPK", 4);
	*acl = same ? same->acl : any ? any->acl : (f->hw == 4 ? 0x00 : 0x10);
}

/* ------------------------------------------------------- files, records */

static void ef_path(uint16_t fid, uint8_t path[6])
{
	memcpy(path, espk_df_path, 4);
	path[4] = (uint8_t)(fid >> 8);
	path[5] = (uint8_t)fid;
}

static ukey_rv select_ef(espk_token *t, uint16_t fid, ukey_fs_file *fci)
{
	uint8_t path[6];

	ef_path(fid, path);
	return t->fs.ops->select_path(t->fs.os, path, sizeof(path), fci);
}

/* Write data at off of the current EF and read it back. */
static ukey_rv write_check(espk_token *t, size_t off, const uint8_t *data,
			   size_t len)
{
	uint8_t *back;
	size_t got = 0;
	ukey_rv rv = t->fs.ops->update(t->fs.os, off, data, len);

	if (rv || !len)
		return rv;
	back = malloc(len);
	if (!back)
		return UKEY_E_NOMEM;
	rv = t->fs.ops->read(t->fs.os, off, back, len, &got);
	if (!rv && (got != len || memcmp(back, data, len) != 0))
		rv = UKEY_E_SW_MEMORY; /* the card did not keep what we wrote */
	free(back);
	return rv;
}

/* Put data into EF fid of the DF: created with len bytes, or a file left
 * by a deleted object if large enough (UKEY_E_SW_FILE_EXISTS if not);
 * written and read back. *alloc: the file's size. */
static ukey_rv put_file(espk_token *t, uint16_t fid, const uint8_t *data,
			size_t len, size_t *alloc)
{
	ukey_fs_file fci;
	ukey_rv rv;

	if (!len || len > 0xFFFF || len > ESPK_MAX_FILE)
		return UKEY_E_ARGS;
	rv = select_ef(t, fid, &fci);
	if (rv == UKEY_E_SW_FILE_NOT_FOUND) {
		ukey_fs_file spec;

		if (!t->fs.ops->create_ef)
			return UKEY_E_SW_FUNC_NOT_SUPPORTED;
		memset(&spec, 0, sizeof(spec));
		spec.fid = fid;
		spec.size = len;
		spec.ac_read = UKEY_AC_ALWAYS; /* the layout's files are read-free */
		spec.ac_update = UKEY_AC_USER;
		spec.ac_delete = UKEY_AC_USER;
		rv = t->fs.ops->select_path(t->fs.os, espk_df_path,
					    sizeof(espk_df_path), NULL);
		if (!rv)
			rv = t->fs.ops->create_ef(t->fs.os, &spec);
		if (rv)
			return rv;
		*alloc = len;
	} else if (rv) {
		return rv;
	} else {
		if (fci.is_df || fci.size < len || fci.size > 0xFFFF)
			return UKEY_E_SW_FILE_EXISTS;
		*alloc = fci.size;
	}
	return write_check(t, 0, data, len);
}

static ukey_rv put_rec(espk_token *t, unsigned slot, const uint8_t rec[30])
{
	ukey_rv rv = select_ef(t, 0x6F01, NULL);

	if ((size_t)(slot + 1) * ESPK_REC_LEN > t->idx_len)
		return UKEY_E_ARGS;
	if (!rv)
		rv = write_check(t, (size_t)slot * ESPK_REC_LEN, rec, ESPK_REC_LEN);
	if (!rv) {
		memcpy(t->idx + (size_t)slot * ESPK_REC_LEN, rec, ESPK_REC_LEN);
		espk_parse_index(t);
	}
	return rv;
}

static int slot_free(const espk_token *t, size_t slot)
{
	const uint8_t *r = t->idx + slot * ESPK_REC_LEN;

	for (size_t i = 0; i < ESPK_REC_LEN; i++)
		if (r[i])
			return 0;
	return 1;
}

static long next_free(const espk_token *t, size_t from)
{
	for (size_t s = from; (s + 1) * ESPK_REC_LEN <= t->idx_len; s++)
		if (slot_free(t, s))
			return (long)s;
	return -1;
}

static void make_rec(uint8_t rec[30], uint16_t fid, const char *dir,
		     const char *name, uint8_t acl, size_t used, size_t alloc)
{
	size_t dl = strlen(dir), nl = strlen(name);

	memset(rec, 0, ESPK_REC_LEN);
	rec[0] = (uint8_t)fid;
	rec[1] = (uint8_t)(fid >> 8);
	memcpy(rec + 2, dir, dl > 10 ? 10 : dl);
	memcpy(rec + 12, name, nl > 13 ? 13 : nl);
	rec[25] = acl;
	rec[26] = (uint8_t)used;
	rec[27] = (uint8_t)(used >> 8);
	rec[28] = (uint8_t)alloc;
	rec[29] = (uint8_t)(alloc >> 8);
}

static int has_dir_entry(const espk_token *t, const char *dir)
{
	for (size_t off = 0; off + ESPK_REC_LEN <= t->idx_len; off += ESPK_REC_LEN) {
		const uint8_t *r = t->idx + off;
		char d[11];

		if (r[0] != 0xFF || r[1] != 0xFF)
			continue;
		memcpy(d, r + 2, 10);
		d[10] = 0;
		if (!strcmp(d, dir))
			return 1;
	}
	return 0;
}

/* The index record of a new file, in a free record (a directory entry
 * first if its directory has none yet). */
static ukey_rv add_rec(espk_token *t, uint16_t fid, const char *dir,
		       const char *name, uint8_t acl, size_t used, size_t alloc)
{
	uint8_t rec[30];
	long s1 = next_free(t, 0), s2;
	ukey_rv rv;

	if (s1 < 0)
		return UKEY_E_SW_NOT_ENOUGH_SPACE;
	if (!has_dir_entry(t, dir)) {
		s2 = next_free(t, (size_t)s1 + 1);
		if (s2 < 0)
			return UKEY_E_SW_NOT_ENOUGH_SPACE;
		make_rec(rec, 0xFFFF, dir, "", acl, 0, 0);
		rv = put_rec(t, (unsigned)s1, rec);
		if (rv)
			return rv;
		s1 = s2;
	}
	make_rec(rec, fid, dir, name, acl, used, alloc);
	return put_rec(t, (unsigned)s1, rec);
}

/* Change the used size of a file's record. */
static ukey_rv set_used(espk_token *t, const espk_file *f, size_t used)
{
	uint8_t rec[30];

	if (used > f->alloc || used > 0xFFFF)
		return UKEY_E_SW_NOT_ENOUGH_SPACE;
	memcpy(rec, t->idx + (size_t)f->rec * ESPK_REC_LEN, ESPK_REC_LEN);
	rec[26] = (uint8_t)used;
	rec[27] = (uint8_t)(used >> 8);
	return put_rec(t, f->rec, rec);
}

/* A new object file of `kind` (certNNNN / pubkNNNN / prvkNNNN): the
 * lowest NNNN (from *nnnn if that one is free) whose name and FID no
 * record uses and whose EF is absent or reusable; file, then record. */
static ukey_rv new_object(espk_token *t, const form *f, int kind,
			  const uint8_t *data, size_t len, unsigned *nnnn,
			  uint16_t *fid_out)
{
	static const char *const prefix[] = { "", "cert", "pubk", "prvk" };
	uint16_t base;
	char dir[11], name[14];
	uint8_t acl;
	size_t alloc = 0;
	ukey_rv rv = UKEY_E_SW_NOT_ENOUGH_SPACE;

	kind_home(t, f, kind, &base, dir, &acl);
	unsigned pref = *nnnn && *nnnn < 0xFF ? *nnnn : 1;

	for (unsigned k = 0; k < 0xFF; k++) {
		/* first the preferred number, then 1, 2, ... */
		unsigned n = k == 0 ? pref : k;
		uint16_t fid = (uint16_t)(base | n);

		if (k && n == pref)
			continue;
		snprintf(name, sizeof(name), "%s%04u", prefix[kind], n);
		if (by_name(t, name) || by_fid(t, fid) || fid == 0x6F01)
			continue;
		rv = put_file(t, fid, data, len, &alloc);
		if (rv == UKEY_E_SW_FILE_EXISTS)
			continue;
		if (rv)
			return rv;
		rv = add_rec(t, fid, dir, name, acl, len, alloc);
		if (!rv) {
			*nnnn = n;
			*fid_out = fid;
		}
		return rv;
	}
	return rv;
}

static void set_ref(ukey_object *o, unsigned hw, unsigned h, uint16_t fid)
{
	o->drv_ref[0] = ESPK_REF_TAG;
	o->drv_ref[1] = (uint8_t)o->cls;
	o->drv_ref[2] = (uint8_t)hw;
	o->drv_ref[3] = (uint8_t)(h >> 8);
	o->drv_ref[4] = (uint8_t)h;
	o->drv_ref[5] = (uint8_t)(fid >> 8);
	o->drv_ref[6] = (uint8_t)fid;
	o->drv_ref_len = ESPK_REF_LEN;
	o->modifiable = 1;
}

/* ------------------------------------------------------ attribute files */

static void strip0(const uint8_t **v, size_t *len)
{
	while (*len > 1 && (*v)[0] == 0) {
		(*v)++;
		(*len)--;
	}
}

static void cert_stream(sbuf *b, const ukey_object *o)
{
	const unsigned char *p = o->value;
	X509 *x = d2i_X509(NULL, &p, (long)o->value_len);
	unsigned char *subj = NULL;
	int sl = x ? i2d_X509_NAME(X509_get_subject_name(x), &subj) : -1;

	sb_ulong(b, A_CLASS, 1);
	sb_bool(b, A_TOKEN, 1);
	sb_ulong(b, A_CERT_TYPE, 0); /* CKC_X_509 */
	sb_attr(b, A_LABEL, o->label, strlen(o->label));
	sb_attr(b, A_ID, o->id, o->id_len);
	if (sl > 0)
		sb_attr(b, A_SUBJECT, subj, (size_t)sl);
	sb_attr(b, A_VALUE, o->value, o->value_len);
	OPENSSL_free(subj);
	X509_free(x);
}

static void modulus_attr(sbuf *b, const form *f, const uint8_t *n, size_t nlen)
{
	strip0(&n, &nlen);
	sb_u32(b, A_MODULUS);
	sb_u32(b, (uint32_t)(nlen + (f->mod00 ? 1 : 0)));
	if (f->mod00)
		sb_put(b, "", 1);
	sb_put(b, n, nlen);
}

/* A key object as the vendor's tool writes it (the tables of the FTCOS
 * and ePass2003 forms): class, key type, token, (private, sensitive,)
 * label, ID, modulus, exponent, usages, key handle (hw 0: none). */
static void key_stream(sbuf *b, const form *f, int priv, const char *label,
		       const uint8_t *id, size_t idlen, const uint8_t *n,
		       size_t nlen, const uint8_t *e, size_t elen, unsigned usage,
		       unsigned hw, unsigned h)
{
	strip0(&e, &elen);
	sb_ulong(b, A_CLASS, priv ? 3 : 2);
	sb_ulong(b, A_KEY_TYPE, 0); /* CKK_RSA */
	sb_bool(b, A_TOKEN, 1);
	if (priv) {
		sb_bool(b, A_PRIVATE, 1);
		sb_bool(b, A_SENSITIVE, 1);
	}
	sb_attr(b, A_LABEL, label, strlen(label));
	sb_attr(b, A_ID, id, idlen);
	modulus_attr(b, f, n, nlen);
	sb_attr(b, A_PUBLIC_EXPONENT, e, elen);
	if (priv) {
		sb_bool(b, A_SIGN, usage & (UKEY_USAGE_SIGN | UKEY_USAGE_SIGN_RECOVER |
					    UKEY_USAGE_NONREPUDIATION));
		sb_bool(b, A_DECRYPT, usage & (UKEY_USAGE_DECRYPT | UKEY_USAGE_UNWRAP));
	} else {
		/* the vendor's public key objects carry CKA_VERIFY only */
		sb_bool(b, A_VERIFY, usage & (UKEY_USAGE_SIGN | UKEY_USAGE_VERIFY |
					      UKEY_USAGE_SIGN_RECOVER |
					      UKEY_USAGE_NONREPUDIATION));
	}
	sb_handle(b, hw, h);
}

/* ------------------------------------------ containermap and cmapfile */

static ukey_rv read_file(espk_token *t, const espk_file *f, uint8_t **b,
			 size_t *bl)
{
	ukey_rv rv = espk_read_ef(t, f->fid, f->size, b, bl);

	if (!rv && *bl != f->size) {
		free(*b);
		*b = NULL;
		rv = UKEY_E_MALFORMED;
	}
	return rv;
}

/* Rewrite [off, end) of file f with data (len bytes) and set its used
 * size to newused: content first, record after. */
static ukey_rv rewrite(espk_token *t, const espk_file *f, size_t off,
		       const uint8_t *data, size_t len, size_t newused)
{
	espk_file copy = *f;
	ukey_rv rv;

	if (off + len > f->alloc || newused > f->alloc)
		return UKEY_E_SW_NOT_ENOUGH_SPACE;
	rv = select_ef(t, f->fid, NULL);
	if (!rv)
		rv = write_check(t, off, data, len);
	if (!rv && newused != f->size)
		rv = set_used(t, &copy, newused);
	return rv;
}

/* Container i of the containermap (FTCOS form: groups of attributes, each
 * ending with the key-handle attribute). Returns the number of groups;
 * *start / *end of the group whose handle is h (if found: *pos >= 0). */
static size_t ft_groups(const uint8_t *b, size_t bl, unsigned h, long *pos,
			size_t *start, size_t *end)
{
	size_t p = 0, gs = 0, n = 0;

	*pos = -1;
	while (p + 8 <= bl) {
		uint32_t ty = le32(b + p), ln = le32(b + p + 4);

		if ((ty == 0 && ln == 0) || ln > bl - p - 8)
			break;
		p += 8 + (size_t)ln;
		if (ty == ESPK_ATTR_KEY_HANDLE) {
			uint32_t v = 0;

			for (uint32_t i = 0; i < ln && i < 4; i++)
				v |= (uint32_t)b[p - ln + i] << (8 * i);
			if (v == h && *pos < 0) {
				*pos = (long)n;
				*start = gs;
				*end = p;
			}
			n++;
			gs = p;
		}
	}
	return n;
}

/* cmapfile record flags (Windows CONTAINER_MAP_RECORD bFlags): a record
 * without VALID is a free slot to Windows. */
#define CMAP_FLAGS 80
#define CMAP_VALID 0x01
#define CMAP_DEFAULT 0x02

/* How many containers the containermap holds (form hw: 1 FTCOS groups,
 * else ePass2003 records); 0 without a containermap. */
static ukey_rv cm_count(espk_token *t, unsigned hw, size_t *n)
{
	const espk_file *cm = by_name(t, "containermap");
	uint8_t *b = NULL;
	size_t bl = 0, s0, e0;
	long pos;
	ukey_rv rv;

	*n = 0;
	if (!cm)
		return UKEY_OK;
	rv = read_file(t, cm, &b, &bl);
	if (rv)
		return rv;
	if (hw == 1)
		*n = ft_groups(b, bl, 0xFFFFFFFFu, &pos, &s0, &e0);
	else if (bl >= CM2003_HEAD)
		*n = b[0];
	else
		rv = UKEY_E_MALFORMED;
	free(b);
	return rv;
}

/* Set or clear VALID of cmapfile record i (one byte; none: nothing). */
static ukey_rv cmapfile_valid(espk_token *t, size_t i, int valid)
{
	const espk_file *f = by_name(t, "cmapfile");
	uint8_t *b = NULL, fl;
	size_t bl = 0, off = i * CMAP_REC + CMAP_FLAGS;
	ukey_rv rv;

	if (!f || f->size % CMAP_REC || (i + 1) * CMAP_REC > f->size)
		return UKEY_OK;
	rv = read_file(t, f, &b, &bl);
	if (rv)
		return rv;
	fl = valid ? (uint8_t)(b[off] | CMAP_VALID) : (uint8_t)(b[off] & ~CMAP_VALID);
	rv = fl == b[off] ? UKEY_OK : rewrite(t, f, off, &fl, 1, f->size);
	free(b);
	return rv;
}

/* Adding and removing a container takes three writes (cmapfile record,
 * containermap, cmapfile again), and a pulled token or a killed process
 * can stop between them; the middle write is made to leave a state this
 * tells apart (a record without VALID) and puts right before the next
 * container change:
 *  - more records than containers (a removal stopped after the
 *    containermap, or an add before it): the records without VALID go;
 *  - as many as containers (an add stopped before its record was made
 *    valid, a removal before the containermap): every record is valid.
 * Fewer records than containers is left alone (no name to give one).
 * The ePass2003 containermap's own torn removal first (cm2003_repair). */
static ukey_rv cmapfile_remove(espk_token *t, size_t i);

/* ePass2003 form: a removal writes the shifted records, then the count; a
 * stop between leaves the count one too high over an all-zero last
 * record: the count comes down to the last record that names a key. */
static ukey_rv cm2003_repair(espk_token *t)
{
	const espk_file *cm = by_name(t, "containermap");
	uint8_t *b = NULL, cnt, c0;
	size_t bl = 0;
	ukey_rv rv;

	if (!cm)
		return UKEY_OK;
	rv = read_file(t, cm, &b, &bl);
	if (rv)
		return rv;
	if (bl < CM2003_HEAD) {
		free(b);
		return UKEY_E_MALFORMED;
	}
	c0 = cnt = b[0];
	while (cnt > 0 && CM2003_HEAD + (size_t)cnt * CM2003_REC <= bl) {
		const uint8_t *r = b + CM2003_HEAD + (size_t)(cnt - 1) * CM2003_REC;
		size_t z = 0;

		while (z < CM2003_REC && !r[z])
			z++;
		if (z < CM2003_REC)
			break;
		cnt--;
	}
	free(b);
	if (cnt == c0)
		return UKEY_OK;
	{
		espk_file copy = *cm;

		return rewrite(t, &copy, 0, &cnt, 1, copy.size);
	}
}

static ukey_rv cmapfile_repair(espk_token *t, unsigned hw)
{
	const espk_file *f = by_name(t, "cmapfile");
	uint8_t *b = NULL;
	size_t bl = 0, n = 0, m;
	ukey_rv rv;

	rv = hw == 1 ? UKEY_OK : cm2003_repair(t);
	if (rv)
		return rv;
	f = by_name(t, "cmapfile");
	if (!f || f->size % CMAP_REC)
		return UKEY_OK;
	rv = cm_count(t, hw, &n);
	if (!rv)
		rv = read_file(t, f, &b, &bl);
	if (rv)
		return rv;
	m = bl / CMAP_REC;
	for (size_t i = m; !rv && i-- > 0;) {
		if (b[i * CMAP_REC + CMAP_FLAGS] & CMAP_VALID)
			continue;
		if (m > n) {
			rv = cmapfile_remove(t, i);
			m--;
		} else {
			rv = cmapfile_valid(t, i, 1);
		}
	}
	free(b);
	return rv;
}

/* A new record at the end, not yet VALID (cm_add makes it valid once the
 * containermap names the container). */
static ukey_rv cmapfile_add(espk_token *t, const char *cname, unsigned bits)
{
	const espk_file *f = by_name(t, "cmapfile");
	uint8_t rec[CMAP_REC], *b = NULL;
	size_t bl = 0;
	int has_default = 0;
	ukey_rv rv;

	if (!f)
		return UKEY_OK; /* the token keeps none: none is added */
	if (f->size % CMAP_REC)
		return UKEY_E_MALFORMED;
	rv = read_file(t, f, &b, &bl);
	if (rv)
		return rv;
	for (size_t o = 0; o + CMAP_REC <= bl; o += CMAP_REC)
		has_default |= b[o + CMAP_FLAGS] & CMAP_DEFAULT;
	free(b);
	memset(rec, 0, sizeof(rec));
	for (size_t i = 0; cname[i] && i < 39; i++)
		rec[2 * i] = (uint8_t)cname[i]; /* UTF-16LE */
	rec[CMAP_FLAGS] = has_default ? 0x00 : CMAP_DEFAULT;
	rec[84] = (uint8_t)bits;                 /* key-exchange key bits */
	rec[85] = (uint8_t)(bits >> 8);
	return rewrite(t, f, f->size, rec, sizeof(rec), f->size + CMAP_REC);
}

static ukey_rv cmapfile_remove(espk_token *t, size_t i)
{
	const espk_file *f = by_name(t, "cmapfile");
	uint8_t *b = NULL;
	size_t bl = 0, off = i * CMAP_REC;
	int was_default, any_default = 0;
	ukey_rv rv;

	if (!f || f->size % CMAP_REC || off + CMAP_REC > f->size)
		return UKEY_OK; /* nothing to remove */
	rv = read_file(t, f, &b, &bl);
	if (rv)
		return rv;
	was_default = b[off + CMAP_FLAGS] & CMAP_DEFAULT;
	memmove(b + off, b + off + CMAP_REC, bl - off - CMAP_REC);
	memset(b + bl - CMAP_REC, 0, CMAP_REC);
	for (size_t o = 0; o + CMAP_REC <= bl - CMAP_REC; o += CMAP_REC)
		any_default |= b[o + CMAP_FLAGS] & CMAP_DEFAULT;
	if (was_default && !any_default && bl >= 2 * CMAP_REC)
		b[CMAP_FLAGS] |= CMAP_DEFAULT; /* the first container becomes the default */
	rv = rewrite(t, f, off, b + off, bl - off, bl - CMAP_REC);
	free(b);
	return rv;
}

static ukey_rv cm_add(espk_token *t, const form *f, const char *cname,
		      const uint8_t *id, size_t idlen, unsigned hpriv,
		      unsigned hpub, unsigned bits)
{
	const espk_file *cm = by_name(t, "containermap");
	uint8_t *b = NULL;
	size_t bl = 0, n = 0;
	ukey_rv rv;

	if (!cm)
		return UKEY_OK; /* the token keeps none: none is added */
	/* the record first (not yet valid), then the container, then the
	 * record made valid: cmapfile_repair's rules */
	rv = cmapfile_repair(t, f->hw);
	if (!rv) {
		/* the record cmapfile_add appends (a token whose cmapfile
		 * already lacks records keeps that gap, not a record that
		 * never becomes valid) */
		const espk_file *cf = by_name(t, "cmapfile");

		n = cf ? cf->size / CMAP_REC : 0;
		rv = cmapfile_add(t, cname, bits);
	}
	if (rv)
		return rv;
	cm = by_name(t, "containermap");
	if (f->hw == 1) {
		sbuf s = { 0 };

		sb_attr(&s, A_LABEL, cname, strlen(cname));
		sb_attr(&s, A_ID, id, idlen);
		sb_handle(&s, 1, hpriv);
		rv = s.err ? UKEY_E_NOMEM :
			     rewrite(t, cm, cm->size, s.p, s.n, cm->size + s.n);
		sb_free(&s);
	} else {
		uint8_t rec[CM2003_REC], cnt;
		size_t off;
		espk_file copy;

		rv = read_file(t, cm, &b, &bl);
		if (rv)
			return rv;
		if (bl < CM2003_HEAD) {
			free(b);
			return UKEY_E_MALFORMED;
		}
		cnt = b[0];
		free(b);
		off = CM2003_HEAD + (size_t)cnt * CM2003_REC;
		if (cnt == 0xFF || off + CM2003_REC > cm->alloc)
			return UKEY_E_SW_NOT_ENOUGH_SPACE;
		memset(rec, 0, sizeof(rec));
		for (int i = 0; i < 4; i++) {
			rec[i] = (uint8_t)(hpriv >> (8 * i));
			rec[4 + i] = (uint8_t)(hpub >> (8 * i));
		}
		/* the record, its used size, then the count */
		rv = rewrite(t, cm, off, rec, sizeof(rec),
			     off + CM2003_REC > cm->size ? off + CM2003_REC : cm->size);
		copy = *by_name(t, "containermap");
		cnt++;
		if (!rv)
			rv = rewrite(t, &copy, 0, &cnt, 1, copy.size);
	}
	if (!rv)
		rv = cmapfile_valid(t, n, 1);
	return rv;
}

/* Remove the container of private key handle h (and its cmapfile
 * record); none: nothing to do. Its cmapfile record loses VALID first,
 * then the containermap entry goes, then the record (cmapfile_repair). */
static ukey_rv cm_remove(espk_token *t, unsigned hw, unsigned h)
{
	const espk_file *cm = by_name(t, "containermap");
	uint8_t *b = NULL;
	size_t bl = 0, idx = 0;
	int found = 0;
	ukey_rv rv;

	if (!cm)
		return UKEY_OK;
	rv = cmapfile_repair(t, hw);
	if (rv)
		return rv;
	cm = by_name(t, "containermap");
	rv = read_file(t, cm, &b, &bl);
	if (rv)
		return rv;
	if (hw == 1) {
		long pos;
		size_t gs = 0, ge = 0;

		(void)ft_groups(b, bl, h, &pos, &gs, &ge);
		if (pos >= 0) {
			size_t cut = ge - gs;

			idx = (size_t)pos;
			found = 1;
			rv = cmapfile_valid(t, idx, 0);
			memmove(b + gs, b + ge, bl - ge);
			memset(b + bl - cut, 0, cut);
			cm = by_name(t, "containermap");
			if (!rv)
				rv = rewrite(t, cm, gs, b + gs, bl - gs, bl - cut);
		}
	} else if (bl >= CM2003_HEAD) {
		size_t cnt = b[0];

		for (size_t i = 0; i < cnt && !found; i++) {
			size_t off = CM2003_HEAD + i * CM2003_REC;

			if (off + CM2003_REC > bl)
				break;
			if (le32(b + off) != h)
				continue;
			found = 1;
			idx = i;
			rv = cmapfile_valid(t, idx, 0);
			if (!rv) {
				size_t end = CM2003_HEAD + cnt * CM2003_REC;
				size_t newused = bl;
				espk_file copy;
				uint8_t c1;

				if (end > bl)
					end = bl;
				memmove(b + off, b + off + CM2003_REC, end - off - CM2003_REC);
				memset(b + end - CM2003_REC, 0, CM2003_REC);
				if (bl == end)
					newused = end - CM2003_REC;
				/* the records first (a torn write leaves a
				 * zero record, never loses a container),
				 * then the count and the used size */
				c1 = (uint8_t)(cnt - 1);
				cm = by_name(t, "containermap");
				rv = rewrite(t, cm, off, b + off, end - off, cm->size);
				copy = *by_name(t, "containermap");
				if (!rv)
					rv = rewrite(t, &copy, 0, &c1, 1, newused);
			}
		}
	}
	free(b);
	if (!rv && found)
		rv = cmapfile_remove(t, idx);
	return rv;
}

/* --------------------------------------------------------- operations */

ukey_rv espk_write_object(espk_token *t, ukey_object *obj)
{
	form *f;
	sbuf s = { 0 };
	unsigned n = 0;
	uint16_t fid = 0;
	int kind;
	ukey_rv rv;

	if (!t || !obj)
		return UKEY_E_ARGS;
	if (obj->cls == UKEY_OBJ_CERT) {
		if (!obj->value || !obj->value_len)
			return UKEY_E_ARGS;
		kind = UKEY_OBJ_CERT;
	} else if (obj->cls == UKEY_OBJ_PUBKEY) {
		if (!obj->modulus || !obj->pub_exp || !obj->modulus_len ||
		    !obj->pub_exp_len)
			return UKEY_E_ARGS;
		kind = UKEY_OBJ_PUBKEY;
	} else {
		/* the layout has no data objects the vendor's tools know */
		return UKEY_E_SW_FUNC_NOT_SUPPORTED;
	}
	if (obj->id_len > UKEY_ID_MAX)
		return UKEY_E_ARGS;
	f = calloc(1, sizeof(*f));
	if (!f)
		return UKEY_E_NOMEM;
	rv = learn(t, f);
	if (rv)
		goto out;
	if (kind == UKEY_OBJ_CERT)
		cert_stream(&s, obj);
	else
		key_stream(&s, f, 0, obj->label, obj->id, obj->id_len, obj->modulus,
			   obj->modulus_len, obj->pub_exp, obj->pub_exp_len,
			   obj->usage ? obj->usage : UKEY_USAGE_VERIFY, 0, 0);
	if (s.err) {
		rv = UKEY_E_NOMEM;
		goto out;
	}
	rv = new_object(t, f, kind, s.p, s.n, &n, &fid);
	if (!rv)
		set_ref(obj, 0, 0, fid);
out:
	sb_free(&s);
	free(f);
	return rv;
}

/* The index entry of an object we listed (drv_ref), after a fresh read
 * of the index. */
static ukey_rv find_obj(espk_token *t, const ukey_object *o, espk_file *out)
{
	const espk_file *f;
	uint16_t fid;
	ukey_rv rv;

	if (!o || o->drv_ref_len != ESPK_REF_LEN || o->drv_ref[0] != ESPK_REF_TAG ||
	    o->drv_ref[1] != (uint8_t)o->cls)
		return UKEY_E_ARGS;
	rv = espk_read_index(t);
	if (rv)
		return rv;
	fid = (uint16_t)(o->drv_ref[5] << 8 | o->drv_ref[6]);
	f = by_fid(t, fid);
	if (!f || kind_of(f->name) != (int)o->cls)
		return UKEY_E_SW_FILE_NOT_FOUND;
	*out = *f;
	return UKEY_OK;
}

/* Free the record of f and delete (or zero) its file. */
static ukey_rv drop_file(espk_token *t, const espk_file *f)
{
	uint8_t zero[30];
	ukey_rv rv;

	memset(zero, 0, sizeof(zero));
	rv = put_rec(t, f->rec, zero);
	if (rv)
		return rv;
	if (t->fs.ops->delete_file) {
		uint8_t path[6];

		ef_path(f->fid, path);
		rv = t->fs.ops->delete_file(t->fs.os, path, sizeof(path));
		return rv == UKEY_E_SW_FILE_NOT_FOUND ? UKEY_OK : rv;
	}
	if (f->size) {
		/* no DELETE FILE: the content is zeroed, the EF stays for
		 * reuse */
		uint8_t *z = calloc(1, f->size);

		if (!z)
			return UKEY_E_NOMEM;
		rv = select_ef(t, f->fid, NULL);
		if (!rv)
			rv = t->fs.ops->update(t->fs.os, 0, z, f->size);
		free(z);
	}
	return rv;
}

static ukey_rv relocate(espk_token *t, const espk_file *f, const uint8_t *data,
			size_t len)
{
	form *fm = calloc(1, sizeof(*fm));
	espk_file old = *f;
	unsigned n = 0;
	uint16_t fid = 0;
	ukey_rv rv;

	if (!fm)
		return UKEY_E_NOMEM;
	rv = learn(t, fm);
	if (!rv)
		rv = new_object(t, fm, kind_of(old.name), data, len, &n, &fid);
	free(fm);
	if (!rv) {
		const espk_file *cur = by_fid(t, old.fid);

		rv = cur ? drop_file(t, cur) : UKEY_OK;
	}
	return rv;
}

ukey_rv espk_update_object(espk_token *t, const ukey_object *obj)
{
	espk_file f;
	uint8_t *b = NULL;
	size_t bl = 0, p = 0, wlen;
	sbuf s = { 0 };
	int done = 0;
	ukey_rv rv = find_obj(t, obj, &f);

	if (rv)
		return rv;
	rv = read_file(t, &f, &b, &bl);
	if (rv)
		return rv;
	/* the same attributes in the same order, the label replaced */
	while (p + 8 <= bl) {
		uint32_t ty = le32(b + p), ln = le32(b + p + 4);

		if (ty == 0 && ln == 0)
			break;
		if (ln > bl - p - 8) {
			rv = UKEY_E_MALFORMED;
			goto out;
		}
		if (ty == A_LABEL) {
			if (!done)
				sb_attr(&s, A_LABEL, obj->label, strlen(obj->label));
			done = 1;
		} else {
			sb_put(&s, b + p, 8 + (size_t)ln);
		}
		p += 8 + (size_t)ln;
	}
	if (!done)
		sb_attr(&s, A_LABEL, obj->label, strlen(obj->label));
	if (s.err) {
		rv = UKEY_E_NOMEM;
		goto out;
	}
	if (s.n > f.alloc) {
		/* no room in its file: the object moves to a new one (file and
		 * record first, then the old record and file go); p11/ lists
		 * again after its own writes and sees the new reference */
		rv = relocate(t, &f, s.p, s.n);
		goto out;
	}
	/* a shorter stream: zeros over the rest of the old one */
	wlen = s.n > bl ? s.n : bl;
	{
		uint8_t *w = calloc(1, wlen);

		if (!w) {
			rv = UKEY_E_NOMEM;
			goto out;
		}
		memcpy(w, s.p, s.n);
		/* growing: content first, then the record's used size;
		 * shrinking: the same (a reader stops at the zeros) */
		rv = rewrite(t, &f, 0, w, wlen, s.n);
		free(w);
	}
out:
	sb_free(&s);
	free(b);
	return rv;
}

ukey_rv espk_delete_object(espk_token *t, const ukey_object *obj)
{
	espk_file f;
	unsigned hw = 0, h = 0;
	ukey_rv rv = find_obj(t, obj, &f);

	if (rv)
		return rv;
	hw = obj->drv_ref[2];
	h = (unsigned)obj->drv_ref[3] << 8 | obj->drv_ref[4];
	/* the container first, so that it never names a missing key */
	if (obj->cls == UKEY_OBJ_PRIVKEY && hw) {
		rv = cm_remove(t, hw, h);
		if (rv)
			return rv;
	}
	rv = drop_file(t, &f);
	if (!rv && obj->cls == UKEY_OBJ_PRIVKEY && hw && t->fs.ops->key_delete) {
		rv = t->fs.ops->select_path(t->fs.os, espk_df_path,
					    sizeof(espk_df_path), NULL);
		if (!rv)
			rv = t->fs.ops->key_delete(t->fs.os, h);
	}
	return rv;
}

static ukey_rv dup_be(uint8_t **dst, size_t *dlen, const uint8_t *src, size_t len)
{
	strip0(&src, &len);
	*dst = malloc(len ? len : 1);
	if (!*dst)
		return UKEY_E_NOMEM;
	memcpy(*dst, src, len);
	*dlen = len;
	return UKEY_OK;
}

static unsigned mod_bits(const uint8_t *n, size_t len)
{
	unsigned bits;

	strip0(&n, &len);
	if (!len || !n[0])
		return 0;
	bits = (unsigned)len * 8;
	for (uint8_t b = n[0]; !(b & 0x80); b <<= 1)
		bits--;
	return bits;
}

/* A key pair in key record hpriv (generated or imported by the caller's
 * key_create): public and private key objects, then the container. */
static ukey_rv add_keypair(espk_token *t, const form *f, unsigned hpriv,
			   unsigned hpub, const ukey_keygen_params *p,
			   const uint8_t *n, size_t nlen, const uint8_t *e,
			   size_t elen, int native, ukey_object *pub,
			   ukey_object *priv)
{
	uint8_t id[UKEY_ID_MAX];
	size_t idlen;
	unsigned usage = p->usage ? p->usage : (UKEY_USAGE_SIGN | UKEY_USAGE_DECRYPT);
	unsigned nn = 0, bits = mod_bits(n, nlen);
	uint16_t fpub = 0, fpriv = 0;
	char cname[40];
	sbuf s = { 0 };
	ukey_rv rv;

	strip0(&n, &nlen);
	if (p->id_len) {
		if (p->id_len > UKEY_ID_MAX)
			return UKEY_E_ARGS;
		memcpy(id, p->id, p->id_len);
		idlen = p->id_len;
	} else {
		/* as the vendor's tools: SHA-1 of the modulus */
		SHA1(n, nlen, id);
		idlen = SHA_DIGEST_LENGTH;
	}
	key_stream(&s, f, 0, p->label, id, idlen, n, nlen, e, elen, usage, f->hw, hpub);
	rv = s.err ? UKEY_E_NOMEM : new_object(t, f, UKEY_OBJ_PUBKEY, s.p, s.n, &nn, &fpub);
	sb_free(&s);
	if (rv)
		return rv;
	key_stream(&s, f, 1, p->label, id, idlen, n, nlen, e, elen, usage, f->hw, hpriv);
	rv = s.err ? UKEY_E_NOMEM : new_object(t, f, UKEY_OBJ_PRIVKEY, s.p, s.n, &nn, &fpriv);
	sb_free(&s);
	if (rv)
		return rv;
	snprintf(cname, sizeof(cname), "ukey-container-%04u", nn);
	rv = cm_add(t, f, cname, id, idlen, hpriv, hpub, bits);
	if (rv)
		return rv;

	ukey_object_clear(pub);
	ukey_object_clear(priv);
	priv->cls = UKEY_OBJ_PRIVKEY;
	pub->cls = UKEY_OBJ_PUBKEY;
	memcpy(priv->id, id, idlen);
	memcpy(pub->id, id, idlen);
	priv->id_len = pub->id_len = idlen;
	memcpy(priv->label, p->label, sizeof(priv->label));
	priv->label[sizeof(priv->label) - 1] = 0;
	memcpy(pub->label, priv->label, sizeof(pub->label));
	priv->key_bits = pub->key_bits = bits;
	/* what the files just written say, read back the same way */
	priv->usage = 0;
	if (usage & (UKEY_USAGE_SIGN | UKEY_USAGE_SIGN_RECOVER | UKEY_USAGE_NONREPUDIATION))
		priv->usage |= UKEY_USAGE_SIGN;
	if (usage & (UKEY_USAGE_DECRYPT | UKEY_USAGE_UNWRAP))
		priv->usage |= UKEY_USAGE_DECRYPT;
	pub->usage = 0;
	if (usage & (UKEY_USAGE_SIGN | UKEY_USAGE_VERIFY | UKEY_USAGE_SIGN_RECOVER |
		     UKEY_USAGE_NONREPUDIATION))
		pub->usage |= UKEY_USAGE_VERIFY;
	/* no CKA_ENCRYPT in the file: the reader pairs it with the private
	 * key's CKA_DECRYPT (espk.c pair_encrypt) */
	if (priv->usage & UKEY_USAGE_DECRYPT)
		pub->usage |= UKEY_USAGE_ENCRYPT;
	priv->native = native;
	priv->private_obj = 1;
	set_ref(priv, f->hw, hpriv, fpriv);
	set_ref(pub, f->hw, hpub, fpub);
	rv = dup_be(&priv->modulus, &priv->modulus_len, n, nlen);
	if (!rv)
		rv = dup_be(&priv->pub_exp, &priv->pub_exp_len, e, elen);
	if (!rv)
		rv = dup_be(&pub->modulus, &pub->modulus_len, n, nlen);
	if (!rv)
		rv = dup_be(&pub->pub_exp, &pub->pub_exp_len, e, elen);
	return rv;
}

/* The key record of a new key pair: the form, then the first free handle
 * whose record the card OS can fill (a card may lack records for some
 * references: FTCOS answers 6A88 for a record never installed), with the
 * DF current. */
static ukey_rv key_slot(espk_token *t, form *f, const ukey_fs_keyspec *ks,
			unsigned *hpriv, unsigned *hpub)
{
	unsigned after = 0;
	ukey_rv rv;

	if (!t->fs.ops->key_create)
		return UKEY_E_SW_FUNC_NOT_SUPPORTED;
	rv = learn(t, f);
	while (!rv) {
		rv = free_handle(t, f, after, hpriv, hpub);
		if (!rv)
			rv = t->fs.ops->select_path(t->fs.os, espk_df_path,
						    sizeof(espk_df_path), NULL);
		if (!rv)
			rv = t->fs.ops->key_create(t->fs.os, *hpriv, ks);
		if (rv != UKEY_E_SW_REF_NOT_FOUND)
			break;
		after = *hpriv;
		rv = UKEY_OK;
	}
	return rv;
}

ukey_rv espk_generate_rsa(espk_token *t, const ukey_keygen_params *p,
			  ukey_object *pub, ukey_object *priv)
{
	ukey_fs_keyspec ks;
	uint8_t *n = NULL, *e = NULL;
	size_t nlen = 0, elen = 0;
	unsigned hpriv = 0, hpub = 0;
	form *f;
	ukey_rv rv;

	if (!t || !p || !pub || !priv)
		return UKEY_E_ARGS;
	if (!t->fs.ops->key_read_public)
		return UKEY_E_SW_FUNC_NOT_SUPPORTED;
	f = calloc(1, sizeof(*f));
	if (!f)
		return UKEY_E_NOMEM;
	ks.bits = p->bits;
	ks.import = NULL;
	rv = key_slot(t, f, &ks, &hpriv, &hpub);
	if (!rv)
		rv = t->fs.ops->key_read_public(t->fs.os, hpriv, &n, &nlen, &e, &elen);
	if (!rv && (!nlen || !elen))
		rv = UKEY_E_MALFORMED;
	if (!rv)
		rv = add_keypair(t, f, hpriv, hpub, p, n, nlen, e, elen, 1, pub, priv);
	free(n);
	free(e);
	free(f);
	return rv;
}

ukey_rv espk_import_rsa(espk_token *t, const ukey_keygen_params *p,
			const ukey_rsa_material *m, ukey_object *priv)
{
	ukey_fs_keyspec ks;
	ukey_object pub;
	unsigned hpriv = 0, hpub = 0;
	form *f;
	ukey_rv rv;

	if (!t || !p || !m || !priv || !m->n || !m->e || !m->n_len || !m->e_len)
		return UKEY_E_ARGS;
	f = calloc(1, sizeof(*f));
	if (!f)
		return UKEY_E_NOMEM;
	ks.bits = p->bits;
	ks.import = m;
	rv = key_slot(t, f, &ks, &hpriv, &hpub);
	memset(&pub, 0, sizeof(pub));
	if (!rv)
		rv = add_keypair(t, f, hpriv, hpub, p, m->n, m->n_len, m->e, m->e_len,
				 0, &pub, priv);
	ukey_object_clear(&pub);
	free(f);
	return rv;
}
