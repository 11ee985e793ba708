/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/ftcos/ftcos_cmd.c — plain FTCOS commands: SELECT (with tracking of
 * the current DF/EF so that nothing is selected twice), READ/UPDATE BINARY,
 * GET CHALLENGE, serial number, PIN commands.
 */
#include <string.h>

#include "ftcos.h"
#include "selpath.h"

#define FID_MF 0x3F00

static ukey_rv sw_err(uint16_t sw)
{
	ukey_rv rv = ukey_sw_to_err(sw);

	/* 61xx never reaches us (apdu/ follows it); anything else but 9000 is
	 * an error for these commands. */
	if (sw != UKEY_SW_OK && rv == UKEY_OK)
		rv = UKEY_E_SW_OTHER;
	return rv;
}

static void load_key(const ukey_profile *prof, const char *name,
		     const uint8_t *def, size_t deflen, uint8_t *out,
		     size_t *outlen)
{
	size_t len = 0;

	if (prof && ukey_profile_get_hex(prof, name, out, 16, &len) == UKEY_OK &&
	    (len == 8 || len == 16)) {
		*outlen = len;
		return;
	}
	memcpy(out, def, deflen);
	*outlen = deflen;
}

ukey_rv ftcos_ctx_init(ftcos_ctx *c, ukey_chan *ch, const ukey_profile *prof)
{
	/* Defaults are the FTCOS values of the reference; a profile overrides. */
	static const uint8_t transport[8] = { 0x92, 0x34, 0x2E, 0xEF,
					      0x23, 0x40, 0x4F, 0xD1 };
	static const uint8_t initk[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
					   11, 12, 13, 14, 15, 16 };
	static const uint8_t maint[16] = { 0x12, 0x34, 0x56, 0x78, 0x21, 0x43,
					   0x65, 0x87, 0x11, 0x22, 0xAA, 0xBB,
					   0x33, 0x44, 0xCD, 0xEF };
	unsigned long v;

	if (!c || !ch)
		return UKEY_E_ARGS;
	memset(c, 0, sizeof(*c));
	c->ch = ch;
	v = ukey_profile_get_uint(prof, "max_read", FTCOS_CHUNK_MAX);
	c->max_read = (v >= 1 && v <= 256) ? v : FTCOS_CHUNK_MAX;
	v = ukey_profile_get_uint(prof, "max_update", FTCOS_CHUNK_MAX);
	c->max_update = (v >= 1 && v <= 255) ? v : FTCOS_CHUNK_MAX;
	load_key(prof, "transport_key", transport, 8, c->transport_key,
		 &c->transport_key_len);
	load_key(prof, "init_key", initk, 16, c->init_key, &c->init_key_len);
	load_key(prof, "maintenance_key", maint, 16, c->maint_key,
		 &c->maint_key_len);
	return UKEY_OK;
}

void ftcos_forget(ftcos_ctx *c)
{
	c->df_known = 0;
	c->df_depth = 0;
	c->ef = 0;
	c->ef_size = 0;
}

void ftcos_ctx_wipe(ftcos_ctx *c)
{
	if (c)
		ukey_memzero(c, sizeof(*c));
}

/* ------------------------------------------------------------------ FCI */

ukey_rv ftcos_parse_fci(const uint8_t *p, size_t len, ftcos_fci *out)
{
	ukey_tlv t, in;
	const uint8_t *q;
	size_t left;

	memset(out, 0, sizeof(*out));
	if (len == 0)
		return UKEY_OK;
	q = p;
	left = len;
	if (ukey_tlv_next(&q, &left, &t) != UKEY_OK || t.tag != 0x6F || left != 0)
		return UKEY_E_MALFORMED;
	q = t.value;
	left = t.len;
	while (left) {
		if (ukey_tlv_next(&q, &left, &in) != UKEY_OK)
			return UKEY_E_MALFORMED;
		switch (in.tag) {
		case 0x83:
			if (in.len != 2)
				return UKEY_E_MALFORMED;
			out->fid = (uint16_t)(in.value[0] << 8 | in.value[1]);
			break;
		case 0x84:
			if (in.len > sizeof(out->name))
				return UKEY_E_MALFORMED;
			memcpy(out->name, in.value, in.len);
			out->name_len = in.len;
			out->is_df = 1;
			break;
		case 0x80:
			/* Size: 2 bytes as FTCOS sends it; accept 1..3. */
			if (in.len < 1 || in.len > 3)
				return UKEY_E_MALFORMED;
			out->size = 0;
			for (size_t i = 0; i < in.len; i++)
				out->size = out->size << 8 | in.value[i];
			break;
		default:
			break; /* 82 (descriptor) and unknown tags are ignored */
		}
	}
	return UKEY_OK;
}

