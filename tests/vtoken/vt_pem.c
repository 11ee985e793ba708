/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include <openssl/pem.h>

#include "vt_pem.h"

EVP_PKEY *vt_pem_read_key(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	return k;
}

X509 *vt_pem_read_cert(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	return x;
}
