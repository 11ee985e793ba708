/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/layout/pkcs15_write.c — adding, relabelling and deleting PKCS#15
 * objects so that OpenSC's pkcs15-tool sees the same token.
 *
 * Ordering rules (a torn write must never lose an object or leave a
 * directory entry pointing at garbage):
 *  - create: the object's file is written and read back BEFORE its
 *    directory entry is appended (appending writes only the new bytes);
 *  - delete: the directory entry is removed first, then the file is
 *    deleted, or zeroed and later reused when the card OS cannot delete
 *    files (FTCOS has no DELETE FILE).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/sha.h>

#include "pkcs15.h"

/* Files we create: read as the object's privacy says; updates need the
 * user PIN, as OpenSC's entersafe profile has it (how a card OS writes
 * that condition is its business: FTCOS writes it as OpenSC does). */
#define P15_AC_UPDATE UKEY_AC_USER

/* Standard FIDs of the entersafe profile, by DF kind. */
static uint16_t std_fid(int kind)
{
	switch (kind) {
	case P15_DF_AODF: return 0x4401;
	case P15_DF_PRKDF: return 0x4402;
	case P15_DF_PUKDF: return 0x4403;
	case P15_DF_CDF: return 0x4404;
	case P15_DF_DODF: return 0x4405;
	default: return 0;
	}
}

static void make_path(const p15_token *t, uint16_t fid, uint8_t *out, size_t *len)
{
	memcpy(out, t->app_path, sizeof(t->app_path));
	out[4] = (uint8_t)(fid >> 8);
	out[5] = (uint8_t)fid;
	*len = 6;
}

/* DER of an ASN.1 value (malloc'd). */
#define I2D(type, v, out, outlen) i2d_alloc((i2d_of_void *)i2d_##type, (v), (out), (outlen))
static ukey_rv i2d_alloc(i2d_of_void *f, void *v, uint8_t **out, size_t *len)
{
	int l = f(v, NULL);
	unsigned char *p;

	if (l <= 0)
		return UKEY_E_NOMEM;
	*out = malloc((size_t)l);
	if (!*out)
		return UKEY_E_NOMEM;
	p = *out;
	f(v, &p);
	*len = (size_t)l;
	return UKEY_OK;
}

/* OpenSC rewrites TokenInfo's lastUpdate after each change it makes to
 * the token; so do we. Best effort: the change itself is done, and a
 * TokenInfo we cannot read or re-encode (not our layout) is left alone. */
void p15_touch_tokeninfo(p15_token *t)
{
	static const uint8_t ti_path[6] = { 0x3F, 0x00, 0x50, 0x15, 0x50, 0x32 };
	uint8_t *old = NULL, *buf = NULL;
	size_t olen = 0;
	long l;

	/* p15_read_ef leaves the TokenInfo selected */
	if (p15_read_ef(t, ti_path, sizeof(ti_path), &old, &olen) == UKEY_OK &&
	    olen && olen <= 1024 && (buf = calloc(1, olen)) != NULL) {
		l = p15_tokeninfo_touch(old, olen, time(NULL), buf, olen);
		if (l > 0)
			(void)p15_update(t, 0, buf, olen);
	}
	free(buf);
	free(old);
}

/* ---------------------------------------------------------- directories */

/* Append to the ODF an entry [kind] -> path. */
static ukey_rv odf_add(p15_token *t, int kind, const uint8_t *path, size_t plen)
{
	static const uint8_t odf[6] = { 0x3F, 0x00, 0x50, 0x15, 0x50, 0x31 };
	P15_ODF_ENTRY *e = P15_ODF_ENTRY_new();
	uint8_t *der = NULL;
	size_t len = 0;
	ukey_rv rv;

	if (!e)
		return UKEY_E_NOMEM;
	e->type = kind;
	e->d.path = P15_PATH_new();
	if (!e->d.path || !ASN1_OCTET_STRING_set(e->d.path->path, path, (int)plen)) {
		P15_ODF_ENTRY_free(e);
		return UKEY_E_NOMEM;
	}
	rv = I2D(P15_ODF_ENTRY, e, &der, &len);
	P15_ODF_ENTRY_free(e);
	if (rv)
		return rv;
	if (t->odf_used + len > t->odf_size) {
		free(der);
		return UKEY_E_SW_NOT_ENOUGH_SPACE;
	}
	rv = p15_select(t, odf, sizeof(odf), NULL);
	if (!rv)
		rv = p15_update(t, t->odf_used, der, len);
	if (!rv)
		t->odf_used += len;
	free(der);
	return rv;
}