/* --------------------------------------------------------------- SELECT */

ukey_rv ftcos_select_fid(ftcos_ctx *c, uint16_t fid, ftcos_fci *fci)
{
	uint8_t data[2] = { (uint8_t)(fid >> 8), (uint8_t)fid };
	uint8_t rsp[258];
	size_t rlen = 0;
	uint16_t sw = 0;
	ftcos_fci local;
	ukey_apdu a = { 0x00, 0xA4, 0x00, 0x00, data, 2, 0xE0, 0 };
	ukey_rv rv;

	if (!fci)
		fci = &local;
	rv = ukey_transmit(c->ch, &a, rsp, sizeof(rsp), &rlen, &sw);
	if (rv != UKEY_OK) {
		ftcos_forget(c);
		return rv;
	}
	if (sw != UKEY_SW_OK) {
		/* ISO 7816-4: a failed SELECT leaves the current DF as it was,
		 * but we no longer trust which EF is current. */
		c->ef = 0;
		if (sw != 0x6A82)
			ftcos_forget(c);
		return sw_err(sw);
	}
	rv = ftcos_parse_fci(rsp, rlen, fci);
	if (rv != UKEY_OK) {
		ftcos_forget(c);
		return rv;
	}
	if (fci->fid && fci->fid != fid) {
		ftcos_forget(c);
		return UKEY_E_MALFORMED;
	}
	fci->fid = fid;
	if (fid == FID_MF) {
		fci->is_df = 1;
		c->df_known = 1;
		c->df_path[0] = FID_MF;
		c->df_depth = 1;
		c->ef = 0;
	} else if (fci->is_df) {
		if (c->df_known && c->df_depth < FTCOS_MAX_DEPTH) {
			c->df_path[c->df_depth++] = fid;
			c->ef = 0;
		} else {
			ftcos_forget(c);
		}
	} else if (rlen == 0) {
		ftcos_forget(c); /* no FCI: we cannot tell what is current */
	} else {
		c->ef = fid;
		c->ef_size = fci->size;
	}
	return UKEY_OK;
}

/* Where the drivers differ: a path here may name 0000 or FFFF (the card
 * answers), only the MF again is refused; ePass2003 refuses those too. */
static ukey_rv path_to_fids(const uint8_t *path, size_t len, uint16_t *fids,
			    size_t *n)
{
	return selpath_fids(path, len, FTCOS_MAX_DEPTH, 0, fids, n);
}

/* The shortcut ftcos_after_reset arms: nothing is known to be selected and
 * the path leads through the application DF, so SELECT it by AID (one
 * command; MF then DF would be two). A refusal or an unexpected answer only
 * costs the shortcut (the caller selects the path from the MF); a link
 * error is returned. */
static ukey_rv select_app_pending(ftcos_ctx *c, const uint16_t *fids, size_t n)
{
	ftcos_fci fci;
	size_t i;
	ukey_rv rv;

	if (c->df_known) {
		c->app_pending = 0; /* something else was selected meanwhile */
		return UKEY_OK;
	}
	if (n < c->app_depth)
		return UKEY_OK; /* not under the application: keep it armed */
	for (i = 0; i < c->app_depth && fids[i] == c->app_df[i]; i++)
		;
	if (i < c->app_depth)
		return UKEY_OK;
	c->app_pending = 0;
	rv = ftcos_select_aid(c, c->app_aid, c->app_aid_len, &fci);
	if (ukey_rv_link_error(rv))
		return rv;
	if (rv != UKEY_OK ||
	    (fci.fid && fci.fid != c->app_df[c->app_depth - 1])) {
		/* refused, or an application somewhere else: go by path */
		ftcos_forget(c);
		c->app_aid_len = 0;
		return UKEY_OK;
	}
	c->df_known = 1;
	memcpy(c->df_path, c->app_df, c->app_depth * sizeof(c->df_path[0]));
	c->df_depth = c->app_depth;
	c->ef = 0;
	c->ef_size = 0;
	return UKEY_OK;
}

