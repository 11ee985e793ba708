/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of issue 9's conformance points on the fake card (no pcscd):
 * "base §x" = PKCS#11 Base Specification v2.40, "3.0 §x" = PKCS#11
 * Specification v3.0. The e2e twin is tests/e2e/e2e_conform.c.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

#include "fake_card.h"

/* PKCS#11 3.0 §3.6 (p11-kit's header has it from 0.25 on) */
#ifndef CKF_INTERFACE_FORK_SAFE
typedef struct CK_INTERFACE {
	CK_CHAR *pInterfaceName;
	CK_VOID_PTR pFunctionList;
	CK_FLAGS flags;
} CK_INTERFACE;
#define CKF_INTERFACE_FORK_SAFE 0x00000001UL
#endif
CK_RV C_GetInterfaceList(CK_INTERFACE *pInterfacesList, CK_ULONG_PTR pulCount);
CK_RV C_GetInterface(CK_UTF8CHAR_PTR pInterfaceName, CK_VERSION_PTR pVersion,
		     CK_INTERFACE **ppInterface, CK_FLAGS flags);

static CK_FUNCTION_LIST_PTR fl;

static void setup(void)
{
	fake_setup();
}

static void start(void)
{
	p11_set_backend(&fake_backend);
	ck_assert_int_eq(C_GetFunctionList(&fl), CKR_OK);
	ck_assert_int_eq(fl->C_Initialize(NULL), CKR_OK);
}

static void teardown(void)
{
	if (fl)
		fl->C_Finalize(NULL);
	fl = NULL;
	p11_set_backend(NULL);
	for (size_t i = 0; i < fake_nreaders; i++)
		ck_assert_int_eq(fake_readers[i].in_txn, 0);
	fake_teardown();
}

static CK_SESSION_HANDLE open_s(int rw)
{
	CK_SESSION_HANDLE h = 0;
	CK_FLAGS f = CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0);
	ck_assert_int_eq(fl->C_OpenSession(0, f, NULL, NULL, &h), CKR_OK);
	return h;
}

static CK_FLAGS tflags(void)
{
	CK_TOKEN_INFO ti;
	ck_assert_int_eq(fl->C_GetTokenInfo(0, &ti), CKR_OK);
	return ti.flags;
}

static CK_OBJECT_HANDLE find1(CK_SESSION_HANDLE h, CK_OBJECT_CLASS cls)
{
	CK_ATTRIBUTE t = { CKA_CLASS, &cls, sizeof(cls) };
	CK_OBJECT_HANDLE o[8];
	CK_ULONG n = 0;
	ck_assert_int_eq(fl->C_FindObjectsInit(h, &t, 1), CKR_OK);
	ck_assert_int_eq(fl->C_FindObjects(h, o, 8, &n), CKR_OK);
	ck_assert_int_eq(fl->C_FindObjectsFinal(h), CKR_OK);
	ck_assert_uint_ge(n, 1);
	return o[0];
}

#define USER_FLAGS (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED)

/* base §5.3 CK_TOKEN_INFO: COUNT_LOW after a wrong PIN, FINAL_TRY and
 * LOCKED from the card's counter, with a driver that reports the counter
 * only in a failed verify's answer (FTCOS, SW 63Cx) and resets the card
 * at logout (the learnt state survives our own reset). */
START_TEST(test_pin_flags_hidden_counter)
{
	fake_pin_counter_hidden = 1;
	fake_no_logout = 1;
	start();
	CK_SESSION_HANDLE h = open_s(1);
	ck_assert_uint_eq(tflags() & USER_FLAGS, 0);
	ck_assert_int_eq(fl->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)"0000", 4), CKR_PIN_INCORRECT);
	ck_assert_uint_eq(tflags() & USER_FLAGS, CKF_USER_PIN_COUNT_LOW);
	ck_assert_int_eq(fl->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)"0000", 4), CKR_PIN_INCORRECT);
	ck_assert_uint_eq(tflags() & USER_FLAGS, CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY);
	/* the good PIN on the final try: all clear, also after the logout's
	 * reset and rebind */
	ck_assert_int_eq(fl->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)"1234", 4), CKR_OK);
	ck_assert_uint_eq(tflags() & USER_FLAGS, 0);
	ck_assert_int_eq(fl->C_Logout(h), CKR_OK);
	ck_assert_uint_eq(tflags() & USER_FLAGS, 0);
	/* a wrong SO PIN (the fake tells no counter for it) survives a user
	 * login and the logout's reset */
	ck_assert_int_eq(fl->C_Login(h, CKU_SO, (CK_UTF8CHAR_PTR)"00000000", 8), CKR_PIN_INCORRECT);
	ck_assert(tflags() & CKF_SO_PIN_COUNT_LOW);
	ck_assert_int_eq(fl->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)"1234", 4), CKR_OK);
	ck_assert_int_eq(fl->C_Logout(h), CKR_OK);
	ck_assert(tflags() & CKF_SO_PIN_COUNT_LOW);
	ck_assert_int_eq(fl->C_Login(h, CKU_SO, (CK_UTF8CHAR_PTR)"87654321", 8), CKR_OK);
	ck_assert(!(tflags() & CKF_SO_PIN_COUNT_LOW));
	ck_assert_int_eq(fl->C_Logout(h), CKR_OK);
	/* three wrong: locked */
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(fl->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)"0000", 4),
				 CKR_PIN_INCORRECT);
	ck_assert_int_eq(fl->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)"0000", 4), CKR_PIN_LOCKED);
	ck_assert(tflags() & CKF_USER_PIN_LOCKED);
}
END_TEST

