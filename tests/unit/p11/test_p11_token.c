/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * p11/ slot, token, session, login, object and crypto logic against the
 * fake reader stack and fake driver (fake_card.c). Signatures are verified
 * with OpenSSL against the fake token's key; bytes are compared.
 */
#define OPENSSL_API_COMPAT 0x10101000L

#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <p11-kit/pkcs11.h>

#include "fake_card.h"

static CK_FUNCTION_LIST_PTR fl;
static CK_BBOOL yes = CK_TRUE;

static void setup(void)
{
	fake_setup();
	p11_set_backend(&fake_backend);
	ck_assert_int_eq(C_GetFunctionList(&fl), CKR_OK);
	ck_assert_int_eq(fl->C_Initialize(NULL), CKR_OK);
}

static void teardown(void)
{
	ck_assert_int_eq(fl->C_Finalize(NULL), CKR_OK);
	p11_set_backend(NULL);
	for (size_t i = 0; i < fake_nreaders; i++)
		ck_assert_int_eq(fake_readers[i].in_txn, 0); /* balanced */
	fake_teardown();
}

static CK_SESSION_HANDLE open_s(CK_SLOT_ID slot, int rw)
{
	CK_SESSION_HANDLE h = 0;
	CK_FLAGS f = CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0);
	ck_assert_int_eq(fl->C_OpenSession(slot, f, NULL, NULL, &h), CKR_OK);
	return h;
}

static CK_SESSION_HANDLE open_login(CK_SLOT_ID slot, int rw)
{
	CK_SESSION_HANDLE h = open_s(slot, rw);
	ck_assert_int_eq(fl->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)"1234", 4), CKR_OK);
	return h;
}

static CK_ULONG find(CK_SESSION_HANDLE h, CK_ATTRIBUTE *t, CK_ULONG n,
		     CK_OBJECT_HANDLE *out, CK_ULONG max)
{
	CK_ULONG got = 0;
	ck_assert_int_eq(fl->C_FindObjectsInit(h, t, n), CKR_OK);
	ck_assert_int_eq(fl->C_FindObjects(h, out, max, &got), CKR_OK);
	ck_assert_int_eq(fl->C_FindObjectsFinal(h), CKR_OK);
	return got;
}

static CK_OBJECT_HANDLE find_key(CK_SESSION_HANDLE h, CK_OBJECT_CLASS cls,
				 CK_BYTE id)
{
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_ID, &id, 1 } };
	CK_OBJECT_HANDLE o[4];
	ck_assert_int_eq(find(h, t, 2, o, 4), 1);
	return o[0];
}

static CK_ULONG state_of(CK_SESSION_HANDLE h)
{
	CK_SESSION_INFO si;
	ck_assert_int_eq(fl->C_GetSessionInfo(h, &si), CKR_OK);
	return si.state;
}

/* ------------------------------------------------------------- slots */

START_TEST(test_slots)
{
	CK_SLOT_ID ids[8];
	CK_ULONG n = 0;
	ck_assert_int_eq(fl->C_GetSlotList(CK_FALSE, NULL, &n), CKR_OK);
	ck_assert_int_eq(n, 3);
	n = 1;
	ck_assert_int_eq(fl->C_GetSlotList(CK_FALSE, ids, &n), CKR_BUFFER_TOO_SMALL);
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(fl->C_GetSlotList(CK_FALSE, ids, &n), CKR_OK);
	ck_assert_int_eq(ids[0], 0);
	ck_assert_int_eq(ids[2], 2);
	ck_assert_int_eq(fl->C_GetSlotList(CK_TRUE, NULL, &n), CKR_OK);
	ck_assert_int_eq(n, 2); /* unknown cards count as present */
	CK_SLOT_INFO si;
	ck_assert_int_eq(fl->C_GetSlotInfo(0, &si), CKR_OK);
	ck_assert(si.flags & CKF_TOKEN_PRESENT);
	ck_assert(si.flags & CKF_REMOVABLE_DEVICE);
	ck_assert(si.flags & CKF_HW_SLOT);
	ck_assert(memcmp(si.slotDescription, "Fake Reader 0 ", 14) == 0);
	ck_assert_int_eq(fl->C_GetSlotInfo(2, &si), CKR_OK);
	ck_assert(!(si.flags & CKF_TOKEN_PRESENT));
	ck_assert_int_eq(fl->C_GetSlotInfo(7, &si), CKR_SLOT_ID_INVALID);
	ck_assert_int_eq(fl->C_GetSlotInfo(0, NULL), CKR_ARGUMENTS_BAD);
	/* no card I/O for slot calls */
	ck_assert_int_eq(fake_readers[0].connected, 0);
	ck_assert_int_eq(fake_readers[0].binds, 0);

	/* a new reader appears with the next ID; IDs stay stable */
	fake_nreaders = 4;
	snprintf(fake_readers[3].name, sizeof(fake_readers[3].name), "Late Reader");
	fake_readers[3].listed = 1;
	fake_readers[1].listed = 0;
	ck_assert_int_eq(fl->C_GetSlotList(CK_FALSE, NULL, &n), CKR_OK);
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(fl->C_GetSlotList(CK_FALSE, ids, &n), CKR_OK);
	ck_assert_int_eq(ids[0], 0);
	ck_assert_int_eq(ids[1], 2);
	ck_assert_int_eq(ids[2], 3);
	fake_readers[1].listed = 1;
	ck_assert_int_eq(fl->C_GetSlotList(CK_FALSE, NULL, &n), CKR_OK);
	ck_assert_int_eq(n, 4);
	ck_assert_int_eq(fl->C_GetSlotList(CK_FALSE, ids, &n), CKR_OK);
	ck_assert_int_eq(ids[1], 1);
}
END_TEST

START_TEST(test_token_info)
{
	CK_TOKEN_INFO ti;
	ck_assert_int_eq(fl->C_GetTokenInfo(0, NULL), CKR_ARGUMENTS_BAD);
	ck_assert_int_eq(fl->C_GetTokenInfo(0, &ti), CKR_OK);
	ck_assert(memcmp(ti.label, "Fake Token 0", 12) == 0);
	for (size_t i = 12; i < 32; i++)
		ck_assert_int_eq(ti.label[i], ' ');
	ck_assert(memcmp(ti.manufacturerID, "Fake Manufacturer ", 18) == 0);
	ck_assert(memcmp(ti.model, "FK-1            ", 16) == 0);
	ck_assert(memcmp(ti.serialNumber, "0000000000000001", 16) == 0);
	CK_FLAGS want = CKF_LOGIN_REQUIRED | CKF_USER_PIN_INITIALIZED |
			CKF_TOKEN_INITIALIZED | CKF_RNG;
	ck_assert_uint_eq(ti.flags, want);
	ck_assert_uint_eq(ti.ulMinPinLen, 4);
	ck_assert_uint_eq(ti.ulMaxPinLen, 16);
	ck_assert_uint_eq(ti.ulMaxSessionCount, CK_EFFECTIVELY_INFINITE);
	ck_assert_uint_eq(ti.ulSessionCount, 0);
	ck_assert_int_eq(fake_readers[0].binds, 1);
	ck_assert_int_eq(fl->C_GetTokenInfo(0, &ti), CKR_OK);
	ck_assert_int_eq(fake_readers[0].binds, 1); /* bound once */
	ck_assert_int_eq(fl->C_GetTokenInfo(1, &ti), CKR_TOKEN_NOT_RECOGNIZED);
	ck_assert_int_eq(fl->C_GetTokenInfo(2, &ti), CKR_TOKEN_NOT_PRESENT);
	ck_assert_int_eq(fl->C_GetTokenInfo(9, &ti), CKR_SLOT_ID_INVALID);
	CK_SESSION_HANDLE h;
	ck_assert_int_eq(fl->C_OpenSession(1, CKF_SERIAL_SESSION, NULL, NULL, &h),
			 CKR_TOKEN_NOT_RECOGNIZED);
}
END_TEST

START_TEST(test_mechanisms)
{
	CK_ULONG n = 0;
	ck_assert_int_eq(fl->C_GetMechanismList(0, NULL, &n), CKR_OK);
	ck_assert_uint_ge(n, 15);
	ck_assert_int_eq(fake_readers[0].connected, 0); /* no card I/O */
	CK_MECHANISM_TYPE *m = calloc(n, sizeof(*m));
	CK_ULONG small = 2;
	ck_assert_int_eq(fl->C_GetMechanismList(0, m, &small), CKR_BUFFER_TOO_SMALL);
	ck_assert_uint_eq(small, n);
	ck_assert_int_eq(fl->C_GetMechanismList(0, m, &n), CKR_OK);
	int have_pss = 0, have_gen = 0;
	for (CK_ULONG i = 0; i < n; i++) {
		have_pss |= m[i] == CKM_SHA256_RSA_PKCS_PSS;
		have_gen |= m[i] == CKM_RSA_PKCS_KEY_PAIR_GEN;
	}
	free(m);
	ck_assert(have_pss && have_gen);
	CK_MECHANISM_INFO mi;
	ck_assert_int_eq(fl->C_GetMechanismInfo(0, CKM_RSA_PKCS, &mi), CKR_OK);
	ck_assert(mi.flags & CKF_HW);
	ck_assert(mi.flags & CKF_SIGN);
	ck_assert(mi.flags & CKF_DECRYPT);
	ck_assert_uint_eq(mi.ulMinKeySize, 1024);
	ck_assert_uint_eq(mi.ulMaxKeySize, 2048);
	ck_assert_int_eq(fl->C_GetMechanismInfo(0, CKM_SHA256, &mi), CKR_OK);
	ck_assert(!(mi.flags & CKF_HW));
	ck_assert(mi.flags & CKF_DIGEST);
	ck_assert_int_eq(fl->C_GetMechanismInfo(0, CKM_AES_CBC, &mi), CKR_MECHANISM_INVALID);
	ck_assert_int_eq(fl->C_GetMechanismInfo(2, CKM_RSA_PKCS, &mi), CKR_TOKEN_NOT_PRESENT);
	ck_assert_int_eq(fl->C_GetMechanismInfo(1, CKM_RSA_PKCS, &mi), CKR_TOKEN_NOT_RECOGNIZED);
	ck_assert_int_eq(fake_readers[0].connected, 0);
}
END_TEST

/* -------------------------------------------------------- sessions/login */

START_TEST(test_login)
{
	CK_SESSION_HANDLE h;
	ck_assert_int_eq(fl->C_OpenSession(0, 0, NULL, NULL, &h),
			 CKR_SESSION_PARALLEL_NOT_SUPPORTED);
	ck_assert_int_eq(fl->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, NULL),
			 CKR_ARGUMENTS_BAD);
	h = open_s(0, 0);
	ck_assert_uint_eq(state_of(h), CKS_RO_PUBLIC_SESSION);
	ck_assert_int_eq(fl->C_Login(h, 7, (CK_UTF8CHAR_PTR)"1234", 4), CKR_USER_TYPE_INVALID);
	ck_assert_int_eq(fl->C_Login(h, CKU_USER, NULL, 4), CKR_ARGUMENTS_BAD);
	ck_assert_int_eq(fl->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)"12", 2), CKR_PIN_LEN_RANGE);
	ck_assert_int_eq(fl->C_Login(h, CKU_SO, (CK_UTF8CHAR_PTR)"1234", 4),
			 CKR_SESSION_READ_ONLY_EXISTS);
	CK_TOKEN_INFO ti;
	ck_assert_int_eq(fl->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)"9999", 4), CKR_PIN_INCORRECT);
	ck_assert_int_eq(fl->C_GetTokenInfo(0, &ti), CKR_OK);
	ck_assert(ti.flags & CKF_USER_PIN_COUNT_LOW);
	ck_assert(!(ti.flags & CKF_USER_PIN_FINAL_TRY));
	ck_assert_int_eq(fl->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)"9999", 4), CKR_PIN_INCORRECT);
	ck_assert_int_eq(fl->C_GetTokenInfo(0, &ti), CKR_OK);
	ck_assert(ti.flags & CKF_USER_PIN_FINAL_TRY);
	ck_assert_int_eq(fl->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)"1234", 4), CKR_OK);
	ck_assert_int_eq(fl->C_GetTokenInfo(0, &ti), CKR_OK);
	ck_assert(!(ti.flags & (CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_COUNT_LOW)));
	ck_assert_uint_eq(state_of(h), CKS_RO_USER_FUNCTIONS);
	CK_SESSION_HANDLE h2 = open_s(0, 1);
	ck_assert_uint_eq(state_of(h2), CKS_RW_USER_FUNCTIONS); /* shared login */
	ck_assert_int_eq(fl->C_Login(h2, CKU_USER, (CK_UTF8CHAR_PTR)"1234", 4),
			 CKR_USER_ALREADY_LOGGED_IN);
	ck_assert_int_eq(fl->C_Login(h2, CKU_SO, (CK_UTF8CHAR_PTR)"1234", 4),
			 CKR_USER_ANOTHER_ALREADY_LOGGED_IN);
	ck_assert_int_eq(fl->C_Logout(h2), CKR_OK);
	ck_assert_uint_eq(state_of(h), CKS_RO_PUBLIC_SESSION);
	ck_assert_int_eq(fl->C_Logout(h2), CKR_USER_NOT_LOGGED_IN);
	ck_assert_int_eq(fl->C_GetTokenInfo(0, &ti), CKR_OK);
	ck_assert_uint_eq(ti.ulSessionCount, 2);
	ck_assert_uint_eq(ti.ulRwSessionCount, 1);
	/* SetPIN needs a R/W session */
	ck_assert_int_eq(fl->C_SetPIN(h, (CK_UTF8CHAR_PTR)"1234", 4,
				      (CK_UTF8CHAR_PTR)"5678", 4), CKR_SESSION_READ_ONLY);
	ck_assert_int_eq(fl->C_SetPIN(h2, (CK_UTF8CHAR_PTR)"1234", 4,
				      (CK_UTF8CHAR_PTR)"5678", 4), CKR_OK);
	ck_assert_int_eq(fl->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)"1234", 4), CKR_PIN_INCORRECT);
	ck_assert_int_eq(fl->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)"5678", 4), CKR_OK);
	/* closing the last session logs out */
	ck_assert_int_eq(fl->C_CloseSession(h), CKR_OK);
	ck_assert_int_eq(fl->C_CloseSession(h), CKR_SESSION_HANDLE_INVALID);
	ck_assert_int_eq(fl->C_CloseAllSessions(0), CKR_OK);
	ck_assert_int_eq(fl->C_GetSessionInfo(h2, NULL), CKR_SESSION_HANDLE_INVALID);
	h = open_s(0, 0);
	ck_assert_uint_eq(state_of(h), CKS_RO_PUBLIC_SESSION);
	ck_assert_int_eq(fake_readers[0].logged_in, 0);
}
END_TEST

