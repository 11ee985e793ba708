/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rn_transport_http.c — CMP over HTTP(S) (RFC 6712): one POST of
 * application/pkixcmp per message, no keep-alive, a whole-exchange timeout
 * and a 1 MiB answer limit, on OpenSSL's OSSL_HTTP_transfer. For https the
 * TLS handshake is done here on our own socket before OSSL_HTTP_transfer
 * runs over it: TLS 1.2 or later, the server's certificate verified against
 * the configured roots and its host name or IP address checked, a client
 * certificate when the server asks.
 * Failures come back as one line and a class (unreachable / TLS / HTTP).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/http.h>
#include <openssl/httperr.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "rn_transport.h"

#define RN_HTTP_MAX_RESP (1024 * 1024)
#define RN_HTTP_CT "application/pkixcmp"

struct rn_http {
	struct rn_transport base;    /* first: the public view */
	char *host, *port, *path;
	int tls;
	int host_is_ip;
	SSL_CTX *ssl_ctx;
	long timeout_s;
	rn_trace_fn trace;
	void *trace_arg;
	/* per exchange */
	long verify_result;          /* X509_V_OK or the failure of the last handshake */
};

/* TLS on the connected socket fd, handshake done here (before OpenSSL's
 * HTTP code sees the connection, which then reads and writes through the
 * returned SSL BIO; it owns the socket). A bio_update_fn cannot be used:
 * OpenSSL calls it to disconnect before a streamed answer (expect_asn1 = 0)
 * is read, and the answer is lost. NULL on failure, with the error queue
 * and h->verify_result telling why. */
static BIO *tls_connect(struct rn_http *h, int fd, time_t deadline, int *timed_out)
{
	*timed_out = 0;
	SSL *ssl = SSL_new(h->ssl_ctx);
	BIO *sock = ssl != NULL ? BIO_new_socket(fd, BIO_CLOSE) : NULL;
	BIO *sbio = sock != NULL ? BIO_new(BIO_f_ssl()) : NULL;
	if (sbio == NULL) {
		if (sock != NULL)
			BIO_free(sock); /* closes fd */
		else
			close(fd);
		SSL_free(ssl);
		return NULL;
	}
	SSL_set_bio(ssl, sock, sock); /* ssl owns sock, sock owns fd */
	BIO_set_ssl(sbio, ssl, BIO_CLOSE);
	int ok;
	if (h->host_is_ip)
		ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), h->host);
	else
		ok = SSL_set1_host(ssl, h->host) && SSL_set_tlsext_host_name(ssl, h->host);
	while (ok) {
		int r = SSL_connect(ssl);
		if (r == 1)
			return sbio;
		int e = SSL_get_error(ssl, r);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
			h->verify_result = SSL_get_verify_result(ssl);
			break;
		}
		struct pollfd pfd = { .fd = fd,
				      .events = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT };
		long left = (long)(deadline - time(NULL));
		if (left <= 0 || poll(&pfd, 1, (int)(left * 1000)) <= 0) {
			*timed_out = 1;
			break;
		}
	}
	BIO_free_all(sbio);
	return NULL;
}

/* Turns the error queue after a failed OSSL_HTTP_transfer into a class and
 * one line. */
static enum rn_net_rc classify(struct rn_http *h, char *err, size_t errlen)
{
	enum rn_net_rc rc = RN_NET_UNREACHABLE;
	char what[256] = "";
	int decided = 0;
	unsigned long e;
	const char *data;
	int flags;

