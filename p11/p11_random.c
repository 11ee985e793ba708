/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* C_GenerateRandom from the card's RNG; C_SeedRandom is not possible. */
#include <string.h>

#include "p11_log.h"
#include "p11_session.h"
#include "p11_slot.h"
#include "p11_token.h"

#define RANDOM_CHUNK 128 /* bytes per driver call: short APDUs */
/* Ask drivers for multiples of 8 bytes only: card OSes answer GET
 * CHALLENGE with 8 (sometimes 4) bytes and may refuse other sizes. */
#define RANDOM_ALIGN 8

static CK_RV generate_random(CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG len)
{
	p11_slot *s;
	p11_session *se;
	CK_RV rv = p11_session_acquire(h, &s, &se);
	if (rv != CKR_OK)
		return rv;
	if (out == NULL && len) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if (!s->token->card.drv->get_random || !s->token->card.has_rng) {
		rv = CKR_RANDOM_NO_RNG;
		goto out;
	}
	if (len == 0)
		goto out;
	rv = p11_token_begin(s);
	if (rv != CKR_OK)
		goto out;
	CK_ULONG done = 0;
	ukey_rv r = UKEY_OK;
	uint8_t tail[RANDOM_ALIGN];
	while (done < len && r == UKEY_OK) {
		size_t n = len - done > RANDOM_CHUNK ? RANDOM_CHUNK : len - done;
		if (n % RANDOM_ALIGN == 0) {
			r = s->token->card.drv->get_random(&s->token->card,
							   out + done, n);
		} else if (n > RANDOM_ALIGN) {
			n -= n % RANDOM_ALIGN; /* the tail comes next round */
			r = s->token->card.drv->get_random(&s->token->card,
							   out + done, n);
		} else {
			r = s->token->card.drv->get_random(&s->token->card, tail,
							   sizeof(tail));
			if (r == UKEY_OK)
				memcpy(out + done, tail, n);
			p11_wipe(tail, sizeof(tail));
		}
		done += n;
	}
	p11_token_end(s);
	rv = p11_token_rv(s, r);
out:
	return p11_session_done(s, se, rv);
}

CK_RV C_GenerateRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR RandomData,
		       CK_ULONG ulRandomLen)
{
	return p11_log_rv("C_GenerateRandom",
			  generate_random(hSession, RandomData, ulRandomLen));
}

CK_RV C_SeedRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSeed,
		   CK_ULONG ulSeedLen)
{
	/* base §5.15 C_SeedRandom: the card's RNG takes no seed
	 * (CKR_RANDOM_SEED_NOT_SUPPORTED); a NULL seed, or an empty one, is
	 * CKR_ARGUMENTS_BAD first, after the session handle. */
	return p11_log_rv("C_SeedRandom",
			  p11_session_answer(hSession,
					     pSeed == NULL || ulSeedLen == 0
						     ? CKR_ARGUMENTS_BAD
						     : CKR_RANDOM_SEED_NOT_SUPPORTED));
}
