/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Certificate issuing, including the certificate-level misbehaviours. */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "testca.h"

long long testca_seconds_left(const X509 *cert)
{
    int days = 0, secs = 0;

    if (!ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(cert)))
        return 0;
    return (long long)days * 86400 + secs;
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX v3;
    X509_EXTENSION *ext;
    int ok;

    X509V3_set_ctx(&v3, issuer, cert, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    if (ext == NULL)
        return 0;
    ok = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return ok;
}

static int set_serial(X509 *cert)
{
    BIGNUM *bn = BN_new();
    int ok = bn != NULL && BN_rand(bn, 127, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY)
             && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != NULL;

    BN_free(bn);
    return ok;
}

static const EVP_MD *sign_md(EVP_PKEY *key)
{
    int id = EVP_PKEY_get_base_id(key);

    return id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448 ? NULL : EVP_sha256();
}

X509 *testca_issue(const struct issue_params *p, char *why, size_t whylen)
{
    enum testca_misbehave mb = p->misbehave;
    X509 *cert = X509_new();
    EVP_PKEY *pub = p->pubkey, *signkey = g_cfg.ca_key, *other = NULL;
    X509_NAME *issuer_name = X509_get_subject_name(g_cfg.ca_cert);
    X509_NAME *subj = NULL;
    time_t now = time(NULL);
    long nb = -60, na = (long)g_cfg.validity_days * 86400;
    int kid_cert = 1;

    snprintf(why, whylen, "internal error");
    if (cert == NULL || pub == NULL || p->subject == NULL)
        goto fail;
    if (mb == MB_OTHER_KEY) {
        other = testca_mb_other_key();
        if (other == NULL)
            goto fail;
        pub = other;
    } else if (mb == MB_WRONG_ISSUER) {
        if (!testca_mb_wrong_issuer(&issuer_name, &signkey))
            goto fail;
        kid_cert = 0;
    } else if (mb == MB_EXPIRED) {
        nb = -30L * 86400;
        na = -86400;
    } else if (mb == MB_SHORTER_VALIDITY) {
        long long left = p->old_cert != NULL
                         ? testca_seconds_left(p->old_cert) : 2 * 86400;

        na = (long)(left - 86400);
        if (na < 120)
            na = 120;
    }
    if (!X509_set_version(cert, X509_VERSION_3) || !set_serial(cert)
        || !X509_set_issuer_name(cert, issuer_name)
        || X509_time_adj_ex(X509_getm_notBefore(cert), 0, nb, &now) == NULL
        || X509_time_adj_ex(X509_getm_notAfter(cert), 0, na, &now) == NULL
        || !X509_set_pubkey(cert, pub))
        goto fail;
    if (mb == MB_OTHER_SUBJECT) {
        subj = X509_NAME_dup(p->subject);
        if (subj == NULL
            || !X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_ASC,
                                           (const unsigned char *)
                                           "ukey-testca other subject",
                                           -1, -1, 0))
            goto fail;
        if (!X509_set_subject_name(cert, subj))
            goto fail;
    } else if (!X509_set_subject_name(cert, (X509_NAME *)p->subject)) {
        goto fail;
    }
    if (!add_ext(cert, g_cfg.ca_cert, NID_basic_constraints, "critical,CA:FALSE")
        || !add_ext(cert, g_cfg.ca_cert, NID_key_usage,
                    EVP_PKEY_get_base_id(pub) == EVP_PKEY_RSA
                    ? "critical,digitalSignature,keyEncipherment"
                    : "critical,digitalSignature")
        || !add_ext(cert, g_cfg.ca_cert, NID_ext_key_usage, "clientAuth")
        || !add_ext(cert, g_cfg.ca_cert, NID_subject_key_identifier, "hash")
        || (kid_cert && !add_ext(cert, g_cfg.ca_cert,
                                 NID_authority_key_identifier, "keyid")))
        goto fail;
    /* subjectAltName: from the template, else from the old certificate */
    {
        const STACK_OF(X509_EXTENSION) *exts = p->req_exts;
        int i = exts != NULL ? X509v3_get_ext_by_NID(exts, NID_subject_alt_name, -1) : -1;

        if (i >= 0) {
            if (!X509_add_ext(cert, X509v3_get_ext(exts, i), -1))
                goto fail;
        } else if (p->old_cert != NULL) {
            i = X509_get_ext_by_NID(p->old_cert, NID_subject_alt_name, -1);
            if (i >= 0 && !X509_add_ext(cert, X509_get_ext(p->old_cert, i), -1))
                goto fail;
        }
    }
    if (X509_sign(cert, signkey, sign_md(signkey)) <= 0)
        goto fail;
    X509_NAME_free(subj);
    EVP_PKEY_free(other);
    why[0] = '\0';
    return cert;
fail:
    X509_NAME_free(subj);
    EVP_PKEY_free(other);
    X509_free(cert);
    return NULL;
}