/* The same with a driver that reports the counter itself. */
START_TEST(test_pin_flags_reported_counter)
{
	start();
	CK_SESSION_HANDLE h = open_s(0);
	ck_assert_int_eq(fl->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)"0000", 4), CKR_PIN_INCORRECT);
	ck_assert_uint_eq(tflags() & USER_FLAGS, CKF_USER_PIN_COUNT_LOW);
	ck_assert_int_eq(fl->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)"1234", 4), CKR_OK);
	ck_assert_uint_eq(tflags() & USER_FLAGS, 0);
}
END_TEST

/* base §5.6 C_Login: CKU_SO on a token without an SO PIN is
 * CKR_USER_TYPE_INVALID (no card I/O: the verify count stays). */
START_TEST(test_so_login_without_so_pin)
{
	fake_no_so_pin = 1;
	start();
	CK_SESSION_HANDLE h = open_s(1);
	ck_assert_int_eq(fl->C_Login(h, CKU_SO, (CK_UTF8CHAR_PTR)"87654321", 8),
			 CKR_USER_TYPE_INVALID);
	ck_assert_int_eq(fake_readers[0].so_logged_in, 0);
	ck_assert_int_eq(fl->C_Logout(h), CKR_USER_NOT_LOGGED_IN);
	ck_assert_int_eq(fl->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)"1234", 4), CKR_OK);
}
END_TEST

/* base §5.7 C_GetObjectSize; base §4.7 CKA_ALLOWED_MECHANISMS. */
START_TEST(test_object_size_allowed_mechs)
{
	start();
	CK_SESSION_HANDLE h = open_s(0);
	ck_assert_int_eq(fl->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)"1234", 4), CKR_OK);
	CK_OBJECT_HANDLE cert = find1(h, CKO_CERTIFICATE);
	CK_OBJECT_HANDLE priv = find1(h, CKO_PRIVATE_KEY);
	CK_OBJECT_HANDLE pub = find1(h, CKO_PUBLIC_KEY);
	CK_ULONG sz = 0;
	CK_ATTRIBUTE v = { CKA_VALUE, NULL, 0 };
	ck_assert_int_eq(fl->C_GetAttributeValue(h, cert, &v, 1), CKR_OK);
	ck_assert_int_eq(fl->C_GetObjectSize(h, cert, &sz), CKR_OK);
	ck_assert_uint_gt(sz, v.ulValueLen);
	ck_assert_int_eq(fl->C_GetObjectSize(h, pub, &sz), CKR_OK);
	ck_assert_uint_gt(sz, 0);
	ck_assert_int_eq(fl->C_GetObjectSize(h, priv, &sz), CKR_OK);
	ck_assert_uint_gt(sz, 0);
	ck_assert_int_eq(fl->C_GetObjectSize(h, priv, NULL), CKR_ARGUMENTS_BAD);
	ck_assert_int_eq(fl->C_GetObjectSize(h, 0x7ffff1, &sz), CKR_OBJECT_HANDLE_INVALID);

	CK_MECHANISM_TYPE m[64];
	CK_ATTRIBUTE a = { CKA_ALLOWED_MECHANISMS, m, sizeof(m) };
	ck_assert_int_eq(fl->C_GetAttributeValue(h, priv, &a, 1), CKR_OK);
	ck_assert_uint_eq(a.ulValueLen % sizeof(CK_MECHANISM_TYPE), 0);
	size_t n = a.ulValueLen / sizeof(CK_MECHANISM_TYPE);
	int pkcs = 0, digest = 0;
	for (size_t i = 0; i < n; i++) {
		CK_MECHANISM_INFO mi;
		ck_assert_int_eq(fl->C_GetMechanismInfo(0, m[i], &mi), CKR_OK);
		ck_assert(mi.flags & (CKF_SIGN | CKF_DECRYPT));
		pkcs |= m[i] == CKM_SHA256_RSA_PKCS;
		digest |= m[i] == CKM_SHA256 || m[i] == CKM_RSA_PKCS_KEY_PAIR_GEN;
	}
	ck_assert(pkcs && !digest);
	a.ulValueLen = sizeof(m);
	ck_assert_int_eq(fl->C_GetAttributeValue(h, pub, &a, 1), CKR_OK);
	ck_assert_uint_gt(a.ulValueLen, 0);
	/* a find over it matches the key's own list */
	CK_ATTRIBUTE ft = { CKA_ALLOWED_MECHANISMS, m, a.ulValueLen };
	CK_OBJECT_HANDLE o[8];
	CK_ULONG got = 0;
	ck_assert_int_eq(fl->C_FindObjectsInit(h, &ft, 1), CKR_OK);
	ck_assert_int_eq(fl->C_FindObjects(h, o, 8, &got), CKR_OK);
	ck_assert_int_eq(fl->C_FindObjectsFinal(h), CKR_OK);
	ck_assert_uint_ge(got, 1);
}
END_TEST

