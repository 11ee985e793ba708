/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GM/T 0017 virtual OS: application commands (Create, Enum, Delete, Open,
 * Close). */
#include <string.h>

#include "vt_os_gmt0017.h"

static gm_app *gm_app_by_name(gm_state *st, const uint8_t *name, size_t len)
{
	for (int i = 0; i < GM_MAX_APPS; i++) {
		gm_app *a = &st->apps[i];
		if (a->used && strlen(a->name) == len && !memcmp(a->name, name, len))
			return a;
	}
	return NULL;
}

/* data: NameLen(1) Name AdminRetry(1) UserRetry(1) CreateFileRights(4)
 *       E_devkey(admin PIN block, 48) E_devkey(user PIN block, 48) */
size_t gm_cmd_create_app(gm_state *st, const gm_cmd *c, uint8_t *rsp,
			 int *dirty)
{
	if (c->p1 || c->p2)
		return gm_rsp(rsp, 0, GM_SW_WRONG_P1P2);
	if (c->lc < 1)
		return gm_rsp(rsp, 0, GM_SW_WRONG_LEN);
	size_t nl = c->data[0];
	if (c->lc != 1 + nl + 1 + 1 + 4 + 2 * GM_PIN_BLOCK)
		return gm_rsp(rsp, 0, GM_SW_WRONG_LEN);
	if (!st->dev_authed)
		return gm_rsp(rsp, 0, GM_SW_SECURITY);
	const uint8_t *name = c->data + 1, *p = c->data + 1 + nl;
	uint8_t admin_retry = p[0], user_retry = p[1];
	uint32_t rights = gm_be32(p + 2);
	if (!gm_name_ok(name, nl, GM_APP_NAME_MAX) || admin_retry < 1 ||
	    admin_retry > GM_RETRY_MAX || user_retry < 1 ||
	    user_retry > GM_RETRY_MAX || !gm_rights_ok(rights))
		return gm_rsp(rsp, 0, GM_SW_WRONG_DATA);
	if (gm_app_by_name(st, name, nl))
		return gm_rsp(rsp, 0, GM_SW_EXISTS);
	gm_app *a = NULL;
	for (int i = 0; i < GM_MAX_APPS && !a; i++)
		if (!st->apps[i].used)
			a = &st->apps[i];
	if (!a)
		return gm_rsp(rsp, 0, GM_SW_NO_SPACE);
	gm_app n;
	memset(&n, 0, sizeof(n));
	n.pin[GM_PIN_ADMIN].max = admin_retry;
	n.pin[GM_PIN_USER].max = user_retry;
	uint8_t pin[GM_PIN_MAX];
	size_t len;
	for (int t = 0; t < 2; t++) {
		if (gm_pin_block_open(st->devkey, p + 6 + t * GM_PIN_BLOCK, pin,
				      &len) != 0) {
			OPENSSL_cleanse(&n, sizeof(n));
			return gm_rsp(rsp, 0, GM_SW_WRONG_DATA);
		}
		gm_pin_key(pin, len, n.pin[t].key);
		OPENSSL_cleanse(pin, sizeof(pin));
		n.pin[t].left = n.pin[t].max;
		n.pin[t].is_default = 1;
	}
	n.used = 1;
	memcpy(n.name, name, nl);
	n.create_rights = rights;
	*a = n;
	OPENSSL_cleanse(&n, sizeof(n));
	*dirty = 1;
	return gm_rsp(rsp, 0, GM_SW_OK);
}

size_t gm_cmd_enum_app(gm_state *st, const gm_cmd *c, uint8_t *rsp,
		       int *dirty)
{
	(void)dirty;
	if (c->p1 || c->p2)
		return gm_rsp(rsp, 0, GM_SW_WRONG_P1P2);
	if (c->lc)
		return gm_rsp(rsp, 0, GM_SW_WRONG_LEN);
	size_t n = 0;
	for (int i = 0; i < GM_MAX_APPS; i++)
		if (st->apps[i].used)
			n = gm_put_name(rsp, n, st->apps[i].name);
	rsp[n++] = 0;
	return gm_rsp(rsp, n, GM_SW_OK);
}

size_t gm_cmd_delete_app(gm_state *st, const gm_cmd *c, uint8_t *rsp,
			 int *dirty)
{
	if (c->p1 || c->p2)
		return gm_rsp(rsp, 0, GM_SW_WRONG_P1P2);
	if (c->lc < 1 || c->lc > GM_APP_NAME_MAX)
		return gm_rsp(rsp, 0, GM_SW_WRONG_LEN);
	if (!st->dev_authed)
		return gm_rsp(rsp, 0, GM_SW_SECURITY);
	gm_app *a = gm_app_by_name(st, c->data, c->lc);
	if (!a)
		return gm_rsp(rsp, 0, GM_SW_NOT_FOUND);
	gm_app_clear(a);
	*dirty = 1;
	return gm_rsp(rsp, 0, GM_SW_OK);
}

/* response: CreateFileRights(4) MaxContainers(1) MaxCerts(1) MaxFiles(2)
 *           AppID(2) */
size_t gm_cmd_open_app(gm_state *st, const gm_cmd *c, uint8_t *rsp,
		       int *dirty)
{
	(void)dirty;
	if (c->p1 || c->p2)
		return gm_rsp(rsp, 0, GM_SW_WRONG_P1P2);
	if (c->lc < 1 || c->lc > GM_APP_NAME_MAX)
		return gm_rsp(rsp, 0, GM_SW_WRONG_LEN);
	gm_app *a = gm_app_by_name(st, c->data, c->lc);
	if (!a)
		return gm_rsp(rsp, 0, GM_SW_NOT_FOUND);
	a->open = 1;
	gm_put32(rsp, a->create_rights);
	rsp[4] = GM_MAX_CONTAINERS;
	rsp[5] = GM_MAX_CERTS;
	gm_put16(rsp + 6, GM_MAX_FILES);
	gm_put16(rsp + 8, gm_app_id(st, a));
	return gm_rsp(rsp, 10, GM_SW_OK);
}

size_t gm_cmd_close_app(gm_state *st, const gm_cmd *c, uint8_t *rsp,
			int *dirty)
{
	unsigned sw;
	(void)dirty;
	gm_app *a = gm_app_front(st, c, 0, 2, &sw);
	if (!a)
		return gm_rsp(rsp, 0, sw);
	a->open = 0;
	a->auth[0] = a->auth[1] = 0;
	for (int i = 0; i < GM_MAX_CONTAINERS; i++)
		a->conts[i].open = 0;
	return gm_rsp(rsp, 0, GM_SW_OK);
}
