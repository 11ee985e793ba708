/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fake_p11.c — a hostile little PKCS#11 module for test_rn_token_hostile:
 * one slot, one token, a certificate (object 1), an RSA private key (object
 * 2). RN_FAKE_MODE (read at each call) chooses the misbehaviour: lengths
 * beyond the buffer given, counts beyond the room, huge values, PIN classes,
 * device errors with and without the token present, strict templates.
 */
#include <stdlib.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

static int mode(const char *m)
{
	const char *e = getenv("RN_FAKE_MODE");

	return e && strcmp(e, m) == 0;
}

static int find_pos;
static CK_OBJECT_CLASS find_class;
static int find_active;
static int logged_in;
static unsigned genkp_calls, create_calls;
static CK_ULONG last_create_count, last_gen_pub, last_gen_priv;

static unsigned finalize_calls;

static CK_RV f_init(CK_VOID_PTR a)
{
	(void)a;
	if (mode("already_init"))
		return CKR_CRYPTOKI_ALREADY_INITIALIZED;
	return mode("init_fail") ? CKR_GENERAL_ERROR : CKR_OK;
}

static CK_RV f_fin(CK_VOID_PTR a)
{
	(void)a;
	finalize_calls++;
	return CKR_OK;
}

static CK_RV f_slots(CK_BBOOL present, CK_SLOT_ID_PTR list, CK_ULONG_PTR n)
{
	(void)present;
	if (mode("slots_huge")) {
		*n = 100000;
		return CKR_OK;
	}
	if (!list) {
		*n = 1;
		return CKR_OK;
	}
	if (mode("slots_overflow")) {
		/* Claims to have written far more than the room it was given. */
		*n = *n + 50;
		return CKR_OK;
	}
	if (*n < 1) {
		*n = 1;
		return CKR_BUFFER_TOO_SMALL;
	}
	list[0] = 7;
	*n = 1;
	return CKR_OK;
}

static CK_RV f_slotinfo(CK_SLOT_ID s, CK_SLOT_INFO_PTR si)
{
	(void)s;
	memset(si, ' ', sizeof(*si));
	si->flags = mode("device_error_gone") ? CKF_REMOVABLE_DEVICE :
		    CKF_REMOVABLE_DEVICE | CKF_TOKEN_PRESENT;
	return CKR_OK;
}

static CK_RV f_tokinfo(CK_SLOT_ID s, CK_TOKEN_INFO_PTR t)
{
	(void)s;
	if (mode("tok_unrecognized"))
		return CKR_TOKEN_NOT_RECOGNIZED;
	if (mode("tok_error"))
		return CKR_FUNCTION_FAILED;
	memset(t, ' ', sizeof(*t));
	memcpy(t->label, "evil\001label\0junk", 16);
	memcpy(t->manufacturerID, "Fake\x7f", 5);
	memset(t->serialNumber, 'S', sizeof(t->serialNumber)); /* no padding at all */
	t->flags = CKF_LOGIN_REQUIRED | CKF_TOKEN_INITIALIZED | CKF_USER_PIN_COUNT_LOW |
		   CKF_USER_PIN_FINAL_TRY;
	return CKR_OK;
}

static CK_RV f_open(CK_SLOT_ID s, CK_FLAGS fl, CK_VOID_PTR app, CK_NOTIFY nf,
		    CK_SESSION_HANDLE_PTR h)
{
	(void)s;
	(void)fl;
	(void)app;
	(void)nf;
	*h = 42;
	return CKR_OK;
}

static CK_RV f_close(CK_SESSION_HANDLE h)
{
	(void)h;
	return CKR_OK;
}

static CK_RV f_login(CK_SESSION_HANDLE h, CK_USER_TYPE u, CK_UTF8CHAR_PTR pin, CK_ULONG len)
{
	(void)h;
	(void)u;
	if (mode("pin_locked"))
		return CKR_PIN_LOCKED;
	if (mode("pin_len"))
		return CKR_PIN_LEN_RANGE;
	if (mode("pin_invalid"))
		return CKR_PIN_INVALID;
	if (mode("pin_expired"))
		return CKR_PIN_EXPIRED;
	if (len != 4 || memcmp(pin, "1234", 4) != 0)
		return CKR_PIN_INCORRECT;
	logged_in = 1;
	return CKR_OK;
}

