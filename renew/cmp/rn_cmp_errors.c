/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rn_cmp_errors.c — one precise line for a failed CMP step. The order of the
 * questions matters: the transport failed (network) > our certificate check
 * refused > the issued key is not ours > the answer did not decode > the CA
 * said no (PKIStatus rejection, its texts kept) > OpenSSL's CMP checks of the
 * answer (nonce, transactionID, protection, ...) > local failures.
 */
#include <stdio.h>
#include <string.h>
#include <openssl/cmp.h>
#include <openssl/cmperr.h>
#include <openssl/err.h>

#include "rn_cmp_int.h"

void rn_cmp_status_text(OSSL_CMP_CTX *ctx, char *out, size_t outlen)
{
	OSSL_CMP_PKIFREETEXT *ss = OSSL_CMP_CTX_get0_statusString(ctx);
	size_t used = 0;
	out[0] = '\0';
	for (int i = 0; i < sk_ASN1_UTF8STRING_num(ss); i++) {
		ASN1_UTF8STRING *s = sk_ASN1_UTF8STRING_value(ss, i);
		int n = ASN1_STRING_length(s);
		const unsigned char *d = ASN1_STRING_get0_data(s);
		if (n <= 0 || d == NULL)
			continue;
		if (used > 0 && used + 2 < outlen) {
			memcpy(out + used, "; ", 2);
			used += 2;
		}
		for (int j = 0; j < n && used + 1 < outlen; j++) {
			unsigned char ch = d[j];
			/* one line: control characters become spaces */
			out[used++] = (char)(ch < 0x20 || ch == 0x7f ? ' ' : ch);
		}
		out[used] = '\0';
	}
}

struct reason_text {
	int reason;
	enum rn_cmp_rc rc;
	const char *text;
};

