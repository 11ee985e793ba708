/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/layout/pkcs15.h — the PKCS#15 layout as OpenSC's entersafe
 * profile writes it on FTCOS (internal to drivers/).
 */
#ifndef UKEY_LAYOUT_PKCS15_H
#define UKEY_LAYOUT_PKCS15_H

#include "dircache.h"
#include "driver.h"
#include "ftcos.h"
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
	uint8_t ref;
	uint8_t pad_char;
	int initialized;
	uint8_t auth_id[UKEY_ID_MAX];
	size_t auth_id_len;
	int tries_left;    /* last known, -1 unknown */
} p15_pin;

typedef struct {
	ftcos_ctx *c;
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

/* pkcs15_read.c */
ukey_rv p15_bind(p15_token *t, ftcos_ctx *c, const ukey_profile *prof);
void p15_free(p15_token *t);
/* Forget cached directories and re-read the ODF (before any write). */
ukey_rv p15_refresh(p15_token *t);
ukey_rv p15_load_df(p15_token *t, int kind);
ukey_rv p15_load_pins(p15_token *t);
/* PIN info without card I/O (profile values, FTCOS references). */
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
/* A free key record number (1..9), or 0. */
uint8_t p15_free_kid(p15_token *t);
/* Append a DER entry to directory kind; rewrite helper. */
ukey_rv p15_df_append(p15_token *t, int kind, const uint8_t *der, size_t len);

/* pkcs15_init.c */
ukey_rv p15_init_token(p15_token *t, ftcos_ctx *c, const uint8_t *so_pin,
		       size_t so_len, const char *label, const uint8_t *serial,
		       size_t serial_len);
ukey_rv p15_init_user_pin(p15_token *t, const uint8_t *pin, size_t len);

#endif /* UKEY_LAYOUT_PKCS15_H */
