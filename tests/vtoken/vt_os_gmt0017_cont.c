/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GM/T 0017 virtual OS: container commands (Create, Open, Close, Enum,
 * Delete, GetContainerInfo) and certificates (Import, Export). */
#include <stdlib.h>
#include <string.h>

#include "vt_os_gmt0017.h"

static gm_cont *gm_cont_by_name(gm_app *a, const uint8_t *name, size_t len)
{
	for (int i = 0; i < GM_MAX_CONTAINERS; i++) {
		gm_cont *k = &a->conts[i];
		if (k->used && strlen(k->name) == len && !memcmp(k->name, name, len))
			return k;
	}
	return NULL;
}

/* Front of the name-addressed commands: data = AppID(2) Name. */
static gm_app *gm_cont_front(gm_state *st, const gm_cmd *c, unsigned *sw)
{
	if (c->p1 || c->p2) {
		*sw = GM_SW_WRONG_P1P2;
		return NULL;
	}
	if (c->lc < 3 || c->lc - 2 > GM_CONT_NAME_MAX) {
		*sw = GM_SW_WRONG_LEN;
		return NULL;
	}
	return gm_app_by_id(st, c, sw);
}

size_t gm_cmd_create_cont(gm_state *st, const gm_cmd *c, uint8_t *rsp,
			  int *dirty)
{
	unsigned sw;
	gm_app *a = gm_cont_front(st, c, &sw);
	if (!a)
		return gm_rsp(rsp, 0, sw);
	const uint8_t *name = c->data + 2;
	size_t nl = c->lc - 2;
	if (!gm_name_ok(name, nl, GM_CONT_NAME_MAX))
		return gm_rsp(rsp, 0, GM_SW_WRONG_DATA);
	if (!a->auth[GM_PIN_USER])
		return gm_rsp(rsp, 0, GM_SW_SECURITY);
	if (gm_cont_by_name(a, name, nl))
		return gm_rsp(rsp, 0, GM_SW_EXISTS);
	gm_cont *k = NULL;
	for (int i = 0; i < GM_MAX_CONTAINERS && !k; i++)
		if (!a->conts[i].used)
			k = &a->conts[i];
	if (!k)
		return gm_rsp(rsp, 0, GM_SW_NO_SPACE);
	memset(k, 0, sizeof(*k));
	k->used = 1;
	k->open = 1;
	memcpy(k->name, name, nl);
	*dirty = 1;
	gm_put16(rsp, gm_cont_id(a, k));
	return gm_rsp(rsp, 2, GM_SW_OK);
}

size_t gm_cmd_open_cont(gm_state *st, const gm_cmd *c, uint8_t *rsp,
			int *dirty)
{
	unsigned sw;
	(void)dirty;
	gm_app *a = gm_cont_front(st, c, &sw);
	if (!a)
		return gm_rsp(rsp, 0, sw);
	gm_cont *k = gm_cont_by_name(a, c->data + 2, c->lc - 2);
	if (!k)
		return gm_rsp(rsp, 0, GM_SW_NOT_FOUND);
	k->open = 1;
	gm_put16(rsp, gm_cont_id(a, k));
	return gm_rsp(rsp, 2, GM_SW_OK);
}

size_t gm_cmd_delete_cont(gm_state *st, const gm_cmd *c, uint8_t *rsp,
			  int *dirty)
{
	unsigned sw;
	gm_app *a = gm_cont_front(st, c, &sw);
	if (!a)
		return gm_rsp(rsp, 0, sw);
	gm_cont *k = gm_cont_by_name(a, c->data + 2, c->lc - 2);
	if (!k)
		return gm_rsp(rsp, 0, GM_SW_NOT_FOUND);
	if (!a->auth[GM_PIN_USER])
		return gm_rsp(rsp, 0, GM_SW_SECURITY);
	gm_cont_clear(k);
	*dirty = 1;
	return gm_rsp(rsp, 0, GM_SW_OK);
}

/* Front of the handle-only commands: P1 = P2 = 0, data = AppID
 * ContainerID and nothing more. */
static gm_cont *gm_cont_exact(gm_state *st, const gm_cmd *c, unsigned *sw)
{
	if (c->p1 || c->p2) {
		*sw = GM_SW_WRONG_P1P2;
		return NULL;
	}
	if (c->lc != 4) {
		*sw = GM_SW_WRONG_LEN;
		return NULL;
	}
	return gm_cont_by_handle(st, c, 0, sw);
}

