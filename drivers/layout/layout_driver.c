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

ukey_rv ukey_ldrv_pin(ukey_layout *l, ukey_pin_role role, unsigned default_ref,
		      ukey_layout_pin *pin, int *known)
{
	memset(pin, 0, sizeof(*pin));
	*known = 0;
	pin->tries_left = -1;
	if (role != UKEY_PIN_USER && role != UKEY_PIN_SO)
		return UKEY_E_ARGS;
	pin->ref = default_ref;
	if (l->ops && l->ops->pin) {
		ukey_rv rv = l->ops->pin(l, role, pin);

		if (rv)
			return rv;
		*known = 1;
	}
	return UKEY_OK;
}

void ukey_ldrv_pin_seen(ukey_layout *l, ukey_pin_role role, ukey_rv rv,
			int tries)
{
	if (l->ops && l->ops->pin_seen)
		l->ops->pin_seen(l, role, rv, tries);
}

void ukey_ldrv_pin_info(const ukey_profile *p, const ukey_layout_pin *pin,
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
