/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/epass2003/epass2003_cmd.c — ePass2003 file commands under secure
 * messaging: SELECT (tracking the current DF/EF so that nothing is selected
 * twice), FCI parsing, READ/UPDATE BINARY, READ RECORD, CREATE FILE (FCP
 * built as the card wants it), DELETE FILE, GET CHALLENGE, serial number.
 */
#include <string.h>

#include "epass2003.h"
#include "selpath.h"

#define FID_MF 0x3F00

static void forget_selection(epass2003_ctx *c)
{
	c->df_known = 0;
	c->df_depth = 0;
	c->ef = 0;
	c->ef_size = 0;
	c->ef_type = 0;
}

/* ------------------------------------------------------------ FID hook */

static int hooked_prefix(uint8_t hi)
{
	return hi == 0x29 || (hi >= 0x30 && hi <= 0x34);
}

uint16_t epass2003_hook_fid(const epass2003_ctx *c, uint16_t fid)
{
	if (!c || !c->fid_hook || !hooked_prefix((uint8_t)(fid >> 8)))
		return fid;
	return (uint16_t)((fid & 0xFF00) | (uint8_t)((fid & 0xFF) * 0x20));
}

uint16_t epass2003_unhook_fid(const epass2003_ctx *c, uint16_t fid)
{
	if (!c || !c->fid_hook || !hooked_prefix((uint8_t)(fid >> 8)))
		return fid;
	return (uint16_t)((fid & 0xFF00) | ((fid & 0xFF) / 0x20));
}

/* --------------------------------------------------------------- FCI */

ukey_rv epass2003_parse_fci(const uint8_t *p, size_t len, epass2003_fci *out)
{
	const uint8_t *q;
	size_t left;
	unsigned seen = 0;
	ukey_tlv t, in;

	if (!out)
		return UKEY_E_ARGS;
	memset(out, 0, sizeof(*out));
	if (!p || len < 2)
		return UKEY_E_MALFORMED;
	q = p;
	left = len;
	if (ukey_tlv_next(&q, &left, &t) != UKEY_OK || t.tag != 0x6F || left != 0)
		return UKEY_E_MALFORMED;
	q = t.value;
	left = t.len;
	while (left) {
		unsigned bit;

		if (ukey_tlv_next(&q, &left, &in) != UKEY_OK)
			return UKEY_E_MALFORMED;
		switch (in.tag) {
		case 0x80: bit = 1; break;
		case 0x81: bit = 2; break;
		case 0x82: bit = 4; break;
		case 0x83: bit = 8; break;
		case 0x84: bit = 16; break;
		case 0x85: bit = 32; break;
		case 0x86: bit = 64; break;
		default: bit = 0; break;
		}
		if (bit & seen)
			return UKEY_E_MALFORMED; /* a tag twice */
		seen |= bit;
		switch (in.tag) {
		case 0x83:
			if (in.len != 2)
				return UKEY_E_MALFORMED;
			out->fid = (uint16_t)(in.value[0] << 8 | in.value[1]);
			break;
		case 0x80: /* bytes in the file, 1 or 2 bytes */
			if (in.len < 1 || in.len > 2)
				return UKEY_E_MALFORMED;
			out->size = in.len == 2 ? (size_t)in.value[0] << 8 | in.value[1]
						: in.value[0];
			break;
		case 0x81: /* used when 80 is absent */
			if (in.len < 2)
				return UKEY_E_MALFORMED;
			if (!(seen & 1))
				out->size = (size_t)in.value[0] << 8 | in.value[1];
			break;
		case 0x82:
			if (in.len < 1 || in.len > 6)
				return UKEY_E_MALFORMED;
			out->type = in.value[0];
			if (out->type == EPASS2003_FT_DF)
				out->is_df = 1;
			if (in.len >= 4)
				out->record_len = (size_t)in.value[2] << 8 | in.value[3];
			else if (in.len == 3)
				out->record_len = in.value[2];
			if (in.len >= 5)
				out->records = in.value[4];
			break;
		case 0x84:
			if (in.len > sizeof(out->name))
				return UKEY_E_MALFORMED;
			memcpy(out->name, in.value, in.len);
			out->name_len = in.len;
			if (!out->type)
				out->is_df = 1;
			break;
		case 0x86:
			if (in.len > 16)
				return UKEY_E_MALFORMED;
			memset(out->ac, 0xFF, sizeof(out->ac));
			out->ac_len = in.len > sizeof(out->ac) ? sizeof(out->ac) : in.len;
			memcpy(out->ac, in.value, out->ac_len);
			break;
		default:
			break; /* 85 (proprietary), 8A (status), A5 ... */
		}
	}
	return UKEY_OK;
}

