/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Attributes (p11_attr.c): a p11_obj's PKCS#11 attributes, values read
 * lazily from the card, certificate fields derived with OpenSSL, keys
 * completed from their related objects. Slot lock held throughout.
 */
#ifndef UKEY_P11_ATTR_H
#define UKEY_P11_ATTR_H

#include <stddef.h>
#include <stdint.h>

#include <p11-kit/pkcs11.h>

#include "driver.h"

typedef struct p11_slot p11_slot;
typedef struct p11_token p11_token;
typedef struct p11_obj p11_obj;

/* Get one attribute: CKR_OK with val and len pointing to data valid until
 * the next call (tmp may be used as storage), or CKR_ATTRIBUTE_SENSITIVE /
 * CKR_ATTRIBUTE_TYPE_INVALID. May read the object value from the card. */
typedef struct {
	uint8_t small[64];
	uint8_t *heap;
} p11_attr_tmp;
CK_RV p11_attr_get(p11_slot *s, p11_obj *po, CK_ATTRIBUTE_TYPE type,
		   const void **val, size_t *len, p11_attr_tmp *tmp);
void p11_attr_tmp_free(p11_attr_tmp *t);
/* Classes (P11_CLS_BIT mask) an attribute of an object of class cls may
 * need besides cls itself (a key's subject comes from its certificate, a
 * certificate's category from the private keys, a key's modulus from its
 * public key or certificate). o may be NULL (any object of the class). */
unsigned p11_attr_deps(ukey_obj_class cls, const ukey_object *o,
		       CK_ATTRIBUTE_TYPE type);
/* Read lazy values and derive certificate fields. */
CK_RV p11_obj_load_value(p11_slot *s, p11_obj *po);
/* Fill a key's missing modulus/exponent from its certificate (may read
 * the certificate from the card; re-find objects afterwards). */
CK_RV p11_key_from_cert(p11_slot *s, CK_OBJECT_HANDLE hkey);
/* Fill missing modulus/exponent of keys from related objects. */
void p11_objs_link(p11_token *t);

#endif /* UKEY_P11_ATTR_H */
