/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/layout/espk.h — the ENTERSAFE-ESPK layout Feitian's own
 * middleware writes (DF 3F00/2003, index EF 6F01, attribute-stream files).
 * Read-only: list certificates and keys, sign with the keys. Reaches the
 * card through a bound card file system (cardfs.h); drivers use it through
 * layout.h (ukey_layout_espk).
 */
#ifndef UKEY_LAYOUT_ESPK_H
#define UKEY_LAYOUT_ESPK_H

#include "cardfs.h"
#include "driver.h"

#define ESPK_REF_TAG 'E'
#define ESPK_MAX_FILES 64

typedef struct {
	uint16_t fid;
	char name[14];        /* NUL-terminated file name */
	size_t size;
} espk_file;

typedef struct {
	ukey_cardfs fs;       /* the card, through its card OS */
	const ukey_profile *prof;
	espk_file files[ESPK_MAX_FILES];
	size_t n_files;
	char label[33];
	char serial[17];      /* CKA_SERIAL_NUMBER of "tokeninfo", if any */
} espk_token;

/* Select DF 3F00/2003, check its name, read the index and the token
 * label. UKEY_E_SW_FILE_NOT_FOUND: no ESPK layout. */
ukey_rv espk_bind(espk_token *t, const ukey_cardfs *fs, const ukey_profile *prof);
void espk_free(espk_token *t);
ukey_rv espk_list(espk_token *t, ukey_objlist *out);
ukey_rv espk_read_value(espk_token *t, ukey_object *o);
/* Key handle for MSE of a private key object (from drv_ref); the key
 * records are in DF 3F00/2003. */
ukey_rv espk_key_ref(const ukey_object *o, uint8_t *kid);
/* Parse one index record (30 bytes); 1 = a file, 0 = skip, -1 = bad. */
int espk_parse_index_record(const uint8_t rec[30], espk_file *f);
/* Parse an attribute stream into an object (0 ok, -1 malformed). */
int espk_parse_attrs(const uint8_t *buf, size_t len, ukey_object *o,
		     uint32_t *key_handle);

#endif /* UKEY_LAYOUT_ESPK_H */
