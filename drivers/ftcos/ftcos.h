/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/ftcos/ftcos.h — the Feitian FTCOS ("entersafe") command set
 * (internal to drivers/). The driver calls these; layouts reach them only
 * through the card file system FTCOS fills (ftcos_cardfs, cardfs.h).
 */
#ifndef UKEY_FTCOS_H
#define UKEY_FTCOS_H

#include <stddef.h>
#include <stdint.h>

#include "apdu.h"
#include "cardfs.h"
#include "profile.h"
#include "driver.h" /* ukey_rsa_material */

#define FTCOS_MAX_DEPTH 4      /* MF + 3 levels; our layouts use 2 */
#define FTCOS_CHUNK_MAX 224    /* READ/UPDATE BINARY limit of the card */

/* Key record usages (P1 of WRITE KEY, byte 3 of MSE CRTs). */
#define FTCOS_USAGE_PIN     0x0B
#define FTCOS_USAGE_RSA_PRV 0x22
#define FTCOS_USAGE_RSA_PUB 0x2A

#define FTCOS_PIN_USER 1
#define FTCOS_PIN_SO   2   /* the PUK */
#define FTCOS_PIN_STORED 16

typedef struct {
	uint16_t fid;
	int is_df;
	size_t size;         /* EF size from tag 80 (0 for DFs) */
	uint8_t name[16];    /* DF name (tag 84) */
	size_t name_len;
} ftcos_fci;

typedef struct {
	ukey_chan *ch;
	size_t max_read, max_update;
	uint8_t transport_key[16];
	size_t transport_key_len;
	uint8_t init_key[16];
	size_t init_key_len;
	uint8_t maint_key[16];
	size_t maint_key_len;

	/* What the card has selected, so that we select only when needed. */
	int df_known;
	uint16_t df_path[FTCOS_MAX_DEPTH];
	size_t df_depth;     /* 1 = MF */
	uint16_t ef;         /* current EF in that DF, 0 = none */
	size_t ef_size;

	/* After a reset of ours (ftcos_after_reset): the next path select
	 * under the application DF selects it by AID, one command instead of
	 * MF + DF. Cleared once used, refused or no longer useful. */
	int app_pending;
	uint8_t app_aid[16];
	size_t app_aid_len;
	uint16_t app_df[FTCOS_MAX_DEPTH];
	size_t app_depth;
} ftcos_ctx;

/* Set up from the profile (keys, chunk sizes). */
ukey_rv ftcos_ctx_init(ftcos_ctx *c, ukey_chan *ch, const ukey_profile *prof);
/* Forget what is selected (after a reset or an unexpected error). */
void ftcos_forget(ftcos_ctx *c);
/* The card was reset (nothing selected, no PIN verified). If aid is given,
 * the application with that AID is the DF at app_path (FIDs, first 3F00),
 * as the bind found it: the next select under it goes by AID. No card I/O. */
ukey_rv ftcos_after_reset(ftcos_ctx *c, const uint8_t *aid, size_t aid_len,
			  const uint8_t *app_path, size_t path_len);
void ftcos_ctx_wipe(ftcos_ctx *c);

/* Parse an FCI (6F template). An empty response is an FCI with nothing. */
ukey_rv ftcos_parse_fci(const uint8_t *p, size_t len, ftcos_fci *out);

/* SELECT by FID in the current DF (raw; updates the tracking). */
ukey_rv ftcos_select_fid(ftcos_ctx *c, uint16_t fid, ftcos_fci *fci);
/* Select an absolute path (FIDs, first 3F00) selecting only what is needed.
 * path is FID big-endian byte pairs as PKCS#15 stores them. fci may be NULL. */
ukey_rv ftcos_select_path(ftcos_ctx *c, const uint8_t *path, size_t len,
			  ftcos_fci *fci);
/* Make DF `path` current (no-op if it already is). */
ukey_rv ftcos_select_df(ftcos_ctx *c, const uint8_t *path, size_t len);
ukey_rv ftcos_select_aid(ftcos_ctx *c, const uint8_t *aid, size_t len,
			 ftcos_fci *fci);
/* The card has just made the DF at path current by other means (SELECT
 * by AID): track it as the current DF. No card I/O. */
