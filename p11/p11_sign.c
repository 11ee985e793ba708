/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Cryptographic operations: sign and decrypt use the card's raw RSA
 * private-key operation with padding/hashing on the host; verify, encrypt
 * and digest run entirely on the host with OpenSSL. CKM_SHA256_RSA_PKCS on
 * a driver with sign_sha256_state is hashed on the host as the data comes
 * (p11_sha256.h: the state after the full blocks and the < 64 bytes after
 * them, nothing else kept) and finished and signed by the card.
 *
 * Operation life (§5.2): a call ends the active operation unless it
 * returns CKR_BUFFER_TOO_SMALL or was a successful length query.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/rsa.h>

#include "driver.h"

#include "p11_attr.h"
#include "p11_log.h"
#include "p11_mech.h"
#include "p11_object.h"
#include "p11_rsa.h"
#include "p11_session.h"
#include "p11_sha256.h"
#include "p11_slot.h"
#include "p11_token.h"

#define P11_MAX_INPUT 65536 /* raw mechanisms: accumulated data cap */

static const EVP_MD *md_from_nid(int nid)
{
	switch (nid) {
	case NID_sha1: return EVP_sha1();
	case NID_sha224: return EVP_sha224();
	case NID_sha256: return EVP_sha256();
	case NID_sha384: return EVP_sha384();
	case NID_sha512: return EVP_sha512();
	default: return NULL;
	}
}

static p11_crypto_op *op_of(p11_session *se, p11_op_kind kind, int **active)
{
	switch (kind) {
	case P11_OP_SIGN: *active = &se->sign_active; return &se->sign;
	case P11_OP_VERIFY: *active = &se->verify_active; return &se->verify;
	case P11_OP_ENCRYPT: *active = &se->enc_active; return &se->enc;
	case P11_OP_DECRYPT: *active = &se->dec_active; return &se->dec;
	default: *active = &se->dig_active; return &se->dig;
	}
}

static void op_end(p11_session *se, p11_op_kind kind)
{
	int *active;
	p11_crypto_op *op = op_of(se, kind, &active);
	p11_op_free(op);
	*active = 0;
}

/* Modulus size of a key in bits and bytes (0 if unknown). */
static unsigned key_bits(const ukey_object *o)
{
	if (o->key_bits)
		return o->key_bits;
	if (!o->modulus)
		return 0;
	size_t i = 0;
	while (i < o->modulus_len && o->modulus[i] == 0)
		i++;
	if (i == o->modulus_len)
		return 0;
	unsigned bits = (unsigned)(o->modulus_len - i - 1) * 8;
	for (uint8_t b = o->modulus[i]; b; b >>= 1)
		bits++;
	return bits;
}

/* The modulus, or a stand-in of the right size for padding when the
 * layout does not tell it (PSS only needs the size). */
static const uint8_t *key_modulus(const ukey_object *o, uint8_t *tmp,
				  size_t k, size_t *nlen)
{
	if (o->modulus) {
		*nlen = o->modulus_len;
		return o->modulus;
	}
	unsigned bits = key_bits(o);
	memset(tmp, 0, k);
	tmp[0] = (uint8_t)(1u << ((bits - 1) % 8));
	tmp[k - 1] = 1;
	*nlen = k;
	return tmp;
}

