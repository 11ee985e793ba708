/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PC/SC-lite transport.
 *
 * Contexts: pcsc-lite serialises every call on one SCARDCONTEXT behind a
 * per-context mutex, and a blocking SCardGetStatusChange keeps that context
 * busy for its whole wait. So we use three kinds of context:
 *   - the main context (listing readers, timeout-0 reader state), guarded by
 *     our own mutex;
 *   - a wait context used only by ukey_pcsc_wait_change (never under the main
 *     mutex) and woken by SCardCancel from any thread;
 *   - one context per connected card, so a long operation on one token (RSA
 *     key generation can take many seconds) does not stall the others.
 */
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>

#include "pcsc.h"

#define PNP_READER "\\\\?PnP?\\Notification"
/* Upper bound on readers watched at once (SCardGetStatusChange array). */
#define WAIT_MAX_READERS 64
/* A blocking wait is done in slices so a cancel that raced with the start of
 * a slice is still seen promptly. */
#define WAIT_SLICE_MS 1000L

struct ukey_pcsc {
	SCARDCONTEXT hctx;       /* main context, under lock */
	pthread_mutex_t lock;
	/* for wait_change only; atomic because ukey_pcsc_cancel reads it from
	 * any thread while wait_change may replace a dead one */
	_Atomic(SCARDCONTEXT) wait_hctx;
	pthread_mutex_t wait_lock;
	atomic_uint cancel_gen;  /* bumped by ukey_pcsc_cancel */
};

struct ukey_pcsc_card {
	SCARDCONTEXT hctx;       /* the card's own context */
	SCARDHANDLE h;
	DWORD proto;             /* SCARD_PROTOCOL_T0 or _T1 */
	char *reader;
	pthread_mutex_t lock;    /* guards h/proto (reconnect vs transmit) */
};

static ukey_rv map_scard(LONG rv)
{
	switch (rv) {
	case SCARD_S_SUCCESS: return UKEY_OK;
	case SCARD_E_NO_MEMORY: return UKEY_E_NOMEM;
	case SCARD_E_INSUFFICIENT_BUFFER: return UKEY_E_BUFFER_TOO_SMALL;
	case SCARD_E_INVALID_PARAMETER:
	case SCARD_E_INVALID_VALUE: return UKEY_E_ARGS;
	case SCARD_E_NO_SMARTCARD:
	case SCARD_W_REMOVED_CARD: return UKEY_E_NO_CARD;
	case SCARD_W_RESET_CARD: return UKEY_E_CARD_RESET;
	case SCARD_E_UNKNOWN_READER:
	case SCARD_E_READER_UNAVAILABLE:
	case SCARD_E_NO_READERS_AVAILABLE: return UKEY_E_NO_READER;
	case SCARD_E_TIMEOUT: return UKEY_E_TIMEOUT;
	case SCARD_E_SHARING_VIOLATION: return UKEY_E_SHARING;
	default: return UKEY_E_TRANSPORT;
	}
}

ukey_rv ukey_pcsc_open(ukey_pcsc **out)
{
	if (out == NULL)
		return UKEY_E_ARGS;
	*out = NULL;
	ukey_pcsc *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return UKEY_E_NOMEM;
	LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &c->hctx);
	if (rv != SCARD_S_SUCCESS) {
		free(c);
		return rv == SCARD_E_NO_MEMORY ? UKEY_E_NOMEM : UKEY_E_TRANSPORT;
	}
	SCARDCONTEXT wctx;
	rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &wctx);
	if (rv != SCARD_S_SUCCESS) {
		SCardReleaseContext(c->hctx);
		free(c);
		return rv == SCARD_E_NO_MEMORY ? UKEY_E_NOMEM : UKEY_E_TRANSPORT;
	}
	atomic_init(&c->wait_hctx, wctx);
	pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_init(&c->wait_lock, NULL);
	atomic_init(&c->cancel_gen, 0u);
	*out = c;
	return UKEY_OK;
}

void ukey_pcsc_cancel(ukey_pcsc *ctx)
{
	if (ctx == NULL)
		return;
	atomic_fetch_add(&ctx->cancel_gen, 1u);
	/* No lock: SCardCancel exists precisely to be called while another
	 * thread blocks in SCardGetStatusChange on this context. */
	SCardCancel(atomic_load(&ctx->wait_hctx));
}

