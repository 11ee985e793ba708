/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ukey apdu/pcsc — the PC/SC-lite transport.
 *
 * One ukey_pcsc context per module instance (one SCARDCONTEXT). Cards are
 * connected in SHARED mode; every logical operation of a driver runs inside
 * ukey_pcsc_begin()/ukey_pcsc_end() (SCardBeginTransaction/EndTransaction)
 * so that other middleware can use the same reader between operations.
 */
#ifndef UKEY_APDU_PCSC_H
#define UKEY_APDU_PCSC_H

#include "apdu.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ukey_pcsc ukey_pcsc;           /* context */
typedef struct ukey_pcsc_card ukey_pcsc_card; /* a connected card */

/* SCardEstablishContext. */
ukey_rv ukey_pcsc_open(ukey_pcsc **out);
/* SCardCancel (wakes a blocked ukey_pcsc_wait_change) — safe from any thread. */
void ukey_pcsc_cancel(ukey_pcsc *ctx);
void ukey_pcsc_close(ukey_pcsc *ctx);

/* List readers: fills *names with a malloc'd array of malloc'd strings.
 * No readers => UKEY_OK with *count = 0. Free with ukey_pcsc_free_names. */
ukey_rv ukey_pcsc_list_readers(ukey_pcsc *ctx, char ***names, size_t *count);
void ukey_pcsc_free_names(char **names, size_t count);

/* Reader state, without connecting (SCardGetStatusChange, timeout 0). */
typedef struct {
	int present;      /* a card is in the reader */
	int mute;         /* card present but unresponsive */
	int exclusive;    /* in exclusive use by someone */
	uint8_t atr[33];
	size_t atr_len;
	unsigned long event_count; /* changes when a card is inserted/removed */
} ukey_reader_state;
ukey_rv ukey_pcsc_reader_state(ukey_pcsc *ctx, const char *reader,
			       ukey_reader_state *st);

/* Block until the state of any of `readers` (or the reader list, via the
 * "\\?PnP?\Notification" pseudo-reader) changes, up to timeout_ms (-1 =
 * forever). Returns UKEY_OK on a change, UKEY_E_TIMEOUT, or UKEY_E_TRANSPORT
 * when cancelled. */
ukey_rv ukey_pcsc_wait_change(ukey_pcsc *ctx, const char *const *readers,
			      size_t n, long timeout_ms);

/* Connect in SHARED mode (T=0 or T=1, whatever the card offers). */
ukey_rv ukey_pcsc_connect(ukey_pcsc *ctx, const char *reader,
			  ukey_pcsc_card **out);
void ukey_pcsc_disconnect(ukey_pcsc_card *card, int reset);

/* ATR of the connected card. */
ukey_rv ukey_pcsc_atr(ukey_pcsc_card *card, uint8_t *atr, size_t cap,
		      size_t *len);
/* Active protocol: 0 for T=0, 1 for T=1. */
int ukey_pcsc_protocol(ukey_pcsc_card *card);

/* SCardBeginTransaction. If the card was reset by someone else since our
 * last exchange, reconnects and returns UKEY_E_CARD_RESET once (the caller
 * must re-select and forget login state); a removed card gives
 * UKEY_E_NO_CARD. */
ukey_rv ukey_pcsc_begin(ukey_pcsc_card *card);
/* SCardEndTransaction (leave the card as is). */
void ukey_pcsc_end(ukey_pcsc_card *card);

/* Raw exchange, matches ukey_xfer_fn (ctx = ukey_pcsc_card*). Maps
 * SCARD_W_RESET_CARD to UKEY_E_CARD_RESET (after reconnecting),
 * SCARD_W_REMOVED_CARD / SCARD_E_NO_SMARTCARD to UKEY_E_NO_CARD, and so
 * does a success with an empty answer (the card left mid-exchange; it may
 * be back already, re-powered, before pcscd has noticed), without waiting. */
ukey_rv ukey_pcsc_xfer(void *card, const uint8_t *cmd, size_t cmdlen,
		       uint8_t *rsp, size_t rspcap, size_t *rsplen);

#ifdef __cplusplus
}
#endif
#endif /* UKEY_APDU_PCSC_H */
