/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rn_token_key.c — the token-backed EVP_PKEY: an RSA key whose private
 * operations are C_Sign (and C_Decrypt) on the token.
 *
 * Route: an RSA object with a custom RSA_METHOD (priv_enc → C_Sign, priv_dec
 * → C_Decrypt), the public n/e from the token, ex_data pointing to our
 * session and key handle, wrapped in an EVP_PKEY with EVP_PKEY_assign_RSA —
 * the way libp11 does it. OpenSSL 3.0 treats an RSA key with a non-default
 * method as "foreign" and runs it through the legacy EVP_PKEY_METHOD, which
 * pads in software and calls RSA_private_encrypt: PKCS#1 v1.5 signatures
 * arrive as RSA_PKCS1_PADDING with the DigestInfo (→ CKM_RSA_PKCS), PSS
 * (EVP, TLS 1.3) as RSA_NO_PADDING with the encoded block (→ CKM_RSA_X_509).
 * That works for EVP_DigestSign, ASN1_item_sign (CMP protection, CRMF POP,
 * X509_REQ_sign) and libssl's client authentication alike.
 *
 * RSA_METHOD, RSA_set_method, RSA_set0_key, RSA_get/set_ex_data and
 * EVP_PKEY_assign_RSA are deprecated in OpenSSL 3.0 (in favour of writing a
 * provider) but fully supported there; this file alone is compiled with
 * OPENSSL_SUPPRESS_DEPRECATED so the rest of renew/ stays on the 3.0 API.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include "rn_token_int.h"

struct rn_keyctx {
	struct rn_session *s;      /* borrowed: the caller keeps it open */
	CK_OBJECT_HANDLE key;
};

static CRYPTO_ONCE once = CRYPTO_ONCE_STATIC_INIT;
static RSA_METHOD *rsa_meth;
static int ex_idx = -1;

static void keyctx_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
			void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	free(ptr);
}

static void note(struct rn_session *s, enum rn_tok_rc rc, const char *err)
{
	s->last_rc = rc;
	if (rc == RN_TOK_OK)
		s->last_err[0] = '\0';
	else
		rn_seterr(s->last_err, sizeof(s->last_err), "%s", err);
}

/* One C_xxxInit + C_xxx on the token: sign (CKM_RSA_PKCS / CKM_RSA_X_509)
 * or decrypt. Returns the output length written to "to" (room: modlen), -1
 * on failure (OpenSSL error queue and rn_session_last_error() say why). */