void ukey_pcsc_close(ukey_pcsc *ctx)
{
	if (ctx == NULL)
		return;
	SCardReleaseContext(atomic_load(&ctx->wait_hctx));
	SCardReleaseContext(ctx->hctx);
	pthread_mutex_destroy(&ctx->wait_lock);
	pthread_mutex_destroy(&ctx->lock);
	free(ctx);
}

void ukey_pcsc_free_names(char **names, size_t count)
{
	if (names == NULL)
		return;
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

/* Split a PC/SC multi-string (name\0name\0\0) of exactly len bytes. */
static ukey_rv split_multistring(const char *buf, size_t len, char ***names,
				 size_t *count)
{
	size_t n = 0;
	for (size_t i = 0; i < len;) {
		size_t l = strnlen(buf + i, len - i);
		if (l == 0)
			break;
		if (i + l >= len)
			return UKEY_E_MALFORMED; /* unterminated */
		n++;
		i += l + 1;
	}
	if (n == 0)
		return UKEY_OK;
	char **v = calloc(n, sizeof(*v));
	if (v == NULL)
		return UKEY_E_NOMEM;
	size_t k = 0;
	for (size_t i = 0; k < n;) {
		size_t l = strnlen(buf + i, len - i);
		v[k] = malloc(l + 1);
		if (v[k] == NULL) {
			ukey_pcsc_free_names(v, k);
			return UKEY_E_NOMEM;
		}
		memcpy(v[k], buf + i, l);
		v[k][l] = '\0';
		k++;
		i += l + 1;
	}
	*names = v;
	*count = n;
	return UKEY_OK;
}

/* After pcscd restarts, an old context is dead for good (pcsc-lite answers
 * SCARD_E_INVALID_HANDLE or SCARD_E_NO_SERVICE): establish a fresh one so a
 * long-running application recovers. Called with ctx->lock held. */
static int context_is_dead(LONG rv)
{
	return rv == SCARD_E_INVALID_HANDLE || rv == SCARD_E_NO_SERVICE ||
	       rv == SCARD_E_SERVICE_STOPPED;
}

static int reestablish_locked(ukey_pcsc *ctx)
{
	SCARDCONTEXT fresh;
	if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &fresh) !=
	    SCARD_S_SUCCESS)
		return 0;
	SCardReleaseContext(ctx->hctx);
	ctx->hctx = fresh;
	return 1;
}

ukey_rv ukey_pcsc_list_readers(ukey_pcsc *ctx, char ***names, size_t *count)
{
	if (ctx == NULL || names == NULL || count == NULL)
		return UKEY_E_ARGS;
	*names = NULL;
	*count = 0;
	ukey_rv ret = UKEY_E_TRANSPORT;
	pthread_mutex_lock(&ctx->lock);
	/* A reader can appear between the size query and the read: retry. */
	for (int attempt = 0; attempt < 4; attempt++) {
		DWORD len = 0;
		LONG rv = SCardListReaders(ctx->hctx, NULL, NULL, &len);
		if (context_is_dead(rv) && attempt == 0 && reestablish_locked(ctx))
			rv = SCardListReaders(ctx->hctx, NULL, NULL, &len);
		if (rv == SCARD_E_NO_READERS_AVAILABLE) {
			ret = UKEY_OK;
			break;
		}
		if (rv != SCARD_S_SUCCESS) {
			ret = map_scard(rv);
			break;
		}
		if (len == 0 || len > 1024 * 1024) {
			ret = len == 0 ? UKEY_OK : UKEY_E_MALFORMED;
			break;
		}
		char *buf = malloc(len);
		if (buf == NULL) {
			ret = UKEY_E_NOMEM;
			break;
		}
		DWORD got = len;
		rv = SCardListReaders(ctx->hctx, NULL, buf, &got);
		if (rv == SCARD_E_INSUFFICIENT_BUFFER) {
			free(buf);
			continue;
		}
		if (rv == SCARD_E_NO_READERS_AVAILABLE) {
			free(buf);
			ret = UKEY_OK;
			break;
		}
		if (rv != SCARD_S_SUCCESS) {
			free(buf);
			ret = map_scard(rv);
			break;
		}
		ret = split_multistring(buf, got <= len ? got : len, names, count);
		free(buf);
		break;
	}
	pthread_mutex_unlock(&ctx->lock);
	return ret;
}

