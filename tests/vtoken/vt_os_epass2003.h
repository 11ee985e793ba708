/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Feitian ePass2003 card OS emulation — internal interfaces between the
 * vt_os_epass2003*.c files. Written from public facts only (OpenSC's
 * card-epass2003.c / pkcs15-epass2003.c / epass2003.profile as the public
 * description of the dialect, /work/shared/reference/epass2003-espk.md for
 * the vendor layout and its signing sequence). The wire rules, and every
 * choice made where the facts are silent, are in docs/epass2003-wire.md.
 *
 * Global names carry the prefix vte_ (independence rule: nothing here is
 * shared with, or named like, a driver).
 */
#ifndef VT_OS_EPASS2003_H
#define VT_OS_EPASS2003_H

#include <stddef.h>
#include <stdint.h>

#include "vtoken.h"

#define VTE_MAX_FILES 256
#define VTE_MAX_KEYS 64          /* secret key records (PINs, SM keys) */
#define VTE_MAX_RECS 16          /* records of a linear EF */
#define VTE_MEM_LIMIT (64u * 1024u) /* EF bytes a card holds (64 KB EEPROM) */
#define VTE_NONE 0xFFFFu
#define VTE_RSA_MAX 256          /* bytes of a 2048-bit modulus */

/* Secure-messaging models (what GET DATA 86 announces). */
enum { VTE_MODEL_DES = 0, VTE_MODEL_AES = 1, VTE_MODEL_FIPS = 2 };

/* File types: first byte of FCP tag 82. */
#define VTE_FT_DF 0x38
#define VTE_FT_EF 0x01           /* transparent */
#define VTE_FT_LINEAR_FIXED 0x02
#define VTE_FT_LINEAR_VAR 0x04
#define VTE_FT_BSO 0x10
#define VTE_FT_RSA_PRIV 0x11
#define VTE_FT_RSA_PUB 0x12

/* Access-condition bytes (tag 86): high nibble = secure-messaging and
 * comparison rule, low nibble = security level (see vte_ac_ok). */
#define VTE_AC_FREE 0x90         /* SM, level >= 0 */
#define VTE_AC_USER 0x96         /* SM, level >= 6 */
#define VTE_AC_SO 0x98
#define VTE_AC_NEVER 0xFF
#define VTE_AC_PLAIN_FREE 0x00   /* no SM needed, everyone */
#define VTE_LEVEL_USER 0x06
#define VTE_LEVEL_SO 0x08
#define VTE_LEVEL_ALL 0x0F

/* Secret key record types (INSTALL SECRET KEY 80 E3, data[0]). */
#define VTE_KT_SM_ENC 0x01
#define VTE_KT_SM_MAC 0x02
#define VTE_KT_PIN_KEY 0x04      /* 24-byte 3DES key = SHA-1(PIN) || BE32(len) */
#define VTE_KT_PIN_PLAIN 0x06    /* 16-byte zero-padded PIN (VERIFY) */

typedef struct {
	uint8_t *v;              /* big-endian magnitude, malloc'd */
	size_t len;
} vte_bn;

typedef struct {
	uint8_t used;
	uint8_t type;            /* VTE_FT_* */
	uint16_t fid;
	uint16_t parent;         /* index; VTE_NONE for the MF */
	uint8_t name[16], namelen;        /* DF name (tag 84) */
	uint8_t acl[8];                   /* tag 86 */
	uint8_t prop[8], proplen;         /* tag 85 as created */
	uint8_t t87[2], has87;            /* tag 87 (public key files) */
	uint16_t size;           /* transparent EF: bytes */
	uint8_t *data;           /* transparent EF: size bytes */
	/* linear EF */
	uint16_t rec_size;       /* maximum record length */
	uint8_t nrec;
	uint8_t *rec[VTE_MAX_RECS];
	uint8_t rec_len[VTE_MAX_RECS];
	/* key files (VTE_FT_RSA_*): material, big-endian */
	uint16_t bits;           /* from tag 85 (e.g. 04 00 = 1024, 08 00 = 2048) */
	vte_bn n, e, d;
} vte_file;