/* Make sure the directory file of `kind` is known and loaded. */
static ukey_rv df_ready(p15_token *t, int kind)
{
	p15_df *df = &t->df[kind];
	ukey_rv rv;

	if (!df->present) {
		uint16_t fid = std_fid(kind);

		if (!fid)
			return UKEY_E_ARGS;
		make_path(t, fid, df->path, &df->path_len);
		df->present = 1;
		df->loaded = 0;
		rv = p15_load_df(t, kind);
		if (rv)
			return rv;
		if (!df->loaded)
			return UKEY_E_SW_FILE_NOT_FOUND; /* not initialised by us */
		df->present = 2; /* exists, but the ODF does not list it yet */
		return UKEY_OK;
	}
	return p15_load_df(t, kind);
}

ukey_rv p15_df_append(p15_token *t, int kind, const uint8_t *der, size_t len)
{
	p15_df *df = &t->df[kind];
	uint8_t *nd;
	ukey_rv rv = df_ready(t, kind);

	if (rv)
		return rv;
	if (df->used + len > df->size)
		return UKEY_E_SW_NOT_ENOUGH_SPACE;
	nd = realloc(df->data, df->used + len);
	if (!nd)
		return UKEY_E_NOMEM;
	df->data = nd;
	rv = p15_select(t, df->path, df->path_len, NULL);
	if (!rv)
		rv = p15_update(t, df->used, der, len);
	if (rv)
		return rv;
	memcpy(df->data + df->used, der, len);
	df->used += len;
	df->len = df->used;
	if (df->present == 2) {
		rv = odf_add(t, kind, df->path, df->path_len);
		if (rv)
			return rv;
		df->present = 1;
	}
	return UKEY_OK;
}

/* Replace bytes [off, off+oldlen) of a directory by `repl` and rewrite the
 * tail (zero-filling what the content no longer covers). */
static ukey_rv df_splice(p15_token *t, int kind, size_t off, size_t oldlen,
			 const uint8_t *repl, size_t rlen)
{
	p15_df *df = &t->df[kind];
	size_t tail = df->used - off - oldlen;
	size_t newused = df->used - oldlen + rlen;
	size_t wlen = newused > df->used ? newused : df->used;
	uint8_t *buf;
	ukey_rv rv;

	if (newused > df->size)
		return UKEY_E_SW_NOT_ENOUGH_SPACE;
	buf = calloc(1, wlen - off ? wlen - off : 1);
	if (!buf)
		return UKEY_E_NOMEM;
	if (rlen)
		memcpy(buf, repl, rlen);
	memcpy(buf + rlen, df->data + off + oldlen, tail);
	rv = p15_select(t, df->path, df->path_len, NULL);
	if (!rv)
		rv = p15_update(t, off, buf, wlen - off);
	if (!rv) {
		uint8_t *nd = realloc(df->data, wlen ? wlen : 1);

		if (!nd) {
			rv = UKEY_E_NOMEM;
		} else {
			df->data = nd;
			memcpy(df->data + off, buf, wlen - off);
			df->used = newused;
			df->len = wlen;
		}
	} else {
		df->loaded = 0; /* we no longer know what the card holds */
	}
	free(buf);
	return rv;
}

/* Does `o` (from drv_ref + id) correspond to directory entry `el`? */
static int entry_matches(p15_token *t, int kind, const uint8_t *el, size_t l,
			 const ukey_object *o)
{
	ukey_object tmp;
	int m;

	if (p15_entry_to_object(t, kind, el, l, &tmp))
		return 0;
	m = tmp.id_len == o->id_len && !memcmp(tmp.id, o->id, o->id_len) &&
	    tmp.drv_ref_len == o->drv_ref_len &&
	    !memcmp(tmp.drv_ref, o->drv_ref, o->drv_ref_len);
	ukey_object_clear(&tmp);
	return m;
}

static ukey_rv find_entry(p15_token *t, const ukey_object *o, int *kind,
			  size_t *off, size_t *len)
{
	p15_df *df;
	size_t pos = 0, l;
	const uint8_t *el;
	ukey_rv rv;

	if (o->drv_ref_len < 6 || o->drv_ref[0] != P15_REF_TAG ||
	    o->drv_ref[1] >= P15_DF_COUNT)
		return UKEY_E_ARGS;
	*kind = o->drv_ref[1];
	df = &t->df[*kind];
	rv = p15_load_df(t, *kind);
	if (rv)
		return rv;
	if (!df->loaded)
		return UKEY_E_SW_FILE_NOT_FOUND;
	while (p15_next_element(df->data, df->used, &pos, &el, &l) == 1) {
		if (entry_matches(t, *kind, el, l, o)) {
			*off = (size_t)(el - df->data);
			*len = l;
			return UKEY_OK;
		}
	}
	return UKEY_E_SW_FILE_NOT_FOUND;
}

