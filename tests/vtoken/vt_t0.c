/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* T=0 response handling: a card OS answers with as many bytes as it has;
 * here anything beyond 256 bytes is held back and announced with 61xx, to
 * be fetched with GET RESPONSE, exactly as the FTCOS trace shows for the
 * 266-byte READ PUBLIC KEY answer (256 bytes + 61 0A, then 00 C0 00 00 0A). */
#include <stdlib.h>
#include <string.h>

#include "vtoken.h"

void vt_t0_clear(vt_t0 *t)
{
	free(t->pending);
	t->pending = NULL;
	t->len = t->off = 0;
}

/* Return up to 256 bytes of the pending data (Le = want) */
static size_t serve(vt_t0 *t, size_t want, uint8_t *rsp)
{
	size_t left = t->len - t->off;
	size_t n = want < left ? want : left;
	memcpy(rsp, t->pending + t->off, n);
	t->off += n;
	left -= n;
	if (left == 0) {
		vt_t0_clear(t);
		return vt_sw(rsp, n, 0x9000);
	}
	return vt_sw(rsp, n, (uint16_t)(0x6100 | (left > 255 ? 0 : left)));
}

size_t vt_t0_apdu(vt_t0 *t, const vt_os *os, void *st, const uint8_t *cmd,
		  size_t len, uint8_t *rsp, int *dirty)
{
	size_t lc;
	const uint8_t *data;
	long le;
	int ext;
	*dirty = 0;
	if (vt_apdu_parse(cmd, len, &lc, &data, &le, &ext))
		return vt_sw(rsp, 0, 0x6700);
	if (ext && t->enforce_short) {
		vt_t0_clear(t);
		return vt_sw(rsp, 0, 0x6700);
	}
	/* GET RESPONSE */
	if (cmd[1] == 0xC0 && (cmd[0] & 0xF0) == 0x00 && lc == 0) {
		if (!t->pending)
			return vt_sw(rsp, 0, 0x6985);
		if (cmd[2] || cmd[3])
			return vt_sw(rsp, 0, 0x6A86);
		size_t left = t->len - t->off;
		size_t want = le < 0 ? 256 : (size_t)le;
		if (want > 256)
			want = 256;
		if (le > 0 && want > left && le != 256)
			return vt_sw(rsp, 0, (uint16_t)(0x6C00 | (left & 0xFF)));
		return serve(t, want, rsp);
	}
	vt_t0_clear(t);
	size_t n = os->apdu(st, cmd, len, rsp, dirty);
	if (n < 2 || n > VT_RSP_MAX)
		return vt_sw(rsp, 0, 0x6F00);
	size_t dlen = n - 2;
	if (dlen <= 256)
		return n;
	/* keep the data, answer 256 bytes + 61xx */
	t->pending = malloc(dlen);
	if (!t->pending)
		return vt_sw(rsp, 0, 0x6F00);
	memcpy(t->pending, rsp, dlen);
	t->len = dlen;
	t->off = 0;
	return serve(t, 256, rsp);
}
