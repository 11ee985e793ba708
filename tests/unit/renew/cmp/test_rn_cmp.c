/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tests of renew/cmp's CMP client and HTTP(S) transport with software keys:
 * OpenSSL's mock CMP server (openssl cmp -port) for issuance, rejection,
 * waiting/polling, resume in a fresh context, certConf refusal; canned
 * answers for garbage/truncated/foreign messages; small in-test servers for
 * HTTP errors, dropped connections and TLS (trusted, untrusted, client
 * certificate). Everything runs in a private network namespace (root), as
 * the mock server binds all interfaces.
 */
#define _GNU_SOURCE 1
/* the token-like key below uses RSA_METHOD (as renew/token does) */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "rn_cmp.h"
#include "rn_transport.h"
#include "rn_test_pki.h"

/* ---- trace capture ---- */
static char tracebuf[8192];
static void trace_cb(const char *line, void *arg)
{
	(void)arg;
	size_t n = strlen(tracebuf);
	snprintf(tracebuf + n, sizeof(tracebuf) - n, "%s\n", line);
	if (getenv("RN_TEST_VERBOSE") != NULL)
		fprintf(stderr, "trace: %s\n", line);
}

/* ---- the mock CMP server ---- */
static pid_t mock_pid;

static int wait_port(int port)
{
	for (int i = 0; i < 100; i++) {
		int s = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (connect(s, (struct sockaddr *)&a, sizeof(a)) == 0) {
			close(s);
			return 0;
		}
		close(s);
		usleep(50000);
	}
	return -1;
}

/* Starts `openssl cmp -port port ...` with the given extra arguments
 * (NULL-terminated). */
static void mock_start(int port, const char *rsp_cert, ...)
{
	const char *argv[40];
	char portbuf[16], logp[600];
	int n = 0;
	va_list ap;
	snprintf(portbuf, sizeof(portbuf), "%d", port);
	argv[n++] = "openssl";
	argv[n++] = "cmp";
	argv[n++] = "-port";
	argv[n++] = portbuf;
	argv[n++] = "-srv_key";
	argv[n++] = rn_pki_path("srv.key");
	argv[n++] = "-srv_cert";
	argv[n++] = rn_pki_path("srv.crt");
	argv[n++] = "-srv_trusted";
	argv[n++] = rn_pki_path("root.crt");
	argv[n++] = "-rsp_cert";
	argv[n++] = rn_pki_path(rsp_cert);
	va_start(ap, rsp_cert);
	const char *a;
	while ((a = va_arg(ap, const char *)) != NULL && n < 38)
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	snprintf(logp, sizeof(logp), "%s/mock-%d.log", rn_pki_dir, port);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int fd = open(logp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		setenv("OPENSSL_CONF", "/dev/null", 1);
		execvp("openssl", (char *const *)argv);
		_exit(127);
	}
	mock_pid = pid;
	ck_assert_msg(wait_port(port) == 0, "mock CMP server did not start on %d", port);
}

static void mock_stop(void)
{
	if (mock_pid > 0) {
		kill(mock_pid, SIGTERM);
		waitpid(mock_pid, NULL, 0);
		mock_pid = 0;
	}
}

/* ---- a transport that counts and records (wraps the HTTP one) ---- */
struct rec_transport {
	struct rn_transport base;
	struct rn_transport *inner;
	int count;
	unsigned char *last; size_t last_len;
	unsigned char *first; size_t first_len;
};

static enum rn_net_rc rec_exchange(struct rn_transport *t, const unsigned char *req,
				   size_t req_len, unsigned char **rsp, size_t *rsp_len,
				   char *err, size_t errlen)
{
	struct rec_transport *r = (struct rec_transport *)t;
	enum rn_net_rc rc = r->inner->exchange(r->inner, req, req_len, rsp, rsp_len, err, errlen);
	r->count++;
	const char *cap = getenv("RN_TEST_CAPTURE_DIR");
	if (rc == RN_NET_OK && cap != NULL) {
		static int seq;
		char path[512];
		snprintf(path, sizeof(path), "%s/answer-%d-%02d.der", cap, (int)getpid(), seq++);
		FILE *fp = fopen(path, "wb");
		if (fp != NULL) {
			fwrite(*rsp, 1, *rsp_len, fp);
			fclose(fp);
		}
	}
	if (rc == RN_NET_OK) {
		free(r->last);
		r->last = malloc(*rsp_len);
		memcpy(r->last, *rsp, *rsp_len);
		r->last_len = *rsp_len;
		if (r->first == NULL) {
			r->first = malloc(*rsp_len);
			memcpy(r->first, *rsp, *rsp_len);
			r->first_len = *rsp_len;
		}
	}
	return rc;
}

static void rec_destroy(struct rn_transport *t)
{
	struct rec_transport *r = (struct rec_transport *)t;
	r->inner->destroy(r->inner);
	free(r->last);
	free(r->first);
	free(r);
}

static struct rec_transport *rec_new(int port)
{
	char url[128], err[256];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/pkix/", port);
	struct rn_http_params hp = { .url = url, .timeout_s = 20, .trace = trace_cb };
	struct rn_transport *h = rn_transport_http_new(&hp, err, sizeof(err));
	ck_assert_msg(h != NULL, "%s", err);
	struct rec_transport *r = calloc(1, sizeof(*r));
	r->base.exchange = rec_exchange;
	r->base.destroy = rec_destroy;
	r->inner = h;
	return r;
}

/* ---- a transport that answers with fixed bytes ---- */
struct canned_transport {
	struct rn_transport base;
	const unsigned char *rsp;
	size_t len;
	int count;
};

static enum rn_net_rc canned_exchange(struct rn_transport *t, const unsigned char *req,
				      size_t req_len, unsigned char **rsp, size_t *rsp_len,
				      char *err, size_t errlen)
{
	struct canned_transport *c = (struct canned_transport *)t;
	(void)req; (void)req_len; (void)err; (void)errlen;
	c->count++;
	*rsp = OPENSSL_malloc(c->len ? c->len : 1);
	memcpy(*rsp, c->rsp, c->len);
	*rsp_len = c->len;
	return RN_NET_OK;
}

