/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Host-side RSA: PKCS#1 v1.5 / PSS encoding before the card's raw private
 * operation, OAEP / v1.5 unpadding after it (OpenSSL's constant-time
 * checks), and public-key operations for C_Verify / C_Encrypt.
 *
 * The RSA_padding_* primitives are the only OpenSSL API that pads without
 * holding the private key; they are marked deprecated in OpenSSL 3, hence
 * the API level below (this file only).
 */
#define OPENSSL_API_COMPAT 0x10101000L

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "p11_rsa.h"

const void *p11_md_for_ckm(CK_MECHANISM_TYPE hash)
{
	switch (hash) {
	case CKM_SHA_1: return EVP_sha1();
	case CKM_SHA224: return EVP_sha224();
	case CKM_SHA256: return EVP_sha256();
	case CKM_SHA384: return EVP_sha384();
	case CKM_SHA512: return EVP_sha512();
	default: return NULL;
	}
}

const void *p11_md_for_mgf(CK_RSA_PKCS_MGF_TYPE mgf)
{
	switch (mgf) {
	case CKG_MGF1_SHA1: return EVP_sha1();
	case CKG_MGF1_SHA224: return EVP_sha224();
	case CKG_MGF1_SHA256: return EVP_sha256();
	case CKG_MGF1_SHA384: return EVP_sha384();
	case CKG_MGF1_SHA512: return EVP_sha512();
	default: return NULL;
	}
}

/* DER prefixes of DigestInfo (RFC 8017 §9.2, note 1). */
static const struct {
	int nid;
	uint8_t prefix[19];
	size_t len;
} digest_info[] = {
	{ NID_sha1, { 0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03,
		      0x02, 0x1a, 0x05, 0x00, 0x04, 0x14 }, 15 },
	{ NID_sha224, { 0x30, 0x2d, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48,
			0x01, 0x65, 0x03, 0x04, 0x02, 0x04, 0x05, 0x00, 0x04,
			0x1c }, 19 },
	{ NID_sha256, { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48,
			0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04,
			0x20 }, 19 },
	{ NID_sha384, { 0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48,
			0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04,
			0x30 }, 19 },
	{ NID_sha512, { 0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48,
			0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04,
			0x40 }, 19 },
};

CK_RV p11_rsa_digestinfo(const void *md, const uint8_t *hash, size_t hlen,
			 uint8_t *out, size_t cap, size_t *outlen)
{
	int nid = EVP_MD_get_type(md);
	for (size_t i = 0; i < sizeof(digest_info) / sizeof(digest_info[0]); i++) {
		if (digest_info[i].nid != nid)
			continue;
		size_t pl = digest_info[i].len;
		if (pl + hlen > cap || (size_t)EVP_MD_get_size(md) != hlen)
			return CKR_GENERAL_ERROR;
		memcpy(out, digest_info[i].prefix, pl);
		memcpy(out + pl, hash, hlen);
		*outlen = pl + hlen;
		return CKR_OK;
	}
	return CKR_MECHANISM_INVALID;
}

CK_RV p11_rsa_pkcs1_sign_encode(const uint8_t *in, size_t inlen, uint8_t *em,
				size_t k)
{
	if (k < 11 || inlen > k - 11)
		return CKR_DATA_LEN_RANGE;
	em[0] = 0x00;
	em[1] = 0x01;
	memset(em + 2, 0xff, k - 3 - inlen);
	em[k - inlen - 1] = 0x00;
	memcpy(em + k - inlen, in, inlen);
	return CKR_OK;
}

static RSA *rsa_pub(const uint8_t *n, size_t nlen, const uint8_t *e, size_t elen)
{
	RSA *r = RSA_new();
	BIGNUM *bn = BN_bin2bn(n, (int)nlen, NULL);
	BIGNUM *be = e ? BN_bin2bn(e, (int)elen, NULL) : BN_new();
	if (be && !e)
		BN_set_word(be, 65537); /* modulus-only use (padding sizes) */
	if (!r || !bn || !be || RSA_set0_key(r, bn, be, NULL) != 1) {
		RSA_free(r);
		BN_free(bn);
		BN_free(be);
		return NULL;
	}
	return r;
}

CK_RV p11_rsa_pss_encode(const uint8_t *n, size_t nlen, const uint8_t *mhash,
			 const void *md, const void *mgf1, long slen,
			 uint8_t *em)
{
	RSA *r = rsa_pub(n, nlen, NULL, 0);
	if (!r)
		return CKR_HOST_MEMORY;
	int ok = RSA_padding_add_PKCS1_PSS_mgf1(r, em, mhash, md, mgf1, (int)slen);
	RSA_free(r);
	return ok == 1 ? CKR_OK : CKR_MECHANISM_PARAM_INVALID;
}

