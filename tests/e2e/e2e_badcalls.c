/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * e2e_badcalls — table-driven misuse of the PKCS#11 API on a real (virtual)
 * token: every row is one wrong call and the return value(s) the PKCS#11
 * v2.40 specification prescribes for it.
 *
 *   e2e_badcalls MODULE SECRETS      (under pcsc-run with one FTCOS token)
 *
 * Section numbers: "base §x" = PKCS#11 Cryptographic Token Interface Base
 * Specification v2.40, "curr §x" = Current Mechanisms Specification v2.40.
 * Each row runs in its own forked process (Check's default), from a fresh
 * C_Initialize, so one misbehaving row cannot poison the next.
 */
#include <check.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rsa.h>

#include "e2e_p11.h"

static const char *g_module, *g_secrets;

/* State a row starts from. */
enum pre {
	PRE_NONE,        /* module loaded, not initialised */
	PRE_INIT,        /* C_Initialize done */
	PRE_SESSION,     /* + R/O session, not logged in */
	PRE_RW_SESSION,  /* + R/W session, not logged in */
	PRE_LOGGED_IN,   /* + R/O session, user logged in */
	PRE_RW_LOGGED_IN,/* + R/W session, user logged in */
	PRE_SIGN_ACTIVE, /* + logged in, C_SignInit(CKM_SHA256_RSA_PKCS) done */
	PRE_FIND_ACTIVE  /* + R/O session, C_FindObjectsInit done */
};

struct ctx {
	e2e_module m;
	CK_FUNCTION_LIST_PTR f;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE priv, pub, cert; /* found while logged in */
	EVP_PKEY *pubkey;
	CK_ULONG modlen;                  /* signature length in bytes */
	char pin[64], so_pin[64];
};

#define BAD_HANDLE ((CK_ULONG)0x7ffff1UL)
#define MAXEXP 3

struct row {
	const char *name;
	enum pre pre;
	CK_RV (*call)(struct ctx *c);
	int nexp;
	CK_RV exp[MAXEXP];
	/* Optional: the expected value depends on the token (e.g. whether a
	 * mechanism is offered at all); overrides exp. */
	CK_RV (*expect_fn)(struct ctx *c);
};

/* -------------------------------------------------------------- helpers */

static int has_mech(struct ctx *c, CK_MECHANISM_TYPE m)
{
	CK_MECHANISM_INFO mi;

	return c->f->C_GetMechanismInfo(c->slot, m, &mi) == CKR_OK &&
	       (mi.flags & CKF_SIGN);
}

static CK_RV login(struct ctx *c)
{
	return c->f->C_Login(c->s, CKU_USER, (CK_UTF8CHAR_PTR)c->pin, strlen(c->pin));
}

static CK_RV sign_init(struct ctx *c, CK_MECHANISM_TYPE mt, CK_OBJECT_HANDLE k)
{
	CK_MECHANISM m = { mt, NULL, 0 };

	return c->f->C_SignInit(c->s, &m, k);
}

static const uint8_t msg[] = "e2e_badcalls message";

static void setup(struct ctx *c, enum pre pre)
{
	CK_C_INITIALIZE_ARGS init = { .flags = CKF_OS_LOCKING_OK };
	CK_SLOT_ID slots[4];
	CK_FLAGS fl = CKF_SERIAL_SESSION;
	CK_RV rv;

	memset(c, 0, sizeof(*c));
	ck_assert_msg(e2e_secret(g_secrets, "user_pin", c->pin, sizeof(c->pin)) == 0,
		      "no user_pin in %s", g_secrets);
	if (e2e_secret(g_secrets, "so_pin", c->so_pin, sizeof(c->so_pin)) != 0)
		c->so_pin[0] = '\0';
	ck_assert_msg(e2e_module_load(&c->m, g_module) == 0, "cannot load %s", g_module);
	c->f = c->m.f;
	if (pre == PRE_NONE)
		return;
	rv = c->f->C_Initialize(&init);
	ck_assert_msg(rv == CKR_OK, "setup C_Initialize: %s", e2e_ckr(rv));
	ck_assert_msg(e2e_token_slots(c->f, slots, 4) >= 1, "no token present");
	c->slot = slots[0];
	if (pre == PRE_INIT)
		return;

	/* Find the objects once while logged in (private key is private). */
	rv = c->f->C_OpenSession(c->slot, CKF_SERIAL_SESSION, NULL, NULL, &c->s);
	ck_assert_msg(rv == CKR_OK, "setup C_OpenSession: %s", e2e_ckr(rv));
	rv = login(c);
	ck_assert_msg(rv == CKR_OK, "setup C_Login: %s", e2e_ckr(rv));
	ck_assert_msg(e2e_find(c->f, c->s, CKO_PRIVATE_KEY, NULL, 0, &c->priv) == 0,
		      "setup: no private key");
	{
		uint8_t *id;
		size_t idlen;

		ck_assert(e2e_attr(c->f, c->s, c->priv, CKA_ID, &id, &idlen) == 0);
		ck_assert_msg(e2e_find(c->f, c->s, CKO_PUBLIC_KEY, id, idlen, &c->pub) == 0,
			      "setup: no public key with the private key's CKA_ID");
		ck_assert_msg(e2e_find(c->f, c->s, CKO_CERTIFICATE, id, idlen, &c->cert) == 0,
			      "setup: no certificate with the private key's CKA_ID");
		free(id);
	}
	c->pubkey = e2e_rsa_pubkey(c->f, c->s, c->pub);
	ck_assert(c->pubkey != NULL);
	c->modlen = (CK_ULONG)EVP_PKEY_get_size(c->pubkey);
	rv = c->f->C_CloseSession(c->s);
	ck_assert_msg(rv == CKR_OK, "setup C_CloseSession: %s", e2e_ckr(rv));
	c->s = CK_INVALID_HANDLE;

	if (pre == PRE_RW_SESSION || pre == PRE_RW_LOGGED_IN)
		fl |= CKF_RW_SESSION;
	rv = c->f->C_OpenSession(c->slot, fl, NULL, NULL, &c->s);
	ck_assert_msg(rv == CKR_OK, "setup C_OpenSession: %s", e2e_ckr(rv));
	if (pre == PRE_LOGGED_IN || pre == PRE_RW_LOGGED_IN || pre == PRE_SIGN_ACTIVE) {
		rv = login(c);
		ck_assert_msg(rv == CKR_OK, "setup C_Login: %s", e2e_ckr(rv));
	}
	if (pre == PRE_SIGN_ACTIVE) {
		rv = sign_init(c, CKM_SHA256_RSA_PKCS, c->priv);
		ck_assert_msg(rv == CKR_OK, "setup C_SignInit: %s", e2e_ckr(rv));
	}
	if (pre == PRE_FIND_ACTIVE) {
		rv = c->f->C_FindObjectsInit(c->s, NULL, 0);
		ck_assert_msg(rv == CKR_OK, "setup C_FindObjectsInit: %s", e2e_ckr(rv));
	}
}

static void teardown(struct ctx *c)
{
	if (c->f)
		c->f->C_Finalize(NULL);
	EVP_PKEY_free(c->pubkey);
	e2e_wipe(c->pin, sizeof(c->pin));
	e2e_wipe(c->so_pin, sizeof(c->so_pin));
	e2e_module_unload(&c->m);
}

/* ------------------------------------------------- base §5.4 general */

static CK_RV r_getfunctionlist_null(struct ctx *c)
{
	CK_C_GetFunctionList gfl;

	*(void **)&gfl = dlsym(c->m.dl, "C_GetFunctionList");
	ck_assert(gfl != NULL);
	return gfl(NULL); /* base §5.4 C_GetFunctionList: CKR_ARGUMENTS_BAD */
}

static CK_RV r_getinfo_uninit(struct ctx *c)
{
	CK_INFO i;

	return c->f->C_GetInfo(&i); /* base §5.1.1 CKR_CRYPTOKI_NOT_INITIALIZED */
}

static CK_RV r_slotlist_uninit(struct ctx *c)
{
	CK_ULONG n = 0;

	return c->f->C_GetSlotList(CK_TRUE, NULL, &n);
}

static CK_RV r_initialize_twice(struct ctx *c)
{
	return c->f->C_Initialize(NULL); /* base §5.4 C_Initialize */
}

static CK_RV r_initialize_reserved(struct ctx *c)
{
	CK_C_INITIALIZE_ARGS a = { .flags = CKF_OS_LOCKING_OK, .pReserved = &a };

	return c->f->C_Initialize(&a); /* base §5.4: pReserved must be NULL */
}

static CK_RV fake_create_mutex(void **m)
{
	*m = NULL;
	return CKR_OK;
}

static CK_RV r_initialize_partial_mutex(struct ctx *c)
{
	/* base §5.4: either all four mutex functions or none. */
	CK_C_INITIALIZE_ARGS a = { .CreateMutex = fake_create_mutex };

	return c->f->C_Initialize(&a);
}

static CK_RV r_finalize_reserved(struct ctx *c)
{
	int x = 0;

	return c->f->C_Finalize(&x); /* base §5.4 C_Finalize: pReserved NULL */
}

static CK_RV r_getinfo_null(struct ctx *c)
{
	return c->f->C_GetInfo(NULL);
}

/* --------------------------------------- base §5.5 slot and token mgmt */

static CK_RV r_slotlist_null_count(struct ctx *c)
{
	return c->f->C_GetSlotList(CK_TRUE, NULL, NULL);
}

static CK_RV r_slotlist_short(struct ctx *c)
{
	CK_SLOT_ID one[1];
	CK_ULONG n = 0;
	CK_RV rv = c->f->C_GetSlotList(CK_TRUE, one, &n);

	/* base §5.2: too small => CKR_BUFFER_TOO_SMALL and the needed count. */
	ck_assert_msg(n >= 1, "C_GetSlotList did not return the needed count (%lu)", n);
	return rv;
}

static CK_RV r_slotinfo_invalid(struct ctx *c)
{
	CK_SLOT_INFO si;

	return c->f->C_GetSlotInfo(BAD_HANDLE, &si);
}

static CK_RV r_tokeninfo_null(struct ctx *c)
{
	return c->f->C_GetTokenInfo(c->slot, NULL);
}

static CK_RV r_mechlist_short(struct ctx *c)
{
	CK_MECHANISM_TYPE one[1];
	CK_ULONG n = 0;
	CK_RV rv = c->f->C_GetMechanismList(c->slot, one, &n);

	ck_assert_msg(n >= 1, "C_GetMechanismList did not return the needed count");
	return rv;
}

static CK_RV r_mechinfo_invalid(struct ctx *c)
{
	CK_MECHANISM_INFO mi;

	return c->f->C_GetMechanismInfo(c->slot, CKM_VENDOR_DEFINED | 0x4242, &mi);
}

static CK_RV r_waitforslotevent_reserved(struct ctx *c)
{
	CK_SLOT_ID s;
	int x;

	/* base §5.5 C_WaitForSlotEvent: pReserved must be NULL. */
	return c->f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &s, &x);
}

