/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Test helpers for the GM/T 0017 virtual card OS. They speak the wire
 * format of docs/watchdata-wire.md with their own OpenSSL code (SM4, SHA-1)
 * — not the OS's — so a misunderstanding does not hide on both sides.
 */
#ifndef UKEY_GM_TUTIL_H
#define UKEY_GM_TUTIL_H

#include <stddef.h>
#include <stdint.h>

#include <check.h>
#include <openssl/evp.h>

#include "vtoken.h"

typedef struct {
	void *st;
	uint8_t rsp[VT_RSP_MAX];
	size_t len;      /* response data length (without SW) */
	unsigned sw;
	int dirty;
	vt_t0 t0;
} gt_card;

#define GT_NO_LE (-1)

extern const uint8_t gt_devkey[16]; /* "1234567812345678" */

gt_card *gt_new(void);
void gt_free(gt_card *c);
/* Save, destroy, load again (asserts the load works). */
void gt_reload(gt_card *c);
/* Initialised like `ukey-vtoken init`: admin "12345678", user "123456". */
gt_card *gt_new_init(unsigned key_bits);

/* One command straight to the OS's apdu(); le = GT_NO_LE or 1..256. */
unsigned gt_apdu(gt_card *c, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2,
		 const void *data, size_t lc, int le);
unsigned gt_raw(gt_card *c, const uint8_t *cmd, size_t len);
/* Same through the T=0 layer, following 61xx with GET RESPONSE; the full
 * data ends up in c->rsp / c->len; *pieces counts the exchanges. */
unsigned gt_apdu_t0(gt_card *c, uint8_t cla, uint8_t ins, uint8_t p1,
		    uint8_t p2, const void *data, size_t lc, int le,
		    int *pieces);

/* Crypto as a host would do it. */
void gt_sm4_ecb(const uint8_t key[16], const uint8_t *in, size_t len,
		uint8_t *out, int enc);
void gt_pin_key(const char *pin, uint8_t key[16]);
void gt_pin_block(const uint8_t key[16], const char *pin, uint8_t out[48]);
/* GenRandom(8) then the cryptogram for `key` (pin = 1: 80-padding, else
 * zero padding as for DevAuth). */
void gt_challenge(gt_card *c, uint8_t chal[8]);
void gt_cryptogram(const uint8_t key[16], const uint8_t chal[8], int pin,
		   uint8_t out[16]);

unsigned gt_dev_auth(gt_card *c, const uint8_t key[16]);
unsigned gt_create_app(gt_card *c, const char *name, const char *admin,
		       const char *user, uint8_t retries, uint32_t rights);
uint16_t gt_open_app(gt_card *c, const char *name); /* asserts 9000 */
unsigned gt_verify(gt_card *c, uint16_t app, int type, const char *pin);
unsigned gt_change_pin(gt_card *c, uint16_t app, int type, const char *old,
		       const char *newpin);
unsigned gt_unblock(gt_card *c, uint16_t app, const char *admin,
		    const char *newuser);
unsigned gt_pin_info(gt_card *c, uint16_t app, int type, uint8_t info[3]);
unsigned gt_create_cont(gt_card *c, uint16_t app, const char *name,
			uint16_t *cid);
unsigned gt_open_cont(gt_card *c, uint16_t app, const char *name,
		      uint16_t *cid);
/* Chained upload (ImportCertificate / ImportRSAKeyPair / RSASignData):
 * chunks of `chunk` bytes; returns the last SW. */
unsigned gt_chained(gt_card *c, uint8_t ins, uint8_t flags, uint16_t app,
		    uint16_t cid, const uint8_t *data, size_t len, size_t chunk);
/* Data of a command with AppID [ContainerID] in front. */
size_t gt_ids(uint8_t *out, uint16_t app, int cid);

/* A fresh device with application "APP1" (admin "87654321", user
 * "111111", 10 tries, create rights user) opened; *app set. */
gt_card *gt_new_app(uint16_t *app);

/* RSA public key from an SKF blob (268 bytes). */
EVP_PKEY *gt_blob_to_pkey(const uint8_t *blob);
/* PKCS#1 v1.5 block (SHA-256 DigestInfo) for msg, modulus size k. */
void gt_pkcs1_block(const uint8_t *msg, size_t len, uint8_t *block, size_t k);
int gt_verify_sig(EVP_PKEY *pub, const uint8_t *msg, size_t len,
		  const uint8_t *sig, size_t siglen);
/* Run a suite with Check, return exit status. */
int gt_run(Suite *s);

#endif
