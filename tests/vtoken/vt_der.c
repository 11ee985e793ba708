/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Minimal DER writer (see vt_der.h). */
#include <string.h>

#include "vt_der.h"

size_t vt_der_len(uint8_t out[3], size_t len)
{
	if (len < 0x80) {
		out[0] = (uint8_t)len;
		return 1;
	}
	if (len < 0x100) {
		out[0] = 0x81;
		out[1] = (uint8_t)len;
		return 2;
	}
	out[0] = 0x82;
	out[1] = (uint8_t)(len >> 8);
	out[2] = (uint8_t)len;
	return 3;
}

int vt_der_tlv(vt_buf *out, uint8_t tag, const void *v, size_t len)
{
	uint8_t h[4];
	if (len >= 0x10000)
		return -1;
	h[0] = tag;
	if (vt_buf_put(out, h, 1 + vt_der_len(h + 1, len)))
		return -1;
	return vt_buf_put(out, v, len);
}

int vt_der_wrap(vt_buf *out, uint8_t tag, vt_buf *inner)
{
	int rc = vt_der_tlv(out, tag, inner->p, inner->len);
	vt_buf_free(inner);
	return rc;
}

int vt_der_int(vt_buf *out, unsigned v)
{
	uint8_t b[5];
	size_t n = 0;
	uint8_t tmp[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
			   (uint8_t)(v >> 8), (uint8_t)v };
	size_t s = 0;
	while (s < 3 && tmp[s] == 0)
		s++;
	if (tmp[s] & 0x80)
		b[n++] = 0;
	memcpy(b + n, tmp + s, 4 - s);
	n += 4 - s;
	return vt_der_tlv(out, 0x02, b, n);
}

int vt_der_utf8(vt_buf *out, const char *s)
{
	return vt_der_tlv(out, 0x0C, s, strlen(s));
}

int vt_der_bits(vt_buf *out, uint8_t unused, const uint8_t *v, size_t len)
{
	uint8_t b[16];
	if (len + 1 > sizeof b)
		return -1;
	b[0] = unused;
	memcpy(b + 1, v, len);
	return vt_der_tlv(out, 0x03, b, len + 1);
}

int vt_der_path(vt_buf *out, const uint8_t *path, size_t len)
{
	vt_buf in = { 0 };
	if (vt_der_tlv(&in, 0x04, path, len)) {
		vt_buf_free(&in);
		return -1;
	}
	return vt_der_wrap(out, 0x30, &in);
}
