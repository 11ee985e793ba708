/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DES/3DES and SM4 secure-messaging primitives.
 *
 * Expected values were computed independently with the openssl CLI
 * (OpenSSL 3.0, Debian 12) and pasted here; the command is next to each.
 * D24 below is the 24 bytes 00 01 02 ... 17 (file d24.bin).
 */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/provider.h>

#include "apdu.h"
#include "mock_xfer.h"

static uint8_t d24[24];
static const uint8_t iv1122[8] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
static const uint8_t zero_iv[8] = {0};
static uint8_t k8[8], k16[16], k24[24];

static void setup(void)
{
	for (int i = 0; i < 24; i++)
		d24[i] = (uint8_t)i;
	hex2bin("0123456789ABCDEF", k8, sizeof(k8));
	hex2bin("0123456789ABCDEF FEDCBA9876543210", k16, sizeof(k16));
	hex2bin("0123456789ABCDEF FEDCBA9876543210 89ABCDEF01234567", k24,
		sizeof(k24));
}

static void expect_hex(const uint8_t *got, size_t n, const char *hex)
{
	uint8_t want[64];
	ck_assert_uint_eq(hex2bin(hex, want, sizeof(want)), n);
	ck_assert_mem_eq(got, want, n);
}

START_TEST(cbc_mac_vectors)
{
	uint8_t mac[8];
	/* openssl enc -des-cbc -nopad -K 0123456789ABCDEF -iv 1122334455667788
	 *   -provider legacy -provider default -in d24.bin | tail -c 8 */
	ck_assert_int_eq(ukey_sm_cbc_mac(k8, 8, iv1122, d24, 24, mac), UKEY_OK);
	expect_hex(mac, 8, "a48252d1ea06a5e8");
	/* openssl enc -des-ede-cbc -nopad -K 0123456789ABCDEFFEDCBA9876543210
	 *   -iv 1122334455667788 -in d24.bin | tail -c 8 */
	ck_assert_int_eq(ukey_sm_cbc_mac(k16, 16, iv1122, d24, 24, mac), UKEY_OK);
	expect_hex(mac, 8, "8125565653172f64");
	/* openssl enc -des-ede3-cbc -nopad
	 *   -K 0123456789ABCDEFFEDCBA987654321089ABCDEF01234567
	 *   -iv 1122334455667788 -in d24.bin | tail -c 8 */
	ck_assert_int_eq(ukey_sm_cbc_mac(k24, 24, iv1122, d24, 24, mac), UKEY_OK);
	expect_hex(mac, 8, "1d10152acdd19b18");
}
END_TEST

START_TEST(retail_mac_vectors)
{
	uint8_t mac[8];
	/* H=$(openssl enc -des-cbc -nopad -K 0123456789ABCDEF -iv 0000000000000000
	 *      -provider legacy -provider default -in d24.bin | tail -c 8)
	 * X=$(H | openssl enc -d -des-ecb -nopad -K FEDCBA9876543210 ...)
	 * X | openssl enc -des-ecb -nopad -K 0123456789ABCDEF ... */
	ck_assert_int_eq(ukey_sm_retail_mac(k16, zero_iv, d24, 24, mac), UKEY_OK);
	expect_hex(mac, 8, "5c5e53e0abd64d56");
	/* same with one block (head -c 8 d24.bin) and IV 1122334455667788 */
	ck_assert_int_eq(ukey_sm_retail_mac(k16, iv1122, d24, 8, mac), UKEY_OK);
	expect_hex(mac, 8, "d0acc9ba09644f76");
}
END_TEST

