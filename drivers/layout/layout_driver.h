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
	/* PIN references when the layout names none (a blank card); 0: the
	 * card file system's pin_ref_user / pin_ref_so */
	unsigned pin_ref_user, pin_ref_so;
	/* The user PIN's counter read from the card at most once per bind
	 * (cardfs pin_tries), valid until the next PIN command. */
	int user_tries_read, user_tries_valid, user_tries, user_max;
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

/* PIN operations, the same for every card OS on a layout: the PIN of a
 * role as the bound layout describes it (else the card OS's default
 * reference: a blank card), its DF selected, then the card file system's
 * verify_pin / change_pin / set_pin; every answer is told to the layout
 * (its counter). Lengths are checked against the card's pin_stored_len
 * before any card I/O. */
ukey_rv ukey_ldrv_pin_info(ukey_card *card, ukey_pin_role role,
			   ukey_pin_info *info);
ukey_rv ukey_ldrv_verify_pin(ukey_card *card, ukey_pin_role role,
			     const uint8_t *pin, size_t len, int *tries_left);
ukey_rv ukey_ldrv_change_pin(ukey_card *card, ukey_pin_role role,
			     const uint8_t *oldpin, size_t oldlen,
			     const uint8_t *newpin, size_t newlen);
/* C_InitPIN (the SO is logged in): the layout's own (PKCS#15 writes its
 * PIN object too); for a layout without PIN objects (ESPK) the card OS's
 * set_pin when card_pin_ok, else UKEY_E_SW_FUNC_NOT_SUPPORTED. */
ukey_rv ukey_ldrv_init_user_pin(ukey_card *card, const uint8_t *pin,
				size_t len, int card_pin_ok);

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
