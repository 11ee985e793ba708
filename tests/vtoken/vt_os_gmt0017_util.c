/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GM/T 0017 virtual OS: byte order, names, rights, handle lookup. */
#include <string.h>

#include "vt_os_gmt0017.h"

uint32_t gm_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

uint16_t gm_be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

void gm_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void gm_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

int gm_name_ok(const uint8_t *p, size_t len, size_t max)
{
	if (len == 0 || len > max)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (p[i] < 0x20 || p[i] > 0x7E)
			return 0;
	return 1;
}

int gm_rights_ok(uint32_t r)
{
	return r == GM_RIGHT_NEVER || r == GM_RIGHT_ADMIN || r == GM_RIGHT_USER ||
	       r == (GM_RIGHT_ADMIN | GM_RIGHT_USER) || r == GM_RIGHT_ANYONE;
}

int gm_right_granted(const gm_app *a, uint32_t right)
{
	if (right == GM_RIGHT_ANYONE)
		return 1;
	if ((right & GM_RIGHT_ADMIN) && a->auth[GM_PIN_ADMIN])
		return 1;
	if ((right & GM_RIGHT_USER) && a->auth[GM_PIN_USER])
		return 1;
	return 0;
}

uint16_t gm_app_id(const gm_state *st, const gm_app *a)
{
	return (uint16_t)(a - st->apps + 1);
}

uint16_t gm_cont_id(const gm_app *a, const gm_cont *k)
{
	return (uint16_t)(k - a->conts + 1);
}

gm_app *gm_app_by_id(gm_state *st, const gm_cmd *c, unsigned *sw)
{
	if (c->lc < 2) {
		*sw = GM_SW_WRONG_LEN;
		return NULL;
	}
	uint16_t id = gm_be16(c->data);
	if (id < 1 || id > GM_MAX_APPS || !st->apps[id - 1].used ||
	    !st->apps[id - 1].open) {
		*sw = GM_SW_BAD_HANDLE;
		return NULL;
	}
	return &st->apps[id - 1];
}

gm_cont *gm_cont_by_handle(gm_state *st, const gm_cmd *c, int need_user,
			   unsigned *sw)
{
	if (c->lc < 4) {
		*sw = GM_SW_WRONG_LEN;
		return NULL;
	}
	gm_app *a = gm_app_by_id(st, c, sw);
	if (!a)
		return NULL;
	gm_cont *k = gm_cont_by_id(a, c, sw);
	if (k && need_user && !a->auth[GM_PIN_USER]) {
		*sw = GM_SW_SECURITY;
		return NULL;
	}
	return k;
}

gm_app *gm_app_front(gm_state *st, const gm_cmd *c, unsigned p2_max,
		     size_t lc, unsigned *sw)
{
	if (c->p1 || c->p2 > p2_max) {
		*sw = GM_SW_WRONG_P1P2;
		return NULL;
	}
	if (c->lc != lc) {
		*sw = GM_SW_WRONG_LEN;
		return NULL;
	}
	return gm_app_by_id(st, c, sw);
}

gm_cont *gm_cont_by_id(gm_app *a, const gm_cmd *c, unsigned *sw)
{
	if (c->lc < 4) {
		*sw = GM_SW_WRONG_LEN;
		return NULL;
	}
	uint16_t id = gm_be16(c->data + 2);
	if (id < 1 || id > GM_MAX_CONTAINERS || !a->conts[id - 1].used ||
	    !a->conts[id - 1].open) {
		*sw = GM_SW_BAD_HANDLE;
		return NULL;
	}
	return &a->conts[id - 1];
}

size_t gm_used_space(const gm_state *st)
{
	size_t used = 0;
	for (int i = 0; i < GM_MAX_APPS; i++) {
		const gm_app *a = &st->apps[i];
		if (!a->used)
			continue;
		for (int j = 0; j < GM_MAX_FILES; j++)
			if (a->files[j].used)
				used += a->files[j].size;
		for (int j = 0; j < GM_MAX_CONTAINERS; j++) {
			const gm_cont *k = &a->conts[j];
			if (!k->used)
				continue;
			for (int s = 0; s < 2; s++)
				used += k->cert_len[s] +
					(k->key[s] ? GM_KEY_SPACE : 0);
		}
	}
	return used;
}

size_t gm_put_name(uint8_t *out, size_t off, const char *name)
{
	size_t n = strlen(name);
	memcpy(out + off, name, n);
	out[off + n] = 0;
	return off + n + 1;
}
