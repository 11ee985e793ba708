/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rn_token_int.h — internals shared by the files of renew/token/ (not part of
 * the contract with the flow: that is ../rn_token.h).
 */
#ifndef UKEY_RN_TOKEN_INT_H
#define UKEY_RN_TOKEN_INT_H

#include "rn_token.h"

/* Upper bounds on what we accept from a module (hostile input). */
#define RN_MAX_SLOTS      256u
#define RN_MAX_OBJECTS    4096u
#define RN_MAX_VALUE      (1024u * 1024u)   /* CKA_VALUE of a certificate */
#define RN_MAX_BIGNUM     2048u             /* CKA_MODULUS: 16384 bits */
#define RN_MAX_LABEL_IN   4096u

struct rn_module {
	void *dl;
	CK_FUNCTION_LIST_PTR f;
	rn_trace_fn trace;
	void *trace_arg;
	int finalize;              /* 0 when someone else had initialised it */
};

struct rn_session {
	struct rn_module *m;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE h;
	int logged_in;
	/* Outcome of the last token operation done behind OpenSSL's back (the
	 * token-backed key's C_Sign/C_Decrypt), see rn_session_last_error(). */
	enum rn_tok_rc last_rc;
	char last_err[256];
};

#if defined(__GNUC__)
#define RN_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define RN_PRINTF(a, b)
#endif

/* One trace line (no PIN, no key bytes: callers format only names, handles,
 * sizes and CK_RV names). */
void rn_trace(const struct rn_module *m, const char *fmt, ...) RN_PRINTF(2, 3);

/* Formats err ("call: CKR_xxx") and maps rv to its class. slot is used to
 * tell a removal behind CKR_DEVICE_ERROR / CKR_SESSION_HANDLE_INVALID
 * (C_GetSlotInfo); pass RN_NO_SLOT when unknown. */
#define RN_NO_SLOT ((CK_SLOT_ID)-1)
enum rn_tok_rc rn_map_rv(struct rn_module *m, CK_SLOT_ID slot, CK_RV rv, const char *call,
			 char *err, size_t errlen);
void rn_seterr(char *err, size_t errlen, const char *fmt, ...) RN_PRINTF(3, 4);

/* "CKO_CERTIFICATE", "CKA_ID", "CKM_RSA_PKCS" (static, or "0x..." in buf). */
const char *rn_cko_name(CK_ULONG v);
const char *rn_cka_name(CK_ULONG v);
const char *rn_ckm_name(CK_ULONG v);

/* Finds objects matching tmpl (C_FindObjectsInit/C_FindObjects/
 * C_FindObjectsFinal, traced). *out malloc'd (may be NULL when *n == 0). */
enum rn_tok_rc rn_find(struct rn_session *s, CK_ATTRIBUTE *tmpl, CK_ULONG cnt,
		       CK_OBJECT_HANDLE **out, size_t *n, char *err, size_t errlen);

/* Reads one attribute of variable length (size query first). *val is malloc'd
 * (+1 byte NUL for convenience), *len its length. *val = NULL and rc OK when
 * the module says the attribute is absent/sensitive/unavailable. Lengths over
 * max are refused (RN_TOK_ERROR). */
enum rn_tok_rc rn_get_attr(struct rn_session *s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type,
			   size_t max, unsigned char **val, size_t *len, char *err, size_t errlen);
/* Reads a CK_ULONG/CK_BBOOL-sized attribute; *present = 0 when absent. */
enum rn_tok_rc rn_get_ulong(struct rn_session *s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type,
			    CK_ULONG *v, int *present, char *err, size_t errlen);

/* Objects of class cls with CKA_ID = id. */
enum rn_tok_rc rn_find_by_id(struct rn_session *s, CK_OBJECT_CLASS cls,
			     const unsigned char *id, size_t id_len,
			     CK_OBJECT_HANDLE **out, size_t *n, char *err, size_t errlen);

/* Hex of at most 16 bytes of an id, for trace lines ("0102…"). */
void rn_hex_short(const unsigned char *p, size_t n, char *buf, size_t cap);

/* RSA public key (n, e big-endian) → EVP_PKEY, without deprecated APIs. */
EVP_PKEY *rn_rsa_pub_pkey(const unsigned char *n, size_t nlen, const unsigned char *e,
			  size_t elen);

/* Reads CKA_MODULUS/CKA_PUBLIC_EXPONENT of object o. */
enum rn_tok_rc rn_read_rsa_pub(struct rn_session *s, CK_OBJECT_HANDLE o, unsigned char **n,
			       size_t *nlen, unsigned char **e, size_t *elen, char *err,
			       size_t errlen);

#endif
