/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Host-side RSA (p11_rsa.c, OpenSSL): padding and hashing around the card's
 * raw private-key operation, public-key operations, SPKI encoding. Nothing
 * here touches a card or a session.
 */
#ifndef UKEY_P11_RSA_H
#define UKEY_P11_RSA_H

#include <stddef.h>
#include <stdint.h>

#include <p11-kit/pkcs11.h>

/* EVP_MD* for a CKM_SHA* hash or CKG_MGF1_* (NULL if unknown). */
const void *p11_md_for_ckm(CK_MECHANISM_TYPE hash);
const void *p11_md_for_mgf(CK_RSA_PKCS_MGF_TYPE mgf);
/* Encode an RSA signature input of k bytes. */
CK_RV p11_rsa_pkcs1_sign_encode(const uint8_t *in, size_t inlen, uint8_t *em,
				size_t k);
CK_RV p11_rsa_digestinfo(const void *md, const uint8_t *hash, size_t hlen,
			 uint8_t *out, size_t cap, size_t *outlen);
CK_RV p11_rsa_pss_encode(const uint8_t *n, size_t nlen, const uint8_t *mhash,
			 const void *md, const void *mgf1, long slen,
			 uint8_t *em);
CK_RV p11_rsa_pss_verify(const uint8_t *n, size_t nlen, const uint8_t *e,
			 size_t elen, const uint8_t *mhash, const void *md,
			 const void *mgf1, long slen, const uint8_t *em);
/* Public raw op (m^e mod n), out is nlen bytes. */
CK_RV p11_rsa_public_raw(const uint8_t *n, size_t nlen, const uint8_t *e,
			 size_t elen, const uint8_t *in, size_t inlen,
			 uint8_t *out);
/* Encryption with padding: pad = RSA_PKCS1_PADDING/OAEP/NO_PADDING. */
CK_RV p11_rsa_encrypt(const uint8_t *n, size_t nlen, const uint8_t *e,
		      size_t elen, int pad, const void *md, const void *mgf1,
		      const uint8_t *label, size_t label_len,
		      const uint8_t *in, size_t inlen, uint8_t *out,
		      size_t *outlen);
/* Remove padding after a raw private decryption (constant-time in
 * OpenSSL). Returns CKR_ENCRYPTED_DATA_INVALID on bad padding. */
CK_RV p11_rsa_unpad(int pad, const void *md, const void *mgf1,
		    const uint8_t *label, size_t label_len, const uint8_t *em,
		    size_t k, uint8_t *out, size_t cap, size_t *outlen);
/* SPKI DER of an RSA public key (malloc'd). */
CK_RV p11_rsa_spki(const uint8_t *n, size_t nlen, const uint8_t *e,
		   size_t elen, uint8_t **der, size_t *derlen);

#endif /* UKEY_P11_RSA_H */
