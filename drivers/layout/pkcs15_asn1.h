/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/layout/pkcs15_asn1.h — PKCS#15 (ISO 7816-15) structures as
 * OpenSSL ASN.1 templates, limited to what OpenSC's entersafe profile and
 * we write: ODF, TokenInfo, PIN objects, RSA key objects, X.509 certificate
 * objects and opaque data objects, all referring to files by Path.
 */
#ifndef UKEY_PKCS15_ASN1_H
#define UKEY_PKCS15_ASN1_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/asn1t.h>

/* Path ::= SEQUENCE { path OCTET STRING, index INTEGER OPTIONAL,
 *                     length [0] INTEGER OPTIONAL } */
typedef struct {
	ASN1_OCTET_STRING *path;
	ASN1_INTEGER *index;
	ASN1_INTEGER *length;
} P15_PATH;
DECLARE_ASN1_FUNCTIONS(P15_PATH)

/* ODF entry: [n] EXPLICIT Path, n = P15_DF_* below. */
typedef struct {
	int type;
	union {
		P15_PATH *path;
	} d;
} P15_ODF_ENTRY;
DECLARE_ASN1_FUNCTIONS(P15_ODF_ENTRY)

enum {
	P15_DF_PRKDF = 0, P15_DF_PUKDF = 1, P15_DF_PUKDF_TRUSTED = 2,
	P15_DF_SKDF = 3, P15_DF_CDF = 4, P15_DF_CDF_TRUSTED = 5,
	P15_DF_CDF_USEFUL = 6, P15_DF_DODF = 7, P15_DF_AODF = 8,
	P15_DF_COUNT = 9
};

typedef struct {
	ASN1_INTEGER *version;
	ASN1_OCTET_STRING *serial;
	ASN1_UTF8STRING *manufacturer;
	ASN1_UTF8STRING *label;
	ASN1_BIT_STRING *flags;
	ASN1_STRING *se_info;        /* raw, kept for re-encoding */
	ASN1_TYPE *record_info;
	ASN1_TYPE *algorithms;
	ASN1_OCTET_STRING *issuer_id;
	ASN1_OCTET_STRING *holder_id;
	ASN1_TYPE *last_update;
	ASN1_PRINTABLESTRING *language;
} P15_TOKENINFO;
DECLARE_ASN1_FUNCTIONS(P15_TOKENINFO)

/* CommonObjectAttributes */
typedef struct {
	ASN1_UTF8STRING *label;
	ASN1_BIT_STRING *flags;      /* bit 0 private, bit 1 modifiable */
	ASN1_OCTET_STRING *auth_id;
	ASN1_INTEGER *user_consent;
	ASN1_STRING *acl;            /* raw SEQUENCE */
} P15_COMMON_OBJ;
DECLARE_ASN1_FUNCTIONS(P15_COMMON_OBJ)

/* CommonKeyAttributes */
typedef struct {
	ASN1_OCTET_STRING *id;
	ASN1_BIT_STRING *usage;
	int native;                  /* DEFAULT TRUE */
	ASN1_BIT_STRING *access;
	ASN1_INTEGER *key_ref;
	ASN1_GENERALIZEDTIME *start_date;
	ASN1_GENERALIZEDTIME *end_date;
} P15_COMMON_KEY;
DECLARE_ASN1_FUNCTIONS(P15_COMMON_KEY)

/* Private/PublicRSAKeyAttributes: value (Path), modulusLength */
typedef struct {
	P15_PATH *value;
	ASN1_INTEGER *modulus_bits;
} P15_RSA_ATTR;
DECLARE_ASN1_FUNCTIONS(P15_RSA_ATTR)

/* PrivateKeyObject / PublicKeyObject {RSA} */
typedef struct {
	P15_COMMON_OBJ *common;
	P15_COMMON_KEY *key;
	ASN1_STRING *subclass;       /* [0] raw SEQUENCE, e.g. subjectName */
	P15_RSA_ATTR *rsa;           /* [1] */
} P15_KEY_OBJ;
DECLARE_ASN1_FUNCTIONS(P15_KEY_OBJ)

