/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rn_flow_util.c — hex, days, ASN.1 time for the flow. */
#include <string.h>
#include <openssl/asn1.h>

#include "rn_flow.h"

void rn_hex(const unsigned char *b, size_t n, char *out, size_t outlen)
{
	static const char d[] = "0123456789abcdef";
	size_t o = 0;
	for (size_t i = 0; i < n && o + 2 < outlen; i++) {
		out[o++] = d[b[i] >> 4];
		out[o++] = d[b[i] & 15];
	}
	if (outlen)
		out[o] = 0;
}

static int nib(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

int rn_unhex(const char *s, unsigned char *out, size_t cap, size_t *n)
{
	size_t k = 0;
	while (*s) {
		if (*s == ':' || *s == ' ') { s++; continue; }
		int hi = nib(s[0]), lo = s[1] ? nib(s[1]) : -1;
		if (hi < 0 || lo < 0 || k >= cap)
			return -1;
		out[k++] = (unsigned char)(hi << 4 | lo);
		s += 2;
	}
	*n = k;
	return 0;
}

long rn_days_left(time_t not_after, time_t now)
{
	double d = difftime(not_after, now);
	long days = (long)(d / 86400.0);
	if (d < 0 && (double)days * 86400.0 != d)
		days -= 1; /* floor */
	return days;
}

time_t rn_asn1_time(const ASN1_TIME *t)
{
	struct tm tm;
	if (!t || !ASN1_TIME_to_tm(t, &tm))
		return 0;
	return timegm(&tm);
}
