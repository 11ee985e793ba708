/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/epass2003/epass2003_fs.c — the ePass2003 as a card file system
 * (cardfs.h) for the PKCS#15 and ENTERSAFE-ESPK layouts. os is an
 * epass2003_ctx. Paths are the layouts' FIDs: the FID hook of OpenSC's
 * layout (29xx, 30xx..34xx stored as xx * 0x20) is applied here, so a
 * PKCS#15 directory written by OpenSC reads back unchanged.
 */
#include <string.h>

#include "epass2003.h"

static ukey_fs_ac ac_of(const epass2003_fci *f, size_t i)
{
	uint8_t b;

	if (i >= f->ac_len)
		return UKEY_AC_UNKNOWN;
	b = f->ac[i];
	switch (b & 0x0F) {
	case EPASS2003_AC_EVERYONE: return UKEY_AC_ALWAYS;
	case EPASS2003_AC_USER:     return UKEY_AC_USER;
	case EPASS2003_AC_SO:       return UKEY_AC_SO;
	case EPASS2003_AC_NOONE:    return UKEY_AC_NEVER;
	default:                    return UKEY_AC_UNKNOWN;
	}
}

static ukey_rv ac_byte(ukey_fs_ac ac, uint8_t *out)
{
	switch (ac) {
	case UKEY_AC_ALWAYS:
		*out = EPASS2003_AC_MAC_NOLESS | EPASS2003_AC_EVERYONE;
		return UKEY_OK;
	case UKEY_AC_USER:
		*out = EPASS2003_AC_MAC_NOLESS | EPASS2003_AC_USER;
		return UKEY_OK;
	case UKEY_AC_SO:
		*out = EPASS2003_AC_MAC_NOLESS | EPASS2003_AC_SO;
		return UKEY_OK;
	case UKEY_AC_NEVER:
		*out = EPASS2003_AC_MAC_NOLESS | EPASS2003_AC_NOONE;
		return UKEY_OK;
	default:
		return UKEY_E_ARGS;
	}
}

static void to_fs_file(const epass2003_ctx *c, const epass2003_fci *f,
		       ukey_fs_file *out)
{
	memset(out, 0, sizeof(*out));
	out->fid = epass2003_unhook_fid(c, f->fid);
	out->is_df = f->is_df;
	out->size = f->is_df ? 0 : f->size;
	if (f->name_len <= sizeof(out->name)) {
		memcpy(out->name, f->name, f->name_len);
		out->name_len = f->name_len;
	}
	out->ac_read = ac_of(f, EPASS2003_ACI_READ);
	out->ac_update = ac_of(f, EPASS2003_ACI_UPDATE);
	out->ac_delete = ac_of(f, EPASS2003_ACI_DELETE);
	if (f->type == EPASS2003_FT_LINEAR || f->type == 0x04)
		out->record_len = f->record_len <= 0xFFFF ? (int)f->record_len : 0;
}

/* The layout's path to the card's FIDs. */
static ukey_rv hook_path(const epass2003_ctx *c, const uint8_t *path,
			 size_t len, uint8_t *out)
{
	if (!path || len < 2 || len % 2 || len > 2 * (EPASS2003_MAX_DEPTH + 1))
		return UKEY_E_ARGS;
	for (size_t i = 0; i < len; i += 2) {
		uint16_t f = epass2003_hook_fid(c, (uint16_t)(path[i] << 8 | path[i + 1]));

		out[i] = (uint8_t)(f >> 8);
		out[i + 1] = (uint8_t)f;
	}
	return UKEY_OK;
}

static ukey_rv fs_select_path(void *os, const uint8_t *path, size_t len,
			      ukey_fs_file *out)
{
	epass2003_ctx *c = os;
	uint8_t p[2 * (EPASS2003_MAX_DEPTH + 1)];
	epass2003_fci f;
	ukey_rv rv;

	if (!c)
		return UKEY_E_ARGS;
	rv = hook_path(c, path, len, p);
	if (!rv)
		rv = epass2003_select_path(c, p, len, out ? &f : NULL);
	if (!rv && out)
		to_fs_file(c, &f, out);
	return rv;
}

