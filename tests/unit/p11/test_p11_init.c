/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * p11/ without a card: life cycle, argument checking, C_GetInfo,
 * C_GetFunctionList, locking arguments, slot lists with no readers.
 */
#include <check.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <p11-kit/pkcs11.h>

#include "fake_card.h"

static CK_FUNCTION_LIST_PTR fl;

static void setup(void)
{
	fake_setup();
	p11_set_backend(&fake_backend);
	ck_assert_int_eq(C_GetFunctionList(&fl), CKR_OK);
}

static void teardown(void)
{
	C_Finalize(NULL);
	p11_set_backend(NULL);
	fake_teardown();
}

/* Every function that needs initialisation, called before it. */
START_TEST(test_not_initialized)
{
	CK_INFO info;
	CK_ULONG n = 0;
	CK_SLOT_INFO si;
	CK_TOKEN_INFO ti;
	CK_SESSION_HANDLE sh;
	CK_SESSION_INFO sei;
	CK_MECHANISM_INFO mi;
	CK_SLOT_ID slot;
	CK_MECHANISM mech = { CKM_RSA_PKCS, NULL, 0 };
	CK_BYTE buf[16];
	CK_ULONG bl = sizeof(buf);
	CK_RV rvs[] = {
		fl->C_Finalize(NULL),
		fl->C_GetInfo(&info),
		fl->C_GetSlotList(CK_FALSE, NULL, &n),
		fl->C_GetSlotInfo(0, &si),
		fl->C_GetTokenInfo(0, &ti),
		fl->C_GetMechanismList(0, NULL, &n),
		fl->C_GetMechanismInfo(0, CKM_RSA_PKCS, &mi),
		fl->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &sh),
		fl->C_CloseSession(1),
		fl->C_CloseAllSessions(0),
		fl->C_GetSessionInfo(1, &sei),
		fl->C_Login(1, CKU_USER, (CK_UTF8CHAR_PTR)"1234", 4),
		fl->C_Logout(1),
		fl->C_FindObjectsInit(1, NULL, 0),
		fl->C_SignInit(1, &mech, 1),
		fl->C_Sign(1, buf, 1, buf, &bl),
		fl->C_GenerateRandom(1, buf, 4),
		fl->C_SeedRandom(1, buf, 4),
		fl->C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, NULL),
		fl->C_CopyObject(1, 1, NULL, 0, NULL),
		fl->C_DigestInit(1, &mech),
		fl->C_InitToken(0, buf, 4, buf),
		fl->C_GetFunctionStatus(1),
	};
	for (size_t i = 0; i < sizeof(rvs) / sizeof(rvs[0]); i++)
		ck_assert_msg(rvs[i] == CKR_CRYPTOKI_NOT_INITIALIZED,
			      "call %zu returned 0x%lx", i, (unsigned long)rvs[i]);
}
END_TEST

