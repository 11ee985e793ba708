/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * e2e_removal — token removal and re-insertion through the PKCS#11 module.
 *
 *   e2e_removal MODULE SECRETS VTOKEN STATE0
 *
 * Runs under pcsc-run with two FTCOS cards (UKEY_CARD_PIDS, UKEY_VPCD_PORT).
 * Both tokens sign at once; card 0 is then killed (its reader stays), the
 * module must report the removal (session calls fail with a removal code,
 * C_WaitForSlotEvent reports the slot), the other token must keep signing;
 * a new ukey-vtoken on the same port with the same state file is the
 * re-inserted token: C_WaitForSlotEvent must report it and a fresh session
 * must need a login again and sign with the same key.
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

#define MAX_SLOTS 8

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

#define REQUIRE(cond, ...)                                                   \
	do {                                                                 \
		if (!(cond)) {                                               \
			CHECK(cond, __VA_ARGS__);                            \
			finish(1);                                           \
		}                                                            \
	} while (0)

static pid_t restarted = -1; /* the vtoken this program started */
static e2e_module mod;

static void finish(int hard)
{
	if (mod.f)
		mod.f->C_Finalize(NULL);
	if (restarted > 0) {
		kill(restarted, SIGTERM);
		waitpid(restarted, NULL, 0);
	}
	if (hard || failures) {
		fprintf(stderr, "e2e_removal: %d failure(s)\n", failures ? failures : 1);
		exit(1);
	}
	printf("e2e_removal: all checks passed\n");
	exit(0);
}

static void on_alarm(int sig)
{
	static const char msg[] = "FAIL: watchdog: C_WaitForSlotEvent blocked too long\n";

	(void)sig;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* nothing more we can do in a signal handler */
	}
	if (restarted > 0)
		kill(restarted, SIGKILL);
	_exit(1);
}

static int token_present(CK_SLOT_ID slot)
{
	CK_SLOT_INFO si;
	CK_RV rv = mod.f->C_GetSlotInfo(slot, &si);

	if (rv != CKR_OK) {
		fprintf(stderr, "C_GetSlotInfo(%lu): %s\n", slot, e2e_ckr(rv));
		return -1;
	}
	return (si.flags & CKF_TOKEN_PRESENT) ? 1 : 0;
}

/* Codes that correctly tell the caller its token or session is gone
 * (PKCS#11 v2.40 §5.1.2: CKR_DEVICE_REMOVED, CKR_SESSION_CLOSED,
 * CKR_SESSION_HANDLE_INVALID; §5.1.3: CKR_TOKEN_NOT_PRESENT). */
static int is_removed_rv(CK_RV rv)
{
	return rv == CKR_DEVICE_REMOVED || rv == CKR_SESSION_HANDLE_INVALID ||
	       rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_SESSION_CLOSED;
}

struct token {
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE sess;
	CK_OBJECT_HANDLE key;
	EVP_PKEY *pub;
};

/* Open a session on slot, log in, find the private key and its public key.
 * Returns 0 or -1 (failure recorded). */
static int open_token(struct token *t, CK_SLOT_ID slot, const char *pin)
{
	CK_SESSION_INFO info;
	CK_RV rv;

	t->slot = slot;
	rv = mod.f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &t->sess);
	CHECK(rv == CKR_OK, "C_OpenSession(%lu): %s", slot, e2e_ckr(rv));
	if (rv != CKR_OK)
		return -1;
	/* A new session on a freshly (re)inserted token is public: the login
	 * state must not survive a removal. Another open session of ours on
	 * the same token may already be logged in, so only check when asked. */
	rv = mod.f->C_GetSessionInfo(t->sess, &info);
	CHECK(rv == CKR_OK, "C_GetSessionInfo: %s", e2e_ckr(rv));
	if (rv == CKR_OK && info.state != CKS_RO_USER_FUNCTIONS) {
		rv = mod.f->C_Login(t->sess, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin));
		CHECK(rv == CKR_OK, "C_Login(slot %lu): %s", slot, e2e_ckr(rv));
		if (rv != CKR_OK)
			return -1;
	}
	CHECK(e2e_find(mod.f, t->sess, CKO_PRIVATE_KEY, NULL, 0, &t->key) == 0,
	      "no private key on slot %lu", slot);
	{
		CK_OBJECT_HANDLE pubh;
		uint8_t *id = NULL;
		size_t idlen = 0;

		/* The verification key comes from the public key object with
		 * the same CKA_ID (or the private key's own modulus). */
		if (e2e_attr(mod.f, t->sess, t->key, CKA_ID, &id, &idlen) == 0 &&
		    e2e_find(mod.f, t->sess, CKO_PUBLIC_KEY, id, idlen, &pubh) == 0)
			t->pub = e2e_rsa_pubkey(mod.f, t->sess, pubh);
		else
			t->pub = e2e_rsa_pubkey(mod.f, t->sess, t->key);
		free(id);
	}
	CHECK(t->pub != NULL, "no public key for slot %lu", slot);
	return t->pub ? 0 : -1;
}

