/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rn_ckr.c — CK_RV names, the CK_RV → rn_tok_rc classes, error text and the
 * trace line helper.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rn_token_int.h"

struct rn_name {
	CK_ULONG v;
	const char *name;
};

#define N(x) { x, #x }
static const struct rn_name ckr_names[] = {
	N(CKR_OK), N(CKR_CANCEL), N(CKR_HOST_MEMORY), N(CKR_SLOT_ID_INVALID),
	N(CKR_GENERAL_ERROR), N(CKR_FUNCTION_FAILED), N(CKR_ARGUMENTS_BAD),
	N(CKR_NO_EVENT), N(CKR_NEED_TO_CREATE_THREADS), N(CKR_CANT_LOCK),
	N(CKR_ATTRIBUTE_READ_ONLY), N(CKR_ATTRIBUTE_SENSITIVE),
	N(CKR_ATTRIBUTE_TYPE_INVALID), N(CKR_ATTRIBUTE_VALUE_INVALID),
	N(CKR_ACTION_PROHIBITED), N(CKR_DATA_INVALID), N(CKR_DATA_LEN_RANGE),
	N(CKR_DEVICE_ERROR), N(CKR_DEVICE_MEMORY), N(CKR_DEVICE_REMOVED),
	N(CKR_ENCRYPTED_DATA_INVALID), N(CKR_ENCRYPTED_DATA_LEN_RANGE),
	N(CKR_FUNCTION_CANCELED), N(CKR_FUNCTION_NOT_PARALLEL),
	N(CKR_FUNCTION_NOT_SUPPORTED), N(CKR_KEY_HANDLE_INVALID),
	N(CKR_KEY_SIZE_RANGE), N(CKR_KEY_TYPE_INCONSISTENT),
	N(CKR_KEY_NOT_NEEDED), N(CKR_KEY_CHANGED), N(CKR_KEY_NEEDED),
	N(CKR_KEY_INDIGESTIBLE), N(CKR_KEY_FUNCTION_NOT_PERMITTED),
	N(CKR_KEY_NOT_WRAPPABLE), N(CKR_KEY_UNEXTRACTABLE),
	N(CKR_MECHANISM_INVALID), N(CKR_MECHANISM_PARAM_INVALID),
	N(CKR_OBJECT_HANDLE_INVALID), N(CKR_OPERATION_ACTIVE),
	N(CKR_OPERATION_NOT_INITIALIZED), N(CKR_PIN_INCORRECT), N(CKR_PIN_INVALID),
	N(CKR_PIN_LEN_RANGE), N(CKR_PIN_EXPIRED), N(CKR_PIN_LOCKED),
	N(CKR_SESSION_CLOSED), N(CKR_SESSION_COUNT), N(CKR_SESSION_HANDLE_INVALID),
	N(CKR_SESSION_PARALLEL_NOT_SUPPORTED), N(CKR_SESSION_READ_ONLY),
	N(CKR_SESSION_EXISTS), N(CKR_SESSION_READ_ONLY_EXISTS),
	N(CKR_SESSION_READ_WRITE_SO_EXISTS), N(CKR_SIGNATURE_INVALID),
	N(CKR_SIGNATURE_LEN_RANGE), N(CKR_TEMPLATE_INCOMPLETE),
	N(CKR_TEMPLATE_INCONSISTENT), N(CKR_TOKEN_NOT_PRESENT),
	N(CKR_TOKEN_NOT_RECOGNIZED), N(CKR_TOKEN_WRITE_PROTECTED),
	N(CKR_UNWRAPPING_KEY_HANDLE_INVALID), N(CKR_UNWRAPPING_KEY_SIZE_RANGE),
	N(CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT), N(CKR_USER_ALREADY_LOGGED_IN),
	N(CKR_USER_NOT_LOGGED_IN), N(CKR_USER_PIN_NOT_INITIALIZED),
	N(CKR_USER_TYPE_INVALID), N(CKR_USER_ANOTHER_ALREADY_LOGGED_IN),
	N(CKR_USER_TOO_MANY_TYPES), N(CKR_WRAPPED_KEY_INVALID),
	N(CKR_WRAPPED_KEY_LEN_RANGE), N(CKR_WRAPPING_KEY_HANDLE_INVALID),
	N(CKR_WRAPPING_KEY_SIZE_RANGE), N(CKR_WRAPPING_KEY_TYPE_INCONSISTENT),
	N(CKR_RANDOM_SEED_NOT_SUPPORTED), N(CKR_RANDOM_NO_RNG),
	N(CKR_DOMAIN_PARAMS_INVALID), N(CKR_CURVE_NOT_SUPPORTED),
	N(CKR_BUFFER_TOO_SMALL), N(CKR_SAVED_STATE_INVALID),
	N(CKR_INFORMATION_SENSITIVE), N(CKR_STATE_UNSAVEABLE),
	N(CKR_CRYPTOKI_NOT_INITIALIZED), N(CKR_CRYPTOKI_ALREADY_INITIALIZED),
	N(CKR_MUTEX_BAD), N(CKR_MUTEX_NOT_LOCKED), N(CKR_FUNCTION_REJECTED),
	N(CKR_VENDOR_DEFINED),
};