static ukey_rv fs_select_aid(void *os, const uint8_t *aid, size_t len,
			     const uint8_t *path, size_t path_len,
			     ukey_fs_file *out)
{
	epass2003_ctx *c = os;
	uint8_t p[2 * (EPASS2003_MAX_DEPTH + 1)];
	epass2003_fci f;
	ukey_rv rv;

	if (!c)
		return UKEY_E_ARGS;
	if (path) {
		rv = hook_path(c, path, path_len, p);
		if (rv || path_len < 4)
			return UKEY_E_ARGS;
	}
	rv = epass2003_select_aid(c, aid, len, &f);
	if (rv)
		return rv;
	/* where the application is, as the layout expects it, unless the
	 * card names another FID */
	if (path && (f.fid == 0 ||
		     f.fid == (uint16_t)(p[path_len - 2] << 8 | p[path_len - 1]))) {
		rv = epass2003_assume_df(c, p, path_len);
		if (rv)
			return rv;
	}
	if (out)
		to_fs_file(c, &f, out);
	return UKEY_OK;
}

static ukey_rv fs_read(void *os, size_t off, uint8_t *buf, size_t len,
		       size_t *got)
{
	return os ? epass2003_read_binary(os, off, buf, len, got) : UKEY_E_ARGS;
}

static ukey_rv fs_update(void *os, size_t off, const uint8_t *buf, size_t len)
{
	return os ? epass2003_update_binary(os, off, buf, len) : UKEY_E_ARGS;
}

static ukey_rv fs_create_ef(void *os, const ukey_fs_file *spec)
{
	epass2003_ctx *c = os;
	epass2003_fci f;
	ukey_rv rv;

	if (!c || !spec || spec->is_df || spec->size == 0 || spec->size > 0x7FFF ||
	    spec->record_len != 0 || spec->fid == 0 || spec->fid == 0x3F00)
		return UKEY_E_ARGS;
	if (!c->df_known)
		return UKEY_E_ARGS; /* "the current DF" must be one we know */
	memset(&f, 0, sizeof(f));
	f.fid = epass2003_hook_fid(c, spec->fid);
	f.type = EPASS2003_FT_EF;
	f.size = spec->size;
	f.ac_len = 8;
	memset(f.ac, 0xFF, sizeof(f.ac));
	rv = ac_byte(spec->ac_read, &f.ac[EPASS2003_ACI_READ]);
	if (!rv)
		rv = ac_byte(spec->ac_update, &f.ac[EPASS2003_ACI_UPDATE]);
	/* who may write it may delete it */
	if (!rv)
		rv = ac_byte(spec->ac_update, &f.ac[EPASS2003_ACI_DELETE]);
	if (rv)
		return rv;
	return epass2003_create_file(c, &f);
}

static ukey_rv fs_delete_file(void *os, const uint8_t *path, size_t len)
{
	epass2003_ctx *c = os;
	uint8_t p[2 * (EPASS2003_MAX_DEPTH + 1)];
	ukey_rv rv;

	if (!c)
		return UKEY_E_ARGS;
	rv = hook_path(c, path, len, p);
	if (rv)
		return rv;
	if (len < 4)
		return UKEY_E_ARGS; /* not the MF */
	/* the parent DF, then DELETE FILE <fid> in it */
	rv = epass2003_select_path(c, p, len - 2, NULL);
	if (!rv)
		rv = epass2003_delete_fid(c, (uint16_t)(p[len - 2] << 8 | p[len - 1]));
	return rv;
}

static int missing(ukey_rv rv)
{
	return rv == UKEY_E_SW_FILE_NOT_FOUND || rv == UKEY_E_SW_REF_NOT_FOUND;
}

static ukey_rv fs_set_pin(void *os, unsigned ref, const uint8_t *pin,
			  size_t len)
{
	if (!os || ref < 1 || ref > 0x7F)
		return UKEY_E_ARGS;
	return epass2003_set_pin(os, (uint8_t)ref, pin, len);
}

static ukey_rv fs_key_create(void *os, unsigned key, const ukey_fs_keyspec *ks)
{
	epass2003_ctx *c = os;
	uint16_t prv, pub;
	ukey_rv rv;

	if (!c || !ks)
		return UKEY_E_ARGS;
	rv = epass2003_key_fids(key, &prv, &pub);
	if (rv)
		return rv;
	if (ks->import) {
		size_t nlen = ks->import->n_len;
		const uint8_t *n = ks->import->n;

		while (n && nlen && n[0] == 0) {
			n++;
			nlen--;
		}
		if (!n || (ks->bits && ks->bits != nlen * 8))
			return UKEY_E_ARGS;
		rv = epass2003_delete_fid(c, prv);
		if (rv && !missing(rv))
			return rv;
		rv = epass2003_create_key_files(c, prv, 0, (unsigned)(nlen * 8));
		if (!rv)
			rv = epass2003_import_rsa(c, prv, ks->import);
		return rv;
	}
	if (!pub)
		return UKEY_E_ARGS;
	rv = epass2003_delete_fid(c, pub);
	if (rv && !missing(rv))
		return rv;
	rv = epass2003_delete_fid(c, prv);
	if (rv && !missing(rv))
		return rv;
	rv = epass2003_create_key_files(c, prv, pub, ks->bits);
	if (!rv)
		rv = epass2003_generate_rsa(c, prv, pub, ks->bits);
	return rv;
}

