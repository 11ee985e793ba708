/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The module (p11_module.c): its global state p11_g — initialised or not,
 * the PC/SC context, the vendor profiles, the slot array — and the entry
 * check of every C_* function.
 */
#ifndef UKEY_P11_MODULE_H
#define UKEY_P11_MODULE_H

#include <stddef.h>
#include <sys/types.h>

#include <p11-kit/pkcs11.h>

#include "pcsc.h"
#include "profile.h"
#include "p11_lock.h"

#define P11_MAX_SLOTS 32

typedef struct p11_slot p11_slot;

typedef struct p11_module {
	int initialized;
	pid_t pid;
	p11_mutex *lock;        /* global (lock order: p11_lock.h) */
	ukey_pcsc *pcsc;        /* NULL if PC/SC is unavailable */
	int finalizing;
	ukey_profile_set profiles;
	p11_slot *slots[P11_MAX_SLOTS];
	size_t nslots;
} p11_module;

extern p11_module p11_g;
extern int p11_wait_threads; /* threads in C_WaitForSlotEvent (global lock) */

/* Entry check for every C_* function except C_Initialize/GetFunctionList:
 * CKR_CRYPTOKI_NOT_INITIALIZED (also in a forked child). */
CK_RV p11_check_init(void);

/* Pad a NUL-terminated string into a fixed blank-padded field. */
void p11_pad(unsigned char *dst, size_t dstlen, const char *src);

#endif /* UKEY_P11_MODULE_H */