static CK_RV r_initpin_not_so(struct ctx *c)
{
	/* base §5.5 C_InitPIN: only in the "R/W SO Functions" state. */
	return c->f->C_InitPIN(c->s, (CK_UTF8CHAR_PTR)c->pin, strlen(c->pin));
}

static CK_RV r_setpin_ro(struct ctx *c)
{
	/* base §5.5 C_SetPIN: from a R/O session => CKR_SESSION_READ_ONLY. */
	return c->f->C_SetPIN(c->s, (CK_UTF8CHAR_PTR)c->pin, strlen(c->pin),
			      (CK_UTF8CHAR_PTR)c->pin, strlen(c->pin));
}

static CK_RV setpin_len(struct ctx *c, int too_long)
{
	CK_TOKEN_INFO ti;
	char newpin[80];
	size_t len;
	CK_RV rv;

	ck_assert(c->f->C_GetTokenInfo(c->slot, &ti) == CKR_OK);
	if (too_long) {
		ck_assert_msg(ti.ulMaxPinLen + 1 < sizeof(newpin), "max PIN length %lu",
			      ti.ulMaxPinLen);
		len = ti.ulMaxPinLen + 1;
	} else {
		ck_assert_msg(ti.ulMinPinLen >= 2, "min PIN length %lu", ti.ulMinPinLen);
		len = ti.ulMinPinLen - 1;
	}
	memset(newpin, '7', len);
	rv = c->f->C_SetPIN(c->s, (CK_UTF8CHAR_PTR)c->pin, strlen(c->pin),
			    (CK_UTF8CHAR_PTR)newpin, len);
	/* Whatever it answered, the old PIN must still be the PIN. */
	c->f->C_Logout(c->s);
	ck_assert_msg(login(c) == CKR_OK, "PIN changed by a rejected C_SetPIN");
	return rv;
}