ukey_rv epass2003_build_fcp(const epass2003_fci *spec, uint8_t *out,
			    size_t cap, size_t *len)
{
	uint8_t d[64];
	size_t n = 0;

	if (!spec || !out || !len)
		return UKEY_E_ARGS;
	*len = 0;
	if (spec->size > 0xFFFF)
		return UKEY_E_ARGS;
	switch (spec->type) {
	case EPASS2003_FT_EF:
		d[n++] = 0x80; d[n++] = 0x02;
		d[n++] = (uint8_t)(spec->size >> 8);
		d[n++] = (uint8_t)spec->size;
		d[n++] = 0x82; d[n++] = 0x02; d[n++] = EPASS2003_FT_EF; d[n++] = 0x00;
		break;
	case EPASS2003_FT_LINEAR:
		if (spec->record_len == 0 || spec->record_len > 0xFF ||
		    spec->records > 0xFF)
			return UKEY_E_ARGS;
		d[n++] = 0x82; d[n++] = 0x05; d[n++] = EPASS2003_FT_LINEAR;
		d[n++] = 0x00;
		d[n++] = (uint8_t)(spec->record_len >> 8);
		d[n++] = (uint8_t)spec->record_len;
		d[n++] = (uint8_t)spec->records;
		break;
	case EPASS2003_FT_DF:
		if (spec->name_len == 0 || spec->name_len > sizeof(spec->name))
			return UKEY_E_ARGS;
		d[n++] = 0x82; d[n++] = 0x02; d[n++] = EPASS2003_FT_DF; d[n++] = 0x00;
		break;
	case EPASS2003_FT_BSO:
	case EPASS2003_FT_RSA_PRV:
	case EPASS2003_FT_RSA_PUB:
		d[n++] = 0x82; d[n++] = 0x02; d[n++] = spec->type; d[n++] = 0x00;
		break;
	default:
		return UKEY_E_ARGS;
	}
	d[n++] = 0x83; d[n++] = 0x02;
	d[n++] = (uint8_t)(spec->fid >> 8);
	d[n++] = (uint8_t)spec->fid;
	if (spec->type == EPASS2003_FT_DF) {
		d[n++] = 0x84;
		d[n++] = (uint8_t)spec->name_len;
		memcpy(d + n, spec->name, spec->name_len);
		n += spec->name_len;
		/* 127 files at most, as OpenSC creates DFs */
		d[n++] = 0x85; d[n++] = 0x02; d[n++] = 0x00; d[n++] = 0x7F;
	} else if (spec->type == EPASS2003_FT_BSO) {
		d[n++] = 0x85; d[n++] = 0x01; d[n++] = (uint8_t)spec->size;
	} else if (spec->type == EPASS2003_FT_RSA_PRV ||
		   spec->type == EPASS2003_FT_RSA_PUB) {
		d[n++] = 0x85; d[n++] = 0x02;
		d[n++] = (uint8_t)(spec->size >> 8);
		d[n++] = (uint8_t)spec->size;
	}
	d[n++] = 0x86; d[n++] = 0x08;
	for (size_t i = 0; i < 8; i++)
		d[n++] = i < spec->ac_len ? spec->ac[i] : 0xFF;
	if (spec->type == EPASS2003_FT_RSA_PUB) {
		d[n++] = 0x87; d[n++] = 0x02; d[n++] = 0x00; d[n++] = 0x66;
	}
	if (n + 2 > cap || n > 0x7F)
		return UKEY_E_BUFFER_TOO_SMALL;
	out[0] = 0x62;
	out[1] = (uint8_t)n;
	memcpy(out + 2, d, n);
	*len = n + 2;
	return UKEY_OK;
}

/* --------------------------------------------------------------- SELECT */

