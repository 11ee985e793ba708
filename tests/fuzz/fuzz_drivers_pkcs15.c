/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz entry for the PKCS#15 layout reader (drivers/layout/pkcs15*.c):
 * ODF, TokenInfo, AODF, PrKDF, PuKDF, CDF and DODF files, public-key files
 * and READ PUBLIC KEY answers come from the input through the simulated
 * card of fuzz_drivers_fscard.h. Each file is also fed straight to the
 * directory walkers and to the entry decoder for every directory kind.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_drivers_check.h"
#include "fuzz_drivers_fscard.h"
#include "ftcos.h"
#include "pkcs15.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The walkers on one buffer: offsets must stay inside it. */
static void walk_dir(p15_token *t, const uint8_t *buf, size_t len)
{
	int more = 0;
	long used = p15_used_length(buf, len, &more);
	size_t off = 0, l = 0;
	const uint8_t *el = NULL;
	int r;

	if (used > (long)len)
		__builtin_trap();
	while ((r = p15_next_element(buf, len, &off, &el, &l)) == 1) {
		if (el < buf || l == 0 || off > len || (size_t)(el - buf) + l != off)
			__builtin_trap();
		for (int kind = 0; kind < P15_DF_COUNT; kind++) {
			ukey_object o;

			if (p15_entry_to_object(t, kind, el, l, &o) == 0) {
				fuzz_check_object(&o);
				ukey_object_clear(&o);
			}
		}
	}
}

/* The write paths parse the directories again (find an entry, a free key
 * record, an unreferenced file) and splice them: on hostile directories. */
static void write_phase(p15_token *t, ukey_objlist *listed)
{
	static const uint8_t certder[] = { 0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02 };
	static const uint8_t oid[] = { 0x06, 0x03, 0x2A, 0x03, 0x04 };
	static const uint8_t e[] = { 0x01, 0x00, 0x01 };
	static uint8_t n[128];
	static const uint8_t pin[4] = { '1', '2', '3', '4' };
	ukey_object o, pub, priv;
	ukey_keygen_params kp;
	uint8_t kid;

	memset(&o, 0, sizeof(o));
	o.cls = UKEY_OBJ_CERT;
	o.id[0] = 0x42;
	o.id_len = 1;
	strcpy(o.label, "fuzz cert");
	o.value = (uint8_t *)certder;
	o.value_len = sizeof(certder);
	if (p15_write_object(t, &o) == UKEY_OK)
		fuzz_check_object(&o);

	memset(&o, 0, sizeof(o));
	o.cls = UKEY_OBJ_DATA;
	strcpy(o.label, "fuzz data");
	strcpy(o.application, "fuzz");
	o.oid_der = (uint8_t *)oid;
	o.oid_der_len = sizeof(oid);
	o.value = (uint8_t *)certder;
	o.value_len = 3;
	(void)p15_write_object(t, &o);

	for (size_t i = 0; i < listed->n; i++) {
		ukey_object *x = &listed->v[i];

		strcpy(x->label, "renamed");
		(void)p15_update_object(t, x);
		(void)p15_delete_object(t, x);
	}

	n[0] = 0xC1;
	n[127] = 0x01;
	memset(&kp, 0, sizeof(kp));
	kp.bits = 1024;
	kp.usage = UKEY_USAGE_SIGN;
	kp.private_obj = 1;
	strcpy(kp.label, "fuzz key");
	memset(&pub, 0, sizeof(pub));
	memset(&priv, 0, sizeof(priv));
	if (p15_refresh(t) == UKEY_OK && p15_load_df(t, P15_DF_PRKDF) == UKEY_OK &&
	    (kid = p15_free_kid(t)) != 0) {
		if (kid > 9)
			__builtin_trap();
		if (p15_add_keypair(t, kid, &kp, n, sizeof(n), e, sizeof(e), 1, &pub,
				    &priv) == UKEY_OK) {
			fuzz_check_object(&pub);
			fuzz_check_object(&priv);
		}
	}
	ukey_object_clear(&pub);
	ukey_object_clear(&priv);
	(void)p15_init_user_pin(t, pin, sizeof(pin));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static fscard card;
	static p15_token t;
	ukey_chan ch;
	ftcos_ctx c;
	ukey_cardfs fs;
	ukey_objlist l = { 0 };
	ukey_rv rv;

	fscard_init(&card, data, size);
	ukey_chan_init(&ch, fscard_xfer, &card, NULL);
	if (ftcos_ctx_init(&c, &ch, NULL) != UKEY_OK)
		__builtin_trap();
	ftcos_cardfs(&c, &fs); /* the layout sees FTCOS through cardfs.h */

	rv = p15_bind(&t, &fs, NULL);
	/* the raw decoders, with the bound token's app path */
	for (size_t i = 0; i < card.n; i++)
		walk_dir(&t, card.files[i].data, card.files[i].len);
	if (rv == UKEY_OK) {
		fuzz_check_str(t.label, sizeof(t.label));
		fuzz_check_str(t.manufacturer, sizeof(t.manufacturer));
		if (t.serial_len > sizeof(t.serial) || t.odf_used > t.odf_size ||
		    t.ti_len > t.ti_size)
			__builtin_trap();
		rv = p15_list(&t, &l);
		fuzz_check_objlist(&l);
		for (size_t i = 0; i < l.n; i++) {
			if (p15_read_value(&t, &l.v[i]) == UKEY_OK)
				fuzz_check_object(&l.v[i]);
		}
		if (card.flags & FSCARD_F_WRITES)
			write_phase(&t, &l);
		ukey_objlist_clear(&l);
		for (int cls = UKEY_OBJ_CERT; cls <= UKEY_OBJ_DATA; cls++) {
			/* from cold directories, as list_class is used by p11/ */
			if (p15_refresh(&t) != UKEY_OK)
				break;
			(void)p15_list_class(&t, cls, &l);
			fuzz_check_objlist(&l);
			ukey_objlist_clear(&l);
		}
		p15_pins_quick(&t);
		t.pins_loaded = 0;
		if (p15_load_pins(&t) == UKEY_OK) {
			for (int i = 0; i < 2; i++)
				if (t.pin[i].auth_id_len > UKEY_ID_MAX ||
				    t.pin[i].min_len > t.pin[i].max_len ||
				    t.pin[i].max_len > FTCOS_PIN_STORED)
					__builtin_trap();
		}
	}
	p15_free(&t);
	ftcos_ctx_wipe(&c);
	fscard_free(&card);
	return 0;
}
