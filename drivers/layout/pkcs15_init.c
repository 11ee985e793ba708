/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/layout/pkcs15_init.c — C_InitToken / C_InitPIN for the PKCS#15
 * layout: the contents OpenSC's `pkcs15-init -C` writes into the files of
 * a new application (EF.DIR, TokenInfo), and `-P`'s user PIN with its AODF
 * entry.
 *
 * C_InitToken itself (erase, create MF/DF/EFs with the card's keys and
 * access conditions, install key and PIN records) is card-OS business, as
 * in OpenSC, where each card's pkcs15init driver and profile do it: there
 * is no card-independent way to say "a DF with a key file of 0x3E80 bytes
 * and nine RSA key records". It lives with the card OS
 * (drivers/ftcos/ftcos_p15init.c), which calls the builders here for the
 * contents, so the layout keeps what PKCS#15 means and the card OS what
 * its commands need.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pkcs15.h"

void p15_init_label(const char *label, const char **out, size_t *len)
{
	size_t n = label ? strnlen(label, 32) : 0;

	while (n && label[n - 1] == ' ')
		n--;
	if (!n) {
		label = "ukey";
		n = 4;
	}
	*out = label;
	*len = n;
}

void p15_init_efdir(const char *label, size_t llen, uint8_t out[P15_EFDIR_SIZE])
{
	uint8_t *rec = out;
	size_t pos = 0;

	memset(rec, 0, P15_EFDIR_SIZE);
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
}

/* TokenInfo as OpenSC's -C writes it: manufacturer "EnterSafe" (not the
 * profile's vendor name, which is what CK_TOKEN_INFO shows), flags
 * eidCompliant, lastUpdate = now. */
ukey_rv p15_init_tokeninfo(const char *label, size_t llen, const uint8_t *serial,
			   size_t serial_len, uint8_t out[P15_TI_INIT_SIZE])
{
	long l;

	memset(out, 0, P15_TI_INIT_SIZE);
	l = p15_tokeninfo_encode(serial, serial_len, P15_ENTERSAFE_MANUFACTURER,
				 label, llen, time(NULL), out, P15_TI_INIT_SIZE);
	return l > 0 ? UKEY_OK : UKEY_E_ARGS;
}

static ukey_rv user_pin_entry(p15_token *t, uint8_t **der, size_t *len)
{
	P15_PIN_OBJ *po = P15_PIN_OBJ_new();
	static const uint8_t auth_id = 0x01;
	const uint8_t pad = t->fs.ops->pin_pad;
	const unsigned stored = t->fs.ops->pin_stored_len;
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
	    !ASN1_INTEGER_set(po->pin->stored_len, (long)stored) ||
	    !ASN1_INTEGER_set(po->pin->max_len, (long)stored) ||
	    !ASN1_INTEGER_set(po->pin->reference, (long)t->fs.ops->pin_ref_user) ||
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

	if (!t->fs.ops->set_pin)
		return UKEY_E_SW_FUNC_NOT_SUPPORTED;
	rv = p15_refresh(t);
	if (!rv)
		rv = p15_load_pins(t);
	if (rv)
		return rv;
	/* the PIN first: a directory entry must never name an unset PIN */
	rv = p15_select(t, t->app_path, sizeof(t->app_path), NULL);
	if (!rv)
		rv = t->fs.ops->set_pin(t->fs.os, t->pin[0].present ? t->pin[0].ref :
					t->fs.ops->pin_ref_user, pin, len);
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
