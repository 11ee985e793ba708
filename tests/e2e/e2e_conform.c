/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * e2e_conform — the conformance points of issue 9 on a real (virtual)
 * PKCS#15 FTCOS token, each test naming the specification section it checks:
 *
 *   e2e_conform MODULE SECRETS      (under pcsc-run with one FTCOS token)
 *
 * "base §x" = PKCS#11 Cryptographic Token Interface Base Specification
 * v2.40, "curr §x" = Current Mechanisms Specification v2.40, "3.0 §x" =
 * PKCS#11 Specification Version 3.0. Every test starts from its own
 * C_Initialize; the PIN test runs last (it spends wrong PINs, and a good
 * login resets the card's counter before it ends).
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "e2e_p11.h"

/* PKCS#11 3.0 §3.6 CK_INTERFACE (p11-kit's header has it from 0.25 on). */
#ifndef CKF_INTERFACE_FORK_SAFE
typedef struct CK_INTERFACE {
	CK_CHAR *pInterfaceName;
	CK_VOID_PTR pFunctionList;
	CK_FLAGS flags;
} CK_INTERFACE;
#define CKF_INTERFACE_FORK_SAFE 0x00000001UL
#endif
typedef CK_RV (*get_interface_list_fn)(CK_INTERFACE *, CK_ULONG *);
typedef CK_RV (*get_interface_fn)(CK_UTF8CHAR *, CK_VERSION *,
				  CK_INTERFACE **, CK_FLAGS);

static const char *g_module, *g_secrets;
static e2e_module g_m;
static CK_FUNCTION_LIST_PTR f;
static CK_SLOT_ID g_slot;
static char g_pin[64];
static int g_fail, g_pass;

#define CHECK(cond, ...)                                                    \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "  FAIL %s:%d: ", __func__, __LINE__); \
			fprintf(stderr, __VA_ARGS__);                       \
			fputc('\n', stderr);                                \
			return 1;                                           \
		}                                                           \
	} while (0)
#define CK(call, want)                                                      \
	do {                                                                \
		CK_RV rv_ = (call);                                         \
		CHECK(rv_ == (want), "%s: got %s, want %s", #call,          \
		      e2e_ckr(rv_), e2e_ckr(want));                         \
	} while (0)

static int init(void)
{
	CK_C_INITIALIZE_ARGS a = { .flags = CKF_OS_LOCKING_OK };
	CK_SLOT_ID slots[4];
	CK(f->C_Initialize(&a), CKR_OK);
	CHECK(e2e_token_slots(f, slots, 4) >= 1, "no token present");
	g_slot = slots[0];
	return 0;
}

static CK_SESSION_HANDLE open_s(int rw)
{
	CK_SESSION_HANDLE h = CK_INVALID_HANDLE;
	CK_FLAGS fl = CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0);
	if (f->C_OpenSession(g_slot, fl, NULL, NULL, &h) != CKR_OK)
		return CK_INVALID_HANDLE;
	return h;
}

static CK_RV login(CK_SESSION_HANDLE h)
{
	return f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)g_pin, strlen(g_pin));
}

static CK_STATE state_of(CK_SESSION_HANDLE h)
{
	CK_SESSION_INFO si;
	if (f->C_GetSessionInfo(h, &si) != CKR_OK)
		return (CK_STATE)-1;
	return si.state;
}

static CK_FLAGS token_flags(void)
{
	CK_TOKEN_INFO ti;
	if (f->C_GetTokenInfo(g_slot, &ti) != CKR_OK)
		return (CK_FLAGS)-1;
	return ti.flags;
}

/* ------------------------------------------------- 1. C_GetObjectSize */

/* base §5.7 C_GetObjectSize: CKR_OK with a size for every visible object,
 * CKR_ARGUMENTS_BAD for a NULL pulSize, CKR_OBJECT_HANDLE_INVALID for a
 * handle that is not an object, CKR_SESSION_HANDLE_INVALID first. */
static int t_object_size(void)
{
	CK_SESSION_HANDLE h = open_s(0);
	CK_OBJECT_HANDLE priv, pub, cert;
	CK_ULONG sz = 0;
	uint8_t *v;
	size_t vl;

	CHECK(h != CK_INVALID_HANDLE, "C_OpenSession");
	CK(login(h), CKR_OK);
	CHECK(e2e_find(f, h, CKO_PRIVATE_KEY, NULL, 0, &priv) == 0, "no private key");
	CHECK(e2e_find(f, h, CKO_PUBLIC_KEY, NULL, 0, &pub) == 0, "no public key");
	CHECK(e2e_find(f, h, CKO_CERTIFICATE, NULL, 0, &cert) == 0, "no certificate");
	CK(f->C_GetObjectSize(h, cert, &sz), CKR_OK);
	CHECK(e2e_attr(f, h, cert, CKA_VALUE, &v, &vl) == 0, "certificate CKA_VALUE");
	free(v);
	/* an honest estimate: at least the certificate's DER */
	CHECK(sz != CK_UNAVAILABLE_INFORMATION && sz >= vl,
	      "certificate size %lu < its value's %zu", (unsigned long)sz, vl);
	CK(f->C_GetObjectSize(h, pub, &sz), CKR_OK);
	CHECK(sz >= 256, "RSA-2048 public key size %lu < its modulus", (unsigned long)sz);
	CK(f->C_GetObjectSize(h, priv, &sz), CKR_OK);
	CHECK(sz > 0 && sz != CK_UNAVAILABLE_INFORMATION, "private key size %lu",
	      (unsigned long)sz);
	CK(f->C_GetObjectSize(h, cert, NULL), CKR_ARGUMENTS_BAD);
	CK(f->C_GetObjectSize(h, (CK_OBJECT_HANDLE)0x7ffff1UL, &sz),
	   CKR_OBJECT_HANDLE_INVALID);
	CK(f->C_GetObjectSize(h, CK_INVALID_HANDLE, &sz), CKR_OBJECT_HANDLE_INVALID);
	CK(f->C_Logout(h), CKR_OK);
	/* base §4.4 CKA_PRIVATE: the private key is not an object now */
	CK(f->C_GetObjectSize(h, priv, &sz), CKR_OBJECT_HANDLE_INVALID);
	CK(f->C_CloseSession(h), CKR_OK);
	CK(f->C_GetObjectSize(h, cert, &sz), CKR_SESSION_HANDLE_INVALID);
	return 0;
}

