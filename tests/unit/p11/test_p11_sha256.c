/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * p11/p11_sha256.c, the module's streaming SHA-256 with a visible state,
 * against OpenSSL: digests (EVP) of every length around the block and
 * padding boundaries, fed whole and in odd pieces, and the chaining state
 * after the full blocks (OpenSSL's SHA256_CTX.h after whole blocks only).
 */
#define OPENSSL_API_COMPAT 0x10101000L

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "p11_sha256.h"

static void fill(uint8_t *m, size_t n)
{
	uint32_t x = 0x12345678u;
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		m[i] = (uint8_t)(x >> 16);
	}
}

/* OpenSSL's state after the first nblocks blocks, big-endian words. */
static void openssl_state(const uint8_t *m, size_t nblocks, uint8_t out[32])
{
	SHA256_CTX c;
	SHA256_Init(&c);
	SHA256_Update(&c, m, 64 * nblocks);
	ck_assert_uint_eq(c.num, 0);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(c.h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(c.h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(c.h[i] >> 8);
		out[4 * i + 3] = (uint8_t)c.h[i];
	}
}

static void check(const p11_sha256 *c, const uint8_t *m, size_t len)
{
	uint8_t d[32], want[32], st[32], wst[32];
	unsigned wl = 0;
	p11_sha256_final(c, d);
	ck_assert_int_eq(EVP_Digest(m, len, want, &wl, EVP_sha256(), NULL), 1);
	ck_assert_msg(memcmp(d, want, 32) == 0, "digest of %zu bytes", len);
	ck_assert_uint_eq(c->blocks, len / 64);
	ck_assert_uint_eq(c->tail_len, len % 64);
	ck_assert(memcmp(c->tail, m + 64 * (len / 64), len % 64) == 0);
	p11_sha256_state(c, st);
	openssl_state(m, len / 64, wst);
	ck_assert_msg(memcmp(st, wst, 32) == 0, "state after %zu bytes", len);
	/* final leaves the context as it was: twice gives the same */
	p11_sha256_final(c, d);
	ck_assert(memcmp(d, want, 32) == 0);
}

START_TEST(test_vectors)
{
	/* FIPS 180-4 examples */
	static const uint8_t abc[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
		0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
		0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad };
	static const uint8_t two[32] = {
		0x24, 0x8d, 0x6a, 0x61, 0xd2, 0x06, 0x38, 0xb8, 0xe5, 0xc0, 0x26,
		0x93, 0x0c, 0x3e, 0x60, 0x39, 0xa3, 0x3c, 0xe4, 0x59, 0x64, 0xff,
		0x21, 0x67, 0xf6, 0xec, 0xed, 0xd4, 0x19, 0xdb, 0x06, 0xc1 };
	static const uint8_t empty[32] = {
		0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4,
		0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b,
		0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55 };
	static const char *m2 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	p11_sha256 c;
	uint8_t d[32];
	p11_sha256_init(&c);
	p11_sha256_final(&c, d);
	ck_assert(memcmp(d, empty, 32) == 0);
	p11_sha256_update(&c, NULL, 0);
	p11_sha256_update(&c, (const uint8_t *)"abc", 3);
	p11_sha256_final(&c, d);
	ck_assert(memcmp(d, abc, 32) == 0);
	p11_sha256_init(&c);
	p11_sha256_update(&c, (const uint8_t *)m2, strlen(m2));
	p11_sha256_final(&c, d);
	ck_assert(memcmp(d, two, 32) == 0);
	/* the state before any block is H(0) */
	static const uint8_t h0[8] = { 0x6a, 0x09, 0xe6, 0x67, 0xbb, 0x67, 0xae, 0x85 };
	uint8_t st[32];
	p11_sha256_state(&c, st);
	ck_assert(memcmp(st, h0, 8) == 0);
}
END_TEST

/* Every length 0..300 in one piece and byte by byte. */
START_TEST(test_lengths)
{
	uint8_t m[300];
	fill(m, sizeof(m));
	for (size_t len = 0; len <= sizeof(m); len++) {
		p11_sha256 c;
		p11_sha256_init(&c);
		p11_sha256_update(&c, m, len);
		check(&c, m, len);
		p11_sha256_init(&c);
		for (size_t i = 0; i < len; i++)
			p11_sha256_update(&c, m + i, 1);
		check(&c, m, len);
	}
}
END_TEST

/* A long message in odd pieces, checked at every piece's end. */
START_TEST(test_chunks)
{
	static const size_t pieces[] = { 0, 1, 63, 64, 65, 127, 128, 129, 7, 1000, 3, 4096 };
	const size_t n = 200000;
	uint8_t *m = malloc(n);
	ck_assert_ptr_nonnull(m);
	fill(m, n);
	p11_sha256 c;
	p11_sha256_init(&c);
	size_t off = 0;
	for (size_t j = 0; off < n; j++) {
		size_t l = pieces[j % (sizeof(pieces) / sizeof(pieces[0]))];
		if (l > n - off)
			l = n - off;
		p11_sha256_update(&c, m + off, l);
		off += l;
		if (j % 17 == 0 || off == n)
			check(&c, m, off);
	}
	free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("p11_sha256");
	TCase *tc = tcase_create("sha256");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_vectors);
	tcase_add_test(tc, test_lengths);
	tcase_add_test(tc, test_chunks);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
