/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A minimal HTTP/1.1 server for CMP (RFC 6712) over plain TCP or TLS: one
 * POST per connection, Content-Length required, bounded size and time. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>

#include "testca.h"

#define HDR_MAX 8192

struct conn {
    int fd;
    SSL *ssl;
    struct timespec deadline;
    char peer[300];
};

static long ms_left(const struct conn *c)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (c->deadline.tv_sec - now.tv_sec) * 1000L
           + (c->deadline.tv_nsec - now.tv_nsec) / 1000000L;
}

/* >0 bytes, 0 EOF, -1 error, -2 timeout */
static int conn_read(struct conn *c, char *buf, size_t n)
{
    for (;;) {
        long left = ms_left(c);
        struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
        int r;

        if (c->ssl == NULL || SSL_pending(c->ssl) == 0) {
            if (left <= 0)
                return -2;
            r = poll(&pfd, 1, (int)left);
            if (r < 0 && errno == EINTR)
                continue;
            if (r == 0)
                return -2;
            if (r < 0)
                return -1;
        }
        if (c->ssl != NULL) {
            r = SSL_read(c->ssl, buf, (int)(n > 65536 ? 65536 : n));
            if (r > 0)
                return r;
            switch (SSL_get_error(c->ssl, r)) {
            case SSL_ERROR_ZERO_RETURN:
                return 0;
            case SSL_ERROR_WANT_READ:
            case SSL_ERROR_WANT_WRITE:
                continue;
            default:
                return errno == EAGAIN || errno == EWOULDBLOCK ? -2 : -1;
            }
        }
        r = (int)read(c->fd, buf, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK ? -2 : -1;
        return r;
    }
}

static int conn_write(struct conn *c, const void *buf, size_t n)
{
    const char *p = buf;

    while (n > 0) {
        int r;

        if (c->ssl != NULL) {
            r = SSL_write(c->ssl, p, (int)n);
            if (r <= 0)
                return 0;
        } else {
            r = (int)send(c->fd, p, n, MSG_NOSIGNAL);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                return 0;
        }
        p += r;
        n -= (size_t)r;
    }
    return 1;
}

static const char *reason(int code)
{
    switch (code) {
    case 100: return "Continue";
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 431: return "Request Header Fields Too Large";
    case 501: return "Not Implemented";
    case 505: return "HTTP Version Not Supported";
    default: return "Internal Server Error";
    }
}

static void respond(struct conn *c, int code, const char *ctype,
                    const void *body, size_t len)
{
    char hdr[512];
    int n;

    n = snprintf(hdr, sizeof(hdr),
                 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                 "Cache-Control: no-cache\r\n%sConnection: close\r\n\r\n",
                 code, reason(code), ctype, len,
                 code == 405 ? "Allow: POST\r\n" : "");
    if (n > 0 && conn_write(c, hdr, (size_t)n) && len > 0)
        (void)conn_write(c, body, len);
}

static void http_error(struct conn *c, int code, const char *why)
{
    char body[256];
    int n = snprintf(body, sizeof(body), "%d %s: %s\n", code, reason(code), why);

    testca_log("peer=%s decision=http %d (%s)", c->peer, code, why);
    respond(c, code, "text/plain", body, n > 0 ? (size_t)n : 0);
}

/* Path comparison ignoring trailing slashes and a query. */
static int path_ok(const char *target)
{
    const char *want = g_cfg.path;
    size_t tl = strcspn(target, "?"), wl = strlen(want);

    while (tl > 1 && target[tl - 1] == '/')
        tl--;
    while (wl > 1 && want[wl - 1] == '/')
        wl--;
    return tl == wl && strncmp(target, want, tl) == 0;
}

static int token_ok(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s != '\0'; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '-'))
            return 0;
    return 1;
}

