/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ukey-testca: options, setup, the accept loop (a thread per connection). */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "testca.h"

struct testca_config g_cfg;

static volatile sig_atomic_t g_stop;
static pthread_mutex_t g_act_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_act_cond = PTHREAD_COND_INITIALIZER;
static int g_active;
static int g_max_conns = 32;

static void usage(FILE *f)
{
    fputs(
"usage: ukey-testca --ca-cert CA.pem --ca-key CA.key --port P [options]\n"
"A CMP (RFC 4210/6712) test CA on OpenSSL's server API.\n"
"  --ca-cert F          CA certificate (PEM); signs certificates and answers\n"
"  --ca-key F           CA private key (PEM, unencrypted)\n"
"  --port P             TCP port (0: any free port, see --ready-file)\n"
"  --bind A             address to listen on (default 127.0.0.1)\n"
"  --path P             HTTP path (default /pkix/)\n"
"  --validity-days N    validity of issued certificates (default 365)\n"
"  --refuse-days N      refuse kur while the old certificate has more than N\n"
"                       days left (default 180; -1: never refuse)\n"
"  --refuse-text T      status string of that refusal; {N} or %d becomes N\n"
"                       (default \"more than {N} days of validity left\")\n"
"  --wait-seconds S     answer \"waiting\" until S seconds after the first\n"
"                       message of the transaction (default 0; -1: never)\n"
"  --check-after S      checkAfter in pollRep (default 1)\n"
"  --secret S           MAC secret for ir/cr (pass:X, env:VAR or X)\n"
"  --tls-cert F --tls-key F   serve HTTPS (TLS 1.2+)\n"
"  --tls-client-ca F    require a TLS client certificate chaining to F\n"
"  --ready-file F       written (the port, one line) once listening\n"
"  --log F              one line per request to F (default stderr)\n"
"  --misbehave MODE     other-key wrong-issuer shorter-validity expired\n"
"                       other-subject garbage truncated drop http500\n"
"                       other-transaction (see README.md)\n"
"  --misbehave-after K  misbehave from the K-th CMP message on (default 1)\n"
"  --io-timeout S       per-connection time limit (default 10)\n"
"  --txn-timeout S      idle transactions are forgotten after S (default 600)\n"
"  --max-conns N        concurrent connections (default 32)\n"
"  --verbose            log OpenSSL's CMP server messages to stderr\n"
"  --help\n", f);
}

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *e;
    long v;

    errno = 0;
    v = strtol(s, &e, 10);
    if (*s == '\0' || *e != '\0' || errno != 0 || v < lo || v > hi)
        return 0;
    *out = v;
    return 1;
}

static const char *secret_value(const char *s)
{
    if (strncmp(s, "pass:", 5) == 0)
        return s + 5;
    if (strncmp(s, "env:", 4) == 0)
        return getenv(s + 4);
    return s;
}

static int no_pass(char *buf, int size, int rw, void *u)
{
    (void)buf;
    (void)size;
    (void)rw;
    (void)u;
    return 0;
}

static int load_ca(void)
{
    FILE *f = fopen(g_cfg.ca_cert_file, "r");

    if (f == NULL) {
        testca_msg("ukey-testca: cannot open %s: %s", g_cfg.ca_cert_file, strerror(errno));
        return 0;
    }
    g_cfg.ca_cert = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    f = fopen(g_cfg.ca_key_file, "r");
    if (f == NULL) {
        testca_msg("ukey-testca: cannot open %s: %s", g_cfg.ca_key_file, strerror(errno));
        return 0;
    }
    g_cfg.ca_key = PEM_read_PrivateKey(f, NULL, no_pass, NULL);
    fclose(f);
    if (g_cfg.ca_cert == NULL || g_cfg.ca_key == NULL) {
        testca_msg("ukey-testca: cannot read the CA certificate or key");
        return 0;
    }
    if (X509_check_private_key(g_cfg.ca_cert, g_cfg.ca_key) != 1) {
        testca_msg("ukey-testca: CA key does not match the CA certificate");
        return 0;
    }
    return 1;
}

static int write_ready(const char *file, int port)
{
    char tmp[PATH_MAX];
    FILE *f;

    if (snprintf(tmp, sizeof(tmp), "%s.tmp", file) >= (int)sizeof(tmp))
        return 0;
    f = fopen(tmp, "w");
    if (f == NULL)
        return 0;
    fprintf(f, "%d\n", port);
    if (fclose(f) != 0 || rename(tmp, file) != 0) {
        unlink(tmp);
        return 0;
    }
    return 1;
}

struct job {
    int fd;
    char peer[INET6_ADDRSTRLEN + 16];
};

static void *conn_thread(void *arg)
{
    struct job *j = arg;

    testca_http_serve(j->fd, j->peer);
    free(j);
    ERR_clear_error();
    OPENSSL_thread_stop();
    pthread_mutex_lock(&g_act_lock);
    g_active--;
    pthread_cond_broadcast(&g_act_cond);
    pthread_mutex_unlock(&g_act_lock);
    return NULL;
}