START_TEST(test_pin_lock)
{
	CK_SESSION_HANDLE h = open_s(0, 0);
	CK_TOKEN_INFO ti;
	ck_assert_int_eq(fl->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)"0000", 4), CKR_PIN_INCORRECT);
	ck_assert_int_eq(fl->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)"0000", 4), CKR_PIN_INCORRECT);
	ck_assert_int_eq(fl->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)"0000", 4), CKR_PIN_LOCKED);
	ck_assert_int_eq(fl->C_GetTokenInfo(0, &ti), CKR_OK);
	ck_assert(ti.flags & CKF_USER_PIN_LOCKED);
	ck_assert_int_eq(fl->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)"1234", 4), CKR_PIN_LOCKED);
}
END_TEST

/* ------------------------------------------------------------- objects */

START_TEST(test_find_visibility)
{
	CK_SESSION_HANDLE h = open_s(0, 0);
	CK_OBJECT_HANDLE o[16], o2[16];
	CK_ULONG n = find(h, NULL, 0, o, 16);
	ck_assert_int_eq(n, 3); /* cert, public key, public data object */
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) } };
	ck_assert_int_eq(find(h, t, 1, o, 16), 0);
	ck_assert_int_eq(fake_readers[0].reads, 0); /* no value read for this */
	ck_assert_int_eq(fl->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)"1234", 4), CKR_OK);
	ck_assert_int_eq(find(h, t, 1, o, 16), 1);
	n = find(h, NULL, 0, o, 16);
	ck_assert_int_eq(n, 5); /* + private key, private data object */
	ck_assert_int_eq(find(h, NULL, 0, o2, 16), 5);
	ck_assert(memcmp(o, o2, sizeof(o[0]) * 5) == 0); /* stable handles */
	/* chunked FindObjects */
	CK_ULONG got;
	ck_assert_int_eq(fl->C_FindObjectsInit(h, NULL, 0), CKR_OK);
	ck_assert_int_eq(fl->C_FindObjectsInit(h, NULL, 0), CKR_OPERATION_ACTIVE);
	ck_assert_int_eq(fl->C_FindObjects(h, o2, 4, &got), CKR_OK);
	ck_assert_int_eq(got, 4);
	ck_assert_int_eq(fl->C_FindObjects(h, o2, 4, &got), CKR_OK);
	ck_assert_int_eq(got, 1);
	ck_assert_int_eq(fl->C_FindObjects(h, o2, 4, &got), CKR_OK);
	ck_assert_int_eq(got, 0);
	ck_assert_int_eq(fl->C_FindObjects(h, o2, 4, NULL), CKR_ARGUMENTS_BAD);
	ck_assert_int_eq(fl->C_FindObjectsFinal(h), CKR_OK);
	ck_assert_int_eq(fl->C_FindObjectsFinal(h), CKR_OPERATION_NOT_INITIALIZED);
	ck_assert_int_eq(fl->C_FindObjects(h, o2, 4, &got), CKR_OPERATION_NOT_INITIALIZED);
	/* template with a value that needs reading: the certificate */
	uint8_t *der = fake_readers[0].cert;
	CK_ATTRIBUTE tv[] = { { CKA_VALUE, der, fake_readers[0].cert_len } };
	ck_assert_int_eq(find(h, tv, 1, o, 16), 1);
	ck_assert_int_eq(fake_readers[0].reads, 1);
	/* the private key disappears at logout */
	CK_OBJECT_HANDLE pk = find_key(h, CKO_PRIVATE_KEY, 1);
	ck_assert_int_eq(fl->C_Logout(h), CKR_OK);
	CK_ATTRIBUTE a = { CKA_LABEL, NULL, 0 };
	ck_assert_int_eq(fl->C_GetAttributeValue(h, pk, &a, 1), CKR_OBJECT_HANDLE_INVALID);
	ck_assert_int_eq(fl->C_GetAttributeValue(h, 0x7777, &a, 1), CKR_OBJECT_HANDLE_INVALID);
}
END_TEST

START_TEST(test_cert_attributes)
{
	CK_SESSION_HANDLE h = open_s(0, 0);
	CK_OBJECT_HANDLE c = find_key(h, CKO_CERTIFICATE, 1);
	const uint8_t *der = fake_readers[0].cert;
	size_t derlen = fake_readers[0].cert_len;
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)derlen);
	ck_assert_ptr_nonnull(x);
	unsigned char *subj = NULL;
	int sl = i2d_X509_NAME(X509_get_subject_name(x), &subj);

	uint8_t value[2048], subject[256], issuer[256], serial[16], chk[3];
	CK_DATE start, end;
	CK_ULONG cat = 99, ctype = 99;
	CK_BBOOL tok = 0, priv = 1, trusted = 1;
	CK_ATTRIBUTE t[] = {
		{ CKA_VALUE, value, sizeof(value) },
		{ CKA_SUBJECT, subject, sizeof(subject) },
		{ CKA_ISSUER, issuer, sizeof(issuer) },
		{ CKA_SERIAL_NUMBER, serial, sizeof(serial) },
		{ CKA_CHECK_VALUE, chk, sizeof(chk) },
		{ CKA_START_DATE, &start, sizeof(start) },
		{ CKA_END_DATE, &end, sizeof(end) },
		{ CKA_CERTIFICATE_CATEGORY, &cat, sizeof(cat) },
		{ CKA_CERTIFICATE_TYPE, &ctype, sizeof(ctype) },
		{ CKA_TOKEN, &tok, sizeof(tok) },
		{ CKA_PRIVATE, &priv, sizeof(priv) },
		{ CKA_TRUSTED, &trusted, sizeof(trusted) },
	};
	ck_assert_int_eq(fl->C_GetAttributeValue(h, c, t, 12), CKR_OK);
	ck_assert_uint_eq(t[0].ulValueLen, derlen);
	ck_assert(memcmp(value, der, derlen) == 0);
	ck_assert_uint_eq(t[1].ulValueLen, (CK_ULONG)sl);
	ck_assert(memcmp(subject, subj, (size_t)sl) == 0);
	ck_assert(memcmp(issuer, subj, (size_t)sl) == 0); /* self-signed */
	static const uint8_t ser[] = { 0x02, 0x02, 0x12, 0x34 };
	ck_assert_uint_eq(t[3].ulValueLen, 4);
	ck_assert(memcmp(serial, ser, 4) == 0);
	uint8_t md[20];
	SHA1(der, derlen, md);
	ck_assert(memcmp(chk, md, 3) == 0);
	ck_assert_uint_eq(t[5].ulValueLen, sizeof(CK_DATE));
	ck_assert(start.year[0] == '2');
	ck_assert_uint_eq(cat, 1); /* token user: key on the token */
	ck_assert_uint_eq(ctype, CKC_X_509);
	ck_assert(tok && !priv && !trusted);
	OPENSSL_free(subj);
	X509_free(x);
}
END_TEST

