/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rn_cmp.h — the CMP exchange (RFC 4210 / RFC 9483 lightweight profile) on
 * OpenSSL 3's OSSL_CMP_* client: key update request signed by the token key,
 * polling, and resuming a pending transaction in a new process (OpenSSL 3.0
 * has no save/restore: the saved "waiting" answer and last pollRep are
 * replayed through the transfer callback, see ../shared/reference/renewal-cmp.md).
 */
#ifndef UKEY_RN_CMP_H
#define UKEY_RN_CMP_H

#include <stddef.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include "rn_transport.h"

enum rn_cmp_rc {
	RN_CMP_ISSUED = 0,   /* out.cert holds the new certificate, confirmed */
	RN_CMP_WAITING,      /* out.check_after_s; save rn_cmp_pending() */
	RN_CMP_REJECTED,     /* PKIStatus rejection: out.ca_text, out.fail_info */
	RN_CMP_BAD_ANSWER,   /* answer failed OpenSSL's or our checks: out.detail */
	RN_CMP_NETWORK,      /* transport failure: out.net, out.detail */
	RN_CMP_CERT_REFUSED, /* our on_cert check refused it (certConf sent with rejection) */
	RN_CMP_ERROR         /* local failure (signing on the token failed, ...) */
};

/* What a new process needs to resume a waiting transaction. DER blobs are
 * malloc'd; rn_cmp_pending_clear frees them. */
struct rn_cmp_pending {
	unsigned char *transaction_id; size_t transaction_id_len;
	unsigned char *waiting_rsp; size_t waiting_rsp_len;   /* ip/cp/kup with status waiting */
	unsigned char *last_poll_rsp; size_t last_poll_rsp_len; /* last pollRep */
};
void rn_cmp_pending_clear(struct rn_cmp_pending *p);

/* Called with the issued certificate before it is confirmed: return 0 to
 * accept (certConf accept), non-zero to reject with why (certConf rejection,
 * RN_CMP_CERT_REFUSED). extra: the answer's extraCerts/caPubs (borrowed). */
typedef int (*rn_cmp_cert_fn)(X509 *cert, STACK_OF(X509) *extra, void *arg,
			      char *why, size_t whylen);

struct rn_cmp_params {
	struct rn_transport *transport;   /* borrowed */
	EVP_PKEY *key;        /* the current certificate's key (token): signs the protection */
	X509 *cert;           /* the certificate being updated */
	EVP_PKEY *new_key;    /* rekey: the new token key (POP); NULL = same key */
	X509_STORE *trusted;  /* roots: CMP protection and the issued chain */
	STACK_OF(X509) *untrusted; /* optional intermediates */
	rn_cmp_cert_fn on_cert;
	void *on_cert_arg;
	rn_trace_fn trace;    /* one line per message: "CMP send kur", "CMP recv pollRep checkAfter=3" */
	void *trace_arg;
};

struct rn_cmp_outcome {
	X509 *cert;                 /* RN_CMP_ISSUED: owned by the caller */
	STACK_OF(X509) *extra;      /* owned by the caller (may be NULL) */
	long check_after_s;
	enum rn_net_rc net;
	unsigned long fail_info;    /* PKIFailureInfo bits when rejected */
	int error_msg;              /* RN_CMP_REJECTED came as a CMP error message
				     * (the CA failed to process the request), not
				     * as a decision on it */
	char ca_text[512];          /* PKIStatusInfo statusString(s), joined */
	char detail[512];           /* one technical line */
};
void rn_cmp_outcome_clear(struct rn_cmp_outcome *o);

struct rn_cmp;
struct rn_cmp *rn_cmp_new(const struct rn_cmp_params *p, char *err, size_t errlen);
void rn_cmp_free(struct rn_cmp *c);

/* Sends the key update request (first message of a transaction). */
enum rn_cmp_rc rn_cmp_request(struct rn_cmp *c, struct rn_cmp_outcome *out);
/* Restores a waiting transaction from saved data without network traffic;
 * afterwards rn_cmp_poll continues it. RN_CMP_WAITING on success. */
enum rn_cmp_rc rn_cmp_resume(struct rn_cmp *c, const struct rn_cmp_pending *p,
			     struct rn_cmp_outcome *out);
/* One pollReq (a waiting transaction). */
enum rn_cmp_rc rn_cmp_poll(struct rn_cmp *c, struct rn_cmp_outcome *out);
/* The data to save while waiting (copies into p). 0 ok, -1 nothing pending. */
int rn_cmp_pending(struct rn_cmp *c, struct rn_cmp_pending *p);

#endif
