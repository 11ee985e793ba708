/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz entry for the ENTERSAFE-ESPK layout reader (drivers/layout/espk.c):
 * the index EF 6F01 (30-byte records) and the attribute-stream files come
 * from the input through the simulated card of fuzz_drivers_fscard.h; every
 * file is also fed straight to the record and attribute parsers. With
 * FSCARD_F_WRITES the write operations (espk_write.c) run on what was
 * listed: a certificate, a key pair (READ PUBLIC KEY answers from files
 * E001..E009), relabelling and deleting every object — against hostile
 * indexes, containermaps and cmapfiles in both forms.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "espk.h"
#include "ftcos.h"
#include "fuzz_drivers_check.h"
#include "fuzz_drivers_fscard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse_raw(const uint8_t *buf, size_t len)
{
	for (size_t off = 0; off + 30 <= len; off += 30) {
		espk_file f;
		int r = espk_parse_index_record(buf + off, &f);

		if (r < -1 || r > 1)
			__builtin_trap();
		fuzz_check_str(f.name, sizeof(f.name));
		if (r == 1 && (f.fid == 0 || f.fid == 0xFFFF || f.size > 8192))
			__builtin_trap();
	}
	{
		ukey_object o;
		uint32_t kh = 0;
		unsigned hw = 0;

		int r;

		memset(&o, 0, sizeof(o));
		r = espk_parse_attrs(buf, len, &o, &kh, &hw);
		if (r == 0 && ((hw != 0 && hw != 1 && hw != 4) || kh > 0xFFFF ||
			       (hw == 1 && kh > 0xFF)))
			__builtin_trap();
		if (r == 0)
			fuzz_check_object(&o);
		else /* a failed parse may leave partial values: must be freeable */
			fuzz_check_str(o.label, sizeof(o.label));
		ukey_object_clear(&o);
	}
}

static void write_phase(espk_token *t, ukey_objlist *listed)
{
	static const uint8_t certder[5] = { 0x30, 0x03, 0x02, 0x01, 0x05 };
	ukey_object o, pub, priv;
	ukey_keygen_params kp;

	memset(&o, 0, sizeof(o));
	o.cls = UKEY_OBJ_CERT;
	o.id[0] = 0x42;
	o.id_len = 1;
	strcpy(o.label, "fuzz cert");
	o.value = (uint8_t *)certder;
	o.value_len = sizeof(certder);
	if (espk_write_object(t, &o) == UKEY_OK)
		fuzz_check_object(&o);
	o.value = NULL;

	memset(&kp, 0, sizeof(kp));
	kp.bits = 1024;
	kp.usage = UKEY_USAGE_SIGN;
	strcpy(kp.label, "fuzz key");
	memset(&pub, 0, sizeof(pub));
	memset(&priv, 0, sizeof(priv));
	if (espk_generate_rsa(t, &kp, &pub, &priv) == UKEY_OK) {
		unsigned ref = 0;

		fuzz_check_object(&pub);
		fuzz_check_object(&priv);
		if (espk_key_ref(&priv, &ref) != UKEY_OK || !ref || ref > 0xFFFF)
			__builtin_trap();
	}
	ukey_object_clear(&pub);
	ukey_object_clear(&priv);

	for (size_t i = 0; i < listed->n; i++) {
		ukey_object *x = &listed->v[i];

		strcpy(x->label, "a renamed object, longer than before");
		(void)espk_update_object(t, x);
		(void)espk_delete_object(t, x);
	}
	if (t->n_files > ESPK_MAX_FILES)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static fscard card;
	static espk_token t;
	ukey_chan ch;
	ftcos_ctx c;
	ukey_cardfs fs;
	ukey_objlist l = { 0 };

	fscard_init(&card, data, size);
	for (size_t i = 0; i < card.n; i++)
		parse_raw(card.files[i].data, card.files[i].len);

	ukey_chan_init(&ch, fscard_xfer, &card, NULL);
	if (ftcos_ctx_init(&c, &ch, NULL) != UKEY_OK)
		__builtin_trap();
	ftcos_cardfs(&c, &fs); /* the layout sees FTCOS through cardfs.h */
	if (espk_bind(&t, &fs, NULL) == UKEY_OK) {
		if (t.n_files > ESPK_MAX_FILES)
			__builtin_trap();
		fuzz_check_str(t.label, sizeof(t.label));
		fuzz_check_str(t.serial, sizeof(t.serial));
		(void)espk_list(&t, &l);
		fuzz_check_objlist(&l);
		for (size_t i = 0; i < l.n; i++) {
			unsigned ref = 0;

			(void)espk_read_value(&t, &l.v[i]);
			if (espk_key_ref(&l.v[i], &ref) == UKEY_OK &&
			    (ref == 0 || ref > 0xFFFF))
				__builtin_trap();
		}
		if (card.flags & FSCARD_F_WRITES)
			write_phase(&t, &l);
		ukey_objlist_clear(&l);
	}
	espk_free(&t);
	ftcos_ctx_wipe(&c);
	fscard_free(&card);
	return 0;
}