static CK_RV parse_params(p11_crypto_op *op, const p11_mech_desc *m,
			  const CK_MECHANISM *mech, unsigned bits, int card_hash)
{
	if (m->pss) {
		const CK_RSA_PKCS_PSS_PARAMS *pp = mech->pParameter;
		if (!pp || mech->ulParameterLen != sizeof(*pp))
			return CKR_MECHANISM_PARAM_INVALID;
		const EVP_MD *md = p11_md_for_ckm(pp->hashAlg);
		const EVP_MD *mgf = p11_md_for_mgf(pp->mgf);
		if (!md || !mgf)
			return CKR_MECHANISM_PARAM_INVALID;
		if (m->hash_nid && EVP_MD_get_type(md) != m->hash_nid)
			return CKR_MECHANISM_PARAM_INVALID;
		size_t emlen = (bits - 1 + 7) / 8;
		size_t hlen = (size_t)EVP_MD_get_size(md);
		if (emlen < hlen + 2 || pp->sLen > emlen - hlen - 2)
			return CKR_MECHANISM_PARAM_INVALID;
		op->md = md;
		op->mgf1_md = mgf;
		op->salt_len = (long)pp->sLen;
	} else if (m->oaep) {
		const CK_RSA_PKCS_OAEP_PARAMS *pp = mech->pParameter;
		if (!pp || mech->ulParameterLen != sizeof(*pp))
			return CKR_MECHANISM_PARAM_INVALID;
		const EVP_MD *md = p11_md_for_ckm(pp->hashAlg);
		const EVP_MD *mgf = p11_md_for_mgf(pp->mgf);
		if (!md || !mgf)
			return CKR_MECHANISM_PARAM_INVALID;
		if (pp->source != CKZ_DATA_SPECIFIED &&
		    !(pp->source == 0 && pp->ulSourceDataLen == 0))
			return CKR_MECHANISM_PARAM_INVALID;
		if (pp->ulSourceDataLen) {
			if (!pp->pSourceData || pp->ulSourceDataLen > 4096)
				return CKR_MECHANISM_PARAM_INVALID;
			op->label = malloc(pp->ulSourceDataLen);
			if (!op->label)
				return CKR_HOST_MEMORY;
			memcpy(op->label, pp->pSourceData, pp->ulSourceDataLen);
			op->label_len = pp->ulSourceDataLen;
		}
		op->md = md;
		op->mgf1_md = mgf;
	}
	/* Hash-then-sign: for PSS op->md is already the (equal) hashAlg. */
	if (m->hash_nid && !m->pss)
		op->md = md_from_nid(m->hash_nid);
	if (card_hash) {
		/* op->md (SHA-256) stays for the DigestInfo of the fallback */
		op->card_hash = 1;
		p11_sha256_init(&op->sha);
	} else if (m->hash_nid) {
		op->mdctx = EVP_MD_CTX_new();
		if (!op->mdctx ||
		    EVP_DigestInit_ex(op->mdctx, md_from_nid(m->hash_nid), NULL) != 1)
			return CKR_HOST_MEMORY;
	}
	return CKR_OK;
}

