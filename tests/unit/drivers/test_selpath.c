/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/selpath.c against a fake driver: a small file tree, a SELECT that
 * logs every FID and keeps a record of what is selected as the FTCOS and
 * ePass2003 drivers do. What is asserted is which FIDs get selected (the
 * card I/O the helper causes) for each state the record may be in, and
 * that bad paths select nothing.
 */
#include <check.h>
#include <string.h>

#include "selpath.h"

#define MAX_DEPTH 4 /* as both drivers */

typedef struct {
	uint16_t fid, parent;
	int is_df;
	size_t size;
} node;

/* MF: DFs 5015 (EF 4401, DF 4410 with EF 4411) and 5016 (another EF
 * 4401), EF 2F00. */
static const node tree[] = {
	{ 0x5015, 0x3F00, 1, 0 },  { 0x5016, 0x3F00, 1, 0 },
	{ 0x2F00, 0x3F00, 0, 32 }, { 0x4401, 0x5015, 0, 100 },
	{ 0x4410, 0x5015, 1, 0 },  { 0x4411, 0x4410, 0, 7 },
	{ 0x4401, 0x5016, 0, 50 },
};

/* The fake driver's FCI type (the helper passes it through). */
typedef struct {
	uint16_t fid;
	int is_df;
	size_t size;
	uint8_t type;
} fake_fci;

static struct {
	selpath_cur rec;  /* what the fake driver knows is selected */
	uint16_t card_df; /* what the card has current, whatever rec says */
	uint16_t log[16];
	size_t nlog;
	int forgets, ef_fcis;
	uint16_t fail_fid; /* the card answers 6A82 to this one */
} F;

static const node *lookup(uint16_t parent, uint16_t fid)
{
	for (size_t i = 0; i < sizeof(tree) / sizeof(tree[0]); i++)
		if (tree[i].parent == parent && tree[i].fid == fid)
			return &tree[i];
	return NULL;
}

/* The record after a successful SELECT, as the drivers keep it. */
static void track(uint16_t fid, const node *n)
{
	if (fid == SELPATH_FID_MF) {
		memset(&F.rec, 0, sizeof(F.rec));
		F.rec.df_known = 1;
		F.rec.df_path[0] = fid;
		F.rec.df_depth = 1;
	} else if (n->is_df) {
		if (F.rec.df_known && F.rec.df_depth < MAX_DEPTH) {
			F.rec.df_path[F.rec.df_depth++] = fid;
			F.rec.ef = 0;
		} else {
			memset(&F.rec, 0, sizeof(F.rec));
		}
	} else {
		F.rec.ef = fid;
		F.rec.ef_size = n->size;
		F.rec.ef_type = 1;
	}
}

static ukey_rv fake_select(void *os, uint16_t fid, void *fci, selpath_cur *cur)
{
	const node *n = fid == SELPATH_FID_MF ? NULL : lookup(F.card_df, fid);
	fake_fci *f = fci;

	ck_assert_ptr_eq(os, &F);
	ck_assert_uint_lt(F.nlog, 16);
	F.log[F.nlog++] = fid;
	if (fid == F.fail_fid || (fid != SELPATH_FID_MF && !n)) {
		F.rec.ef = 0; /* the DF stays, the EF is no longer sure */
		*cur = F.rec;
		return UKEY_E_SW_FILE_NOT_FOUND;
	}
	if (fid == SELPATH_FID_MF || n->is_df)
		F.card_df = fid;
	track(fid, n);
	if (f) {
		memset(f, 0, sizeof(*f));
		f->fid = fid;
		f->is_df = !n || n->is_df;
		f->size = n ? n->size : 0;
		f->type = n && !n->is_df ? 1 : 0;
	}
	*cur = F.rec;
	return UKEY_OK;
}

static void fake_ef_fci(void *fci, const selpath_cur *cur)
{
	fake_fci *f = fci;

	F.ef_fcis++;
	memset(f, 0, sizeof(*f));
	f->fid = cur->ef;
	f->size = cur->ef_size;
	f->type = cur->ef_type;
}

static void fake_forget(void *os)
{
	ck_assert_ptr_eq(os, &F);
	F.forgets++;
	memset(&F.rec, 0, sizeof(F.rec));
}

static const selpath_ops ops = { fake_select, fake_ef_fci, fake_forget };

static void setup(void)
{
	memset(&F, 0, sizeof(F));
	F.card_df = 0x5016; /* the card is somewhere the record does not know */
}