static ukey_rv fs_key_read_public(void *os, unsigned key, uint8_t **n,
				  size_t *nlen, uint8_t **e, size_t *elen)
{
	uint16_t prv, pub;
	ukey_rv rv;

	if (!os)
		return UKEY_E_ARGS;
	rv = epass2003_key_fids(key, &prv, &pub);
	if (!rv && !pub)
		rv = UKEY_E_ARGS;
	if (!rv)
		rv = epass2003_read_pubkey(os, pub, 0, n, nlen, e, elen);
	return rv;
}

static ukey_rv fs_key_delete(void *os, unsigned key)
{
	epass2003_ctx *c = os;
	uint16_t prv, pub;
	ukey_rv rv;

	if (!c)
		return UKEY_E_ARGS;
	rv = epass2003_key_fids(key, &prv, &pub);
	if (rv)
		return rv;
	if (pub) {
		rv = epass2003_delete_fid(c, pub);
		if (rv && !missing(rv))
			return rv;
	}
	return epass2003_delete_fid(c, prv);
}

static int pin_ref_ok(unsigned ref)
{
	return ref >= 1 && ref <= 0x7F;
}

static ukey_rv fs_verify_pin(void *os, unsigned ref, const uint8_t *pin,
			     size_t len, int *tries_left)
{
	if (tries_left)
		*tries_left = -1;
	if (!os || !pin_ref_ok(ref))
		return UKEY_E_ARGS;
	return epass2003_verify_pin(os, (uint8_t)ref, pin, len, tries_left);
}

/* The card's CHANGE is UPDATE SECRET KEY under the PIN's modify condition
 * (the PIN itself): the old PIN is verified first. */
static ukey_rv fs_change_pin(void *os, unsigned ref, const uint8_t *oldpin,
			     size_t oldlen, const uint8_t *newpin,
			     size_t newlen, int *tries_left)
{
	ukey_rv rv = fs_verify_pin(os, ref, oldpin, oldlen, tries_left);

	if (!rv)
		rv = epass2003_set_pin(os, (uint8_t)ref, newpin, newlen);
	return rv;
}

/* EXTERNAL AUTHENTICATE without data answers the counter (63Cx). The
 * maximum is the profile's (pin_max_tries) when the counter stands at it;
 * otherwise the token's MAXPIN file decides (a token personalised with
 * another maximum), which costs a select and a read. */
static ukey_rv fs_pin_tries(void *os, unsigned ref, int *tries_left,
			    int *max_tries)
{
	epass2003_ctx *c = os;
	unsigned max = 0;
	ukey_rv rv;

	*tries_left = *max_tries = -1;
	if (!c || !pin_ref_ok(ref))
		return UKEY_E_ARGS;
	rv = epass2003_pin_tries(c, (uint8_t)ref, tries_left);
	if (rv || *tries_left < 0)
		return rv;
	if ((unsigned)*tries_left == c->pin_max_default) {
		*max_tries = *tries_left;
		return UKEY_OK;
	}
	rv = epass2003_pin_max_tries(c, (uint8_t)ref, &max);
	if (rv == UKEY_OK)
		*max_tries = (int)max;
	return rv;
}

const ukey_cardfs_ops epass2003_cardfs_ops = {
	.name = "epass2003",
	.select_path = fs_select_path,
	.select_aid = fs_select_aid,
	.read = fs_read,
	.update = fs_update,
	.create_ef = fs_create_ef,
	.delete_file = fs_delete_file,
	.set_pin = fs_set_pin,
	.verify_pin = fs_verify_pin,
	.change_pin = fs_change_pin,
	.pin_tries = fs_pin_tries,
	.key_create = fs_key_create,
	.key_read_public = fs_key_read_public,
	.key_delete = fs_key_delete,
	/* PKCS#15 as OpenSC writes it for this card: storedLength 16, pad
	 * 00, user PIN 1, SO PIN 2 (the card itself keeps SHA-1 || length) */
	.pin_stored_len = EPASS2003_PIN_MAX,
	.pin_pad = 0x00,
	.pin_ref_user = 1,
	.pin_ref_so = 2,
	/* OpenSC's key references: EFs 2900/3000 + 0x20 k */
	.key_ref_min = 0,
	.key_ref_max = 7,
};