ukey_rv ukey_pcsc_reader_state(ukey_pcsc *ctx, const char *reader,
			       ukey_reader_state *st)
{
	if (ctx == NULL || reader == NULL || st == NULL)
		return UKEY_E_ARGS;
	memset(st, 0, sizeof(*st));
	SCARD_READERSTATE rs;
	memset(&rs, 0, sizeof(rs));
	rs.szReader = reader;
	rs.dwCurrentState = SCARD_STATE_UNAWARE;
	pthread_mutex_lock(&ctx->lock);
	LONG rv = SCardGetStatusChange(ctx->hctx, 0, &rs, 1);
	if (context_is_dead(rv) && reestablish_locked(ctx)) {
		rs.dwCurrentState = SCARD_STATE_UNAWARE;
		rv = SCardGetStatusChange(ctx->hctx, 0, &rs, 1);
	}
	pthread_mutex_unlock(&ctx->lock);
	if (rv == SCARD_E_TIMEOUT)
		rv = SCARD_S_SUCCESS; /* timeout 0: the state is still filled */
	if (rv != SCARD_S_SUCCESS)
		return map_scard(rv);
	DWORD ev = rs.dwEventState;
	if (ev & (SCARD_STATE_UNKNOWN | SCARD_STATE_IGNORE))
		return UKEY_E_NO_READER;
	st->present = (ev & SCARD_STATE_PRESENT) != 0;
	st->mute = (ev & SCARD_STATE_MUTE) != 0;
	st->exclusive = (ev & SCARD_STATE_EXCLUSIVE) != 0;
	st->event_count = (unsigned long)((ev >> 16) & 0xFFFFu);
	if (st->present) {
		size_t n = rs.cbAtr;
		if (n > sizeof(st->atr) || n > sizeof(rs.rgbAtr))
			return UKEY_E_MALFORMED;
		memcpy(st->atr, rs.rgbAtr, n);
		st->atr_len = n;
	}
	return UKEY_OK;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

ukey_rv ukey_pcsc_wait_change(ukey_pcsc *ctx, const char *const *readers,
			      size_t n, long timeout_ms)
{
	if (ctx == NULL || (n > 0 && readers == NULL) || n > WAIT_MAX_READERS)
		return UKEY_E_ARGS;
	if (timeout_ms < -1)
		return UKEY_E_ARGS;
	unsigned gen = atomic_load(&ctx->cancel_gen);
	SCARD_READERSTATE rs[WAIT_MAX_READERS + 1];
	memset(rs, 0, sizeof(rs));
	for (size_t i = 0; i < n; i++) {
		if (readers[i] == NULL)
			return UKEY_E_ARGS;
		rs[i].szReader = readers[i];
		rs[i].dwCurrentState = SCARD_STATE_UNAWARE;
	}
	rs[n].szReader = PNP_READER;
	rs[n].dwCurrentState = SCARD_STATE_UNAWARE;
	DWORD cnt = (DWORD)(n + 1);

	pthread_mutex_lock(&ctx->wait_lock);
	ukey_rv ret;
	/* Baseline: the state right now. */
	SCARDCONTEXT wctx = atomic_load(&ctx->wait_hctx);
	LONG rv = SCardGetStatusChange(wctx, 0, rs, cnt);
	if (context_is_dead(rv)) {
		SCARDCONTEXT fresh;
		if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &fresh) ==
		    SCARD_S_SUCCESS) {
			/* SCardCancel may race with this swap; the cancel
			 * generation still stops the wait within a slice. */
			atomic_store(&ctx->wait_hctx, fresh);
			SCardReleaseContext(wctx);
			wctx = fresh;
			rv = SCardGetStatusChange(wctx, 0, rs, cnt);
		}
	}
	if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT) {
		ret = rv == SCARD_E_CANCELLED ? UKEY_E_TRANSPORT : map_scard(rv);
		goto out;
	}
	for (DWORD i = 0; i < cnt; i++)
		rs[i].dwCurrentState = rs[i].dwEventState & ~(DWORD)SCARD_STATE_CHANGED;

	long long deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : -1;
	for (;;) {
		if (atomic_load(&ctx->cancel_gen) != gen) {
			ret = UKEY_E_TRANSPORT;
			goto out;
		}
		long slice = WAIT_SLICE_MS;
		if (deadline >= 0) {
			long long left = deadline - now_ms();
			if (left < 0)
				left = 0;
			if (left < slice)
				slice = (long)left;
		}
		rv = SCardGetStatusChange(wctx, (DWORD)slice, rs, cnt);
		if (rv == SCARD_E_CANCELLED) {
			ret = UKEY_E_TRANSPORT;
			goto out;
		}
		if (rv == SCARD_S_SUCCESS) {
			int changed = 0;
			for (DWORD i = 0; i < cnt; i++) {
				if (rs[i].dwEventState & SCARD_STATE_CHANGED)
					changed = 1;
				rs[i].dwCurrentState = rs[i].dwEventState &
					~(DWORD)SCARD_STATE_CHANGED;
			}
			if (changed) {
				ret = UKEY_OK;
				goto out;
			}
		} else if (rv != SCARD_E_TIMEOUT) {
			ret = map_scard(rv);
			goto out;
		}
		if (deadline >= 0 && now_ms() >= deadline) {
			ret = UKEY_E_TIMEOUT;
			goto out;
		}
	}
