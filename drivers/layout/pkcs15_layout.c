/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/layout/pkcs15_layout.c — the PKCS#15 layout as a layout table
 * (layout.h): binding, PIN facts and key references for the driver, and
 * the read and write operations of pkcs15_read.c / pkcs15_write.c.
 */
#include <stdlib.h>
#include <string.h>

#include "layout.h"
#include "pkcs15.h"

static p15_token *tok(ukey_layout *l)
{
	return (p15_token *)l->st;
}

static void copy_str(char *dst, size_t dstsz, const char *src)
{
	size_t n = strlen(src);

	if (n >= dstsz)
		n = dstsz - 1;
	memcpy(dst, src, n);
	dst[n] = 0;
}

static void hex(const uint8_t *s, size_t n, char *out, size_t outsz)
{
	static const char hx[] = "0123456789ABCDEF";
	size_t j = 0;

	for (size_t i = 0; i < n && j + 2 < outsz; i++) {
		out[j++] = hx[s[i] >> 4];
		out[j++] = hx[s[i] & 15];
	}
	out[j] = 0;
}

static void l_free(ukey_layout *l)
{
	if (l->st) {
		p15_free(tok(l));
		free(l->st);
		l->st = NULL;
	}
}

static ukey_rv l_bind(ukey_layout *l, const ukey_cardfs *fs,
		      const ukey_profile *prof)
{
	p15_token *t = calloc(1, sizeof(*t));
	ukey_rv rv;

	if (!t)
		return UKEY_E_NOMEM;
	l->st = t;
	rv = p15_bind(t, fs, prof);
	if (rv) {
		l_free(l);
		return rv;
	}
	if (t->label[0])
		copy_str(l->label, sizeof(l->label), t->label);
	/* the serial is an octet string: CK_TOKEN_INFO shows its first 8
	 * bytes in hex */
	if (t->serial_len)
		hex(t->serial, t->serial_len > 8 ? 8 : t->serial_len, l->serial,
		    sizeof(l->serial));
	return UKEY_OK;
}

static ukey_rv l_list(ukey_layout *l, int cls, ukey_objlist *out)
{
	return p15_list_class(tok(l), cls, out);
}

static ukey_rv l_read_value(ukey_layout *l, ukey_object *obj)
{
	return p15_read_value(tok(l), obj);
}

static ukey_rv l_pin(ukey_layout *l, ukey_pin_role role, ukey_layout_pin *out)
{
	p15_token *t = tok(l);
	const p15_pin *pin;

	if (role != UKEY_PIN_USER && role != UKEY_PIN_SO)
		return UKEY_E_ARGS;
	p15_pins_quick(t);
	pin = &t->pin[role == UKEY_PIN_SO ? 1 : 0];
	memset(out, 0, sizeof(*out));
	out->present = pin->present;
	out->initialized = pin->initialized;
	out->tries_left = pin->tries_left;
	out->min_len = pin->min_len;
	out->max_len = pin->max_len;
	out->ref = pin->present ? pin->ref :
		   role == UKEY_PIN_SO ? t->fs.ops->pin_ref_so :
					 t->fs.ops->pin_ref_user;
	/* the PINs live in the key file of the application DF */
	memcpy(out->df, t->app_path, sizeof(t->app_path));
	out->df_len = sizeof(t->app_path);
	return UKEY_OK;
}

static void l_pin_seen(ukey_layout *l, ukey_pin_role role, ukey_rv rv,
		       int tries_left)
{
	p15_pin *pin;

	if (role != UKEY_PIN_USER && role != UKEY_PIN_SO)
		return;
	pin = &tok(l)->pin[role == UKEY_PIN_SO ? 1 : 0];
	if (rv == UKEY_OK)
		pin->tries_left = -1;
	else if (rv == UKEY_E_SW_WRONG_PIN)
		pin->tries_left = tries_left;
	else if (rv == UKEY_E_SW_PIN_BLOCKED)
		pin->tries_left = 0;
}

/* drv_ref of a private key: 'P', kind, key reference, path length, the
 * DF holding the key record (pkcs15_read.c set_ref). */
static ukey_rv l_key_ref(ukey_layout *l, const ukey_object *key, unsigned *ref,
			 uint8_t *df, size_t *df_len)
{
	const ukey_cardfs_ops *ops = tok(l)->fs.ops;
	size_t plen;

	if (key->drv_ref_len < 6 || key->drv_ref[0] != P15_REF_TAG)
		return UKEY_E_ARGS;
	*ref = key->drv_ref[2];
	plen = key->drv_ref[3];
	/* the card OS's own range: FTCOS 1..9, ePass2003 from 0 (OpenSC's
	 * first key is keyReference 0, file 3F00 5015 2900) */
	if (*ref < ops->key_ref_min || *ref > ops->key_ref_max ||
	    plen + 4 != key->drv_ref_len || plen > UKEY_FS_PATH_MAX)
		return UKEY_E_ARGS;
	memcpy(df, key->drv_ref + 4, plen);
	*df_len = plen;
	return UKEY_OK;
}

static void l_app(ukey_layout *l, const uint8_t **aid, size_t *aid_len,
		  const uint8_t **path, size_t *path_len)
{
	p15_token *t = tok(l);

	*aid = p15_aid;
	*aid_len = sizeof(p15_aid);
	*path = t->app_path;
	*path_len = sizeof(t->app_path);
}

static ukey_rv l_write_object(ukey_layout *l, ukey_object *obj)
{
	return p15_write_object(tok(l), obj);
}

static ukey_rv l_update_object(ukey_layout *l, const ukey_object *obj)
{
	return p15_update_object(tok(l), obj);
}

static ukey_rv l_delete_object(ukey_layout *l, const ukey_object *obj)
{
	return p15_delete_object(tok(l), obj);
}

static ukey_rv l_generate(ukey_layout *l, const ukey_keygen_params *p,
			  ukey_object *pub, ukey_object *priv)
{
	return p15_generate_rsa(tok(l), p, pub, priv);
}

static ukey_rv l_import(ukey_layout *l, const ukey_keygen_params *p,
			const ukey_rsa_material *m, ukey_object *priv)
{
	return p15_import_rsa(tok(l), p, m, priv);
}

static ukey_rv l_init_user_pin(ukey_layout *l, const uint8_t *pin, size_t len)
{
	p15_token *t = tok(l);
	ukey_rv rv = p15_init_user_pin(t, pin, len);

	if (!rv)
		t->pin[0].tries_left = -1;
	return rv;
}

const ukey_layout_ops ukey_layout_pkcs15 = {
	.name = "pkcs15",
	.bind = l_bind,
	.free = l_free,
	.list = l_list,
	.read_value = l_read_value,
	.pin = l_pin,
	.pin_seen = l_pin_seen,
	.key_ref = l_key_ref,
	.app = l_app,
	.write_object = l_write_object,
	.update_object = l_update_object,
	.delete_object = l_delete_object,
	.generate_rsa = l_generate,
	.import_rsa = l_import,
	.init_user_pin = l_init_user_pin,
};
