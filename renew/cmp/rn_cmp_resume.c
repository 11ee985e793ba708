/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rn_cmp_resume.c — saving and resuming a waiting transaction. OpenSSL 3.0's
 * client has no save/restore; a new process rebuilds the state by running
 * the same request again with the saved transactionID while the transfer
 * callback, instead of the network, hands back the saved "waiting" answer
 * and the last pollRep, each time setting the context's sender nonce to the
 * recipNonce the saved answer carries. OpenSSL then checks those answers
 * (protection, transactionID, nonces) as if they were fresh and ends in the
 * waiting state with the CA's latest nonce; rn_cmp_poll goes on for real.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/cmp.h>
#include <openssl/err.h>

#include "rn_cmp_int.h"

void rn_cmp_pending_clear(struct rn_cmp_pending *p)
{
	if (p == NULL)
		return;
	free(p->transaction_id);
	free(p->waiting_rsp);
	free(p->last_poll_rsp);
	memset(p, 0, sizeof(*p));
}

static unsigned char *dup_bytes(const unsigned char *b, size_t n)
{
	unsigned char *d = malloc(n ? n : 1);
	if (d != NULL && n > 0)
		memcpy(d, b, n);
	return d;
}

int rn_cmp_pending(struct rn_cmp *c, struct rn_cmp_pending *p)
{
	if (c == NULL || p == NULL)
		return -1;
	memset(p, 0, sizeof(*p));
	if (!c->waiting || c->first_rsp == NULL)
		return -1;
	if (c->txid_len == 0)
		return -1;
	p->transaction_id_len = c->txid_len;
	p->transaction_id = dup_bytes(c->txid, c->txid_len);
	p->waiting_rsp_len = c->first_rsp_len;
	p->waiting_rsp = dup_bytes(c->first_rsp, c->first_rsp_len);
	if (c->poll_rsp != NULL) {
		p->last_poll_rsp_len = c->poll_rsp_len;
		p->last_poll_rsp = dup_bytes(c->poll_rsp, c->poll_rsp_len);
	}
	if (p->transaction_id == NULL || p->waiting_rsp == NULL ||
	    (c->poll_rsp != NULL && p->last_poll_rsp == NULL)) {
		rn_cmp_pending_clear(p);
		return -1;
	}
	return 0;
}

enum rn_cmp_rc rn_cmp_resume(struct rn_cmp *c, const struct rn_cmp_pending *p,
			     struct rn_cmp_outcome *out)
{
	if (c == NULL || out == NULL)
		return RN_CMP_ERROR;
	memset(out, 0, sizeof(*out));
	if (p == NULL || p->transaction_id == NULL || p->transaction_id_len == 0 ||
	    p->waiting_rsp == NULL || p->waiting_rsp_len == 0) {
		snprintf(out->detail, sizeof(out->detail), "no saved CMP transaction to resume");
		return RN_CMP_ERROR;
	}
	rn_cmp_call_reset(c);
	c->replay_txid_bad = 0;
	c->waiting = 0;
	OPENSSL_free(c->first_rsp);
	OPENSSL_free(c->poll_rsp);
	c->first_rsp = c->poll_rsp = NULL;
	c->first_rsp_len = c->poll_rsp_len = 0;
	if (!OSSL_CMP_CTX_reinit(c->ctx)) {
		snprintf(out->detail, sizeof(out->detail), "cannot reset the CMP context");
		return RN_CMP_ERROR;
	}
	ASN1_OCTET_STRING *tid = ASN1_OCTET_STRING_new();
	if (tid == NULL ||
	    !ASN1_OCTET_STRING_set(tid, p->transaction_id, (int)p->transaction_id_len) ||
	    !OSSL_CMP_CTX_set1_transactionID(c->ctx, tid)) {
		ASN1_OCTET_STRING_free(tid);
		snprintf(out->detail, sizeof(out->detail), "cannot set the saved transactionID");
		return RN_CMP_ERROR;
	}
	ASN1_OCTET_STRING_free(tid);
	if (p->transaction_id_len > sizeof(c->txid)) {
		snprintf(out->detail, sizeof(out->detail), "saved transactionID too long");
		return RN_CMP_ERROR;
	}
	memcpy(c->txid, p->transaction_id, p->transaction_id_len);
	c->txid_len = p->transaction_id_len;

	c->replay[0] = p->waiting_rsp;
	c->replay_len[0] = p->waiting_rsp_len;
	c->n_replay = 1;
	if (p->last_poll_rsp != NULL && p->last_poll_rsp_len > 0) {
		c->replay[1] = p->last_poll_rsp;
		c->replay_len[1] = p->last_poll_rsp_len;
		c->n_replay = 2;
	}
	c->replay_pos = 0;
	rn_cmp_trace(c, "CMP resume transaction (%zu-byte id) from saved answers",
		     p->transaction_id_len);
	enum rn_cmp_rc rc = rn_cmp_step(c, out);
	int all_used = c->replay_pos == c->n_replay;
	c->n_replay = c->replay_pos = 0;
	c->replay[0] = c->replay[1] = NULL;
	if (rc == RN_CMP_WAITING && !all_used) {
		snprintf(out->detail, sizeof(out->detail), "saved CMP answers not all used");
		return RN_CMP_ERROR;
	}
	if (rc == RN_CMP_ISSUED) {
		/* cannot happen with a waiting answer + pollRep */
		return rc;
	}
	if (rc != RN_CMP_WAITING && rc != RN_CMP_NETWORK && out->detail[0] != '\0') {
		static const char pre[] = "resume: ";
		size_t n = strnlen(out->detail, sizeof(out->detail) - sizeof(pre));
		memmove(out->detail + sizeof(pre) - 1, out->detail, n);
		memcpy(out->detail, pre, sizeof(pre) - 1);
		out->detail[n + sizeof(pre) - 1] = '\0';
	}
	return rc;
}