START_TEST(test_get_attribute_semantics)
{
	CK_SESSION_HANDLE h = open_login(0, 0);
	CK_OBJECT_HANDLE k = find_key(h, CKO_PRIVATE_KEY, 1);
	char label[4];
	uint8_t d[256];
	uint8_t v[16];
	CK_KEY_TYPE kt = 99;
	CK_ATTRIBUTE t[] = {
		{ CKA_LABEL, label, sizeof(label) },         /* too small */
		{ CKA_PRIVATE_EXPONENT, d, sizeof(d) },      /* sensitive */
		{ CKA_VALUE, v, sizeof(v) },                 /* not a key attr */
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },           /* fine */
	};
	ck_assert_int_eq(fl->C_GetAttributeValue(h, k, t, 4), CKR_ATTRIBUTE_SENSITIVE);
	ck_assert_uint_eq(t[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	ck_assert_uint_eq(t[1].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	ck_assert_uint_eq(t[2].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	ck_assert_uint_eq(t[3].ulValueLen, sizeof(CK_KEY_TYPE));
	ck_assert_uint_eq(kt, CKK_RSA);
	CK_ATTRIBUTE t2[] = { { CKA_LABEL, label, sizeof(label) },
			      { CKA_VALUE, v, sizeof(v) } };
	ck_assert_int_eq(fl->C_GetAttributeValue(h, k, t2, 2), CKR_ATTRIBUTE_TYPE_INVALID);
	CK_ATTRIBUTE t3[] = { { CKA_LABEL, label, sizeof(label) } };
	ck_assert_int_eq(fl->C_GetAttributeValue(h, k, t3, 1), CKR_BUFFER_TOO_SMALL);
	ck_assert_uint_eq(t3[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	/* length query, then the value */
	CK_ATTRIBUTE q[] = { { CKA_MODULUS, NULL, 0 }, { CKA_LABEL, NULL, 0 } };
	ck_assert_int_eq(fl->C_GetAttributeValue(h, k, q, 2), CKR_OK);
	ck_assert_uint_eq(q[0].ulValueLen, 128); /* modulus from the pubkey */
	ck_assert_uint_eq(q[1].ulValueLen, 8);   /* "Fake Key" */
	uint8_t n[128];
	q[0].pValue = n;
	ck_assert_int_eq(fl->C_GetAttributeValue(h, k, q, 1), CKR_OK);
	BIGNUM *bn = NULL;
	ck_assert(EVP_PKEY_get_bn_param(fake_key0(), "n", &bn));
	uint8_t want[128];
	BN_bn2bin(bn, want);
	BN_free(bn);
	ck_assert(memcmp(n, want, 128) == 0);
	CK_BBOOL sens = 0, extr = 1, sign = 0, always_auth = 1;
	CK_ULONG bits = 0;
	CK_ATTRIBUTE b[] = {
		{ CKA_SENSITIVE, &sens, 1 }, { CKA_EXTRACTABLE, &extr, 1 },
		{ CKA_SIGN, &sign, 1 }, { CKA_ALWAYS_AUTHENTICATE, &always_auth, 1 },
		{ CKA_MODULUS_BITS, &bits, sizeof(bits) },
	};
	ck_assert_int_eq(fl->C_GetAttributeValue(h, k, b, 5), CKR_OK);
	ck_assert(sens && !extr && sign && !always_auth);
	ck_assert_uint_eq(bits, 1024);
	ck_assert_int_eq(fl->C_GetAttributeValue(h, k, NULL, 1), CKR_ARGUMENTS_BAD);
}
END_TEST

/* ---------------------------------------------------------------- sign */

static void verify_sig(const EVP_MD *md, int pad, int saltlen,
		       const uint8_t *data, size_t dlen, const uint8_t *sig,
		       size_t slen, int prehashed)
{
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(fake_key0(), NULL);
	ck_assert_ptr_nonnull(pc);
	ck_assert_int_eq(EVP_PKEY_verify_init(pc), 1);
	ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_padding(pc, pad), 1);
	if (md)
		ck_assert_int_eq(EVP_PKEY_CTX_set_signature_md(pc, md), 1);
	if (pad == RSA_PKCS1_PSS_PADDING)
		ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, saltlen), 1);
	uint8_t h[64];
	unsigned hl = 0;
	if (md && !prehashed) {
		EVP_Digest(data, dlen, h, &hl, md, NULL);
		data = h;
		dlen = hl;
	}
	ck_assert_int_eq(EVP_PKEY_verify(pc, sig, slen, data, dlen), 1);
	EVP_PKEY_CTX_free(pc);
}

START_TEST(test_sign_mechanisms)
{
	CK_SESSION_HANDLE h = open_login(0, 0);
	CK_OBJECT_HANDLE k = find_key(h, CKO_PRIVATE_KEY, 1);
	CK_OBJECT_HANDLE pub = find_key(h, CKO_PUBLIC_KEY, 1);
	static const uint8_t msg[] = "the quick brown fox";
	uint8_t sig[256];
	CK_ULONG sl;
	static const struct {
		CK_MECHANISM_TYPE m;
		int nid;
	} hm[] = {
		{ CKM_SHA1_RSA_PKCS, NID_sha1 }, { CKM_SHA224_RSA_PKCS, NID_sha224 },
		{ CKM_SHA256_RSA_PKCS, NID_sha256 }, { CKM_SHA384_RSA_PKCS, NID_sha384 },
		{ CKM_SHA512_RSA_PKCS, NID_sha512 },
	};
	for (size_t i = 0; i < sizeof(hm) / sizeof(hm[0]); i++) {
		CK_MECHANISM mech = { hm[i].m, NULL, 0 };
		ck_assert_int_eq(fl->C_SignInit(h, &mech, k), CKR_OK);
		sl = sizeof(sig);
		ck_assert_int_eq(fl->C_Sign(h, (CK_BYTE_PTR)msg, sizeof(msg), sig, &sl), CKR_OK);
		ck_assert_uint_eq(sl, 128);
		verify_sig(EVP_get_digestbynid(hm[i].nid), RSA_PKCS1_PADDING, 0, msg,
			   sizeof(msg), sig, sl, 0);
		/* and the module's own C_Verify agrees */
		ck_assert_int_eq(fl->C_VerifyInit(h, &mech, pub), CKR_OK);
		ck_assert_int_eq(fl->C_Verify(h, (CK_BYTE_PTR)msg, sizeof(msg), sig, sl), CKR_OK);
		sig[5] ^= 1;
		ck_assert_int_eq(fl->C_VerifyInit(h, &mech, pub), CKR_OK);
		ck_assert_int_eq(fl->C_Verify(h, (CK_BYTE_PTR)msg, sizeof(msg), sig, sl),
				 CKR_SIGNATURE_INVALID);
	}
	/* raw PKCS#1 v1.5 over a DigestInfo */
	uint8_t di[51] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
			   0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20 };
	SHA256(msg, sizeof(msg), di + 19);
	CK_MECHANISM pk = { CKM_RSA_PKCS, NULL, 0 };
	ck_assert_int_eq(fl->C_SignInit(h, &pk, k), CKR_OK);
	sl = sizeof(sig);
	ck_assert_int_eq(fl->C_Sign(h, di, sizeof(di), sig, &sl), CKR_OK);
	verify_sig(EVP_sha256(), RSA_PKCS1_PADDING, 0, di + 19, 32, sig, sl, 1);
	/* too long for PKCS#1 v1.5 */
	uint8_t big[120] = { 0 };
	ck_assert_int_eq(fl->C_SignInit(h, &pk, k), CKR_OK);
	sl = sizeof(sig);
	ck_assert_int_eq(fl->C_Sign(h, big, sizeof(big), sig, &sl), CKR_DATA_LEN_RANGE);
	ck_assert_int_eq(fl->C_Sign(h, big, 10, sig, &sl), CKR_OPERATION_NOT_INITIALIZED);

	/* PSS, hash on host */
	CK_RSA_PKCS_PSS_PARAMS pp = { CKM_SHA256, CKG_MGF1_SHA256, 32 };
	CK_MECHANISM pss = { CKM_SHA256_RSA_PKCS_PSS, &pp, sizeof(pp) };
	ck_assert_int_eq(fl->C_SignInit(h, &pss, k), CKR_OK);
	sl = sizeof(sig);
	ck_assert_int_eq(fl->C_Sign(h, (CK_BYTE_PTR)msg, sizeof(msg), sig, &sl), CKR_OK);
	verify_sig(EVP_sha256(), RSA_PKCS1_PSS_PADDING, 32, msg, sizeof(msg), sig, sl, 0);
	ck_assert_int_eq(fl->C_VerifyInit(h, &pss, pub), CKR_OK);
	ck_assert_int_eq(fl->C_Verify(h, (CK_BYTE_PTR)msg, sizeof(msg), sig, sl), CKR_OK);
	/* PSS over a given hash */
	CK_MECHANISM pss_raw = { CKM_RSA_PKCS_PSS, &pp, sizeof(pp) };
	uint8_t hsh[32];
	SHA256(msg, sizeof(msg), hsh);
	ck_assert_int_eq(fl->C_SignInit(h, &pss_raw, k), CKR_OK);
	sl = sizeof(sig);
	ck_assert_int_eq(fl->C_Sign(h, hsh, 31, sig, &sl), CKR_DATA_LEN_RANGE);
	ck_assert_int_eq(fl->C_SignInit(h, &pss_raw, k), CKR_OK);
	ck_assert_int_eq(fl->C_Sign(h, hsh, 32, sig, &sl), CKR_OK);
	verify_sig(EVP_sha256(), RSA_PKCS1_PSS_PADDING, 32, hsh, 32, sig, sl, 1);
	/* bad PSS parameters */
	CK_RSA_PKCS_PSS_PARAMS bad[] = {
		{ CKM_SHA_1, CKG_MGF1_SHA256, 32 },      /* hash mismatch */
		{ CKM_SHA256, 0x999, 32 },               /* unknown MGF */
		{ CKM_SHA256, CKG_MGF1_SHA256, 200 },    /* salt too long */
		{ CKM_MD5, CKG_MGF1_SHA256, 16 },        /* unknown hash */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CK_MECHANISM bm = { CKM_SHA256_RSA_PKCS_PSS, &bad[i], sizeof(bad[i]) };
		ck_assert_int_eq(fl->C_SignInit(h, &bm, k), CKR_MECHANISM_PARAM_INVALID);
	}
	CK_MECHANISM short_p = { CKM_SHA256_RSA_PKCS_PSS, &pp, sizeof(pp) - 1 };
	ck_assert_int_eq(fl->C_SignInit(h, &short_p, k), CKR_MECHANISM_PARAM_INVALID);
	CK_MECHANISM null_p = { CKM_RSA_PKCS_PSS, NULL, 0 };
	ck_assert_int_eq(fl->C_SignInit(h, &null_p, k), CKR_MECHANISM_PARAM_INVALID);

	/* raw X.509 */
	CK_MECHANISM x509 = { CKM_RSA_X_509, NULL, 0 };
	uint8_t blk[128];
	memset(blk, 0x5a, sizeof(blk));
	blk[0] = 0x01;
	ck_assert_int_eq(fl->C_SignInit(h, &x509, k), CKR_OK);
	sl = sizeof(sig);
	ck_assert_int_eq(fl->C_Sign(h, blk, sizeof(blk), sig, &sl), CKR_OK);
	uint8_t back[128];
	RSA *r = (RSA *)EVP_PKEY_get0_RSA(fake_key0());
	ck_assert_int_eq(RSA_public_decrypt(128, sig, back, r, RSA_NO_PADDING), 128);
	ck_assert(memcmp(back, blk, 128) == 0);
}
END_TEST

START_TEST(test_sign_protocol)
{
	CK_SESSION_HANDLE h = open_s(0, 0);
	CK_MECHANISM mech = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	CK_OBJECT_HANDLE pub = find_key(h, CKO_PUBLIC_KEY, 1);
	uint8_t sig[256], sig2[256];
	CK_ULONG sl = sizeof(sig);
	/* the private key is invisible before login */
	ck_assert_int_eq(fl->C_Sign(h, sig, 1, sig, &sl), CKR_OPERATION_NOT_INITIALIZED);
	ck_assert_int_eq(fl->C_SignInit(h, &mech, pub), CKR_KEY_TYPE_INCONSISTENT);
	ck_assert_int_eq(fl->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)"1234", 4), CKR_OK);
	CK_OBJECT_HANDLE k = find_key(h, CKO_PRIVATE_KEY, 1);
	CK_MECHANISM dig = { CKM_SHA256, NULL, 0 };
	ck_assert_int_eq(fl->C_SignInit(h, &dig, k), CKR_MECHANISM_INVALID);
	ck_assert_int_eq(fl->C_SignInit(h, NULL, k), CKR_ARGUMENTS_BAD);
	ck_assert_int_eq(fl->C_SignInit(h, &mech, 0x7777), CKR_KEY_HANDLE_INVALID);
	ck_assert_int_eq(fl->C_SignInit(h, &mech, k), CKR_OK);
	ck_assert_int_eq(fl->C_SignInit(h, &mech, k), CKR_OPERATION_ACTIVE);
	/* length query and too-small buffer keep the operation */
	static const uint8_t msg[] = "multi part message";
	sl = 0;
	ck_assert_int_eq(fl->C_Sign(h, (CK_BYTE_PTR)msg, sizeof(msg), NULL, &sl), CKR_OK);
	ck_assert_uint_eq(sl, 128);
	sl = 10;
	ck_assert_int_eq(fl->C_Sign(h, (CK_BYTE_PTR)msg, sizeof(msg), sig, &sl),
			 CKR_BUFFER_TOO_SMALL);
	ck_assert_uint_eq(sl, 128);
	ck_assert_int_eq(fl->C_Sign(h, (CK_BYTE_PTR)msg, sizeof(msg), sig, &sl), CKR_OK);
	/* multi-part gives the same (deterministic) signature */
	ck_assert_int_eq(fl->C_SignInit(h, &mech, k), CKR_OK);
	ck_assert_int_eq(fl->C_SignUpdate(h, (CK_BYTE_PTR)msg, 5), CKR_OK);
	ck_assert_int_eq(fl->C_SignUpdate(h, (CK_BYTE_PTR)msg + 5, sizeof(msg) - 5), CKR_OK);
	CK_ULONG sl2 = 0;
	ck_assert_int_eq(fl->C_SignFinal(h, NULL, &sl2), CKR_OK);
	ck_assert_uint_eq(sl2, 128);
	ck_assert_int_eq(fl->C_SignFinal(h, sig2, &sl2), CKR_OK);
	ck_assert(memcmp(sig, sig2, 128) == 0);
	ck_assert_int_eq(fl->C_SignFinal(h, sig2, &sl2), CKR_OPERATION_NOT_INITIALIZED);
	ck_assert_int_eq(fake_readers[0].signs, 2);
	/* multi-part verify */
	ck_assert_int_eq(fl->C_VerifyInit(h, &mech, pub), CKR_OK);
	ck_assert_int_eq(fl->C_VerifyUpdate(h, (CK_BYTE_PTR)msg, 3), CKR_OK);
	ck_assert_int_eq(fl->C_VerifyUpdate(h, (CK_BYTE_PTR)msg + 3, sizeof(msg) - 3), CKR_OK);
	ck_assert_int_eq(fl->C_VerifyFinal(h, sig, 127), CKR_SIGNATURE_LEN_RANGE);
	ck_assert_int_eq(fl->C_VerifyInit(h, &mech, pub), CKR_OK);
	ck_assert_int_eq(fl->C_VerifyFinal(h, sig, 128), CKR_SIGNATURE_INVALID); /* no data */
}
END_TEST

START_TEST(test_decrypt)
{
	CK_SESSION_HANDLE h = open_login(0, 0);
	CK_OBJECT_HANDLE k = find_key(h, CKO_PRIVATE_KEY, 1);
	CK_OBJECT_HANDLE pub = find_key(h, CKO_PUBLIC_KEY, 1);
	static const uint8_t secret[] = "session key bytes";
	uint8_t ct[128], pt[128];
	size_t ctl = sizeof(ct);
	/* OpenSSL encrypts (OAEP SHA-256 with a label), the token decrypts */
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(fake_key0(), NULL);
	ck_assert_int_eq(EVP_PKEY_encrypt_init(pc), 1);
	EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_OAEP_PADDING);
	EVP_PKEY_CTX_set_rsa_oaep_md(pc, EVP_sha256());
	EVP_PKEY_CTX_set_rsa_mgf1_md(pc, EVP_sha256());
	unsigned char *lab = OPENSSL_memdup("lbl", 3);
	EVP_PKEY_CTX_set0_rsa_oaep_label(pc, lab, 3);
	ck_assert_int_eq(EVP_PKEY_encrypt(pc, ct, &ctl, secret, sizeof(secret)), 1);
	EVP_PKEY_CTX_free(pc);
	CK_RSA_PKCS_OAEP_PARAMS op = { CKM_SHA256, CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED,
				       (void *)"lbl", 3 };
	CK_MECHANISM oaep = { CKM_RSA_PKCS_OAEP, &op, sizeof(op) };
	ck_assert_int_eq(fl->C_DecryptInit(h, &oaep, k), CKR_OK);
	CK_ULONG pl = 0;
	ck_assert_int_eq(fl->C_Decrypt(h, ct, 128, NULL, &pl), CKR_OK);
	ck_assert_uint_ge(pl, sizeof(secret));
	pl = 4;
	ck_assert_int_eq(fl->C_Decrypt(h, ct, 128, pt, &pl), CKR_BUFFER_TOO_SMALL);
	ck_assert_uint_eq(pl, sizeof(secret));
	ck_assert_int_eq(fl->C_Decrypt(h, ct, 128, pt, &pl), CKR_OK);
	ck_assert_uint_eq(pl, sizeof(secret));
	ck_assert(memcmp(pt, secret, sizeof(secret)) == 0);
	ck_assert_int_eq(fake_readers[0].signs, 1); /* one card operation */
	/* wrong label => bad padding */
	op.pSourceData = (void *)"LBL";
	ck_assert_int_eq(fl->C_DecryptInit(h, &oaep, k), CKR_OK);
	pl = sizeof(pt);
	ck_assert_int_eq(fl->C_Decrypt(h, ct, 128, pt, &pl), CKR_ENCRYPTED_DATA_INVALID);
	/* PKCS#1 v1.5 round trip through C_Encrypt with the public key */
	CK_MECHANISM v15 = { CKM_RSA_PKCS, NULL, 0 };
	CK_ULONG cl = sizeof(ct);
	ck_assert_int_eq(fl->C_EncryptInit(h, &v15, pub), CKR_OK);
	ck_assert_int_eq(fl->C_Encrypt(h, (CK_BYTE_PTR)secret, sizeof(secret), ct, &cl), CKR_OK);
	ck_assert_uint_eq(cl, 128);
	uint8_t chk[128];
	int l = RSA_private_decrypt(128, ct, chk, (RSA *)EVP_PKEY_get0_RSA(fake_key0()),
				    RSA_PKCS1_PADDING);
	ck_assert_int_eq(l, sizeof(secret));
	ck_assert_int_eq(fl->C_DecryptInit(h, &v15, k), CKR_OK);
	pl = sizeof(pt);
	ck_assert_int_eq(fl->C_Decrypt(h, ct, 128, pt, &pl), CKR_OK);
	ck_assert_uint_eq(pl, sizeof(secret));
	ck_assert(memcmp(pt, secret, sizeof(secret)) == 0);
	ck_assert_int_eq(fl->C_DecryptInit(h, &v15, k), CKR_OK);
	ck_assert_int_eq(fl->C_Decrypt(h, ct, 127, pt, &pl), CKR_ENCRYPTED_DATA_LEN_RANGE);
	/* raw: a card that drops leading zeros still yields k bytes */
	fake_readers[0].strip_zeros = 1;
	uint8_t m[128];
	for (int i = 0; i < 128; i++)
		m[i] = (uint8_t)(i < 3 ? 0 : i);
	ck_assert_int_eq(RSA_public_encrypt(128, m, ct, (RSA *)EVP_PKEY_get0_RSA(fake_key0()),
					    RSA_NO_PADDING), 128);
	CK_MECHANISM x509 = { CKM_RSA_X_509, NULL, 0 };
	ck_assert_int_eq(fl->C_DecryptInit(h, &x509, k), CKR_OK);
	pl = sizeof(pt);
	ck_assert_int_eq(fl->C_Decrypt(h, ct, 128, pt, &pl), CKR_OK);
	ck_assert_uint_eq(pl, 128);
	ck_assert(memcmp(pt, m, 128) == 0);
}
END_TEST