CK_RV p11_rsa_public_raw(const uint8_t *n, size_t nlen, const uint8_t *e,
			 size_t elen, const uint8_t *in, size_t inlen,
			 uint8_t *out)
{
	RSA *r = rsa_pub(n, nlen, e, elen);
	if (!r)
		return CKR_HOST_MEMORY;
	size_t k = (size_t)RSA_size(r);
	CK_RV rv = CKR_SIGNATURE_INVALID;
	uint8_t *buf = calloc(1, k ? k : 1);
	if (buf && inlen <= k) {
		memcpy(buf + k - inlen, in, inlen);
		if (RSA_public_encrypt((int)k, buf, out, r, RSA_NO_PADDING) == (int)k)
			rv = CKR_OK;
	} else if (!buf) {
		rv = CKR_HOST_MEMORY;
	}
	free(buf);
	RSA_free(r);
	return rv;
}

CK_RV p11_rsa_pss_verify(const uint8_t *n, size_t nlen, const uint8_t *e,
			 size_t elen, const uint8_t *mhash, const void *md,
			 const void *mgf1, long slen, const uint8_t *em)
{
	RSA *r = rsa_pub(n, nlen, e, elen);
	if (!r)
		return CKR_HOST_MEMORY;
	int ok = RSA_verify_PKCS1_PSS_mgf1(r, mhash, md, mgf1, em, (int)slen);
	RSA_free(r);
	return ok == 1 ? CKR_OK : CKR_SIGNATURE_INVALID;
}

CK_RV p11_rsa_encrypt(const uint8_t *n, size_t nlen, const uint8_t *e,
		      size_t elen, int pad, const void *md, const void *mgf1,
		      const uint8_t *label, size_t label_len,
		      const uint8_t *in, size_t inlen, uint8_t *out,
		      size_t *outlen)
{
	RSA *r = rsa_pub(n, nlen, e, elen);
	if (!r)
		return CKR_HOST_MEMORY;
	size_t k = (size_t)RSA_size(r);
	CK_RV rv = CKR_OK;
	uint8_t *em = calloc(1, k ? k : 1);
	if (!em) {
		RSA_free(r);
		return CKR_HOST_MEMORY;
	}
	int ok;
	if (pad == RSA_PKCS1_OAEP_PADDING) {
		ok = RSA_padding_add_PKCS1_OAEP_mgf1(em, (int)k, in, (int)inlen,
						     label, (int)label_len, md, mgf1);
		if (ok != 1)
			rv = CKR_DATA_LEN_RANGE;
	} else if (pad == RSA_PKCS1_PADDING) {
		ok = RSA_padding_add_PKCS1_type_2(em, (int)k, in, (int)inlen);
		if (ok != 1)
			rv = CKR_DATA_LEN_RANGE;
	} else {
		if (inlen > k)
			rv = CKR_DATA_LEN_RANGE;
		else
			memcpy(em + k - inlen, in, inlen);
	}
	if (rv == CKR_OK &&
	    RSA_public_encrypt((int)k, em, out, r, RSA_NO_PADDING) != (int)k)
		rv = CKR_DATA_INVALID; /* e.g. raw input >= modulus */
	if (rv == CKR_OK)
		*outlen = k;
	free(em);
	RSA_free(r);
	return rv;
}

CK_RV p11_rsa_unpad(int pad, const void *md, const void *mgf1,
		    const uint8_t *label, size_t label_len, const uint8_t *em,
		    size_t k, uint8_t *out, size_t cap, size_t *outlen)
{
	int l;
	if (pad == RSA_PKCS1_OAEP_PADDING)
		l = RSA_padding_check_PKCS1_OAEP_mgf1(out, (int)cap, em, (int)k,
						      (int)k, label, (int)label_len,
						      md, mgf1);
	else
		l = RSA_padding_check_PKCS1_type_2(out, (int)cap, em, (int)k,
						   (int)k);
	if (l < 0)
		return CKR_ENCRYPTED_DATA_INVALID;
	*outlen = (size_t)l;
	return CKR_OK;
}

CK_RV p11_rsa_spki(const uint8_t *n, size_t nlen, const uint8_t *e,
		   size_t elen, uint8_t **der, size_t *derlen)
{
	RSA *r = rsa_pub(n, nlen, e, elen);
	if (!r)
		return CKR_HOST_MEMORY;
	EVP_PKEY *pk = EVP_PKEY_new();
	if (!pk || EVP_PKEY_assign_RSA(pk, r) != 1) {
		EVP_PKEY_free(pk);
		RSA_free(r);
		return CKR_HOST_MEMORY;
	}
	unsigned char *d = NULL;
	int l = i2d_PUBKEY(pk, &d);
	EVP_PKEY_free(pk);
	if (l <= 0)
		return CKR_GENERAL_ERROR;
	*der = malloc((size_t)l);
	if (!*der) {
		OPENSSL_free(d);
		return CKR_HOST_MEMORY;
	}
	memcpy(*der, d, (size_t)l);
	*derlen = (size_t)l;
	OPENSSL_free(d);
	return CKR_OK;
}
