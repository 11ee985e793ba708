/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/gmt0017/gmt0017_driver.c — the "gmt0017" operations table:
 * the SKF model (device → application → containers, each with a signing
 * and an encryption key pair and their certificates) mapped onto the
 * vendor-neutral objects of driver.h.
 *
 * - One token per device; the application is the profile's app_name or,
 *   without it (or when it is absent), the only/first one on the token.
 * - Per container and key role: private key, public key, certificate,
 *   CKA_LABEL = container name, CKA_ID = SHA-1(name)[0..7] || role
 *   (01 signing, 02 encryption): stable across sessions and processes.
 *   SKF stores no CKA_ID, so a key generated with one goes into a
 *   container named "<CKA_LABEL>#<hex CKA_ID>": such a name gives
 *   CKA_ID = that ID (encryption pair: ID || 02) and CKA_LABEL = the part
 *   before the '#'.
 * - The directory (container list and GetContainerInfo) is read once per
 *   binding; public keys only when a public key (or a modulus) is asked
 *   for; certificates only when their value is.
 * - Container types other than RSA (SM2) keep their certificates listed;
 *   their keys wait for an ECC object model.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/core_names.h>
#include <openssl/bn.h>

#include "gmt0017.h"

#define GM_MAX_CONT 64
#define GM_REF_TAG 'W'

static gm_ctx *ctx(ukey_card *card)
{
	return (gm_ctx *)card->drv_data;
}

static void cont_clear(gm_cont *k)
{
	for (int r = 0; r < 3; r++)
		free(k->pub[r]);
	memset(k, 0, sizeof(*k));
}

static void dir_free(gm_ctx *c)
{
	for (size_t i = 0; i < c->ncont; i++)
		cont_clear(&c->cont[i]);
	free(c->cont);
	c->cont = NULL;
	c->ncont = 0;
	c->dir_valid = 0;
}

static void forget_admin(gm_ctx *c)
{
	ukey_memzero(c->admin_key, sizeof(c->admin_key));
	c->admin_key_valid = 0;
}

static void gm_unbind(ukey_card *card)
{
	gm_ctx *c = ctx(card);

	if (!c)
		return;
	dir_free(c);
	forget_admin(c);
	ukey_memzero(c, sizeof(*c));
	free(c);
	card->drv_data = NULL;
}

/* Printable text of a NUL/space-padded record field. */
static void field(char *dst, size_t dstsz, const uint8_t *src, size_t n)
{
	size_t j = 0;

	for (size_t i = 0; i < n && src[i] && j + 1 < dstsz; i++)
		dst[j++] = src[i] >= 0x20 && src[i] <= 0x7E ? (char)src[i] : '?';
	while (j && dst[j - 1] == ' ')
		j--;
	dst[j] = 0;
}

static void copy_str(char *dst, size_t dstsz, const char *src)
{
	size_t n = strlen(src);

	if (n >= dstsz)
		n = dstsz - 1;
	memcpy(dst, src, n);
	dst[n] = 0;
}