static CK_RV r_setpin_too_short(struct ctx *c)
{
	return setpin_len(c, 0); /* base §5.5 C_SetPIN: CKR_PIN_LEN_RANGE */
}

static CK_RV r_setpin_too_long(struct ctx *c)
{
	return setpin_len(c, 1);
}

/* ------------------------------------------- base §5.6 session mgmt */

static CK_RV r_opensession_no_serial(struct ctx *c)
{
	CK_SESSION_HANDLE h;

	/* base §5.6 C_OpenSession: CKF_SERIAL_SESSION must be set. */
	return c->f->C_OpenSession(c->slot, 0, NULL, NULL, &h);
}

static CK_RV r_opensession_null(struct ctx *c)
{
	return c->f->C_OpenSession(c->slot, CKF_SERIAL_SESSION, NULL, NULL, NULL);
}

static CK_RV r_opensession_bad_slot(struct ctx *c)
{
	CK_SESSION_HANDLE h;

	return c->f->C_OpenSession(BAD_HANDLE, CKF_SERIAL_SESSION, NULL, NULL, &h);
}

static CK_RV r_closesession_invalid(struct ctx *c)
{
	return c->f->C_CloseSession(CK_INVALID_HANDLE);
}

static CK_RV r_stale_session(struct ctx *c)
{
	CK_SESSION_INFO si;

	ck_assert(c->f->C_CloseSession(c->s) == CKR_OK);
	return c->f->C_GetSessionInfo(c->s, &si); /* base §5.1.2 */
}

static CK_RV r_sessioninfo_null(struct ctx *c)
{
	return c->f->C_GetSessionInfo(c->s, NULL);
}

static CK_RV r_closeall_bad_slot(struct ctx *c)
{
	return c->f->C_CloseAllSessions(BAD_HANDLE);
}

static CK_RV r_login_wrong_pin(struct ctx *c)
{
	char wrong[64];
	size_t len = strlen(c->pin);
	CK_RV rv;

	ck_assert_msg(len > 0 && len < sizeof(wrong), "bad user_pin length");
	memcpy(wrong, c->pin, len);
	wrong[len - 1] = wrong[len - 1] == '0' ? '1' : '0';
	rv = c->f->C_Login(c->s, CKU_USER, (CK_UTF8CHAR_PTR)wrong, len);
	/* A correct login afterwards resets the retry counter for later rows. */
	ck_assert_msg(login(c) == CKR_OK, "correct PIN refused after a wrong one");
	return rv; /* base §5.6 C_Login: CKR_PIN_INCORRECT */
}

static CK_RV r_login_overlong_pin(struct ctx *c)
{
	char longpin[200];
	CK_RV rv;

	memset(longpin, '5', sizeof(longpin));
	rv = c->f->C_Login(c->s, CKU_USER, (CK_UTF8CHAR_PTR)longpin, sizeof(longpin));
	ck_assert_msg(login(c) == CKR_OK, "correct PIN refused after an over-long one");
	return rv;
}

static CK_RV r_login_already(struct ctx *c)
{
	return login(c); /* base §5.6 C_Login: CKR_USER_ALREADY_LOGGED_IN */
}

static CK_RV r_login_bad_type(struct ctx *c)
{
	return c->f->C_Login(c->s, 7, (CK_UTF8CHAR_PTR)c->pin, strlen(c->pin));
}

static CK_RV r_login_so_with_ro_session(struct ctx *c)
{
	/* base §5.6 C_Login: SO login while a R/O session exists. */
	ck_assert_msg(c->so_pin[0], "no so_pin in the secrets file");
	return c->f->C_Login(c->s, CKU_SO, (CK_UTF8CHAR_PTR)c->so_pin,
			     strlen(c->so_pin));
}

static CK_RV r_logout_not_logged_in(struct ctx *c)
{
	return c->f->C_Logout(c->s);
}

static CK_RV r_after_finalize(struct ctx *c)
{
	CK_SESSION_INFO si;

	ck_assert(c->f->C_Finalize(NULL) == CKR_OK);
	return c->f->C_GetSessionInfo(c->s, &si);
}

/* ------------------------------------------- base §5.7 object mgmt */

static CK_RV getattr_expect_unavail(struct ctx *c, CK_OBJECT_HANDLE o,
				    CK_ATTRIBUTE_TYPE t, CK_ULONG len)
{
	uint8_t buf[8];
	CK_ATTRIBUTE a = { t, len ? buf : NULL, len };
	CK_RV rv = c->f->C_GetAttributeValue(c->s, o, &a, 1);

	/* base §5.7 C_GetAttributeValue: the failing attribute's ulValueLen
	 * is set to CK_UNAVAILABLE_INFORMATION. */
	ck_assert_msg(a.ulValueLen == CK_UNAVAILABLE_INFORMATION,
		      "ulValueLen %lu, want CK_UNAVAILABLE_INFORMATION", a.ulValueLen);
	return rv;
}

static CK_RV r_getattr_sensitive(struct ctx *c)
{
	return getattr_expect_unavail(c, c->priv, CKA_PRIVATE_EXPONENT, 0);
}

static CK_RV r_getattr_bad_type(struct ctx *c)
{
	return getattr_expect_unavail(c, c->cert, CKA_VENDOR_DEFINED | 0x4242, 0);
}

static CK_RV r_getattr_short(struct ctx *c)
{
	return getattr_expect_unavail(c, c->cert, CKA_VALUE, 4);
}

static CK_RV r_getattr_bad_object(struct ctx *c)
{
	CK_ULONG cls;
	CK_ATTRIBUTE a = { CKA_CLASS, &cls, sizeof(cls) };

	return c->f->C_GetAttributeValue(c->s, BAD_HANDLE, &a, 1);
}

static CK_RV r_getattr_null_template(struct ctx *c)
{
	return c->f->C_GetAttributeValue(c->s, c->cert, NULL, 1);
}

static CK_RV r_find_without_init(struct ctx *c)
{
	CK_OBJECT_HANDLE h;
	CK_ULONG n;

	return c->f->C_FindObjects(c->s, &h, 1, &n);
}

static CK_RV r_find_init_twice(struct ctx *c)
{
	return c->f->C_FindObjectsInit(c->s, NULL, 0); /* base §5.7 */
}

static CK_RV r_find_null_count(struct ctx *c)
{
	CK_OBJECT_HANDLE h;

	return c->f->C_FindObjects(c->s, &h, 1, NULL);
}