/* ---------------------------------------- path selection (selpath.c) */

_Static_assert(FTCOS_MAX_DEPTH <= SELPATH_MAX_DEPTH,
	       "selpath_cur holds the DF path we track");

static void sel_cur(const ftcos_ctx *c, selpath_cur *cur)
{
	/* FTCOS's FCI has no file type */
	selpath_cur_set(cur, c->df_known, c->df_path, c->df_depth, c->ef,
			c->ef_size, 0);
}

static ukey_rv sel_fid(void *os, uint16_t fid, void *fci, selpath_cur *cur)
{
	ukey_rv rv = ftcos_select_fid(os, fid, fci);

	sel_cur(os, cur);
	return rv;
}

/* The EF is current: its FCI as we recorded it from its SELECT. */
static void sel_ef_fci(void *fci, const selpath_cur *cur)
{
	ftcos_fci *f = fci;

	memset(f, 0, sizeof(*f));
	f->fid = cur->ef;
	f->size = cur->ef_size;
}

static void sel_forget(void *os)
{
	ftcos_forget(os);
}

static const selpath_ops sel_ops = { sel_fid, sel_ef_fci, sel_forget };

ukey_rv ftcos_select_path(ftcos_ctx *c, const uint8_t *path, size_t len,
			  ftcos_fci *fci)
{
	uint16_t fids[FTCOS_MAX_DEPTH + 1];
	selpath_cur cur;
	size_t n;
	ukey_rv rv;

	rv = path_to_fids(path, len, fids, &n);
	if (rv)
		return rv;
	if (c->app_pending) {
		rv = select_app_pending(c, fids, n);
		if (rv)
			return rv;
	}
	sel_cur(c, &cur);
	return selpath_select(&sel_ops, c, &cur, fids, n, fci);
}

ukey_rv ftcos_select_df(ftcos_ctx *c, const uint8_t *path, size_t len)
{
	uint16_t fids[FTCOS_MAX_DEPTH + 1];
	size_t n;
	ukey_rv rv = path_to_fids(path, len, fids, &n);

	if (rv)
		return rv;
	if (c->df_known && c->df_depth == n) {
		size_t i;

		for (i = 0; i < n && c->df_path[i] == fids[i]; i++)
			;
		if (i == n)
			return UKEY_OK;
	}
	return ftcos_select_path(c, path, len, NULL);
}

ukey_rv ftcos_select_aid(ftcos_ctx *c, const uint8_t *aid, size_t len,
			 ftcos_fci *fci)
{
	uint8_t rsp[258];
	size_t rlen = 0;
	uint16_t sw = 0;
	ftcos_fci local;
	ukey_apdu a = { 0x00, 0xA4, 0x04, 0x00, aid, len, 0xE0, 0 };
	ukey_rv rv;

	if (!aid || len < 1 || len > 16)
		return UKEY_E_ARGS;
	if (!fci)
		fci = &local;
	ftcos_forget(c); /* we do not know where the application lives */
	c->app_pending = 0;
	rv = ukey_transmit(c->ch, &a, rsp, sizeof(rsp), &rlen, &sw);
	if (rv)
		return rv;
	if (sw != UKEY_SW_OK)
		return sw_err(sw);
	rv = ftcos_parse_fci(rsp, rlen, fci);
	if (rv)
		return rv;
	fci->is_df = 1;
	return UKEY_OK;
}

ukey_rv ftcos_now_in_df(ftcos_ctx *c, const uint8_t *path, size_t len)
{
	uint16_t fids[FTCOS_MAX_DEPTH + 1];
	size_t n = 0;
	ukey_rv rv = path_to_fids(path, len, fids, &n);

	if (rv)
		return rv;
	if (n > FTCOS_MAX_DEPTH)
		return UKEY_E_ARGS;
	c->df_known = 1;
	memcpy(c->df_path, fids, n * sizeof(fids[0]));
	c->df_depth = n;
	c->ef = 0;
	return UKEY_OK;
}

