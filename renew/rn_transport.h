/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rn_transport.h — how a request reaches the CA: one message out, one back.
 * CMP over HTTP(S) is the first implementation (rn_transport_http.c); EST or a
 * vendor protocol can be added beside it without touching the CMP code.
 */
#ifndef UKEY_RN_TRANSPORT_H
#define UKEY_RN_TRANSPORT_H

#include <stddef.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include "rn_token.h" /* rn_trace_fn */

enum rn_net_rc {
	RN_NET_OK = 0,
	RN_NET_UNREACHABLE,   /* DNS, connect refused, timeout, connection dropped */
	RN_NET_TLS,           /* handshake, server certificate not trusted, version */
	RN_NET_HTTP,          /* HTTP status other than 200, bad content type */
	RN_NET_BAD_URL
};

struct rn_transport {
	/* Sends req (DER) and returns the answer body in *rsp (OPENSSL_malloc'd,
	 * caller frees with OPENSSL_free). err: one line naming what failed
	 * ("HTTP status 500", "connection refused", "server certificate not
	 * trusted: unable to get local issuer certificate", ...). */
	enum rn_net_rc (*exchange)(struct rn_transport *t, const unsigned char *req,
				   size_t req_len, unsigned char **rsp, size_t *rsp_len,
				   char *err, size_t errlen);
	void (*destroy)(struct rn_transport *t);
};

struct rn_http_params {
	const char *url;          /* http://host:port/path or https://… */
	X509_STORE *roots;        /* verifies the server's TLS certificate (https) */
	EVP_PKEY *client_key;     /* TLS client auth when the server asks; may be NULL */
	X509 *client_cert;
	long timeout_s;           /* whole exchange; 0 = 60 */
	rn_trace_fn trace;
	void *trace_arg;
};

/* Checks the URL (scheme, host, port, path) and builds the transport; NULL
 * with err on a bad URL. Connections are not kept alive between messages. */
struct rn_transport *rn_transport_http_new(const struct rn_http_params *p,
					   char *err, size_t errlen);

#endif