START_TEST(test_digest_random)
{
	CK_SESSION_HANDLE h = open_s(0, 0);
	CK_MECHANISM m = { CKM_SHA256, NULL, 0 };
	uint8_t out[64];
	CK_ULONG ol = sizeof(out);
	static const uint8_t abc_sha256[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
		0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
		0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad };
	ck_assert_int_eq(fl->C_DigestInit(h, &m), CKR_OK);
	ck_assert_int_eq(fl->C_Digest(h, (CK_BYTE_PTR)"abc", 3, out, &ol), CKR_OK);
	ck_assert_uint_eq(ol, 32);
	ck_assert(memcmp(out, abc_sha256, 32) == 0);
	ck_assert_int_eq(fl->C_DigestInit(h, &m), CKR_OK);
	ck_assert_int_eq(fl->C_DigestUpdate(h, (CK_BYTE_PTR)"a", 1), CKR_OK);
	ck_assert_int_eq(fl->C_DigestUpdate(h, (CK_BYTE_PTR)"bc", 2), CKR_OK);
	ol = sizeof(out);
	ck_assert_int_eq(fl->C_DigestFinal(h, out, &ol), CKR_OK);
	ck_assert(memcmp(out, abc_sha256, 32) == 0);
	uint8_t r[300];
	ck_assert_int_eq(fl->C_GenerateRandom(h, r, sizeof(r)), CKR_OK);
	/* chunks of 128: the fake's pattern restarts at each chunk */
	ck_assert_int_eq(r[0], 1);
	ck_assert_int_eq(r[1], 8);
	ck_assert_int_eq(r[128], 1);
	ck_assert_int_eq(r[296], 1); /* tail: fetched as 8, 4 used */
	ck_assert_int_eq(fl->C_GenerateRandom(h, NULL, 4), CKR_ARGUMENTS_BAD);
	ck_assert_int_eq(fl->C_SeedRandom(h, r, 4), CKR_RANDOM_SEED_NOT_SUPPORTED);
	/* base §5.7 C_CopyObject: phNewObject NULL */
	ck_assert_int_eq(fl->C_CopyObject(h, 1, NULL, 0, NULL), CKR_ARGUMENTS_BAD);
	ck_assert_int_eq(fl->C_CopyObject(0x55, 1, NULL, 0, NULL), CKR_SESSION_HANDLE_INVALID);
	ck_assert_int_eq(fl->C_GetFunctionStatus(h), CKR_FUNCTION_NOT_PARALLEL);
}
END_TEST

/* No public key object: the key's size and modulus come from its
 * certificate (read lazily). */
START_TEST(test_key_from_cert)
{
	fake_readers[0].hide_pub = 1;
	CK_SESSION_HANDLE h = open_login(0, 0);
	CK_OBJECT_HANDLE k = find_key(h, CKO_PRIVATE_KEY, 1);
	ck_assert_int_eq(fake_readers[0].reads, 0);
	CK_ULONG bits = 0;
	CK_ATTRIBUTE a = { CKA_MODULUS_BITS, &bits, sizeof(bits) };
	ck_assert_int_eq(fl->C_GetAttributeValue(h, k, &a, 1), CKR_OK);
	ck_assert_uint_eq(bits, 1024);
	ck_assert_int_eq(fake_readers[0].reads, 1);
	CK_RSA_PKCS_PSS_PARAMS pp = { CKM_SHA256, CKG_MGF1_SHA256, 20 };
	CK_MECHANISM pss = { CKM_SHA256_RSA_PKCS_PSS, &pp, sizeof(pp) };
	uint8_t sig[256];
	CK_ULONG sl = sizeof(sig);
	ck_assert_int_eq(fl->C_SignInit(h, &pss, k), CKR_OK);
	ck_assert_int_eq(fl->C_Sign(h, (CK_BYTE_PTR)"m", 1, sig, &sl), CKR_OK);
	ck_assert_uint_eq(sl, 128);
	verify_sig(EVP_sha256(), RSA_PKCS1_PSS_PADDING, 20, (const uint8_t *)"m", 1,
		   sig, sl, 0);
}
END_TEST

/* Malformed objects from the driver: every attribute of every object can
 * be read without crashing, and operations fail cleanly. */
START_TEST(test_hostile_objects)
{
	fake_readers[0].hostile = 1;
	CK_SESSION_HANDLE h = open_login(0, 0);
	CK_OBJECT_HANDLE o[16];
	CK_ULONG n = find(h, NULL, 0, o, 16);
	ck_assert_uint_eq(n, 5);
	static const CK_ATTRIBUTE_TYPE types[] = {
		CKA_CLASS, CKA_TOKEN, CKA_PRIVATE, CKA_LABEL, CKA_ID, CKA_VALUE,
		CKA_SUBJECT, CKA_ISSUER, CKA_SERIAL_NUMBER, CKA_CHECK_VALUE,
		CKA_START_DATE, CKA_END_DATE, CKA_PUBLIC_KEY_INFO, CKA_MODULUS,
		CKA_MODULUS_BITS, CKA_PUBLIC_EXPONENT, CKA_APPLICATION,
		CKA_OBJECT_ID, CKA_KEY_TYPE, CKA_SIGN, CKA_CERTIFICATE_CATEGORY,
	};
	for (CK_ULONG i = 0; i < n; i++) {
		for (size_t j = 0; j < sizeof(types) / sizeof(types[0]); j++) {
			uint8_t buf[512];
			CK_ATTRIBUTE a = { types[j], NULL, 0 };
			CK_RV rv = fl->C_GetAttributeValue(h, o[i], &a, 1);
			ck_assert(rv == CKR_OK || rv == CKR_ATTRIBUTE_TYPE_INVALID ||
				  rv == CKR_DEVICE_ERROR);
			if (rv != CKR_OK)
				continue;
			ck_assert_uint_le(a.ulValueLen, sizeof(buf));
			a.pValue = buf;
			a.ulValueLen = sizeof(buf);
			rv = fl->C_GetAttributeValue(h, o[i], &a, 1);
			ck_assert(rv == CKR_OK || rv == CKR_DEVICE_ERROR);
		}
	}
	CK_BYTE nine = 9;
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_ID, &nine, 1 } };
	CK_OBJECT_HANDLE k;
	ck_assert_uint_eq(find(h, t, 2, &k, 1), 1);
	CK_MECHANISM m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	ck_assert_int_eq(fl->C_SignInit(h, &m, k), CKR_KEY_SIZE_RANGE);
	char lab[200];
	CK_ATTRIBUTE la = { CKA_LABEL, lab, sizeof(lab) };
	ck_assert_int_eq(fl->C_GetAttributeValue(h, o[0], &la, 1), CKR_OK);
	ck_assert_uint_eq(la.ulValueLen, UKEY_LABEL_MAX - 1); /* cut, terminated */
}
END_TEST

/* ------------------------------------------------------ removal/reset */

START_TEST(test_removal)
{
	CK_SESSION_HANDLE h = open_login(0, 0);
	CK_SESSION_HANDLE h2 = open_s(0, 1);
	fake_remove(0);
	CK_SESSION_INFO si;
	ck_assert_int_eq(fl->C_GetSessionInfo(h, &si), CKR_DEVICE_REMOVED);
	ck_assert_int_eq(fl->C_GetSessionInfo(h, &si), CKR_SESSION_HANDLE_INVALID);
	ck_assert_int_eq(fl->C_GetSessionInfo(h2, &si), CKR_DEVICE_REMOVED);
	ck_assert_int_eq(fl->C_GetSessionInfo(h2, &si), CKR_SESSION_HANDLE_INVALID);
	CK_ULONG n;
	ck_assert_int_eq(fl->C_GetSlotList(CK_TRUE, NULL, &n), CKR_OK);
	ck_assert_int_eq(n, 1);
	CK_TOKEN_INFO ti;
	ck_assert_int_eq(fl->C_GetTokenInfo(0, &ti), CKR_TOKEN_NOT_PRESENT);
	ck_assert_int_eq(fake_readers[0].connected, 0);
	/* re-insertion: a fresh token, not logged in */
	fake_insert(0, fake_atr_known, sizeof(fake_atr_known));
	ck_assert_int_eq(fl->C_GetTokenInfo(0, &ti), CKR_OK);
	ck_assert_int_eq(fake_readers[0].binds, 2);
	h = open_s(0, 0);
	ck_assert_uint_eq(state_of(h), CKS_RO_PUBLIC_SESSION);
	/* a swap between two calls (remove + insert) is noticed too */
	fake_remove(0);
	fake_insert(0, fake_atr_known, sizeof(fake_atr_known));
	ck_assert_int_eq(fl->C_GetSessionInfo(h, &si), CKR_DEVICE_REMOVED);
	ck_assert_int_eq(fl->C_CloseSession(h), CKR_SESSION_HANDLE_INVALID);
}
END_TEST

START_TEST(test_removal_during_op)
{
	CK_SESSION_HANDLE h = open_login(0, 0);
	CK_OBJECT_HANDLE k = find_key(h, CKO_PRIVATE_KEY, 1);
	CK_MECHANISM mech = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	ck_assert_int_eq(fl->C_SignInit(h, &mech, k), CKR_OK);
	/* the card vanishes between the state check and the transaction */
	fake_readers[0].event_count += 2; /* removed and back: a new card */
	uint8_t sig[256] = { 0 }; /* the first 4 bytes are also the message */
	CK_ULONG sl = sizeof(sig);
	ck_assert_int_eq(fl->C_Sign(h, sig, 4, sig, &sl), CKR_DEVICE_REMOVED);
	ck_assert_int_eq(fl->C_Sign(h, sig, 4, sig, &sl), CKR_SESSION_HANDLE_INVALID);
}
END_TEST

START_TEST(test_reset)
{
	CK_SESSION_HANDLE h = open_login(0, 0);
	CK_OBJECT_HANDLE k = find_key(h, CKO_PRIVATE_KEY, 1);
	CK_MECHANISM mech = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	ck_assert_int_eq(fl->C_SignInit(h, &mech, k), CKR_OK);
	fake_readers[0].reset_pending = 1; /* someone reset the card */
	uint8_t sig[256] = { 0 }; /* the first 4 bytes are also the message */
	CK_ULONG sl = sizeof(sig);
	ck_assert_int_eq(fl->C_Sign(h, sig, 4, sig, &sl), CKR_USER_NOT_LOGGED_IN);
	ck_assert_int_eq(fake_readers[0].binds, 2); /* rebound */
	find_key(h, CKO_PUBLIC_KEY, 1);
	ck_assert_int_eq(fake_readers[0].lists, 2); /* someone else's reset: re-read */
	ck_assert_uint_eq(state_of(h), CKS_RO_PUBLIC_SESSION); /* login forgotten */
	ck_assert_int_eq(fl->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)"1234", 4), CKR_OK);
	ck_assert_int_eq(fl->C_SignInit(h, &mech, k), CKR_OK); /* same handle */
	ck_assert_int_eq(fl->C_Sign(h, sig, 4, sig, &sl), CKR_OK);
}
END_TEST

/* A driver without logout: C_Logout resets the card so that the PIN
 * verified on it really stops working. */
START_TEST(test_logout_resets)
{
	fake_no_logout = 1;
	CK_SESSION_HANDLE h = open_login(0, 0);
	ck_assert_int_eq(fake_readers[0].logged_in, 1);
	ck_assert_int_eq(fl->C_Logout(h), CKR_OK);
	ck_assert_int_eq(fake_readers[0].logged_in, 0);
	ck_assert_int_eq(fake_readers[0].resets, 1);
	ck_assert_int_eq(fake_readers[0].connected, 1);
	ck_assert_uint_eq(state_of(h), CKS_RO_PUBLIC_SESSION);
	/* the token rebinds and works */
	ck_assert_int_eq(fl->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)"1234", 4), CKR_OK);
	ck_assert_int_eq(fake_readers[0].binds, 2);
	CK_OBJECT_HANDLE k = find_key(h, CKO_PRIVATE_KEY, 1);
	ck_assert_int_eq(fake_readers[0].lists, 1); /* our reset: list kept */
	CK_MECHANISM mech = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	uint8_t sig[256] = { 0 }; /* the first 4 bytes are also the message */
	CK_ULONG sl = sizeof(sig);
	ck_assert_int_eq(fl->C_SignInit(h, &mech, k), CKR_OK);
	ck_assert_int_eq(fl->C_Sign(h, sig, 4, sig, &sl), CKR_OK);
	/* closing the last session logs out the same way */
	ck_assert_int_eq(fl->C_CloseSession(h), CKR_OK);
	ck_assert_int_eq(fake_readers[0].logged_in, 0);
	ck_assert_int_eq(fake_readers[0].resets, 2);
}
END_TEST

/* Sign 4 bytes with the private key of ID 1: CKR_OK or what failed. */
static CK_RV sign_once(CK_SESSION_HANDLE h)
{
	CK_OBJECT_HANDLE k = find_key(h, CKO_PRIVATE_KEY, 1);
	CK_MECHANISM mech = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	uint8_t sig[256];
	CK_ULONG sl = sizeof(sig);
	CK_RV rv = fl->C_SignInit(h, &mech, k);
	if (rv == CKR_OK)
		rv = fl->C_Sign(h, (CK_BYTE_PTR)"data", 4, sig, &sl);
	return rv;
}

/* A driver with reselect: our own reset (C_Logout, last session closed)
 * re-selects instead of unbinding and binding; the driver keeps its state
 * and the objects stay. */