ukey_rv ftcos_after_reset(ftcos_ctx *c, const uint8_t *aid, size_t aid_len,
			  const uint8_t *app_path, size_t path_len)
{
	uint16_t fids[FTCOS_MAX_DEPTH + 1];
	size_t n = 0;

	if (!c)
		return UKEY_E_ARGS;
	/* A reset leaves nothing selected that we could rely on. */
	ftcos_forget(c);
	c->app_pending = 0;
	c->app_aid_len = 0;
	c->app_depth = 0;
	if (!aid)
		return UKEY_OK;
	if (aid_len < 1 || aid_len > sizeof(c->app_aid) ||
	    path_to_fids(app_path, path_len, fids, &n) != UKEY_OK || n < 2 ||
	    n > FTCOS_MAX_DEPTH)
		return UKEY_E_ARGS;
	memcpy(c->app_aid, aid, aid_len);
	c->app_aid_len = aid_len;
	memcpy(c->app_df, fids, n * sizeof(fids[0]));
	c->app_depth = n;
	c->app_pending = 1;
	return UKEY_OK;
}

/* ------------------------------------------------------------- binaries */

/* Send one READ/UPDATE BINARY chunk at file offset pos (P1-P2). A transport
 * failure leaves the card's selection unknown: forget it. */
static ukey_rv binary_at(ftcos_ctx *c, ukey_apdu *a, size_t pos, uint8_t *rsp,
			 size_t rsp_cap, size_t *rlen, uint16_t *sw)
{
	ukey_rv rv;

	if (pos > 0x7FFF)
		return UKEY_E_ARGS; /* P1 bit 8 would mean a short FID */
	a->p1 = (uint8_t)(pos >> 8);
	a->p2 = (uint8_t)pos;
	rv = ukey_transmit(c->ch, a, rsp, rsp_cap, rlen, sw);
	if (rv)
		ftcos_forget(c);
	return rv;
}

ukey_rv ftcos_read_binary(ftcos_ctx *c, size_t off, uint8_t *buf, size_t len,
			  size_t *got)
{
	size_t done = 0;

	*got = 0;
	if (!buf && len)
		return UKEY_E_ARGS;
	while (done < len) {
		size_t chunk = len - done, rlen = 0;
		size_t pos = off + done;
		uint8_t rsp[258];
		uint16_t sw = 0;
		ukey_apdu a = { 0x00, 0xB0, 0, 0, NULL, 0, 0, 0 };
		ukey_rv rv;

		if (chunk > c->max_read)
			chunk = c->max_read;
		a.le = chunk;
		rv = binary_at(c, &a, pos, rsp, sizeof(rsp), &rlen, &sw);
		if (rv)
			return rv;
		if (sw == 0x6B00 && done > 0)
			break; /* read past the end of a file we sized wrongly */
		if (sw != UKEY_SW_OK && sw != 0x6282)
			return sw_err(sw);
		if (rlen > chunk)
			return UKEY_E_MALFORMED;
		memcpy(buf + done, rsp, rlen);
		done += rlen;
		if (rlen < chunk || sw == 0x6282)
			break;
	}
	*got = done;
	return UKEY_OK;
}

ukey_rv ftcos_update_binary(ftcos_ctx *c, size_t off, const uint8_t *buf,
			    size_t len)
{
	size_t done = 0;

	if (!buf && len)
		return UKEY_E_ARGS;
	while (done < len) {
		size_t chunk = len - done, rlen = 0;
		size_t pos = off + done;
		uint8_t rsp[8];
		uint16_t sw = 0;
		ukey_apdu a = { 0x00, 0xD6, 0, 0, buf + done, 0, 0, 0 };
		ukey_rv rv;

		if (chunk > c->max_update)
			chunk = c->max_update;
		a.lc = chunk;
		rv = binary_at(c, &a, pos, rsp, sizeof(rsp), &rlen, &sw);
		if (rv)
			return rv;
		if (sw != UKEY_SW_OK)
			return sw_err(sw);
		done += chunk;
	}
	return UKEY_OK;
}

/* ----------------------------------------------------------- misc */

ukey_rv ftcos_get_challenge(ftcos_ctx *c, uint8_t *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		size_t chunk = len - done, rlen = 0;
		uint8_t rsp[258];
		uint16_t sw = 0;
		ukey_apdu a = { 0x00, 0x84, 0x00, 0x00, NULL, 0, 0, 0 };
		ukey_rv rv;

		/* 8 bytes per command is what every FTCOS answers. */
		if (chunk > 8)
			chunk = 8;
		a.le = chunk;
		rv = ukey_transmit(c->ch, &a, rsp, sizeof(rsp), &rlen, &sw);
		if (rv)
			return rv;
		if (sw != UKEY_SW_OK)
			return sw_err(sw);
		if (rlen != chunk)
			return UKEY_E_MALFORMED;
		memcpy(buf + done, rsp, chunk);
		ukey_memzero(rsp, sizeof(rsp));
		done += chunk;
	}
	return UKEY_OK;
}

