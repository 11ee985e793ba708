/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/layout/espk.c — reading the ENTERSAFE-ESPK layout (see espk.h).
 *
 * Public facts (OpenSC issue 3834, summarised in ftcos-command-set.md): DF
 * 3F00/2003 named "ENTERSAFE-ESPK" holds an index EF 6F01 of 30-byte
 * records — FID (LE, FFFF = directory), directory name[10], file name[13],
 * ACL byte, used size (LE), allocated size (LE) — and files that are flat
 * streams of PKCS#11 attributes (u32 type LE, u32 length LE, value). The
 * vendor attribute 0x80000100 is the on-card key handle used in MSE: one
 * byte on FTCOS (the kid), four (u32 LE, A0xx private / 80xx public key
 * file) on the ePass2003; its width is taken from the attribute's length.
 * tokeninfo is an attribute stream (FTCOS) or label[32] || manufacturer[32]
 * || serial[16] (ePass2003).
 */
#include <stdlib.h>
#include <string.h>

#include "espk.h"
#include "layout.h"

#define ESPK_ATTR_KEY_ID ESPK_ATTR_KEY_HANDLE

/* PKCS#11 attribute types we use (values from the PKCS#11 standard). */
#define A_CLASS 0x000u
#define A_PRIVATE 0x002u
#define A_LABEL 0x003u
#define A_VALUE 0x011u
#define A_ID 0x102u
#define A_ENCRYPT 0x104u
#define A_DECRYPT 0x105u
#define A_WRAP 0x106u
#define A_UNWRAP 0x107u
#define A_SIGN 0x108u
#define A_SIGN_RECOVER 0x109u
#define A_VERIFY 0x10Au
#define A_MODULUS 0x120u
#define A_PUBLIC_EXPONENT 0x122u

const uint8_t espk_df_path[4] = { 0x3F, 0x00, 0x20, 0x03 };
#define espk_df espk_df_path
static const uint8_t espk_name[14] = { 'E', 'N', 'T', 'E', 'R', 'S', 'A',
				       'F', 'E', '-', 'E', 'S', 'P', 'K' };

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

int espk_parse_index_record(const uint8_t rec[30], espk_file *f)
{
	uint16_t fid = (uint16_t)(rec[0] | rec[1] << 8);
	size_t n;

	memset(f, 0, sizeof(*f));
	if (fid == 0xFFFF || fid == 0x0000)
		return 0; /* a directory entry or an unused record */
	if (fid == 0x3F00 || fid == 0x6F01)
		return -1;
	f->fid = fid;
	for (n = 0; n < 10 && rec[2 + n]; n++) {
		if (rec[2 + n] < 0x20 || rec[2 + n] > 0x7E)
			return -1;
		f->dir[n] = (char)rec[2 + n];
	}
	f->dir[n] = 0;
	for (n = 0; n < 13 && rec[12 + n]; n++) {
		if (rec[12 + n] < 0x20 || rec[12 + n] > 0x7E)
			return -1;
		f->name[n] = (char)rec[12 + n];
	}
	f->name[n] = 0;
	if (!n)
		return -1; /* a file without a name */
	f->acl = rec[25];
	f->size = (size_t)(rec[26] | rec[27] << 8);
	f->alloc = (size_t)(rec[28] | rec[29] << 8);
	if (f->size > f->alloc || f->size > ESPK_MAX_FILE)
		return -1;
	return 1;
}

static ukey_rv dup(const uint8_t *v, size_t len, uint8_t **out, size_t *olen)
{
	while (len > 1 && v[0] == 0) {
		v++;
		len--;
	}
	*out = malloc(len ? len : 1);
	if (!*out)
		return UKEY_E_NOMEM;
	if (len)
		memcpy(*out, v, len);
	*olen = len;
	return UKEY_OK;
}

