/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz entry: arbitrary bytes as the CA's answers to the CMP client
 * (renew/cmp/rn_cmp_*.c): a transport that returns the input for every
 * message drives a key update request (and polls while "waiting"), then a
 * resume that replays the input as the saved waiting answer and pollRep.
 * Whatever comes back must give a consistent outcome, never a crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "rn_cmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz_transport {
	struct rn_transport base;
	const uint8_t *data;
	size_t size;
	int calls;
};

static enum rn_net_rc fz_exchange(struct rn_transport *t, const unsigned char *req,
				  size_t req_len, unsigned char **rsp, size_t *rsp_len,
				  char *err, size_t errlen)
{
	struct fz_transport *f = (struct fz_transport *)t;
	(void)req; (void)req_len;
	if (++f->calls > 8) { /* a server that never ends the exchange */
		snprintf(err, errlen, "fuzz: too many messages");
		return RN_NET_UNREACHABLE;
	}
	*rsp = OPENSSL_malloc(f->size ? f->size : 1);
	if (*rsp == NULL)
		return RN_NET_UNREACHABLE;
	if (f->size > 0)
		memcpy(*rsp, f->data, f->size);
	*rsp_len = f->size;
	return RN_NET_OK;
}

static void fz_destroy(struct rn_transport *t)
{
	(void)t;
}

static EVP_PKEY *fz_key;
static X509 *fz_cert;
static X509_STORE *fz_store;

static int fz_init(void)
{
	if (fz_key != NULL)
		return 0;
	fz_key = EVP_EC_gen("P-256");
	fz_cert = X509_new();
	fz_store = X509_STORE_new();
	if (fz_key == NULL || fz_cert == NULL || fz_store == NULL)
		return -1;
	X509_NAME *n = X509_NAME_new();
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"fuzz", -1, -1, 0);
	X509_set_version(fz_cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(fz_cert), 4097);
	X509_set_subject_name(fz_cert, n);
	X509_set_issuer_name(fz_cert, n);
	X509_NAME_free(n);
	X509_gmtime_adj(X509_getm_notBefore(fz_cert), -3600);
	X509_gmtime_adj(X509_getm_notAfter(fz_cert), 86400L * 365);
	X509_set_pubkey(fz_cert, fz_key);
	if (X509_sign(fz_cert, fz_key, EVP_sha256()) <= 0 || !X509_STORE_add_cert(fz_store, fz_cert))
		return -1;
	return 0;
}

static void check_outcome(enum rn_cmp_rc rc, const struct rn_cmp_outcome *o)
{
	if (memchr(o->detail, '\0', sizeof(o->detail)) == NULL ||
	    memchr(o->ca_text, '\0', sizeof(o->ca_text)) == NULL)
		abort();
	if ((rc == RN_CMP_ISSUED) != (o->cert != NULL))
		abort();
	if (rc != RN_CMP_ISSUED && rc != RN_CMP_WAITING && o->detail[0] == '\0')
		abort();
	if (rc == RN_CMP_NETWORK && o->net == RN_NET_OK)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	struct rn_cmp_outcome out;
	if (fz_init() != 0)
		abort();
	struct fz_transport t = { { fz_exchange, fz_destroy }, data, size, 0 };
	struct rn_cmp_params p = { .transport = &t.base, .key = fz_key, .cert = fz_cert,
				   .trusted = fz_store };

	struct rn_cmp *c = rn_cmp_new(&p, err, sizeof(err));
	if (c == NULL)
		abort();
	enum rn_cmp_rc rc = rn_cmp_request(c, &out);
	check_outcome(rc, &out);
	for (int i = 0; rc == RN_CMP_WAITING && i < 3; i++) {
		rn_cmp_outcome_clear(&out);
		rc = rn_cmp_poll(c, &out);
		check_outcome(rc, &out);
	}
	rn_cmp_outcome_clear(&out);
	struct rn_cmp_pending pend;
	if (rn_cmp_pending(c, &pend) == 0)
		rn_cmp_pending_clear(&pend);
	rn_cmp_free(c);

	/* the input as saved answers of a waiting transaction */
	static unsigned char txid[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	struct rn_cmp_pending saved = {
		.transaction_id = txid, .transaction_id_len = sizeof(txid),
		.waiting_rsp = (unsigned char *)data, .waiting_rsp_len = size,
		.last_poll_rsp = (unsigned char *)data, .last_poll_rsp_len = size,
	};
	t.calls = 0;
	c = rn_cmp_new(&p, err, sizeof(err));
	if (c == NULL)
		abort();
	rc = rn_cmp_resume(c, &saved, &out);
	check_outcome(rc, &out);
	rn_cmp_outcome_clear(&out);
	rn_cmp_free(c);
	return 0;
}