static CK_RV op_init(CK_SESSION_HANDLE h, p11_op_kind kind,
		     CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
	p11_slot *s;
	p11_session *se;
	CK_RV rv = p11_session_acquire(h, &s, &se);
	if (rv != CKR_OK)
		return rv;
	int *active;
	p11_crypto_op *op = op_of(se, kind, &active);
	if (pMechanism == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if (*active) {
		rv = CKR_OPERATION_ACTIVE;
		goto out;
	}
	const p11_mech_desc *m = p11_mech_lookup(pMechanism->mechanism);
	static const CK_FLAGS need[] = {
		[P11_OP_SIGN] = CKF_SIGN, [P11_OP_VERIFY] = CKF_VERIFY,
		[P11_OP_ENCRYPT] = CKF_ENCRYPT, [P11_OP_DECRYPT] = CKF_DECRYPT,
		[P11_OP_DIGEST] = CKF_DIGEST,
	};
	if (!m || !(m->flags & need[kind])) {
		rv = CKR_MECHANISM_INVALID;
		goto out;
	}
	memset(op, 0, sizeof(*op));
	op->mech = m->type;
	if (kind == P11_OP_DIGEST) {
		op->mdctx = EVP_MD_CTX_new();
		if (!op->mdctx ||
		    EVP_DigestInit_ex(op->mdctx, md_from_nid(m->hash_nid), NULL) != 1) {
			p11_op_free(op);
			rv = CKR_HOST_MEMORY;
			goto out;
		}
		*active = 1;
		goto out;
	}
	p11_obj *po;
	rv = p11_obj_lookup(s, hKey, &po);
	if (rv == CKR_OBJECT_HANDLE_INVALID)
		rv = CKR_KEY_HANDLE_INVALID;
	if (rv != CKR_OK)
		goto out;
	int priv_op = kind == P11_OP_SIGN || kind == P11_OP_DECRYPT;
	/* A private-key operation needs only the key's size (the card holds
	 * the key); the public part is looked for when that is unknown or for
	 * a public operation, reading the public keys and certificates. */
	if (!po->o.modulus && (!priv_op || !po->o.key_bits)) {
		rv = p11_token_load_classes(s, P11_CLS_BIT(UKEY_OBJ_PUBKEY) |
						       P11_CLS_BIT(UKEY_OBJ_CERT));
		if (rv != CKR_OK)
			goto out;
		po = s->token ? p11_obj_find(s, hKey) : NULL;
		if (!po || !p11_obj_visible(s, po)) {
			rv = CKR_KEY_HANDLE_INVALID;
			goto out;
		}
	}
	if (!po->o.modulus && (!priv_op || !po->o.key_bits)) {
		rv = p11_key_from_cert(s, hKey);
		if (rv != CKR_OK)
			goto out;
		po = p11_obj_find(s, hKey);
		if (!po) {
			rv = CKR_KEY_HANDLE_INVALID;
			goto out;
		}
	}
	const ukey_object *o = &po->o;
	if (priv_op && o->cls != UKEY_OBJ_PRIVKEY) {
		rv = CKR_KEY_TYPE_INCONSISTENT;
		goto out;
	}
	if (!priv_op && (o->cls != UKEY_OBJ_PUBKEY && o->cls != UKEY_OBJ_PRIVKEY)) {
		rv = CKR_KEY_TYPE_INCONSISTENT;
		goto out;
	}
	if (!priv_op && (!o->modulus || !o->pub_exp)) {
		rv = CKR_KEY_TYPE_INCONSISTENT; /* public part unknown */
		goto out;
	}
	unsigned u = o->usage;
	int allowed;
	switch (kind) {
	case P11_OP_SIGN:
		allowed = u & (UKEY_USAGE_SIGN | UKEY_USAGE_NONREPUDIATION);
		break;
	case P11_OP_DECRYPT:
		allowed = u & (UKEY_USAGE_DECRYPT | UKEY_USAGE_UNWRAP);
		break;
	default:
		allowed = 1; /* public operations: anyone may do them */
		break;
	}
	if (!allowed) {
		rv = CKR_KEY_FUNCTION_NOT_PERMITTED;
		goto out;
	}
	const ukey_driver *d = s->token->card.drv;
	int card_hash = kind == P11_OP_SIGN && p11_mech_card_hash(d, m->type);
	if ((kind == P11_OP_SIGN && !d->sign_raw && !card_hash) ||
	    (kind == P11_OP_DECRYPT && !d->decipher_raw)) {
		rv = CKR_MECHANISM_INVALID;
		goto out;
	}
	unsigned bits = key_bits(o);
	if (bits < 512) {
		rv = CKR_KEY_SIZE_RANGE;
		goto out;
	}
	rv = parse_params(op, m, pMechanism, bits, card_hash);
	if (rv != CKR_OK) {
		p11_op_free(op);
		goto out;
	}
	op->mech = m->type;
	op->key = hKey;
	*active = 1;
out:
	return p11_session_done(s, se, rv);
}

static CK_RV feed(p11_crypto_op *op, const uint8_t *d, size_t l)
{
	if (op->card_hash) {
		p11_sha256_update(&op->sha, d, l);
		return CKR_OK;
	}
	if (op->mdctx)
		return EVP_DigestUpdate(op->mdctx, d, l) == 1 ? CKR_OK
							      : CKR_GENERAL_ERROR;
	if (l > P11_MAX_INPUT - op->buf_len)
		return CKR_DATA_LEN_RANGE;
	if (op->buf_len + l > op->buf_cap) {
		size_t cap = op->buf_len + l;
		uint8_t *nb = malloc(cap ? cap : 1);
		if (!nb)
			return CKR_HOST_MEMORY;
		if (op->buf_len)
			memcpy(nb, op->buf, op->buf_len);
		if (op->buf) {
			p11_wipe(op->buf, op->buf_cap);
			free(op->buf);
		}
		op->buf = nb;
		op->buf_cap = cap;
	}
	if (l)
		memcpy(op->buf + op->buf_len, d, l);
	op->buf_len += l;
	return CKR_OK;
}

/* The mechanism's input: the hash for hash mechanisms, else the data. */
static CK_RV take_input(p11_crypto_op *op, uint8_t *hash, const uint8_t **in,
			size_t *inlen)
{
	if (op->mdctx) {
		unsigned l = 0;
		if (EVP_DigestFinal_ex(op->mdctx, hash, &l) != 1)
			return CKR_GENERAL_ERROR;
		*in = hash;
		*inlen = l;
	} else {
		*in = op->buf ? op->buf : (const uint8_t *)"";
		*inlen = op->buf_len;
	}
	return CKR_OK;
}

/* Build the k-byte block the private key (or verification) works on. */
static CK_RV encode_sig_block(const p11_crypto_op *op, const ukey_object *o,
			      const uint8_t *in, size_t inlen, uint8_t *em,
			      size_t k)
{
	const p11_mech_desc *m = p11_mech_lookup(op->mech);
	if (m->raw) {
		if (inlen > k)
			return CKR_DATA_LEN_RANGE;
		memset(em, 0, k - inlen);
		memcpy(em + k - inlen, in, inlen);
		return CKR_OK;
	}
	if (m->pss) {
		if (inlen != (size_t)EVP_MD_get_size(op->md))
			return CKR_DATA_LEN_RANGE;
		uint8_t ntmp[2048];
		size_t nlen;
		if (k > sizeof(ntmp))
			return CKR_KEY_SIZE_RANGE;
		const uint8_t *n = key_modulus(o, ntmp, k, &nlen);
		return p11_rsa_pss_encode(n, nlen, in, op->md, op->mgf1_md,
					  op->salt_len, em);
	}
	if (m->hash_nid) {
		uint8_t di[128];
		size_t dl;
		CK_RV rv = p11_rsa_digestinfo(op->md, in, inlen, di, sizeof(di), &dl);
		if (rv != CKR_OK)
			return rv;
		return p11_rsa_pkcs1_sign_encode(di, dl, em, k);
	}
	return p11_rsa_pkcs1_sign_encode(in, inlen, em, k);
}

static size_t out_len(p11_slot *s, p11_crypto_op *op, p11_op_kind kind)
{
	if (kind == P11_OP_DIGEST)
		return (size_t)EVP_MD_CTX_get_size(op->mdctx);
	if (kind == P11_OP_DECRYPT && op->have_result)
		return op->result_len;
	p11_obj *po = p11_obj_find(s, op->key);
	return po ? (key_bits(&po->o) + 7) / 8 : 0;
}

/* A card may drop leading zero bytes of an RSA result: restore the
 * modulus length. More than the modulus is a card error. */
static CK_RV left_pad(uint8_t *buf, size_t len, size_t k)
{
	if (len > k || len == 0)
		return CKR_DEVICE_ERROR;
	if (len < k) {
		memmove(buf + (k - len), buf, len);
		memset(buf, 0, k - len);
	}
	return CKR_OK;
}

/* CKM_SHA256_RSA_PKCS with the hash finished on the card: the state after
 * the last full block and the tail go to sign_sha256_state; res gets the
 * signature (*rl bytes, at most k). When the driver cannot sign this key
 * that way (UKEY_E_SW_FUNC_NOT_SUPPORTED, or the card's "instruction not
 * supported") and has sign_raw, the host finishes the hash and pads, in
 * the same transaction: the same signature, PKCS#1 v1.5 being
 * deterministic. Any other answer is the result. em: k bytes of scratch. */
static CK_RV sign_card_hash(p11_slot *s, p11_crypto_op *op,
			    const ukey_object *o, size_t k, uint8_t *em,
			    uint8_t *res, size_t *rl)
{
	const ukey_driver *d = s->token->card.drv;
	uint8_t state[32];
	int have_em = 0;
	p11_sha256_state(&op->sha, state);
	if (d->sign_raw) {
		uint8_t hash[32];
		p11_sha256_final(&op->sha, hash);
		have_em = encode_sig_block(op, o, hash, sizeof(hash), em, k) == CKR_OK;
	}
	CK_RV rv = p11_token_begin(s);
	if (rv != CKR_OK)
		return rv;
	p11_obj *po = p11_obj_find(s, op->key);
	ukey_card *card = &s->token->card;
	ukey_rv r = UKEY_E_ARGS;
	d = card->drv; /* the same profile's driver, after a rebind too */
	if (po) {
		*rl = k;
		r = d->sign_sha256_state
			    ? d->sign_sha256_state(card, &po->o, state,
						   op->sha.blocks, op->sha.tail,
						   op->sha.tail_len, res, rl)
			    : UKEY_E_SW_FUNC_NOT_SUPPORTED;
		if ((r == UKEY_E_SW_FUNC_NOT_SUPPORTED ||
		     r == UKEY_E_SW_INS_NOT_SUPPORTED) &&
		    have_em && d->sign_raw && !ukey_card_link_lost(card)) {
			p11_log("sign_sha256_state: not for this key, host hash + sign_raw");
			*rl = k;
			r = d->sign_raw(card, &po->o, em, k, res, rl);
		}
	}
	p11_token_end(s);
	return po ? p11_token_rv(s, r) : CKR_KEY_HANDLE_INVALID;
}

/* Finish sign/encrypt/decrypt/digest; the input is already fed. */
static CK_RV op_finish(p11_slot *s, p11_crypto_op *op, p11_op_kind kind,
		       uint8_t *out, size_t *outlen)
{
	uint8_t hash[EVP_MAX_MD_SIZE];
	const uint8_t *in = NULL;
	size_t inlen = 0;
	if (kind == P11_OP_DIGEST) {
		CK_RV rv = take_input(op, hash, &in, &inlen);
		if (rv == CKR_OK) {
			memcpy(out, in, inlen);
			*outlen = inlen;
		}
		return rv;
	}
	p11_obj *po = p11_obj_find(s, op->key);
	if (!po)
		return CKR_KEY_HANDLE_INVALID;
	size_t k = (key_bits(&po->o) + 7) / 8;
	/* card_hash: the input is in op->sha */
	CK_RV rv = op->card_hash ? CKR_OK : take_input(op, hash, &in, &inlen);
	if (rv != CKR_OK)
		return rv;
	const p11_mech_desc *m = p11_mech_lookup(op->mech);
	if (kind == P11_OP_ENCRYPT) {
		int pad = m->oaep ? RSA_PKCS1_OAEP_PADDING
				  : m->raw ? RSA_NO_PADDING : RSA_PKCS1_PADDING;
		if (m->pkcs && (k < 11 || inlen > k - 11))
			return CKR_DATA_LEN_RANGE;
		return p11_rsa_encrypt(po->o.modulus, po->o.modulus_len,
				       po->o.pub_exp, po->o.pub_exp_len, pad,
				       op->md, op->mgf1_md, op->label,
				       op->label_len, in, inlen, out, outlen);
	}
	uint8_t *em = malloc(k);
	uint8_t *res = malloc(k);
	if (!em || !res) {
		free(em);
		free(res);
		return CKR_HOST_MEMORY;
	}
	size_t rl = k;
	const ukey_driver *d = s->token->card.drv;
	if (kind == P11_OP_SIGN && op->card_hash) {
		rv = sign_card_hash(s, op, &po->o, k, em, res, &rl);
		if (rv == CKR_OK)
			rv = left_pad(res, rl, k);
		if (rv == CKR_OK) {
			memcpy(out, res, k);
			*outlen = k;
		}
	} else if (kind == P11_OP_SIGN) {
		rv = encode_sig_block(op, &po->o, in, inlen, em, k);
		if (rv == CKR_OK)
			rv = p11_token_begin(s);
		if (rv == CKR_OK) {
			po = p11_obj_find(s, op->key);
			ukey_rv r = po ? d->sign_raw(&s->token->card, &po->o, em, k,
						     res, &rl)
				       : UKEY_E_ARGS;
			p11_token_end(s);
			rv = po ? p11_token_rv(s, r) : CKR_KEY_HANDLE_INVALID;
		}
		if (rv == CKR_OK)
			rv = left_pad(res, rl, k);
		if (rv == CKR_OK) {
			memcpy(out, res, k);
			*outlen = k;
		}
	} else { /* decrypt */
		if (inlen != k) {
			rv = CKR_ENCRYPTED_DATA_LEN_RANGE;
		} else {
			rv = p11_token_begin(s);
			if (rv == CKR_OK) {
				po = p11_obj_find(s, op->key);
				ukey_rv r = po ? d->decipher_raw(&s->token->card,
								 &po->o, in, k,
								 em, &rl)
					       : UKEY_E_ARGS;
				p11_token_end(s);
				rv = po ? p11_token_rv(s, r)
					: CKR_KEY_HANDLE_INVALID;
			}
			if (rv == CKR_OK)
				rv = left_pad(em, rl, k);
		}
		if (rv == CKR_OK) {
			if (m->raw) {
				memcpy(res, em, k);
				rl = k;
			} else {
				int pad = m->oaep ? RSA_PKCS1_OAEP_PADDING
						  : RSA_PKCS1_PADDING;
				rv = p11_rsa_unpad(pad, op->md, op->mgf1_md,
						   op->label, op->label_len, em,
						   k, res, k, &rl);
			}
		}
		if (rv == CKR_OK) {
			op->result = res;
			op->result_len = rl;
			op->have_result = 1;
			res = NULL;
		}
	}
	p11_wipe(em, k);
	free(em);
	if (res) {
		p11_wipe(res, k);
		free(res);
	}
	return rv;
}

/* Single-part (data != NULL or len 0) and Final (final = 1). */
static CK_RV op_run(CK_SESSION_HANDLE h, p11_op_kind kind, int final,
		    const uint8_t *data, CK_ULONG datalen, uint8_t *out,
		    CK_ULONG_PTR pulOut)
{
	p11_slot *s;
	p11_session *se;
	CK_RV rv = p11_session_acquire(h, &s, &se);
	if (rv != CKR_OK)
		return rv;
	int *active;
	p11_crypto_op *op = op_of(se, kind, &active);
	if (!*active) {
		rv = CKR_OPERATION_NOT_INITIALIZED;
		goto out;
	}
	if (pulOut == NULL || (!final && data == NULL && datalen)) {
		rv = CKR_ARGUMENTS_BAD;
		goto end;
	}
	size_t need = out_len(s, op, kind);
	if (need == 0) {
		rv = CKR_KEY_HANDLE_INVALID;
		goto end;
	}
	if (out == NULL) {
		*pulOut = need;
		goto out; /* length query: the operation stays active */
	}
	if (kind != P11_OP_DECRYPT && *pulOut < need) {
		*pulOut = need;
		rv = CKR_BUFFER_TOO_SMALL;
		goto out;
	}
	if (!op->have_result) {
		if (!final) {
			rv = feed(op, data, datalen);
			if (rv != CKR_OK)
				goto end;
		}
		size_t ol = need;
		uint8_t *tmp = kind == P11_OP_DECRYPT ? NULL : out;
		rv = op_finish(s, op, kind, tmp, &ol);
		if (rv != CKR_OK)
			goto end;
		if (kind != P11_OP_DECRYPT) {
			*pulOut = ol;
			goto end;
		}
	}
	/* decrypt: the plaintext is kept until it fits */
	if (*pulOut < op->result_len) {
		*pulOut = op->result_len;
		rv = CKR_BUFFER_TOO_SMALL;
		goto out;
	}
	if (op->result_len)
		memcpy(out, op->result, op->result_len);
	*pulOut = op->result_len;
end:
	if (rv != CKR_DEVICE_REMOVED || !se->removed)
		op_end(se, kind);
out:
	return p11_session_done(s, se, rv);
}

static CK_RV op_update(CK_SESSION_HANDLE h, p11_op_kind kind,
		       const uint8_t *part, CK_ULONG len)
{
	p11_slot *s;
	p11_session *se;
	CK_RV rv = p11_session_acquire(h, &s, &se);
	if (rv != CKR_OK)
		return rv;
	int *active;
	p11_crypto_op *op = op_of(se, kind, &active);
	if (!*active) {
		rv = CKR_OPERATION_NOT_INITIALIZED;
	} else if (part == NULL && len) {
		rv = CKR_ARGUMENTS_BAD;
		op_end(se, kind);
	} else if (op->have_result) {
		rv = CKR_OPERATION_ACTIVE;
	} else {
		op->multipart = 1;
		rv = feed(op, part, len);
		if (rv != CKR_OK)
			op_end(se, kind);
	}
	return p11_session_done(s, se, rv);
}

/* C_EncryptUpdate/C_DecryptUpdate: RSA is single-part, so the input is
 * only collected and the output comes at Final (none here). */
static CK_RV collect_update(CK_SESSION_HANDLE h, p11_op_kind kind,
			    const uint8_t *part, CK_ULONG len, CK_ULONG_PTR outlen)
{
	CK_RV rv = op_update(h, kind, part, len);
	if (rv == CKR_OK && outlen)
		*outlen = 0;
	return rv;
}

/* Verification of a signature over the fed data. */
static CK_RV verify_run(CK_SESSION_HANDLE h, int final, const uint8_t *data,
			CK_ULONG datalen, const uint8_t *sig, CK_ULONG siglen)
{
	p11_slot *s;
	p11_session *se;
	CK_RV rv = p11_session_acquire(h, &s, &se);
	if (rv != CKR_OK)
		return rv;
	p11_crypto_op *op = &se->verify;
	if (!se->verify_active) {
		rv = CKR_OPERATION_NOT_INITIALIZED;
		goto out;
	}
	if (sig == NULL || (!final && data == NULL && datalen)) {
		rv = CKR_ARGUMENTS_BAD;
		goto end;
	}
	p11_obj *po = p11_obj_find(s, op->key);
	if (!po) {
		rv = CKR_KEY_HANDLE_INVALID;
		goto end;
	}
	size_t k = (key_bits(&po->o) + 7) / 8;
	if (siglen != k) {
		rv = CKR_SIGNATURE_LEN_RANGE;
		goto end;
	}
	if (!final && (rv = feed(op, data, datalen)) != CKR_OK)
		goto end;
	uint8_t hash[EVP_MAX_MD_SIZE];
	const uint8_t *in;
	size_t inlen;
	if ((rv = take_input(op, hash, &in, &inlen)) != CKR_OK)
		goto end;
	uint8_t *em = malloc(k), *want = malloc(k);
	if (!em || !want) {
		free(em);
		free(want);
		rv = CKR_HOST_MEMORY;
		goto end;
	}
	const ukey_object *o = &po->o;
	rv = p11_rsa_public_raw(o->modulus, o->modulus_len, o->pub_exp,
				o->pub_exp_len, sig, siglen, em);
	const p11_mech_desc *m = p11_mech_lookup(op->mech);
	if (rv == CKR_OK && m->pss) {
		if (inlen != (size_t)EVP_MD_get_size(op->md))
			rv = CKR_DATA_LEN_RANGE;
		else
			rv = p11_rsa_pss_verify(o->modulus, o->modulus_len,
						o->pub_exp, o->pub_exp_len, in,
						op->md, op->mgf1_md, op->salt_len,
						em);
	} else if (rv == CKR_OK) {
		rv = encode_sig_block(op, o, in, inlen, want, k);
		if (rv == CKR_OK && memcmp(em, want, k) != 0)
			rv = CKR_SIGNATURE_INVALID;
	}
	free(em);
	free(want);
end:
	op_end(se, P11_OP_VERIFY);
out:
	return p11_session_done(s, se, rv);
}

/* ------------------------------------------------------------ entry points */

#define LOGRV(name, expr) return p11_log_rv(name, (expr))

CK_RV C_SignInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k)
{
	if (m)
		p11_log("C_SignInit(mech=0x%lx, key=0x%lx)",
			(unsigned long)m->mechanism, (unsigned long)k);
	LOGRV("C_SignInit", op_init(h, P11_OP_SIGN, m, k));
}
CK_RV C_Sign(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG dl, CK_BYTE_PTR sig,
	     CK_ULONG_PTR sl)
{
	LOGRV("C_Sign", op_run(h, P11_OP_SIGN, 0, d, dl, sig, sl));
}
CK_RV C_SignUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR p, CK_ULONG l)
{
	LOGRV("C_SignUpdate", op_update(h, P11_OP_SIGN, p, l));
}
CK_RV C_SignFinal(CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG_PTR sl)
{
	LOGRV("C_SignFinal", op_run(h, P11_OP_SIGN, 1, NULL, 0, sig, sl));
}
CK_RV C_VerifyInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k)
{
	LOGRV("C_VerifyInit", op_init(h, P11_OP_VERIFY, m, k));
}
CK_RV C_Verify(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG dl, CK_BYTE_PTR sig,
	       CK_ULONG sl)
{
	LOGRV("C_Verify", verify_run(h, 0, d, dl, sig, sl));
}
CK_RV C_VerifyUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR p, CK_ULONG l)
{
	LOGRV("C_VerifyUpdate", op_update(h, P11_OP_VERIFY, p, l));
}
CK_RV C_VerifyFinal(CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG sl)
{
	LOGRV("C_VerifyFinal", verify_run(h, 1, NULL, 0, sig, sl));
}
CK_RV C_EncryptInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k)
{
	LOGRV("C_EncryptInit", op_init(h, P11_OP_ENCRYPT, m, k));
}
CK_RV C_Encrypt(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG dl, CK_BYTE_PTR o,
		CK_ULONG_PTR ol)
{
	LOGRV("C_Encrypt", op_run(h, P11_OP_ENCRYPT, 0, d, dl, o, ol));
}
CK_RV C_EncryptUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR p, CK_ULONG l,
		      CK_BYTE_PTR o, CK_ULONG_PTR ol)
{
	(void)o;
	LOGRV("C_EncryptUpdate", collect_update(h, P11_OP_ENCRYPT, p, l, ol));
}
CK_RV C_EncryptFinal(CK_SESSION_HANDLE h, CK_BYTE_PTR o, CK_ULONG_PTR ol)
{
	LOGRV("C_EncryptFinal", op_run(h, P11_OP_ENCRYPT, 1, NULL, 0, o, ol));
}
CK_RV C_DecryptInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k)
{
	LOGRV("C_DecryptInit", op_init(h, P11_OP_DECRYPT, m, k));
}
CK_RV C_Decrypt(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG dl, CK_BYTE_PTR o,
		CK_ULONG_PTR ol)
{
	LOGRV("C_Decrypt", op_run(h, P11_OP_DECRYPT, 0, d, dl, o, ol));
}
CK_RV C_DecryptUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR p, CK_ULONG l,
		      CK_BYTE_PTR o, CK_ULONG_PTR ol)
{
	(void)o;
	LOGRV("C_DecryptUpdate", collect_update(h, P11_OP_DECRYPT, p, l, ol));
}
CK_RV C_DecryptFinal(CK_SESSION_HANDLE h, CK_BYTE_PTR o, CK_ULONG_PTR ol)
{
	LOGRV("C_DecryptFinal", op_run(h, P11_OP_DECRYPT, 1, NULL, 0, o, ol));
}
CK_RV C_DigestInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m)
{
	LOGRV("C_DigestInit", op_init(h, P11_OP_DIGEST, m, CK_INVALID_HANDLE));
}
CK_RV C_Digest(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG dl, CK_BYTE_PTR o,
	       CK_ULONG_PTR ol)
{
	LOGRV("C_Digest", op_run(h, P11_OP_DIGEST, 0, d, dl, o, ol));
}
CK_RV C_DigestUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR p, CK_ULONG l)
{
	LOGRV("C_DigestUpdate", op_update(h, P11_OP_DIGEST, p, l));
}
CK_RV C_DigestFinal(CK_SESSION_HANDLE h, CK_BYTE_PTR o, CK_ULONG_PTR ol)
{
	LOGRV("C_DigestFinal", op_run(h, P11_OP_DIGEST, 1, NULL, 0, o, ol));
}
