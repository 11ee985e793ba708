/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The built-in behaviours of ukey-scripted-card, shared with the tests that
 * drive it so both sides agree on the bytes. All use CLA 0x80 and P1 = P2 = 0.
 *
 *   80 E0 00 00 00    600-byte answer, T=0 style: "61 00" first (no data),
 *                     then GET RESPONSE (00 C0 00 00 Le) hands out up to
 *                     256 bytes per call, "61 xx" while more remains.
 *   80 E1 00 00 00    the same 600 bytes, but the first 256 come with the
 *                     first "61 00" (data before 61xx must be kept).
 *   80 E2 00 00 Le    answers 20 bytes only when Le = 0x14, else "6C 14".
 *   80 E3 00 00 [..]  the card is pulled: the connection closes, no answer.
 *   80 E4 00 00 Lc D  echo: returns D || 90 00.
 *   80 E5 00 00 00    counter: returns the number of APDUs seen since power
 *                     on / reset (4 bytes big-endian) || 90 00.
 */
#ifndef UKEY_SCRIPTED_CARD_H
#define UKEY_SCRIPTED_CARD_H

#include <stddef.h>
#include <stdint.h>

#define SC_CLA          0x80
#define SC_INS_BIG_T0   0xE0
#define SC_INS_BIG_DATA 0xE1
#define SC_INS_EXACT_LE 0xE2
#define SC_INS_PULL     0xE3
#define SC_INS_ECHO     0xE4
#define SC_INS_COUNTER  0xE5

#define SC_BIG_LEN      600
#define SC_EXACT_LEN    0x14

/* Default ATR: T=0 only, historical bytes "ukey". */
#define SC_DEFAULT_ATR  "3B04756B6579"

/* Byte i of the 600-byte answer (a pattern that shows misplaced pieces). */
static inline uint8_t sc_big_byte(size_t i)
{
	return (uint8_t)((i * 7u + i / 256u + 3u) & 0xFFu);
}

/* Byte i of the 20-byte answer of SC_INS_EXACT_LE. */
static inline uint8_t sc_exact_byte(size_t i)
{
	return (uint8_t)(0xA0u + i);
}

#endif /* UKEY_SCRIPTED_CARD_H */
