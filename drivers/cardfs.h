/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/cardfs.h — the card file-system interface between on-card
 * layouts (drivers/layout/: PKCS#15, ESPK) and the card-OS command sets
 * (drivers/ftcos/, drivers/epass2003/, ...). Internal to drivers/.
 *
 * A layout sees files, PINs and key records through this table only; it
 * never includes a card OS's header. Each card OS fills one table, the way
 * OpenSC's sc_card_operations serves its PKCS#15 layer. An operation a card
 * OS cannot do is NULL (the layout answers UKEY_E_NOT_SUPPORTED).
 *
 * Paths are absolute FID byte pairs, big-endian, first 3F00 (as PKCS#15
 * stores them). Every operation returns ukey_rv (apdu.h); a status word the
 * card OS maps to the UKEY_E_SW_* classes.
 */
#ifndef UKEY_CARDFS_H
#define UKEY_CARDFS_H

#include <stddef.h>
#include <stdint.h>

#include "apdu.h"
#include "driver.h"

#define UKEY_FS_PATH_MAX 16

/* Access conditions, card-OS independent. */
typedef enum {
	UKEY_AC_ALWAYS = 0, /* no PIN */
	UKEY_AC_USER,       /* after the user PIN */
	UKEY_AC_SO,         /* after the SO PIN / PUK */
	UKEY_AC_NEVER,
	UKEY_AC_UNKNOWN
} ukey_fs_ac;

/* What a SELECT answered (or what CREATE should make). */
typedef struct {
	uint16_t fid;
	int is_df;
	size_t size;               /* EF size; 0 for DFs */
	uint8_t name[16];          /* DF name (AID), name_len 0 if none */
	size_t name_len;
	ukey_fs_ac ac_read, ac_update, ac_delete;
	int record_len;            /* fixed-record EFs: record length, else 0 */
} ukey_fs_file;

/* What a layout asks of a key record (PKCS#15 key references, ESPK
 * handles: a card-OS-specific number the layout stores and hands back). */
typedef struct {
	unsigned bits;
	const ukey_rsa_material *import; /* NULL: generate on the card */
} ukey_fs_keyspec;

typedef struct ukey_cardfs_ops {
	const char *name;  /* card OS, for traces */

	/* Select by absolute path; the file becomes current (a DF: the
	 * current DF). Selects only what is not already selected. */
	ukey_rv (*select_path)(void *os, const uint8_t *path, size_t len,
			       ukey_fs_file *out);
	/* Select a DF by its name (AID); out->fid 0 if the card does not say. */
	ukey_rv (*select_aid)(void *os, const uint8_t *aid, size_t len,
			      ukey_fs_file *out);
	/* READ / UPDATE BINARY of the current EF. *got < len: the file ends. */
	ukey_rv (*read)(void *os, size_t off, uint8_t *buf, size_t len,
			size_t *got);
	ukey_rv (*update)(void *os, size_t off, const uint8_t *buf, size_t len);
	/* READ RECORD n (1-based) of the current record EF. */
	ukey_rv (*read_record)(void *os, unsigned n, uint8_t *buf, size_t len,
			       size_t *got);
	/* Create an EF in the current DF (it becomes current). */
	ukey_rv (*create_ef)(void *os, const ukey_fs_file *spec);
	/* Delete the file at path (NULL: the card cannot delete files). */
	ukey_rv (*delete_file)(void *os, const uint8_t *path, size_t len);

	/* Key records in the current DF. key: the card-OS reference. */
	ukey_rv (*key_free)(void *os, unsigned *key);            /* a free one */
	ukey_rv (*key_create)(void *os, unsigned key, const ukey_fs_keyspec *ks);
	ukey_rv (*key_read_public)(void *os, unsigned key, uint8_t **n,
				   size_t *nlen, uint8_t **e, size_t *elen);
	ukey_rv (*key_delete)(void *os, unsigned key);

	/* Largest READ / UPDATE chunk; 0 = no limit beyond the channel's. */
	size_t max_read, max_update;
} ukey_cardfs_ops;

/* A bound card file system: the ops and the card OS's own context. */
typedef struct {
	const ukey_cardfs_ops *ops;
	void *os;
} ukey_cardfs;

#endif /* UKEY_CARDFS_H */