/* ------------------------------------------------------- 3. C_Digest* */

/* base §5.10 (message digesting), curr §2.20–2.22 (SHA-1, SHA-224,
 * SHA-256/384/512 digest mechanisms): advertised with CKF_DIGEST, single-
 * and multi-part results equal OpenSSL's, the length query and a short
 * buffer behave as §5.2 (output conventions) says. */
static int t_digest(void)
{
	static const struct {
		CK_MECHANISM_TYPE m;
		const char *md;
	} d[] = {
		{ CKM_SHA_1, "SHA1" }, { CKM_SHA224, "SHA224" },
		{ CKM_SHA256, "SHA256" }, { CKM_SHA384, "SHA384" },
		{ CKM_SHA512, "SHA512" },
	};
	static const uint8_t data[] = "e2e_conform digest input, two parts";
	CK_SESSION_HANDLE h = open_s(0); /* digesting needs no login */

	CHECK(h != CK_INVALID_HANDLE, "C_OpenSession");
	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		CK_MECHANISM m = { d[i].m, NULL, 0 };
		CK_MECHANISM_INFO mi;
		uint8_t want[64], got[64];
		unsigned wl = 0;
		CK_ULONG gl;

		CK(f->C_GetMechanismInfo(g_slot, d[i].m, &mi), CKR_OK);
		CHECK(mi.flags & CKF_DIGEST, "%s without CKF_DIGEST", d[i].md);
		CHECK(EVP_Digest(data, sizeof(data), want, &wl,
				 EVP_get_digestbyname(d[i].md), NULL) == 1, "OpenSSL");
		/* single part, with a length query and a short buffer */
		CK(f->C_DigestInit(h, &m), CKR_OK);
		CK(f->C_DigestInit(h, &m), CKR_OPERATION_ACTIVE);
		gl = 0;
		CK(f->C_Digest(h, (CK_BYTE_PTR)data, sizeof(data), NULL, &gl), CKR_OK);
		CHECK(gl == wl, "%s length %lu, want %u", d[i].md, (unsigned long)gl, wl);
		gl = wl - 1;
		CK(f->C_Digest(h, (CK_BYTE_PTR)data, sizeof(data), got, &gl),
		   CKR_BUFFER_TOO_SMALL);
		CHECK(gl == wl, "%s short buffer: length %lu", d[i].md, (unsigned long)gl);
		gl = sizeof(got);
		CK(f->C_Digest(h, (CK_BYTE_PTR)data, sizeof(data), got, &gl), CKR_OK);
		CHECK(gl == wl && memcmp(got, want, wl) == 0, "%s C_Digest differs",
		      d[i].md);
		/* the operation ended */
		gl = sizeof(got);
		CK(f->C_Digest(h, (CK_BYTE_PTR)data, sizeof(data), got, &gl),
		   CKR_OPERATION_NOT_INITIALIZED);
		/* multi-part */
		CK(f->C_DigestInit(h, &m), CKR_OK);
		CK(f->C_DigestUpdate(h, (CK_BYTE_PTR)data, 10), CKR_OK);
		CK(f->C_DigestUpdate(h, (CK_BYTE_PTR)data + 10, sizeof(data) - 10), CKR_OK);
		gl = 0;
		CK(f->C_DigestFinal(h, NULL, &gl), CKR_OK);
		CHECK(gl == wl, "%s final length %lu", d[i].md, (unsigned long)gl);
		gl = sizeof(got);
		CK(f->C_DigestFinal(h, got, &gl), CKR_OK);
		CHECK(gl == wl && memcmp(got, want, wl) == 0,
		      "%s C_DigestUpdate/Final differs", d[i].md);
	}
	CK(f->C_DigestInit(h, NULL), CKR_ARGUMENTS_BAD);
	CK(f->C_CloseSession(h), CKR_OK);
	return 0;
}

/* ----------------------------------------------------- 4. interfaces */

/* 3.0 §5.4.6 C_GetInterfaceList, §5.4.7 C_GetInterface: the module offers
 * "PKCS 11" version 2.40 (its CK_FUNCTION_LIST), callable before
 * C_Initialize; an interface it does not have is CKR_ARGUMENTS_BAD. */
