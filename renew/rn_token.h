/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rn_token.h — librenew's only way to a token: a PKCS#11 module loaded at run
 * time with dlopen (no link to ukey's drivers or apdu), used through standard
 * calls only, so that ukey-pkcs11.so, SoftHSMv2 and OpenSC's module all work.
 *
 * Every PKCS#11 call is reported to the trace callback (function name, slot or
 * handle, CK_RV name) — never a PIN, never key material.
 */
#ifndef UKEY_RN_TOKEN_H
#define UKEY_RN_TOKEN_H

#include <stddef.h>
#include <p11-kit/pkcs11.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

/* Results of this layer (mapped to renew_rc by the flow). */
enum rn_tok_rc {
	RN_TOK_OK = 0,
	RN_TOK_PIN_INCORRECT,
	RN_TOK_PIN_LOCKED,
	RN_TOK_PIN_INVALID,     /* CKR_PIN_LEN_RANGE / CKR_PIN_INVALID */
	RN_TOK_REMOVED,         /* CKR_DEVICE_REMOVED, CKR_TOKEN_NOT_PRESENT, CKR_SESSION_HANDLE_INVALID after removal... */
	RN_TOK_NOT_FOUND,
	RN_TOK_MODULE,          /* dlopen/dlsym/C_Initialize failed */
	RN_TOK_NOT_SUPPORTED,   /* CKR_FUNCTION_NOT_SUPPORTED / CKR_ACTION_PROHIBITED
				 * (OpenSC 0.23 cannot destroy certificates) */
	RN_TOK_ERROR            /* any other CK_RV (err text names the call and CKR_) */
};

typedef void (*rn_trace_fn)(const char *line, void *arg);

struct rn_module;   /* a loaded, C_Initialize'd module */
struct rn_session;  /* one R/W session on one slot */

/* Loads path (dlopen RTLD_NOW|RTLD_LOCAL), C_GetFunctionList, C_Initialize with
 * CKF_OS_LOCKING_OK. err gets dlerror()'s text or the failing call. */
enum rn_tok_rc rn_module_load(const char *path, rn_trace_fn trace, void *trace_arg,
			      struct rn_module **out, char *err, size_t errlen);
void rn_module_unload(struct rn_module *m); /* C_Finalize + dlclose; NULL ok */

struct rn_token_info {
	CK_SLOT_ID slot;
	char label[33], serial[17], model[17], manufacturer[33]; /* trimmed */
	CK_FLAGS flags;            /* CK_TOKEN_INFO.flags as read */
	int login_required;
	int pin_count_low, pin_final_try, pin_locked;
};

/* Slots with a token present (C_GetSlotList(TRUE) + C_GetTokenInfo). */
enum rn_tok_rc rn_token_list(struct rn_module *m, struct rn_token_info **out, size_t *n,
			     char *err, size_t errlen);
/* Fresh C_GetTokenInfo of one slot (PIN flags after a failed login). */
enum rn_tok_rc rn_token_info(struct rn_module *m, CK_SLOT_ID slot, struct rn_token_info *ti,
			     char *err, size_t errlen);

struct rn_cert {
	CK_OBJECT_HANDLE handle;   /* valid in the session that listed it */
	unsigned char id[64];
	size_t id_len;
	char label[128];
	unsigned char *der;        /* CKA_VALUE, owned */
	size_t der_len;
	int key_present;           /* 1: a private or public key with the same CKA_ID is visible; 0: none visible and logged in; -1: none visible, not logged in */
};
void rn_cert_list_free(struct rn_cert *c, size_t n);

/* Opens a session (rw: CKF_RW_SESSION) on slot. */
enum rn_tok_rc rn_session_open(struct rn_module *m, CK_SLOT_ID slot, int rw,
			       struct rn_session **out, char *err, size_t errlen);
void rn_session_close(struct rn_session *s); /* C_Logout if logged in, C_CloseSession; NULL ok */

/* C_Login(CKU_USER). CKR_USER_ALREADY_LOGGED_IN counts as success. */
enum rn_tok_rc rn_session_login(struct rn_session *s, const char *pin, size_t pin_len,
				char *err, size_t errlen);
int rn_session_logged_in(const struct rn_session *s);

/* Certificates (CKO_CERTIFICATE, CKC_X_509) on the token, with key presence. */
enum rn_tok_rc rn_cert_list(struct rn_session *s, struct rn_cert **out, size_t *n,
			    char *err, size_t errlen);

