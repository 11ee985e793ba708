/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/selpath.c — path selection over a driver's record of what is
 * selected (selpath.h): split a path into FIDs, keep the part the card has
 * current, select the rest one FID at a time through the driver's SELECT.
 */
#include <string.h>

#include "selpath.h"

static int fid_ok_after_mf(uint16_t fid, unsigned flags)
{
	if (fid == SELPATH_FID_MF)
		return 0;
	if ((flags & SELPATH_NO_RESERVED) && (fid == 0x0000 || fid == 0xFFFF))
		return 0;
	return 1;
}

ukey_rv selpath_fids(const uint8_t *path, size_t len, size_t max_depth,
		     unsigned flags, uint16_t *fids, size_t *n)
{
	if (!path || !fids || !n || len < 2 || (len & 1) ||
	    len / 2 > max_depth + 1)
		return UKEY_E_ARGS;
	*n = len / 2;
	for (size_t i = 0; i < *n; i++)
		fids[i] = (uint16_t)(path[2 * i] << 8 | path[2 * i + 1]);
	if (fids[0] != SELPATH_FID_MF)
		return UKEY_E_ARGS;
	for (size_t i = 1; i < *n; i++)
		if (!fid_ok_after_mf(fids[i], flags))
			return UKEY_E_ARGS;
	return UKEY_OK;
}

void selpath_cur_set(selpath_cur *cur, int df_known, const uint16_t *df_path,
		     size_t df_depth, uint16_t ef, size_t ef_size,
		     uint8_t ef_type)
{
	memset(cur, 0, sizeof(*cur));
	if (df_depth > SELPATH_MAX_DEPTH)
		return; /* cannot be a driver's record: nothing is known */
	cur->df_known = df_known;
	if (df_depth)
		memcpy(cur->df_path, df_path, df_depth * sizeof(df_path[0]));
	cur->df_depth = df_depth;
	cur->ef = ef;
	cur->ef_size = ef_size;
	cur->ef_type = ef_type;
}

/* How many leading FIDs of the path are current: all of the known DF path
 * when it lies on the way, else none (the selection starts at the MF). */
static size_t current_prefix(const selpath_cur *cur, const uint16_t *fids,
			     size_t n)
{
	size_t k = 0;

	if (!cur->df_known)
		return 0;
	while (k < cur->df_depth && k < n && cur->df_path[k] == fids[k])
		k++;
	return k < cur->df_depth ? 0 : k;
}

static void forget(const selpath_ops *ops, void *os, selpath_cur *cur)
{
	ops->forget(os);
	memset(cur, 0, sizeof(*cur));
}

/* Select fids[k..n) one by one under what is current; fci for the last. */
static ukey_rv select_down(const selpath_ops *ops, void *os, selpath_cur *cur,
			   const uint16_t *fids, size_t k, size_t n, void *fci)
{
	for (size_t i = k; i < n; i++) {
		ukey_rv rv = ops->select(os, fids[i], i == n - 1 ? fci : NULL, cur);

		if (rv)
			return rv;
		if (i < n - 1 && cur->ef) {
			forget(ops, os, cur);
			return UKEY_E_MALFORMED; /* an EF in the middle of a path */
		}
	}
	return UKEY_OK;
}

ukey_rv selpath_select(const selpath_ops *ops, void *os, selpath_cur *cur,
		       const uint16_t *fids, size_t n, void *fci)
{
	size_t k;
	ukey_rv rv;

	if (!ops || !cur || !fids || n == 0)
		return UKEY_E_ARGS;
	k = current_prefix(cur, fids, n);
	if (k == n - 1 && cur->ef && cur->ef == fids[n - 1]) {
		if (fci)
			ops->ef_fci(fci, cur);
		return UKEY_OK; /* the EF is current already */
	}
	if (k == n) {
		if (!fci)
			return UKEY_OK; /* the DF itself is current */
		k = 0; /* its FCI is wanted: select it again from the MF */
	}
	if (k == 0) {
		rv = ops->select(os, SELPATH_FID_MF, n == 1 ? fci : NULL, cur);
		if (rv)
			return rv;
		k = 1;
	}
	return select_down(ops, os, cur, fids, k, n, fci);
}