static int t_interfaces(void)
{
	get_interface_list_fn gil;
	get_interface_fn gi;
	CK_INTERFACE list[4], *it = NULL;
	CK_ULONG n = 0;
	CK_VERSION v240 = { 2, 40 }, v30 = { 3, 0 };

	*(void **)&gil = dlsym(g_m.dl, "C_GetInterfaceList");
	*(void **)&gi = dlsym(g_m.dl, "C_GetInterface");
	CHECK(gil && gi, "C_GetInterfaceList/C_GetInterface not exported");
	CK(gil(NULL, NULL), CKR_ARGUMENTS_BAD);
	CK(gil(NULL, &n), CKR_OK);
	CHECK(n >= 1 && n <= 4, "%lu interfaces", (unsigned long)n);
	CK_ULONG small = 0;
	CK(gil(list, &small), CKR_BUFFER_TOO_SMALL);
	CHECK(small == n, "short list: count %lu", (unsigned long)small);
	CK(gil(list, &n), CKR_OK);
	int found = 0;
	for (CK_ULONG i = 0; i < n; i++) {
		const CK_VERSION *ver = list[i].pFunctionList;
		if (strcmp((const char *)list[i].pInterfaceName, "PKCS 11") == 0 &&
		    ver->major == 2 && ver->minor == 40 &&
		    list[i].pFunctionList == (void *)f)
			found = 1;
	}
	CHECK(found, "no \"PKCS 11\" 2.40 interface with C_GetFunctionList's list");
	CK(gi((CK_UTF8CHAR_PTR) "PKCS 11", NULL, NULL, 0), CKR_ARGUMENTS_BAD);
	CK(gi(NULL, NULL, &it, 0), CKR_OK);
	CHECK(it && it->pFunctionList == (void *)f, "default interface");
	it = NULL;
	CK(gi((CK_UTF8CHAR_PTR) "PKCS 11", &v240, &it, 0), CKR_OK);
	CHECK(it && it->pFunctionList == (void *)f, "\"PKCS 11\" 2.40");
	CK(gi((CK_UTF8CHAR_PTR) "PKCS 11", &v30, &it, 0), CKR_ARGUMENTS_BAD);
	CK(gi((CK_UTF8CHAR_PTR) "Vendor ukey", NULL, &it, 0), CKR_ARGUMENTS_BAD);
	/* a forked child must call C_Initialize again: not fork-safe */
	CK(gi((CK_UTF8CHAR_PTR) "PKCS 11", NULL, &it, CKF_INTERFACE_FORK_SAFE),
	   CKR_ARGUMENTS_BAD);
	/* the interface's list works like the other */
	CK_FUNCTION_LIST_PTR fl2 = NULL;
	CK(gi(NULL, &v240, &it, 0), CKR_OK);
	fl2 = it->pFunctionList;
	CK_INFO info;
	CK_RV r = fl2->C_GetInfo(&info);
	if (r == CKR_CRYPTOKI_NOT_INITIALIZED)
		return 0; /* the run before C_Initialize */
	CHECK(r == CKR_OK, "C_GetInfo: %s", e2e_ckr(r));
	CHECK(info.cryptokiVersion.major == 2 && info.cryptokiVersion.minor == 40,
	      "C_GetInfo cryptokiVersion %u.%u", info.cryptokiVersion.major,
	      info.cryptokiVersion.minor);
	return 0;
}

/* ------------------------------------------------ 5. argument checks */

/* base §5.15 C_SeedRandom (CKR_ARGUMENTS_BAD for a missing seed, else
 * CKR_RANDOM_SEED_NOT_SUPPORTED: the card's RNG takes none), §5.6
 * C_GetOperationState/C_SetOperationState (CKR_FUNCTION_NOT_SUPPORTED
 * whatever the session does, CKR_SESSION_HANDLE_INVALID first). */