typedef struct {
	uint8_t used;
	uint16_t df;             /* owning DF (file index) */
	uint8_t hdr[10];         /* type kid use_ac modify_ac b4 b5 b6 grant FF EC */
	uint8_t ec;              /* high nibble max tries, low nibble left */
	uint8_t val[32];
	uint8_t vlen;
} vte_key;

#define VTE_KTYPE(k) ((k)->hdr[0])
#define VTE_KID(k) ((k)->hdr[1])
#define VTE_USE_AC(k) ((k)->hdr[2])
#define VTE_MODIFY_AC(k) ((k)->hdr[3])
#define VTE_GRANT(k) ((k)->hdr[7])

typedef struct {
	/* persistent */
	uint8_t model;           /* VTE_MODEL_* */
	uint8_t serial[8];
	uint8_t sm_kenc[16], sm_kmac[16];  /* mutual-authentication keys */
	vte_file files[VTE_MAX_FILES];
	vte_key keys[VTE_MAX_KEYS];
	/* volatile */
	uint16_t cur_df, cur_ef;
	uint8_t level;           /* security level of the authentications made */
	int in_sm;               /* the command being processed came under SM */
	/* mutual authentication / SM session */
	int ma_pending;          /* 80 50 answered, 84 82 expected */
	uint8_t host_rand[8], card_rand[8];
	uint8_t sk_enc[16], sk_mac[16];
	int sm_on;
	uint8_t icv[16];
	/* GET CHALLENGE: good for the next command only */
	uint8_t chal[8];
	int chal_next, chal_live;
	/* MSE SET */
	int env_set;
	uint8_t env_p2, env_alg;
	uint16_t env_fid;
	/* PSO HASH result */
	int hash_set;
	uint8_t hash[32];
} vte_card;

/* A plain command APDU (after SM unwrapping). */
typedef struct {
	uint8_t cla, ins, p1, p2;
	const uint8_t *data;
	size_t lc;
	long le;                 /* -1 none */
} vte_cmd;

/* ---- vt_os_epass2003_crypto.c */
/* ECB over whole blocks: alg "DES-ECB" (8-byte key), "DES-EDE-ECB"
 * (16), "DES-EDE3-ECB" (24), "AES-128-ECB" (16). 0 ok. (vt_ecb of
 * vt_cipher.h, under the name the unit tests know.) */
int vte_ecb(const char *alg, const uint8_t *key, int enc, const uint8_t *in,
	    size_t len, uint8_t *out);
/* CBC built on vte_ecb; bs = 8 or 16; iv may be NULL (zero). */
int vte_cbc(const char *alg, size_t bs, const uint8_t *key, const uint8_t *iv,
	    int enc, const uint8_t *in, size_t len, uint8_t *out);
/* ISO 9797-1 algorithm 3 (retail MAC) with chaining value icv over a
 * message already padded to 8 bytes. */
int vte_mac_des(const uint8_t key[16], const uint8_t icv[8], const uint8_t *msg,
		size_t len, uint8_t out[8]);
/* AES CBC-MAC (last block) with chaining value icv, padded message. */
int vte_mac_aes(const uint8_t key[16], const uint8_t icv[16],
		const uint8_t *msg, size_t len, uint8_t out[16]);
/* AES-128 CMAC (RFC 4493) whose CBC chain starts at iv instead of zero
 * (iv NULL = plain CMAC); any message length. */
int vte_cmac(const uint8_t key[16], const uint8_t *iv, const uint8_t *msg,
	     size_t len, uint8_t out[16]);
/* The same one-block MAC with OpenSC 0.23's K2 (its BN_bn2bin quirk). */
int vte_cmac_opensc_case1(const uint8_t key[16], const uint8_t iv[16],
			  const uint8_t *msg, size_t len, uint8_t out[16]);
/* SHA-256 from a midstate: state after nblocks full 64-byte blocks (NULL =
 * the initial state), then tail (any length), finished. */
void vte_sha256_block(uint32_t st[8], const uint8_t blk[64]);
void vte_sha256_init(uint32_t st[8]);
void vte_sha256_finish(const uint32_t st[8], uint64_t nblocks,
		       const uint8_t *tail, size_t taillen, uint8_t out[32]);
