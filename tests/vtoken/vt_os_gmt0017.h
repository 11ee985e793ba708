/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal interface of the Watchdata / GM/T 0017 virtual card OS
 * (vt_os_gmt0017*.c). Wire format: docs/watchdata-wire.md.
 */
#ifndef UKEY_VT_OS_GMT0017_H
#define UKEY_VT_OS_GMT0017_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "vtoken.h"

/* Limits (also reported by GetDevInfo / OpenApplication). */
#define GM_MAX_APPS        8
#define GM_MAX_CONTAINERS  8
#define GM_MAX_CERTS       (2 * GM_MAX_CONTAINERS)
#define GM_MAX_FILES       16
#define GM_APP_NAME_MAX    32
#define GM_FILE_NAME_MAX   32
#define GM_CONT_NAME_MAX   64
#define GM_LABEL_MAX       32
#define GM_SERIAL_MAX      32
#define GM_FILE_SIZE_MAX   32768u
#define GM_READ_MAX        4096u   /* largest ReadFile answer */
#define GM_CERT_MAX        4096u
#define GM_KEYDER_MAX      4096u   /* DER RSAPrivateKey (import, state) */
#define GM_STAGE_MAX       4096u   /* chained upload buffer */
#define GM_TOTAL_SPACE     (256u * 1024u)
#define GM_KEY_SPACE       1024u   /* space charged per stored key pair */
#define GM_PIN_MIN         6
#define GM_PIN_MAX         32
#define GM_PIN_BLOCK       48      /* encrypted new-PIN block */
#define GM_RETRY_DEFAULT   10
#define GM_RETRY_MAX       15      /* 63Cx can report at most 15 */
#define GM_DEVINFO_LEN     288
#define GM_PUBBLOB_LEN     (4 + 4 + 256 + 4)
#define GM_CHAL_LEN        8

/* SKF algorithm identifiers (GM/T 0006). */
#define GM_SGD_SM4_ECB 0x00000401u
#define GM_SGD_SM4_CBC 0x00000402u
#define GM_SGD_SM4_MAC 0x00000410u
#define GM_SGD_RSA     0x00010000u

/* Rights (SKF). */
#define GM_RIGHT_NEVER  0x00u
#define GM_RIGHT_ADMIN  0x01u
#define GM_RIGHT_USER   0x10u
#define GM_RIGHT_ANYONE 0xFFu

#define GM_PIN_ADMIN 0
#define GM_PIN_USER  1

/* Key/cert slots inside a container: index = P1 flag (1 sign, 0 enc). */
#define GM_SLOT_ENC  0
#define GM_SLOT_SIGN 1

/* Status words. */
#define GM_SW_OK            0x9000u
#define GM_SW_WRONG_LEN     0x6700u
#define GM_SW_SECURITY      0x6982u
#define GM_SW_BLOCKED       0x6983u
#define GM_SW_COND          0x6985u
#define GM_SW_WRONG_DATA    0x6A80u
#define GM_SW_NO_SPACE      0x6A84u
#define GM_SW_NOT_FOUND     0x6A82u
#define GM_SW_WRONG_P1P2    0x6A86u
#define GM_SW_BAD_HANDLE    0x6A88u
#define GM_SW_EXISTS        0x6A89u
#define GM_SW_BAD_OFFSET    0x6B00u
#define GM_SW_INS           0x6D00u
#define GM_SW_CLA           0x6E00u
#define GM_SW_INTERNAL      0x6F00u

typedef struct {
	uint8_t key[16];     /* first 16 bytes of SHA-1(PIN) */
	uint8_t max, left;   /* retry counter; left 0 = locked */
	uint8_t is_default;
} gm_pin;

typedef struct {
	int used;
	char name[GM_FILE_NAME_MAX + 1];
	uint32_t size, rd, wr;
	uint8_t *data;       /* size bytes (at least 1 allocated) */
} gm_file;

typedef struct {
	int used;
	char name[GM_CONT_NAME_MAX + 1];
	EVP_PKEY *key[2];    /* [GM_SLOT_ENC], [GM_SLOT_SIGN] */
	uint8_t *cert[2];
	size_t cert_len[2];
	int open;            /* volatile */
} gm_cont;

typedef struct {
	int used;
	char name[GM_APP_NAME_MAX + 1];
	uint32_t create_rights;
	gm_pin pin[2];       /* [GM_PIN_ADMIN], [GM_PIN_USER] */
	gm_file files[GM_MAX_FILES];
	gm_cont conts[GM_MAX_CONTAINERS];
	int open;            /* volatile */
	int auth[2];         /* volatile: PIN verified */
} gm_app;

/* Chained upload (ImportCertificate, ImportRSAKeyPair, RSASignData). */
typedef struct {
	int active;
	uint8_t ins, flags, next_seq;
	uint16_t app_id, cont_id;
	size_t len;
	uint8_t buf[GM_STAGE_MAX];
} gm_stage;

