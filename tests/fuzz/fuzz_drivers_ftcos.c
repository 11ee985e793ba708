/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz entry for the FTCOS driver end to end with a hostile card: every
 * response APDU comes from the input, so FCI parsing, READ BINARY loops,
 * both layouts, the serial number, PIN answers, public-key read-back
 * (little-endian) and RSA answers all see arbitrary data.
 *
 * Input layout:
 *   byte 0: bit 0   when the script is exhausted: "no card" (1) or 6F00 (0)
 *           bit 1-2 layout order of the profile (see layouts[])
 *           bit 3   extended APDUs allowed
 *           bit 4   also run the write operations (objects, keys, PINs)
 *           bit 5   also run init_token (erase, create, re-bind)
 *           bit 6   small READ/UPDATE BINARY chunks (max_read = 16)
 *           bit 7   reselect (as p11/ after its own reset), then read again
 *   then one response per command: <len:2 BE> <len bytes> (data + SW).
 * The driver runs: bind, list_objects, read_value of each object,
 * pin_info, verify_pin, sign_raw with each private key, list_class,
 * get_random, then (bits 4, 5) the write operations, and unbind; bit 7
 * adds reselect and a second read pass (the AID shortcut after a reset).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "driver.h"
#include "fuzz_drivers_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A driver operation never needs this many APDUs: more is a loop that
 * should have been stopped by a length check. */
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
	if (++s->calls > SCRIPT_MAX_CALLS)
		__builtin_trap();
	if (s->left < 2) {
		if (s->no_card_at_end)
			return UKEY_E_NO_CARD;
		if (rspcap < 2)
			__builtin_trap();
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
		__builtin_trap(); /* apdu/ always offers UKEY_RAPDU_MAX */
	memcpy(rsp, s->p, n);
	s->p += n;
	s->left -= n;
	*rsplen = n;
	return UKEY_OK;
}

static const char *const layouts[4] = {
	"pkcs15, entersafe-espk",
	"entersafe-espk",
	"pkcs15",
	"entersafe-espk, pkcs15",
};

/* sel: bits 0-1 layout order, bit 2 small chunks. */
static const ukey_profile *profile_for(unsigned sel)
{
	static ukey_profile prof[8];
	static int ready[8];
	char text[512], err[256];
	unsigned chunk;

	sel &= 7;
	chunk = (sel & 4) ? 16 : 224;
	if (!ready[sel]) {
		int n = snprintf(text, sizeof(text),
				 "name = Fuzz FTCOS\n"
				 "atr = 3B 9F 95 81 31 FE 9F 00 65 46 53 05 30 06 71 DF 00 00 00 80 6A 82 5E\n"
				 "driver = ftcos\nlayout = %s\n"
				 "manufacturer = Fuzz\nmodel = PK-01C\n"
				 "max_lc = 255\nmax_get_response = 64\n"
				 "pin_min = 4\npin_max = 16\n"
				 "max_read = %u\nmax_update = %u\n",
				 layouts[sel & 3], chunk, chunk);

		if (n < 0 || (size_t)n >= sizeof(text) ||
		    ukey_profile_parse(text, (size_t)n, "fuzz.profile", &prof[sel],
				       err, sizeof(err)) != UKEY_OK)
			__builtin_trap();
		ready[sel] = 1;
	}
	return &prof[sel];
}

static void check_rsa(const ukey_object *k, ukey_rv rv, size_t inlen,
		      size_t outlen)
{
	(void)k;
	if (rv == UKEY_OK && outlen != inlen)
		__builtin_trap();
}

