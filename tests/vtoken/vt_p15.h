/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PKCS#15 (ISO/IEC 7816-15) DER pieces of the layout OpenSC's entersafe
 * profiles write, shared by the FTCOS and ePass2003 personalisations: the
 * application lives in DF 3F00/5015 and every path below is absolute under
 * it. Built with vt_der.h; each function appends to o (or out) and returns
 * 0, or -1 on ENOMEM / a value too large. What differs between the card
 * OSes (file sizes, access conditions, key references, key file paths,
 * TokenInfo flags) is a parameter. */
#ifndef VT_P15_H
#define VT_P15_H

#include "vtoken.h"

/* The PKCS#15 application identifier A0 00 00 00 63 "PKCS-15". */
extern const uint8_t vt_p15_aid[12];
/* Path of the application DF: 3F00/5015. */
extern const uint8_t vt_p15_app_path[4];

/* The DER contents of the application's directory files, built by the
 * functions below: ODF (5031), TokenInfo (5032), AODF (4401), PrKDF
 * (4402), PuKDF (4403), CDF (4404). Start zeroed; vt_p15_files_free frees
 * all six (any of them may be empty). */
typedef struct {
	vt_buf odf, token_info, aodf, prkdf, pukdf, cdf;
} vt_p15_files;
void vt_p15_files_free(vt_p15_files *f);

/* EF.DIR record: 61 { 4F aid, 50 label, 51 3F005015 }. */
int vt_p15_dir_record(vt_buf *out, const char *label);

/* ODF: AODF (A8) 5015/4401; with a key also PrKDF (A0) 4402, PuKDF (A1)
 * 4403 and CDF (A4) 4404, each as a Path. */
int vt_p15_odf(vt_buf *o, int with_key);

/* TokenInfo: SEQUENCE { version 0, serialNumber (8 bytes, OCTET STRING),
 * manufacturerID, label [0], tokenflags BIT STRING (one byte with `unused`
 * unused bits), lastUpdate [5] GeneralizedTime = now (the change marker a
 * host may key its directory cache on) }. */
int vt_p15_token_info(vt_buf *o, const uint8_t serial[8],
		      const char *manufacturer, const char *label,
		      uint8_t unused, uint8_t flags);

/* The directory entries below are PKCS#15 objects: SEQUENCE {
 * CommonObjectAttributes { label, flags BIT STRING with 6 unused bits (C0
 * = private + modifiable, 40 = modifiable), authId (one byte, if any) },
 * class attributes SEQUENCE, [1] { type attributes SEQUENCE } }. */

/* AODF entry of a PIN: authId id, PinAttributes { flags local, initialized,
 * needs-padding (puk: + unblockingPin), ascii-numeric, min 4, stored 16,
 * max 16, pinReference ref, padChar 00, path 3F00/5015 }. */
int vt_p15_aodf_pin(vt_buf *o, const char *label, uint8_t id, uint8_t ref,
		    int puk);

/* PrKDF (priv) / PuKDF entry of the RSA key with id 01 ("Private Key" /
 * "Public Key"): private usage sign, decrypt, signRecover, nonRepudiation
 * (74) and access sensitive, alwaysSensitive, neverExtractable, local
 * (B8), protected by auth_id (0: none); public usage encrypt, verify,
 * verifyRecover, wrap (8B), not native; keyReference key_ref, then the key
 * file's path (pathlen bytes) and the modulus length in bits. */
int vt_p15_key_entry(vt_buf *o, int priv, unsigned bits, int auth_id,
		     unsigned key_ref, const uint8_t *path, size_t pathlen);

/* CDF entry "Certificate", id 01, in 3F00/5015/3100. */
int vt_p15_cert_entry(vt_buf *o);

#endif
