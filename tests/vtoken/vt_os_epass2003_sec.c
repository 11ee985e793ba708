/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ePass2003 security: GET CHALLENGE, the PIN check by EXTERNAL
 * AUTHENTICATE (00 82 01 8k: 3DES of the challenge under SHA-1(PIN) ||
 * BE32(len)), VERIFY with the PIN itself, key records (INSTALL 80 E3,
 * UPDATE 80 E5) and their persistent retry counters. PIN values and keys
 * are compared in constant time and never logged.
 */
#include <string.h>

#include <openssl/rand.h>

#include "vt_os_epass2003.h"

void vte_key_clear(vte_key *k)
{
	vt_wipe(k, sizeof *k);
}

vte_key *vte_find_key(vte_card *c, uint16_t df, uint8_t kid)
{
	for (int i = 0; i < VTE_MAX_KEYS; i++)
		if (c->keys[i].used && c->keys[i].df == df && VTE_KID(&c->keys[i]) == kid)
			return &c->keys[i];
	return NULL;
}

vte_key *vte_lookup_key(vte_card *c, uint8_t kid)
{
	for (uint16_t d = c->cur_df; d != VTE_NONE; d = c->files[d].parent) {
		vte_key *k = vte_find_key(c, d, kid);
		if (k)
			return k;
	}
	return NULL;
}

vte_key *vte_add_key(vte_card *c, uint16_t df)
{
	for (int i = 0; i < VTE_MAX_KEYS; i++)
		if (!c->keys[i].used) {
			memset(&c->keys[i], 0, sizeof c->keys[i]);
			c->keys[i].used = 1;
			c->keys[i].df = df;
			return &c->keys[i];
		}
	return NULL;
}

size_t vte_get_challenge(vte_card *c, const vte_cmd *m, uint8_t *rsp)
{
	size_t n = m->le < 0 ? 8 : (size_t)m->le;
	if (m->p1 || m->p2)
		return vt_sw(rsp, 0, 0x6A86);
	if (n < 8 || n > 256)
		return vt_sw(rsp, 0, 0x6700);
	if (RAND_bytes(rsp, (int)n) != 1)
		return vt_sw(rsp, 0, 0x6F00);
	/* the first 8 bytes are the challenge of the next EXTERNAL AUTH */
	memcpy(c->chal, rsp, 8);
	c->chal_next = 1;
	return vt_sw(rsp, n, 0x9000);
}

static uint16_t tries_sw(const vte_key *k)
{
	return (uint16_t)(0x63C0 | (k->ec & 0x0F));
}

/* Byte 4 of a PIN record is its unblock condition (OpenSC writes 98: SO
 * level, under SM). Once an authentication reaches it — the PUK, whose
 * record grants SO — the counters of the DF's other PIN records are reset
 * to their maximum. OpenSC's UNBLOCK is exactly that PUK authentication:
 * it sends no new PIN (docs/epass2003-wire.md). */
static void unblock_others(vte_card *c, const vte_key *by, int *dirty)
{
	for (int i = 0; i < VTE_MAX_KEYS; i++) {
		vte_key *o = &c->keys[i];
		if (!o->used || o == by || o->df != by->df ||
		    (VTE_KTYPE(o) != VTE_KT_PIN_KEY && VTE_KTYPE(o) != VTE_KT_PIN_PLAIN))
			continue;
		uint8_t max = o->ec >> 4;
		if ((o->ec & 0x0F) != max && vte_ac_ok(c, o->hdr[4])) {
			o->ec = (uint8_t)(max << 4 | max);
			*dirty = 1;
		}
	}
}

/* Count down, compare, restore: the counter is persisted (dirty) whatever
 * the outcome; a success restores it to the maximum and raises the
 * security level to the record's grant byte. */
