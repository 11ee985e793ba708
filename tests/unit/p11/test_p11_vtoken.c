/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Smoke test of the built module (dlopen'ed, so the export map is in play)
 * on a virtual FTCOS token behind a private pcscd (run by pcsc-run):
 * token info, login, find, sign (verified with OpenSSL against the token's
 * certificate), OAEP decryption, and the APDU count of the common
 * "load → slots → token info → session → login → find key → sign" path.
 *
 *   test_p11_vtoken MODULE SECRETS
 */
#include <check.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <p11-kit/pkcs11.h>

static const char *module_path, *secrets_path;
static char user_pin[64];
static char trace_path[512];

/* APDUs of the cold common path (load → slots → token info → session →
 * login → find the private key → sign), measured on the virtual PK-01C
 * with per-class listing: bind 5 (select AID, ODF, TokenInfo), login 1,
 * PrKDF 2, sign 2. Exact: a change either way shows here. */
#define APDU_BUDGET 10
/* Once the directory is cached: another session of the logged-in user
 * finds the key (no APDU) and signs (MSE + PSO). */
#define APDU_BUDGET_CACHED 2
/* Login, find, sign after a C_Logout: the logout reset the card (FTCOS has
 * no LOGOUT command); the driver keeps its directory and token info
 * (reselect, no bind), so: select the application by AID folded into the
 * login (1), verify (1), sign (2). The same after the last session closed
 * while logged in. */
#define APDU_BUDGET_RELOGIN 4

static void read_pin(void)
{
	FILE *f = fopen(secrets_path, "r");
	ck_assert_ptr_nonnull(f);
	char line[128];
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "user_pin=", 9) == 0) {
			size_t n = strcspn(line + 9, "\r\n");
			ck_assert_uint_lt(n, sizeof(user_pin));
			memcpy(user_pin, line + 9, n);
			user_pin[n] = '\0';
		}
	}
	fclose(f);
	ck_assert(user_pin[0]);
}

static long count_apdus(void)
{
	FILE *f = fopen(trace_path, "r");
	if (!f)
		return -1;
	char line[8192];
	long n = 0;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, " >> "))
			n++;
	fclose(f);
	return n;
}

/* The command of the n-th APDU of the trace (0 = first), hex as traced. */
static int nth_apdu(long n, char *out, size_t cap)
{
	FILE *f = fopen(trace_path, "r");
	if (!f)
		return -1;
	char line[8192];
	long i = 0;
	int found = -1;
	while (fgets(line, sizeof(line), f)) {
		const char *p = strstr(line, " >> ");
		if (!p)
			continue;
		if (i++ == n) {
			snprintf(out, cap, "%s", p + 4);
			found = 0;
			break;
		}
	}
	fclose(f);
	return found;
}

/* The APDUs from index first on are: SELECT by AID, VERIFY, then the
 * signature's MSE (nothing re-read from the card). */
static void assert_relogin_apdus(long first)
{
	char cmd[8192];
	ck_assert_int_eq(nth_apdu(first, cmd, sizeof(cmd)), 0);
	ck_assert_msg(strncmp(cmd, "00 A4 04 00", 11) == 0, "1st: %s", cmd);
	ck_assert_int_eq(nth_apdu(first + 1, cmd, sizeof(cmd)), 0);
	ck_assert_msg(strncmp(cmd, "00 20 00", 8) == 0, "2nd: %s", cmd);
	ck_assert_int_eq(nth_apdu(first + 2, cmd, sizeof(cmd)), 0);
	ck_assert_msg(strncmp(cmd, "00 22", 5) == 0, "3rd: %s", cmd);
}

