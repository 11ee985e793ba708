/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz entry for the vendor-profile parser (drivers/profile.c): arbitrary
 * text through ukey_profile_parse, then the getters, ATR matching and the
 * FTCOS driver's use of a profile (chunk sizes, keys, PIN lengths, layout
 * list) on what was parsed, bound to a card that has nothing on it.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_drivers_check.h"
#include "ftcos.h"
#include "profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_profile(const ukey_profile *p)
{
	fuzz_check_str(p->file, sizeof(p->file));
	fuzz_check_str(p->name, sizeof(p->name));
	fuzz_check_str(p->driver, sizeof(p->driver));
	fuzz_check_str(p->layouts, sizeof(p->layouts));
	fuzz_check_str(p->manufacturer, sizeof(p->manufacturer));
	fuzz_check_str(p->model, sizeof(p->model));
	if (p->n_atrs == 0 || p->n_atrs > UKEY_PROFILE_MAX_ATRS ||
	    p->n_kv > UKEY_PROFILE_MAX_KV || p->pin_min > p->pin_max)
		__builtin_trap();
	for (size_t i = 0; i < p->n_atrs; i++) {
		const ukey_atr_pattern *a = &p->atrs[i];

		if (a->len < 2 || a->len > sizeof(a->atr))
			__builtin_trap();
		for (size_t j = 0; j < a->len; j++)
			if (a->atr[j] & ~a->mask[j])
				__builtin_trap(); /* stored ATRs are pre-masked */
	}
	for (size_t i = 0; i < p->n_kv; i++) {
		fuzz_check_str(p->kv[i].key, sizeof(p->kv[i].key));
		fuzz_check_str(p->kv[i].value, sizeof(p->kv[i].value));
	}
}

/* A blank card: every command answers 6A82 (file or application not found). */
static ukey_rv blank_xfer(void *ctx, const uint8_t *cmd, size_t cmdlen,
			  uint8_t *rsp, size_t rspcap, size_t *rsplen)
{
	unsigned long *calls = ctx;

	(void)cmd;
	(void)cmdlen;
	if (++*calls > 1000 || rspcap < 2)
		__builtin_trap();
	rsp[0] = 0x6A;
	rsp[1] = 0x82;
	*rsplen = 2;
	return UKEY_OK;
}

/* bind with this profile, then what p11/ asks for C_GetTokenInfo. */
static void bind_blank(const ukey_profile *p)
{
	static ukey_card card;
	const ukey_driver *drv = ukey_driver_find("ftcos");
	unsigned long calls = 0;
	ukey_pin_info pi;

	if (!drv)
		__builtin_trap();
	memset(&card, 0, sizeof(card));
	card.profile = p;
	card.drv = drv;
	ukey_chan_init(&card.chan, blank_xfer, &calls, &p->chan);
	if (drv->bind(&card) != UKEY_OK)
		return;
	fuzz_check_card(&card);
	for (int role = UKEY_PIN_USER; role <= UKEY_PIN_SO; role++)
		if (drv->pin_info(&card, (ukey_pin_role)role, &pi) == UKEY_OK)
			fuzz_check_pin_info(&pi);
	drv->unbind(&card);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static ukey_profile p;
	char err[160];
	ukey_rv rv;

	memset(err, 'x', sizeof(err));
	rv = ukey_profile_parse((const char *)data, size, "fuzz.profile", &p,
				err, sizeof(err));
	fuzz_check_str(err, sizeof(err));
	if (rv != UKEY_OK) {
		if (rv != UKEY_E_MALFORMED || !err[0])
			__builtin_trap(); /* an error always says where and why */
		return 0;
	}
	check_profile(&p);

	/* getters on every stored key, with small and exact buffers */
	for (size_t i = 0; i < p.n_kv; i++) {
		const char *k = p.kv[i].key;
		uint8_t hex[33];
		size_t hl = 0;

		if (ukey_profile_get(&p, k) == NULL)
			__builtin_trap();
		if (ukey_profile_get_hex(&p, k, hex, sizeof(hex), &hl) == UKEY_OK &&
		    hl > sizeof(hex))
			__builtin_trap();
		if (ukey_profile_get_hex(&p, k, hex, 1, &hl) == UKEY_OK && hl > 1)
			__builtin_trap();
		(void)ukey_profile_get_uint(&p, k, 7);
		(void)ukey_profile_get_bool(&p, k, 1);
	}

	/* matching: its own ATRs match, a set of one profile */
	{
		ukey_profile_set set = { &p, 1 };

		for (size_t i = 0; i < p.n_atrs; i++)
			if (ukey_profile_match(&set, p.atrs[i].atr, p.atrs[i].len) != &p)
				__builtin_trap();
		(void)ukey_profile_match(&set, data, size > 33 ? 33 : size);
	}

	/* what the FTCOS command layer takes from a profile */
	{
		ukey_chan ch;
		ftcos_ctx c;

		ukey_chan_init(&ch, NULL, NULL, &p.chan);
		if (ftcos_ctx_init(&c, &ch, &p) != UKEY_OK)
			__builtin_trap();
		if (c.max_read < 1 || c.max_read > 256 || c.max_update < 1 ||
		    c.max_update > 255 ||
		    (c.transport_key_len != 8 && c.transport_key_len != 16) ||
		    (c.init_key_len != 8 && c.init_key_len != 16) ||
		    (c.maint_key_len != 8 && c.maint_key_len != 16))
			__builtin_trap();
		ftcos_ctx_wipe(&c);
	}
	bind_blank(&p);
	return 0;
}
