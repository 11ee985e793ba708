/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/epass2003/epass2003_p15init.c — C_InitToken on the ePass2003:
 * erase the card and create the PKCS#15 application as OpenSC's
 * `pkcs15-init -C --profile pkcs15+onepin` leaves it with its epass2003
 * profile (docs/epass2003-wire.md, "Personalisation"): MF "entersafe-fips",
 * EF.DIR, DF 5015 with the PKCS#15 AID, the user PIN (kid 1) and PUK
 * (kid 2) records, MAXPIN 9F00, ODF, TokenInfo, UnusedSpace, the directory
 * files and OpenSC's 4946; the SO PIN is the PUK, the user PIN is set by
 * C_InitPIN (the layout then adds its AODF entry).
 *
 * As ftcos_p15init.c: the commands (CREATE FILE of an MF and a DF with
 * this card OS's access bytes, INSTALL SECRET KEY of PIN records) are the
 * card OS's; what the files contain comes from the PKCS#15 layout's
 * builders (pkcs15.h). What OpenSC does and we do not: its BSOs 5300 /
 * 5301 (the card keeps them, nothing uses them) and, on a card whose MF
 * refuses DELETE, the "magic PIN" of its erase (not needed on an MF with
 * OpenSC's access bytes 90 90 FF 90: deletion under SM).
 */
#include <string.h>

#include <openssl/rand.h>

#include "epass2003.h"
#include "pkcs15.h"
#include "pkcs15_asn1.h"

#define FID_MF 0x3F00
#define FID_APP 0x5015

/* PIN records as OpenSC's profile installs them: type 04, kid, use 90,
 * change 96 (user) / B8 (SO), unblock 98, 98, 00, grant 06 / 08, FF, EC
 * 66 (6 tries, 6 left). */
static const uint8_t rec_user[10] = { 0x04, 0x01, 0x90, 0x96, 0x98, 0x98,
				      0x00, 0x06, 0xFF, 0x66 };
static const uint8_t rec_puk[10] = { 0x04, 0x02, 0x90, 0xB8, 0x98, 0x98,
				     0x00, 0x08, 0xFF, 0x66 };

static const uint8_t path_mf[2] = { 0x3F, 0x00 };
static const uint8_t path_app[4] = { 0x3F, 0x00, 0x50, 0x15 };

static ukey_rv create_df(epass2003_ctx *c, uint16_t fid, const uint8_t *name,
			 size_t name_len)
{
	/* list, create, -, delete: anyone, under SM (OpenSC's 90 90 FF 90) */
	static const uint8_t ac[8] = { 0x90, 0x90, 0xFF, 0x90,
				       0xFF, 0xFF, 0xFF, 0xFF };
	epass2003_fci f;

	if (name_len > sizeof(f.name))
		return UKEY_E_ARGS;
	memset(&f, 0, sizeof(f));
	f.fid = fid;
	f.type = EPASS2003_FT_DF;
	f.is_df = 1;
	memcpy(f.name, name, name_len);
	f.name_len = name_len;
	memcpy(f.ac, ac, sizeof(ac));
	f.ac_len = sizeof(ac);
	return epass2003_create_file(c, &f);
}

/* A transparent EF in the current DF (read: anyone; update: the user or
 * the SO), filled with data (zeros after it up to size). */
static ukey_rv create_ef(epass2003_ctx *c, uint16_t fid, size_t size,
			 const uint8_t *data, size_t len)
{
	uint8_t buf[0x200];
	ukey_fs_file spec;
	ukey_rv rv;

	if (size > sizeof(buf) || len > size)
		return UKEY_E_ARGS;
	memset(&spec, 0, sizeof(spec));
	spec.fid = fid;
	spec.size = size;
	spec.ac_read = UKEY_AC_ALWAYS;
	spec.ac_update = UKEY_AC_USER;
	spec.ac_delete = UKEY_AC_USER;
	rv = epass2003_cardfs_ops.create_ef(c, &spec);
	if (rv)
		return rv;
	/* a new file must read as written (directories: zeros = empty) */
	memset(buf, 0, size);
	if (len)
		memcpy(buf, data, len);
	return epass2003_update_binary(c, 0, buf, size);
}

/* Erase: DELETE FILE 3F00 with the MF current (wipes files and key
 * records); a card without an MF is blank already. */
static ukey_rv erase(epass2003_ctx *c)
{
	epass2003_fci f;
	ukey_rv rv;

	epass2003_forget(c); /* what we tracked is about to go */
	rv = epass2003_select_path(c, path_mf, sizeof(path_mf), &f);
	if (rv == UKEY_E_SW_FILE_NOT_FOUND)
		return UKEY_OK;
	if (rv)
		return rv;
	rv = epass2003_delete_fid(c, FID_MF);
	epass2003_forget(c);
	return rv;
}

ukey_rv epass2003_p15_init_token(epass2003_ctx *c, const uint8_t *so_pin,
				 size_t so_len, const char *label,
				 const uint8_t *serial, size_t serial_len)
{
	/* the EFs of DF 5015 with their sizes (as ftcos_p15init.c) */
	static const struct { uint16_t fid, size; } efs[] = {
		{ 0x5031, 0x100 }, { 0x5033, 0x80 }, { 0x4401, 0x100 },
		{ 0x4402, 0x100 }, { 0x4403, 0x100 }, { 0x4404, 0x200 },
		{ 0x4405, 0x100 },
	};
	static const char mf_name[] = "entersafe-fips";
	static const uint8_t maxpin[2] = { 0x06, 0x06 };
	uint8_t buf[P15_EFDIR_SIZE > P15_TI_INIT_SIZE ? P15_EFDIR_SIZE : P15_TI_INIT_SIZE];
	uint8_t unset[EPASS2003_PIN_MAX];
	size_t llen = 0;
	ukey_rv rv;

	if (!c || !so_pin || !so_len || so_len > EPASS2003_PIN_MAX)
		return UKEY_E_ARGS;
	p15_init_label(label, &label, &llen);

	rv = erase(c);
	if (!rv)
		rv = create_df(c, FID_MF, (const uint8_t *)mf_name, sizeof(mf_name) - 1);
	if (!rv)
		rv = create_df(c, FID_APP, p15_aid, sizeof(p15_aid));
	if (rv)
		return rv;
	/* the PIN records: the PUK is the SO PIN; the user PIN gets a random
	 * value nobody knows until C_InitPIN sets it */
	if (RAND_bytes(unset, sizeof(unset)) != 1)
		return UKEY_E_CRYPTO;
	rv = epass2003_install_pin(c, rec_puk, so_pin, so_len);
	if (!rv)
		rv = epass2003_install_pin(c, rec_user, unset, sizeof(unset));
	ukey_memzero(unset, sizeof(unset));
	/* the SO level (card-wide until a reset) lets us write the files */
	if (!rv)
		rv = epass2003_verify_pin(c, rec_puk[1], so_pin, so_len, NULL);
	if (!rv)
		rv = create_ef(c, 0x9F00, sizeof(maxpin), maxpin, sizeof(maxpin));
	for (size_t i = 0; !rv && i < sizeof(efs) / sizeof(efs[0]); i++) {
		rv = epass2003_select_path(c, path_app, sizeof(path_app), NULL);
		if (!rv)
			rv = create_ef(c, efs[i].fid, efs[i].size, NULL, 0);
	}
	if (!rv)
		rv = epass2003_select_path(c, path_app, sizeof(path_app), NULL);
	if (!rv)
		rv = p15_init_tokeninfo(label, llen, serial, serial_len, buf);
	if (!rv)
		rv = create_ef(c, 0x5032, P15_TI_INIT_SIZE, buf, P15_TI_INIT_SIZE);
	if (!rv)
		rv = epass2003_select_path(c, path_app, sizeof(path_app), NULL);
	if (!rv)
		rv = create_ef(c, P15_OPENSC_INFO_FID, 0x80, p15_opensc_info,
			       sizeof(p15_opensc_info));
	if (!rv)
		rv = epass2003_select_path(c, path_mf, sizeof(path_mf), NULL);
	if (!rv) {
		p15_init_efdir(label, llen, buf);
		rv = create_ef(c, 0x2F00, P15_EFDIR_SIZE, buf, P15_EFDIR_SIZE);
	}
	return rv;
}
