/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Strict BER-TLV reader (ISO/IEC 7816-4 §5.2 / X.690 definite lengths). */
#include <string.h>

#include "apdu.h"

#define TLV_MAX_TAG_BYTES 3
#define TLV_MAX_LEN_BYTES 4

ukey_rv ukey_tlv_next(const uint8_t **p, size_t *left, ukey_tlv *out)
{
	if (p == NULL || left == NULL || out == NULL || (*p == NULL && *left))
		return UKEY_E_ARGS;
	memset(out, 0, sizeof(*out));
	const uint8_t *b = *p;
	size_t n = *left, i = 0;
	if (n == 0)
		return UKEY_E_MALFORMED;

	/* Tag: low 5 bits all ones => subsequent bytes, bit 8 = "more". */
	unsigned tag = b[i++];
	int constructed = (tag & 0x20) != 0;
	if ((tag & 0x1F) == 0x1F) {
		for (int k = 1;; k++) {
			if (k >= TLV_MAX_TAG_BYTES || i >= n)
				return UKEY_E_MALFORMED;
			uint8_t t = b[i++];
			tag = (tag << 8) | t;
			if (!(t & 0x80))
				break;
		}
	}

	/* Length. */
	if (i >= n)
		return UKEY_E_MALFORMED;
	uint8_t l0 = b[i++];
	size_t len;
	if (l0 < 0x80) {
		len = l0;
	} else {
		size_t nb = l0 & 0x7F;
		if (nb == 0 || nb > TLV_MAX_LEN_BYTES) /* indefinite or too long */
			return UKEY_E_MALFORMED;
		if (nb > n - i)
			return UKEY_E_MALFORMED;
		len = 0;
		for (size_t k = 0; k < nb; k++)
			len = (len << 8) | b[i++];
	}
	if (len > n - i)
		return UKEY_E_MALFORMED;

	out->tag = tag;
	out->constructed = constructed;
	out->value = b + i;
	out->len = len;
	*p = b + i + len;
	*left = n - i - len;
	return UKEY_OK;
}

int ukey_tlv_find(const uint8_t *buf, size_t len, unsigned tag, ukey_tlv *out)
{
	if (buf == NULL && len > 0)
		return UKEY_E_MALFORMED;
	const uint8_t *p = buf;
	size_t left = len;
	ukey_tlv t;
	while (left > 0) {
		if (ukey_tlv_next(&p, &left, &t) != UKEY_OK)
			return UKEY_E_MALFORMED;
		if (t.tag == tag) {
			if (out != NULL)
				*out = t;
			return UKEY_OK;
		}
	}
	return 1;
}
