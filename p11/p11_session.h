/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Sessions (p11_session.c): a handle encodes its slot (bits 24..31: slot
 * index + 1) and a per-slot sequence number; sessions live in their slot's
 * list and hold the state of their operations (find, sign, verify,
 * encrypt, decrypt, digest) and their session objects. The login state is
 * the token's.
 */
#ifndef UKEY_P11_SESSION_H
#define UKEY_P11_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include <p11-kit/pkcs11.h>

#include "p11_sha256.h"

typedef struct p11_slot p11_slot;
typedef struct p11_obj p11_obj;

typedef enum {
	P11_OP_NONE = 0,
	P11_OP_FIND,
	P11_OP_SIGN,
	P11_OP_VERIFY,
	P11_OP_ENCRYPT,
	P11_OP_DECRYPT,
	P11_OP_DIGEST
} p11_op_kind;

/* One cryptographic operation of a session (p11_sign.c). */
typedef struct p11_crypto_op {
	CK_MECHANISM_TYPE mech;
	CK_OBJECT_HANDLE key;
	void *mdctx;            /* EVP_MD_CTX* for hash-then-sign / digest */
	const void *md;         /* EVP_MD* hash of the mechanism (or NULL) */
	const void *mgf1_md;    /* PSS/OAEP */
	long salt_len;          /* PSS */
	uint8_t *label;         /* OAEP source data */
	size_t label_len;
	uint8_t *buf;           /* accumulated data of single-part mechs */
	size_t buf_len, buf_cap;
	int multipart;          /* Update called */
	/* CKM_SHA256_RSA_PKCS on a driver with sign_sha256_state: the data
	 * is hashed here as it comes (no mdctx, no buf) and the card
	 * finishes the hash from the state */
	int card_hash;
	p11_sha256 sha;
	uint8_t *result;        /* decrypt: result kept for a retry with a bigger buffer */
	size_t result_len;
	int have_result;
} p11_crypto_op;

typedef struct p11_session {
	CK_SESSION_HANDLE handle;
	CK_FLAGS flags;
	int removed;            /* token went away: report DEVICE_REMOVED once */
	struct p11_session *next;

	/* find */
	int find_active;
	CK_OBJECT_HANDLE *found;
	size_t nfound, found_pos;

	p11_crypto_op sign, verify, enc, dec, dig;
	int sign_active, verify_active, enc_active, dec_active, dig_active;

	/* session objects created in this session (freed with it) */
	p11_obj *sobjs;
	size_t nsobjs;
} p11_session;

/* Look up a session and lock its slot. On success the slot lock is held:
 * release with p11_session_release. A removed token's session is freed
 * here and CKR_DEVICE_REMOVED returned once. */
CK_RV p11_session_acquire(CK_SESSION_HANDLE h, p11_slot **slot,
			  p11_session **sess);
void p11_session_release(p11_slot *s);
/* Release after an operation; frees a session whose removal rv reports. */
CK_RV p11_session_done(p11_slot *s, p11_session *se, CK_RV rv);
/* For the calls that can only refuse: the session handle's error if it has
 * one, else `answer`. */
CK_RV p11_session_answer(CK_SESSION_HANDLE h, CK_RV answer);
void p11_session_free(p11_session *se);
void p11_session_reset_ops(p11_session *se);
void p11_op_free(p11_crypto_op *op);
CK_STATE p11_session_state(const p11_slot *s, const p11_session *se);
int p11_session_is_rw(const p11_session *se);
/* Free every session of a slot (slot lock held). */
void p11_slot_free_sessions(p11_slot *s);

#endif /* UKEY_P11_SESSION_H */
