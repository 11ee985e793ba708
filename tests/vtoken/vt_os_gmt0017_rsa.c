/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GM/T 0017 virtual OS: RSA commands (GenRSAKeyPair, ImportRSAKeyPair,
 * RSASignData, ExportPublicKey). */
#include <string.h>

#include <openssl/err.h>
#include <openssl/rsa.h>

#include "vt_os_gmt0017.h"

static int gm_key_space_ok(const gm_state *st, const gm_cont *k, int slot)
{
	return k->key[slot] ||
	       gm_used_space(st) + GM_KEY_SPACE <= GM_TOTAL_SPACE;
}

/* data: AppID ContainerID BitLen(4); response the public key blob. */
size_t gm_cmd_gen_rsa(gm_state *st, const gm_cmd *c, uint8_t *rsp,
		      int *dirty)
{
	unsigned sw;
	if (c->p1 || c->p2)
		return gm_rsp(rsp, 0, GM_SW_WRONG_P1P2);
	if (c->lc != 8)
		return gm_rsp(rsp, 0, GM_SW_WRONG_LEN);
	gm_cont *k = gm_cont_by_handle(st, c, 1, &sw);
	if (!k)
		return gm_rsp(rsp, 0, sw);
	uint32_t bits = gm_be32(c->data + 4);
	if (bits != 1024 && bits != 2048)
		return gm_rsp(rsp, 0, GM_SW_WRONG_DATA);
	if (!gm_key_space_ok(st, k, GM_SLOT_SIGN))
		return gm_rsp(rsp, 0, GM_SW_NO_SPACE);
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	if (!key || gm_rsa_pubblob(key, rsp) != 0) {
		EVP_PKEY_free(key);
		return gm_rsp(rsp, 0, GM_SW_INTERNAL);
	}
	EVP_PKEY_free(k->key[GM_SLOT_SIGN]);
	k->key[GM_SLOT_SIGN] = key;
	*dirty = 1;
	return gm_rsp(rsp, GM_PUBBLOB_LEN, GM_SW_OK);
}

/* Chained (P1 = 01 sign / 00 enc | 80 more, P2 = chunk number): the DER
 * PKCS#1 RSAPrivateKey in clear — a simplification of SKF's wrapped
 * import, documented in docs/watchdata-wire.md. */
size_t gm_cmd_import_rsa(gm_state *st, const gm_cmd *c, uint8_t *rsp,
			 int *dirty)
{
	unsigned sw;
	uint8_t slot = c->p1 & 0x7F;
	gm_cont *k = gm_stage_import(st, c, GM_KEYDER_MAX, &sw);
	if (!k)
		return gm_rsp(rsp, 0, sw);
	EVP_PKEY *key = gm_rsa_from_der(st->stage.buf, st->stage.len);
	gm_stage_clear(&st->stage);
	if (!key) {
		ERR_clear_error(); /* hostile input is not an internal error */
		return gm_rsp(rsp, 0, GM_SW_WRONG_DATA);
	}
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	int ok = ctx && EVP_PKEY_pairwise_check(ctx) == 1;
	EVP_PKEY_CTX_free(ctx);
	if (!ok) {
		ERR_clear_error();
		EVP_PKEY_free(key);
		return gm_rsp(rsp, 0, GM_SW_WRONG_DATA);
	}
	if (!gm_key_space_ok(st, k, slot)) {
		EVP_PKEY_free(key);
		return gm_rsp(rsp, 0, GM_SW_NO_SPACE);
	}
	EVP_PKEY_free(k->key[slot]);
	k->key[slot] = key;
	*dirty = 1;
	return gm_rsp(rsp, 0, GM_SW_OK);
}

/* Chained (P1 = 00 | 80 more, P2 = chunk number): raw RSA with the
 * signing key on a block exactly as long as the modulus. */
size_t gm_cmd_rsa_sign(gm_state *st, const gm_cmd *c, uint8_t *rsp,
		       int *dirty)
{
	unsigned sw;
	(void)dirty;
	if (c->p1 & 0x7F) {
		gm_stage_clear(&st->stage);
		return gm_rsp(rsp, 0, GM_SW_WRONG_P1P2);
	}
	gm_cont *k = gm_cont_by_handle(st, c, 1, &sw);
	if (k && !k->key[GM_SLOT_SIGN]) {
		k = NULL;
		sw = GM_SW_NOT_FOUND;
	}
	if (!k) {
		gm_stage_clear(&st->stage);
		return gm_rsp(rsp, 0, sw);
	}
	int done;
	sw = gm_stage_step(st, c, 0, 256, &done);
	if (sw != GM_SW_OK || !done)
		return gm_rsp(rsp, 0, sw);
	EVP_PKEY *key = k->key[GM_SLOT_SIGN];
	size_t mlen = (size_t)EVP_PKEY_get_size(key), siglen = mlen;
	if (st->stage.len != mlen) {
		gm_stage_clear(&st->stage);
		return gm_rsp(rsp, 0, GM_SW_WRONG_LEN);
	}
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	int ok = ctx && EVP_PKEY_sign_init(ctx) == 1 &&
		 EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) == 1 &&
		 EVP_PKEY_sign(ctx, rsp, &siglen, st->stage.buf, mlen) == 1 &&
		 siglen == mlen;
	EVP_PKEY_CTX_free(ctx);
	gm_stage_clear(&st->stage);
	if (!ok) { /* block >= modulus */
		ERR_clear_error();
		return gm_rsp(rsp, 0, GM_SW_WRONG_DATA);
	}
	return gm_rsp(rsp, mlen, GM_SW_OK);
}

/* P1 = 01 sign / 00 enc; data = AppID ContainerID. */
size_t gm_cmd_export_pub(gm_state *st, const gm_cmd *c, uint8_t *rsp,
			 int *dirty)
{
	unsigned sw;
	(void)dirty;
	if (c->p1 > 1 || c->p2)
		return gm_rsp(rsp, 0, GM_SW_WRONG_P1P2);
	if (c->lc != 4)
		return gm_rsp(rsp, 0, GM_SW_WRONG_LEN);
	gm_cont *k = gm_cont_by_handle(st, c, 0, &sw);
	if (!k)
		return gm_rsp(rsp, 0, sw);
	if (!k->key[c->p1])
		return gm_rsp(rsp, 0, GM_SW_NOT_FOUND);
	if (gm_rsa_pubblob(k->key[c->p1], rsp) != 0)
		return gm_rsp(rsp, 0, GM_SW_INTERNAL);
	return gm_rsp(rsp, GM_PUBBLOB_LEN, GM_SW_OK);
}
