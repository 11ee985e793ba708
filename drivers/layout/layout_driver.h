/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/layout/layout_driver.h — the driver operations every card OS
 * that runs the layouts over its card file system shares (internal to
 * drivers/). Objects, their values and key pairs are the layout's
 * business: a driver whose state starts with a ukey_layout_drv puts these
 * functions straight into its ukey_driver table and writes only what its
 * card OS does differently (PINs, MSE + PSO, serial, random, C_InitToken).
 */
#ifndef UKEY_LAYOUT_DRIVER_H
#define UKEY_LAYOUT_DRIVER_H

#include "driver.h"
#include "layout.h"

/* The first member of such a driver's state (card->drv_data). */
typedef struct {
	ukey_cardfs fs;      /* the card OS's file system */
	ukey_layout layout;  /* layout.ops NULL: no layout on the card */
} ukey_layout_drv;

/* ukey_driver operations over the bound layout (UKEY_E_ARGS without a
 * bound card, UKEY_E_SW_FUNC_NOT_SUPPORTED when the layout lacks the op;
 * listing a card without a layout gives no objects). */
ukey_rv ukey_ldrv_list_objects(ukey_card *card, ukey_objlist *out);
ukey_rv ukey_ldrv_list_class(ukey_card *card, ukey_obj_class cls,
			     ukey_objlist *out);
ukey_rv ukey_ldrv_read_value(ukey_card *card, ukey_object *obj);
/* Key pairs of 1024 or 2048 bits (refused before any card I/O). */
ukey_rv ukey_ldrv_generate_rsa(ukey_card *card, const ukey_keygen_params *p,
			       ukey_object *pub, ukey_object *priv);
ukey_rv ukey_ldrv_import_rsa(ukey_card *card, const ukey_keygen_params *p,
			     const ukey_rsa_material *m, ukey_object *priv);
ukey_rv ukey_ldrv_write_object(ukey_card *card, ukey_object *obj);
ukey_rv ukey_ldrv_update_object(ukey_card *card, const ukey_object *obj);
ukey_rv ukey_ldrv_delete_object(ukey_card *card, const ukey_object *obj);

/* The PIN of a role as the bound layout describes it (*known = 1), else
 * one with the card OS's default reference (a blank card, *known = 0). */
ukey_rv ukey_ldrv_pin(ukey_layout *l, ukey_pin_role role, unsigned default_ref,
		      ukey_layout_pin *pin, int *known);
/* Tell the layout what a PIN command answered (its counter). */
void ukey_ldrv_pin_seen(ukey_layout *l, ukey_pin_role role, ukey_rv rv,
			int tries);
/* ukey_pin_info from that PIN and the profile's lengths, the maximum cut
 * to what the card OS stores (stored_max). */
void ukey_ldrv_pin_info(const ukey_profile *p, const ukey_layout_pin *pin,
			int known, unsigned stored_max, ukey_pin_info *info);

/* Bind-time token info: the profile's manufacturer/model/name, or the
 * card OS's defaults, before a layout is bound ... */
void ukey_ldrv_card_defaults(ukey_card *card, const char *manufacturer,
			     const char *model, const char *label);
/* ... and the label and serial the bound layout stores, if any. */
void ukey_ldrv_card_identity(ukey_card *card, const ukey_layout *l);
/* NUL-terminated copy, cut to fit. */
void ukey_ldrv_copy_str(char *dst, size_t dstsz, const char *src);
/* Upper-case hex of n bytes, cut to fit outsz (NUL-terminated). */
void ukey_ldrv_hex(const uint8_t *s, size_t n, char *out, size_t outsz);

#endif /* UKEY_LAYOUT_DRIVER_H */
