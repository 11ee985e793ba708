/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Module life cycle: C_Initialize, C_Finalize, C_GetInfo, C_GetFunctionList.
 *
 * C_Initialize does no card I/O: it loads the vendor profiles, opens a PC/SC
 * context (a missing pcscd is not an error: the module then has 0 slots and
 * retries on the next C_GetSlotList) and lists the readers.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "driver.h"

#include "p11_backend.h"
#include "p11_lock.h"
#include "p11_log.h"
#include "p11_module.h"
#include "p11_slot.h"

p11_module p11_g;

/* Number of threads inside C_WaitForSlotEvent (global lock). */
int p11_wait_threads;

CK_RV p11_check_init(void)
{
	if (!p11_g.initialized)
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	if (p11_g.pid != getpid()) {
		/* We are a forked child: the parent's PC/SC handles and locks
		 * are not ours. Forget them (leaking is the only safe choice:
		 * a mutex may be held by a thread that does not exist here)
		 * and require a new C_Initialize. */
		memset(&p11_g, 0, sizeof(p11_g));
		p11_wait_threads = 0;
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	}
	return CKR_OK;
}

static CK_RV do_initialize(CK_VOID_PTR pInitArgs)
{
	if (p11_g.initialized) {
		if (p11_check_init() == CKR_OK)
			return CKR_CRYPTOKI_ALREADY_INITIALIZED;
	}
	CK_RV rv = p11_lock_setup((const CK_C_INITIALIZE_ARGS *)pInitArgs);
	if (rv != CKR_OK)
		return rv;
	memset(&p11_g, 0, sizeof(p11_g));
	p11_wait_threads = 0;
	rv = p11_mutex_new(&p11_g.lock);
	if (rv != CKR_OK)
		return rv;
	if (p11_be->profiles_load(&p11_g.profiles) != UKEY_OK) {
		p11_mutex_free(p11_g.lock);
		p11_g.lock = NULL;
		return CKR_HOST_MEMORY;
	}
	if (p11_be->open(&p11_g.pcsc) != UKEY_OK)
		p11_g.pcsc = NULL; /* no pcscd: 0 slots, retried later */
	p11_g.pid = getpid();
	p11_g.initialized = 1;
	p11_log("C_Initialize: %zu profile(s), PC/SC %s", p11_g.profiles.n,
		p11_g.pcsc ? "available" : "unavailable");
	p11_mutex_lock(p11_g.lock);
	p11_slots_refresh();
	p11_mutex_unlock(p11_g.lock);
	return CKR_OK;
}

CK_RV C_Initialize(CK_VOID_PTR pInitArgs)
{
	p11_log_init();
	return p11_log_rv("C_Initialize", do_initialize(pInitArgs));
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static CK_RV do_finalize(CK_VOID_PTR pReserved)
{
	CK_RV rv = p11_check_init();
	if (rv != CKR_OK)
		return rv;
	if (pReserved != NULL)
		return CKR_ARGUMENTS_BAD;

	/* Wake a thread blocked in C_WaitForSlotEvent and wait (bounded) for
	 * it to leave before the state goes away. */
	p11_mutex_lock(p11_g.lock);
	p11_g.finalizing = 1;
	if (p11_g.pcsc)
		p11_be->cancel(p11_g.pcsc);
	p11_mutex_unlock(p11_g.lock);
	for (int i = 0; i < 500; i++) {
		p11_mutex_lock(p11_g.lock);
		int n = p11_wait_threads;
		if (n && p11_g.pcsc)
			p11_be->cancel(p11_g.pcsc);
		p11_mutex_unlock(p11_g.lock);
		if (!n)
			break;
		sleep_ms(10);
	}

	p11_slots_free();
	if (p11_g.pcsc)
		p11_be->close(p11_g.pcsc);
	p11_be->profiles_free(&p11_g.profiles);
	p11_mutex_free(p11_g.lock);
	memset(&p11_g, 0, sizeof(p11_g));
	ukey_cards_cleanup();
	return CKR_OK;
}

CK_RV C_Finalize(CK_VOID_PTR pReserved)
{
	return p11_log_rv("C_Finalize", do_finalize(pReserved));
}

void p11_pad(unsigned char *dst, size_t dstlen, const char *src)
{
	size_t l = src ? strlen(src) : 0;
	if (l > dstlen)
		l = dstlen;
	memset(dst, ' ', dstlen);
	if (l)
		memcpy(dst, src, l);
}

CK_RV C_GetInfo(CK_INFO_PTR pInfo)
{
	CK_RV rv = p11_check_init();
	if (rv == CKR_OK && pInfo == NULL)
		rv = CKR_ARGUMENTS_BAD;
	if (rv == CKR_OK) {
		memset(pInfo, 0, sizeof(*pInfo));
		pInfo->cryptokiVersion.major = 2;
		pInfo->cryptokiVersion.minor = 40;
		p11_pad(pInfo->manufacturerID, sizeof(pInfo->manufacturerID),
			"ukey project");
		pInfo->flags = 0;
		p11_pad(pInfo->libraryDescription,
			sizeof(pInfo->libraryDescription),
			"ukey PKCS#11 module");
		pInfo->libraryVersion.major = 0;
		pInfo->libraryVersion.minor = 1;
	}
	return p11_log_rv("C_GetInfo", rv);
}

static CK_FUNCTION_LIST function_list = {
	{ 2, 40 },
	C_Initialize, C_Finalize, C_GetInfo, C_GetFunctionList,
	C_GetSlotList, C_GetSlotInfo, C_GetTokenInfo, C_GetMechanismList,
	C_GetMechanismInfo, C_InitToken, C_InitPIN, C_SetPIN,
	C_OpenSession, C_CloseSession, C_CloseAllSessions, C_GetSessionInfo,
	C_GetOperationState, C_SetOperationState, C_Login, C_Logout,
	C_CreateObject, C_CopyObject, C_DestroyObject, C_GetObjectSize,
	C_GetAttributeValue, C_SetAttributeValue, C_FindObjectsInit,
	C_FindObjects, C_FindObjectsFinal, C_EncryptInit, C_Encrypt,
	C_EncryptUpdate, C_EncryptFinal, C_DecryptInit, C_Decrypt,
	C_DecryptUpdate, C_DecryptFinal, C_DigestInit, C_Digest,
	C_DigestUpdate, C_DigestKey, C_DigestFinal, C_SignInit, C_Sign,
	C_SignUpdate, C_SignFinal, C_SignRecoverInit, C_SignRecover,
	C_VerifyInit, C_Verify, C_VerifyUpdate, C_VerifyFinal,
	C_VerifyRecoverInit, C_VerifyRecover, C_DigestEncryptUpdate,
	C_DecryptDigestUpdate, C_SignEncryptUpdate, C_DecryptVerifyUpdate,
	C_GenerateKey, C_GenerateKeyPair, C_WrapKey, C_UnwrapKey,
	C_DeriveKey, C_SeedRandom, C_GenerateRandom, C_GetFunctionStatus,
	C_CancelFunction, C_WaitForSlotEvent,
};

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR ppFunctionList)
{
	if (ppFunctionList == NULL)
		return p11_log_rv("C_GetFunctionList", CKR_ARGUMENTS_BAD);
	*ppFunctionList = &function_list;
	return p11_log_rv("C_GetFunctionList", CKR_OK);
}

