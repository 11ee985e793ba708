/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ukey-bench — APDUs and wall time of the typical "sign with a token" cycle
 * through any PKCS#11 module:
 *
 *   load → C_Initialize → list slots → token info → open session → login →
 *   find the signing key → sign, then a second sign in the same session,
 *   then C_Finalize and unload; repeated N times.
 *
 *   ukey-bench --module SO --secrets FILE [--name NAME] [--iterations N]
 *              [--pcscd-log FILE]
 *
 * APDUs are counted independently of the module: --pcscd-log names the log
 * of a `pcscd -a` (pcsc-run --pcscd-log), which prints every command APDU
 * ("APDU: …") and its status word ("SW: …"). After each phase the bench
 * reads the log's growth. Every signature is verified with OpenSSL.
 *
 * Output: a human table, one machine line per phase and the total:
 *   RESULT name=NAME phase=PHASE apdus=MEAN ms=MEAN
 *   TOTAL name=NAME apdus=ALL_APDUS_OF_THE_RUN
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "e2e_p11.h"

enum {
	PH_LOAD, PH_INIT, PH_SLOTS, PH_TOKINFO, PH_OPEN, PH_LOGIN, PH_FIND,
	PH_SIGN, PH_SIGN2, PH_FINAL, PH_N
};
static const char *const ph_name[PH_N] = {
	"load", "initialize", "slot-list", "token-info", "open-session",
	"login", "find-key", "sign", "second-sign", "finalize"
};

/* ------------------------------------------------ pcscd -a log reader */

struct apdulog {
	FILE *fp;
	char part[4096];  /* incomplete last line carried over */
	size_t partlen;
	unsigned long apdus, sws;
};

static void log_scan_line(struct apdulog *l, const char *line)
{
	/* pcscd's APDU log lines look like "00000012 APDU: 00 A4 …" and
	 * "00000003 SW: 90 00"; match the tags, not the prefix. */
	if (strstr(line, " APDU: "))
		l->apdus++;
	else if (strstr(line, " SW: "))
		l->sws++;
}

static void log_read(struct apdulog *l)
{
	char buf[8192];
	size_t n;

	clearerr(l->fp);
	while ((n = fread(buf, 1, sizeof(buf), l->fp)) > 0) {
		for (size_t i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				l->part[l->partlen] = '\0';
				log_scan_line(l, l->part);
				l->partlen = 0;
			} else if (l->partlen < sizeof(l->part) - 1) {
				l->part[l->partlen++] = buf[i];
			}
			/* an over-long line is truncated: tags are near its start */
		}
	}
}

/* APDUs so far. Waits (bounded) until every logged APDU has its SW line,
 * so a phase's last exchange is never counted in the next phase. */
static unsigned long log_count(struct apdulog *l)
{
	struct timespec ts = { 0, 2000000L };

	if (!l->fp)
		return 0;
	for (int i = 0; i < 100; i++) {
		log_read(l);
		if (l->apdus == l->sws)
			break;
		nanosleep(&ts, NULL);
	}
	return l->apdus;
}

/* --------------------------------------------------------------- bench */

struct acc {
	double ms[PH_N];
	unsigned long apdus[PH_N];
};

static int fail(const char *what, CK_RV rv)
{
	fprintf(stderr, "ukey-bench: %s: %s\n", what, e2e_ckr(rv));
	return -1;
}

static int one_cycle(const char *path, const char *pin, struct apdulog *lg,
		     struct acc *acc, int iter)
{
	CK_C_INITIALIZE_ARGS init = { .flags = CKF_OS_LOCKING_OK };
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_SIGN, &yes, sizeof(yes) },
	};
	CK_MECHANISM mech = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	CK_SLOT_ID slots[8];
	CK_TOKEN_INFO ti;
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE key;
	CK_ULONG n = 8, found = 0, siglen[2];
	uint8_t sig[2][512], data[2][64];
	e2e_module m;
	EVP_PKEY *pub = NULL;
	double t;
	unsigned long c;
	int ph = 0, rc = -1;
	CK_RV rv;

	t = e2e_now();
	c = log_count(lg);