static void canned_destroy(struct rn_transport *t)
{
	(void)t;
}

/* ---- client set-up ---- */
struct fixture {
	EVP_PKEY *key, *new_key;
	X509 *cert;
	X509_STORE *roots;
};

static void fx_init(struct fixture *f, const char *new_key)
{
	f->key = rn_pki_key("user");
	f->cert = rn_pki_cert("user");
	f->roots = rn_pki_store("root");
	f->new_key = new_key != NULL ? rn_pki_key(new_key) : NULL;
	ck_assert_ptr_nonnull(f->key);
	ck_assert_ptr_nonnull(f->cert);
	ck_assert_ptr_nonnull(f->roots);
	tracebuf[0] = '\0';
}

static void fx_free(struct fixture *f)
{
	EVP_PKEY_free(f->key);
	EVP_PKEY_free(f->new_key);
	X509_free(f->cert);
	X509_STORE_free(f->roots);
}

static struct rn_cmp *client(struct fixture *f, struct rn_transport *t, rn_cmp_cert_fn cb)
{
	char err[256] = "";
	struct rn_cmp_params p = {
		.transport = t, .key = f->key, .cert = f->cert, .new_key = f->new_key,
		.trusted = f->roots, .on_cert = cb, .trace = trace_cb,
	};
	struct rn_cmp *c = rn_cmp_new(&p, err, sizeof(err));
	ck_assert_msg(c != NULL, "rn_cmp_new: %s", err);
	return c;
}

static int cb_calls;
static int accept_cb(X509 *cert, STACK_OF(X509) *extra, void *arg, char *why, size_t whylen)
{
	(void)arg; (void)why; (void)whylen;
	ck_assert_ptr_nonnull(cert);
	ck_assert_ptr_nonnull(extra);
	cb_calls++;
	return 0;
}

static int refuse_cb(X509 *cert, STACK_OF(X509) *extra, void *arg, char *why, size_t whylen)
{
	(void)cert; (void)extra; (void)arg;
	cb_calls++;
	snprintf(why, whylen, "chain check failed (test)");
	return 1;
}

static void assert_same_cert(X509 *got, const char *name)
{
	X509 *want = rn_pki_cert(name);
	ck_assert_ptr_nonnull(got);
	ck_assert_int_eq(X509_cmp(got, want), 0);
	X509_free(want);
}

#define HAS(s) ck_assert_msg(strstr(tracebuf, s) != NULL, "trace lacks \"%s\":\n%s", s, tracebuf)

/* ---- CMP against the mock ---- */

START_TEST(kur_issued)
{
	struct fixture f;
	struct rn_cmp_outcome out;
	fx_init(&f, NULL);
	mock_start(18101, "new.crt", NULL);
	struct rec_transport *t = rec_new(18101);
	struct rn_cmp *c = client(&f, &t->base, accept_cb);
	cb_calls = 0;
	enum rn_cmp_rc rc = rn_cmp_request(c, &out);
	ck_assert_msg(rc == RN_CMP_ISSUED, "rc %d: %s", rc, out.detail);
	assert_same_cert(out.cert, "new");
	ck_assert_int_eq(cb_calls, 1);
	ck_assert_int_eq(t->count, 2); /* kur + certConf */
	HAS("CMP send kur");
	HAS("CMP recv kup status=accepted");
	HAS("CMP send certConf");
	HAS("CMP recv pkiconf");
	struct rn_cmp_pending p;
	ck_assert_int_eq(rn_cmp_pending(c, &p), -1);
	rn_cmp_outcome_clear(&out);
	rn_cmp_free(c);
	t->base.destroy(&t->base);
	mock_stop();
	fx_free(&f);
}
END_TEST

START_TEST(kur_rekey)
{
	struct fixture f;
	struct rn_cmp_outcome out;
	fx_init(&f, "rekey");
	mock_start(18102, "rekey.crt", NULL);
	struct rec_transport *t = rec_new(18102);
	struct rn_cmp *c = client(&f, &t->base, NULL);
	enum rn_cmp_rc rc = rn_cmp_request(c, &out);
	ck_assert_msg(rc == RN_CMP_ISSUED, "rc %d: %s", rc, out.detail);
	assert_same_cert(out.cert, "rekey");
	rn_cmp_outcome_clear(&out);
	rn_cmp_free(c);
	t->base.destroy(&t->base);
	mock_stop();
	fx_free(&f);
}
END_TEST

START_TEST(kur_key_mismatch)
{
	struct fixture f;
	struct rn_cmp_outcome out;
	fx_init(&f, NULL);
	mock_start(18103, "other.crt", NULL);
	struct rec_transport *t = rec_new(18103);
	struct rn_cmp *c = client(&f, &t->base, accept_cb);
	cb_calls = 0;
	enum rn_cmp_rc rc = rn_cmp_request(c, &out);
	ck_assert_msg(rc == RN_CMP_BAD_ANSWER, "rc %d: %s", rc, out.detail);
	ck_assert_str_eq(out.detail, "issued certificate's public key differs from the request");
	ck_assert_int_eq(cb_calls, 0);
	HAS("CMP send certConf"); /* a rejecting certConf */
	rn_cmp_outcome_clear(&out);
	rn_cmp_free(c);
	t->base.destroy(&t->base);
	mock_stop();
	fx_free(&f);
}
END_TEST

START_TEST(kur_rejected)
{
	struct fixture f;
	struct rn_cmp_outcome out;
	fx_init(&f, NULL);
	mock_start(18104, "new.crt", "-pkistatus", "2", "-failure", "9", "-statusstring",
		   "renewal not allowed yet: 200 days left", NULL);
	struct rec_transport *t = rec_new(18104);
	struct rn_cmp *c = client(&f, &t->base, accept_cb);
	enum rn_cmp_rc rc = rn_cmp_request(c, &out);
	ck_assert_msg(rc == RN_CMP_REJECTED, "rc %d: %s", rc, out.detail);
	ck_assert_str_eq(out.ca_text, "renewal not allowed yet: 200 days left");
	ck_assert_uint_eq(out.fail_info, 1u << 9);
	HAS("CMP recv kup status=rejection");
	rn_cmp_outcome_clear(&out);
	rn_cmp_free(c);
	t->base.destroy(&t->base);
	mock_stop();
	fx_free(&f);
}
END_TEST