ukey_rv epass2003_select_fid(epass2003_ctx *c, uint16_t fid, epass2003_fci *fci)
{
	uint8_t data[2] = { (uint8_t)(fid >> 8), (uint8_t)fid };
	uint8_t rsp[258];
	size_t rlen = 0;
	uint16_t sw = 0;
	epass2003_fci local;
	ukey_apdu a = { 0x00, 0xA4, 0x00, 0x00, data, 2, UKEY_LE_ANY, 0 };
	ukey_rv rv;

	if (!c)
		return UKEY_E_ARGS;
	if (!fci)
		fci = &local;
	rv = epass2003_transmit(c, &a, 0, rsp, sizeof(rsp), &rlen, &sw);
	if (rv) {
		forget_selection(c);
		return rv;
	}
	if (sw != UKEY_SW_OK) {
		/* a failed SELECT leaves the DF; the EF is no longer sure */
		c->ef = 0;
		if (sw != 0x6A82)
			forget_selection(c);
		return epass2003_sw_err(sw);
	}
	rv = epass2003_parse_fci(rsp, rlen, fci);
	if (rv == UKEY_OK && fci->fid && fci->fid != fid)
		rv = UKEY_E_MALFORMED;
	if (rv) {
		forget_selection(c);
		return rv;
	}
	fci->fid = fid;
	if (fid == FID_MF) {
		fci->is_df = 1;
		c->df_known = 1;
		c->df_path[0] = FID_MF;
		c->df_depth = 1;
		c->ef = 0;
	} else if (fci->is_df) {
		if (c->df_known && c->df_depth < EPASS2003_MAX_DEPTH) {
			c->df_path[c->df_depth++] = fid;
			c->ef = 0;
		} else {
			forget_selection(c);
		}
	} else {
		c->ef = fid;
		c->ef_size = fci->size;
		c->ef_type = fci->type;
	}
	return UKEY_OK;
}

/* Paths of card FIDs. Where the drivers differ: ours also refuses 0000
 * and FFFF after the MF (SELPATH_NO_RESERVED), FTCOS's only the MF again. */
static ukey_rv path_to_fids(const uint8_t *path, size_t len, uint16_t *fids,
			    size_t *n)
{
	return selpath_fids(path, len, EPASS2003_MAX_DEPTH, SELPATH_NO_RESERVED,
			    fids, n);
}

/* ---------------------------------------- path selection (selpath.c) */

_Static_assert(EPASS2003_MAX_DEPTH <= SELPATH_MAX_DEPTH,
	       "selpath_cur holds the DF path we track");

static void sel_cur(const epass2003_ctx *c, selpath_cur *cur)
{
	selpath_cur_set(cur, c->df_known, c->df_path, c->df_depth, c->ef,
			c->ef_size, c->ef_type);
}

static ukey_rv sel_fid(void *os, uint16_t fid, void *fci, selpath_cur *cur)
{
	ukey_rv rv = epass2003_select_fid(os, fid, fci);

	sel_cur(os, cur);
	return rv;
}

/* The EF is current: its FCI as we recorded it from its SELECT. */
static void sel_ef_fci(void *fci, const selpath_cur *cur)
{
	epass2003_fci *f = fci;

	memset(f, 0, sizeof(*f));
	f->fid = cur->ef;
	f->size = cur->ef_size;
	f->type = cur->ef_type;
}

static void sel_forget(void *os)
{
	forget_selection(os);
}

static const selpath_ops sel_ops = { sel_fid, sel_ef_fci, sel_forget };

ukey_rv epass2003_select_path(epass2003_ctx *c, const uint8_t *path,
			      size_t len, epass2003_fci *fci)
{
	uint16_t fids[EPASS2003_MAX_DEPTH + 1];
	selpath_cur cur;
	size_t n;
	ukey_rv rv;

	if (!c)
		return UKEY_E_ARGS;
	rv = path_to_fids(path, len, fids, &n);
	if (rv)
		return rv;
	sel_cur(c, &cur);
	return selpath_select(&sel_ops, c, &cur, fids, n, fci);
}

ukey_rv epass2003_select_aid(epass2003_ctx *c, const uint8_t *aid, size_t len,
			     epass2003_fci *fci)
{
	uint8_t rsp[258];
	size_t rlen = 0;
	uint16_t sw = 0;
	epass2003_fci local;
	ukey_apdu a = { 0x00, 0xA4, 0x04, 0x00, aid, len, UKEY_LE_ANY, 0 };
	ukey_rv rv;

	if (!c || !aid || len < 1 || len > 16)
		return UKEY_E_ARGS;
	if (!fci)
		fci = &local;
	forget_selection(c); /* where the application lives is not known */
	rv = epass2003_transmit(c, &a, 0, rsp, sizeof(rsp), &rlen, &sw);
	if (rv)
		return rv;
	if (sw != UKEY_SW_OK)
		return epass2003_sw_err(sw);
	rv = epass2003_parse_fci(rsp, rlen, fci);
	if (rv)
		return rv;
	if (fci->type && fci->type != EPASS2003_FT_DF)
		return UKEY_E_MALFORMED;
	fci->is_df = 1;
	return UKEY_OK;
}

