/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ukey_transmit: one logical command over a raw transport, with the
 * transport-level loops of ISO 7816-4 (command chaining, 61xx GET RESPONSE,
 * 6Cxx re-send with the exact Le).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apdu.h"

#define DEFAULT_MAX_LC 255u
#define DEFAULT_MAX_GET_RESPONSE 64u
#define SHORT_LE_MAX 256u

void ukey_chan_init(ukey_chan *ch, ukey_xfer_fn xfer, void *xfer_ctx,
		    const ukey_chan_opts *opts)
{
	if (ch == NULL)
		return;
	memset(ch, 0, sizeof(*ch));
	ch->xfer = xfer;
	ch->xfer_ctx = xfer_ctx;
	if (opts != NULL)
		ch->opts = *opts;
}

static long elapsed_us(const struct timespec *a, const struct timespec *b)
{
	return (long)(b->tv_sec - a->tv_sec) * 1000000L +
	       (long)(b->tv_nsec - a->tv_nsec) / 1000L;
}

/* Work buffers of one logical exchange (heap: up to 64 KiB each). */
typedef struct {
	uint8_t *cmd;
	size_t cmdlen;
	uint8_t *rsp;
	size_t rsplen;
	size_t cmd_hi, rsp_hi; /* high-water marks, for wiping */
} xbuf;

/* Encode and send one raw APDU, receive into x->rsp; count and trace it. */
static ukey_rv raw_exchange(ukey_chan *ch, const ukey_apdu *a, int ext,
			    xbuf *x)
{
	ukey_memzero(x->cmd, x->cmdlen);
	ukey_rv rv = ukey_apdu_encode(a, ext, x->cmd, UKEY_APDU_MAX_ENCODED,
				      &x->cmdlen);
	if (rv != UKEY_OK)
		return rv;
	if (x->cmdlen > x->cmd_hi)
		x->cmd_hi = x->cmdlen;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	x->rsplen = 0;
	rv = ch->xfer(ch->xfer_ctx, x->cmd, x->cmdlen, x->rsp, UKEY_RAPDU_MAX,
		      &x->rsplen);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ch->apdu_count++;
	int sensitive = (a->flags & UKEY_APDU_SENSITIVE) != 0;
	if (rv != UKEY_OK) {
		ukey_trace_exchange(ch->trace, x->cmd, x->cmdlen, sensitive,
				    NULL, 0, elapsed_us(&t0, &t1));
		ukey_trace_note(ch->trace, "transport error: %s",
				ukey_strerror(rv));
		x->rsplen = 0;
		x->rsp_hi = UKEY_RAPDU_MAX; /* unknown how much was written */
		return rv;
	}
	if (x->rsplen > UKEY_RAPDU_MAX) { /* a transport that lies */
		x->rsplen = 0;
		x->rsp_hi = UKEY_RAPDU_MAX;
		return UKEY_E_MALFORMED;
	}
	if (x->rsplen > x->rsp_hi)
		x->rsp_hi = x->rsplen;
	ukey_trace_exchange(ch->trace, x->cmd, x->cmdlen, sensitive, x->rsp,
			    x->rsplen, elapsed_us(&t0, &t1));
	if (x->rsplen < 2)
		return UKEY_E_MALFORMED;
	return UKEY_OK;
}

/* Append response data to the caller's buffer. */
static ukey_rv append(uint8_t *rbuf, size_t rcap, size_t *have,
		      const uint8_t *d, size_t n)
{
	if (n == 0)
		return UKEY_OK;
	if (rbuf == NULL || n > rcap || *have > rcap - n)
		return UKEY_E_BUFFER_TOO_SMALL;
	memcpy(rbuf + *have, d, n);
	*have += n;
	return UKEY_OK;
}

/* Send `cmd` (the last or only part of the command) and follow 6Cxx and
 * 61xx until a final status word. */
static ukey_rv exchange_final(ukey_chan *ch, const ukey_apdu *first, int ext,
			      xbuf *x, uint8_t *rbuf, size_t rcap,
			      size_t *rlen, uint16_t *sw)
{
	unsigned max61 = ch->opts.max_get_response ? ch->opts.max_get_response
						   : DEFAULT_MAX_GET_RESPONSE;
	ukey_apdu cur = *first;
	unsigned n61 = 0;
	int last_was_6c = 0;
	ukey_rv rv;

	for (;;) {
		rv = raw_exchange(ch, &cur, ext, x);
		if (rv != UKEY_OK)
			return rv;
		size_t dlen = x->rsplen - 2;
		uint16_t s = (uint16_t)((x->rsp[dlen] << 8) | x->rsp[dlen + 1]);
		uint8_t sw1 = (uint8_t)(s >> 8), sw2 = (uint8_t)s;

		if (sw1 == 0x6C) {
			/* Wrong Le: re-send once with the exact length. A
			 * second 6Cxx in a row would loop forever. */
			if (last_was_6c) {
				ukey_trace_note(ch->trace, "6Cxx twice in a row: giving up");
				return UKEY_E_MALFORMED;
			}
			last_was_6c = 1;
			cur.le = sw2 ? sw2 : SHORT_LE_MAX;
			continue;
		}
		last_was_6c = 0;
		/* More data than the Le we asked for is a card (or transport)
		 * bug; never accept it silently. */
		if (cur.le != 0 && cur.le != UKEY_LE_ANY && dlen > cur.le) {
			ukey_trace_note(ch->trace, "response has %zu bytes, Le was %zu",
					dlen, cur.le);
			return UKEY_E_MALFORMED;
		}
		rv = append(rbuf, rcap, rlen, x->rsp, dlen);
		if (rv != UKEY_OK)
			return rv;
		if (sw1 == 0x61) {
			if (n61 >= max61) {
				ukey_trace_note(ch->trace, "more than %u GET RESPONSE: giving up",
						max61);
				return UKEY_E_TOO_MANY_61;
			}
			n61++;
			memset(&cur, 0, sizeof(cur));
			cur.cla = ch->opts.get_response_cla;
			cur.ins = 0xC0;
			cur.le = sw2 ? sw2 : SHORT_LE_MAX;
			continue;
		}
		*sw = s;
		return UKEY_OK;
	}
}