/* ---------------------------------------------------------------- files */

static int path_referenced(p15_token *t, const uint8_t *path, size_t plen)
{
	static const int kinds[] = { P15_DF_PRKDF, P15_DF_PUKDF, P15_DF_CDF,
				     P15_DF_DODF, P15_DF_CDF_TRUSTED,
				     P15_DF_CDF_USEFUL, P15_DF_PUKDF_TRUSTED };

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		p15_df *df = &t->df[kinds[k]];
		size_t pos = 0, l;
		const uint8_t *el;

		if (!df->loaded)
			continue;
		while (p15_next_element(df->data, df->used, &pos, &el, &l) == 1) {
			ukey_object tmp;
			int hit;

			if (p15_entry_to_object(t, kinds[k], el, l, &tmp))
				continue;
			hit = (size_t)tmp.drv_ref[3] == plen &&
			      !memcmp(tmp.drv_ref + 4, path, plen);
			ukey_object_clear(&tmp);
			if (hit)
				return 1;
		}
	}
	return 0;
}

/* Write `data` into a new (or unreferenced, large enough) EF base+n and read
 * it back. The new file's read access is read_ac; updates as OpenSC. */
static ukey_rv write_new_ef(p15_token *t, uint16_t base, const uint8_t *data,
			    size_t len, ukey_fs_ac read_ac, int exact, uint8_t *path,
			    size_t *plen)
{
	static const int kinds[] = { P15_DF_PRKDF, P15_DF_PUKDF, P15_DF_CDF,
				     P15_DF_DODF };
	uint8_t *back;
	size_t got = 0;
	ukey_rv rv = UKEY_E_SW_NOT_ENOUGH_SPACE;

	if (!len || len > P15_EF_MAX_SIZE)
		return UKEY_E_ARGS;
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		ukey_rv r = p15_load_df(t, kinds[k]);

		if (r)
			return r;
	}
	for (uint16_t n = 0; n < 0x40; n++) {
		ukey_fs_file fci;

		make_path(t, (uint16_t)(base + n), path, plen);
		if (path_referenced(t, path, *plen))
			continue;
		rv = p15_select(t, path, *plen, &fci);
		if (rv == UKEY_E_SW_FILE_NOT_FOUND) {
			ukey_fs_file spec;

			if (!t->fs.ops->create_ef)
				return UKEY_E_SW_FUNC_NOT_SUPPORTED;
			memset(&spec, 0, sizeof(spec));
			spec.fid = (uint16_t)(base + n);
			spec.size = len;
			spec.ac_read = read_ac;
			spec.ac_update = P15_AC_UPDATE;
			spec.ac_delete = P15_AC_UPDATE;
			rv = p15_select(t, t->app_path, sizeof(t->app_path), NULL);
			if (!rv)
				rv = t->fs.ops->create_ef(t->fs.os, &spec);
			if (rv)
				return rv;
			break;
		}
		if (rv)
			return rv;
		/* a file left by a deleted object; raw values (data objects)
		 * have no length of their own: only an exact fit will do */
		if (!fci.is_df && (exact ? fci.size == len : fci.size >= len))
			break;
		rv = UKEY_E_SW_NOT_ENOUGH_SPACE;
	}
	if (rv)
		return rv;
	rv = p15_update(t, 0, data, len);
	if (rv)
		return rv;
	back = malloc(len);
	if (!back)
		return UKEY_E_NOMEM;
	rv = p15_read(t, 0, back, len, &got);
	if (!rv && (got != len || memcmp(back, data, len) != 0))
		rv = UKEY_E_SW_MEMORY; /* the card did not keep what we wrote */
	free(back);
	return rv;
}

/* Delete a file, or zero its contents when the card OS cannot delete
 * files (used after its directory entry is gone). */
static ukey_rv zero_ef(p15_token *t, const uint8_t *path, size_t plen)
{
	ukey_fs_file fci;
	uint8_t *z;
	ukey_rv rv;

	if (t->fs.ops->delete_file) {
		rv = t->fs.ops->delete_file(t->fs.os, path, plen);
		return rv == UKEY_E_SW_FILE_NOT_FOUND ? UKEY_OK : rv;
	}
	rv = p15_select(t, path, plen, &fci);
	if (rv == UKEY_E_SW_FILE_NOT_FOUND)
		return UKEY_OK;
	if (rv)
		return rv;
	if (fci.is_df || !fci.size)
		return UKEY_OK;
	if (fci.size > P15_EF_MAX_SIZE)
		return UKEY_E_MALFORMED;
	z = calloc(1, fci.size);
	if (!z)
		return UKEY_E_NOMEM;
	rv = p15_update(t, 0, z, fci.size);
	free(z);
	return rv;
}

