/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * e2e_threads — many threads signing at once through one module instance.
 *
 *   e2e_threads MODULE SECRETS [THREADS [SIGNS_PER_THREAD]]   (default 8 x 200)
 *
 * Runs under pcsc-run with two FTCOS tokens. Thread t uses token t % 2 in
 * its own session (the login of the application is shared by all its
 * sessions, PKCS#11 v2.40 §5.6). Every signature (CKM_SHA256_RSA_PKCS over
 * a message unique to thread and iteration) is verified with OpenSSL
 * against the public key read from the token with C_GetAttributeValue
 * (CKA_MODULUS, CKA_PUBLIC_EXPONENT), which is first cross-checked against
 * the token's certificate.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2e_p11.h"

#define NTOK 2

struct tokinfo {
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE login_sess; /* keeps the login alive */
	EVP_PKEY *pub;
	uint8_t *id;
	size_t id_len;
};

struct worker {
	pthread_t th;
	int idx, signs, started;
	struct tokinfo *tok;
	CK_FUNCTION_LIST_PTR f;
	int ok, bad_sig, errors;
	CK_RV first_err;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE key;
	CK_RV rv;

	rv = w->f->C_OpenSession(w->tok->slot, CKF_SERIAL_SESSION, NULL, NULL, &s);
	if (rv != CKR_OK) {
		w->errors = w->signs;
		w->first_err = rv;
		return NULL;
	}
	if (e2e_find(w->f, s, CKO_PRIVATE_KEY, w->tok->id, w->tok->id_len, &key) != 0) {
		w->errors = w->signs;
		w->first_err = CKR_OBJECT_HANDLE_INVALID;
		w->f->C_CloseSession(s);
		return NULL;
	}
	for (int i = 0; i < w->signs; i++) {
		uint8_t msg[96], sig[512];
		size_t siglen, len;

		len = (size_t)snprintf((char *)msg, sizeof(msg),
				       "e2e_threads thread %d iteration %d slot %lu",
				       w->idx, i, w->tok->slot);
		rv = e2e_sign_sha256(w->f, s, key, msg, len, sig, sizeof(sig), &siglen);
		if (rv != CKR_OK) {
			if (!w->errors)
				w->first_err = rv;
			w->errors++;
			continue;
		}
		if (e2e_verify_pkcs1(w->tok->pub, EVP_sha256(), msg, len, sig, siglen) == 1)
			w->ok++;
		else
			w->bad_sig++;
	}
	w->f->C_CloseSession(s);
	return NULL;
}

