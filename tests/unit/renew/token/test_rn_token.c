/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_rn_token.c — renew/token against SoftHSMv2 in a private token
 * directory (SOFTHSM2_CONF in a temporary directory): module loading and its
 * failures, token and certificate listing, PIN classes, the token-backed
 * EVP_PKEY (PKCS#1 v1.5, PSS, X509_REQ_sign, TLS 1.2/1.3 client
 * authentication over a socketpair), key generation, certificate write /
 * exact find / delete, key pair delete, and a trace that never shows the PIN.
 */
#define _GNU_SOURCE 1  /* unshare(CLONE_NEWNET) for the s_server check */
#include <check.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <openssl/cmp.h>
#include <openssl/crmf.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "rn_token.h"

#define SOFTHSM "/usr/lib/softhsm/libsofthsm2.so"
#define PIN "739146"
#define BADPIN "000000"

static char tmpdir[64] = "/tmp/rn_token_XXXXXX";
static unsigned char *cert1, *cert2;
static size_t cert1_len, cert2_len;

/* ---- trace capture ---- */
static char *trace_buf;
static size_t trace_len;

static void trace_cb(const char *line, void *arg)
{
	size_t l = strlen(line);
	char *n = realloc(trace_buf, trace_len + l + 2);

	(void)arg;
	ck_assert_ptr_nonnull(n);
	trace_buf = n;
	memcpy(trace_buf + trace_len, line, l);
	trace_len += l;
	trace_buf[trace_len++] = '\n';
	trace_buf[trace_len] = '\0';
	if (getenv("RN_TEST_TRACE"))
		fprintf(stderr, "trace: %s\n", line);
}

static int run(const char *cmd)
{
	int st = system(cmd);

	if (st != 0)
		fprintf(stderr, "command failed (%d): %s\n", st, cmd);
	return st;
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *b;
	long l;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	l = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc((size_t)l);
	if (b && fread(b, 1, (size_t)l, f) != (size_t)l) {
		free(b);
		b = NULL;
	}
	fclose(f);
	*len = (size_t)l;
	return b;
}

/* Token "t" with key pair + certificate id 01 (pkcs11-tool, from openssl),
 * and a certificate id 02 without a key. */
static int setup_token(void)
{
	char cmd[2048], path[256];
	FILE *f;

	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(path, sizeof(path), "%s/tokens", tmpdir);
	if (mkdir(path, 0700) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/softhsm2.conf", tmpdir);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "directories.tokendir = %s/tokens\nobjectstore.backend = file\n"
		   "log.level = ERROR\nslots.removable = false\n", tmpdir);
	fclose(f);
	setenv("SOFTHSM2_CONF", path, 1);
	snprintf(cmd, sizeof(cmd),
		 "set -e; cd %s; "
		 "softhsm2-util --init-token --free --label t --pin " PIN " --so-pin 5678 >/dev/null; "
		 "openssl genrsa -out k1.pem 2048 2>/dev/null; "
		 "openssl pkey -in k1.pem -outform DER -out k1.der; "
		 "openssl pkey -in k1.pem -pubout -outform DER -out k1pub.der; "
		 "openssl req -x509 -new -key k1.pem -subj /CN=rn-token-test -days 30 "
		 "  -outform DER -out c1.der; "
		 "openssl req -x509 -newkey rsa:2048 -nodes -keyout k2.pem -subj /CN=orphan "
		 "  -days 30 -outform DER -out c2.der 2>/dev/null; "
		 "P='pkcs11-tool --module " SOFTHSM " --login --pin " PIN "'; "
		 "$P --write-object k1.der --type privkey --id 01 --label k1 >/dev/null 2>&1; "
		 "$P --write-object k1pub.der --type pubkey --id 01 --label k1 >/dev/null 2>&1; "
		 "$P --write-object c1.der --type cert --id 01 --label c1 >/dev/null 2>&1; "
		 "$P --write-object c2.der --type cert --id 02 --label c2 >/dev/null 2>&1; "
		 "openssl x509 -inform DER -in c1.der -out c1.pem; "
		 "openssl req -x509 -newkey rsa:2048 -nodes -keyout srvkey.pem -subj /CN=127.0.0.1 "
		 "  -days 30 -out srv.pem 2>/dev/null",
		 tmpdir);
	if (run(cmd) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/c1.der", tmpdir);
	cert1 = slurp(path, &cert1_len);
	snprintf(path, sizeof(path), "%s/c2.der", tmpdir);
	cert2 = slurp(path, &cert2_len);
	return cert1 && cert2 ? 0 : -1;
}

/* ---- helpers ---- */
static struct rn_module *mod;
static struct rn_session *ses;

static CK_SLOT_ID the_slot(void)
{
	struct rn_token_info *ti;
	size_t n;
	char err[256];
	CK_SLOT_ID slot;

	ck_assert_int_eq(rn_token_list(mod, &ti, &n, err, sizeof(err)), RN_TOK_OK);
	/* SoftHSM always adds one uninitialised token after the others. */
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(ti[0].label, "t");
	ck_assert_uint_ne(ti[0].flags & CKF_TOKEN_INITIALIZED, 0);
	ck_assert_uint_eq(ti[1].flags & CKF_TOKEN_INITIALIZED, 0);
	slot = ti[0].slot;
	free(ti);
	return slot;
}

static void open_session(int login)
{
	char err[256] = "";

	ck_assert_int_eq(rn_module_load(SOFTHSM, trace_cb, NULL, &mod, err, sizeof(err)),
			 RN_TOK_OK);
	ck_assert_int_eq(rn_session_open(mod, the_slot(), 1, &ses, err, sizeof(err)), RN_TOK_OK);
	if (login)
		ck_assert_msg(rn_session_login(ses, PIN, strlen(PIN), err, sizeof(err)) == RN_TOK_OK,
			      "%s", err);
}

static void close_all(void)
{
	rn_session_close(ses);
	ses = NULL;
	rn_module_unload(mod);
	mod = NULL;
}

static X509 *cert_of(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);

	ck_assert_ptr_nonnull(x);
	return x;
}