/* ------------------------------------------------------------ entries */

static ukey_rv set_common(P15_COMMON_OBJ *co, const char *label, int priv,
			  const uint8_t *auth_id, size_t auth_len)
{
	if (label && label[0]) {
		co->label = ASN1_UTF8STRING_new();
		if (!co->label || !ASN1_STRING_set(co->label, label, (int)strlen(label)))
			return UKEY_E_NOMEM;
	}
	co->flags = ASN1_BIT_STRING_new();
	if (!co->flags || (priv && !ASN1_BIT_STRING_set_bit(co->flags, 0, 1)) ||
	    !ASN1_BIT_STRING_set_bit(co->flags, 1, 1))
		return UKEY_E_NOMEM;
	if (priv && auth_len) {
		co->auth_id = ASN1_OCTET_STRING_new();
		if (!co->auth_id ||
		    !ASN1_OCTET_STRING_set(co->auth_id, auth_id, (int)auth_len))
			return UKEY_E_NOMEM;
	}
	return UKEY_OK;
}

static ukey_rv set_path(P15_PATH *p, const uint8_t *path, size_t plen)
{
	return ASN1_OCTET_STRING_set(p->path, path, (int)plen) ? UKEY_OK : UKEY_E_NOMEM;
}

static const uint8_t *user_auth_id(p15_token *t, size_t *len)
{
	static const uint8_t def = 0x01;

	if (p15_load_pins(t) == UKEY_OK && t->pin[0].auth_id_len) {
		*len = t->pin[0].auth_id_len;
		return t->pin[0].auth_id;
	}
	*len = 1;
	return &def;
}

static ukey_rv cert_entry(p15_token *t, const ukey_object *o, const uint8_t *path,
			  size_t plen, uint8_t **der, size_t *len)
{
	P15_CERT_OBJ *c = P15_CERT_OBJ_new();
	ukey_rv rv = c ? UKEY_OK : UKEY_E_NOMEM;

	(void)t;
	if (!rv)
		rv = set_common(c->common, o->label, 0, NULL, 0);
	if (!rv && !ASN1_OCTET_STRING_set(c->cert->id, o->id, (int)o->id_len))
		rv = UKEY_E_NOMEM;
	if (!rv)
		rv = set_path(c->x509->value, path, plen);
	if (!rv)
		rv = I2D(P15_CERT_OBJ, c, der, len);
	P15_CERT_OBJ_free(c);
	return rv;
}

static ukey_rv data_entry(p15_token *t, const ukey_object *o, const uint8_t *path,
			  size_t plen, uint8_t **der, size_t *len)
{
	P15_DATA_OBJ *d = P15_DATA_OBJ_new();
	const uint8_t *aid;
	size_t alen;
	ukey_rv rv = d ? UKEY_OK : UKEY_E_NOMEM;

	aid = user_auth_id(t, &alen);
	if (!rv)
		rv = set_common(d->common, o->label, o->private_obj, aid, alen);
	if (!rv && o->application[0]) {
		d->data->app_name = ASN1_UTF8STRING_new();
		if (!d->data->app_name ||
		    !ASN1_STRING_set(d->data->app_name, o->application,
				     (int)strlen(o->application)))
			rv = UKEY_E_NOMEM;
	}
	if (!rv && o->oid_der && o->oid_der_len) {
		const unsigned char *p = o->oid_der;

		d->data->app_oid = d2i_ASN1_OBJECT(NULL, &p, (long)o->oid_der_len);
		if (!d->data->app_oid)
			rv = UKEY_E_ARGS;
	}
	if (!rv)
		rv = set_path(d->value, path, plen);
	if (!rv)
		rv = I2D(P15_DATA_OBJ, d, der, len);
	P15_DATA_OBJ_free(d);
	ERR_clear_error();
	return rv;
}

/* KeyUsageFlags mask of an imported object: each PKCS#11 usage maps to its
 * own bit (no OpenSC-style widening, the caller said exactly what it
 * wants). */