static uint16_t check(vte_card *c, vte_key *k, const uint8_t *expect,
		      const uint8_t *got, size_t len, int *dirty)
{
	uint8_t max = k->ec >> 4, left = k->ec & 0x0F;
	if (left == 0)
		return 0x6983;
	k->ec = (uint8_t)(max << 4 | (left - 1));
	*dirty = 1;
	if (vt_ct_memcmp(expect, got, len))
		return (k->ec & 0x0F) ? tries_sw(k) : 0x63C0;
	k->ec = (uint8_t)(max << 4 | max);
	if (VTE_GRANT(k) > c->level)
		c->level = VTE_GRANT(k);
	unblock_others(c, k, dirty);
	return 0x9000;
}

/* The 24-byte key a PIN record stands for (plain records derive it). */
static int record_key(const vte_key *k, uint8_t key[24])
{
	if (VTE_KTYPE(k) == VTE_KT_PIN_KEY && k->vlen == 24) {
		memcpy(key, k->val, 24);
		return 0;
	}
	if (VTE_KTYPE(k) == VTE_KT_PIN_PLAIN && k->vlen == 16) {
		size_t n = 16;
		while (n > 0 && k->val[n - 1] == 0)
			n--;
		return vte_pin_key(k->val, n, key);
	}
	return -1;
}

size_t vte_ext_auth_key(vte_card *c, const vte_cmd *m, uint8_t *rsp,
			int *dirty)
{
	if (m->p1 != 0x01)
		return vt_sw(rsp, 0, 0x6A86);
	vte_key *k = vte_lookup_key(c, m->p2 & 0x7F);
	uint8_t key[24], expect[8];
	if (!k || record_key(k, key))
		return vt_sw(rsp, 0, 0x6A88);
	if (m->lc == 0) {                /* retry counter query */
		vt_wipe(key, sizeof key);
		return vt_sw(rsp, 0, tries_sw(k));
	}
	if (m->lc != 8) {
		vt_wipe(key, sizeof key);
		return vt_sw(rsp, 0, 0x6700);
	}
	if (!c->chal_live) {
		vt_wipe(key, sizeof key);
		return vt_sw(rsp, 0, 0x6985);   /* no GET CHALLENGE just before */
	}
	if (!vte_ac_ok(c, VTE_USE_AC(k))) {
		vt_wipe(key, sizeof key);
		return vt_sw(rsp, 0, 0x6982);
	}
	int rc = vte_ecb("DES-EDE3-ECB", key, 1, c->chal, 8, expect);
	vt_wipe(key, sizeof key);
	if (rc)
		return vt_sw(rsp, 0, 0x6F00);
	uint16_t sw = check(c, k, expect, m->data, 8, dirty);
	vt_wipe(expect, sizeof expect);
	return vt_sw(rsp, 0, sw);
}

size_t vte_verify(vte_card *c, const vte_cmd *m, uint8_t *rsp, int *dirty)
{
	if (m->p1 != 0x00)
		return vt_sw(rsp, 0, 0x6A86);
	vte_key *k = vte_lookup_key(c, m->p2 & 0x7F);
	if (!k || (VTE_KTYPE(k) != VTE_KT_PIN_PLAIN && VTE_KTYPE(k) != VTE_KT_PIN_KEY))
		return vt_sw(rsp, 0, 0x6A88);
	if (m->lc == 0)
		return vt_sw(rsp, 0, tries_sw(k));
	if (m->lc > 16)
		return vt_sw(rsp, 0, 0x6700);
	if (!vte_ac_ok(c, VTE_USE_AC(k)))
		return vt_sw(rsp, 0, 0x6982);
	uint8_t got[24], expect[24];
	size_t len;
	if (VTE_KTYPE(k) == VTE_KT_PIN_PLAIN) {
		/* the stored PIN is zero-padded to 16 bytes */
		memset(got, 0, 16);
		memcpy(got, m->data, m->lc);
		memcpy(expect, k->val, 16);
		len = 16;
	} else {
		size_t n = m->lc;
		while (n > 0 && m->data[n - 1] == 0)
			n--;
		if (vte_pin_key(m->data, n, got))
			return vt_sw(rsp, 0, 0x6F00);
		memcpy(expect, k->val, 24);
		len = 24;
	}
	uint16_t sw = check(c, k, expect, got, len, dirty);
	vt_wipe(got, sizeof got);
	vt_wipe(expect, sizeof expect);
	return vt_sw(rsp, 0, sw);
}