/* The record (and the card) at DF path dfs[0..n), EF ef current. */
static void known(const uint16_t *dfs, size_t n, uint16_t ef, size_t ef_size)
{
	memset(&F.rec, 0, sizeof(F.rec));
	F.rec.df_known = 1;
	memcpy(F.rec.df_path, dfs, n * sizeof(dfs[0]));
	F.rec.df_depth = n;
	F.rec.ef = ef;
	F.rec.ef_size = ef_size;
	F.rec.ef_type = ef ? 1 : 0;
	F.card_df = dfs[n - 1];
}

/* What a driver's select_path does: split, then select from its record. */
static ukey_rv sel(const uint8_t *path, size_t len, unsigned flags,
		   fake_fci *fci)
{
	uint16_t fids[MAX_DEPTH + 1];
	selpath_cur cur;
	size_t n = 0;
	ukey_rv rv;

	F.nlog = 0;
	rv = selpath_fids(path, len, MAX_DEPTH, flags, fids, &n);
	if (rv)
		return rv;
	cur = F.rec;
	return selpath_select(&ops, &F, &cur, fids, n, fci);
}

#define SELECTED(...)                                                        \
	do {                                                                 \
		static const uint16_t want_[] = { __VA_ARGS__ };             \
		ck_assert_uint_eq(F.nlog, sizeof(want_) / sizeof(want_[0])); \
		ck_assert_mem_eq(F.log, want_, sizeof(want_));               \
	} while (0)
#define NOTHING_SELECTED() ck_assert_uint_eq(F.nlog, 0)

static const uint8_t p_ef[] = { 0x3F, 0x00, 0x50, 0x15, 0x44, 0x01 };
static const uint8_t p_df[] = { 0x3F, 0x00, 0x50, 0x15 };
static const uint16_t at_5015[] = { 0x3F00, 0x5015 };

START_TEST(cold)
{
	fake_fci f;

	setup();
	ck_assert_int_eq(sel(p_ef, sizeof(p_ef), 0, &f), UKEY_OK);
	SELECTED(0x3F00, 0x5015, 0x4401);
	ck_assert_uint_eq(f.fid, 0x4401);
	ck_assert_uint_eq(f.size, 100);
	ck_assert_int_eq(F.rec.df_known, 1);
	ck_assert_uint_eq(F.rec.df_depth, 2);
	ck_assert_uint_eq(F.rec.ef, 0x4401);
	/* the MF alone, its FCI from its own SELECT */
	setup();
	ck_assert_int_eq(sel(p_df, 2, 0, &f), UKEY_OK);
	SELECTED(0x3F00);
	ck_assert_uint_eq(f.fid, 0x3F00);
	ck_assert_int_eq(f.is_df, 1);
}
END_TEST

START_TEST(df_current)
{
	static const uint8_t deep[] = { 0x3F, 0x00, 0x50, 0x15, 0x44, 0x10,
					0x44, 0x11 };
	fake_fci f;

	setup();
	known(at_5015, 2, 0, 0);
	ck_assert_int_eq(sel(p_ef, sizeof(p_ef), 0, NULL), UKEY_OK);
	SELECTED(0x4401); /* only what is under the current DF */
	known(at_5015, 2, 0, 0);
	ck_assert_int_eq(sel(deep, sizeof(deep), 0, NULL), UKEY_OK);
	SELECTED(0x4410, 0x4411);
	/* the DF itself: nothing, unless its FCI is wanted */
	known(at_5015, 2, 0, 0);
	ck_assert_int_eq(sel(p_df, sizeof(p_df), 0, NULL), UKEY_OK);
	NOTHING_SELECTED();
	ck_assert_int_eq(sel(p_df, sizeof(p_df), 0, &f), UKEY_OK);
	SELECTED(0x3F00, 0x5015);
	ck_assert_uint_eq(f.fid, 0x5015);
	ck_assert_int_eq(f.is_df, 1);
	/* the MF above the current DF: selected again */
	known(at_5015, 2, 0, 0);
	ck_assert_int_eq(sel(p_df, 2, 0, NULL), UKEY_OK);
	SELECTED(0x3F00);
	ck_assert_uint_eq(F.rec.df_depth, 1);
}
END_TEST