START_TEST(kur_error_message)
{
	struct fixture f;
	struct rn_cmp_outcome out;
	fx_init(&f, NULL);
	mock_start(18105, "new.crt", "-send_error", NULL);
	struct rec_transport *t = rec_new(18105);
	struct rn_cmp *c = client(&f, &t->base, accept_cb);
	enum rn_cmp_rc rc = rn_cmp_request(c, &out);
	ck_assert_msg(rc == RN_CMP_REJECTED, "rc %d: %s", rc, out.detail);
	ck_assert_msg(strstr(out.detail, "error message") != NULL, "%s", out.detail);
	HAS("CMP recv error");
	rn_cmp_outcome_clear(&out);
	rn_cmp_free(c);
	t->base.destroy(&t->base);
	mock_stop();
	fx_free(&f);
}
END_TEST

START_TEST(kur_waiting_polls)
{
	struct fixture f;
	struct rn_cmp_outcome out;
	fx_init(&f, NULL);
	mock_start(18106, "new.crt", "-poll_count", "3", "-check_after", "2", NULL);
	struct rec_transport *t = rec_new(18106);
	struct rn_cmp *c = client(&f, &t->base, accept_cb);
	enum rn_cmp_rc rc = rn_cmp_request(c, &out);
	ck_assert_msg(rc == RN_CMP_WAITING, "rc %d: %s", rc, out.detail);
	ck_assert_int_eq(out.check_after_s, 2);
	HAS("CMP send kur");
	HAS("CMP recv kup status=waiting");
	HAS("CMP send pollReq");
	HAS("CMP recv pollRep checkAfter=2");
	int polls = 0;
	do {
		rn_cmp_outcome_clear(&out);
		rc = rn_cmp_poll(c, &out);
		polls++;
	} while (rc == RN_CMP_WAITING && polls < 10);
	ck_assert_msg(rc == RN_CMP_ISSUED, "rc %d after %d polls: %s", rc, polls, out.detail);
	ck_assert_int_eq(polls, 2);
	assert_same_cert(out.cert, "new");
	rn_cmp_outcome_clear(&out);
	rc = rn_cmp_poll(c, &out); /* nothing waits any more */
	ck_assert_int_eq(rc, RN_CMP_ERROR);
	rn_cmp_free(c);
	t->base.destroy(&t->base);
	mock_stop();
	fx_free(&f);
}
END_TEST

static void pending_copy(struct rn_cmp_pending *dst, const struct rn_cmp_pending *src)
{
	/* as the state file would: through plain bytes */
	dst->transaction_id = malloc(src->transaction_id_len);
	memcpy(dst->transaction_id, src->transaction_id, src->transaction_id_len);
	dst->transaction_id_len = src->transaction_id_len;
	dst->waiting_rsp = malloc(src->waiting_rsp_len);
	memcpy(dst->waiting_rsp, src->waiting_rsp, src->waiting_rsp_len);
	dst->waiting_rsp_len = src->waiting_rsp_len;
	dst->last_poll_rsp = malloc(src->last_poll_rsp_len);
	memcpy(dst->last_poll_rsp, src->last_poll_rsp, src->last_poll_rsp_len);
	dst->last_poll_rsp_len = src->last_poll_rsp_len;
}

START_TEST(kur_resume)
{
	struct fixture f;
	struct rn_cmp_outcome out;
	struct rn_cmp_pending p, saved;
	fx_init(&f, NULL);
	mock_start(18107, "new.crt", "-poll_count", "4", "-check_after", "1", NULL);
	struct rec_transport *t = rec_new(18107);
	struct rn_cmp *c = client(&f, &t->base, accept_cb);
	enum rn_cmp_rc rc = rn_cmp_request(c, &out);
	ck_assert_msg(rc == RN_CMP_WAITING, "rc %d: %s", rc, out.detail);
	rn_cmp_outcome_clear(&out);
	rc = rn_cmp_poll(c, &out); /* one more poll so the saved pollRep is not the first */
	ck_assert_msg(rc == RN_CMP_WAITING, "rc %d: %s", rc, out.detail);
	rn_cmp_outcome_clear(&out);
	ck_assert_int_eq(rn_cmp_pending(c, &p), 0);
	ck_assert_uint_gt(p.transaction_id_len, 0);
	ck_assert_uint_gt(p.waiting_rsp_len, 0);
	ck_assert_uint_gt(p.last_poll_rsp_len, 0);
	pending_copy(&saved, &p);
	rn_cmp_pending_clear(&p);
	rn_cmp_free(c);
	fx_free(&f);

	/* a new context ("process"): fresh key objects, same transport */
	fx_init(&f, NULL);
	c = client(&f, &t->base, accept_cb);
	int before = t->count;
	rc = rn_cmp_resume(c, &saved, &out);
	ck_assert_msg(rc == RN_CMP_WAITING, "resume rc %d: %s", rc, out.detail);
	ck_assert_int_eq(t->count, before); /* no network traffic */
	HAS("(replayed, not sent)");
	rn_cmp_outcome_clear(&out);
	int polls = 0;
	do {
		rn_cmp_outcome_clear(&out);
		rc = rn_cmp_poll(c, &out);
		polls++;
	} while (rc == RN_CMP_WAITING && polls < 10);
	ck_assert_msg(rc == RN_CMP_ISSUED, "rc %d after %d polls: %s\n%s", rc, polls, out.detail,
		      tracebuf);
	ck_assert_int_eq(polls, 2);
	assert_same_cert(out.cert, "new");
	rn_cmp_outcome_clear(&out);
	rn_cmp_free(c);

	/* a tampered transactionID is refused */
	fx_free(&f);
	fx_init(&f, NULL);
	c = client(&f, &t->base, accept_cb);
	saved.transaction_id[0] ^= 1;
	rc = rn_cmp_resume(c, &saved, &out);
	ck_assert_msg(rc == RN_CMP_BAD_ANSWER, "rc %d: %s", rc, out.detail);
	ck_assert_msg(strstr(out.detail, "transactionID does not match") != NULL, "%s", out.detail);
	rn_cmp_outcome_clear(&out);
	rn_cmp_free(c);
	rn_cmp_pending_clear(&saved);
	t->base.destroy(&t->base);
	mock_stop();
	fx_free(&f);
}
END_TEST