/* 80 E3 00 00 Lc: type kid use_ac modify_ac b4 b5 b6 grant FF EC value.
 * SM keys (types 01/02, kid 0) replace the card's mutual-authentication
 * keys; PIN records (04 key, 06 plain) live in the current DF, and an
 * existing record is only replaced under its modify condition. */
size_t vte_install_key(vte_card *c, const vte_cmd *m, uint8_t *rsp,
		       int *dirty)
{
	if (m->p2 || (m->p1 != 0x00 && m->p1 != 0x01))
		return vt_sw(rsp, 0, 0x6A86);
	if (!c->in_sm)
		return vt_sw(rsp, 0, 0x6982);
	if (m->lc < 10)
		return vt_sw(rsp, 0, 0x6700);
	const uint8_t *d = m->data;
	size_t vlen = m->lc - 10;
	uint8_t type = d[0];
	if (type == VTE_KT_SM_ENC || type == VTE_KT_SM_MAC) {
		if (vlen != 16 || d[1] != 0)
			return vt_sw(rsp, 0, 0x6A80);
		memcpy(type == VTE_KT_SM_ENC ? c->sm_kenc : c->sm_kmac, d + 10, 16);
		*dirty = 1;
		return vt_sw(rsp, 0, 0x9000);
	}
	if ((type == VTE_KT_PIN_KEY && vlen != 24) ||
	    (type == VTE_KT_PIN_PLAIN && vlen != 16) ||
	    (type != VTE_KT_PIN_KEY && type != VTE_KT_PIN_PLAIN))
		return vt_sw(rsp, 0, 0x6A80);
	uint8_t ec = d[9];
	if ((ec >> 4) == 0 || (ec & 0x0F) > (ec >> 4))
		return vt_sw(rsp, 0, 0x6A80);
	if (c->cur_df == VTE_NONE)
		return vt_sw(rsp, 0, 0x6986);
	vte_key *k = vte_find_key(c, c->cur_df, d[1]);
	if (k && !vte_ac_ok(c, VTE_MODIFY_AC(k)))
		return vt_sw(rsp, 0, 0x6982);
	if (!k && !(k = vte_add_key(c, c->cur_df)))
		return vt_sw(rsp, 0, 0x6A84);
	memcpy(k->hdr, d, 10);
	k->ec = ec;
	memset(k->val, 0, sizeof k->val);
	memcpy(k->val, d + 10, vlen);
	k->vlen = (uint8_t)vlen;
	*dirty = 1;
	return vt_sw(rsp, 0, 0x9000);
}

/* 80 E5 type kid 19: EC || new 24-byte key (change PIN). */
size_t vte_update_key(vte_card *c, const vte_cmd *m, uint8_t *rsp,
		      int *dirty)
{
	if (!c->in_sm)
		return vt_sw(rsp, 0, 0x6982);
	if (m->p1 != VTE_KT_PIN_KEY)
		return vt_sw(rsp, 0, 0x6A86);
	if (m->lc != 25)
		return vt_sw(rsp, 0, 0x6700);
	vte_key *k = vte_lookup_key(c, m->p2);
	if (!k || VTE_KTYPE(k) != VTE_KT_PIN_KEY)
		return vt_sw(rsp, 0, 0x6A88);
	if (!vte_ac_ok(c, VTE_MODIFY_AC(k)))
		return vt_sw(rsp, 0, 0x6982);
	uint8_t ec = m->data[0];
	if ((ec >> 4) == 0 || (ec & 0x0F) > (ec >> 4))
		return vt_sw(rsp, 0, 0x6A80);
	k->ec = ec;
	memcpy(k->val, m->data + 1, 24);
	k->vlen = 24;
	*dirty = 1;
	return vt_sw(rsp, 0, 0x9000);
}