static const unsigned char ID1[] = { 0x01 };
static const unsigned char ID2[] = { 0x02 };

/* ---- tests ---- */
START_TEST(load_failures)
{
	struct rn_module *m = (void *)1;
	char err[512] = "";

	ck_assert_int_eq(rn_module_load("/nonexistent/libnothing.so", NULL, NULL, &m, err,
					sizeof(err)), RN_TOK_MODULE);
	ck_assert_ptr_null(m);
	ck_assert_msg(strstr(err, "/nonexistent/libnothing.so") &&
		      strstr(err, "No such file"), "%s", err);

	err[0] = '\0';
	ck_assert_int_eq(rn_module_load("/usr/lib/x86_64-linux-gnu/libz.so.1", NULL, NULL, &m,
					err, sizeof(err)), RN_TOK_MODULE);
	ck_assert_msg(strstr(err, "C_GetFunctionList") && strstr(err, "undefined symbol"),
		      "%s", err);

	ck_assert_int_eq(rn_module_load(NULL, NULL, NULL, &m, err, sizeof(err)), RN_TOK_MODULE);
	rn_module_unload(NULL);
	rn_session_close(NULL);
}
END_TEST

START_TEST(ckr_names)
{
	ck_assert_str_eq(rn_ckr_name(CKR_PIN_INCORRECT), "CKR_PIN_INCORRECT");
	ck_assert_str_eq(rn_ckr_name(CKR_OK), "CKR_OK");
	ck_assert_str_eq(rn_ckr_name(CKR_DEVICE_REMOVED), "CKR_DEVICE_REMOVED");
	ck_assert_str_eq(rn_ckr_name(0x8123456aUL), "CKR_0x8123456a");
}
END_TEST

START_TEST(list_tokens)
{
	struct rn_token_info *ti, one;
	size_t n;
	char err[256];

	open_session(0);
	ck_assert_int_eq(rn_token_list(mod, &ti, &n, err, sizeof(err)), RN_TOK_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(ti[0].label, "t");
	ck_assert_str_eq(ti[0].manufacturer, "SoftHSM project");
	ck_assert_int_eq(ti[0].login_required, 1);
	ck_assert_int_eq(ti[0].pin_locked, 0);
	ck_assert_int_eq(rn_token_info(mod, ti[0].slot, &one, err, sizeof(err)), RN_TOK_OK);
	ck_assert_str_eq(one.serial, ti[0].serial);
	ck_assert_uint_gt(strlen(one.serial), 0);
	free(ti);
	close_all();
}
END_TEST

static const struct rn_cert *by_label(const struct rn_cert *c, size_t n, const char *l)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(c[i].label, l) == 0)
			return &c[i];
	return NULL;
}

START_TEST(cert_list_key_present)
{
	struct rn_cert *c;
	const struct rn_cert *x;
	size_t n;
	char err[256];

	open_session(0);
	ck_assert_int_eq(rn_cert_list(ses, &c, &n, err, sizeof(err)), RN_TOK_OK);
	ck_assert_uint_eq(n, 2);
	x = by_label(c, n, "c1");
	ck_assert_ptr_nonnull(x);
	ck_assert_uint_eq(x->id_len, 1);
	ck_assert_uint_eq(x->id[0], 1);
	ck_assert_int_eq(x->key_present, 1);        /* public key visible */
	ck_assert_uint_eq(x->der_len, cert1_len);
	ck_assert_mem_eq(x->der, cert1, cert1_len);
	x = by_label(c, n, "c2");
	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(x->key_present, -1);       /* none visible, not logged in */
	rn_cert_list_free(c, n);

	ck_assert_int_eq(rn_session_login(ses, PIN, strlen(PIN), err, sizeof(err)), RN_TOK_OK);
	ck_assert_int_eq(rn_cert_list(ses, &c, &n, err, sizeof(err)), RN_TOK_OK);
	x = by_label(c, n, "c2");
	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(x->key_present, 0);
	rn_cert_list_free(c, n);
	close_all();
}
END_TEST

