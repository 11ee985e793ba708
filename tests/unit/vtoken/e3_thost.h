/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Host side of the ePass2003 secure messaging for the unit tests: the
 * mutual authentication and the SM envelope as OpenSC's card-epass2003.c
 * builds them, written again here on OpenSSL's EVP ciphers and EVP_MAC
 * CMAC — not on the emulation's own helpers — so a mistake on one side
 * shows as a failed exchange. It talks to the card OS in-process.
 */
#ifndef E3_THOST_H
#define E3_THOST_H

#include <stddef.h>
#include <stdint.h>

#include "vtoken.h"

typedef struct {
	void *card;              /* state of vt_os_epass2003 */
	int model;               /* 0 DES, 1 AES, 2 FIPS */
	uint8_t kenc[16], kmac[16];
	uint8_t sk_enc[16], sk_mac[16], icv[16];
	int sm;                  /* 1 after a good mutual authentication */
	int check_mac;           /* verify response MACs (default 1) */
	uint8_t rsp[VT_RSP_MAX]; /* data of the last response (unwrapped) */
	size_t rlen;
	uint8_t raw[VT_RSP_MAX]; /* the last response as the card sent it */
	size_t rawlen;
	int dirty;               /* the card's dirty flag of the last APDU */
} e3h;

/* Loads OpenSSL's legacy provider (single DES) next to the default one. */
void e3h_global_init(void);
/* Binds the host to a card; default init keys 01..10. */
void e3h_attach(e3h *h, void *card, int model);
/* INITIALIZE UPDATE + EXTERNAL AUTHENTICATE; returns the last SW (9000:
 * session open). corrupt: 1 = wrong host cryptogram, 2 = wrong MAC. */
unsigned e3h_open(e3h *h, int corrupt);
/* Raw APDU bytes to the card; response kept in raw; returns its SW. */
unsigned e3h_raw(e3h *h, const uint8_t *apdu, size_t len);
/* A command in plain (le -1: none). */
unsigned e3h_plain(e3h *h, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2,
		   const uint8_t *data, size_t lc, long le);
/* The same command wrapped in SM (CLA | 0C), the response unwrapped into
 * rsp; returns the SW (0 if the response's SW object or MAC is wrong). */
unsigned e3h_sm(e3h *h, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2,
		const uint8_t *data, size_t lc, long le);
/* Build the SM form only (for tampering tests); returns its length. */
size_t e3h_wrap(e3h *h, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2,
		const uint8_t *data, size_t lc, long le, uint8_t *out);
/* e3h_sm or e3h_plain by h->sm. */
unsigned e3h_cmd(e3h *h, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2,
		 const uint8_t *data, size_t lc, long le);
/* PIN check as OpenSC does it: GET CHALLENGE (16), then 00 82 01 8k with
 * 3DES-CBC(SHA-1(pin) || BE32(len), challenge[0..7]). */
unsigned e3h_ext_auth(e3h *h, uint8_t kid, const char *pin);
/* OpenSC 0.23's one-block MAC (aes128_encrypt_cmac_ft) with its subkey
 * arithmetic on BIGNUMs (BN_lshift1 + BN_bn2bin), rebuilt the same way. */
int e3h_opensc_case1_mac(const uint8_t key[16], const uint8_t iv[16],
			 const uint8_t *msg, size_t len, uint8_t out[16]);
/* Hex helper: bytes of "00 A4 ..." into out, returns the count. */
size_t e3h_hex(const char *hex, uint8_t *out, size_t cap);

#endif
