/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Mechanisms. CKF_HW marks what the card computes: the RSA private-key
 * operation (padding, hashing and public-key operations run on the host
 * with OpenSSL) and key generation. Digests are host-only. A driver with
 * sign_sha256_state signs CKM_SHA256_RSA_PKCS with the hash finished and
 * the padding done on the card (p11_sign.c), even without sign_raw.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/obj_mac.h>

#include "pcsc.h"
#include "driver.h"
#include "profile.h"

#include "p11_backend.h"
#include "p11_lock.h"
#include "p11_log.h"
#include "p11_mech.h"
#include "p11_module.h"
#include "p11_slot.h"
#include "p11_token.h"

#define SV (CKF_SIGN | CKF_VERIFY)
#define ED (CKF_ENCRYPT | CKF_DECRYPT)

static const p11_mech_desc mechs[] = {
	{ CKM_RSA_PKCS_KEY_PAIR_GEN, CKF_GENERATE_KEY_PAIR, 1, 0, 0, 0, 0, 0, 0 },
	{ CKM_RSA_PKCS, SV | ED, 1, 0, 0, 0, 0, 1, 0 },
	{ CKM_RSA_X_509, SV | ED, 1, 0, 0, 0, 1, 0, 0 },
	{ CKM_SHA1_RSA_PKCS, SV, 1, NID_sha1, 0, 0, 0, 1, 0 },
	{ CKM_SHA224_RSA_PKCS, SV, 1, NID_sha224, 0, 0, 0, 1, 0 },
	{ CKM_SHA256_RSA_PKCS, SV, 1, NID_sha256, 0, 0, 0, 1, 0 },
	{ CKM_SHA384_RSA_PKCS, SV, 1, NID_sha384, 0, 0, 0, 1, 0 },
	{ CKM_SHA512_RSA_PKCS, SV, 1, NID_sha512, 0, 0, 0, 1, 0 },
	{ CKM_RSA_PKCS_PSS, SV, 1, 0, 1, 0, 0, 0, 0 },
	{ CKM_SHA1_RSA_PKCS_PSS, SV, 1, NID_sha1, 1, 0, 0, 0, 0 },
	{ CKM_SHA224_RSA_PKCS_PSS, SV, 1, NID_sha224, 1, 0, 0, 0, 0 },
	{ CKM_SHA256_RSA_PKCS_PSS, SV, 1, NID_sha256, 1, 0, 0, 0, 0 },
	{ CKM_SHA384_RSA_PKCS_PSS, SV, 1, NID_sha384, 1, 0, 0, 0, 0 },
	{ CKM_SHA512_RSA_PKCS_PSS, SV, 1, NID_sha512, 1, 0, 0, 0, 0 },
	{ CKM_RSA_PKCS_OAEP, ED, 1, 0, 0, 1, 0, 0, 0 },
	{ CKM_SHA_1, CKF_DIGEST, 0, NID_sha1, 0, 0, 0, 0, 1 },
	{ CKM_SHA224, CKF_DIGEST, 0, NID_sha224, 0, 0, 0, 0, 1 },
	{ CKM_SHA256, CKF_DIGEST, 0, NID_sha256, 0, 0, 0, 0, 1 },
	{ CKM_SHA384, CKF_DIGEST, 0, NID_sha384, 0, 0, 0, 0, 1 },
	{ CKM_SHA512, CKF_DIGEST, 0, NID_sha512, 0, 0, 0, 0, 1 },
};
#define NMECHS (sizeof(mechs) / sizeof(mechs[0]))

const p11_mech_desc *p11_mech_lookup(CK_MECHANISM_TYPE type)
{
	for (size_t i = 0; i < NMECHS; i++)
		if (mechs[i].type == type)
			return &mechs[i];
	return NULL;
}

/* RSA sizes from the profile: "rsa_bits = 1024, 2048" (what the card OS
 * can generate and use); 1024..2048 when the profile says nothing. An item
 * that is not a number ends the list (what came before it counts); a number
 * out of 512..16384 is skipped. */
static size_t profile_sizes(const ukey_profile *p, unsigned long *v, size_t cap)
{
	const char *list = p ? ukey_profile_get(p, "rsa_bits") : NULL, *item;
	size_t n = 0, len;
	while (n < cap && ukey_profile_list_next(&list, &item, &len)) {
		char num[24], *end;
		if (len >= sizeof(num))
			break;
		memcpy(num, item, len);
		num[len] = 0;
		unsigned long b = strtoul(num, &end, 10);
		if (end == num)
			break;
		if (b >= 512 && b <= 16384)
			v[n++] = b;
		if (*end)
			break; /* "2048x": the number counts, the list ends */
	}
	return n;
}

static void key_sizes(const ukey_profile *p, CK_ULONG *min_bits,
		      CK_ULONG *max_bits)
{
	unsigned long v[16];
	size_t n = profile_sizes(p, v, 16);
	*min_bits = 1024;
	*max_bits = 2048;
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || v[i] < *min_bits)
			*min_bits = v[i];
		if (i == 0 || v[i] > *max_bits)
			*max_bits = v[i];
	}
}

int p11_mech_key_size_ok(const p11_slot *s, CK_ULONG bits)
{
	const ukey_profile *p = s->token ? s->token->card.profile : NULL;
	unsigned long v[16];
	size_t n = profile_sizes(p, v, 16);
	if (n == 0)
		return bits >= 1024 && bits <= 2048 && bits % 8 == 0;
	for (size_t i = 0; i < n; i++)
		if (v[i] == bits)
			return 1;
	return 0;
}