static unsigned plain_usage_bits(unsigned u, int pub)
{
	unsigned b = 0;

	if (pub) {
		if (u & (UKEY_USAGE_SIGN | UKEY_USAGE_VERIFY | UKEY_USAGE_NONREPUDIATION))
			b |= 1u << P15_USAGE_VERIFY;
		if (u & (UKEY_USAGE_DECRYPT | UKEY_USAGE_ENCRYPT))
			b |= 1u << P15_USAGE_ENCRYPT;
		if (u & (UKEY_USAGE_UNWRAP | UKEY_USAGE_WRAP))
			b |= 1u << P15_USAGE_WRAP;
		if (u & UKEY_USAGE_SIGN_RECOVER)
			b |= 1u << P15_USAGE_VERIFYRECOVER;
		return b;
	}
	if (u & UKEY_USAGE_SIGN)
		b |= 1u << P15_USAGE_SIGN;
	if (u & UKEY_USAGE_SIGN_RECOVER)
		b |= 1u << P15_USAGE_SIGNRECOVER;
	if (u & UKEY_USAGE_DECRYPT)
		b |= 1u << P15_USAGE_DECRYPT;
	if (u & UKEY_USAGE_UNWRAP)
		b |= 1u << P15_USAGE_UNWRAP;
	if (u & UKEY_USAGE_NONREPUDIATION)
		b |= 1u << P15_USAGE_NONREP;
	return b;
}

/* usage_bits: KeyUsageFlags mask (1u << P15_USAGE_*). */
static ukey_rv key_entry(int pub, const char *label, const uint8_t *id,
			 size_t idlen, unsigned usage_bits, int native, uint8_t kid,
			 unsigned bits, const uint8_t *path, size_t plen,
			 const uint8_t *auth, size_t alen, uint8_t **der,
			 size_t *len)
{
	/* private keys are sensitive; generated ones also always sensitive,
	 * never extractable, local (access 03 02 03 B8 in OpenSC's PrKDF) */
	unsigned access = pub ? 0 : native ? 0x1Du : 0x01u;
	long l = p15_rsa_key_entry_der(pub, label, id, idlen, usage_bits, access,
				       pub ? 0 : kid, bits, path, plen, auth, alen,
				       der);

	if (l <= 0)
		return UKEY_E_NOMEM;
	*len = (size_t)l;
	return UKEY_OK;
}

/* RSAPublicKey DER of (n, e). */
static ukey_rv rsa_pub_der(const uint8_t *n, size_t nlen, const uint8_t *e,
			   size_t elen, uint8_t **der, size_t *len)
{
	ASN1_INTEGER *in = ASN1_INTEGER_new(), *ie = ASN1_INTEGER_new();
	uint8_t *a = NULL, *b = NULL;
	int la, lb;
	size_t hl, body;
	ukey_rv rv = UKEY_E_NOMEM;

	if (!in || !ie || !ASN1_STRING_set(in, n, (int)nlen) ||
	    !ASN1_STRING_set(ie, e, (int)elen))
		goto out;
	la = i2d_ASN1_INTEGER(in, &a);
	lb = i2d_ASN1_INTEGER(ie, &b);
	if (la <= 0 || lb <= 0)
		goto out;
	body = (size_t)la + (size_t)lb;
	hl = body < 0x80 ? 2 : body < 0x100 ? 3 : 4;
	if (body > 0xFFFF)
		goto out;
	*der = malloc(hl + body);
	if (!*der)
		goto out;
	/* SEQUENCE header around the two INTEGERs */
	(*der)[0] = 0x30;
	if (hl == 2) {
		(*der)[1] = (uint8_t)body;
	} else if (hl == 3) {
		(*der)[1] = 0x81;
		(*der)[2] = (uint8_t)body;
	} else {
		(*der)[1] = 0x82;
		(*der)[2] = (uint8_t)(body >> 8);
		(*der)[3] = (uint8_t)body;
	}
	memcpy(*der + hl, a, (size_t)la);
	memcpy(*der + hl + la, b, (size_t)lb);
	*len = hl + body;
	rv = UKEY_OK;
out:
	OPENSSL_free(a);
	OPENSSL_free(b);
	ASN1_INTEGER_free(in);
	ASN1_INTEGER_free(ie);
	return rv;
}

static ukey_rv set_ref(ukey_object *o, int kind, uint8_t kid,
		       const uint8_t *path, size_t plen)
{
	if (4 + plen > UKEY_DRVREF_MAX)
		return UKEY_E_ARGS;
	o->drv_ref[0] = P15_REF_TAG;
	o->drv_ref[1] = (uint8_t)kind;
	o->drv_ref[2] = kid;
	o->drv_ref[3] = (uint8_t)plen;
	memcpy(o->drv_ref + 4, path, plen);
	o->drv_ref_len = 4 + plen;
	return UKEY_OK;
}

/* ------------------------------------------------------------- public */

