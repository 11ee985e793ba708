/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Objects: p11_obj, a driver's object as the module presents it (a handle,
 * certificate fields derived from the DER); the token's object cache
 * (p11_objcache.c: per class when the driver offers list_class, handles
 * kept across re-reads, matched by class and driver reference); handles,
 * lookups, session objects and write access (p11_object.c). Slot lock held
 * throughout.
 */
#ifndef UKEY_P11_OBJECT_H
#define UKEY_P11_OBJECT_H

#include <stddef.h>
#include <stdint.h>

#include <p11-kit/pkcs11.h>

#include "driver.h"

typedef struct p11_slot p11_slot;
typedef struct p11_token p11_token;
typedef struct p11_session p11_session;

/* A token object as the module presents it: the driver's object plus a
 * handle and values derived from a certificate's DER. */
typedef struct p11_obj {
	ukey_object o;
	CK_OBJECT_HANDLE handle;
	int derived;          /* cert fields below parsed */
	uint8_t *subject, *issuer, *serial, *spki;
	size_t subject_len, issuer_len, serial_len, spki_len;
	CK_DATE start, end;
	int has_dates;
	/* Session object (CKA_TOKEN false): the session that created it;
	 * CK_INVALID_HANDLE for token objects. Kept in host memory in its
	 * session's sobjs (data objects, certificates, public keys only). */
	CK_SESSION_HANDLE owner;
	/* A session key whose record is on the card (a scratch key record,
	 * p11_scratch.c): deleted from the card when its session ends. */
	int scratch;
} p11_obj;

/* Free what the object owns and zero it (p11_attr.c). */
void p11_obj_clear(p11_obj *po);

/* ------------------------------------------------------- object cache */

#define P11_CLS_BIT(c) (1u << (unsigned)(c))
#define P11_CLS_ALL (P11_CLS_BIT(UKEY_OBJ_CERT) | P11_CLS_BIT(UKEY_OBJ_PUBKEY) | \
		     P11_CLS_BIT(UKEY_OBJ_PRIVKEY) | P11_CLS_BIT(UKEY_OBJ_DATA))
#define P11_CLS_OTHER 1u /* a class value the module does not know */
/* P11_CLS_BIT of a class, P11_CLS_OTHER if it is not one we know. */
unsigned p11_cls_bit(int cls);
/* The object's class is current (not waiting for a re-read). */
int p11_obj_current(const p11_token *t, const p11_obj *po);
/* Load the object cache (inside a transaction or not: begins its own). */
CK_RV p11_token_load_objects(p11_slot *s);
/* Load only the classes in mask (P11_CLS_BIT…): with a driver offering
 * list_class, each missing class is read by itself; otherwise (or when
 * nothing is cached yet and every class is wanted) the full list. May move
 * the objs array: look objects up again by handle afterwards. */
CK_RV p11_token_load_classes(p11_slot *s, unsigned mask);
void p11_token_invalidate_objects(p11_slot *s);

/* ------------------------------------------------ handles and lookups */

p11_obj *p11_obj_find(p11_slot *s, CK_OBJECT_HANDLE h);
/* Visible object by handle, its class loaded first. */
CK_RV p11_obj_lookup(p11_slot *s, CK_OBJECT_HANDLE h, p11_obj **out);
/* Visible to this session (private objects need a user login). */
int p11_obj_visible(const p11_slot *s, const p11_obj *po);
/* Add a session object to se (takes o's buffers, o is zeroed); its handle. */
CK_RV p11_sobj_add(p11_slot *s, p11_session *se, ukey_object *o,
		   CK_OBJECT_HANDLE *out);
/* Number of session objects of all live sessions of the slot. */
size_t p11_sobj_count(const p11_slot *s);
/* After a write: reload the cache and return the handle of the object with
 * this class and driver reference (0 if not found). */
CK_OBJECT_HANDLE p11_objs_reload_find(p11_slot *s, const ukey_object *o);
/* R/W session, not write-protected, user login for private objects. */
CK_RV p11_write_access(p11_slot *s, p11_session *se, int private_obj);

#endif /* UKEY_P11_OBJECT_H */