static void name_hash(const char *name, size_t len, uint8_t out[20])
{
	unsigned l = 0;
	uint8_t md[EVP_MAX_MD_SIZE];

	if (EVP_Digest(name, len, md, &l, EVP_sha1(), NULL) != 1 || l != 20)
		memset(md, 0, sizeof(md));
	memcpy(out, md, 20);
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* A container's identity: the SHA-1 of its name, and, for a name
 * "<label>#<hex>" (1..31 bytes of even-length hex after the last '#', as
 * ukey names a container generated with a CKA_ID), that CKA_ID and the
 * label before the '#'. SKF stores no CKA_ID: the name carries it. */
static void cont_ident(gm_cont *k)
{
	const char *h = strrchr(k->name, '#');
	size_t hl;

	name_hash(k->name, k->name_len, k->hash);
	k->xid_len = 0;
	k->label_len = k->name_len;
	if (!h || h == k->name)
		return;
	hl = strlen(h + 1);
	if (!hl || hl % 2 || hl / 2 > sizeof(k->xid))
		return;
	for (size_t i = 0; i < hl; i += 2) {
		int a = hexval(h[1 + i]), b = hexval(h[2 + i]);

		if (a < 0 || b < 0) {
			k->xid_len = 0;
			return;
		}
		k->xid[i / 2] = (uint8_t)(a << 4 | b);
	}
	k->xid_len = hl / 2;
	k->label_len = (size_t)(h - k->name);
}

/* Find the application: the profile's, else the only (first) one. */
static ukey_rv pick_app(gm_ctx *c)
{
	char names[8][65];
	size_t n = 0;
	ukey_rv rv;

	c->app_known = 0;
	if (c->cfg.app_name[0]) {
		copy_str(c->app, sizeof(c->app), c->cfg.app_name);
		rv = gm_open_app(c);
		if (rv == UKEY_OK) {
			c->app_known = 1;
			return UKEY_OK;
		}
		if (rv != UKEY_E_SW_FILE_NOT_FOUND)
			return rv;
	}
	rv = gm_enum_names(c, c->cfg.ins_enum_app, 0, names, 8, &n);
	if (rv)
		return rv;
	if (n == 0)
		return UKEY_OK; /* a blank device: no application yet */
	if (strlen(names[0]) > c->cfg.max_app_name)
		return UKEY_E_MALFORMED;
	copy_str(c->app, sizeof(c->app), names[0]);
	rv = gm_open_app(c);
	if (rv == UKEY_OK)
		c->app_known = 1;
	return rv;
}

static ukey_rv gm_bind(ukey_card *card)
{
	const ukey_profile *p = card->profile;
	uint8_t di[1100];
	size_t n = 0;
	char serial[33];
	gm_ctx *c;
	ukey_rv rv;

	if (card->drv_data)
		gm_unbind(card);
	c = calloc(1, sizeof(*c));
	if (!c)
		return UKEY_E_NOMEM;
	card->drv_data = c;
	c->ch = &card->chan;
	rv = gm_cfg_load(&c->cfg, p);
	if (rv)
		goto fail;
	card->token_initialized = 0;
	card->has_rng = 1;
	card->write_protected = 0;
	copy_str(card->model, sizeof(card->model),
		 p && p->model[0] ? p->model : "GM/T 0017");
	copy_str(card->manufacturer, sizeof(card->manufacturer),
		 p && p->manufacturer[0] ? p->manufacturer : "Watchdata");

	rv = gm_get_devinfo(c, di, sizeof(di), &n);
	if (rv == UKEY_E_BUFFER_TOO_SMALL)
		rv = UKEY_E_MALFORMED;
	if (rv)
		goto fail;
	/* Version(2) SpecVersion(2) Manufacturer[64] Issuer[64] Label[32]
	 * Serial[32] ...: exactly the profile's record size (288) */
	if (n != c->cfg.devinfo_len) {
		rv = UKEY_E_MALFORMED;
		goto fail;
	}
	{
		char m[65];

		field(m, sizeof(m), di + 4, 64);
		if (m[0])
			copy_str(card->manufacturer, sizeof(card->manufacturer), m);
	}
	field(card->label, sizeof(card->label), di + 132, 32);
	if (!card->label[0])
		copy_str(card->label, sizeof(card->label),
			 p && p->name[0] ? p->name : "Watchdata token");
	field(serial, sizeof(serial), di + 164, 32);
	{
		size_t l = strlen(serial);

		/* CK_TOKEN_INFO has 16 characters: keep the last ones */
		copy_str(card->serial, sizeof(card->serial),
			 serial + (l > 16 ? l - 16 : 0));
	}
	rv = pick_app(c);
	if (rv)
		goto fail;
	card->token_initialized = c->app_known;
	/* The PIN records p11/ asks for right after the bind, read here so
	 * that a token pulled now fails the bind itself (no extra APDU: each
	 * cached record answers one pin_info call, later calls ask the card). */
	for (int i = 0; c->app_known && i < 2; i++) {
		unsigned *v = c->pin_cache[i];

		rv = gm_pin_info(c, i ? c->cfg.pin_type_admin : c->cfg.pin_type_user,
				 &v[0], &v[1], &v[2]);
		if (rv == UKEY_OK)
			c->pin_cached[i] = 1;
		else if (rv < UKEY_E_SW_WRONG_PIN)
			goto fail; /* transport trouble; a refused command is fine */
	}
	return UKEY_OK;
fail:
	gm_unbind(card);
	return rv;
}

static ukey_rv gm_reselect(ukey_card *card)
{
	gm_ctx *c = ctx(card);

	if (!c)
		return UKEY_E_ARGS;
	/* a reset closed every handle and dropped the verified PINs */
	c->app_open = 0;
	for (size_t i = 0; i < c->ncont; i++)
		c->cont[i].cid_valid = 0;
	forget_admin(c);
	c->pin_cached[0] = c->pin_cached[1] = 0;
	return UKEY_OK;
}

/* -------------------------------------------------------------- directory */

static ukey_rv load_dir(gm_ctx *c)
{
	char (*names)[65];
	size_t n = 0;
	ukey_rv rv;

	if (c->dir_valid)
		return UKEY_OK;
	dir_free(c);
	if (!c->app_known)
		return UKEY_OK;
	names = calloc(GM_MAX_CONT, sizeof(*names));
	if (!names)
		return UKEY_E_NOMEM;
	rv = gm_enum_names(c, c->cfg.ins_enum_container, 1, names, GM_MAX_CONT,
			   &n);
	if (!rv && n) {
		c->cont = calloc(n, sizeof(*c->cont));
		if (!c->cont)
			rv = UKEY_E_NOMEM;
	}
	for (size_t i = 0; !rv && i < n; i++) {
		gm_cont *k = &c->cont[i];
		size_t l = strlen(names[i]);

		if (l > c->cfg.max_container_name) {
			rv = UKEY_E_MALFORMED;
			break;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(c->cont[j].name, names[i]) == 0)
				rv = UKEY_E_MALFORMED; /* duplicate name */
		if (rv)
			break;
		memcpy(k->name, names[i], l + 1);
		k->name_len = l;
		cont_ident(k);
		c->ncont = i + 1;
		rv = gm_ensure_cid(c, k);
		if (!rv)
			rv = gm_container_info(c, k);
	}
	free(names);
	if (rv) {
		dir_free(c);
		return rv;
	}
	c->dir_valid = 1;
	return UKEY_OK;
}

static int role_has_key(const gm_cont *k, int role)
{
	return k->type == GM_CT_RSA && k->bits[role] != 0;
}

static ukey_rv load_pubkeys(gm_ctx *c)
{
	for (size_t i = 0; i < c->ncont; i++)
		for (int role = GM_ROLE_SIGN; role <= GM_ROLE_ENC; role++) {
			gm_cont *k = &c->cont[i];
			ukey_rv rv;

			if (!role_has_key(k, role) || k->pub[role])
				continue;
			rv = gm_export_pubkey(c, k, role);
			if (rv)
				return rv;
		}
	return UKEY_OK;
}

static void set_ident(ukey_object *o, const gm_cont *k, int role)
{
	size_t ll = k->label_len < sizeof(o->label) - 1 ? k->label_len
							: sizeof(o->label) - 1;

	if (k->xid_len) {
		/* the CKA_ID the name carries; the encryption pair's gets 02 */
		memcpy(o->id, k->xid, k->xid_len);
		o->id_len = k->xid_len;
		if (role == GM_ROLE_ENC)
			o->id[o->id_len++] = (uint8_t)role;
	} else {
		memcpy(o->id, k->hash, 8);
		o->id[8] = (uint8_t)role;
		o->id_len = 9;
	}
	memcpy(o->label, k->name, ll);
	o->label[ll] = 0;
	o->drv_ref[0] = GM_REF_TAG;
	o->drv_ref[1] = (uint8_t)role;
	memcpy(o->drv_ref + 2, k->hash, 20);
	o->drv_ref_len = 22;
}

/* Modulus and exponent of a blob, without their leading zero bytes. */
static ukey_rv set_rsa_pub(ukey_object *o, const gm_cont *k, int role)
{
	const uint8_t *b = k->pub[role];
	size_t mlen, i = 0, j = 0;

	if (!b)
		return UKEY_OK;
	mlen = k->pub_len[role] - 12;
	while (i + 1 < mlen && b[8 + i] == 0)
		i++;
	while (j + 1 < 4 && b[8 + mlen + j] == 0)
		j++;
	o->modulus = malloc(mlen - i);
	o->pub_exp = malloc(4 - j);
	if (!o->modulus || !o->pub_exp)
		return UKEY_E_NOMEM;
	memcpy(o->modulus, b + 8 + i, mlen - i);
	o->modulus_len = mlen - i;
	memcpy(o->pub_exp, b + 8 + mlen + j, 4 - j);
	o->pub_exp_len = 4 - j;
	return UKEY_OK;
}

static ukey_rv add_objects(const gm_ctx *c, int want, ukey_objlist *out)
{
	for (size_t i = 0; i < c->ncont; i++) {
		const gm_cont *k = &c->cont[i];

		for (int role = GM_ROLE_SIGN; role <= GM_ROLE_ENC; role++) {
			int sign = role == GM_ROLE_SIGN;
			ukey_object *o;
			ukey_rv rv;

			if (role_has_key(k, role) && (!want || want == UKEY_OBJ_PRIVKEY)) {
				o = ukey_objlist_add(out);
				if (!o)
					return UKEY_E_NOMEM;
				o->cls = UKEY_OBJ_PRIVKEY;
				set_ident(o, k, role);
				o->private_obj = 1;
				o->key_bits = k->bits[role];
				o->usage = sign ? UKEY_USAGE_SIGN | UKEY_USAGE_NONREPUDIATION
						: UKEY_USAGE_DECRYPT | UKEY_USAGE_UNWRAP;
				if ((rv = set_rsa_pub(o, k, role)) != UKEY_OK)
					return rv;
			}
			if (role_has_key(k, role) && k->pub[role] &&
			    (!want || want == UKEY_OBJ_PUBKEY)) {
				o = ukey_objlist_add(out);
				if (!o)
					return UKEY_E_NOMEM;
				o->cls = UKEY_OBJ_PUBKEY;
				set_ident(o, k, role);
				o->key_bits = k->bits[role];
				o->usage = sign ? UKEY_USAGE_VERIFY
						: UKEY_USAGE_ENCRYPT | UKEY_USAGE_WRAP;
				if ((rv = set_rsa_pub(o, k, role)) != UKEY_OK)
					return rv;
			}
			if (k->cert_len[role] && (!want || want == UKEY_OBJ_CERT)) {
				o = ukey_objlist_add(out);
				if (!o)
					return UKEY_E_NOMEM;
				o->cls = UKEY_OBJ_CERT;
				set_ident(o, k, role);
				o->value_len = k->cert_len[role];
			}
		}
	}
	return UKEY_OK;
}

static ukey_rv gm_list_class(ukey_card *card, ukey_obj_class cls,
			     ukey_objlist *out)
{
	gm_ctx *c = ctx(card);
	ukey_rv rv;

	if (!c || !out || cls < UKEY_OBJ_CERT || cls > UKEY_OBJ_DATA)
		return UKEY_E_ARGS;
	rv = load_dir(c);
	if (!rv && cls == UKEY_OBJ_PUBKEY)
		rv = load_pubkeys(c);
	if (!rv && cls != UKEY_OBJ_DATA)
		rv = add_objects(c, (int)cls, out);
	return rv;
}

static ukey_rv gm_list_objects(ukey_card *card, ukey_objlist *out)
{
	gm_ctx *c = ctx(card);
	ukey_rv rv;

	if (!c || !out)
		return UKEY_E_ARGS;
	rv = load_dir(c);
	if (!rv)
		rv = load_pubkeys(c);
	if (!rv)
		rv = add_objects(c, 0, out);
	return rv;
}

/* The container and role of an object (NULL: gone or not ours). */
static gm_cont *cont_of(gm_ctx *c, const ukey_object *o, int *role)
{
	if (!o || o->drv_ref_len != 22 || o->drv_ref[0] != GM_REF_TAG ||
	    (o->drv_ref[1] != GM_ROLE_SIGN && o->drv_ref[1] != GM_ROLE_ENC))
		return NULL;
	*role = o->drv_ref[1];
	for (size_t i = 0; i < c->ncont; i++)
		if (memcmp(c->cont[i].hash, o->drv_ref + 2, 20) == 0)
			return &c->cont[i];
	return NULL;
}

static ukey_rv gm_read_value(ukey_card *card, ukey_object *obj)
{
	gm_ctx *c = ctx(card);
	uint8_t *der = NULL;
	size_t len = 0;
	gm_cont *k;
	int role = 0;
	ukey_rv rv;

	if (!c || !obj || obj->cls != UKEY_OBJ_CERT)
		return UKEY_E_ARGS;
	if (obj->value)
		return UKEY_OK;
	rv = load_dir(c);
	if (rv)
		return rv;
	k = cont_of(c, obj, &role);
	if (!k || !k->cert_len[role])
		return UKEY_E_SW_FILE_NOT_FOUND;
	rv = gm_export_cert(c, k, role, &der, &len);
	if (rv)
		return rv;
	obj->value = der;
	obj->value_len = len;
	return UKEY_OK;
}

/* ------------------------------------------------------------------- PINs */

static uint8_t pin_type(const gm_ctx *c, ukey_pin_role role)
{
	return role == UKEY_PIN_SO ? c->cfg.pin_type_admin : c->cfg.pin_type_user;
}

static ukey_rv gm_pin_info_op(ukey_card *card, ukey_pin_role role,
			      ukey_pin_info *info)
{
	gm_ctx *c = ctx(card);
	const ukey_profile *p = card->profile;
	unsigned max = 0, left = 0, deflt = 0;
	ukey_rv rv;

	if (!c || !info || (role != UKEY_PIN_USER && role != UKEY_PIN_SO))
		return UKEY_E_ARGS;
	memset(info, 0, sizeof(*info));
	if (!c->app_known)
		return UKEY_E_SW_FILE_NOT_FOUND;
	if (c->pin_cached[role == UKEY_PIN_SO]) {
		const unsigned *v = c->pin_cache[role == UKEY_PIN_SO];

		c->pin_cached[role == UKEY_PIN_SO] = 0;
		max = v[0];
		left = v[1];
		deflt = v[2];
	} else {
		rv = gm_pin_info(c, pin_type(c, role), &max, &left, &deflt);
		if (rv)
			return rv;
	}
	info->present = 1;
	info->max_tries = (int)max;
	info->tries_left = (int)left;
	info->blocked = left == 0;
	/* a user PIN nobody ever set: locked and still the default */
	info->initialized = !(left == 0 && deflt);
	info->min_len = p && p->pin_min ? p->pin_min : 6;
	info->max_len = p && p->pin_max ? p->pin_max : 32;
	if (info->min_len > info->max_len)
		info->min_len = info->max_len;
	return UKEY_OK;
}

static ukey_rv pin_len_ok(const ukey_card *card, size_t len)
{
	const ukey_profile *p = card->profile;
	size_t maxl = p && p->pin_max ? p->pin_max : 32;

	return len && len <= maxl && len <= 64 ? UKEY_OK : UKEY_E_ARGS;
}

static ukey_rv gm_verify_pin(ukey_card *card, ukey_pin_role role,
			     const uint8_t *pin, size_t len, int *tries_left)
{
	gm_ctx *c = ctx(card);
	uint8_t key[16];
	ukey_rv rv;

	if (tries_left)
		*tries_left = -1;
	if (!c || !pin || pin_len_ok(card, len) ||
	    (role != UKEY_PIN_USER && role != UKEY_PIN_SO))
		return UKEY_E_ARGS;
	if (!c->app_known)
		return UKEY_E_SW_FILE_NOT_FOUND;
	c->pin_cached[0] = c->pin_cached[1] = 0;
	gm_pin_key(&c->cfg, pin, len, key);
	rv = gm_verify(c, pin_type(c, role), key, tries_left);
	if (role == UKEY_PIN_SO) {
		forget_admin(c);
		if (rv == UKEY_OK) {
			/* kept (derived, never the PIN) for C_InitPIN's
			 * UnblockPIN, which needs the admin cryptogram */
			memcpy(c->admin_key, key, 16);
			c->admin_key_valid = 1;
		}
	}
	ukey_memzero(key, sizeof(key));
	return rv;
}

static ukey_rv gm_change_pin(ukey_card *card, ukey_pin_role role,
			     const uint8_t *oldpin, size_t oldlen,
			     const uint8_t *newpin, size_t newlen)
{
	gm_ctx *c = ctx(card);
	uint8_t key[16];
	ukey_rv rv;

	if (!c || !oldpin || !newpin || pin_len_ok(card, oldlen) ||
	    pin_len_ok(card, newlen) ||
	    (role != UKEY_PIN_USER && role != UKEY_PIN_SO))
		return UKEY_E_ARGS;
	if (!c->app_known)
		return UKEY_E_SW_FILE_NOT_FOUND;
	c->pin_cached[0] = c->pin_cached[1] = 0;
	gm_pin_key(&c->cfg, oldpin, oldlen, key);
	rv = gm_change(c, pin_type(c, role), key, newpin, newlen, NULL);
	ukey_memzero(key, sizeof(key));
	if (rv == UKEY_OK && role == UKEY_PIN_SO && c->admin_key_valid)
		gm_pin_key(&c->cfg, newpin, newlen, c->admin_key);
	return rv;
}

static ukey_rv gm_init_user_pin(ukey_card *card, const uint8_t *pin,
				size_t len)
{
	gm_ctx *c = ctx(card);

	if (!c || !pin || pin_len_ok(card, len))
		return UKEY_E_ARGS;
	if (!c->admin_key_valid)
		return UKEY_E_SW_SECURITY;
	c->pin_cached[0] = c->pin_cached[1] = 0;
	return gm_unblock(c, c->admin_key, pin, len, NULL);
}

static ukey_rv gm_logout(ukey_card *card)
{
	gm_ctx *c = ctx(card);

	if (!c)
		return UKEY_E_ARGS;
	forget_admin(c);
	return gm_clear_state(c);
}

/* -------------------------------------------------------------------- RSA */

static ukey_rv gm_sign_raw(ukey_card *card, const ukey_object *key,
			   const uint8_t *in, size_t inlen, uint8_t *out,
			   size_t *outlen)
{
	gm_ctx *c = ctx(card);
	gm_cont *k;
	int role = 0;
	ukey_rv rv;

	if (!c || !key || !in || !out || !outlen || key->cls != UKEY_OBJ_PRIVKEY)
		return UKEY_E_ARGS;
	rv = load_dir(c);
	if (rv)
		return rv;
	k = cont_of(c, key, &role);
	if (!k || !role_has_key(k, role))
		return UKEY_E_SW_FILE_NOT_FOUND;
	/* RSASignData uses the signing key pair only */
	if (role != GM_ROLE_SIGN)
		return UKEY_E_SW_COND_NOT_SAT;
	if (inlen != (k->bits[role] + 7) / 8)
		return UKEY_E_ARGS;
	return gm_rsa_sign(c, k, in, inlen, out, outlen);
}

static int name_ok(const char *s, size_t l, size_t max)
{
	if (!l || l > max)
		return 0;
	for (size_t i = 0; i < l; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7E)
			return 0;
	return 1;
}

static gm_cont *cont_by_name(gm_ctx *c, const char *name)
{
	for (size_t i = 0; i < c->ncont; i++)
		if (strcmp(c->cont[i].name, name) == 0)
			return &c->cont[i];
	return NULL;
}

static gm_cont *cont_append(gm_ctx *c, const char *name)
{
	gm_cont *nv = realloc(c->cont, (c->ncont + 1) * sizeof(*nv));
	gm_cont *k;

	if (!nv)
		return NULL;
	c->cont = nv;
	k = &c->cont[c->ncont++];
	memset(k, 0, sizeof(*k));
	k->name_len = strlen(name);
	memcpy(k->name, name, k->name_len + 1);
	cont_ident(k);
	return k;
}

static void cont_remove(gm_ctx *c, gm_cont *k)
{
	size_t i = (size_t)(k - c->cont);

	cont_clear(k);
	memmove(&c->cont[i], &c->cont[i + 1], (c->ncont - i - 1) * sizeof(*k));
	c->ncont--;
}

/* out = base (cut to fit) || "-n" (n > 0) || suffix, at most max (<= 64)
 * characters. */
static int make_name(char out[65], const char *base, unsigned n,
		     const char *suffix, size_t max)
{
	char num[16] = "";
	size_t nl = 0, sl = strlen(suffix), bl = strlen(base);

	if (max > 64)
		max = 64;
	if (n) {
		int r = snprintf(num, sizeof(num), "-%u", n);

		nl = r > 0 ? (size_t)r : 0;
	}
	if (sl + nl + 1 > max)
		return -1;
	if (bl > max - sl - nl)
		bl = max - sl - nl;
	memcpy(out, base, bl);
	memcpy(out + bl, num, nl);
	memcpy(out + bl + nl, suffix, sl);
	out[bl + nl + sl] = 0;
	return 0;
}

static ukey_rv gm_generate(ukey_card *card, const ukey_keygen_params *p,
			   ukey_object *pub, ukey_object *priv)
{
	gm_ctx *c = ctx(card);
	char name[65];
	gm_cont *k;
	int created = 0;
	ukey_rv rv;

	if (!c || !p || !pub || !priv)
		return UKEY_E_ARGS;
	if (p->bits != 1024 && p->bits != 2048)
		return UKEY_E_ARGS;
	if (!c->app_known)
		return UKEY_E_SW_FILE_NOT_FOUND;
	rv = load_dir(c);
	if (rv)
		return rv;
	/* The container is named by CKA_LABEL, else by the profile's
	 * container_name; a CKA_ID in the template (1..31 bytes) is kept in
	 * the name as "#<hex>" (SKF stores no CKA_ID). A name in use by a
	 * container with a key gets -2, -3, ... before the '#' (a key is
	 * never overwritten). */
	{
		const char *base = p->label[0] ? p->label : c->cfg.container_name;
		char suffix[64];
		size_t sl = 0;

		if (!name_ok(base, strlen(base), c->cfg.max_container_name))
			return UKEY_E_SW_WRONG_DATA;
		suffix[0] = 0;
		if (p->id_len && p->id_len <= 31) {
			static const char hx[] = "0123456789abcdef";

			suffix[sl++] = '#';
			for (size_t i = 0; i < p->id_len; i++) {
				suffix[sl++] = hx[p->id[i] >> 4];
				suffix[sl++] = hx[p->id[i] & 15];
			}
			suffix[sl] = 0;
		} else if (p->id_len) {
			return UKEY_E_SW_WRONG_DATA; /* cannot carry that CKA_ID */
		}
		if (make_name(name, base, 0, suffix, c->cfg.max_container_name))
			return UKEY_E_SW_WRONG_DATA;
		for (unsigned i = 2; i < 1000; i++) {
			k = cont_by_name(c, name);
			if (!k || (k->type == GM_CT_EMPTY && !k->bits[GM_ROLE_SIGN] &&
				   !k->cert_len[GM_ROLE_SIGN] && !k->cert_len[GM_ROLE_ENC]))
				break;
			if (make_name(name, base, i, suffix, c->cfg.max_container_name))
				return UKEY_E_SW_WRONG_DATA;
		}
		if (strlen(name) > c->cfg.max_container_name)
			return UKEY_E_SW_WRONG_DATA;
	}
	k = cont_by_name(c, name);
	if (k && (k->bits[GM_ROLE_SIGN] || k->type != GM_CT_EMPTY))
		return UKEY_E_SW_FILE_EXISTS; /* never overwrite a key */
	if (!k) {
		k = cont_append(c, name);
		if (!k)
			return UKEY_E_NOMEM;
		rv = gm_create_container(c, k);
		if (rv) {
			cont_remove(c, k);
			return rv;
		}
		created = 1;
	}
	rv = gm_gen_rsa(c, k, p->bits);
	if (rv) {
		if (created && rv != UKEY_E_NO_CARD && rv != UKEY_E_NO_READER) {
			(void)gm_delete_container(c, k);
			cont_remove(c, k);
		} else {
			c->dir_valid = 0; /* re-read: the card decides */
		}
		return rv;
	}
	pub->cls = UKEY_OBJ_PUBKEY;
	set_ident(pub, k, GM_ROLE_SIGN);
	pub->key_bits = p->bits;
	pub->usage = UKEY_USAGE_VERIFY;
	pub->native = 1;
	priv->cls = UKEY_OBJ_PRIVKEY;
	set_ident(priv, k, GM_ROLE_SIGN);
	priv->key_bits = p->bits;
	priv->private_obj = 1;
	priv->native = 1;
	priv->usage = UKEY_USAGE_SIGN | UKEY_USAGE_NONREPUDIATION;
	rv = set_rsa_pub(pub, k, GM_ROLE_SIGN);
	if (!rv)
		rv = set_rsa_pub(priv, k, GM_ROLE_SIGN);
	return rv;
}

/* The RSA modulus of a DER certificate (big-endian, no leading zero). */
static ukey_rv cert_modulus(const uint8_t *der, size_t len, uint8_t **n,
			    size_t *nlen)
{
	const unsigned char *q = der;
	X509 *x = d2i_X509(NULL, &q, (long)len);
	EVP_PKEY *pk = x ? X509_get0_pubkey(x) : NULL;
	BIGNUM *bn = NULL;
	ukey_rv rv = UKEY_E_SW_REF_NOT_FOUND;

	*n = NULL;
	if (!x)
		return UKEY_E_ARGS;
	if (pk && EVP_PKEY_is_a(pk, "RSA") &&
	    EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &bn)) {
		*nlen = (size_t)BN_num_bytes(bn);
		*n = malloc(*nlen ? *nlen : 1);
		if (!*n) {
			rv = UKEY_E_NOMEM;
		} else {
			BN_bn2bin(bn, *n);
			rv = UKEY_OK;
		}
	}
	BN_free(bn);
	X509_free(x);
	return rv;
}

