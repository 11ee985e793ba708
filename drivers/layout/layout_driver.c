/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* drivers/layout/layout_driver.c — see layout_driver.h. */
#include <string.h>

#include "layout_driver.h"

static ukey_layout_drv *ldrv(ukey_card *card)
{
	return card ? (ukey_layout_drv *)card->drv_data : NULL;
}

/* The bound layout's table, or NULL with *rv set. */
static const ukey_layout_ops *bound(ukey_card *card, const void *arg,
				    ukey_rv *rv)
{
	ukey_layout_drv *d = ldrv(card);

	if (!d || !arg) {
		*rv = UKEY_E_ARGS;
		return NULL;
	}
	if (!d->layout.ops) {
		*rv = UKEY_E_SW_FUNC_NOT_SUPPORTED;
		return NULL;
	}
	return d->layout.ops;
}

ukey_rv ukey_ldrv_list_objects(ukey_card *card, ukey_objlist *out)
{
	return ukey_ldrv_list_class(card, 0, out);
}

ukey_rv ukey_ldrv_list_class(ukey_card *card, ukey_obj_class cls,
			     ukey_objlist *out)
{
	ukey_layout_drv *d = ldrv(card);

	if (!d || !out || (cls && (cls < UKEY_OBJ_CERT || cls > UKEY_OBJ_DATA)))
		return UKEY_E_ARGS;
	return d->layout.ops ? d->layout.ops->list(&d->layout, (int)cls, out)
			     : UKEY_OK; /* a blank card lists nothing */
}

ukey_rv ukey_ldrv_read_value(ukey_card *card, ukey_object *obj)
{
	ukey_rv rv;
	const ukey_layout_ops *o = bound(card, obj, &rv);

	if (!o)
		return rv == UKEY_E_SW_FUNC_NOT_SUPPORTED ? UKEY_E_ARGS : rv;
	return o->read_value(&ldrv(card)->layout, obj);
}

ukey_rv ukey_ldrv_generate_rsa(ukey_card *card, const ukey_keygen_params *p,
			       ukey_object *pub, ukey_object *priv)
{
	ukey_rv rv;
	const ukey_layout_ops *o = bound(card, p, &rv);

	if (o && (!pub || !priv))
		return UKEY_E_ARGS;
	if (o && !o->generate_rsa)
		return UKEY_E_SW_FUNC_NOT_SUPPORTED;
	if (o && p->bits != 1024 && p->bits != 2048)
		return UKEY_E_ARGS;
	return o ? o->generate_rsa(&ldrv(card)->layout, p, pub, priv) : rv;
}

ukey_rv ukey_ldrv_import_rsa(ukey_card *card, const ukey_keygen_params *p,
			     const ukey_rsa_material *m, ukey_object *priv)
{
	ukey_rv rv;
	const ukey_layout_ops *o = bound(card, p, &rv);

	if (o && (!m || !priv || !m->n || !m->e))
		return UKEY_E_ARGS;
	if (o && !o->import_rsa)
		return UKEY_E_SW_FUNC_NOT_SUPPORTED;
	return o ? o->import_rsa(&ldrv(card)->layout, p, m, priv) : rv;
}

ukey_rv ukey_ldrv_write_object(ukey_card *card, ukey_object *obj)
{
	ukey_rv rv;
	const ukey_layout_ops *o = bound(card, obj, &rv);

	if (o && !o->write_object)
		return UKEY_E_SW_FUNC_NOT_SUPPORTED;
	return o ? o->write_object(&ldrv(card)->layout, obj) : rv;
}

ukey_rv ukey_ldrv_update_object(ukey_card *card, const ukey_object *obj)
{
	ukey_rv rv;
	const ukey_layout_ops *o = bound(card, obj, &rv);

	if (o && !o->update_object)
		return UKEY_E_SW_FUNC_NOT_SUPPORTED;
	return o ? o->update_object(&ldrv(card)->layout, obj) : rv;
}

ukey_rv ukey_ldrv_delete_object(ukey_card *card, const ukey_object *obj)
{
	ukey_rv rv;
	const ukey_layout_ops *o = bound(card, obj, &rv);

	if (o && !o->delete_object)
		return UKEY_E_SW_FUNC_NOT_SUPPORTED;
	return o ? o->delete_object(&ldrv(card)->layout, obj) : rv;
}

void ukey_ldrv_copy_str(char *dst, size_t dstsz, const char *src)
{
	size_t n = strlen(src);

	if (!dstsz)
		return;
	if (n >= dstsz)
		n = dstsz - 1;
	memcpy(dst, src, n);
	dst[n] = 0;
}

void ukey_ldrv_hex(const uint8_t *s, size_t n, char *out, size_t outsz)
{
	static const char hx[] = "0123456789ABCDEF";
	size_t j = 0;

	if (!outsz)
		return;
	for (size_t i = 0; i < n && j + 2 < outsz; i++) {
		out[j++] = hx[s[i] >> 4];
		out[j++] = hx[s[i] & 15];
	}
	out[j] = 0;
}

