/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/layout/pkcs15_init.c — C_InitToken / C_InitPIN for the PKCS#15
 * layout: erase the card and create the structure OpenSC's
 * `pkcs15-init -C` + `-P` produce with its entersafe profile (same files,
 * sizes, access conditions and key records), SO PIN = PUK (reference 2).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "pkcs15.h"

/* Key records as the entersafe profile installs them (length, usage,
 * use/change/update AC, algorithm, error counter, version, initial body). */
static const uint8_t rec_rsa_prv[] = { 0x04, 0x0A, 0x22, 0x34, 0x04, 0x34, 0x40,
				       0x00, 0x00, 0x45, 0x04, 0x01, 0x00, 0x01,
				       0x00, 0xE9, 0x82, 0x04, 0x00 };
static const uint8_t rec_rsa_pub[] = { 0x01, 0x0A, 0x2A, 0x10, 0x04, 0x10, 0x40,
				       0x00, 0x00, 0x45, 0x04, 0x01, 0x00, 0x01,
				       0x00, 0x4E, 0x82, 0x01, 0x00 };
static const uint8_t rec_pin_head[] = { 0x00, 0x10, 0x0B, 0x10, 0x04, 0x38, 0x01,
					0xFF, 0x00 };
static const uint8_t rec_puk_head[] = { 0x00, 0x10, 0x0B, 0x10, 0x08, 0xC0, 0x01,
					0xFF, 0x00 };
static const uint8_t rec_maint_head[] = { 0x00, 0x10, 0x03, 0x10, 0x10, 0xC0,
					  0x01, 0x00, 0x00 };

static ukey_rv install_sym(ftcos_ctx *c, uint8_t kid, const uint8_t head[9],
			   const uint8_t *body16)
{
	uint8_t rec[9 + 16];
	ukey_rv rv;

	memcpy(rec, head, 9);
	if (body16)
		memcpy(rec + 9, body16, 16);
	else
		memset(rec + 9, 0, 16);
	rv = ftcos_install_key(c, kid, rec, sizeof(rec));
	ukey_memzero(rec, sizeof(rec));
	return rv;
}

static size_t trimmed_len(const char *s, size_t max)
{
	size_t n = s ? strnlen(s, max) : 0;

	while (n && s[n - 1] == ' ')
		n--;
	return n;
}

static ukey_rv write_ef_dir(ftcos_ctx *c, const char *label, size_t llen)
{
	uint8_t rec[128];
	size_t pos = 0;

	memset(rec, 0, sizeof(rec));
	if (llen > 64)
		llen = 64;
	/* 61 L { 4F AID, 50 label, 51 path } (EF.DIR application template) */
	rec[pos++] = 0x61;
	rec[pos++] = (uint8_t)(2 + 12 + 2 + llen + 2 + 4);
	rec[pos++] = 0x4F;
	rec[pos++] = 12;
	memcpy(rec + pos, p15_aid, 12);
	pos += 12;
	rec[pos++] = 0x50;
	rec[pos++] = (uint8_t)llen;
	memcpy(rec + pos, label, llen);
	pos += llen;
	rec[pos++] = 0x51;
	rec[pos++] = 4;
	rec[pos++] = 0x3F;
	rec[pos++] = 0x00;
	rec[pos++] = 0x50;
	rec[pos++] = 0x15;
	return ftcos_update_binary(c, 0, rec, sizeof(rec));
}

/* TokenInfo as OpenSC's -C writes it: manufacturer "EnterSafe" (not the
 * profile's vendor name, which is what CK_TOKEN_INFO shows), flags
 * eidCompliant, lastUpdate = now. */
static ukey_rv write_tokeninfo(p15_token *t, const char *label, size_t llen,
			       const uint8_t *serial, size_t serial_len)
{
	uint8_t buf[128];
	long l;

	memset(buf, 0, sizeof(buf));
	l = p15_tokeninfo_encode(serial, serial_len, P15_ENTERSAFE_MANUFACTURER,
				 label, llen, time(NULL), buf, sizeof(buf));
	if (l <= 0)
		return UKEY_E_ARGS;
	return ftcos_update_binary(t->c, 0, buf, sizeof(buf));
}