int main(int argc, char **argv)
{
	CK_C_INITIALIZE_ARGS init = { .flags = CKF_OS_LOCKING_OK };
	struct tokinfo tok[NTOK];
	struct worker *w;
	CK_SLOT_ID slots[8];
	e2e_module mod;
	char pin[64];
	int nthreads = 8, signs = 200, n, total_ok = 0, fail = 0;
	double t0;
	CK_RV rv;

	if (argc < 3 || argc > 5) {
		fprintf(stderr, "usage: e2e_threads MODULE SECRETS [THREADS [SIGNS]]\n");
		return 2;
	}
	if (argc > 3)
		nthreads = atoi(argv[3]);
	if (argc > 4)
		signs = atoi(argv[4]);
	if (nthreads < 1 || nthreads > 64 || signs < 1 || signs > 100000) {
		fprintf(stderr, "e2e_threads: bad thread or signature count\n");
		return 2;
	}
	if (e2e_secret(argv[2], "user_pin", pin, sizeof(pin)) != 0)
		return 2;
	if (e2e_module_load(&mod, argv[1]) != 0)
		return 1;
	rv = mod.f->C_Initialize(&init);
	if (rv != CKR_OK) {
		fprintf(stderr, "FAIL C_Initialize: %s\n", e2e_ckr(rv));
		return 1;
	}
	n = e2e_token_slots(mod.f, slots, 8);
	if (n != NTOK) {
		fprintf(stderr, "FAIL expected %d tokens, found %d\n", NTOK, n);
		mod.f->C_Finalize(NULL);
		return 1;
	}
	memset(tok, 0, sizeof(tok));
	for (int t = 0; t < NTOK; t++) {
		CK_OBJECT_HANDLE priv, pubh, cert;
		EVP_PKEY *cpub;

		tok[t].slot = slots[t];
		rv = mod.f->C_OpenSession(slots[t], CKF_SERIAL_SESSION, NULL, NULL,
					  &tok[t].login_sess);
		if (rv == CKR_OK)
			rv = mod.f->C_Login(tok[t].login_sess, CKU_USER,
					    (CK_UTF8CHAR_PTR)pin, strlen(pin));
		if (rv != CKR_OK) {
			fprintf(stderr, "FAIL open/login slot %lu: %s\n", slots[t], e2e_ckr(rv));
			fail = 1;
			goto out;
		}
		if (e2e_find(mod.f, tok[t].login_sess, CKO_PRIVATE_KEY, NULL, 0, &priv) != 0 ||
		    e2e_attr(mod.f, tok[t].login_sess, priv, CKA_ID, &tok[t].id,
			     &tok[t].id_len) != 0 ||
		    e2e_find(mod.f, tok[t].login_sess, CKO_PUBLIC_KEY, tok[t].id,
			     tok[t].id_len, &pubh) != 0 ||
		    e2e_find(mod.f, tok[t].login_sess, CKO_CERTIFICATE, tok[t].id,
			     tok[t].id_len, &cert) != 0) {
			fprintf(stderr, "FAIL slot %lu: private key, public key and certificate with one CKA_ID not found\n",
				slots[t]);
			fail = 1;
			goto out;
		}
		tok[t].pub = e2e_rsa_pubkey(mod.f, tok[t].login_sess, pubh);
		cpub = e2e_cert_pubkey(mod.f, tok[t].login_sess, cert);
		if (!tok[t].pub || !cpub || EVP_PKEY_eq(tok[t].pub, cpub) != 1) {
			fprintf(stderr, "FAIL slot %lu: public key object does not match the certificate\n",
				slots[t]);
			fail = 1;
		}
		EVP_PKEY_free(cpub);
		{
			/* The private key's own modulus (when exposed) must agree. */
			EVP_PKEY *ppub = e2e_rsa_pubkey(mod.f, tok[t].login_sess, priv);

			if (ppub && EVP_PKEY_eq(ppub, tok[t].pub) != 1) {
				fprintf(stderr, "FAIL slot %lu: private key modulus differs from the public key\n",
					slots[t]);
				fail = 1;
			}
			EVP_PKEY_free(ppub);
		}
		if (fail)
			goto out;
	}
	if (EVP_PKEY_eq(tok[0].pub, tok[1].pub) == 1) {
		fprintf(stderr, "FAIL both tokens show the same key: personalisation is broken\n");
		fail = 1;
		goto out;
	}

	w = calloc((size_t)nthreads, sizeof(*w));
	if (!w) {
		fail = 1;
		goto out;
	}
	t0 = e2e_now();
	for (int i = 0; i < nthreads; i++) {
		w[i].idx = i;
		w[i].signs = signs;
		w[i].tok = &tok[i % NTOK];
		w[i].f = mod.f;
		if (pthread_create(&w[i].th, NULL, worker_main, &w[i]) == 0) {
			w[i].started = 1;
		} else {
			fprintf(stderr, "FAIL pthread_create\n");
			w[i].errors = signs;
			fail = 1;
		}
	}
	for (int i = 0; i < nthreads; i++) {
		if (w[i].started)
			pthread_join(w[i].th, NULL);
		total_ok += w[i].ok;
		if (w[i].ok != signs) {
			fprintf(stderr, "FAIL thread %d: %d good, %d bad signatures, %d errors (first %s)\n",
				i, w[i].ok, w[i].bad_sig, w[i].errors, e2e_ckr(w[i].first_err));
			fail = 1;
		}
	}
	printf("e2e_threads: %d threads x %d signatures: %d verified in %.1f s\n",
	       nthreads, signs, total_ok, e2e_now() - t0);
	free(w);
out:
	for (int t = 0; t < NTOK; t++) {
		EVP_PKEY_free(tok[t].pub);
		free(tok[t].id);
	}
	e2e_wipe(pin, sizeof(pin));
	rv = mod.f->C_Finalize(NULL);
	if (rv != CKR_OK) {
		fprintf(stderr, "FAIL C_Finalize: %s\n", e2e_ckr(rv));
		fail = 1;
	}
	e2e_module_unload(&mod);
	return fail ? 1 : 0;
}
