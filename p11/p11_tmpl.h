/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Templates: reading the CK_ATTRIBUTE arrays an application passes to
 * C_CreateObject, C_GenerateKeyPair, C_FindObjectsInit, C_SetAttributeValue
 * (p11_object.c; key usage: p11_create.c).
 */
#ifndef UKEY_P11_TMPL_H
#define UKEY_P11_TMPL_H

#include <p11-kit/pkcs11.h>

const CK_ATTRIBUTE *p11_tmpl_find(const CK_ATTRIBUTE *t, CK_ULONG n,
				  CK_ATTRIBUTE_TYPE type);
/* CK_BBOOL attribute: -1 absent, 0/1, -2 malformed */
int p11_tmpl_bool(const CK_ATTRIBUTE *t, CK_ULONG n, CK_ATTRIBUTE_TYPE type);
/* CK_ULONG attribute: 1 found, 0 absent, -1 malformed */
int p11_tmpl_ulong(const CK_ATTRIBUTE *t, CK_ULONG n, CK_ATTRIBUTE_TYPE type,
		   CK_ULONG *out);
/* A CK_ULONG attribute the template must hold: CKR_OK (*out set),
 * CKR_TEMPLATE_INCOMPLETE when absent, CKR_ATTRIBUTE_VALUE_INVALID when
 * malformed. */
CK_RV p11_tmpl_ulong_need(const CK_ATTRIBUTE *t, CK_ULONG n,
			  CK_ATTRIBUTE_TYPE type, CK_ULONG *out);
/* CKR_ARGUMENTS_BAD for n > 0 without an array, CKR_ATTRIBUTE_VALUE_INVALID
 * for a length without a value. */
CK_RV p11_tmpl_check(const CK_ATTRIBUTE *t, CK_ULONG n);
/* Key usage (UKEY_USAGE_*) from CKA_SIGN & co, with defaults when none is
 * given (priv: a private key's template). */
unsigned p11_usage_from_template(const CK_ATTRIBUTE *t, CK_ULONG n, int priv);

#endif /* UKEY_P11_TMPL_H */