/* CommonCertificateAttributes */
typedef struct {
	ASN1_OCTET_STRING *id;
	int authority;               /* DEFAULT FALSE */
	ASN1_STRING *identifier;     /* raw SEQUENCE */
} P15_COMMON_CERT;
DECLARE_ASN1_FUNCTIONS(P15_COMMON_CERT)

/* X509CertificateAttributes: value (Path) + raw optional rest */
typedef struct {
	P15_PATH *value;
	ASN1_STRING *subject;        /* raw Name */
	ASN1_STRING *issuer;         /* [0] raw Name */
	ASN1_INTEGER *serial;
} P15_X509_ATTR;
DECLARE_ASN1_FUNCTIONS(P15_X509_ATTR)

typedef struct {
	P15_COMMON_OBJ *common;
	P15_COMMON_CERT *cert;
	ASN1_STRING *subclass;
	P15_X509_ATTR *x509;
} P15_CERT_OBJ;
DECLARE_ASN1_FUNCTIONS(P15_CERT_OBJ)

/* CommonDataObjectAttributes */
typedef struct {
	ASN1_UTF8STRING *app_name;
	ASN1_OBJECT *app_oid;
} P15_COMMON_DATA;
DECLARE_ASN1_FUNCTIONS(P15_COMMON_DATA)

typedef struct {
	P15_COMMON_OBJ *common;
	P15_COMMON_DATA *data;
	ASN1_STRING *subclass;
	P15_PATH *value;             /* [1] Opaque ObjectValue: a Path */
} P15_DATA_OBJ;
DECLARE_ASN1_FUNCTIONS(P15_DATA_OBJ)

/* PinAttributes */
typedef struct {
	ASN1_BIT_STRING *flags;
	ASN1_ENUMERATED *type;
	ASN1_INTEGER *min_len;
	ASN1_INTEGER *stored_len;
	ASN1_INTEGER *max_len;
	ASN1_INTEGER *reference;     /* [0] */
	ASN1_OCTET_STRING *pad_char;
	ASN1_GENERALIZEDTIME *last_change;
	P15_PATH *path;
} P15_PIN_ATTR;
DECLARE_ASN1_FUNCTIONS(P15_PIN_ATTR)

typedef struct {
	ASN1_OCTET_STRING *auth_id;
	ASN1_INTEGER *auth_ref;
} P15_COMMON_AUTH;
DECLARE_ASN1_FUNCTIONS(P15_COMMON_AUTH)

typedef struct {
	P15_COMMON_OBJ *common;
	P15_COMMON_AUTH *auth;
	ASN1_STRING *subclass;
	P15_PIN_ATTR *pin;           /* [1] */
} P15_PIN_OBJ;
DECLARE_ASN1_FUNCTIONS(P15_PIN_OBJ)

/* PinFlags bits */
#define P15_PIN_FLAG_LOCAL        1
#define P15_PIN_FLAG_INITIALIZED  4
#define P15_PIN_FLAG_NEEDS_PAD    5
#define P15_PIN_FLAG_UNBLOCKING   6
#define P15_PIN_FLAG_SO           7

/* KeyUsageFlags bits */
#define P15_USAGE_ENCRYPT     0
#define P15_USAGE_DECRYPT     1
#define P15_USAGE_SIGN        2
#define P15_USAGE_SIGNRECOVER 3
#define P15_USAGE_WRAP        4
#define P15_USAGE_UNWRAP      5
#define P15_USAGE_VERIFY      6
#define P15_USAGE_VERIFYRECOVER 7
#define P15_USAGE_DERIVE      8
#define P15_USAGE_NONREP      9

/* ---- helpers over the contents of a directory file (DER values
 * followed by zero or FF padding) ---- */

/* Length of the DER content of a directory file: 0 when it is empty, the
 * offset of the first padding byte, or (*need_more = 1) when the buffer
 * ends inside a value. Returns -1 on garbage. */