/* base §5.15 C_SeedRandom, §5.6 C_Get/SetOperationState. */
START_TEST(test_seed_opstate)
{
	start();
	CK_SESSION_HANDLE h = open_s(0);
	CK_BYTE b[8] = { 0 };
	CK_ULONG n = 0;
	ck_assert_int_eq(fl->C_SeedRandom(h, NULL, 8), CKR_ARGUMENTS_BAD);
	ck_assert_int_eq(fl->C_SeedRandom(h, b, 0), CKR_ARGUMENTS_BAD);
	ck_assert_int_eq(fl->C_SeedRandom(h, b, 8), CKR_RANDOM_SEED_NOT_SUPPORTED);
	ck_assert_int_eq(fl->C_SeedRandom(0x7ffff1, b, 8), CKR_SESSION_HANDLE_INVALID);
	ck_assert_int_eq(fl->C_GetOperationState(h, NULL, &n), CKR_FUNCTION_NOT_SUPPORTED);
	ck_assert_int_eq(fl->C_SetOperationState(h, b, 8, 0, 0), CKR_FUNCTION_NOT_SUPPORTED);
}
END_TEST

/* 3.0 §5.4.6 C_GetInterfaceList, §5.4.7 C_GetInterface. */
START_TEST(test_interfaces)
{
	CK_INTERFACE l[2], *it = NULL;
	CK_ULONG n = 0;
	CK_VERSION v = { 2, 40 }, v3 = { 3, 0 };
	CK_FUNCTION_LIST_PTR f;
	ck_assert_int_eq(C_GetFunctionList(&f), CKR_OK);
	ck_assert_int_eq(C_GetInterfaceList(NULL, NULL), CKR_ARGUMENTS_BAD);
	ck_assert_int_eq(C_GetInterfaceList(NULL, &n), CKR_OK);
	ck_assert_uint_eq(n, 1);
	n = 0;
	ck_assert_int_eq(C_GetInterfaceList(l, &n), CKR_BUFFER_TOO_SMALL);
	ck_assert_uint_eq(n, 1);
	n = 2;
	ck_assert_int_eq(C_GetInterfaceList(l, &n), CKR_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq((const char *)l[0].pInterfaceName, "PKCS 11");
	ck_assert_ptr_eq(l[0].pFunctionList, f);
	ck_assert_int_eq(C_GetInterface((CK_UTF8CHAR_PTR) "PKCS 11", &v, &it, 0), CKR_OK);
	ck_assert_ptr_eq(it->pFunctionList, f);
	ck_assert_int_eq(C_GetInterface(NULL, &v3, &it, 0), CKR_ARGUMENTS_BAD);
	ck_assert_int_eq(C_GetInterface(NULL, NULL, &it, CKF_INTERFACE_FORK_SAFE),
			 CKR_ARGUMENTS_BAD);
	ck_assert_int_eq(C_GetInterface(NULL, NULL, NULL, 0), CKR_ARGUMENTS_BAD);
}
END_TEST

/* base §4.1.2 (session objects), §5.7 C_CreateObject/C_CopyObject/
 * C_DestroyObject/C_FindObjects: CKA_TOKEN false objects live in host
 * memory for their session's life, may be created in R/O sessions, are
 * visible to the application's other sessions, private ones only after
 * login; copies; a session private key is not created in host memory. */
START_TEST(test_session_objects)
{
	start();
	CK_SESSION_HANDLE h = open_s(0), h2 = open_s(0);
	CK_OBJECT_CLASS dc = CKO_DATA, cc = CKO_CERTIFICATE, kc = CKO_PRIVATE_KEY;
	CK_BBOOL no = CK_FALSE, yes = CK_TRUE;
	static const uint8_t val[] = "session data";
	CK_ATTRIBUTE data[] = { { CKA_CLASS, &dc, sizeof(dc) }, { CKA_TOKEN, &no, 1 },
				{ CKA_LABEL, "sdata", 5 },
				{ CKA_VALUE, (void *)val, sizeof(val) } };
	CK_OBJECT_HANDLE o = 0, c = 0, cp = 0, f[8];
	int writes = fake_readers[0].wobj[0].used;
	ck_assert_int_eq(fl->C_CreateObject(h, data, 4, &o), CKR_OK);
	ck_assert_int_eq(fake_readers[0].wobj[0].used, writes); /* nothing written */
	CK_BBOOL tok = 1;
	uint8_t back[64];
	CK_ATTRIBUTE g[] = { { CKA_TOKEN, &tok, 1 }, { CKA_VALUE, back, sizeof(back) } };
	ck_assert_int_eq(fl->C_GetAttributeValue(h2, o, g, 2), CKR_OK);
	ck_assert_int_eq(tok, CK_FALSE);
	ck_assert_uint_eq(g[1].ulValueLen, sizeof(val));
	/* found from the other session, with and without CKA_TOKEN */
	CK_ATTRIBUTE q[] = { { CKA_CLASS, &dc, sizeof(dc) }, { CKA_TOKEN, &no, 1 } };
	CK_ULONG n = 0;
	ck_assert_int_eq(fl->C_FindObjectsInit(h2, q, 2), CKR_OK);
	ck_assert_int_eq(fl->C_FindObjects(h2, f, 8, &n), CKR_OK);
	ck_assert_int_eq(fl->C_FindObjectsFinal(h2), CKR_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(f[0], o);
	/* a private one needs a login; then hidden again after logout */
	CK_ATTRIBUTE pdata[] = { { CKA_CLASS, &dc, sizeof(dc) }, { CKA_TOKEN, &no, 1 },
				 { CKA_PRIVATE, &yes, 1 } };
	CK_OBJECT_HANDLE po;
	ck_assert_int_eq(fl->C_CreateObject(h, pdata, 3, &po), CKR_USER_NOT_LOGGED_IN);
	ck_assert_int_eq(fl->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)"1234", 4), CKR_OK);
	ck_assert_int_eq(fl->C_CreateObject(h, pdata, 3, &po), CKR_OK);
	/* a certificate session object, and its copy */
	CK_ATTRIBUTE cert[] = { { CKA_CLASS, &cc, sizeof(cc) }, { CKA_TOKEN, &no, 1 },
				{ CKA_VALUE, fake_readers[0].cert, fake_readers[0].cert_len } };
	ck_assert_int_eq(fl->C_CreateObject(h, cert, 3, &c), CKR_OK);
	uint8_t subj[256];
	CK_ATTRIBUTE sa = { CKA_SUBJECT, subj, sizeof(subj) };
	ck_assert_int_eq(fl->C_GetAttributeValue(h, c, &sa, 1), CKR_OK);
	ck_assert_uint_gt(sa.ulValueLen, 0);
	CK_ATTRIBUTE lab = { CKA_LABEL, "copy", 4 };
	ck_assert_int_eq(fl->C_CopyObject(h, c, &lab, 1, &cp), CKR_OK);
	ck_assert_uint_ne(cp, c);
	char lb[16];
	CK_ATTRIBUTE la = { CKA_LABEL, lb, sizeof(lb) };
	ck_assert_int_eq(fl->C_GetAttributeValue(h, cp, &la, 1), CKR_OK);
	ck_assert_uint_eq(la.ulValueLen, 4);
	CK_ULONG sz = 0;
	ck_assert_int_eq(fl->C_GetObjectSize(h, cp, &sz), CKR_OK);
	ck_assert_uint_ge(sz, fake_readers[0].cert_len);
	/* private keys: not copyable, not created in host memory */
	CK_OBJECT_HANDLE k = find1(h, CKO_PRIVATE_KEY);
	ck_assert_int_eq(fl->C_CopyObject(h, k, NULL, 0, &cp), CKR_ACTION_PROHIBITED);
	CK_ATTRIBUTE sk[] = { { CKA_CLASS, &kc, sizeof(kc) }, { CKA_TOKEN, &no, 1 } };
	ck_assert_int_eq(fl->C_CreateObject(h, sk, 2, &cp), CKR_TEMPLATE_INCONSISTENT);
	ck_assert_int_eq(fl->C_Logout(h), CKR_OK);
	ck_assert_int_eq(fl->C_GetAttributeValue(h, po, g, 1), CKR_OBJECT_HANDLE_INVALID);
	/* base §5.7 C_SetAttributeValue: a session object changes in a R/O
	 * session; a token copy needs a R/W one (then it is written) */
	CK_ATTRIBUTE nl = { CKA_LABEL, "renamed", 7 };
	ck_assert_int_eq(fl->C_SetAttributeValue(h2, o, &nl, 1), CKR_OK);
	la.ulValueLen = sizeof(lb);
	ck_assert_int_eq(fl->C_GetAttributeValue(h, o, &la, 1), CKR_OK);
	ck_assert_uint_eq(la.ulValueLen, 7);
	CK_ATTRIBUTE mk = { CKA_TOKEN, &yes, 1 };
	CK_OBJECT_HANDLE tc;
	ck_assert_int_eq(fl->C_CopyObject(h2, o, &mk, 1, &tc), CKR_SESSION_READ_ONLY);
	CK_SESSION_HANDLE rw = open_s(1);
	ck_assert_int_eq(fl->C_CopyObject(rw, o, &mk, 1, &tc), CKR_OK);
	tok = 0;
	ck_assert_int_eq(fl->C_GetAttributeValue(rw, tc, g, 1), CKR_OK);
	ck_assert_int_eq(tok, CK_TRUE);
	ck_assert_int_eq(fl->C_CloseSession(rw), CKR_OK);
	ck_assert_int_eq(fl->C_GetAttributeValue(h2, tc, g, 1), CKR_OK); /* stays */
	/* destroyed in a R/O session; the rest goes with its session */
	ck_assert_int_eq(fl->C_DestroyObject(h2, o), CKR_OK);
	ck_assert_int_eq(fl->C_GetAttributeValue(h, o, g, 1), CKR_OBJECT_HANDLE_INVALID);
	ck_assert_int_eq(fl->C_GetAttributeValue(h2, c, g, 1), CKR_OK);
	ck_assert_int_eq(fl->C_CloseSession(h), CKR_OK);
	ck_assert_int_eq(fl->C_GetAttributeValue(h2, c, g, 1), CKR_OBJECT_HANDLE_INVALID);
}
END_TEST