ukey_rv p15_write_object(p15_token *t, ukey_object *obj)
{
	uint8_t path[P15_PATH_MAX], *der = NULL, *val = NULL;
	size_t plen = 0, len = 0, vlen = 0;
	int kind;
	uint16_t base;
	ukey_rv rv;

	rv = p15_refresh(t);
	if (rv)
		return rv;
	switch (obj->cls) {
	case UKEY_OBJ_CERT:
		if (!obj->value || !obj->value_len)
			return UKEY_E_ARGS;
		kind = P15_DF_CDF;
		base = 0x3100;
		break;
	case UKEY_OBJ_DATA:
		if (!obj->value || !obj->value_len)
			return UKEY_E_ARGS;
		kind = P15_DF_DODF;
		base = 0x3200;
		break;
	case UKEY_OBJ_PUBKEY:
		if (!obj->modulus || !obj->pub_exp)
			return UKEY_E_ARGS;
		kind = P15_DF_PUKDF;
		base = 0x3000;
		rv = rsa_pub_der(obj->modulus, obj->modulus_len, obj->pub_exp,
				 obj->pub_exp_len, &val, &vlen);
		if (rv)
			return rv;
		break;
	default:
		return UKEY_E_ARGS;
	}
	rv = write_new_ef(t, base, val ? val : obj->value, val ? vlen : obj->value_len,
			  obj->private_obj ? UKEY_AC_USER : UKEY_AC_ALWAYS,
			  obj->cls == UKEY_OBJ_DATA, path, &plen);
	free(val);
	if (rv)
		return rv;
	if (obj->cls == UKEY_OBJ_CERT) {
		rv = cert_entry(t, obj, path, plen, &der, &len);
	} else if (obj->cls == UKEY_OBJ_DATA) {
		rv = data_entry(t, obj, path, plen, &der, &len);
	} else {
		unsigned bits = obj->key_bits;

		if (!bits) {
			size_t i = 0;

			while (i < obj->modulus_len && !obj->modulus[i])
				i++;
			bits = (unsigned)(obj->modulus_len - i) * 8;
		}
		rv = key_entry(1, obj->label, obj->id, obj->id_len,
			       plain_usage_bits(obj->usage ? obj->usage :
						UKEY_USAGE_VERIFY, 1), 0, 0,
			       bits, path, plen, NULL, 0, &der, &len);
	}
	if (!rv)
		rv = p15_df_append(t, kind, der, len);
	free(der);
	if (!rv)
		rv = set_ref(obj, kind, 0, path, plen);
	if (!rv)
		p15_touch_tokeninfo(t);
	return rv;
}

ukey_rv p15_delete_object(p15_token *t, const ukey_object *obj)
{
	int kind;
	size_t off = 0, len = 0;
	ukey_rv rv = p15_refresh(t);

	if (!rv)
		rv = find_entry(t, obj, &kind, &off, &len);

	if (rv)
		return rv;
	rv = df_splice(t, kind, off, len, NULL, 0);
	if (rv)
		return rv;
	/* A private key's record is erased if the card OS can (FTCOS cannot:
	 * the record stays and its reference is reused by the next key
	 * generated). Other objects' files are deleted or zeroed. */
	if (kind != P15_DF_PRKDF) {
		rv = zero_ef(t, obj->drv_ref + 4, obj->drv_ref[3]);
	} else if (t->fs.ops->key_delete) {
		rv = p15_select(t, obj->drv_ref + 4, obj->drv_ref[3], NULL);
		if (!rv)
			rv = t->fs.ops->key_delete(t->fs.os, obj->drv_ref[2]);
	}
	if (!rv)
		p15_touch_tokeninfo(t);
	return rv;
}

ukey_rv p15_update_object(p15_token *t, const ukey_object *obj)
{
	int kind;
	size_t off = 0, len = 0, nlen = 0;
	const unsigned char *p;
	uint8_t *der = NULL;
	P15_COMMON_OBJ **co = NULL;
	void *v = NULL;
	ukey_rv rv = p15_refresh(t);

	if (!rv)
		rv = find_entry(t, obj, &kind, &off, &len);

	if (rv)
		return rv;
	p = t->df[kind].data + off;
	switch (kind) {
	case P15_DF_PRKDF:
	case P15_DF_PUKDF:
	case P15_DF_PUKDF_TRUSTED:
		v = d2i_P15_KEY_OBJ(NULL, &p, (long)len);
		if (v)
			co = &((P15_KEY_OBJ *)v)->common;
		break;
	case P15_DF_DODF:
		v = d2i_P15_DATA_OBJ(NULL, &p, (long)len);
		if (v)
			co = &((P15_DATA_OBJ *)v)->common;
		break;
	default:
		v = d2i_P15_CERT_OBJ(NULL, &p, (long)len);
		if (v)
			co = &((P15_CERT_OBJ *)v)->common;
		break;
	}
	if (!v)
		return UKEY_E_MALFORMED;
	ASN1_UTF8STRING_free((*co)->label);
	(*co)->label = NULL;
	if (obj->label[0]) {
		(*co)->label = ASN1_UTF8STRING_new();
		if (!(*co)->label ||
		    !ASN1_STRING_set((*co)->label, obj->label, (int)strlen(obj->label)))
			rv = UKEY_E_NOMEM;
	}
	if (!rv) {
		if (kind == P15_DF_PRKDF || kind == P15_DF_PUKDF ||
		    kind == P15_DF_PUKDF_TRUSTED)
			rv = I2D(P15_KEY_OBJ, v, &der, &nlen);
		else if (kind == P15_DF_DODF)
			rv = I2D(P15_DATA_OBJ, v, &der, &nlen);
		else
			rv = I2D(P15_CERT_OBJ, v, &der, &nlen);
	}
	if (kind == P15_DF_PRKDF || kind == P15_DF_PUKDF || kind == P15_DF_PUKDF_TRUSTED)
		P15_KEY_OBJ_free(v);
	else if (kind == P15_DF_DODF)
		P15_DATA_OBJ_free(v);
	else
		P15_CERT_OBJ_free(v);
	if (!rv)
		rv = df_splice(t, kind, off, len, der, nlen);
	free(der);
	if (!rv)
		p15_touch_tokeninfo(t);
	return rv;
}

