/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz entry for the gmt0017 (Watchdata, GM/T 0017) driver end to end with
 * a hostile card: every response APDU comes from the input, so DEVINFO,
 * OpenApplication, name lists, container info, public key blobs,
 * certificates (through 61xx / GET RESPONSE), PIN info, PIN answers and
 * signatures all see arbitrary data.
 *
 * Input layout:
 *   byte 0: bit 0   when the script is exhausted: "no card" (1) or 6F00 (0)
 *           bit 1   profile pin_cryptogram = gm3000 (else challenge-pad80)
 *           bit 2   profile without app_name (the only application is used)
 *           bit 4   also run the write operations (key generation into a
 *                   container, certificate import/delete, PINs, logout)
 *           bit 5   also run init_token (DevAuth, Delete/CreateApplication,
 *                   SetLabel, bind again)
 *           bit 7   reselect (as p11/ after its own reset), then read again
 *   then one response per command: <len:2 BE> <len bytes> (data + SW).
 * Seed corpus: corpus-drivers-gmt0017/ (replayed by ctest
 * fuzz_replay_drivers_gmt0017).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "driver.h"
#include "fuzz_drivers_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SCRIPT_MAX_CALLS 20000

typedef struct {
	const uint8_t *p;
	size_t left;
	int no_card_at_end;
	unsigned long calls;
} script;

static ukey_rv script_xfer(void *ctx, const uint8_t *cmd, size_t cmdlen,
			   uint8_t *rsp, size_t rspcap, size_t *rsplen)
{
	script *s = ctx;
	ukey_apdu a;
	size_t n;

	if (ukey_apdu_decode(cmd, cmdlen, &a) != UKEY_OK)
		__builtin_trap(); /* the driver must send valid APDUs */
	if (a.lc > 255 || (a.le > 256 && a.le != UKEY_LE_ANY) || cmdlen > 261)
		__builtin_trap(); /* short APDUs only (T=0) */
	if (++s->calls > SCRIPT_MAX_CALLS)
		__builtin_trap();
	if (s->left < 2) {
		if (s->no_card_at_end)
			return UKEY_E_NO_CARD;
		rsp[0] = 0x6F;
		rsp[1] = 0x00;
		*rsplen = 2;
		return UKEY_OK;
	}
	n = (size_t)s->p[0] << 8 | s->p[1];
	s->p += 2;
	s->left -= 2;
	if (n > s->left)
		n = s->left;
	if (n > rspcap)
		__builtin_trap();
	memcpy(rsp, s->p, n);
	s->p += n;
	s->left -= n;
	*rsplen = n;
	return UKEY_OK;
}

static const ukey_profile *profile_for(unsigned sel)
{
	static ukey_profile prof[4];
	static int ready[4];
	char text[1024], err[256];

	sel &= 3;
	if (!ready[sel]) {
		int n = snprintf(text, sizeof(text),
				 "name = Fuzz Watchdata\n"
				 "atr = 3B 6E 00 00 57 44 36 19 69 86 93 02 12 11 3C 19 70 AF\n"
				 "driver = gmt0017\nlayout = skf\n"
				 "manufacturer = Fuzz\nmodel = WatchKey\n"
				 "max_lc = 255\nmax_get_response = 64\n"
				 "pin_min = 6\npin_max = 32\n"
				 "pin_cryptogram = %s\n%s"
				 "dev_auth_key = 31 32 33 34 35 36 37 38 31 32 33 34 35 36 37 38\n"
				 "rsa_bits = 1024, 2048\n",
				 (sel & 1) ? "gm3000" : "challenge-pad80",
				 (sel & 2) ? "" : "app_name = UKEY-APP\n");

		if (n < 0 || (size_t)n >= sizeof(text) ||
		    ukey_profile_parse(text, (size_t)n, "fuzz.profile", &prof[sel],
				       err, sizeof(err)) != UKEY_OK)
			__builtin_trap();
		ready[sel] = 1;
	}
	return &prof[sel];
}