START_TEST(kur_on_cert_refused)
{
	struct fixture f;
	struct rn_cmp_outcome out;
	fx_init(&f, NULL);
	mock_start(18108, "new.crt", NULL);
	struct rec_transport *t = rec_new(18108);
	struct rn_cmp *c = client(&f, &t->base, refuse_cb);
	cb_calls = 0;
	enum rn_cmp_rc rc = rn_cmp_request(c, &out);
	ck_assert_msg(rc == RN_CMP_CERT_REFUSED, "rc %d: %s", rc, out.detail);
	ck_assert_int_eq(cb_calls, 1);
	ck_assert_msg(strstr(out.detail, "chain check failed (test)") != NULL, "%s", out.detail);
	ck_assert_int_eq(t->count, 2); /* kur + rejecting certConf */
	HAS("CMP send certConf");
	ck_assert_ptr_null(out.cert);
	rn_cmp_outcome_clear(&out);
	rn_cmp_free(c);
	t->base.destroy(&t->base);
	mock_stop();
	fx_free(&f);
}
END_TEST

/* ---- a key like the token's: RSA with a custom RSA_METHOD whose private
 * operations go elsewhere (here: to a software key), public part only ---- */
static int tok_removed;

static int tok_priv_enc(int flen, const unsigned char *from, unsigned char *to, RSA *rsa,
			int padding)
{
	RSA *real = RSA_get_app_data(rsa);
	if (tok_removed) {
		ERR_raise_data(ERR_LIB_RSA, ERR_R_OPERATION_FAIL, "C_Sign: CKR_DEVICE_REMOVED");
		return -1;
	}
	if (padding != RSA_PKCS1_PADDING && padding != RSA_NO_PADDING)
		return -1;
	return RSA_private_encrypt(flen, from, to, real, padding);
}

static int tok_priv_dec(int flen, const unsigned char *from, unsigned char *to, RSA *rsa,
			int padding)
{
	RSA *real = RSA_get_app_data(rsa);
	return RSA_private_decrypt(flen, from, to, real, padding);
}

static RSA_METHOD *tok_meth;
static RSA *tok_real[4];
static int n_tok_real;

static EVP_PKEY *token_like_key(const char *name)
{
	EVP_PKEY *soft = rn_pki_key(name);
	RSA *real = EVP_PKEY_get1_RSA(soft);
	EVP_PKEY_free(soft);
	ck_assert_ptr_nonnull(real);
	if (tok_meth == NULL) {
		tok_meth = RSA_meth_dup(RSA_get_default_method());
		RSA_meth_set1_name(tok_meth, "test token key");
		RSA_meth_set_priv_enc(tok_meth, tok_priv_enc);
		RSA_meth_set_priv_dec(tok_meth, tok_priv_dec);
		RSA_meth_set_flags(tok_meth, RSA_meth_get_flags(tok_meth) | RSA_FLAG_EXT_PKEY);
	}
	const BIGNUM *n, *e;
	RSA_get0_key(real, &n, &e, NULL);
	RSA *r = RSA_new();
	RSA_set_method(r, tok_meth);
	RSA_set0_key(r, BN_dup(n), BN_dup(e), NULL);
	RSA_set_app_data(r, real);
	tok_real[n_tok_real++] = real;
	EVP_PKEY *pk = EVP_PKEY_new();
	ck_assert_int_eq(EVP_PKEY_assign_RSA(pk, r), 1);
	return pk;
}

static void token_like_free(void)
{
	for (int i = 0; i < n_tok_real; i++)
		RSA_free(tok_real[i]);
	n_tok_real = 0;
	RSA_meth_free(tok_meth);
	tok_meth = NULL;
}

START_TEST(kur_token_like_key)
{
	struct fixture f;
	struct rn_cmp_outcome out;
	fx_init(&f, NULL);
	EVP_PKEY_free(f.key);
	f.key = token_like_key("user");
	f.new_key = token_like_key("rekey");
	mock_start(18111, "rekey.crt", "-poll_count", "1", "-check_after", "0", NULL);
	struct rec_transport *t = rec_new(18111);
	struct rn_cmp *c = client(&f, &t->base, accept_cb);
	enum rn_cmp_rc rc = rn_cmp_request(c, &out);
	if (rc == RN_CMP_WAITING) {
		rn_cmp_outcome_clear(&out);
		rc = rn_cmp_poll(c, &out);
	}
	ck_assert_msg(rc == RN_CMP_ISSUED, "rc %d: %s", rc, out.detail);
	assert_same_cert(out.cert, "rekey");
	rn_cmp_outcome_clear(&out);
	rn_cmp_free(c);
	t->base.destroy(&t->base);
	mock_stop();
	fx_free(&f);
	token_like_free();
}
END_TEST

START_TEST(kur_token_fails)
{
	/* the token goes away before the request is signed: a local error
	 * naming the token's answer, nothing sent */
	struct fixture f;
	struct rn_cmp_outcome out;
	fx_init(&f, NULL);
	EVP_PKEY_free(f.key);
	f.key = token_like_key("user");
	struct canned_transport t = { { canned_exchange, canned_destroy }, NULL, 0, 0 };
	struct rn_cmp *c = client(&f, &t.base, NULL);
	tok_removed = 1;
	enum rn_cmp_rc rc = rn_cmp_request(c, &out);
	tok_removed = 0;
	ck_assert_msg(rc == RN_CMP_ERROR, "rc %d: %s", rc, out.detail);
	ck_assert_msg(strstr(out.detail, "CKR_DEVICE_REMOVED") != NULL, "%s", out.detail);
	if (getenv("RN_TEST_VERBOSE") != NULL)
		fprintf(stderr, "token failure: %s\n", out.detail);
	ck_assert_int_eq(t.count, 0);
	rn_cmp_outcome_clear(&out);
	rn_cmp_free(c);
	fx_free(&f);
	token_like_free();
}
END_TEST

