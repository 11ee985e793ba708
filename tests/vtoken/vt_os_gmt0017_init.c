/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GM/T 0017 virtual OS: personalisation (ukey-vtoken init --os gmt0017)
 * and the `show` summary. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "vt_os_gmt0017.h"
#include "vt_pem.h"

static int gm_init_fail(const char *why)
{
	fprintf(stderr, "gmt0017 init: %s\n", why);
	return -1;
}

static int gm_set_pin(gm_pin *pin, const char *text)
{
	size_t len = strlen(text);
	if (len < GM_PIN_MIN || len > GM_PIN_MAX)
		return -1;
	gm_pin_key((const uint8_t *)text, len, pin->key);
	pin->max = pin->left = GM_RETRY_DEFAULT;
	pin->is_default = 0; /* the owner's own PIN, from the secrets file */
	return 0;
}

static int gm_add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *val)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, val);
	int ok = e && X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok ? 0 : -1;
}

/* Certificate for `key`, issued by the CA (or self-signed). */
static X509 *gm_make_cert(EVP_PKEY *key, const vt_init_params *p)
{
	X509 *x = X509_new(), *ca = NULL;
	EVP_PKEY *cakey = NULL;
	BIGNUM *sn = BN_new();
	const char *why = "certificate creation failed";
	/* Same defaults as the FTCOS personalisation: 0 days left means a
	 * year; validity defaults to "started yesterday". */
	int days_left = p->days_left ? p->days_left : 365;
	int days_valid = p->days_valid > 0 ? p->days_valid
			 : days_left > 0 ? days_left + 1 : 365;
	time_t now = time(NULL);
	const char *cn = p->subject_cn ? p->subject_cn : "ukey test";
	if (!x || !sn)
		goto bad;
	if (p->ca_cert_path || p->ca_key_path) {
		if (!p->ca_cert_path || !p->ca_key_path) {
			why = "CA certificate and CA key must be given together";
			goto bad;
		}
		ca = vt_pem_read_cert(p->ca_cert_path);
		cakey = vt_pem_read_key(p->ca_key_path);
		if (!ca || !cakey) {
			why = "cannot read the CA certificate or key (PEM)";
			goto bad;
		}
		if (X509_check_private_key(ca, cakey) != 1) {
			why = "CA key does not match the CA certificate";
			goto bad;
		}
	}
	X509_NAME *name = X509_get_subject_name(x);
	if (!X509_set_version(x, 2) || !BN_rand(sn, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) ||
	    !BN_to_ASN1_INTEGER(sn, X509_get_serialNumber(x)) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), days_left, 0, &now) ||
	    !X509_time_adj_ex(X509_getm_notBefore(x), days_left - days_valid, 0, &now) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
					(const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_issuer_name(x, ca ? X509_get_subject_name(ca) : name) ||
	    !X509_set_pubkey(x, key))
		goto bad;
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, ca ? ca : x, x, NULL, NULL, 0);
	if (gm_add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") ||
	    gm_add_ext(x, &ctx, NID_key_usage,
		       "critical,digitalSignature,nonRepudiation") ||
	    gm_add_ext(x, &ctx, NID_subject_key_identifier, "hash") ||
	    /* AKID only when the CA has a key identifier to point to */
	    (ca && X509_get_ext_by_NID(ca, NID_subject_key_identifier, -1) >= 0 &&
	     gm_add_ext(x, &ctx, NID_authority_key_identifier, "keyid")))
		goto bad;
	if (X509_sign(x, ca ? cakey : key, EVP_sha256()) <= 0)
		goto bad;
	X509_free(ca);
	EVP_PKEY_free(cakey);
	BN_free(sn);
	return x;
bad:
	gm_init_fail(why);
	ERR_clear_error();
	X509_free(x);
	X509_free(ca);
	EVP_PKEY_free(cakey);
	BN_free(sn);
	return NULL;
}

static int gm_init_container(gm_app *a, const vt_init_params *p)
{
	gm_cont *k = &a->conts[0];
	memset(k, 0, sizeof(*k));
	k->used = 1;
	memcpy(k->name, GM_DEFAULT_CONT_NAME, strlen(GM_DEFAULT_CONT_NAME));
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)p->key_bits);
	if (!key)
		return gm_init_fail("RSA key generation failed");
	k->key[GM_SLOT_SIGN] = key;
	X509 *x = gm_make_cert(key, p);
	if (!x)
		return -1;
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);
	X509_free(x);
	if (n <= 0 || (size_t)n > GM_CERT_MAX) {
		OPENSSL_free(der);
		return gm_init_fail("certificate too large");
	}
	k->cert[GM_SLOT_SIGN] = malloc((size_t)n);
	if (!k->cert[GM_SLOT_SIGN]) {
		OPENSSL_free(der);
		return gm_init_fail("out of memory");
	}
	memcpy(k->cert[GM_SLOT_SIGN], der, (size_t)n);
	k->cert_len[GM_SLOT_SIGN] = (size_t)n;
	OPENSSL_free(der);
	return 0;
}