static CK_RV f_logout(CK_SESSION_HANDLE h)
{
	(void)h;
	logged_in = 0;
	return CKR_OK;
}

static CK_RV f_findinit(CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
	(void)h;
	if (mode("device_error_present") || mode("device_error_gone"))
		return CKR_DEVICE_ERROR;
	if (mode("session_invalid_present"))
		return CKR_SESSION_HANDLE_INVALID;
	find_class = (CK_OBJECT_CLASS)-1;
	for (CK_ULONG i = 0; i < n; i++)
		if (t[i].type == CKA_CLASS && t[i].ulValueLen == sizeof(CK_OBJECT_CLASS))
			memcpy(&find_class, t[i].pValue, sizeof(find_class));
	find_pos = 0;
	find_active = 1;
	return CKR_OK;
}

static CK_RV f_find(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE_PTR o, CK_ULONG max, CK_ULONG_PTR n)
{
	(void)h;
	*n = 0;
	if (!find_active || find_pos > 0 || max < 1)
		return CKR_OK;
	find_pos = 1;
	if (mode("find_overcount")) {
		*n = max + 1;
		return CKR_OK;
	}
	if (find_class == CKO_CERTIFICATE) {
		o[0] = 1;
		*n = 1;
	} else if (find_class == CKO_PRIVATE_KEY && logged_in) {
		o[0] = 2;
		*n = 1;
	}
	return CKR_OK;
}

static CK_RV f_findfinal(CK_SESSION_HANDLE h)
{
	(void)h;
	find_active = 0;
	return CKR_OK;
}

static unsigned char modulus[256];

static CK_RV put(CK_ATTRIBUTE_PTR a, const void *v, CK_ULONG len)
{
	if (!a->pValue) {
		a->ulValueLen = len;
		return CKR_OK;
	}
	if (a->ulValueLen < len) {
		a->ulValueLen = CK_UNAVAILABLE_INFORMATION;
		return CKR_BUFFER_TOO_SMALL;
	}
	memcpy(a->pValue, v, len);
	a->ulValueLen = len;
	return CKR_OK;
}

static CK_RV f_getattr(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
	static const unsigned char value[16] = "0123456789abcdef";
	static const unsigned char e[3] = { 1, 0, 1 };
	unsigned char longid[100];
	CK_KEY_TYPE kt = CKK_RSA;
	CK_RV rv = CKR_OK;

	(void)h;
	memset(longid, 0xA5, sizeof(longid));
	for (CK_ULONG i = 0; i < n; i++) {
		CK_ATTRIBUTE_PTR a = &t[i];
		CK_RV r = CKR_OK;

		if (o == 1 && a->type == CKA_VALUE) {
			if (mode("attr_huge")) {
				a->ulValueLen = 2u * 1024u * 1024u;
				continue;
			}
			if (mode("attr_grow") && a->pValue) {
				memcpy(a->pValue, value, a->ulValueLen < 16 ? a->ulValueLen : 16);
				a->ulValueLen = 4096;   /* "wrote" more than room */
				continue;
			}
			r = put(a, value, sizeof(value));
		} else if (o == 1 && a->type == CKA_ID) {
			r = mode("id_long") ? put(a, longid, sizeof(longid)) : put(a, "\x01", 1);
		} else if (o == 1 && a->type == CKA_LABEL) {
			r = put(a, "cert\nlabel", 10);
		} else if (o == 2 && a->type == CKA_KEY_TYPE) {
			if (mode("key_ec"))
				kt = CKK_EC;
			r = put(a, &kt, sizeof(kt));
		} else if (o == 2 && a->type == CKA_MODULUS) {
			modulus[0] = 0xC3;
			modulus[255] = 0x01;
			r = put(a, modulus, sizeof(modulus));
		} else if (o == 2 && a->type == CKA_PUBLIC_EXPONENT) {
			r = put(a, e, sizeof(e));
		} else {
			a->ulValueLen = CK_UNAVAILABLE_INFORMATION;
			r = CKR_ATTRIBUTE_TYPE_INVALID;
		}
		if (r != CKR_OK)
			rv = r;
	}
	return rv;
}

