/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/epass2003/epass2003.h — the Feitian ePass2003 card-OS command set
 * (internal to drivers/). Layouts reach it through epass2003_cardfs_ops
 * (cardfs.h); a driver table may call the functions below directly.
 *
 * The public description of this dialect is OpenSC's card-epass2003.c (with
 * pkcs15-epass2003.c and epass2003.profile); this is an independent
 * implementation of the facts found there:
 *
 *  - GET DATA 00 CA 01 86 (plain) tells the secure messaging: tag 80 = 01
 *    AES else 3DES; tag 84 = 00 no SM; tags 80 = 01 and 87 = 01 FIPS.
 *  - Mutual authentication (GlobalPlatform SCP01-like; SCP03-like KDF on
 *    FIPS models): INITIALIZE UPDATE 80 50 00 00 08 <host random> (Le 1C,
 *    FIPS 1D), session keys from the card's and the host's randoms, card
 *    cryptogram checked, EXTERNAL AUTHENTICATE 84 82 03 00 10 <host
 *    cryptogram> <MAC>; that MAC starts the MAC chaining value (ICV).
 *  - Every later command: CLA |= 0C, data ISO-padded and CBC-encrypted
 *    (IV 0) in 87 L 01 <cipher>, Le in 97, MAC over the padded header and
 *    the TLVs in 8E 08, the ICV incremented first. Answers: [87] 99 02 SW
 *    8E 08 MAC (MAC over what precedes 8E, with the same ICV).
 *  - PIN = EXTERNAL AUTHENTICATE 00 82 01 (80|kid) of GET CHALLENGE's
 *    random under 3DES key SHA-1(PIN) || BE32(len); tries left from the
 *    same command without data (63Cx); new PIN by 80 E5 04 kid.
 *  - RSA: MSE SET 00 22 41 B8 (80 01 84 81 02 <key FID>) + PSO DECIPHER
 *    00 2A 80 86 (raw); hash on card: MSE 00 22 41 B6 (80 01 82 81 02 FID),
 *    PSO HASH 00 2A 90 A0 with a SHA-256 midstate, PSO CDS 00 2A 9E 9A;
 *    GENERATE 00 46 00 00 07, public key 80 B4 02 00 02, import 80 E7.
 *
 * Every answer of the card is checked (lengths, TLVs, MAC before
 * decryption, padding) and refused with UKEY_E_MALFORMED / UKEY_E_SW_SM.
 */
#ifndef UKEY_EPASS2003_H
#define UKEY_EPASS2003_H

#include <stddef.h>
#include <stdint.h>

#include "apdu.h"
#include "cardfs.h"
#include "driver.h"
#include "profile.h"

#define EPASS2003_MAX_DEPTH   4      /* MF + 3 levels */
#define EPASS2003_READ_MAX    0xD8   /* OpenSC's max_recv_size for the card */
#define EPASS2003_UPDATE_MAX  0xE8   /* OpenSC's max_send_size */
#define EPASS2003_SM_MAX_DATA 1024   /* largest plain command data we wrap */
#define EPASS2003_RSP_MAX     1024   /* largest plain answer we unwrap */
#define EPASS2003_PIN_MAX     16

/* The OpenSC defaults for the SM keys (KEY_ENC = KEY_MAC = 01 02 .. 10):
 * g_init_key_enc / g_init_key_mac in OpenSC's src/libopensc/card-epass2003.c
 * (public, LGPL). The profile overrides them (sm_key_enc, sm_key_mac). */
extern const uint8_t epass2003_default_sm_key[16];

typedef enum {
	EPASS2003_SM_PLAIN = 0, /* no secure messaging (tag 84 = 00) */
	EPASS2003_SM_DES,       /* 2-key 3DES, retail MAC (ISO 9797-1 alg. 3) */
	EPASS2003_SM_AES,       /* AES-128, ECB key derivation, CBC-MAC */
	EPASS2003_SM_FIPS       /* AES-128, CMAC, SCP03-style key derivation */
} epass2003_sm_kind;

