/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "e2e_p11.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

/* No attribute or object of a test token is anywhere near this big; a
 * larger length from the module is treated as an error, not allocated. */
#define E2E_ATTR_MAX (64u * 1024u)

int e2e_module_load(e2e_module *m, const char *path)
{
	CK_C_GetFunctionList gfl;

	memset(m, 0, sizeof(*m));
	m->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!m->dl) {
		fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
		return -1;
	}
	/* POSIX guarantees the object/function pointer round trip dlsym needs. */
	*(void **)&gfl = dlsym(m->dl, "C_GetFunctionList");
	if (!gfl) {
		fprintf(stderr, "%s: no C_GetFunctionList\n", path);
		dlclose(m->dl);
		m->dl = NULL;
		return -1;
	}
	if (gfl(&m->f) != CKR_OK || !m->f) {
		fprintf(stderr, "%s: C_GetFunctionList failed\n", path);
		dlclose(m->dl);
		m->dl = NULL;
		return -1;
	}
	return 0;
}

void e2e_module_unload(e2e_module *m)
{
	if (m->dl)
		dlclose(m->dl);
	memset(m, 0, sizeof(*m));
}

void e2e_wipe(void *p, size_t n)
{
	if (p && n)
		OPENSSL_cleanse(p, n);
}

int e2e_secret(const char *path, const char *key, char *out, size_t outsz)
{
	FILE *fp = fopen(path, "r");
	char line[256];
	size_t klen = strlen(key);
	int rc = -1;

	if (!fp) {
		fprintf(stderr, "cannot open secrets file %s\n", path);
		return -1;
	}
	while (fgets(line, sizeof(line), fp)) {
		size_t n = strcspn(line, "\r\n");

		line[n] = '\0';
		if (strncmp(line, key, klen) != 0 || line[klen] != '=')
			continue;
		if (n - klen - 1 >= outsz) {
			fprintf(stderr, "%s: value of %s too long\n", path, key);
			break;
		}
		memcpy(out, line + klen + 1, n - klen); /* includes the NUL */
		rc = 0;
		break;
	}
	if (rc != 0 && feof(fp))
		fprintf(stderr, "%s: no %s= line\n", path, key);
	e2e_wipe(line, sizeof(line));
	fclose(fp);
	return rc;
}

const char *e2e_ckr(CK_RV rv)
{
	static _Thread_local char buf[32];

	switch (rv) {
#define N(x) case x: return #x;
	N(CKR_OK) N(CKR_CANCEL) N(CKR_HOST_MEMORY) N(CKR_SLOT_ID_INVALID)
	N(CKR_GENERAL_ERROR) N(CKR_FUNCTION_FAILED) N(CKR_ARGUMENTS_BAD)
	N(CKR_NO_EVENT) N(CKR_NEED_TO_CREATE_THREADS) N(CKR_CANT_LOCK)
	N(CKR_ATTRIBUTE_READ_ONLY) N(CKR_ATTRIBUTE_SENSITIVE)
	N(CKR_ATTRIBUTE_TYPE_INVALID) N(CKR_ATTRIBUTE_VALUE_INVALID)
	N(CKR_DATA_INVALID) N(CKR_DATA_LEN_RANGE) N(CKR_DEVICE_ERROR)
	N(CKR_DEVICE_MEMORY) N(CKR_DEVICE_REMOVED) N(CKR_FUNCTION_CANCELED)
	N(CKR_FUNCTION_NOT_PARALLEL) N(CKR_FUNCTION_NOT_SUPPORTED)
	N(CKR_KEY_HANDLE_INVALID) N(CKR_KEY_SIZE_RANGE)
	N(CKR_KEY_TYPE_INCONSISTENT) N(CKR_KEY_FUNCTION_NOT_PERMITTED)
	N(CKR_MECHANISM_INVALID) N(CKR_MECHANISM_PARAM_INVALID)
	N(CKR_OBJECT_HANDLE_INVALID) N(CKR_OPERATION_ACTIVE)
	N(CKR_OPERATION_NOT_INITIALIZED) N(CKR_PIN_INCORRECT)
	N(CKR_PIN_INVALID) N(CKR_PIN_LEN_RANGE) N(CKR_PIN_EXPIRED)
	N(CKR_PIN_LOCKED) N(CKR_SESSION_CLOSED) N(CKR_SESSION_COUNT)
	N(CKR_SESSION_HANDLE_INVALID) N(CKR_SESSION_PARALLEL_NOT_SUPPORTED)
	N(CKR_SESSION_READ_ONLY) N(CKR_SESSION_EXISTS)
	N(CKR_SESSION_READ_ONLY_EXISTS) N(CKR_SESSION_READ_WRITE_SO_EXISTS)
	N(CKR_SIGNATURE_INVALID) N(CKR_SIGNATURE_LEN_RANGE)
	N(CKR_TEMPLATE_INCOMPLETE) N(CKR_TEMPLATE_INCONSISTENT)
	N(CKR_TOKEN_NOT_PRESENT) N(CKR_TOKEN_NOT_RECOGNIZED)
	N(CKR_TOKEN_WRITE_PROTECTED) N(CKR_USER_ALREADY_LOGGED_IN)
	N(CKR_USER_NOT_LOGGED_IN) N(CKR_USER_PIN_NOT_INITIALIZED)
	N(CKR_USER_TYPE_INVALID) N(CKR_USER_ANOTHER_ALREADY_LOGGED_IN)
	N(CKR_USER_TOO_MANY_TYPES) N(CKR_BUFFER_TOO_SMALL)
	N(CKR_CRYPTOKI_NOT_INITIALIZED) N(CKR_CRYPTOKI_ALREADY_INITIALIZED)
	N(CKR_RANDOM_NO_RNG)
#undef N
	default:
		snprintf(buf, sizeof(buf), "CKR_0x%lx", (unsigned long)rv);
		return buf;
	}
}