/* A real answer from another transaction, for the canned tests. */
static unsigned char *real_answer(int port, size_t *len)
{
	struct fixture f;
	struct rn_cmp_outcome out;
	fx_init(&f, NULL);
	mock_start(port, "new.crt", NULL);
	struct rec_transport *t = rec_new(port);
	struct rn_cmp *c = client(&f, &t->base, NULL);
	ck_assert_int_eq(rn_cmp_request(c, &out), RN_CMP_ISSUED);
	rn_cmp_outcome_clear(&out);
	rn_cmp_free(c);
	unsigned char *a = t->first;
	*len = t->first_len;
	t->first = NULL;
	t->base.destroy(&t->base);
	mock_stop();
	fx_free(&f);
	return a;
}

static enum rn_cmp_rc canned_run(const unsigned char *rsp, size_t len, struct rn_cmp_outcome *out)
{
	struct fixture f;
	struct canned_transport t = { { canned_exchange, canned_destroy }, rsp, len, 0 };
	fx_init(&f, NULL);
	struct rn_cmp *c = client(&f, &t.base, NULL);
	enum rn_cmp_rc rc = rn_cmp_request(c, out);
	if (getenv("RN_TEST_VERBOSE") != NULL)
		fprintf(stderr, "canned %zu bytes: rc %d: %s\n", len, rc, out->detail);
	rn_cmp_free(c);
	fx_free(&f);
	return rc;
}

START_TEST(garbage_answers)
{
	struct rn_cmp_outcome out;
	static const unsigned char junk[] = "<html>500 oops</html>";
	enum rn_cmp_rc rc = canned_run(junk, sizeof(junk) - 1, &out);
	ck_assert_int_eq(rc, RN_CMP_BAD_ANSWER);
	ck_assert_str_eq(out.detail, "CA answer: not a CMP message (DER decode failed)");
	rn_cmp_outcome_clear(&out);

	rc = canned_run(junk, 0, &out);
	ck_assert_int_eq(rc, RN_CMP_BAD_ANSWER);
	ck_assert_str_eq(out.detail, "CA answer: empty body");
	rn_cmp_outcome_clear(&out);

	size_t len;
	unsigned char *real = real_answer(18109, &len);
	ck_assert_ptr_nonnull(real);
	for (size_t cut = 1; cut < len; cut += len / 7 + 1) {
		rc = canned_run(real, cut, &out);
		ck_assert_int_eq(rc, RN_CMP_BAD_ANSWER);
		ck_assert_str_eq(out.detail, "CA answer: not a CMP message (DER decode failed)");
		rn_cmp_outcome_clear(&out);
	}
	/* trailing bytes */
	unsigned char *longer = malloc(len + 3);
	memcpy(longer, real, len);
	memcpy(longer + len, "xyz", 3);
	rc = canned_run(longer, len + 3, &out);
	ck_assert_int_eq(rc, RN_CMP_BAD_ANSWER);
	ck_assert_str_eq(out.detail, "CA answer: trailing bytes after the CMP message");
	rn_cmp_outcome_clear(&out);
	free(longer);

	/* a valid answer of another transaction */
	rc = canned_run(real, len, &out);
	ck_assert_int_eq(rc, RN_CMP_BAD_ANSWER);
	ck_assert_str_eq(out.detail, "CA answer: transactionID does not match");
	rn_cmp_outcome_clear(&out);

	/* a flipped bit inside the protection signature (its last byte region
	 * before extraCerts is hard to find; the signature is the BIT STRING in
	 * [0]: search for A0 82 01 03 03 82 01 01 00 of a 2048-bit RSA sig) */
	static const unsigned char sigtag[] = { 0xa0, 0x82, 0x01, 0x05, 0x03, 0x82, 0x01, 0x01, 0x00 };
	unsigned char *m = malloc(len);
	memcpy(m, real, len);
	size_t pos = 0;
	for (size_t i = 0; i + sizeof(sigtag) < len; i++)
		if (memcmp(m + i, sigtag, sizeof(sigtag)) == 0)
			pos = i + sizeof(sigtag) + 100;
	ck_assert_uint_gt(pos, 0);
	m[pos] ^= 0x40;
	rc = canned_run(m, len, &out);
	ck_assert_int_eq(rc, RN_CMP_BAD_ANSWER);
	ck_assert_str_eq(out.detail, "CA answer: protection signature invalid");
	rn_cmp_outcome_clear(&out);
	free(m);
	free(real);
}
END_TEST

START_TEST(untrusted_protection)
{
	/* the CA's protection certificate does not chain to our roots */
	struct fixture f;
	struct rn_cmp_outcome out;
	fx_init(&f, NULL);
	X509_STORE_free(f.roots);
	f.roots = rn_pki_store("evil");
	mock_start(18110, "new.crt", NULL);
	struct rec_transport *t = rec_new(18110);
	struct rn_cmp *c = client(&f, &t->base, NULL);
	enum rn_cmp_rc rc = rn_cmp_request(c, &out);
	ck_assert_msg(rc == RN_CMP_BAD_ANSWER, "rc %d: %s", rc, out.detail);
	ck_assert_str_eq(out.detail, "CA answer: no trusted certificate validates its protection");
	rn_cmp_outcome_clear(&out);
	rn_cmp_free(c);
	t->base.destroy(&t->base);
	mock_stop();
	fx_free(&f);
}
END_TEST

/* ---- HTTP / TLS test servers ---- */
enum srv_mode { SRV_STATUS_500, SRV_DROP, SRV_OK, SRV_WRONG_TYPE, SRV_HUGE, SRV_STATUS,
		SRV_HANG };