int p11_mech_card_hash(const ukey_driver *d, CK_MECHANISM_TYPE type)
{
	return d && d->sign_sha256_state && type == CKM_SHA256_RSA_PKCS;
}

/* What the driver of the card in this slot can do. */
static int mech_available(const ukey_driver *d, const p11_mech_desc *m)
{
	if (m->type == CKM_RSA_PKCS_KEY_PAIR_GEN)
		return d->generate_rsa != NULL;
	if (m->digest)
		return 1;
	return d->sign_raw != NULL || d->decipher_raw != NULL ||
	       p11_mech_card_hash(d, m->type);
}

static CK_FLAGS mech_flags(const ukey_driver *d, const p11_mech_desc *m)
{
	CK_FLAGS f = m->flags;
	if (!d->sign_raw && !p11_mech_card_hash(d, m->type))
		f &= ~CKF_SIGN;
	if (!d->decipher_raw)
		f &= ~CKF_DECRYPT;
	return f | (m->hw ? CKF_HW : 0);
}

/* The driver and profile of the card in a slot, without card I/O: the
 * bound token's, or those its ATR selects (slot lock held on CKR_OK). */
static CK_RV slot_driver(CK_SLOT_ID id, p11_slot **out, const ukey_driver **drv,
			 const ukey_profile **prof)
{
	p11_slot *s;
	CK_RV rv = p11_slot_lock(id, 1, &s);
	if (rv != CKR_OK)
		return rv;
	if (s->token)
		(void)p11_token_check_present(s);
	if (s->token) {
		*drv = s->token->card.drv;
		*prof = s->token->card.profile;
	} else {
		ukey_reader_state st;
		if (!p11_slot_token_present(s, &st)) {
			rv = CKR_TOKEN_NOT_PRESENT;
		} else {
			*prof = ukey_profile_match(&p11_g.profiles, st.atr,
						   st.atr_len);
			*drv = *prof ? p11_be->driver_find((*prof)->driver) : NULL;
			if (!*drv)
				rv = CKR_TOKEN_NOT_RECOGNIZED;
		}
	}
	if (rv != CKR_OK) {
		p11_mutex_unlock(s->lock);
		return rv;
	}
	*out = s;
	return CKR_OK;
}

static CK_RV get_mechanism_list(CK_SLOT_ID slotID,
				CK_MECHANISM_TYPE_PTR pList, CK_ULONG_PTR pulCount)
{
	if (pulCount == NULL) {
		CK_RV rv = p11_check_init();
		return rv != CKR_OK ? rv : CKR_ARGUMENTS_BAD;
	}
	p11_slot *s;
	const ukey_driver *d;
	const ukey_profile *prof;
	CK_RV rv = slot_driver(slotID, &s, &d, &prof);
	if (rv != CKR_OK)
		return rv;
	CK_ULONG n = 0;
	for (size_t i = 0; i < NMECHS; i++) {
		if (!mech_available(d, &mechs[i]))
			continue;
		if (pList && n < *pulCount)
			pList[n] = mechs[i].type;
		n++;
	}
	if (pList && n > *pulCount)
		rv = CKR_BUFFER_TOO_SMALL;
	*pulCount = n;
	p11_mutex_unlock(s->lock);
	return rv;
}

CK_RV C_GetMechanismList(CK_SLOT_ID slotID, CK_MECHANISM_TYPE_PTR pMechanismList,
			 CK_ULONG_PTR pulCount)
{
	return p11_log_rv("C_GetMechanismList",
			  get_mechanism_list(slotID, pMechanismList, pulCount));
}

static CK_RV get_mechanism_info(CK_SLOT_ID slotID, CK_MECHANISM_TYPE type,
				CK_MECHANISM_INFO_PTR pInfo)
{
	if (pInfo == NULL) {
		CK_RV rv = p11_check_init();
		return rv != CKR_OK ? rv : CKR_ARGUMENTS_BAD;
	}
	p11_slot *s;
	const ukey_driver *d;
	const ukey_profile *prof;
	CK_RV rv = slot_driver(slotID, &s, &d, &prof);
	if (rv != CKR_OK)
		return rv;
	const p11_mech_desc *m = p11_mech_lookup(type);
	if (!m || !mech_available(d, m)) {
		rv = CKR_MECHANISM_INVALID;
	} else {
		CK_ULONG minb, maxb;
		key_sizes(prof, &minb, &maxb);
		pInfo->flags = mech_flags(d, m);
		pInfo->ulMinKeySize = m->digest ? 0 : minb;
		pInfo->ulMaxKeySize = m->digest ? 0 : maxb;
	}
	p11_mutex_unlock(s->lock);
	return rv;
}

CK_RV C_GetMechanismInfo(CK_SLOT_ID slotID, CK_MECHANISM_TYPE type,
			 CK_MECHANISM_INFO_PTR pInfo)
{
	return p11_log_rv("C_GetMechanismInfo",
			  get_mechanism_info(slotID, type, pInfo));
}

size_t p11_mech_for_key(const p11_slot *s, int priv, CK_MECHANISM_TYPE *out,
			size_t cap)
{
	const ukey_driver *d = s->token ? s->token->card.drv : NULL;
	size_t n = 0;
	for (size_t i = 0; i < NMECHS; i++) {
		const p11_mech_desc *m = &mechs[i];
		if (m->digest || m->type == CKM_RSA_PKCS_KEY_PAIR_GEN)
			continue;
		CK_FLAGS f = d ? mech_flags(d, m) : m->flags;
		if (!(f & (priv ? (CKF_SIGN | CKF_DECRYPT)
				: (CKF_VERIFY | CKF_ENCRYPT))))
			continue;
		if (n < cap)
			out[n] = m->type;
		n++;
	}
	return n;
}