static void peer_name(const struct sockaddr_storage *ss, char *out, size_t n)
{
    char a[INET6_ADDRSTRLEN] = "?";
    int port = 0;

    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

        inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
        port = ntohs(s4->sin_port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

        inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
        port = ntohs(s6->sin6_port);
    }
    snprintf(out, n, "%s:%d", a, port);
}

static void serve(int lfd)
{
    while (!g_stop) {
        struct pollfd pfd = { .fd = lfd, .events = POLLIN };
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        pthread_attr_t attr;
        pthread_t th;
        struct job *j;
        int fd;

        if (poll(&pfd, 1, 500) <= 0)
            continue;
        fd = accept(lfd, (struct sockaddr *)&ss, &sl);
        if (fd < 0)
            continue;
        j = malloc(sizeof(*j));
        pthread_mutex_lock(&g_act_lock);
        if (j == NULL || g_active >= g_max_conns) {
            pthread_mutex_unlock(&g_act_lock);
            testca_log("peer=? decision=closed (too many connections)");
            free(j);
            close(fd);
            continue;
        }
        g_active++;
        pthread_mutex_unlock(&g_act_lock);
        j->fd = fd;
        peer_name(&ss, j->peer, sizeof(j->peer));
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&th, &attr, conn_thread, j) != 0) {
            close(fd);
            free(j);
            pthread_mutex_lock(&g_act_lock);
            g_active--;
            pthread_mutex_unlock(&g_act_lock);
        }
        pthread_attr_destroy(&attr);
    }
}

static void wait_threads(void)
{
    struct timespec until;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += g_cfg.io_timeout + 2;
    pthread_mutex_lock(&g_act_lock);
    while (g_active > 0)
        if (pthread_cond_timedwait(&g_act_cond, &g_act_lock, &until) != 0)
            break;
    pthread_mutex_unlock(&g_act_lock);
}

enum {
    O_CA_CERT = 256, O_CA_KEY, O_PORT, O_BIND, O_PATH, O_VALIDITY, O_REFUSE_DAYS,
    O_REFUSE_TEXT, O_WAIT, O_CHECK_AFTER, O_SECRET, O_TLS_CERT, O_TLS_KEY,
    O_TLS_CLIENT_CA, O_READY, O_LOG, O_MISBEHAVE, O_MB_AFTER, O_IO_TIMEOUT,
    O_TXN_TIMEOUT, O_MAX_CONNS, O_VERBOSE, O_HELP,
};

static const struct option opts[] = {
    { "ca-cert", required_argument, NULL, O_CA_CERT },
    { "ca-key", required_argument, NULL, O_CA_KEY },
    { "port", required_argument, NULL, O_PORT },
    { "bind", required_argument, NULL, O_BIND },
    { "path", required_argument, NULL, O_PATH },
    { "validity-days", required_argument, NULL, O_VALIDITY },
    { "refuse-days", required_argument, NULL, O_REFUSE_DAYS },
    { "refuse-text", required_argument, NULL, O_REFUSE_TEXT },
    { "wait-seconds", required_argument, NULL, O_WAIT },
    { "check-after", required_argument, NULL, O_CHECK_AFTER },
    { "secret", required_argument, NULL, O_SECRET },
    { "tls-cert", required_argument, NULL, O_TLS_CERT },
    { "tls-key", required_argument, NULL, O_TLS_KEY },
    { "tls-client-ca", required_argument, NULL, O_TLS_CLIENT_CA },
    { "ready-file", required_argument, NULL, O_READY },
    { "log", required_argument, NULL, O_LOG },
    { "misbehave", required_argument, NULL, O_MISBEHAVE },
    { "misbehave-after", required_argument, NULL, O_MB_AFTER },
    { "io-timeout", required_argument, NULL, O_IO_TIMEOUT },
    { "txn-timeout", required_argument, NULL, O_TXN_TIMEOUT },
    { "max-conns", required_argument, NULL, O_MAX_CONNS },
    { "verbose", no_argument, NULL, O_VERBOSE },
    { "help", no_argument, NULL, O_HELP },
    { NULL, 0, NULL, 0 },
};