struct srv {
	int port;
	enum srv_mode mode;
	SSL_CTX *tls;           /* NULL: plain HTTP */
	int want_client_cert;
	int lfd;
	pthread_t th;
	int saw_client_cert;
	char client_cn[128];
	const char *status;     /* SRV_STATUS: "302 Found" ... */
};

static int read_request(SSL *ssl, int fd)
{
	char buf[16384];
	size_t n = 0;
	long clen = -1;
	char *body = NULL;
	for (;;) {
		int r = ssl != NULL ? SSL_read(ssl, buf + n, (int)(sizeof(buf) - 1 - n))
				    : (int)read(fd, buf + n, sizeof(buf) - 1 - n);
		if (r <= 0)
			return -1;
		n += (size_t)r;
		buf[n] = '\0';
		if (body == NULL && (body = strstr(buf, "\r\n\r\n")) != NULL) {
			body += 4;
			char *cl = strcasestr(buf, "Content-Length:");
			clen = cl != NULL ? atol(cl + 15) : 0;
		}
		if (body != NULL && (long)(n - (size_t)(body - buf)) >= clen)
			return 0;
		if (n >= sizeof(buf) - 1)
			return -1;
	}
}

static void *srv_main(void *arg)
{
	struct srv *s = arg;
	int fd = accept(s->lfd, NULL, NULL);
	if (fd < 0)
		return NULL;
	SSL *ssl = NULL;
	if (s->tls != NULL) {
		ssl = SSL_new(s->tls);
		SSL_set_fd(ssl, fd);
		if (s->want_client_cert)
			SSL_set_verify(ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
		if (SSL_accept(ssl) != 1)
			goto out;
		X509 *peer = SSL_get1_peer_certificate(ssl);
		if (peer != NULL) {
			s->saw_client_cert = 1;
			X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName,
						  s->client_cn, sizeof(s->client_cn));
			X509_free(peer);
		}
	}
	if (s->mode == SRV_DROP)
		goto out;
	if (read_request(ssl, fd) != 0)
		goto out;
	char rsp[512];
	int n;
	if (s->mode == SRV_HANG) {
		sleep(4);
		goto out;
	}
	if (s->mode == SRV_STATUS)
		n = snprintf(rsp, sizeof(rsp), "HTTP/1.0 %s\r\nLocation: http://127.0.0.1:1/\r\n"
			     "Content-Type: application/pkixcmp\r\nContent-Length: 5\r\n\r\nhello",
			     s->status);
	else if (s->mode == SRV_STATUS_500)
		n = snprintf(rsp, sizeof(rsp), "HTTP/1.0 500 Internal Server Error\r\n"
			     "Content-Type: text/plain\r\nContent-Length: 5\r\n\r\noops\n");
	else if (s->mode == SRV_WRONG_TYPE)
		n = snprintf(rsp, sizeof(rsp), "HTTP/1.0 200 OK\r\n"
			     "Content-Type: text/html\r\nContent-Length: 5\r\n\r\nhello");
	else if (s->mode == SRV_HUGE)
		n = snprintf(rsp, sizeof(rsp), "HTTP/1.0 200 OK\r\n"
			     "Content-Type: application/pkixcmp\r\nContent-Length: 5000000\r\n\r\nhello");
	else
		n = snprintf(rsp, sizeof(rsp), "HTTP/1.0 200 OK\r\n"
			     "Content-Type: application/pkixcmp\r\nContent-Length: 5\r\n\r\nhello");
	if (ssl != NULL)
		SSL_write(ssl, rsp, n);
	else if (write(fd, rsp, (size_t)n) != n)
		goto out;
out:
	if (ssl != NULL) {
		SSL_shutdown(ssl);
		SSL_free(ssl);
	}
	close(fd);
	return NULL;
}

static void srv_start(struct srv *s)
{
	s->lfd = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)s->port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(s->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(s->lfd, 4), 0);
	ck_assert_int_eq(pthread_create(&s->th, NULL, srv_main, s), 0);
}

static void srv_stop(struct srv *s)
{
	pthread_join(s->th, NULL);
	close(s->lfd);
}

static SSL_CTX *server_tls(const char *name, int ask_client)
{
	char c[64], k[64];
	snprintf(c, sizeof(c), "%s.crt", name);
	snprintf(k, sizeof(k), "%s.key", name);
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	ck_assert_int_eq(SSL_CTX_use_certificate_file(ctx, rn_pki_path(c), SSL_FILETYPE_PEM), 1);
	ck_assert_int_eq(SSL_CTX_use_PrivateKey_file(ctx, rn_pki_path(k), SSL_FILETYPE_PEM), 1);
	if (ask_client) {
		X509_STORE *st = rn_pki_store("root");
		SSL_CTX_set_cert_store(ctx, st);
	}
	return ctx;
}

static enum rn_net_rc http_once(const char *url, X509_STORE *roots, EVP_PKEY *ck, X509 *cc,
				char *err, size_t errlen, unsigned char **body, size_t *blen)
{
	char e2[256];
	struct rn_http_params hp = { .url = url, .roots = roots, .client_key = ck,
				     .client_cert = cc, .timeout_s = 5, .trace = trace_cb };
	struct rn_transport *t = rn_transport_http_new(&hp, e2, sizeof(e2));
	ck_assert_msg(t != NULL, "%s", e2);
	static const unsigned char req[] = { 0x30, 0x00 };
	enum rn_net_rc rc = t->exchange(t, req, sizeof(req), body, blen, err, errlen);
	t->destroy(t);
	return rc;
}

