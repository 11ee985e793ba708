/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ukey vendor profiles — data, not code.
 *
 * A profile is a text file `vendor-profiles/NAME.profile`:
 *
 *   # comment
 *   name        = Feitian FTCOS/PK-01C
 *   atr         = 3B 9F 95 81 31 FE 9F 00 65 46 53 05 30 06 71 DF 00 00 00 80 6A 82 5E
 *   atr_mask    = FF FF FF FF FF FF FF FF FF FF FF 00 FF FF FF FF FF FF 00 00 00 00 FF
 *   driver      = ftcos
 *   layout      = pkcs15, entersafe-espk
 *   manufacturer= Feitian Technologies
 *   model       = PK-01C
 *   extended_apdu = no
 *   chaining    = no
 *   max_lc      = 255
 *   max_get_response = 64
 *   pin_min = 4
 *   pin_max = 16
 *   ... any driver-specific key = value (keys, INS codes, sizes)
 *
 * Several `atr` lines (each optionally followed by its `atr_mask`) are
 * allowed. Profiles are loaded at run time from the install dir and from an
 * override dir (UKEY_PROFILE_DIR, colon-separated; later dirs override a
 * profile of the same file name). A malformed profile is reported as
 * "FILE:LINE: what is wrong" and skipped.
 *
 * The source tree's vendor-profiles/ are also compiled in (profile_builtin.h)
 * as the lowest layer: whenever the list of dirs names the install dir, the
 * built-in profiles are loaded first (file "built-in:vendor-profiles/NAME"),
 * then any file of the same name replaces one. So a module copied anywhere
 * knows every token of its source tree with no file and no variable.
 */
#ifndef UKEY_PROFILE_H
#define UKEY_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "apdu.h"

#ifdef __cplusplus
extern "C" {
#endif

#define UKEY_PROFILE_MAX_ATRS 8
#define UKEY_PROFILE_MAX_KV   96

typedef struct {
	uint8_t atr[33];
	uint8_t mask[33];
	size_t len;
} ukey_atr_pattern;

typedef struct ukey_profile {
	char file[256];           /* file it came from */
	char name[64];
	char driver[32];
	char layouts[96];         /* comma-separated, in order of preference */
	char manufacturer[33];
	char model[17];
	ukey_atr_pattern atrs[UKEY_PROFILE_MAX_ATRS];
	size_t n_atrs;
	ukey_chan_opts chan;      /* extended_apdu, chaining, max_lc, max_get_response */
	unsigned pin_min, pin_max;
	/* every key = value line, for driver-specific settings */
	struct { char key[48]; char value[256]; } kv[UKEY_PROFILE_MAX_KV];
	size_t n_kv;
} ukey_profile;

typedef struct {
	ukey_profile *v;
	size_t n;
} ukey_profile_set;

/* Load all *.profile files of each directory in `dirs` (colon-separated),
 * after the built-in profiles if `dirs` names UKEY_PROFILE_INSTALL_DIR.
 * Errors in one file are reported through `report` (or stderr when NULL)
 * as "FILE:LINE: message" and that file is skipped. Never fails for bad
 * profiles; fails only for allocation errors. */
ukey_rv ukey_profiles_load(const char *dirs, ukey_profile_set *out,
			   void (*report)(const char *line));
/* The directories to use: $UKEY_PROFILE_DIR appended after the install dir. */
const char *ukey_profiles_default_dirs(char *buf, size_t bufsz);
void ukey_profiles_free(ukey_profile_set *set);

/* Parse one profile from text (used by the loader and by tests). On error
 * returns UKEY_E_MALFORMED and writes "FILE:LINE: message" into err. */
ukey_rv ukey_profile_parse(const char *text, size_t len, const char *file,
			   ukey_profile *out, char *err, size_t errsz);

/* First profile whose ATR pattern matches (length must be equal). */
const ukey_profile *ukey_profile_match(const ukey_profile_set *set,
				       const uint8_t *atr, size_t atr_len);

/* Driver-specific values. get returns NULL if absent. */
const char *ukey_profile_get(const ukey_profile *p, const char *key);
/* Hex bytes ("92 34 2E EF" or "92342EEF"); UKEY_E_ARGS if absent/bad. */
ukey_rv ukey_profile_get_hex(const ukey_profile *p, const char *key,
			     uint8_t *out, size_t cap, size_t *len);
/* Unsigned integer (decimal or 0x hex); returns def if absent; bad => def. */
unsigned long ukey_profile_get_uint(const ukey_profile *p, const char *key,
				    unsigned long def);
/* yes/no/true/false/1/0 */
int ukey_profile_get_bool(const ukey_profile *p, const char *key, int def);

/* The one list syntax of profile values ("pkcs15, entersafe-espk",
 * "1024, 2048"): items separated by commas and/or spaces. Start with
 * *cursor at the value (NULL is an empty list); each call gives the next
 * item (not NUL-terminated) and returns 1, or 0 at the end. */
int ukey_profile_list_next(const char **cursor, const char **item, size_t *len);
/* Is `name` an item of list? An empty or NULL list has no items. */
int ukey_profile_list_has(const char *list, const char *name);

#ifdef __cplusplus
}
#endif
#endif /* UKEY_PROFILE_H */
