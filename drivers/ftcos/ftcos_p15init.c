/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/ftcos/ftcos_p15init.c — C_InitToken on FTCOS: erase the card and
 * create the structure OpenSC's `pkcs15-init -C` produces with its
 * entersafe profile (same files, sizes, access conditions and key records),
 * SO PIN = PUK (reference 2).
 *
 * Why here and not in drivers/layout/: creating an MF and a DF with FTCOS's
 * transport and init keys, a key file of a given size, INSTALL KEY of the
 * RSA, maintenance and PIN records and WRITE KEY of the PUK are FTCOS
 * commands with FTCOS's parameters; no card file-system operation could
 * say them without being FTCOS under another name (OpenSC too keeps this in
 * a per-card pkcs15init driver and profile). What the files contain is
 * PKCS#15's business: the layout's builders (pkcs15.h, pkcs15_asn1.h)
 * give it. A driver may include a layout header; a layout never includes
 * this directory's.
 */
#include <string.h>

#include <openssl/rand.h>

#include "ftcos.h"
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

ukey_rv ftcos_p15_init_token(ftcos_ctx *c, const uint8_t *so_pin, size_t so_len,
			     const char *label, const uint8_t *serial,
			     size_t serial_len)
{
	/* the EFs of DF 5015 with their sizes; read ALWAYS, update 00 (as
	 * OpenSC writes "needs PIN") */
	static const struct { uint16_t fid, size; } efs[] = {
		{ 0x5031, 0x100 }, { 0x5032, 0x80 }, { 0x5033, 0x80 },
		{ 0x4401, 0x100 }, { 0x4402, 0x100 }, { 0x4403, 0x100 },
		{ 0x4404, 0x200 }, { 0x4405, 0x100 },
	};
	uint8_t aid[16], df_aid[16], maint[16], rec[P15_EFDIR_SIZE];
	size_t llen = 0;
	ukey_rv rv;

	if (!c || !so_pin || !so_len || so_len > FTCOS_PIN_STORED)
		return UKEY_E_ARGS;
	p15_init_label(label, &label, &llen);

	rv = ftcos_erase_card(c);
	if (rv)
		return rv;
	/* MF: its "AID" field is 11 zero bytes and 5 random ones */
	memset(aid, 0, sizeof(aid));
	if (RAND_bytes(aid + 11, 5) != 1)
		return UKEY_E_CRYPTO;
	rv = ftcos_create_mf(c, aid);
	if (!rv)
		rv = ftcos_create_ef(c, 0x2F00, P15_EFDIR_SIZE, 0x0000, 0x10, 0x10);
	if (!rv) {
		p15_init_efdir(label, llen, rec);
		rv = ftcos_update_binary(c, 0, rec, sizeof(rec));
	}
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
	if (!rv) /* the key file */
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
		if (!rv && efs[i].fid == 0x5032) {
			uint8_t ti[P15_TI_INIT_SIZE];

			rv = p15_init_tokeninfo(label, llen, serial, serial_len, ti);
			if (!rv)
				rv = ftcos_update_binary(c, 0, ti, sizeof(ti));
		}
	}
	if (!rv)
		rv = write_opensc_info(c);
	for (uint8_t kid = 1; !rv && kid <= 9; kid++) {
		rv = ftcos_install_key(c, kid, rec_rsa_prv, sizeof(rec_rsa_prv));
		if (!rv)
			rv = ftcos_install_key(c, kid, rec_rsa_pub, sizeof(rec_rsa_pub));
	}
	if (!rv) {
		/* the maintenance key of the profile (ftcos_ctx_init), which
		 * WRITE KEY encrypts under from now on */
		memcpy(maint, c->maint_key, sizeof(maint));
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