int gm_init(gm_state *st, const vt_init_params *p)
{
	const char *label = p->label ? p->label : "ukey token";
	if (p->layout && strcmp(p->layout, "skf") != 0)
		return gm_init_fail("layout must be \"skf\"");
	if (!gm_name_ok((const uint8_t *)label, strlen(label), GM_LABEL_MAX))
		return gm_init_fail("label must be 1-32 printable ASCII characters");
	if (p->serial && !gm_name_ok((const uint8_t *)p->serial,
				     strlen(p->serial), GM_SERIAL_MAX))
		return gm_init_fail("serial must be 1-32 printable ASCII characters");
	if (!p->so_pin)
		return gm_init_fail("an SO (admin) PIN is required");
	if (p->key_bits != 0 && p->key_bits != 1024 && p->key_bits != 2048)
		return gm_init_fail("key size must be 1024 or 2048 bits");

	/* Start from a blank device with the default device key. */
	for (int i = 0; i < GM_MAX_APPS; i++)
		gm_app_clear(&st->apps[i]);
	gm_state_reset(st);
	memcpy(st->devkey, gm_default_devkey, 16);
	st->dev_max = st->dev_left = GM_RETRY_DEFAULT;
	memset(st->label, 0, sizeof(st->label));
	memcpy(st->label, label, strlen(label));
	memset(st->serial, 0, sizeof(st->serial));
	if (p->serial) {
		memcpy(st->serial, p->serial, strlen(p->serial));
	} else {
		uint8_t rnd[10];
		if (RAND_bytes(rnd, sizeof(rnd)) != 1)
			return gm_init_fail("no randomness");
		for (size_t i = 0; i < sizeof(rnd); i++)
			snprintf(st->serial + 2 * i, 3, "%02X", rnd[i]);
	}

	gm_app *a = &st->apps[0];
	a->used = 1;
	memcpy(a->name, GM_DEFAULT_APP_NAME, strlen(GM_DEFAULT_APP_NAME));
	a->create_rights = GM_RIGHT_ADMIN | GM_RIGHT_USER;
	if (gm_set_pin(&a->pin[GM_PIN_ADMIN], p->so_pin))
		goto badpin;
	if (p->user_pin) {
		if (gm_set_pin(&a->pin[GM_PIN_USER], p->user_pin))
			goto badpin;
	} else {
		/* No user PIN yet: locked until the admin sets one with
		 * UnblockPIN (what C_InitPIN maps to). */
		if (RAND_bytes(a->pin[GM_PIN_USER].key, 16) != 1)
			return gm_init_fail("no randomness");
		a->pin[GM_PIN_USER].max = GM_RETRY_DEFAULT;
		a->pin[GM_PIN_USER].left = 0;
		a->pin[GM_PIN_USER].is_default = 1;
	}
	if (p->key_bits && gm_init_container(a, p) != 0)
		return -1;
	return 0;
badpin:
	gm_app_clear(a);
	return gm_init_fail("PINs must be 6-32 characters");
}

static void gm_describe_cert(FILE *out, const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	if (!x) {
		fprintf(out, "      (not an X.509 certificate, %zu bytes)\n", len);
		ERR_clear_error();
		return;
	}
	char *subj = X509_NAME_oneline(X509_get_subject_name(x), NULL, 0);
	BIO *b = BIO_new(BIO_s_mem());
	char when[64] = "?";
	if (b && ASN1_TIME_print(b, X509_get0_notAfter(x))) {
		int n = BIO_read(b, when, sizeof(when) - 1);
		when[n > 0 ? n : 0] = 0;
	}
	fprintf(out, "      subject %s, notAfter %s\n", subj ? subj : "?", when);
	BIO_free(b);
	OPENSSL_free(subj);
	X509_free(x);
}

void gm_describe(gm_state *st, FILE *out)
{
	fprintf(out, "GM/T 0017 token \"%s\", serial %s, device auth %u/%u tries\n",
		st->label, st->serial, st->dev_left, st->dev_max);
	for (int i = 0; i < GM_MAX_APPS; i++) {
		gm_app *a = &st->apps[i];
		if (!a->used)
			continue;
		fprintf(out, "  application \"%s\" create-rights %02X, admin PIN %u/%u%s, user PIN %u/%u%s\n",
			a->name, (unsigned)a->create_rights,
			a->pin[0].left, a->pin[0].max, a->pin[0].is_default ? " (default)" : "",
			a->pin[1].left, a->pin[1].max, a->pin[1].is_default ? " (default)" : "");
		for (int j = 0; j < GM_MAX_FILES; j++) {
			gm_file *f = &a->files[j];
			if (f->used)
				fprintf(out, "    file \"%s\" %u bytes, read %02X write %02X\n",
					f->name, (unsigned)f->size, (unsigned)f->rd, (unsigned)f->wr);
		}
		for (int j = 0; j < GM_MAX_CONTAINERS; j++) {
			gm_cont *k = &a->conts[j];
			if (!k->used)
				continue;
			fprintf(out, "    container \"%s\": sign key %d bits, enc key %d bits\n",
				k->name, gm_rsa_bits(k->key[GM_SLOT_SIGN]),
				gm_rsa_bits(k->key[GM_SLOT_ENC]));
			for (int s = 1; s >= 0; s--)
				if (k->cert_len[s]) {
					fprintf(out, "    %s certificate:\n", s ? "sign" : "enc");
					gm_describe_cert(out, k->cert[s], k->cert_len[s]);
				}
		}
	}
}