static const struct reason_text reasons[] = {
	{ CMP_R_TRANSACTIONID_UNMATCHED, RN_CMP_BAD_ANSWER, "CA answer: transactionID does not match" },
	{ CMP_R_RECIPNONCE_UNMATCHED, RN_CMP_BAD_ANSWER, "CA answer: recipNonce does not match our senderNonce" },
	{ CMP_R_ERROR_VALIDATING_PROTECTION, RN_CMP_BAD_ANSWER, "CA answer: protection signature invalid" },
	{ CMP_R_ERROR_VALIDATING_SIGNATURE, RN_CMP_BAD_ANSWER, "CA answer: protection signature invalid" },
	{ CMP_R_SRVCERT_DOES_NOT_VALIDATE_MSG, RN_CMP_BAD_ANSWER, "CA answer: protection signature invalid" },
	{ CMP_R_NO_SUITABLE_SENDER_CERT, RN_CMP_BAD_ANSWER, "CA answer: no trusted certificate validates its protection" },
	{ CMP_R_MISSING_PROTECTION, RN_CMP_BAD_ANSWER, "CA answer: not protected" },
	{ CMP_R_UNEXPECTED_PVNO, RN_CMP_BAD_ANSWER, "CA answer: unsupported CMP version (pvno)" },
	{ CMP_R_UNEXPECTED_PKIBODY, RN_CMP_BAD_ANSWER, "CA answer: unexpected message type" },
	{ CMP_R_UNEXPECTED_PKISTATUS, RN_CMP_BAD_ANSWER, "CA answer: unexpected PKIStatus" },
	{ CMP_R_UNKNOWN_PKISTATUS, RN_CMP_BAD_ANSWER, "CA answer: unknown PKIStatus" },
	{ CMP_R_ERROR_PARSING_PKISTATUS, RN_CMP_BAD_ANSWER, "CA answer: unreadable PKIStatus" },
	{ CMP_R_PKISTATUSINFO_NOT_FOUND, RN_CMP_BAD_ANSWER, "CA answer: no PKIStatusInfo" },
	{ CMP_R_CERTRESPONSE_NOT_FOUND, RN_CMP_BAD_ANSWER, "CA answer: no certificate response for our request id" },
	{ CMP_R_BAD_REQUEST_ID, RN_CMP_BAD_ANSWER, "CA answer: wrong certReqId" },
	{ CMP_R_MULTIPLE_RESPONSES_NOT_SUPPORTED, RN_CMP_BAD_ANSWER, "CA answer: several responses (not supported)" },
	{ CMP_R_CERTIFICATE_NOT_FOUND, RN_CMP_BAD_ANSWER, "CA answer: no certificate in the response" },
	{ CMP_R_UNKNOWN_CERT_TYPE, RN_CMP_BAD_ANSWER, "CA answer: unknown certificate type" },
	{ CMP_R_BAD_CHECKAFTER_IN_POLLREP, RN_CMP_BAD_ANSWER, "CA answer: bad checkAfter in pollRep" },
	{ CMP_R_CHECKAFTER_OUT_OF_RANGE, RN_CMP_BAD_ANSWER, "CA answer: checkAfter out of range" },
	{ CMP_R_ENCOUNTERED_WAITING, RN_CMP_BAD_ANSWER, "CA answer: waiting status where not allowed" },
	{ CMP_R_ENCOUNTERED_KEYUPDATEWARNING, RN_CMP_BAD_ANSWER, "CA answer: keyUpdateWarning status" },
	{ CMP_R_CERTHASH_UNMATCHED, RN_CMP_BAD_ANSWER, "CA answer: certHash does not match" },
	{ CMP_R_WRONG_ALGORITHM_OID, RN_CMP_BAD_ANSWER, "CA answer: wrong protection algorithm" },
	{ CMP_R_UNKNOWN_ALGORITHM_ID, RN_CMP_BAD_ANSWER, "CA answer: unknown protection algorithm" },
	{ CMP_R_UNSUPPORTED_PROTECTION_ALG_DHBASEDMAC, RN_CMP_BAD_ANSWER, "CA answer: unsupported protection algorithm (DHBasedMac)" },
	{ CMP_R_SENDER_GENERALNAME_TYPE_NOT_SUPPORTED, RN_CMP_BAD_ANSWER, "CA answer: unsupported sender name type" },
	{ CMP_R_POTENTIALLY_INVALID_CERTIFICATE, RN_CMP_BAD_ANSWER, "CA answer: issued certificate potentially invalid" },
	{ CMP_R_MISSING_TRUST_STORE, RN_CMP_ERROR, "no trusted roots to check the CA's answer" },
	{ CMP_R_ERROR_PROTECTING_MESSAGE, RN_CMP_ERROR, "cannot sign the CMP request with the token key" },
	{ CMP_R_ERROR_CALCULATING_PROTECTION, RN_CMP_ERROR, "cannot sign the CMP request with the token key" },
	{ CMP_R_ERROR_CREATING_CERTREQ, RN_CMP_ERROR, "cannot build the key update request" },
	{ CMP_R_ERROR_CREATING_POLLREQ, RN_CMP_ERROR, "cannot build the pollReq" },
	{ CMP_R_ERROR_CREATING_CERTCONF, RN_CMP_ERROR, "cannot build the certConf" },
	{ CMP_R_MISSING_PRIVATE_KEY, RN_CMP_ERROR, "no private key for the request" },
	{ CMP_R_MISSING_PRIVATE_KEY_FOR_POPO, RN_CMP_ERROR, "no private key for the proof of possession" },
	{ CMP_R_CERT_AND_KEY_DO_NOT_MATCH, RN_CMP_ERROR, "certificate and token key do not match" },
	{ CMP_R_MISSING_REFERENCE_CERT, RN_CMP_ERROR, "no certificate to update" },
	{ CMP_R_TOTAL_TIMEOUT, RN_CMP_NETWORK, "CMP total timeout reached" },
};

enum rn_cmp_rc rn_cmp_classify(struct rn_cmp *c, struct rn_cmp_outcome *out)
{
	char first[256] = "";
	const struct reason_text *hit = NULL;
	int saw_rejected = 0, saw_error_msg = 0, saw_not_accepted = 0;
	unsigned long e;
	const char *data;
	int flags;