static int t_arguments(void)
{
	CK_SESSION_HANDLE h = open_s(0);
	uint8_t seed[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, st[256];
	CK_ULONG stl = sizeof(st);
	CK_MECHANISM m = { CKM_SHA256, NULL, 0 };

	CHECK(h != CK_INVALID_HANDLE, "C_OpenSession");
	CK(f->C_SeedRandom(h, NULL, 8), CKR_ARGUMENTS_BAD);
	CK(f->C_SeedRandom(h, NULL, 0), CKR_ARGUMENTS_BAD);
	CK(f->C_SeedRandom(h, seed, 0), CKR_ARGUMENTS_BAD);
	CK(f->C_SeedRandom(h, seed, sizeof(seed)), CKR_RANDOM_SEED_NOT_SUPPORTED);
	CK(f->C_SeedRandom((CK_SESSION_HANDLE)0x7ffff1UL, seed, sizeof(seed)),
	   CKR_SESSION_HANDLE_INVALID);
	CK(f->C_GenerateRandom(h, NULL, 0), CKR_OK);
	CK(f->C_GenerateRandom(h, NULL, 8), CKR_ARGUMENTS_BAD);
	CK(f->C_GetOperationState(h, NULL, &stl), CKR_FUNCTION_NOT_SUPPORTED);
	CK(f->C_GetOperationState(h, st, &stl), CKR_FUNCTION_NOT_SUPPORTED);
	CK(f->C_SetOperationState(h, st, sizeof(st), 0, 0), CKR_FUNCTION_NOT_SUPPORTED);
	CK(f->C_DigestInit(h, &m), CKR_OK); /* an active operation: the same */
	CK(f->C_GetOperationState(h, NULL, &stl), CKR_FUNCTION_NOT_SUPPORTED);
	CK(f->C_SetOperationState(h, st, sizeof(st), 0, 0), CKR_FUNCTION_NOT_SUPPORTED);
	CK(f->C_GetOperationState((CK_SESSION_HANDLE)0x7ffff1UL, st, &stl),
	   CKR_SESSION_HANDLE_INVALID);
	CK(f->C_SetOperationState((CK_SESSION_HANDLE)0x7ffff1UL, st, 1, 0, 0),
	   CKR_SESSION_HANDLE_INVALID);
	CK(f->C_CloseSession(h), CKR_OK);
	return 0;
}

/* base §5.6 C_Login/C_Logout, §5.5 (session states): the login is the
 * token's, shared by all its sessions; a second C_Login is
 * CKR_USER_ALREADY_LOGGED_IN in any session, the SO meanwhile
 * CKR_USER_ANOTHER_ALREADY_LOGGED_IN; a logout in one session logs every
 * session out; a logout when nobody is logged in is CKR_USER_NOT_LOGGED_IN. */
static int t_login_shared(void)
{
	CK_SESSION_HANDLE a = open_s(0), b = open_s(1);
	char so[64];

	CHECK(a != CK_INVALID_HANDLE && b != CK_INVALID_HANDLE, "C_OpenSession");
	CK(f->C_Logout(a), CKR_USER_NOT_LOGGED_IN);
	CK(f->C_Logout(b), CKR_USER_NOT_LOGGED_IN);
	CHECK(state_of(a) == CKS_RO_PUBLIC_SESSION, "a: state %lu", state_of(a));
	CHECK(state_of(b) == CKS_RW_PUBLIC_SESSION, "b: state %lu", state_of(b));
	CK(login(a), CKR_OK);
	CHECK(state_of(a) == CKS_RO_USER_FUNCTIONS, "a: state %lu", state_of(a));
	CHECK(state_of(b) == CKS_RW_USER_FUNCTIONS, "b: state %lu", state_of(b));
	CK(login(b), CKR_USER_ALREADY_LOGGED_IN);
	if (e2e_secret(g_secrets, "so_pin", so, sizeof(so)) == 0) {
		CK(f->C_Login(b, CKU_SO, (CK_UTF8CHAR_PTR)so, strlen(so)),
		   CKR_USER_ANOTHER_ALREADY_LOGGED_IN);
		e2e_wipe(so, sizeof(so));
	}
	/* a session opened now is logged in too */
	CK_SESSION_HANDLE c = open_s(0);
	CHECK(state_of(c) == CKS_RO_USER_FUNCTIONS, "c: state %lu", state_of(c));
	CK(f->C_Logout(b), CKR_OK);
	CHECK(state_of(a) == CKS_RO_PUBLIC_SESSION, "a after logout: %lu", state_of(a));
	CHECK(state_of(c) == CKS_RO_PUBLIC_SESSION, "c after logout: %lu", state_of(c));
	CK(f->C_Logout(a), CKR_USER_NOT_LOGGED_IN);
	CK(f->C_CloseAllSessions(g_slot), CKR_OK);
	return 0;
}

/* ------------------------------------------- 6. CKA_ALLOWED_MECHANISMS */

/* base §4.7 (common key attributes, v2.40): CKA_ALLOWED_MECHANISMS is a
 * CK_MECHANISM_TYPE array; every mechanism in it is one the token offers
 * for that use of the key, and an RSA key lists its RSA mechanisms. */
static int check_allowed(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE k, CK_FLAGS use)
{
	uint8_t *v;
	size_t vl;
	int rsa_pkcs = 0, sha256 = 0;

	CHECK(e2e_attr(f, h, k, CKA_ALLOWED_MECHANISMS, &v, &vl) == 0,
	      "CKA_ALLOWED_MECHANISMS");
	CHECK(vl > 0 && vl % sizeof(CK_MECHANISM_TYPE) == 0, "length %zu", vl);
	for (size_t i = 0; i < vl / sizeof(CK_MECHANISM_TYPE); i++) {
		CK_MECHANISM_TYPE mt;
		CK_MECHANISM_INFO mi;
		memcpy(&mt, v + i * sizeof(mt), sizeof(mt));
		rsa_pkcs |= mt == CKM_RSA_PKCS;
		sha256 |= mt == CKM_SHA256_RSA_PKCS;
		if (f->C_GetMechanismInfo(g_slot, mt, &mi) != CKR_OK ||
		    !(mi.flags & use)) {
			free(v);
			CHECK(0, "allowed mechanism 0x%lx not offered for that use",
			      (unsigned long)mt);
		}
	}
	free(v);
	CHECK(rsa_pkcs && sha256, "CKM_RSA_PKCS/CKM_SHA256_RSA_PKCS missing");
	return 0;
}

static int t_allowed_mechanisms(void)
{
	CK_SESSION_HANDLE h = open_s(0);
	CK_OBJECT_HANDLE priv, pub;

	CHECK(h != CK_INVALID_HANDLE, "C_OpenSession");
	CK(login(h), CKR_OK);
	CHECK(e2e_find(f, h, CKO_PRIVATE_KEY, NULL, 0, &priv) == 0, "no private key");
	CHECK(e2e_find(f, h, CKO_PUBLIC_KEY, NULL, 0, &pub) == 0, "no public key");
	if (check_allowed(h, priv, CKF_SIGN | CKF_DECRYPT))
		return 1;
	if (check_allowed(h, pub, CKF_VERIFY | CKF_ENCRYPT))
		return 1;
	/* and a sign with one of them works */
	uint8_t sig[512];
	size_t sl;
	CK(e2e_sign_sha256(f, h, priv, (const uint8_t *)"x", 1, sig, sizeof(sig), &sl),
	   CKR_OK);
	CK(f->C_CloseSession(h), CKR_OK);
	return 0;
}

/* ------------------------------------------- 2. PIN counter in flags */

/* base §5.3 CK_TOKEN_INFO flags: CKF_USER_PIN_COUNT_LOW "an incorrect user
 * login PIN has been entered at least once since the last successful
 * authentication", CKF_USER_PIN_FINAL_TRY "supplying an incorrect user PIN
 * will cause it to become locked", CKF_USER_PIN_LOCKED; §5.6 C_Login
 * CKR_PIN_INCORRECT. The flags follow the card's own counter (FTCOS: SW
 * 63Cx of the failed VERIFY); the last try is not spent. A good login
 * clears COUNT_LOW. */
static int t_pin_count(void)
{
	CK_SESSION_HANDLE h = open_s(0);
	CK_FLAGS fl;
	int wrong = 0;

	CHECK(h != CK_INVALID_HANDLE, "C_OpenSession");
	fl = token_flags();
	CHECK(!(fl & (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY |
		      CKF_USER_PIN_LOCKED)),
	      "fresh token flags 0x%lx", (unsigned long)fl);
	/* a wrong PIN of the right length */
	char bad[64];
	snprintf(bad, sizeof(bad), "%s", g_pin);
	bad[0] = bad[0] == '9' ? '8' : '9';
	CK(f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)bad, strlen(bad)), CKR_PIN_INCORRECT);
	wrong++;
	fl = token_flags();
	CHECK(fl & CKF_USER_PIN_COUNT_LOW, "no CKF_USER_PIN_COUNT_LOW after a wrong PIN "
	      "(flags 0x%lx)", (unsigned long)fl);
	CHECK(!(fl & CKF_USER_PIN_LOCKED), "locked after one wrong PIN");
	/* on to the final try (at most 16 tries: the card's counter
	 * decides); a good login then resets it */
	while (!(fl & CKF_USER_PIN_FINAL_TRY) && wrong < 16) {
		CK(f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)bad, strlen(bad)),
		   CKR_PIN_INCORRECT);
		wrong++;
		fl = token_flags();
		CHECK(!(fl & CKF_USER_PIN_LOCKED), "locked before FINAL_TRY after %d", wrong);
		CHECK(fl & CKF_USER_PIN_COUNT_LOW, "COUNT_LOW lost after %d", wrong);
	}
	CHECK(fl & CKF_USER_PIN_FINAL_TRY, "no CKF_USER_PIN_FINAL_TRY after %d wrong PINs",
	      wrong);
	printf("  the card's counter: FINAL_TRY after %d wrong PINs\n", wrong);
	/* the good PIN on the final try resets the card's counter */
	CK(login(h), CKR_OK);
	fl = token_flags();
	CHECK(!(fl & (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY |
		      CKF_USER_PIN_LOCKED)),
	      "flags after a good login 0x%lx", (unsigned long)fl);
	CK(f->C_Logout(h), CKR_OK);
	/* one wrong PIN again, then a logout (the card is reset): the flag
	 * stays until a good login */
	CK(f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)bad, strlen(bad)), CKR_PIN_INCORRECT);
	CHECK(token_flags() & CKF_USER_PIN_COUNT_LOW, "COUNT_LOW after a wrong PIN");
	CK(login(h), CKR_OK);
	CK(f->C_Logout(h), CKR_OK);
	fl = token_flags();
	CHECK(!(fl & CKF_USER_PIN_COUNT_LOW), "COUNT_LOW after good login + logout");
	e2e_wipe(bad, sizeof(bad));
	CK(f->C_CloseSession(h), CKR_OK);
	return 0;
}