ukey_rv ukey_transmit(ukey_chan *ch, const ukey_apdu *a, uint8_t *rbuf,
		      size_t rcap, size_t *rlen, uint16_t *sw)
{
	if (ch == NULL || ch->xfer == NULL || a == NULL || rlen == NULL ||
	    sw == NULL || (rbuf == NULL && rcap > 0))
		return UKEY_E_ARGS;
	*rlen = 0;
	*sw = 0;
	if (a->lc > 65535 || (a->lc > 0 && a->data == NULL))
		return UKEY_E_ARGS;
	if (a->le != UKEY_LE_ANY && a->le > 65536)
		return UKEY_E_ARGS;

	int ext = ch->opts.extended_ok != 0;
	size_t max_lc = ch->opts.max_lc ? ch->opts.max_lc : DEFAULT_MAX_LC;
	if (!ext && max_lc > 255)
		max_lc = 255;
	if (max_lc > 65535)
		max_lc = 65535;
	int chain = a->lc > max_lc;
	if (chain && (!ch->opts.chaining_ok || (a->flags & UKEY_APDU_NO_CHAIN)))
		return UKEY_E_ARGS;
	if ((a->cla & 0x10) && chain)
		return UKEY_E_ARGS; /* caller already chaining by hand */

	ukey_apdu cmd = *a;
	/* Short-only card: ask for "everything" (00); the card answers with
	 * 61xx for the rest. */
	if (!ext && cmd.le != UKEY_LE_ANY && cmd.le > SHORT_LE_MAX)
		cmd.le = UKEY_LE_ANY;

	xbuf x = {0};
	x.cmd = malloc(UKEY_APDU_MAX_ENCODED);
	x.rsp = malloc(UKEY_RAPDU_MAX);
	ukey_rv rv = UKEY_E_NOMEM;
	if (x.cmd == NULL || x.rsp == NULL)
		goto out;

	size_t off = 0;
	while (chain && a->lc - off > max_lc) {
		ukey_apdu part = *a;
		part.cla = (uint8_t)(a->cla | 0x10);
		part.data = a->data + off;
		part.lc = max_lc;
		part.le = 0;
		rv = raw_exchange(ch, &part, ext, &x);
		if (rv != UKEY_OK)
			goto out;
		size_t dlen = x.rsplen - 2;
		uint16_t s = (uint16_t)((x.rsp[dlen] << 8) | x.rsp[dlen + 1]);
		if (s != UKEY_SW_OK) {
			/* The card refused a link of the chain: that is the
			 * command's final answer. */
			rv = append(rbuf, rcap, rlen, x.rsp, dlen);
			if (rv == UKEY_OK)
				*sw = s;
			goto out;
		}
		off += max_lc;
	}
	cmd.data = a->lc ? a->data + off : NULL;
	cmd.lc = a->lc - off;
	rv = exchange_final(ch, &cmd, ext, &x, rbuf, rcap, rlen, sw);
out:
	/* Commands may carry PINs/keys and responses key material. */
	if (x.cmd != NULL) {
		ukey_memzero(x.cmd, x.cmd_hi);
		free(x.cmd);
	}
	if (x.rsp != NULL) {
		ukey_memzero(x.rsp, x.rsp_hi);
		free(x.rsp);
	}
	if (rv != UKEY_OK) {
		if (rbuf != NULL && *rlen > 0)
			ukey_memzero(rbuf, *rlen);
		*rlen = 0;
		*sw = 0;
	}
	return rv;
}

ukey_rv ukey_transmit_ok(ukey_chan *ch, const ukey_apdu *a, uint8_t *rbuf,
			 size_t rcap, size_t *rlen, uint16_t *sw)
{
	uint16_t s = 0;
	ukey_rv rv = ukey_transmit(ch, a, rbuf, rcap, rlen, &s);
	if (sw != NULL)
		*sw = s;
	if (rv != UKEY_OK)
		return rv;
	if (s != UKEY_SW_OK)
		return ukey_sw_to_err(s) == UKEY_OK ? UKEY_E_SW_OTHER
						    : ukey_sw_to_err(s);
	return UKEY_OK;
}
