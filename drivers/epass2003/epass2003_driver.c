/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/epass2003/epass2003_driver.c — the "epass2003" operations table
 * (Feitian ePass2003): binds the card (secure messaging as the profile or
 * GET DATA 86 says, the first layout of the profile's list found on the
 * card over the ePass2003 card file system, epass2003_fs.c), and delegates
 * objects to that layout through the layout table (layout.h). The
 * commands that are not file-system business stay here: PIN checks
 * (EXTERNAL AUTHENTICATE with the PIN key), MSE + PSO (raw RSA and the
 * hash finished on the card from the host's SHA-256 midstate), serial
 * number, GET CHALLENGE, logout (a new SM session).
 */
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "epass2003.h"
#include "layout_driver.h"

typedef struct {
	ukey_layout_drv base; /* first: the shared layout ops (layout_driver.h) */
	epass2003_ctx c;
	int hash_on_card;    /* CKM_SHA256_RSA_PKCS by PSO HASH + CDS */
} e3_drv;

/* Layouts whose keys sign SHA-256 with the hash finished on the card
 * (profile key hash_on_card, a list of layout names, "all" or "none").
 * Default: ESPK only — the vendor's middleware signs that way, while
 * OpenSC signs its own PKCS#15 keys raw (MSE B8 + PSO DECIPHER), which is
 * one APDU fewer than MSE B6 + PSO HASH + PSO CDS. */
static int hash_on_card(const ukey_profile *p, const char *layout)
{
	const char *v = p ? ukey_profile_get(p, "hash_on_card") : NULL;

	if (!v)
		v = "entersafe-espk";
	if (!strcmp(v, "all"))
		return 1;
	return layout && ukey_profile_list_has(v, layout);
}

static e3_drv *drv(ukey_card *card)
{
	return (e3_drv *)card->drv_data;
}

static const ukey_layout_ops *lops(const e3_drv *d)
{
	return d->base.layout.ops;
}

static void e3_unbind(ukey_card *card)
{
	e3_drv *d = drv(card);

	if (!d)
		return;
	ukey_layout_free(&d->base.layout);
	/* session keys, profile keys, ICV */
	epass2003_ctx_wipe(&d->c);
	ukey_memzero(d, sizeof(*d));
	free(d);
	card->drv_data = NULL;
}

static ukey_rv e3_bind(ukey_card *card)
{
	const ukey_profile *p = card->profile;
	uint8_t serial[8];
	e3_drv *d;
	ukey_rv rv;

	if (card->drv_data)
		e3_unbind(card);
	d = calloc(1, sizeof(*d));
	if (!d)
		return UKEY_E_NOMEM;
	card->drv_data = d;
	rv = epass2003_ctx_init(&d->c, &card->chan, p);
	if (rv)
		goto fail;
	d->base.fs.ops = &epass2003_cardfs_ops;
	d->base.fs.os = &d->c;
	d->base.pin_ref_user = d->c.user_kid;
	d->base.pin_ref_so = d->c.so_kid;
	d->base.fs.max_read = d->c.max_read;

	ukey_ldrv_card_defaults(card, "Feitian", "ePass2003", "ePass2003");

	/* the SM model first (GET DATA 86, plain), unless the profile
	 * forces one: every later command depends on it */
	rv = epass2003_get_info(&d->c);
	if (rv)
		goto fail;
	rv = ukey_layout_bind(&d->base.layout, &d->base.fs, p);
	if (rv)
		goto fail;
	if (lops(d))
		d->hash_on_card = hash_on_card(p, lops(d)->name);
	ukey_ldrv_card_identity(card, &d->base.layout);
	if (!card->serial[0]) {
		rv = epass2003_serial(&d->c, serial);
		if (rv == UKEY_OK)
			ukey_ldrv_hex(serial, 8, card->serial, sizeof(card->serial));
		else if (ukey_rv_link_error(rv))
			goto fail;
	}
	return UKEY_OK;
fail:
	e3_unbind(card);
	return rv;
}

/* p11/ reset the card itself: the card dropped its SM session, security
 * level and selection; the layout's directory stays. The next command
 * authenticates again and selects by path (no card I/O here). */
static ukey_rv e3_reselect(ukey_card *card)
{
	e3_drv *d = drv(card);

	if (!d)
		return UKEY_E_ARGS;
	epass2003_forget(&d->c);
	return UKEY_OK;
}

/* ------------------------------------------------------------------ PINs */

/* PINs (EXTERNAL AUTHENTICATE with the PIN key, epass2003_pin.c) through
 * the layout's PIN (layout_driver.c); the user PIN's counter is read at
 * bind (the card answers it without a PIN). C_InitPIN on a layout
 * without PIN objects (ESPK) writes the card OS's PIN record. */
static ukey_rv e3_init_user_pin(ukey_card *card, const uint8_t *pin,
				size_t len)
{
	return ukey_ldrv_init_user_pin(card, pin, len, 1);
}

static ukey_rv e3_logout(ukey_card *card)
{
	e3_drv *d = drv(card);

	if (!d)
		return UKEY_E_ARGS;
	/* a new SM session drops the security level (OpenSC's logout); the
	 * selection is kept */
	return epass2003_logout(&d->c);
}

/* ------------------------------------------------------------------ keys */

static int hooked_key_fid(uint16_t fid)
{
	return (fid >> 8) == 0x29;
}

/* The private-key EF (card FID) of a key object, with the DF holding it
 * current. The layout gives a key reference and a path: PKCS#15 (OpenSC's
 * layout) the key file's own path 3F00 5015 29xx with keyReference xx;
 * ESPK the DF 3F00 2003 and the card's key handle. */
static ukey_rv key_of(e3_drv *d, const ukey_object *key, uint16_t *prv)
{
	uint8_t df[UKEY_FS_PATH_MAX];
	size_t df_len = 0;
	unsigned ref = 0;
	uint16_t pub = 0;
	ukey_rv rv;

	if (!key || key->cls != UKEY_OBJ_PRIVKEY || !lops(d) || !lops(d)->key_ref)
		return UKEY_E_ARGS;
	rv = lops(d)->key_ref(&d->base.layout, key, &ref, df, &df_len);
	if (rv)
		return rv;
	if (df_len >= 4 && df_len % 2 == 0 &&
	    hooked_key_fid((uint16_t)(df[df_len - 2] << 8 | df[df_len - 1]))) {
		/* the path names the key file itself: that file, in its DF */
		*prv = epass2003_hook_fid(&d->c, (uint16_t)(df[df_len - 2] << 8 |
							     df[df_len - 1]));
		df_len -= 2;
	} else {
		rv = epass2003_key_fids(ref, prv, &pub);
		if (rv)
			return rv;
	}
	if (!df_len)
		return UKEY_OK;
	return epass2003_cardfs_ops.select_path(&d->c, df, df_len, NULL);
}

static size_t mod_len(const ukey_object *key, size_t fallback)
{
	if (key && key->key_bits)
		return (key->key_bits + 7) / 8;
	if (key && key->modulus_len) {
		size_t n = key->modulus_len;
		const uint8_t *m = key->modulus;

		while (n && m && *m == 0) {
			m++;
			n--;
		}
		return n;
	}
	return fallback;
}

static int may_sign(const ukey_object *key)
{
	return !key->usage ||
	       (key->usage & (UKEY_USAGE_SIGN | UKEY_USAGE_SIGN_RECOVER |
			      UKEY_USAGE_NONREPUDIATION));
}

static ukey_rv rsa_op(ukey_card *card, const ukey_object *key,
		      const uint8_t *in, size_t inlen, uint8_t *out,
		      size_t *outlen)
{
	e3_drv *d = drv(card);
	uint16_t prv = 0;
	size_t cap;
	ukey_rv rv;

	if (!d || !key || !in || !out || !outlen)
		return UKEY_E_ARGS;
	cap = *outlen;
	if (key->key_bits && inlen != (key->key_bits + 7) / 8)
		return UKEY_E_ARGS;
	if (cap < inlen)
		return UKEY_E_BUFFER_TOO_SMALL;
	rv = key_of(d, key, &prv);
	if (rv)
		return rv;
	return epass2003_rsa_raw(&d->c, prv, in, inlen, out, outlen);
}

static ukey_rv e3_sign_raw(ukey_card *card, const ukey_object *key,
			   const uint8_t *in, size_t inlen, uint8_t *out,
			   size_t *outlen)
{
	if (key && !may_sign(key))
		return UKEY_E_SW_COND_NOT_SAT;
	return rsa_op(card, key, in, inlen, out, outlen);
}

static ukey_rv e3_decipher_raw(ukey_card *card, const ukey_object *key,
			       const uint8_t *in, size_t inlen, uint8_t *out,
			       size_t *outlen)
{
	if (key && key->usage &&
	    !(key->usage & (UKEY_USAGE_DECRYPT | UKEY_USAGE_UNWRAP)))
		return UKEY_E_SW_COND_NOT_SAT;
	return rsa_op(card, key, in, inlen, out, outlen);
}

/* CKM_SHA256_RSA_PKCS with the hash finished on the card: MSE SET B6
 * (alg 82), PSO HASH 81 04 blocks || 90 20 state || 80 n tail, PSO CDS
 * (the published ESPK sequence; OpenSC's layout's keys take it too). */
static ukey_rv e3_sign_sha256_state(ukey_card *card, const ukey_object *key,
				    const uint8_t state[32],
				    uint64_t full_blocks, const uint8_t *tail,
				    size_t tail_len, uint8_t *out,
				    size_t *outlen)
{
	e3_drv *d = drv(card);
	uint16_t prv = 0;
	size_t siglen;
	ukey_rv rv;

	if (!d || !key || !state || (!tail && tail_len) || !out || !outlen)
		return UKEY_E_ARGS;
	/* a layout signed raw (profile: hash_on_card), or what the card's
	 * counter and TLV cannot carry: the host hashes and pads */
	if (!d->hash_on_card || full_blocks > 0xFFFFFFFFu || tail_len >= 64)
		return UKEY_E_SW_FUNC_NOT_SUPPORTED;
	if (!may_sign(key))
		return UKEY_E_SW_COND_NOT_SAT;
	siglen = mod_len(key, *outlen);
	if (siglen < 64 || siglen > 256 || siglen % 4)
		return UKEY_E_SW_FUNC_NOT_SUPPORTED;
	if (*outlen < siglen)
		return UKEY_E_BUFFER_TOO_SMALL;
	rv = key_of(d, key, &prv);
	if (rv)
		return rv;
	rv = epass2003_sign_sha256_state(&d->c, prv, state, full_blocks, tail,
					 tail_len, out, siglen);
	/* a card (or key) without the on-card hash: p11/ pads and signs raw */
	if (rv == UKEY_E_SW_FUNC_NOT_SUPPORTED || rv == UKEY_E_SW_INS_NOT_SUPPORTED ||
	    rv == UKEY_E_SW_WRONG_DATA)
		return UKEY_E_SW_FUNC_NOT_SUPPORTED;
	if (!rv)
		*outlen = siglen;
	return rv;
}

/* --------------------------------------------------------------- objects */

/* C_InitToken: erase, then the PKCS#15 application of OpenSC's epass2003
 * profile (epass2003_p15init.c), SO PIN = PUK; then bind what we wrote. */
static ukey_rv e3_init_token(ukey_card *card, const uint8_t *so_pin,
			     size_t so_len, const char *label)
{
	e3_drv *d = drv(card);
	uint8_t serial[8];
	ukey_rv rv;

	if (!d || !so_pin || !so_len || so_len > EPASS2003_PIN_MAX)
		return UKEY_E_ARGS;
	rv = epass2003_serial(&d->c, serial);
	if (rv)
		return rv;
	ukey_layout_free(&d->base.layout);
	rv = epass2003_p15_init_token(&d->c, so_pin, so_len, label, serial,
				      sizeof(serial));
	if (rv)
		return rv;
	return e3_bind(card);
}

static ukey_rv e3_get_random(ukey_card *card, uint8_t *buf, size_t len)
{
	e3_drv *d = drv(card);

	if (!d || (!buf && len))
		return UKEY_E_ARGS;
	while (len) {
		size_t n = len > 32 ? 32 : len;
		ukey_rv rv = epass2003_get_challenge(&d->c, buf, n);

		if (rv)
			return rv;
		buf += n;
		len -= n;
	}
	return UKEY_OK;
}

const ukey_driver ukey_epass2003_driver = {
	.name = "epass2003",
	.bind = e3_bind,
	.unbind = e3_unbind,
	.list_objects = ukey_ldrv_list_objects,
	.read_value = ukey_ldrv_read_value,
	.pin_info = ukey_ldrv_pin_info,
	.verify_pin = ukey_ldrv_verify_pin,
	.change_pin = ukey_ldrv_change_pin,
	.init_user_pin = e3_init_user_pin,
	.logout = e3_logout,
	.sign_raw = e3_sign_raw,
	.decipher_raw = e3_decipher_raw,
	.generate_rsa = ukey_ldrv_generate_rsa,
	.import_rsa = ukey_ldrv_import_rsa,
	.write_object = ukey_ldrv_write_object,
	.update_object = ukey_ldrv_update_object,
	.delete_object = ukey_ldrv_delete_object,
	.init_token = e3_init_token,
	.get_random = e3_get_random,
	.list_class = ukey_ldrv_list_class,
	.reselect = e3_reselect,
	.sign_sha256_state = e3_sign_sha256_state,
};
