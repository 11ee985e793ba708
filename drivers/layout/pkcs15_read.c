/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/layout/pkcs15_read.c — reading the PKCS#15 application of a
 * token through its card file system: ODF, TokenInfo, AODF, and the object
 * directories.
 *
 * APDU economy: the application is selected by AID (one command), each
 * directory file is selected once and read only up to the end of its DER
 * content (OpenSC pads them with zeros to the file size), certificate
 * values are read only when asked for.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>

#include "pkcs15.h"

const uint8_t p15_aid[12] = { 0xA0, 0x00, 0x00, 0x00, 0x63, 0x50,
			      0x4B, 0x43, 0x53, 0x2D, 0x31, 0x35 };

static const uint8_t path_odf[] = { 0x3F, 0x00, 0x50, 0x15, 0x50, 0x31 };
static const uint8_t path_ti[] = { 0x3F, 0x00, 0x50, 0x15, 0x50, 0x32 };

/* RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } */
typedef struct {
	ASN1_INTEGER *n;
	ASN1_INTEGER *e;
} P15_RSA_PUB;
DECLARE_ASN1_FUNCTIONS(P15_RSA_PUB)
ASN1_SEQUENCE(P15_RSA_PUB) = {
	ASN1_SIMPLE(P15_RSA_PUB, n, ASN1_INTEGER),
	ASN1_SIMPLE(P15_RSA_PUB, e, ASN1_INTEGER),
} ASN1_SEQUENCE_END(P15_RSA_PUB)
IMPLEMENT_ASN1_FUNCTIONS(P15_RSA_PUB)

enum { READ_DIR, READ_RAW };

/* Read the EF at path: READ_DIR stops at the end of its DER content,
 * READ_RAW reads the whole file. */
static ukey_rv read_file(p15_token *t, const uint8_t *path, size_t plen,
			 int mode, size_t max, uint8_t **out, size_t *outlen,
			 size_t *used, size_t *fsize)
{
	ukey_fs_file fci;
	uint8_t *buf = NULL;
	size_t size, off = 0;
	ukey_rv rv;

	*out = NULL;
	*outlen = 0;
	if (used)
		*used = 0;
	rv = p15_select(t, path, plen, &fci);
	if (rv)
		return rv;
	if (fci.is_df)
		return UKEY_E_MALFORMED;
	size = fci.size;
	if (fsize)
		*fsize = size;
	if (size > max)
		return UKEY_E_MALFORMED; /* hostile or not what we expect */
	if (size == 0)
		return UKEY_OK;
	buf = malloc(size);
	if (!buf)
		return UKEY_E_NOMEM;
	while (off < size) {
		size_t want = size - off, got = 0;

		if (t->fs.max_read && want > t->fs.max_read)
			want = t->fs.max_read;
		rv = p15_read(t, off, buf + off, want, &got);
		if (rv) {
			free(buf);
			return rv;
		}
		off += got;
		if (got < want)
			break; /* the card says the file ends here */
		if (mode == READ_DIR) {
			int more = 0;
			long u = p15_used_length(buf, off, &more);

			if (u < 0 || !more)
				break; /* content complete (or garbage follows) */
		}
	}
	if (used) {
		int more = 0;
		long u = p15_used_length(buf, off, &more);

		if (u < 0) {
			/* keep the well-formed prefix */
			size_t o = 0, l;
			const uint8_t *el;

			while (p15_next_element(buf, off, &o, &el, &l) == 1)
				;
			u = (long)o;
		}
		*used = (size_t)u;
	}
	*out = buf;
	*outlen = off;
	return UKEY_OK;
}

ukey_rv p15_read_ef(p15_token *t, const uint8_t *path, size_t plen,
		    uint8_t **data, size_t *len)
{
	return read_file(t, path, plen, READ_RAW, P15_EF_MAX_SIZE, data, len,
			 NULL, NULL);
}

/* ---------------------------------------------------- directory cache */

