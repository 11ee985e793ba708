/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The object cache of a token: the driver's object list kept in
 * p11_token.objs, per class when the driver offers list_class
 * (p11_token.cls_valid), handles kept across re-reads (matched by class
 * and driver reference), scratch key records set aside for reclaiming.
 * Slot lock held throughout.
 */
#include <stdlib.h>
#include <string.h>

#include "driver.h"

#include "p11_attr.h"
#include "p11_object.h"
#include "p11_scratch.h"
#include "p11_slot.h"
#include "p11_token.h"

void p11_token_invalidate_objects(p11_slot *s)
{
	if (s->token)
		s->token->cls_valid = 0;
}

unsigned p11_cls_bit(int cls)
{
	switch (cls) {
	case UKEY_OBJ_CERT:
	case UKEY_OBJ_PUBKEY:
	case UKEY_OBJ_PRIVKEY:
	case UKEY_OBJ_DATA:
		return P11_CLS_BIT(cls);
	default:
		return P11_CLS_OTHER;
	}
}

int p11_obj_current(const p11_token *t, const p11_obj *po)
{
	unsigned b = p11_cls_bit((int)po->o.cls);
	/* Objects of a class we do not know come only from a full list. */
	if (b == P11_CLS_OTHER)
		return (t->cls_valid & P11_CLS_ALL) == P11_CLS_ALL;
	return (t->cls_valid & b) != 0;
}

/* Take ownership of the freshly listed objects of the classes in mask
 * (P11_CLS_OTHER included: classes we do not know), replacing the cached
 * objects of those classes and keeping the handles of objects we already
 * knew (same class and driver reference). Objects of other classes stay
 * as they are. Listed objects outside mask are dropped. */
static CK_RV adopt_objects(p11_slot *s, ukey_objlist *l, unsigned mask)
{
	p11_token *t = s->token;
	size_t keep = 0, add = 0;
	for (size_t j = 0; j < t->nobjs; j++)
		if (!(p11_cls_bit((int)t->objs[j].o.cls) & mask))
			keep++;
	for (size_t i = 0; i < l->n; i++) {
		if (!(p11_cls_bit((int)l->v[i].cls) & mask))
			continue;
		l->v[i].label[UKEY_LABEL_MAX - 1] = '\0';
		if (p11_scratch_is(l->v[i].label)) {
			/* a session key's record: not a token object */
			if (p11_scratch_reclaimable(s, &l->v[i])) {
				ukey_object *r = ukey_objlist_add(&t->reclaim);
				if (r)
					*r = l->v[i];
				else
					ukey_object_clear(&l->v[i]);
			} else {
				ukey_object_clear(&l->v[i]);
			}
			memset(&l->v[i], 0, sizeof(l->v[i]));
			l->v[i].cls = (ukey_obj_class)-1; /* skipped below */
			continue;
		}
		add++;
	}
	p11_obj *nv = keep + add ? calloc(keep + add, sizeof(*nv)) : NULL;
	if (keep + add && !nv)
		return CKR_HOST_MEMORY;
	size_t n = 0;
	for (size_t j = 0; j < t->nobjs; j++) {
		if (p11_cls_bit((int)t->objs[j].o.cls) & mask)
			continue;
		nv[n++] = t->objs[j]; /* moved: owned buffers go along */
		memset(&t->objs[j], 0, sizeof(t->objs[j]));
	}
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].cls == (ukey_obj_class)-1 ||
		    !(p11_cls_bit((int)l->v[i].cls) & mask))
			continue;
		p11_obj *po = &nv[n++];
		po->o = l->v[i];
		memset(&l->v[i], 0, sizeof(l->v[i]));
		ukey_object *o = &po->o;
		if (o->id_len > UKEY_ID_MAX)
			o->id_len = UKEY_ID_MAX;
		if (o->drv_ref_len > UKEY_DRVREF_MAX)
			o->drv_ref_len = UKEY_DRVREF_MAX;
		o->label[UKEY_LABEL_MAX - 1] = '\0';
		o->application[UKEY_LABEL_MAX - 1] = '\0';
		for (size_t j = 0; j < t->nobjs && o->drv_ref_len; j++) {
			ukey_object *old = &t->objs[j].o;
			if (t->objs[j].handle && old->cls == o->cls &&
			    old->drv_ref_len == o->drv_ref_len &&
			    memcmp(old->drv_ref, o->drv_ref, o->drv_ref_len) == 0) {
				po->handle = t->objs[j].handle;
				t->objs[j].handle = 0;
				break;
			}
		}
		if (!po->handle)
			po->handle = s->next_obj_handle++;
	}
	for (size_t j = 0; j < t->nobjs; j++)
		p11_obj_clear(&t->objs[j]);
	free(t->objs);
	t->objs = nv;
	t->nobjs = n;
	t->cls_valid |= mask;
	p11_objs_link(t);
	return CKR_OK;
}