static void handle(struct conn *c)
{
    char *buf = malloc(HDR_MAX + TESTCA_MAX_BODY + 1);
    size_t have = 0, hlen = 0, clen = 0;
    char *line, *save = NULL, *method, *target, *version, *end;
    int r, have_cl = 0, have_ct = 0, expect = 0;
    unsigned char *ans = NULL;
    size_t anslen = 0;
    enum testca_misbehave mb = MB_NONE;

    if (buf == NULL)
        return;
    /* the header block */
    for (;;) {
        buf[have] = '\0';
        end = strstr(buf, "\r\n\r\n");
        if (end != NULL) {
            hlen = (size_t)(end - buf) + 4;
            break;
        }
        if (have >= HDR_MAX) {
            http_error(c, 431, "header block too large");
            goto out;
        }
        r = conn_read(c, buf + have, HDR_MAX - have);
        if (r == -2) {
            if (have > 0)
                http_error(c, 408, "timeout reading the header");
            else
                testca_log("peer=%s decision=closed (idle timeout)", c->peer);
            goto out;
        }
        if (r <= 0) {
            if (have > 0)
                testca_log("peer=%s decision=closed (incomplete header)", c->peer);
            goto out;
        }
        have += (size_t)r;
    }
    if (memchr(buf, '\0', hlen) != NULL) {
        http_error(c, 400, "NUL in header");
        goto out;
    }
    end[2] = '\0';            /* header block ends with one CRLF */
    line = strstr(buf, "\r\n");
    *line = '\0';
    save = line + 2;          /* the header lines */
    method = buf;
    target = strchr(method, ' ');
    version = target != NULL ? strchr(target + 1, ' ') : NULL;
    if (target != NULL)
        *target++ = '\0';
    if (version != NULL)
        *version++ = '\0';
    if (target == NULL || version == NULL || *target == '\0'
        || strchr(version, ' ') != NULL || !token_ok(method)) {
        http_error(c, 400, "malformed request line");
        goto out;
    }
    if (strncmp(version, "HTTP/1.", 7) != 0 || version[7] == '\0'
        || version[8] != '\0') {
        http_error(c, 505, "only HTTP/1.x");
        goto out;
    }
    {
        char *hsave = NULL;
        char *h = strtok_r(save, "\r\n", &hsave);

        for (; h != NULL; h = strtok_r(NULL, "\r\n", &hsave)) {
            char *colon = strchr(h, ':'), *v;

            if (colon == NULL || colon == h) {
                http_error(c, 400, "malformed header line");
                goto out;
            }
            *colon = '\0';
            for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
                ;
            if (strcasecmp(h, "Content-Length") == 0) {
                char *e;
                unsigned long long x;

                errno = 0;
                x = strtoull(v, &e, 10);
                while (*e == ' ' || *e == '\t')
                    e++;
                if (*v < '0' || *v > '9' || *e != '\0' || errno != 0
                    || (have_cl && x != clen)) {
                    http_error(c, 400, "bad Content-Length");
                    goto out;
                }
                if (x > TESTCA_MAX_BODY) {
                    http_error(c, 413, "body larger than 64 KiB");
                    goto out;
                }
                clen = (size_t)x;
                have_cl = 1;
            } else if (strcasecmp(h, "Transfer-Encoding") == 0) {
                http_error(c, 411, "Transfer-Encoding not supported, send Content-Length");
                goto out;
            } else if (strcasecmp(h, "Content-Type") == 0) {
                size_t l = strcspn(v, "; \t");

                if (l != strlen("application/pkixcmp")
                    || strncasecmp(v, "application/pkixcmp", l) != 0) {
                    http_error(c, 415, "Content-Type must be application/pkixcmp");
                    goto out;
                }
                have_ct = 1;
            } else if (strcasecmp(h, "Expect") == 0) {
                if (strcasecmp(v, "100-continue") != 0) {
                    http_error(c, 400, "unsupported Expect");
                    goto out;
                }
                expect = 1;
            }
        }
    }
    if (strcmp(method, "POST") != 0) {
        http_error(c, 405, "only POST");
        goto out;
    }
    if (!path_ok(target)) {
        http_error(c, 404, "unknown path");
        goto out;
    }
    if (!have_cl) {
        http_error(c, 411, "Content-Length required");
        goto out;
    }
    if (!have_ct) {
        http_error(c, 415, "Content-Type application/pkixcmp required");
        goto out;
    }
    if (clen == 0) {
        http_error(c, 400, "empty body");
        goto out;
    }
    /* the body: what followed the header, then the rest */
    have -= hlen;
    memmove(buf, buf + hlen, have);
    if (have > clen) {
        http_error(c, 400, "more data than Content-Length");
        goto out;
    }
    if (expect && have < clen) {
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

        if (!conn_write(c, cont, sizeof(cont) - 1))
            goto out;
    }
    while (have < clen) {
        r = conn_read(c, buf + have, clen - have);
        if (r == -2) {
            http_error(c, 408, "timeout reading the body");
            goto out;
        }
        if (r <= 0) {
            testca_log("peer=%s decision=closed (body cut short)", c->peer);
            goto out;
        }
        have += (size_t)r;
    }
    if (!testca_cmp_handle((unsigned char *)buf, clen, c->peer, &ans, &anslen, &mb)) {
        http_error(c, 400, "not a CMP message");
        goto out;
    }
    switch (mb) {
    case MB_DROP:
        testca_log("peer=%s decision=misbehave drop (no answer)", c->peer);
        break;
    case MB_HTTP500:
        http_error(c, 500, "misbehave http500");
        break;
    case MB_GARBAGE: {
        size_t n = anslen > 64 ? anslen : 64;
        unsigned char *g = malloc(n);

        if (g != NULL) {
            testca_mb_garbage(g, n);
            respond(c, 200, "application/pkixcmp", g, n);
            free(g);
        }
        break;
    }
    case MB_TRUNCATED:
        respond(c, 200, "application/pkixcmp", ans, anslen / 2);
        break;
    default:
        respond(c, 200, "application/pkixcmp", ans, anslen);
        break;
    }
out:
    free(ans);
    free(buf);
}