out:
	pthread_mutex_unlock(&ctx->wait_lock);
	return ret;
}

static ukey_rv check_proto(DWORD proto)
{
	return (proto == SCARD_PROTOCOL_T0 || proto == SCARD_PROTOCOL_T1)
		       ? UKEY_OK : UKEY_E_TRANSPORT;
}

ukey_rv ukey_pcsc_connect(ukey_pcsc *ctx, const char *reader,
			  ukey_pcsc_card **out)
{
	if (ctx == NULL || reader == NULL || out == NULL)
		return UKEY_E_ARGS;
	*out = NULL;
	ukey_pcsc_card *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return UKEY_E_NOMEM;
	c->reader = strdup(reader);
	if (c->reader == NULL) {
		free(c);
		return UKEY_E_NOMEM;
	}
	LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &c->hctx);
	if (rv != SCARD_S_SUCCESS) {
		free(c->reader);
		free(c);
		return rv == SCARD_E_NO_MEMORY ? UKEY_E_NOMEM : UKEY_E_TRANSPORT;
	}
	rv = SCardConnect(c->hctx, reader, SCARD_SHARE_SHARED,
			  SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &c->h, &c->proto);
	ukey_rv ret = map_scard(rv);
	if (rv == SCARD_W_UNPOWERED_CARD || rv == SCARD_W_UNRESPONSIVE_CARD ||
	    rv == SCARD_E_PROTO_MISMATCH)
		ret = UKEY_E_TRANSPORT;
	if (ret == UKEY_OK && check_proto(c->proto) != UKEY_OK) {
		SCardDisconnect(c->h, SCARD_LEAVE_CARD);
		ret = UKEY_E_TRANSPORT;
	}
	if (ret != UKEY_OK) {
		SCardReleaseContext(c->hctx);
		free(c->reader);
		free(c);
		return ret;
	}
	pthread_mutex_init(&c->lock, NULL);
	*out = c;
	return UKEY_OK;
}

void ukey_pcsc_disconnect(ukey_pcsc_card *card, int reset)
{
	if (card == NULL)
		return;
	SCardDisconnect(card->h, reset ? SCARD_RESET_CARD : SCARD_LEAVE_CARD);
	SCardReleaseContext(card->hctx);
	pthread_mutex_destroy(&card->lock);
	free(card->reader);
	free(card);
}

/* Someone reset the card: reconnect our handle (shared, leave the card as
 * is). Called with card->lock held. Returns the code to give the caller. */
static ukey_rv reconnect_after_reset(ukey_pcsc_card *card)
{
	DWORD proto = 0;
	LONG rv = SCardReconnect(card->h, SCARD_SHARE_SHARED,
				 SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
				 SCARD_LEAVE_CARD, &proto);
	if (rv != SCARD_S_SUCCESS) {
		ukey_rv r = map_scard(rv);
		return r == UKEY_E_CARD_RESET ? UKEY_E_TRANSPORT : r;
	}
	if (check_proto(proto) != UKEY_OK)
		return UKEY_E_TRANSPORT;
	card->proto = proto;
	return UKEY_E_CARD_RESET;
}