typedef struct {
	/* persistent */
	char label[GM_LABEL_MAX + 1];
	char serial[GM_SERIAL_MAX + 1];
	uint8_t devkey[16];
	uint8_t dev_max, dev_left;
	gm_app apps[GM_MAX_APPS];
	/* volatile */
	int dev_authed;
	uint8_t chal[GM_CHAL_LEN];
	int chal_next;       /* armed by the last command for the next one */
	int chal_live;       /* usable by the command being processed */
	gm_stage stage;
} gm_state;

/* A parsed short command APDU. */
typedef struct {
	uint8_t cla, ins, p1, p2;
	const uint8_t *data;
	size_t lc;
	int has_le;
	size_t le;           /* 1..256 when has_le */
} gm_cmd;

/* Responses: data already in rsp[0..n), append SW. */
size_t gm_rsp(uint8_t *rsp, size_t n, unsigned sw);

/* ---- helpers (vt_os_gmt0017_util.c) */
uint32_t gm_be32(const uint8_t *p);
uint16_t gm_be16(const uint8_t *p);
void gm_put32(uint8_t *p, uint32_t v);
void gm_put16(uint8_t *p, uint16_t v);
/* Name of 1..max printable ASCII bytes (no NUL) => copies into out. */
int gm_name_ok(const uint8_t *p, size_t len, size_t max);
int gm_rights_ok(uint32_t r);
/* Access check of an SKF right against the application's security state. */
int gm_right_granted(const gm_app *a, uint32_t right);
/* Open application by AppID at data[0..2); NULL + *sw set on error. */
gm_app *gm_app_by_id(gm_state *st, const gm_cmd *c, unsigned *sw);
/* Front of the AppID-addressed commands: P1 = 0, P2 <= p2_max and exactly
 * lc data bytes (checked in that order), then the open application. */
gm_app *gm_app_front(gm_state *st, const gm_cmd *c, unsigned p2_max,
		     size_t lc, unsigned *sw);
/* Open container by ContainerID at data[2..4). */
gm_cont *gm_cont_by_id(gm_app *a, const gm_cmd *c, unsigned *sw);
/* Front of the handle-addressed commands: data = AppID(2) ContainerID(2)…
 * (P1/P2 checked by the caller), both open; need_user: the user PIN must be
 * verified in the application. */
gm_cont *gm_cont_by_handle(gm_state *st, const gm_cmd *c, int need_user,
			   unsigned *sw);
uint16_t gm_app_id(const gm_state *st, const gm_app *a);
uint16_t gm_cont_id(const gm_app *a, const gm_cont *k);
/* Bytes of storage used (files, certificates, key pairs). */
size_t gm_used_space(const gm_state *st);
/* Multi-string list "a\0b\0\0" ("\0" when empty) into out. */
size_t gm_put_name(uint8_t *out, size_t off, const char *name);

/* ---- crypto (vt_os_gmt0017_crypto.c) */
int gm_sm4_ecb(const uint8_t key[16], const uint8_t *in, size_t len,
	       uint8_t *out, int enc);
void gm_pin_key(const uint8_t *pin, size_t len, uint8_t key[16]);
/* Decrypt a 48-byte new-PIN block under key; checks length 6..32 and zero
 * padding. 0 ok (pin/len filled, caller wipes), -1 malformed. */
int gm_pin_block_open(const uint8_t key[16], const uint8_t *blk,
		      uint8_t pin[GM_PIN_MAX], size_t *len);
/* Build a new-PIN block (used by init and tests). */
int gm_pin_block_seal(const uint8_t key[16], const uint8_t *pin, size_t len,
		      uint8_t blk[GM_PIN_BLOCK]);
/* Cryptograms over the pending challenge. */
int gm_pin_cryptogram(const uint8_t key[16], const uint8_t chal[8],
		      uint8_t out[16]);
int gm_dev_cryptogram(const uint8_t key[16], const uint8_t chal[8],
		      uint8_t out[16]);
/* Check a 16-byte cryptogram against a retry counter: counts down first,
 * sets *dirty, compares in constant time. Returns GM_SW_OK, 63Cx or 6983. */
unsigned gm_check_counter(uint8_t *left, uint8_t max, const uint8_t expect[16],
			  const uint8_t *got, int *dirty);
/* SKF RSA public key blob (GM_PUBBLOB_LEN). 0 ok. */
int gm_rsa_pubblob(EVP_PKEY *k, uint8_t out[GM_PUBBLOB_LEN]);
int gm_rsa_bits(EVP_PKEY *k);
/* Parse DER RSAPrivateKey of 1024 or 2048 bits; NULL if bad. */
EVP_PKEY *gm_rsa_from_der(const uint8_t *der, size_t len);

/* ---- command handlers */
typedef size_t (*gm_handler)(gm_state *st, const gm_cmd *c, uint8_t *rsp,
			     int *dirty);
