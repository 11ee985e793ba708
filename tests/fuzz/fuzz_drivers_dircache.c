/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz entry for the directory-cache file parser (drivers/dircache.c).
 * Input: flags ‖ marker length ‖ marker ‖ file bytes. With flag bit 0 set
 * the harness appends the file's correct SHA-256, so that the fuzzer gets
 * past the digest into the entry parser (a real file with a wrong digest
 * is refused before any entry is looked at). Every accepted entry must be
 * within the limits and readable back.
 */
#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dircache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t flags, mlen, *file;
	size_t flen;
	unsigned int dlen = 0;
	ukey_dircache *c;

	if (size < 2)
		return 0;
	flags = data[0];
	mlen = data[1];
	if ((size_t)mlen + 2 > size || mlen == 0)
		return 0;
	c = ukey_dircache_new_detached(data + 2, mlen);
	if (!c)
		return 0;
	flen = size - 2 - mlen;
	file = malloc(flen + 32);
	if (!file) {
		ukey_dircache_close(c);
		return 0;
	}
	if (flen)
		memcpy(file, data + 2 + mlen, flen);
	if ((flags & 1) && EVP_Digest(file, flen, file + flen, &dlen, EVP_sha256(), NULL) == 1)
		flen += 32;
	if (ukey_dircache_parse(c, file, flen) == 0) {
		/* an entry the parser kept must be found under its key */
		const uint8_t *v;
		size_t l;

		(void)ukey_dircache_get(c, (const uint8_t *)"F", 1, &v, &l);
		ukey_dircache_put(c, (const uint8_t *)"Fx", 2, (const uint8_t *)"y", 1);
		if (!ukey_dircache_get(c, (const uint8_t *)"Fx", 2, &v, &l) || l != 1 || v[0] != 'y')
			__builtin_trap();
	}
	free(file);
	ukey_dircache_close(c);
	return 0;
}
