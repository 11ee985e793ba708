/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Byte buffers, bounded readers, APDU parsing and small helpers shared by
 * every card OS of ukey-vtoken. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "vtoken.h"

int vt_buf_put(vt_buf *b, const void *data, size_t len)
{
	if (len == 0)
		return 0;
	if (b->len > SIZE_MAX - len)
		return -1;
	if (b->len + len > b->cap) {
		size_t ncap = b->cap ? b->cap : 256;
		while (ncap < b->len + len) {
			if (ncap > SIZE_MAX / 2)
				return -1;
			ncap *= 2;
		}
		uint8_t *np = realloc(b->p, ncap);
		if (!np)
			return -1;
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	return 0;
}

int vt_buf_put_u8(vt_buf *b, uint8_t v) { return vt_buf_put(b, &v, 1); }

int vt_buf_put_u16(vt_buf *b, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	return vt_buf_put(b, x, 2);
}

int vt_buf_put_u32(vt_buf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 8), (uint8_t)v };
	return vt_buf_put(b, x, 4);
}

int vt_buf_put_blob(vt_buf *b, const void *data, size_t len)
{
	if (len > UINT32_MAX)
		return -1;
	if (vt_buf_put_u32(b, (uint32_t)len))
		return -1;
	return vt_buf_put(b, data, len);
}

void vt_buf_free(vt_buf *b)
{
	if (b->p) {
		OPENSSL_cleanse(b->p, b->cap);
		free(b->p);
	}
	b->p = NULL;
	b->len = b->cap = 0;
}

int vt_rd_bytes(vt_rd *r, void *out, size_t len)
{
	if (r->err || r->left < len) {
		r->err = 1;
		if (out && len)
			memset(out, 0, len);
		return -1;
	}
	if (len)
		memcpy(out, r->p, len);
	r->p += len;
	r->left -= len;
	return 0;
}

uint8_t vt_rd_u8(vt_rd *r)
{
	uint8_t v[1];
	vt_rd_bytes(r, v, 1);
	return v[0];
}

uint16_t vt_rd_u16(vt_rd *r)
{
	uint8_t v[2];
	vt_rd_bytes(r, v, 2);
	return (uint16_t)((v[0] << 8) | v[1]);
}

uint32_t vt_rd_u32(vt_rd *r)
{
	uint8_t v[4];
	vt_rd_bytes(r, v, 4);
	return ((uint32_t)v[0] << 24) | ((uint32_t)v[1] << 16) |
	       ((uint32_t)v[2] << 8) | v[3];
}

uint8_t *vt_rd_blob(vt_rd *r, size_t *len, size_t limit)
{
	*len = 0;
	uint32_t n = vt_rd_u32(r);
	if (r->err)
		return NULL;
	if (n > limit || n > r->left) {
		r->err = 1;
		return NULL;
	}
	if (n == 0)
		return NULL;
	uint8_t *p = malloc(n);
	if (!p) {
		r->err = 1;
		return NULL;
	}
	vt_rd_bytes(r, p, n);
	*len = n;
	return p;
}

int vt_ct_memcmp(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) ? 1 : 0;
}

void vt_wipe(void *p, size_t n)
{
	if (p && n)
		OPENSSL_cleanse(p, n);
}

size_t vt_sw(uint8_t *rsp, size_t n, uint16_t sw)
{
	rsp[n] = (uint8_t)(sw >> 8);
	rsp[n + 1] = (uint8_t)sw;
	return n + 2;
}

int vt_apdu_parse(const uint8_t *cmd, size_t len, size_t *lc,
		  const uint8_t **data, long *le, int *ext)
{
	*lc = 0;
	*data = NULL;
	*le = -1;
	*ext = 0;
	if (len < 4)
		return -1;
	if (len == 4)
		return 0;                               /* case 1 */
	size_t body = len - 4;
	const uint8_t *p = cmd + 4;
	if (body == 1) {                                /* case 2 short */
		*le = p[0] ? p[0] : 256;
		return 0;
	}
	if (p[0] != 0) {                                /* short, case 3/4 */
		size_t n = p[0];
		if (body == 1 + n) {
			*lc = n;
			*data = p + 1;
			return 0;
		}
		if (body == 2 + n) {
			*lc = n;
			*data = p + 1;
			*le = p[1 + n] ? p[1 + n] : 256;
			return 0;
		}
		return -1;
	}
	/* extended: 00 followed by two length bytes */
	*ext = 1;
	if (body == 3) {                                /* case 2 extended */
		size_t n = ((size_t)p[1] << 8) | p[2];
		*le = n ? (long)n : 65536;
		return 0;
	}
	if (body < 3)
		return -1;
	size_t n = ((size_t)p[1] << 8) | p[2];
	if (n == 0)
		return -1;
	if (body == 3 + n) {
		*lc = n;
		*data = p + 3;
		return 0;
	}
	if (body == 5 + n) {
		size_t l = ((size_t)p[3 + n] << 8) | p[4 + n];
		*lc = n;
		*data = p + 3;
		*le = l ? (long)l : 65536;
		return 0;
	}
	return -1;
}