int espk_parse_attrs(const uint8_t *buf, size_t len, ukey_object *o,
		     uint32_t *key_handle, unsigned *handle_len)
{
	size_t pos = 0;
	long cls = -1;
	unsigned usage = 0;
	int have_usage = 0;

	*key_handle = 0;
	if (handle_len)
		*handle_len = 0;
	while (pos + 8 <= len) {
		uint32_t type = le32(buf + pos), l = le32(buf + pos + 4);
		const uint8_t *v = buf + pos + 8;
		int flag;

		if (type == 0 && l == 0)
			break; /* zero padding */
		if (l > len - pos - 8)
			return -1;
		pos += 8 + (size_t)l;
		flag = l >= 1 && v[0] != 0;
		switch (type) {
		case A_CLASS:
			if (l != 4 && l != 8)
				return -1;
			cls = (long)le32(v);
			break;
		case A_LABEL:
			if (l >= sizeof(o->label))
				l = sizeof(o->label) - 1;
			memcpy(o->label, v, l);
			o->label[l] = 0;
			for (uint32_t i = 0; i < l; i++)
				if (!o->label[i])
					o->label[i] = '?';
			break;
		case A_ID:
			if (l > UKEY_ID_MAX)
				return -1;
			memcpy(o->id, v, l);
			o->id_len = l;
			break;
		case A_VALUE:
			free(o->value);
			o->value = NULL;
			o->value = malloc(l ? l : 1);
			if (!o->value)
				return -1;
			if (l)
				memcpy(o->value, v, l);
			o->value_len = l;
			break;
		case A_MODULUS:
			free(o->modulus);
			o->modulus = NULL;
			if (!l || l > 1024 || dup(v, l, &o->modulus, &o->modulus_len))
				return -1;
			break;
		case A_PUBLIC_EXPONENT:
			free(o->pub_exp);
			o->pub_exp = NULL;
			if (!l || l > 16 || dup(v, l, &o->pub_exp, &o->pub_exp_len))
				return -1;
			break;
		case A_PRIVATE:
			o->private_obj = flag;
			break;
		case ESPK_ATTR_KEY_ID:
			/* FTCOS: one byte (kid); ePass2003: u32 LE of a
			 * 16-bit key file handle */
			if (l != 1 && l != 4)
				return -1;
			*key_handle = 0;
			for (uint32_t i = 0; i < l; i++)
				*key_handle |= (uint32_t)v[i] << (8 * i);
			if (*key_handle > 0xFFFF)
				return -1;
			if (handle_len)
				*handle_len = l;
			break;
		case A_SIGN: case A_DECRYPT: case A_SIGN_RECOVER: case A_UNWRAP:
		case A_VERIFY: case A_ENCRYPT: case A_WRAP:
			have_usage = 1;
			if (!flag)
				break;
			usage |= type == A_SIGN ? UKEY_USAGE_SIGN :
				 type == A_DECRYPT ? UKEY_USAGE_DECRYPT :
				 type == A_SIGN_RECOVER ? UKEY_USAGE_SIGN_RECOVER :
				 type == A_UNWRAP ? UKEY_USAGE_UNWRAP :
				 type == A_VERIFY ? UKEY_USAGE_VERIFY :
				 type == A_ENCRYPT ? UKEY_USAGE_ENCRYPT : UKEY_USAGE_WRAP;
			break;
		default:
			break; /* other attributes are not needed */
		}
	}
	switch (cls) {
	case 1: /* CKO_CERTIFICATE */
		o->cls = UKEY_OBJ_CERT;
		if (!o->value)
			return -1;
		break;
	case 2: /* CKO_PUBLIC_KEY */
		o->cls = UKEY_OBJ_PUBKEY;
		if (!have_usage)
			usage = UKEY_USAGE_VERIFY | UKEY_USAGE_ENCRYPT;
		break;
	case 3: /* CKO_PRIVATE_KEY */
		o->cls = UKEY_OBJ_PRIVKEY;
		o->private_obj = 1;
		if (!have_usage)
			usage = UKEY_USAGE_SIGN | UKEY_USAGE_DECRYPT;
		break;
	default:
		return -1;
	}
	o->usage = usage;
	if (o->modulus) {
		size_t i = 0;
		unsigned bits;

		while (i < o->modulus_len && !o->modulus[i])
			i++;
		bits = (unsigned)(o->modulus_len - i) * 8;
		if (i < o->modulus_len)
			for (uint8_t b = o->modulus[i]; !(b & 0x80); b <<= 1)
				bits--;
		o->key_bits = bits;
	}
	return 0;
}