#define PHASE_END()                                                   \
	do {                                                          \
		double t2 = e2e_now();                                \
		unsigned long c2 = log_count(lg);                     \
		acc->ms[ph] += (t2 - t) * 1000.0;                     \
		acc->apdus[ph] += c2 - c;                             \
		ph++;                                                 \
		t = e2e_now(); /* log polling is not the module's time */ \
		c = c2;                                               \
	} while (0)

	if (e2e_module_load(&m, path) != 0)
		return -1;
	PHASE_END();
	rv = m.f->C_Initialize(&init);
	if (rv != CKR_OK) {
		fail("C_Initialize", rv);
		e2e_module_unload(&m);
		return -1;
	}
	PHASE_END();
	rv = m.f->C_GetSlotList(CK_TRUE, slots, &n);
	if (rv != CKR_OK || n < 1) {
		fail("C_GetSlotList (or no token)", rv);
		goto out;
	}
	PHASE_END();
	rv = m.f->C_GetTokenInfo(slots[0], &ti);
	if (rv != CKR_OK) {
		fail("C_GetTokenInfo", rv);
		goto out;
	}
	PHASE_END();
	rv = m.f->C_OpenSession(slots[0], CKF_SERIAL_SESSION, NULL, NULL, &s);
	if (rv != CKR_OK) {
		fail("C_OpenSession", rv);
		goto out;
	}
	PHASE_END();
	rv = m.f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin));
	if (rv != CKR_OK) {
		fail("C_Login", rv);
		goto out;
	}
	PHASE_END();
	rv = m.f->C_FindObjectsInit(s, tmpl, 2);
	if (rv == CKR_OK)
		rv = m.f->C_FindObjects(s, &key, 1, &found);
	m.f->C_FindObjectsFinal(s);
	if (rv != CKR_OK || found != 1) {
		fail("find signing key (or none)", rv);
		goto out;
	}
	PHASE_END();
	for (int k = 0; k < 2; k++) {
		snprintf((char *)data[k], sizeof(data[k]), "ukey-bench %d/%d", iter, k);
		siglen[k] = sizeof(sig[k]);
		rv = m.f->C_SignInit(s, &mech, key);
		if (rv == CKR_OK)
			rv = m.f->C_Sign(s, data[k], strlen((char *)data[k]), sig[k], &siglen[k]);
		if (rv != CKR_OK || siglen[k] > sizeof(sig[k])) {
			fail(k ? "second sign" : "sign", rv);
			goto out;
		}
		PHASE_END();
	}
	/* Not measured: the public key for checking both signatures. */
	pub = e2e_rsa_pubkey(m.f, s, key);
	if (!pub) {
		CK_OBJECT_HANDLE pk;
		uint8_t *id = NULL;
		size_t idlen = 0;

		if (e2e_attr(m.f, s, key, CKA_ID, &id, &idlen) == 0 &&
		    e2e_find(m.f, s, CKO_PUBLIC_KEY, id, idlen, &pk) == 0)
			pub = e2e_rsa_pubkey(m.f, s, pk);
		free(id);
	}
	if (!pub) {
		fprintf(stderr, "ukey-bench: no public key to verify with\n");
		goto out;
	}
	for (int k = 0; k < 2; k++) {
		if (e2e_verify_pkcs1(pub, EVP_sha256(), data[k], strlen((char *)data[k]),
				     sig[k], siglen[k]) != 1) {
			fprintf(stderr, "ukey-bench: signature %d does not verify\n", k);
			goto out;
		}
	}
	rc = 0;
out:
	EVP_PKEY_free(pub);
	/* Finalize + unload is a phase of its own (measured only on success). */
	t = e2e_now();
	c = log_count(lg);
	ph = PH_FINAL;
	m.f->C_Finalize(NULL);
	e2e_module_unload(&m);
	if (rc == 0)
		PHASE_END();
#undef PHASE_END
	return rc;
}

