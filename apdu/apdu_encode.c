/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Command APDU encoding/decoding (ISO/IEC 7816-4 §5.1, cases 1, 2S/2E, 3S/3E,
 * 4S/4E) and response splitting.
 */
#include <string.h>

#include "apdu.h"

#define SHORT_LC_MAX 255u
#define SHORT_LE_MAX 256u
#define EXT_LC_MAX 65535u
#define EXT_LE_MAX 65536u

ukey_rv ukey_apdu_encode(const ukey_apdu *a, int extended, uint8_t *out,
			 size_t outsz, size_t *outlen)
{
	if (a == NULL || out == NULL || outlen == NULL)
		return UKEY_E_ARGS;
	*outlen = 0;
	if (a->lc > EXT_LC_MAX || (a->lc > 0 && a->data == NULL))
		return UKEY_E_ARGS;
	if (a->le != UKEY_LE_ANY && a->le > EXT_LE_MAX)
		return UKEY_E_ARGS;

	/* UKEY_LE_ANY fits a short Le (00 = 256) unless Lc forces extended. */
	size_t le_num = a->le == UKEY_LE_ANY ? SHORT_LE_MAX : a->le;
	int ext = a->lc > SHORT_LC_MAX || le_num > SHORT_LE_MAX;
	if (ext && !extended)
		return UKEY_E_ARGS;

	size_t need = 4;
	if (a->lc > 0)
		need += (ext ? 3 : 1) + a->lc;
	if (a->le > 0)
		need += ext ? (a->lc > 0 ? 2 : 3) : 1;
	if (need > outsz)
		return UKEY_E_BUFFER_TOO_SMALL;

	size_t n = 0;
	out[n++] = a->cla;
	out[n++] = a->ins;
	out[n++] = a->p1;
	out[n++] = a->p2;
	if (a->lc > 0) {
		if (ext) {
			out[n++] = 0x00;
			out[n++] = (uint8_t)(a->lc >> 8);
			out[n++] = (uint8_t)a->lc;
		} else {
			out[n++] = (uint8_t)a->lc;
		}
		memcpy(out + n, a->data, a->lc);
		n += a->lc;
	}
	if (a->le > 0) {
		/* 256 (short) and 65536 (extended) wrap to 00 / 00 00. */
		size_t le = a->le == UKEY_LE_ANY ? (ext ? EXT_LE_MAX : SHORT_LE_MAX)
						 : a->le;
		if (ext) {
			if (a->lc == 0)
				out[n++] = 0x00; /* case 2E: 00 Le1 Le2 */
			out[n++] = (uint8_t)((le >> 8) & 0xFF);
			out[n++] = (uint8_t)(le & 0xFF);
		} else {
			out[n++] = (uint8_t)(le & 0xFF);
		}
	}
	*outlen = n;
	return UKEY_OK;
}

ukey_rv ukey_apdu_decode(const uint8_t *raw, size_t rawlen, ukey_apdu *a)
{
	if (raw == NULL || a == NULL)
		return UKEY_E_ARGS;
	memset(a, 0, sizeof(*a));
	if (rawlen < 4)
		return UKEY_E_MALFORMED;
	a->cla = raw[0];
	a->ins = raw[1];
	a->p1 = raw[2];
	a->p2 = raw[3];
	if (rawlen == 4)
		return UKEY_OK; /* case 1 */

	const uint8_t *b = raw + 4;
	size_t body = rawlen - 4;
	if (body == 1) { /* case 2S */
		a->le = b[0] ? b[0] : SHORT_LE_MAX;
		return UKEY_OK;
	}
	if (b[0] != 0x00) { /* short Lc */
		size_t lc = b[0];
		if (body == 1 + lc) { /* case 3S */
			a->lc = lc;
			a->data = b + 1;
			return UKEY_OK;
		}
		if (body == 2 + lc) { /* case 4S */
			a->lc = lc;
			a->data = b + 1;
			a->le = b[1 + lc] ? b[1 + lc] : SHORT_LE_MAX;
			return UKEY_OK;
		}
		memset(a, 0, sizeof(*a));
		return UKEY_E_MALFORMED;
	}
	/* b[0] == 00 and more than one body byte: extended length. */
	if (body == 3) { /* case 2E */
		size_t le = ((size_t)b[1] << 8) | b[2];
		a->le = le ? le : EXT_LE_MAX;
		return UKEY_OK;
	}
	if (body < 3) {
		memset(a, 0, sizeof(*a));
		return UKEY_E_MALFORMED;
	}
	size_t lc = ((size_t)b[1] << 8) | b[2];
	if (lc == 0) {
		memset(a, 0, sizeof(*a));
		return UKEY_E_MALFORMED;
	}
	if (body == 3 + lc) { /* case 3E */
		a->lc = lc;
		a->data = b + 3;
		return UKEY_OK;
	}
	if (body == 5 + lc) { /* case 4E */
		size_t le = ((size_t)b[3 + lc] << 8) | b[4 + lc];
		a->lc = lc;
		a->data = b + 3;
		a->le = le ? le : EXT_LE_MAX;
		return UKEY_OK;
	}
	memset(a, 0, sizeof(*a));
	return UKEY_E_MALFORMED;
}

ukey_rv ukey_rapdu_split(const uint8_t *raw, size_t rawlen, size_t *datalen,
			 uint16_t *sw)
{
	if (raw == NULL || datalen == NULL || sw == NULL)
		return UKEY_E_ARGS;
	if (rawlen < 2 || rawlen > UKEY_RAPDU_MAX)
		return UKEY_E_MALFORMED;
	*datalen = rawlen - 2;
	*sw = (uint16_t)((raw[rawlen - 2] << 8) | raw[rawlen - 1]);
	return UKEY_OK;
}
