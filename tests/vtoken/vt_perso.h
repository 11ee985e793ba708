/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pieces of `ukey-vtoken init` that do not depend on the card OS, shared
 * by the Feitian emulations (FTCOS and ePass2003): the --serial option and
 * the card certificate. What goes where on the card stays in each OS's
 * vt_os_*_perso.c / _espk.c. */
#ifndef VT_PERSO_H
#define VT_PERSO_H

#include <openssl/evp.h>

#include "vtoken.h"

/* --serial: up to 16 hex digits (an even number), right-aligned in the
 * 8-byte serial, zero-filled on the left ("ABCD" -> 00..00 AB CD). 0 ok,
 * -1 with a message on stderr when s is empty, too long, odd or not hex
 * (out then undefined). */
int vt_perso_serial(const char *s, uint8_t out[8]);

/* The body of a transparent EF of size bytes (at most 0xFFFF) that starts
 * with content (clen <= size bytes), zero-filled after it: calloc'd (one
 * byte for an empty EF), the caller's to free. NULL when a size is out of
 * range or on ENOMEM. */
uint8_t *vt_perso_ef_body(size_t size, const uint8_t *content, size_t clen);

/* The layouts `init --layout` offers on the Feitian card OSes. */
enum { VT_LAYOUT_PKCS15, VT_LAYOUT_ESPK };
/* --layout: NULL or "pkcs15" -> VT_LAYOUT_PKCS15 (what OpenSC's
 * pkcs15-init writes), "espk" -> VT_LAYOUT_ESPK (the vendor's
 * ENTERSAFE-ESPK); -1 with a message on stderr for any other name. */
int vt_perso_layout(const char *layout);

/* The card's X.509 v3 certificate for public key pub, DER in *der
 * (OPENSSL_malloc'd, *dlen bytes):
 *   subject CN = p->subject_cn, or default_cn when there is none;
 *   serial number 120 random bits (top bit set);
 *   notAfter = now + p->days_left days (default 365), notBefore = notAfter
 *   - p->days_valid days (default days_left + 1: valid since yesterday);
 *   signed with SHA-256 by the CA of p->ca_cert_path / p->ca_key_path (both
 *   or neither) as issuer, else self-signed with own_key (the card's
 *   private key; may be NULL only when a CA is given).
 * 0 ok, -1 with a message on stderr. pub and own_key stay the caller's. */
int vt_perso_cert(const vt_init_params *p, EVP_PKEY *pub, EVP_PKEY *own_key,
		  const char *default_cn, uint8_t **der, size_t *dlen);

/* The subject Name of a DER certificate, DER-encoded in *subj
 * (OPENSSL_malloc'd). Returns its length, or -1 (*subj NULL) when the
 * certificate cannot be parsed. */
int vt_perso_cert_subject(const uint8_t *cert, size_t len, unsigned char **subj);

#endif