START_TEST(login_pin_classes)
{
	char err[256] = "";
	char longpin[300];
	int exists = -1;

	free(trace_buf);
	trace_buf = NULL;
	trace_len = 0;
	open_session(0);
	ck_assert_int_eq(rn_session_logged_in(ses), 0);
	ck_assert_int_eq(rn_session_login(ses, BADPIN, strlen(BADPIN), err, sizeof(err)),
			 RN_TOK_PIN_INCORRECT);
	ck_assert_msg(strstr(err, "C_Login") && strstr(err, "CKR_PIN_INCORRECT"), "%s", err);
	ck_assert_int_eq(rn_session_logged_in(ses), 0);
	memset(longpin, '7', sizeof(longpin) - 1);
	longpin[sizeof(longpin) - 1] = '\0';
	ck_assert_int_eq(rn_session_login(ses, longpin, strlen(longpin), err, sizeof(err)),
			 RN_TOK_PIN_INVALID);
	ck_assert_int_eq(rn_session_login(ses, PIN, strlen(PIN), err, sizeof(err)), RN_TOK_OK);
	ck_assert_int_eq(rn_session_logged_in(ses), 1);
	/* Second login on the same token: CKR_USER_ALREADY_LOGGED_IN is fine. */
	ck_assert_int_eq(rn_session_login(ses, PIN, strlen(PIN), err, sizeof(err)), RN_TOK_OK);
	ck_assert_int_eq(rn_private_key_exists(ses, ID1, 1, &exists, err, sizeof(err)), RN_TOK_OK);
	ck_assert_int_eq(exists, 1);
	ck_assert_int_eq(rn_private_key_exists(ses, ID2, 1, &exists, err, sizeof(err)), RN_TOK_OK);
	ck_assert_int_eq(exists, 0);
	close_all();

	ck_assert_ptr_nonnull(trace_buf);
	ck_assert_msg(strstr(trace_buf, "C_Login(session ") &&
		      strstr(trace_buf, "CKU_USER, <PIN withheld>) = CKR_PIN_INCORRECT") &&
		      strstr(trace_buf, "<PIN withheld>) = CKR_OK"), "%s", trace_buf);
	ck_assert_msg(!strstr(trace_buf, PIN) && !strstr(trace_buf, BADPIN) &&
		      !strstr(trace_buf, "7777"), "PIN in trace:\n%s", trace_buf);
	ck_assert_ptr_nonnull(strstr(trace_buf, "C_Initialize(CKF_OS_LOCKING_OK) = CKR_OK"));
	ck_assert_ptr_nonnull(strstr(trace_buf, "C_FindObjectsInit(session "));
	ck_assert_ptr_nonnull(strstr(trace_buf, "C_Finalize() = CKR_OK"));
}
END_TEST

static void verify_sig(EVP_PKEY *signer, EVP_PKEY *pub, int pss)
{
	static const unsigned char msg[] = "renew me, token";
	unsigned char sig[1024];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *mc = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = NULL;

	ck_assert_int_eq(EVP_DigestSignInit(mc, &pc, EVP_sha256(), NULL, signer), 1);
	if (pss) {
		ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING), 1);
		ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_DIGEST), 1);
	}
	ck_assert_msg(EVP_DigestSign(mc, sig, &siglen, msg, sizeof(msg)) == 1,
		      "EVP_DigestSign: %s", ERR_error_string(ERR_get_error(), NULL));
	ck_assert_uint_eq(siglen, (size_t)EVP_PKEY_get_size(pub));
	EVP_MD_CTX_free(mc);

	mc = EVP_MD_CTX_new();
	pc = NULL;
	ck_assert_int_eq(EVP_DigestVerifyInit(mc, &pc, EVP_sha256(), NULL, pub), 1);
	if (pss) {
		ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING), 1);
		ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_DIGEST), 1);
	}
	ck_assert_int_eq(EVP_DigestVerify(mc, sig, siglen, msg, sizeof(msg)), 1);
	/* A flipped bit must not verify. */
	sig[siglen / 2] ^= 1;
	ck_assert_int_ne(EVP_DigestVerify(mc, sig, siglen, msg, sizeof(msg)), 1);
	EVP_MD_CTX_free(mc);
	ERR_clear_error();
}

