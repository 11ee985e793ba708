/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rn_cmp_int.h — internals shared by the CMP client files of renew/cmp/.
 */
#ifndef UKEY_RN_CMP_INT_H
#define UKEY_RN_CMP_INT_H

#include <openssl/cmp.h>
#include "rn_cmp.h"

/* PKIBody CHOICE numbers (not public in OpenSSL 3.0). */
enum {
	RN_BODY_IR = 0, RN_BODY_IP = 1, RN_BODY_CR = 2, RN_BODY_CP = 3,
	RN_BODY_KUR = 7, RN_BODY_KUP = 8, RN_BODY_PKICONF = 19,
	RN_BODY_ERROR = 23, RN_BODY_CERTCONF = 24, RN_BODY_POLLREQ = 25,
	RN_BODY_POLLREP = 26
};

struct rn_cmp {
	struct rn_cmp_params p;      /* borrowed pointers */
	OSSL_CMP_CTX *ctx;
	int waiting;                 /* a transaction awaits the CA's decision */

	/* saved answers of the current transaction (DER, OPENSSL_malloc'd) */
	unsigned char *first_rsp; size_t first_rsp_len;   /* answer to the request */
	unsigned char *poll_rsp; size_t poll_rsp_len;     /* last pollRep */

	/* replay (resume): answers handed out instead of the network */
	const unsigned char *replay[2]; size_t replay_len[2];
	int n_replay, replay_pos;
	int replay_txid_bad;
	/* transactionID of the current transaction (3.0 has no getter) */
	unsigned char txid[64]; size_t txid_len;

	/* what the callbacks saw during one call */
	enum rn_net_rc net;
	char net_err[256];
	char bad[256];               /* a decode/consistency failure we detected */
	int refused;                 /* on_cert said no */
	char why[256];
	int key_mismatch;
	STACK_OF(X509) *extra;       /* extraCerts + caPubs for on_cert */
};

/* rn_cmp_msg.c: "ip status=waiting", "pollRep checkAfter=2", "kur", ... */
const char *rn_cmp_body_name(int bodytype);
void rn_cmp_describe(const unsigned char *der, size_t len, int bodytype, char *out,
		     size_t outlen);
/* Status of the first CertResponse of an ip/cp/kup (or of an error), -1 if
 * none can be read. */
int rn_cmp_der_status(const unsigned char *der, size_t len, int bodytype);

/* rn_cmp_errors.c: fills out->detail (and rc) from what the callbacks saw
 * and OpenSSL's error queue after a failed OSSL_CMP_try_certreq. */
enum rn_cmp_rc rn_cmp_classify(struct rn_cmp *c, struct rn_cmp_outcome *out);
void rn_cmp_status_text(OSSL_CMP_CTX *ctx, char *out, size_t outlen);

/* rn_cmp_client.c */
enum rn_cmp_rc rn_cmp_step(struct rn_cmp *c, struct rn_cmp_outcome *out);
void rn_cmp_trace(struct rn_cmp *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void rn_cmp_call_reset(struct rn_cmp *c);

#endif
