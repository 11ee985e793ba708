/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/unit/drivers/test_epass2003_card.h — a test ePass2003 for the unit
 * tests: a ukey_xfer_fn that runs the card's side of the mutual
 * authentication and of secure messaging with its own crypto (OpenSSL EVP
 * calls made here, none of apdu_sm*.c), checks every wrapped command (MAC,
 * encryption, padding) and wraps its answers. What the commands mean is the
 * test's business: a handler gets the unwrapped command and answers plain.
 */
#ifndef UKEY_TEST_EPASS2003_CARD_H
#define UKEY_TEST_EPASS2003_CARD_H

#include <stddef.h>
#include <stdint.h>

#include "apdu.h"

/* SM kinds, the same numbers as epass2003_sm_kind. */
#define TC_PLAIN 0
#define TC_DES   1
#define TC_AES   2
#define TC_FIPS  3

/* Faults for the next wrapped answer (tc_card.fault, cleared when used). */
#define TC_F_BAD_MAC    0x001 /* flip a bit of the 8E MAC */
#define TC_F_BAD_PAD    0x002 /* plain data not ISO-padded (MAC still right) */
#define TC_F_SW_MISMATCH 0x004 /* 99 says another SW than the raw one */
#define TC_F_BARE_SW    0x008 /* answer the bare status word only (no SM) */
#define TC_F_TRAILING   0x010 /* a byte after 8E */
#define TC_F_ODD_BER    0x020 /* 87 <L> 01 with a one-byte L >= 80 */
#define TC_F_NO_99      0x040 /* no 99 object */
#define TC_F_CT_ODD     0x080 /* cipher text not a multiple of the block */
#define TC_F_BAD_CARD_CRYPT 0x100 /* INITIALIZE UPDATE: wrong card cryptogram */
#define TC_F_LONG87     0x200 /* 87 length beyond the answer */

typedef struct tc_card tc_card;

/* The unwrapped command, as the card sees it. le: 0 none, 256 for "00". */
typedef struct {
	uint8_t cla, ins, p1, p2;
	uint8_t data[1100];
	size_t lc;
	size_t le;
	int wrapped;   /* came under SM */
} tc_cmd;

/* Answer a command: data into rsp (up to cap), *sw. */
typedef void (*tc_handler)(tc_card *t, const tc_cmd *c, uint8_t *rsp,
			   size_t cap, size_t *rlen, uint16_t *sw);

struct tc_card {
	int kind;
	uint8_t key_enc[16], key_mac[16];
	uint8_t card_rand[8];
	uint8_t info[64];            /* answer to GET DATA 86 */
	size_t info_len;

	/* session */
	int open;
	uint8_t host[8];
	uint8_t sk_enc[16], sk_mac[16], icv[16];
	int auths;                   /* successful mutual authentications */

	tc_handler handler;
	void *user;

	unsigned fault;              /* TC_F_* for the next wrapped answer */
	unsigned fault_after;        /* apply fault only after this many SM cmds */
	unsigned long sm_cmds, apdus;
	int failed;                  /* the card saw something wrong */
	char err[256];
	tc_cmd last;                 /* the last unwrapped command */
};

/* Set up a card of kind with keys (NULL: OpenSC's defaults 01..10). */
void tc_init(tc_card *t, int kind, const uint8_t *key_enc,
	     const uint8_t *key_mac, tc_handler h);
ukey_rv tc_xfer(void *ctx, const uint8_t *cmd, size_t cmdlen, uint8_t *rsp,
		size_t rspcap, size_t *rsplen);

/* Crypto of the test side (OpenSSL directly), for tests that build
 * expected bytes themselves. */
void tc_des_ecb(const uint8_t k[8], int enc, const uint8_t in[8], uint8_t out[8]);
void tc_cbc(int kind, const uint8_t *key, const uint8_t *iv, int enc,
	    const uint8_t *in, size_t len, uint8_t *out);
void tc_ecb(int kind, const uint8_t *key, int enc, const uint8_t *in,
	    size_t len, uint8_t *out);
void tc_cmac(const uint8_t k[16], const uint8_t *d, size_t len, uint8_t out[16]);
/* ISO 9797-1 algorithm 3 with IV; len multiple of 8. */
void tc_retail_mac(const uint8_t k[16], const uint8_t iv[8], const uint8_t *d,
		   size_t len, uint8_t out[8]);
size_t tc_pad(uint8_t *buf, size_t len, size_t blk);
/* MAC of a command (hdr already in m for DES/AES; FIPS raw) or answer. */
void tc_mac(const tc_card *t, const uint8_t *m, size_t len, uint8_t out[8]);
/* Build a wrapped answer as the card does (with t->fault). */
size_t tc_wrap_answer(tc_card *t, const uint8_t *data, size_t dlen,
		      uint16_t sw, uint8_t *out, uint16_t *raw_sw);

#endif
