/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The module's whole common life on a virtual token, small enough to run
 * under valgrind (ctest p11_valgrind): load → C_Initialize → slots → token
 * info → login → find → sign → verify (OpenSSL, against the token's
 * certificate) → a C_WaitForSlotEvent blocked in another thread that
 * C_Finalize must end → unload. Exit 0 only if every step did what it
 * should; valgrind's own exit code reports memory errors and leaks.
 *
 *   test_p11_valgrind MODULE SECRETS
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <p11-kit/pkcs11.h>

static CK_FUNCTION_LIST_PTR f;
static int failures;

#define CHECK(cond)                                                        \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__,      \
				__LINE__, #cond);                          \
			failures++;                                        \
		}                                                          \
	} while (0)

#define CHECK_RV(call, want)                                               \
	do {                                                               \
		CK_RV rv_ = (call);                                        \
		if (rv_ != (CK_RV)(want)) {                                \
			fprintf(stderr, "FAIL %s:%d: %s = 0x%lx, want %s\n", \
				__FILE__, __LINE__, #call,                 \
				(unsigned long)rv_, #want);                \
			failures++;                                        \
		}                                                          \
	} while (0)

static int read_pin(const char *path, char *pin, size_t cap)
{
	FILE *fp = fopen(path, "r");
	char line[128];
	int found = 0;

	if (!fp)
		return -1;
	while (fgets(line, sizeof(line), fp)) {
		if (strncmp(line, "user_pin=", 9) != 0)
			continue;
		size_t n = strcspn(line + 9, "\r\n");
		if (n == 0 || n >= cap)
			break;
		memcpy(pin, line + 9, n);
		pin[n] = '\0';
		found = 1;
	}
	memset(line, 0, sizeof(line));
	fclose(fp);
	return found ? 0 : -1;
}

static CK_OBJECT_HANDLE find_one(CK_SESSION_HANDLE s, CK_ATTRIBUTE *t, CK_ULONG n)
{
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	CK_ULONG got = 0;

	CHECK_RV(f->C_FindObjectsInit(s, t, n), CKR_OK);
	CHECK_RV(f->C_FindObjects(s, &h, 1, &got), CKR_OK);
	CHECK_RV(f->C_FindObjectsFinal(s), CKR_OK);
	CHECK(got == 1);
	return got == 1 ? h : CK_INVALID_HANDLE;
}

/* The token's certificate (with the key's CKA_ID) verifies sig over msg. */
static void verify_with_cert(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE key,
			     const uint8_t *msg, size_t mlen, const uint8_t *sig,
			     size_t slen)
{
	uint8_t id[64];
	CK_ATTRIBUTE ida = { CKA_ID, id, sizeof(id) };
	CHECK_RV(f->C_GetAttributeValue(s, key, &ida, 1), CKR_OK);
	CK_OBJECT_CLASS cc = CKO_CERTIFICATE;
	CK_ATTRIBUTE ct[] = { { CKA_CLASS, &cc, sizeof(cc) },
			      { CKA_ID, id, ida.ulValueLen } };
	CK_OBJECT_HANDLE cert = find_one(s, ct, 2);
	CK_ATTRIBUTE va = { CKA_VALUE, NULL, 0 };
	CHECK_RV(f->C_GetAttributeValue(s, cert, &va, 1), CKR_OK);
	if (va.ulValueLen == 0 || va.ulValueLen > 65536) {
		CHECK(!"certificate size");
		return;
	}
	uint8_t *der = malloc(va.ulValueLen);
	if (!der) {
		CHECK(!"malloc");
		return;
	}
	va.pValue = der;
	CHECK_RV(f->C_GetAttributeValue(s, cert, &va, 1), CKR_OK);
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)va.ulValueLen);
	CHECK(x != NULL);
	if (x) {
		EVP_MD_CTX *mc = EVP_MD_CTX_new();
		CHECK(mc != NULL);
		if (mc) {
			CHECK(EVP_DigestVerifyInit(mc, NULL, EVP_sha256(), NULL,
						   X509_get0_pubkey(x)) == 1);
			CHECK(EVP_DigestVerify(mc, sig, slen, msg, mlen) == 1);
			EVP_MD_CTX_free(mc);
		}
		X509_free(x);
	}
	free(der);
}