static int token_op(int decrypt, int flen, const unsigned char *from, unsigned char *to,
		    RSA *rsa, int padding)
{
	struct rn_keyctx *k = RSA_get_ex_data(rsa, ex_idx);
	struct rn_session *s;
	CK_FUNCTION_LIST_PTR f;
	CK_MECHANISM mech = { 0, NULL, 0 };
	const char *opname = decrypt ? "C_Decrypt" : "C_Sign";
	char err[256];
	unsigned char *big = NULL;
	size_t bigroom = 0;
	CK_ULONG outlen;
	int modlen = RSA_size(rsa), ret = -1;
	enum rn_tok_rc rc;
	CK_RV rv;

	if (!k || !k->s || flen < 0 || modlen <= 0) {
		ERR_raise_data(ERR_LIB_RSA, ERR_R_PASSED_INVALID_ARGUMENT, "no token key");
		return -1;
	}
	s = k->s;
	f = s->m->f;
	switch (padding) {
	case RSA_PKCS1_PADDING:
		mech.mechanism = CKM_RSA_PKCS;
		break;
	case RSA_NO_PADDING:
		mech.mechanism = CKM_RSA_X_509;
		break;
	default:
		rn_seterr(err, sizeof(err), "%s: padding %d not supported by the token key",
			  opname, padding);
		note(s, RN_TOK_ERROR, err);
		ERR_raise_data(ERR_LIB_RSA, RSA_R_UNKNOWN_PADDING_TYPE, "%s", err);
		return -1;
	}
	if (flen > modlen) {
		ERR_raise_data(ERR_LIB_RSA, RSA_R_DATA_TOO_LARGE_FOR_MODULUS, "%d > %d bytes",
			       flen, modlen);
		return -1;
	}
	if (decrypt && (!f->C_DecryptInit || !f->C_Decrypt)) {
		note(s, RN_TOK_ERROR, "C_Decrypt: not in the module's function list");
		ERR_raise_data(ERR_LIB_RSA, ERR_R_OPERATION_FAIL, "C_Decrypt not supported");
		return -1;
	}
	rv = decrypt ? f->C_DecryptInit(s->h, &mech, k->key) : f->C_SignInit(s->h, &mech, k->key);
	rn_trace(s->m, "%sInit(session %lu, %s, key %lu) = %s", opname, (unsigned long)s->h,
		 rn_ckm_name(mech.mechanism), (unsigned long)k->key, rn_ckr_name(rv));
	if (rv != CKR_OK) {
		rc = rn_map_rv(s->m, s->slot, rv, decrypt ? "C_DecryptInit" : "C_SignInit", err,
			       sizeof(err));
		goto fail;
	}
	/* A modulus-sized buffer is always enough; a module that still says
	 * CKR_BUFFER_TOO_SMALL (operation still active, by the standard) gets
	 * the room it asks for, within reason. */
	outlen = (CK_ULONG)modlen;
	rv = decrypt ? f->C_Decrypt(s->h, (unsigned char *)from, (CK_ULONG)flen, to, &outlen)
		     : f->C_Sign(s->h, (unsigned char *)from, (CK_ULONG)flen, to, &outlen);
	rn_trace(s->m, "%s(session %lu, %s, %d bytes) = %s, %lu bytes", opname,
		 (unsigned long)s->h, rn_ckm_name(mech.mechanism), flen, rn_ckr_name(rv),
		 (unsigned long)outlen);
	if (rv == CKR_BUFFER_TOO_SMALL && outlen > (CK_ULONG)modlen && outlen <= 2 * RN_MAX_BIGNUM) {
		CK_ULONG room = outlen;

		bigroom = room;
		big = OPENSSL_zalloc(room);
		if (!big) {
			rc = RN_TOK_ERROR;
			rn_seterr(err, sizeof(err), "out of memory");
			goto fail;
		}
		rv = decrypt ? f->C_Decrypt(s->h, (unsigned char *)from, (CK_ULONG)flen, big, &outlen)
			     : f->C_Sign(s->h, (unsigned char *)from, (CK_ULONG)flen, big, &outlen);
		rn_trace(s->m, "%s(session %lu, %s, %d bytes) = %s, %lu bytes", opname,
			 (unsigned long)s->h, rn_ckm_name(mech.mechanism), flen,
			 rn_ckr_name(rv), (unsigned long)outlen);
		if (rv == CKR_OK && outlen > room)
			outlen = (CK_ULONG)-1; /* caught below */
	}
	if (rv != CKR_OK) {
		rc = rn_map_rv(s->m, s->slot, rv, opname, err, sizeof(err));
		goto fail;
	}
	if (outlen > (CK_ULONG)modlen) {
		rc = RN_TOK_ERROR;
		rn_seterr(err, sizeof(err), "%s: %lu bytes out of a %d-byte key", opname,
			  (unsigned long)outlen, modlen);
		goto fail;
	}
	if (big) {
		/* Only leading zeros can have made the module want more. */
		memcpy(to, big, outlen);
	}
	if (!decrypt && outlen < (CK_ULONG)modlen) {
		/* A signature is a modulus-sized integer: restore leading zeros a
		 * module may have dropped. */
		memmove(to + (modlen - (int)outlen), to, outlen);
		memset(to, 0, (size_t)modlen - outlen);
		outlen = (CK_ULONG)modlen;
	}
	note(s, RN_TOK_OK, NULL);
	ret = (int)outlen;
	goto out;
fail:
	note(s, rc, err);
	ERR_raise_data(ERR_LIB_RSA, ERR_R_OPERATION_FAIL, "%s", err);
out:
	if (big)
		OPENSSL_clear_free(big, bigroom);
	return ret;
}

static int priv_enc(int flen, const unsigned char *from, unsigned char *to, RSA *rsa,
		    int padding)
{
	return token_op(0, flen, from, to, rsa, padding);
}

static int priv_dec(int flen, const unsigned char *from, unsigned char *to, RSA *rsa,
		    int padding)
{
	return token_op(1, flen, from, to, rsa, padding);
}

static void init_once(void)
{
	RSA_METHOD *m = RSA_meth_dup(RSA_PKCS1_OpenSSL());

	if (!m)
		return;
	if (!RSA_meth_set1_name(m, "ukey-renew PKCS#11 token key") ||
	    !RSA_meth_set_priv_enc(m, priv_enc) || !RSA_meth_set_priv_dec(m, priv_dec) ||
	    !RSA_meth_set_flags(m, RSA_meth_get_flags(m) | RSA_FLAG_EXT_PKEY)) {
		RSA_meth_free(m);
		return;
	}
	ex_idx = RSA_get_ex_new_index(0, "ukey-renew token key", NULL, NULL, keyctx_free);
	if (ex_idx < 0) {
		RSA_meth_free(m);
		return;
	}
	rsa_meth = m;
}

