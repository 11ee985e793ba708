/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rn_verify.h — the checks a renewed certificate passes before it touches the
 * token, and the trust store the roots come from. Each returns 0, or -1 with
 * one line in err naming what was wrong.
 */
#ifndef UKEY_RN_VERIFY_H
#define UKEY_RN_VERIFY_H

#include <stddef.h>
#include <time.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

/* Chains to a root of roots (untrusted intermediates allowed), purpose any,
 * valid now. */
int rn_verify_chain(X509 *cert, X509_STORE *roots, STACK_OF(X509) *untrusted,
		    char *err, size_t errlen);
/* The certificate's public key equals pub (EVP_PKEY_eq). */
int rn_verify_same_key(X509 *cert, EVP_PKEY *pub, char *err, size_t errlen);
/* Signs a fresh random challenge with priv (on the token, SHA-256 PKCS#1
 * v1.5) and verifies it with the certificate's public key. */
int rn_verify_sign_roundtrip(X509 *cert, EVP_PKEY *priv, char *err, size_t errlen);
/* Same subject as old, notAfter later than old's, notBefore not in the future
 * (5 minutes of clock skew allowed), not expired. */
int rn_verify_fields(X509 *old_cert, X509 *new_cert, time_t now, char *err, size_t errlen);

/* Trust store: trust_dir holds one PEM per root, named <sha256-hex>.pem. */
/* Parses a SHA-256 fingerprint: hex, any case, with or without colons. */
int rn_trust_parse_fp(const char *text, unsigned char fp[32]);
/* Loads every root of trust_dir into a new store (NULL + err if none / bad file). */
X509_STORE *rn_trust_load(const char *trust_dir, char *err, size_t errlen);
/* Loads every root as a stack (for listing). */
STACK_OF(X509) *rn_trust_certs(const char *trust_dir, char *err, size_t errlen);
/* Adds pem_path's certificate (must be a CA: self-signed or basicConstraints
 * CA) if its SHA-256 equals fp; creates trust_dir (0755) if missing. */
int rn_trust_add(const char *trust_dir, const char *pem_path, const unsigned char fp[32],
		 char *err, size_t errlen);
/* Removes the root with this fingerprint (-1 if none). */
int rn_trust_remove(const char *trust_dir, const unsigned char fp[32], char *err, size_t errlen);
/* SHA-256 of the DER, as lower-case hex (65 bytes with NUL). */
void rn_cert_sha256_hex(X509 *cert, char out[65]);

#endif