ukey_rv ukey_pcsc_atr(ukey_pcsc_card *card, uint8_t *atr, size_t cap,
		      size_t *len)
{
	if (card == NULL || atr == NULL || len == NULL)
		return UKEY_E_ARGS;
	*len = 0;
	uint8_t buf[MAX_ATR_SIZE];
	DWORD atrlen = sizeof(buf), state = 0, proto = 0;
	char rname[512];
	DWORD rlen = sizeof(rname);
	pthread_mutex_lock(&card->lock);
	LONG rv = SCardStatus(card->h, rname, &rlen, &state, &proto, buf, &atrlen);
	ukey_rv ret = map_scard(rv);
	if (rv == SCARD_W_RESET_CARD)
		ret = reconnect_after_reset(card);
	pthread_mutex_unlock(&card->lock);
	if (ret != UKEY_OK)
		return ret;
	if (atrlen > sizeof(buf))
		return UKEY_E_MALFORMED;
	if (atrlen > cap)
		return UKEY_E_BUFFER_TOO_SMALL;
	memcpy(atr, buf, atrlen);
	*len = atrlen;
	return UKEY_OK;
}

int ukey_pcsc_protocol(ukey_pcsc_card *card)
{
	if (card == NULL)
		return -1;
	pthread_mutex_lock(&card->lock);
	int p = card->proto == SCARD_PROTOCOL_T1 ? 1 : 0;
	pthread_mutex_unlock(&card->lock);
	return p;
}

ukey_rv ukey_pcsc_begin(ukey_pcsc_card *card)
{
	if (card == NULL)
		return UKEY_E_ARGS;
	pthread_mutex_lock(&card->lock);
	LONG rv = SCardBeginTransaction(card->h);
	ukey_rv ret = map_scard(rv);
	/* On reset we reconnect and report it once; no transaction is held on
	 * any error return, the caller re-selects and calls begin again. */
	if (rv == SCARD_W_RESET_CARD)
		ret = reconnect_after_reset(card);
	pthread_mutex_unlock(&card->lock);
	return ret;
}

void ukey_pcsc_end(ukey_pcsc_card *card)
{
	if (card == NULL)
		return;
	pthread_mutex_lock(&card->lock);
	SCardEndTransaction(card->h, SCARD_LEAVE_CARD);
	pthread_mutex_unlock(&card->lock);
}

ukey_rv ukey_pcsc_xfer(void *vcard, const uint8_t *cmd, size_t cmdlen,
		       uint8_t *rsp, size_t rspcap, size_t *rsplen)
{
	ukey_pcsc_card *card = vcard;
	if (card == NULL || cmd == NULL || rsp == NULL || rsplen == NULL ||
	    cmdlen < 4 || cmdlen > UKEY_APDU_MAX_ENCODED)
		return UKEY_E_ARGS;
	*rsplen = 0;
	if (rspcap > MAX_BUFFER_SIZE_EXTENDED)
		rspcap = MAX_BUFFER_SIZE_EXTENDED;
	DWORD got = (DWORD)rspcap;
	pthread_mutex_lock(&card->lock);
	const SCARD_IO_REQUEST *pci = card->proto == SCARD_PROTOCOL_T1
					      ? SCARD_PCI_T1 : SCARD_PCI_T0;
	LONG rv = SCardTransmit(card->h, pci, cmd, (DWORD)cmdlen, NULL, rsp, &got);
	ukey_rv ret = map_scard(rv);
	if (rv == SCARD_W_RESET_CARD)
		ret = reconnect_after_reset(card);
	/* Success with an empty answer: the card left in the middle of the
	 * exchange (vpcd and some readers do this). Do not wait for the reader
	 * state to confirm it: pcscd notices only at its next presence poll,
	 * and never when the card is back before that poll. A card that came
	 * back was re-powered (selection, login and SM session gone) and may
	 * not even be the same card, and whether the command ran is unknown:
	 * the card we were talking to is gone either way. (A 1-byte answer is
	 * passed up: it is the card's data, and the caller finds it malformed.) */
	if (ret == UKEY_OK && got == 0)
		ret = UKEY_E_NO_CARD;
	pthread_mutex_unlock(&card->lock);
	if (ret != UKEY_OK)
		return ret;
	if (got > rspcap)
		return UKEY_E_MALFORMED;
	*rsplen = got;
	return UKEY_OK;
}