static void put_be32(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static size_t get_be32(const uint8_t *p)
{
	return (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
}

/* read_file through the directory cache, for files anyone may read without
 * a PIN (directory files, certificates, public keys, public data). Entry:
 * key 'F' ‖ mode ‖ path, value u32 file size ‖ u32 used ‖ content. */
static ukey_rv read_public(p15_token *t, const uint8_t *path, size_t plen,
			   int mode, size_t max, uint8_t **out, size_t *outlen,
			   size_t *used, size_t *fsize)
{
	uint8_t key[2 + P15_PATH_MAX], *v;
	const uint8_t *d;
	size_t l, u = 0, fs = 0;
	ukey_rv rv;

	if (!t->cache || plen > P15_PATH_MAX)
		return read_file(t, path, plen, mode, max, out, outlen, used, fsize);
	key[0] = 'F';
	key[1] = (uint8_t)mode;
	memcpy(key + 2, path, plen);
	if (ukey_dircache_get(t->cache, key, plen + 2, &d, &l) && l >= 8 &&
	    get_be32(d) <= max && get_be32(d + 4) <= l - 8 && l - 8 <= get_be32(d)) {
		*outlen = l - 8;
		*out = NULL;
		if (*outlen) {
			*out = malloc(*outlen);
			if (!*out)
				return UKEY_E_NOMEM;
			memcpy(*out, d + 8, *outlen);
		}
		if (used)
			*used = get_be32(d + 4);
		if (fsize)
			*fsize = get_be32(d);
		return UKEY_OK;
	}
	rv = read_file(t, path, plen, mode, max, out, outlen, &u, &fs);
	if (rv)
		return rv;
	if (mode == READ_RAW)
		u = *outlen;
	if (used)
		*used = u;
	if (fsize)
		*fsize = fs;
	v = malloc(8 + *outlen);
	if (v) {
		put_be32(v, fs);
		put_be32(v + 4, u);
		if (*outlen)
			memcpy(v + 8, *out, *outlen);
		ukey_dircache_put(t->cache, key, plen + 2, v, 8 + *outlen);
		free(v);
	}
	return UKEY_OK;
}

/* A marker may be trusted once no writer can produce it again: writers put
 * the time in lastUpdate with one-second resolution, so a change in the
 * same second as the one we read would leave it unchanged. */
#define P15_MARKER_SETTLED_S 2

/* Open the cache for the TokenInfo just read (its bytes are the marker). */
static void open_cache(p15_token *t)
{
	long age;

	if (!t->ti_der || !t->serial_len ||
	    p15_tokeninfo_age(t->ti_der, t->ti_len, time(NULL), &age) != 0 ||
	    age < P15_MARKER_SETTLED_S)
		return; /* no lastUpdate (no marker writers keep), or too fresh */
	t->cache = ukey_dircache_open(t->prof && t->prof->name[0] ? t->prof->name
								  : "pkcs15",
				      t->serial, t->serial_len, t->ti_der,
				      t->ti_len);
}

ukey_rv p15_abs_path(const p15_token *t, const ASN1_OCTET_STRING *p,
		     uint8_t *out, size_t *outlen)
{
	const unsigned char *d;
	int l;

	if (!p)
		return UKEY_E_MALFORMED;
	d = ASN1_STRING_get0_data(p);
	l = ASN1_STRING_length(p);
	if (l < 2 || (l & 1) || l > P15_PATH_MAX)
		return UKEY_E_MALFORMED;
	if (d[0] == 0x3F && d[1] == 0x00) {
		memcpy(out, d, (size_t)l);
		*outlen = (size_t)l;
		return UKEY_OK;
	}
	/* relative to the application DF */
	if ((size_t)l + sizeof(t->app_path) > P15_PATH_MAX)
		return UKEY_E_MALFORMED;
	memcpy(out, t->app_path, sizeof(t->app_path));
	memcpy(out + sizeof(t->app_path), d, (size_t)l);
	*outlen = sizeof(t->app_path) + (size_t)l;
	return UKEY_OK;
}

static void parse_odf(p15_token *t, const uint8_t *buf, size_t len)
{
	size_t off = 0, l;
	const uint8_t *el;

	while (p15_next_element(buf, len, &off, &el, &l) == 1) {
		const unsigned char *p = el;
		P15_ODF_ENTRY *e = d2i_P15_ODF_ENTRY(NULL, &p, (long)l);
		p15_df *df;

		if (!e)
			continue; /* an entry we do not understand */
		if (e->type >= 0 && e->type < P15_DF_COUNT) {
			df = &t->df[e->type];
			if (!df->present &&
			    p15_abs_path(t, e->d.path->path, df->path,
					 &df->path_len) == UKEY_OK)
				df->present = 1;
		}
		P15_ODF_ENTRY_free(e);
	}
}

static void parse_tokeninfo(p15_token *t, const uint8_t *buf, size_t len)
{
	const unsigned char *p = buf;
	P15_TOKENINFO *ti = d2i_P15_TOKENINFO(NULL, &p, (long)len);

	if (!ti)
		return;
	p15_str(ti->label, t->label, sizeof(t->label));
	p15_str(ti->manufacturer, t->manufacturer, sizeof(t->manufacturer));
	if (ti->serial) {
		size_t n = (size_t)ASN1_STRING_length(ti->serial);

		if (n > sizeof(t->serial))
			n = sizeof(t->serial);
		memcpy(t->serial, ASN1_STRING_get0_data(ti->serial), n);
		t->serial_len = n;
	}
	t->ti_loaded = 1;
	P15_TOKENINFO_free(ti);
}

/* Read and parse the ODF: where the directory files are. */
static ukey_rv read_odf(p15_token *t)
{
	uint8_t *buf = NULL;
	size_t len = 0, used = 0, size = 0;
	ukey_rv rv;

	rv = read_public(t, path_odf, sizeof(path_odf), READ_DIR, P15_DF_MAX_SIZE,
			 &buf, &len, &used, &size);
	if (rv == UKEY_OK) {
		parse_odf(t, buf, used);
		t->odf_used = used;
		t->odf_size = size;
	}
	free(buf);
	return rv;
}

ukey_rv p15_bind(p15_token *t, const ukey_cardfs *fs, const ukey_profile *prof)
{
	ukey_fs_file fci;
	uint8_t *buf = NULL;
	size_t len = 0, used = 0, size = 0;
	ukey_rv rv;

	memset(t, 0, sizeof(*t));
	if (!fs || !fs->ops)
		return UKEY_E_ARGS;
	t->fs = *fs;
	t->prof = prof;
	t->app_path[0] = 0x3F;
	t->app_path[1] = 0x00;
	t->app_path[2] = 0x50;
	t->app_path[3] = 0x15;
	t->pin[0].tries_left = t->pin[1].tries_left = -1;

	/* entersafe: the application DF is 3F00/5015; the card OS takes it
	 * as the current DF when the answer agrees */
	rv = fs->ops->select_aid ?
		     fs->ops->select_aid(fs->os, p15_aid, sizeof(p15_aid),
					 t->app_path, sizeof(t->app_path), &fci) :
		     UKEY_E_SW_FUNC_NOT_SUPPORTED;
	if (rv == UKEY_OK) {
		if (fci.fid && fci.fid != (t->app_path[2] << 8 | t->app_path[3]))
			return UKEY_E_SW_FILE_NOT_FOUND; /* an application elsewhere */
	} else if (rv == UKEY_E_SW_FILE_NOT_FOUND) {
		return rv;
	} else if (rv >= UKEY_E_SW_WRONG_PIN) {
		/* AID selection refused: select by path instead */
		rv = p15_select(t, t->app_path, sizeof(t->app_path), NULL);
		if (rv)
			return rv;
	} else {
		return rv;
	}

	/* TokenInfo first: it is the change marker that decides whether the
	 * directory an earlier process read may be used instead of the card. */
	rv = read_file(t, path_ti, sizeof(path_ti), READ_DIR, P15_DF_MAX_SIZE,
		       &buf, &len, &used, &size);
	if (rv == UKEY_OK) {
		parse_tokeninfo(t, buf, used);
		t->ti_der = buf;
		t->ti_len = used;
		t->ti_size = size;
		buf = NULL;
		open_cache(t);
	}
	free(buf);
	if (rv && rv != UKEY_E_SW_FILE_NOT_FOUND)
		return rv;

	rv = read_odf(t);
	if (rv && rv != UKEY_E_SW_FILE_NOT_FOUND)
		return rv;
	return UKEY_OK;
}

ukey_rv p15_refresh(p15_token *t)
{
	/* Another application may have changed the token since we read it
	 * (between our PC/SC transactions): writes start from fresh data, and
	 * the directory cache goes (the write will change the token). */
	ukey_dircache_drop(t->cache);
	for (int i = 0; i < P15_DF_COUNT; i++) {
		free(t->df[i].data);
		memset(&t->df[i], 0, sizeof(t->df[i]));
	}
	t->pins_loaded = 0;
	return read_odf(t);
}

void p15_free(p15_token *t)
{
	if (!t)
		return;
	for (int i = 0; i < P15_DF_COUNT; i++)
		free(t->df[i].data);
	free(t->ti_der);
	ukey_dircache_close(t->cache);
	ukey_memzero(t, sizeof(*t));
}

ukey_rv p15_load_df(p15_token *t, int kind)
{
	p15_df *df = &t->df[kind];
	ukey_rv rv;

	if (df->loaded || !df->present)
		return UKEY_OK;
	free(df->data);
	df->data = NULL;
	/* The AODF (PINs) is never cached: nothing PIN-related leaves the card. */
	rv = (kind == P15_DF_AODF ? read_file : read_public)(
		t, df->path, df->path_len, READ_DIR, P15_DF_MAX_SIZE, &df->data,
		&df->len, &df->used, &df->size);
	if (rv == UKEY_E_SW_FILE_NOT_FOUND) {
		df->present = 0;
		return UKEY_OK;
	}
	if (rv)
		return rv;
	df->loaded = 1;
	return UKEY_OK;
}

/* ------------------------------------------------------------- objects */

unsigned p15_usage_from_bits(const ASN1_BIT_STRING *b)
{
	unsigned u = 0;

	if (p15_bit(b, P15_USAGE_ENCRYPT))
		u |= UKEY_USAGE_ENCRYPT;
	if (p15_bit(b, P15_USAGE_DECRYPT))
		u |= UKEY_USAGE_DECRYPT;
	if (p15_bit(b, P15_USAGE_SIGN))
		u |= UKEY_USAGE_SIGN;
	if (p15_bit(b, P15_USAGE_SIGNRECOVER))
		u |= UKEY_USAGE_SIGN_RECOVER;
	if (p15_bit(b, P15_USAGE_WRAP))
		u |= UKEY_USAGE_WRAP;
	if (p15_bit(b, P15_USAGE_UNWRAP))
		u |= UKEY_USAGE_UNWRAP;
	if (p15_bit(b, P15_USAGE_VERIFY) || p15_bit(b, P15_USAGE_VERIFYRECOVER))
		u |= UKEY_USAGE_VERIFY;
	if (p15_bit(b, P15_USAGE_NONREP))
		u |= UKEY_USAGE_NONREPUDIATION;
	return u;
}

static void common_to_object(const P15_COMMON_OBJ *co, ukey_object *o)
{
	if (!co)
		return;
	p15_str(co->label, o->label, sizeof(o->label));
	o->private_obj = p15_bit(co->flags, 0);
	o->modifiable = p15_bit(co->flags, 1);
}

static int set_id(ukey_object *o, const ASN1_OCTET_STRING *id)
{
	int l = id ? ASN1_STRING_length(id) : 0;

	if (l < 0 || l > UKEY_ID_MAX)
		return -1;
	if (l)
		memcpy(o->id, ASN1_STRING_get0_data(id), (size_t)l);
	o->id_len = (size_t)l;
	return 0;
}

static int set_ref(p15_token *t, ukey_object *o, int kind, long kid,
		   const P15_PATH *path)
{
	uint8_t abs[P15_PATH_MAX];
	size_t alen = 0;

	if (!path || p15_abs_path(t, path->path, abs, &alen) != UKEY_OK)
		return -1;
	if (kid < 0 || kid > 255 || 4 + alen > UKEY_DRVREF_MAX)
		return -1;
	o->drv_ref[0] = P15_REF_TAG;
	o->drv_ref[1] = (uint8_t)kind;
	o->drv_ref[2] = (uint8_t)kid;
	o->drv_ref[3] = (uint8_t)alen;
	memcpy(o->drv_ref + 4, abs, alen);
	o->drv_ref_len = 4 + alen;
	return 0;
}

int p15_entry_to_object(p15_token *t, int kind, const uint8_t *der,
			size_t len, ukey_object *o)
{
	const unsigned char *p = der;
	int ok = -1;

	memset(o, 0, sizeof(*o));
	switch (kind) {
	case P15_DF_PRKDF:
	case P15_DF_PUKDF:
	case P15_DF_PUKDF_TRUSTED: {
		P15_KEY_OBJ *k = d2i_P15_KEY_OBJ(NULL, &p, (long)len);
		long bits;

		if (!k)
			break;
		o->cls = kind == P15_DF_PRKDF ? UKEY_OBJ_PRIVKEY : UKEY_OBJ_PUBKEY;
		common_to_object(k->common, o);
		bits = p15_int(k->rsa->modulus_bits, 0);
		o->key_bits = (bits > 0 && bits <= 16384) ? (unsigned)bits : 0;
		o->usage = p15_usage_from_bits(k->key->usage);
		o->native = p15_bit(k->key->access, 4); /* local */
		if (set_id(o, k->key->id) == 0 &&
		    set_ref(t, o, kind, p15_int(k->key->key_ref, 0),
			    k->rsa->value) == 0)
			ok = 0;
		if (kind == P15_DF_PRKDF)
			o->private_obj = 1; /* never readable anyway */
		P15_KEY_OBJ_free(k);
		break;
	}
	case P15_DF_CDF:
	case P15_DF_CDF_TRUSTED:
	case P15_DF_CDF_USEFUL: {
		P15_CERT_OBJ *c = d2i_P15_CERT_OBJ(NULL, &p, (long)len);

		if (!c)
			break;
		o->cls = UKEY_OBJ_CERT;
		common_to_object(c->common, o);
		if (set_id(o, c->cert->id) == 0 &&
		    set_ref(t, o, kind, 0, c->x509->value) == 0)
			ok = 0;
		/* value read on demand: a non-zero length marks "not read" */
		o->value_len = (size_t)p15_int(c->x509->value->length, 1);
		if (o->value_len == 0 || o->value_len > P15_EF_MAX_SIZE)
			o->value_len = 1;
		P15_CERT_OBJ_free(c);
		break;
	}
	case P15_DF_DODF: {
		P15_DATA_OBJ *d = d2i_P15_DATA_OBJ(NULL, &p, (long)len);

		if (!d)
			break;
		o->cls = UKEY_OBJ_DATA;
		common_to_object(d->common, o);
		p15_str(d->data->app_name, o->application, sizeof(o->application));
		if (d->data->app_oid) {
			int l = i2d_ASN1_OBJECT(d->data->app_oid, NULL);

			if (l > 0) {
				unsigned char *q = malloc((size_t)l);

				if (q) {
					unsigned char *w = q;

					i2d_ASN1_OBJECT(d->data->app_oid, &w);
					o->oid_der = q;
					o->oid_der_len = (size_t)l;
				}
			}
		}
		if (set_ref(t, o, kind, 0, d->value) == 0)
			ok = 0;
		o->value_len = (size_t)p15_int(d->value->length, 1);
		if (o->value_len == 0 || o->value_len > P15_EF_MAX_SIZE)
			o->value_len = 1;
		P15_DATA_OBJ_free(d);
		break;
	}
	default:
		break;
	}
	if (ok)
		ukey_object_clear(o);
	ERR_clear_error(); /* d2i failures of skipped entries */
	return ok;
}

static ukey_rv dup_int(const ASN1_INTEGER *i, uint8_t **out, size_t *len)
{
	int l = ASN1_STRING_length(i);
	const unsigned char *d = ASN1_STRING_get0_data(i);

	while (l > 1 && d[0] == 0) {
		d++;
		l--;
	}
	if (l <= 0 || l > 1024 || ASN1_STRING_type(i) == V_ASN1_NEG_INTEGER)
		return UKEY_E_MALFORMED;
	*out = malloc((size_t)l);
	if (!*out)
		return UKEY_E_NOMEM;
	memcpy(*out, d, (size_t)l);
	*len = (size_t)l;
	return UKEY_OK;
}

/* Fill modulus and exponent of a public key from its file. */
static ukey_rv load_pubkey(p15_token *t, ukey_object *o)
{
	uint8_t *buf = NULL;
	size_t len = 0, used = 0, off = 0, l;
	const uint8_t *el;
	ukey_rv rv;

	rv = read_public(t, o->drv_ref + 4, o->drv_ref[3], READ_DIR,
			 P15_EF_MAX_SIZE, &buf, &len, &used, NULL);
	if (rv)
		return rv;
	rv = UKEY_E_MALFORMED;
	if (p15_next_element(buf, used, &off, &el, &l) == 1) {
		const unsigned char *p = el;
		P15_RSA_PUB *pk = d2i_P15_RSA_PUB(NULL, &p, (long)l);

		if (pk) {
			free(o->modulus);
			free(o->pub_exp);
			o->modulus = o->pub_exp = NULL;
			rv = dup_int(pk->n, &o->modulus, &o->modulus_len);
			if (!rv)
				rv = dup_int(pk->e, &o->pub_exp, &o->pub_exp_len);
			P15_RSA_PUB_free(pk);
		}
	}
	ERR_clear_error();
	free(buf);
	return rv;
}

/* READ PUBLIC KEY of the key record k names, through the directory cache
 * (a public key is public). Entry: 'K' ‖ kid ‖ DF path, value u32 nlen ‖ n ‖ e. */
static ukey_rv pubkey_cached(p15_token *t, const ukey_object *k, uint8_t **n,
			     size_t *nlen, uint8_t **e, size_t *elen)
{
	uint8_t key[2 + P15_PATH_MAX], *v;
	const uint8_t *d;
	size_t l, plen = k->drv_ref[3];
	ukey_rv rv;

	if (t->cache && plen <= P15_PATH_MAX) {
		key[0] = 'K';
		key[1] = k->drv_ref[2];
		memcpy(key + 2, k->drv_ref + 4, plen);
		if (ukey_dircache_get(t->cache, key, plen + 2, &d, &l) && l > 4 &&
		    get_be32(d) > 0 && get_be32(d) < l - 4) {
			*nlen = get_be32(d);
			*elen = l - 4 - *nlen;
			*n = malloc(*nlen);
			*e = malloc(*elen);
			if (!*n || !*e) {
				free(*n);
				free(*e);
				return UKEY_E_NOMEM;
			}
			memcpy(*n, d + 4, *nlen);
			memcpy(*e, d + 4 + *nlen, *elen);
			return UKEY_OK;
		}
	}
	if (!t->fs.ops->key_read_public)
		return UKEY_E_SW_FUNC_NOT_SUPPORTED; /* read the PuKDF's file */
	rv = p15_select(t, k->drv_ref + 4, plen, NULL);
	if (!rv)
		rv = t->fs.ops->key_read_public(t->fs.os, k->drv_ref[2], n, nlen,
						e, elen);
	if (rv || !t->cache || plen > P15_PATH_MAX)
		return rv;
	v = malloc(4 + *nlen + *elen);
	if (v) {
		put_be32(v, *nlen);
		memcpy(v + 4, *n, *nlen);
		memcpy(v + 4 + *nlen, *e, *elen);
		ukey_dircache_put(t->cache, key, plen + 2, v, 4 + *nlen + *elen);
		free(v);
	}
	return UKEY_OK;
}

/* One APDU instead of a file read: when a private key with the same ID
 * names its key record, READ PUBLIC KEY of that record gives n and e. */
static ukey_rv pubkey_from_record(p15_token *t, ukey_objlist *l, ukey_object *pub)
{
	for (size_t j = 0; j < l->n; j++) {
		const ukey_object *k = &l->v[j];
		uint8_t *n = NULL, *e = NULL;
		size_t nlen = 0, elen = 0;
		ukey_rv rv;

		if (k->cls != UKEY_OBJ_PRIVKEY || k->id_len != pub->id_len ||
		    memcmp(k->id, pub->id, k->id_len) != 0 ||
		    k->drv_ref[2] < t->fs.ops->key_ref_min ||
		    k->drv_ref[2] > t->fs.ops->key_ref_max)
			continue;
		rv = pubkey_cached(t, k, &n, &nlen, &e, &elen);
		if (rv)
			return rv;
		if (pub->key_bits && (nlen * 8 < pub->key_bits || nlen * 8 > pub->key_bits + 7)) {
			free(n);
			free(e);
			return UKEY_E_MALFORMED; /* not the key the directory describes */
		}
		pub->modulus = n;
		pub->modulus_len = nlen;
		pub->pub_exp = e;
		pub->pub_exp_len = elen;
		return UKEY_OK;
	}
	return UKEY_E_SW_REF_NOT_FOUND;
}

ukey_rv p15_list_class(p15_token *t, int cls, ukey_objlist *out)
{
	static const struct { int kind, cls; } dirs[] = {
		{ P15_DF_PRKDF, UKEY_OBJ_PRIVKEY },
		{ P15_DF_PUKDF, UKEY_OBJ_PUBKEY },
		{ P15_DF_PUKDF_TRUSTED, UKEY_OBJ_PUBKEY },
		{ P15_DF_CDF, UKEY_OBJ_CERT },
		{ P15_DF_CDF_TRUSTED, UKEY_OBJ_CERT },
		{ P15_DF_CDF_USEFUL, UKEY_OBJ_CERT },
		{ P15_DF_DODF, UKEY_OBJ_DATA },
	};
	size_t first = out->n;
	ukey_rv rv;

	for (size_t k = 0; k < sizeof(dirs) / sizeof(dirs[0]); k++) {
		p15_df *df = &t->df[dirs[k].kind];
		size_t off = 0, l;
		const uint8_t *el;

		if (cls && dirs[k].cls != cls)
			continue;
		rv = p15_load_df(t, dirs[k].kind);
		if (rv)
			return rv;
		if (!df->loaded)
			continue;
		while (p15_next_element(df->data, df->used, &off, &el, &l) == 1) {
			ukey_object tmp, *o;

			if (p15_entry_to_object(t, dirs[k].kind, el, l, &tmp))
				continue;
			o = ukey_objlist_add(out);
			if (!o) {
				ukey_object_clear(&tmp);
				return UKEY_E_NOMEM;
			}
			*o = tmp;
		}
	}
	if (cls && cls != UKEY_OBJ_PUBKEY)
		return UKEY_OK;
	/* Public keys carry their modulus (p11/ links private keys to them);
	 * the private keys tell which key record holds it. */
	{
		ukey_objlist prv = { 0 };
		ukey_objlist *keys = out;

		if (cls == UKEY_OBJ_PUBKEY) {
			rv = p15_list_class(t, UKEY_OBJ_PRIVKEY, &prv);
			if (rv)
				return rv;
			keys = &prv;
		}
		for (size_t i = first; i < out->n; i++) {
			if (out->v[i].cls != UKEY_OBJ_PUBKEY || out->v[i].modulus)
				continue;
			rv = pubkey_from_record(t, keys, &out->v[i]);
			if (rv == UKEY_OK)
				continue;
			if (rv < UKEY_E_SW_WRONG_PIN && rv != UKEY_E_MALFORMED)
				break;
			rv = load_pubkey(t, &out->v[i]);
			if (rv == UKEY_E_MALFORMED || rv == UKEY_E_SW_FILE_NOT_FOUND)
				rv = UKEY_OK; /* listed, but without a usable value */
			if (rv)
				break;
			rv = UKEY_OK;
		}
		ukey_objlist_clear(&prv);
		return rv == UKEY_E_SW_REF_NOT_FOUND ? UKEY_OK : rv;
	}
}

ukey_rv p15_list(p15_token *t, ukey_objlist *out)
{
	return p15_list_class(t, 0, out);
}

ukey_rv p15_read_value(p15_token *t, ukey_object *o)
{
	uint8_t *buf = NULL;
	size_t len = 0, used = 0, off = 0, l;
	const uint8_t *el;
	ukey_rv rv;

	if (o->drv_ref_len < 6 || o->drv_ref[0] != P15_REF_TAG ||
	    (size_t)o->drv_ref[3] + 4 != o->drv_ref_len)
		return UKEY_E_ARGS;
	if (o->cls == UKEY_OBJ_PUBKEY)
		return load_pubkey(t, o);
	if (o->cls == UKEY_OBJ_DATA) {
		/* a private data object's value is read under the PIN: never cached */
		rv = (o->private_obj ? read_file : read_public)(
			t, o->drv_ref + 4, o->drv_ref[3], READ_RAW, P15_EF_MAX_SIZE,
			&buf, &len, NULL, NULL);
		if (rv)
			return rv;
		free(o->value);
		o->value = buf;
		o->value_len = len;
		return UKEY_OK;
	}
	if (o->cls != UKEY_OBJ_CERT)
		return UKEY_E_ARGS;
	rv = read_public(t, o->drv_ref + 4, o->drv_ref[3], READ_DIR,
			 P15_EF_MAX_SIZE, &buf, &len, &used, NULL);
	if (rv)
		return rv;
	if (p15_next_element(buf, used, &off, &el, &l) != 1) {
		free(buf);
		return UKEY_E_MALFORMED;
	}
	/* the certificate is the first DER value of the file */
	memmove(buf, el, l);
	free(o->value);
	o->value = buf;
	o->value_len = l;
	return UKEY_OK;
}

/* ----------------------------------------------------------------- PINs */

void p15_pins_quick(p15_token *t)
{
	const unsigned stored = t->fs.ops->pin_stored_len;
	unsigned pmin = t->prof ? t->prof->pin_min : 4;
	unsigned pmax = t->prof ? t->prof->pin_max : stored;

	if (t->pins_loaded)
		return;
	if (pmax > stored || !pmax)
		pmax = stored;
	if (pmin > pmax)
		pmin = pmax;
	/* Without reading the AODF: the entersafe layout has the user PIN in
	 * record 1 and the PUK (our SO PIN) in record 2; the ODF lists an AODF
	 * once a user PIN exists (OpenSC's -C lists an empty one: rare). */
	t->pin[0].present = t->pin[0].initialized = t->df[P15_DF_AODF].present != 0;
	t->pin[0].ref = (uint8_t)t->fs.ops->pin_ref_user;
	t->pin[1].present = t->pin[1].initialized = 1;
	t->pin[1].ref = (uint8_t)t->fs.ops->pin_ref_so;
	for (int i = 0; i < 2; i++) {
		t->pin[i].min_len = pmin;
		t->pin[i].max_len = pmax;
		t->pin[i].stored_len = stored;
	}
}

ukey_rv p15_load_pins(p15_token *t)
{
	p15_df *df = &t->df[P15_DF_AODF];
	size_t off = 0, l;
	const uint8_t *el;
	ukey_rv rv;
	const unsigned stored = t->fs.ops->pin_stored_len;
	const unsigned ref_user = t->fs.ops->pin_ref_user;
	const unsigned ref_so = t->fs.ops->pin_ref_so;
	unsigned pmin = t->prof ? t->prof->pin_min : 4;
	unsigned pmax = t->prof ? t->prof->pin_max : stored;

	if (t->pins_loaded)
		return UKEY_OK;
	rv = p15_load_df(t, P15_DF_AODF);
	if (rv)
		return rv;
	t->pin[0].present = t->pin[0].initialized = 0;
	t->pin[0].auth_id_len = t->pin[1].auth_id_len = 0;
	/* The PUK (ref 2) is the SO PIN of the entersafe layout. */
	t->pin[1].present = 1;
	t->pin[1].ref = (uint8_t)ref_so;
	t->pin[1].min_len = pmin;
	t->pin[1].max_len = pmax;
	t->pin[1].stored_len = stored;
	t->pin[1].initialized = 1;
	while (df->loaded &&
	       p15_next_element(df->data, df->used, &off, &el, &l) == 1) {
		const unsigned char *p = el;
		P15_PIN_OBJ *po = d2i_P15_PIN_OBJ(NULL, &p, (long)l);
		p15_pin *pin;
		long ref;
		int so;

		if (!po)
			continue;
		so = p15_bit(po->pin->flags, P15_PIN_FLAG_SO) ||
		     p15_bit(po->pin->flags, P15_PIN_FLAG_UNBLOCKING);
		pin = &t->pin[so ? 1 : 0];
		ref = p15_int(po->pin->reference, so ? (long)ref_so : (long)ref_user);
		/* a reference the card OS names, or a small one (1..15) */
		if (!(so && pin->present && pin->auth_id_len) &&
		    ((ref > 0 && ref < 16) || ref == (long)ref_user ||
		     ref == (long)ref_so) && ref <= 0xFF) {
			int idl = ASN1_STRING_length(po->auth->auth_id);

			pin->present = 1;
			pin->ref = (uint8_t)ref;
			pin->min_len = (unsigned)p15_int(po->pin->min_len, pmin);
			pin->max_len = (unsigned)p15_int(po->pin->max_len, pmax);
			pin->stored_len = (unsigned)p15_int(po->pin->stored_len,
							    (long)stored);
			if (pin->max_len > stored || pin->max_len == 0)
				pin->max_len = stored;
			if (pin->min_len > pin->max_len)
				pin->min_len = pin->max_len;
			pin->pad_char = 0;
			if (po->pin->pad_char &&
			    ASN1_STRING_length(po->pin->pad_char) == 1)
				pin->pad_char = ASN1_STRING_get0_data(po->pin->pad_char)[0];
			pin->initialized = 1;
			if (idl > 0 && idl <= UKEY_ID_MAX) {
				memcpy(pin->auth_id,
				       ASN1_STRING_get0_data(po->auth->auth_id),
				       (size_t)idl);
				pin->auth_id_len = (size_t)idl;
			}
		}
		P15_PIN_OBJ_free(po);
	}
	ERR_clear_error();
	t->pins_loaded = 1;
	return UKEY_OK;
}