ukey_rv ftcos_now_in_df(ftcos_ctx *c, const uint8_t *path, size_t len);

/* READ BINARY of the current EF in max_read chunks. *got = bytes read (a
 * short answer from the card ends the read). */
ukey_rv ftcos_read_binary(ftcos_ctx *c, size_t off, uint8_t *buf, size_t len,
			  size_t *got);
ukey_rv ftcos_update_binary(ftcos_ctx *c, size_t off, const uint8_t *buf,
			    size_t len);

ukey_rv ftcos_get_challenge(ftcos_ctx *c, uint8_t *buf, size_t len);
ukey_rv ftcos_serial(ftcos_ctx *c, uint8_t out[8]);

/* PINs. ref: FTCOS_PIN_USER / FTCOS_PIN_SO. */
ukey_rv ftcos_verify(ftcos_ctx *c, uint8_t ref, const uint8_t *pin, size_t len,
		     int *tries_left);
ukey_rv ftcos_change_pin(ftcos_ctx *c, uint8_t ref, const uint8_t *oldp,
			 size_t oldlen, const uint8_t *newp, size_t newlen);
/* Write a PIN record (WRITE KEY usage 0B), e.g. after VERIFY of the PUK. */
ukey_rv ftcos_set_pin(ftcos_ctx *c, uint8_t ref, const uint8_t *pin, size_t len);

/* Secure-messaging admin commands (ftcos_sm.c). */
ukey_rv ftcos_sm_mac_cmd(ftcos_ctx *c, uint8_t ins, uint8_t p1, uint8_t p2,
			 const uint8_t *data, size_t len, const uint8_t *key,
			 size_t keylen);
ukey_rv ftcos_write_key(ftcos_ctx *c, uint8_t usage, uint8_t kid,
			const uint8_t *data, size_t len);
ukey_rv ftcos_erase_card(ftcos_ctx *c);
ukey_rv ftcos_create_mf(ftcos_ctx *c, const uint8_t aid16[16]);
ukey_rv ftcos_create_df(ftcos_ctx *c, uint16_t fid, uint8_t file_count,
			uint16_t key_file_size, const uint8_t *aid, size_t aid_len);
ukey_rv ftcos_create_ef(ftcos_ctx *c, uint16_t fid, uint16_t size,
			uint16_t attr, uint8_t read_ac, uint8_t update_ac);
ukey_rv ftcos_install_key(ftcos_ctx *c, uint8_t kid, const uint8_t *rec,
			  size_t len);

/* RSA (ftcos_key.c). kid 1..9 in the current DF. */
ukey_rv ftcos_rsa_raw(ftcos_ctx *c, uint8_t kid, const uint8_t *in,
		      size_t inlen, uint8_t *out, size_t *outlen);
ukey_rv ftcos_generate_rsa(ftcos_ctx *c, uint8_t kid, unsigned bits);
/* Read the public key of kid: big-endian n and e (malloc'd). */
ukey_rv ftcos_read_pubkey(ftcos_ctx *c, uint8_t kid, uint8_t **n,
			  size_t *nlen, uint8_t **e, size_t *elen);
/* Import an RSA key pair into kid (CRT when p..qinv given and bits == 2048,
 * else E,D through WRITE KEY). Big-endian inputs. */
ukey_rv ftcos_import_rsa(ftcos_ctx *c, uint8_t kid, unsigned bits,
			 const ukey_rsa_material *m);

/* The card file system layouts see (ftcos_cardfs.c): FTCOS's table over c,
 * which must outlive fs. */
void ftcos_cardfs(ftcos_ctx *c, ukey_cardfs *fs);

/* C_InitToken (ftcos_p15init.c): erase the card and create the PKCS#15
 * structure of OpenSC's entersafe profile with SO PIN (the PUK) so_pin;
 * serial goes into TokenInfo. The card is left with nothing selected
 * that the caller may rely on: bind again. */
ukey_rv ftcos_p15_init_token(ftcos_ctx *c, const uint8_t *so_pin, size_t so_len,
			     const char *label, const uint8_t *serial,
			     size_t serial_len);

#endif /* UKEY_FTCOS_H */