/* EF 4946 "OpenSC-Info" of the application DF, written by -C. */
static ukey_rv write_opensc_info(ftcos_ctx *c)
{
	uint8_t buf[0x80];
	ukey_rv rv;

	rv = ftcos_create_ef(c, P15_OPENSC_INFO_FID, sizeof(buf), 0x0000, 0x10, 0x10);
	if (rv)
		return rv;
	memset(buf, 0, sizeof(buf));
	memcpy(buf, p15_opensc_info, sizeof(p15_opensc_info));
	return ftcos_update_binary(c, 0, buf, sizeof(buf));
}

static ukey_rv write_odf(ftcos_ctx *c)
{
	/* Empty: each directory is listed when its first entry is written
	 * (the AODF by C_InitPIN, so "AODF listed" means "user PIN set"). */
	uint8_t buf[0x100];

	memset(buf, 0, sizeof(buf));
	return ftcos_update_binary(c, 0, buf, sizeof(buf));
}

ukey_rv p15_init_token(p15_token *t, ftcos_ctx *c, const uint8_t *so_pin,
		       size_t so_len, const char *label, const uint8_t *serial,
		       size_t serial_len)
{
	static const struct { uint16_t fid, size; } efs[] = {
		{ 0x5031, 0x100 }, { 0x5032, 0x80 }, { 0x5033, 0x80 },
		{ 0x4401, 0x100 }, { 0x4402, 0x100 }, { 0x4403, 0x100 },
		{ 0x4404, 0x200 }, { 0x4405, 0x100 },
	};
	const ukey_profile *prof = t->prof;
	uint8_t aid[16], df_aid[16], maint[16];
	size_t llen = trimmed_len(label, 32), mlen = 0;
	ukey_rv rv;

	if (!so_pin || !so_len || so_len > FTCOS_PIN_STORED)
		return UKEY_E_ARGS;
	memset(t, 0, sizeof(*t));
	t->c = c;
	t->prof = prof;
	if (!llen)
		label = "ukey", llen = 4;

	rv = ftcos_erase_card(c);
	if (rv)
		return rv;
	/* MF: its "AID" field is 11 zero bytes and 5 random ones */
	memset(aid, 0, sizeof(aid));
	if (RAND_bytes(aid + 11, 5) != 1)
		return UKEY_E_CRYPTO;
	rv = ftcos_create_mf(c, aid);
	if (!rv)
		rv = ftcos_create_ef(c, 0x2F00, 0x80, 0x0000, 0x10, 0x10);
	if (!rv)
		rv = write_ef_dir(c, label, llen);
	if (rv)
		return rv;
	rv = ftcos_select_fid(c, 0x3F00, NULL);
	memcpy(df_aid, p15_aid, 12);
	df_aid[12] = 0x00; /* as the entersafe profile pads it */
	df_aid[13] = 0x00;
	df_aid[14] = 0x10;
	df_aid[15] = 0x10;
	if (!rv)
		rv = ftcos_create_df(c, 0x5015, 0x30, 0x3E80, df_aid, 16);
	if (!rv)
		rv = ftcos_create_ef(c, 0xFFFD, 0x0A00, 0x1580, 0x10, 0x10);
	for (size_t i = 0; !rv && i < sizeof(efs) / sizeof(efs[0]); i++) {
		rv = ftcos_create_ef(c, efs[i].fid, efs[i].size, 0x0000, 0x10, 0x00);
		if (!rv && (efs[i].fid >> 8) == 0x44) {
			/* directories must read as "empty" (zeros), whatever
			 * the card leaves in a new file */
			uint8_t z[0x200];

			memset(z, 0, sizeof(z));
			rv = ftcos_update_binary(c, 0, z, efs[i].size);
		}
		if (!rv && efs[i].fid == 0x5031)
			rv = write_odf(c);
		if (!rv && efs[i].fid == 0x5032)
			rv = write_tokeninfo(t, label, llen, serial, serial_len);
	}
	if (!rv)
		rv = write_opensc_info(c);
	for (uint8_t kid = 1; !rv && kid <= 9; kid++) {
		rv = ftcos_install_key(c, kid, rec_rsa_prv, sizeof(rec_rsa_prv));
		if (!rv)
			rv = ftcos_install_key(c, kid, rec_rsa_pub, sizeof(rec_rsa_pub));
	}
	if (!rv) {
		if (ukey_profile_get_hex(prof, "maintenance_key", maint, sizeof(maint),
					 &mlen) != UKEY_OK || mlen != 16)
			memcpy(maint, c->maint_key, 16);
		rv = install_sym(c, 0, rec_maint_head, maint);
		ukey_memzero(maint, sizeof(maint));
	}
	if (!rv)
		rv = install_sym(c, FTCOS_PIN_USER, rec_pin_head, NULL);
	if (!rv)
		rv = install_sym(c, FTCOS_PIN_SO, rec_puk_head, NULL);
	if (!rv)
		rv = ftcos_set_pin(c, FTCOS_PIN_SO, so_pin, so_len);
	return rv;
}

