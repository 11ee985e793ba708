/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The CMP side: one OpenSSL server context per transactionID, and the
 * callbacks that decide (issue, wait, refuse). All of it runs under one lock. */
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "testca.h"

/* body types (not public in 3.0) */
enum {
    BT_IR = 0, BT_IP = 1, BT_CR = 2, BT_CP = 3, BT_P10CR = 4, BT_KUR = 7,
    BT_KUP = 8, BT_RR = 11, BT_RP = 12, BT_PKICONF = 19, BT_GENM = 21,
    BT_GENP = 22, BT_ERROR = 23, BT_CERTCONF = 24, BT_POLLREQ = 25,
    BT_POLLREP = 26,
};

static const char *body_name(int t)
{
    static const char *const n[] = {
        "ir", "ip", "cr", "cp", "p10cr", "popdecc", "popdecr", "kur", "kup",
        "krr", "krp", "rr", "rp", "ccr", "ccp", "ckuann", "cann", "rann",
        "crlann", "pkiconf", "nested", "genm", "genp", "error", "certConf",
        "pollReq", "pollRep",
    };

    return t >= 0 && (size_t)t < sizeof(n) / sizeof(n[0]) ? n[t] : "?";
}

struct txn {
    struct txn *next;
    unsigned char tid[64];
    size_t tidlen;
    OSSL_CMP_SRV_CTX *srv;
    time_t first, last;
    OSSL_CMP_MSG *cert_req;     /* kept while waiting, handed back on poll */
    int force_issue;            /* shadow context: no waiting */
    int finished;               /* rejected: the transaction ends */
    int issued_now;             /* this answer carries a certificate */
    long msgno;
    char decision[320];
};

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static struct txn *g_txns;
static long g_msgcount;