size_t gm_cmd_get_dev_info(gm_state *, const gm_cmd *, uint8_t *, int *);
size_t gm_cmd_set_label(gm_state *, const gm_cmd *, uint8_t *, int *);
size_t gm_cmd_dev_auth(gm_state *, const gm_cmd *, uint8_t *, int *);
size_t gm_cmd_change_dev_key(gm_state *, const gm_cmd *, uint8_t *, int *);
size_t gm_cmd_gen_random(gm_state *, const gm_cmd *, uint8_t *, int *);

size_t gm_cmd_get_pin_info(gm_state *, const gm_cmd *, uint8_t *, int *);
size_t gm_cmd_verify_pin(gm_state *, const gm_cmd *, uint8_t *, int *);
size_t gm_cmd_change_pin(gm_state *, const gm_cmd *, uint8_t *, int *);
size_t gm_cmd_unblock_pin(gm_state *, const gm_cmd *, uint8_t *, int *);
size_t gm_cmd_clear_secure(gm_state *, const gm_cmd *, uint8_t *, int *);

size_t gm_cmd_create_app(gm_state *, const gm_cmd *, uint8_t *, int *);
size_t gm_cmd_enum_app(gm_state *, const gm_cmd *, uint8_t *, int *);
size_t gm_cmd_delete_app(gm_state *, const gm_cmd *, uint8_t *, int *);
size_t gm_cmd_open_app(gm_state *, const gm_cmd *, uint8_t *, int *);
size_t gm_cmd_close_app(gm_state *, const gm_cmd *, uint8_t *, int *);

size_t gm_cmd_create_file(gm_state *, const gm_cmd *, uint8_t *, int *);
size_t gm_cmd_delete_file(gm_state *, const gm_cmd *, uint8_t *, int *);
size_t gm_cmd_enum_files(gm_state *, const gm_cmd *, uint8_t *, int *);
size_t gm_cmd_file_info(gm_state *, const gm_cmd *, uint8_t *, int *);
size_t gm_cmd_read_file(gm_state *, const gm_cmd *, uint8_t *, int *);
size_t gm_cmd_write_file(gm_state *, const gm_cmd *, uint8_t *, int *);

size_t gm_cmd_create_cont(gm_state *, const gm_cmd *, uint8_t *, int *);
size_t gm_cmd_open_cont(gm_state *, const gm_cmd *, uint8_t *, int *);
size_t gm_cmd_close_cont(gm_state *, const gm_cmd *, uint8_t *, int *);
size_t gm_cmd_enum_cont(gm_state *, const gm_cmd *, uint8_t *, int *);
size_t gm_cmd_delete_cont(gm_state *, const gm_cmd *, uint8_t *, int *);
size_t gm_cmd_cont_info(gm_state *, const gm_cmd *, uint8_t *, int *);
size_t gm_cmd_import_cert(gm_state *, const gm_cmd *, uint8_t *, int *);
size_t gm_cmd_export_cert(gm_state *, const gm_cmd *, uint8_t *, int *);

size_t gm_cmd_gen_rsa(gm_state *, const gm_cmd *, uint8_t *, int *);
size_t gm_cmd_import_rsa(gm_state *, const gm_cmd *, uint8_t *, int *);
size_t gm_cmd_rsa_sign(gm_state *, const gm_cmd *, uint8_t *, int *);
size_t gm_cmd_export_pub(gm_state *, const gm_cmd *, uint8_t *, int *);

/* Chained upload step (vt_os_gmt0017_chain.c): returns GM_SW_OK with
 * *done = 1 when the final chunk arrived (data in st->stage), *done = 0
 * after a non-final chunk; other SW on error (staging discarded). */
unsigned gm_stage_step(gm_state *st, const gm_cmd *c, uint8_t flags,
		       size_t limit, int *done);
void gm_stage_clear(gm_stage *s);
/* Chained import into a container slot (P1 = 00 enc / 01 sign | 80 more,
 * data = AppID ContainerID part, user PIN verified): takes one chunk. The
 * container once the whole value is in st->stage; else NULL with *sw the
 * status to answer (GM_SW_OK after a non-final chunk), staging discarded
 * on every error. */
gm_cont *gm_stage_import(gm_state *st, const gm_cmd *c, size_t limit,
			 unsigned *sw);

/* ---- lifecycle (vt_os_gmt0017_state.c, _init.c) */
gm_state *gm_state_new(void);
void gm_state_free(gm_state *st);
void gm_state_reset(gm_state *st);
void gm_app_clear(gm_app *a);
void gm_cont_clear(gm_cont *k);
void gm_file_clear(gm_file *f);
int gm_state_save(const gm_state *st, vt_buf *out);
gm_state *gm_state_load(const uint8_t *img, size_t len);
int gm_init(gm_state *st, const vt_init_params *p);
void gm_describe(gm_state *st, FILE *out);

/* Default device authentication key ("1234567812345678"). */
extern const uint8_t gm_default_devkey[16];
#define GM_DEFAULT_APP_NAME  "UKEY-APP"
#define GM_DEFAULT_CONT_NAME "UKEY-CONTAINER"

#endif /* UKEY_VT_OS_GMT0017_H */