/* Access-condition bytes of FCP tag 86 (OpenSC's cardctl.h). */
#define EPASS2003_AC_EVERYONE   0x00
#define EPASS2003_AC_USER       0x06
#define EPASS2003_AC_SO         0x08
#define EPASS2003_AC_NOONE      0x0F
#define EPASS2003_AC_MAC_NOLESS 0x90
/* Index of an operation in the 8 AC bytes. */
#define EPASS2003_ACI_READ   0  /* DF: list files */
#define EPASS2003_ACI_UPDATE 1  /* DF: create */
#define EPASS2003_ACI_WRITE  2  /* key files: crypto */
#define EPASS2003_ACI_DELETE 3

/* File types (FCP tag 82, first byte). */
#define EPASS2003_FT_DF      0x38
#define EPASS2003_FT_EF      0x01  /* transparent */
#define EPASS2003_FT_LINEAR  0x02  /* linear fixed */
#define EPASS2003_FT_BSO     0x10
#define EPASS2003_FT_RSA_PRV 0x11  /* internal EF: RSA private (CRT) key */
#define EPASS2003_FT_RSA_PUB 0x12  /* internal EF: RSA public key */

/* Flags of epass2003_transmit. */
#define EPASS2003_TX_PLAIN 0x01u /* never wrap (mutual auth, GET DATA 86) */
#define EPASS2003_TX_BIG   0x02u /* answer may exceed 256 bytes once wrapped:
				   * extended Le when the channel allows */

typedef struct {
	uint16_t fid;        /* tag 83 (0 if absent) */
	uint8_t type;        /* tag 82 byte 1 (EPASS2003_FT_*), 0 if absent */
	int is_df;
	size_t size;         /* tag 80 (or 81; key files: 85), 0 if absent */
	size_t record_len;   /* linear EFs: tag 82 bytes 3-4 */
	unsigned records;    /* linear EFs: tag 82 byte 5 */
	uint8_t name[16];    /* tag 84 */
	size_t name_len;
	uint8_t ac[8];       /* tag 86 (FF: unused), ac_len 0 if absent */
	size_t ac_len;
} epass2003_fci;

/* Host randomness (the mutual authentication's host challenge); tests set
 * their own. Default: OpenSSL RAND_bytes. */
typedef ukey_rv (*epass2003_rng_fn)(void *arg, uint8_t *buf, size_t len);

typedef struct {
	ukey_chan *ch;

	/* From the profile. */
	int sm_cfg;                    /* -1: as GET DATA says, else a kind */
	uint8_t key_enc[16], key_mac[16];
	size_t max_read, max_update;
	size_t challenge_len;          /* GET CHALLENGE Le before a PIN check */
	int fid_hook;                  /* OpenSC's FID * 0x20 for 29xx, 30..34xx */
	uint8_t user_kid, so_kid;      /* PIN key ids: 1, 2 */
	uint8_t alg_raw, alg_sha256;   /* MSE algorithm refs: 84, 82 */
	unsigned pin_max_default;      /* when there is no MAXPIN file */
	uint8_t maxpin_path[2 * (EPASS2003_MAX_DEPTH + 1)];
	size_t maxpin_path_len;        /* 0: no MAXPIN file */

	/* What GET DATA 86 said. */
	int info_known;
	epass2003_sm_kind sm;

	/* Secure-messaging session (wiped when closed). */
	int sm_open;
	/* A PIN was verified in this session: the card drops it with the
	 * session, so losing the session to another application means the
	 * login is gone (epass2003_transmit answers UKEY_E_CARD_RESET). */
	int pin_ok;
	uint8_t sk_enc[16], sk_mac[16];
	uint8_t icv[16];               /* 8 bytes used with 3DES */

	/* What the card has selected. */
	int df_known;
	uint16_t df_path[EPASS2003_MAX_DEPTH];
	size_t df_depth;               /* 1 = MF */
	uint16_t ef;                   /* current EF in that DF, 0 = none */
	size_t ef_size;
	uint8_t ef_type;

	/* MAXPIN file, once read: [0] user, [1] SO maximum tries. */
	int maxpin_known;
	uint8_t maxpin[2];

	epass2003_rng_fn rng;
	void *rng_arg;
} epass2003_ctx;