START_TEST(test_logout_reselects)
{
	fake_no_logout = 1;
	fake_reselect = 1;
	fake_reader *r = &fake_readers[0];
	CK_SESSION_HANDLE h = open_login(0, 0);
	ck_assert_int_eq(sign_once(h), CKR_OK);
	ck_assert_int_eq(r->binds, 1);
	ck_assert_int_eq(r->lists, 1);
	ck_assert_int_eq(fl->C_Logout(h), CKR_OK);
	/* the card really forgot the PIN, the driver was not unbound, and
	 * nothing happens before the next transaction */
	ck_assert_int_eq(r->logged_in, 0);
	ck_assert_int_eq(r->resets, 1);
	ck_assert_int_eq(r->unbinds, 0);
	ck_assert_int_eq(r->reselects, 0);
	ck_assert_uint_eq(state_of(h), CKS_RO_PUBLIC_SESSION);
	ck_assert_int_eq(fl->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)"1234", 4), CKR_OK);
	ck_assert_int_eq(r->reselects, 1);
	ck_assert_int_eq(r->binds, 1); /* no bind */
	ck_assert_int_eq(r->unbinds, 0);
	ck_assert_int_eq(r->logged_in, 1);
	ck_assert_int_eq(sign_once(h), CKR_OK);
	ck_assert_int_eq(r->lists, 1); /* objects kept */

	/* the last session closing while logged in: the same */
	ck_assert_int_eq(fl->C_CloseSession(h), CKR_OK);
	ck_assert_int_eq(r->resets, 2);
	ck_assert_int_eq(r->logged_in, 0);
	h = open_login(0, 0);
	ck_assert_int_eq(r->reselects, 2);
	ck_assert_int_eq(r->binds, 1);
	ck_assert_int_eq(sign_once(h), CKR_OK);
	ck_assert_int_eq(r->lists, 1);

	/* a reset by someone else rebinds and re-reads, reselect or not */
	r->reset_pending = 1;
	ck_assert_int_eq(sign_once(h), CKR_USER_NOT_LOGGED_IN);
	ck_assert_int_eq(r->binds, 2);
	ck_assert_int_eq(r->unbinds, 1);
	ck_assert_int_eq(r->reselects, 2);
	find_key(h, CKO_PUBLIC_KEY, 1);
	ck_assert_int_eq(r->lists, 2);

	/* our reset, then someone else's before our next transaction: the
	 * foreign one wins (bind, re-read) */
	ck_assert_int_eq(fl->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)"1234", 4), CKR_OK);
	ck_assert_int_eq(fl->C_Logout(h), CKR_OK);
	ck_assert_int_eq(r->resets, 3);
	r->reset_pending = 1;
	ck_assert_int_eq(fl->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)"1234", 4), CKR_OK);
	ck_assert_int_eq(r->reselects, 2);
	ck_assert_int_eq(r->binds, 3);
	ck_assert_int_eq(sign_once(h), CKR_OK);
	ck_assert_int_eq(r->lists, 3);

	/* a reselect that fails falls back to a bind (objects kept) */
	ck_assert_int_eq(fl->C_Logout(h), CKR_OK);
	r->reselect_fails = 1;
	ck_assert_int_eq(fl->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)"1234", 4), CKR_OK);
	ck_assert_int_eq(r->reselects, 3);
	ck_assert_int_eq(r->binds, 4);
	ck_assert_int_eq(sign_once(h), CKR_OK);
	ck_assert_int_eq(r->lists, 3);
	r->reselect_fails = 0;

	/* our reset, then the card pulled and put back: a fresh token */
	ck_assert_int_eq(fl->C_Logout(h), CKR_OK);
	fake_remove(0);
	fake_insert(0, fake_atr_known, sizeof(fake_atr_known));
	CK_SESSION_INFO si;
	ck_assert_int_eq(fl->C_GetSessionInfo(h, &si), CKR_DEVICE_REMOVED);
	h = open_login(0, 0);
	ck_assert_int_eq(r->reselects, 3);
	ck_assert_int_eq(r->binds, 5);
	ck_assert_int_eq(sign_once(h), CKR_OK);
	ck_assert_int_eq(r->lists, 4);
}
END_TEST

/* ---------------------------------------------------------- writes */

START_TEST(test_keygen)
{
	CK_SESSION_HANDLE ro = open_login(0, 0);
	CK_SESSION_HANDLE h = open_s(0, 1);
	CK_OBJECT_HANDLE before[16], after[16];
	CK_ULONG nb = find(h, NULL, 0, before, 16);
	CK_MECHANISM gen = { CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0 };
	CK_ULONG bits = 1024;
	CK_BYTE id = 0x05;
	uint8_t e3[] = { 3 };
	CK_ATTRIBUTE pubt[] = { { CKA_MODULUS_BITS, &bits, sizeof(bits) },
				{ CKA_ID, &id, 1 }, { CKA_LABEL, "gen", 3 },
				{ CKA_TOKEN, &yes, 1 }, { CKA_VERIFY, &yes, 1 } };
	CK_ATTRIBUTE privt[] = { { CKA_ID, &id, 1 }, { CKA_SIGN, &yes, 1 },
				 { CKA_PRIVATE, &yes, 1 } };
	CK_OBJECT_HANDLE hpub, hpriv;
	ck_assert_int_eq(fl->C_GenerateKeyPair(ro, &gen, pubt, 5, privt, 3, &hpub, &hpriv),
			 CKR_SESSION_READ_ONLY);
	ck_assert_int_eq(fl->C_GenerateKeyPair(h, &gen, pubt + 1, 4, privt, 3, &hpub, &hpriv),
			 CKR_TEMPLATE_INCOMPLETE);
	CK_ULONG huge = 1536; /* in range, but not a size the profile lists */
	CK_ATTRIBUTE bigt[] = { { CKA_MODULUS_BITS, &huge, sizeof(huge) } };
	ck_assert_int_eq(fl->C_GenerateKeyPair(h, &gen, bigt, 1, privt, 3, &hpub, &hpriv),
			 CKR_KEY_SIZE_RANGE);
	CK_ATTRIBUTE et[] = { { CKA_MODULUS_BITS, &bits, sizeof(bits) },
			      { CKA_PUBLIC_EXPONENT, e3, 1 } };
	ck_assert_int_eq(fl->C_GenerateKeyPair(h, &gen, et, 2, privt, 3, &hpub, &hpriv),
			 CKR_ATTRIBUTE_VALUE_INVALID);
	CK_MECHANISM badm = { CKM_RSA_PKCS, NULL, 0 };
	ck_assert_int_eq(fl->C_GenerateKeyPair(h, &badm, pubt, 5, privt, 3, &hpub, &hpriv),
			 CKR_MECHANISM_INVALID);
	ck_assert_int_eq(fl->C_GenerateKeyPair(h, &gen, pubt, 5, privt, 3, &hpub, &hpriv),
			 CKR_OK);
	ck_assert_uint_ne(hpub, hpriv);
	ck_assert_uint_eq(find(h, NULL, 0, after, 16), nb + 2);
	ck_assert(memcmp(before, after + 0, 0) == 0);
	for (CK_ULONG i = 0; i < nb; i++) { /* old handles survive the reload */
		int seen = 0;
		for (CK_ULONG j = 0; j < nb + 2; j++)
			seen |= before[i] == after[j];
		ck_assert(seen);
	}
	ck_assert_uint_eq(find_key(h, CKO_PRIVATE_KEY, 5), hpriv);
	CK_BBOOL local = 0;
	CK_ULONG mb = 0;
	CK_ATTRIBUTE q[] = { { CKA_LOCAL, &local, 1 }, { CKA_MODULUS_BITS, &mb, sizeof(mb) } };
	ck_assert_int_eq(fl->C_GetAttributeValue(h, hpub, q, 2), CKR_OK);
	ck_assert(local);
	ck_assert_uint_eq(mb, 1024);
	/* sign with the new key, verify with the new public key */
	CK_MECHANISM m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	uint8_t sig[256];
	CK_ULONG sl = sizeof(sig);
	ck_assert_int_eq(fl->C_SignInit(h, &m, hpriv), CKR_OK);
	ck_assert_int_eq(fl->C_Sign(h, (CK_BYTE_PTR)"x", 1, sig, &sl), CKR_OK);
	ck_assert_int_eq(fl->C_VerifyInit(h, &m, hpub), CKR_OK);
	ck_assert_int_eq(fl->C_Verify(h, (CK_BYTE_PTR)"x", 1, sig, sl), CKR_OK);
	ck_assert_int_eq(fl->C_VerifyInit(h, &m, find_key(h, CKO_PUBLIC_KEY, 1)), CKR_OK);
	ck_assert_int_eq(fl->C_Verify(h, (CK_BYTE_PTR)"x", 1, sig, sl), CKR_SIGNATURE_INVALID);

	/* relabel, then destroy */
	CK_ATTRIBUTE lt = { CKA_LABEL, "renamed", 7 };
	ck_assert_int_eq(fl->C_SetAttributeValue(ro, hpriv, &lt, 1), CKR_SESSION_READ_ONLY);
	ck_assert_int_eq(fl->C_SetAttributeValue(h, hpriv, &lt, 1), CKR_OK);
	char lb[32];
	CK_ATTRIBUTE lq = { CKA_LABEL, lb, sizeof(lb) };
	ck_assert_int_eq(fl->C_GetAttributeValue(h, hpriv, &lq, 1), CKR_OK);
	ck_assert_uint_eq(lq.ulValueLen, 7);
	ck_assert(memcmp(lb, "renamed", 7) == 0);
	CK_ULONG kt = CKK_DSA;
	CK_ATTRIBUTE ro_attr = { CKA_KEY_TYPE, &kt, sizeof(kt) };
	ck_assert_int_eq(fl->C_SetAttributeValue(h, hpriv, &ro_attr, 1), CKR_ATTRIBUTE_READ_ONLY);
	ck_assert_int_eq(fl->C_DestroyObject(ro, hpriv), CKR_SESSION_READ_ONLY);
	ck_assert_int_eq(fl->C_DestroyObject(h, hpriv), CKR_OK);
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_ID, &id, 1 } };
	ck_assert_int_eq(find(h, t, 2, after, 16), 0);
	ck_assert_int_eq(fl->C_SignInit(h, &m, hpriv), CKR_KEY_HANDLE_INVALID);
}
END_TEST

START_TEST(test_create_rejects)
{
	CK_SESSION_HANDLE h = open_login(0, 1);
	CK_OBJECT_HANDLE o;
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_BBOOL no = CK_FALSE;
	uint8_t junk[10] = { 0x30, 0x08 };
	CK_ATTRIBUTE nocls[] = { { CKA_LABEL, "x", 1 } };
	ck_assert_int_eq(fl->C_CreateObject(h, nocls, 1, &o), CKR_TEMPLATE_INCOMPLETE);
	CK_ATTRIBUTE sess[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_TOKEN, &no, 1 } };
	/* a session certificate is accepted now (host memory): without its
	 * value it is incomplete like a token one */
	ck_assert_int_eq(fl->C_CreateObject(h, sess, 2, &o), CKR_TEMPLATE_INCOMPLETE);
	CK_ATTRIBUTE badcert[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_VALUE, junk, 10 } };
	ck_assert_int_eq(fl->C_CreateObject(h, badcert, 2, &o), CKR_ATTRIBUTE_VALUE_INVALID);
	CK_ATTRIBUTE novalue[] = { { CKA_CLASS, &cls, sizeof(cls) } };
	ck_assert_int_eq(fl->C_CreateObject(h, novalue, 1, &o), CKR_TEMPLATE_INCOMPLETE);
	CK_ATTRIBUTE nullval[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_VALUE, NULL, 10 } };
	ck_assert_int_eq(fl->C_CreateObject(h, nullval, 2, &o), CKR_ATTRIBUTE_VALUE_INVALID);
	CK_ATTRIBUTE good[] = { { CKA_CLASS, &cls, sizeof(cls) },
				{ CKA_VALUE, fake_readers[0].cert, fake_readers[0].cert_len } };
	ck_assert_int_eq(fl->C_CreateObject(h, good, 2, NULL), CKR_ARGUMENTS_BAD);
	CK_OBJECT_CLASS pubc = CKO_PUBLIC_KEY;
	CK_KEY_TYPE dsa = CKK_DSA;
	CK_ATTRIBUTE pubt[] = { { CKA_CLASS, &pubc, sizeof(pubc) },
				{ CKA_KEY_TYPE, &dsa, sizeof(dsa) } };
	ck_assert_int_eq(fl->C_CreateObject(h, pubt, 2, &o), CKR_ATTRIBUTE_VALUE_INVALID);
	CK_SESSION_HANDLE ro = open_s(0, 0);
	ck_assert_int_eq(fl->C_CreateObject(ro, good, 2, &o), CKR_SESSION_READ_ONLY);
}
END_TEST

