/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * e2e_pull — the token is pulled out in the middle of an operation.
 *
 *   e2e_pull MODULE SECRETS VTOKEN STATE0 [--slow-ack] N[:INS]…
 *
 * Runs under pcsc-run with one FTCOS card. The harness's card is replaced
 * by a ukey-vtoken of our own on the same port and state file, started with
 * `--pull-after N --reconnect-after-pull 300`: it disconnects from vpcd when
 * the N-th APDU arrives (that command is never executed) and comes back
 * 300 ms later. For each N the program keeps signing; the pull must surface
 * as an error code (never a hang, a crash or a bad signature), and after
 * the token is back a fresh session must log in and sign again.
 * --slow-ack is passed on to the token (its old ~44 ms per APDU instead of
 * real-token speed), so recovery is proven at both paces.
 *
 * Before the pulls, a census run (same card, no pull, --apdu-log) records
 * the commands of a cold sign (bind, login, find, sign) and of a second,
 * warm one. N:INS (INS in hex) asserts that the N-th APDU is that command,
 * so pull points chosen for one APDU sequence fail loudly, naming the
 * command actually hit, when the module's sequence changes. warm:INS pulls
 * at the first command with that INS in the warm sign, wherever it is (the
 * warm path is what caching work changes).
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "e2e_p11.h"

/* Stand-in result when a session finds no private key at all (a token
 * pulled during the listing may show no objects; not a module CK_RV). */
#define KEY_NOT_FOUND (CKR_VENDOR_DEFINED | 0x4B4E46UL)
#define CENSUS_MAX 256

static e2e_module mod;
static pid_t own_card = -1;
static int failures;

#define CHECK(cond, ...)                                                     \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__);                        \
			fputc('\n', stderr);                                 \
			failures++;                                          \
		}                                                            \
	} while (0)

static void stop_own_card(void)
{
	if (own_card > 0) {
		kill(own_card, SIGKILL);
		waitpid(own_card, NULL, 0);
		own_card = -1;
	}
}

static void on_alarm(int sig)
{
	static const char msg[] = "FAIL: watchdog: the module hung after a pull\n";

	(void)sig;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* nothing else to do in a signal handler */
	}
	if (own_card > 0)
		kill(own_card, SIGKILL);
	_exit(1);
}

/* Start our own card on the harness's port and state file: pulled at the
 * N-th APDU when pull is set, every executed APDU logged to logpath. */
static void start_own_card(const char *vtoken, const char *port, const char *state,
			   const char *pull, const char *logpath, const char *ack)
{
	/* The card OS and ATR of the token (default FTCOS); the Watchdata
	 * tests set UKEY_E2E_VTOKEN_OS=gmt0017 UKEY_E2E_VTOKEN_ATR=... */
	const char *os = getenv("UKEY_E2E_VTOKEN_OS");
	const char *atr = getenv("UKEY_E2E_VTOKEN_ATR");

	if (!os || !*os)
		os = "ftcos";
	if (!atr || !*atr)
		atr = "ftcos-pk01c";
	own_card = fork();
	if (own_card == 0) {
		if (pull)
			execl(vtoken, vtoken, "--os", os, "--atr", atr,
			      "--port", port, "--state", state, "--pull-after", pull,
			      "--reconnect-after-pull", "300", "--apdu-log", logpath,
			      ack, (char *)NULL);
		else
			execl(vtoken, vtoken, "--os", os, "--atr", atr,
			      "--port", port, "--state", state, "--apdu-log", logpath,
			      ack, (char *)NULL);
		_exit(127);
	}
}

/* Poll the slot until the token is (want=1) or is not (want=0) present. */
static int wait_token(CK_SLOT_ID slot, int want, int timeout_ms)
{
	for (int t = 0; t <= timeout_ms; t += 50) {
		CK_SLOT_INFO si;

		if (mod.f->C_GetSlotInfo(slot, &si) == CKR_OK &&
		    !!(si.flags & CKF_TOKEN_PRESENT) == want)
			return 0;
		e2e_sleep_ms(50);
	}
	return -1;
}

/* Highest APDU number in the card's APDU log (it numbers every executed
 * command; the pulled N-th one is never executed). */