void testca_http_serve(int fd, const char *peer)
{
    struct conn c;
    struct timeval tv = { .tv_sec = g_cfg.io_timeout, .tv_usec = 0 };

    memset(&c, 0, sizeof(c));
    c.fd = fd;
    snprintf(c.peer, sizeof(c.peer), "%s", peer);
    clock_gettime(CLOCK_MONOTONIC, &c.deadline);
    c.deadline.tv_sec += g_cfg.io_timeout;
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (g_cfg.ssl_ctx != NULL) {
        c.ssl = SSL_new(g_cfg.ssl_ctx);
        if (c.ssl == NULL || !SSL_set_fd(c.ssl, fd) || SSL_accept(c.ssl) != 1) {
            unsigned long e = ERR_get_error();
            char buf[160] = "handshake failed";

            if (e != 0)
                ERR_error_string_n(e, buf, sizeof(buf));
            testca_log("peer=%s decision=tls handshake failed (%s)", peer, buf);
            ERR_clear_error();
            goto done;
        }
        {
            X509 *pc = SSL_get1_peer_certificate(c.ssl);

            if (pc != NULL) {
                char *s = X509_NAME_oneline(X509_get_subject_name(pc), NULL, 0);

                snprintf(c.peer, sizeof(c.peer), "%s[tls-client %s]", peer,
                         s != NULL ? s : "?");
                OPENSSL_free(s);
                X509_free(pc);
            }
        }
    }
    handle(&c);
    if (c.ssl != NULL)
        (void)SSL_shutdown(c.ssl);
done:
    SSL_free(c.ssl);
    ERR_clear_error();
    close(fd);
}

int testca_http_listen(const char *addr, int port, int *bound_port)
{
    struct addrinfo hints, *ai = NULL;
    char ports[16];
    int fd, one = 1;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
    snprintf(ports, sizeof(ports), "%d", port);
    if (getaddrinfo(addr, ports, &hints, &ai) != 0 || ai == NULL) {
        testca_msg("ukey-testca: bad bind address %s", addr);
        return -1;
    }
    fd = socket(ai->ai_family, ai->ai_socktype, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0
        || bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 64) != 0
        || getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
        testca_msg("ukey-testca: cannot listen on %s:%d: %s", addr, port,
                   strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(ai);
        return -1;
    }
    freeaddrinfo(ai);
    *bound_port = ss.ss_family == AF_INET6
                  ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                  : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

int testca_tls_init(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

    if (ctx == NULL || !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION)
        || SSL_CTX_use_certificate_chain_file(ctx, g_cfg.tls_cert) != 1
        || SSL_CTX_use_PrivateKey_file(ctx, g_cfg.tls_key, SSL_FILETYPE_PEM) != 1
        || SSL_CTX_check_private_key(ctx) != 1) {
        testca_msg("ukey-testca: TLS setup failed (cert %s, key %s)",
                   g_cfg.tls_cert, g_cfg.tls_key);
        ERR_print_errors_fp(stderr);
        SSL_CTX_free(ctx);
        return 0;
    }
    if (g_cfg.tls_client_ca != NULL) {
        STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(g_cfg.tls_client_ca);

        if (names == NULL
            || SSL_CTX_load_verify_locations(ctx, g_cfg.tls_client_ca, NULL) != 1) {
            testca_msg("ukey-testca: cannot load client CA %s", g_cfg.tls_client_ca);
            sk_X509_NAME_pop_free(names, X509_NAME_free);
            SSL_CTX_free(ctx);
            return 0;
        }
        SSL_CTX_set_client_CA_list(ctx, names);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                           NULL);
    }
    g_cfg.ssl_ctx = ctx;
    return 1;
}