static ukey_rv user_pin_entry(p15_token *t, uint8_t **der, size_t *len)
{
	P15_PIN_OBJ *po = P15_PIN_OBJ_new();
	static const uint8_t auth_id = 0x01, pad = 0x00;
	unsigned pmin = t->prof ? t->prof->pin_min : 4;
	int l;
	ukey_rv rv = UKEY_E_NOMEM;

	if (!po)
		return UKEY_E_NOMEM;
	po->common->label = ASN1_UTF8STRING_new();
	po->common->flags = ASN1_BIT_STRING_new();
	po->pin->max_len = ASN1_INTEGER_new();
	po->pin->reference = ASN1_INTEGER_new();
	po->pin->pad_char = ASN1_OCTET_STRING_new();
	po->pin->path = P15_PATH_new();
	if (!po->common->label || !po->common->flags || !po->pin->max_len ||
	    !po->pin->reference || !po->pin->pad_char || !po->pin->path ||
	    !ASN1_STRING_set(po->common->label, "UserPIN", 7) ||
	    !ASN1_BIT_STRING_set_bit(po->common->flags, 0, 1) ||
	    !ASN1_BIT_STRING_set_bit(po->common->flags, 1, 1) ||
	    !ASN1_OCTET_STRING_set(po->auth->auth_id, &auth_id, 1) ||
	    !ASN1_BIT_STRING_set_bit(po->pin->flags, P15_PIN_FLAG_LOCAL, 1) ||
	    !ASN1_BIT_STRING_set_bit(po->pin->flags, P15_PIN_FLAG_INITIALIZED, 1) ||
	    !ASN1_BIT_STRING_set_bit(po->pin->flags, P15_PIN_FLAG_NEEDS_PAD, 1) ||
	    !ASN1_ENUMERATED_set(po->pin->type, 1) || /* ascii-numeric */
	    !ASN1_INTEGER_set(po->pin->min_len, (long)pmin) ||
	    !ASN1_INTEGER_set(po->pin->stored_len, FTCOS_PIN_STORED) ||
	    !ASN1_INTEGER_set(po->pin->max_len, FTCOS_PIN_STORED) ||
	    !ASN1_INTEGER_set(po->pin->reference, FTCOS_PIN_USER) ||
	    !ASN1_OCTET_STRING_set(po->pin->pad_char, &pad, 1) ||
	    !ASN1_OCTET_STRING_set(po->pin->path->path, t->app_path, 4))
		goto out;
	l = i2d_P15_PIN_OBJ(po, NULL);
	if (l <= 0)
		goto out;
	*der = malloc((size_t)l);
	if (!*der)
		goto out;
	{
		unsigned char *p = *der;

		i2d_P15_PIN_OBJ(po, &p);
	}
	*len = (size_t)l;
	rv = UKEY_OK;
out:
	P15_PIN_OBJ_free(po);
	return rv;
}

ukey_rv p15_init_user_pin(p15_token *t, const uint8_t *pin, size_t len)
{
	uint8_t *der = NULL;
	size_t dlen = 0;
	ukey_rv rv;

	rv = p15_refresh(t);
	if (!rv)
		rv = p15_load_pins(t);
	if (rv)
		return rv;
	/* the PIN first: a directory entry must never name an unset PIN */
	rv = ftcos_select_df(t->c, t->app_path, sizeof(t->app_path));
	if (!rv)
		rv = ftcos_set_pin(t->c, t->pin[0].present ? t->pin[0].ref :
				   FTCOS_PIN_USER, pin, len);
	if (rv || t->pin[0].present)
		return rv;
	rv = user_pin_entry(t, &der, &dlen);
	if (!rv)
		rv = p15_df_append(t, P15_DF_AODF, der, dlen);
	free(der);
	if (!rv)
		p15_touch_tokeninfo(t);
	if (!rv) {
		t->pins_loaded = 0;
		rv = p15_load_pins(t);
	}
	return rv;
}