START_TEST(test_create_objects)
{
	CK_SESSION_HANDLE h = open_s(0, 1);
	CK_OBJECT_HANDLE o, o2;
	CK_OBJECT_CLASS dc = CKO_DATA, cc = CKO_CERTIFICATE, kc = CKO_PRIVATE_KEY;
	CK_BBOOL t = CK_TRUE;
	static const uint8_t val[] = "the data value";
	CK_ATTRIBUTE data[] = { { CKA_CLASS, &dc, sizeof(dc) }, { CKA_PRIVATE, &t, 1 },
				{ CKA_LABEL, "dlabel", 6 }, { CKA_APPLICATION, "myapp", 5 },
				{ CKA_VALUE, (void *)val, sizeof(val) } };
	ck_assert_int_eq(fl->C_CreateObject(h, data, 5, &o), CKR_USER_NOT_LOGGED_IN);
	ck_assert_int_eq(fl->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)"1234", 4), CKR_OK);
	ck_assert_int_eq(fl->C_CreateObject(h, data, 5, &o), CKR_OK);
	CK_ATTRIBUTE q[] = { { CKA_CLASS, &dc, sizeof(dc) }, { CKA_APPLICATION, "myapp", 5 } };
	ck_assert_uint_eq(find(h, q, 2, &o2, 1), 1);
	ck_assert_uint_eq(o2, o);
	uint8_t back[64];
	CK_ATTRIBUTE v = { CKA_VALUE, back, sizeof(back) };
	ck_assert_int_eq(fl->C_GetAttributeValue(h, o, &v, 1), CKR_OK);
	ck_assert_uint_eq(v.ulValueLen, sizeof(val));
	ck_assert(memcmp(back, val, sizeof(val)) == 0);
	/* a certificate */
	CK_BYTE id = 0x77;
	CK_ATTRIBUTE cert[] = { { CKA_CLASS, &cc, sizeof(cc) }, { CKA_ID, &id, 1 },
				{ CKA_VALUE, fake_readers[0].cert, fake_readers[0].cert_len } };
	ck_assert_int_eq(fl->C_CreateObject(h, cert, 3, &o2), CKR_OK);
	ck_assert_uint_ne(o2, o);
	ck_assert_uint_eq(find_key(h, CKO_CERTIFICATE, 0x77), o2);
	/* RSA private key import: every CRT component reaches the driver */
	EVP_PKEY *k0 = fake_key0();
	static const char *names[8] = { "n", "e", "d", "rsa-factor1", "rsa-factor2",
					"rsa-exponent1", "rsa-exponent2",
					"rsa-coefficient1" };
	static const CK_ATTRIBUTE_TYPE types[8] = {
		CKA_MODULUS, CKA_PUBLIC_EXPONENT, CKA_PRIVATE_EXPONENT, CKA_PRIME_1,
		CKA_PRIME_2, CKA_EXPONENT_1, CKA_EXPONENT_2, CKA_COEFFICIENT };
	uint8_t comp[8][128];
	CK_KEY_TYPE rsa = CKK_RSA;
	CK_BYTE kid = 0x66;
	CK_ATTRIBUTE kt[11] = { { CKA_CLASS, &kc, sizeof(kc) },
				{ CKA_KEY_TYPE, &rsa, sizeof(rsa) }, { CKA_ID, &kid, 1 } };
	for (int i = 0; i < 8; i++) {
		BIGNUM *b = NULL;
		ck_assert(EVP_PKEY_get_bn_param(k0, names[i], &b));
		int l = BN_bn2bin(b, comp[i]);
		BN_free(b);
		kt[3 + i] = (CK_ATTRIBUTE){ types[i], comp[i], (CK_ULONG)l };
	}
	ck_assert_int_eq(fl->C_CreateObject(h, kt, 10, &o), CKR_TEMPLATE_INCOMPLETE);
	ck_assert_int_eq(fl->C_CreateObject(h, kt, 11, &o), CKR_OK);
	ck_assert_uint_eq(find_key(h, CKO_PRIVATE_KEY, 0x66), o);
	CK_BBOOL local = 1, asens = 1;
	CK_ATTRIBUTE la[] = { { CKA_LOCAL, &local, 1 }, { CKA_ALWAYS_SENSITIVE, &asens, 1 } };
	ck_assert_int_eq(fl->C_GetAttributeValue(h, o, la, 2), CKR_OK);
	ck_assert(!local && !asens); /* imported: not generated on the card */
	CK_MECHANISM m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	uint8_t sig[256];
	CK_ULONG sl = sizeof(sig);
	ck_assert_int_eq(fl->C_SignInit(h, &m, o), CKR_OK);
	ck_assert_int_eq(fl->C_Sign(h, (CK_BYTE_PTR)"imp", 3, sig, &sl), CKR_OK);
	verify_sig(EVP_sha256(), RSA_PKCS1_PADDING, 0, (const uint8_t *)"imp", 3,
		   sig, sl, 0);
}
END_TEST

START_TEST(test_init_token_pin)
{
	CK_SESSION_HANDLE h = open_s(0, 1);
	CK_UTF8CHAR label[32];
	memset(label, ' ', sizeof(label));
	memcpy(label, "Fresh", 5);
	ck_assert_int_eq(fl->C_InitToken(0, (CK_UTF8CHAR_PTR)"87654321", 8, label),
			 CKR_SESSION_EXISTS);
	ck_assert_int_eq(fl->C_CloseSession(h), CKR_OK);
	ck_assert_int_eq(fl->C_InitToken(0, (CK_UTF8CHAR_PTR)"87654321", 8, NULL),
			 CKR_ARGUMENTS_BAD);
	ck_assert_int_eq(fl->C_InitToken(0, (CK_UTF8CHAR_PTR)"00000000", 8, label),
			 CKR_PIN_INCORRECT);
	ck_assert_int_eq(fl->C_InitToken(0, (CK_UTF8CHAR_PTR)"87654321", 8, label), CKR_OK);
	CK_TOKEN_INFO ti;
	ck_assert_int_eq(fl->C_GetTokenInfo(0, &ti), CKR_OK);
	ck_assert(memcmp(ti.label, "Fresh ", 6) == 0); /* re-bound, trimmed label */
	ck_assert_int_eq(fake_readers[0].binds, 2);
	/* SO sets a new user PIN */
	h = open_s(0, 1);
	ck_assert_int_eq(fl->C_InitPIN(h, (CK_UTF8CHAR_PTR)"4321", 4), CKR_USER_NOT_LOGGED_IN);
	ck_assert_int_eq(fl->C_Login(h, CKU_SO, (CK_UTF8CHAR_PTR)"87654321", 8), CKR_OK);
	ck_assert_uint_eq(state_of(h), CKS_RW_SO_FUNCTIONS);
	CK_SESSION_HANDLE ro;
	ck_assert_int_eq(fl->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &ro),
			 CKR_SESSION_READ_WRITE_SO_EXISTS);
	ck_assert_int_eq(fl->C_InitPIN(h, (CK_UTF8CHAR_PTR)"4321", 4), CKR_OK);
	ck_assert_int_eq(fl->C_Logout(h), CKR_OK);
	ck_assert_int_eq(fl->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)"1234", 4), CKR_PIN_INCORRECT);
	ck_assert_int_eq(fl->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)"4321", 4), CKR_OK);
}
END_TEST

/* ---------------------------------------------------------- events */

static void *waiter(void *arg)
{
	CK_SLOT_ID slot;
	*(CK_RV *)arg = fl->C_WaitForSlotEvent(0, &slot, NULL);
	return NULL;
}

START_TEST(test_slot_events)
{
	CK_SLOT_ID slot = 99;
	ck_assert_int_eq(fl->C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, NULL), CKR_NO_EVENT);
	ck_assert_int_eq(fl->C_WaitForSlotEvent(CKF_DONT_BLOCK, NULL, NULL), CKR_ARGUMENTS_BAD);
	fake_remove(0);
	ck_assert_int_eq(fl->C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, NULL), CKR_OK);
	ck_assert_uint_eq(slot, 0);
	ck_assert_int_eq(fl->C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, NULL), CKR_NO_EVENT);
	fake_insert(2, fake_atr_known, sizeof(fake_atr_known));
	ck_assert_int_eq(fl->C_WaitForSlotEvent(0, &slot, NULL), CKR_OK);
	ck_assert_uint_eq(slot, 2);
	/* a blocked wait returns when the module is finalised */
	CK_RV rv = 0xdead;
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, waiter, &rv), 0);
	while (fake_wait_calls < 3)
		; /* spin until the waiter blocks in the backend */
	ck_assert_int_eq(fl->C_Finalize(NULL), CKR_OK);
	pthread_join(t, NULL);
	ck_assert_int_eq(rv, CKR_CRYPTOKI_NOT_INITIALIZED);
	ck_assert_int_eq(fl->C_Initialize(NULL), CKR_OK); /* for teardown */
}
END_TEST

/* ---------------------------------------------------------- threads */

struct thr {
	CK_SLOT_ID slot;
	int ok;
};

static void *signer(void *arg)
{
	struct thr *t = arg;
	CK_SESSION_HANDLE h;
	if (fl->C_OpenSession(t->slot, CKF_SERIAL_SESSION, NULL, NULL, &h) != CKR_OK)
		return NULL;
	CK_RV rv = fl->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)"1234", 4);
	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN)
		return NULL;
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE tm = { CKA_CLASS, &cls, sizeof(cls) };
	CK_OBJECT_HANDLE k;
	CK_ULONG n;
	if (fl->C_FindObjectsInit(h, &tm, 1) != CKR_OK ||
	    fl->C_FindObjects(h, &k, 1, &n) != CKR_OK || n != 1 ||
	    fl->C_FindObjectsFinal(h) != CKR_OK)
		return NULL;
	CK_MECHANISM m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	for (int i = 0; i < 25; i++) {
		uint8_t sig[256];
		CK_ULONG sl = sizeof(sig);
		if (fl->C_SignInit(h, &m, k) != CKR_OK ||
		    fl->C_Sign(h, (CK_BYTE_PTR)&i, sizeof(i), sig, &sl) != CKR_OK ||
		    sl != 128)
			return NULL;
	}
	t->ok = 1;
	return NULL;
}

START_TEST(test_threads)
{
	/* slot 2 gets a second personalised token */
	fake_reader *r2 = &fake_readers[2];
	fake_insert(2, fake_atr_known, sizeof(fake_atr_known));
	EVP_PKEY_up_ref(fake_key0());
	r2->keys[0] = fake_readers[0].keys[0];
	r2->keys[0].pkey = fake_key0();
	r2->nkeys = 1;
	struct thr t[4] = { { 0, 0 }, { 0, 0 }, { 2, 0 }, { 2, 0 } };
	pthread_t th[4];
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, signer, &t[i]), 0);
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		ck_assert_msg(t[i].ok, "thread %d failed", i);
	}
	ck_assert_int_eq(fake_readers[0].signs, 50);
	ck_assert_int_eq(fake_readers[2].signs, 50);
}
END_TEST


/* ------------------------------------------------- per-class listing */

static void setup_lazy(void)
{
	fake_list_class = 1; /* read at bind time: before the first use */
	setup();
}

static void teardown_lazy(void)
{
	teardown();
	fake_list_class = 0;
}

static int class_reads(int cls)
{
	return fake_readers[0].class_lists[cls];
}

START_TEST(test_lazy_classes)
{
	CK_SESSION_HANDLE h = open_login(0, 1);
	CK_OBJECT_CLASS pk = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &pk, sizeof(pk) }, { CKA_SIGN, &yes, 1 } };
	CK_OBJECT_HANDLE k[4], k2[4], all[16];
	ck_assert_int_eq(find(h, t, 2, k, 4), 1);
	/* only the private keys were read */
	ck_assert_int_eq(class_reads(UKEY_OBJ_PRIVKEY), 1);
	ck_assert_int_eq(class_reads(UKEY_OBJ_PUBKEY), 0);
	ck_assert_int_eq(class_reads(UKEY_OBJ_CERT), 0);
	ck_assert_int_eq(class_reads(UKEY_OBJ_DATA), 0);
	ck_assert_int_eq(fake_readers[0].lists, 0);
	/* the key signs and the signature verifies; the fake's private keys
	 * carry no size, so the public keys and certificates (two classes:
	 * one full listing) are read for it */
	static const uint8_t msg[] = "lazy listing";
	uint8_t sig[256] = { 0 }; /* the first 4 bytes are also the message */
	CK_ULONG sl = sizeof(sig);
	CK_MECHANISM mech = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	ck_assert_int_eq(fl->C_SignInit(h, &mech, k[0]), CKR_OK);
	ck_assert_int_eq(fl->C_Sign(h, (CK_BYTE_PTR)msg, sizeof(msg), sig, &sl), CKR_OK);
	verify_sig(EVP_sha256(), RSA_PKCS1_PADDING, 0, msg, sizeof(msg), sig, sl, 0);
	ck_assert_int_eq(fake_readers[0].lists, 1);
	ck_assert_int_eq(class_reads(UKEY_OBJ_PRIVKEY), 1);
	ck_assert_int_eq(class_reads(UKEY_OBJ_PUBKEY) + class_reads(UKEY_OBJ_CERT) +
			 class_reads(UKEY_OBJ_DATA), 0);
	/* cached: the same find and a find of everything read nothing; the
	 * key keeps its handle */
	ck_assert_int_eq(find(h, t, 2, k2, 4), 1);
	ck_assert_uint_eq(k2[0], k[0]);
	ck_assert_int_eq(find(h, NULL, 0, all, 16), 5);
	ck_assert_int_eq(fake_readers[0].lists, 1);
	ck_assert_int_eq(class_reads(UKEY_OBJ_PRIVKEY), 1);
	int seen = 0;
	for (int i = 0; i < 5; i++)
		seen += all[i] == k[0];
	ck_assert_int_eq(seen, 1);
	/* our own write: every class is stale; a find with a class reads
	 * that class only, handles stay */
	CK_ATTRIBUTE lab = { CKA_LABEL, "renamed", 7 };
	ck_assert_int_eq(fl->C_SetAttributeValue(h, k[0], &lab, 1), CKR_OK);
	ck_assert_int_eq(find(h, t, 2, k2, 4), 1);
	ck_assert_uint_eq(k2[0], k[0]);
	ck_assert_int_eq(class_reads(UKEY_OBJ_PRIVKEY), 2);
	char lb[32];
	CK_ATTRIBUTE la = { CKA_LABEL, lb, sizeof(lb) };
	ck_assert_int_eq(fl->C_GetAttributeValue(h, k[0], &la, 1), CKR_OK);
	ck_assert_uint_eq(la.ulValueLen, 7);
	ck_assert(memcmp(lb, "renamed", 7) == 0);
	/* the key's subject needs the certificates: that class is read */
	uint8_t subj[256];
	CK_ATTRIBUTE sa = { CKA_SUBJECT, subj, sizeof(subj) };
	ck_assert_int_eq(fl->C_GetAttributeValue(h, k[0], &sa, 1), CKR_OK);
	ck_assert_uint_gt(sa.ulValueLen, 0);
	ck_assert_int_eq(class_reads(UKEY_OBJ_CERT), 1);
	CK_OBJECT_HANDLE c = find_key(h, CKO_CERTIFICATE, 1);
	ck_assert_int_eq(class_reads(UKEY_OBJ_CERT), 1);
	/* a handle of a stale class: that class is read first */
	ck_assert_int_eq(fl->C_SetAttributeValue(h, k[0], &lab, 1), CKR_OK);
	CK_ATTRIBUTE ca = { CKA_LABEL, lb, sizeof(lb) };
	ck_assert_int_eq(fl->C_GetAttributeValue(h, c, &ca, 1), CKR_OK);
	ck_assert_int_eq(class_reads(UKEY_OBJ_CERT), 2);
	ck_assert_int_eq(class_reads(UKEY_OBJ_PRIVKEY), 2);
	ck_assert_int_eq(class_reads(UKEY_OBJ_DATA), 0);
	/* a find without a class, several classes stale: one full listing */
	ck_assert_int_eq(find(h, NULL, 0, all, 16), 5);
	ck_assert_int_eq(fake_readers[0].lists, 2);
	/* a class no token object has: nothing read */
	CK_OBJECT_CLASS sk = CKO_SECRET_KEY;
	CK_ATTRIBUTE st[] = { { CKA_CLASS, &sk, sizeof(sk) } };
	ck_assert_int_eq(fl->C_SetAttributeValue(h, k[0], &lab, 1), CKR_OK);
	ck_assert_int_eq(find(h, st, 1, all, 16), 0);
	ck_assert_int_eq(fake_readers[0].lists, 2);
	ck_assert_int_eq(class_reads(UKEY_OBJ_DATA), 0);
}
END_TEST