ukey_rv ftcos_serial(ftcos_ctx *c, uint8_t out[8])
{
	uint8_t rsp[258];
	size_t rlen = 0;
	uint16_t sw = 0;
	ukey_apdu a = { 0x80, 0xEA, 0x00, 0x00, NULL, 0, 8, 0 };
	ukey_rv rv = ukey_transmit(c->ch, &a, rsp, sizeof(rsp), &rlen, &sw);

	if (rv)
		return rv;
	if (sw != UKEY_SW_OK)
		return sw_err(sw);
	if (rlen != 8)
		return UKEY_E_MALFORMED;
	memcpy(out, rsp, 8);
	return UKEY_OK;
}

/* ---------------------------------------------------------------- PINs */

static ukey_rv pad_pin(const uint8_t *pin, size_t len, uint8_t out[FTCOS_PIN_STORED])
{
	if (!pin || len == 0 || len > FTCOS_PIN_STORED)
		return UKEY_E_ARGS;
	memset(out, 0, FTCOS_PIN_STORED);
	memcpy(out, pin, len);
	return UKEY_OK;
}

ukey_rv ftcos_verify(ftcos_ctx *c, uint8_t ref, const uint8_t *pin, size_t len,
		     int *tries_left)
{
	uint8_t data[FTCOS_PIN_STORED], rsp[8];
	size_t rlen = 0;
	uint16_t sw = 0;
	ukey_apdu a = { 0x00, 0x20, 0x00, ref, data, sizeof(data), 0,
			UKEY_APDU_SENSITIVE };
	ukey_rv rv;

	if (tries_left)
		*tries_left = -1;
	rv = pad_pin(pin, len, data);
	if (rv)
		return rv;
	rv = ukey_transmit(c->ch, &a, rsp, sizeof(rsp), &rlen, &sw);
	ukey_memzero(data, sizeof(data));
	if (rv)
		return rv;
	if (sw == UKEY_SW_OK)
		return UKEY_OK;
	if (tries_left)
		*tries_left = ukey_sw_tries_left(sw);
	if (sw == 0x63C0 || sw == 0x6983)
		return UKEY_E_SW_PIN_BLOCKED;
	return sw_err(sw);
}

ukey_rv ftcos_change_pin(ftcos_ctx *c, uint8_t ref, const uint8_t *oldp,
			 size_t oldlen, const uint8_t *newp, size_t newlen)
{
	uint8_t data[2 * FTCOS_PIN_STORED], rsp[8];
	size_t rlen = 0;
	uint16_t sw = 0;
	ukey_apdu a = { 0x00, 0x24, 0x00, ref, data, sizeof(data), 0,
			UKEY_APDU_SENSITIVE };
	ukey_rv rv;

	rv = pad_pin(oldp, oldlen, data);
	if (!rv)
		rv = pad_pin(newp, newlen, data + FTCOS_PIN_STORED);
	if (!rv)
		rv = ukey_transmit(c->ch, &a, rsp, sizeof(rsp), &rlen, &sw);
	ukey_memzero(data, sizeof(data));
	if (rv)
		return rv;
	if (sw == 0x63C0 || sw == 0x6983)
		return UKEY_E_SW_PIN_BLOCKED;
	return sw == UKEY_SW_OK ? UKEY_OK : sw_err(sw);
}

ukey_rv ftcos_set_pin(ftcos_ctx *c, uint8_t ref, const uint8_t *pin, size_t len)
{
	/* PIN record body: 33 00 then the PIN padded with 00 to 16 bytes. */
	uint8_t data[2 + FTCOS_PIN_STORED];
	ukey_rv rv;

	data[0] = 0x33;
	data[1] = 0x00;
	rv = pad_pin(pin, len, data + 2);
	if (!rv)
		rv = ftcos_write_key(c, FTCOS_USAGE_PIN, ref, data, sizeof(data));
	ukey_memzero(data, sizeof(data));
	return rv;
}