	while ((e = ERR_get_error_all(NULL, NULL, NULL, &data, &flags)) != 0) {
		if (ERR_GET_LIB(e) == ERR_LIB_CMP) {
			int r = ERR_GET_REASON(e);
			if (r == CMP_R_REQUEST_REJECTED_BY_SERVER)
				saw_rejected = 1;
			else if (r == CMP_R_RECEIVED_ERROR)
				saw_error_msg = 1;
			else if (r == CMP_R_CERTIFICATE_NOT_ACCEPTED)
				saw_not_accepted = 1;
			for (size_t i = 0; hit == NULL && i < sizeof(reasons) / sizeof(reasons[0]); i++)
				if (reasons[i].reason == r)
					hit = &reasons[i];
		}
		if (first[0] == '\0') {
			const char *rs = ERR_reason_error_string(e);
			const char *d = (flags & ERR_TXT_STRING) && data != NULL ? data : "";
			snprintf(first, sizeof(first), "%s%s%s", rs != NULL ? rs : "unknown error",
				 *d ? ": " : "", d);
		}
	}

	out->fail_info = (unsigned long)(OSSL_CMP_CTX_get_failInfoCode(c->ctx) > 0
					 ? OSSL_CMP_CTX_get_failInfoCode(c->ctx) : 0);
	if (c->net != RN_NET_OK) {
		out->net = c->net;
		snprintf(out->detail, sizeof(out->detail), "%s", c->net_err);
		return RN_CMP_NETWORK;
	}
	if (c->refused) {
		snprintf(out->detail, sizeof(out->detail),
			 "issued certificate refused by the local check (rejecting certConf sent): %s",
			 c->why);
		return RN_CMP_CERT_REFUSED;
	}
	if (c->key_mismatch) {
		snprintf(out->detail, sizeof(out->detail),
			 "issued certificate's public key differs from the request");
		return RN_CMP_BAD_ANSWER;
	}
	if (c->bad[0] != '\0') {
		snprintf(out->detail, sizeof(out->detail), "%s", c->bad);
		return RN_CMP_BAD_ANSWER;
	}
	if (c->replay_txid_bad) {
		snprintf(out->detail, sizeof(out->detail),
			 "saved transaction does not match the request (transactionID)");
		return RN_CMP_ERROR;
	}
	if ((saw_rejected || saw_error_msg) &&
	    OSSL_CMP_CTX_get_status(c->ctx) == OSSL_CMP_PKISTATUS_rejection) {
		char st[256];
		rn_cmp_status_text(c->ctx, out->ca_text, sizeof(out->ca_text));
		if (OSSL_CMP_CTX_snprint_PKIStatus(c->ctx, st, sizeof(st)) == NULL)
			snprintf(st, sizeof(st), "rejection");
		snprintf(out->detail, sizeof(out->detail), "CA %s: %s",
			 saw_error_msg ? "answered with an error message" : "rejected the request", st);
		out->error_msg = saw_error_msg;
		ERR_clear_error();
		return RN_CMP_REJECTED;
	}
	if (hit != NULL) {
		if (hit->rc == RN_CMP_ERROR && first[0] != '\0')
			/* a local failure: name its root (e.g. the token's CK_RV) */
			snprintf(out->detail, sizeof(out->detail), "%s (%s)", hit->text, first);
		else
			snprintf(out->detail, sizeof(out->detail), "%s", hit->text);
		return hit->rc;
	}
	if (saw_error_msg) {
		rn_cmp_status_text(c->ctx, out->ca_text, sizeof(out->ca_text));
		snprintf(out->detail, sizeof(out->detail), "CA answered with an error message: %s",
			 first);
		out->error_msg = 1;
		return RN_CMP_REJECTED;
	}
	if (saw_not_accepted) {
		snprintf(out->detail, sizeof(out->detail), "issued certificate not accepted: %s", first);
		return RN_CMP_BAD_ANSWER;
	}
	snprintf(out->detail, sizeof(out->detail), "CMP: %s", first[0] ? first : "failed");
	return RN_CMP_ERROR;
}