/* ------------------------------------------------------------ context */

/* Set up from the profile (keys, chunk sizes, key ids); no card I/O. */
ukey_rv epass2003_ctx_init(epass2003_ctx *c, ukey_chan *ch,
			   const ukey_profile *prof);
/* The card was reset (or we lost track): nothing selected, SM session
 * closed; the next command authenticates again. No card I/O. */
void epass2003_forget(epass2003_ctx *c);
/* Wipe everything (session keys, profile keys). */
void epass2003_ctx_wipe(epass2003_ctx *c);

/* ---------------------------------------------- secure messaging (sm.c) */

/* GET DATA 00 CA 01 86 in plain: which SM the card runs (unless the
 * profile forces one). Called by the first command if not before. */
ukey_rv epass2003_get_info(epass2003_ctx *c);
/* Parse a GET DATA 86 answer into a kind. */
ukey_rv epass2003_parse_info(const uint8_t *p, size_t len,
			     epass2003_sm_kind *kind);
/* Mutual authentication: opens a new SM session (keys, ICV). */
ukey_rv epass2003_sm_open(epass2003_ctx *c);
/* Drop the session (keys wiped); the next command authenticates again. */
void epass2003_sm_close(epass2003_ctx *c);
/* Wrap a plain command for the open session: out points into buf (the
 * wrapped data field); increments the ICV. */
ukey_rv epass2003_sm_wrap(epass2003_ctx *c, const ukey_apdu *plain,
			  unsigned flags, uint8_t *buf, size_t cap,
			  ukey_apdu *out);
/* Check and unwrap an answer (data rsp[0..len), status word sw) of the
 * open session: MAC first, then decryption and padding. *authentic = 0 for
 * a bare error status word without SM objects (plain_sw = sw, no data):
 * the card refused before SM could answer. */
ukey_rv epass2003_sm_unwrap(epass2003_ctx *c, const uint8_t *rsp, size_t len,
			    uint16_t sw, uint8_t *out, size_t cap,
			    size_t *outlen, uint16_t *plain_sw, int *authentic);
/* One command: under SM when the card runs it (authenticating first when
 * no session is open; once more after a bare 6985/6987/6988), else plain.
 * *sw is the card's (unwrapped) status word; the caller maps it. */
ukey_rv epass2003_transmit(epass2003_ctx *c, const ukey_apdu *a,
			   unsigned flags, uint8_t *rsp, size_t cap,
			   size_t *rlen, uint16_t *sw);
/* Same, status word 9000 required (else mapped to ukey_rv). */
ukey_rv epass2003_transmit_ok(epass2003_ctx *c, const ukey_apdu *a,
			      unsigned flags, uint8_t *rsp, size_t cap,
			      size_t *rlen);
/* Map a status word of this card OS (9000 => UKEY_OK). */
ukey_rv epass2003_sw_err(uint16_t sw);

/* ---------------------------------------------------- files (cmd.c) */

ukey_rv epass2003_parse_fci(const uint8_t *p, size_t len, epass2003_fci *out);
/* FCP (62 template) of CREATE FILE for spec (DF: name required). */
ukey_rv epass2003_build_fcp(const epass2003_fci *spec, uint8_t *out,
			    size_t cap, size_t *len);
/* OpenSC's FID hook: the card takes the low 5 bits of a FID as its SFI and
 * refuses two equal SFIs in a DF, so FIDs 29xx, 30xx..34xx of OpenSC's
 * layout are stored as xx * 0x20. Identity when fid_hook is off. */
uint16_t epass2003_hook_fid(const epass2003_ctx *c, uint16_t fid);
uint16_t epass2003_unhook_fid(const epass2003_ctx *c, uint16_t fid);

/* SELECT by FID in the current DF (card FIDs, no hook), FCI asked for. */
ukey_rv epass2003_select_fid(epass2003_ctx *c, uint16_t fid, epass2003_fci *fci);
/* Select an absolute path of card FIDs (first 3F00), only what is needed.
 * fci may be NULL. */
ukey_rv epass2003_select_path(epass2003_ctx *c, const uint8_t *path,
			      size_t len, epass2003_fci *fci);
