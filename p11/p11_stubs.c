/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The functions of CK_FUNCTION_LIST the module does not support. They still
 * check initialisation and the session handle first, so an application
 * gets the same error precedence as from the supported functions.
 */
#include "p11_log.h"
#include "p11_session.h"

/* The stubs ignore their arguments by design. */
#pragma GCC diagnostic ignored "-Wunused-parameter"

#define STUB(name, args, h)                                            \
	CK_RV name args                                                 \
	{                                                               \
		return p11_log_rv(#name, p11_session_answer(            \
					  h, CKR_FUNCTION_NOT_SUPPORTED)); \
	}

STUB(C_GetOperationState, (CK_SESSION_HANDLE h, CK_BYTE_PTR p, CK_ULONG_PTR l), h)
STUB(C_SetOperationState, (CK_SESSION_HANDLE h, CK_BYTE_PTR p, CK_ULONG l,
	CK_OBJECT_HANDLE e, CK_OBJECT_HANDLE a), h)
STUB(C_DigestKey, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE k), h)
STUB(C_SignRecoverInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k), h)
STUB(C_SignRecover, (CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG dl,
	CK_BYTE_PTR s, CK_ULONG_PTR sl), h)
STUB(C_VerifyRecoverInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k), h)
STUB(C_VerifyRecover, (CK_SESSION_HANDLE h, CK_BYTE_PTR s, CK_ULONG sl,
	CK_BYTE_PTR d, CK_ULONG_PTR dl), h)
STUB(C_DigestEncryptUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR p, CK_ULONG pl,
	CK_BYTE_PTR e, CK_ULONG_PTR el), h)
STUB(C_DecryptDigestUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR e, CK_ULONG el,
	CK_BYTE_PTR p, CK_ULONG_PTR pl), h)
STUB(C_SignEncryptUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR p, CK_ULONG pl,
	CK_BYTE_PTR e, CK_ULONG_PTR el), h)
STUB(C_DecryptVerifyUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR e, CK_ULONG el,
	CK_BYTE_PTR p, CK_ULONG_PTR pl), h)
STUB(C_GenerateKey, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR t,
	CK_ULONG n, CK_OBJECT_HANDLE_PTR k), h)
STUB(C_WrapKey, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE w,
	CK_OBJECT_HANDLE k, CK_BYTE_PTR o, CK_ULONG_PTR ol), h)
STUB(C_UnwrapKey, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE u,
	CK_BYTE_PTR w, CK_ULONG wl, CK_ATTRIBUTE_PTR t, CK_ULONG n,
	CK_OBJECT_HANDLE_PTR k), h)
STUB(C_DeriveKey, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE b,
	CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR k), h)

/* Legacy parallel-function calls (§5.16): always "not parallel". */

CK_RV C_GetFunctionStatus(CK_SESSION_HANDLE h)
{
	return p11_log_rv("C_GetFunctionStatus",
			  p11_session_answer(h, CKR_FUNCTION_NOT_PARALLEL));
}

CK_RV C_CancelFunction(CK_SESSION_HANDLE h)
{
	return p11_log_rv("C_CancelFunction",
			  p11_session_answer(h, CKR_FUNCTION_NOT_PARALLEL));
}