START_TEST(ef_current)
{
	static const uint8_t other[] = { 0x3F, 0x00, 0x50, 0x16, 0x44, 0x01 };
	fake_fci f;

	setup();
	known(at_5015, 2, 0x4401, 100);
	memset(&f, 0xA5, sizeof(f));
	ck_assert_int_eq(sel(p_ef, sizeof(p_ef), 0, &f), UKEY_OK);
	NOTHING_SELECTED();
	ck_assert_int_eq(F.ef_fcis, 1);
	ck_assert_uint_eq(f.fid, 0x4401);
	ck_assert_uint_eq(f.size, 100);
	ck_assert_uint_eq(f.type, 1);
	ck_assert_int_eq(f.is_df, 0);
	ck_assert_int_eq(sel(p_ef, sizeof(p_ef), 0, NULL), UKEY_OK);
	NOTHING_SELECTED();
	ck_assert_int_eq(F.ef_fcis, 1); /* no FCI asked for, none filled */
	/* the same FID in another DF is another file */
	ck_assert_int_eq(sel(other, sizeof(other), 0, &f), UKEY_OK);
	SELECTED(0x3F00, 0x5016, 0x4401);
	ck_assert_uint_eq(f.size, 50);
}
END_TEST

START_TEST(sibling_and_deeper_df)
{
	static const uint8_t sib[] = { 0x3F, 0x00, 0x50, 0x16, 0x44, 0x01 };
	static const uint16_t at_4410[] = { 0x3F00, 0x5015, 0x4410 };

	setup();
	known(at_5015, 2, 0x4401, 100);
	ck_assert_int_eq(sel(sib, sizeof(sib), 0, NULL), UKEY_OK);
	SELECTED(0x3F00, 0x5016, 0x4401); /* from the MF, never from 5015 */
	ck_assert_uint_eq(F.rec.df_path[1], 0x5016);
	/* a current DF deeper than the path is off the way too */
	known(at_4410, 3, 0, 0);
	ck_assert_int_eq(sel(p_ef, sizeof(p_ef), 0, NULL), UKEY_OK);
	SELECTED(0x3F00, 0x5015, 0x4401);
}
END_TEST

START_TEST(ef_mid_path)
{
	static const uint8_t through_ef[] = { 0x3F, 0x00, 0x50, 0x15, 0x44, 0x01,
					      0x44, 0x11 };
	static const uint8_t through_2f00[] = { 0x3F, 0x00, 0x2F, 0x00, 0x50, 0x15 };
	uint16_t fids[MAX_DEPTH + 1];
	selpath_cur cur;
	size_t n;

	setup();
	ck_assert_int_eq(sel(through_ef, sizeof(through_ef), 0, NULL),
			 UKEY_E_MALFORMED);
	SELECTED(0x3F00, 0x5015, 0x4401); /* nothing after the EF */
	ck_assert_int_eq(F.forgets, 1);
	ck_assert_int_eq(F.rec.df_known, 0);
	ck_assert_uint_eq(F.rec.ef, 0);
	known(at_5015, 2, 0, 0);
	ck_assert_int_eq(sel(through_2f00, sizeof(through_2f00), 0, NULL),
			 UKEY_E_MALFORMED);
	SELECTED(0x3F00, 0x2F00);
	ck_assert_int_eq(F.forgets, 2);
	/* the caller's copy of the record is forgotten as well */
	setup();
	ck_assert_int_eq(selpath_fids(through_ef, sizeof(through_ef), MAX_DEPTH,
				      0, fids, &n), UKEY_OK);
	cur = F.rec;
	ck_assert_int_eq(selpath_select(&ops, &F, &cur, fids, n, NULL),
			 UKEY_E_MALFORMED);
	ck_assert_int_eq(cur.df_known, 0);
	ck_assert_uint_eq(cur.df_depth, 0);
	ck_assert_uint_eq(cur.ef, 0);
}
END_TEST

START_TEST(select_fails)
{
	setup();
	F.fail_fid = 0x5015;
	ck_assert_int_eq(sel(p_ef, sizeof(p_ef), 0, NULL),
			 UKEY_E_SW_FILE_NOT_FOUND);
	SELECTED(0x3F00, 0x5015); /* stops at the first refusal */
	ck_assert_int_eq(F.forgets, 0);
	setup();
	F.fail_fid = 0x3F00;
	ck_assert_int_eq(sel(p_ef, sizeof(p_ef), 0, NULL),
			 UKEY_E_SW_FILE_NOT_FOUND);
	SELECTED(0x3F00);
}
END_TEST