static unsigned long last_apdu(const char *logpath)
{
	FILE *fp = fopen(logpath, "r");
	char line[256];
	unsigned long num, max = 0;

	if (!fp)
		return 0;
	while (fgets(line, sizeof(line), fp))
		if (sscanf(line, "%lu ", &num) == 1 && num > max)
			max = num;
	fclose(fp);
	return max;
}

/* The census: INS of every command a run without a pull executed
 * (ins[k] for the k-th APDU, 1-based). Returns how many, 0 on error. */
static unsigned long read_census(const char *logpath, uint8_t ins[CENSUS_MAX + 1])
{
	FILE *fp = fopen(logpath, "r");
	char line[256];
	unsigned long num, count = 0;
	unsigned cla, in;

	if (!fp)
		return 0;
	/* "N CLA INS P1 P2 len=L -> SW"; "save …" lines do not parse */
	while (fgets(line, sizeof(line), fp))
		if (sscanf(line, "%lu %x %x", &num, &cla, &in) == 3 && num == count + 1 &&
		    num <= CENSUS_MAX && in <= 0xFF) {
			ins[num] = (uint8_t)in;
			count = num;
		}
	fclose(fp);
	return count;
}

/* One pull point: "N" (the N-th APDU), "N:INS" (and it must be INS, hex)
 * or "warm:INS" (the first APDU with that INS in the census's warm sign).
 * 0 ok, -1 malformed. */
static int parse_point(const char *arg, long *n, long *want, int *warm)
{
	const char *ins = NULL;
	char *end;

	*n = 0;
	*want = -1;
	*warm = !strncmp(arg, "warm:", 5);
	if (*warm) {
		ins = arg + 5;
	} else {
		errno = 0;
		*n = strtol(arg, &end, 10);
		if (end == arg || errno || *n < 1 || *n > CENSUS_MAX)
			return -1;
		if (*end == ':')
			ins = end + 1;
		else if (*end)
			return -1;
	}
	if (ins) {
		if (strlen(ins) != 2 || !isxdigit((unsigned char)ins[0]) ||
		    !isxdigit((unsigned char)ins[1]))
			return -1;
		*want = strtol(ins, NULL, 16);
	}
	return 0;
}

static const char *ins_name(uint8_t ins)
{
	switch (ins) {
	case 0xA4: return "SELECT";
	case 0xB0: return "READ BINARY";
	case 0xD6: return "UPDATE BINARY";
	case 0x20: return "VERIFY";
	case 0x22: return "MANAGE SECURITY ENVIRONMENT";
	case 0x2A: return "PERFORM SECURITY OPERATION";
	case 0x84: return "GET CHALLENGE";
	case 0x88: return "INTERNAL AUTHENTICATE";
	case 0xC0: return "GET RESPONSE";
	case 0xCA: return "GET DATA";
	default: return "other";
	}
}

/* Errors that honestly report a token that went away mid-operation
 * (base v2.40 §5.1.1-§5.1.3). */
static int is_pull_rv(CK_RV rv)
{
	return rv == CKR_DEVICE_REMOVED || rv == CKR_DEVICE_ERROR ||
	       rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_SESSION_HANDLE_INVALID ||
	       rv == CKR_SESSION_CLOSED;
}

/* Open a session, log in (unless already), find the key, sign one message
 * and verify it. Returns the first failing CK_RV (or CKR_OK); a signature
 * that does not verify is a test failure in itself. */
static const char *rv_name(CK_RV rv)
{
	return rv == KEY_NOT_FOUND ? "no private key found" : e2e_ckr(rv);
}

static CK_RV session_sign(CK_SLOT_ID slot, const char *pin, EVP_PKEY *pub, int n)
{
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE key;
	CK_SESSION_INFO si;
	uint8_t msg[64], sig[512];
	size_t siglen, len;
	CK_RV rv;
	int found;

	rv = mod.f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s);
	if (rv != CKR_OK)
		return rv;
	rv = mod.f->C_GetSessionInfo(s, &si);
	if (rv == CKR_OK && si.state != CKS_RO_USER_FUNCTIONS)
		rv = mod.f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin));
	if (rv == CKR_USER_ALREADY_LOGGED_IN)
		rv = CKR_OK;
	if (rv != CKR_OK)
		goto out;
	/* the module's own code, so a pull is judged by what it returned */
	rv = e2e_find_rv(mod.f, s, CKO_PRIVATE_KEY, NULL, 0, &key, &found);
	if (rv == CKR_OK && !found)
		rv = KEY_NOT_FOUND;
	if (rv != CKR_OK)
		goto out;
	len = (size_t)snprintf((char *)msg, sizeof(msg), "e2e_pull pull-after %d", n);
	rv = e2e_sign_sha256(mod.f, s, key, msg, len, sig, sizeof(sig), &siglen);
	if (rv == CKR_OK)
		CHECK(e2e_verify_pkcs1(pub, EVP_sha256(), msg, len, sig, siglen) == 1,
		      "pull-after %d: a signature that does not verify", n);