/* ------------------------------------------------ PKCS#11 3.0 interfaces */

/* PKCS#11 3.0 §3.6 CK_INTERFACE, §5.4.6 C_GetInterfaceList, §5.4.7
 * C_GetInterface. p11-kit's pkcs11.h has them from 0.25 on; with an older
 * header the module declares the 3.0 ABI itself. The module offers one
 * interface: "PKCS 11", version 2.40, the CK_FUNCTION_LIST above, so a
 * 3.0-aware application finds it the way it looks for any module. */
#ifndef CKF_INTERFACE_FORK_SAFE
typedef struct CK_INTERFACE {
	CK_CHAR *pInterfaceName;
	CK_VOID_PTR pFunctionList;
	CK_FLAGS flags;
} CK_INTERFACE;
typedef CK_INTERFACE *CK_INTERFACE_PTR;
typedef CK_INTERFACE_PTR *CK_INTERFACE_PTR_PTR;
#define CKF_INTERFACE_FORK_SAFE 0x00000001UL
#endif

CK_RV C_GetInterfaceList(CK_INTERFACE_PTR pInterfacesList,
			 CK_ULONG_PTR pulCount);
CK_RV C_GetInterface(CK_UTF8CHAR_PTR pInterfaceName, CK_VERSION_PTR pVersion,
		     CK_INTERFACE_PTR_PTR ppInterface, CK_FLAGS flags);

static CK_CHAR interface_name[] = "PKCS 11";
/* Not CKF_INTERFACE_FORK_SAFE: a forked child must call C_Initialize
 * again (p11_check_init). */
static CK_INTERFACE interfaces[] = {
	{ interface_name, &function_list, 0 },
};
#define NINTERFACES (sizeof(interfaces) / sizeof(interfaces[0]))

CK_RV C_GetInterfaceList(CK_INTERFACE_PTR pInterfacesList,
			 CK_ULONG_PTR pulCount)
{
	CK_RV rv = CKR_OK;
	/* Like C_GetFunctionList, callable before C_Initialize. */
	if (pulCount == NULL)
		rv = CKR_ARGUMENTS_BAD;
	else if (pInterfacesList == NULL)
		*pulCount = NINTERFACES;
	else if (*pulCount < NINTERFACES) {
		*pulCount = NINTERFACES;
		rv = CKR_BUFFER_TOO_SMALL;
	} else {
		memcpy(pInterfacesList, interfaces, sizeof(interfaces));
		*pulCount = NINTERFACES;
	}
	return p11_log_rv("C_GetInterfaceList", rv);
}

CK_RV C_GetInterface(CK_UTF8CHAR_PTR pInterfaceName, CK_VERSION_PTR pVersion,
		     CK_INTERFACE_PTR_PTR ppInterface, CK_FLAGS flags)
{
	if (ppInterface == NULL)
		return p11_log_rv("C_GetInterface", CKR_ARGUMENTS_BAD);
	for (size_t i = 0; i < NINTERFACES; i++) {
		CK_INTERFACE *it = &interfaces[i];
		const CK_VERSION *v = it->pFunctionList;
		if (pInterfaceName &&
		    strcmp((const char *)pInterfaceName,
			   (const char *)it->pInterfaceName) != 0)
			continue;
		if (pVersion && (pVersion->major != v->major ||
				 pVersion->minor != v->minor))
			continue;
		if ((flags & it->flags) != flags)
			continue;
		*ppInterface = it;
		return p11_log_rv("C_GetInterface", CKR_OK);
	}
	/* §5.4.7: no interface matches the name, version and flags asked. */
	*ppInterface = NULL;
	return p11_log_rv("C_GetInterface", CKR_ARGUMENTS_BAD);
}
