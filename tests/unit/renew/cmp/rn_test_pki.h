/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers of the renew/cmp tests: the test PKI made by mkpki.sh. */
#ifndef RN_TEST_PKI_H
#define RN_TEST_PKI_H
#include <openssl/evp.h>
#include <openssl/x509.h>

extern char rn_pki_dir[256];
/* Creates the PKI in a fresh temporary directory; -1 on failure. */
int rn_pki_make(void);
void rn_pki_remove(void);
const char *rn_pki_path(const char *name); /* static buffer */
X509 *rn_pki_cert(const char *name);       /* "user" -> user.crt */
EVP_PKEY *rn_pki_key(const char *name);    /* "user" -> user.key */
X509_STORE *rn_pki_store(const char *name);
unsigned char *rn_file_read(const char *path, size_t *len);
#endif