static ukey_rv gm_write_object(ukey_card *card, ukey_object *obj)
{
	gm_ctx *c = ctx(card);
	uint8_t *n = NULL;
	size_t nlen = 0;
	ukey_rv rv;

	if (!c || !obj)
		return UKEY_E_ARGS;
	if (obj->cls != UKEY_OBJ_CERT)
		return UKEY_E_SW_FUNC_NOT_SUPPORTED; /* SKF stores certs and keys only */
	if (!obj->value || !obj->value_len || obj->value_len > c->cfg.max_cert_len)
		return UKEY_E_ARGS;
	if (!c->app_known)
		return UKEY_E_SW_FILE_NOT_FOUND;
	rv = cert_modulus(obj->value, obj->value_len, &n, &nlen);
	if (!rv)
		rv = load_dir(c);
	if (!rv)
		rv = load_pubkeys(c);
	for (size_t i = 0; !rv && i < c->ncont; i++) {
		gm_cont *k = &c->cont[i];

		for (int role = GM_ROLE_SIGN; role <= GM_ROLE_ENC; role++) {
			ukey_object o;

			if (!role_has_key(k, role) || !k->pub[role])
				continue;
			memset(&o, 0, sizeof(o));
			rv = set_rsa_pub(&o, k, role);
			if (!rv && o.modulus_len == nlen &&
			    memcmp(o.modulus, n, nlen) == 0) {
				ukey_object_clear(&o);
				free(n);
				rv = gm_import_cert(c, k, role, obj->value,
						    obj->value_len);
				if (rv) {
					c->dir_valid = 0;
					/* a handle the card kept refusing is
					 * not "no matching key" */
					return rv == UKEY_E_SW_REF_NOT_FOUND
						       ? UKEY_E_SW_OTHER : rv;
				}
				k->cert_len[role] = obj->value_len;
				set_ident(obj, k, role);
				return UKEY_OK;
			}
			ukey_object_clear(&o);
			if (rv)
				break;
		}
	}
	free(n);
	/* no container holds the certificate's key: "referenced data not
	 * found", which p11/ reports as CKR_TEMPLATE_INCONSISTENT */
	return rv ? rv : UKEY_E_SW_REF_NOT_FOUND;
}

