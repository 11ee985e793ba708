/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/selpath.h — selecting an absolute path (3F00 ...) FID by FID,
 * only what the card does not have current already (internal to drivers/).
 *
 * Card OSes with ISO 7816-4 SELECT by FID in the current DF (FTCOS,
 * ePass2003) share this logic; each driver keeps its own SELECT and its own
 * record of what is selected, and hands the helper a copy of that record
 * (selpath_cur) and a callback that selects one FID. Nothing here knows a
 * card OS: no APDU is built here.
 *
 * Splitting (selpath_fids) and selecting (selpath_select) are two calls so
 * that FTCOS can take its SELECT-by-AID shortcut in between. Where the two
 * drivers differ, they say so through parameters: max_depth, and flags
 * (ePass2003 passes SELPATH_NO_RESERVED, FTCOS 0); FTCOS has no file type
 * (ef_type 0).
 */
#ifndef UKEY_SELPATH_H
#define UKEY_SELPATH_H

#include <stddef.h>
#include <stdint.h>

#include "apdu.h" /* ukey_rv */

#define SELPATH_FID_MF 0x3F00
#define SELPATH_MAX_DEPTH 8 /* DF levels a selpath_cur can hold (MF = 1) */

/* selpath_fids flags. */
#define SELPATH_NO_RESERVED 0x01u /* also refuse 0000 and FFFF after the MF */

/* What a driver knows the card has selected. */
typedef struct {
	int df_known;                       /* df_path is sure */
	uint16_t df_path[SELPATH_MAX_DEPTH];
	size_t df_depth;                    /* 1 = MF */
	uint16_t ef;                        /* current EF in that DF, 0 = none */
	size_t ef_size;
	uint8_t ef_type;                    /* 0 where the OS has no file type */
} selpath_cur;

typedef struct {
	/* SELECT fid in the DF the card has current. fci is the caller's FCI
	 * record in the driver's own type (passed through, never read here)
	 * or NULL; the helper passes it only for the last FID of the path.
	 * Afterwards (success or not), *cur is what the driver now knows is
	 * selected. */
	ukey_rv (*select)(void *os, uint16_t fid, void *fci, selpath_cur *cur);
	/* The EF asked for is current already: fill fci (not NULL) from
	 * cur->ef, ef_size, ef_type as a SELECT of it would. No card I/O. */
	void (*ef_fci)(void *fci, const selpath_cur *cur);
	/* Forget what is selected (the driver's own record). */
	void (*forget)(void *os);
} selpath_ops;

/* Fill *cur from a driver's record (df_path: df_depth FIDs). */
void selpath_cur_set(selpath_cur *cur, int df_known, const uint16_t *df_path,
		     size_t df_depth, uint16_t ef, size_t ef_size,
		     uint8_t ef_type);

/* Split path — FIDs as big-endian byte pairs, as PKCS#15 stores them — into
 * fids (room for max_depth + 1), *n of them. The path starts at the MF,
 * holds at most max_depth DFs and one more FID, and names the MF only
 * first; flags add SELPATH_NO_RESERVED. UKEY_E_ARGS otherwise. */
ukey_rv selpath_fids(const uint8_t *path, size_t len, size_t max_depth,
		     unsigned flags, uint16_t *fids, size_t *n);

/* Select fids[0..n) (from selpath_fids) and fill fci (may be NULL) with
 * the last one's FCI, selecting only what is not current:
 *  - a known current DF on the way is kept and the rest selected under it;
 *    a DF off the way (a sibling, a deeper DF) means starting from the MF;
 *  - the EF asked for, current already in the right DF: no SELECT at all
 *    (fci from ops->ef_fci);
 *  - the DF asked for, current already: nothing without fci, else it is
 *    selected again from the MF since only a SELECT gives its FCI (the
 *    same for both drivers using this);
 *  - an EF met before the end of the path is refused (UKEY_E_MALFORMED),
 *    the selection forgotten.
 * Assumes what the drivers' SELECT does: selecting the MF works from
 * anywhere, a FID is looked up in the current DF only, and after each
 * ops->select *cur tells whether an EF became current. A failed select
 * is returned as it is (the driver's SELECT has updated its record). */
ukey_rv selpath_select(const selpath_ops *ops, void *os, selpath_cur *cur,
		       const uint16_t *fids, size_t n, void *fci);

#endif /* UKEY_SELPATH_H */
