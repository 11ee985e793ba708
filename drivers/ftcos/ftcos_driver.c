/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/ftcos/ftcos_driver.c — the "ftcos" operations table: binds the
 * card (the layout the profile's list finds first, token info, PIN info)
 * and delegates objects to that layout through the layout table
 * (layout.h), which reaches the card through FTCOS's card file system
 * (ftcos_cardfs.c). The commands that are not file-system business stay
 * here: VERIFY / CHANGE PIN, MSE + PSO, serial number, GET CHALLENGE.
 */
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "ftcos.h"
#include "layout_driver.h"

typedef struct {
	ukey_layout_drv base; /* first: the shared layout ops (layout_driver.h) */
	ftcos_ctx c;
	uint8_t serial[8];
	int have_serial;
} ftcos_drv;

static ftcos_drv *drv(ukey_card *card)
{
	return (ftcos_drv *)card->drv_data;
}

/* The bound layout's table, NULL when the card has none. */
static const ukey_layout_ops *lops(const ftcos_drv *d)
{
	return d->base.layout.ops;
}

static void ftcos_unbind(ukey_card *card)
{
	ftcos_drv *d = drv(card);

	if (!d)
		return;
	ukey_layout_free(&d->base.layout);
	ftcos_ctx_wipe(&d->c);
	free(d);
	card->drv_data = NULL;
}

static ukey_rv ftcos_bind(ukey_card *card)
{
	ftcos_drv *d;
	const ukey_profile *p = card->profile;
	ukey_rv rv = UKEY_OK;

	if (card->drv_data)
		ftcos_unbind(card);
	d = calloc(1, sizeof(*d));
	if (!d)
		return UKEY_E_NOMEM;
	card->drv_data = d;
	rv = ftcos_ctx_init(&d->c, &card->chan, p);
	if (rv)
		goto fail;
	ftcos_cardfs(&d->c, &d->base.fs);

	ukey_ldrv_card_defaults(card, "Feitian", "FTCOS", "FTCOS token");

	/* The first layout of the profile's list that is on the card. */
	rv = ukey_layout_bind(&d->base.layout, &d->base.fs, p);
	if (rv)
		goto fail;
	ukey_ldrv_card_identity(card, &d->base.layout);
	if (!card->serial[0]) {
		rv = ftcos_serial(&d->c, d->serial);
		if (rv == UKEY_OK) {
			d->have_serial = 1;
			ukey_ldrv_hex(d->serial, 8, card->serial, sizeof(card->serial));
		} else if (rv < UKEY_E_SW_WRONG_PIN) {
			goto fail; /* transport trouble; a refused command is fine */
		}
	}
	return UKEY_OK;
fail:
	ftcos_unbind(card);
	return rv;
}

/* p11/ reset the card itself (FTCOS cannot drop a verified PIN otherwise):
 * nobody changed the token, so the layout's cached directory, token info
 * and PIN records stay; only what the card forgot goes (the selection; no
 * SM session outlives a command on FTCOS). An application the layout
 * names (PKCS#15) is re-selected by AID in the first select that needs it. */
static ukey_rv ftcos_reselect(ukey_card *card)
{
	ftcos_drv *d = drv(card);
	const uint8_t *aid = NULL, *path = NULL;
	size_t aid_len = 0, path_len = 0;

	if (!d)
		return UKEY_E_ARGS;
	if (lops(d) && lops(d)->app)
		lops(d)->app(&d->base.layout, &aid, &aid_len, &path, &path_len);
	if (!aid || !aid_len)
		return ftcos_after_reset(&d->c, NULL, 0, NULL, 0);
	return ftcos_after_reset(&d->c, aid, aid_len, path, path_len);
}

/* PINs: VERIFY and CHANGE through the layout's PIN (layout_driver.c);
 * C_InitPIN only where the layout writes a PIN object (PKCS#15): an ESPK
 * token's PINs are the vendor's to set. */
static ukey_rv ftcos_init_user_pin(ukey_card *card, const uint8_t *pin,
				   size_t len)
{
	return ukey_ldrv_init_user_pin(card, pin, len, 0);
}

/* Key record of a private key object, with the DF holding it selected. */
static ukey_rv key_of(ftcos_drv *d, const ukey_object *key, uint8_t *kid)
{
	uint8_t df[UKEY_FS_PATH_MAX];
	size_t df_len = 0;
	unsigned ref = 0;
	ukey_rv rv;

	if (!key || key->cls != UKEY_OBJ_PRIVKEY || !lops(d) || !lops(d)->key_ref)
		return UKEY_E_ARGS;
	rv = lops(d)->key_ref(&d->base.layout, key, &ref, df, &df_len);
	if (rv)
		return rv;
	if (ref > 0xFF)
		return UKEY_E_ARGS;
	*kid = (uint8_t)ref;
	/* the key record lives in the key file of that DF */
	return ftcos_select_df(&d->c, df, df_len);
}

static ukey_rv rsa_op(ukey_card *card, const ukey_object *key,
		      const uint8_t *in, size_t inlen, uint8_t *out,
		      size_t *outlen)
{
	ftcos_drv *d = drv(card);
	uint8_t kid = 0;
	ukey_rv rv;

	if (!d || !in || !out || !outlen)
		return UKEY_E_ARGS;
	if (key->key_bits && inlen != (key->key_bits + 7) / 8)
		return UKEY_E_ARGS;
	rv = key_of(d, key, &kid);
	if (rv)
		return rv;
	return ftcos_rsa_raw(&d->c, kid, in, inlen, out, outlen);
}

static ukey_rv ftcos_sign_raw(ukey_card *card, const ukey_object *key,
			      const uint8_t *in, size_t inlen, uint8_t *out,
			      size_t *outlen)
{
	if (key && key->usage &&
	    !(key->usage & (UKEY_USAGE_SIGN | UKEY_USAGE_SIGN_RECOVER |
			    UKEY_USAGE_NONREPUDIATION)))
		return UKEY_E_SW_COND_NOT_SAT;
	return rsa_op(card, key, in, inlen, out, outlen);
}

static ukey_rv ftcos_decipher_raw(ukey_card *card, const ukey_object *key,
				  const uint8_t *in, size_t inlen, uint8_t *out,
				  size_t *outlen)
{
	if (key && key->usage &&
	    !(key->usage & (UKEY_USAGE_DECRYPT | UKEY_USAGE_UNWRAP)))
		return UKEY_E_SW_COND_NOT_SAT;
	return rsa_op(card, key, in, inlen, out, outlen);
}

static ukey_rv ftcos_init_token(ukey_card *card, const uint8_t *so_pin,
				size_t so_len, const char *label)
{
	ftcos_drv *d = drv(card);
	uint8_t serial[8];
	ukey_rv rv;

	if (!d || !so_pin || !so_len || so_len > FTCOS_PIN_STORED)
		return UKEY_E_ARGS;
	rv = ftcos_serial(&d->c, serial);
	if (rv)
		return rv;
	/* FTCOS's default layout is PKCS#15: its personalisation is FTCOS
	 * business (ftcos_p15init.c) */
	ukey_layout_free(&d->base.layout);
	rv = ftcos_p15_init_token(&d->c, so_pin, so_len, label, serial,
				  sizeof(serial));
	if (rv)
		return rv;
	/* re-read what we wrote, as a fresh bind would */
	return ftcos_bind(card);
}

static ukey_rv ftcos_get_random(ukey_card *card, uint8_t *buf, size_t len)
{
	ftcos_drv *d = drv(card);

	if (!d || (!buf && len))
		return UKEY_E_ARGS;
	return ftcos_get_challenge(&d->c, buf, len);
}

const ukey_driver ukey_ftcos_driver = {
	.name = "ftcos",
	.bind = ftcos_bind,
	.unbind = ftcos_unbind,
	.list_objects = ukey_ldrv_list_objects,
	.read_value = ukey_ldrv_read_value,
	.pin_info = ukey_ldrv_pin_info,
	.verify_pin = ukey_ldrv_verify_pin,
	.change_pin = ukey_ldrv_change_pin,
	.init_user_pin = ftcos_init_user_pin,
	.logout = NULL, /* FTCOS has no command that drops a verified PIN */
	.sign_raw = ftcos_sign_raw,
	.decipher_raw = ftcos_decipher_raw,
	.generate_rsa = ukey_ldrv_generate_rsa,
	.import_rsa = ukey_ldrv_import_rsa,
	.write_object = ukey_ldrv_write_object,
	.update_object = ukey_ldrv_update_object,
	.delete_object = ukey_ldrv_delete_object,
	.init_token = ftcos_init_token,
	.get_random = ftcos_get_random,
	.list_class = ukey_ldrv_list_class,
	.reselect = ftcos_reselect,
};