static void decide(struct txn *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void decide(struct txn *t, const char *fmt, ...)
{
    size_t n = strlen(t->decision);
    va_list ap;

    if (n > 0 && n + 2 < sizeof(t->decision)) {
        t->decision[n++] = ';';
        t->decision[n++] = ' ';
        t->decision[n] = '\0';
    }
    va_start(ap, fmt);
    vsnprintf(t->decision + n, sizeof(t->decision) - n, fmt, ap);
    va_end(ap);
}

static OSSL_CMP_PKISI *reject(struct txn *t, int failbit, const char *text)
{
    t->finished = 1;
    decide(t, "rejected: %s", text);
    return OSSL_CMP_STATUSINFO_new(OSSL_CMP_PKISTATUS_rejection, 1 << failbit,
                                   text);
}

static void refuse_text(char *out, size_t outlen, int days)
{
    const char *s = g_cfg.refuse_text;
    char num[16];
    size_t o = 0;

    snprintf(num, sizeof(num), "%d", days);
    while (*s != '\0' && o + 1 < outlen) {
        size_t skip = strncmp(s, "{N}", 3) == 0 ? 3 : strncmp(s, "%d", 2) == 0 ? 2 : 0;

        if (skip > 0) {
            size_t k = strlen(num);

            if (o + k >= outlen)
                break;
            memcpy(out + o, num, k);
            o += k;
            s += skip;
        } else {
            out[o++] = *s++;
        }
    }
    out[o] = '\0';
}

static int waiting_over(const struct txn *t)
{
    if (t->force_issue)
        return 1;
    if (g_cfg.wait_seconds < 0)
        return 0;
    return time(NULL) - t->first >= g_cfg.wait_seconds;
}

/* The certificate being updated: in extraCerts, matching oldCertID. It must
 * be the first one, where OpenSSL puts the certificate of the protection
 * (which OpenSSL's server has verified against this CA). */
static X509 *find_old_cert(const OSSL_CMP_MSG *req, const OSSL_CRMF_MSG *crm,
                           int *is_signer)
{
    const OSSL_CRMF_CERTID *cid = OSSL_CRMF_MSG_get0_regCtrl_oldCertID(crm);
    unsigned char *der = NULL;
    STACK_OF(X509) *sk;
    X509 *found = NULL;
    int n = i2d_OSSL_CMP_MSG(req, &der), i;

    if (n <= 0)
        return NULL;
    sk = der_msg_extracerts(der, (size_t)n);
    OPENSSL_free(der);
    for (i = 0; sk != NULL && i < sk_X509_num(sk); i++) {
        X509 *x = sk_X509_value(sk, i);

        if (cid == NULL
            || (X509_NAME_cmp(X509_get_issuer_name(x),
                              OSSL_CRMF_CERTID_get0_issuer(cid)) == 0
                && ASN1_INTEGER_cmp(X509_get0_serialNumber(x),
                                    OSSL_CRMF_CERTID_get0_serialNumber(cid)) == 0)) {
            found = x;
            X509_up_ref(found);
            *is_signer = i == 0;
            break;
        }
    }
    sk_X509_pop_free(sk, X509_free);
    return found;
}

static OSSL_CMP_PKISI *cb_cert_request(OSSL_CMP_SRV_CTX *srv,
                                       const OSSL_CMP_MSG *req, int certReqId,
                                       const OSSL_CRMF_MSG *crm,
                                       const X509_REQ *p10cr, X509 **certOut,
                                       STACK_OF(X509) **chainOut,
                                       STACK_OF(X509) **caPubs)
{
    struct txn *t = OSSL_CMP_SRV_CTX_get0_custom_ctx(srv);
    int body = OSSL_CMP_MSG_get_bodytype(req);
    struct issue_params ip;
    STACK_OF(X509_EXTENSION) *p10exts = NULL;
    X509 *old = NULL, *cert = NULL;
    OSSL_CMP_PKISI *si = NULL;
    char why[128];

    (void)certReqId;
    *certOut = NULL;
    *chainOut = NULL;
    *caPubs = NULL;
    memset(&ip, 0, sizeof(ip));

    if (!waiting_over(t)) {
        if (t->cert_req == NULL)
            t->cert_req = OSSL_CMP_MSG_dup(req);
        if (t->cert_req == NULL)
            return reject(t, OSSL_CMP_PKIFAILUREINFO_systemFailure,
                          "out of memory");
        decide(t, "waiting");
        return OSSL_CMP_STATUSINFO_new(OSSL_CMP_PKISTATUS_waiting, 0,
                                       "waiting for approval");
    }
    if (p10cr != NULL) {
        ip.pubkey = X509_REQ_get_pubkey((X509_REQ *)p10cr);
        ip.subject = X509_REQ_get_subject_name(p10cr);
        p10exts = X509_REQ_get_extensions((X509_REQ *)p10cr);
        ip.req_exts = p10exts;
    } else if (crm != NULL) {
        const OSSL_CRMF_CERTTEMPLATE *tmpl =
            OSSL_CRMF_MSG_get0_tmpl((OSSL_CRMF_MSG *)crm);

        if (tmpl == NULL) {
            si = reject(t, OSSL_CMP_PKIFAILUREINFO_badCertTemplate,
                        "no certificate template");
            goto done;
        }
        ip.pubkey = der_template_pubkey(tmpl);
        ip.subject = OSSL_CRMF_CERTTEMPLATE_get0_subject(tmpl);
        ip.req_exts = OSSL_CRMF_CERTTEMPLATE_get0_extensions(tmpl);
    } else {
        si = reject(t, OSSL_CMP_PKIFAILUREINFO_badRequest, "no request");
        goto done;
    }
    if (ip.pubkey == NULL) {
        si = reject(t, OSSL_CMP_PKIFAILUREINFO_badCertTemplate,
                    "no usable public key in the request");
        goto done;
    }
    if (body == BT_KUR) {
        long long left;
        int signer = 0;

        old = crm != NULL ? find_old_cert(req, crm, &signer) : NULL;
        if (old == NULL) {
            si = reject(t, OSSL_CMP_PKIFAILUREINFO_badCertId,
                        "certificate to update not found in extraCerts");
            goto done;
        }
        if (!signer) {
            si = reject(t, OSSL_CMP_PKIFAILUREINFO_notAuthorized,
                        "key update not protected with the certificate to update");
            goto done;
        }
        if (X509_check_issued(g_cfg.ca_cert, old) != X509_V_OK
            || X509_verify(old, X509_get0_pubkey(g_cfg.ca_cert)) != 1) {
            si = reject(t, OSSL_CMP_PKIFAILUREINFO_badCertId,
                        "certificate to update not issued by this CA");
            goto done;
        }
        left = testca_seconds_left(old);
        if (g_cfg.refuse_days >= 0 && left > (long long)g_cfg.refuse_days * 86400) {
            char text[256];

            refuse_text(text, sizeof(text), g_cfg.refuse_days);
            si = reject(t, OSSL_CMP_PKIFAILUREINFO_notAuthorized, text);
            decide(t, "%lld days left", left / 86400);
            goto done;
        }
        ip.subject = X509_get_subject_name(old);
        ip.old_cert = old;
    } else if (ip.subject == NULL || X509_NAME_entry_count(ip.subject) == 0) {
        si = reject(t, OSSL_CMP_PKIFAILUREINFO_badCertTemplate,
                    "no subject in the request");
        goto done;
    }
    if (testca_misbehave_is_cert(g_cfg.misbehave)
        && t->msgno >= g_cfg.misbehave_after) {
        ip.misbehave = g_cfg.misbehave;
        decide(t, "misbehave %s", testca_misbehave_name(g_cfg.misbehave));
    }
    cert = testca_issue(&ip, why, sizeof(why));
    if (cert == NULL) {
        si = reject(t, OSSL_CMP_PKIFAILUREINFO_systemFailure, why);
        goto done;
    }
    if (body == BT_IR) {
        *caPubs = sk_X509_new_null();
        if (*caPubs != NULL && sk_X509_push(*caPubs, g_cfg.ca_cert))
            X509_up_ref(g_cfg.ca_cert);
    }
    {
        char *subj = X509_NAME_oneline(X509_get_subject_name(cert), NULL, 0);
        char *ser = i2s_ASN1_INTEGER(NULL, X509_get0_serialNumber(cert));

        decide(t, "issued serial=%s subject=%s days=%lld",
               ser != NULL ? ser : "?", subj != NULL ? subj : "?",
               testca_seconds_left(cert) / 86400);
        OPENSSL_free(subj);
        OPENSSL_free(ser);
    }
    *certOut = cert;
    t->issued_now = 1;
    si = OSSL_CMP_STATUSINFO_new(OSSL_CMP_PKISTATUS_accepted, 0, NULL);
done:
    EVP_PKEY_free(ip.pubkey);
    X509_free(old);
    sk_X509_EXTENSION_pop_free(p10exts, X509_EXTENSION_free);
    return si;
}

static OSSL_CMP_PKISI *cb_rr(OSSL_CMP_SRV_CTX *srv, const OSSL_CMP_MSG *req,
                             const X509_NAME *issuer, const ASN1_INTEGER *serial)
{
    struct txn *t = OSSL_CMP_SRV_CTX_get0_custom_ctx(srv);

    (void)req;
    (void)issuer;
    (void)serial;
    return reject(t, OSSL_CMP_PKIFAILUREINFO_notAuthorized,
                  "revocation is not offered by this CA");
}

static int cb_genm(OSSL_CMP_SRV_CTX *srv, const OSSL_CMP_MSG *req,
                   const STACK_OF(OSSL_CMP_ITAV) *in,
                   STACK_OF(OSSL_CMP_ITAV) **out)
{
    struct txn *t = OSSL_CMP_SRV_CTX_get0_custom_ctx(srv);

    (void)req;
    (void)in;
    *out = NULL;
    decide(t, "genm refused");
    return 0;
}

static void cb_error(OSSL_CMP_SRV_CTX *srv, const OSSL_CMP_MSG *req,
                     const OSSL_CMP_PKISI *statusInfo,
                     const ASN1_INTEGER *errorCode,
                     const OSSL_CMP_PKIFREETEXT *errDetails)
{
    struct txn *t = OSSL_CMP_SRV_CTX_get0_custom_ctx(srv);
    char buf[200] = "";

    (void)req;
    (void)errorCode;
    if (statusInfo != NULL)
        OSSL_CMP_snprint_PKIStatusInfo(statusInfo, buf, sizeof(buf));
    decide(t, "client error: %s%s", buf,
           errDetails != NULL && sk_ASN1_UTF8STRING_num(errDetails) > 0
           ? " (with details)" : "");
    t->finished = 1;
}

static int cb_certconf(OSSL_CMP_SRV_CTX *srv, const OSSL_CMP_MSG *req,
                       int certReqId, const ASN1_OCTET_STRING *certHash,
                       const OSSL_CMP_PKISI *si)
{
    struct txn *t = OSSL_CMP_SRV_CTX_get0_custom_ctx(srv);
    char buf[200] = "accepted";

    (void)req;
    (void)certReqId;
    (void)certHash;
    if (si != NULL)
        OSSL_CMP_snprint_PKIStatusInfo(si, buf, sizeof(buf));
    decide(t, "certConf %s", buf);
    t->finished = 1;
    return 1;
}

static int cb_pollreq(OSSL_CMP_SRV_CTX *srv, const OSSL_CMP_MSG *req,
                      int certReqId, OSSL_CMP_MSG **certReq,
                      int64_t *check_after)
{
    struct txn *t = OSSL_CMP_SRV_CTX_get0_custom_ctx(srv);

    (void)req;
    (void)certReqId;
    *certReq = NULL;
    *check_after = 0;
    if (t->cert_req == NULL) {
        decide(t, "pollReq without a pending request");
        return 0;
    }
    if (waiting_over(t)) {
        *certReq = OSSL_CMP_MSG_dup(t->cert_req);
        decide(t, "approved after %lds", (long)(time(NULL) - t->first));
        return *certReq != NULL;
    }
    *check_after = g_cfg.check_after;
    decide(t, "pollRep checkAfter=%d", g_cfg.check_after);
    return 1;
}

/* OpenSSL's last complaint while processing (for the log line) */
static char g_last_complaint[200];

static int log_cb(const char *func, const char *file, int line,
                  OSSL_CMP_severity level, const char *msg)
{
    (void)file;
    (void)line;
    if (level <= OSSL_CMP_LOG_WARNING && msg != NULL)
        snprintf(g_last_complaint, sizeof(g_last_complaint), "%s", msg);
    if (g_cfg.verbose)
        testca_msg("openssl[%d] %s: %s", level, func != NULL ? func : "", msg);
    return 1;
}

static struct txn *txn_new(const ASN1_OCTET_STRING *tid, int shadow)
{
    struct txn *t = calloc(1, sizeof(*t));
    OSSL_CMP_CTX *ctx;
    X509_STORE *store = NULL;
    STACK_OF(X509) *extra = NULL;

    if (t == NULL)
        return NULL;
    t->first = t->last = time(NULL);
    t->force_issue = shadow;
    if (tid != NULL && (size_t)ASN1_STRING_length(tid) <= sizeof(t->tid)) {
        t->tidlen = (size_t)ASN1_STRING_length(tid);
        memcpy(t->tid, ASN1_STRING_get0_data(tid), t->tidlen);
    }
    t->srv = OSSL_CMP_SRV_CTX_new(NULL, NULL);
    if (t->srv == NULL
        || !OSSL_CMP_SRV_CTX_init(t->srv, t, cb_cert_request, cb_rr, cb_genm,
                                  cb_error, cb_certconf, cb_pollreq))
        goto fail;
    ctx = OSSL_CMP_SRV_CTX_get0_cmp_ctx(t->srv);
    store = X509_STORE_new();
    extra = sk_X509_new_null();
    if (ctx == NULL || store == NULL || extra == NULL
        || !X509_STORE_add_cert(store, g_cfg.ca_cert)
        || !OSSL_CMP_CTX_set0_trustedStore(ctx, store))
        goto fail;
    store = NULL;
    if (!sk_X509_push(extra, g_cfg.ca_cert)
        || !OSSL_CMP_CTX_set1_extraCertsOut(ctx, extra)
        || !OSSL_CMP_CTX_set1_cert(ctx, g_cfg.ca_cert)
        || !OSSL_CMP_CTX_set1_pkey(ctx, g_cfg.ca_key)
        || !OSSL_CMP_CTX_set_log_cb(ctx, log_cb)
        || !OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_IGNORE_KEYUSAGE, 1)
        || !OSSL_CMP_SRV_CTX_set_grant_implicit_confirm(t->srv, 1)
        || !OSSL_CMP_SRV_CTX_set_accept_unprotected(t->srv, shadow))
        goto fail;
    sk_X509_free(extra);
    extra = NULL;
    if (g_cfg.secret != NULL
        && !OSSL_CMP_CTX_set1_secretValue(ctx,
                                          (const unsigned char *)g_cfg.secret,
                                          (int)strlen(g_cfg.secret)))
        goto fail;
    return t;
fail:
    X509_STORE_free(store);
    sk_X509_free(extra);
    OSSL_CMP_SRV_CTX_free(t->srv);
    free(t);
    return NULL;
}