START_TEST(http_errors)
{
	char err[256];
	unsigned char *b = NULL;
	size_t bl = 0;
	tracebuf[0] = '\0';
	/* nothing listens */
	enum rn_net_rc rc = http_once("http://127.0.0.1:18201/pkix/", NULL, NULL, NULL, err,
				      sizeof(err), &b, &bl);
	ck_assert_int_eq(rc, RN_NET_UNREACHABLE);
	ck_assert_str_eq(err, "127.0.0.1:18201: connection refused");

	struct srv s = { .port = 18202, .mode = SRV_STATUS_500 };
	srv_start(&s);
	rc = http_once("http://127.0.0.1:18202/pkix/", NULL, NULL, NULL, err, sizeof(err), &b, &bl);
	srv_stop(&s);
	ck_assert_int_eq(rc, RN_NET_HTTP);
	ck_assert_str_eq(err, "HTTP status 500");

	struct srv s2 = { .port = 18203, .mode = SRV_DROP };
	srv_start(&s2);
	rc = http_once("http://127.0.0.1:18203/pkix/", NULL, NULL, NULL, err, sizeof(err), &b, &bl);
	srv_stop(&s2);
	ck_assert_int_eq(rc, RN_NET_UNREACHABLE);
	ck_assert_msg(strstr(err, "dropped") != NULL, "%s", err);

	struct srv s3 = { .port = 18204, .mode = SRV_WRONG_TYPE };
	srv_start(&s3);
	rc = http_once("http://127.0.0.1:18204/pkix/", NULL, NULL, NULL, err, sizeof(err), &b, &bl);
	srv_stop(&s3);
	ck_assert_int_eq(rc, RN_NET_HTTP);
	ck_assert_msg(strstr(err, "content type") != NULL, "%s", err);

	struct srv s4 = { .port = 18205, .mode = SRV_HUGE };
	srv_start(&s4);
	rc = http_once("http://127.0.0.1:18205/pkix/", NULL, NULL, NULL, err, sizeof(err), &b, &bl);
	srv_stop(&s4);
	ck_assert_int_eq(rc, RN_NET_HTTP);
	ck_assert_msg(strstr(err, "larger than") != NULL, "%s", err);

	const char *statuses[] = { "404 Not Found", "302 Found", "204 No Content", "503 Busy" };
	const char *want[] = { "HTTP status 404", "HTTP redirect (status 3xx)", "HTTP status 204", "HTTP status 503" };
	for (int i = 0; i < 4; i++) {
		struct srv st = { .port = 18220 + i, .mode = SRV_STATUS, .status = statuses[i] };
		char url[64];
		snprintf(url, sizeof(url), "http://127.0.0.1:%d/pkix/", st.port);
		srv_start(&st);
		rc = http_once(url, NULL, NULL, NULL, err, sizeof(err), &b, &bl);
		srv_stop(&st);
		ck_assert_msg(rc == RN_NET_HTTP, "%s: rc %d %s", statuses[i], rc, err);
		ck_assert_msg(strstr(err, want[i]) != NULL, "%s: %s", statuses[i], err);
	}

	struct srv sh = { .port = 18207, .mode = SRV_HANG };
	srv_start(&sh);
	time_t t0 = time(NULL);
	{
		char e2[256];
		struct rn_http_params hp = { .url = "http://127.0.0.1:18207/", .timeout_s = 2 };
		struct rn_transport *t = rn_transport_http_new(&hp, e2, sizeof(e2));
		static const unsigned char req[] = { 0x30, 0x00 };
		rc = t->exchange(t, req, sizeof(req), &b, &bl, err, sizeof(err));
		t->destroy(t);
	}
	srv_stop(&sh);
	ck_assert_int_eq(rc, RN_NET_UNREACHABLE);
	ck_assert_msg(strstr(err, "timeout") != NULL, "%s", err);
	ck_assert_int_le(time(NULL) - t0, 4);

	struct srv s5 = { .port = 18206, .mode = SRV_OK };
	srv_start(&s5);
	rc = http_once("http://127.0.0.1:18206/pkix/", NULL, NULL, NULL, err, sizeof(err), &b, &bl);
	srv_stop(&s5);
	ck_assert_msg(rc == RN_NET_OK, "%s", err);
	ck_assert_uint_eq(bl, 5);
	ck_assert_mem_eq(b, "hello", 5);
	OPENSSL_free(b);
}
END_TEST

START_TEST(cmp_over_network_errors)
{
	/* the client maps transport failures to RN_CMP_NETWORK with net set */
	struct fixture f;
	struct rn_cmp_outcome out;
	fx_init(&f, NULL);
	struct rec_transport *t = rec_new(18211);
	struct rn_cmp *c = client(&f, &t->base, NULL);
	enum rn_cmp_rc rc = rn_cmp_request(c, &out);
	ck_assert_int_eq(rc, RN_CMP_NETWORK);
	ck_assert_int_eq(out.net, RN_NET_UNREACHABLE);
	ck_assert_msg(out.detail[0] != '\0', "no detail");
	rn_cmp_outcome_clear(&out);
	rn_cmp_free(c);
	t->base.destroy(&t->base);

	struct srv s = { .port = 18212, .mode = SRV_STATUS_500 };
	srv_start(&s);
	t = rec_new(18212);
	c = client(&f, &t->base, NULL);
	rc = rn_cmp_request(c, &out);
	srv_stop(&s);
	ck_assert_int_eq(rc, RN_CMP_NETWORK);
	ck_assert_int_eq(out.net, RN_NET_HTTP);
	ck_assert_str_eq(out.detail, "HTTP status 500");
	rn_cmp_outcome_clear(&out);
	rn_cmp_free(c);
	t->base.destroy(&t->base);
	fx_free(&f);
}
END_TEST

