/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * UKEY_DEBUG=p11 (comma-separated list, as for "apdu") traces every C_*
 * call and its return code to UKEY_DEBUG_FILE or stderr. Arguments that may
 * hold secrets (PINs, key material, data) are never printed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>

#include <openssl/crypto.h>

#include "p11_log.h"

static int log_on = -1;
static FILE *log_fp;
static pthread_mutex_t log_mx = PTHREAD_MUTEX_INITIALIZER;

static int list_has(const char *list, const char *word)
{
	size_t wl = strlen(word);
	const char *p = list;
	while (p && *p) {
		const char *c = strchr(p, ',');
		size_t l = c ? (size_t)(c - p) : strlen(p);
		if ((l == wl && strncmp(p, word, wl) == 0) ||
		    (l == 3 && strncmp(p, "all", 3) == 0))
			return 1;
		p = c ? c + 1 : NULL;
	}
	return 0;
}

void p11_log_init(void)
{
	pthread_mutex_lock(&log_mx);
	if (log_on < 0) {
		const char *d = getenv("UKEY_DEBUG");
		log_on = d && list_has(d, "p11");
		if (log_on) {
			const char *f = getenv("UKEY_DEBUG_FILE");
			log_fp = f && *f ? fopen(f, "a") : NULL;
			if (!log_fp)
				log_fp = stderr;
		}
	}
	pthread_mutex_unlock(&log_mx);
}

int p11_log_enabled(void)
{
	if (log_on < 0)
		p11_log_init();
	return log_on > 0;
}

void p11_log(const char *fmt, ...)
{
	if (!p11_log_enabled())
		return;
	va_list ap;
	pthread_mutex_lock(&log_mx);
	fputs("ukey-p11: ", log_fp);
	va_start(ap, fmt);
	vfprintf(log_fp, fmt, ap);
	va_end(ap);
	fputc('\n', log_fp);
	fflush(log_fp);
	pthread_mutex_unlock(&log_mx);
}

#define R(x) { x, #x }
static const struct { CK_RV rv; const char *name; } rv_names[] = {
	R(CKR_OK), R(CKR_CANCEL), R(CKR_HOST_MEMORY), R(CKR_SLOT_ID_INVALID),
	R(CKR_GENERAL_ERROR), R(CKR_FUNCTION_FAILED), R(CKR_ARGUMENTS_BAD),
	R(CKR_NO_EVENT), R(CKR_NEED_TO_CREATE_THREADS), R(CKR_CANT_LOCK),
	R(CKR_ATTRIBUTE_READ_ONLY), R(CKR_ATTRIBUTE_SENSITIVE),
	R(CKR_ATTRIBUTE_TYPE_INVALID), R(CKR_ATTRIBUTE_VALUE_INVALID),
	R(CKR_DATA_INVALID), R(CKR_DATA_LEN_RANGE), R(CKR_DEVICE_ERROR),
	R(CKR_DEVICE_MEMORY), R(CKR_DEVICE_REMOVED),
	R(CKR_ENCRYPTED_DATA_INVALID), R(CKR_ENCRYPTED_DATA_LEN_RANGE),
	R(CKR_FUNCTION_CANCELED), R(CKR_FUNCTION_NOT_PARALLEL),
	R(CKR_FUNCTION_NOT_SUPPORTED), R(CKR_KEY_HANDLE_INVALID),
	R(CKR_KEY_SIZE_RANGE), R(CKR_KEY_TYPE_INCONSISTENT),
	R(CKR_KEY_FUNCTION_NOT_PERMITTED), R(CKR_MECHANISM_INVALID),
	R(CKR_MECHANISM_PARAM_INVALID), R(CKR_OBJECT_HANDLE_INVALID),
	R(CKR_OPERATION_ACTIVE), R(CKR_OPERATION_NOT_INITIALIZED),
	R(CKR_PIN_INCORRECT), R(CKR_PIN_INVALID), R(CKR_PIN_LEN_RANGE),
	R(CKR_PIN_EXPIRED), R(CKR_PIN_LOCKED), R(CKR_SESSION_CLOSED),
	R(CKR_SESSION_COUNT), R(CKR_SESSION_HANDLE_INVALID),
	R(CKR_SESSION_PARALLEL_NOT_SUPPORTED), R(CKR_SESSION_READ_ONLY),
	R(CKR_SESSION_EXISTS), R(CKR_SESSION_READ_ONLY_EXISTS),
	R(CKR_SESSION_READ_WRITE_SO_EXISTS), R(CKR_SIGNATURE_INVALID),
	R(CKR_SIGNATURE_LEN_RANGE), R(CKR_TEMPLATE_INCOMPLETE),
	R(CKR_TEMPLATE_INCONSISTENT), R(CKR_TOKEN_NOT_PRESENT),
	R(CKR_TOKEN_NOT_RECOGNIZED), R(CKR_TOKEN_WRITE_PROTECTED),
	R(CKR_USER_ALREADY_LOGGED_IN), R(CKR_USER_NOT_LOGGED_IN),
	R(CKR_USER_PIN_NOT_INITIALIZED), R(CKR_USER_TYPE_INVALID),
	R(CKR_USER_ANOTHER_ALREADY_LOGGED_IN), R(CKR_USER_TOO_MANY_TYPES),
	R(CKR_RANDOM_SEED_NOT_SUPPORTED), R(CKR_RANDOM_NO_RNG),
	R(CKR_BUFFER_TOO_SMALL), R(CKR_CRYPTOKI_NOT_INITIALIZED),
	R(CKR_CRYPTOKI_ALREADY_INITIALIZED), R(CKR_MUTEX_BAD),
	R(CKR_MUTEX_NOT_LOCKED), R(CKR_OPERATION_NOT_INITIALIZED),
};
#undef R

const char *p11_rv_name(CK_RV rv)
{
	for (size_t i = 0; i < sizeof(rv_names) / sizeof(rv_names[0]); i++)
		if (rv_names[i].rv == rv)
			return rv_names[i].name;
	return "CKR_?";
}

CK_RV p11_log_rv(const char *fn, CK_RV rv)
{
	if (p11_log_enabled())
		p11_log("%s = %s (0x%lx)", fn, p11_rv_name(rv), (unsigned long)rv);
	return rv;
}

void p11_wipe(void *p, size_t n)
{
	if (p && n)
		OPENSSL_cleanse(p, n);
}