START_TEST(test_lazy_reset_and_removal)
{
	CK_SESSION_HANDLE h = open_login(0, 0);
	CK_OBJECT_HANDLE k = find_key(h, CKO_PRIVATE_KEY, 1);
	ck_assert_int_eq(class_reads(UKEY_OBJ_PRIVKEY), 1);
	/* someone else resets the card: login gone, the class re-read */
	CK_MECHANISM mech = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	ck_assert_int_eq(fl->C_SignInit(h, &mech, k), CKR_OK);
	fake_readers[0].reset_pending = 1;
	uint8_t sig[256] = { 0 }; /* the first 4 bytes are also the message */
	CK_ULONG sl = sizeof(sig);
	ck_assert_int_eq(fl->C_Sign(h, sig, 4, sig, &sl), CKR_USER_NOT_LOGGED_IN);
	ck_assert_uint_eq(state_of(h), CKS_RO_PUBLIC_SESSION);
	ck_assert_int_eq(fl->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)"1234", 4), CKR_OK);
	ck_assert_uint_eq(find_key(h, CKO_PRIVATE_KEY, 1), k);
	ck_assert_int_eq(class_reads(UKEY_OBJ_PRIVKEY), 2);
	ck_assert_int_eq(fake_readers[0].lists, 1); /* only SignInit's */
	/* the card goes away while a class is listed */
	fl->C_Logout(h);
	ck_assert_int_eq(fl->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)"1234", 4), CKR_OK);
	CK_OBJECT_CLASS cc = CKO_CERTIFICATE;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cc, sizeof(cc) } };
	fake_readers[0].removed_midway = 1;
	ck_assert_int_eq(fl->C_FindObjectsInit(h, t, 1), CKR_DEVICE_REMOVED);
	ck_assert_int_eq(fl->C_FindObjectsInit(h, t, 1), CKR_SESSION_HANDLE_INVALID);
}
END_TEST

/* The card answers nothing (pulled during the APDU) and the driver makes
 * "file not found" of it: still a removal, in every listing mode. */
START_TEST(test_empty_answer_is_removal)
{
	CK_SESSION_HANDLE h = open_login(0, 0);
	fake_readers[0].empty_answer = 1;
	CK_OBJECT_CLASS pk = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &pk, sizeof(pk) } };
	ck_assert_int_eq(fl->C_FindObjectsInit(h, t, 1), CKR_DEVICE_REMOVED);
	ck_assert_int_eq(fl->C_FindObjectsInit(h, t, 1), CKR_SESSION_HANDLE_INVALID);
	/* the card is back: a fresh token, bound again */
	fake_readers[0].empty_answer = 0;
	h = open_login(0, 0);
	ck_assert_int_eq(fake_readers[0].binds, 2);
	ck_assert_uint_ne(find_key(h, CKO_PRIVATE_KEY, 1), CK_INVALID_HANDLE);
}
END_TEST

/* A 1-byte answer has no status word either: a removal too (the rule of
 * the card channel, drivers/card_open.c), not malformed data. */
START_TEST(test_short_answer_is_removal)
{
	CK_SESSION_HANDLE h = open_login(0, 0);
	fake_readers[0].short_answer = 1;
	CK_OBJECT_CLASS pk = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &pk, sizeof(pk) } };
	ck_assert_int_eq(fl->C_FindObjectsInit(h, t, 1), CKR_DEVICE_REMOVED);
	ck_assert_int_eq(fl->C_FindObjectsInit(h, t, 1), CKR_SESSION_HANDLE_INVALID);
	fake_readers[0].short_answer = 0;
	h = open_login(0, 0);
	ck_assert_int_eq(fake_readers[0].binds, 2);
	ck_assert_uint_ne(find_key(h, CKO_PRIVATE_KEY, 1), CK_INVALID_HANDLE);
}
END_TEST

/* ------------------------------------- SHA-256 finished on the card */

/* The fake driver offers sign_sha256_state (issue 11: the ePass2003's PSO
 * HASH with the host's midstate). Set after setup, before the first use
 * binds the token (fake_setup clears the flags). */
static void setup_card_hash(void)
{
	setup();
	fake_sha256_state = 1;
}

static void fill_msg(uint8_t *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		m[i] = (uint8_t)(i * 131 + 7 + (i >> 8));
}

/* OpenSSL's own signature (PKCS#1 v1.5 is deterministic) and check. */
static void openssl_sig(const uint8_t *m, size_t len, uint8_t sig[128])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	size_t sl = 128;
	ck_assert_int_eq(EVP_DigestSignInit(c, NULL, EVP_sha256(), NULL, fake_key0()), 1);
	ck_assert_int_eq(EVP_DigestSign(c, sig, &sl, m, len), 1);
	ck_assert_uint_eq(sl, 128);
	EVP_MD_CTX_free(c);
}

static void verify_sha256_msg(const uint8_t *m, size_t len, const uint8_t *sig,
			      size_t sl)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	ck_assert_int_eq(EVP_DigestVerifyInit(c, NULL, EVP_sha256(), NULL, fake_key0()), 1);
	ck_assert_int_eq(EVP_DigestVerify(c, sig, sl, m, len), 1);
	EVP_MD_CTX_free(c);
}

/* The last sign_sha256_state call was given len/64 blocks and the
 * message's last len%64 bytes. */
static void check_state_call(const uint8_t *m, size_t len)
{
	fake_reader *r = &fake_readers[0];
	ck_assert_uint_eq(r->state_blocks, len / 64);
	ck_assert_uint_eq(r->state_tail_len, len % 64);
	ck_assert(memcmp(r->state_tail, m + 64 * (len / 64), len % 64) == 0);
	ck_assert_uint_eq(r->state_outcap, 128);
}

START_TEST(test_card_hash_lengths)
{
	static const size_t lens[] = { 0, 1, 55, 56, 63, 64, 65, 1000, 100000 };
	static const size_t chunks[] = { 1, 7, 0, 13, 64, 63, 65, 127, 3, 200, 31, 4096 };
	const size_t nl = sizeof(lens) / sizeof(lens[0]);
	const size_t nc = sizeof(chunks) / sizeof(chunks[0]);
	fake_reader *r = &fake_readers[0];
	uint8_t *msg = malloc(100000);
	ck_assert_ptr_nonnull(msg);
	fill_msg(msg, 100000);
	CK_SESSION_HANDLE h = open_login(0, 0);
	CK_OBJECT_HANDLE k = find_key(h, CKO_PRIVATE_KEY, 1);
	CK_MECHANISM mech = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	for (size_t i = 0; i < nl; i++) {
		size_t len = lens[i];
		uint8_t sig[256], sig2[256], want[128];
		openssl_sig(msg, len, want);

		/* one-shot; the size query and a too small buffer do no I/O */
		ck_assert_int_eq(fl->C_SignInit(h, &mech, k), CKR_OK);
		int begins = r->begins, signs = r->state_signs;
		CK_ULONG sl = 0;
		ck_assert_int_eq(fl->C_Sign(h, len ? msg : NULL, len, NULL, &sl), CKR_OK);
		ck_assert_uint_eq(sl, 128);
		sl = 127;
		ck_assert_int_eq(fl->C_Sign(h, msg, len, sig, &sl), CKR_BUFFER_TOO_SMALL);
		ck_assert_uint_eq(sl, 128);
		ck_assert_int_eq(r->begins, begins);
		ck_assert_int_eq(r->state_signs, signs);
		sl = sizeof(sig);
		ck_assert_int_eq(fl->C_Sign(h, len ? msg : NULL, len, sig, &sl), CKR_OK);
		ck_assert_uint_eq(sl, 128);
		ck_assert_int_eq(r->state_signs, signs + 1);
		check_state_call(msg, len);
		verify_sha256_msg(msg, len, sig, sl);
		ck_assert(memcmp(sig, want, 128) == 0);

		/* multi-part, odd chunks (a different start for each length) */
		ck_assert_int_eq(fl->C_SignInit(h, &mech, k), CKR_OK);
		size_t off = 0;
		for (size_t j = i; off < len; j++) {
			size_t c = chunks[j % nc];
			if (c > len - off)
				c = len - off;
			ck_assert_int_eq(fl->C_SignUpdate(h, c ? msg + off : NULL, c), CKR_OK);
			off += c;
		}
		ck_assert_int_eq(fl->C_SignUpdate(h, NULL, 0), CKR_OK);
		begins = r->begins;
		CK_ULONG sl2 = 0;
		ck_assert_int_eq(fl->C_SignFinal(h, NULL, &sl2), CKR_OK);
		ck_assert_uint_eq(sl2, 128);
		sl2 = 5;
		ck_assert_int_eq(fl->C_SignFinal(h, sig2, &sl2), CKR_BUFFER_TOO_SMALL);
		ck_assert_int_eq(r->begins, begins);
		sl2 = sizeof(sig2);
		ck_assert_int_eq(fl->C_SignFinal(h, sig2, &sl2), CKR_OK);
		ck_assert_uint_eq(sl2, 128);
		check_state_call(msg, len);
		verify_sha256_msg(msg, len, sig2, sl2);
		ck_assert(memcmp(sig2, want, 128) == 0);
		ck_assert_int_eq(fl->C_SignFinal(h, sig2, &sl2), CKR_OPERATION_NOT_INITIALIZED);
	}
	ck_assert_int_eq(r->state_signs, 2 * (int)nl);
	ck_assert_int_eq(r->state_refusals, 0);
	ck_assert_int_eq(r->signs, 0); /* sign_raw never called */
	/* the module's C_Verify (host) agrees */
	CK_OBJECT_HANDLE pub = find_key(h, CKO_PUBLIC_KEY, 1);
	uint8_t sig[128];
	CK_ULONG sl = sizeof(sig);
	ck_assert_int_eq(fl->C_SignInit(h, &mech, k), CKR_OK);
	ck_assert_int_eq(fl->C_Sign(h, msg, 1000, sig, &sl), CKR_OK);
	ck_assert_int_eq(fl->C_VerifyInit(h, &mech, pub), CKR_OK);
	ck_assert_int_eq(fl->C_Verify(h, msg, 1000, sig, sl), CKR_OK);
	free(msg);
}
END_TEST

/* The other mechanisms keep the raw path with the op offered. */
START_TEST(test_card_hash_other_mechs)
{
	fake_reader *r = &fake_readers[0];
	CK_MECHANISM_INFO mi;
	ck_assert_int_eq(fl->C_GetMechanismInfo(0, CKM_SHA256_RSA_PKCS, &mi), CKR_OK);
	ck_assert_uint_eq(mi.flags, CKF_SIGN | CKF_VERIFY | CKF_HW);
	ck_assert_int_eq(fake_readers[0].connected, 0); /* no card I/O */
	CK_SESSION_HANDLE h = open_login(0, 0);
	CK_OBJECT_HANDLE k = find_key(h, CKO_PRIVATE_KEY, 1);
	static const uint8_t msg[] = "other mechanisms";
	static const CK_MECHANISM_TYPE ms[] = { CKM_SHA1_RSA_PKCS, CKM_SHA224_RSA_PKCS,
						CKM_SHA384_RSA_PKCS, CKM_SHA512_RSA_PKCS };
	static const int nids[] = { NID_sha1, NID_sha224, NID_sha384, NID_sha512 };
	for (size_t i = 0; i < 4; i++) {
		CK_MECHANISM m = { ms[i], NULL, 0 };
		uint8_t sig[256];
		CK_ULONG sl = sizeof(sig);
		ck_assert_int_eq(fl->C_SignInit(h, &m, k), CKR_OK);
		ck_assert_int_eq(fl->C_SignUpdate(h, (CK_BYTE_PTR)msg, 3), CKR_OK);
		ck_assert_int_eq(fl->C_SignUpdate(h, (CK_BYTE_PTR)msg + 3, sizeof(msg) - 3), CKR_OK);
		ck_assert_int_eq(fl->C_SignFinal(h, sig, &sl), CKR_OK);
		verify_sig(EVP_get_digestbynid(nids[i]), RSA_PKCS1_PADDING, 0, msg,
			   sizeof(msg), sig, sl, 0);
	}
	CK_RSA_PKCS_PSS_PARAMS pp = { CKM_SHA256, CKG_MGF1_SHA256, 32 };
	CK_MECHANISM pss = { CKM_SHA256_RSA_PKCS_PSS, &pp, sizeof(pp) };
	uint8_t sig[256];
	CK_ULONG sl = sizeof(sig);
	ck_assert_int_eq(fl->C_SignInit(h, &pss, k), CKR_OK);
	ck_assert_int_eq(fl->C_Sign(h, (CK_BYTE_PTR)msg, sizeof(msg), sig, &sl), CKR_OK);
	verify_sig(EVP_sha256(), RSA_PKCS1_PSS_PADDING, 32, msg, sizeof(msg), sig, sl, 0);
	ck_assert_int_eq(r->signs, 5);
	ck_assert_int_eq(r->state_signs, 0);
	/* CKM_RSA_PKCS over a DigestInfo of SHA-256: raw too */
	uint8_t di[51] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
			   0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20 };
	SHA256(msg, sizeof(msg), di + 19);
	CK_MECHANISM v15 = { CKM_RSA_PKCS, NULL, 0 };
	sl = sizeof(sig);
	ck_assert_int_eq(fl->C_SignInit(h, &v15, k), CKR_OK);
	ck_assert_int_eq(fl->C_Sign(h, di, sizeof(di), sig, &sl), CKR_OK);
	ck_assert_int_eq(r->signs, 6);
	ck_assert_int_eq(r->state_signs, 0);
	uint8_t want[128];
	openssl_sig(msg, sizeof(msg), want);
	ck_assert(memcmp(sig, want, 128) == 0);
}
END_TEST

