/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/fuzz/fuzz_drivers_check.c — see fuzz_drivers_check.h.
 */
#include <string.h>

#include "fuzz_drivers_check.h"

/* Keeps the reads of touch() from being optimised away. */
static volatile uint8_t sink;

static void touch(const uint8_t *p, size_t n)
{
	uint8_t x = 0;

	if (n && !p)
		__builtin_trap();
	for (size_t i = 0; i < n; i++)
		x ^= p[i];
	sink ^= x;
}

void fuzz_check_str(const char *s, size_t sz)
{
	if (memchr(s, 0, sz) == NULL)
		__builtin_trap();
}

void fuzz_check_object(const ukey_object *o)
{
	if (o->cls < UKEY_OBJ_CERT || o->cls > UKEY_OBJ_DATA)
		__builtin_trap();
	if (o->id_len > UKEY_ID_MAX || o->drv_ref_len > UKEY_DRVREF_MAX)
		__builtin_trap();
	fuzz_check_str(o->label, sizeof(o->label));
	fuzz_check_str(o->application, sizeof(o->application));
	if (o->modulus == NULL && o->modulus_len)
		__builtin_trap();
	touch(o->modulus, o->modulus_len);
	if (o->pub_exp == NULL && o->pub_exp_len)
		__builtin_trap();
	touch(o->pub_exp, o->pub_exp_len);
	if (o->value)
		touch(o->value, o->value_len);
	if (o->oid_der == NULL && o->oid_der_len)
		__builtin_trap();
	touch(o->oid_der, o->oid_der_len);
	touch(o->id, o->id_len);
}

void fuzz_check_objlist(const ukey_objlist *l)
{
	if (l->n > l->cap || (l->n && !l->v))
		__builtin_trap();
	for (size_t i = 0; i < l->n; i++)
		fuzz_check_object(&l->v[i]);
}

void fuzz_check_card(const ukey_card *card)
{
	fuzz_check_str(card->label, sizeof(card->label));
	fuzz_check_str(card->manufacturer, sizeof(card->manufacturer));
	fuzz_check_str(card->model, sizeof(card->model));
	fuzz_check_str(card->serial, sizeof(card->serial));
}

void fuzz_check_pin_info(const ukey_pin_info *pi)
{
	if (pi->min_len > pi->max_len && pi->max_len)
		__builtin_trap();
	if (pi->tries_left < -1 || pi->max_tries < -1)
		__builtin_trap();
}
