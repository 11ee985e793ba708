/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Mechanisms (p11_mech.c): the table of what the module offers (RSA on the
 * card for private-key operations and key generation, padding and hashing
 * on the host), C_GetMechanismList/Info, the mechanisms a key may be used
 * with.
 */
#ifndef UKEY_P11_MECH_H
#define UKEY_P11_MECH_H

#include <stddef.h>

#include <p11-kit/pkcs11.h>

typedef struct p11_slot p11_slot;
struct ukey_driver;

typedef struct {
	CK_MECHANISM_TYPE type;
	CK_FLAGS flags;
	int hw;         /* the card computes (private-key op or keygen) */
	int hash_nid;   /* NID of the hash for hash-then-sign, 0 none */
	int pss, oaep, raw, pkcs, digest;
} p11_mech_desc;
const p11_mech_desc *p11_mech_lookup(CK_MECHANISM_TYPE type);
/* The driver signs this mechanism with the hash finished on the card
 * (sign_sha256_state): CKM_SHA256_RSA_PKCS when the driver offers it. */
int p11_mech_card_hash(const struct ukey_driver *d, CK_MECHANISM_TYPE type);
/* The card OS can generate/import a key of this size (profile rsa_bits). */
int p11_mech_key_size_ok(const p11_slot *s, CK_ULONG bits);
/* The mechanisms an RSA key of the slot's token can be used with (private:
 * sign/decrypt on the card; public: verify/encrypt on the host), for
 * CKA_ALLOWED_MECHANISMS. Returns the count (out holds min(count, cap)). */
size_t p11_mech_for_key(const p11_slot *s, int priv, CK_MECHANISM_TYPE *out,
			size_t cap);

#endif /* UKEY_P11_MECH_H */