START_TEST(test_initialize_twice)
{
	ck_assert_int_eq(fl->C_Initialize(NULL), CKR_OK);
	ck_assert_int_eq(fl->C_Initialize(NULL), CKR_CRYPTOKI_ALREADY_INITIALIZED);
	ck_assert_int_eq(fl->C_Finalize((void *)1), CKR_ARGUMENTS_BAD);
	ck_assert_int_eq(fl->C_Finalize(NULL), CKR_OK);
	ck_assert_int_eq(fl->C_Finalize(NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
	ck_assert_int_eq(fl->C_Initialize(NULL), CKR_OK);
}
END_TEST

static int app_creates, app_locks, app_unlocks, app_destroys;
static CK_RV app_create(CK_VOID_PTR_PTR m)
{
	app_creates++;
	*m = malloc(1);
	return CKR_OK;
}
static CK_RV app_destroy(CK_VOID_PTR m)
{
	app_destroys++;
	free(m);
	return CKR_OK;
}
static CK_RV app_lock(CK_VOID_PTR m)
{
	(void)m;
	app_locks++;
	return CKR_OK;
}
static CK_RV app_unlock(CK_VOID_PTR m)
{
	(void)m;
	app_unlocks++;
	return CKR_OK;
}

/* Table of C_Initialize argument cases (PKCS#11 v2.40 §5.4). */
START_TEST(test_init_args)
{
	static const struct {
		int fns;          /* 0 none, 4 all, 2 some */
		CK_FLAGS flags;
		int reserved;
		CK_RV want;
		int app_used;     /* the application's mutexes are used */
	} cases[] = {
		{ 0, 0, 0, CKR_OK, 0 },
		{ 0, CKF_OS_LOCKING_OK, 0, CKR_OK, 0 },
		{ 4, CKF_OS_LOCKING_OK, 0, CKR_OK, 0 },
		{ 4, 0, 0, CKR_OK, 1 },
		{ 2, 0, 0, CKR_ARGUMENTS_BAD, 0 },
		{ 2, CKF_OS_LOCKING_OK, 0, CKR_ARGUMENTS_BAD, 0 },
		{ 0, 0, 1, CKR_ARGUMENTS_BAD, 0 },
		{ 0, CKF_LIBRARY_CANT_CREATE_OS_THREADS, 0, CKR_OK, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CK_C_INITIALIZE_ARGS a;
		memset(&a, 0, sizeof(a));
		if (cases[i].fns >= 2) {
			a.CreateMutex = app_create;
			a.DestroyMutex = app_destroy;
		}
		if (cases[i].fns == 4) {
			a.LockMutex = app_lock;
			a.UnlockMutex = app_unlock;
		}
		a.flags = cases[i].flags;
		a.pReserved = cases[i].reserved ? (void *)&a : NULL;
		app_creates = app_locks = app_unlocks = app_destroys = 0;
		CK_RV rv = fl->C_Initialize(&a);
		ck_assert_msg(rv == cases[i].want, "case %zu: 0x%lx", i,
			      (unsigned long)rv);
		if (rv == CKR_OK) {
			CK_ULONG n;
			ck_assert_int_eq(fl->C_GetSlotList(CK_FALSE, NULL, &n), CKR_OK);
			ck_assert_int_eq(fl->C_Finalize(NULL), CKR_OK);
		}
		if (cases[i].app_used) {
			ck_assert_int_gt(app_creates, 0);
			ck_assert_int_gt(app_locks, 0);
			ck_assert_int_eq(app_locks, app_unlocks);
			ck_assert_int_eq(app_creates, app_destroys);
		} else {
			ck_assert_int_eq(app_creates, 0);
			ck_assert_int_eq(app_locks, 0);
		}
	}
	/* NULL args: plain OS locking */
	ck_assert_int_eq(fl->C_Initialize(NULL), CKR_OK);
}
END_TEST

START_TEST(test_get_info)
{
	CK_INFO info;
	ck_assert_int_eq(fl->C_Initialize(NULL), CKR_OK);
	ck_assert_int_eq(fl->C_GetInfo(NULL), CKR_ARGUMENTS_BAD);
	memset(&info, 0xAA, sizeof(info));
	ck_assert_int_eq(fl->C_GetInfo(&info), CKR_OK);
	ck_assert_int_eq(info.cryptokiVersion.major, 2);
	ck_assert_int_eq(info.cryptokiVersion.minor, 40);
	ck_assert_int_eq(info.flags, 0);
	ck_assert(memcmp(info.manufacturerID, "ukey project", 12) == 0);
	for (size_t i = 12; i < sizeof(info.manufacturerID); i++)
		ck_assert_int_eq(info.manufacturerID[i], ' ');
	ck_assert(memcmp(info.libraryDescription, "ukey PKCS#11 module", 19) == 0);
	ck_assert_int_eq(info.libraryDescription[31], ' ');
}
END_TEST

START_TEST(test_function_list)
{
	CK_FUNCTION_LIST_PTR p = NULL;
	ck_assert_int_eq(C_GetFunctionList(NULL), CKR_ARGUMENTS_BAD);
	ck_assert_int_eq(C_GetFunctionList(&p), CKR_OK);
	ck_assert_ptr_eq(p, fl);
	ck_assert_int_eq(p->version.major, 2);
	ck_assert_int_eq(p->version.minor, 40);
	ck_assert_ptr_eq(p->C_Initialize, C_Initialize);
	ck_assert_ptr_eq(p->C_Sign, C_Sign);
	ck_assert_ptr_eq(p->C_WaitForSlotEvent, C_WaitForSlotEvent);
	/* every slot filled */
	size_t off = offsetof(CK_FUNCTION_LIST, C_Initialize);
	void (**fn)(void) = (void (**)(void))((char *)p + off);
	size_t nfn = (sizeof(*p) - off) / sizeof(*fn);
	ck_assert_int_eq(nfn, 68);
	for (size_t i = 0; i < nfn; i++)
		ck_assert_ptr_nonnull(fn[i]);
}
END_TEST

/* No pcscd: C_Initialize succeeds, 0 slots, and slots appear once PC/SC
 * becomes reachable. */
START_TEST(test_no_pcscd)
{
	fake_open_fails = 1;
	ck_assert_int_eq(fl->C_Initialize(NULL), CKR_OK);
	CK_ULONG n = 99;
	ck_assert_int_eq(fl->C_GetSlotList(CK_FALSE, NULL, &n), CKR_OK);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(fl->C_GetSlotList(CK_TRUE, NULL, &n), CKR_OK);
	ck_assert_int_eq(n, 0);
	CK_SLOT_INFO si;
	ck_assert_int_eq(fl->C_GetSlotInfo(0, &si), CKR_SLOT_ID_INVALID);
	CK_SLOT_ID slot;
	ck_assert_int_eq(fl->C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, NULL),
			 CKR_NO_EVENT);
	fake_open_fails = 0;
	ck_assert_int_eq(fl->C_GetSlotList(CK_FALSE, NULL, &n), CKR_OK);
	ck_assert_int_eq(n, 3);
}
END_TEST

START_TEST(test_no_readers)
{
	fake_nreaders = 0;
	ck_assert_int_eq(fl->C_Initialize(NULL), CKR_OK);
	CK_ULONG n = 99;
	CK_SLOT_ID ids[4];
	ck_assert_int_eq(fl->C_GetSlotList(CK_FALSE, NULL, &n), CKR_OK);
	ck_assert_int_eq(n, 0);
	n = 4;
	ck_assert_int_eq(fl->C_GetSlotList(CK_FALSE, ids, &n), CKR_OK);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(fl->C_GetSlotList(CK_FALSE, ids, NULL), CKR_ARGUMENTS_BAD);
}
END_TEST

/* A forked child must re-initialise. */
START_TEST(test_fork)
{
	ck_assert_int_eq(fl->C_Initialize(NULL), CKR_OK);
	pid_t pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		CK_ULONG n;
		int ok = fl->C_GetSlotList(CK_FALSE, NULL, &n) ==
				 CKR_CRYPTOKI_NOT_INITIALIZED &&
			 fl->C_Initialize(NULL) == CKR_OK &&
			 fl->C_GetSlotList(CK_FALSE, NULL, &n) == CKR_OK && n == 3;
		_exit(ok ? 0 : 1);
	}
	int st = 0;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	CK_ULONG n;
	ck_assert_int_eq(fl->C_GetSlotList(CK_FALSE, NULL, &n), CKR_OK);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("p11_init");
	TCase *tc = tcase_create("init");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_not_initialized);
	tcase_add_test(tc, test_initialize_twice);
	tcase_add_test(tc, test_init_args);
	tcase_add_test(tc, test_get_info);
	tcase_add_test(tc, test_function_list);
	tcase_add_test(tc, test_no_pcscd);
	tcase_add_test(tc, test_no_readers);
	tcase_add_test(tc, test_fork);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
