/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/ftcos/ftcos_driver.c — the "ftcos" operations table: binds the
 * card (layout detection in the profile's order, token info, PIN info) and
 * delegates objects to the layout (PKCS#15 or ENTERSAFE-ESPK).
 */
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "espk.h"
#include "ftcos.h"
#include "pkcs15.h"

enum { LAYOUT_NONE, LAYOUT_P15, LAYOUT_ESPK };

typedef struct {
	ftcos_ctx c;
	int layout;
	p15_token p15;
	espk_token espk;
	uint8_t serial[8];
	int have_serial;
} ftcos_drv;

static ftcos_drv *drv(ukey_card *card)
{
	return (ftcos_drv *)card->drv_data;
}

static void copy_str(char *dst, size_t dstsz, const char *src)
{
	size_t n = strlen(src);

	if (n >= dstsz)
		n = dstsz - 1;
	memcpy(dst, src, n);
	dst[n] = 0;
}

static void hex(const uint8_t *s, size_t n, char *out, size_t outsz)
{
	static const char hx[] = "0123456789ABCDEF";
	size_t j = 0;

	for (size_t i = 0; i < n && j + 2 < outsz; i++) {
		out[j++] = hx[s[i] >> 4];
		out[j++] = hx[s[i] & 15];
	}
	out[j] = 0;
}

/* Is `name` in the profile's layout list (or is there no list)? */
static int layout_wanted(const ukey_profile *p, const char *name)
{
	return !p || !p->layouts[0] || ukey_profile_list_has(p->layouts, name);
}

static void ftcos_unbind(ukey_card *card)
{
	ftcos_drv *d = drv(card);

	if (!d)
		return;
	p15_free(&d->p15);
	espk_free(&d->espk);
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

	card->token_initialized = 0;
	card->has_rng = 1;
	card->write_protected = 0;
	copy_str(card->manufacturer, sizeof(card->manufacturer),
		 p && p->manufacturer[0] ? p->manufacturer : "Feitian");
	copy_str(card->model, sizeof(card->model),
		 p && p->model[0] ? p->model : "FTCOS");
	copy_str(card->label, sizeof(card->label), p && p->name[0] ? p->name : "FTCOS token");

	/* Layouts in the profile's order of preference. */
	if (layout_wanted(p, "pkcs15")) {
		rv = p15_bind(&d->p15, &d->c, p);
		if (rv == UKEY_OK) {
			d->layout = LAYOUT_P15;
		} else if (rv != UKEY_E_SW_FILE_NOT_FOUND) {
			goto fail;
		}
	}
	if (d->layout == LAYOUT_NONE && layout_wanted(p, "entersafe-espk")) {
		rv = espk_bind(&d->espk, &d->c);
		if (rv == UKEY_OK)
			d->layout = LAYOUT_ESPK;
		else if (rv != UKEY_E_SW_FILE_NOT_FOUND)
			goto fail;
	}

	if (d->layout == LAYOUT_P15) {
		card->token_initialized = 1;
		if (d->p15.label[0])
			copy_str(card->label, sizeof(card->label), d->p15.label);
		if (d->p15.serial_len)
			hex(d->p15.serial, d->p15.serial_len > 8 ? 8 : d->p15.serial_len,
			    card->serial, sizeof(card->serial));
	} else if (d->layout == LAYOUT_ESPK) {
		card->token_initialized = 1;
		if (d->espk.label[0])
			copy_str(card->label, sizeof(card->label), d->espk.label);
		if (d->espk.serial[0])
			copy_str(card->serial, sizeof(card->serial), d->espk.serial);
	}
	if (!card->serial[0]) {
		rv = ftcos_serial(&d->c, d->serial);
		if (rv == UKEY_OK) {
			d->have_serial = 1;
			hex(d->serial, 8, card->serial, sizeof(card->serial));
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
 * SM session outlives a command on FTCOS). The PKCS#15 application is
 * re-selected by AID in the first select that needs it. */
static ukey_rv ftcos_reselect(ukey_card *card)
{
	ftcos_drv *d = drv(card);

	if (!d)
		return UKEY_E_ARGS;
	if (d->layout == LAYOUT_P15)
		return ftcos_after_reset(&d->c, p15_aid, sizeof(p15_aid),
					 d->p15.app_path, sizeof(d->p15.app_path));
	return ftcos_after_reset(&d->c, NULL, 0, NULL, 0);
}

static ukey_rv ftcos_list_objects(ukey_card *card, ukey_objlist *out)
{
	ftcos_drv *d = drv(card);

	if (!d || !out)
		return UKEY_E_ARGS;
	switch (d->layout) {
	case LAYOUT_P15:
		return p15_list(&d->p15, out);
	case LAYOUT_ESPK:
		return espk_list(&d->espk, out);
	default:
		return UKEY_OK;
	}
}

static ukey_rv ftcos_list_class(ukey_card *card, ukey_obj_class cls,
				ukey_objlist *out)
{
	ftcos_drv *d = drv(card);
	ukey_objlist all = { 0 };
	ukey_rv rv;

	if (!d || !out || cls < UKEY_OBJ_CERT || cls > UKEY_OBJ_DATA)
		return UKEY_E_ARGS;
	if (d->layout == LAYOUT_P15)
		return p15_list_class(&d->p15, (int)cls, out);
	if (d->layout != LAYOUT_ESPK)
		return UKEY_OK;
	rv = espk_list(&d->espk, &all);
	for (size_t i = 0; !rv && i < all.n; i++) {
		ukey_object *o;

		if (all.v[i].cls != cls)
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

static ukey_rv ftcos_read_value(ukey_card *card, ukey_object *obj)
{
	ftcos_drv *d = drv(card);

	if (!d || !obj)
		return UKEY_E_ARGS;
	if (d->layout == LAYOUT_P15)
		return p15_read_value(&d->p15, obj);
	if (d->layout == LAYOUT_ESPK)
		return espk_read_value(&d->espk, obj);
	return UKEY_E_ARGS;
}

/* The PIN record for a role: PKCS#15 tells, else the FTCOS defaults. */
static ukey_rv pin_for(ftcos_drv *d, ukey_pin_role role, p15_pin **pin,
		       uint8_t *ref)
{
	*pin = NULL;
	*ref = role == UKEY_PIN_SO ? FTCOS_PIN_SO : FTCOS_PIN_USER;
	if (role != UKEY_PIN_USER && role != UKEY_PIN_SO)
		return UKEY_E_ARGS;
	if (d->layout == LAYOUT_P15) {
		p15_pins_quick(&d->p15);
		*pin = &d->p15.pin[role == UKEY_PIN_SO ? 1 : 0];
		if ((*pin)->present)
			*ref = (*pin)->ref;
	}
	return UKEY_OK;
}

static ukey_rv ftcos_pin_info(ukey_card *card, ukey_pin_role role,
			      ukey_pin_info *info)
{
	ftcos_drv *d = drv(card);
	const ukey_profile *p = card->profile;
	p15_pin *pin;
	uint8_t ref;
	ukey_rv rv;

	if (!d || !info)
		return UKEY_E_ARGS;
	memset(info, 0, sizeof(*info));
	rv = pin_for(d, role, &pin, &ref);
	if (rv)
		return rv;
	info->tries_left = -1;
	info->max_tries = -1;
	info->min_len = p ? p->pin_min : 4;
	info->max_len = p ? p->pin_max : FTCOS_PIN_STORED;
	if (pin) {
		info->present = pin->present;
		info->initialized = pin->initialized;
		info->tries_left = pin->tries_left;
		info->blocked = pin->tries_left == 0;
		if (pin->present) {
			info->min_len = pin->min_len;
			info->max_len = pin->max_len;
		}
	} else {
		/* ESPK or no layout: the FTCOS PIN records are there */
		info->present = d->layout != LAYOUT_NONE;
		info->initialized = info->present;
	}
	if (info->max_len > FTCOS_PIN_STORED)
		info->max_len = FTCOS_PIN_STORED;
	/* a profile may ask for more than the card stores: keep min <= max */
	if (info->min_len > info->max_len)
		info->min_len = info->max_len;
	return UKEY_OK;
}

/* PIN commands work on the key file of the application DF. */
static ukey_rv select_app(ftcos_drv *d)
{
	if (d->layout == LAYOUT_P15)
		return ftcos_select_df(&d->c, d->p15.app_path,
				       sizeof(d->p15.app_path));
	if (d->layout == LAYOUT_ESPK) {
		static const uint8_t espk_df[4] = { 0x3F, 0x00, 0x20, 0x03 };

		return ftcos_select_df(&d->c, espk_df, sizeof(espk_df));
	}
	return UKEY_OK;
}

static ukey_rv ftcos_verify_pin(ukey_card *card, ukey_pin_role role,
				const uint8_t *pin, size_t len, int *tries_left)
{
	ftcos_drv *d = drv(card);
	p15_pin *pi;
	uint8_t ref;
	int tries = -1;
	ukey_rv rv;

	if (tries_left)
		*tries_left = -1;
	if (!d || !pin || len == 0 || len > FTCOS_PIN_STORED)
		return UKEY_E_ARGS;
	rv = pin_for(d, role, &pi, &ref);
	if (!rv)
		rv = select_app(d);
	if (rv)
		return rv;
	rv = ftcos_verify(&d->c, ref, pin, len, &tries);
	if (tries_left)
		*tries_left = tries;
	if (pi) {
		if (rv == UKEY_OK)
			pi->tries_left = -1;
		else if (rv == UKEY_E_SW_WRONG_PIN)
			pi->tries_left = tries;
		else if (rv == UKEY_E_SW_PIN_BLOCKED)
			pi->tries_left = 0;
	}
	return rv;
}

static ukey_rv ftcos_change_pin_op(ukey_card *card, ukey_pin_role role,
				   const uint8_t *oldpin, size_t oldlen,
				   const uint8_t *newpin, size_t newlen)
{
	ftcos_drv *d = drv(card);
	p15_pin *pi;
	uint8_t ref;
	ukey_rv rv;

	if (!d || !oldpin || !newpin || !oldlen || !newlen ||
	    oldlen > FTCOS_PIN_STORED || newlen > FTCOS_PIN_STORED)
		return UKEY_E_ARGS;
	rv = pin_for(d, role, &pi, &ref);
	if (!rv)
		rv = select_app(d);
	if (!rv)
		rv = ftcos_change_pin(&d->c, ref, oldpin, oldlen, newpin, newlen);
	if (pi && rv == UKEY_E_SW_PIN_BLOCKED)
		pi->tries_left = 0;
	return rv;
}

static ukey_rv ftcos_init_user_pin(ukey_card *card, const uint8_t *pin,
				   size_t len)
{
	ftcos_drv *d = drv(card);
	ukey_rv rv;

	if (!d || !pin || !len || len > FTCOS_PIN_STORED)
		return UKEY_E_ARGS;
	if (d->layout != LAYOUT_P15)
		return UKEY_E_SW_FUNC_NOT_SUPPORTED;
	rv = select_app(d);
	if (rv)
		return rv;
	rv = p15_init_user_pin(&d->p15, pin, len);
	if (rv)
		return rv;
	d->p15.pin[0].tries_left = -1;
	return UKEY_OK;
}

/* Key record and DF of a private key object. */
static ukey_rv key_of(ftcos_drv *d, const ukey_object *key, uint8_t *kid)
{
	if (!key || key->cls != UKEY_OBJ_PRIVKEY)
		return UKEY_E_ARGS;
	if (d->layout == LAYOUT_P15) {
		size_t plen;

		if (key->drv_ref_len < 6 || key->drv_ref[0] != P15_REF_TAG)
			return UKEY_E_ARGS;
		*kid = key->drv_ref[2];
		plen = key->drv_ref[3];
		if (*kid < 1 || *kid > 9 || plen + 4 != key->drv_ref_len)
			return UKEY_E_ARGS;
		/* the key record lives in the key file of that DF */
		return ftcos_select_df(&d->c, key->drv_ref + 4, plen);
	}
	if (d->layout == LAYOUT_ESPK) {
		ukey_rv rv = espk_key_ref(key, kid);

		return rv ? rv : select_app(d);
	}
	return UKEY_E_ARGS;
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

/* Before a new key pair is written: fresh directories, a free key ID
 * (*kid), the application selected. */
static ukey_rv new_key_slot(ftcos_drv *d, uint8_t *kid)
{
	ukey_rv rv = p15_refresh(&d->p15);

	if (!rv)
		rv = p15_load_df(&d->p15, P15_DF_PRKDF);
	if (rv)
		return rv;
	*kid = p15_free_kid(&d->p15);
	if (!*kid)
		return UKEY_E_SW_NOT_ENOUGH_SPACE;
	return select_app(d);
}

static ukey_rv ftcos_generate(ukey_card *card, const ukey_keygen_params *p,
			      ukey_object *pub, ukey_object *priv)
{
	ftcos_drv *d = drv(card);
	uint8_t kid, *n = NULL, *e = NULL;
	size_t nlen = 0, elen = 0;
	ukey_rv rv;

	if (!d || !p || !pub || !priv)
		return UKEY_E_ARGS;
	if (d->layout != LAYOUT_P15)
		return UKEY_E_SW_FUNC_NOT_SUPPORTED;
	if (p->bits != 1024 && p->bits != 2048)
		return UKEY_E_ARGS;
	rv = new_key_slot(d, &kid);
	if (!rv)
		rv = ftcos_generate_rsa(&d->c, kid, p->bits);
	if (!rv)
		rv = ftcos_read_pubkey(&d->c, kid, &n, &nlen, &e, &elen);
	if (!rv)
		rv = p15_add_keypair(&d->p15, kid, p, n, nlen, e, elen, 1, pub, priv);
	free(n);
	free(e);
	return rv;
}

static ukey_rv ftcos_import(ukey_card *card, const ukey_keygen_params *p,
			    const ukey_rsa_material *m, ukey_object *priv)
{
	ftcos_drv *d = drv(card);
	ukey_object pub;
	uint8_t kid;
	ukey_rv rv;

	if (!d || !p || !m || !priv || !m->n || !m->e)
		return UKEY_E_ARGS;
	if (d->layout != LAYOUT_P15)
		return UKEY_E_SW_FUNC_NOT_SUPPORTED;
	rv = new_key_slot(d, &kid);
	if (!rv)
		rv = ftcos_import_rsa(&d->c, kid, p->bits, m);
	if (rv)
		return rv;
	memset(&pub, 0, sizeof(pub));
	rv = p15_add_keypair(&d->p15, kid, p, m->n, m->n_len, m->e, m->e_len, 0,
			     &pub, priv);
	ukey_object_clear(&pub);
	return rv;
}

/* The object calls edit the PKCS#15 directories: the PKCS#15 layout of a
 * bound card or NULL with *rv set (arguments, or no such layout). */
static p15_token *p15_for_object(ukey_card *card, const ukey_object *obj,
				 ukey_rv *rv)
{
	ftcos_drv *d = drv(card);

	if (!d || !obj) {
		*rv = UKEY_E_ARGS;
		return NULL;
	}
	if (d->layout != LAYOUT_P15) {
		*rv = UKEY_E_SW_FUNC_NOT_SUPPORTED;
		return NULL;
	}
	return &d->p15;
}

static ukey_rv ftcos_write_object(ukey_card *card, ukey_object *obj)
{
	ukey_rv rv;
	p15_token *t = p15_for_object(card, obj, &rv);

	return t ? p15_write_object(t, obj) : rv;
}

static ukey_rv ftcos_update_object(ukey_card *card, const ukey_object *obj)
{
	ukey_rv rv;
	p15_token *t = p15_for_object(card, obj, &rv);

	return t ? p15_update_object(t, obj) : rv;
}

static ukey_rv ftcos_delete_object(ukey_card *card, const ukey_object *obj)
{
	ukey_rv rv;
	p15_token *t = p15_for_object(card, obj, &rv);

	return t ? p15_delete_object(t, obj) : rv;
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
	p15_free(&d->p15);
	espk_free(&d->espk);
	d->layout = LAYOUT_NONE;
	rv = p15_init_token(&d->p15, &d->c, so_pin, so_len, label, serial,
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
	.list_objects = ftcos_list_objects,
	.read_value = ftcos_read_value,
	.pin_info = ftcos_pin_info,
	.verify_pin = ftcos_verify_pin,
	.change_pin = ftcos_change_pin_op,
	.init_user_pin = ftcos_init_user_pin,
	.logout = NULL, /* FTCOS has no command that drops a verified PIN */
	.sign_raw = ftcos_sign_raw,
	.decipher_raw = ftcos_decipher_raw,
	.generate_rsa = ftcos_generate,
	.import_rsa = ftcos_import,
	.write_object = ftcos_write_object,
	.update_object = ftcos_update_object,
	.delete_object = ftcos_delete_object,
	.init_token = ftcos_init_token,
	.get_random = ftcos_get_random,
	.list_class = ftcos_list_class,
	.reselect = ftcos_reselect,
};