START_TEST(private_key_signs)
{
	EVP_PKEY *pk = NULL, *pub = NULL;
	X509 *x = cert_of(cert1, cert1_len);
	X509_REQ *req;
	char err[256] = "";

	free(trace_buf);
	trace_buf = NULL;
	trace_len = 0;
	open_session(0);
	/* Not logged in: the private key is not visible. */
	ck_assert_int_eq(rn_private_key(ses, ID1, 1, &pk, err, sizeof(err)), RN_TOK_NOT_FOUND);
	ck_assert_msg(strstr(err, "not logged in") != NULL, "%s", err);
	ck_assert_int_eq(rn_session_login(ses, PIN, strlen(PIN), err, sizeof(err)), RN_TOK_OK);
	ck_assert_msg(rn_private_key(ses, ID1, 1, &pk, err, sizeof(err)) == RN_TOK_OK, "%s", err);
	ck_assert_int_eq(EVP_PKEY_get_base_id(pk), EVP_PKEY_RSA);
	ck_assert_int_eq(EVP_PKEY_get_bits(pk), 2048);
	ck_assert_int_eq(EVP_PKEY_eq(pk, X509_get0_pubkey(x)), 1);
	ck_assert_int_eq(X509_check_private_key(x, pk), 1);

	verify_sig(pk, X509_get0_pubkey(x), 0);
	verify_sig(pk, X509_get0_pubkey(x), 1);
	ck_assert_int_eq(rn_session_last_error(ses, err, sizeof(err)), RN_TOK_OK);

	/* ASN1_item_sign path (as CMP protection and CRMF POP use it). */
	req = X509_REQ_new();
	ck_assert_int_eq(X509_REQ_set_pubkey(req, X509_get0_pubkey(x)), 1);
	X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_ASC,
				   (const unsigned char *)"req", -1, -1, 0);
	ck_assert_int_gt(X509_REQ_sign(req, pk, EVP_sha256()), 0);
	ck_assert_int_eq(X509_REQ_verify(req, X509_get0_pubkey(x)), 1);
	X509_REQ_free(req);

	ck_assert_msg(rn_public_key(ses, ID1, 1, &pub, err, sizeof(err)) == RN_TOK_OK, "%s", err);
	ck_assert_int_eq(EVP_PKEY_eq(pub, X509_get0_pubkey(x)), 1);
	EVP_PKEY_free(pub);
	ck_assert_int_eq(rn_public_key(ses, ID2, 1, &pub, err, sizeof(err)), RN_TOK_NOT_FOUND);

	/* The key outlives nothing: free it before the session closes. */
	EVP_PKEY_free(pk);
	X509_free(x);
	close_all();

	ck_assert_msg(strstr(trace_buf, "C_SignInit(session ") &&
		      strstr(trace_buf, "CKM_RSA_PKCS, key ") &&
		      strstr(trace_buf, "C_Sign(session ") &&
		      strstr(trace_buf, "CKM_RSA_X_509, 256 bytes) = CKR_OK, 256 bytes"),
		      "%s", trace_buf);
	ck_assert_ptr_null(strstr(trace_buf, PIN));
}
END_TEST

/* A self-signed certificate for key pk (signed on the token). */
static unsigned char *self_signed(EVP_PKEY *pk, const char *cn, size_t *len)
{
	X509 *x = X509_new();
	unsigned char *der = NULL;
	int l;

	ck_assert_int_eq(X509_set_version(x, 2), 1);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 0x4242);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	ck_assert_int_eq(X509_set_pubkey(x, pk), 1);
	ck_assert_int_gt(X509_sign(x, pk, EVP_sha256()), 0);
	ck_assert_int_eq(X509_verify(x, X509_get0_pubkey(x)), 1);
	l = i2d_X509(x, &der);
	ck_assert_int_gt(l, 0);
	X509_free(x);
	*len = (size_t)l;
	return der;
}

