/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/pem.h>

#include "rn_test_pki.h"

char rn_pki_dir[256];

int rn_pki_make(void)
{
	char cmd[1024];
	snprintf(rn_pki_dir, sizeof(rn_pki_dir), "/tmp/rn-cmp-test.XXXXXX");
	if (mkdtemp(rn_pki_dir) == NULL)
		return -1;
	snprintf(cmd, sizeof(cmd), "sh %s %s/pki", RN_CMP_MKPKI, rn_pki_dir);
	if (system(cmd) != 0)
		return -1;
	snprintf(rn_pki_dir + strlen(rn_pki_dir), sizeof(rn_pki_dir) - strlen(rn_pki_dir), "/pki");
	return 0;
}

void rn_pki_remove(void)
{
	char cmd[600];
	char *slash = strrchr(rn_pki_dir, '/');
	if (slash == NULL || strncmp(rn_pki_dir, "/tmp/rn-cmp-test.", 17) != 0)
		return;
	*slash = '\0';
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", rn_pki_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", rn_pki_dir);
}

const char *rn_pki_path(const char *name)
{
	static char buf[4][512];
	static int i;
	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", rn_pki_dir, name);
	return buf[i];
}

X509 *rn_pki_cert(const char *name)
{
	char n[128];
	snprintf(n, sizeof(n), "%s.crt", name);
	FILE *fp = fopen(rn_pki_path(n), "r");
	if (fp == NULL)
		return NULL;
	X509 *x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	return x;
}

EVP_PKEY *rn_pki_key(const char *name)
{
	char n[128];
	snprintf(n, sizeof(n), "%s.key", name);
	FILE *fp = fopen(rn_pki_path(n), "r");
	if (fp == NULL)
		return NULL;
	EVP_PKEY *k = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
	fclose(fp);
	return k;
}

X509_STORE *rn_pki_store(const char *name)
{
	X509 *x = rn_pki_cert(name);
	X509_STORE *st = X509_STORE_new();
	if (x == NULL || st == NULL || !X509_STORE_add_cert(st, x)) {
		X509_free(x);
		X509_STORE_free(st);
		return NULL;
	}
	X509_free(x);
	return st;
}

unsigned char *rn_file_read(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	if (fp == NULL)
		return NULL;
	unsigned char *b = malloc(1 << 20);
	size_t n = b != NULL ? fread(b, 1, 1 << 20, fp) : 0;
	fclose(fp);
	*len = n;
	return b;
}
