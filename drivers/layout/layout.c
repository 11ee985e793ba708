/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/layout/layout.c — the layout table and the choice of a layout
 * from the profile (layout.h).
 */
#include <string.h>

#include "layout.h"

/* Every known layout, in the order tried for a profile without a list. */
static const ukey_layout_ops *const known[] = {
	&ukey_layout_pkcs15,
	&ukey_layout_espk,
};
#define N_KNOWN (sizeof(known) / sizeof(known[0]))

/* Bind layout k unless it was tried already. 1: done (bound or failed:
 * *rv says), 0: not there, go on. */
static int try_one(size_t k, unsigned *tried, ukey_layout *l,
		   const ukey_cardfs *fs, const ukey_profile *prof, ukey_rv *rv)
{
	if (*tried & (1u << k))
		return 0;
	*tried |= 1u << k;
	memset(l, 0, sizeof(*l));
	*rv = known[k]->bind(l, fs, prof);
	if (*rv == UKEY_OK) {
		l->ops = known[k];
		return 1;
	}
	memset(l, 0, sizeof(*l));
	if (*rv == UKEY_E_SW_FILE_NOT_FOUND) {
		*rv = UKEY_OK;
		return 0;
	}
	return 1;
}

ukey_rv ukey_layout_bind(ukey_layout *l, const ukey_cardfs *fs,
			 const ukey_profile *prof)
{
	unsigned tried = 0;
	ukey_rv rv = UKEY_OK;

	if (!l || !fs || !fs->ops)
		return UKEY_E_ARGS;
	memset(l, 0, sizeof(*l));
	if (!prof || !prof->layouts[0]) {
		for (size_t k = 0; k < N_KNOWN; k++)
			if (try_one(k, &tried, l, fs, prof, &rv))
				return rv;
		return UKEY_OK;
	}
	/* in the profile's order of preference */
	const char *cur = prof->layouts, *item;
	size_t len;

	while (ukey_profile_list_next(&cur, &item, &len)) {
		for (size_t k = 0; k < N_KNOWN; k++) {
			if (strlen(known[k]->name) != len ||
			    memcmp(known[k]->name, item, len) != 0)
				continue;
			if (try_one(k, &tried, l, fs, prof, &rv))
				return rv;
		}
	}
	return UKEY_OK;
}

void ukey_layout_free(ukey_layout *l)
{
	if (!l)
		return;
	if (l->ops && l->ops->free)
		l->ops->free(l);
	memset(l, 0, sizeof(*l));
}