static void read_phase(ukey_card *card, const ukey_driver *drv)
{
	ukey_objlist l = { 0 };
	ukey_pin_info pi;
	static const uint8_t pin[6] = { '2', '4', '6', '8', '1', '0' };
	static uint8_t in[512], out[512];
	int tries = 0;
	ukey_rv rv;

	for (int role = UKEY_PIN_USER; role <= UKEY_PIN_SO; role++)
		if (drv->pin_info(card, (ukey_pin_role)role, &pi) == UKEY_OK)
			fuzz_check_pin_info(&pi);
	rv = drv->verify_pin(card, UKEY_PIN_USER, pin, sizeof(pin), &tries);
	if (rv == UKEY_E_SW_WRONG_PIN && (tries < -1 || tries > 15))
		__builtin_trap();
	(void)drv->list_class(card, UKEY_OBJ_PRIVKEY, &l);
	fuzz_check_objlist(&l);
	for (size_t i = 0; i < l.n; i++) {
		const ukey_object *k = &l.v[i];
		size_t inlen = k->key_bits ? (k->key_bits + 7) / 8 : 128;
		size_t outlen = sizeof(out);

		if (inlen > sizeof(in))
			inlen = sizeof(in);
		memset(in, 0x11, inlen);
		in[0] = 0;
		rv = drv->sign_raw(card, k, in, inlen, out, &outlen);
		if (rv == UKEY_OK && outlen != inlen)
			__builtin_trap();
	}
	ukey_objlist_clear(&l);
	(void)drv->list_objects(card, &l);
	fuzz_check_objlist(&l);
	for (size_t i = 0; i < l.n; i++)
		if (l.v[i].cls == UKEY_OBJ_CERT &&
		    drv->read_value(card, &l.v[i]) == UKEY_OK)
			fuzz_check_object(&l.v[i]);
	ukey_objlist_clear(&l);
}

/* A real (512-bit RSA) self-signed certificate, so that the import looks
 * for a container whose key matches. */
static const uint8_t certder[] = {
	  0x30, 0x82, 0x01, 0x6f, 0x30, 0x82, 0x01, 0x19, 0xa0, 0x03, 0x02, 0x01,
	  0x02, 0x02, 0x14, 0x4e, 0x6f, 0xff, 0x66, 0xa8, 0x20, 0x44, 0xd1, 0x88,
	  0x5c, 0x01, 0x03, 0x8c, 0x63, 0xd6, 0x22, 0xfc, 0xaa, 0xc9, 0x56, 0x30,
	  0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b,
	  0x05, 0x00, 0x30, 0x0c, 0x31, 0x0a, 0x30, 0x08, 0x06, 0x03, 0x55, 0x04,
	  0x03, 0x0c, 0x01, 0x66, 0x30, 0x1e, 0x17, 0x0d, 0x32, 0x36, 0x31, 0x32,
	  0x30, 0x36, 0x31, 0x38, 0x35, 0x37, 0x33, 0x31, 0x5a, 0x17, 0x0d, 0x32,
	  0x36, 0x31, 0x32, 0x30, 0x37, 0x31, 0x38, 0x35, 0x37, 0x33, 0x31, 0x5a,
	  0x30, 0x0c, 0x31, 0x0a, 0x30, 0x08, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c,
	  0x01, 0x66, 0x30, 0x5c, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
	  0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00, 0x03, 0x4b, 0x00, 0x30, 0x48,
	  0x02, 0x41, 0x00, 0xcb, 0x0c, 0x79, 0x94, 0xac, 0xae, 0x45, 0xa5, 0x22,
	  0x51, 0x6c, 0x39, 0xf4, 0x31, 0xa0, 0xd0, 0xb5, 0x2e, 0x0b, 0x5c, 0x5b,
	  0x81, 0xea, 0x61, 0x6a, 0xf3, 0xaa, 0xca, 0x6f, 0xec, 0xa8, 0xb4, 0x6b,
	  0xf4, 0xb3, 0x3d, 0xc5, 0xb0, 0xa6, 0x1f, 0xdb, 0x8a, 0xf3, 0x2c, 0x2b,
	  0x15, 0xef, 0xdc, 0x1c, 0x6e, 0x10, 0x8d, 0x2c, 0x3d, 0x0f, 0x25, 0x5c,
	  0x36, 0xc1, 0x7b, 0xd4, 0xe0, 0xdb, 0x7d, 0x02, 0x03, 0x01, 0x00, 0x01,
	  0xa3, 0x53, 0x30, 0x51, 0x30, 0x1d, 0x06, 0x03, 0x55, 0x1d, 0x0e, 0x04,
	  0x16, 0x04, 0x14, 0xfe, 0x9f, 0x94, 0xf2, 0xb9, 0xcb, 0x07, 0xde, 0x08,
	  0xed, 0xbf, 0x43, 0x9f, 0xb7, 0x40, 0x97, 0xfe, 0xc8, 0x8a, 0xd8, 0x30,
	  0x1f, 0x06, 0x03, 0x55, 0x1d, 0x23, 0x04, 0x18, 0x30, 0x16, 0x80, 0x14,
	  0xfe, 0x9f, 0x94, 0xf2, 0xb9, 0xcb, 0x07, 0xde, 0x08, 0xed, 0xbf, 0x43,
	  0x9f, 0xb7, 0x40, 0x97, 0xfe, 0xc8, 0x8a, 0xd8, 0x30, 0x0f, 0x06, 0x03,
	  0x55, 0x1d, 0x13, 0x01, 0x01, 0xff, 0x04, 0x05, 0x30, 0x03, 0x01, 0x01,
	  0xff, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
	  0x01, 0x0b, 0x05, 0x00, 0x03, 0x41, 0x00, 0x09, 0x19, 0xe1, 0x5d, 0x7e,
	  0x56, 0x07, 0xe8, 0x9f, 0x75, 0xc4, 0x4f, 0xc7, 0x58, 0xeb, 0xbf, 0xd7,
	  0x63, 0xa7, 0xdd, 0xd7, 0x5f, 0x87, 0xe0, 0x4d, 0x3c, 0x13, 0x67, 0xa8,
	  0x56, 0x3a, 0xeb, 0x52, 0x38, 0xd4, 0xc8, 0xa0, 0xf5, 0xd9, 0x67, 0x39,
	  0x62, 0xff, 0x7e, 0xdb, 0xa4, 0xdf, 0xcd, 0xd1, 0x89, 0x1b, 0x01, 0x64,
	  0x87, 0x3d, 0x26, 0x7d, 0x6d, 0x59, 0x9a, 0x9e, 0x7a, 0x6b, 0x49
};