	if (h->tls && h->verify_result != X509_V_OK) {
		snprintf(what, sizeof(what), "server certificate not trusted: %s",
			 X509_verify_cert_error_string(h->verify_result));
		rc = RN_NET_TLS;
		decided = 1;
	}
	while ((e = ERR_get_error_all(NULL, NULL, NULL, &data, &flags)) != 0) {
		if (decided)
			continue;
		int lib = ERR_GET_LIB(e), reason = ERR_GET_REASON(e);
		const char *rs = ERR_reason_error_string(e);
		const char *d = (flags & ERR_TXT_STRING) && data != NULL ? data : "";
		if (lib == ERR_LIB_SSL) {
			snprintf(what, sizeof(what), "TLS handshake failed: %s%s%s",
				 rs != NULL ? rs : "error", *d ? " " : "", d);
			rc = RN_NET_TLS;
			decided = 1;
		} else if (lib == ERR_LIB_HTTP && (reason == HTTP_R_RECEIVED_ERROR ||
						   reason == HTTP_R_STATUS_CODE_UNSUPPORTED)) {
			const char *c = strstr(d, "code=");
			int code = c != NULL ? atoi(c + 5) : 0;
			if (code > 0)
				snprintf(what, sizeof(what), "HTTP status %d", code);
			else
				snprintf(what, sizeof(what), "HTTP error %s", d);
			rc = RN_NET_HTTP;
			decided = 1;
		} else if (lib == ERR_LIB_HTTP &&
			   (reason == HTTP_R_UNEXPECTED_CONTENT_TYPE ||
			    reason == HTTP_R_MISSING_CONTENT_TYPE)) {
			snprintf(what, sizeof(what), "HTTP answer has a bad content type (%s)",
				 *d ? d : "missing");
			rc = RN_NET_HTTP;
			decided = 1;
		} else if (lib == ERR_LIB_HTTP &&
			   (reason == HTTP_R_MAX_RESP_LEN_EXCEEDED ||
			    reason == HTTP_R_ASN1_LEN_EXCEEDS_MAX_RESP_LEN)) {
			snprintf(what, sizeof(what), "HTTP answer larger than %d bytes",
				 RN_HTTP_MAX_RESP);
			rc = RN_NET_HTTP;
			decided = 1;
		} else if (lib == ERR_LIB_HTTP && reason == HTTP_R_REDIRECTION_NOT_ENABLED) {
			snprintf(what, sizeof(what), "HTTP redirect (status 3xx) not followed");
			rc = RN_NET_HTTP;
			decided = 1;
		} else if (lib == ERR_LIB_HTTP &&
			   (reason == HTTP_R_RECEIVED_WRONG_HTTP_VERSION ||
			    reason == HTTP_R_RESPONSE_PARSE_ERROR ||
			    reason == HTTP_R_HEADER_PARSE_ERROR ||
			    reason == HTTP_R_RESPONSE_LINE_TOO_LONG ||
			    reason == HTTP_R_INCONSISTENT_CONTENT_LENGTH ||
			    reason == HTTP_R_ERROR_PARSING_CONTENT_LENGTH)) {
			snprintf(what, sizeof(what), "bad HTTP answer: %s%s%s",
				 rs != NULL ? rs : "error", *d ? " " : "", d);
			rc = RN_NET_HTTP;
			decided = 1;
		} else if (lib == ERR_LIB_HTTP && reason == HTTP_R_RETRY_TIMEOUT) {
			snprintf(what, sizeof(what), "timeout after %ld s", h->timeout_s);
			decided = 1;
		} else if (lib == ERR_LIB_SYS) {
			snprintf(what, sizeof(what), "%s", strerror(reason));
			decided = 1;
		} else if (lib == ERR_LIB_BIO && reason == BIO_R_CONNECT_TIMEOUT) {
			snprintf(what, sizeof(what), "connect timeout after %ld s", h->timeout_s);
			decided = 1;
		} else if (lib == ERR_LIB_BIO && reason == BIO_R_TRANSFER_TIMEOUT) {
			snprintf(what, sizeof(what), "timeout after %ld s", h->timeout_s);
			decided = 1;
		} else if (lib == ERR_LIB_BIO && reason == BIO_R_CONNECT_ERROR) {
			snprintf(what, sizeof(what), "cannot connect");
			/* a later SYS entry may name the reason */
		} else if (lib == ERR_LIB_BIO && reason == BIO_R_LOOKUP_RETURNED_NOTHING) {
			snprintf(what, sizeof(what), "host %s not found", h->host);
			decided = 1;
		} else if (lib == ERR_LIB_HTTP &&
			   (reason == HTTP_R_SERVER_CANCELED_CONNECTION ||
			    reason == HTTP_R_FAILED_READING_DATA ||
			    reason == HTTP_R_ERROR_SENDING ||
			    reason == HTTP_R_ERROR_RECEIVING)) {
			snprintf(what, sizeof(what), "connection dropped by the server%s",
				 h->tls ? "" : " (does it want https?)");
			decided = 1;
		} else if (what[0] == '\0') {
			snprintf(what, sizeof(what), "%s%s%s", rs != NULL ? rs : "transfer failed",
				 *d ? ": " : "", d);
		}
	}
	if (what[0] == '\0')
		snprintf(what, sizeof(what), "transfer failed");
	if (err != NULL && errlen > 0) {
		if (rc == RN_NET_UNREACHABLE)
			snprintf(err, errlen, "%s:%s: %s", h->host, h->port, what);
		else
			snprintf(err, errlen, "%s", what);
	}
	return rc;
}