ukey_rv epass2003_assume_df(epass2003_ctx *c, const uint8_t *path, size_t len)
{
	uint16_t fids[EPASS2003_MAX_DEPTH + 1];
	size_t n;
	ukey_rv rv;

	if (!c)
		return UKEY_E_ARGS;
	rv = path_to_fids(path, len, fids, &n);
	if (rv)
		return rv;
	if (n > EPASS2003_MAX_DEPTH)
		return UKEY_E_ARGS;
	memcpy(c->df_path, fids, n * sizeof(fids[0]));
	c->df_depth = n;
	c->df_known = 1;
	c->ef = 0;
	c->ef_size = 0;
	c->ef_type = 0;
	return UKEY_OK;
}

/* ------------------------------------------------------------- binaries */

ukey_rv epass2003_read_binary(epass2003_ctx *c, size_t off, uint8_t *buf,
			      size_t len, size_t *got)
{
	size_t done = 0;

	if (!c || !got || (!buf && len))
		return UKEY_E_ARGS;
	*got = 0;
	while (done < len) {
		size_t chunk = len - done, rlen = 0, pos = off + done;
		uint8_t rsp[EPASS2003_RSP_MAX];
		uint16_t sw = 0;
		ukey_apdu a = { 0x00, 0xB0, 0, 0, NULL, 0, 0, 0 };
		ukey_rv rv;

		if (pos > 0x7FFF)
			return UKEY_E_ARGS; /* P1 bit 8 would mean a short FID */
		if (chunk > c->max_read)
			chunk = c->max_read;
		a.p1 = (uint8_t)(pos >> 8);
		a.p2 = (uint8_t)pos;
		a.le = chunk;
		rv = epass2003_transmit(c, &a, 0, rsp, sizeof(rsp), &rlen, &sw);
		if (rv) {
			if (ukey_rv_link_error(rv))
				forget_selection(c);
			return rv;
		}
		if (sw == 0x6B00 && done > 0)
			break; /* read past the end of a file sized wrongly */
		if (sw != UKEY_SW_OK && sw != 0x6282)
			return epass2003_sw_err(sw);
		if (rlen > chunk)
			return UKEY_E_MALFORMED;
		memcpy(buf + done, rsp, rlen);
		ukey_memzero(rsp, rlen);
		done += rlen;
		if (rlen < chunk || sw == 0x6282)
			break;
	}
	*got = done;
	return UKEY_OK;
}

ukey_rv epass2003_update_binary(epass2003_ctx *c, size_t off,
				const uint8_t *buf, size_t len)
{
	size_t done = 0;

	if (!c || (!buf && len))
		return UKEY_E_ARGS;
	while (done < len) {
		size_t chunk = len - done, rlen = 0, pos = off + done;
		uint8_t rsp[64];
		uint16_t sw = 0;
		ukey_apdu a = { 0x00, 0xD6, 0, 0, buf + done, 0, 0, 0 };
		ukey_rv rv;

		if (pos > 0x7FFF)
			return UKEY_E_ARGS;
		if (chunk > c->max_update)
			chunk = c->max_update;
		a.p1 = (uint8_t)(pos >> 8);
		a.p2 = (uint8_t)pos;
		a.lc = chunk;
		rv = epass2003_transmit(c, &a, 0, rsp, sizeof(rsp), &rlen, &sw);
		if (rv) {
			if (ukey_rv_link_error(rv))
				forget_selection(c);
			return rv;
		}
		if (sw != UKEY_SW_OK)
			return epass2003_sw_err(sw);
		if (rlen != 0)
			return UKEY_E_MALFORMED;
		done += chunk;
	}
	return UKEY_OK;
}

ukey_rv epass2003_read_record(epass2003_ctx *c, unsigned n, uint8_t *buf,
			      size_t len, size_t *got)
{
	uint8_t rsp[EPASS2003_RSP_MAX];
	size_t rlen = 0;
	uint16_t sw = 0;
	ukey_apdu a = { 0x00, 0xB2, 0, 0x04, NULL, 0, 0, 0 };
	ukey_rv rv;

	if (!c || !got || !buf || n < 1 || n > 0xFE || len == 0 ||
	    len > c->max_read)
		return UKEY_E_ARGS;
	*got = 0;
	a.p1 = (uint8_t)n;
	a.le = len;
	rv = epass2003_transmit(c, &a, 0, rsp, sizeof(rsp), &rlen, &sw);
	if (rv)
		return rv;
	if (sw != UKEY_SW_OK && sw != 0x6282)
		return epass2003_sw_err(sw);
	if (rlen > len)
		return UKEY_E_MALFORMED;
	memcpy(buf, rsp, rlen);
	ukey_memzero(rsp, rlen);
	*got = rlen;
	return UKEY_OK;
}

/* ----------------------------------------------------- create / delete */