/* Read a whole EF of the ESPK DF (at most `len` bytes). */
ukey_rv espk_read_ef(espk_token *t, uint16_t fid, size_t len, uint8_t **out,
		     size_t *outlen)
{
	uint8_t path[6] = { 0x3F, 0x00, 0x20, 0x03, (uint8_t)(fid >> 8), (uint8_t)fid };
	ukey_fs_file fci;
	uint8_t *buf;
	size_t got = 0;
	ukey_rv rv = t->fs.ops->select_path(t->fs.os, path, sizeof(path), &fci);

	*out = NULL;
	*outlen = 0;
	if (rv)
		return rv;
	if (fci.is_df)
		return UKEY_E_MALFORMED;
	if (fci.size && fci.size < len)
		len = fci.size;
	if (len > ESPK_MAX_FILE)
		return UKEY_E_MALFORMED;
	buf = malloc(len ? len : 1);
	if (!buf)
		return UKEY_E_NOMEM;
	rv = t->fs.ops->read(t->fs.os, 0, buf, len, &got);
	if (rv) {
		free(buf);
		return rv;
	}
	*out = buf;
	*outlen = got;
	return UKEY_OK;
}

/* Is buf[0..len) a well-formed attribute stream (zero padding allowed
 * at its end)? */
static int is_stream(const uint8_t *b, size_t len)
{
	size_t pos = 0;

	while (pos + 8 <= len) {
		uint32_t ty = le32(b + pos), ln = le32(b + pos + 4);

		if (ty == 0 && ln == 0)
			break;
		if (ln > len - pos - 8)
			return 0;
		pos += 8 + (size_t)ln;
	}
	return 1;
}

static int printable(const uint8_t *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (b[i] < 0x20 || b[i] > 0x7E)
			return 0;
	return 1;
}

/* tokeninfo: an attribute stream (FTCOS: CKA_LABEL, CKA_SERIAL_NUMBER) or
 * label[32] || manufacturer[32] || serial[16], space-padded (ePass2003). */
static void tokeninfo(espk_token *t, const uint8_t *b, size_t bl)
{
	ukey_object o;
	uint32_t kh;

	if (!is_stream(b, bl) && bl >= 64 && printable(b, 64)) {
		size_t n = 32;

		while (n && b[n - 1] == ' ')
			n--;
		memcpy(t->label, b, n);
		t->label[n] = 0;
		if (bl >= 80 && printable(b + 64, 16)) {
			size_t k;

			for (k = 0; k < 16 && b[64 + k] > 0x20; k++)
				t->serial[k] = (char)b[64 + k];
			t->serial[k] = 0;
		}
		return;
	}
	/* CKA_SERIAL_NUMBER (0x82), printable, at most 16 characters */
	for (size_t pos = 0; pos + 8 <= bl;) {
		uint32_t ty = le32(b + pos), ln = le32(b + pos + 4);

		if (ln > bl - pos - 8)
			break;
		if (ty == 0x82 && ln >= 1 && ln < sizeof(t->serial)) {
			size_t k;

			for (k = 0; k < ln && b[pos + 8 + k] > 0x20 &&
				    b[pos + 8 + k] < 0x7F; k++)
				t->serial[k] = (char)b[pos + 8 + k];
			t->serial[k == ln ? k : 0] = 0;
		}
		pos += 8 + (size_t)ln;
	}
	memset(&o, 0, sizeof(o));
	/* tokeninfo has no CKA_CLASS: parse errors are expected */
	(void)espk_parse_attrs(b, bl, &o, &kh, NULL);
	memcpy(t->label, o.label, sizeof(t->label) - 1);
	t->label[sizeof(t->label) - 1] = 0;
	ukey_object_clear(&o);
}

