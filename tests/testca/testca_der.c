/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Minimal DER reading/rewriting for what OpenSSL 3.0 offers no getter for:
 * the public key of a CRMF template, a PKIMessage's extraCerts, and a
 * re-identified unprotected copy of a request (misbehave other-transaction). */
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "testca.h"

int der_next(const unsigned char *p, size_t n, struct der_tlv *out)
{
    size_t len, hl = 2;

    if (n < 2 || (p[0] & 0x1f) == 0x1f)
        return 0;
    if (p[1] < 0x80) {
        len = p[1];
    } else {
        size_t k = p[1] & 0x7f, i;

        if (k == 0 || k > 4 || n < 2 + k)
            return 0;
        len = 0;
        for (i = 0; i < k; i++)
            len = (len << 8) | p[2 + i];
        hl += k;
    }
    if (len > n - hl)
        return 0;
    out->tag = p[0];
    out->hdr = p;
    out->val = p + hl;
    out->len = len;
    out->total = hl + len;
    return 1;
}

int der_find_child(const struct der_tlv *parent, unsigned int tag,
                   struct der_tlv *out)
{
    const unsigned char *p = parent->val;
    size_t left = parent->len;
    struct der_tlv t;

    while (left > 0) {
        if (!der_next(p, left, &t))
            return 0;
        if (t.tag == tag) {
            *out = t;
            return 1;
        }
        p += t.total;
        left -= t.total;
    }
    return 0;
}

static size_t der_put_hdr(unsigned char *out, unsigned int tag, size_t len)
{
    size_t n = 0;

    out[n++] = (unsigned char)tag;
    if (len < 0x80) {
        out[n++] = (unsigned char)len;
    } else if (len < 0x100) {
        out[n++] = 0x81;
        out[n++] = (unsigned char)len;
    } else if (len < 0x10000) {
        out[n++] = 0x82;
        out[n++] = (unsigned char)(len >> 8);
        out[n++] = (unsigned char)len;
    } else {
        out[n++] = 0x83;
        out[n++] = (unsigned char)(len >> 16);
        out[n++] = (unsigned char)(len >> 8);
        out[n++] = (unsigned char)len;
    }
    return n;
}

EVP_PKEY *der_template_pubkey(const OSSL_CRMF_CERTTEMPLATE *tmpl)
{
    unsigned char *der = NULL, *spki = NULL;
    const unsigned char *q;
    struct der_tlv top, pk;
    EVP_PKEY *key = NULL;
    int n;

    n = i2d_OSSL_CRMF_CERTTEMPLATE((OSSL_CRMF_CERTTEMPLATE *)tmpl, &der);
    if (n <= 0)
        return NULL;
    if (!der_next(der, (size_t)n, &top) || top.tag != 0x30
        || !der_find_child(&top, 0xa6, &pk))
        goto done;
    /* [6] IMPLICIT SubjectPublicKeyInfo: same contents under a SEQUENCE */
    spki = malloc(pk.len + 8);
    if (spki == NULL)
        goto done;
    {
        size_t h = der_put_hdr(spki, 0x30, pk.len);

        memcpy(spki + h, pk.val, pk.len);
        q = spki;
        key = d2i_PUBKEY(NULL, &q, (long)(h + pk.len));
    }
done:
    free(spki);
    OPENSSL_free(der);
    return key;
}

STACK_OF(X509) *der_msg_extracerts(const unsigned char *der, size_t len)
{
    struct der_tlv top, ec, seq, c;
    STACK_OF(X509) *sk = NULL;
    const unsigned char *p;
    size_t left;

    if (!der_next(der, len, &top) || top.tag != 0x30
        || !der_find_child(&top, 0xa1, &ec)
        || !der_next(ec.val, ec.len, &seq) || seq.tag != 0x30)
        return NULL;
    sk = sk_X509_new_null();
    if (sk == NULL)
        return NULL;
    p = seq.val;
    left = seq.len;
    while (left > 0 && der_next(p, left, &c)) {
        const unsigned char *q = c.hdr;
        X509 *x = d2i_X509(NULL, &q, (long)c.total);

        if (x != NULL && !sk_X509_push(sk, x))
            X509_free(x);
        p += c.total;
        left -= c.total;
    }
    return sk;
}

/* Copy the TLV, flipping the bytes of the OCTET STRING inside [n] EXPLICIT. */
static size_t copy_flipped(unsigned char *out, const struct der_tlv *t)
{
    struct der_tlv os;
    size_t i, off;

    memcpy(out, t->hdr, t->total);
    if (!der_next(t->val, t->len, &os) || os.tag != 0x04)
        return t->total;
    off = (size_t)(os.val - t->hdr);
    for (i = 0; i < os.len; i++)
        out[off + i] ^= 0x5a;
    return t->total;
}

unsigned char *der_msg_unprotect_retid(const unsigned char *der, size_t len,
                                       size_t *outlen)
{
    struct der_tlv top, hdr, t;
    unsigned char *hbuf = NULL, *out = NULL;
    const unsigned char *p;
    size_t left, hn = 0, bn = 0, h;

    if (!der_next(der, len, &top) || top.tag != 0x30
        || !der_next(top.val, top.len, &hdr) || hdr.tag != 0x30)
        return NULL;
    hbuf = malloc(hdr.total + 8);
    out = malloc(top.total + 16);
    if (hbuf == NULL || out == NULL)
        goto fail;
    /* header contents without protectionAlg, with tid and nonce flipped */
    p = hdr.val;
    left = hdr.len;
    while (left > 0) {
        if (!der_next(p, left, &t))
            goto fail;
        if (t.tag == 0xa4 || t.tag == 0xa5) {
            hn += copy_flipped(hbuf + 8 + hn, &t);
        } else if (t.tag != 0xa1) {
            memcpy(hbuf + 8 + hn, t.hdr, t.total);
            hn += t.total;
        }
        p += t.total;
        left -= t.total;
    }
    /* message contents: new header, body, extraCerts; no protection */
    h = der_put_hdr(out + 16, 0x30, hn);
    memcpy(out + 16 + h, hbuf + 8, hn);
    bn = h + hn;
    p = hdr.hdr + hdr.total;
    left = top.len - hdr.total;
    while (left > 0) {
        if (!der_next(p, left, &t))
            goto fail;
        if (t.tag != 0xa0) {
            memcpy(out + 16 + bn, t.hdr, t.total);
            bn += t.total;
        }
        p += t.total;
        left -= t.total;
    }
    {
        unsigned char tmp[8];
        size_t th = der_put_hdr(tmp, 0x30, bn);

        memmove(out + th, out + 16, bn);
        memcpy(out, tmp, th);
        *outlen = th + bn;
    }
    free(hbuf);
    return out;
fail:
    free(hbuf);
    free(out);
    return NULL;
}
