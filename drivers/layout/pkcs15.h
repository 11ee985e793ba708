/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/layout/pkcs15.h — the PKCS#15 layout as OpenSC's entersafe
 * profile writes it (internal to drivers/). It reaches the card only
 * through a bound card file system (cardfs.h), so it serves every card OS
 * that fills one; drivers use it through layout.h (ukey_layout_pkcs15).
 */
#ifndef UKEY_LAYOUT_PKCS15_H
#define UKEY_LAYOUT_PKCS15_H

#include "cardfs.h"
#include "dircache.h"
#include "driver.h"
#include "pkcs15_asn1.h"

#define P15_PATH_MAX 16
#define P15_DF_MAX_SIZE 8192    /* larger directory files are refused */
#define P15_EF_MAX_SIZE 16384   /* certificates, public keys, data */

/* drv_ref of a PKCS#15 object: 'P', DF kind, key reference, path length,
 * path bytes. */
#define P15_REF_TAG 'P'

typedef struct {
	uint8_t path[P15_PATH_MAX];
	size_t path_len;
	int present;       /* listed in the ODF */
	int loaded;
	uint8_t *data;     /* the content read so far */
	size_t len;        /* bytes in data */
	size_t used;       /* length of the DER content (before padding) */
	size_t size;       /* file size from the FCI */
} p15_df;

typedef struct {
	int present;
	unsigned min_len, max_len, stored_len;
	uint8_t ref;           /* card-OS PIN reference */
	uint8_t pad_char;
	int initialized;
	uint8_t auth_id[UKEY_ID_MAX];
	size_t auth_id_len;
	int tries_left;    /* last known, -1 unknown */
} p15_pin;

typedef struct {
	ukey_cardfs fs;        /* the card, through its card OS */
	const ukey_profile *prof;
	uint8_t app_path[4];   /* 3F00 5015 */
	p15_df df[P15_DF_COUNT];
	int ti_loaded;
	char label[33];
	char manufacturer[33];
	uint8_t serial[32];
	size_t serial_len;
	uint8_t *ti_der;       /* TokenInfo as read (for rewriting) */
	size_t ti_len;
	size_t ti_size;
	size_t odf_used;       /* end of the ODF's DER content */
	size_t odf_size;
	int pins_loaded;
	p15_pin pin[2];        /* [0] user, [1] SO (PUK) */
	/* The public directory of an earlier process, valid for this
	 * TokenInfo (dircache.h); NULL when none may be used or kept. */
	ukey_dircache *cache;
} p15_token;

extern const uint8_t p15_aid[12];

/* The card file system of t (cardfs.h). */
static inline ukey_rv p15_select(p15_token *t, const uint8_t *path, size_t len,
				 ukey_fs_file *out)
{
	return t->fs.ops->select_path(t->fs.os, path, len, out);
}

static inline ukey_rv p15_read(p15_token *t, size_t off, uint8_t *buf,
			       size_t len, size_t *got)
{
	return t->fs.ops->read(t->fs.os, off, buf, len, got);
}

static inline ukey_rv p15_update(p15_token *t, size_t off, const uint8_t *buf,
				 size_t len)
{
	return t->fs.ops->update(t->fs.os, off, buf, len);
}

/* pkcs15_read.c */
/* Select the application (by AID, else by path), read TokenInfo and the
 * ODF. UKEY_E_SW_FILE_NOT_FOUND: no PKCS#15 application. On an error t
 * may hold allocations: p15_free it. */
ukey_rv p15_bind(p15_token *t, const ukey_cardfs *fs, const ukey_profile *prof);
void p15_free(p15_token *t);
/* Forget cached directories and re-read the ODF (before any write). */
ukey_rv p15_refresh(p15_token *t);
ukey_rv p15_load_df(p15_token *t, int kind);
ukey_rv p15_load_pins(p15_token *t);
/* PIN info without card I/O (profile values, the card OS's references). */
void p15_pins_quick(p15_token *t);
ukey_rv p15_list(p15_token *t, ukey_objlist *out);
/* Only objects of one class (cls 0 = all), reading only their directory. */
ukey_rv p15_list_class(p15_token *t, int cls, ukey_objlist *out);
ukey_rv p15_read_value(p15_token *t, ukey_object *o);
/* Read a whole EF by path (malloc'd). */
ukey_rv p15_read_ef(p15_token *t, const uint8_t *path, size_t plen,
		    uint8_t **data, size_t *len);
