/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/gmt0017/ — Watchdata WatchKey / ProxKey tokens through the
 * GM/T 0017 (SKF over APDU) command model, as written down in
 * docs/watchdata-wire.md. Every wire number (CLA, INS, P1/P2, chunk sizes,
 * keys, names) comes from the vendor profile; the values below are only
 * the defaults when a profile leaves a key out.
 *
 * This driver is an independent reading of
 * /work/shared/reference/watchdata-gmt0017.md and the wire document: it
 * shares no code with the virtual token (tests/vtoken) nor with ftcos/.
 */
#ifndef UKEY_GMT0017_H
#define UKEY_GMT0017_H

#include <stddef.h>
#include <stdint.h>

#include "driver.h"

/* PIN cryptogram layouts (profile key pin_cryptogram). */
typedef enum {
	/* docs/watchdata-wire.md: key = SHA-1(PIN)[0..15], block =
	 * challenge(8) || 80 00*7 ("challenge-pad80") */
	GM_PINCRYPT_PAD80 = 0,
	/* the published Longmai GM3000 block: key = SHA-1(PIN NUL-padded to
	 * at least 16 bytes)[0..15], block = LE16(8) || challenge(8) ||
	 * 80 00*5 ("gm3000") */
	GM_PINCRYPT_GM3000 = 1
} gm_pincrypt;

typedef struct {
	uint8_t cla, cla_secure, cla_iso;
	uint8_t ins_set_label, ins_get_dev_info, ins_dev_auth, ins_get_pin_info,
		ins_change_pin, ins_verify_pin, ins_unblock_pin,
		ins_clear_secure_state, ins_create_app, ins_enum_app,
		ins_delete_app, ins_open_app, ins_close_app,
		ins_create_container, ins_open_container, ins_enum_container,
		ins_delete_container, ins_get_container_info, ins_import_cert,
		ins_export_cert, ins_gen_random, ins_gen_rsa_key_pair,
		ins_rsa_sign_data, ins_export_public_key;
	uint8_t pin_type_admin, pin_type_user, slot_sign, slot_enc;
	uint8_t chain_more_flag;
	size_t max_cert_chunk, max_sign_chunk, max_cert_len;
	size_t max_app_name, max_container_name;
	size_t challenge_len, pin_block_len;
	size_t devinfo_len, pubkey_blob_len;
	unsigned pin_retries;
	uint8_t dev_auth_key[16];
	gm_pincrypt pincrypt;
	int rsa_sign_raw;       /* rsa_sign = raw (docs/watchdata-wire.md) or
				 * pkcs1 (the card pads: DigestInfo is sent) */
	char app_name[33];      /* "" => the only application on the token */
	char container_name[65];/* name prefix of containers ukey creates */
} gm_cfg;

/* Fill cfg from the profile (defaults = the wire document). */
ukey_rv gm_cfg_load(gm_cfg *cfg, const ukey_profile *p);

/* Key roles inside a container; also the CKA_ID's last byte. */
enum { GM_ROLE_SIGN = 1, GM_ROLE_ENC = 2 };
/* Container types of GetContainerInfo. */
enum { GM_CT_EMPTY = 0, GM_CT_RSA = 1, GM_CT_ECC = 2 };

typedef struct {
	char name[65];
	size_t name_len;
	uint8_t hash[20];        /* SHA-1(name): stable reference */
	uint8_t xid[31];         /* CKA_ID a name "<label>#<hex>" carries */
	size_t xid_len;          /* 0: CKA_ID = SHA-1(name)[0..7] || role */
	size_t label_len;        /* CKA_LABEL = name[0..label_len) */
	int cid_valid;
	uint8_t cid[2];
	int info_valid;
	uint8_t type;            /* GM_CT_* */
	unsigned bits[3];        /* by role (index GM_ROLE_*) */
	size_t cert_len[3];
	uint8_t *pub[3];         /* public key blob by role (NULL: not read) */
	size_t pub_len[3];
} gm_cont;

