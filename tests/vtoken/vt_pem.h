/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PEM files named by the personalisation options (the CA that issues the
 * card certificates), shared by the virtual card OSes. */
#ifndef VT_PEM_H
#define VT_PEM_H

#include <openssl/evp.h>
#include <openssl/x509.h>

/* The private key / certificate in a PEM file; NULL when it cannot be
 * opened or parsed. */
EVP_PKEY *vt_pem_read_key(const char *path);
X509 *vt_pem_read_cert(const char *path);

#endif
