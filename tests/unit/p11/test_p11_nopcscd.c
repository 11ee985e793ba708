/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The real PC/SC backend with no pcscd reachable (run in a private mount
 * namespace with an empty /run/pcscd): the module loads, lists 0 slots and
 * never blocks.
 */
#include <check.h>
#include <stdlib.h>

#include <p11-kit/pkcs11.h>

START_TEST(test_zero_slots)
{
	CK_FUNCTION_LIST_PTR fl;
	ck_assert_int_eq(C_GetFunctionList(&fl), CKR_OK);
	ck_assert_int_eq(fl->C_Initialize(NULL), CKR_OK);
	CK_ULONG n = 42;
	ck_assert_int_eq(fl->C_GetSlotList(CK_FALSE, NULL, &n), CKR_OK);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(fl->C_GetSlotList(CK_TRUE, NULL, &n), CKR_OK);
	ck_assert_int_eq(n, 0);
	CK_SLOT_ID slot;
	ck_assert_int_eq(fl->C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, NULL),
			 CKR_NO_EVENT);
	CK_TOKEN_INFO ti;
	ck_assert_int_eq(fl->C_GetTokenInfo(0, &ti), CKR_SLOT_ID_INVALID);
	ck_assert_int_eq(fl->C_Finalize(NULL), CKR_OK);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("p11_nopcscd");
	TCase *tc = tcase_create("nopcscd");
	tcase_add_test(tc, test_zero_slots);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
