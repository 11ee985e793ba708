/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One fuzz entry for the apdu/ parsers and loops: the input is used as a
 * raw command APDU, a raw response, a BER-TLV stream, and as the script of
 * a transport feeding ukey_transmit (every response a card could send).
 *
 * Input layout for the transmit part:
 *   byte 0: option bits, byte 1: INS, byte 2..3: Lc (BE, clamped),
 *   byte 4..5: Le selector, then responses as <len:1><bytes>.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "apdu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
	const uint8_t *p;
	size_t left;
	unsigned calls;
} fuzz_script;

static ukey_rv fuzz_xfer(void *ctx, const uint8_t *cmd, size_t cmdlen,
			 uint8_t *rsp, size_t rspcap, size_t *rsplen)
{
	fuzz_script *s = ctx;
	ukey_apdu a;
	/* Whatever ukey_transmit sends must itself be a valid APDU. */
	if (ukey_apdu_decode(cmd, cmdlen, &a) != UKEY_OK)
		__builtin_trap();
	if (++s->calls > 200)
		__builtin_trap(); /* a loop the limits should have stopped */
	if (s->left == 0)
		return UKEY_E_TRANSPORT;
	size_t n = s->p[0];
	s->p++;
	s->left--;
	if (n == 0xFF) /* marker: a transport error */
		return UKEY_E_NO_CARD;
	if (n > s->left)
		n = s->left;
	if (n > rspcap)
		return UKEY_E_BUFFER_TOO_SMALL;
	memcpy(rsp, s->p, n);
	*rsplen = n;
	s->p += n;
	s->left -= n;
	return UKEY_OK;
}

static void walk_tlv(const uint8_t *p, size_t left, int depth)
{
	ukey_tlv t;
	while (left > 0 && ukey_tlv_next(&p, &left, &t) == UKEY_OK) {
		if (t.len > 0 && t.value == NULL)
			__builtin_trap();
		if (t.constructed && depth < 8)
			walk_tlv(t.value, t.len, depth + 1);
	}
}

static FILE *null_fp(void)
{
	static FILE *fp;
	if (fp == NULL)
		fp = fopen("/dev/null", "w");
	return fp;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* 1. command decoding, and re-encoding what was decoded. Extended
	 * encodings of short-sized fields are legal but not canonical, so the
	 * round trip is checked on the fields, not on the bytes. */
	ukey_apdu a, b;
	if (ukey_apdu_decode(data, size, &a) == UKEY_OK) {
		static uint8_t out[UKEY_APDU_MAX_ENCODED];
		size_t n = 0;
		if (ukey_apdu_encode(&a, 1, out, sizeof(out), &n) != UKEY_OK ||
		    n > size || ukey_apdu_decode(out, n, &b) != UKEY_OK ||
		    a.cla != b.cla || a.ins != b.ins || a.p1 != b.p1 ||
		    a.p2 != b.p2 || a.lc != b.lc || a.le != b.le ||
		    (a.lc && memcmp(a.data, b.data, a.lc) != 0))
			__builtin_trap();
	}

	/* 2. responses */
	size_t dl;
	uint16_t sw;
	if (ukey_rapdu_split(data, size, &dl, &sw) == UKEY_OK) {
		char txt[96];
		ukey_sw_text(sw, txt, sizeof(txt));
		(void)ukey_sw_to_err(sw);
		(void)ukey_sw_tries_left(sw);
	}

	/* 3. BER-TLV */
	walk_tlv(data, size, 0);
	ukey_tlv t;
	(void)ukey_tlv_find(data, size, 0x6F, &t);

	/* 4. transmit with a fuzzed card */
	if (size < 6)
		return 0;
	struct ukey_trace *tr = NULL;
	if (data[0] & 0x80) {
		FILE *fp = null_fp();
		tr = fp ? ukey_trace_new_fp(fp) : NULL;
	}
	ukey_chan_opts o = {
		.extended_ok = data[0] & 1,
		.chaining_ok = (data[0] >> 1) & 1,
		.max_lc = (data[0] & 4) ? 16 : 0,
		.max_get_response = (data[0] >> 3) & 7,
		.get_response_cla = (data[0] & 0x40) ? 0x80 : 0x00,
	};
	static uint8_t cmd_data[65535];
	size_t lc = ((size_t)data[2] << 8 | data[3]) % 600;
	memset(cmd_data, 0x5A, lc);
	size_t le_sel = (size_t)data[4] << 8 | data[5];
	ukey_apdu c = {.cla = 0x00, .ins = data[1], .p1 = 1, .p2 = 2,
		       .data = lc ? cmd_data : NULL, .lc = lc,
		       .le = le_sel == 0xFFFF ? UKEY_LE_ANY : le_sel % 1000,
		       .flags = (data[0] & 0x20) ? UKEY_APDU_SENSITIVE : 0};
	fuzz_script s = {.p = data + 6, .left = size - 6};
	ukey_chan ch;
	ukey_chan_init(&ch, fuzz_xfer, &s, &o);
	ch.trace = tr;
	static uint8_t r[1024];
	size_t rcap = (data[0] & 0x10) ? 16 : sizeof(r);
	size_t rl = 0;
	ukey_rv rv = ukey_transmit(&ch, &c, r, rcap, &rl, &sw);
	if (rv == UKEY_OK && rl > rcap)
		__builtin_trap();
	if (rv != UKEY_OK && rl != 0)
		__builtin_trap();
	if (ch.apdu_count != s.calls)
		__builtin_trap();
	ukey_trace_free(tr);
	return 0;
}
