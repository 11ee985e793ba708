/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/unit/drivers/mock_card.h — a scripted card: a ukey_chan transport
 * that checks each command against the next ">>" line of a script and
 * answers the following "<<" line.
 */
#ifndef UKEY_TEST_MOCK_CARD_H
#define UKEY_TEST_MOCK_CARD_H

#include <stddef.h>
#include <stdint.h>

#include "apdu.h"
#include "profile.h"

#define MOCK_MAX_STEPS 256

typedef struct {
	uint8_t *cmd[MOCK_MAX_STEPS];
	size_t cmd_len[MOCK_MAX_STEPS];
	uint8_t *rsp[MOCK_MAX_STEPS];
	size_t rsp_len[MOCK_MAX_STEPS];
	int prefix_only[MOCK_MAX_STEPS]; /* command only has to start so */
	uint8_t *got[MOCK_MAX_STEPS];     /* the command actually received */
	size_t got_len[MOCK_MAX_STEPS];
	size_t n, pos;
	int mismatch;          /* a command differed from the script */
	size_t mismatch_at;
	char last_error[256];
} mock_card;

void mock_init(mock_card *m);
/* Append a script file (lines ">> hex", "<< hex", comments). 0 ok. */
int mock_load(mock_card *m, const char *path);
/* Append one exchange from hex strings. 0 ok. */
int mock_add(mock_card *m, const char *cmd_hex, const char *rsp_hex);
/* Like mock_add, but the command only has to start with cmd_hex (for
 * commands ending in a MAC over a random challenge). */
int mock_add_prefix(mock_card *m, const char *cmd_hex, const char *rsp_hex);
/* Append one exchange from bytes. 0 ok. */
int mock_add_raw(mock_card *m, const uint8_t *cmd, size_t cmdlen,
		 const uint8_t *rsp, size_t rsplen);
void mock_free(mock_card *m);
/* The ukey_xfer_fn to give ukey_chan_init (ctx = mock_card*). */
ukey_rv mock_xfer(void *ctx, const uint8_t *cmd, size_t cmdlen, uint8_t *rsp,
		  size_t rspcap, size_t *rsplen);
/* All steps used and none mismatched. */
int mock_done(const mock_card *m);
/* Hex to bytes (spaces allowed); returns length or -1. */
long mock_hex(const char *s, uint8_t *out, size_t cap);
/* Append the script `name` of the test data folder (UKEY_TEST_DATA). 0 ok. */
int mock_load_data(mock_card *m, const char *name);
/* Parse the vendor profile `name` of UKEY_TEST_PROFILES into *prof.
 * 0 ok, -1 when it cannot be read or does not parse. */
int mock_load_profile(const char *name, ukey_profile *prof);

#endif
