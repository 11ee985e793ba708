/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A scripted byte transport for unit tests: returns canned responses in
 * order and records every command it was sent. */
#ifndef UKEY_TEST_MOCK_XFER_H
#define UKEY_TEST_MOCK_XFER_H

#include <stddef.h>
#include <stdint.h>

#include "apdu.h"

#define MOCK_MAX_STEPS 80
#define MOCK_MAX_RSP 1024
#define MOCK_MAX_CMD 1100

typedef struct {
	/* script */
	uint8_t rsp[MOCK_MAX_STEPS][MOCK_MAX_RSP];
	size_t rsplen[MOCK_MAX_STEPS];
	ukey_rv err[MOCK_MAX_STEPS]; /* non-zero: return this instead */
	size_t nsteps;
	/* record */
	uint8_t cmd[MOCK_MAX_STEPS][MOCK_MAX_CMD];
	size_t cmdlen[MOCK_MAX_STEPS];
	size_t ncalls;
	int repeat_last;  /* keep answering the last step forever */
} mock_xfer;

void mock_init(mock_xfer *m);
/* Add a response given as hex ("61 05", spaces ignored). */
void mock_add_hex(mock_xfer *m, const char *hex);
void mock_add_bytes(mock_xfer *m, const uint8_t *p, size_t n);
void mock_add_err(mock_xfer *m, ukey_rv err);
ukey_rv mock_xfer_fn(void *ctx, const uint8_t *cmd, size_t cmdlen,
		     uint8_t *rsp, size_t rspcap, size_t *rsplen);
/* Parse hex into out; returns the number of bytes. */
size_t hex2bin(const char *hex, uint8_t *out, size_t cap);
/* 1 if recorded command i equals hex. */
int mock_cmd_is(const mock_xfer *m, size_t i, const char *hex);

#endif