static int parse_args(int argc, char **argv)
{
    static char pathbuf[512];
    const char *path = "/pkix/";
    long v;
    int c, have_port = 0;

    g_cfg.bind_addr = "127.0.0.1";
    g_cfg.validity_days = 365;
    g_cfg.refuse_days = 180;
    g_cfg.refuse_text = "more than {N} days of validity left";
    g_cfg.check_after = 1;
    g_cfg.misbehave_after = 1;
    g_cfg.io_timeout = 10;
    g_cfg.txn_timeout = 600;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case O_CA_CERT: g_cfg.ca_cert_file = optarg; break;
        case O_CA_KEY: g_cfg.ca_key_file = optarg; break;
        case O_PORT:
            if (!parse_long(optarg, 0, 65535, &v))
                goto bad;
            g_cfg.port = (int)v;
            have_port = 1;
            break;
        case O_BIND: g_cfg.bind_addr = optarg; break;
        case O_PATH: path = optarg; break;
        case O_VALIDITY:
            if (!parse_long(optarg, 1, 36500, &v))
                goto bad;
            g_cfg.validity_days = (int)v;
            break;
        case O_REFUSE_DAYS:
            if (!parse_long(optarg, -1, 36500, &v))
                goto bad;
            g_cfg.refuse_days = (int)v;
            break;
        case O_REFUSE_TEXT: g_cfg.refuse_text = optarg; break;
        case O_WAIT:
            if (!parse_long(optarg, -1, LONG_MAX, &v))
                goto bad;
            g_cfg.wait_seconds = v;
            break;
        case O_CHECK_AFTER:
            if (!parse_long(optarg, 0, 86400, &v))
                goto bad;
            g_cfg.check_after = (int)v;
            break;
        case O_SECRET:
            g_cfg.secret = secret_value(optarg);
            if (g_cfg.secret == NULL || *g_cfg.secret == '\0') {
                fprintf(stderr, "ukey-testca: empty --secret\n");
                return 0;
            }
            break;
        case O_TLS_CERT: g_cfg.tls_cert = optarg; break;
        case O_TLS_KEY: g_cfg.tls_key = optarg; break;
        case O_TLS_CLIENT_CA: g_cfg.tls_client_ca = optarg; break;
        case O_READY: g_cfg.ready_file = optarg; break;
        case O_LOG: g_cfg.log_file = optarg; break;
        case O_MISBEHAVE:
            if (!testca_misbehave_parse(optarg, &g_cfg.misbehave)) {
                fprintf(stderr, "ukey-testca: unknown --misbehave %s\n", optarg);
                return 0;
            }
            break;
        case O_MB_AFTER:
            if (!parse_long(optarg, 1, LONG_MAX, &v))
                goto bad;
            g_cfg.misbehave_after = v;
            break;
        case O_IO_TIMEOUT:
            if (!parse_long(optarg, 1, 3600, &v))
                goto bad;
            g_cfg.io_timeout = (int)v;
            break;
        case O_TXN_TIMEOUT:
            if (!parse_long(optarg, 1, 86400 * 30, &v))
                goto bad;
            g_cfg.txn_timeout = (int)v;
            break;
        case O_MAX_CONNS:
            if (!parse_long(optarg, 1, 1024, &v))
                goto bad;
            g_max_conns = (int)v;
            break;
        case O_VERBOSE: g_cfg.verbose = 1; break;
        case O_HELP: usage(stdout); exit(0);
        default: usage(stderr); return 0;
        }
    }
    if (optind != argc || g_cfg.ca_cert_file == NULL || g_cfg.ca_key_file == NULL
        || !have_port) {
        usage(stderr);
        return 0;
    }
    if ((g_cfg.tls_cert == NULL) != (g_cfg.tls_key == NULL)
        || (g_cfg.tls_client_ca != NULL && g_cfg.tls_cert == NULL)) {
        fprintf(stderr, "ukey-testca: --tls-cert and --tls-key go together "
                        "(--tls-client-ca needs them)\n");
        return 0;
    }
    snprintf(pathbuf, sizeof(pathbuf), "%s%s", path[0] == '/' ? "" : "/", path);
    g_cfg.path = pathbuf;
    return 1;
bad:
    fprintf(stderr, "ukey-testca: bad value for --%s: %s\n", opts[c - O_CA_CERT].name,
            optarg);
    return 0;
}

int main(int argc, char **argv)
{
    struct sigaction sa;
    int lfd, port = 0, rc = 1;

    if (!parse_args(argc, argv))
        return 2;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);

    testca_log_open(g_cfg.log_file);
    if (!load_ca() || !testca_cmp_init()
        || (g_cfg.tls_cert != NULL && !testca_tls_init()))
        goto out;
    lfd = testca_http_listen(g_cfg.bind_addr, g_cfg.port, &port);
    if (lfd < 0)
        goto out;
    if (g_cfg.ready_file != NULL && !write_ready(g_cfg.ready_file, port)) {
        testca_msg("ukey-testca: cannot write %s", g_cfg.ready_file);
        close(lfd);
        goto out;
    }
    testca_log("listening on %s:%d path=%s%s misbehave=%s", g_cfg.bind_addr, port,
               g_cfg.path, g_cfg.ssl_ctx != NULL ? " tls" : "",
               testca_misbehave_name(g_cfg.misbehave));
    serve(lfd);
    close(lfd);
    wait_threads();
    testca_log("stopped");
    if (g_cfg.ready_file != NULL)
        unlink(g_cfg.ready_file);
    rc = 0;
out:
    testca_cmp_cleanup();
    SSL_CTX_free(g_cfg.ssl_ctx);
    X509_free(g_cfg.ca_cert);
    EVP_PKEY_free(g_cfg.ca_key);
    testca_log_close();
    return rc;
}