typedef struct {
	gm_cfg cfg;
	ukey_chan *ch;
	char app[33];
	int app_known;           /* app[] names an application */
	int app_open;
	uint8_t appid[2];
	gm_cont *cont;
	size_t ncont;
	int dir_valid;           /* container list read */
	int pin_cached[2];       /* GetPINInfo read at bind (0 user, 1 admin) */
	unsigned pin_cache[2][3];/* MaxRetry Remaining DefaultPIN */
	int admin_key_valid;     /* Kpin(admin) kept for C_InitPIN */
	uint8_t admin_key[16];
} gm_ctx;

/* ---- gmt0017_cmd.c: commands ---- */

/* One command; resp may be NULL (rcap 0). Data answers go to resp, their length to rlen.
 * sensitive: the data carries a PIN cryptogram or block (trace redacts). */
ukey_rv gm_cmd(gm_ctx *c, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2,
	       const uint8_t *data, size_t lc, size_t le, int sensitive,
	       uint8_t *resp, size_t rcap, size_t *rlen, uint16_t *sw);

ukey_rv gm_get_devinfo(gm_ctx *c, uint8_t *buf, size_t cap, size_t *len);
ukey_rv gm_gen_random(gm_ctx *c, uint8_t *out, size_t len);
ukey_rv gm_dev_auth(gm_ctx *c);
ukey_rv gm_open_app(gm_ctx *c);      /* opens c->app, sets appid */
ukey_rv gm_enum_names(gm_ctx *c, uint8_t ins, int with_app,
		      char names[][65], size_t max, size_t *n);
ukey_rv gm_ensure_app(gm_ctx *c);
ukey_rv gm_ensure_cid(gm_ctx *c, gm_cont *k);
ukey_rv gm_container_info(gm_ctx *c, gm_cont *k);
ukey_rv gm_export_pubkey(gm_ctx *c, gm_cont *k, int role);
ukey_rv gm_export_cert(gm_ctx *c, gm_cont *k, int role, uint8_t **der,
		       size_t *len);
ukey_rv gm_import_cert(gm_ctx *c, gm_cont *k, int role, const uint8_t *der,
		       size_t len);
ukey_rv gm_rsa_sign(gm_ctx *c, gm_cont *k, const uint8_t *in, size_t inlen,
		    uint8_t *out, size_t *outlen);
ukey_rv gm_create_container(gm_ctx *c, gm_cont *k);
ukey_rv gm_delete_container(gm_ctx *c, const gm_cont *k);
ukey_rv gm_gen_rsa(gm_ctx *c, gm_cont *k, unsigned bits);

/* PINs (pin_type = cfg.pin_type_*) */
ukey_rv gm_pin_info(gm_ctx *c, uint8_t pin_type, unsigned *max,
		    unsigned *left, unsigned *deflt);
void gm_pin_key(const gm_cfg *cfg, const uint8_t *pin, size_t len,
		uint8_t key[16]);
ukey_rv gm_pin_cryptogram(const gm_cfg *cfg, const uint8_t key[16],
			  const uint8_t *chal, size_t chal_len,
			  uint8_t out[16]);
ukey_rv gm_new_pin_block(const gm_cfg *cfg, const uint8_t key[16],
			 const uint8_t *pin, size_t len, uint8_t *out);
ukey_rv gm_verify(gm_ctx *c, uint8_t pin_type, const uint8_t key[16],
		  int *tries_left);
ukey_rv gm_change(gm_ctx *c, uint8_t pin_type, const uint8_t oldkey[16],
		  const uint8_t *newpin, size_t newlen, int *tries_left);
ukey_rv gm_unblock(gm_ctx *c, const uint8_t adminkey[16],
		   const uint8_t *newpin, size_t newlen, int *tries_left);
ukey_rv gm_clear_state(gm_ctx *c);
/* C_InitToken: DevAuth, DeleteApplication (if one exists), then
 * CreateApplication with the admin PIN and a user PIN (both in new-PIN
 * blocks under the device key), SetLabel. */
ukey_rv gm_create_app(gm_ctx *c, const char *name, const uint8_t *so_pin,
		      size_t so_len, const uint8_t *user_pin, size_t user_len);
ukey_rv gm_delete_app(gm_ctx *c, const char *name);
ukey_rv gm_set_label(gm_ctx *c, const char *label);

#endif
