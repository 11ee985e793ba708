/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Minimal DER writer for the PKCS#15 structures ukey-vtoken personalises:
 * each helper appends one TLV; nested values are built in their own vt_buf
 * first. Returns 0 or -1 (ENOMEM). */
#ifndef VT_DER_H
#define VT_DER_H

#include "vtoken.h"

int vt_der_tlv(vt_buf *out, uint8_t tag, const void *v, size_t len);
/* append a constructed TLV from a finished inner buffer and free it */
int vt_der_wrap(vt_buf *out, uint8_t tag, vt_buf *inner);
int vt_der_int(vt_buf *out, unsigned v);          /* INTEGER, small */
int vt_der_utf8(vt_buf *out, const char *s);      /* UTF8String */
int vt_der_bits(vt_buf *out, uint8_t unused, const uint8_t *v, size_t len);
int vt_der_path(vt_buf *out, const uint8_t *path, size_t len); /* Path */

#endif