START_TEST(ecb_vectors)
{
	uint8_t out[24], back[24];
	/* openssl enc -des-ede-ecb -nopad -K 0123456789ABCDEFFEDCBA9876543210
	 *   -in d24.bin */
	ck_assert_int_eq(ukey_sm_3des_ecb(k16, 16, 1, d24, 24, out), UKEY_OK);
	expect_hex(out, 24, "52c5c0705d9089e1decfc0f111152b1250594b674ff31cef");
	ck_assert_int_eq(ukey_sm_3des_ecb(k16, 16, 0, out, 24, back), UKEY_OK);
	ck_assert_mem_eq(back, d24, 24);
	/* openssl enc -des-ede3-ecb -nopad
	 *   -K 0123456789ABCDEFFEDCBA987654321089ABCDEF01234567 -in d24.bin */
	memcpy(out, d24, 24);
	ck_assert_int_eq(ukey_sm_3des_ecb(k24, 24, 1, out, 24, out), UKEY_OK);
	expect_hex(out, 24, "98f447d72bee8df778de5f04c528a5dc658aa9d1395c3fd7");
	ck_assert_int_eq(ukey_sm_3des_ecb(k24, 24, 0, out, 24, out), UKEY_OK);
	ck_assert_mem_eq(out, d24, 24);
}
END_TEST

START_TEST(bad_args)
{
	uint8_t mac[8], out[24];
	ck_assert_int_eq(ukey_sm_cbc_mac(k8, 7, iv1122, d24, 24, mac), UKEY_E_ARGS);
	ck_assert_int_eq(ukey_sm_cbc_mac(k8, 8, iv1122, d24, 23, mac), UKEY_E_ARGS);
	ck_assert_int_eq(ukey_sm_cbc_mac(k8, 8, iv1122, d24, 0, mac), UKEY_E_ARGS);
	ck_assert_int_eq(ukey_sm_retail_mac(k16, iv1122, d24, 12, mac), UKEY_E_ARGS);
	ck_assert_int_eq(ukey_sm_retail_mac(k16, iv1122, d24, 0, mac), UKEY_E_ARGS);
	ck_assert_int_eq(ukey_sm_3des_ecb(k8, 8, 1, d24, 24, out), UKEY_E_ARGS);
	ck_assert_int_eq(ukey_sm_3des_ecb(k16, 16, 1, d24, 20, out), UKEY_E_ARGS);
}
END_TEST

START_TEST(pad80)
{
	uint8_t out[32];
	ck_assert_uint_eq(ukey_sm_pad80(d24, 5, out, sizeof(out)), 8);
	ck_assert_mem_eq(out, d24, 5);
	expect_hex(out + 5, 3, "80 00 00");
	ck_assert_uint_eq(ukey_sm_pad80(d24, 8, out, sizeof(out)), 16);
	expect_hex(out + 8, 8, "80 00 00 00 00 00 00 00");
	ck_assert_uint_eq(ukey_sm_pad80(NULL, 0, out, sizeof(out)), 8);
	expect_hex(out, 8, "80 00 00 00 00 00 00 00");
	ck_assert_uint_eq(ukey_sm_pad80(d24, 24, out, 31), 0);
	ck_assert_uint_eq(ukey_sm_pad80(d24, 24, out, 32), 32);
	/* in place */
	uint8_t ip[16] = {1, 2, 3};
	ck_assert_uint_eq(ukey_sm_pad80(ip, 3, ip, sizeof(ip)), 8);
	expect_hex(ip, 8, "01 02 03 80 00 00 00 00");
}
END_TEST

/*
 * FTCOS secure messaging, reproduced from
 * shared/reference/traces/opensc-entersafe-full-flow.trace (OpenSC 0.23
 * against a virtual token): MAC input = 84 INS P1 P2 Lc' data, pad 80..;
 * IV = the GET CHALLENGE answer just before; the first 4 bytes are sent.
 */
static void ftcos_mac(const uint8_t *key, size_t keylen, const char *chal_hex,
		      const char *cmd_hex, const char *mac_hex)
{
	uint8_t iv[8], cmd[128], in[136], mac[8], want[4];
	ck_assert_uint_eq(hex2bin(chal_hex, iv, sizeof(iv)), 8);
	size_t n = hex2bin(cmd_hex, cmd, sizeof(cmd));
	ck_assert_uint_eq(hex2bin(mac_hex, want, sizeof(want)), 4);
	ck_assert_uint_eq(cmd[4], n - 5 + 4); /* Lc counts the MAC */
	size_t pn = ukey_sm_pad80(cmd, n, in, sizeof(in));
	ck_assert_uint_gt(pn, n);
	if (keylen == 8)
		ck_assert_int_eq(ukey_sm_cbc_mac(key, 8, iv, in, pn, mac), UKEY_OK);
	else
		ck_assert_int_eq(ukey_sm_retail_mac(key, iv, in, pn, mac), UKEY_OK);
	ck_assert_mem_eq(mac, want, 4);
}