ukey_rv epass2003_select_aid(epass2003_ctx *c, const uint8_t *aid, size_t len,
			     epass2003_fci *fci);
/* Take the DF at path (card FIDs, first 3F00) as the current DF, as after
 * a SELECT by name that found it there. No card I/O. */
ukey_rv epass2003_assume_df(epass2003_ctx *c, const uint8_t *path, size_t len);
ukey_rv epass2003_read_binary(epass2003_ctx *c, size_t off, uint8_t *buf,
			      size_t len, size_t *got);
ukey_rv epass2003_update_binary(epass2003_ctx *c, size_t off,
				const uint8_t *buf, size_t len);
/* READ RECORD n (1-based) of the current EF. */
ukey_rv epass2003_read_record(epass2003_ctx *c, unsigned n, uint8_t *buf,
			      size_t len, size_t *got);
/* CREATE FILE in the current DF; the new file becomes current. A DF
 * 3F00 is the MF (on a card without one): it becomes the current DF. */
ukey_rv epass2003_create_file(epass2003_ctx *c, const epass2003_fci *spec);
/* DELETE FILE fid (card FID) of the current DF. */
ukey_rv epass2003_delete_fid(epass2003_ctx *c, uint16_t fid);
ukey_rv epass2003_get_challenge(epass2003_ctx *c, uint8_t *buf, size_t len);
/* GET DATA 00 CA 01 80: the 8-byte serial number. */
ukey_rv epass2003_serial(epass2003_ctx *c, uint8_t out[8]);

/* ------------------------------------------------------- PINs (pin.c) */

/* The 24-byte PIN secret: SHA-1(pin) || BE32(len). */
ukey_rv epass2003_pin_secret(const uint8_t *pin, size_t len, uint8_t out[24]);
/* Tries left of PIN kid (63Cx of an EXTERNAL AUTHENTICATE without data);
 * 0 and UKEY_OK when the card says blocked (6983). */
ukey_rv epass2003_pin_tries(epass2003_ctx *c, uint8_t kid, int *tries_left);
/* Verify: wrong => UKEY_E_SW_WRONG_PIN (*tries_left set, or -1); blocked
 * => UKEY_E_SW_PIN_BLOCKED. tries_left may be NULL. */
ukey_rv epass2003_verify_pin(epass2003_ctx *c, uint8_t kid, const uint8_t *pin,
			     size_t len, int *tries_left);
/* Maximum tries of PIN kid: MAXPIN file, else the profile's default. */
ukey_rv epass2003_pin_max_tries(epass2003_ctx *c, uint8_t kid, unsigned *max);
/* UPDATE SECRET KEY 80 E5 04 kid: new PIN, counter back to its maximum
 * (needs the PIN's modify condition, e.g. the PIN itself or the SO). */
ukey_rv epass2003_set_pin(epass2003_ctx *c, uint8_t kid, const uint8_t *pin,
			  size_t len);
/* INSTALL SECRET KEY 80 E3 00 00 of a PIN record in the current DF:
 * hdr = type (04) kid use change unblock b5 b6 grant FF EC, then the PIN
 * secret (SHA-1(pin) || BE32(len)). */
ukey_rv epass2003_install_pin(epass2003_ctx *c, const uint8_t hdr[10],
			      const uint8_t *pin, size_t len);
/* Verify the old PIN, then set the new one. */
ukey_rv epass2003_change_pin(epass2003_ctx *c, uint8_t kid,
			     const uint8_t *oldp, size_t oldlen,
			     const uint8_t *newp, size_t newlen);
/* Verify the SO PIN (PUK), then set the user PIN (counter reset). */
ukey_rv epass2003_unblock_pin(epass2003_ctx *c, const uint8_t *puk,
			      size_t puklen, const uint8_t *newp, size_t newlen);
/* Drop every verified PIN: a new SM session (as OpenSC's logout). */
ukey_rv epass2003_logout(epass2003_ctx *c);

/* --------------------------------------------------------- keys (key.c) */

