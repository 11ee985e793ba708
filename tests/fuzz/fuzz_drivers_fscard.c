/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/fuzz/fuzz_drivers_fscard.c — the simulated FTCOS file card of
 * fuzz_drivers_fscard.h. Deliberately flat: any FID can be selected from
 * anywhere (the driver tracks paths, the card does not check them).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_drivers_fscard.h"

/* More commands than any driver operation can need: a loop that a length
 * check should have stopped. */
#define FSCARD_MAX_CALLS 20000

static const uint8_t aid_p15[12] = { 0xA0, 0x00, 0x00, 0x00, 0x63, 0x50,
				     0x4B, 0x43, 0x53, 0x2D, 0x31, 0x35 };
static const uint8_t name_espk[14] = { 'E', 'N', 'T', 'E', 'R', 'S', 'A',
				       'F', 'E', '-', 'E', 'S', 'P', 'K' };

void fscard_init(fscard *c, const uint8_t *data, size_t size)
{
	memset(c, 0, sizeof(*c));
	if (size == 0)
		return;
	c->flags = data[0];
	data++;
	size--;
	while (size >= 6 && c->n < FSCARD_MAX_FILES) {
		fscard_file *f = &c->files[c->n];
		size_t len = (size_t)data[4] << 8 | data[5];

		f->fid = (uint16_t)(data[0] << 8 | data[1]);
		f->fcisize = (size_t)data[2] << 8 | data[3];
		data += 6;
		size -= 6;
		if (len > size)
			len = size;
		f->cap = f->fcisize > len ? f->fcisize : len;
		if (f->cap > FSCARD_FILE_MAX)
			f->cap = len > FSCARD_FILE_MAX ? len : FSCARD_FILE_MAX;
		f->data = calloc(1, f->cap ? f->cap : 1);
		if (!f->data)
			__builtin_trap();
		if (len)
			memcpy(f->data, data, len);
		f->len = len;
		c->n++;
		data += len;
		size -= len;
	}
}

void fscard_free(fscard *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->files[i].data);
	memset(c, 0, sizeof(*c));
}

/* UPDATE BINARY into the current EF. */
static ukey_rv update_binary(fscard *c, const ukey_apdu *a, uint8_t *rsp,
			     size_t rspcap, size_t *rsplen);
/* CREATE FILE of an EF: data = FID, size, ... (+ MAC). */
static ukey_rv create_ef(fscard *c, const ukey_apdu *a, uint8_t *rsp,
			 size_t rspcap, size_t *rsplen);

static fscard_file *find(fscard *c, uint16_t fid)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->files[i].fid == fid)
			return &c->files[i];
	return NULL;
}

/* Answer data + SW; more than 256 bytes go out through 61xx. */
static ukey_rv reply(fscard *c, const uint8_t *d, size_t dlen, uint16_t sw,
		     uint8_t *rsp, size_t rspcap, size_t *rsplen)
{
	size_t now = dlen;

	c->pending_len = 0;
	if (now > 256) {
		size_t rest = dlen - 256;

		if (rest > sizeof(c->pending))
			rest = sizeof(c->pending);
		memcpy(c->pending, d + 256, rest);
		c->pending_len = rest;
		now = 256;
		sw = (uint16_t)(0x6100 | (rest >= 256 ? 0 : rest));
	}
	if (now + 2 > rspcap)
		__builtin_trap(); /* apdu/ always offers UKEY_RAPDU_MAX */
	if (now)
		memcpy(rsp, d, now);
	rsp[now] = (uint8_t)(sw >> 8);
	rsp[now + 1] = (uint8_t)sw;
	*rsplen = now + 2;
	return UKEY_OK;
}

static ukey_rv sw_only(fscard *c, uint16_t sw, uint8_t *rsp, size_t rspcap,
		       size_t *rsplen)
{
	return reply(c, NULL, 0, sw, rsp, rspcap, rsplen);
}