/* base §5.3 CKF_USER_PIN_LOCKED, §5.6 C_Login CKR_PIN_LOCKED, C_InitPIN
 * (an SO session): wrong PINs until the card blocks the PIN, the token
 * flags say LOCKED and the right PIN is refused with CKR_PIN_LOCKED;
 * C_InitPIN by the SO gives a new PIN with a full counter — no LOCKED,
 * FINAL_TRY or COUNT_LOW in the same process — and the user logs in. */
static int t_pin_locked_initpin(void)
{
	CK_SESSION_HANDLE h = open_s(1);
	CK_FLAGS fl = 0;
	char bad[64], so[64];
	int wrong = 0;

	CHECK(h != CK_INVALID_HANDLE, "C_OpenSession");
	if (e2e_secret(g_secrets, "so_pin", so, sizeof(so)) != 0) {
		printf("  no so_pin in %s: not run\n", g_secrets);
		CK(f->C_CloseSession(h), CKR_OK);
		return 0;
	}
	snprintf(bad, sizeof(bad), "%s", g_pin);
	bad[0] = bad[0] == '9' ? '8' : '9';
	while (!(fl & CKF_USER_PIN_LOCKED) && wrong < 16) {
		CK_RV r = f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)bad, strlen(bad));

		CHECK(r == CKR_PIN_INCORRECT || r == CKR_PIN_LOCKED, "wrong PIN %d: %s",
		      wrong + 1, e2e_ckr(r));
		wrong++;
		fl = token_flags();
	}
	CHECK(fl & CKF_USER_PIN_LOCKED, "no CKF_USER_PIN_LOCKED after %d wrong PINs", wrong);
	CK(login(h), CKR_PIN_LOCKED);
	CK(f->C_Login(h, CKU_SO, (CK_UTF8CHAR_PTR)so, strlen(so)), CKR_OK);
	CK(f->C_InitPIN(h, (CK_UTF8CHAR_PTR)g_pin, strlen(g_pin)), CKR_OK);
	CK(f->C_Logout(h), CKR_OK);
	fl = token_flags();
	CHECK(!(fl & (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED)),
	      "flags after C_InitPIN 0x%lx", (unsigned long)fl);
	CK(login(h), CKR_OK);
	CK(f->C_Logout(h), CKR_OK);
	e2e_wipe(so, sizeof(so));
	e2e_wipe(bad, sizeof(bad));
	CK(f->C_CloseSession(h), CKR_OK);
	return 0;
}

/* base §5.6 C_Login, §5.5 session states: another application uses the
 * token while we are logged in (OpenSC's module logs in and lists keys).
 * FTCOS keeps the verified PIN for everyone: our next signature works. An
 * ePass2003 drops it with our secure-messaging session, which the other
 * application's replaced: the module then says so (CKR_DEVICE_ERROR), is
 * logged out, and a new C_Login — not CKR_USER_ALREADY_LOGGED_IN — makes
 * the signature work again. Either way the signature verifies. */