START_TEST(generate_write_find_delete)
{
	static const unsigned char id[] = { 0xAA, 0xBB, 0x01 };
	EVP_PKEY *pk = NULL, *pub = NULL;
	unsigned char *der, *bad;
	size_t der_len;
	struct rn_cert *c;
	const struct rn_cert *x;
	size_t n;
	int found = 0, exists = 0;
	CK_OBJECT_HANDLE h = 0;
	char err[256] = "";

	open_session(1);
	ck_assert_msg(rn_generate_rsa(ses, 2048, id, sizeof(id), "gen key", err, sizeof(err)) ==
		      RN_TOK_OK, "%s", err);
	ck_assert_int_eq(rn_private_key_exists(ses, id, sizeof(id), &exists, err, sizeof(err)),
			 RN_TOK_OK);
	ck_assert_int_eq(exists, 1);
	ck_assert_msg(rn_private_key(ses, id, sizeof(id), &pk, err, sizeof(err)) == RN_TOK_OK,
		      "%s", err);
	ck_assert_int_eq(EVP_PKEY_get_bits(pk), 2048);
	ck_assert_int_eq(rn_public_key(ses, id, sizeof(id), &pub, err, sizeof(err)), RN_TOK_OK);
	ck_assert_int_eq(EVP_PKEY_eq(pk, pub), 1);
	verify_sig(pk, pub, 0);
	verify_sig(pk, pub, 1);

	der = self_signed(pk, "generated", &der_len);
	ck_assert_msg(rn_cert_write(ses, der, der_len, id, sizeof(id), "new cert", err,
				    sizeof(err)) == RN_TOK_OK, "%s", err);
	ck_assert_int_eq(rn_cert_list(ses, &c, &n, err, sizeof(err)), RN_TOK_OK);
	ck_assert_uint_eq(n, 3);
	x = by_label(c, n, "new cert");
	ck_assert_ptr_nonnull(x);
	ck_assert_uint_eq(x->id_len, sizeof(id));
	ck_assert_mem_eq(x->id, id, sizeof(id));
	ck_assert_int_eq(x->key_present, 1);
	ck_assert_uint_eq(x->der_len, der_len);
	ck_assert_mem_eq(x->der, der, der_len);
	rn_cert_list_free(c, n);

	ck_assert_int_eq(rn_cert_find_exact(ses, der, der_len, &found, &h, err, sizeof(err)),
			 RN_TOK_OK);
	ck_assert_int_eq(found, 1);
	ck_assert_uint_ne(h, CK_INVALID_HANDLE);
	/* One byte different, one byte short, one byte longer: not found. */
	bad = malloc(der_len + 1);
	memcpy(bad, der, der_len);
	bad[der_len - 5] ^= 0x01;
	ck_assert_int_eq(rn_cert_find_exact(ses, bad, der_len, &found, &h, err, sizeof(err)),
			 RN_TOK_OK);
	ck_assert_int_eq(found, 0);
	ck_assert_int_eq(rn_cert_find_exact(ses, der, der_len - 1, &found, NULL, err,
					    sizeof(err)), RN_TOK_OK);
	ck_assert_int_eq(found, 0);
	memcpy(bad, der, der_len);
	bad[der_len] = 0;
	ck_assert_int_eq(rn_cert_find_exact(ses, bad, der_len + 1, &found, NULL, err,
					    sizeof(err)), RN_TOK_OK);
	ck_assert_int_eq(found, 0);
	free(bad);
	/* The other certificates are found exactly too. */
	ck_assert_int_eq(rn_cert_find_exact(ses, cert2, cert2_len, &found, NULL, err,
					    sizeof(err)), RN_TOK_OK);
	ck_assert_int_eq(found, 1);

	/* Garbage is not written. */
	ck_assert_int_eq(rn_cert_write(ses, (const unsigned char *)"junk", 4, id, sizeof(id),
				       "x", err, sizeof(err)), RN_TOK_ERROR);

	ck_assert_int_eq(rn_cert_delete_exact(ses, der, der_len, err, sizeof(err)), RN_TOK_OK);
	ck_assert_int_eq(rn_cert_find_exact(ses, der, der_len, &found, NULL, err, sizeof(err)),
			 RN_TOK_OK);
	ck_assert_int_eq(found, 0);
	ck_assert_int_eq(rn_cert_delete_exact(ses, der, der_len, err, sizeof(err)),
			 RN_TOK_NOT_FOUND);
	/* The others stay. */
	ck_assert_int_eq(rn_cert_find_exact(ses, cert1, cert1_len, &found, NULL, err,
					    sizeof(err)), RN_TOK_OK);
	ck_assert_int_eq(found, 1);

	EVP_PKEY_free(pk);
	EVP_PKEY_free(pub);
	ck_assert_int_eq(rn_keypair_delete(ses, id, sizeof(id), err, sizeof(err)), RN_TOK_OK);
	ck_assert_int_eq(rn_private_key_exists(ses, id, sizeof(id), &exists, err, sizeof(err)),
			 RN_TOK_OK);
	ck_assert_int_eq(exists, 0);
	ck_assert_int_eq(rn_public_key(ses, id, sizeof(id), &pub, err, sizeof(err)),
			 RN_TOK_NOT_FOUND);
	ck_assert_int_eq(rn_keypair_delete(ses, id, sizeof(id), err, sizeof(err)), RN_TOK_OK);
	ck_assert_int_eq(rn_keypair_delete(ses, NULL, 0, err, sizeof(err)), RN_TOK_ERROR);
	/* Key pair 01 untouched. */
	ck_assert_int_eq(rn_private_key_exists(ses, ID1, 1, &exists, err, sizeof(err)), RN_TOK_OK);
	ck_assert_int_eq(exists, 1);
	OPENSSL_free(der);
	close_all();
}
END_TEST