/* The driver's listing of the missing classes (inside a transaction);
 * *got: the classes the listing is complete for. */
static ukey_rv list_missing(p11_token *t, unsigned missing, ukey_objlist *l,
			    unsigned *got)
{
	const ukey_driver *d = t->card.drv;
	static const ukey_obj_class one[] = { UKEY_OBJ_CERT, UKEY_OBJ_PUBKEY,
					      UKEY_OBJ_PRIVKEY, UKEY_OBJ_DATA };
	/* One class missing: its directory only. */
	for (size_t k = 0; d->list_class && k < sizeof(one) / sizeof(one[0]); k++) {
		if (missing == P11_CLS_BIT(one[k])) {
			*got = missing;
			return d->list_class(&t->card, one[k], l);
		}
	}
	/* Several (or no per-class listing): one full listing reads each
	 * directory once, where a driver may build every class from the same
	 * files; it refreshes every class (handles are kept). */
	if (d->list_objects) {
		*got = P11_CLS_ALL | P11_CLS_OTHER; /* all of it is fresh */
		return d->list_objects(&t->card, l);
	}
	*got = missing;
	ukey_rv r = UKEY_OK;
	for (size_t k = 0; r == UKEY_OK && k < sizeof(one) / sizeof(one[0]); k++)
		if (missing & P11_CLS_BIT(one[k]))
			r = d->list_class(&t->card, one[k], l);
	return r;
}

CK_RV p11_token_load_classes(p11_slot *s, unsigned mask)
{
	CK_RV rv = p11_token_ensure(s);
	if (rv != CKR_OK)
		return rv;
	mask &= P11_CLS_ALL;
	if ((s->token->cls_valid & mask) == mask)
		return CKR_OK;
	const ukey_driver *d = s->token->card.drv;
	if (!d->list_objects && !d->list_class) {
		ukey_objlist empty = {0};
		return adopt_objects(s, &empty, P11_CLS_ALL | P11_CLS_OTHER);
	}
	rv = p11_token_begin(s);
	if (rv != CKR_OK)
		return rv;
	/* A rebind in p11_token_begin may have invalidated more classes. */
	unsigned missing = mask & ~s->token->cls_valid;
	if (!missing) {
		p11_token_end(s);
		return CKR_OK;
	}
	ukey_objlist l = {0};
	unsigned got = 0;
	ukey_rv r = list_missing(s->token, missing, &l, &got);
	p11_token_end(s);
	if (r != UKEY_OK) {
		ukey_objlist_clear(&l);
		return p11_token_rv(s, r);
	}
	rv = adopt_objects(s, &l, got);
	ukey_objlist_clear(&l);
	if (rv == CKR_OK && s->token->reclaim.n) {
		p11_scratch_reclaim(s); /* dead owners' session keys */
		if (!s->token)
			rv = CKR_DEVICE_REMOVED; /* the card left meanwhile */
	}
	return rv;
}

CK_RV p11_token_load_objects(p11_slot *s)
{
	return p11_token_load_classes(s, P11_CLS_ALL);
}