/* base §4.1.2 + §5.14 C_GenerateKeyPair with CKA_TOKEN false: in a R/O
 * session (user logged in), the private key generated on the card as a
 * scratch key record, both keys session objects (not in the token's
 * list), usable, deleted from the card with their session; a dead
 * owner's record is reclaimed at the next listing. */
START_TEST(test_session_key_pair)
{
	start();
	CK_SESSION_HANDLE h = open_s(0), h2 = open_s(0);
	CK_MECHANISM gm = { CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0 };
	CK_ULONG bits = 1024;
	CK_BBOOL no = CK_FALSE;
	CK_ATTRIBUTE pubt[] = { { CKA_MODULUS_BITS, &bits, sizeof(bits) },
				{ CKA_TOKEN, &no, 1 }, { CKA_LABEL, "sess", 4 } };
	CK_ATTRIBUTE privt[] = { { CKA_TOKEN, &no, 1 }, { CKA_LABEL, "sess", 4 } };
	CK_OBJECT_HANDLE hp, hk;
	ck_assert_int_eq(fl->C_GenerateKeyPair(h, &gm, pubt, 3, privt, 2, &hp, &hk),
			 CKR_USER_NOT_LOGGED_IN);
	ck_assert_int_eq(fl->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)"1234", 4), CKR_OK);
	/* one key on the card, one not: inconsistent */
	CK_ATTRIBUTE pubtok[] = { { CKA_MODULUS_BITS, &bits, sizeof(bits) } };
	ck_assert_int_eq(fl->C_GenerateKeyPair(h, &gm, pubtok, 1, privt, 2, &hp, &hk),
			 CKR_TEMPLATE_INCONSISTENT);
	size_t before = fake_readers[0].nkeys;
	ck_assert_int_eq(fl->C_GenerateKeyPair(h, &gm, pubt, 3, privt, 2, &hp, &hk), CKR_OK);
	ck_assert_uint_eq(fake_readers[0].nkeys, before + 1); /* on the card */
	ck_assert(strncmp(fake_readers[0].keys[before].label, "ukey-scratch ", 13) == 0);
	CK_BBOOL tok = 1;
	char lb[16];
	CK_ATTRIBUTE g[] = { { CKA_TOKEN, &tok, 1 }, { CKA_LABEL, lb, sizeof(lb) } };
	ck_assert_int_eq(fl->C_GetAttributeValue(h, hk, g, 2), CKR_OK);
	ck_assert_int_eq(tok, CK_FALSE);
	ck_assert_uint_eq(g[1].ulValueLen, 4);
	/* not among the token's private keys */
	CK_OBJECT_CLASS kc = CKO_PRIVATE_KEY;
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE q[] = { { CKA_CLASS, &kc, sizeof(kc) }, { CKA_TOKEN, &yes, 1 } };
	CK_OBJECT_HANDLE f[8];
	CK_ULONG n = 0;
	ck_assert_int_eq(fl->C_FindObjectsInit(h2, q, 2), CKR_OK);
	ck_assert_int_eq(fl->C_FindObjects(h2, f, 8, &n), CKR_OK);
	ck_assert_int_eq(fl->C_FindObjectsFinal(h2), CKR_OK);
	for (CK_ULONG i = 0; i < n; i++)
		ck_assert_uint_ne(f[i], hk);
	ck_assert_int_eq(fake_readers[0].deletes, 0); /* ours: not reclaimed */
	/* sign on the card, verify on the host with the session public key */
	CK_MECHANISM sm = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	uint8_t sig[256];
	CK_ULONG sl = sizeof(sig);
	ck_assert_int_eq(fl->C_SignInit(h2, &sm, hk), CKR_OK);
	ck_assert_int_eq(fl->C_Sign(h2, (CK_BYTE_PTR)"m", 1, sig, &sl), CKR_OK);
	ck_assert_int_eq(fl->C_VerifyInit(h2, &sm, hp), CKR_OK);
	ck_assert_int_eq(fl->C_Verify(h2, (CK_BYTE_PTR)"m", 1, sig, sl), CKR_OK);
	/* gone from the card with its session */
	ck_assert_int_eq(fl->C_CloseSession(h), CKR_OK);
	ck_assert_int_eq(fake_readers[0].keys[before].deleted, 1);
	ck_assert_int_eq(fl->C_SignInit(h2, &sm, hk), CKR_KEY_HANDLE_INVALID);
	/* a record left by a process of another boot: reclaimed when the
	 * keys are listed next (h2 keeps the token's login) */
	CK_SESSION_HANDLE h3 = open_s(0);
	ck_assert_int_eq(fl->C_GenerateKeyPair(h3, &gm, pubt, 3, privt, 2, &hp, &hk), CKR_OK);
	snprintf(fake_readers[0].keys[before + 1].label, UKEY_LABEL_MAX,
		 "ukey-scratch 00000000 1 1");
	int dels = fake_readers[0].deletes;
	ck_assert_int_eq(fl->C_FindObjectsInit(h2, q, 2), CKR_OK);
	ck_assert_int_eq(fl->C_FindObjects(h2, f, 8, &n), CKR_OK);
	ck_assert_int_eq(fl->C_FindObjectsFinal(h2), CKR_OK);
	ck_assert_int_eq(fake_readers[0].deletes, dels + 1);
	ck_assert_int_eq(fake_readers[0].keys[before + 1].deleted, 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("p11_conform");
	TCase *tc = tcase_create("conform");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_pin_flags_hidden_counter);
	tcase_add_test(tc, test_pin_flags_reported_counter);
	tcase_add_test(tc, test_so_login_without_so_pin);
	tcase_add_test(tc, test_object_size_allowed_mechs);
	tcase_add_test(tc, test_seed_opstate);
	tcase_add_test(tc, test_interfaces);
	tcase_add_test(tc, test_session_objects);
	tcase_add_test(tc, test_session_key_pair);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