static ukey_rv select_fid(fscard *c, uint16_t fid, uint8_t *rsp,
			  size_t rspcap, size_t *rsplen)
{
	uint8_t fci[64];
	size_t n = 0;
	const uint8_t *name = NULL;
	size_t name_len = 0;

	if (fid == 0x3F00) {
		c->cur = NULL;
		static const uint8_t mf[] = { 0x6F, 0x04, 0x83, 0x02, 0x3F, 0x00 };
		return reply(c, mf, sizeof(mf), 0x9000, rsp, rspcap, rsplen);
	}
	if (fid == 0x5015 && !(c->flags & FSCARD_F_NO_5015)) {
		name = aid_p15;
		name_len = sizeof(aid_p15);
	} else if (fid == 0x2003 && !(c->flags & FSCARD_F_NO_2003)) {
		name = name_espk;
		name_len = (c->flags & FSCARD_F_ESPK_NAME) ? 8 : sizeof(name_espk);
	}
	if (name) {
		c->cur = NULL;
		fci[n++] = 0x6F;
		fci[n++] = (uint8_t)(4 + 2 + name_len);
		fci[n++] = 0x83;
		fci[n++] = 0x02;
		fci[n++] = (uint8_t)(fid >> 8);
		fci[n++] = (uint8_t)fid;
		fci[n++] = 0x84;
		fci[n++] = (uint8_t)name_len;
		memcpy(fci + n, name, name_len);
		n += name_len;
		return reply(c, fci, n, 0x9000, rsp, rspcap, rsplen);
	}
	c->cur = find(c, fid);
	if (!c->cur || (fid & 0xFF00) == 0xE000 || fid == 0xE100)
		return sw_only(c, 0x6A82, rsp, rspcap, rsplen);
	if (c->flags & FSCARD_F_FCI_EMPTY)
		return sw_only(c, 0x9000, rsp, rspcap, rsplen);
	fci[n++] = 0x6F;
	fci[n++] = 0x0B;
	fci[n++] = 0x83;
	fci[n++] = 0x02;
	fci[n++] = (uint8_t)(fid >> 8);
	fci[n++] = (uint8_t)fid;
	fci[n++] = 0x80;
	fci[n++] = 0x02;
	fci[n++] = (uint8_t)(c->cur->fcisize >> 8);
	fci[n++] = (uint8_t)c->cur->fcisize;
	fci[n++] = 0x82;
	fci[n++] = 0x01;
	fci[n++] = 0x01;
	return reply(c, fci, n, 0x9000, rsp, rspcap, rsplen);
}

static ukey_rv read_binary(fscard *c, const ukey_apdu *a, uint8_t *rsp,
			   size_t rspcap, size_t *rsplen)
{
	size_t off = (size_t)a->p1 << 8 | a->p2;
	size_t want = a->le == UKEY_LE_ANY || a->le == 0 ? 256 : a->le;
	size_t have;

	if (a->p1 & 0x80)
		return sw_only(c, 0x6A86, rsp, rspcap, rsplen);
	if (!c->cur)
		return sw_only(c, 0x6986, rsp, rspcap, rsplen);
	if (off >= c->cur->len)
		return sw_only(c, 0x6B00, rsp, rspcap, rsplen);
	have = c->cur->len - off;
	if (want > 256)
		want = 256;
	if (have >= want)
		return reply(c, c->cur->data + off, want, 0x9000, rsp, rspcap, rsplen);
	return reply(c, c->cur->data + off, have, 0x6282, rsp, rspcap, rsplen);
}

static ukey_rv update_binary(fscard *c, const ukey_apdu *a, uint8_t *rsp,
			     size_t rspcap, size_t *rsplen)
{
	size_t off = (size_t)a->p1 << 8 | a->p2;
	fscard_file *f = c->cur;

	if (a->p1 & 0x80)
		return sw_only(c, 0x6A86, rsp, rspcap, rsplen);
	if (!f)
		return sw_only(c, 0x6986, rsp, rspcap, rsplen);
	if (off > f->cap || a->lc > f->cap - off)
		return sw_only(c, 0x6B00, rsp, rspcap, rsplen);
	memcpy(f->data + off, a->data, a->lc);
	if (off + a->lc > f->len)
		f->len = off + a->lc;
	return sw_only(c, 0x9000, rsp, rspcap, rsplen);
}

static ukey_rv create_ef(fscard *c, const ukey_apdu *a, uint8_t *rsp,
			 size_t rspcap, size_t *rsplen)
{
	fscard_file *f;
	uint16_t fid;
	size_t size;

	if (a->lc < 4)
		return sw_only(c, 0x6700, rsp, rspcap, rsplen);
	fid = (uint16_t)(a->data[0] << 8 | a->data[1]);
	size = (size_t)a->data[2] << 8 | a->data[3];
	if (find(c, fid) || fid == 0x3F00 || fid == 0x5015 || fid == 0x2003)
		return sw_only(c, 0x6A89, rsp, rspcap, rsplen);
	if ((c->flags & FSCARD_F_NO_SPACE) || c->n >= FSCARD_MAX_FILES ||
	    size > FSCARD_FILE_MAX)
		return sw_only(c, 0x6A84, rsp, rspcap, rsplen);
	f = &c->files[c->n];
	f->data = calloc(1, size ? size : 1);
	if (!f->data)
		__builtin_trap();
	f->fid = fid;
	f->fcisize = f->cap = f->len = size;
	c->n++;
	c->cur = f; /* the new EF is current */
	return sw_only(c, 0x9000, rsp, rspcap, rsplen);
}