size_t gm_cmd_close_cont(gm_state *st, const gm_cmd *c, uint8_t *rsp,
			 int *dirty)
{
	unsigned sw;
	(void)dirty;
	gm_cont *k = gm_cont_exact(st, c, &sw);
	if (!k)
		return gm_rsp(rsp, 0, sw);
	k->open = 0;
	return gm_rsp(rsp, 0, GM_SW_OK);
}

size_t gm_cmd_enum_cont(gm_state *st, const gm_cmd *c, uint8_t *rsp,
			int *dirty)
{
	unsigned sw;
	(void)dirty;
	gm_app *a = gm_app_front(st, c, 0, 2, &sw);
	if (!a)
		return gm_rsp(rsp, 0, sw);
	size_t n = 0;
	for (int i = 0; i < GM_MAX_CONTAINERS; i++)
		if (a->conts[i].used)
			n = gm_put_name(rsp, n, a->conts[i].name);
	rsp[n++] = 0;
	return gm_rsp(rsp, n, GM_SW_OK);
}

/* response: Type(1) SignKeyBits(2) EncKeyBits(2) SignCertLen(2)
 *           EncCertLen(2) */
size_t gm_cmd_cont_info(gm_state *st, const gm_cmd *c, uint8_t *rsp,
			int *dirty)
{
	unsigned sw;
	(void)dirty;
	gm_cont *k = gm_cont_exact(st, c, &sw);
	if (!k)
		return gm_rsp(rsp, 0, sw);
	rsp[0] = (k->key[0] || k->key[1]) ? 1 : 0; /* 0 empty, 1 RSA */
	gm_put16(rsp + 1, (uint16_t)gm_rsa_bits(k->key[GM_SLOT_SIGN]));
	gm_put16(rsp + 3, (uint16_t)gm_rsa_bits(k->key[GM_SLOT_ENC]));
	gm_put16(rsp + 5, (uint16_t)k->cert_len[GM_SLOT_SIGN]);
	gm_put16(rsp + 7, (uint16_t)k->cert_len[GM_SLOT_ENC]);
	return gm_rsp(rsp, 9, GM_SW_OK);
}

/* Chained: P1 = 01 sign / 00 enc (| 80 more), P2 = chunk number; data =
 * AppID ContainerID part. An empty certificate deletes the slot's one. */
size_t gm_cmd_import_cert(gm_state *st, const gm_cmd *c, uint8_t *rsp,
			  int *dirty)
{
	unsigned sw;
	uint8_t slot = c->p1 & 0x7F;
	gm_cont *k = gm_stage_import(st, c, GM_CERT_MAX, &sw);
	if (!k)
		return gm_rsp(rsp, 0, sw);
	size_t len = st->stage.len;
	size_t used = gm_used_space(st);
	size_t free_space = used < GM_TOTAL_SPACE ? GM_TOTAL_SPACE - used : 0;
	if (len > k->cert_len[slot] && len - k->cert_len[slot] > free_space) {
		gm_stage_clear(&st->stage);
		return gm_rsp(rsp, 0, GM_SW_NO_SPACE);
	}
	uint8_t *copy = NULL;
	if (len) {
		copy = malloc(len);
		if (!copy) {
			gm_stage_clear(&st->stage);
			return gm_rsp(rsp, 0, GM_SW_NO_SPACE);
		}
		memcpy(copy, st->stage.buf, len);
	}
	gm_stage_clear(&st->stage);
	free(k->cert[slot]);
	k->cert[slot] = copy;
	k->cert_len[slot] = len;
	*dirty = 1;
	return gm_rsp(rsp, 0, GM_SW_OK);
}

/* P1 = 01 sign / 00 enc; data = AppID ContainerID; response the DER
 * certificate (through 61xx when > 256 bytes). */
size_t gm_cmd_export_cert(gm_state *st, const gm_cmd *c, uint8_t *rsp,
			  int *dirty)
{
	unsigned sw;
	(void)dirty;
	if (c->p1 > 1 || c->p2)
		return gm_rsp(rsp, 0, GM_SW_WRONG_P1P2);
	if (c->lc != 4)
		return gm_rsp(rsp, 0, GM_SW_WRONG_LEN);
	gm_cont *k = gm_cont_by_handle(st, c, 0, &sw);
	if (!k)
		return gm_rsp(rsp, 0, sw);
	if (!k->cert_len[c->p1])
		return gm_rsp(rsp, 0, GM_SW_NOT_FOUND);
	memcpy(rsp, k->cert[c->p1], k->cert_len[c->p1]);
	return gm_rsp(rsp, k->cert_len[c->p1], GM_SW_OK);
}
