/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PC/SC transport without a daemon: precise errors, argument checks.
 * (Through a real pcscd it is covered by the integration tests.) */
#include <check.h>
#include <stdlib.h>

#include "pcsc.h"

START_TEST(no_service)
{
	ukey_pcsc *ctx = (ukey_pcsc *)0x1;
	ck_assert_int_eq(ukey_pcsc_open(&ctx), UKEY_E_TRANSPORT);
	ck_assert_ptr_null(ctx);
}
END_TEST

START_TEST(bad_args)
{
	char **names = NULL;
	size_t n = 0;
	ukey_reader_state st;
	ukey_pcsc_card *card = NULL;
	uint8_t buf[8];
	size_t len;
	ck_assert_int_eq(ukey_pcsc_open(NULL), UKEY_E_ARGS);
	ck_assert_int_eq(ukey_pcsc_list_readers(NULL, &names, &n), UKEY_E_ARGS);
	ck_assert_int_eq(ukey_pcsc_reader_state(NULL, "r", &st), UKEY_E_ARGS);
	ck_assert_int_eq(ukey_pcsc_wait_change(NULL, NULL, 0, 0), UKEY_E_ARGS);
	ck_assert_int_eq(ukey_pcsc_connect(NULL, "r", &card), UKEY_E_ARGS);
	ck_assert_int_eq(ukey_pcsc_atr(NULL, buf, sizeof(buf), &len), UKEY_E_ARGS);
	ck_assert_int_eq(ukey_pcsc_begin(NULL), UKEY_E_ARGS);
	ck_assert_int_eq(ukey_pcsc_xfer(NULL, buf, 4, buf, sizeof(buf), &len),
			 UKEY_E_ARGS);
	ck_assert_int_eq(ukey_pcsc_protocol(NULL), -1);
	/* harmless no-ops */
	ukey_pcsc_end(NULL);
	ukey_pcsc_cancel(NULL);
	ukey_pcsc_close(NULL);
	ukey_pcsc_disconnect(NULL, 0);
	ukey_pcsc_free_names(NULL, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("apdu_pcsc");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, no_service);
	tcase_add_test(tc, bad_args);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