static void txn_free(struct txn *t)
{
    if (t == NULL)
        return;
    OSSL_CMP_MSG_free(t->cert_req);
    OSSL_CMP_SRV_CTX_free(t->srv);
    free(t);
}

static void txn_unlink(struct txn *t)
{
    struct txn **pp;

    for (pp = &g_txns; *pp != NULL; pp = &(*pp)->next)
        if (*pp == t) {
            *pp = t->next;
            return;
        }
}

static void txn_expire(void)
{
    struct txn **pp = &g_txns;
    time_t now = time(NULL);
    int n = 0;

    while (*pp != NULL) {
        struct txn *t = *pp;

        if (now - t->last > g_cfg.txn_timeout || ++n > 1000) {
            *pp = t->next;
            txn_free(t);
        } else {
            pp = &t->next;
        }
    }
}

static struct txn *txn_find(const ASN1_OCTET_STRING *tid)
{
    struct txn *t;

    if (tid == NULL)
        return NULL;
    for (t = g_txns; t != NULL; t = t->next)
        if (t->tidlen == (size_t)ASN1_STRING_length(tid)
            && memcmp(t->tid, ASN1_STRING_get0_data(tid), t->tidlen) == 0)
            return t;
    return NULL;
}

static void hex(char *out, size_t outlen, const unsigned char *p, size_t n)
{
    size_t i;

    out[0] = '\0';
    for (i = 0; i < n && 2 * i + 2 < outlen; i++)
        snprintf(out + 2 * i, 3, "%02X", p[i]);
}