static ukey_rv gm_delete_object(ukey_card *card, const ukey_object *obj)
{
	gm_ctx *c = ctx(card);
	gm_cont *k;
	int role = 0;
	ukey_rv rv;

	if (!c || !obj)
		return UKEY_E_ARGS;
	rv = load_dir(c);
	if (rv)
		return rv;
	k = cont_of(c, obj, &role);
	if (!k)
		return UKEY_OK; /* gone with its container */
	if (obj->cls == UKEY_OBJ_CERT) {
		if (!k->cert_len[role])
			return UKEY_OK;
		rv = gm_import_cert(c, k, role, NULL, 0); /* empty = delete */
		if (rv) {
			c->dir_valid = 0;
			return rv;
		}
		k->cert_len[role] = 0;
		if (k->bits[GM_ROLE_SIGN] || k->bits[GM_ROLE_ENC] ||
		    k->cert_len[GM_ROLE_SIGN] || k->cert_len[GM_ROLE_ENC])
			return UKEY_OK;
	} else if (obj->cls == UKEY_OBJ_PRIVKEY || obj->cls == UKEY_OBJ_PUBKEY) {
		/* SKF cannot remove one key: the container goes, but not
		 * while it still holds a certificate */
		if (k->cert_len[GM_ROLE_SIGN] || k->cert_len[GM_ROLE_ENC])
			return UKEY_E_SW_COND_NOT_SAT;
	} else {
		return UKEY_E_ARGS;
	}
	rv = gm_delete_container(c, k);
	if (rv) {
		c->dir_valid = 0;
		return rv;
	}
	cont_remove(c, k);
	return UKEY_OK;
}