/* CMP: a key update request protected (signature) and POP-signed with the
 * token key, captured by the transfer callback and verified in software. */
static OSSL_CMP_MSG *captured;

static OSSL_CMP_MSG *capture_cb(OSSL_CMP_CTX *ctx, const OSSL_CMP_MSG *req)
{
	(void)ctx;
	OSSL_CMP_MSG_free(captured);
	captured = OSSL_CMP_MSG_dup(req);
	return NULL;   /* "no answer": the exchange stops here */
}

static int quiet_log(const char *func, const char *file, int line,
		     OSSL_CMP_severity level, const char *msg)
{
	(void)func;
	(void)file;
	(void)line;
	(void)level;
	(void)msg;
	return 1;
}

START_TEST(cmp_protection_and_pop)
{
	EVP_PKEY *pk = NULL;
	X509 *x = cert_of(cert1, cert1_len);
	OSSL_CMP_CTX *ctx, *vctx;
	OSSL_CRMF_MSG *crm;
	OSSL_CRMF_MSGS *msgs;
	char err[256] = "";

	free(trace_buf);
	trace_buf = NULL;
	trace_len = 0;
	open_session(1);
	ck_assert_msg(rn_private_key(ses, ID1, 1, &pk, err, sizeof(err)) == RN_TOK_OK, "%s", err);

	ctx = OSSL_CMP_CTX_new(NULL, NULL);
	ck_assert_ptr_nonnull(ctx);
	ck_assert_int_eq(OSSL_CMP_CTX_set1_cert(ctx, x), 1);
	ck_assert_int_eq(OSSL_CMP_CTX_set1_pkey(ctx, pk), 1);
	ck_assert_int_eq(OSSL_CMP_CTX_set1_oldCert(ctx, x), 1);
	ck_assert_int_eq(EVP_PKEY_up_ref(pk), 1);
	ck_assert_int_eq(OSSL_CMP_CTX_set0_newPkey(ctx, 1, pk), 1);
	ck_assert_int_eq(OSSL_CMP_CTX_set1_srvCert(ctx, x), 1);
	ck_assert_int_eq(OSSL_CMP_CTX_set_transfer_cb(ctx, capture_cb), 1);
	ck_assert_int_eq(OSSL_CMP_CTX_set_log_cb(ctx, quiet_log), 1);
	ERR_clear_error();
	ck_assert_ptr_null(OSSL_CMP_exec_KUR_ses(ctx));
	ck_assert_ptr_nonnull(captured);
	/* 7 = kur (RFC 4210 PKIBody; the constant is not public in 3.0). */
	ck_assert_int_eq(OSSL_CMP_MSG_get_bodytype(captured), 7);
	ERR_clear_error();

	/* The protection verifies against the certificate's public key. */
	vctx = OSSL_CMP_CTX_new(NULL, NULL);
	ck_assert_int_eq(OSSL_CMP_CTX_set1_srvCert(vctx, x), 1);
	ck_assert_msg(OSSL_CMP_validate_msg(vctx, captured) == 1, "OSSL_CMP_validate_msg: %s",
		      ERR_error_string(ERR_get_error(), NULL));
	OSSL_CMP_CTX_free(vctx);
	OSSL_CMP_MSG_free(captured);
	captured = NULL;
	OSSL_CMP_CTX_free(ctx);

	/* CRMF proof of possession signed by the token key. */
	crm = OSSL_CRMF_MSG_new();
	ck_assert_int_eq(OSSL_CRMF_MSG_set_certReqId(crm, 0), 1);
	ck_assert_int_eq(OSSL_CRMF_CERTTEMPLATE_fill(OSSL_CRMF_MSG_get0_tmpl(crm),
						      X509_get0_pubkey(x),
						      X509_get_subject_name(x), NULL, NULL), 1);
	ck_assert_int_eq(OSSL_CRMF_MSG_create_popo(OSSL_CRMF_POPO_SIGNATURE, crm, pk,
						   EVP_sha256(), NULL, NULL), 1);
	msgs = sk_OSSL_CRMF_MSG_new_null();
	ck_assert_int_gt(sk_OSSL_CRMF_MSG_push(msgs, crm), 0);
	ck_assert_int_eq(OSSL_CRMF_MSGS_verify_popo(msgs, 0, 0, NULL, NULL), 1);
	sk_OSSL_CRMF_MSG_pop_free(msgs, OSSL_CRMF_MSG_free);

	EVP_PKEY_free(pk);
	X509_free(x);
	close_all();
	/* Protection + POP inside the request + the separate POP. */
	{
		size_t signs = 0;

		for (const char *p = trace_buf; (p = strstr(p, "C_Sign(session ")); p++)
			signs++;
		ck_assert_uint_ge(signs, 3);
	}
}
END_TEST

/* TLS server in a child process on one end of a socketpair: requires a
 * client certificate and trusts exactly cert1. Exit 0 when the handshake
 * succeeded and the peer presented cert1. */
