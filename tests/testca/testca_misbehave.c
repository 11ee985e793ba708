/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Misbehaviour modes: names, the other key, the wrong issuer, garbage. */
#include <pthread.h>
#include <string.h>

#include <openssl/rand.h>

#include "testca.h"

static const char *const names[] = {
    [MB_NONE] = "none",
    [MB_OTHER_KEY] = "other-key",
    [MB_WRONG_ISSUER] = "wrong-issuer",
    [MB_SHORTER_VALIDITY] = "shorter-validity",
    [MB_EXPIRED] = "expired",
    [MB_OTHER_SUBJECT] = "other-subject",
    [MB_GARBAGE] = "garbage",
    [MB_TRUNCATED] = "truncated",
    [MB_DROP] = "drop",
    [MB_HTTP500] = "http500",
    [MB_OTHER_TRANSACTION] = "other-transaction",
};

int testca_misbehave_parse(const char *name, enum testca_misbehave *out)
{
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(name, names[i]) == 0) {
            *out = (enum testca_misbehave)i;
            return 1;
        }
    return 0;
}

const char *testca_misbehave_name(enum testca_misbehave m)
{
    return (size_t)m < sizeof(names) / sizeof(names[0]) ? names[m] : "?";
}

/* Modes that change the certificate itself (the rest act on the answer). */
int testca_misbehave_is_cert(enum testca_misbehave m)
{
    return m == MB_OTHER_KEY || m == MB_WRONG_ISSUER
           || m == MB_SHORTER_VALIDITY || m == MB_EXPIRED
           || m == MB_OTHER_SUBJECT;
}

EVP_PKEY *testca_mb_other_key(void)
{
    return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

/* Callers hold the CMP lock; the wrong CA is made once. */
static EVP_PKEY *wrong_key;
static X509_NAME *wrong_name;

int testca_mb_wrong_issuer(X509_NAME **name, EVP_PKEY **key)
{
    if (wrong_key == NULL) {
        wrong_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        wrong_name = X509_NAME_new();
        if (wrong_key == NULL || wrong_name == NULL
            || !X509_NAME_add_entry_by_txt(wrong_name, "CN", MBSTRING_ASC,
                                           (const unsigned char *)
                                           "ukey-testca wrong issuer",
                                           -1, -1, 0)) {
            EVP_PKEY_free(wrong_key);
            X509_NAME_free(wrong_name);
            wrong_key = NULL;
            wrong_name = NULL;
            return 0;
        }
    }
    *name = wrong_name;
    *key = wrong_key;
    return 1;
}

void testca_mb_cleanup(void)
{
    EVP_PKEY_free(wrong_key);
    X509_NAME_free(wrong_name);
    wrong_key = NULL;
    wrong_name = NULL;
}

void testca_mb_garbage(unsigned char *buf, size_t n)
{
    if (RAND_bytes(buf, (int)n) != 1)
        memset(buf, 0xa5, n);
    /* never a SEQUENCE by accident */
    if (n > 0)
        buf[0] = 0x5c;
}