/* C_InitToken: a fresh application (the profile's name) with the SO PIN
 * as its admin PIN. SKF has no "no user PIN": the user PIN is set to a
 * random value nobody knows, so the user can log in only after C_InitPIN
 * (UnblockPIN with the admin PIN). Needs device authentication with the
 * profile's key. */
static ukey_rv gm_init_token(ukey_card *card, const uint8_t *so_pin,
			     size_t so_len, const char *label)
{
	gm_ctx *c = ctx(card);
	uint8_t rnd[8];
	char upin[17], name[33];
	ukey_rv rv;

	if (!c || !so_pin || pin_len_ok(card, so_len) || so_len < 6)
		return UKEY_E_ARGS;
	copy_str(name, sizeof(name), c->cfg.app_name[0] ? c->cfg.app_name
				 : c->app_known ? c->app : "UKEY-APP");
	rv = gm_dev_auth(c);
	if (!rv && c->app_known)
		rv = gm_delete_app(c, c->app);
	if (!rv && c->cfg.app_name[0] && (!c->app_known ||
					  strcmp(c->app, c->cfg.app_name) != 0)) {
		rv = gm_delete_app(c, c->cfg.app_name);
		if (rv == UKEY_E_SW_FILE_NOT_FOUND)
			rv = UKEY_OK;
	}
	if (!rv)
		rv = gm_gen_random(c, rnd, sizeof(rnd));
	if (!rv) {
		static const char hx[] = "0123456789ABCDEF";

		for (int i = 0; i < 8; i++) {
			upin[2 * i] = hx[rnd[i] >> 4];
			upin[2 * i + 1] = hx[rnd[i] & 15];
		}
		upin[16] = 0;
		rv = gm_create_app(c, name, so_pin, so_len, (const uint8_t *)upin, 16);
		ukey_memzero(upin, sizeof(upin));
		ukey_memzero(rnd, sizeof(rnd));
	}
	if (!rv && label && label[0])
		rv = gm_set_label(c, label);
	if (rv)
		return rv;
	/* read back what we made, as a fresh bind would */
	return gm_bind(card);
}