long p15_used_length(const uint8_t *buf, size_t len, int *need_more);

/* Next top-level element: *off advances; returns 1 and sets el and ellen, 0 at
 * the end (padding or end of buffer), -1 on garbage. */
int p15_next_element(const uint8_t *buf, size_t len, size_t *off,
		     const uint8_t **el, size_t *ellen);

/* ASN.1 helpers */
long p15_int(const ASN1_INTEGER *i, long def); /* def if NULL/out of range */
int p15_bit(const ASN1_BIT_STRING *b, int n);
/* Copy an ASN1 string into a NUL-terminated buffer (truncating safely on a
 * UTF-8 boundary). */
void p15_str(const ASN1_STRING *s, char *out, size_t outsz);

/* ---- encoders of what OpenSC 0.23's entersafe profile writes (see
 * opensc-entersafe-full-flow.trace, MARK create / genkey) ---- */

/* TokenInfo flags bits */
#define P15_TOKEN_FLAG_READONLY       0
#define P15_TOKEN_FLAG_LOGIN_REQUIRED 1
#define P15_TOKEN_FLAG_PRN_GENERATION 2
#define P15_TOKEN_FLAG_EID_COMPLIANT  3

/* What `pkcs15-init -C` names the manufacturer of an entersafe token. */
#define P15_ENTERSAFE_MANUFACTURER "EnterSafe"

/* The OpenSC-Info file (EF 4946 in the application DF) and its contents:
 * [1] "pkcs15", the emulator-free marker OpenSC writes at -C. */
#define P15_OPENSC_INFO_FID 0x4946
extern const uint8_t p15_opensc_info[8];

/* TokenInfo DER { version 0, serial, manufacturer, [0] label, flags
 * eidCompliant, [5] lastUpdate GeneralizedTime(when) } into out; returns
 * its length, or -1 (bad arguments, or it does not fit outsz). */
long p15_tokeninfo_encode(const uint8_t *serial, size_t slen,
			  const char *manufacturer, const char *label,
			  size_t llen, time_t when, uint8_t *out, size_t outsz);

/* Seconds from the lastUpdate of TokenInfo DER `in` to `when` (negative if
 * lastUpdate is later): 0 and *age set, or -1 (no GeneralizedTime
 * lastUpdate, undecodable). */
int p15_tokeninfo_age(const uint8_t *in, size_t inlen, time_t when, long *age);
/* The TokenInfo DER `in` (its first value; padding after it ignored)
 * re-encoded with lastUpdate = when (or one second after the lastUpdate
 * already there, if that is not earlier), as OpenSC does after each change;
 * other fields kept. Returns the new length, or -1 (undecodable, or the
 * result does not fit outsz). */
long p15_tokeninfo_touch(const uint8_t *in, size_t inlen, time_t when,
			 uint8_t *out, size_t outsz);

/* KeyUsageFlags (bit n = 1u << P15_USAGE_*) of a private (pub = 0) or
 * public key for a UKEY_USAGE_* mask, as OpenSC maps X.509 usages:
 * sign -> sign+signRecover / verify+verifyRecover, decrypt ->
 * decrypt+unwrap / encrypt+wrap, nonRepudiation kept on its own. */
unsigned p15_key_usage_bits(unsigned ukey_usage, int pub);

/* One PrKDF (pub = 0) or PuKDF (pub = 1) RSA entry, as OpenSC writes for
 * a generated key: private+modifiable with authId (private) or modifiable
 * and native FALSE (public); access = KeyAccessFlags mask (private only,
 * 0 = omitted); key_ref; RSA value path and modulus bits. *der is malloc'd.
 * Returns the length or -1. */
long p15_rsa_key_entry_der(int pub, const char *label, const uint8_t *id,
			   size_t idlen, unsigned usage_bits,
			   unsigned access_bits, long key_ref, unsigned bits,
			   const uint8_t *path, size_t plen,
			   const uint8_t *auth, size_t alen, uint8_t **der);

#endif /* UKEY_PKCS15_ASN1_H */
