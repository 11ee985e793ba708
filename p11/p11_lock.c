/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Mutexes for the module: POSIX threads, or the application's callbacks
 * when it supplies them without CKF_OS_LOCKING_OK (PKCS#11 v2.40 §5.4,
 * C_Initialize cases 1-4).
 */
#include <pthread.h>
#include <stdlib.h>

#include "p11_lock.h"

struct p11_mutex {
	pthread_mutex_t pm;
	void *app;  /* application mutex, when app callbacks are in use */
};

static CK_C_INITIALIZE_ARGS app_cb; /* callbacks, or all NULL */
static int use_app;

CK_RV p11_lock_setup(const CK_C_INITIALIZE_ARGS *a)
{
	use_app = 0;
	app_cb = (CK_C_INITIALIZE_ARGS){0};
	if (a == NULL)
		return CKR_OK;
	int nfn = (a->CreateMutex != NULL) + (a->DestroyMutex != NULL) +
		  (a->LockMutex != NULL) + (a->UnlockMutex != NULL);
	if (nfn != 0 && nfn != 4)
		return CKR_ARGUMENTS_BAD;
	if (a->pReserved != NULL)
		return CKR_ARGUMENTS_BAD;
	/* Case 3 (OS locking allowed, callbacks given) and case 1: we prefer
	 * pthreads. Case 4 (callbacks only): we must use the callbacks. Case
	 * 2 (neither): the application promises no concurrency; pthreads are
	 * harmless. So CKR_CANT_LOCK never arises here. */
	if (nfn == 4 && !(a->flags & CKF_OS_LOCKING_OK)) {
		app_cb = *a;
		use_app = 1;
	}
	return CKR_OK;
}

CK_RV p11_mutex_new(p11_mutex **out)
{
	p11_mutex *m = calloc(1, sizeof(*m));
	if (!m)
		return CKR_HOST_MEMORY;
	if (use_app) {
		CK_RV rv = app_cb.CreateMutex(&m->app);
		if (rv != CKR_OK) {
			free(m);
			return rv;
		}
	} else if (pthread_mutex_init(&m->pm, NULL) != 0) {
		free(m);
		return CKR_CANT_LOCK;
	}
	*out = m;
	return CKR_OK;
}

void p11_mutex_free(p11_mutex *m)
{
	if (!m)
		return;
	if (use_app)
		app_cb.DestroyMutex(m->app);
	else
		pthread_mutex_destroy(&m->pm);
	free(m);
}

void p11_mutex_lock(p11_mutex *m)
{
	if (use_app)
		(void)app_cb.LockMutex(m->app);
	else
		pthread_mutex_lock(&m->pm);
}

void p11_mutex_unlock(p11_mutex *m)
{
	if (use_app)
		(void)app_cb.UnlockMutex(m->app);
	else
		pthread_mutex_unlock(&m->pm);
}