uint8_t p15_free_kid(p15_token *t)
{
	uint8_t used[256 / 8];
	p15_df *df = &t->df[P15_DF_PRKDF];
	size_t pos = 0, l;
	const uint8_t *el;
	unsigned lo = t->fs.ops->key_ref_min, hi = t->fs.ops->key_ref_max;

	/* references are stored in one byte (drv_ref), 0 means none */
	if (lo < 1)
		lo = 1;
	if (hi > 255)
		hi = 255;
	memset(used, 0, sizeof(used));
	if (df->loaded) {
		while (p15_next_element(df->data, df->used, &pos, &el, &l) == 1) {
			ukey_object tmp;

			if (p15_entry_to_object(t, P15_DF_PRKDF, el, l, &tmp))
				continue;
			used[tmp.drv_ref[2] / 8] |= (uint8_t)(1u << (tmp.drv_ref[2] % 8));
			ukey_object_clear(&tmp);
		}
	}
	for (unsigned k = lo; k <= hi; k++)
		if (!(used[k / 8] & (1u << (k % 8))))
			return (uint8_t)k;
	return 0;
}

/* Before a new key pair is written: fresh directories, a free key
 * record (*kid), the application DF current. */
static ukey_rv new_key_slot(p15_token *t, uint8_t *kid)
{
	ukey_rv rv;

	if (!t->fs.ops->key_create)
		return UKEY_E_SW_FUNC_NOT_SUPPORTED;
	rv = p15_refresh(t);
	if (!rv)
		rv = p15_load_df(t, P15_DF_PRKDF);
	if (rv)
		return rv;
	*kid = p15_free_kid(t);
	if (!*kid)
		return UKEY_E_SW_NOT_ENOUGH_SPACE;
	return p15_select(t, t->app_path, sizeof(t->app_path), NULL);
}

ukey_rv p15_generate_rsa(p15_token *t, const ukey_keygen_params *p,
			 ukey_object *pub, ukey_object *priv)
{
	ukey_fs_keyspec ks = { p->bits, NULL };
	uint8_t kid, *n = NULL, *e = NULL;
	size_t nlen = 0, elen = 0;
	ukey_rv rv;

	if (!t->fs.ops->key_read_public)
		return UKEY_E_SW_FUNC_NOT_SUPPORTED;
	rv = new_key_slot(t, &kid);
	if (!rv)
		rv = t->fs.ops->key_create(t->fs.os, kid, &ks);
	if (!rv)
		rv = t->fs.ops->key_read_public(t->fs.os, kid, &n, &nlen, &e, &elen);
	if (!rv)
		rv = p15_add_keypair(t, kid, p, n, nlen, e, elen, 1, pub, priv);
	free(n);
	free(e);
	return rv;
}

ukey_rv p15_import_rsa(p15_token *t, const ukey_keygen_params *p,
		       const ukey_rsa_material *m, ukey_object *priv)
{
	ukey_fs_keyspec ks = { p->bits, m };
	ukey_object pub;
	uint8_t kid;
	ukey_rv rv;

	rv = new_key_slot(t, &kid);
	if (!rv)
		rv = t->fs.ops->key_create(t->fs.os, kid, &ks);
	if (rv)
		return rv;
	memset(&pub, 0, sizeof(pub));
	rv = p15_add_keypair(t, kid, p, m->n, m->n_len, m->e, m->e_len, 0, &pub,
			     priv);
	ukey_object_clear(&pub);
	return rv;
}

