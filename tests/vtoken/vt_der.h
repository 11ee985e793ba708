/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Minimal DER writer for the PKCS#15 structures ukey-vtoken personalises:
 * each helper appends one TLV; nested values are built in their own vt_buf
 * first. Returns 0 or -1 (ENOMEM). */
#ifndef VT_DER_H
#define VT_DER_H

#include "vtoken.h"

/* The DER length octets of len, which must be below 0x10000: 1 byte
 * (< 0x80), 81 xx or 82 xx xx, written to out; returns how many. Also
 * what the card OSes put in front of the TLVs of their own answers. */
size_t vt_der_len(uint8_t out[3], size_t len);
/* tag || length || v; -1 for a value of 0x10000 bytes or more */
int vt_der_tlv(vt_buf *out, uint8_t tag, const void *v, size_t len);
/* append a constructed TLV from a finished inner buffer and free it */
int vt_der_wrap(vt_buf *out, uint8_t tag, vt_buf *inner);
int vt_der_int(vt_buf *out, unsigned v);          /* INTEGER, small */
int vt_der_utf8(vt_buf *out, const char *s);      /* UTF8String */
int vt_der_bits(vt_buf *out, uint8_t unused, const uint8_t *v, size_t len);
int vt_der_path(vt_buf *out, const uint8_t *path, size_t len); /* Path */

#endif