START_TEST(bad_paths)
{
	static const uint8_t odd[] = { 0x3F, 0x00, 0x50 };
	static const uint8_t no_mf[] = { 0x50, 0x15, 0x44, 0x01 };
	static const uint8_t mf_again[] = { 0x3F, 0x00, 0x50, 0x15, 0x3F, 0x00 };
	static const uint8_t zero[] = { 0x3F, 0x00, 0x00, 0x00 };
	static const uint8_t ffff[] = { 0x3F, 0x00, 0xFF, 0xFF };
	/* MF + 4 DFs + 1: one more than MAX_DEPTH allows */
	static const uint8_t deep[] = { 0x3F, 0x00, 0x50, 0x15, 0x44, 0x10,
					0x44, 0x11, 0x44, 0x12, 0x44, 0x13 };
	uint16_t fids[MAX_DEPTH + 1];
	selpath_cur cur;
	size_t n = 0;

	setup();
	known(at_5015, 2, 0x4401, 100);
	ck_assert_int_eq(sel(odd, sizeof(odd), 0, NULL), UKEY_E_ARGS);
	NOTHING_SELECTED();
	ck_assert_int_eq(sel(odd, 0, 0, NULL), UKEY_E_ARGS);
	NOTHING_SELECTED();
	ck_assert_int_eq(sel(NULL, 4, 0, NULL), UKEY_E_ARGS);
	NOTHING_SELECTED();
	ck_assert_int_eq(sel(no_mf, sizeof(no_mf), 0, NULL), UKEY_E_ARGS);
	NOTHING_SELECTED();
	ck_assert_int_eq(sel(mf_again, sizeof(mf_again), 0, NULL), UKEY_E_ARGS);
	NOTHING_SELECTED();
	ck_assert_int_eq(sel(deep, sizeof(deep), 0, NULL), UKEY_E_ARGS);
	NOTHING_SELECTED();
	ck_assert_int_eq(selpath_fids(deep, sizeof(deep) - 2, MAX_DEPTH, 0,
				      fids, &n), UKEY_OK);
	ck_assert_uint_eq(n, MAX_DEPTH + 1);
	/* 0000 and FFFF: refused only with SELPATH_NO_RESERVED (ePass2003) */
	ck_assert_int_eq(sel(zero, sizeof(zero), SELPATH_NO_RESERVED, NULL),
			 UKEY_E_ARGS);
	ck_assert_int_eq(sel(ffff, sizeof(ffff), SELPATH_NO_RESERVED, NULL),
			 UKEY_E_ARGS);
	NOTHING_SELECTED();
	ck_assert_int_eq(selpath_fids(zero, sizeof(zero), MAX_DEPTH, 0, fids, &n),
			 UKEY_OK);
	ck_assert_uint_eq(fids[1], 0x0000);
	ck_assert_int_eq(selpath_fids(ffff, sizeof(ffff), MAX_DEPTH, 0, fids, &n),
			 UKEY_OK);
	ck_assert_uint_eq(fids[1], 0xFFFF);
	/* no FIDs at all */
	cur = F.rec;
	F.nlog = 0;
	ck_assert_int_eq(selpath_select(&ops, &F, &cur, fids, 0, NULL), UKEY_E_ARGS);
	NOTHING_SELECTED();
	/* the record was left alone by all of it */
	ck_assert_int_eq(F.forgets, 0);
	ck_assert_uint_eq(F.rec.ef, 0x4401);
}
END_TEST

START_TEST(cur_set)
{
	static const uint16_t path[] = { 0x3F00, 0x5015, 0x4410 };
	uint16_t big[SELPATH_MAX_DEPTH + 1] = { 0x3F00 };
	selpath_cur cur;

	memset(&cur, 0xA5, sizeof(cur));
	selpath_cur_set(&cur, 1, path, 3, 0x4411, 7, 2);
	ck_assert_int_eq(cur.df_known, 1);
	ck_assert_uint_eq(cur.df_depth, 3);
	ck_assert_mem_eq(cur.df_path, path, sizeof(path));
	ck_assert_uint_eq(cur.df_path[3], 0);
	ck_assert_uint_eq(cur.ef, 0x4411);
	ck_assert_uint_eq(cur.ef_size, 7);
	ck_assert_uint_eq(cur.ef_type, 2);
	/* a record deeper than a selpath_cur holds: nothing known */
	selpath_cur_set(&cur, 1, big, SELPATH_MAX_DEPTH + 1, 0x4411, 7, 2);
	ck_assert_int_eq(cur.df_known, 0);
	ck_assert_uint_eq(cur.df_depth, 0);
	ck_assert_uint_eq(cur.ef, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("selpath");
	TCase *tc = tcase_create("selpath");
	SRunner *r;
	int failed;

	tcase_add_test(tc, cold);
	tcase_add_test(tc, df_current);
	tcase_add_test(tc, ef_current);
	tcase_add_test(tc, sibling_and_deeper_df);
	tcase_add_test(tc, ef_mid_path);
	tcase_add_test(tc, select_fails);
	tcase_add_test(tc, bad_paths);
	tcase_add_test(tc, cur_set);
	suite_add_tcase(s, tc);
	r = srunner_create(s);
	srunner_run_all(r, CK_NORMAL);
	failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? 1 : 0;
}