static ukey_rv dup_into(uint8_t **dst, size_t *dlen, const uint8_t *src, size_t len)
{
	while (len > 1 && src[0] == 0) {
		src++;
		len--;
	}
	*dst = malloc(len);
	if (!*dst)
		return UKEY_E_NOMEM;
	memcpy(*dst, src, len);
	*dlen = len;
	return UKEY_OK;
}

ukey_rv p15_add_keypair(p15_token *t, uint8_t kid, const ukey_keygen_params *p,
			const uint8_t *n, size_t nlen, const uint8_t *e,
			size_t elen, int native, ukey_object *pub,
			ukey_object *priv)
{
	uint8_t path[P15_PATH_MAX], *val = NULL, *der = NULL;
	uint8_t id[UKEY_ID_MAX];
	size_t plen = 0, vlen = 0, len = 0, idlen, alen;
	const uint8_t *auth;
	unsigned usage = p->usage ? p->usage : (UKEY_USAGE_SIGN | UKEY_USAGE_DECRYPT);
	ukey_rv rv;

	if (!n || !e || !nlen || !elen)
		return UKEY_E_ARGS;
	if (p->id_len) {
		if (p->id_len > UKEY_ID_MAX)
			return UKEY_E_ARGS;
		memcpy(id, p->id, p->id_len);
		idlen = p->id_len;
	} else {
		/* like OpenSC: the ID is the SHA-1 of the modulus */
		SHA1(n, nlen, id);
		idlen = SHA_DIGEST_LENGTH;
	}
	auth = user_auth_id(t, &alen);
	rv = rsa_pub_der(n, nlen, e, elen, &val, &vlen);
	if (!rv)
		rv = write_new_ef(t, 0x3000, val, vlen, UKEY_AC_ALWAYS, 0, path, &plen);
	free(val);
	if (rv)
		return rv;
	/* private key entry: the key record lives in the application DF */
	rv = key_entry(0, p->label, id, idlen, p15_key_usage_bits(usage, 0),
		       native, kid, p->bits,
		       t->app_path, sizeof(t->app_path), auth, alen, &der, &len);
	if (!rv)
		rv = p15_df_append(t, P15_DF_PRKDF, der, len);
	free(der);
	der = NULL;
	if (rv)
		return rv;
	rv = key_entry(1, p->label, id, idlen, p15_key_usage_bits(usage, 1), 0,
		       kid, p->bits, path, plen,
		       NULL, 0, &der, &len);
	if (!rv)
		rv = p15_df_append(t, P15_DF_PUKDF, der, len);
	free(der);
	if (rv)
		return rv;
	p15_touch_tokeninfo(t);

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
	priv->key_bits = pub->key_bits = p->bits;
	/* what the entries just written say (read back the same way) */
	priv->usage = usage & (UKEY_USAGE_SIGN | UKEY_USAGE_SIGN_RECOVER |
			       UKEY_USAGE_DECRYPT | UKEY_USAGE_UNWRAP |
			       UKEY_USAGE_NONREPUDIATION);
	if (usage & (UKEY_USAGE_SIGN | UKEY_USAGE_SIGN_RECOVER))
		priv->usage |= UKEY_USAGE_SIGN | UKEY_USAGE_SIGN_RECOVER;
	if (usage & (UKEY_USAGE_DECRYPT | UKEY_USAGE_UNWRAP))
		priv->usage |= UKEY_USAGE_DECRYPT | UKEY_USAGE_UNWRAP;
	pub->usage = 0;
	if (usage & (UKEY_USAGE_SIGN | UKEY_USAGE_SIGN_RECOVER |
		     UKEY_USAGE_NONREPUDIATION))
		pub->usage |= UKEY_USAGE_VERIFY;
	if (usage & (UKEY_USAGE_DECRYPT | UKEY_USAGE_UNWRAP))
		pub->usage |= UKEY_USAGE_ENCRYPT | UKEY_USAGE_WRAP;
	priv->native = native;
	priv->private_obj = 1;
	priv->modifiable = pub->modifiable = 1;
	rv = set_ref(priv, P15_DF_PRKDF, kid, t->app_path, sizeof(t->app_path));
	if (!rv)
		rv = set_ref(pub, P15_DF_PUKDF, 0, path, plen);
	if (!rv)
		rv = dup_into(&priv->modulus, &priv->modulus_len, n, nlen);
	if (!rv)
		rv = dup_into(&priv->pub_exp, &priv->pub_exp_len, e, elen);
	if (!rv)
		rv = dup_into(&pub->modulus, &pub->modulus_len, n, nlen);
	if (!rv)
		rv = dup_into(&pub->pub_exp, &pub->pub_exp_len, e, elen);
	return rv;
}
