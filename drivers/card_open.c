/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Opening and closing a card (declared in driver.h): what every user of a
 * driver needs around bind and unbind, in one place, so that p11/ knows
 * nothing of apdu/ but the PC/SC transport. Opening sets up the APDU
 * channel over the caller's transport with the profile's options, turns
 * APDU tracing on as the environment asks, and makes every exchange go
 * through link_xfer, where the rule "an empty answer means the card is
 * gone" lives. Closing unbinds the driver (its state, secure-messaging
 * keys included), ends the trace and wipes the channel.
 */
#include <stdlib.h>
#include <string.h>

#include "driver.h"

/* What an opened card's channel sends through: the caller's transport, and
 * whether the link to the card was lost since the last reset of the flag. */
typedef struct card_link {
	ukey_xfer_fn xfer;
	void *ctx;
	int lost;
} card_link;

/* The one place of the rule: an exchange that "succeeds" with an answer
 * too short to hold a status word means the card we were talking to is
 * gone. An empty answer is what PC/SC gives when the card left during the
 * exchange, even if it is back before pcscd's next presence poll (then
 * pcscd never reports the removal). apdu/pcsc already turns an empty answer
 * into UKEY_E_NO_CARD itself (its documented contract, pcsc.h); a backend
 * the unit tests inject, or another transport, may not, and a 1-byte
 * answer passes apdu/pcsc as data. Either way: a card that came back was
 * re-powered (selection, verified PINs, secure-messaging session gone) and
 * may not be the same card, and whether the command ran is unknown. So the
 * answer is a removal (UKEY_E_NO_CARD: drop the token, bind afresh), never
 * malformed data a driver might work around. */
static ukey_rv answer_rule(ukey_rv r, size_t *rsplen)
{
	if (r == UKEY_OK && *rsplen < 2) {
		*rsplen = 0;
		return UKEY_E_NO_CARD;
	}
	return r;
}

static ukey_rv link_xfer(void *ctx, const uint8_t *cmd, size_t cmdlen,
			 uint8_t *rsp, size_t rspcap, size_t *rsplen)
{
	card_link *l = ctx;
	ukey_rv r = answer_rule(l->xfer(l->ctx, cmd, cmdlen, rsp, rspcap,
					rsplen), rsplen);
	if (r == UKEY_E_NO_CARD || r == UKEY_E_NO_READER)
		l->lost = 1;
	return r;
}

/* The link of a card opened by ukey_card_open, NULL for any other. */
static card_link *link_of(const ukey_card *card)
{
	if (!card || card->chan.xfer != link_xfer)
		return NULL;
	return card->chan.xfer_ctx;
}

ukey_rv ukey_card_open(ukey_card *card, const ukey_profile *prof,
		       const ukey_driver *drv, ukey_xfer_fn xfer,
		       void *xfer_ctx)
{
	if (!card || !prof || !drv || !xfer)
		return UKEY_E_ARGS;
	card_link *l = calloc(1, sizeof(*l));
	if (!l)
		return UKEY_E_NOMEM;
	l->xfer = xfer;
	l->ctx = xfer_ctx;
	memset(card, 0, sizeof(*card));
	card->profile = prof;
	card->drv = drv;
	ukey_chan_init(&card->chan, link_xfer, l, &prof->chan);
	card->chan.trace = ukey_trace_from_env();
	return UKEY_OK;
}

void ukey_card_close(ukey_card *card)
{
	if (!card)
		return;
	if (card->drv_data && card->drv && card->drv->unbind)
		card->drv->unbind(card);
	if (card->chan.trace)
		ukey_trace_free(card->chan.trace);
	card_link *l = link_of(card);
	if (l) {
		ukey_memzero(l, sizeof(*l));
		free(l);
	}
	ukey_memzero(card, sizeof(*card));
}

int ukey_card_link_lost(const ukey_card *card)
{
	const card_link *l = link_of(card);
	return l && l->lost;
}

void ukey_card_link_reset(ukey_card *card)
{
	card_link *l = link_of(card);
	if (l)
		l->lost = 0;
}

void ukey_cards_cleanup(void)
{
	ukey_sm_cleanup();
}