static CK_RV r_private_invisible(struct ctx *c)
{
	CK_OBJECT_HANDLE h;
	int rc = e2e_find(c->f, c->s, CKO_PRIVATE_KEY, NULL, 0, &h);

	/* base §4.4 (CKA_PRIVATE): private objects are invisible until login. */
	ck_assert_msg(rc == 1, "a private key is visible without login");
	return CKR_OK;
}

static CK_RV r_destroy_in_ro(struct ctx *c)
{
	/* base §5.7 C_DestroyObject: token objects cannot be destroyed in a
	 * R/O session. */
	return c->f->C_DestroyObject(c->s, c->cert);
}

static CK_RV r_create_token_obj_in_ro(struct ctx *c)
{
	CK_OBJECT_CLASS cls = CKO_DATA;
	CK_BBOOL yes = CK_TRUE;
	char label[] = "e2e";
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_LABEL, label, 3 },
		{ CKA_VALUE, label, 3 },
	};
	CK_OBJECT_HANDLE h;

	return c->f->C_CreateObject(c->s, t, 4, &h);
}

/* --------------------------------------------- base §5.11 signing */

static CK_RV r_sign_without_init(struct ctx *c)
{
	uint8_t sig[512];
	CK_ULONG sl = sizeof(sig);

	return c->f->C_Sign(c->s, (CK_BYTE_PTR)msg, sizeof(msg), sig, &sl);
}

static CK_RV r_signinit_active(struct ctx *c)
{
	return sign_init(c, CKM_SHA256_RSA_PKCS, c->priv);
}

static CK_RV r_signinit_null_mech(struct ctx *c)
{
	return c->f->C_SignInit(c->s, NULL, c->priv);
}

static CK_RV r_signinit_bad_key(struct ctx *c)
{
	return sign_init(c, CKM_SHA256_RSA_PKCS, BAD_HANDLE);
}

static CK_RV r_signinit_cert_handle(struct ctx *c)
{
	/* base §5.1.6 CKR_KEY_HANDLE_INVALID: "may be a valid handle for an
	 * object which is not a key". */
	return sign_init(c, CKM_SHA256_RSA_PKCS, c->cert);
}

static CK_RV r_signinit_public_key(struct ctx *c)
{
	return sign_init(c, CKM_SHA256_RSA_PKCS, c->pub);
}

static CK_RV r_signinit_stale_session(struct ctx *c)
{
	CK_SESSION_HANDLE old = c->s;

	ck_assert(c->f->C_CloseSession(old) == CKR_OK);
	return sign_init(c, CKM_SHA256_RSA_PKCS, c->priv);
}

static CK_RV r_signinit_not_logged_in(struct ctx *c)
{
	CK_RV rv = sign_init(c, CKM_SHA256_RSA_PKCS, c->priv);

	/* A module may defer the check to C_Sign (base §5.11 lists
	 * CKR_USER_NOT_LOGGED_IN for both); either way no signature. */
	if (rv == CKR_OK) {
		uint8_t sig[512];
		CK_ULONG sl = sizeof(sig);

		rv = c->f->C_Sign(c->s, (CK_BYTE_PTR)msg, sizeof(msg), sig, &sl);
	}
	return rv;
}

static CK_RV r_sign_short_buffer(struct ctx *c)
{
	uint8_t sig[512];
	CK_ULONG sl = 8;
	CK_RV rv = c->f->C_Sign(c->s, (CK_BYTE_PTR)msg, sizeof(msg), sig, &sl);

	/* base §5.2: CKR_BUFFER_TOO_SMALL, the length needed, and the
	 * operation stays active so the retry succeeds. */
	ck_assert_msg(sl == c->modlen, "length returned %lu, want %lu", sl, c->modlen);
	if (rv == CKR_BUFFER_TOO_SMALL) {
		CK_RV rv2;

		sl = sizeof(sig);
		rv2 = c->f->C_Sign(c->s, (CK_BYTE_PTR)msg, sizeof(msg), sig, &sl);
		ck_assert_msg(rv2 == CKR_OK, "retry after BUFFER_TOO_SMALL: %s", e2e_ckr(rv2));
		ck_assert_msg(e2e_verify_pkcs1(c->pubkey, EVP_sha256(), msg, sizeof(msg),
					       sig, sl) == 1,
			      "signature after BUFFER_TOO_SMALL does not verify");
	}
	return rv;
}

static CK_RV r_sign_length_query(struct ctx *c)
{
	uint8_t sig[512];
	CK_ULONG sl = 0;
	CK_RV rv = c->f->C_Sign(c->s, (CK_BYTE_PTR)msg, sizeof(msg), NULL, &sl);

	/* base §5.2: NULL buffer => CKR_OK, length only, operation active. */
	ck_assert_msg(rv == CKR_OK && sl == c->modlen, "length query: %s, %lu",
		      e2e_ckr(rv), sl);
	sl = sizeof(sig);
	rv = c->f->C_Sign(c->s, (CK_BYTE_PTR)msg, sizeof(msg), sig, &sl);
	ck_assert_msg(rv == CKR_OK, "sign after length query: %s", e2e_ckr(rv));
	ck_assert_msg(e2e_verify_pkcs1(c->pubkey, EVP_sha256(), msg, sizeof(msg), sig, sl) == 1,
		      "signature does not verify");
	/* The operation is over now (base §5.11 C_Sign). */
	sl = sizeof(sig);
	return c->f->C_Sign(c->s, (CK_BYTE_PTR)msg, sizeof(msg), sig, &sl);
}

static CK_RV r_sign_null_len(struct ctx *c)
{
	uint8_t sig[512];

	return c->f->C_Sign(c->s, (CK_BYTE_PTR)msg, sizeof(msg), sig, NULL);
}

static CK_RV r_rsa_pkcs_data_too_long(struct ctx *c)
{
	uint8_t data[512], sig[512];
	CK_ULONG sl = sizeof(sig);
	CK_RV rv = sign_init(c, CKM_RSA_PKCS, c->priv);

	ck_assert_msg(rv == CKR_OK, "C_SignInit(CKM_RSA_PKCS): %s", e2e_ckr(rv));
	memset(data, 0x5a, sizeof(data));
	/* curr §2.1.6 (PKCS #1 v1.5 RSA): C_Sign input at most k-11 bytes. */
	return c->f->C_Sign(c->s, data, c->modlen - 10, sig, &sl);
}