void ukey_ldrv_card_defaults(ukey_card *card, const char *manufacturer,
			     const char *model, const char *label)
{
	const ukey_profile *p = card->profile;

	card->token_initialized = 0;
	card->has_rng = 1;
	card->write_protected = 0;
	ukey_ldrv_copy_str(card->manufacturer, sizeof(card->manufacturer),
			   p && p->manufacturer[0] ? p->manufacturer : manufacturer);
	ukey_ldrv_copy_str(card->model, sizeof(card->model),
			   p && p->model[0] ? p->model : model);
	ukey_ldrv_copy_str(card->label, sizeof(card->label),
			   p && p->name[0] ? p->name : label);
}

void ukey_ldrv_card_identity(ukey_card *card, const ukey_layout *l)
{
	if (!l->ops)
		return;
	card->token_initialized = 1;
	if (l->label[0])
		ukey_ldrv_copy_str(card->label, sizeof(card->label), l->label);
	if (l->serial[0])
		ukey_ldrv_copy_str(card->serial, sizeof(card->serial), l->serial);
}

/* The PIN of a role: the layout's (*known = 1), else the card OS's default
 * reference (a blank card). */
static ukey_rv pin_for(ukey_layout_drv *d, ukey_pin_role role,
		       ukey_layout_pin *pin, int *known)
{
	unsigned def = role == UKEY_PIN_SO ? d->pin_ref_so : d->pin_ref_user;

	memset(pin, 0, sizeof(*pin));
	*known = 0;
	pin->tries_left = -1;
	if (role != UKEY_PIN_USER && role != UKEY_PIN_SO)
		return UKEY_E_ARGS;
	if (!def && d->fs.ops)
		def = role == UKEY_PIN_SO ? d->fs.ops->pin_ref_so
					  : d->fs.ops->pin_ref_user;
	pin->ref = def;
	if (d->layout.ops && d->layout.ops->pin) {
		ukey_rv rv = d->layout.ops->pin(&d->layout, role, pin);

		if (rv)
			return rv;
		*known = 1;
	}
	return UKEY_OK;
}

/* What a PIN command answered: the layout's counter; the counter read at
 * bind is stale from now on. */
static void pin_seen(ukey_layout_drv *d, ukey_pin_role role, ukey_rv rv,
		     int tries)
{
	if (role == UKEY_PIN_USER)
		d->user_tries_valid = 0;
	if (d->layout.ops && d->layout.ops->pin_seen)
		d->layout.ops->pin_seen(&d->layout, role, rv, tries);
}

/* PIN commands work on the PIN of the PIN's DF (its key file). */
static ukey_rv select_pin_df(ukey_layout_drv *d, const ukey_layout_pin *pin)
{
	if (!pin->df_len)
		return UKEY_OK;
	return d->fs.ops->select_path(d->fs.os, pin->df, pin->df_len, NULL);
}

/* A PIN of len bytes as the card stores it: no card I/O otherwise. */
static int pin_len_ok(const ukey_layout_drv *d, size_t len)
{
	return len > 0 && len <= d->fs.ops->pin_stored_len;
}

/* The PIN of a role for a command: d bound to a card file system. */
static ukey_rv pin_cmd_start(ukey_card *card, ukey_pin_role role,
			     ukey_layout_drv **out, ukey_layout_pin *pin)
{
	ukey_layout_drv *d = ldrv(card);
	int known;
	ukey_rv rv;

	if (!d || !d->fs.ops)
		return UKEY_E_ARGS;
	rv = pin_for(d, role, pin, &known);
	if (!rv)
		rv = select_pin_df(d, pin);
	*out = d;
	return rv;
}

static void fill_info(const ukey_profile *p, const ukey_layout_pin *pin,
		      int known, unsigned stored_max, ukey_pin_info *info)
{
	memset(info, 0, sizeof(*info));
	info->tries_left = -1;
	info->max_tries = -1;
	info->min_len = p ? p->pin_min : 4;
	info->max_len = p ? p->pin_max : stored_max;
	if (known) {
		info->present = pin->present;
		info->initialized = pin->initialized;
		info->tries_left = pin->tries_left;
		info->blocked = pin->tries_left == 0;
		if (pin->present) {
			info->min_len = pin->min_len;
			info->max_len = pin->max_len;
		}
	}
	/* no layout (a blank card): no PIN; a profile or layout may ask for
	 * more than the card stores: cut, and keep min <= max */
	if (info->max_len > stored_max || info->max_len == 0)
		info->max_len = stored_max;
	if (info->min_len > info->max_len)
		info->min_len = info->max_len;
}

/* The user PIN's counter from the card, once per bind, when the card OS
 * can read it without a verify (cardfs pin_tries): a new process then
 * shows COUNT_LOW / FINAL_TRY / LOCKED of wrong PINs given in earlier
 * ones. A refusal leaves the counter unknown; transport trouble is
 * reported. */