static int opensc_private_keys(void);
static CK_RV gen_session_pair(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE *hp,
			      CK_OBJECT_HANDLE *hk);

static int t_foreign_app(void)
{
	CK_SESSION_HANDLE h = open_s(0);
	CK_OBJECT_HANDLE hk, hp;
	static const uint8_t msg[] = "signed after another application";
	uint8_t sig[512];
	size_t sl = 0;
	CK_RV r;

	CHECK(h != CK_INVALID_HANDLE, "C_OpenSession");
	CK(login(h), CKR_OK);
	/* a key pair ukey generates: its key needs the PIN for every use */
	CK(gen_session_pair(h, &hp, &hk), CKR_OK);
	if (opensc_private_keys() < 0) {
		printf("  (OpenSC's module not there or not reading this token: not run)\n");
		CK(f->C_CloseSession(h), CKR_OK);
		return 0;
	}
	r = e2e_sign_sha256(f, h, hk, msg, sizeof(msg), sig, sizeof(sig), &sl);
	if (r != CKR_OK) {
		CHECK(r == CKR_DEVICE_ERROR || r == CKR_USER_NOT_LOGGED_IN,
		      "signature after the other application: %s", e2e_ckr(r));
		CHECK(state_of(h) == CKS_RO_PUBLIC_SESSION, "still logged in: state %lu",
		      state_of(h));
		CK(login(h), CKR_OK);
		printf("  the login was lost (%s); a new C_Login signs\n", e2e_ckr(r));
		CK(e2e_sign_sha256(f, h, hk, msg, sizeof(msg), sig, sizeof(sig), &sl), CKR_OK);
	}
	EVP_PKEY *pk = e2e_rsa_pubkey(f, h, hp);
	CHECK(pk != NULL, "public key");
	int ok = e2e_verify_pkcs1(pk, EVP_sha256(), msg, sizeof(msg), sig, sl);
	EVP_PKEY_free(pk);
	CHECK(ok == 1, "the signature does not verify");
	CK(f->C_CloseSession(h), CKR_OK);
	return 0;
}

/* base §5.14 C_GenerateKeyPair: a token that requires login
 * (CKF_LOGIN_REQUIRED) refuses a private key in a public R/W session
 * with CKR_USER_NOT_LOGGED_IN, in a R/O session (token objects) with
 * CKR_SESSION_READ_ONLY; nothing is generated. */
static int t_keygen_access(void)
{
	CK_SESSION_HANDLE rw = open_s(1), ro = open_s(0);
	CK_MECHANISM m = { CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0 };
	CK_ULONG bits = 2048;
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE pub[] = { { CKA_MODULUS_BITS, &bits, sizeof(bits) },
			       { CKA_TOKEN, &yes, 1 } };
	CK_ATTRIBUTE priv[] = { { CKA_TOKEN, &yes, 1 }, { CKA_PRIVATE, &yes, 1 } };
	CK_OBJECT_HANDLE hp, hk;

	CHECK(rw != CK_INVALID_HANDLE && ro != CK_INVALID_HANDLE, "C_OpenSession");
	CHECK(token_flags() & CKF_LOGIN_REQUIRED, "token without CKF_LOGIN_REQUIRED");
	CK(f->C_GenerateKeyPair(rw, &m, pub, 2, priv, 2, &hp, &hk), CKR_USER_NOT_LOGGED_IN);
	CK(f->C_GenerateKeyPair(ro, &m, pub, 2, priv, 2, &hp, &hk), CKR_SESSION_READ_ONLY);
	CK(f->C_CloseAllSessions(g_slot), CKR_OK);
	return 0;
}

/* Private keys on the card as an independent reader (OpenSC's module)
 * lists them: -1 when OpenSC is not there. */
#define OPENSC_MODULE "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so"
static int opensc_private_keys(void)
{
	e2e_module o;
	CK_SLOT_ID sl[4];
	CK_SESSION_HANDLE h;
	CK_OBJECT_CLASS kc = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t = { CKA_CLASS, &kc, sizeof(kc) };
	CK_OBJECT_HANDLE found[32];
	CK_ULONG n = 0;
	int r = -1;

	if (access(OPENSC_MODULE, R_OK) != 0 || e2e_module_load(&o, OPENSC_MODULE) != 0)
		return -1;
	if (o.f->C_Initialize(NULL) == CKR_OK) {
		if (e2e_token_slots(o.f, sl, 4) >= 1 &&
		    o.f->C_OpenSession(sl[0], CKF_SERIAL_SESSION, NULL, NULL, &h) == CKR_OK) {
			if (o.f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)g_pin, strlen(g_pin)) == CKR_OK &&
			    o.f->C_FindObjectsInit(h, &t, 1) == CKR_OK) {
				if (o.f->C_FindObjects(h, found, 32, &n) == CKR_OK)
					r = (int)n;
				o.f->C_FindObjectsFinal(h);
			}
			o.f->C_CloseSession(h);
		}
		o.f->C_Finalize(NULL);
	}
	e2e_module_unload(&o);
	return r;
}

/* The card's private keys as an independent reader sees them: the
 * virtual token's own state (`ukey-vtoken show`, UKEY_E2E_VTOKEN and
 * UKEY_E2E_STATE set: ePass2003, whose secure-messaging session another
 * application's access would replace), else OpenSC's module; -1: neither. */