static void tls_server(int fd, int version)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	EVP_PKEY *k = EVP_RSA_gen(2048);
	X509 *x = X509_new(), *ca = cert_of(cert1, cert1_len), *peer;
	X509_STORE *st;
	SSL *ssl;
	int ok;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)"server", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, k);
	X509_sign(x, k, EVP_sha256());
	SSL_CTX_use_certificate(ctx, x);
	SSL_CTX_use_PrivateKey(ctx, k);
	SSL_CTX_set_min_proto_version(ctx, version);
	SSL_CTX_set_max_proto_version(ctx, version);
	st = SSL_CTX_get_cert_store(ctx);
	X509_STORE_add_cert(st, ca);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	ok = SSL_accept(ssl) == 1;
	if (!ok)
		ERR_print_errors_fp(stderr);
	peer = SSL_get1_peer_certificate(ssl);
	ok = ok && peer && X509_cmp(peer, ca) == 0 && SSL_get_verify_result(ssl) == X509_V_OK;
	if (ok) {
		char b[4];

		ok = SSL_read(ssl, b, 4) == 4 && memcmp(b, "ping", 4) == 0;
		SSL_write(ssl, "pong", 4);
	}
	_exit(ok ? 0 : 1);
}

static void tls_client_auth(int version, const char *sigalgs)
{
	EVP_PKEY *pk = NULL;
	X509 *x = cert_of(cert1, cert1_len);
	SSL_CTX *ctx;
	SSL *ssl;
	int sv[2], st = -1;
	char err[256] = "", b[4];
	pid_t pid;

	open_session(1);
	ck_assert_msg(rn_private_key(ses, ID1, 1, &pk, err, sizeof(err)) == RN_TOK_OK, "%s", err);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(sv[0]);
		tls_server(sv[1], version);
	}
	close(sv[1]);
	ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_min_proto_version(ctx, version);
	SSL_CTX_set_max_proto_version(ctx, version);
	if (sigalgs)
		ck_assert_int_eq(SSL_CTX_set1_client_sigalgs_list(ctx, sigalgs), 1);
	ck_assert_int_eq(SSL_CTX_use_certificate(ctx, x), 1);
	ck_assert_int_eq(SSL_CTX_use_PrivateKey(ctx, pk), 1);
	ck_assert_int_eq(SSL_CTX_check_private_key(ctx), 1);
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, sv[0]);
	ck_assert_msg(SSL_connect(ssl) == 1, "SSL_connect: %s",
		      ERR_error_string(ERR_get_error(), NULL));
	ck_assert_int_eq(SSL_write(ssl, "ping", 4), 4);
	ck_assert_int_eq(SSL_read(ssl, b, 4), 4);
	ck_assert_int_eq(memcmp(b, "pong", 4), 0);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "server status %d", st);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(sv[0]);
	EVP_PKEY_free(pk);
	X509_free(x);
	close_all();
	ck_assert_ptr_nonnull(strstr(trace_buf, "C_Sign(session "));
}

START_TEST(tls13_client_auth)
{
	tls_client_auth(TLS1_3_VERSION, NULL);
	/* TLS 1.3 signs with RSA-PSS: raw RSA on the token. */
	ck_assert_ptr_nonnull(strstr(trace_buf, "C_Sign(session ") ?
			      strstr(trace_buf, "CKM_RSA_X_509") : NULL);
}
END_TEST

START_TEST(tls12_client_auth_pkcs1)
{
	tls_client_auth(TLS1_2_VERSION, "RSA+SHA256");
	ck_assert_ptr_nonnull(strstr(trace_buf, "C_SignInit(session ") ?
			      strstr(trace_buf, "CKM_RSA_PKCS, key") : NULL);
}
END_TEST

/* Brings lo up in the private network namespace. */
static int lo_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM, 0), ok;

	if (fd < 0)
		return 0;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	ok = ioctl(fd, SIOCGIFFLAGS, &ifr) == 0;
	ifr.ifr_flags |= IFF_UP;
	ok = ok && ioctl(fd, SIOCSIFFLAGS, &ifr) == 0;
	close(fd);
	return ok;
}

/* openssl s_server -Verify 1 (client certificate required, trusted: cert1)
 * on 127.0.0.1 inside a private network namespace; the token key
 * authenticates the client (TLS 1.3). */