static CK_RV sign_and_verify(struct token *t, const char *what)
{
	uint8_t data[64], sig[1024];
	size_t siglen;
	CK_RV rv;

	snprintf((char *)data, sizeof(data), "e2e_removal %s slot %lu", what, t->slot);
	rv = e2e_sign_sha256(mod.f, t->sess, t->key, data, strlen((char *)data),
			     sig, sizeof(sig), &siglen);
	if (rv == CKR_OK)
		CHECK(e2e_verify_pkcs1(t->pub, EVP_sha256(), data,
				       strlen((char *)data), sig, siglen) == 1,
		      "%s: signature of slot %lu does not verify", what, t->slot);
	return rv;
}

static pid_t start_vtoken(const char *vtoken, unsigned port, const char *state)
{
	char portstr[16];
	pid_t pid;

	snprintf(portstr, sizeof(portstr), "%u", port);
	pid = fork();
	if (pid == 0) {
		execl(vtoken, vtoken, "--os", "ftcos", "--atr", "ftcos-pk01c",
		      "--port", portstr, "--state", state, (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", vtoken, strerror(errno));
		_exit(127);
	}
	return pid;
}

int main(int argc, char **argv)
{
	CK_C_INITIALIZE_ARGS init = { .flags = CKF_OS_LOCKING_OK };
	CK_SLOT_ID slots[MAX_SLOTS], ev_slot = 0, gone = (CK_SLOT_ID)-1;
	struct token tok[2] = { { 0 } }, fresh = { 0 };
	char pin[64];
	const char *pids, *portenv;
	pid_t card0;
	unsigned port0;
	int n, idx_gone = -1;
	CK_RV rv;

	if (argc != 5) {
		fprintf(stderr, "usage: e2e_removal MODULE SECRETS VTOKEN STATE0\n");
		return 2;
	}
	pids = getenv("UKEY_CARD_PIDS");
	portenv = getenv("UKEY_VPCD_PORT");
	if (!pids || !portenv || sscanf(pids, "%d", &card0) != 1 ||
	    sscanf(portenv, "%u", &port0) != 1 || card0 <= 1) {
		fprintf(stderr, "e2e_removal: needs UKEY_CARD_PIDS and UKEY_VPCD_PORT (run under pcsc-run)\n");
		return 2;
	}
	if (e2e_secret(argv[2], "user_pin", pin, sizeof(pin)) != 0)
		return 2;
	signal(SIGALRM, on_alarm);
	alarm(120); /* the whole test; re-armed around blocking waits */

	REQUIRE(e2e_module_load(&mod, argv[1]) == 0, "cannot load module");
	rv = mod.f->C_Initialize(&init);
	REQUIRE(rv == CKR_OK, "C_Initialize: %s", e2e_ckr(rv));

	n = e2e_token_slots(mod.f, slots, MAX_SLOTS);
	REQUIRE(n == 2, "expected 2 slots with a token, got %d", n);

	/* Two tokens in two readers at once: both sign. */
	for (int i = 0; i < 2; i++) {
		REQUIRE(open_token(&tok[i], slots[i], pin) == 0, "token %d unusable", i);
		rv = sign_and_verify(&tok[i], "before");
		CHECK(rv == CKR_OK, "sign on slot %lu: %s", slots[i], e2e_ckr(rv));
	}

	/* Nothing happened since C_Initialize (PKCS#11 v2.40 §5.5 C_WaitForSlotEvent). */
	rv = mod.f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &ev_slot, NULL);
	CHECK(rv == CKR_NO_EVENT, "C_WaitForSlotEvent(DONT_BLOCK) before removal: %s",
	      e2e_ckr(rv));

	/* Pull card 0 out: its reader stays, the card disappears. */
	REQUIRE(kill(card0, SIGKILL) == 0, "kill card 0 (pid %d): %s", (int)card0,
		strerror(errno));
	for (int waited = 0; waited < 150 && idx_gone < 0; waited++) {
		for (int i = 0; i < 2; i++)
			if (token_present(tok[i].slot) == 0)
				idx_gone = i;
		if (idx_gone < 0)
			e2e_sleep_ms(100);
	}
	REQUIRE(idx_gone >= 0, "no slot lost its token within 15 s of killing card 0");
	gone = tok[idx_gone].slot;
	printf("card 0 was slot %lu; removal seen\n", gone);

	/* Calls on the removed token fail with a removal code. */
	rv = sign_and_verify(&tok[idx_gone], "after-removal");
	CHECK(is_removed_rv(rv), "sign on removed token: %s", e2e_ckr(rv));
	{
		CK_SESSION_INFO si;
		CK_TOKEN_INFO ti;
		CK_SESSION_HANDLE h;

		rv = mod.f->C_GetSessionInfo(tok[idx_gone].sess, &si);
		CHECK(is_removed_rv(rv), "C_GetSessionInfo on removed token: %s", e2e_ckr(rv));
		/* §5.5 C_GetTokenInfo / §5.6 C_OpenSession: CKR_TOKEN_NOT_PRESENT. */
		rv = mod.f->C_GetTokenInfo(gone, &ti);
		CHECK(rv == CKR_TOKEN_NOT_PRESENT, "C_GetTokenInfo on empty slot: %s", e2e_ckr(rv));
		rv = mod.f->C_OpenSession(gone, CKF_SERIAL_SESSION, NULL, NULL, &h);
		CHECK(rv == CKR_TOKEN_NOT_PRESENT, "C_OpenSession on empty slot: %s", e2e_ckr(rv));
		if (rv == CKR_OK)
			mod.f->C_CloseSession(h);
	}
	/* The other token is not disturbed. */
	rv = sign_and_verify(&tok[1 - idx_gone], "other-during-removal");
	CHECK(rv == CKR_OK, "sign on the remaining token: %s", e2e_ckr(rv));

	/* The removal is a slot event. */
	{
		int seen = 0;

		for (int i = 0; i < 100 && !seen; i++) {
			rv = mod.f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &ev_slot, NULL);
			if (rv == CKR_OK && ev_slot == gone)
				seen = 1;
			else if (rv == CKR_NO_EVENT)
				e2e_sleep_ms(100);
			else if (rv != CKR_OK)
				break;
		}
		CHECK(seen, "C_WaitForSlotEvent never reported the removal (last %s)",
		      e2e_ckr(rv));
		/* Drain: afterwards nothing is pending. */
		for (int i = 0; i < 8; i++) {
			rv = mod.f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &ev_slot, NULL);
			if (rv != CKR_OK)
				break;
		}
		CHECK(rv == CKR_NO_EVENT, "C_WaitForSlotEvent after drain: %s", e2e_ckr(rv));
	}

	/* Re-insert: same port, same state file. */
	restarted = start_vtoken(argv[3], port0, argv[4]);
	REQUIRE(restarted > 0, "fork: %s", strerror(errno));
	{
		int present = 0;

		alarm(30);
		for (int tries = 0; tries < 4 && !present; tries++) {
			rv = mod.f->C_WaitForSlotEvent(0, &ev_slot, NULL);
			REQUIRE(rv == CKR_OK, "blocking C_WaitForSlotEvent: %s", e2e_ckr(rv));
			if (ev_slot == gone && token_present(gone) == 1)
				present = 1;
		}
		alarm(120);
		CHECK(present, "C_WaitForSlotEvent did not report the re-inserted token");
		if (!present) {
			for (int i = 0; i < 100 && token_present(gone) != 1; i++)
				e2e_sleep_ms(100);
		}
	}
	/* The old session stays dead after re-insertion. */
	{
		CK_SESSION_INFO si;

		rv = mod.f->C_GetSessionInfo(tok[idx_gone].sess, &si);
		CHECK(rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_SESSION_CLOSED,
		      "old session after re-insertion: %s", e2e_ckr(rv));
	}
	/* A fresh session must log in again and sign with the same key. */
	rv = mod.f->C_OpenSession(gone, CKF_SERIAL_SESSION, NULL, NULL, &fresh.sess);
	REQUIRE(rv == CKR_OK, "C_OpenSession after re-insertion: %s", e2e_ckr(rv));
	{
		CK_SESSION_INFO si;

		rv = mod.f->C_GetSessionInfo(fresh.sess, &si);
		CHECK(rv == CKR_OK && si.state == CKS_RO_PUBLIC_SESSION,
		      "fresh session after re-insertion: rv %s state %lu (login must be lost)",
		      e2e_ckr(rv), rv == CKR_OK ? si.state : 99ul);
		mod.f->C_CloseSession(fresh.sess);
	}
	REQUIRE(open_token(&fresh, gone, pin) == 0, "re-inserted token unusable");
	rv = sign_and_verify(&fresh, "after-reinsertion");
	CHECK(rv == CKR_OK, "sign after re-insertion: %s", e2e_ckr(rv));
	CHECK(EVP_PKEY_eq(fresh.pub, tok[idx_gone].pub) == 1,
	      "re-inserted token shows a different public key");
	rv = sign_and_verify(&tok[1 - idx_gone], "other-after");
	CHECK(rv == CKR_OK, "sign on the other token at the end: %s", e2e_ckr(rv));

	e2e_wipe(pin, sizeof(pin));
	EVP_PKEY_free(tok[0].pub);
	EVP_PKEY_free(tok[1].pub);
	EVP_PKEY_free(fresh.pub);
	finish(0);
	return 0;
}
