/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/cardfs.h — the card file-system interface between on-card
 * layouts (drivers/layout/: PKCS#15, ESPK) and the card-OS command sets
 * (drivers/ftcos/, drivers/epass2003/, ...). Internal to drivers/.
 *
 * A layout sees files, PINs and key records through this table only; it
 * never includes a card OS's header. Each card OS fills one table, the way
 * OpenSC's sc_card_operations serves its PKCS#15 layer, and hands a layout
 * a bound ukey_cardfs (the table, its own context, its chunk size). An
 * operation a card OS cannot do is NULL: the layout then does without it
 * or answers UKEY_E_SW_FUNC_NOT_SUPPORTED.
 *
 * Paths are absolute FID byte pairs, big-endian, first 3F00 (as PKCS#15
 * stores them), at most UKEY_FS_PATH_MAX bytes. Every operation returns
 * ukey_rv (apdu.h): UKEY_OK, a transport error unchanged, a refusal of the
 * card as its UKEY_E_SW_* class (UKEY_E_SW_FILE_NOT_FOUND for a missing
 * file or application), UKEY_E_MALFORMED for an answer the card OS cannot
 * parse, UKEY_E_ARGS for a request it cannot express (no card I/O then).
 *
 * The card OS tracks what is selected and selects only what it must: a
 * layout may select the same path before every operation at no cost.
 * Anything card-OS specific (access-condition bytes, key-record formats,
 * PIN padding on the wire, secure messaging) is mapped inside the card OS.
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
	UKEY_AC_UNKNOWN     /* the card did not say (SELECT answers only) */
} ukey_fs_ac;

/* What a SELECT answered (or what create_ef should make). */
typedef struct {
	uint16_t fid;              /* 0 if the card did not say */
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
	 * current DF). out NULL: the caller needs no FCI, and a DF or EF
	 * already current is not selected again (no card I/O). out given:
	 * filled from the card's answer (an EF already current may be
	 * answered from what the card OS knows: fid and size). */
	ukey_rv (*select_path)(void *os, const uint8_t *path, size_t len,
			       ukey_fs_file *out);
	/* Select a DF by its name (AID). path (NULL: unknown) is where the
	 * layout expects that DF: when the answer names no FID or the last
	 * FID of path, the card OS takes path as the current DF, so that the
	 * next selects under it are relative to it; otherwise the current DF
	 * is unknown. out (may be NULL) gets the answer, out->fid 0 if the
	 * card does not say; out->is_df is set. UKEY_E_SW_FILE_NOT_FOUND: no
	 * such application; any other refusal means the card cannot select
	 * by name (select by path instead). */
	ukey_rv (*select_aid)(void *os, const uint8_t *aid, size_t len,
			      const uint8_t *path, size_t path_len,
			      ukey_fs_file *out);
	/* READ BINARY of the current EF from off, chunked as the card needs.
	 * *got < len: the file ends there (not an error). */
	ukey_rv (*read)(void *os, size_t off, uint8_t *buf, size_t len,
			size_t *got);
	/* UPDATE BINARY of the current EF at off, chunked as the card needs. */
	ukey_rv (*update)(void *os, size_t off, const uint8_t *buf, size_t len);
	/* Create a transparent EF spec->fid of spec->size bytes with
	 * spec->ac_read / ac_update in the current DF; it becomes current.
	 * UKEY_E_SW_FILE_EXISTS, UKEY_E_SW_NOT_ENOUGH_SPACE as the card says;
	 * UKEY_E_ARGS for conditions the card OS cannot express. */
	ukey_rv (*create_ef)(void *os, const ukey_fs_file *spec);
	/* Delete the file at path. NULL: the card cannot delete files (the
	 * layout zeroes and reuses them instead). */
	ukey_rv (*delete_file)(void *os, const uint8_t *path, size_t len);

	/* Set PIN ref of the current DF to pin (len <= pin_stored_len) and
	 * reset its counter; the SO PIN has been verified in this card
	 * session (C_InitPIN, and personalisation). */
	ukey_rv (*set_pin)(void *os, unsigned ref, const uint8_t *pin,
			   size_t len);
	/* Check pin against PIN ref of the current DF (the card OS's own
	 * command: VERIFY, EXTERNAL AUTHENTICATE, ...). A wrong PIN gives
	 * UKEY_E_SW_WRONG_PIN with *tries_left set when the card tells it
	 * (else -1); a blocked one UKEY_E_SW_PIN_BLOCKED. tries_left may be
	 * NULL. UKEY_E_ARGS for a ref or length the card OS cannot hold. */
	ukey_rv (*verify_pin)(void *os, unsigned ref, const uint8_t *pin,
			      size_t len, int *tries_left);
	/* Change PIN ref of the current DF from oldpin to newpin: the card's
	 * CHANGE REFERENCE DATA, or a verify of oldpin then a write of the
	 * new one. Codes and *tries_left as for verify_pin. */
	ukey_rv (*change_pin)(void *os, unsigned ref, const uint8_t *oldpin,
			      size_t oldlen, const uint8_t *newpin,
			      size_t newlen, int *tries_left);
	/* The counter of PIN ref of the current DF without trying a PIN:
	 * *tries_left (0: blocked) and *max_tries (-1: unknown). NULL: the
	 * card OS tells the counter only in a wrong verify's answer. */
	ukey_rv (*pin_tries)(void *os, unsigned ref, int *tries_left,
			     int *max_tries);

	/* Key records of the current DF. key: the card-OS reference, in
	 * key_ref_min..key_ref_max (which ones are in use is the layout's
	 * business: it records them in its directory). */
	/* Generate (ks->import NULL) or import an RSA key pair of ks->bits
	 * into record key, replacing what it held. */
	ukey_rv (*key_create)(void *os, unsigned key, const ukey_fs_keyspec *ks);
	/* The public key of record key: big-endian n and e, malloc'd (the
	 * caller frees them); UKEY_E_MALFORMED for an answer that is not one. */
	ukey_rv (*key_read_public)(void *os, unsigned key, uint8_t **n,
				   size_t *nlen, uint8_t **e, size_t *elen);
	/* Erase record key. NULL: records cannot be erased (a layout leaves
	 * the record and reuses the reference for the next key). */
	ukey_rv (*key_delete)(void *os, unsigned key);

	/* PIN facts of the card OS, as a layout describes them (PKCS#15:
	 * storedLength, padChar, pinReference). */
	unsigned pin_stored_len;   /* bytes a PIN occupies on the card */
	uint8_t pin_pad;           /* pad byte up to pin_stored_len */
	unsigned pin_ref_user;     /* reference of the user PIN */
	unsigned pin_ref_so;       /* reference of the SO PIN / PUK */
	/* Key record references usable for new keys. */
	unsigned key_ref_min, key_ref_max;
} ukey_cardfs_ops;

/* A bound card file system: the ops, the card OS's own context and the
 * chunk size of this card (from its profile). */
typedef struct {
	const ukey_cardfs_ops *ops;
	void *os;
	/* Bytes one READ BINARY command returns at most: a layout that stops
	 * reading at the end of a file's content reads this much at a time
	 * (0: no limit, read whole files). */
	size_t max_read;
} ukey_cardfs;

#endif /* UKEY_CARDFS_H */