static const uint8_t transport_key[8] = {0x92, 0x34, 0x2E, 0xEF,
					 0x23, 0x40, 0x4F, 0xD1};
static const uint8_t init_key[16] = {1, 2, 3, 4, 5, 6, 7, 8,
				     9, 10, 11, 12, 13, 14, 15, 16};

START_TEST(ftcos_trace_create_mf)
{
	ftcos_mac(transport_key, 8, "0E 4A D2 ED EA 4F 92 70",
		  "84 E0 00 00 2D 3F 00 04 11 03 00 10 C0 10 00 00 00 00 00 00 "
		  "00 00 00 00 00 4B 6F 18 AB 28 01 02 03 04 05 06 07 08 09 0A "
		  "0B 0C 0D 0E 0F 10",
		  "22 07 09 75");
}
END_TEST

START_TEST(ftcos_trace_create_ef)
{
	/* EF 2F00 in the MF */
	ftcos_mac(init_key, 16, "17 9B A3 30 25 C5 DA C9",
		  "84 E0 02 00 17 2F 00 00 80 00 00 00 10 10 10 10 10 10 10 10 "
		  "10 10 00 00",
		  "46 6C 97 2E");
	/* EF FFFD in DF 5015 */
	ftcos_mac(init_key, 16, "78 5E 3A 02 90 B5 EC 06",
		  "84 E0 02 00 17 FF FD 0A 00 15 80 00 10 10 10 10 10 10 10 10 "
		  "10 10 00 00",
		  "F9 CC C0 FA");
}
END_TEST

START_TEST(ftcos_trace_create_df)
{
	ftcos_mac(init_key, 16, "37 10 07 22 1D 14 23 B9",
		  "84 E0 01 00 2D 50 15 30 01 3E 80 10 C0 10 A0 00 00 00 63 50 "
		  "4B 43 53 2D 31 35 00 00 10 10 01 02 03 04 05 06 07 08 09 0A "
		  "0B 0C 0D 0E 0F 10",
		  "F9 A0 4C 54");
}
END_TEST

/*
 * SM4, GB/T 32907-2016 appendix A (the standard's published examples):
 * key = plaintext = 01 23 45 67 89 AB CD EF FE DC BA 98 76 54 32 10;
 * example 1, one encryption: 68 1E DF 34 D2 06 96 5E 86 B3 E9 4F 53 6E 42 46;
 * example 2, the plaintext encrypted 1 000 000 times under the same key:
 * 59 52 98 C7 C6 FD 27 1F 04 02 F8 04 C3 3D 3F 66.
 */
START_TEST(sm4_gbt32907_vectors)
{
	uint8_t key[16], blk[16], back[16];
	ck_assert_uint_eq(hex2bin("0123456789ABCDEFFEDCBA9876543210", key,
				  sizeof(key)), 16);
	ck_assert_int_eq(ukey_sm4_ecb(key, 1, key, 16, blk), UKEY_OK);
	expect_hex(blk, 16, "681EDF34D206965E86B3E94F536E4246");
	ck_assert_int_eq(ukey_sm4_ecb(key, 0, blk, 16, back), UKEY_OK);
	ck_assert_mem_eq(back, key, 16);
	/* example 2: one block, encrypted in place a million times */
	memcpy(blk, key, 16);
	for (long i = 0; i < 1000000; i++)
		ck_assert_int_eq(ukey_sm4_ecb(key, 1, blk, 16, blk), UKEY_OK);
	expect_hex(blk, 16, "595298C7C6FD271F0402F804C33D3F66");
}
END_TEST