int main(int argc, char **argv)
{
	const char *module = NULL, *secrets = NULL, *logpath = NULL, *name = "module";
	struct apdulog lg = { 0 };
	struct acc acc = { { 0 }, { 0 } };
	double cycle_ms = 0;
	unsigned long cycle_apdus = 0;
	char pin[64];
	int iters = 5, warmup = 0;

	for (int i = 1; i < argc; i += 2) { /* every option takes a value */
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v) {
			fprintf(stderr, "ukey-bench: %s needs a value\n", a);
			return 2;
		}
		if (!strcmp(a, "--module"))
			module = v;
		else if (!strcmp(a, "--secrets"))
			secrets = v;
		else if (!strcmp(a, "--pcscd-log"))
			logpath = v;
		else if (!strcmp(a, "--name"))
			name = v;
		else if (!strcmp(a, "--iterations"))
			iters = atoi(v);
		else if (!strcmp(a, "--warmup"))
			warmup = atoi(v);
		else {
			fprintf(stderr, "ukey-bench: unknown option %s\n", a);
			return 2;
		}
	}
	if (!module || !secrets || iters < 1 || iters > 10000 || warmup < 0 ||
	    warmup > 100) {
		fprintf(stderr, "usage: ukey-bench --module SO --secrets FILE [--name NAME] "
				"[--iterations 1..10000] [--warmup 0..100] [--pcscd-log FILE]\n");
		return 2;
	}
	if (logpath) {
		lg.fp = fopen(logpath, "r");
		if (!lg.fp) {
			fprintf(stderr, "ukey-bench: %s: %s\n", logpath, strerror(errno));
			return 2;
		}
		fseek(lg.fp, 0, SEEK_END); /* count only our own exchanges */
	}
	if (e2e_secret(secrets, "user_pin", pin, sizeof(pin)) != 0) {
		if (lg.fp)
			fclose(lg.fp);
		return 2;
	}
	/* Warm-up cycles (e.g. to fill the directory cache of a later cold
	 * process) are run and checked like the others but not measured. */
	for (int i = 0; i < warmup; i++) {
		struct acc scratch = { { 0 }, { 0 } };

		if (one_cycle(module, pin, &lg, &scratch, i) != 0) {
			fprintf(stderr, "ukey-bench: %s: warm-up %d failed\n", name, i);
			e2e_wipe(pin, sizeof(pin));
			if (lg.fp)
				fclose(lg.fp);
			return 1;
		}
	}
	for (int i = 0; i < iters; i++) {
		if (one_cycle(module, pin, &lg, &acc, i) != 0) {
			fprintf(stderr, "ukey-bench: %s: iteration %d failed\n", name, i);
			e2e_wipe(pin, sizeof(pin));
			if (lg.fp)
				fclose(lg.fp);
			return 1;
		}
	}
	e2e_wipe(pin, sizeof(pin));
	if (lg.fp) {
		/* Every APDU of the run, measured or not (cross-checked by
		 * run-bench against the virtual token's own count). */
		printf("TOTAL name=%s apdus=%lu\n", name, log_count(&lg));
		fclose(lg.fp);
	}

	printf("%s: %d iterations, mean per iteration%s\n", name, iters,
	       logpath ? "" : " (no --pcscd-log: APDUs not counted)");
	printf("  %-14s %8s %10s\n", "phase", "APDUs", "ms");
	for (int p = 0; p < PH_N; p++) {
		double ap = (double)acc.apdus[p] / iters, ms = acc.ms[p] / iters;

		printf("  %-14s %8.1f %10.2f\n", ph_name[p], ap, ms);
		printf("RESULT name=%s phase=%s apdus=%.1f ms=%.2f\n", name, ph_name[p], ap, ms);
		if (p <= PH_SIGN) {
			cycle_ms += ms;
			cycle_apdus += acc.apdus[p];
		}
	}
	printf("  %-14s %8.1f %10.2f\n", "load..sign", (double)cycle_apdus / iters, cycle_ms);
	printf("RESULT name=%s phase=cycle apdus=%.1f ms=%.2f\n", name,
	       (double)cycle_apdus / iters, cycle_ms);
	return 0;
}