out:
	mod.f->C_CloseSession(s);
	return rv;
}

int main(int argc, char **argv)
{
	CK_C_INITIALIZE_ARGS init = { .flags = CKF_OS_LOCKING_OK };
	CK_SLOT_ID slot;
	EVP_PKEY *pub = NULL;
	char pin[64], portstr[16];
	const char *pids, *portenv, *ack = "--quick-ack";
	int first_n = 5;
	uint8_t census[CENSUS_MAX + 1] = { 0 };
	unsigned long n_cold = 0, n_census = 0;
	char logpath[512], nstr[16];
	const char *tmp;
	pid_t card0;
	unsigned port0;
	CK_RV rv;

	if (argc < 6) {
		fprintf(stderr, "usage: e2e_pull MODULE SECRETS VTOKEN STATE0 [--slow-ack] N…\n");
		return 2;
	}
	if (!strcmp(argv[5], "--slow-ack")) {
		ack = argv[5];
		first_n = 6;
		if (argc < 7) {
			fprintf(stderr, "e2e_pull: no N given\n");
			return 2;
		}
	}
	pids = getenv("UKEY_CARD_PIDS");
	portenv = getenv("UKEY_VPCD_PORT");
	if (!pids || !portenv || sscanf(pids, "%d", &card0) != 1 ||
	    sscanf(portenv, "%u", &port0) != 1 || card0 <= 1) {
		fprintf(stderr, "e2e_pull: run under pcsc-run (UKEY_CARD_PIDS, UKEY_VPCD_PORT)\n");
		return 2;
	}
	snprintf(portstr, sizeof(portstr), "%u", port0);
	if (e2e_secret(argv[2], "user_pin", pin, sizeof(pin)) != 0)
		return 2;
	signal(SIGALRM, on_alarm);
	alarm(60);
	if (e2e_module_load(&mod, argv[1]) != 0)
		return 1;
	rv = mod.f->C_Initialize(&init);
	if (rv != CKR_OK || e2e_token_slots(mod.f, &slot, 1) != 1) {
		fprintf(stderr, "FAIL: C_Initialize (%s) or no token\n", e2e_ckr(rv));
		return 1;
	}
	/* The verification key, read once while the token is healthy. */
	{
		CK_SESSION_HANDLE s;
		CK_OBJECT_HANDLE k;

		if (mod.f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s) == CKR_OK) {
			if (mod.f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin)) == CKR_OK &&
			    e2e_find(mod.f, s, CKO_PRIVATE_KEY, NULL, 0, &k) == 0)
				pub = e2e_rsa_pubkey(mod.f, s, k);
			mod.f->C_Logout(s);
			mod.f->C_CloseSession(s);
		}
		if (!pub) {
			fprintf(stderr, "FAIL: cannot read the token's public key\n");
			mod.f->C_Finalize(NULL);
			return 1;
		}
	}
	/* Our own card replaces the harness's. */
	kill(card0, SIGKILL);
	CHECK(wait_token(slot, 0, 15000) == 0, "token still present after killing card 0");

	tmp = getenv("UKEY_TEST_TMP");
	if (!tmp)
		tmp = "/tmp";

	/* Census: which command is the k-th APDU of a cold sign (just after
	 * insertion) and of the warm sign that follows, with no pull. */
	snprintf(logpath, sizeof(logpath), "%s/census.log", tmp);
	start_own_card(argv[3], portstr, argv[4], NULL, logpath, ack);
	if (wait_token(slot, 1, 15000) != 0) {
		CHECK(0, "census: token did not come");
	} else {
		rv = session_sign(slot, pin, pub, 0);
		CHECK(rv == CKR_OK, "census: cold sign failed: %s", rv_name(rv));
		n_cold = last_apdu(logpath);
		rv = session_sign(slot, pin, pub, 0);
		CHECK(rv == CKR_OK, "census: warm sign failed: %s", rv_name(rv));
		n_census = read_census(logpath, census);
		CHECK(n_census > n_cold && n_cold > 0,
		      "census: cold sign %lu APDUs, %lu in all", n_cold, n_census);
		printf("census: cold sign = APDUs 1-%lu, warm sign = %lu-%lu\n", n_cold,
		       n_cold + 1, n_census);
		for (unsigned long k = 1; k <= n_census; k++)
			printf("  %2lu %s INS %02X %s\n", k, k <= n_cold ? "cold" : "warm",
			       census[k], ins_name(census[k]));
	}

	for (int a = first_n; a < argc; a++) {
		int errors = 0, recovered = 0;
		CK_RV first = CKR_OK;
		long n, want;
		int warm;

		if (parse_point(argv[a], &n, &want, &warm) != 0) {
			fprintf(stderr, "e2e_pull: bad pull point '%s' (N, N:INS or warm:INS)\n",
				argv[a]);
			failures++;
			break;
		}
		if (warm) {
			/* the first command with that INS in the warm sign */
			n = 0;
			for (unsigned long k = n_cold + 1; k <= n_census && !n; k++)
				if (census[k] == want)
					n = (long)k;
			if (!n) {
				CHECK(0, "%s: no INS %02lX (%s) in the warm sign of the census",
				      argv[a], want, ins_name((uint8_t)want));
				continue;
			}
			printf("%s = APDU %ld\n", argv[a], n);
		} else if (want >= 0) {
			/* the pull point must still hit the command it was chosen for */
			CHECK((unsigned long)n <= n_census && census[n] == want,
			      "N=%ld was chosen for INS %02lX (%s) but is %s: the module's "
			      "APDU sequence changed, re-derive the pull points from the census",
			      n, want, ins_name((uint8_t)want),
			      (unsigned long)n <= n_census ? ins_name(census[n]) : "past the census");
		}
		snprintf(nstr, sizeof(nstr), "%ld", n);
		snprintf(logpath, sizeof(logpath), "%s/pull-%ld.log", tmp, n);
		stop_own_card();
		CHECK(wait_token(slot, 0, 15000) == 0, "N=%ld: old token did not go away", n);
		start_own_card(argv[3], portstr, argv[4], nstr, logpath, ack);
		alarm(60);
		if (wait_token(slot, 1, 15000) != 0) {
			CHECK(0, "N=%ld: token did not come", n);
			continue;
		}
		/* Sign until a signature succeeds that was started after the
		 * pull (bounded). Every error on the way must be a removal
		 * code, and only after the pull. */
		for (int i = 0; i < 60 && !recovered; i++) {
			/* > n: the pull is over and the card is back */
			int pulled_before = last_apdu(logpath) > (unsigned long)n;

			rv = session_sign(slot, pin, pub, (int)n);
			if (rv == CKR_OK) {
				recovered = pulled_before;
				continue;
			}
			if (!errors++)
				first = rv;
			CHECK(is_pull_rv(rv) || rv == CKR_OBJECT_HANDLE_INVALID ||
				      rv == KEY_NOT_FOUND,
			      "N=%ld: pull reported as %s", n, rv_name(rv));
			/* An error only once the N-th command was pulled. */
			CHECK(last_apdu(logpath) + 1 >= (unsigned long)n,
			      "N=%ld: %s before the pull", n, rv_name(rv));
			wait_token(slot, 1, 5000);
			e2e_sleep_ms(100);
		}
		alarm(0);
		printf("pull-after %ld (%s INS %02X %s): %d error(s), first %s; recovered %s\n",
		       n, (unsigned long)n <= n_cold ? "cold" : "warm",
		       (unsigned long)n <= n_census ? census[n] : 0,
		       (unsigned long)n <= n_census ? ins_name(census[n]) : "past the census",
		       errors, errors ? rv_name(first) : "-", recovered ? "yes" : "no");
		CHECK(recovered, "N=%ld: no successful signature after the token came back", n);
	}
	stop_own_card();
	EVP_PKEY_free(pub);
	e2e_wipe(pin, sizeof(pin));
	mod.f->C_Finalize(NULL);
	e2e_module_unload(&mod);
	if (failures) {
		fprintf(stderr, "e2e_pull: %d failure(s)\n", failures);
		return 1;
	}
	printf("e2e_pull: all checks passed\n");
	return 0;
}
