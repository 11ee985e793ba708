/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/layout/espk.h — the ENTERSAFE-ESPK layout Feitian's own
 * middleware writes (DF 3F00/2003, index EF 6F01, attribute-stream files),
 * in both forms known: the FTCOS one (1-byte key id in attribute
 * 0x80000100, files 70nn/71nn/72nn, attribute-stream tokeninfo and
 * containermap) and the ePass2003 one (4-byte little-endian key handles
 * A0xx private / 80xx public, files 24nn/25nn/26nn, fixed-width tokeninfo,
 * containermap of 24-byte records). Read (espk.c) and write (espk_write.c)
 * in the form the token already has; never converted. Reaches the card
 * through a bound card file system (cardfs.h); drivers use it through
 * layout.h (ukey_layout_espk).
 */
#ifndef UKEY_LAYOUT_ESPK_H
#define UKEY_LAYOUT_ESPK_H

#include "cardfs.h"
#include "driver.h"

#define ESPK_REF_TAG 'E'
#define ESPK_MAX_FILES 64
#define ESPK_REC_LEN 30
#define ESPK_MAX_FILE 8192
#define ESPK_ATTR_KEY_HANDLE 0x80000100u

/* drv_ref of an ESPK object: 'E', class, handle width (0 none, 1 FTCOS
 * kid, 4 ePass2003 handle), handle (2, big-endian), FID (2, big-endian). */
#define ESPK_REF_LEN 7

typedef struct {
	uint16_t fid;
	char name[14];        /* NUL-terminated file name */
	char dir[11];         /* NUL-terminated directory name */
	size_t size;          /* used bytes */
	size_t alloc;         /* allocated bytes */
	unsigned rec;         /* record number in the index */
	uint8_t acl;          /* the record's access byte */
} espk_file;

typedef struct {
	ukey_cardfs fs;       /* the card, through its card OS */
	const ukey_profile *prof;
	espk_file files[ESPK_MAX_FILES];
	size_t n_files;
	uint8_t *idx;         /* the index EF as read (idx_len bytes) */
	size_t idx_len;
	char label[33];
	char serial[17];      /* CKA_SERIAL_NUMBER of "tokeninfo", if any */
} espk_token;

extern const uint8_t espk_df_path[4];

/* Select DF 3F00/2003, check its name, read the index and the token
 * label. UKEY_E_SW_FILE_NOT_FOUND: no ESPK layout. */
ukey_rv espk_bind(espk_token *t, const ukey_cardfs *fs, const ukey_profile *prof);
void espk_free(espk_token *t);
/* Read the index EF again (t->files, t->idx). */
ukey_rv espk_read_index(espk_token *t);
/* t->files from t->idx (after an update of t->idx). */
void espk_parse_index(espk_token *t);
ukey_rv espk_list(espk_token *t, ukey_objlist *out);
ukey_rv espk_read_value(espk_token *t, ukey_object *o);
/* Key reference for the card OS of a private key object (from drv_ref):
 * the FTCOS kid, or the ePass2003 16-bit key file handle (A0xx); the key
 * records are in DF 3F00/2003. */
ukey_rv espk_key_ref(const ukey_object *o, unsigned *ref);
/* Parse one index record (30 bytes); 1 = a file, 0 = skip, -1 = bad. */
int espk_parse_index_record(const uint8_t rec[30], espk_file *f);
/* Parse an attribute stream into an object (0 ok, -1 malformed).
 * *key_handle: attribute 0x80000100 (0 if absent); *handle_len (may be
 * NULL): its width, 0 (absent), 1 or 4. */
int espk_parse_attrs(const uint8_t *buf, size_t len, ukey_object *o,
		     uint32_t *key_handle, unsigned *handle_len);
/* Read a whole EF of the ESPK DF (at most len bytes; malloc'd). */
ukey_rv espk_read_ef(espk_token *t, uint16_t fid, size_t len, uint8_t **out,
		     size_t *outlen);

/* espk_write.c: the write operations of the layout table (layout.h). */
ukey_rv espk_write_object(espk_token *t, ukey_object *obj);
ukey_rv espk_update_object(espk_token *t, const ukey_object *obj);
ukey_rv espk_delete_object(espk_token *t, const ukey_object *obj);
ukey_rv espk_generate_rsa(espk_token *t, const ukey_keygen_params *p,
			  ukey_object *pub, ukey_object *priv);
ukey_rv espk_import_rsa(espk_token *t, const ukey_keygen_params *p,
			const ukey_rsa_material *m, ukey_object *priv);

#endif /* UKEY_LAYOUT_ESPK_H */