static CK_RV pss_init(struct ctx *c, CK_MECHANISM_TYPE mt, CK_MECHANISM_TYPE hash,
		      CK_RSA_PKCS_MGF_TYPE mgf, CK_ULONG slen, CK_ULONG plen)
{
	CK_RSA_PKCS_PSS_PARAMS p = { hash, mgf, slen };
	CK_MECHANISM m = { mt, &p, plen };

	return c->f->C_SignInit(c->s, &m, c->priv);
}

static CK_RV r_pss_hash_mismatch(struct ctx *c)
{
	/* curr "PKCS #1 RSA PSS mechanism parameters": for a mechanism that
	 * hashes, hashAlg must match its hash (SHA-256 here). */
	return pss_init(c, CKM_SHA256_RSA_PKCS_PSS, CKM_SHA_1, CKG_MGF1_SHA256, 32,
			sizeof(CK_RSA_PKCS_PSS_PARAMS));
}

static CK_RV r_pss_no_params(struct ctx *c)
{
	CK_MECHANISM m = { CKM_SHA256_RSA_PKCS_PSS, NULL, 0 };

	/* curr "PKCS #1 RSA PSS signature with SHA-256": the mechanism has a
	 * CK_RSA_PKCS_PSS_PARAMS parameter. */
	return c->f->C_SignInit(c->s, &m, c->priv);
}

static CK_RV r_pss_bad_param_len(struct ctx *c)
{
	return pss_init(c, CKM_SHA256_RSA_PKCS_PSS, CKM_SHA256, CKG_MGF1_SHA256, 32,
			sizeof(CK_RSA_PKCS_PSS_PARAMS) - 1);
}

/* Anchor for the PSS rows: correct parameters must work (so the rows
 * above cannot pass by refusing PSS altogether), and the signature must
 * verify as RSASSA-PSS/SHA-256/MGF1-SHA-256/salt 32 with OpenSSL. */
static CK_RV r_pss_correct(struct ctx *c)
{
	uint8_t sig[512];
	CK_ULONG sl = sizeof(sig);
	CK_RV rv = pss_init(c, CKM_SHA256_RSA_PKCS_PSS, CKM_SHA256, CKG_MGF1_SHA256, 32,
			    sizeof(CK_RSA_PKCS_PSS_PARAMS));

	if (rv != CKR_OK)
		return rv;
	rv = c->f->C_Sign(c->s, (CK_BYTE_PTR)msg, sizeof(msg), sig, &sl);
	if (rv == CKR_OK) {
		EVP_MD_CTX *m = EVP_MD_CTX_new();
		EVP_PKEY_CTX *pc = NULL;
		int ok = m && EVP_DigestVerifyInit(m, &pc, EVP_sha256(), NULL, c->pubkey) > 0 &&
			 EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) > 0 &&
			 EVP_PKEY_CTX_set_rsa_mgf1_md(pc, EVP_sha256()) > 0 &&
			 EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, 32) > 0 &&
			 EVP_DigestVerify(m, sig, sl, msg, sizeof(msg)) == 1;

		EVP_MD_CTX_free(m);
		ck_assert_msg(ok, "PSS signature does not verify");
	}
	return rv;
}

static CK_RV exp_pss_ok(struct ctx *c)
{
	return has_mech(c, CKM_SHA256_RSA_PKCS_PSS) ? CKR_OK : CKR_MECHANISM_INVALID;
}

static CK_RV exp_pss(struct ctx *c)
{
	return has_mech(c, CKM_SHA256_RSA_PKCS_PSS) ? CKR_MECHANISM_PARAM_INVALID
						    : CKR_MECHANISM_INVALID;
}

static CK_RV r_ecdsa_on_rsa(struct ctx *c)
{
	return sign_init(c, CKM_ECDSA, c->priv);
}

static CK_RV exp_ecdsa(struct ctx *c)
{
	/* base §5.1.6: a mechanism the token does not offer is
	 * CKR_MECHANISM_INVALID; an offered one on the wrong key type is
	 * CKR_KEY_TYPE_INCONSISTENT. */
	return has_mech(c, CKM_ECDSA) ? CKR_KEY_TYPE_INCONSISTENT : CKR_MECHANISM_INVALID;
}

static CK_RV r_digest_mech_for_sign(struct ctx *c)
{
	return sign_init(c, CKM_SHA256, c->priv); /* not a signing mechanism */
}

/* ------------------------------------------- base §5.15 random */

static CK_RV r_random_null(struct ctx *c)
{
	return c->f->C_GenerateRandom(c->s, NULL, 8);
}


/* ------------------------------------ issue 9: NULL / zero-length rows */

static CK_RV r_seed_null(struct ctx *c)
{
	return c->f->C_SeedRandom(c->s, NULL, 8); /* base §5.15 */
}

static CK_RV r_seed_empty(struct ctx *c)
{
	CK_BYTE b[1] = { 0 };

	return c->f->C_SeedRandom(c->s, b, 0); /* base §5.15: no seed given */
}

