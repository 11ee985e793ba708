/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ukey drivers/ — the one operations table every card-OS driver fills, and
 * the vendor-neutral token object model the PKCS#11 layer consumes.
 *
 * Layering: a driver knows a card OS (command set) and the on-card layouts
 * it supports (PKCS#15, vendor layouts); it knows nothing of PKCS#11
 * sessions, handles or CK_* types. p11/ knows no vendor: it sees only this
 * header, profile.h and apdu/pcsc.h.
 *
 * Calling convention: p11/ calls every operation with the token's lock held
 * and inside a PC/SC transaction (ukey_pcsc_begin/end around the call), so a
 * driver never begins or ends transactions itself.
 */
#ifndef UKEY_DRIVER_H
#define UKEY_DRIVER_H

#include <stddef.h>
#include <stdint.h>

#include "apdu.h"
#include "profile.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ----------------------------------------------------------- object model */

typedef enum {
	UKEY_OBJ_CERT = 1,   /* X.509 certificate, value = DER */
	UKEY_OBJ_PUBKEY,     /* RSA public key, modulus/exponent */
	UKEY_OBJ_PRIVKEY,    /* RSA private key, modulus/exponent if known */
	UKEY_OBJ_DATA        /* data object, value = bytes */
} ukey_obj_class;

/* Key usage bits (what the layout says the key may do). */
#define UKEY_USAGE_SIGN        0x0001u
#define UKEY_USAGE_SIGN_RECOVER 0x0002u
#define UKEY_USAGE_DECRYPT     0x0004u
#define UKEY_USAGE_UNWRAP      0x0008u
#define UKEY_USAGE_ENCRYPT     0x0010u
#define UKEY_USAGE_VERIFY      0x0020u
#define UKEY_USAGE_WRAP        0x0040u
#define UKEY_USAGE_NONREPUDIATION 0x0080u

#define UKEY_ID_MAX    64
#define UKEY_LABEL_MAX 128
#define UKEY_DRVREF_MAX 32

typedef struct ukey_object {
	ukey_obj_class cls;
	uint8_t id[UKEY_ID_MAX];    /* CKA_ID */
	size_t id_len;
	char label[UKEY_LABEL_MAX]; /* UTF-8, NUL-terminated */
	int private_obj;            /* readable only after user login */
	int modifiable;

	/* keys */
	unsigned key_bits;          /* modulus bits (0 if unknown) */
	unsigned usage;             /* UKEY_USAGE_* */
	int native;                 /* key generated on the card (CKA_LOCAL) */
	uint8_t *modulus;           /* big-endian, malloc'd; NULL if unknown */
	size_t modulus_len;
	uint8_t *pub_exp;           /* big-endian, malloc'd; NULL if unknown */
	size_t pub_exp_len;

	/* certificates and data objects: the value may be loaded lazily (see
	 * ukey_driver.read_value); value == NULL && value_len known => not yet
	 * read. */
	uint8_t *value;
	size_t value_len;
	char application[UKEY_LABEL_MAX]; /* data objects: CKA_APPLICATION */
	uint8_t *oid_der;                 /* data objects: CKA_OBJECT_ID (DER), may be NULL */
	size_t oid_der_len;

	/* The driver's own reference (file path, key id, container, ...). Opaque
	 * to p11/; stable while the token stays bound. */
	uint8_t drv_ref[UKEY_DRVREF_MAX];
	size_t drv_ref_len;
} ukey_object;

/* A growable list of objects, owned by whoever fills it. */
typedef struct {
	ukey_object *v;
	size_t n, cap;
} ukey_objlist;

/* Append a zeroed object; returns NULL on allocation failure. */
ukey_object *ukey_objlist_add(ukey_objlist *l);
void ukey_object_clear(ukey_object *o); /* frees owned buffers, zeroes */
void ukey_objlist_clear(ukey_objlist *l);
/* Deep copy (malloc'd buffers duplicated). */
int ukey_object_copy(ukey_object *dst, const ukey_object *src);

/* ------------------------------------------------------------------- PINs */

typedef enum {
	UKEY_PIN_USER = 1,
	UKEY_PIN_SO   = 2   /* SO PIN / PUK / admin PIN, per card OS */
} ukey_pin_role;

typedef struct {
	int present;        /* this PIN exists on the token */
	int tries_left;     /* -1 if the card does not tell without a verify */
	int max_tries;      /* -1 if unknown */
	int blocked;
	unsigned min_len, max_len;
	int initialized;    /* user PIN set */
} ukey_pin_info;

/* --------------------------------------------------------- bound card */

typedef struct ukey_card {
	ukey_chan chan;                  /* apdu channel to the card */
	const ukey_profile *profile;     /* matched profile */
	const struct ukey_driver *drv;
	void *drv_data;                  /* driver private state */

	/* Filled by bind(): space-padded by p11/, here NUL-terminated. */
	char label[33];
	char manufacturer[33];
	char model[17];
	char serial[17];
	int token_initialized;           /* a layout is present */
	int has_rng;
	int write_protected;
} ukey_card;

/* Parameters of an on-card RSA key generation or import. */
typedef struct {
	unsigned bits;               /* 1024 or 2048 on FTCOS */
	uint8_t id[UKEY_ID_MAX];     /* CKA_ID chosen by caller; id_len 0 => driver derives it from the public key */
	size_t id_len;
	char label[UKEY_LABEL_MAX];
	unsigned usage;
	int private_obj;             /* private key object is private (always) */
} ukey_keygen_params;

/* Private key material for import (big-endian, each malloc'd or borrowed). */
typedef struct {
	const uint8_t *n, *e, *d, *p, *q, *dp, *dq, *qinv;
	size_t n_len, e_len, d_len, p_len, q_len, dp_len, dq_len, qinv_len;
} ukey_rsa_material;

/* ----------------------------------------------------- operations table */

/* Every operation returns ukey_rv (apdu.h): UKEY_OK, a transport error, or
 * a status-word class (UKEY_E_SW_*). An operation a card OS cannot do is a
 * NULL pointer, which p11/ reports as CKR_FUNCTION_NOT_SUPPORTED. */
typedef struct ukey_driver {
	const char *name; /* the value of "driver =" in a vendor profile */

	/* Bind: select the application, read token info (label, serial, PIN
	 * info) into card. Must be cheap: p11/ calls it on first use and
	 * after a reset. Allocates card->drv_data. */
	ukey_rv (*bind)(ukey_card *card);
	void (*unbind)(ukey_card *card); /* frees drv_data; no card I/O */

	/* Enumerate the objects on the token (certs, keys, data). Values of
	 * certificates/data may be left for read_value. p11/ caches the list
	 * until reset, removal or its own writes. */
	ukey_rv (*list_objects)(ukey_card *card, ukey_objlist *out);
	ukey_rv (*read_value)(ukey_card *card, ukey_object *obj);

	ukey_rv (*pin_info)(ukey_card *card, ukey_pin_role role,
			    ukey_pin_info *info);
	/* Wrong PIN => UKEY_E_SW_WRONG_PIN with *tries_left set (or -1);
	 * blocked => UKEY_E_SW_PIN_BLOCKED. tries_left may be NULL. */
	ukey_rv (*verify_pin)(ukey_card *card, ukey_pin_role role,
			      const uint8_t *pin, size_t len, int *tries_left);
	ukey_rv (*change_pin)(ukey_card *card, ukey_pin_role role,
			      const uint8_t *oldpin, size_t oldlen,
			      const uint8_t *newpin, size_t newlen);
	/* Set the user PIN (and reset its counter); the SO role has been
	 * verified in this card session (C_InitPIN). */
	ukey_rv (*init_user_pin)(ukey_card *card, const uint8_t *pin, size_t len);
	ukey_rv (*logout)(ukey_card *card);

	/* Raw RSA private-key operations: in and out are modulus-length,
	 * big-endian; padding is the caller's business. */
	ukey_rv (*sign_raw)(ukey_card *card, const ukey_object *key,
			    const uint8_t *in, size_t inlen, uint8_t *out,
			    size_t *outlen);
	ukey_rv (*decipher_raw)(ukey_card *card, const ukey_object *key,
				const uint8_t *in, size_t inlen, uint8_t *out,
				size_t *outlen);

	/* Key pair generation on the card: fills pub and priv (including
	 * modulus/exponent and drv_ref) and writes the layout entries. */
	ukey_rv (*generate_rsa)(ukey_card *card, const ukey_keygen_params *p,
				ukey_object *pub, ukey_object *priv);
	ukey_rv (*import_rsa)(ukey_card *card, const ukey_keygen_params *p,
			      const ukey_rsa_material *m, ukey_object *priv);

	/* Create a certificate, public key or data object from obj (value,
	 * id, label, ...). Sets obj->drv_ref. Must write the new object
	 * completely before touching any directory entry (nothing is lost). */
	ukey_rv (*write_object)(ukey_card *card, ukey_object *obj);
	/* Rewrite the label (and other directory attributes) of obj. */
	ukey_rv (*update_object)(ukey_card *card, const ukey_object *obj);
	ukey_rv (*delete_object)(ukey_card *card, const ukey_object *obj);

	/* Format a blank or erased token into the driver's default layout
	 * with an SO PIN and a label (C_InitToken). */
	ukey_rv (*init_token)(ukey_card *card, const uint8_t *so_pin,
			      size_t so_len, const char *label);

	ukey_rv (*get_random)(ukey_card *card, uint8_t *buf, size_t len);

	/* Optional (NULL = use list_objects): only the objects of class cls,
	 * reading only what that class needs (PKCS#15: one directory file), so
	 * that a cold "login, find the private key, sign" costs fewer APDUs.
	 * Objects are the same as list_objects would return (a PRIVKEY may
	 * lack modulus until the public keys are listed). Added by drivers/. */
	ukey_rv (*list_class)(ukey_card *card, ukey_obj_class cls,
			      ukey_objlist *out);

	/* Optional (NULL = p11/ unbinds and binds again): p11/ itself reset
	 * the card (C_Logout or the last session closed on a card OS without
	 * a logout command) and holds it again. Forget the card-side state the
	 * driver tracks (current DF/EF, verified PINs, secure-messaging
	 * session), keep what was read from the card (directory, objects,
	 * token info) and make the card usable again; the re-selection may be
	 * folded into the next command that needs it (no card I/O here).
	 * Never called after a reset by someone else or a re-insertion: those
	 * bind again, as another application may have changed the token. On
	 * an error p11/ falls back to unbind + bind. */
	ukey_rv (*reselect)(ukey_card *card);

	/* Optional (NULL = not offered): finish SHA-256 on the card from the
	 * host's midstate and sign it PKCS#1 v1.5 (DigestInfo SHA-256) with
	 * key — for card OSes that hash on the card and may refuse raw RSA
	 * (ePass2003: MSE SET, PSO HASH with the state, PSO COMPUTE DIGITAL
	 * SIGNATURE). p11/ uses it for CKM_SHA256_RSA_PKCS, hashing the data
	 * on the host as it comes: state is H0..H7 (each big-endian) after
	 * the first full_blocks 64-byte blocks of the message, tail the
	 * tail_len (< 64, may be 0) bytes after them; the message is
	 * 64 * full_blocks + tail_len bytes long. *outlen is the capacity of
	 * out (the modulus length) on entry, the signature's length on return
	 * (leading zero bytes may be dropped, as with sign_raw).
	 * UKEY_E_SW_FUNC_NOT_SUPPORTED (preferably without card I/O, e.g. a
	 * key the layout says is used raw, or more blocks than the card can
	 * count; or the card's 6A81/6D00) means "not this way": p11/ then
	 * hashes and pads on the host and calls sign_raw, if there is one
	 * (the same signature: PKCS#1 v1.5 is deterministic). */
	ukey_rv (*sign_sha256_state)(ukey_card *card, const ukey_object *key,
				     const uint8_t state[32],
				     uint64_t full_blocks, const uint8_t *tail,
				     size_t tail_len, uint8_t *out,
				     size_t *outlen);
} ukey_driver;

/* Registry of built-in drivers (drivers/registry.c). NULL if unknown. */
const ukey_driver *ukey_driver_find(const char *name);

/* ------------------------------------------------ opening a card */

/* Open a card for binding (drivers/card_open.c; no card I/O). card (zeroed
 * or closed: nothing in it is freed) is set to prof, drv and an APDU
 * channel over xfer (called with xfer_ctx) with the profile's channel
 * options, APDU tracing as UKEY_DEBUG asks, and the rule that an answer
 * without a status word means the card is gone (UKEY_E_NO_CARD). Then call
 * drv->bind. UKEY_OK, UKEY_E_NOMEM or UKEY_E_ARGS; ukey_card_close is
 * harmless after a failure. */
ukey_rv ukey_card_open(ukey_card *card, const ukey_profile *prof,
		       const ukey_driver *drv, ukey_xfer_fn xfer,
		       void *xfer_ctx);
/* Unbind the driver if bound (drv_data set: a failed bind leaves it NULL),
 * which frees its state and wipes its secure-messaging keys; end the trace;
 * wipe the channel and the card. No card I/O. Harmless on a zeroed card. */
void ukey_card_close(ukey_card *card);
/* The link to the card was lost (card or reader gone, an answer without a
 * status word) since ukey_card_open or the last ukey_card_link_reset:
 * whatever code the driver made of it, the card it talked to is gone. */
int ukey_card_link_lost(const ukey_card *card);
void ukey_card_link_reset(ukey_card *card);
/* Release what the cards' channels share (the private OpenSSL context of
 * the secure-messaging primitives); when no card is open any more. */
void ukey_cards_cleanup(void);

#ifdef __cplusplus
}
#endif
#endif /* UKEY_DRIVER_H */