static ukey_rv read_user_tries(ukey_layout_drv *d, const ukey_layout_pin *pin)
{
	int tries = -1, max = -1;
	ukey_rv rv;

	if (d->user_tries_read || !d->fs.ops->pin_tries)
		return UKEY_OK;
	d->user_tries_read = 1;
	rv = select_pin_df(d, pin);
	if (!rv)
		rv = d->fs.ops->pin_tries(d->fs.os, pin->ref, &tries, &max);
	if (ukey_rv_link_error(rv))
		return rv;
	if (rv == UKEY_OK && tries >= 0) {
		d->user_tries_valid = 1;
		d->user_tries = tries;
		d->user_max = max;
	}
	return UKEY_OK;
}

ukey_rv ukey_ldrv_pin_info(ukey_card *card, ukey_pin_role role,
			   ukey_pin_info *info)
{
	ukey_layout_drv *d = ldrv(card);
	ukey_layout_pin pin;
	int known;
	ukey_rv rv;

	if (!d || !d->fs.ops || !info)
		return UKEY_E_ARGS;
	rv = pin_for(d, role, &pin, &known);
	if (rv)
		return rv;
	fill_info(card->profile, &pin, known, d->fs.ops->pin_stored_len, info);
	if (role != UKEY_PIN_USER || !known || !pin.present)
		return UKEY_OK;
	rv = read_user_tries(d, &pin);
	if (rv)
		return rv;
	/* a verify's answer in this bind is fresher than the bind-time read */
	if (d->user_tries_valid && info->tries_left < 0) {
		info->tries_left = d->user_tries;
		info->blocked = d->user_tries == 0;
	}
	if (d->user_max > 0)
		info->max_tries = d->user_max;
	return UKEY_OK;
}

ukey_rv ukey_ldrv_verify_pin(ukey_card *card, ukey_pin_role role,
			     const uint8_t *pin, size_t len, int *tries_left)
{
	ukey_layout_drv *d = ldrv(card);
	ukey_layout_pin pi;
	int tries = -1;
	ukey_rv rv;

	if (tries_left)
		*tries_left = -1;
	if (!d || !d->fs.ops || !d->fs.ops->verify_pin || !pin ||
	    !pin_len_ok(d, len))
		return UKEY_E_ARGS;
	rv = pin_cmd_start(card, role, &d, &pi);
	if (rv)
		return rv;
	rv = d->fs.ops->verify_pin(d->fs.os, pi.ref, pin, len, &tries);
	if (tries_left)
		*tries_left = tries;
	pin_seen(d, role, rv, tries);
	return rv;
}

ukey_rv ukey_ldrv_change_pin(ukey_card *card, ukey_pin_role role,
			     const uint8_t *oldpin, size_t oldlen,
			     const uint8_t *newpin, size_t newlen)
{
	ukey_layout_drv *d = ldrv(card);
	ukey_layout_pin pi;
	int tries = -1;
	ukey_rv rv;

	if (!d || !d->fs.ops || !d->fs.ops->change_pin || !oldpin || !newpin ||
	    !pin_len_ok(d, oldlen) || !pin_len_ok(d, newlen))
		return UKEY_E_ARGS;
	rv = pin_cmd_start(card, role, &d, &pi);
	if (rv)
		return rv;
	rv = d->fs.ops->change_pin(d->fs.os, pi.ref, oldpin, oldlen, newpin,
				   newlen, &tries);
	if (rv == UKEY_OK || rv == UKEY_E_SW_WRONG_PIN ||
	    rv == UKEY_E_SW_PIN_BLOCKED)
		pin_seen(d, role, rv, rv == UKEY_E_SW_PIN_BLOCKED ? 0 : tries);
	return rv;
}

ukey_rv ukey_ldrv_init_user_pin(ukey_card *card, const uint8_t *pin,
				size_t len, int card_pin_ok)
{
	ukey_layout_drv *d = ldrv(card);
	ukey_layout_pin pi;
	ukey_rv rv;

	if (!d || !d->fs.ops || !pin || !pin_len_ok(d, len))
		return UKEY_E_ARGS;
	if (!(d->layout.ops && d->layout.ops->init_user_pin) &&
	    !(card_pin_ok && d->fs.ops->set_pin))
		return UKEY_E_SW_FUNC_NOT_SUPPORTED;
	rv = pin_cmd_start(card, UKEY_PIN_USER, &d, &pi);
	if (rv)
		return rv;
	if (d->layout.ops && d->layout.ops->init_user_pin)
		rv = d->layout.ops->init_user_pin(&d->layout, pin, len);
	else /* a layout without PIN objects (ESPK): the card OS's record */
		rv = d->fs.ops->set_pin(d->fs.os, pi.ref, pin, len);
	/* a new PIN with a full counter: what was read at bind is stale */
	if (!rv)
		pin_seen(d, UKEY_PIN_USER, UKEY_OK, -1);
	return rv;
}