START_TEST(sm4_cbc_and_args)
{
	uint8_t key[16], iv[16] = {0}, in[32], out[32], back[32];
	ck_assert_uint_eq(hex2bin("0123456789ABCDEFFEDCBA9876543210", key,
				  sizeof(key)), 16);
	memcpy(in, key, 16);
	memcpy(in + 16, key, 16);
	/* CBC with a zero IV: first block = ECB, second = E(c1 ^ p2) */
	ck_assert_int_eq(ukey_sm4_cbc(key, iv, 1, in, 32, out), UKEY_OK);
	expect_hex(out, 16, "681EDF34D206965E86B3E94F536E4246");
	uint8_t x[16], c2[16];
	for (int i = 0; i < 16; i++)
		x[i] = (uint8_t)(out[i] ^ in[16 + i]);
	ck_assert_int_eq(ukey_sm4_ecb(key, 1, x, 16, c2), UKEY_OK);
	ck_assert_mem_eq(out + 16, c2, 16);
	ck_assert_int_eq(ukey_sm4_cbc(key, iv, 0, out, 32, back), UKEY_OK);
	ck_assert_mem_eq(back, in, 32);
	ck_assert_int_eq(ukey_sm4_ecb(key, 1, in, 8, out), UKEY_E_ARGS);
	ck_assert_int_eq(ukey_sm4_ecb(key, 1, in, 0, out), UKEY_E_ARGS);
	ck_assert_int_eq(ukey_sm4_ecb(NULL, 1, in, 16, out), UKEY_E_ARGS);
	ck_assert_int_eq(ukey_sm4_cbc(key, NULL, 1, in, 16, out), UKEY_E_ARGS);
}
END_TEST

START_TEST(private_context_only)
{
	uint8_t mac[8];
	ck_assert_int_eq(ukey_sm_cbc_mac(k8, 8, iv1122, d24, 24, mac), UKEY_OK);
	/* The application's default context did not get the legacy provider
	 * (unless the environment configured it on purpose). */
	if (getenv("OPENSSL_CONF") == NULL)
		ck_assert_int_eq(OSSL_PROVIDER_available(NULL, "legacy"), 0);
	/* cleanup, then use again: re-created on demand */
	ukey_sm_cleanup();
	ck_assert_int_eq(ukey_sm_cbc_mac(k8, 8, iv1122, d24, 24, mac), UKEY_OK);
	expect_hex(mac, 8, "a48252d1ea06a5e8");
	ukey_sm_cleanup();
	ukey_sm_cleanup(); /* idempotent */
}
END_TEST

static void *mac_worker(void *arg)
{
	uintptr_t bad = 0;
	(void)arg;
	for (int i = 0; i < 200; i++) {
		uint8_t mac[8];
		static const uint8_t want[8] = {0x5c, 0x5e, 0x53, 0xe0,
						0xab, 0xd6, 0x4d, 0x56};
		if (ukey_sm_retail_mac(k16, zero_iv, d24, 24, mac) != UKEY_OK ||
		    memcmp(mac, want, 8) != 0)
			bad++;
	}
	return (void *)bad;
}

START_TEST(threads)
{
	ukey_sm_cleanup(); /* both threads race to create the context */
	pthread_t th[4];
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, mac_worker, NULL), 0);
	for (int i = 0; i < 4; i++) {
		void *ret;
		pthread_join(th[i], &ret);
		ck_assert_ptr_null(ret);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("apdu_sm");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, cbc_mac_vectors);
	tcase_add_test(tc, retail_mac_vectors);
	tcase_add_test(tc, ecb_vectors);
	tcase_add_test(tc, bad_args);
	tcase_add_test(tc, pad80);
	tcase_add_test(tc, ftcos_trace_create_mf);
	tcase_add_test(tc, ftcos_trace_create_ef);
	tcase_add_test(tc, ftcos_trace_create_df);
	tcase_add_test(tc, sm4_gbt32907_vectors);
	tcase_add_test(tc, sm4_cbc_and_args);
	tcase_add_test(tc, private_context_only);
	tcase_add_test(tc, threads);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	ukey_sm_cleanup();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
