/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/ftcos/ftcos_cardfs.c — the card file system (cardfs.h) FTCOS
 * gives the layouts: the same commands the layouts used to call directly,
 * with FTCOS's selection tracking (and its "application by AID after our
 * own reset" shortcut, ftcos_after_reset) underneath. What is FTCOS's own
 * lives here: access-condition bytes, PIN records, key records.
 */
#include <string.h>

#include "ftcos.h"

/* Access-condition bytes (ftcos-command-set.md). */
#define FTCOS_AC_ALWAYS 0x10
#define FTCOS_AC_USER   0x04
#define FTCOS_AC_NEVER  0xC0
/* OpenSC's entersafe profile writes every "needs the PIN" condition as
 * 00, which FTCOS (and OpenSC, which then updates such files without a
 * VERIFY) treats as free. An update condition "user PIN" is written that
 * way, so that OpenSC can still manage the files ukey creates; a read
 * condition gets the real USER byte (a private object stays private). */
#define FTCOS_AC_OPENSC_PIN 0x00

static ukey_rv ac_byte(ukey_fs_ac ac, int update, uint8_t *out)
{
	switch (ac) {
	case UKEY_AC_ALWAYS:
		*out = FTCOS_AC_ALWAYS;
		return UKEY_OK;
	case UKEY_AC_USER:
		*out = update ? FTCOS_AC_OPENSC_PIN : FTCOS_AC_USER;
		return UKEY_OK;
	case UKEY_AC_NEVER:
		*out = FTCOS_AC_NEVER;
		return UKEY_OK;
	default:
		return UKEY_E_ARGS; /* SO conditions: none of our layouts asks */
	}
}

static void to_file(const ftcos_fci *f, ukey_fs_file *out)
{
	memset(out, 0, sizeof(*out));
	out->fid = f->fid;
	out->is_df = f->is_df;
	out->size = f->size;
	memcpy(out->name, f->name, f->name_len);
	out->name_len = f->name_len;
	/* FTCOS's FCI carries no access conditions we parse */
	out->ac_read = out->ac_update = out->ac_delete = UKEY_AC_UNKNOWN;
}

static ukey_rv fs_select_path(void *os, const uint8_t *path, size_t len,
			      ukey_fs_file *out)
{
	ftcos_fci fci;
	ukey_rv rv = ftcos_select_path(os, path, len, out ? &fci : NULL);

	if (rv == UKEY_OK && out)
		to_file(&fci, out);
	return rv;
}

/* A path ftcos_now_in_df takes: 3F00 first, whole FIDs, not too deep. */
static int df_path_ok(const uint8_t *path, size_t len)
{
	return len >= 2 && !(len & 1) && len / 2 <= FTCOS_MAX_DEPTH &&
	       path[0] == 0x3F && path[1] == 0x00;
}

static ukey_rv fs_select_aid(void *os, const uint8_t *aid, size_t len,
			     const uint8_t *path, size_t path_len,
			     ukey_fs_file *out)
{
	ftcos_ctx *c = os;
	ftcos_fci fci;
	ukey_rv rv;

	if (path && !df_path_ok(path, path_len))
		return UKEY_E_ARGS;
	rv = ftcos_select_aid(c, aid, len, &fci);
	if (rv)
		return rv;
	if (out)
		to_file(&fci, out);
	/* ftcos_select_aid forgot the selection; the layout knows where its
	 * application lives, and the answer agrees (or names no FID) */
	if (path && (fci.fid == 0 ||
		     fci.fid == (path[path_len - 2] << 8 | path[path_len - 1])))
		return ftcos_now_in_df(c, path, path_len);
	return UKEY_OK;
}

static ukey_rv fs_read(void *os, size_t off, uint8_t *buf, size_t len,
		       size_t *got)
{
	return ftcos_read_binary(os, off, buf, len, got);
}

static ukey_rv fs_update(void *os, size_t off, const uint8_t *buf, size_t len)
{
	return ftcos_update_binary(os, off, buf, len);
}

static ukey_rv fs_create_ef(void *os, const ukey_fs_file *spec)
{
	uint8_t rac, uac;

	if (!spec || spec->is_df || spec->record_len || spec->size > 0xFFFF ||
	    ac_byte(spec->ac_read, 0, &rac) || ac_byte(spec->ac_update, 1, &uac))
		return UKEY_E_ARGS;
	/* attribute 0000: a transparent EF */
	return ftcos_create_ef(os, spec->fid, (uint16_t)spec->size, 0x0000, rac,
			       uac);
}

static ukey_rv fs_set_pin(void *os, unsigned ref, const uint8_t *pin,
			  size_t len)
{
	if (ref > 0xFF)
		return UKEY_E_ARGS;
	return ftcos_set_pin(os, (uint8_t)ref, pin, len);
}

static ukey_rv fs_verify_pin(void *os, unsigned ref, const uint8_t *pin,
			     size_t len, int *tries_left)
{
	if (tries_left)
		*tries_left = -1;
	if (ref > 0xFF)
		return UKEY_E_ARGS;
	return ftcos_verify(os, (uint8_t)ref, pin, len, tries_left);
}

/* FTCOS's own CHANGE: its answer does not tell the counter */
static ukey_rv fs_change_pin(void *os, unsigned ref, const uint8_t *oldpin,
			     size_t oldlen, const uint8_t *newpin,
			     size_t newlen, int *tries_left)
{
	if (tries_left)
		*tries_left = -1;
	if (ref > 0xFF)
		return UKEY_E_ARGS;
	return ftcos_change_pin(os, (uint8_t)ref, oldpin, oldlen, newpin,
				newlen);
}

static ukey_rv fs_key_create(void *os, unsigned key, const ukey_fs_keyspec *ks)
{
	if (!ks || key > 0xFF)
		return UKEY_E_ARGS;
	if (ks->import)
		return ftcos_import_rsa(os, (uint8_t)key, ks->bits, ks->import);
	return ftcos_generate_rsa(os, (uint8_t)key, ks->bits);
}

static ukey_rv fs_key_read_public(void *os, unsigned key, uint8_t **n,
				  size_t *nlen, uint8_t **e, size_t *elen)
{
	if (key > 0xFF)
		return UKEY_E_ARGS;
	return ftcos_read_pubkey(os, (uint8_t)key, n, nlen, e, elen);
}

static const ukey_cardfs_ops ftcos_cardfs_ops = {
	.name = "ftcos",
	.select_path = fs_select_path,
	.select_aid = fs_select_aid,
	.read = fs_read,
	.update = fs_update,
	.create_ef = fs_create_ef,
	.delete_file = NULL,   /* FTCOS has no DELETE FILE */
	.set_pin = fs_set_pin, /* WRITE KEY of the PIN record (usage 0B) */
	.verify_pin = fs_verify_pin,
	.change_pin = fs_change_pin,
	.pin_tries = NULL,     /* the counter is told only by a wrong VERIFY */
	.key_create = fs_key_create,
	.key_read_public = fs_key_read_public,
	.key_delete = NULL,    /* key records cannot be erased */
	.pin_stored_len = FTCOS_PIN_STORED,
	.pin_pad = 0x00,
	.pin_ref_user = FTCOS_PIN_USER,
	.pin_ref_so = FTCOS_PIN_SO,
	/* the nine RSA key records personalisation installs */
	.key_ref_min = 1,
	.key_ref_max = 9,
};

void ftcos_cardfs(ftcos_ctx *c, ukey_cardfs *fs)
{
	fs->ops = &ftcos_cardfs_ops;
	fs->os = c;
	fs->max_read = c->max_read;
}