/* The PIN key: SHA-1(pin) || BE32(len). */
int vte_pin_key(const uint8_t *pin, size_t len, uint8_t key[24]);
/* RSA private operation m^d mod n (big-endian, out has n->len bytes). */
int vte_rsa_raw(const vte_bn *n, const vte_bn *d, const uint8_t *in,
		size_t inlen, uint8_t *out);
int vte_bn_set(vte_bn *b, const uint8_t *v, size_t len);
void vte_bn_clear(vte_bn *b);

/* ---- vt_os_epass2003_sm.c */
size_t vte_init_update(vte_card *c, const vte_cmd *m, uint8_t *rsp);
size_t vte_ext_auth_sm(vte_card *c, const vte_cmd *m, uint8_t *rsp);
/* Unwrap an SM command (CLA x C). On success fills *m (data in buf) and
 * returns 0; else the status word to answer in plain. */
uint16_t vte_sm_unwrap(vte_card *c, const uint8_t *cmd, size_t len,
		       vte_cmd *m, uint8_t *buf, size_t bufcap);
/* Wrap a response (data || SW in rsp, n bytes) in place. Returns the new
 * length. */
size_t vte_sm_wrap(vte_card *c, uint8_t *rsp, size_t n);
/* Session key derivation and cryptograms, exposed for the unit tests'
 * host side cross-check. */
int vte_derive(int model, const uint8_t kenc[16], const uint8_t kmac[16],
	       const uint8_t host[8], const uint8_t card[8], uint8_t sk_enc[16],
	       uint8_t sk_mac[16]);
int vte_cryptogram(int model, const uint8_t sk_enc[16], const uint8_t first[8],
		   const uint8_t second[8], int host_side, uint8_t out[8]);
/* The MAC of a message (header block and TLVs, as both sides build it)
 * under the session's rules; msg is not padded. */
int vte_sm_mac(int model, const uint8_t sk_mac[16], const uint8_t icv[16],
	       const uint8_t *msg, size_t len, uint8_t out[8]);
void vte_icv_inc(int model, uint8_t icv[16]);
void vte_sm_drop(vte_card *c);

/* ---- vt_os_epass2003_fs.c */
size_t vte_select(vte_card *c, const vte_cmd *m, uint8_t *rsp);
size_t vte_read_binary(vte_card *c, const vte_cmd *m, uint8_t *rsp);
size_t vte_update_binary(vte_card *c, const vte_cmd *m, uint8_t *rsp,
			 int *dirty);
size_t vte_read_record(vte_card *c, const vte_cmd *m, uint8_t *rsp);
size_t vte_write_record(vte_card *c, const vte_cmd *m, uint8_t *rsp,
			int *dirty);
size_t vte_create(vte_card *c, const vte_cmd *m, uint8_t *rsp, int *dirty);
size_t vte_delete(vte_card *c, const vte_cmd *m, uint8_t *rsp, int *dirty);
size_t vte_list_files(vte_card *c, const vte_cmd *m, uint8_t *rsp);
int vte_find_child(const vte_card *c, uint16_t df, uint16_t fid);
int vte_new_file(vte_card *c, uint16_t parent, uint16_t fid, uint8_t type);
void vte_file_free(vte_file *f);
size_t vte_mem_used(const vte_card *c);
int vte_ac_ok(const vte_card *c, uint8_t ac);
/* Parse an FCP (62 L ...) into a fresh file under parent; -1 + *sw. */
int vte_fcp_create(vte_card *c, uint16_t parent, const uint8_t *fcp,
		   size_t len, uint16_t *sw);

/* ---- vt_os_epass2003_sec.c */
size_t vte_get_challenge(vte_card *c, const vte_cmd *m, uint8_t *rsp);
size_t vte_ext_auth_key(vte_card *c, const vte_cmd *m, uint8_t *rsp,
			int *dirty);
size_t vte_verify(vte_card *c, const vte_cmd *m, uint8_t *rsp, int *dirty);
size_t vte_install_key(vte_card *c, const vte_cmd *m, uint8_t *rsp,
		       int *dirty);