static const struct rn_name cko_names[] = {
	N(CKO_DATA), N(CKO_CERTIFICATE), N(CKO_PUBLIC_KEY), N(CKO_PRIVATE_KEY),
	N(CKO_SECRET_KEY),
};

static const struct rn_name cka_names[] = {
	N(CKA_CLASS), N(CKA_TOKEN), N(CKA_PRIVATE), N(CKA_LABEL), N(CKA_VALUE),
	N(CKA_CERTIFICATE_TYPE), N(CKA_ISSUER), N(CKA_SERIAL_NUMBER),
	N(CKA_KEY_TYPE), N(CKA_SUBJECT), N(CKA_ID), N(CKA_SENSITIVE),
	N(CKA_ENCRYPT), N(CKA_DECRYPT), N(CKA_SIGN), N(CKA_VERIFY),
	N(CKA_MODULUS), N(CKA_MODULUS_BITS), N(CKA_PUBLIC_EXPONENT),
	N(CKA_EXTRACTABLE), N(CKA_ALWAYS_AUTHENTICATE),
};

static const struct rn_name ckm_names[] = {
	N(CKM_RSA_PKCS_KEY_PAIR_GEN), N(CKM_RSA_PKCS), N(CKM_RSA_X_509),
	N(CKM_SHA256_RSA_PKCS), N(CKM_RSA_PKCS_PSS),
};
#undef N

static const char *lookup(const struct rn_name *t, size_t n, CK_ULONG v)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].v == v)
			return t[i].name;
	return NULL;
}

const char *rn_ckr_name(CK_RV rv)
{
	/* Static strings for unknown values: one per thread is enough for a
	 * name that is printed at once. */
	static _Thread_local char buf[32];
	const char *s = lookup(ckr_names, sizeof(ckr_names) / sizeof(ckr_names[0]), rv);

	if (s)
		return s;
	snprintf(buf, sizeof(buf), "CKR_0x%lx", (unsigned long)rv);
	return buf;
}

#define NAMEFN(fn, table, pfx)                                                   \
	const char *fn(CK_ULONG v)                                               \
	{                                                                        \
		static _Thread_local char buf[4][32];                            \
		static _Thread_local unsigned k;                                 \
		const char *s = lookup(table, sizeof(table) / sizeof(table[0]), v); \
		if (s)                                                           \
			return s;                                                \
		k = (k + 1) % 4;                                                 \
		snprintf(buf[k], sizeof(buf[k]), pfx "0x%lx", (unsigned long)v); \
		return buf[k];                                                   \
	}