struct waiter {
	CK_RV rv;
	int done;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;
	CK_SLOT_ID slot;

	w->rv = f->C_WaitForSlotEvent(0, &slot, NULL); /* blocks */
	__atomic_store_n(&w->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: test_p11_valgrind MODULE SECRETS\n");
		return 2;
	}
	char pin[64];
	if (read_pin(argv[2], pin, sizeof(pin)) != 0) {
		fprintf(stderr, "test_p11_valgrind: no user_pin in %s\n", argv[2]);
		return 2;
	}
	void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		fprintf(stderr, "test_p11_valgrind: dlopen: %s\n", dlerror());
		return 1;
	}
	CK_C_GetFunctionList gfl = (CK_C_GetFunctionList)dlsym(lib, "C_GetFunctionList");
	if (!gfl || gfl(&f) != CKR_OK) {
		fprintf(stderr, "test_p11_valgrind: no C_GetFunctionList\n");
		dlclose(lib);
		return 1;
	}

	CK_C_INITIALIZE_ARGS ia = { .flags = CKF_OS_LOCKING_OK };
	CHECK_RV(f->C_Initialize(&ia), CKR_OK);
	CK_SLOT_ID slots[8];
	CK_ULONG ns = 8;
	CHECK_RV(f->C_GetSlotList(CK_TRUE, slots, &ns), CKR_OK);
	CHECK(ns == 1);
	CK_TOKEN_INFO ti;
	CHECK_RV(f->C_GetTokenInfo(slots[0], &ti), CKR_OK);
	CHECK(ti.flags & CKF_TOKEN_INITIALIZED);

	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	CHECK_RV(f->C_OpenSession(slots[0], CKF_SERIAL_SESSION, NULL, NULL, &s), CKR_OK);
	CHECK_RV(f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin)), CKR_OK);
	memset(pin, 0, sizeof(pin));
	CK_OBJECT_CLASS pk = CKO_PRIVATE_KEY;
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &pk, sizeof(pk) }, { CKA_SIGN, &yes, 1 } };
	CK_OBJECT_HANDLE key = find_one(s, t, 2);
	static const uint8_t msg[] = "p11 valgrind message";
	CK_MECHANISM m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	uint8_t sig[512];
	CK_ULONG sl = sizeof(sig);
	CHECK_RV(f->C_SignInit(s, &m, key), CKR_OK);
	CHECK_RV(f->C_Sign(s, (CK_BYTE_PTR)msg, sizeof(msg), sig, &sl), CKR_OK);
	CHECK(sl == 256);
	verify_with_cert(s, key, msg, sizeof(msg), sig, sl);
	/* the module's own verification with the public key agrees */
	CK_OBJECT_CLASS pubc = CKO_PUBLIC_KEY;
	CK_ATTRIBUTE pt[] = { { CKA_CLASS, &pubc, sizeof(pubc) } };
	CK_OBJECT_HANDLE pub = find_one(s, pt, 1);
	CHECK_RV(f->C_VerifyInit(s, &m, pub), CKR_OK);
	CHECK_RV(f->C_Verify(s, (CK_BYTE_PTR)msg, sizeof(msg), sig, sl), CKR_OK);
	CHECK_RV(f->C_Logout(s), CKR_OK);
	CHECK_RV(f->C_CloseSession(s), CKR_OK);

	/* C_Finalize from this thread ends a blocked C_WaitForSlotEvent */
	struct waiter w = { CKR_OK, 0 };
	pthread_t th;
	if (pthread_create(&th, NULL, wait_thread, &w) != 0) {
		CHECK(!"pthread_create");
		CHECK_RV(f->C_Finalize(NULL), CKR_OK);
	} else {
		struct timespec ts = { 0, 300 * 1000000L };
		nanosleep(&ts, NULL); /* let it block */
		CHECK(!__atomic_load_n(&w.done, __ATOMIC_SEQ_CST));
		CHECK_RV(f->C_Finalize(NULL), CKR_OK);
		pthread_join(th, NULL);
		CHECK(w.rv == CKR_CRYPTOKI_NOT_INITIALIZED);
	}
	dlclose(lib);
	if (failures) {
		fprintf(stderr, "test_p11_valgrind: %d failure(s)\n", failures);
		return 1;
	}
	printf("test_p11_valgrind: all checks passed\n");
	return 0;
}
