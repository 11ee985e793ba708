/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers shared by the end-to-end test programs (e2e_removal, e2e_threads,
 * e2e_badcalls) and by bench/ukey-bench: load a PKCS#11 module with dlopen,
 * read the test PINs from a secrets file, find keys, and check signatures
 * independently of the module with OpenSSL.
 *
 * Nothing here trusts the module: every length it returns is checked.
 */
#ifndef UKEY_E2E_P11_H
#define UKEY_E2E_P11_H

#include <stddef.h>
#include <stdint.h>

#include <p11-kit/pkcs11.h>
#include <openssl/evp.h>

typedef struct {
	void *dl;
	CK_FUNCTION_LIST_PTR f;
} e2e_module;

/* dlopen + C_GetFunctionList. 0 ok, -1 with a one-line message on stderr. */
int e2e_module_load(e2e_module *m, const char *path);
void e2e_module_unload(e2e_module *m);

/* Read `key=value` from a secrets file (user_pin=..., so_pin=...). The
 * value is copied into out (NUL-terminated, trailing newline/CR removed).
 * 0 ok, -1 (message on stderr) when missing or too long. */
int e2e_secret(const char *path, const char *key, char *out, size_t outsz);
/* Wipe a secret buffer (OPENSSL_cleanse). */
void e2e_wipe(void *p, size_t n);

/* Name of a CKR_ value ("CKR_PIN_INCORRECT"), or "CKR_0x..." text in a
 * static per-thread buffer. */
const char *e2e_ckr(CK_RV rv);

/* Slots with a token present, in the module's order. Returns the number
 * found (<= cap) or -1 on error. */
int e2e_token_slots(CK_FUNCTION_LIST_PTR f, CK_SLOT_ID *slots, size_t cap);

/* Find the first object of class cls (optionally with CKA_ID == id).
 * Returns the module's own CK_RV of C_FindObjectsInit / C_FindObjects
 * (message on stderr), so callers can tell a removed token from a bug;
 * CKR_OK with *found = 1 and *out set, or *found = 0 when nothing matches.
 * A module that returns more objects than asked for breaks the API: that
 * is reported as CKR_GENERAL_ERROR (the module gave no code for it). */
CK_RV e2e_find_rv(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls,
		  const uint8_t *id, size_t id_len, CK_OBJECT_HANDLE *out,
		  int *found);
/* The same as 0 found, 1 not found, -1 error (kept for callers that only
 * need the outcome, e.g. bench/ukey-bench). */
int e2e_find(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls,
	     const uint8_t *id, size_t id_len, CK_OBJECT_HANDLE *out);

/* Read a variable-length attribute (two-call convention) into a malloc'd
 * buffer. 0 ok, -1 error. */
int e2e_attr(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
	     CK_ATTRIBUTE_TYPE type, uint8_t **val, size_t *len);

/* Build an RSA EVP_PKEY from CKA_MODULUS/CKA_PUBLIC_EXPONENT of object o
 * (public or private key object). NULL on error. */
EVP_PKEY *e2e_rsa_pubkey(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s,
			 CK_OBJECT_HANDLE o);
/* Public key of the certificate object o (CKA_VALUE parsed as X.509). */
EVP_PKEY *e2e_cert_pubkey(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s,
			  CK_OBJECT_HANDLE o);

/* Verify an RSASSA-PKCS1-v1_5 signature over data with the given digest
 * (EVP_sha256() for CKM_SHA256_RSA_PKCS). 1 valid, 0 invalid, -1 error. */
int e2e_verify_pkcs1(EVP_PKEY *pub, const EVP_MD *md, const uint8_t *data,
		     size_t len, const uint8_t *sig, size_t siglen);

/* C_SignInit + C_Sign with CKM_SHA256_RSA_PKCS into sig (cap bytes).
 * Returns the CK_RV of the first failing call. */
CK_RV e2e_sign_sha256(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s,
		      CK_OBJECT_HANDLE key, const uint8_t *data, size_t len,
		      uint8_t *sig, size_t cap, size_t *siglen);

/* Monotonic clock in seconds. */
double e2e_now(void);

/* Sleep ms milliseconds, resuming after signals. */
void e2e_sleep_ms(long ms);

#endif /* UKEY_E2E_P11_H */
