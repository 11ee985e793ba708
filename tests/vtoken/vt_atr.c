/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Named ATRs of the tokens ukey-vtoken can pretend to be. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "vtoken.h"

struct named_atr {
	const char *name;
	const char *hex;
};

/* watchdata-wd6: pcsc-tools lists only the prefix "3B 6E 00 00 57 44 36 19
 * 69 86 93 02 ...". T0 = 6E announces TB1, TC1 and 14 historical bytes, so a
 * well-formed ATR is 18 bytes (not 17): we complete the historical bytes with
 * the tail of the ProxKey ATR of the same family (12 11 3C 19 70 AF). */
static const struct named_atr atrs[] = {
	{ "epass2000", "3BF99400008131FE65465420563130309000 83" },
	{ "ftcos-pk01c", "3B9F958131FE9F006546530530 0671DF00000080 6A825E" },
	{ "epass3000", "3B0F00654653051905 71DF000000000000" },
	{ "watchdata-wd6", "3B6E0000574436196986930212113C1970AF" },
	{ "proxkey", "3B6D000057443641018693 12113C1970AF" },
	/* ePass2003 (OpenSC matches 3B 9F 95 81 31 FE 9F 00 66 46 53 05, then
	 * 71 DF 00 00 at bytes 15-18, 23 bytes): the 2012 token of OpenSC
	 * issue 2572, the 2022 one as OpenSC and as Feitian's tools leave it,
	 * and the FIPS firmware of the public GET DATA dumps. */
	{ "epass2003", "3B9F958131FE9F00664653050100 1171DF000003900080" },
	{ "epass2003-2022", "3B9F958131FE9F00664653052300 2571DF000003900096" },
	{ "epass2003-espk", "3B9F958131FE9F00664653052300 2571DF000000000005" },
	{ "epass2003-fips", "3B9F958131FE9F00664653051011 3171DF0000039000A0" },
};

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int parse_hex(const char *s, uint8_t *out, size_t *len)
{
	size_t n = 0;
	int hi = -1;
	for (; *s; s++) {
		if (*s == ' ' || *s == ':')
			continue;
		int v = hexval((unsigned char)*s);
		if (v < 0)
			return -1;
		if (hi < 0) {
			hi = v;
		} else {
			if (n >= 33)
				return -1;
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0 || n < 2)
		return -1;
	*len = n;
	return 0;
}

int vt_atr_lookup(const char *name_or_hex, uint8_t *atr, size_t *len)
{
	if (!name_or_hex)
		return -1;
	for (size_t i = 0; i < sizeof atrs / sizeof atrs[0]; i++)
		if (!strcasecmp(name_or_hex, atrs[i].name))
			return parse_hex(atrs[i].hex, atr, len);
	return parse_hex(name_or_hex, atr, len);
}