static CK_RV r_seed_given(struct ctx *c)
{
	CK_BYTE b[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

	return c->f->C_SeedRandom(c->s, b, sizeof(b)); /* the card takes none */
}

static CK_RV r_seed_bad_session(struct ctx *c)
{
	CK_BYTE b[8] = { 0 };

	(void)c;
	return c->f->C_SeedRandom(BAD_HANDLE, b, sizeof(b));
}

static CK_RV r_objsize_null(struct ctx *c)
{
	return c->f->C_GetObjectSize(c->s, c->cert, NULL); /* base §5.7 */
}

static CK_RV r_objsize_bad_object(struct ctx *c)
{
	CK_ULONG n;

	return c->f->C_GetObjectSize(c->s, BAD_HANDLE, &n);
}

static CK_RV r_objsize_private_hidden(struct ctx *c)
{
	CK_ULONG n;

	return c->f->C_GetObjectSize(c->s, c->priv, &n); /* base §4.4 CKA_PRIVATE */
}

static CK_RV r_getopstate(struct ctx *c)
{
	CK_ULONG n = 0;

	return c->f->C_GetOperationState(c->s, NULL, &n); /* base §5.6 */
}

static CK_RV r_setopstate(struct ctx *c)
{
	CK_BYTE b[16] = { 0 };

	return c->f->C_SetOperationState(c->s, b, sizeof(b), 0, 0);
}

static CK_RV r_getopstate_bad_session(struct ctx *c)
{
	CK_ULONG n = 0;

	return c->f->C_GetOperationState(BAD_HANDLE, NULL, &n);
}

static CK_RV r_digestinit_null(struct ctx *c)
{
	return c->f->C_DigestInit(c->s, NULL); /* base §5.10 */
}

static CK_RV r_digest_without_init(struct ctx *c)
{
	CK_BYTE out[64];
	CK_ULONG n = sizeof(out);

	return c->f->C_Digest(c->s, (CK_BYTE_PTR)msg, sizeof(msg), out, &n);
}

static CK_RV r_digest_null_len(struct ctx *c)
{
	CK_MECHANISM m = { CKM_SHA256, NULL, 0 };
	CK_RV rv = c->f->C_DigestInit(c->s, &m);

	if (rv != CKR_OK)
		return CKR_GENERAL_ERROR;
	return c->f->C_Digest(c->s, (CK_BYTE_PTR)msg, sizeof(msg), NULL, NULL);
}

static CK_RV r_digest_update_null(struct ctx *c)
{
	CK_MECHANISM m = { CKM_SHA256, NULL, 0 };
	CK_RV rv = c->f->C_DigestInit(c->s, &m);

	if (rv != CKR_OK)
		return CKR_GENERAL_ERROR;
	return c->f->C_DigestUpdate(c->s, NULL, 8);
}

static CK_RV r_digest_sign_mech(struct ctx *c)
{
	CK_MECHANISM m = { CKM_SHA256_RSA_PKCS, NULL, 0 };

	return c->f->C_DigestInit(c->s, &m); /* not a digest mechanism */
}

static CK_RV r_getinterface_null(struct ctx *c)
{
	CK_RV (*gi)(CK_UTF8CHAR_PTR, CK_VERSION_PTR, void **, CK_FLAGS);

	*(void **)&gi = dlsym(c->m.dl, "C_GetInterface");
	ck_assert(gi != NULL);
	return gi(NULL, NULL, NULL, 0); /* 3.0 §5.4.7 */
}

static CK_RV r_getinterfacelist_null(struct ctx *c)
{
	CK_RV (*gil)(void *, CK_ULONG_PTR);

	*(void **)&gil = dlsym(c->m.dl, "C_GetInterfaceList");
	ck_assert(gil != NULL);
	return gil(NULL, NULL); /* 3.0 §5.4.6 */
}

static CK_RV r_login_null_pin(struct ctx *c)
{
	return c->f->C_Login(c->s, CKU_USER, NULL, 6); /* base §5.6 */
}

static CK_RV r_setpin_null(struct ctx *c)
{
	return c->f->C_SetPIN(c->s, NULL, 6, NULL, 6);
}

static CK_RV r_find_init_null_template(struct ctx *c)
{
	return c->f->C_FindObjectsInit(c->s, NULL, 1); /* base §5.7 */
}

static CK_RV r_getattr_zero_count(struct ctx *c)
{
	return c->f->C_GetAttributeValue(c->s, c->cert, NULL, 0);
}

/* ------------------------------------------------------------- table */

#define E1(a) 1, { a }
#define E2(a, b) 2, { a, b }

static const struct row rows[] = {
	{ "C_GetFunctionList(NULL)", PRE_NONE, r_getfunctionlist_null, E1(CKR_ARGUMENTS_BAD), NULL },
	{ "C_GetInfo before C_Initialize", PRE_NONE, r_getinfo_uninit, E1(CKR_CRYPTOKI_NOT_INITIALIZED), NULL },
	{ "C_GetSlotList before C_Initialize", PRE_NONE, r_slotlist_uninit, E1(CKR_CRYPTOKI_NOT_INITIALIZED), NULL },
	{ "C_Initialize with pReserved", PRE_NONE, r_initialize_reserved, E1(CKR_ARGUMENTS_BAD), NULL },
	{ "C_Initialize with one mutex function", PRE_NONE, r_initialize_partial_mutex, E1(CKR_ARGUMENTS_BAD), NULL },
	{ "C_Initialize twice", PRE_INIT, r_initialize_twice, E1(CKR_CRYPTOKI_ALREADY_INITIALIZED), NULL },
	{ "C_Finalize(non-NULL)", PRE_INIT, r_finalize_reserved, E1(CKR_ARGUMENTS_BAD), NULL },
	{ "C_GetInfo(NULL)", PRE_INIT, r_getinfo_null, E1(CKR_ARGUMENTS_BAD), NULL },
	{ "C_GetSlotList(pulCount NULL)", PRE_INIT, r_slotlist_null_count, E1(CKR_ARGUMENTS_BAD), NULL },
	{ "C_GetSlotList short buffer", PRE_INIT, r_slotlist_short, E1(CKR_BUFFER_TOO_SMALL), NULL },
	{ "C_GetSlotInfo invalid slot", PRE_INIT, r_slotinfo_invalid, E1(CKR_SLOT_ID_INVALID), NULL },
	{ "C_GetTokenInfo(NULL)", PRE_INIT, r_tokeninfo_null, E1(CKR_ARGUMENTS_BAD), NULL },
	{ "C_GetMechanismList short buffer", PRE_INIT, r_mechlist_short, E1(CKR_BUFFER_TOO_SMALL), NULL },
	{ "C_GetMechanismInfo unknown mechanism", PRE_INIT, r_mechinfo_invalid, E1(CKR_MECHANISM_INVALID), NULL },
	{ "C_WaitForSlotEvent with pReserved", PRE_INIT, r_waitforslotevent_reserved, E1(CKR_ARGUMENTS_BAD), NULL },
	{ "C_OpenSession without CKF_SERIAL_SESSION", PRE_INIT, r_opensession_no_serial, E1(CKR_SESSION_PARALLEL_NOT_SUPPORTED), NULL },
	{ "C_OpenSession(phSession NULL)", PRE_INIT, r_opensession_null, E1(CKR_ARGUMENTS_BAD), NULL },
	{ "C_OpenSession invalid slot", PRE_INIT, r_opensession_bad_slot, E1(CKR_SLOT_ID_INVALID), NULL },
	{ "C_CloseSession(CK_INVALID_HANDLE)", PRE_INIT, r_closesession_invalid, E1(CKR_SESSION_HANDLE_INVALID), NULL },
	{ "C_CloseAllSessions invalid slot", PRE_INIT, r_closeall_bad_slot, E1(CKR_SLOT_ID_INVALID), NULL },
	{ "closed session handle reused", PRE_SESSION, r_stale_session, E1(CKR_SESSION_HANDLE_INVALID), NULL },
	{ "C_GetSessionInfo(NULL)", PRE_SESSION, r_sessioninfo_null, E1(CKR_ARGUMENTS_BAD), NULL },
	{ "C_Login wrong PIN", PRE_SESSION, r_login_wrong_pin, E1(CKR_PIN_INCORRECT), NULL },
	/* base §5.6 lists only CKR_PIN_INCORRECT for C_Login; §5.1.6 defines
	 * CKR_PIN_LEN_RANGE for any PIN of the wrong length: both are right,
	 * and neither may lock the user out (checked in the row). */
	{ "C_Login over-long PIN", PRE_SESSION, r_login_overlong_pin, E2(CKR_PIN_INCORRECT, CKR_PIN_LEN_RANGE), NULL },
	{ "C_Login user already logged in", PRE_LOGGED_IN, r_login_already, E1(CKR_USER_ALREADY_LOGGED_IN), NULL },
	{ "C_Login invalid user type", PRE_SESSION, r_login_bad_type, E1(CKR_USER_TYPE_INVALID), NULL },
	{ "C_Login SO with a R/O session open", PRE_SESSION, r_login_so_with_ro_session, E1(CKR_SESSION_READ_ONLY_EXISTS), NULL },
	{ "C_Logout not logged in", PRE_SESSION, r_logout_not_logged_in, E1(CKR_USER_NOT_LOGGED_IN), NULL },
	{ "C_InitPIN outside SO state", PRE_RW_SESSION, r_initpin_not_so, E1(CKR_USER_NOT_LOGGED_IN), NULL },
	{ "C_SetPIN in a R/O session", PRE_LOGGED_IN, r_setpin_ro, E1(CKR_SESSION_READ_ONLY), NULL },
	{ "C_SetPIN new PIN too short", PRE_RW_LOGGED_IN, r_setpin_too_short, E1(CKR_PIN_LEN_RANGE), NULL },
	{ "C_SetPIN new PIN too long", PRE_RW_LOGGED_IN, r_setpin_too_long, E1(CKR_PIN_LEN_RANGE), NULL },
	{ "call after C_Finalize", PRE_SESSION, r_after_finalize, E1(CKR_CRYPTOKI_NOT_INITIALIZED), NULL },
	{ "C_GetAttributeValue sensitive attribute", PRE_LOGGED_IN, r_getattr_sensitive, E1(CKR_ATTRIBUTE_SENSITIVE), NULL },
	{ "C_GetAttributeValue unknown attribute", PRE_SESSION, r_getattr_bad_type, E1(CKR_ATTRIBUTE_TYPE_INVALID), NULL },
	{ "C_GetAttributeValue short buffer", PRE_SESSION, r_getattr_short, E1(CKR_BUFFER_TOO_SMALL), NULL },
	{ "C_GetAttributeValue invalid object", PRE_SESSION, r_getattr_bad_object, E1(CKR_OBJECT_HANDLE_INVALID), NULL },
	{ "C_GetAttributeValue(pTemplate NULL)", PRE_SESSION, r_getattr_null_template, E1(CKR_ARGUMENTS_BAD), NULL },
	{ "C_FindObjects without init", PRE_SESSION, r_find_without_init, E1(CKR_OPERATION_NOT_INITIALIZED), NULL },
	{ "C_FindObjectsInit twice", PRE_FIND_ACTIVE, r_find_init_twice, E1(CKR_OPERATION_ACTIVE), NULL },
	{ "C_FindObjects(pulObjectCount NULL)", PRE_FIND_ACTIVE, r_find_null_count, E1(CKR_ARGUMENTS_BAD), NULL },
	{ "private key hidden before login", PRE_SESSION, r_private_invisible, E1(CKR_OK), NULL },
	{ "C_DestroyObject token object in R/O session", PRE_LOGGED_IN, r_destroy_in_ro, E1(CKR_SESSION_READ_ONLY), NULL },
	{ "C_CreateObject token object in R/O session", PRE_LOGGED_IN, r_create_token_obj_in_ro, E1(CKR_SESSION_READ_ONLY), NULL },
	{ "C_Sign without C_SignInit", PRE_LOGGED_IN, r_sign_without_init, E1(CKR_OPERATION_NOT_INITIALIZED), NULL },
	{ "C_SignInit while signing", PRE_SIGN_ACTIVE, r_signinit_active, E1(CKR_OPERATION_ACTIVE), NULL },
	{ "C_SignInit(pMechanism NULL)", PRE_LOGGED_IN, r_signinit_null_mech, E1(CKR_ARGUMENTS_BAD), NULL },
	{ "C_SignInit invalid key handle", PRE_LOGGED_IN, r_signinit_bad_key, E1(CKR_KEY_HANDLE_INVALID), NULL },
	{ "C_SignInit with a certificate", PRE_LOGGED_IN, r_signinit_cert_handle, E2(CKR_KEY_HANDLE_INVALID, CKR_KEY_TYPE_INCONSISTENT), NULL },
	/* base §5.1.6: CKR_KEY_FUNCTION_NOT_PERMITTED (CKA_SIGN false) or
	 * CKR_KEY_TYPE_INCONSISTENT (a public key cannot sign). */
	{ "C_SignInit with a public key", PRE_LOGGED_IN, r_signinit_public_key, E2(CKR_KEY_FUNCTION_NOT_PERMITTED, CKR_KEY_TYPE_INCONSISTENT), NULL },
	{ "C_SignInit on a closed session", PRE_LOGGED_IN, r_signinit_stale_session, E1(CKR_SESSION_HANDLE_INVALID), NULL },
	/* base §5.1.6 CKR_USER_NOT_LOGGED_IN; a module that hides the key
	 * again after logout answers CKR_KEY_HANDLE_INVALID. */
	{ "C_SignInit private key without login", PRE_SESSION, r_signinit_not_logged_in, E2(CKR_USER_NOT_LOGGED_IN, CKR_KEY_HANDLE_INVALID), NULL },
	{ "C_Sign short buffer", PRE_SIGN_ACTIVE, r_sign_short_buffer, E1(CKR_BUFFER_TOO_SMALL), NULL },
	{ "C_Sign after the operation ended", PRE_SIGN_ACTIVE, r_sign_length_query, E1(CKR_OPERATION_NOT_INITIALIZED), NULL },
	{ "C_Sign(pulSignatureLen NULL)", PRE_SIGN_ACTIVE, r_sign_null_len, E1(CKR_ARGUMENTS_BAD), NULL },
	{ "C_Sign CKM_RSA_PKCS data > k-11", PRE_LOGGED_IN, r_rsa_pkcs_data_too_long, E1(CKR_DATA_LEN_RANGE), NULL },
	{ "PSS correct parameters (anchor)", PRE_LOGGED_IN, r_pss_correct, 0, { 0 }, exp_pss_ok },
	{ "PSS hashAlg mismatch", PRE_LOGGED_IN, r_pss_hash_mismatch, 0, { 0 }, exp_pss },
	{ "PSS without parameters", PRE_LOGGED_IN, r_pss_no_params, 0, { 0 }, exp_pss },
	{ "PSS parameter length wrong", PRE_LOGGED_IN, r_pss_bad_param_len, 0, { 0 }, exp_pss },
	{ "CKM_ECDSA with an RSA key", PRE_LOGGED_IN, r_ecdsa_on_rsa, 0, { 0 }, exp_ecdsa },
	{ "C_SignInit with a digest mechanism", PRE_LOGGED_IN, r_digest_mech_for_sign, E1(CKR_MECHANISM_INVALID), NULL },
	{ "C_GenerateRandom(NULL)", PRE_SESSION, r_random_null, E1(CKR_ARGUMENTS_BAD), NULL },
	/* issue 9: the NULL / zero-length combinations (sections at the calls) */
	{ "C_SeedRandom(pSeed NULL)", PRE_SESSION, r_seed_null, E1(CKR_ARGUMENTS_BAD), NULL },
	{ "C_SeedRandom(ulSeedLen 0)", PRE_SESSION, r_seed_empty, E1(CKR_ARGUMENTS_BAD), NULL },
	{ "C_SeedRandom with a seed", PRE_SESSION, r_seed_given, E1(CKR_RANDOM_SEED_NOT_SUPPORTED), NULL },
	{ "C_SeedRandom invalid session", PRE_SESSION, r_seed_bad_session, E1(CKR_SESSION_HANDLE_INVALID), NULL },
	{ "C_GetObjectSize(pulSize NULL)", PRE_SESSION, r_objsize_null, E1(CKR_ARGUMENTS_BAD), NULL },
	{ "C_GetObjectSize invalid object", PRE_SESSION, r_objsize_bad_object, E1(CKR_OBJECT_HANDLE_INVALID), NULL },
	{ "C_GetObjectSize private key before login", PRE_SESSION, r_objsize_private_hidden, E1(CKR_OBJECT_HANDLE_INVALID), NULL },
	{ "C_GetOperationState", PRE_SESSION, r_getopstate, E1(CKR_FUNCTION_NOT_SUPPORTED), NULL },
	{ "C_GetOperationState while signing", PRE_SIGN_ACTIVE, r_getopstate, E1(CKR_FUNCTION_NOT_SUPPORTED), NULL },
	{ "C_SetOperationState", PRE_SESSION, r_setopstate, E1(CKR_FUNCTION_NOT_SUPPORTED), NULL },
	{ "C_GetOperationState invalid session", PRE_SESSION, r_getopstate_bad_session, E1(CKR_SESSION_HANDLE_INVALID), NULL },
	{ "C_DigestInit(pMechanism NULL)", PRE_SESSION, r_digestinit_null, E1(CKR_ARGUMENTS_BAD), NULL },
	{ "C_Digest without C_DigestInit", PRE_SESSION, r_digest_without_init, E1(CKR_OPERATION_NOT_INITIALIZED), NULL },
	{ "C_Digest(pulDigestLen NULL)", PRE_SESSION, r_digest_null_len, E1(CKR_ARGUMENTS_BAD), NULL },
	{ "C_DigestUpdate(pPart NULL)", PRE_SESSION, r_digest_update_null, E1(CKR_ARGUMENTS_BAD), NULL },
	{ "C_DigestInit with a sign mechanism", PRE_SESSION, r_digest_sign_mech, E1(CKR_MECHANISM_INVALID), NULL },
	{ "C_GetInterface(ppInterface NULL)", PRE_NONE, r_getinterface_null, E1(CKR_ARGUMENTS_BAD), NULL },
	{ "C_GetInterfaceList(pulCount NULL)", PRE_NONE, r_getinterfacelist_null, E1(CKR_ARGUMENTS_BAD), NULL },
	{ "C_Login(pPin NULL)", PRE_SESSION, r_login_null_pin, E1(CKR_ARGUMENTS_BAD), NULL },
	{ "C_SetPIN(NULL PINs)", PRE_RW_LOGGED_IN, r_setpin_null, E1(CKR_ARGUMENTS_BAD), NULL },
	{ "C_FindObjectsInit(pTemplate NULL, 1)", PRE_SESSION, r_find_init_null_template, E1(CKR_ARGUMENTS_BAD), NULL },
	{ "C_GetAttributeValue(NULL, 0)", PRE_SESSION, r_getattr_zero_count, E1(CKR_OK), NULL },
};

#define NROWS ((int)(sizeof(rows) / sizeof(rows[0])))

START_TEST(badcall)
{
	const struct row *r = &rows[_i];
	struct ctx c;
	CK_RV rv, want[MAXEXP];
	int nwant = r->nexp, ok = 0;
	char wanttxt[160] = "";

	setup(&c, r->pre);
	if (r->expect_fn) {
		want[0] = r->expect_fn(&c);
		nwant = 1;
	} else {
		memcpy(want, r->exp, sizeof(want));
	}
	rv = r->call(&c);
	for (int k = 0; k < nwant; k++) {
		if (rv == want[k])
			ok = 1;
		strncat(wanttxt, k ? " or " : "", sizeof(wanttxt) - strlen(wanttxt) - 1);
		strncat(wanttxt, e2e_ckr(want[k]), sizeof(wanttxt) - strlen(wanttxt) - 1);
	}
	teardown(&c);
	ck_assert_msg(ok, "%s: got %s, want %s", r->name, e2e_ckr(rv), wanttxt);
}
END_TEST

int main(int argc, char **argv)
{
	Suite *s;
	TCase *tc;
	SRunner *sr;
	int failed;

	if (argc != 3) {
		fprintf(stderr, "usage: e2e_badcalls MODULE SECRETS\n");
		return 2;
	}
	g_module = argv[1];
	g_secrets = argv[2];
	s = suite_create("e2e_badcalls");
	tc = tcase_create("rows");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, badcall, 0, NROWS);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