static int card_private_keys(void)
{
	const char *vt = getenv("UKEY_E2E_VTOKEN"), *st = getenv("UKEY_E2E_STATE");
	char cmd[1024], line[512];
	FILE *p;
	int n = 0;

	if (!vt || !*vt || !st || !*st)
		return opensc_private_keys();
	snprintf(cmd, sizeof(cmd), "'%s' show --state '%s'", vt, st);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p))
		n += strstr(line, "RSA private key") != NULL;
	return pclose(p) == 0 ? n : -1;
}

static CK_RV gen_session_pair(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE *hp,
			      CK_OBJECT_HANDLE *hk)
{
	CK_MECHANISM m = { CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0 };
	CK_ULONG bits = 2048;
	CK_BBOOL no = CK_FALSE;
	CK_BYTE id[] = { 0x5e, 0x55 };
	CK_ATTRIBUTE pub[] = { { CKA_MODULUS_BITS, &bits, sizeof(bits) },
			       { CKA_TOKEN, &no, 1 }, { CKA_ID, id, sizeof(id) },
			       { CKA_LABEL, "e2e-session-key", 15 } };
	CK_ATTRIBUTE priv[] = { { CKA_TOKEN, &no, 1 }, { CKA_ID, id, sizeof(id) },
				{ CKA_LABEL, "e2e-session-key", 15 } };
	return f->C_GenerateKeyPair(h, &m, pub, 4, priv, 3, hp, hk);
}

/* base §4.1.2 (session objects) + §5.14 C_GenerateKeyPair, CKA_TOKEN
 * false: generated in a R/O session on the card (a scratch key record,
 * never a host key), used, gone from the card when the session ends; the
 * record of a process that died is reclaimed by the next listing. The
 * card's real key count is read independently (card_private_keys). */
static int t_session_key_pair(void)
{
	CK_SESSION_HANDLE h = open_s(0);
	CK_OBJECT_HANDLE hp, hk;
	int base = card_private_keys();

	CHECK(h != CK_INVALID_HANDLE, "C_OpenSession");
	CK(gen_session_pair(h, &hp, &hk), CKR_USER_NOT_LOGGED_IN);
	CK(login(h), CKR_OK);
	CK(gen_session_pair(h, &hp, &hk), CKR_OK);
	CK_BBOOL tok = 1;
	CK_ATTRIBUTE ta = { CKA_TOKEN, &tok, 1 };
	CK(f->C_GetAttributeValue(h, hk, &ta, 1), CKR_OK);
	CHECK(tok == CK_FALSE, "session private key has CKA_TOKEN true");
	EVP_PKEY *pk = e2e_rsa_pubkey(f, h, hp);
	CHECK(pk != NULL, "session public key");
	uint8_t sig[512];
	size_t sl = 0;
	static const uint8_t msg[] = "signed by a session key";
	CK(e2e_sign_sha256(f, h, hk, msg, sizeof(msg), sig, sizeof(sig), &sl), CKR_OK);
	int ok = e2e_verify_pkcs1(pk, EVP_sha256(), msg, sizeof(msg), sig, sl);
	EVP_PKEY_free(pk);
	CHECK(ok == 1, "signature of the session key does not verify");
	if (base >= 0) {
		int now = card_private_keys();
		CHECK(now == base + 1, "card keys while the session lives: %d, before %d",
		      now, base);
	}
	CK(f->C_CloseSession(h), CKR_OK);
	if (base >= 0) {
		int now = card_private_keys();
		CHECK(now == base, "card keys after the session: %d, before %d", now, base);
	}
	/* a process that dies with a session key */
	fflush(NULL);
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		CK_C_INITIALIZE_ARGS a = { .flags = CKF_OS_LOCKING_OK };
		CK_SESSION_HANDLE c;
		CK_OBJECT_HANDLE p2, k2;
		if (f->C_Initialize(&a) != CKR_OK)
			_exit(3);
		if (f->C_OpenSession(g_slot, CKF_SERIAL_SESSION, NULL, NULL, &c) != CKR_OK ||
		    login(c) != CKR_OK || gen_session_pair(c, &p2, &k2) != CKR_OK)
			_exit(4);
		_exit(0); /* no C_CloseSession, no C_Finalize */
	}
	int st = 0;
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "child: status 0x%x", st);
	if (base >= 0) {
		int now = card_private_keys();
		CHECK(now == base + 1, "the dead child's key on the card: %d, before %d",
		      now, base);
	}
	/* our next listing of the keys reclaims it */
	CK_SESSION_HANDLE h2 = open_s(0);
	CK(login(h2), CKR_OK);
	CK_OBJECT_HANDLE k;
	CHECK(e2e_find(f, h2, CKO_PRIVATE_KEY, NULL, 0, &k) == 0, "no private key");
	CK(f->C_CloseSession(h2), CKR_OK);
	if (base >= 0) {
		int now = card_private_keys();
		CHECK(now == base, "after reclaiming: %d card keys, before %d", now, base);
	} else {
		printf("  (OpenSC not installed: card key counts not checked)\n");
	}
	return 0;
}

/* ------------------------------------------- 7. session objects */

/* base §4.1.2 (session objects), §5.7 C_CreateObject / C_CopyObject /
 * C_DestroyObject: CKA_TOKEN false data objects and certificates are
 * created in a R/O session, found from another session, copied, and gone
 * with their session; nothing is written to the card. */
