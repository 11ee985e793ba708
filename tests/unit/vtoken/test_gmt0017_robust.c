/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GM/T 0017 virtual OS: hostile APDUs. A deterministic stream of random
 * commands (mostly with valid handles, so they get past the first checks)
 * must always get a well-formed answer with an expected status word, and
 * the state must stay saveable and loadable. ASan/UBSan builds turn any
 * overrun into a failure. */
#include <stdlib.h>
#include <string.h>

#include "gm_tutil.h"

static uint32_t rng_state = 0x12345678u;

static uint32_t rnd(void)
{
	/* xorshift32: reproducible across platforms */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static int sw_expected(unsigned sw)
{
	static const unsigned ok[] = {0x9000, 0x6700, 0x6982, 0x6983, 0x6985,
				      0x6A80, 0x6A82, 0x6A84, 0x6A86, 0x6A88,
				      0x6A89, 0x6B00, 0x6D00, 0x6E00};
	if ((sw & 0xFFF0) == 0x63C0)
		return 1;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (sw == ok[i])
			return 1;
	return 0;
}

START_TEST(random_commands)
{
	static const uint8_t ins[] = {0x02, 0x04, 0x10, 0x12, 0x14, 0x16, 0x18,
		0x1A, 0x1C, 0x20, 0x22, 0x24, 0x26, 0x28, 0x30, 0x32, 0x34, 0x36,
		0x38, 0x3A, 0x40, 0x42, 0x44, 0x46, 0x48, 0x4A, 0x4C, 0x4E, 0x50,
		0x54, 0x56, 0x58, 0x5E, 0x84, 0x88, 0xC0, 0xFF};
	static const uint8_t p1s[] = {0x00, 0x01, 0x80, 0x81, 0x02, 0xFF};
	gt_card *c = gt_new_init(1024);
	uint16_t app = gt_open_app(c, "UKEY-APP"), cid;
	ck_assert_uint_eq(gt_verify(c, app, 1, "123456"), 0x9000);
	ck_assert_uint_eq(gt_open_cont(c, app, "UKEY-CONTAINER", &cid), 0x9000);
	uint8_t cmd[4 + 1 + 255 + 1];
	for (int i = 0; i < 20000; i++) {
		uint32_t r = rnd();
		size_t n = 0, lc = rnd() % 256;
		uint8_t cla = (r & 3) ? 0x80 : (r & 4) ? 0x84 : (uint8_t)rnd();
		cmd[n++] = cla;
		cmd[n++] = ins[rnd() % sizeof(ins)];
		cmd[n++] = (rnd() & 1) ? p1s[rnd() % sizeof(p1s)] : (uint8_t)rnd();
		cmd[n++] = (rnd() & 1) ? (uint8_t)(rnd() % 3) : (uint8_t)rnd();
		if (lc) {
			cmd[n++] = (uint8_t)lc;
			for (size_t j = 0; j < lc; j++)
				cmd[n + j] = (uint8_t)rnd();
			/* mostly valid handles in front */
			if (rnd() % 4 && lc >= 2)
				gt_ids(cmd + n, app, lc >= 4 ? cid : -1);
			n += lc;
		}
		if (rnd() & 1)
			cmd[n++] = (uint8_t)rnd();
		/* sometimes a wrong total length */
		if (rnd() % 16 == 0 && n > 4)
			n -= 1 + rnd() % (n - 4);
		unsigned sw = gt_raw(c, cmd, n);
		if (!sw_expected(sw))
			ck_abort_msg("command %d (INS %02X) gave SW %04X", i, cmd[1], sw);
		if (sw != 0x9000)
			ck_assert_uint_eq(c->len, 0);
		if (i % 2000 == 1999) {
			gt_reload(c);
			app = gt_open_app(c, "UKEY-APP");
			/* PINs may be locked by now: keep going either way */
			gt_verify(c, app, 1, "123456");
			if (gt_open_cont(c, app, "UKEY-CONTAINER", &cid) != 0x9000)
				cid = 1;
		}
	}
	gt_free(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vtoken_gmt0017_robust");
	TCase *tc = tcase_create("robust");
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, random_commands);
	suite_add_tcase(s, tc);
	return gt_run(s);
}