ukey_rv fscard_xfer(void *ctx, const uint8_t *cmd, size_t cmdlen,
		    uint8_t *rsp, size_t rspcap, size_t *rsplen)
{
	fscard *c = ctx;
	ukey_apdu a;

	/* Whatever a driver sends must be a valid APDU. */
	if (ukey_apdu_decode(cmd, cmdlen, &a) != UKEY_OK)
		__builtin_trap();
	if (++c->calls > FSCARD_MAX_CALLS)
		__builtin_trap();
	if (a.ins == 0xC0) { /* GET RESPONSE */
		uint8_t tmp[sizeof(c->pending)];
		size_t n = c->pending_len;

		if (!n)
			return sw_only(c, 0x6985, rsp, rspcap, rsplen);
		memcpy(tmp, c->pending, n);
		return reply(c, tmp, n, 0x9000, rsp, rspcap, rsplen);
	}
	switch (a.ins) {
	case 0xA4: /* SELECT */
		if (a.p1 == 0x04) {
			if (c->flags & FSCARD_F_AID_REFUSED)
				return sw_only(c, 0x6D00, rsp, rspcap, rsplen);
			if (a.lc == sizeof(aid_p15) &&
			    memcmp(a.data, aid_p15, sizeof(aid_p15)) == 0)
				return select_fid(c, 0x5015, rsp, rspcap, rsplen);
			return sw_only(c, 0x6A82, rsp, rspcap, rsplen);
		}
		if (a.p1 != 0x00 || a.lc != 2)
			return sw_only(c, 0x6A86, rsp, rspcap, rsplen);
		return select_fid(c, (uint16_t)(a.data[0] << 8 | a.data[1]), rsp,
				  rspcap, rsplen);
	case 0xB0:
		return read_binary(c, &a, rsp, rspcap, rsplen);
	case 0xD6:
		return update_binary(c, &a, rsp, rspcap, rsplen);
	case 0xE0:
		if (a.p1 == 0x02)
			return create_ef(c, &a, rsp, rspcap, rsplen);
		return sw_only(c, 0x9000, rsp, rspcap, rsplen);
	case 0x46: /* GENERATE KEY PAIR */
	case 0x24: /* CHANGE REFERENCE DATA */
	case 0xF0: /* install key */
	case 0xF4: /* WRITE KEY */
	case 0xEE: /* ERASE */
		return sw_only(c, 0x9000, rsp, rspcap, rsplen);
	case 0xEA: { /* serial number */
		static const uint8_t sn[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
		return reply(c, sn, sizeof(sn), 0x9000, rsp, rspcap, rsplen);
	}
	case 0xE6: { /* READ PUBLIC KEY */
		const fscard_file *f = find(c, (uint16_t)(0xE000 | a.p2));

		if (a.p2 < 1 || a.p2 > 9 || !f)
			return sw_only(c, 0x6A88, rsp, rspcap, rsplen);
		return reply(c, f->data, f->len, 0x9000, rsp, rspcap, rsplen);
	}
	case 0x20: /* VERIFY */
		return sw_only(c, (c->flags & FSCARD_F_WRONG_PIN) ? 0x63C2 : 0x9000,
			       rsp, rspcap, rsplen);
	case 0x22: /* MSE */
		return sw_only(c, 0x9000, rsp, rspcap, rsplen);
	case 0x2A: { /* PSO: the card's answer, or zeros of the block size */
		static const uint8_t zero[256];
		const fscard_file *f = find(c, 0xE100);

		if (f)
			return reply(c, f->data, f->len, 0x9000, rsp, rspcap, rsplen);
		return reply(c, zero, a.lc == 192 ? 256 : a.lc, 0x9000, rsp, rspcap,
			     rsplen);
	}
	case 0x84: { /* GET CHALLENGE */
		static const uint8_t rnd[256] = { 0x5A };
		size_t n = a.le == UKEY_LE_ANY || a.le == 0 ? 8 : a.le;

		return reply(c, rnd, n > 256 ? 256 : n, 0x9000, rsp, rspcap, rsplen);
	}
	default:
		return sw_only(c, 0x6D00, rsp, rspcap, rsplen);
	}
}