NAMEFN(rn_cko_name, cko_names, "CKO_")
NAMEFN(rn_cka_name, cka_names, "CKA_")
NAMEFN(rn_ckm_name, ckm_names, "CKM_")

void rn_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void rn_trace(const struct rn_module *m, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!m || !m->trace)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	m->trace(line, m->trace_arg);
}

/* Whether the token in slot is gone: C_GetSlotInfo fails or says no token. */
static int token_gone(struct rn_module *m, CK_SLOT_ID slot)
{
	CK_SLOT_INFO si;
	CK_RV rv;

	if (!m || !m->f || !m->f->C_GetSlotInfo || slot == RN_NO_SLOT)
		return 0;
	memset(&si, 0, sizeof(si));
	rv = m->f->C_GetSlotInfo(slot, &si);
	rn_trace(m, "C_GetSlotInfo(slot %lu) = %s%s", (unsigned long)slot, rn_ckr_name(rv),
		 rv == CKR_OK ? ((si.flags & CKF_TOKEN_PRESENT) ? ", token present" :
				 ", no token") : "");
	if (rv == CKR_DEVICE_REMOVED || rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_SLOT_ID_INVALID)
		return 1;
	return rv == CKR_OK && !(si.flags & CKF_TOKEN_PRESENT);
}

enum rn_tok_rc rn_map_rv(struct rn_module *m, CK_SLOT_ID slot, CK_RV rv, const char *call,
			 char *err, size_t errlen)
{
	enum rn_tok_rc rc;

	switch (rv) {
	case CKR_OK:
		return RN_TOK_OK;
	case CKR_PIN_INCORRECT:
		rc = RN_TOK_PIN_INCORRECT;
		break;
	case CKR_PIN_LOCKED:
		rc = RN_TOK_PIN_LOCKED;
		break;
	case CKR_PIN_LEN_RANGE:
	case CKR_PIN_INVALID:
		rc = RN_TOK_PIN_INVALID;
		break;
	case CKR_DEVICE_REMOVED:
	case CKR_TOKEN_NOT_PRESENT:
		rc = RN_TOK_REMOVED;
		break;
	case CKR_SESSION_HANDLE_INVALID:
	case CKR_SESSION_CLOSED:
	case CKR_DEVICE_ERROR:
	case CKR_TOKEN_NOT_RECOGNIZED:
	case CKR_SLOT_ID_INVALID:
		/* These follow a pulled token on many modules; only call it a
		 * removal when the slot confirms it. Our own sessions are never
		 * closed behind our back otherwise, so an invalid session with the
		 * slot unreadable counts as removed too. */
		rc = token_gone(m, slot) ? RN_TOK_REMOVED : RN_TOK_ERROR;
		break;
	case CKR_CRYPTOKI_NOT_INITIALIZED:
		rc = RN_TOK_MODULE;
		break;
	case CKR_FUNCTION_NOT_SUPPORTED:
	case CKR_ACTION_PROHIBITED:
		rc = RN_TOK_NOT_SUPPORTED;
		break;
	default:
		rc = RN_TOK_ERROR;
		break;
	}
	rn_seterr(err, errlen, "%s: %s%s", call, rn_ckr_name(rv),
		  rc == RN_TOK_REMOVED && rv != CKR_DEVICE_REMOVED && rv != CKR_TOKEN_NOT_PRESENT ?
		  " (token removed)" : "");
	return rc;
}

void rn_hex_short(const unsigned char *p, size_t n, char *buf, size_t cap)
{
	static const char hx[] = "0123456789abcdef";
	size_t o = 0;

	if (!cap)
		return;
	for (size_t i = 0; i < n && i < 16 && o + 3 < cap; i++) {
		buf[o++] = hx[p[i] >> 4];
		buf[o++] = hx[p[i] & 15];
	}
	if (n > 16 && o + 4 < cap) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
}