/* Absolute path of a PKCS#15 path (relative ones are under the app DF). */
ukey_rv p15_abs_path(const p15_token *t, const ASN1_OCTET_STRING *p,
		     uint8_t *out, size_t *outlen);
/* Decode one directory entry into a ukey_object (0 ok, -1 skip). */
int p15_entry_to_object(p15_token *t, int kind, const uint8_t *der,
			size_t len, ukey_object *o);
unsigned p15_usage_from_bits(const ASN1_BIT_STRING *b);

/* pkcs15_write.c */
/* Rewrite TokenInfo's lastUpdate to now, as OpenSC does after each change
 * (best effort: an unreadable or foreign TokenInfo is left alone). */
void p15_touch_tokeninfo(p15_token *t);
ukey_rv p15_write_object(p15_token *t, ukey_object *obj);
ukey_rv p15_delete_object(p15_token *t, const ukey_object *obj);
ukey_rv p15_update_object(p15_token *t, const ukey_object *obj);
/* Directory entries for a key pair living in key record kid. */
ukey_rv p15_add_keypair(p15_token *t, uint8_t kid, const ukey_keygen_params *p,
			const uint8_t *n, size_t nlen, const uint8_t *e,
			size_t elen, int native, ukey_object *pub,
			ukey_object *priv);
/* A key record reference of the card OS's range no PrKDF entry uses, or 0. */
uint8_t p15_free_kid(p15_token *t);
/* Generate / import an RSA key pair into a free key record of the
 * application DF and add its PrKDF and PuKDF entries (layout.h). */
ukey_rv p15_generate_rsa(p15_token *t, const ukey_keygen_params *p,
			 ukey_object *pub, ukey_object *priv);
ukey_rv p15_import_rsa(p15_token *t, const ukey_keygen_params *p,
		       const ukey_rsa_material *m, ukey_object *priv);
/* Append a DER entry to directory kind; rewrite helper. */
ukey_rv p15_df_append(p15_token *t, int kind, const uint8_t *der, size_t len);

/* pkcs15_init.c */
/* C_InitPIN: set the user PIN (cardfs set_pin) and, the first time, add
 * its AODF entry. The application DF is current, the SO PIN verified. */
ukey_rv p15_init_user_pin(p15_token *t, const uint8_t *pin, size_t len);

/* The contents a card OS's personalisation (C_InitToken: the card-OS
 * specific creation of MF, DF, EFs, key and PIN records, e.g.
 * drivers/ftcos/ftcos_p15init.c) writes into the files it creates, as
 * OpenSC's `pkcs15-init -C` does. */
#define P15_EFDIR_SIZE 0x80    /* EF.DIR 2F00 */
#define P15_TI_INIT_SIZE 0x80  /* TokenInfo 5032 */
/* The label C_InitToken stores: trailing spaces cut, at most 32 bytes,
 * "ukey" when nothing is left. */
void p15_init_label(const char *label, const char **out, size_t *len);
/* EF.DIR: one application template (AID, label, path 3F00 5015), zero
 * padded. */
void p15_init_efdir(const char *label, size_t llen, uint8_t out[P15_EFDIR_SIZE]);
/* TokenInfo as OpenSC's -C writes it (manufacturer "EnterSafe", flags
 * eidCompliant, lastUpdate now), zero padded. UKEY_E_ARGS if it does not fit. */
ukey_rv p15_init_tokeninfo(const char *label, size_t llen, const uint8_t *serial,
			   size_t serial_len, uint8_t out[P15_TI_INIT_SIZE]);

#endif /* UKEY_LAYOUT_PKCS15_H */
