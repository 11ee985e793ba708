/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rn_store_util.h — small helpers shared by the state file and the
 * configuration parser (internal to renew/store/).
 */
#ifndef UKEY_RN_STORE_UTIL_H
#define UKEY_RN_STORE_UTIL_H

#include <stddef.h>

/* Strict base64 (RFC 4648, padding required, no whitespace, canonical
 * trailing bits). Returns the decoded length, or -1. out may be NULL to
 * only validate; outcap is the capacity of out. */
long rn_b64_decode(const char *in, size_t inlen, unsigned char *out, size_t outcap);
/* Encodes into out (needs 4*((len+2)/3)+1 bytes), NUL-terminated; returns
 * the text length. */
size_t rn_b64_encode(const unsigned char *in, size_t len, char *out);
/* Lower-case hex, out needs 2*len+1 bytes. */
void rn_hex_encode(const unsigned char *in, size_t len, char *out);
/* Hex (any case, even length) into out; -1 if invalid or longer than outcap. */
long rn_hex_decode(const char *in, size_t inlen, unsigned char *out, size_t outcap);
/* mkdir -p with mode for every component created; -1 with errno set. */
int rn_mkdir_p(const char *path, unsigned mode);
/* Reads all of fd (at most max + 1 bytes, so that "too large" shows) into a
 * new buffer *buf (free it), *n bytes; -1 with err naming path on a read
 * error or no memory. The caller closes fd. */
int rn_read_all(int fd, const char *path, size_t max, char **buf, size_t *n,
		char *err, size_t errlen);
/* Opens path (O_NOFOLLOW when nofollow), checks that it is a regular
 * file and reads it whole as rn_read_all does. 0: read; 1: path does not
 * exist and missing_ok (nothing allocated); -1 with err naming path. */
int rn_read_file(const char *path, int nofollow, int missing_ok, size_t max,
		 char **buf, size_t *n, char *err, size_t errlen);
/* Home directory: $HOME, else the passwd entry; NULL if unknown. */
const char *rn_home_dir(void);

#endif