void espk_parse_index(espk_token *t)
{
	t->n_files = 0;
	for (size_t off = 0; off + ESPK_REC_LEN <= t->idx_len &&
			     t->n_files < ESPK_MAX_FILES;
	     off += ESPK_REC_LEN) {
		espk_file f;
		int dupl = 0;

		if (espk_parse_index_record(t->idx + off, &f) != 1)
			continue;
		/* one FID, one name: a second record for either is ignored */
		for (size_t i = 0; i < t->n_files; i++)
			dupl |= t->files[i].fid == f.fid ||
				!strcmp(t->files[i].name, f.name);
		if (dupl)
			continue;
		f.rec = (unsigned)(off / ESPK_REC_LEN);
		t->files[t->n_files++] = f;
	}
}

ukey_rv espk_read_index(espk_token *t)
{
	uint8_t *idx = NULL;
	size_t len = 0;
	ukey_rv rv = espk_read_ef(t, 0x6F01, ESPK_MAX_FILE, &idx, &len);

	if (rv)
		return rv == UKEY_E_SW_FILE_NOT_FOUND ? UKEY_E_MALFORMED : rv;
	free(t->idx);
	t->idx = idx;
	t->idx_len = len;
	espk_parse_index(t);
	return UKEY_OK;
}

ukey_rv espk_bind(espk_token *t, const ukey_cardfs *fs, const ukey_profile *prof)
{
	ukey_fs_file fci;
	ukey_rv rv;

	memset(t, 0, sizeof(*t));
	if (!fs || !fs->ops)
		return UKEY_E_ARGS;
	t->fs = *fs;
	t->prof = prof;
	rv = fs->ops->select_path(fs->os, espk_df, sizeof(espk_df), &fci);
	if (rv)
		return rv;
	if (!fci.is_df || fci.name_len < sizeof(espk_name) ||
	    memcmp(fci.name, espk_name, sizeof(espk_name)) != 0)
		return UKEY_E_SW_FILE_NOT_FOUND; /* a 2003 that is not ESPK */
	rv = espk_read_index(t);
	if (rv)
		return rv;
	/* token label (and serial) from the "tokeninfo" file */
	for (size_t i = 0; i < t->n_files; i++) {
		uint8_t *b = NULL;
		size_t bl = 0;

		if (strcmp(t->files[i].name, "tokeninfo") != 0)
			continue;
		if (espk_read_ef(t, t->files[i].fid, t->files[i].size, &b, &bl) != UKEY_OK)
			break;
		tokeninfo(t, b, bl);
		free(b);
		break;
	}
	return UKEY_OK;
}

void espk_free(espk_token *t)
{
	if (t) {
		free(t->idx);
		memset(t, 0, sizeof(*t));
	}
}

static int wanted(const char *name)
{
	return !strncmp(name, "cert", 4) || !strncmp(name, "pubk", 4) ||
	       !strncmp(name, "prvk", 4);
}

/* Whether the attribute stream holds attribute type (a well-formed
 * stream: espk_parse_attrs accepted it). */
static int has_attr(const uint8_t *buf, size_t len, uint32_t type)
{
	size_t pos = 0;

	while (pos + 8 <= len) {
		uint32_t ty = le32(buf + pos), l = le32(buf + pos + 4);

		if ((ty == 0 && l == 0) || l > len - pos - 8)
			return 0;
		if (ty == type)
			return 1;
		pos += 8 + (size_t)l;
	}
	return 0;
}

/* The vendor's public key objects carry CKA_VERIFY only: a public key
 * without CKA_ENCRYPT encrypts when its private key (same CKA_ID)
 * decrypts, so that the pair's usages agree (what applications and
 * OpenSC's p11test expect of a key pair). from: the first object of this
 * listing; noenc[k] set for the public keys without the attribute. */
static void pair_encrypt(ukey_objlist *out, size_t from, const uint8_t *noenc)
{
	for (size_t i = from; i < out->n; i++) {
		ukey_object *pub = &out->v[i];

		if (pub->cls != UKEY_OBJ_PUBKEY || !noenc[i - from])
			continue;
		for (size_t j = from; j < out->n; j++) {
			const ukey_object *prv = &out->v[j];

			if (prv->cls == UKEY_OBJ_PRIVKEY && prv->id_len == pub->id_len &&
			    !memcmp(prv->id, pub->id, pub->id_len) &&
			    (prv->usage & UKEY_USAGE_DECRYPT)) {
				pub->usage |= UKEY_USAGE_ENCRYPT;
				break;
			}
		}
	}
}