int e2e_token_slots(CK_FUNCTION_LIST_PTR f, CK_SLOT_ID *slots, size_t cap)
{
	CK_ULONG n = 0;
	CK_SLOT_ID *all;
	CK_RV rv;
	int found = 0;

	rv = f->C_GetSlotList(CK_TRUE, NULL, &n);
	if (rv != CKR_OK) {
		fprintf(stderr, "C_GetSlotList: %s\n", e2e_ckr(rv));
		return -1;
	}
	if (n == 0)
		return 0;
	if (n > 256) {
		fprintf(stderr, "C_GetSlotList: absurd slot count %lu\n", n);
		return -1;
	}
	all = calloc(n, sizeof(*all));
	if (!all)
		return -1;
	rv = f->C_GetSlotList(CK_TRUE, all, &n);
	if (rv != CKR_OK) {
		fprintf(stderr, "C_GetSlotList: %s\n", e2e_ckr(rv));
		free(all);
		return -1;
	}
	for (CK_ULONG i = 0; i < n && (size_t)found < cap; i++)
		slots[found++] = all[i];
	free(all);
	return found;
}

CK_RV e2e_find_rv(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls,
		  const uint8_t *id, size_t id_len, CK_OBJECT_HANDLE *out,
		  int *found)
{
	CK_ATTRIBUTE tmpl[2] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_ID, (void *)id, id_len },
	};
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	CK_ULONG n = 0;
	CK_RV rv;

	*found = 0;
	rv = f->C_FindObjectsInit(s, tmpl, id ? 2 : 1);
	if (rv != CKR_OK) {
		fprintf(stderr, "C_FindObjectsInit: %s\n", e2e_ckr(rv));
		return rv;
	}
	rv = f->C_FindObjects(s, &h, 1, &n);
	f->C_FindObjectsFinal(s);
	if (rv != CKR_OK) {
		fprintf(stderr, "C_FindObjects: %s\n", e2e_ckr(rv));
		return rv;
	}
	if (n > 1) {
		fprintf(stderr, "C_FindObjects returned %lu > 1 objects\n", n);
		return CKR_GENERAL_ERROR;
	}
	if (n == 1) {
		*out = h;
		*found = 1;
	}
	return CKR_OK;
}

int e2e_find(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls,
	     const uint8_t *id, size_t id_len, CK_OBJECT_HANDLE *out)
{
	int found;

	if (e2e_find_rv(f, s, cls, id, id_len, out, &found) != CKR_OK)
		return -1;
	return found ? 0 : 1;
}

