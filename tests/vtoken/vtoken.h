/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ukey-vtoken — virtual smart-card tokens for tests, speaking a card OS's
 * APDU dialect to vpcd (and so to a real pcscd).
 *
 * Independence rule: nothing here includes or links anything from drivers/,
 * p11/ or apdu/. Only constants from the published references are shared
 * (retyped here), so a misunderstanding cannot hide on both sides.
 *
 * Structure:
 *   vtoken_main.c    command line, vpcd connection loop, fault injection,
 *                    T=0 GET RESPONSE buffering (common to every OS)
 *   vt_state.c       atomic persistence of the state file
 *   vt_os_ftcos*.c   the FTCOS (entersafe) card OS
 *   vt_os_gmt0017*.c the Watchdata / GM/T 0017 card OS
 *   vt_os_epass2003*.c the Feitian ePass2003 card OS (secure messaging)
 *   shared by the two Feitian OSes (FTCOS, ePass2003), each keeping its
 *   own FIDs, access bytes, key records and command dialect:
 *     vt_der.[ch]    DER writer        vt_p15.[ch]    PKCS#15 DER pieces
 *     vt_espk.[ch]   ESPK attribute streams, index records, container files
 *     vt_perso.[ch]  --serial, --layout, EF bodies, the card certificate
 *     vt_cipher.[ch] ECB through OpenSSL, CBC-MAC, ISO 9797-1 DES MACs
 */
#ifndef UKEY_VTOKEN_H
#define UKEY_VTOKEN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Growable byte buffer used for state (de)serialisation. */
typedef struct {
	uint8_t *p;
	size_t len, cap;
} vt_buf;
int vt_buf_put(vt_buf *b, const void *data, size_t len); /* 0 ok, -1 ENOMEM */
int vt_buf_put_u8(vt_buf *b, uint8_t v);
int vt_buf_put_u16(vt_buf *b, uint16_t v);  /* big-endian */
int vt_buf_put_u32(vt_buf *b, uint32_t v);  /* big-endian */
/* length-prefixed (u32) blob */
int vt_buf_put_blob(vt_buf *b, const void *data, size_t len);
void vt_buf_free(vt_buf *b);

/* Bounded reader over a state image; any overrun sets err and returns 0s. */
typedef struct {
	const uint8_t *p;
	size_t left;
	int err;
} vt_rd;
uint8_t vt_rd_u8(vt_rd *r);
uint16_t vt_rd_u16(vt_rd *r);
uint32_t vt_rd_u32(vt_rd *r);
int vt_rd_bytes(vt_rd *r, void *out, size_t len);
/* length-prefixed blob: returns malloc'd copy (NULL + *len 0 for empty);
 * limit = maximum accepted length */
uint8_t *vt_rd_blob(vt_rd *r, size_t *len, size_t limit);

/* Atomically replace `path` with data: write path.tmp, fsync, rename,
 * fsync the directory. Returns 0 or -1 (errno set). */
int vt_state_write(const char *path, const uint8_t *data, size_t len);
/* Read a whole file (malloc'd). Returns 0, or -1 (errno set). */
int vt_state_read(const char *path, uint8_t **data, size_t *len);

/* Constant-time comparison of equal-length secrets (0 = equal). */
int vt_ct_memcmp(const void *a, const void *b, size_t len);

/* Personalisation parameters (ukey-vtoken init ...). PINs come from a
 * secrets file, never from the command line. */
typedef struct {
	const char *label;
	const char *user_pin;       /* NULL => token left without user PIN */
	const char *so_pin;         /* SO PIN / PUK / admin PIN */
	unsigned key_bits;          /* 0 => no key pair */
	const char *ca_cert_path;   /* PEM; NULL => self-signed certificate */
	const char *ca_key_path;    /* PEM */
	int days_left;              /* certificate notAfter = now + days_left */
	int days_valid;             /* total validity (notBefore = notAfter - days_valid) */
	const char *subject_cn;     /* certificate subject CN */
	const char *layout;         /* OS-specific: e.g. "pkcs15" or "espk" for FTCOS */
	const char *serial;         /* token serial (hex or text), NULL => random */
	const char *model;          /* OS-specific model (ePass2003: SM "des",
				     * "aes", "fips"); NULL => from --atr */
} vt_init_params;