/* The flag off: the old path (host hash, host padding, sign_raw). */
START_TEST(test_card_hash_flag_off)
{
	fake_sha256_state = 0;
	fake_reader *r = &fake_readers[0];
	uint8_t msg[1000];
	fill_msg(msg, sizeof(msg));
	CK_SESSION_HANDLE h = open_login(0, 0);
	CK_OBJECT_HANDLE k = find_key(h, CKO_PRIVATE_KEY, 1);
	CK_MECHANISM mech = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	static const size_t lens[] = { 0, 64, 65, 1000 };
	for (size_t i = 0; i < 4; i++) {
		uint8_t sig[128], want[128];
		CK_ULONG sl = sizeof(sig);
		ck_assert_int_eq(fl->C_SignInit(h, &mech, k), CKR_OK);
		ck_assert_int_eq(fl->C_SignUpdate(h, msg, lens[i] / 2), CKR_OK);
		ck_assert_int_eq(fl->C_SignUpdate(h, msg + lens[i] / 2, lens[i] - lens[i] / 2),
				 CKR_OK);
		ck_assert_int_eq(fl->C_SignFinal(h, sig, &sl), CKR_OK);
		openssl_sig(msg, lens[i], want);
		ck_assert(memcmp(sig, want, 128) == 0);
		verify_sha256_msg(msg, lens[i], sig, sl);
	}
	ck_assert_int_eq(r->signs, 4);
	ck_assert_int_eq(r->state_signs + r->state_refusals, 0);
}
END_TEST

/* The driver cannot sign this key that way: the same signature through
 * sign_raw; any other error is the answer, without a second try. */
START_TEST(test_card_hash_fallback)
{
	fake_reader *r = &fake_readers[0];
	uint8_t msg[300], sig[128], want[128];
	fill_msg(msg, sizeof(msg));
	openssl_sig(msg, sizeof(msg), want);
	CK_SESSION_HANDLE h = open_login(0, 0);
	CK_OBJECT_HANDLE k = find_key(h, CKO_PRIVATE_KEY, 1);
	CK_MECHANISM mech = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	CK_ULONG sl = sizeof(sig);
	r->state_refuse = 1;
	ck_assert_int_eq(fl->C_SignInit(h, &mech, k), CKR_OK);
	ck_assert_int_eq(fl->C_SignUpdate(h, msg, 100), CKR_OK);
	ck_assert_int_eq(fl->C_SignUpdate(h, msg + 100, 200), CKR_OK);
	int begins = r->begins;
	ck_assert_int_eq(fl->C_SignFinal(h, sig, &sl), CKR_OK);
	ck_assert_int_eq(r->begins, begins + 1); /* one transaction */
	ck_assert(memcmp(sig, want, 128) == 0);
	ck_assert_int_eq(r->state_refusals, 1);
	ck_assert_int_eq(r->signs, 1);
	check_state_call(msg, sizeof(msg));
	/* the card's "instruction not supported" (6D00): the same */
	r->state_refuse = 0;
	r->state_ins_unknown = 1;
	sl = sizeof(sig);
	ck_assert_int_eq(fl->C_SignInit(h, &mech, k), CKR_OK);
	ck_assert_int_eq(fl->C_Sign(h, msg, sizeof(msg), sig, &sl), CKR_OK);
	ck_assert(memcmp(sig, want, 128) == 0);
	ck_assert_int_eq(r->state_refusals, 2);
	ck_assert_int_eq(r->signs, 2);
	r->state_ins_unknown = 0;
	/* a card that drops leading zero bytes: the signature is still k
	 * bytes (a message whose signature starts with 00) */
	uint32_t i = 0;
	for (;; i++) {
		openssl_sig((const uint8_t *)&i, sizeof(i), want);
		if (want[0] == 0)
			break;
	}
	r->strip_zeros = 1;
	sl = sizeof(sig);
	ck_assert_int_eq(fl->C_SignInit(h, &mech, k), CKR_OK);
	ck_assert_int_eq(fl->C_Sign(h, (CK_BYTE_PTR)&i, sizeof(i), sig, &sl), CKR_OK);
	ck_assert_uint_eq(sl, 128);
	ck_assert(memcmp(sig, want, 128) == 0);
	ck_assert_int_eq(r->state_signs, 1);
	r->strip_zeros = 0;
	/* the card forgot the PIN: no fallback, the mapped error */
	r->logged_in = 0;
	sl = sizeof(sig);
	ck_assert_int_eq(fl->C_SignInit(h, &mech, k), CKR_OK);
	ck_assert_int_eq(fl->C_Sign(h, msg, sizeof(msg), sig, &sl), CKR_USER_NOT_LOGGED_IN);
	ck_assert_int_eq(r->signs, 2);
	ck_assert_int_eq(fl->C_Sign(h, msg, sizeof(msg), sig, &sl),
			 CKR_OPERATION_NOT_INITIALIZED);
	/* pulled during the signature */
	ck_assert_int_eq(fl->C_Logout(h), CKR_OK);
	ck_assert_int_eq(fl->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)"1234", 4), CKR_OK);
	ck_assert_int_eq(fl->C_SignInit(h, &mech, k), CKR_OK);
	r->removed_midway = 1;
	ck_assert_int_eq(fl->C_Sign(h, msg, sizeof(msg), sig, &sl), CKR_DEVICE_REMOVED);
	ck_assert_int_eq(r->signs, 2);
}
END_TEST

/* A card OS without raw RSA (FIPS ePass2003): CKM_SHA256_RSA_PKCS is the
 * one mechanism that signs; a refusal has nothing to fall back to. */
START_TEST(test_card_hash_no_raw)
{
	fake_no_sign_raw = 1;
	fake_reader *r = &fake_readers[0];
	CK_MECHANISM_INFO mi;
	ck_assert_int_eq(fl->C_GetMechanismInfo(0, CKM_SHA256_RSA_PKCS, &mi), CKR_OK);
	ck_assert_uint_eq(mi.flags, CKF_SIGN | CKF_VERIFY | CKF_HW);
	ck_assert_int_eq(fl->C_GetMechanismInfo(0, CKM_SHA1_RSA_PKCS, &mi), CKR_OK);
	ck_assert_uint_eq(mi.flags, CKF_VERIFY | CKF_HW);
	ck_assert_int_eq(fl->C_GetMechanismInfo(0, CKM_RSA_PKCS, &mi), CKR_OK);
	ck_assert_uint_eq(mi.flags, CKF_VERIFY | CKF_ENCRYPT | CKF_DECRYPT | CKF_HW);
	CK_SESSION_HANDLE h = open_login(0, 0);
	CK_OBJECT_HANDLE k = find_key(h, CKO_PRIVATE_KEY, 1);
	static const CK_MECHANISM_TYPE no[] = { CKM_RSA_PKCS, CKM_RSA_X_509,
						CKM_SHA1_RSA_PKCS, CKM_SHA384_RSA_PKCS };
	for (size_t i = 0; i < 4; i++) {
		CK_MECHANISM m = { no[i], NULL, 0 };
		ck_assert_int_eq(fl->C_SignInit(h, &m, k), CKR_MECHANISM_INVALID);
	}
	CK_RSA_PKCS_PSS_PARAMS pp = { CKM_SHA256, CKG_MGF1_SHA256, 32 };
	CK_MECHANISM pss = { CKM_SHA256_RSA_PKCS_PSS, &pp, sizeof(pp) };
	ck_assert_int_eq(fl->C_SignInit(h, &pss, k), CKR_MECHANISM_INVALID);
	/* CKA_ALLOWED_MECHANISMS of the private key: SHA-256 signs, SHA-1 not */
	CK_MECHANISM_TYPE am[32];
	CK_ATTRIBUTE a = { CKA_ALLOWED_MECHANISMS, am, sizeof(am) };
	ck_assert_int_eq(fl->C_GetAttributeValue(h, k, &a, 1), CKR_OK);
	int sha256 = 0, sha1 = 0;
	for (size_t i = 0; i < a.ulValueLen / sizeof(am[0]); i++) {
		sha256 |= am[i] == CKM_SHA256_RSA_PKCS;
		sha1 |= am[i] == CKM_SHA1_RSA_PKCS;
	}
	ck_assert(sha256 && !sha1);
	uint8_t msg[1000], sig[128], want[128];
	fill_msg(msg, sizeof(msg));
	openssl_sig(msg, sizeof(msg), want);
	CK_MECHANISM mech = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	CK_ULONG sl = sizeof(sig);
	ck_assert_int_eq(fl->C_SignInit(h, &mech, k), CKR_OK);
	ck_assert_int_eq(fl->C_Sign(h, msg, sizeof(msg), sig, &sl), CKR_OK);
	ck_assert(memcmp(sig, want, 128) == 0);
	ck_assert_int_eq(r->state_signs, 1);
	r->state_refuse = 1;
	ck_assert_int_eq(fl->C_SignInit(h, &mech, k), CKR_OK);
	ck_assert_int_eq(fl->C_Sign(h, msg, sizeof(msg), sig, &sl), CKR_FUNCTION_NOT_SUPPORTED);
	ck_assert_int_eq(r->state_refusals, 1);
	ck_assert_int_eq(r->signs, 0);
	/* decryption still works (decipher_raw) */
	CK_OBJECT_HANDLE pub = find_key(h, CKO_PUBLIC_KEY, 1);
	CK_MECHANISM v15 = { CKM_RSA_PKCS, NULL, 0 };
	uint8_t ct[128], pt[128];
	CK_ULONG cl = sizeof(ct), pl = sizeof(pt);
	ck_assert_int_eq(fl->C_EncryptInit(h, &v15, pub), CKR_OK);
	ck_assert_int_eq(fl->C_Encrypt(h, (CK_BYTE_PTR)"abc", 3, ct, &cl), CKR_OK);
	ck_assert_int_eq(fl->C_DecryptInit(h, &v15, k), CKR_OK);
	ck_assert_int_eq(fl->C_Decrypt(h, ct, cl, pt, &pl), CKR_OK);
	ck_assert_uint_eq(pl, 3);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("p11_token");
	TCase *tc = tcase_create("token");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_slots);
	tcase_add_test(tc, test_token_info);
	tcase_add_test(tc, test_mechanisms);
	tcase_add_test(tc, test_login);
	tcase_add_test(tc, test_pin_lock);
	tcase_add_test(tc, test_find_visibility);
	tcase_add_test(tc, test_cert_attributes);
	tcase_add_test(tc, test_get_attribute_semantics);
	tcase_add_test(tc, test_sign_mechanisms);
	tcase_add_test(tc, test_sign_protocol);
	tcase_add_test(tc, test_decrypt);
	tcase_add_test(tc, test_digest_random);
	tcase_add_test(tc, test_key_from_cert);
	tcase_add_test(tc, test_hostile_objects);
	tcase_add_test(tc, test_removal);
	tcase_add_test(tc, test_removal_during_op);
	tcase_add_test(tc, test_reset);
	tcase_add_test(tc, test_logout_resets);
	tcase_add_test(tc, test_logout_reselects);
	tcase_add_test(tc, test_keygen);
	tcase_add_test(tc, test_create_rejects);
	tcase_add_test(tc, test_create_objects);
	tcase_add_test(tc, test_init_token_pin);
	tcase_add_test(tc, test_slot_events);
	tcase_add_test(tc, test_threads);
	tcase_add_test(tc, test_empty_answer_is_removal);
	tcase_add_test(tc, test_short_answer_is_removal);
	suite_add_tcase(s, tc);

	/* The same behaviour with a driver that lists one class at a time
	 * (the tests whose listing counts assume full lists are left out). */
	TCase *tl = tcase_create("list_class");
	tcase_add_checked_fixture(tl, setup_lazy, teardown_lazy);
	tcase_set_timeout(tl, 30);
	tcase_add_test(tl, test_lazy_classes);
	tcase_add_test(tl, test_lazy_reset_and_removal);
	tcase_add_test(tl, test_empty_answer_is_removal);
	tcase_add_test(tl, test_short_answer_is_removal);
	tcase_add_test(tl, test_find_visibility);
	tcase_add_test(tl, test_cert_attributes);
	tcase_add_test(tl, test_get_attribute_semantics);
	tcase_add_test(tl, test_sign_mechanisms);
	tcase_add_test(tl, test_sign_protocol);
	tcase_add_test(tl, test_decrypt);
	tcase_add_test(tl, test_key_from_cert);
	tcase_add_test(tl, test_hostile_objects);
	tcase_add_test(tl, test_removal);
	tcase_add_test(tl, test_removal_during_op);
	tcase_add_test(tl, test_keygen);
	tcase_add_test(tl, test_create_objects);
	tcase_add_test(tl, test_threads);
	suite_add_tcase(s, tl);

	/* CKM_SHA256_RSA_PKCS hashed on the host and finished on the card
	 * (sign_sha256_state), and what must not change with it; also run
	 * under valgrind (p11_token_valgrind). */
	TCase *th = tcase_create("card_hash");
	tcase_add_checked_fixture(th, setup_card_hash, teardown);
	tcase_set_timeout(th, 60);
	tcase_add_test(th, test_card_hash_lengths);
	tcase_add_test(th, test_card_hash_other_mechs);
	tcase_add_test(th, test_card_hash_flag_off);
	tcase_add_test(th, test_card_hash_fallback);
	tcase_add_test(th, test_card_hash_no_raw);
	tcase_add_test(th, test_sign_mechanisms);
	tcase_add_test(th, test_key_from_cert);
	tcase_add_test(th, test_reset);
	tcase_add_test(th, test_removal_during_op);
	tcase_add_test(th, test_keygen);
	tcase_add_test(th, test_create_objects);
	suite_add_tcase(s, th);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
