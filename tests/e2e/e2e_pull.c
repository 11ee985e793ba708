/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * e2e_pull — the token is pulled out in the middle of an operation.
 *
 *   e2e_pull MODULE SECRETS VTOKEN STATE0 [--slow-ack] N…
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
 */
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

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
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
		sleep_ms(50);
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
static CK_RV session_sign(CK_SLOT_ID slot, const char *pin, EVP_PKEY *pub, int n)
{
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE key;
	CK_SESSION_INFO si;
	uint8_t msg[64], sig[512];
	size_t siglen, len;
	CK_RV rv;
	int fr;

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
	fr = e2e_find(mod.f, s, CKO_PRIVATE_KEY, NULL, 0, &key);
	if (fr != 0) {
		/* a pulled token may legitimately show no objects for a moment */
		rv = fr < 0 ? CKR_DEVICE_ERROR : CKR_OBJECT_HANDLE_INVALID;
		goto out;
	}
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

	for (int a = first_n; a < argc; a++) {
		int n = atoi(argv[a]), errors = 0, recovered = 0;
		CK_RV first = CKR_OK;
		char logpath[512];
		const char *tmp = getenv("UKEY_TEST_TMP");

		if (n < 1) {
			fprintf(stderr, "e2e_pull: bad N '%s'\n", argv[a]);
			failures++;
			break;
		}
		snprintf(logpath, sizeof(logpath), "%s/pull-%d.log", tmp ? tmp : "/tmp", n);
		stop_own_card();
		CHECK(wait_token(slot, 0, 15000) == 0, "N=%d: old token did not go away", n);
		own_card = fork();
		if (own_card == 0) {
			execl(argv[3], argv[3], "--os", "ftcos", "--atr", "ftcos-pk01c",
			      "--port", portstr, "--state", argv[4], "--pull-after", argv[a],
			      "--reconnect-after-pull", "300", "--apdu-log", logpath,
			      ack, (char *)NULL);
			_exit(127);
		}
		alarm(60);
		if (wait_token(slot, 1, 15000) != 0) {
			CHECK(0, "N=%d: token did not come", n);
			continue;
		}
		/* Sign until a signature succeeds that was started after the
		 * pull (bounded). Every error on the way must be a removal
		 * code, and only after the pull. */
		for (int i = 0; i < 60 && !recovered; i++) {
			/* > n: the pull is over and the card is back */
			int pulled_before = last_apdu(logpath) > (unsigned long)n;

			rv = session_sign(slot, pin, pub, n);
			if (rv == CKR_OK) {
				recovered = pulled_before;
				continue;
			}
			if (!errors++)
				first = rv;
			CHECK(is_pull_rv(rv) || rv == CKR_OBJECT_HANDLE_INVALID,
			      "N=%d: pull reported as %s", n, e2e_ckr(rv));
			/* Before the pull at most n-2 commands have run. */
			CHECK(last_apdu(logpath) + 1 >= (unsigned long)n,
			      "N=%d: %s before the pull", n, e2e_ckr(rv));
			wait_token(slot, 1, 5000);
			sleep_ms(100);
		}
		alarm(0);
		printf("pull-after %d: %d error(s), first %s; recovered %s\n", n, errors,
		       errors ? e2e_ckr(first) : "-", recovered ? "yes" : "no");
		CHECK(recovered, "N=%d: no successful signature after the token came back", n);
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