/* One card OS. State is opaque to the common code. */
typedef struct vt_os {
	const char *name;        /* "ftcos", "gmt0017" */
	int t0;                  /* always T=0 (short APDUs, 61xx for > 256) */
	void *(*create)(void);   /* blank card */
	/* Parse a state image; NULL (and a one-line message on stderr) if it
	 * is malformed. */
	void *(*load)(const uint8_t *img, size_t len);
	int (*save)(void *st, vt_buf *out); /* 0 ok */
	void (*destroy)(void *st);
	/* Power on / reset: forget volatile state (security status, current
	 * file, pending challenge), keep persistent state. */
	void (*reset)(void *st);
	/* Process one command APDU. rsp has room for VT_RSP_MAX bytes; the
	 * return value is the response length (data || SW1 SW2, >= 2). Set
	 * *dirty when persistent state changed: the caller saves the state
	 * before sending the response. */
	size_t (*apdu)(void *st, const uint8_t *cmd, size_t len, uint8_t *rsp,
		       int *dirty);
	/* Personalise (ukey-vtoken init). 0 ok, else prints why on stderr. */
	int (*init)(void *st, const vt_init_params *p);
	/* Human-readable summary for `ukey-vtoken show` (optional). */
	void (*describe)(void *st, FILE *out);
	/* Optional: give a blank card the model named (or, name NULL, the one
	 * the ATR stands for), as at manufacture. -1 = unknown model name. */
	int (*set_model)(void *st, const char *name, const uint8_t *atr,
			 size_t atr_len);
	/* Optional: 1 if an existing card is of that model. */
	int (*model_matches)(const void *st, const char *name,
			     const uint8_t *atr, size_t atr_len);
} vt_os;

#define VT_RSP_MAX (65536 + 2)

extern const vt_os vt_os_ftcos;
extern const vt_os vt_os_gmt0017;
extern const vt_os vt_os_epass2003;

/* Named ATRs (epass2000, ftcos-pk01c, epass3000, watchdata-wd6, proxkey,
 * epass2003, epass2003-2022, epass2003-fips, epass2003-espk).
 * Returns 0 and fills atr/len, or -1 if unknown. Hex strings accepted too. */
int vt_atr_lookup(const char *name_or_hex, uint8_t *atr, size_t *len);


/* ------------------------------------------------------------------
 * Additions (engineer C). Everything above is unchanged.
 */

/* Short status word helper: writes SW1 SW2 at rsp[n], returns n + 2. */
size_t vt_sw(uint8_t *rsp, size_t n, uint16_t sw);

/* T=0 behaviour shared by vtoken_main.c and in-process tests: responses with
 * more than 256 data bytes are cut into 256-byte pieces announced by 61xx and
 * fetched with GET RESPONSE (00 C0 00 00 Le); 6Cxx when Le is too large. */
typedef struct {
	uint8_t *pending;       /* malloc'd remainder of the last response */
	size_t len, off;
	int enforce_short;      /* refuse extended-length APDUs with 6700 */
} vt_t0;
/* Run one command through the OS with T=0 buffering. Same contract as
 * vt_os.apdu (rsp has room for VT_RSP_MAX bytes). */
size_t vt_t0_apdu(vt_t0 *t, const vt_os *os, void *st, const uint8_t *cmd,
		  size_t len, uint8_t *rsp, int *dirty);
void vt_t0_clear(vt_t0 *t);

/* Parse a strict short/extended command APDU: sets *lc, *data, *le
 * (le: -1 none, else 1..65536). Returns 0, or -1 if the lengths do not
 * account for every byte. *ext is set when extended lengths are used. */
int vt_apdu_parse(const uint8_t *cmd, size_t len, size_t *lc,
		  const uint8_t **data, long *le, int *ext);

/* Find an OS by name ("ftcos", "gmt0017", "epass2003"); NULL if unknown. */
const vt_os *vt_os_find(const char *name);

/* State image framing: magic, format version and OS name in front of the
 * OS's own bytes, so a state file cannot be loaded by the wrong OS. */
int vt_image_wrap(const vt_os *os, void *st, vt_buf *out);
/* Returns the OS state or NULL (one-line message on stderr). */
void *vt_image_unwrap(const vt_os *os, const uint8_t *img, size_t len);

/* Read `key=value` lines of a secrets file into user/so PIN buffers (each
 * of size cap, NUL-terminated). 0 ok, -1 with a message on stderr. */
int vt_read_secrets(const char *path, char *user_pin, char *so_pin, size_t cap);

/* Overwrite a secret (not optimised away). */
void vt_wipe(void *p, size_t n);

#endif /* UKEY_VTOKEN_H */
