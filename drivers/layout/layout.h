/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/layout/layout.h — the on-card layouts (PKCS#15, ENTERSAFE-ESPK)
 * as one operations table, chosen from the profile's `layout =` list
 * (internal to drivers/).
 *
 * A card-OS driver hands ukey_layout_bind its bound card file system
 * (cardfs.h); the layout found on the card then lists, reads and writes
 * the token's objects through it, and tells the driver what only the
 * layout knows: the PINs (reference, DF, lengths) and, for a private-key
 * object, its key record and DF. The driver keeps the commands that are
 * not file-system business (VERIFY, MSE + PSO, serial, random).
 *
 * A driver includes this header and cardfs.h, never pkcs15.h or espk.h
 * (its own personalisation code aside); a layout includes no driver's
 * header. A write operation a layout lacks is NULL: the driver answers
 * UKEY_E_SW_FUNC_NOT_SUPPORTED.
 */
#ifndef UKEY_LAYOUT_H
#define UKEY_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "cardfs.h"
#include "driver.h"
#include "profile.h"

/* What a layout knows of one PIN (no card I/O). */
typedef struct {
	int present;           /* the layout has this PIN */
	int initialized;       /* its value is set */
	int tries_left;        /* last known, -1 unknown */
	unsigned min_len, max_len;
	unsigned ref;          /* card-OS reference (VERIFY's P2) */
	uint8_t df[UKEY_FS_PATH_MAX]; /* DF whose PIN `ref` is; df_len 0: none */
	size_t df_len;
} ukey_layout_pin;

struct ukey_layout;

typedef struct ukey_layout_ops {
	const char *name;      /* as in a profile's `layout =` list */

	/* Find the layout's application behind fs and read what a bind
	 * needs; fill l->st (the layout's state), l->label and l->serial.
	 * UKEY_E_SW_FILE_NOT_FOUND: not on this card (try the next layout).
	 * On any error nothing is left allocated. */
	ukey_rv (*bind)(struct ukey_layout *l, const ukey_cardfs *fs,
			const ukey_profile *prof);
	/* Free l->st (wiping what the layout read); no card I/O. */
	void (*free)(struct ukey_layout *l);

	/* The objects of class cls (0: all), reading only what that class
	 * needs; values may be left for read_value. */
	ukey_rv (*list)(struct ukey_layout *l, int cls, ukey_objlist *out);
	ukey_rv (*read_value)(struct ukey_layout *l, ukey_object *obj);

	/* The PIN of role, without card I/O. UKEY_E_ARGS: no such role. */
	ukey_rv (*pin)(struct ukey_layout *l, ukey_pin_role role,
		       ukey_layout_pin *out);
	/* What a VERIFY (or CHANGE) of role answered, so that the next
	 * pin() tells the counter: UKEY_OK (-1: unknown again),
	 * UKEY_E_SW_WRONG_PIN (tries_left), UKEY_E_SW_PIN_BLOCKED (0).
	 * NULL: the layout keeps no counter. */
	void (*pin_seen)(struct ukey_layout *l, ukey_pin_role role, ukey_rv rv,
			 int tries_left);
	/* Key record (*ref) and the DF holding it (df, *df_len; up to
	 * UKEY_FS_PATH_MAX bytes) of a private-key object this layout
	 * listed. UKEY_E_ARGS: not one of ours. No card I/O. */
	ukey_rv (*key_ref)(struct ukey_layout *l, const ukey_object *key,
			   unsigned *ref, uint8_t *df, size_t *df_len);
	/* The application's DF name and path, for the card OS to select it
	 * by name after a reset of ours. NULL: none (selected by path). */
	void (*app)(struct ukey_layout *l, const uint8_t **aid, size_t *aid_len,
		    const uint8_t **path, size_t *path_len);

	/* Write operations (NULL: the layout cannot), each as driver.h
	 * describes the operation of the same name. generate_rsa and
	 * import_rsa choose a free key record and write the directory
	 * entries; init_user_pin is called with the user PIN's DF current
	 * and the SO PIN verified. */
	ukey_rv (*write_object)(struct ukey_layout *l, ukey_object *obj);
	ukey_rv (*update_object)(struct ukey_layout *l, const ukey_object *obj);
	ukey_rv (*delete_object)(struct ukey_layout *l, const ukey_object *obj);
	ukey_rv (*generate_rsa)(struct ukey_layout *l, const ukey_keygen_params *p,
				ukey_object *pub, ukey_object *priv);
	ukey_rv (*import_rsa)(struct ukey_layout *l, const ukey_keygen_params *p,
			      const ukey_rsa_material *m, ukey_object *priv);
	ukey_rv (*init_user_pin)(struct ukey_layout *l, const uint8_t *pin,
				 size_t len);
} ukey_layout_ops;

/* A bound layout; ops NULL: none (a blank or foreign card). */
typedef struct ukey_layout {
	const ukey_layout_ops *ops;
	void *st;
	char label[33];        /* token label the layout stores, "" if none */
	char serial[17];       /* printable serial it stores, "" if none */
} ukey_layout;

/* The known layouts, in the order tried when a profile names none. */
extern const ukey_layout_ops ukey_layout_pkcs15;
extern const ukey_layout_ops ukey_layout_espk;

/* Bind the first layout of prof's `layout =` list (every known layout in
 * the order above when the profile has no list; unknown names are
 * skipped) whose application fs finds on the card. UKEY_OK with l->ops
 * NULL when none is there; any error but UKEY_E_SW_FILE_NOT_FOUND stops
 * the search and is returned (l->ops NULL). */
ukey_rv ukey_layout_bind(ukey_layout *l, const ukey_cardfs *fs,
			 const ukey_profile *prof);
/* Free a bound layout (harmless on an unbound or zeroed one); no card I/O. */
void ukey_layout_free(ukey_layout *l);

#endif /* UKEY_LAYOUT_H */