ukey_rv epass2003_create_file(epass2003_ctx *c, const epass2003_fci *spec)
{
	uint8_t fcp[80], rsp[64];
	size_t flen = 0, rlen = 0;
	uint16_t sw = 0;
	ukey_apdu a = { 0x00, 0xE0, 0x00, 0x00, fcp, 0, 0, 0 };
	ukey_rv rv;

	if (!c || !spec || spec->fid == 0 ||
	    (spec->fid == FID_MF && spec->type != EPASS2003_FT_DF))
		return UKEY_E_ARGS;
	rv = epass2003_build_fcp(spec, fcp, sizeof(fcp), &flen);
	if (rv)
		return rv;
	a.lc = flen;
	rv = epass2003_transmit(c, &a, 0, rsp, sizeof(rsp), &rlen, &sw);
	if (rv) {
		forget_selection(c);
		return rv;
	}
	if (sw != UKEY_SW_OK) {
		c->ef = 0;
		return epass2003_sw_err(sw);
	}
	if (rlen != 0) {
		forget_selection(c);
		return UKEY_E_MALFORMED;
	}
	/* the new file is current (a DF: the current DF) */
	if (spec->fid == FID_MF) {
		forget_selection(c);
		c->df_known = 1;
		c->df_depth = 1;
		c->df_path[0] = FID_MF;
	} else if (spec->type == EPASS2003_FT_DF) {
		if (c->df_known && c->df_depth < EPASS2003_MAX_DEPTH) {
			c->df_path[c->df_depth++] = spec->fid;
			c->ef = 0;
		} else {
			forget_selection(c);
		}
	} else {
		c->ef = spec->fid;
		c->ef_size = spec->size;
		c->ef_type = spec->type;
	}
	return UKEY_OK;
}

ukey_rv epass2003_delete_fid(epass2003_ctx *c, uint16_t fid)
{
	uint8_t data[2] = { (uint8_t)(fid >> 8), (uint8_t)fid }, rsp[64];
	size_t rlen = 0;
	uint16_t sw = 0;
	ukey_apdu a = { 0x00, 0xE4, 0x00, 0x00, data, 2, 0, 0 };
	ukey_rv rv;

	if (!c)
		return UKEY_E_ARGS;
	rv = epass2003_transmit(c, &a, 0, rsp, sizeof(rsp), &rlen, &sw);
	if (rv) {
		forget_selection(c);
		return rv;
	}
	if (sw != UKEY_SW_OK)
		return epass2003_sw_err(sw);
	if (rlen != 0) {
		forget_selection(c);
		return UKEY_E_MALFORMED;
	}
	if (c->ef == fid) {
		c->ef = 0;
	} else {
		for (size_t i = 0; c->df_known && i < c->df_depth; i++)
			if (c->df_path[i] == fid)
				forget_selection(c); /* a DF on our path is gone */
	}
	return UKEY_OK;
}

/* ------------------------------------------------------------- misc */

ukey_rv epass2003_get_challenge(epass2003_ctx *c, uint8_t *buf, size_t len)
{
	uint8_t rsp[64];
	size_t rlen = 0;
	uint16_t sw = 0;
	ukey_apdu a = { 0x00, 0x84, 0x00, 0x00, NULL, 0, 0, 0 };
	ukey_rv rv;

	if (!c || !buf || len < 1 || len > 32)
		return UKEY_E_ARGS;
	a.le = len;
	rv = epass2003_transmit(c, &a, 0, rsp, sizeof(rsp), &rlen, &sw);
	if (!rv && sw != UKEY_SW_OK)
		rv = epass2003_sw_err(sw);
	if (!rv && rlen != len)
		rv = UKEY_E_MALFORMED;
	if (!rv)
		memcpy(buf, rsp, len);
	ukey_memzero(rsp, sizeof(rsp));
	return rv;
}

ukey_rv epass2003_serial(epass2003_ctx *c, uint8_t out[8])
{
	uint8_t rsp[258];
	size_t rlen = 0;
	uint16_t sw = 0;
	ukey_apdu a = { 0x00, 0xCA, 0x01, 0x80, NULL, 0, UKEY_LE_ANY, 0 };
	ukey_rv rv;

	if (!c || !out)
		return UKEY_E_ARGS;
	rv = epass2003_transmit(c, &a, 0, rsp, sizeof(rsp), &rlen, &sw);
	if (rv)
		return rv;
	if (sw != UKEY_SW_OK)
		return epass2003_sw_err(sw);
	/* OpenSC takes the first 8 bytes */
	if (rlen < 8 || rlen > 64)
		return UKEY_E_MALFORMED;
	memcpy(out, rsp, 8);
	return UKEY_OK;
}