static CK_RV f_signinit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k)
{
	(void)h;
	(void)m;
	return k == 2 ? CKR_OK : CKR_KEY_HANDLE_INVALID;
}

static CK_RV f_sign(CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG inlen, CK_BYTE_PTR out,
		    CK_ULONG_PTR outlen)
{
	(void)h;
	(void)in;
	(void)inlen;
	if (mode("sign_long")) {
		/* Says it wrote 300 bytes into a 256-byte buffer. */
		*outlen = 300;
		return CKR_OK;
	}
	if (mode("sign_toosmall")) {
		/* Wants more room than the modulus, then delivers 255 bytes. */
		if (*outlen < 512) {
			*outlen = 512;
			return CKR_BUFFER_TOO_SMALL;
		}
		memset(out, 0x5A, 255);
		*outlen = 255;
		return CKR_OK;
	}
	if (mode("sign_removed"))
		return CKR_DEVICE_REMOVED;
	memset(out, 0x5A, 255);  /* short: a dropped leading zero */
	*outlen = 255;
	return CKR_OK;
}

static int has(CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_ATTRIBUTE_TYPE type)
{
	for (CK_ULONG i = 0; i < n; i++)
		if (t[i].type == type)
			return 1;
	return 0;
}

static CK_RV f_create(CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR o)
{
	(void)h;
	create_calls++;
	last_create_count = n;
	if (mode("create_strict") && (has(t, n, CKA_ISSUER) || has(t, n, CKA_SERIAL_NUMBER)))
		return CKR_ATTRIBUTE_TYPE_INVALID;
	if (mode("create_nolabel") && has(t, n, CKA_LABEL))
		return CKR_TEMPLATE_INCONSISTENT;
	if (mode("create_full"))
		return CKR_DEVICE_MEMORY;
	*o = 9;
	return CKR_OK;
}

static CK_RV f_destroy(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o)
{
	(void)h;
	(void)o;
	return CKR_OK;
}

static CK_RV f_genkp(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR pub, CK_ULONG np,
		     CK_ATTRIBUTE_PTR priv, CK_ULONG nq, CK_OBJECT_HANDLE_PTR hp,
		     CK_OBJECT_HANDLE_PTR hq)
{
	(void)h;
	(void)m;
	(void)pub;
	genkp_calls++;
	last_gen_pub = np;
	last_gen_priv = nq;
	if (mode("gen_strict") && (has(priv, nq, CKA_EXTRACTABLE) || has(priv, nq, CKA_DECRYPT)))
		return CKR_TEMPLATE_INCONSISTENT;
	*hp = 10;
	*hq = 11;
	return CKR_OK;
}

static CK_FUNCTION_LIST flist = {
	.version = { 2, 40 },
	.C_Initialize = f_init,
	.C_Finalize = f_fin,
	.C_GetSlotList = f_slots,
	.C_GetSlotInfo = f_slotinfo,
	.C_GetTokenInfo = f_tokinfo,
	.C_OpenSession = f_open,
	.C_CloseSession = f_close,
	.C_Login = f_login,
	.C_Logout = f_logout,
	.C_FindObjectsInit = f_findinit,
	.C_FindObjects = f_find,
	.C_FindObjectsFinal = f_findfinal,
	.C_GetAttributeValue = f_getattr,
	.C_SignInit = f_signinit,
	.C_Sign = f_sign,
	.C_CreateObject = f_create,
	.C_DestroyObject = f_destroy,
	.C_GenerateKeyPair = f_genkp,
};

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR pp);
CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR pp)
{
	*pp = &flist;
	return CKR_OK;
}

/* Test hooks (looked up with dlsym by the test). */
void fake_p11_counts(unsigned *gen, unsigned *create, unsigned long *create_count,
		     unsigned long *gen_pub, unsigned long *gen_priv);
void fake_p11_counts(unsigned *gen, unsigned *create, unsigned long *create_count,
		     unsigned long *gen_pub, unsigned long *gen_priv)
{
	*gen = genkp_calls;
	*create = create_calls;
	*create_count = last_create_count;
	*gen_pub = last_gen_pub;
	*gen_priv = last_gen_priv;
}

unsigned fake_p11_finalize_calls(void);
unsigned fake_p11_finalize_calls(void)
{
	return finalize_calls;
}