static int t_session_objects(void)
{
	CK_SESSION_HANDLE a = open_s(0), b = open_s(0);
	CK_OBJECT_CLASS dc = CKO_DATA, cc = CKO_CERTIFICATE;
	CK_BBOOL no = CK_FALSE, tok = CK_TRUE;
	static const uint8_t val[] = "e2e_conform session data";
	CK_ATTRIBUTE data[] = { { CKA_CLASS, &dc, sizeof(dc) }, { CKA_TOKEN, &no, 1 },
				{ CKA_LABEL, "e2e-session", 11 },
				{ CKA_VALUE, (void *)val, sizeof(val) } };
	CK_OBJECT_HANDLE o, cert, sc, cp, found[4];
	CK_ULONG n = 0;
	uint8_t *v;
	size_t vl;

	CHECK(a != CK_INVALID_HANDLE && b != CK_INVALID_HANDLE, "C_OpenSession");
	CK(f->C_CreateObject(a, data, 4, &o), CKR_OK);
	CK_ATTRIBUTE ta = { CKA_TOKEN, &tok, sizeof(tok) };
	CK(f->C_GetAttributeValue(b, o, &ta, 1), CKR_OK);
	CHECK(tok == CK_FALSE, "CKA_TOKEN of a session object");
	CK_ATTRIBUTE q[] = { { CKA_CLASS, &dc, sizeof(dc) }, { CKA_LABEL, "e2e-session", 11 } };
	CK(f->C_FindObjectsInit(b, q, 2), CKR_OK);
	CK(f->C_FindObjects(b, found, 4, &n), CKR_OK);
	CK(f->C_FindObjectsFinal(b), CKR_OK);
	CHECK(n == 1 && found[0] == o, "find from the other session: %lu", (unsigned long)n);
	/* a session copy of the token's certificate */
	CHECK(e2e_find(f, a, CKO_CERTIFICATE, NULL, 0, &cert) == 0, "no certificate");
	CK_ATTRIBUTE ct[] = { { CKA_TOKEN, &no, 1 }, { CKA_LABEL, "e2e-copy", 8 } };
	CK(f->C_CopyObject(a, cert, ct, 2, &cp), CKR_OK);
	CHECK(e2e_attr(f, b, cp, CKA_VALUE, &v, &vl) == 0 && vl > 0, "copy's value");
	CK_ATTRIBUTE cd[] = { { CKA_CLASS, &cc, sizeof(cc) }, { CKA_TOKEN, &no, 1 },
			      { CKA_VALUE, v, vl } };
	CK(f->C_CreateObject(b, cd, 3, &sc), CKR_OK);
	free(v);
	/* a token copy needs a R/W session */
	CK_ATTRIBUTE tt = { CKA_TOKEN, &tok, 1 };
	tok = CK_TRUE;
	CK(f->C_CopyObject(a, o, &tt, 1, &cp), CKR_SESSION_READ_ONLY);
	CK(f->C_DestroyObject(b, o), CKR_OK); /* in a R/O session */
	CK(f->C_GetAttributeValue(a, o, &ta, 1), CKR_OBJECT_HANDLE_INVALID);
	CK(f->C_CloseSession(b), CKR_OK);
	CK(f->C_GetAttributeValue(a, sc, &ta, 1), CKR_OBJECT_HANDLE_INVALID);
	CK(f->C_CloseSession(a), CKR_OK);
	return 0;
}

/* ------------------------------------------------------------ main */

static void run(const char *name, int (*fn)(void), int need_init)
{
	int bad;
	if (need_init && init()) {
		g_fail++;
		printf("FAIL %s (C_Initialize)\n", name);
		return;
	}
	bad = fn();
	if (need_init)
		f->C_Finalize(NULL);
	if (bad)
		g_fail++;
	else
		g_pass++;
	printf("%s %s\n", bad ? "FAIL" : "PASS", name);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: e2e_conform MODULE SECRETS\n");
		return 2;
	}
	g_module = argv[1];
	g_secrets = argv[2];
	if (e2e_secret(g_secrets, "user_pin", g_pin, sizeof(g_pin)) != 0)
		return 2;
	if (e2e_module_load(&g_m, g_module) != 0)
		return 2;
	f = g_m.f;
	run("3.0 §5.4.6-7 C_GetInterfaceList/C_GetInterface (before C_Initialize)",
	    t_interfaces, 0);
	run("3.0 §5.4.6-7 C_GetInterfaceList/C_GetInterface", t_interfaces, 1);
	run("base §5.7 C_GetObjectSize", t_object_size, 1);
	run("base §5.10 + curr §2.20-2.22 C_Digest* SHA-1/224/256/384/512", t_digest, 1);
	run("base §5.15/§5.6 C_SeedRandom, C_Get/SetOperationState arguments",
	    t_arguments, 1);
	run("base §5.5/§5.6 login shared by sessions, logout not logged in",
	    t_login_shared, 1);
	run("base §4.7 CKA_ALLOWED_MECHANISMS", t_allowed_mechanisms, 1);
	run("base §5.14 C_GenerateKeyPair in public R/W and R/O sessions",
	    t_keygen_access, 1);
	run("base §4.1.2/§5.7 session objects in R/O sessions, C_CopyObject",
	    t_session_objects, 1);
	run("base §4.1.2/§5.14 session key pair: a scratch record on the card",
	    t_session_key_pair, 1);
	run("base §5.3 CKF_USER_PIN_COUNT_LOW/FINAL_TRY follow the card", t_pin_count, 1);
	run("base §5.3/§5.6 CKF_USER_PIN_LOCKED, C_InitPIN after it", t_pin_locked_initpin, 1);
	run("base §5.5/§5.6 another application used the token meanwhile", t_foreign_app, 1);
	printf("e2e_conform: %d passed, %d failed\n", g_pass, g_fail);
	e2e_module_unload(&g_m);
	e2e_wipe(g_pin, sizeof(g_pin));
	return g_fail ? 1 : 0;
}