ukey_rv espk_list(espk_token *t, ukey_objlist *out)
{
	uint8_t noenc[ESPK_MAX_FILES] = { 0 };
	size_t from = out->n;

	for (size_t i = 0; i < t->n_files; i++) {
		uint8_t *b = NULL;
		size_t bl = 0;
		ukey_object tmp, *o;
		uint32_t kh = 0;
		unsigned hw = 0;
		ukey_rv rv;

		if (!wanted(t->files[i].name))
			continue;
		rv = espk_read_ef(t, t->files[i].fid, t->files[i].size, &b, &bl);
		if (rv == UKEY_E_SW_FILE_NOT_FOUND)
			continue;
		if (rv)
			return rv;
		memset(&tmp, 0, sizeof(tmp));
		if (espk_parse_attrs(b, bl, &tmp, &kh, &hw) != 0 ||
		    (tmp.cls == UKEY_OBJ_PRIVKEY && kh == 0)) {
			ukey_object_clear(&tmp);
			free(b);
			continue; /* a file we cannot use */
		}
		if (tmp.cls == UKEY_OBJ_PUBKEY && out->n - from < ESPK_MAX_FILES)
			noenc[out->n - from] = !has_attr(b, bl, A_ENCRYPT);
		free(b);
		tmp.modifiable = 1;
		tmp.drv_ref[0] = ESPK_REF_TAG;
		tmp.drv_ref[1] = (uint8_t)tmp.cls;
		tmp.drv_ref[2] = (uint8_t)hw;
		tmp.drv_ref[3] = (uint8_t)(kh >> 8);
		tmp.drv_ref[4] = (uint8_t)kh;
		tmp.drv_ref[5] = (uint8_t)(t->files[i].fid >> 8);
		tmp.drv_ref[6] = (uint8_t)t->files[i].fid;
		tmp.drv_ref_len = ESPK_REF_LEN;
		o = ukey_objlist_add(out);
		if (!o) {
			ukey_object_clear(&tmp);
			return UKEY_E_NOMEM;
		}
		*o = tmp;
	}
	pair_encrypt(out, from, noenc);
	return UKEY_OK;
}

ukey_rv espk_read_value(espk_token *t, ukey_object *o)
{
	(void)t;
	/* values come with the listing (the attributes share one file) */
	return o->value ? UKEY_OK : UKEY_E_ARGS;
}

ukey_rv espk_key_ref(const ukey_object *o, unsigned *ref)
{
	unsigned h;

	if (!o || o->drv_ref_len != ESPK_REF_LEN || o->drv_ref[0] != ESPK_REF_TAG ||
	    o->drv_ref[1] != UKEY_OBJ_PRIVKEY ||
	    (o->drv_ref[2] != 1 && o->drv_ref[2] != 4))
		return UKEY_E_ARGS;
	h = (unsigned)o->drv_ref[3] << 8 | o->drv_ref[4];
	if (!h || (o->drv_ref[2] == 1 && h > 0xFF))
		return UKEY_E_ARGS;
	*ref = h;
	return UKEY_OK;
}

/* ------------------------------------------------------ layout table */

static espk_token *tok(ukey_layout *l)
{
	return (espk_token *)l->st;
}

static void l_free(ukey_layout *l)
{
	if (l->st) {
		espk_free(tok(l));
		free(l->st);
		l->st = NULL;
	}
}

static ukey_rv l_bind(ukey_layout *l, const ukey_cardfs *fs,
		      const ukey_profile *prof)
{
	espk_token *t = calloc(1, sizeof(*t));
	ukey_rv rv;

	if (!t)
		return UKEY_E_NOMEM;
	l->st = t;
	rv = espk_bind(t, fs, prof);
	if (rv) {
		l_free(l);
		return rv;
	}
	memcpy(l->label, t->label, sizeof(l->label));
	l->label[sizeof(l->label) - 1] = 0;
	memcpy(l->serial, t->serial, sizeof(l->serial));
	l->serial[sizeof(l->serial) - 1] = 0;
	return UKEY_OK;
}