/* What a signing application does: list, read values, PIN, sign. */
static void read_phase(ukey_card *card, const ukey_driver *drv)
{
	ukey_objlist l = { 0 };
	ukey_pin_info pi;
	static const uint8_t pin[4] = { '1', '2', '3', '4' };
	static uint8_t in[512], out[512];
	int tries = 0;

	(void)drv->list_objects(card, &l);
	fuzz_check_objlist(&l);
	for (size_t i = 0; i < l.n; i++) {
		if (l.v[i].cls == UKEY_OBJ_PRIVKEY)
			continue;
		if (drv->read_value(card, &l.v[i]) == UKEY_OK)
			fuzz_check_object(&l.v[i]);
	}
	for (int role = UKEY_PIN_USER; role <= UKEY_PIN_SO; role++)
		if (drv->pin_info(card, (ukey_pin_role)role, &pi) == UKEY_OK)
			fuzz_check_pin_info(&pi);
	if (drv->verify_pin(card, UKEY_PIN_USER, pin, sizeof(pin), &tries) ==
	    UKEY_E_SW_WRONG_PIN && (tries < -1 || tries > 15))
		__builtin_trap();
	for (size_t i = 0; i < l.n; i++) {
		const ukey_object *k = &l.v[i];
		size_t inlen = k->key_bits ? (k->key_bits + 7) / 8 : 128, outlen = 0;
		ukey_rv rv;

		if (k->cls != UKEY_OBJ_PRIVKEY)
			continue;
		if (inlen > sizeof(in))
			inlen = sizeof(in);
		memset(in, 0x11, inlen);
		in[0] = 0x00;
		rv = drv->sign_raw(card, k, in, inlen, out, &outlen);
		check_rsa(k, rv, inlen, outlen);
		outlen = 0;
		rv = drv->decipher_raw(card, k, in, inlen, out, &outlen);
		check_rsa(k, rv, inlen, outlen);
	}
	ukey_objlist_clear(&l);
}

/* Writes parse the card's directories and answers again. */
static void write_phase(ukey_card *card, const ukey_driver *drv)
{
	static const uint8_t certder[] = { 0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02 };
	static const uint8_t pin[4] = { '1', '2', '3', '4' };
	static const uint8_t pin2[6] = { '5', '6', '7', '8', '9', '0' };
	ukey_objlist l = { 0 };
	ukey_object o, pub, priv;
	ukey_keygen_params kp;

	memset(&o, 0, sizeof(o));
	o.cls = UKEY_OBJ_CERT;
	o.id[0] = 0x42;
	o.id_len = 1;
	strcpy(o.label, "fuzz cert");
	o.value = (uint8_t *)certder;
	o.value_len = sizeof(certder);
	if (drv->write_object(card, &o) == UKEY_OK)
		fuzz_check_object(&o);

	(void)drv->list_objects(card, &l);
	fuzz_check_objlist(&l);
	for (size_t i = 0; i < l.n; i++) {
		strcpy(l.v[i].label, "renamed");
		(void)drv->update_object(card, &l.v[i]);
		(void)drv->delete_object(card, &l.v[i]);
	}
	ukey_objlist_clear(&l);

	memset(&kp, 0, sizeof(kp));
	kp.bits = 1024;
	kp.usage = UKEY_USAGE_SIGN;
	kp.private_obj = 1;
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
	(void)drv->change_pin(card, UKEY_PIN_USER, pin, sizeof(pin), pin2,
			      sizeof(pin2));
	(void)drv->init_user_pin(card, pin, sizeof(pin));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static ukey_card card;
	const ukey_driver *drv = ukey_driver_find("ftcos");
	script s;
	ukey_objlist l = { 0 };
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
	card.profile = profile_for(((data[0] >> 1) & 3) | ((data[0] >> 4) & 4));
	card.drv = drv;
	{
		ukey_chan_opts o = card.profile->chan;

		o.extended_ok = (data[0] >> 3) & 1;
		ukey_chan_init(&card.chan, script_xfer, &s, &o);
	}

	if (drv->bind(&card) != UKEY_OK) {
		if (card.drv_data)
			__builtin_trap(); /* a failed bind must free its state */
		return 0;
	}
	fuzz_check_card(&card);

	read_phase(&card, drv);
	if ((data[0] & 0x80) && drv->reselect) {
		if (drv->reselect(&card) == UKEY_OK)
			read_phase(&card, drv);
	}

	if (drv->list_class) {
		for (int cls = UKEY_OBJ_CERT; cls <= UKEY_OBJ_DATA; cls++) {
			(void)drv->list_class(&card, (ukey_obj_class)cls, &l);
			fuzz_check_objlist(&l);
			ukey_objlist_clear(&l);
		}
	}
	(void)drv->get_random(&card, rnd, sizeof(rnd));
	if (data[0] & 0x10)
		write_phase(&card, drv);
	if (data[0] & 0x20) {
		static const uint8_t so[8] = { '8', '7', '6', '5', '4', '3', '2', '1' };

		if (drv->init_token(&card, so, sizeof(so), "fuzz token") == UKEY_OK)
			fuzz_check_card(&card);
	}
	drv->unbind(&card);
	if (card.drv_data)
		__builtin_trap();
	return 0;
}
