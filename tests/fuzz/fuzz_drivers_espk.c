/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz entry for the ENTERSAFE-ESPK layout reader (drivers/layout/espk.c):
 * the index EF 6F01 (30-byte records) and the attribute-stream files come
 * from the input through the simulated card of fuzz_drivers_fscard.h; every
 * file is also fed straight to the record and attribute parsers.
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

		memset(&o, 0, sizeof(o));
		if (espk_parse_attrs(buf, len, &o, &kh) == 0)
			fuzz_check_object(&o);
		else /* a failed parse may leave partial values: must be freeable */
			fuzz_check_str(o.label, sizeof(o.label));
		ukey_object_clear(&o);
	}
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
			uint8_t kid = 0;

			(void)espk_read_value(&t, &l.v[i]);
			if (espk_key_ref(&l.v[i], &kid) == UKEY_OK && kid == 0)
				__builtin_trap();
		}
		ukey_objlist_clear(&l);
	}
	espk_free(&t);
	ftcos_ctx_wipe(&c);
	fscard_free(&card);
	return 0;
}