/* All objects share the listing (one attribute file each): a class is
 * the full list filtered. */
static ukey_rv l_list(ukey_layout *l, int cls, ukey_objlist *out)
{
	ukey_objlist all = { 0 };
	ukey_rv rv;

	if (!cls)
		return espk_list(tok(l), out);
	rv = espk_list(tok(l), &all);
	for (size_t i = 0; !rv && i < all.n; i++) {
		ukey_object *o;

		if ((int)all.v[i].cls != cls)
			continue;
		o = ukey_objlist_add(out);
		if (!o) {
			rv = UKEY_E_NOMEM;
			break;
		}
		*o = all.v[i];
		memset(&all.v[i], 0, sizeof(all.v[i])); /* moved */
	}
	ukey_objlist_clear(&all);
	return rv;
}

static ukey_rv l_read_value(ukey_layout *l, ukey_object *obj)
{
	return espk_read_value(tok(l), obj);
}

/* ESPK stores no PIN objects: the card OS's user PIN and SO PIN of the
 * ESPK DF, with the profile's lengths. */
static ukey_rv l_pin(ukey_layout *l, ukey_pin_role role, ukey_layout_pin *out)
{
	const espk_token *t = tok(l);

	if (role != UKEY_PIN_USER && role != UKEY_PIN_SO)
		return UKEY_E_ARGS;
	memset(out, 0, sizeof(*out));
	out->present = out->initialized = 1;
	out->tries_left = -1;
	out->min_len = t->prof ? t->prof->pin_min : 4;
	out->max_len = t->prof ? t->prof->pin_max : t->fs.ops->pin_stored_len;
	out->ref = role == UKEY_PIN_SO ? t->fs.ops->pin_ref_so :
					 t->fs.ops->pin_ref_user;
	memcpy(out->df, espk_df, sizeof(espk_df));
	out->df_len = sizeof(espk_df);
	return UKEY_OK;
}

static ukey_rv l_key_ref(ukey_layout *l, const ukey_object *key, unsigned *ref,
			 uint8_t *df, size_t *df_len)
{
	unsigned h = 0;
	ukey_rv rv = espk_key_ref(key, &h);

	(void)l;
	if (rv)
		return rv;
	*ref = h;
	memcpy(df, espk_df, sizeof(espk_df));
	*df_len = sizeof(espk_df);
	return UKEY_OK;
}

static ukey_rv l_write_object(ukey_layout *l, ukey_object *obj)
{
	return espk_write_object(tok(l), obj);
}

static ukey_rv l_update_object(ukey_layout *l, const ukey_object *obj)
{
	return espk_update_object(tok(l), obj);
}

static ukey_rv l_delete_object(ukey_layout *l, const ukey_object *obj)
{
	return espk_delete_object(tok(l), obj);
}

static ukey_rv l_generate(ukey_layout *l, const ukey_keygen_params *p,
			  ukey_object *pub, ukey_object *priv)
{
	return espk_generate_rsa(tok(l), p, pub, priv);
}

static ukey_rv l_import(ukey_layout *l, const ukey_keygen_params *p,
			const ukey_rsa_material *m, ukey_object *priv)
{
	return espk_import_rsa(tok(l), p, m, priv);
}

const ukey_layout_ops ukey_layout_espk = {
	.name = "entersafe-espk",
	.bind = l_bind,
	.free = l_free,
	.list = l_list,
	.read_value = l_read_value,
	.pin = l_pin,
	.pin_seen = NULL, /* no counter kept */
	.key_ref = l_key_ref,
	.app = NULL, /* selected by path: no shortcut after a reset */
	/* espk_write.c, in the form the token has (never converted) */
	.write_object = l_write_object,
	.update_object = l_update_object,
	.delete_object = l_delete_object,
	.generate_rsa = l_generate,
	.import_rsa = l_import,
	.init_user_pin = NULL, /* no PIN objects: the card OS's PINs */
};
