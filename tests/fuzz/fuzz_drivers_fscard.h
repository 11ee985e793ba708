/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/fuzz/fuzz_drivers_fscard.h — a tiny simulated FTCOS card whose
 * files come from the fuzz input, so that the layout parsers (PKCS#15,
 * ENTERSAFE-ESPK) see hostile file contents behind well-behaved SELECT and
 * READ BINARY answers. The raw-APDU fuzzer (fuzz_drivers_ftcos.c) covers
 * hostile command answers; this one reaches deep into the file parsers.
 *
 * Input layout:
 *   byte 0      flags (FSCARD_F_*)
 *   then files: <fid:2 BE> <fcisize:2 BE> <len:2 BE> <len bytes>
 *               (a truncated last file keeps what is there)
 * Special FIDs: E001..E009 = answer of READ PUBLIC KEY for key record
 * 1..9; E100 = answer of the RSA operation (PSO).
 * Files are copies: UPDATE BINARY changes them (up to the FCI size) and
 * CREATE FILE (E0 02, MAC not checked) adds zero-filled ones, so that the
 * write paths read back what they wrote.
 * DFs 3F00, 5015 (PKCS#15 AID) and 2003 ("ENTERSAFE-ESPK") always exist
 * unless a flag removes them.
 */
#ifndef UKEY_FUZZ_DRIVERS_FSCARD_H
#define UKEY_FUZZ_DRIVERS_FSCARD_H

#include <stddef.h>
#include <stdint.h>

#include "apdu.h"

#define FSCARD_MAX_FILES 48

#define FSCARD_F_NO_5015     0x01u /* no PKCS#15 application DF */
#define FSCARD_F_NO_2003     0x02u /* no ESPK DF */
#define FSCARD_F_AID_REFUSED 0x04u /* SELECT by AID answers 6D00 */
#define FSCARD_F_WRONG_PIN   0x08u /* VERIFY answers 63C2 */
#define FSCARD_F_FCI_EMPTY   0x10u /* EF SELECT answers without an FCI */
#define FSCARD_F_ESPK_NAME   0x20u /* DF 2003 has a wrong name */
#define FSCARD_F_WRITES      0x40u /* the fuzz entry also runs write operations */
#define FSCARD_F_NO_SPACE    0x80u /* CREATE FILE answers 6A84 */

/* Largest file the card keeps (bigger than any the drivers accept). */
#define FSCARD_FILE_MAX 20000

typedef struct {
	uint16_t fid;
	size_t fcisize;          /* size announced in the FCI */
	uint8_t *data;           /* malloc'd copy, cap bytes */
	size_t len;              /* bytes READ BINARY gives */
	size_t cap;
} fscard_file;

typedef struct {
	unsigned flags;
	fscard_file files[FSCARD_MAX_FILES];
	size_t n;
	fscard_file *cur;        /* current EF, NULL if none */
	uint8_t pending[512];    /* data waiting for GET RESPONSE */
	size_t pending_len;
	unsigned long calls;
} fscard;

/* Fill the card from the fuzz input (never fails: garbage = fewer files). */
void fscard_init(fscard *c, const uint8_t *data, size_t size);
void fscard_free(fscard *c);
/* The ukey_xfer_fn (ctx = fscard*). Traps on a runaway command loop. */
ukey_rv fscard_xfer(void *ctx, const uint8_t *cmd, size_t cmdlen,
		    uint8_t *rsp, size_t rspcap, size_t *rsplen);

#endif /* UKEY_FUZZ_DRIVERS_FSCARD_H */