static void add_openssl_error(struct txn *t)
{
    unsigned long e = ERR_peek_last_error();

    if (e != 0) {
        char buf[160];

        ERR_error_string_n(e, buf, sizeof(buf));
        decide(t, "%s", buf);
    }
}

/* Run req through t; returns the answer or NULL. */
static OSSL_CMP_MSG *run(struct txn *t, const OSSL_CMP_MSG *req)
{
    OSSL_CMP_MSG *rsp;

    t->issued_now = 0;
    g_last_complaint[0] = '\0';
    ERR_clear_error();
    rsp = OSSL_CMP_SRV_process_request(t->srv, req);
    if (rsp == NULL || OSSL_CMP_MSG_get_bodytype(rsp) == BT_ERROR)
        add_openssl_error(t);
    if ((rsp == NULL || OSSL_CMP_MSG_get_bodytype(rsp) == BT_ERROR
         || t->decision[0] == '\0') && g_last_complaint[0] != '\0')
        decide(t, "openssl: %s", g_last_complaint);
    ERR_clear_error();
    return rsp;
}

/* other-transaction: the same request, re-identified and unprotected, through
 * a throw-away context: a correctly signed answer with another tid/nonce. */
static OSSL_CMP_MSG *other_transaction(const unsigned char *req, size_t reqlen,
                                       struct txn *t)
{
    size_t n = 0;
    unsigned char *der = der_msg_unprotect_retid(req, reqlen, &n);
    const unsigned char *q = der;
    OSSL_CMP_MSG *msg = der != NULL ? d2i_OSSL_CMP_MSG(NULL, &q, (long)n) : NULL;
    OSSL_CMP_MSG *rsp = NULL;
    struct txn *s;

