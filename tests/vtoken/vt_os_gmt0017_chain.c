/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * GM/T 0017 virtual OS: chained uploads for data that does not fit one
 * short APDU (certificates, imported keys, RSA blocks). Rule (see
 * docs/watchdata-wire.md): every chunk carries AppID ContainerID part;
 * P1 bit 7 = more chunks follow, P1 bits 0-6 = the command's flags; P2 =
 * chunk number from 0. Chunk 0 starts over; anything out of sequence
 * discards the upload.
 */
#include <string.h>

#include "vt_os_gmt0017.h"

void gm_stage_clear(gm_stage *s)
{
	OPENSSL_cleanse(s, sizeof(*s));
}

unsigned gm_stage_step(gm_state *st, const gm_cmd *c, uint8_t flags,
		       size_t limit, int *done)
{
	gm_stage *s = &st->stage;
	uint16_t app = gm_be16(c->data), cont = gm_be16(c->data + 2);
	int more = (c->p1 & 0x80) != 0;
	*done = 0;
	if (c->p2 == 0) {
		gm_stage_clear(s);
		s->active = 1;
		s->ins = c->ins;
		s->flags = flags;
		s->app_id = app;
		s->cont_id = cont;
	} else if (!s->active || s->ins != c->ins || s->flags != flags ||
		   s->app_id != app || s->cont_id != cont ||
		   s->next_seq != c->p2) {
		gm_stage_clear(s);
		return GM_SW_WRONG_P1P2;
	}
	size_t part = c->lc - 4;
	if (limit > GM_STAGE_MAX)
		limit = GM_STAGE_MAX;
	if (part > limit - s->len) {
		gm_stage_clear(s);
		return GM_SW_WRONG_LEN;
	}
	if (more && c->p2 == 0xFF) { /* no chunk number left */
		gm_stage_clear(s);
		return GM_SW_WRONG_P1P2;
	}
	if (part)
		memcpy(s->buf + s->len, c->data + 4, part);
	s->len += part;
	s->next_seq = (uint8_t)(c->p2 + 1);
	if (!more)
		*done = 1;
	return GM_SW_OK;
}

gm_cont *gm_stage_import(gm_state *st, const gm_cmd *c, size_t limit,
			 unsigned *sw)
{
	uint8_t slot = c->p1 & 0x7F;
	if (slot > 1) {
		gm_stage_clear(&st->stage);
		*sw = GM_SW_WRONG_P1P2;
		return NULL;
	}
	gm_cont *k = gm_cont_by_handle(st, c, 1, sw);
	if (!k) {
		gm_stage_clear(&st->stage);
		return NULL;
	}
	int done;
	*sw = gm_stage_step(st, c, slot, limit, &done);
	if (*sw != GM_SW_OK || !done)
		return NULL;
	return k;
}