static enum rn_tok_rc rsa_key(struct rn_session *s, CK_OBJECT_HANDLE key,
			      const unsigned char *id, size_t id_len, EVP_PKEY **out,
			      char *err, size_t errlen)
{
	unsigned char *n = NULL, *e = NULL;
	size_t nlen = 0, elen = 0;
	BIGNUM *bn = NULL, *be = NULL;
	struct rn_keyctx *k = NULL;
	EVP_PKEY *pk = NULL;
	RSA *rsa = NULL;
	enum rn_tok_rc rc;

	if (!CRYPTO_THREAD_run_once(&once, init_once) || !rsa_meth) {
		rn_seterr(err, errlen, "cannot set up the token RSA method");
		return RN_TOK_ERROR;
	}
	rc = rn_read_rsa_pub(s, key, &n, &nlen, &e, &elen, err, errlen);
	if (rc == RN_TOK_OK) {
		bn = BN_bin2bn(n, (int)nlen, NULL);
		be = BN_bin2bn(e, (int)elen, NULL);
	} else if (rc == RN_TOK_NOT_FOUND) {
		/* Private key without its public attributes: the public key. */
		EVP_PKEY *pub = NULL;

		rc = rn_public_key(s, id, id_len, &pub, err, errlen);
		if (rc != RN_TOK_OK)
			return rc;
		if (!EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_RSA_N, &bn) ||
		    !EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_RSA_E, &be)) {
			EVP_PKEY_free(pub);
			BN_free(bn);
			rn_seterr(err, errlen, "public key unusable");
			return RN_TOK_ERROR;
		}
		EVP_PKEY_free(pub);
	} else {
		return rc;
	}
	free(n);
	free(e);
	rc = RN_TOK_ERROR;
	if (!bn || !be || BN_is_zero(bn) || BN_is_zero(be) || BN_num_bits(bn) < 512) {
		rn_seterr(err, errlen, "token RSA key has an unusable modulus/exponent");
		goto fail;
	}
	k = calloc(1, sizeof(*k));
	rsa = RSA_new();
	pk = EVP_PKEY_new();
	if (!k || !rsa || !pk) {
		rn_seterr(err, errlen, "out of memory");
		goto fail;
	}
	k->s = s;
	k->key = key;
	if (!RSA_set_method(rsa, rsa_meth) || !RSA_set0_key(rsa, bn, be, NULL)) {
		rn_seterr(err, errlen, "RSA_set_method/RSA_set0_key failed");
		goto fail;
	}
	bn = be = NULL;   /* owned by rsa now */
	RSA_set_flags(rsa, RSA_FLAG_EXT_PKEY);
	if (!RSA_set_ex_data(rsa, ex_idx, k)) {
		rn_seterr(err, errlen, "RSA_set_ex_data failed");
		goto fail;
	}
	k = NULL;         /* freed with rsa */
	if (!EVP_PKEY_assign_RSA(pk, rsa)) {
		rn_seterr(err, errlen, "EVP_PKEY_assign_RSA failed");
		goto fail;
	}
	*out = pk;
	return RN_TOK_OK;
fail:
	BN_free(bn);
	BN_free(be);
	free(k);
	RSA_free(rsa);
	EVP_PKEY_free(pk);
	return rc;
}

enum rn_tok_rc rn_private_key(struct rn_session *s, const unsigned char *id, size_t id_len,
			      EVP_PKEY **out, char *err, size_t errlen)
{
	CK_OBJECT_HANDLE *h = NULL, key;
	CK_ULONG kt = CKK_RSA;
	size_t nh = 0;
	int present = 0;
	enum rn_tok_rc rc;

	*out = NULL;
	rc = rn_find_by_id(s, CKO_PRIVATE_KEY, id, id_len, &h, &nh, err, errlen);
	if (rc != RN_TOK_OK)
		return rc;
	if (nh == 0) {
		free(h);
		rn_seterr(err, errlen, "no private key with this CKA_ID%s",
			  s->logged_in ? "" : " (not logged in)");
		return RN_TOK_NOT_FOUND;
	}
	if (nh > 1)
		rn_trace(s->m, "%zu private keys share this CKA_ID; using object %lu", nh,
			 (unsigned long)h[0]);
	key = h[0];
	free(h);
	rc = rn_get_ulong(s, key, CKA_KEY_TYPE, &kt, &present, err, errlen);
	if (rc != RN_TOK_OK)
		return rc;
	if (!present)
		kt = CKK_RSA;  /* CKA_KEY_TYPE is mandatory; assume RSA if hidden */
	switch (kt) {
	case CKK_RSA:
		return rsa_key(s, key, id, id_len, out, err, errlen);
	/* case CKK_EC: an EC_KEY_METHOD (sign → CKM_ECDSA) goes here. */
	default:
		rn_seterr(err, errlen, "private key type 0x%lx not supported (RSA only)",
			  (unsigned long)kt);
		return RN_TOK_NOT_FOUND;
	}
}
