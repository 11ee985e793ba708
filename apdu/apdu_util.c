/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small helpers shared by the apdu/ layer. */
#include <string.h>

#include <openssl/crypto.h>

#include "apdu.h"

void ukey_memzero(void *p, size_t n)
{
	/* OPENSSL_cleanse is written so the compiler cannot elide it. */
	if (p != NULL && n > 0)
		OPENSSL_cleanse(p, n);
}