    free(der);
    if (msg == NULL)
        return NULL;
    s = txn_new(OSSL_CMP_HDR_get0_transactionID(OSSL_CMP_MSG_get0_header(msg)), 1);
    if (s != NULL) {
        s->msgno = 0;
        rsp = run(s, msg);
        decide(t, "misbehave other-transaction (%s)",
               rsp != NULL ? body_name(OSSL_CMP_MSG_get_bodytype(rsp)) : "none");
        txn_free(s);
    }
    OSSL_CMP_MSG_free(msg);
    return rsp;
}

int testca_cmp_handle(const unsigned char *reqder, size_t reqlen,
                      const char *peer, unsigned char **out, size_t *outlen,
                      enum testca_misbehave *mb_now)
{
    const unsigned char *q = reqder;
    OSSL_CMP_MSG *req, *rsp = NULL;
    const ASN1_OCTET_STRING *tid;
    struct txn *t, *tmp = NULL;
    char tidhex[2 * 64 + 1] = "-";
    int body, rbody, ok = 0, n;
    unsigned char *der = NULL;

    *out = NULL;
    *outlen = 0;
    *mb_now = MB_NONE;
    pthread_mutex_lock(&g_lock);
    g_msgcount++;
    req = d2i_OSSL_CMP_MSG(NULL, &q, (long)reqlen);
    if (req == NULL || q != reqder + reqlen) {
        ERR_clear_error();      /* the HTTP layer logs the 400 */
        goto unlock;
    }
    body = OSSL_CMP_MSG_get_bodytype(req);
    tid = OSSL_CMP_HDR_get0_transactionID(OSSL_CMP_MSG_get0_header(req));
    if (tid != NULL)
        hex(tidhex, sizeof(tidhex), ASN1_STRING_get0_data(tid),
            (size_t)ASN1_STRING_length(tid));
    txn_expire();
    t = txn_find(tid);
    if (t == NULL) {
        int starts = body == BT_IR || body == BT_CR || body == BT_P10CR
                     || body == BT_KUR || body == BT_RR || body == BT_GENM;

        t = tmp = txn_new(tid, 0);
        if (t != NULL && starts && tid != NULL && t->tidlen > 0) {
            t->next = g_txns;
            g_txns = t;
            tmp = NULL;
        }
    }
    if (t == NULL) {
        testca_log("peer=%s msg=%ld tid=%s body=%s decision=http 500 (no context)",
                   peer, g_msgcount, tidhex, body_name(body));
        goto unlock;
    }
    t->last = time(NULL);
    t->msgno = g_msgcount;
    t->decision[0] = '\0';
    rsp = run(t, req);
    if (rsp == NULL) {
        testca_log("peer=%s msg=%ld tid=%s body=%s decision=no answer: %s",
                   peer, g_msgcount, tidhex, body_name(body), t->decision);
        goto done;
    }
    rbody = OSSL_CMP_MSG_get_bodytype(rsp);
    if (t->issued_now && g_cfg.misbehave != MB_NONE
        && !testca_misbehave_is_cert(g_cfg.misbehave)
        && g_msgcount >= g_cfg.misbehave_after) {
        *mb_now = g_cfg.misbehave;
        if (g_cfg.misbehave == MB_OTHER_TRANSACTION) {
            OSSL_CMP_MSG *alt = other_transaction(reqder, reqlen, t);

            if (alt != NULL) {
                OSSL_CMP_MSG_free(rsp);
                rsp = alt;
            }
            *mb_now = MB_NONE;
        } else {
            decide(t, "misbehave %s", testca_misbehave_name(g_cfg.misbehave));
        }
    }
    n = i2d_OSSL_CMP_MSG(rsp, &der);
    if (n <= 0)
        goto done;
    *out = malloc((size_t)n);
    if (*out == NULL)
        goto done;
    memcpy(*out, der, (size_t)n);
    *outlen = (size_t)n;
    ok = 1;
    testca_log("peer=%s msg=%ld tid=%s body=%s answer=%s decision=%s",
               peer, g_msgcount, tidhex, body_name(body), body_name(rbody),
               t->decision[0] != '\0' ? t->decision : "-");
    if (tmp == NULL && (t->finished || rbody == BT_PKICONF || rbody == BT_ERROR
                        || rbody == BT_RP || rbody == BT_GENP)) {
        txn_unlink(t);
        txn_free(t);
    }
done:
    OPENSSL_free(der);
    OSSL_CMP_MSG_free(rsp);
    txn_free(tmp);
unlock:
    OSSL_CMP_MSG_free(req);
    pthread_mutex_unlock(&g_lock);
    return ok;
}

int testca_cmp_init(void)
{
    return 1;
}

void testca_cmp_cleanup(void)
{
    pthread_mutex_lock(&g_lock);
    while (g_txns != NULL) {
        struct txn *t = g_txns;

        g_txns = t->next;
        txn_free(t);
    }
    testca_mb_cleanup();
    pthread_mutex_unlock(&g_lock);
}