START_TEST(https)
{
	char err[256];
	unsigned char *b = NULL;
	size_t bl = 0;
	X509_STORE *roots = rn_pki_store("root");

	/* trusted server certificate, IP checked */
	struct srv s = { .port = 18301, .mode = SRV_OK, .tls = server_tls("tls", 0) };
	srv_start(&s);
	enum rn_net_rc rc = http_once("https://127.0.0.1:18301/pkix/", roots, NULL, NULL, err,
				      sizeof(err), &b, &bl);
	srv_stop(&s);
	ck_assert_msg(rc == RN_NET_OK, "%s", err);
	ck_assert_mem_eq(b, "hello", 5);
	OPENSSL_free(b);
	ck_assert_int_eq(s.saw_client_cert, 0);
	SSL_CTX_free(s.tls);

	/* untrusted (self-signed) server certificate */
	struct srv s2 = { .port = 18302, .mode = SRV_OK, .tls = server_tls("evil", 0) };
	srv_start(&s2);
	rc = http_once("https://127.0.0.1:18302/pkix/", roots, NULL, NULL, err, sizeof(err), &b, &bl);
	srv_stop(&s2);
	ck_assert_int_eq(rc, RN_NET_TLS);
	ck_assert_msg(strstr(err, "server certificate not trusted: self-signed certificate") != NULL,
		      "%s", err);
	SSL_CTX_free(s2.tls);

	/* trusted certificate, wrong address (tls.crt is for 127.0.0.1 only) */
	struct srv s3 = { .port = 18303, .mode = SRV_OK, .tls = server_tls("tls", 0) };
	srv_start(&s3);
	rc = http_once("https://localhost:18303/pkix/", roots, NULL, NULL, err, sizeof(err), &b, &bl);
	srv_stop(&s3);
	ck_assert_int_eq(rc, RN_NET_TLS);
	ck_assert_msg(strstr(err, "mismatch") != NULL, "%s", err);
	SSL_CTX_free(s3.tls);

	/* the server asks for a client certificate */
	EVP_PKEY *ck = rn_pki_key("client");
	X509 *cc = rn_pki_cert("client");
	struct srv s4 = { .port = 18304, .mode = SRV_OK, .tls = server_tls("tls", 1),
			  .want_client_cert = 1 };
	srv_start(&s4);
	rc = http_once("https://127.0.0.1:18304/pkix/", roots, ck, cc, err, sizeof(err), &b, &bl);
	srv_stop(&s4);
	ck_assert_msg(rc == RN_NET_OK, "%s", err);
	OPENSSL_free(b);
	ck_assert_int_eq(s4.saw_client_cert, 1);
	ck_assert_str_eq(s4.client_cn, "ukey test client");
	SSL_CTX_free(s4.tls);

	/* the same with a token-like client key (TLS 1.3: RSA-PSS through
	 * RSA_NO_PADDING) */
	EVP_PKEY *tk = token_like_key("client");
	struct srv s6 = { .port = 18306, .mode = SRV_OK, .tls = server_tls("tls", 1),
			  .want_client_cert = 1 };
	srv_start(&s6);
	rc = http_once("https://127.0.0.1:18306/pkix/", roots, tk, cc, err, sizeof(err), &b, &bl);
	srv_stop(&s6);
	ck_assert_msg(rc == RN_NET_OK, "%s", err);
	OPENSSL_free(b);
	ck_assert_int_eq(s6.saw_client_cert, 1);
	SSL_CTX_free(s6.tls);
	EVP_PKEY_free(tk);
	token_like_free();

	/* ... and without one to give */
	struct srv s5 = { .port = 18305, .mode = SRV_OK, .tls = server_tls("tls", 1),
			  .want_client_cert = 1 };
	srv_start(&s5);
	rc = http_once("https://127.0.0.1:18305/pkix/", roots, NULL, NULL, err, sizeof(err), &b, &bl);
	srv_stop(&s5);
	ck_assert_int_ne(rc, RN_NET_OK);
	fprintf(stderr, "no client cert: rc %d %s\n", rc, err);
	SSL_CTX_free(s5.tls);

	EVP_PKEY_free(ck);
	X509_free(cc);
	X509_STORE_free(roots);
}
END_TEST

START_TEST(bad_urls)
{
	char err[256];
	const char *bad[] = { "ftp://x/", "http://", "127.0.0.1:80", "", "http://u@host/",
			      "http://host:99999/" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct rn_http_params hp = { .url = bad[i] };
		err[0] = '\0';
		struct rn_transport *t = rn_transport_http_new(&hp, err, sizeof(err));
		ck_assert_msg(t == NULL, "accepted %s", bad[i]);
		ck_assert_msg(err[0] != '\0', "no error for %s", bad[i]);
	}
	struct rn_http_params hp = { .url = "https://ca.example/pkix/" };
	ck_assert_ptr_null(rn_transport_http_new(&hp, err, sizeof(err)));
	ck_assert_msg(strstr(err, "roots") != NULL, "%s", err);
	struct rn_http_params ok = { .url = "http://ca.example/.well-known/cmp" };
	struct rn_transport *t = rn_transport_http_new(&ok, err, sizeof(err));
	ck_assert_ptr_nonnull(t);
	t->destroy(t);
}
END_TEST

static int netns(void)
{
	if (unshare(CLONE_NEWNET) != 0)
		return -1;
	return system("ip link set lo up") == 0 ? 0 : -1;
}

int main(void)
{
	if (netns() != 0) {
		fprintf(stderr, "test_rn_cmp: no private network namespace (needs root): skipped\n");
		return 77;
	}
	signal(SIGPIPE, SIG_IGN);
	if (rn_pki_make() != 0) {
		fprintf(stderr, "cannot make the test PKI\n");
		return 1;
	}
	Suite *s = suite_create("rn_cmp");
	TCase *tc = tcase_create("cmp");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, kur_issued);
	tcase_add_test(tc, kur_rekey);
	tcase_add_test(tc, kur_key_mismatch);
	tcase_add_test(tc, kur_rejected);
	tcase_add_test(tc, kur_error_message);
	tcase_add_test(tc, kur_waiting_polls);
	tcase_add_test(tc, kur_resume);
	tcase_add_test(tc, kur_on_cert_refused);
	tcase_add_test(tc, kur_token_like_key);
	tcase_add_test(tc, kur_token_fails);
	tcase_add_test(tc, garbage_answers);
	tcase_add_test(tc, untrusted_protection);
	tcase_add_test(tc, cmp_over_network_errors);
	TCase *tn = tcase_create("transport");
	tcase_set_timeout(tn, 60);
	tcase_add_test(tn, http_errors);
	tcase_add_test(tn, https);
	tcase_add_test(tn, bad_urls);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, tn);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	rn_pki_remove();
	return failed == 0 ? 0 : 1;
}