static ukey_rv gm_get_random(ukey_card *card, uint8_t *buf, size_t len)
{
	gm_ctx *c = ctx(card);

	if (!c || (!buf && len))
		return UKEY_E_ARGS;
	while (len) {
		size_t l = len > 256 ? 256 : len;
		ukey_rv rv = gm_gen_random(c, buf, l);

		if (rv)
			return rv;
		buf += l;
		len -= l;
	}
	return UKEY_OK;
}

const ukey_driver ukey_gmt0017_driver = {
	.name = "gmt0017",
	.bind = gm_bind,
	.unbind = gm_unbind,
	.list_objects = gm_list_objects,
	.read_value = gm_read_value,
	.pin_info = gm_pin_info_op,
	.verify_pin = gm_verify_pin,
	.change_pin = gm_change_pin,
	.init_user_pin = gm_init_user_pin,
	.logout = gm_logout,
	.sign_raw = gm_sign_raw,
	.decipher_raw = NULL, /* SKF has no private-key decryption */
	.generate_rsa = gm_generate,
	.import_rsa = NULL,   /* SKF imports keys wrapped, not in clear */
	.write_object = gm_write_object,
	.update_object = NULL,
	.delete_object = gm_delete_object,
	.init_token = gm_init_token,
	.get_random = gm_get_random,
	.list_class = gm_list_class,
	.reselect = gm_reselect,
};