static void write_phase(ukey_card *card, const ukey_driver *drv)
{
	static const uint8_t pin[6] = { '2', '4', '6', '8', '1', '0' };
	static const uint8_t pin2[8] = { '1', '3', '5', '7', '2', '4', '6', '8' };
	ukey_objlist l = { 0 };
	ukey_object o, pub, priv;
	ukey_keygen_params kp;

	memset(&kp, 0, sizeof(kp));
	kp.bits = 2048;
	kp.usage = UKEY_USAGE_SIGN;
	kp.private_obj = 1;
	strcpy(kp.label, "FUZZ");
	memset(&pub, 0, sizeof(pub));
	memset(&priv, 0, sizeof(priv));
	if (drv->generate_rsa(card, &kp, &pub, &priv) == UKEY_OK) {
		fuzz_check_object(&pub);
		fuzz_check_object(&priv);
		if (!pub.modulus || !priv.drv_ref_len)
			__builtin_trap();
	}
	ukey_object_clear(&pub);
	ukey_object_clear(&priv);

	memset(&o, 0, sizeof(o));
	o.cls = UKEY_OBJ_CERT;
	o.value = (uint8_t *)certder;
	o.value_len = sizeof(certder);
	if (drv->write_object(card, &o) == UKEY_OK)
		fuzz_check_object(&o);

	(void)drv->list_objects(card, &l);
	fuzz_check_objlist(&l);
	for (size_t i = 0; i < l.n; i++)
		(void)drv->delete_object(card, &l.v[i]);
	ukey_objlist_clear(&l);
	(void)drv->change_pin(card, UKEY_PIN_USER, pin, sizeof(pin), pin2,
			      sizeof(pin2));
	(void)drv->verify_pin(card, UKEY_PIN_SO, pin2, sizeof(pin2), NULL);
	(void)drv->init_user_pin(card, pin, sizeof(pin));
	(void)drv->logout(card);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static ukey_card card;
	const ukey_driver *drv = ukey_driver_find("gmt0017");
	script s;
	uint8_t rnd[16];

	if (size < 1)
		return 0;
	if (!drv)
		__builtin_trap();
	memset(&card, 0, sizeof(card));
	s.p = data + 1;
	s.left = size - 1;
	s.no_card_at_end = data[0] & 1;
	s.calls = 0;
	card.profile = profile_for(((data[0] >> 1) & 1) | ((data[0] >> 1) & 2));
	card.drv = drv;
	ukey_chan_init(&card.chan, script_xfer, &s, &card.profile->chan);

	if (drv->bind(&card) != UKEY_OK) {
		if (card.drv_data)
			__builtin_trap(); /* a failed bind must free its state */
		return 0;
	}
	fuzz_check_card(&card);
	read_phase(&card, drv);
	if ((data[0] & 0x80) && drv->reselect &&
	    drv->reselect(&card) == UKEY_OK)
		read_phase(&card, drv);
	(void)drv->get_random(&card, rnd, sizeof(rnd));
	if (data[0] & 0x10)
		write_phase(&card, drv);
	if (data[0] & 0x20) {
		static const uint8_t so[8] = { '1', '3', '5', '7', '2', '4', '6', '8' };

		if (drv->init_token(&card, so, sizeof(so), "fuzz token") == UKEY_OK)
			fuzz_check_card(&card);
	}
	drv->unbind(&card);
	if (card.drv_data)
		__builtin_trap();
	return 0;
}