/* A pass-through filter over the socket we connected ourselves: OSSL_HTTP
 * "connects" it (BIO_do_connect answers yes), the rest goes to the socket. */
static BIO_METHOD *conn_meth;
static pthread_once_t conn_meth_once = PTHREAD_ONCE_INIT;

static int cf_write(BIO *b, const char *d, int n)
{
	BIO *next = BIO_next(b);
	BIO_clear_retry_flags(b);
	int r = BIO_write(next, d, n);
	BIO_copy_next_retry(b);
	return r;
}

static int cf_read(BIO *b, char *d, int n)
{
	BIO *next = BIO_next(b);
	BIO_clear_retry_flags(b);
	int r = BIO_read(next, d, n);
	BIO_copy_next_retry(b);
	return r;
}

static int cf_puts(BIO *b, const char *s)
{
	return cf_write(b, s, (int)strlen(s));
}

static long cf_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	if (cmd == BIO_C_DO_STATE_MACHINE || cmd == BIO_C_SET_NBIO)
		return 1;
	BIO *next = BIO_next(b);
	return next != NULL ? BIO_ctrl(next, cmd, num, ptr) : 0;
}

static int cf_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static int cf_destroy(BIO *b)
{
	(void)b;
	return 1;
}

static void conn_meth_init(void)
{
	{
		BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_FILTER,
					     "ukey-renew connected socket");
		if (m == NULL || !BIO_meth_set_write(m, cf_write) ||
		    !BIO_meth_set_read(m, cf_read) || !BIO_meth_set_puts(m, cf_puts) ||
		    !BIO_meth_set_ctrl(m, cf_ctrl) || !BIO_meth_set_create(m, cf_create) ||
		    !BIO_meth_set_destroy(m, cf_destroy)) {
			BIO_meth_free(m);
			return;
		}
		conn_meth = m; /* kept for the process (one per process) */
	}
}

static BIO *conn_filter(void)
{
	pthread_once(&conn_meth_once, conn_meth_init);
	return conn_meth != NULL ? BIO_new(conn_meth) : NULL;
}

/* Our own connect (OpenSSL 3.0's retries a refused connection until the
 * timeout): precise errors, one attempt per address. */
static int tcp_connect(struct rn_http *h, time_t deadline, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_family = AF_UNSPEC;
	int g = getaddrinfo(h->host, h->port, &hints, &res);
	if (g != 0) {
		snprintf(err, errlen, "%s:%s: host not found (%s)", h->host, h->port,
			 gai_strerror(g));
		return -1;
	}
	int fd = -1, last = ECONNREFUSED;
	for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			last = errno;
			continue;
		}
		int fl = fcntl(fd, F_GETFL);
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
		int r = connect(fd, ai->ai_addr, ai->ai_addrlen);
		if (r != 0 && errno == EINPROGRESS) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };
			long left = (long)(deadline - time(NULL));
			int pr = poll(&pfd, 1, left > 0 ? (int)(left * 1000) : 0);
			if (pr == 0) {
				last = ETIMEDOUT;
				r = -1;
			} else {
				int so = 0;
				socklen_t sl = sizeof(so);
				if (pr < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &sl) != 0)
					so = errno;
				last = so;
				r = so == 0 ? 0 : -1;
			}
		} else if (r != 0) {
			last = errno;
		}
		if (r == 0)
			break; /* stays non-blocking: OSSL_HTTP waits with its timeout */
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		if (last == ETIMEDOUT)
			snprintf(err, errlen, "%s:%s: connect timeout after %ld s", h->host,
				 h->port, h->timeout_s);
		else
			snprintf(err, errlen, "%s:%s: %s", h->host, h->port,
				 last == ECONNREFUSED ? "connection refused" : strerror(last));
	}
	return fd;
}