START_TEST(s_server_client_auth)
{
	char ca[128], crt[128], key[128], err[256] = "";
	EVP_PKEY *pk = NULL;
	X509 *x = cert_of(cert1, cert1_len);
	struct sockaddr_in sa;
	SSL_CTX *ctx;
	SSL *ssl;
	pid_t srv;
	int fd = -1, st;

	if (unshare(CLONE_NEWNET) != 0 || !lo_up()) {
		fprintf(stderr, "s_server_client_auth: no private network namespace (%s): "
			"skipped\n", strerror(errno));
		X509_free(x);
		return;
	}
	snprintf(ca, sizeof(ca), "%s/c1.pem", tmpdir);
	snprintf(crt, sizeof(crt), "%s/srv.pem", tmpdir);
	snprintf(key, sizeof(key), "%s/srvkey.pem", tmpdir);
	srv = fork();
	ck_assert_int_ge(srv, 0);
	if (srv == 0) {
		char logf[128];
		int null = open("/dev/null", O_RDWR), log;

		snprintf(logf, sizeof(logf), "%s/s_server.log", tmpdir);
		log = open(logf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(null, 0);
		dup2(log >= 0 ? log : null, 1);
		dup2(log >= 0 ? log : null, 2);
		execlp("openssl", "openssl", "s_server", "-quiet", "-accept", "127.0.0.1:44330",
		       "-naccept", "1", "-Verify", "1", "-verify_return_error", "-CAfile", ca,
		       "-cert", crt, "-key", key, "-tls1_3", (char *)NULL);
		_exit(127);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(44330);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int i = 0; i < 100; i++) {
		struct timespec ts = { 0, 50000000L };

		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		close(fd);
		fd = -1;
		nanosleep(&ts, NULL);
	}
	ck_assert_msg(fd >= 0, "s_server did not listen");

	open_session(1);
	ck_assert_msg(rn_private_key(ses, ID1, 1, &pk, err, sizeof(err)) == RN_TOK_OK, "%s", err);
	ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	ck_assert_int_eq(SSL_CTX_use_certificate(ctx, x), 1);
	ck_assert_int_eq(SSL_CTX_use_PrivateKey(ctx, pk), 1);
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	ck_assert_msg(SSL_connect(ssl) == 1, "SSL_connect: %s",
		      ERR_error_string(ERR_get_error(), NULL));
	/* TLS 1.3: the server's verdict on the client certificate comes after
	 * the handshake; an exchange proves it was accepted. */
	ck_assert_int_eq(SSL_write(ssl, "hello\n", 6), 6);
	{
		/* s_server's stdin is /dev/null: it closes cleanly (close_notify)
		 * once it has taken the client; a refused certificate would be
		 * an alert (SSL_ERROR_SSL) here instead. */
		char b[64];
		int r = SSL_read(ssl, b, sizeof(b));

		ck_assert_int_le(r, 0);
		ck_assert_int_eq(SSL_get_error(ssl, r), SSL_ERROR_ZERO_RETURN);
	}
	SSL_shutdown(ssl);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	kill(srv, SIGTERM);
	ck_assert_int_eq(waitpid(srv, &st, 0), srv);
	EVP_PKEY_free(pk);
	X509_free(x);
	close_all();
	ck_assert_ptr_nonnull(strstr(trace_buf, "CKM_RSA_X_509, 256 bytes) = CKR_OK"));
}
END_TEST

START_TEST(opensc_module_loads)
{
	const char *path = "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so";
	struct rn_token_info *ti = NULL;
	struct rn_module *m = NULL;
	size_t n = 99;
	char err[256] = "";

	if (access(path, R_OK) != 0)
		return;
	ck_assert_msg(rn_module_load(path, NULL, NULL, &m, err, sizeof(err)) == RN_TOK_OK,
		      "%s", err);
	/* No reader here (or no pcscd): no token, but no failure. */
	ck_assert_msg(rn_token_list(m, &ti, &n, err, sizeof(err)) == RN_TOK_OK, "%s", err);
	free(ti);
	rn_module_unload(m);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("rn_token");
	TCase *tc = tcase_create("softhsm");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, load_failures);
	tcase_add_test(tc, ckr_names);
	tcase_add_test(tc, list_tokens);
	tcase_add_test(tc, cert_list_key_present);
	tcase_add_test(tc, login_pin_classes);
	tcase_add_test(tc, private_key_signs);
	tcase_add_test(tc, generate_write_find_delete);
	tcase_add_test(tc, cmp_protection_and_pop);
	tcase_add_test(tc, tls13_client_auth);
	tcase_add_test(tc, tls12_client_auth_pkcs1);
	tcase_add_test(tc, s_server_client_auth);
	tcase_add_test(tc, opensc_module_loads);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;
	char cmd[128];

	if (access(SOFTHSM, R_OK) != 0) {
		fprintf(stderr, "SoftHSMv2 not installed (%s): skipped\n", SOFTHSM);
		return 77;
	}
	if (setup_token() != 0) {
		fprintf(stderr, "cannot set up the SoftHSM token in %s\n", tmpdir);
		return 1;
	}
	sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (!getenv("RN_TEST_KEEP")) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", tmpdir);
	}
	free(cert1);
	free(cert2);
	return failed ? 1 : 0;
}
