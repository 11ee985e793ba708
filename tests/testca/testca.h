/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ukey-testca: a small CMP CA for tests (OpenSSL 3 server API). */
#ifndef UKEY_TESTCA_H
#define UKEY_TESTCA_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <openssl/cmp.h>
#include <openssl/crmf.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#define TESTCA_MAX_BODY (64 * 1024)

enum testca_misbehave {
    MB_NONE = 0,
    MB_OTHER_KEY,
    MB_WRONG_ISSUER,
    MB_SHORTER_VALIDITY,
    MB_EXPIRED,
    MB_OTHER_SUBJECT,
    MB_GARBAGE,
    MB_TRUNCATED,
    MB_DROP,
    MB_HTTP500,
    MB_OTHER_TRANSACTION,
};

struct testca_config {
    const char *ca_cert_file, *ca_key_file;
    const char *bind_addr;
    int port;
    const char *path;            /* HTTP path, with leading '/' */
    int validity_days;
    int refuse_days;             /* kur refused while > N days left; <0: never */
    const char *refuse_text;     /* may contain one %d (or {N}) for N */
    long wait_seconds;           /* <0: never approve */
    int check_after;
    const char *secret;          /* MAC secret for ir/cr (pass:..., env:...) */
    const char *tls_cert, *tls_key, *tls_client_ca;
    const char *ready_file;
    const char *log_file;
    enum testca_misbehave misbehave;
    long misbehave_after;        /* 1-based message count */
    int io_timeout;              /* seconds per connection */
    int txn_timeout;             /* idle seconds before a transaction is dropped */
    int verbose;

    /* loaded */
    X509 *ca_cert;
    EVP_PKEY *ca_key;
    SSL_CTX *ssl_ctx;
};

extern struct testca_config g_cfg;

/* testca_log.c */
void testca_log_open(const char *file);
void testca_log_close(void);
void testca_log(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
void testca_msg(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* testca_der.c: a minimal DER walker, enough for the bits OpenSSL 3.0
 * has no getter for. */
struct der_tlv {
    unsigned int tag;           /* first identifier octet (low tag numbers) */
    const unsigned char *hdr;   /* start of the TLV */
    const unsigned char *val;   /* contents */
    size_t len;                 /* contents length */
    size_t total;               /* header + contents */
};
/* Parse one TLV at p (n bytes available); 1 on success. */
int der_next(const unsigned char *p, size_t n, struct der_tlv *out);
/* Find the first child with tag `tag` in a constructed value. */
int der_find_child(const struct der_tlv *parent, unsigned int tag,
                   struct der_tlv *out);
/* Public key in a CRMF certificate template ([6] IMPLICIT SPKI). */
EVP_PKEY *der_template_pubkey(const OSSL_CRMF_CERTTEMPLATE *tmpl);
/* The certificates in a PKIMessage's extraCerts (NULL if none). */
STACK_OF(X509) *der_msg_extracerts(const unsigned char *der, size_t len);
/* A copy of the PKIMessage without protection (protectionAlg and
 * protection removed) and with transactionID and senderNonce changed.
 * Returns malloc'ed DER or NULL. */
unsigned char *der_msg_unprotect_retid(const unsigned char *der, size_t len,
                                       size_t *outlen);

/* testca_issue.c */
struct issue_params {
    EVP_PKEY *pubkey;           /* the requested key */
    const X509_NAME *subject;
    const X509 *old_cert;       /* kur: the certificate being updated */
    const X509_EXTENSIONS *req_exts; /* template extensions (SAN copied) */
    enum testca_misbehave misbehave; /* certificate-level misbehaviour */
};
X509 *testca_issue(const struct issue_params *p, char *why, size_t whylen);
/* Seconds left on a certificate (negative if expired). */
long long testca_seconds_left(const X509 *cert);

/* testca_cmp.c */
int testca_cmp_init(void);
void testca_cmp_cleanup(void);
/* Process one CMP request (DER). On success returns 1 and a malloc'ed DER
 * answer in *out, *outlen; returns 0 if the body is not a CMP message
 * (HTTP 400). `decision` gets a short text for the log. *mb_now is set when
 * a transport misbehaviour applies to this answer. */
int testca_cmp_handle(const unsigned char *req, size_t reqlen,
                      const char *peer, unsigned char **out, size_t *outlen,
                      enum testca_misbehave *mb_now);

/* testca_misbehave.c */
int testca_misbehave_parse(const char *name, enum testca_misbehave *out);
const char *testca_misbehave_name(enum testca_misbehave m);
int testca_misbehave_is_cert(enum testca_misbehave m);
EVP_PKEY *testca_mb_other_key(void);
int testca_mb_wrong_issuer(X509_NAME **name, EVP_PKEY **key);
void testca_mb_cleanup(void);
/* Fill buf with random garbage. */
void testca_mb_garbage(unsigned char *buf, size_t n);

/* testca_http.c */
int testca_http_listen(const char *addr, int port, int *bound_port);
/* Handle one connection (closes fd). */
void testca_http_serve(int fd, const char *peer);
int testca_tls_init(void);

#endif