static enum rn_net_rc http_exchange(struct rn_transport *t, const unsigned char *req,
				    size_t req_len, unsigned char **rsp, size_t *rsp_len,
				    char *err, size_t errlen)
{
	struct rn_http *h = (struct rn_http *)t;
	enum rn_net_rc rc;
	*rsp = NULL;
	*rsp_len = 0;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (req_len > INT_MAX) {
		snprintf(err, errlen, "request too large");
		return RN_NET_HTTP;
	}
	BIO *rbody = BIO_new_mem_buf(req, (int)req_len);
	if (rbody == NULL) {
		snprintf(err, errlen, "out of memory");
		return RN_NET_UNREACHABLE;
	}
	h->verify_result = X509_V_OK;
	ERR_clear_error();
	if (h->trace != NULL) {
		char line[600];
		snprintf(line, sizeof(line), "HTTP POST %s://%s:%s%s (%zu bytes)",
			 h->tls ? "https" : "http", h->host, h->port, h->path, req_len);
		h->trace(line, h->trace_arg);
	}
	time_t deadline = time(NULL) + h->timeout_s;
	int fd = tcp_connect(h, deadline, err, errlen);
	if (fd < 0) {
		BIO_free(rbody);
		return RN_NET_UNREACHABLE;
	}
	BIO *sock;
	if (h->tls) {
		int timed_out;
		sock = tls_connect(h, fd, deadline, &timed_out);
		if (sock == NULL) {
			BIO_free(rbody);
			if (timed_out) {
				ERR_clear_error();
				snprintf(err, errlen, "%s:%s: TLS handshake timeout after %ld s",
					 h->host, h->port, h->timeout_s);
				return RN_NET_UNREACHABLE;
			}
			if (ERR_peek_error() == 0 && h->verify_result == X509_V_OK) {
				snprintf(err, errlen, "%s:%s: connection dropped by the server "
					 "during the TLS handshake", h->host, h->port);
				return RN_NET_TLS;
			}
			return classify(h, err, errlen);
		}
	} else {
		sock = BIO_new_socket(fd, BIO_CLOSE);
	}
	BIO *conn = sock != NULL ? conn_filter() : NULL;
	if (conn != NULL)
		BIO_push(conn, sock);
	if (conn == NULL) {
		if (sock != NULL)
			BIO_free_all(sock);
		else if (!h->tls)
			close(fd);
		BIO_free(rbody);
		snprintf(err, errlen, "out of memory");
		return RN_NET_UNREACHABLE;
	}
	long left = (long)(deadline - time(NULL));
	if (left < 1)
		left = 1;
	/* TLS (if any) is already up under conn: OpenSSL sees a plain stream */
	BIO *ans = OSSL_HTTP_transfer(NULL, h->host, h->port, h->path, 0,
				      NULL, NULL, conn, NULL, NULL, NULL, 0, NULL,
				      RN_HTTP_CT, rbody, RN_HTTP_CT, 0 /* expect_asn1 */,
				      RN_HTTP_MAX_RESP, (int)left, 0 /* keep_alive */);
	BIO_free(rbody);
	if (ans == NULL) {
		BIO_free_all(conn);
		rc = classify(h, err, errlen);
		return rc;
	}
	/* OpenSSL 3.0 returns the connection BIO itself when it streams the
	 * answer (expect_asn1 = 0): read it before the connection is freed,
	 * and free it only once. */
	int streamed = ans == conn;
	/* the answer (a memory BIO in 3.0, but read it as a stream) */
	size_t cap = 4096, n = 0;
	unsigned char *buf = OPENSSL_malloc(cap);
	rc = RN_NET_OK;
	while (buf != NULL) {
		if (n == cap) {
			if (cap >= RN_HTTP_MAX_RESP) {
				snprintf(err, errlen, "HTTP answer larger than %d bytes",
					 RN_HTTP_MAX_RESP);
				rc = RN_NET_HTTP;
				break;
			}
			unsigned char *nb = OPENSSL_realloc(buf, cap * 2);
			if (nb == NULL) {
				OPENSSL_free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		int r = BIO_read(ans, buf + n, (int)(cap - n));
		if (r <= 0 && streamed && BIO_should_retry(ans)) {
			/* the socket is non-blocking: wait for more of the answer */
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			long wait_s = (long)(deadline - time(NULL));
			if (wait_s > 0 && poll(&pfd, 1, (int)(wait_s * 1000)) > 0)
				continue;
			snprintf(err, errlen, "%s:%s: timeout reading the answer", h->host, h->port);
			rc = RN_NET_UNREACHABLE;
			break;
		}
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	/* The caller owns the returned BIO (OpenSSL >= 3.0.1 takes a reference
	 * on it, the streamed connection BIO too): drop that reference, then
	 * the connection (and with it the socket, the SSL and the fd). */
	if (!streamed)
		BIO_free_all(ans);
	else if (OpenSSL_version_num() >= 0x30000010L)
		BIO_free(ans);
	BIO_free_all(conn);
	if (buf == NULL) {
		snprintf(err, errlen, "out of memory");
		return RN_NET_UNREACHABLE;
	}
	if (rc != RN_NET_OK) {
		OPENSSL_free(buf);
		ERR_clear_error();
		return rc;
	}
	*rsp = buf;
	*rsp_len = n;
	ERR_clear_error();
	return RN_NET_OK;
}

static void http_destroy(struct rn_transport *t)
{
	struct rn_http *h = (struct rn_http *)t;
	if (h == NULL)
		return;
	SSL_CTX_free(h->ssl_ctx);
	OPENSSL_free(h->host);
	OPENSSL_free(h->port);
	OPENSSL_free(h->path);
	free(h);
}

static int make_ssl_ctx(struct rn_http *h, const struct rn_http_params *p, char *err,
			size_t errlen)
{
	if (p->roots == NULL) {
		snprintf(err, errlen, "https needs trusted roots for the server certificate");
		return -1;
	}
	h->ssl_ctx = SSL_CTX_new(TLS_client_method());
	if (h->ssl_ctx == NULL ||
	    !SSL_CTX_set_min_proto_version(h->ssl_ctx, TLS1_2_VERSION) ||
	    !X509_STORE_up_ref(p->roots)) {
		snprintf(err, errlen, "TLS set-up failed");
		return -1;
	}
	SSL_CTX_set_cert_store(h->ssl_ctx, p->roots);
	SSL_CTX_set_verify(h->ssl_ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_mode(h->ssl_ctx, SSL_MODE_AUTO_RETRY);
	if (p->client_key != NULL && p->client_cert != NULL) {
		/* sent only when the server asks (CertificateRequest) */
		if (SSL_CTX_use_certificate(h->ssl_ctx, p->client_cert) != 1 ||
		    SSL_CTX_use_PrivateKey(h->ssl_ctx, p->client_key) != 1) {
			unsigned long e = ERR_peek_last_error();
			snprintf(err, errlen, "TLS client certificate refused: %s",
				 e ? ERR_reason_error_string(e) : "key does not match");
			return -1;
		}
	}
	return 0;
}

struct rn_transport *rn_transport_http_new(const struct rn_http_params *p,
					   char *err, size_t errlen)
{
	char dummy[8];
	if (err == NULL || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	if (p == NULL || p->url == NULL || p->url[0] == '\0') {
		snprintf(err, errlen, "no server URL");
		return NULL;
	}
	if (strncasecmp(p->url, "http://", 7) != 0 && strncasecmp(p->url, "https://", 8) != 0) {
		snprintf(err, errlen, "server URL must start with http:// or https://: %s", p->url);
		return NULL;
	}
	struct rn_http *h = calloc(1, sizeof(*h));
	if (h == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->base.exchange = http_exchange;
	h->base.destroy = http_destroy;
	h->timeout_s = p->timeout_s > 0 ? p->timeout_s : 60;
	if (h->timeout_s > INT_MAX)
		h->timeout_s = INT_MAX;
	h->trace = p->trace;
	h->trace_arg = p->trace_arg;

	char *user = NULL, *query = NULL, *frag = NULL;
	int port_num = 0;
	ERR_set_mark();
	int ok = OSSL_HTTP_parse_url(p->url, &h->tls, &user, &h->host, &h->port, &port_num,
				     &h->path, &query, &frag);
	ERR_pop_to_mark();
	if (!ok || h->host == NULL || h->host[0] == '\0') {
		snprintf(err, errlen, "bad server URL: %s", p->url);
		goto bad;
	}
	if ((user != NULL && user[0] != '\0') || (frag != NULL && frag[0] != '\0')) {
		snprintf(err, errlen, "server URL must not carry a user name or a fragment: %s",
			 p->url);
		goto bad;
	}
	if (query != NULL && query[0] != '\0') {
		size_t n = strlen(h->path) + strlen(query) + 2;
		char *np = OPENSSL_malloc(n);
		if (np == NULL)
			goto bad;
		snprintf(np, n, "%s?%s", h->path, query);
		OPENSSL_free(h->path);
		h->path = np;
	}
	unsigned char addr[16];
	h->host_is_ip = inet_pton(AF_INET, h->host, addr) == 1 ||
			inet_pton(AF_INET6, h->host, addr) == 1;
	if (h->tls && make_ssl_ctx(h, p, err, errlen) != 0)
		goto bad;
	OPENSSL_free(user);
	OPENSSL_free(query);
	OPENSSL_free(frag);
	ERR_clear_error();
	return &h->base;
bad:
	OPENSSL_free(user);
	OPENSSL_free(query);
	OPENSSL_free(frag);
	http_destroy(&h->base);
	ERR_clear_error();
	return NULL;
}
