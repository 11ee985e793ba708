/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rn_token_keygen.c — RSA key pair generation on the token.
 */
#include <string.h>

#include "rn_token_int.h"

enum rn_tok_rc rn_generate_rsa(struct rn_session *s, CK_ULONG bits, const unsigned char *id,
			       size_t id_len, const char *label, char *err, size_t errlen)
{
	static const unsigned char f4[3] = { 0x01, 0x00, 0x01 };
	CK_MECHANISM mech = { CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0 };
	CK_OBJECT_CLASS pubc = CKO_PUBLIC_KEY, privc = CKO_PRIVATE_KEY;
	CK_KEY_TYPE kt = CKK_RSA;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ULONG lablen;
	CK_OBJECT_HANDLE hpub = CK_INVALID_HANDLE, hpriv = CK_INVALID_HANDLE;
	char hx[40];
	CK_RV rv;

	if (!id || !id_len || bits < 1024 || bits > 16384) {
		rn_seterr(err, errlen, "rn_generate_rsa: bad arguments (%lu bits, id %zu bytes)",
			  (unsigned long)bits, id_len);
		return RN_TOK_ERROR;
	}
	if (!label)
		label = "";
	lablen = (CK_ULONG)strlen(label);
	rn_hex_short(id, id_len, hx, sizeof(hx));
	/* The essential attributes come first: the minimal template is the
	 * head of each array. */
	CK_ATTRIBUTE pub[] = {
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_MODULUS_BITS, &bits, sizeof(bits) },
		{ CKA_PUBLIC_EXPONENT, (void *)f4, sizeof(f4) },
		{ CKA_ID, (void *)id, (CK_ULONG)id_len },
		{ CKA_LABEL, (void *)label, lablen },
		{ CKA_VERIFY, &yes, sizeof(yes) },
		/* optional */
		{ CKA_CLASS, &pubc, sizeof(pubc) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_ENCRYPT, &yes, sizeof(yes) },
	};
	CK_ATTRIBUTE priv[] = {
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &yes, sizeof(yes) },
		{ CKA_SENSITIVE, &yes, sizeof(yes) },
		{ CKA_ID, (void *)id, (CK_ULONG)id_len },
		{ CKA_LABEL, (void *)label, lablen },
		{ CKA_SIGN, &yes, sizeof(yes) },
		/* optional */
		{ CKA_CLASS, &privc, sizeof(privc) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_EXTRACTABLE, &no, sizeof(no) },
		{ CKA_DECRYPT, &yes, sizeof(yes) },
	};
	const CK_ULONG npub[2] = { sizeof(pub) / sizeof(pub[0]), 6 };
	const CK_ULONG npriv[2] = { sizeof(priv) / sizeof(priv[0]), 6 };

	/* Some modules refuse attributes they do not support in a key
	 * generation template (CKR_ATTRIBUTE_TYPE_INVALID, or
	 * CKR_TEMPLATE_INCONSISTENT for CKA_EXTRACTABLE/CKA_DECRYPT on
	 * sign-only keys): one retry with the minimal template. */
	for (int i = 0; i < 2; i++) {
		rv = s->m->f->C_GenerateKeyPair(s->h, &mech, pub, npub[i], priv, npriv[i], &hpub,
						&hpriv);
		rn_trace(s->m, "C_GenerateKeyPair(session %lu, CKM_RSA_PKCS_KEY_PAIR_GEN, %lu bits, "
			 "CKA_ID %s, %s template) = %s, public %lu, private %lu",
			 (unsigned long)s->h, (unsigned long)bits, hx, i ? "minimal" : "full",
			 rn_ckr_name(rv), (unsigned long)hpub, (unsigned long)hpriv);
		if (rv != CKR_ATTRIBUTE_TYPE_INVALID && rv != CKR_TEMPLATE_INCONSISTENT &&
		    rv != CKR_ATTRIBUTE_VALUE_INVALID)
			break;
	}
	return rn_map_rv(s->m, s->slot, rv, "C_GenerateKeyPair", err, errlen);
}
