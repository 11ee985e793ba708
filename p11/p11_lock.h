/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Locks (p11_lock.c): mutexes that are POSIX threads, or the application's
 * callbacks when it gives them without CKF_OS_LOCKING_OK (PKCS#11 v2.40
 * §5.4, C_Initialize cases 1-4).
 *
 * The module has two kinds of lock, both p11_mutex:
 *   - the global lock, p11_g.lock (p11_module.h): the module state and the
 *     slot array;
 *   - one slot lock per slot, p11_slot.lock (p11_slot.h): that slot's
 *     token, objects and sessions.
 *
 * Lock order: slot lock first, global lock second. Never take a slot lock
 * while holding the global lock.
 *
 * Today the two are never nested at all. The global lock is held only
 * briefly (the slot lookup in p11_slot_get, p11_slots_refresh, the
 * bookkeeping of C_WaitForSlotEvent, C_Initialize/C_Finalize) and is
 * released before a slot lock is taken: p11_slot_lock and
 * p11_session_acquire look the slot up under the global lock, release it,
 * then lock the slot. Nothing that holds a slot lock takes the global lock.
 * The log's own mutex (p11_log.c) is taken last, under either or none, and
 * nothing is taken while it is held.
 */
#ifndef UKEY_P11_LOCK_H
#define UKEY_P11_LOCK_H

#include <p11-kit/pkcs11.h>

typedef struct p11_mutex p11_mutex;

/* Configure from C_Initialize's arguments (NULL => OS locking). */
CK_RV p11_lock_setup(const CK_C_INITIALIZE_ARGS *args);
CK_RV p11_mutex_new(p11_mutex **out);
void p11_mutex_free(p11_mutex *m);
void p11_mutex_lock(p11_mutex *m);
void p11_mutex_unlock(p11_mutex *m);

#endif /* UKEY_P11_LOCK_H */
