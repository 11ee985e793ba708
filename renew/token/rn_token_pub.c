/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rn_token_pub.c — public keys read from the token (CKA_MODULUS,
 * CKA_PUBLIC_EXPONENT) as EVP_PKEYs, through OpenSSL 3's non-deprecated
 * EVP_PKEY_fromdata.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include "rn_token_int.h"

EVP_PKEY *rn_rsa_pub_pkey(const unsigned char *n, size_t nlen, const unsigned char *e,
			  size_t elen)
{
	OSSL_PARAM_BLD *b = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *pc = NULL;
	EVP_PKEY *pk = NULL;
	BIGNUM *bn = NULL, *be = NULL;

	bn = BN_bin2bn(n, (int)nlen, NULL);
	be = BN_bin2bn(e, (int)elen, NULL);
	if (!bn || !be || BN_is_zero(bn) || BN_is_zero(be))
		goto out;
	b = OSSL_PARAM_BLD_new();
	if (!b || !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, bn) ||
	    !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, be))
		goto out;
	params = OSSL_PARAM_BLD_to_param(b);
	pc = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (!params || !pc || EVP_PKEY_fromdata_init(pc) <= 0 ||
	    EVP_PKEY_fromdata(pc, &pk, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pk = NULL;
out:
	EVP_PKEY_CTX_free(pc);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	BN_free(bn);
	BN_free(be);
	return pk;
}

enum rn_tok_rc rn_read_rsa_pub(struct rn_session *s, CK_OBJECT_HANDLE o, unsigned char **n,
			       size_t *nlen, unsigned char **e, size_t *elen, char *err,
			       size_t errlen)
{
	enum rn_tok_rc rc;

	*n = *e = NULL;
	rc = rn_get_attr(s, o, CKA_MODULUS, RN_MAX_BIGNUM, n, nlen, err, errlen);
	if (rc == RN_TOK_OK)
		rc = rn_get_attr(s, o, CKA_PUBLIC_EXPONENT, RN_MAX_BIGNUM, e, elen, err, errlen);
	if (rc != RN_TOK_OK || !*n || !*e || !*nlen || !*elen) {
		free(*n);
		free(*e);
		*n = *e = NULL;
		if (rc == RN_TOK_OK)
			rc = RN_TOK_NOT_FOUND;
	}
	return rc;
}

/* The public half of key pair id: the public key object first, the private
 * key's public attributes otherwise. */
static enum rn_tok_rc pub_of(struct rn_session *s, const unsigned char *id, size_t id_len,
			     EVP_PKEY **out, char *err, size_t errlen)
{
	static const CK_OBJECT_CLASS cls[2] = { CKO_PUBLIC_KEY, CKO_PRIVATE_KEY };
	int seen_other = 0;

	for (int c = 0; c < 2; c++) {
		CK_OBJECT_HANDLE *h;
		size_t nh;
		enum rn_tok_rc rc = rn_find_by_id(s, cls[c], id, id_len, &h, &nh, err, errlen);

		if (rc != RN_TOK_OK)
			return rc;
		for (size_t i = 0; i < nh; i++) {
			unsigned char *n, *e;
			size_t nlen = 0, elen = 0;
			CK_ULONG kt;
			int present;

			rc = rn_get_ulong(s, h[i], CKA_KEY_TYPE, &kt, &present, err, errlen);
			if (rc != RN_TOK_OK) {
				free(h);
				return rc;
			}
			if (present && kt != CKK_RSA) {
				seen_other = 1;
				continue;
			}
			rc = rn_read_rsa_pub(s, h[i], &n, &nlen, &e, &elen, err, errlen);
			if (rc == RN_TOK_NOT_FOUND)
				continue;
			if (rc != RN_TOK_OK) {
				free(h);
				return rc;
			}
			*out = rn_rsa_pub_pkey(n, nlen, e, elen);
			free(n);
			free(e);
			free(h);
			if (!*out) {
				rn_seterr(err, errlen, "token RSA public key unusable "
					  "(CKA_MODULUS %zu bytes)", nlen);
				return RN_TOK_ERROR;
			}
			return RN_TOK_OK;
		}
		free(h);
	}
	if (seen_other)
		rn_seterr(err, errlen, "key pair is not RSA (not supported yet)");
	else
		rn_seterr(err, errlen, "no public key with this CKA_ID%s",
			  s->logged_in ? "" : " (not logged in)");
	return RN_TOK_NOT_FOUND;
}

enum rn_tok_rc rn_public_key(struct rn_session *s, const unsigned char *id, size_t id_len,
			     EVP_PKEY **out, char *err, size_t errlen)
{
	*out = NULL;
	return pub_of(s, id, id_len, out, err, errlen);
}