/* Key reference of the cardfs ops and of layouts: 0..0xFF is an OpenSC
 * PKCS#15 key reference k (private key EF 2900 + 0x20 k, public 3000 +
 * 0x20 k); 0x100..0xFFFF is a private-key FID itself (ESPK handles A0xx,
 * public key 80xx). */
ukey_rv epass2003_key_fids(unsigned key, uint16_t *prv, uint16_t *pub);
/* MSE SET 00 22 41 p2 with 80 01 alg 81 02 fid. */
ukey_rv epass2003_mse(epass2003_ctx *c, uint8_t p2, uint8_t alg, uint16_t fid);
/* Raw RSA with the private key prv_fid (MSE B8 + PSO 2A 80 86): in and out
 * modulus-length (64..256 bytes); *outlen = inlen. */
ukey_rv epass2003_rsa_raw(epass2003_ctx *c, uint16_t prv_fid,
			  const uint8_t *in, size_t inlen, uint8_t *out,
			  size_t *outlen);
/* The PSO HASH data from a midstate the host computed: 81 04 <nblocks,
 * BE32> 90 20 <state (H0..H7) after those nblocks full 64-byte blocks,
 * nblocks < 2^32> 80 n <the n = tail_len < 64 remaining bytes>. */
ukey_rv epass2003_state_tlv(const uint8_t state[32], uint64_t nblocks,
			    const uint8_t *tail, size_t tail_len, uint8_t *out,
			    size_t cap, size_t *outlen);
ukey_rv epass2003_pso_hash(epass2003_ctx *c, const uint8_t *tlv, size_t len);
/* PSO COMPUTE DIGITAL SIGNATURE: exactly siglen bytes expected. */
ukey_rv epass2003_pso_cds(epass2003_ctx *c, uint8_t *out, size_t siglen);
/* SHA-256 + PKCS#1 v1.5 signature finished by the card from the host's
 * midstate (the driver's sign_sha256_state): MSE B6 (alg 82), PSO HASH
 * with epass2003_state_tlv's TLV, PSO CDS; siglen = modulus length. */
ukey_rv epass2003_sign_sha256_state(epass2003_ctx *c, uint16_t prv_fid,
				    const uint8_t state[32], uint64_t nblocks,
				    const uint8_t *tail, size_t tail_len,
				    uint8_t *out, size_t siglen);
/* Create the two key EFs (internal EFs 11/12, size = bits) in the current
 * DF, use and update after the user PIN. */
ukey_rv epass2003_create_key_files(epass2003_ctx *c, uint16_t prv_fid,
				   uint16_t pub_fid, unsigned bits);
/* GENERATE KEY PAIR 00 46 00 00 07 01 <bits> <prv> <pub>; the files exist. */
ukey_rv epass2003_generate_rsa(epass2003_ctx *c, uint16_t prv_fid,
			       uint16_t pub_fid, unsigned bits);
/* 80 B4 02 00 02 <pub>: the modulus (the card gives no exponent: e is
 * 65537, as OpenSC assumes). bits 0: whatever length the card answers
 * (512..2048 bits). n, e malloc'd big-endian. */
ukey_rv epass2003_read_pubkey(epass2003_ctx *c, uint16_t pub_fid,
			      unsigned bits, uint8_t **n, size_t *nlen,
			      uint8_t **e, size_t *elen);
/* Import n and d into the private key EF prv_fid (80 E7 02 / 03). */
ukey_rv epass2003_import_rsa(epass2003_ctx *c, uint16_t prv_fid,
			     const ukey_rsa_material *m);

/* C_InitToken (epass2003_p15init.c): erase the card (DELETE 3F00) and
 * create the PKCS#15 application OpenSC's pkcs15-init -C writes with its
 * epass2003 profile, the SO PIN as the PUK (kid 2), the user PIN record
 * (kid 1) not yet set (C_InitPIN). */
ukey_rv epass2003_p15_init_token(epass2003_ctx *c, const uint8_t *so_pin,
				 size_t so_len, const char *label,
				 const uint8_t *serial, size_t serial_len);

/* The card file system for layouts (epass2003_fs.c); os = epass2003_ctx *. */
extern const ukey_cardfs_ops epass2003_cardfs_ops;

#endif /* UKEY_EPASS2003_H */
