/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Test-only fake reader stack and fake driver for the p11/ unit tests:
 * readers with scriptable state (presence, ATR, event count, resets) and a
 * driver that keeps its token in memory and does RSA with OpenSSL, so the
 * module's slot/token/session/object logic runs without PC/SC or a card.
 */
#ifndef UKEY_TEST_FAKE_CARD_H
#define UKEY_TEST_FAKE_CARD_H

#include <openssl/evp.h>

#include <stdatomic.h>

#include "driver.h"

#include "p11_backend.h"

#define FAKE_MAX_READERS 4
#define FAKE_MAX_KEYS 8

extern const uint8_t fake_atr_known[4];   /* matches the fake profile */
extern const uint8_t fake_atr_unknown[4]; /* matches nothing */

typedef struct {
	EVP_PKEY *pkey;
	uint8_t id[8];
	size_t id_len;
	char label[UKEY_LABEL_MAX];
	int native;
	int deleted;
} fake_key;

typedef struct fake_reader {
	char name[64];
	int listed;
	int present, mute;
	uint8_t atr[33];
	size_t atr_len;
	unsigned long event_count;
	int reset_pending;      /* next begin reports UKEY_E_CARD_RESET */
	int removed_midway;     /* driver ops report UKEY_E_NO_CARD */
	int hide_pub;           /* list no public key objects */
	int hostile;            /* list malformed objects */
	int strip_zeros;        /* RSA results lose their leading zero bytes */
	int empty_answer;       /* the card answers nothing (pulled mid-APDU) */
	int short_answer;       /* the card answers 1 byte: no status word */
	int connected;
	/* card contents */
	char label[33];
	char pin[17];
	int tries, max_tries;
	int logged_in;          /* volatile: cleared by a reset */
	fake_key keys[FAKE_MAX_KEYS];
	size_t nkeys;
	uint8_t *cert;          /* DER of key 0's certificate */
	size_t cert_len;
	uint8_t data_pub[16], data_priv[16];
	/* objects written through the module */
	struct {
		int used, cert, private_obj;
		char label[UKEY_LABEL_MAX];
		char app[UKEY_LABEL_MAX];
		uint8_t id[UKEY_ID_MAX];
		size_t id_len;
		uint8_t *value;
		size_t len;
	} wobj[4];
	int so_logged_in;
	/* counters */
	int binds, lists, signs, reads, resets;
	int reselects, unbinds; /* reselect / unbind calls of the driver */
	int deletes;            /* private keys deleted */
	int reselect_fails;     /* reselect answers an error */
	int class_lists[5];     /* list_class calls per ukey_obj_class */
	/* sign_sha256_state (fake_sha256_state): calls that signed, calls
	 * refused, and what the last call was given */
	int state_signs, state_refusals;
	int state_refuse;       /* answer UKEY_E_SW_FUNC_NOT_SUPPORTED */
	int state_ins_unknown;  /* answer UKEY_E_SW_INS_NOT_SUPPORTED (6D00) */
	uint64_t state_blocks;
	uint8_t state_tail[64];
	size_t state_tail_len;
	size_t state_outcap;    /* *outlen on entry */
	int in_txn;             /* begin/end balance */
	int begins;             /* transactions begun (card I/O) */
} fake_reader;

extern fake_reader fake_readers[FAKE_MAX_READERS];
extern size_t fake_nreaders;
extern int fake_open_fails;       /* ukey_pcsc_open fails (no pcscd) */
extern atomic_int fake_wait_calls; /* read by a spinning test thread */
extern int fake_no_logout;        /* the driver has no logout operation */
extern int fake_pin_counter_hidden; /* pin_info reports no counter (FTCOS) */
extern int fake_no_so_pin;        /* the token has no SO PIN */
extern int fake_list_class;       /* the driver offers list_class */
extern int fake_reselect;         /* the driver offers reselect */
extern int fake_sha256_state;     /* the driver offers sign_sha256_state */
extern int fake_no_sign_raw;      /* the driver has no sign_raw (no raw RSA) */

extern const p11_backend fake_backend;
extern const ukey_driver fake_driver;

/* Reset every reader; reader 0 holds a personalised fake token with one
 * 1024-bit key pair + certificate (generated once per process). */
void fake_setup(void);
void fake_teardown(void);
/* Insert/remove a card (bumps the event count). */
void fake_insert(size_t i, const uint8_t *atr, size_t len);
void fake_remove(size_t i);
EVP_PKEY *fake_key0(void);

#endif