START_TEST(test_smoke)
{
	read_pin();
	const char *tmp = getenv("UKEY_TEST_TMP");
	snprintf(trace_path, sizeof(trace_path), "%s/apdu.trace", tmp ? tmp : "/tmp");
	remove(trace_path);
	setenv("UKEY_DEBUG", "apdu", 1);
	setenv("UKEY_DEBUG_FILE", trace_path, 1);

	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	void *lib = dlopen(module_path, RTLD_NOW | RTLD_LOCAL);
	ck_assert_msg(lib != NULL, "dlopen: %s", dlerror());
	ck_assert_ptr_null(dlsym(lib, "p11_set_backend")); /* not exported */
	CK_C_GetFunctionList gfl = (CK_C_GetFunctionList)dlsym(lib, "C_GetFunctionList");
	ck_assert_ptr_nonnull(gfl);
	CK_FUNCTION_LIST_PTR f;
	ck_assert_int_eq(gfl(&f), CKR_OK);

	/* the common path, counted */
	ck_assert_int_eq(f->C_Initialize(NULL), CKR_OK);
	CK_SLOT_ID slots[8];
	CK_ULONG ns = 8;
	ck_assert_int_eq(f->C_GetSlotList(CK_FALSE, slots, &ns), CKR_OK);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_uint_eq(ns, 2); /* pcsc-run's two readers, one with the card */
	double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	printf("p11_vtoken_smoke: load + C_Initialize + C_GetSlotList (2 readers): "
	       "%.2f ms\n", ms);
	ck_assert_msg(ms < 50.0, "loading and listing slots took %.2f ms", ms);
	ns = 8;
	ck_assert_int_eq(f->C_GetSlotList(CK_TRUE, slots, &ns), CKR_OK);
	ck_assert_uint_eq(ns, 1);
	ck_assert_int_eq(count_apdus(), -1); /* nothing sent yet */
	CK_TOKEN_INFO ti;
	ck_assert_int_eq(f->C_GetTokenInfo(slots[0], &ti), CKR_OK);
	ck_assert(memcmp(ti.label, "p11-smoke ", 10) == 0);
	ck_assert(ti.flags & CKF_LOGIN_REQUIRED);
	ck_assert(ti.flags & CKF_TOKEN_INITIALIZED);
	ck_assert(ti.flags & CKF_USER_PIN_INITIALIZED);
	CK_SESSION_HANDLE s;
	ck_assert_int_eq(f->C_OpenSession(slots[0], CKF_SERIAL_SESSION, NULL, NULL, &s),
			 CKR_OK);
	ck_assert_int_eq(f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)user_pin,
				    strlen(user_pin)), CKR_OK);
	CK_OBJECT_CLASS pk = CKO_PRIVATE_KEY;
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &pk, sizeof(pk) }, { CKA_SIGN, &yes, 1 } };
	CK_OBJECT_HANDLE key;
	CK_ULONG nk = 0;
	ck_assert_int_eq(f->C_FindObjectsInit(s, t, 2), CKR_OK);
	ck_assert_int_eq(f->C_FindObjects(s, &key, 1, &nk), CKR_OK);
	ck_assert_int_eq(f->C_FindObjectsFinal(s), CKR_OK);
	ck_assert_uint_eq(nk, 1);
	static const uint8_t msg[] = "p11 smoke message";
	CK_MECHANISM m = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	uint8_t sig[256];
	CK_ULONG sl = sizeof(sig);
	ck_assert_int_eq(f->C_SignInit(s, &m, key), CKR_OK);
	ck_assert_int_eq(f->C_Sign(s, (CK_BYTE_PTR)msg, sizeof(msg), sig, &sl), CKR_OK);
	ck_assert_uint_eq(sl, 256);
	long apdus = count_apdus();
	printf("p11_vtoken_smoke: %ld APDUs for load, slots, token info, session, "
	       "login, find key, sign\n", apdus);
	ck_assert_int_eq(apdus, APDU_BUDGET);

	/* the cached path: a second session, find, sign */
	CK_SESSION_HANDLE s2;
	ck_assert_int_eq(f->C_OpenSession(slots[0], CKF_SERIAL_SESSION, NULL, NULL, &s2),
			 CKR_OK);
	CK_OBJECT_HANDLE key2;
	ck_assert_int_eq(f->C_FindObjectsInit(s2, t, 2), CKR_OK);
	ck_assert_int_eq(f->C_FindObjects(s2, &key2, 1, &nk), CKR_OK);
	ck_assert_int_eq(f->C_FindObjectsFinal(s2), CKR_OK);
	ck_assert_uint_eq(nk, 1);
	ck_assert_uint_eq(key2, key); /* stable handle */
	uint8_t sig2[256];
	CK_ULONG sl2 = sizeof(sig2);
	ck_assert_int_eq(f->C_SignInit(s2, &m, key2), CKR_OK);
	ck_assert_int_eq(f->C_Sign(s2, (CK_BYTE_PTR)msg, sizeof(msg), sig2, &sl2), CKR_OK);
	long cached = count_apdus() - apdus;
	printf("p11_vtoken_smoke: %ld APDUs for a second session's find key + sign\n",
	       cached);
	ck_assert_int_eq(cached, APDU_BUDGET_CACHED);
	/* PKCS#1 v1.5 is deterministic: the same signature */
	ck_assert_uint_eq(sl2, sl);
	ck_assert(memcmp(sig2, sig, sl) == 0);
	ck_assert_int_eq(f->C_CloseSession(s2), CKR_OK);

	/* the certificate with the key's ID verifies the signature */
	uint8_t id[64];
	CK_ATTRIBUTE ida = { CKA_ID, id, sizeof(id) };
	ck_assert_int_eq(f->C_GetAttributeValue(s, key, &ida, 1), CKR_OK);
	CK_OBJECT_CLASS cc = CKO_CERTIFICATE;
	CK_ATTRIBUTE ct[] = { { CKA_CLASS, &cc, sizeof(cc) }, { CKA_ID, id, ida.ulValueLen } };
	CK_OBJECT_HANDLE cert;
	ck_assert_int_eq(f->C_FindObjectsInit(s, ct, 2), CKR_OK);
	ck_assert_int_eq(f->C_FindObjects(s, &cert, 1, &nk), CKR_OK);
	ck_assert_int_eq(f->C_FindObjectsFinal(s), CKR_OK);
	ck_assert_uint_eq(nk, 1);
	CK_ATTRIBUTE va = { CKA_VALUE, NULL, 0 };
	ck_assert_int_eq(f->C_GetAttributeValue(s, cert, &va, 1), CKR_OK);
	uint8_t *der = malloc(va.ulValueLen);
	va.pValue = der;
	ck_assert_int_eq(f->C_GetAttributeValue(s, cert, &va, 1), CKR_OK);
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)va.ulValueLen);
	ck_assert_ptr_nonnull(x);
	EVP_PKEY *pub = X509_get0_pubkey(x);
	EVP_MD_CTX *mc = EVP_MD_CTX_new();
	ck_assert_int_eq(EVP_DigestVerifyInit(mc, NULL, EVP_sha256(), NULL, pub), 1);
	ck_assert_int_eq(EVP_DigestVerify(mc, sig, sl, msg, sizeof(msg)), 1);
	EVP_MD_CTX_free(mc);

	/* PSS, padding on the host */
	CK_RSA_PKCS_PSS_PARAMS pp = { CKM_SHA256, CKG_MGF1_SHA256, 32 };
	CK_MECHANISM pss = { CKM_SHA256_RSA_PKCS_PSS, &pp, sizeof(pp) };
	sl = sizeof(sig);
	ck_assert_int_eq(f->C_SignInit(s, &pss, key), CKR_OK);
	ck_assert_int_eq(f->C_Sign(s, (CK_BYTE_PTR)msg, sizeof(msg), sig, &sl), CKR_OK);
	EVP_PKEY_CTX *pc = NULL;
	mc = EVP_MD_CTX_new();
	ck_assert_int_eq(EVP_DigestVerifyInit(mc, &pc, EVP_sha256(), NULL, pub), 1);
	EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING);
	EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, 32);
	ck_assert_int_eq(EVP_DigestVerify(mc, sig, sl, msg, sizeof(msg)), 1);
	EVP_MD_CTX_free(mc);

	/* OAEP: OpenSSL encrypts to the certificate, the card decrypts */
	uint8_t enc[256], dec[256];
	size_t el = sizeof(enc);
	pc = EVP_PKEY_CTX_new(pub, NULL);
	ck_assert_int_eq(EVP_PKEY_encrypt_init(pc), 1);
	EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_OAEP_PADDING);
	EVP_PKEY_CTX_set_rsa_oaep_md(pc, EVP_sha256());
	EVP_PKEY_CTX_set_rsa_mgf1_md(pc, EVP_sha256());
	ck_assert_int_eq(EVP_PKEY_encrypt(pc, enc, &el, msg, sizeof(msg)), 1);
	EVP_PKEY_CTX_free(pc);
	CK_RSA_PKCS_OAEP_PARAMS op = { CKM_SHA256, CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED, NULL, 0 };
	CK_MECHANISM oaep = { CKM_RSA_PKCS_OAEP, &op, sizeof(op) };
	CK_ULONG dl = sizeof(dec);
	ck_assert_int_eq(f->C_DecryptInit(s, &oaep, key), CKR_OK);
	ck_assert_int_eq(f->C_Decrypt(s, enc, el, dec, &dl), CKR_OK);
	ck_assert_uint_eq(dl, sizeof(msg));
	ck_assert(memcmp(dec, msg, sizeof(msg)) == 0);

	/* logout: the key is gone, and the card no longer signs */
	ck_assert_int_eq(f->C_Logout(s), CKR_OK);
	ck_assert_int_eq(f->C_SignInit(s, &m, key), CKR_KEY_HANDLE_INVALID);

	/* log in again, find, sign: FTCOS has no LOGOUT, so the logout reset
	 * the card; the driver re-selects its application (no bind) and the
	 * directory stays cached */
	long before = count_apdus();
	ck_assert_int_eq(f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)user_pin,
				    strlen(user_pin)), CKR_OK);
	ck_assert_int_eq(f->C_FindObjectsInit(s, t, 2), CKR_OK);
	ck_assert_int_eq(f->C_FindObjects(s, &key2, 1, &nk), CKR_OK);
	ck_assert_int_eq(f->C_FindObjectsFinal(s), CKR_OK);
	ck_assert_uint_eq(nk, 1);
	ck_assert_uint_eq(key2, key);
	uint8_t sig3[256];
	CK_ULONG sl3 = sizeof(sig3);
	ck_assert_int_eq(f->C_SignInit(s, &m, key), CKR_OK);
	ck_assert_int_eq(f->C_Sign(s, (CK_BYTE_PTR)msg, sizeof(msg), sig3, &sl3), CKR_OK);
	/* sig2 still holds the first PKCS#1 v1.5 signature */
	ck_assert(sl3 == sl2 && memcmp(sig3, sig2, sl3) == 0);
	long relogin = count_apdus() - before;
	printf("p11_vtoken_smoke: %ld APDUs for login, find key, sign after a logout\n",
	       relogin);
	ck_assert_int_eq(relogin, APDU_BUDGET_RELOGIN);
	assert_relogin_apdus(before);

	/* closing the last session while logged in resets the card the same
	 * way: a new session logs in, finds and signs in as few APDUs */
	ck_assert_int_eq(f->C_CloseSession(s), CKR_OK);
	ck_assert_int_eq(f->C_OpenSession(slots[0], CKF_SERIAL_SESSION, NULL, NULL, &s),
			 CKR_OK);
	before = count_apdus();
	ck_assert_int_eq(f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)user_pin,
				    strlen(user_pin)), CKR_OK);
	ck_assert_int_eq(f->C_FindObjectsInit(s, t, 2), CKR_OK);
	ck_assert_int_eq(f->C_FindObjects(s, &key2, 1, &nk), CKR_OK);
	ck_assert_int_eq(f->C_FindObjectsFinal(s), CKR_OK);
	ck_assert_uint_eq(nk, 1);
	ck_assert_uint_eq(key2, key);
	sl3 = sizeof(sig3);
	ck_assert_int_eq(f->C_SignInit(s, &m, key2), CKR_OK);
	ck_assert_int_eq(f->C_Sign(s, (CK_BYTE_PTR)msg, sizeof(msg), sig3, &sl3), CKR_OK);
	ck_assert(sl3 == sl2 && memcmp(sig3, sig2, sl3) == 0);
	relogin = count_apdus() - before;
	printf("p11_vtoken_smoke: %ld APDUs for login, find key, sign after the "
	       "last session closed\n", relogin);
	ck_assert_int_eq(relogin, APDU_BUDGET_RELOGIN);
	assert_relogin_apdus(before);
	/* and the logout really took the PIN away from the card: a key
	 * operation without a new login fails */
	ck_assert_int_eq(f->C_Logout(s), CKR_OK);
	ck_assert_int_eq(f->C_SignInit(s, &m, key), CKR_KEY_HANDLE_INVALID);
	CK_SLOT_ID ev;
	ck_assert_int_eq(f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &ev, NULL), CKR_NO_EVENT);
	X509_free(x);
	free(der);
	ck_assert_int_eq(f->C_Finalize(NULL), CKR_OK);
	dlclose(lib);
}
END_TEST

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: test_p11_vtoken MODULE SECRETS\n");
		return 2;
	}
	module_path = argv[1];
	secrets_path = argv[2];
	Suite *su = suite_create("p11_vtoken");
	TCase *tc = tcase_create("smoke");
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_smoke);
	suite_add_tcase(su, tc);
	SRunner *sr = srunner_create(su);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
