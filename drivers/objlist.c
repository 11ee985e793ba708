/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* drivers/objlist.c — the growable object list of driver.h. */
#include <stdlib.h>
#include <string.h>

#include "driver.h"

ukey_object *ukey_objlist_add(ukey_objlist *l)
{
	if (!l)
		return NULL;
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 8;
		ukey_object *nv;

		if (ncap > SIZE_MAX / sizeof(*nv))
			return NULL;
		nv = realloc(l->v, ncap * sizeof(*nv));
		if (!nv)
			return NULL;
		l->v = nv;
		l->cap = ncap;
	}
	memset(&l->v[l->n], 0, sizeof(l->v[0]));
	return &l->v[l->n++];
}

void ukey_object_clear(ukey_object *o)
{
	if (!o)
		return;
	free(o->modulus);
	free(o->pub_exp);
	free(o->value);
	free(o->oid_der);
	memset(o, 0, sizeof(*o));
}

void ukey_objlist_clear(ukey_objlist *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		ukey_object_clear(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

static int dup_buf(uint8_t **dst, const uint8_t *src, size_t len)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = malloc(len ? len : 1);
	if (!*dst)
		return -1;
	if (len)
		memcpy(*dst, src, len);
	return 0;
}

int ukey_object_copy(ukey_object *dst, const ukey_object *src)
{
	if (!dst || !src || dst == src)
		return -1;
	*dst = *src;
	dst->modulus = dst->pub_exp = dst->value = dst->oid_der = NULL;
	if (dup_buf(&dst->modulus, src->modulus, src->modulus_len) ||
	    dup_buf(&dst->pub_exp, src->pub_exp, src->pub_exp_len) ||
	    dup_buf(&dst->value, src->value, src->value_len) ||
	    dup_buf(&dst->oid_der, src->oid_der, src->oid_der_len)) {
		ukey_object_clear(dst);
		return -1;
	}
	return 0;
}