size_t vte_update_key(vte_card *c, const vte_cmd *m, uint8_t *rsp,
		      int *dirty);
/* Key record kid in the current DF or its ancestors (NULL: none). */
vte_key *vte_lookup_key(vte_card *c, uint8_t kid);
vte_key *vte_find_key(vte_card *c, uint16_t df, uint8_t kid);
vte_key *vte_add_key(vte_card *c, uint16_t df);
void vte_key_clear(vte_key *k);

/* ---- vt_os_epass2003_rsa.c */
size_t vte_mse(vte_card *c, const vte_cmd *m, uint8_t *rsp);
size_t vte_generate(vte_card *c, const vte_cmd *m, uint8_t *rsp, int *dirty);
size_t vte_read_pubkey(vte_card *c, const vte_cmd *m, uint8_t *rsp);
size_t vte_write_factor(vte_card *c, const vte_cmd *m, uint8_t *rsp,
			int *dirty);
size_t vte_pso(vte_card *c, const vte_cmd *m, uint8_t *rsp);
/* Fill a private and (if not NULL) a public key file from a fresh key.
 * 0 ok. vte_rsa_keygen also hands the key to *keep when keep is not NULL
 * (the caller frees it; left untouched on failure). */
int vte_rsa_generate(vte_file *priv, vte_file *pub, unsigned bits);
struct evp_pkey_st;
int vte_rsa_keygen(vte_file *priv, vte_file *pub, unsigned bits,
		   struct evp_pkey_st **keep);
/* Parse the PSO HASH midstate TLV into a finished SHA-256. 0 ok, else SW. */
uint16_t vte_hash_tlv(const uint8_t *data, size_t len, uint8_t out[32]);

/* ---- vt_os_epass2003_state.c */
vte_card *vte_card_new(void);
void vte_card_free(vte_card *c);
void vte_card_reset(vte_card *c);
void vte_card_wipe_fs(vte_card *c);
int vte_save(const vte_card *c, vt_buf *out);
vte_card *vte_load(const uint8_t *img, size_t len);
void vte_describe(vte_card *c, FILE *out);
extern const uint8_t vte_default_sm_key[16];
/* Model by ATR (the FIPS ATR => FIPS, else DES), names for --sm. */
int vte_model_from_atr(const uint8_t *atr, size_t len);
int vte_model_by_name(const char *name);
const char *vte_model_name(int model);

/* ---- vt_os_epass2003_perso.c, _espk.c */
int vte_perso(vte_card *c, const vt_init_params *p);
int vte_espk_perso(vte_card *c, const vt_init_params *p);
/* building blocks (file index, or -1 / NULL with a message on stderr) */
int vte_p_df(vte_card *c, int parent, uint16_t fid, const uint8_t *name,
	     size_t namelen, const uint8_t acl[8]);
int vte_p_ef(vte_card *c, int parent, uint16_t fid, size_t size,
	     const uint8_t acl[8], const uint8_t *content, size_t clen);
int vte_p_file(vte_card *c, int parent, uint16_t fid, uint8_t type,
	       const uint8_t acl[8]);
/* PIN record (type 04): hdr = 04 kid use modify 98 98 00 grant FF EC. */
vte_key *vte_p_pin(vte_card *c, int df, uint8_t kid, const char *pin,
		   uint8_t use_ac, uint8_t modify_ac, uint8_t grant,
		   uint8_t tries);
/* A fresh key pair in the private (and public) key file; *out keeps the
 * key for the certificate (caller frees). */
struct evp_pkey_st;
int vte_p_keypair(vte_file *priv, vte_file *pub, unsigned bits,
		  struct evp_pkey_st **out);
/* DER certificate for key (issued by --ca-cert/--ca-key, or self-signed):
 * vt_perso_cert with the ePass2003's default CN; *der is OPENSSL_malloc'd. */
int vte_p_cert(const vt_init_params *p, struct evp_pkey_st *key, uint8_t **der,
	       size_t *dlen);

#endif /* VT_OS_EPASS2003_H */