int e2e_attr(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
	     CK_ATTRIBUTE_TYPE type, uint8_t **val, size_t *len)
{
	CK_ATTRIBUTE a = { type, NULL, 0 };
	CK_RV rv;

	*val = NULL;
	*len = 0;
	rv = f->C_GetAttributeValue(s, o, &a, 1);
	if (rv != CKR_OK || a.ulValueLen == CK_UNAVAILABLE_INFORMATION) {
		fprintf(stderr, "C_GetAttributeValue(0x%lx) size: %s\n",
			(unsigned long)type, e2e_ckr(rv));
		return -1;
	}
	if (a.ulValueLen == 0 || a.ulValueLen > E2E_ATTR_MAX) {
		fprintf(stderr, "attribute 0x%lx: bad length %lu\n",
			(unsigned long)type, a.ulValueLen);
		return -1;
	}
	a.pValue = malloc(a.ulValueLen);
	if (!a.pValue)
		return -1;
	{
		CK_ULONG want = a.ulValueLen;

		rv = f->C_GetAttributeValue(s, o, &a, 1);
		if (rv != CKR_OK || a.ulValueLen > want) {
			fprintf(stderr, "C_GetAttributeValue(0x%lx): %s\n",
				(unsigned long)type, e2e_ckr(rv));
			free(a.pValue);
			return -1;
		}
	}
	*val = a.pValue;
	*len = a.ulValueLen;
	return 0;
}

EVP_PKEY *e2e_rsa_pubkey(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s,
			 CK_OBJECT_HANDLE o)
{
	uint8_t *n = NULL, *e = NULL;
	size_t nlen, elen;
	BIGNUM *bn = NULL, *be = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;

	if (e2e_attr(f, s, o, CKA_MODULUS, &n, &nlen) != 0 ||
	    e2e_attr(f, s, o, CKA_PUBLIC_EXPONENT, &e, &elen) != 0)
		goto out;
	bn = BN_bin2bn(n, (int)nlen, NULL);
	be = BN_bin2bn(e, (int)elen, NULL);
	bld = OSSL_PARAM_BLD_new();
	if (!bn || !be || !bld ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be))
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
		fprintf(stderr, "cannot build an RSA key from the token's attributes\n");
		pkey = NULL;
	}
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(be);
	free(n);
	free(e);
	return pkey;
}

EVP_PKEY *e2e_cert_pubkey(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s,
			  CK_OBJECT_HANDLE o)
{
	uint8_t *der = NULL;
	size_t len;
	const unsigned char *p;
	X509 *x = NULL;
	EVP_PKEY *pkey = NULL;

	if (e2e_attr(f, s, o, CKA_VALUE, &der, &len) != 0)
		return NULL;
	p = der;
	x = d2i_X509(NULL, &p, (long)len);
	if (!x || p != der + len) {
		fprintf(stderr, "certificate CKA_VALUE is not one DER X.509\n");
	} else {
		pkey = X509_get_pubkey(x);
	}
	X509_free(x);
	free(der);
	return pkey;
}

int e2e_verify_pkcs1(EVP_PKEY *pub, const EVP_MD *md, const uint8_t *data,
		     size_t len, const uint8_t *sig, size_t siglen)
{
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int rc = -1;

	if (!mctx)
		return -1;
	if (EVP_DigestVerifyInit(mctx, &pctx, md, NULL, pub) > 0 &&
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0) {
		rc = EVP_DigestVerify(mctx, sig, siglen, data, len);
		if (rc < 0)
			rc = 0; /* malformed signature = invalid */
	}
	EVP_MD_CTX_free(mctx);
	return rc;
}

CK_RV e2e_sign_sha256(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s,
		      CK_OBJECT_HANDLE key, const uint8_t *data, size_t len,
		      uint8_t *sig, size_t cap, size_t *siglen)
{
	CK_MECHANISM mech = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	CK_ULONG sl = cap;
	CK_RV rv;

	*siglen = 0;
	rv = f->C_SignInit(s, &mech, key);
	if (rv != CKR_OK)
		return rv;
	rv = f->C_Sign(s, (CK_BYTE_PTR)data, len, sig, &sl);
	if (rv == CKR_OK) {
		if (sl > cap)
			return CKR_GENERAL_ERROR; /* module lied about the length */
		*siglen = sl;
	}
	return rv;
}

double e2e_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void e2e_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	}
}