/* An EVP_PKEY whose private operations run on the token: the CKO_PRIVATE_KEY
 * with CKA_ID = id, RSA for now (key type read from CKA_KEY_TYPE; other types
 * give RN_TOK_NOT_FOUND with err saying so, so ECC can be added here). Public
 * part from the key's CKA_MODULUS/CKA_PUBLIC_EXPONENT (or the public key
 * object). PKCS#1 v1.5 signatures use CKM_RSA_PKCS on the DigestInfo, raw
 * (PSS padded by OpenSSL, TLS 1.3) CKM_RSA_X_509. The key holds a reference to
 * the session: keep the session open while the key is used. */
enum rn_tok_rc rn_private_key(struct rn_session *s, const unsigned char *id, size_t id_len,
			      EVP_PKEY **out, char *err, size_t errlen);

/* Whether a private key with CKA_ID = id exists (needs login for private keys). */
enum rn_tok_rc rn_private_key_exists(struct rn_session *s, const unsigned char *id,
				     size_t id_len, int *exists, char *err, size_t errlen);

/* C_GenerateKeyPair CKM_RSA_PKCS_KEY_PAIR_GEN, token objects, private,
 * sensitive, CKA_SIGN/CKA_DECRYPT (+ VERIFY/ENCRYPT on the public key), with
 * CKA_ID = id and CKA_LABEL = label. */
enum rn_tok_rc rn_generate_rsa(struct rn_session *s, CK_ULONG bits, const unsigned char *id,
			       size_t id_len, const char *label, char *err, size_t errlen);

/* C_CreateObject of a token X.509 certificate: CKA_VALUE, CKA_ID, CKA_LABEL,
 * CKA_SUBJECT, CKA_ISSUER, CKA_SERIAL_NUMBER from the DER. */
enum rn_tok_rc rn_cert_write(struct rn_session *s, const unsigned char *der, size_t der_len,
			     const unsigned char *id, size_t id_len, const char *label,
			     char *err, size_t errlen);

/* Finds the certificate whose CKA_VALUE equals der exactly (read back byte for
 * byte): *found = 1 and *handle when present. */
enum rn_tok_rc rn_cert_find_exact(struct rn_session *s, const unsigned char *der, size_t der_len,
				  int *found, CK_OBJECT_HANDLE *handle, char *err, size_t errlen);

/* C_DestroyObject of the certificate with exactly this DER (RN_TOK_NOT_FOUND
 * when it is not there: already deleted). */
enum rn_tok_rc rn_cert_delete_exact(struct rn_session *s, const unsigned char *der,
				    size_t der_len, char *err, size_t errlen);

/* C_SetAttributeValue(CKA_ID = id) on the certificate with exactly this DER. */
enum rn_tok_rc rn_cert_set_id(struct rn_session *s, const unsigned char *der, size_t der_len,
			      const unsigned char *id, size_t id_len, char *err, size_t errlen);

/* C_DestroyObject of the private and the public key with CKA_ID = id (either
 * may already be gone; RN_TOK_OK then). */
enum rn_tok_rc rn_keypair_delete(struct rn_session *s, const unsigned char *id, size_t id_len,
				 char *err, size_t errlen);

/* The public key of the key pair id as an EVP_PKEY (from the public key object,
 * or the private key's public attributes), for the "new certificate's key ==
 * token key" check. */
enum rn_tok_rc rn_public_key(struct rn_session *s, const unsigned char *id, size_t id_len,
			     EVP_PKEY **out, char *err, size_t errlen);

/* Added by renew/token: the outcome of the last C_SignInit/C_Sign done by a
 * token-backed key of session s (rn_private_key) behind OpenSSL's back, so a
 * failed EVP_DigestSign / CMP protection / TLS handshake can be told apart
 * (RN_TOK_REMOVED, RN_TOK_ERROR "C_Sign: CKR_..."). RN_TOK_OK when the last
 * one worked (or none was done); err is set only otherwise. */
enum rn_tok_rc rn_session_last_error(const struct rn_session *s, char *err, size_t errlen);

/* CK_RV → "CKR_PIN_INCORRECT" (static string; "CKR_0x…" for unknown). */
const char *rn_ckr_name(CK_RV rv);

#endif
