/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rn_trust.c — the trust store: one PEM per root in trust_dir, named by the
 * lower-case SHA-256 of its DER (<64 hex>.pem). A root is added only when the
 * user-supplied fingerprint matches, so a root cannot be slipped in by a file
 * alone.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "rn_verify.h"

#define RN_FP_HEX_LEN 64

static void hex_lower(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

int rn_trust_parse_fp(const char *text, unsigned char fp[32])
{
	size_t n = 0;
	int hi = -1;
	if (text == NULL)
		return -1;
	/* Optional "sha256:" / "SHA256 Fingerprint=" style prefix. */
	const char *eq = strchr(text, '=');
	if (eq != NULL)
		text = eq + 1;
	else if (strncasecmp(text, "sha256:", 7) == 0)
		text += 7;
	while (*text == ' ' || *text == '\t')
		text++;
	for (const char *s = text; *s != '\0'; s++) {
		if (*s == ':') {
			if (hi >= 0)
				return -1; /* colon inside a byte */
			continue;
		}
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
			/* trailing white space only */
			for (const char *r = s; *r != '\0'; r++)
				if (*r != ' ' && *r != '\t' && *r != '\n' && *r != '\r')
					return -1;
			break;
		}
		int v = hexval((unsigned char)*s);
		if (v < 0)
			return -1;
		if (hi < 0) {
			hi = v;
		} else {
			if (n >= 32)
				return -1;
			fp[n++] = (unsigned char)(hi << 4 | v);
			hi = -1;
		}
	}
	return n == 32 && hi < 0 ? 0 : -1;
}

void rn_cert_sha256_hex(X509 *cert, char out[65])
{
	unsigned char md[32];
	unsigned int len = 0;
	if (cert == NULL || X509_digest(cert, EVP_sha256(), md, &len) != 1 || len != 32) {
		out[0] = '\0';
		ERR_clear_error();
		return;
	}
	hex_lower(md, 32, out);
}

/* A file name of the store: 64 lower-case hex digits + ".pem". */
static int is_store_name(const char *name)
{
	size_t n = strlen(name);
	if (n != RN_FP_HEX_LEN + 4 || strcmp(name + RN_FP_HEX_LEN, ".pem") != 0)
		return 0;
	for (size_t i = 0; i < RN_FP_HEX_LEN; i++)
		if (hexval((unsigned char)name[i]) < 0)
			return 0;
	return 1;
}

static X509 *read_pem_file(const char *path)
{
	FILE *fp = fopen(path, "r");
	if (fp == NULL)
		return NULL;
	X509 *x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	return x;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted list of store file names (malloc'd); -1 if the directory cannot be
 * read. */
static int list_names(const char *dir, char ***names, size_t *n, char *err, size_t errlen)
{
	*names = NULL;
	*n = 0;
	DIR *d = opendir(dir);
	if (d == NULL) {
		if (err != NULL)
			snprintf(err, errlen, "trust store %s: %s", dir, strerror(errno));
		return -1;
	}
	size_t cap = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (!is_store_name(e->d_name))
			continue;
		if (*n == cap) {
			size_t nc = cap ? cap * 2 : 8;
			char **nn = realloc(*names, nc * sizeof(*nn));
			if (nn == NULL)
				break;
			*names = nn;
			cap = nc;
		}
		(*names)[*n] = strdup(e->d_name);
		if ((*names)[*n] == NULL)
			break;
		(*n)++;
	}
	closedir(d);
	if (*n > 1)
		qsort(*names, *n, sizeof(**names), cmp_names);
	return 0;
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

STACK_OF(X509) *rn_trust_certs(const char *trust_dir, char *err, size_t errlen)
{
	char **names;
	size_t n;
	if (trust_dir == NULL) {
		if (err != NULL)
			snprintf(err, errlen, "no trust store directory configured");
		return NULL;
	}
	if (list_names(trust_dir, &names, &n, err, errlen) != 0)
		return NULL;
	STACK_OF(X509) *sk = sk_X509_new_null();
	if (sk == NULL) {
		free_names(names, n);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", trust_dir, names[i]);
		X509 *x = read_pem_file(path);
		char hex[65];
		if (x == NULL) {
			if (err != NULL)
				snprintf(err, errlen, "trust store: %s is not a PEM certificate", path);
			goto bad;
		}
		rn_cert_sha256_hex(x, hex);
		if (strncasecmp(hex, names[i], RN_FP_HEX_LEN) != 0) {
			if (err != NULL)
				snprintf(err, errlen, "trust store: %s does not match its name (SHA-256 %s)",
					 path, hex);
			X509_free(x);
			goto bad;
		}
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			goto bad;
		}
	}
	free_names(names, n);
	ERR_clear_error();
	return sk;
bad:
	free_names(names, n);
	sk_X509_pop_free(sk, X509_free);
	ERR_clear_error();
	return NULL;
}

X509_STORE *rn_trust_load(const char *trust_dir, char *err, size_t errlen)
{
	STACK_OF(X509) *sk = rn_trust_certs(trust_dir, err, errlen);
	if (sk == NULL)
		return NULL;
	if (sk_X509_num(sk) == 0) {
		if (err != NULL)
			snprintf(err, errlen, "trust store %s holds no root certificate", trust_dir);
		sk_X509_free(sk);
		return NULL;
	}
	X509_STORE *st = X509_STORE_new();
	for (int i = 0; st != NULL && i < sk_X509_num(sk); i++)
		if (!X509_STORE_add_cert(st, sk_X509_value(sk, i))) {
			X509_STORE_free(st);
			st = NULL;
		}
	if (st == NULL && err != NULL)
		snprintf(err, errlen, "trust store: out of memory");
	sk_X509_pop_free(sk, X509_free);
	ERR_clear_error();
	return st;
}

static int is_ca(X509 *x)
{
	if (X509_check_ca(x) >= 1)
		return 1;
	/* self-signed (issuer == subject and the signature verifies) */
	return X509_check_issued(x, x) == X509_V_OK && X509_verify(x, X509_get0_pubkey(x)) == 1;
}

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[4096];
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] == '/' || buf[i] == '\0') {
			char c = buf[i];
			buf[i] = '\0';
			if (mkdir(buf, mode) != 0 && errno != EEXIST)
				return -1;
			buf[i] = c;
		}
	}
	return 0;
}

int rn_trust_add(const char *trust_dir, const char *pem_path, const unsigned char fp[32],
		 char *err, size_t errlen)
{
	int rc = -1;
	char hex[65], want[65], path[4096], tmp[4200];
	X509 *x = read_pem_file(pem_path);
	FILE *out = NULL;

	if (x == NULL) {
		if (err != NULL)
			snprintf(err, errlen, "%s: not a readable PEM certificate", pem_path);
		goto done;
	}
	rn_cert_sha256_hex(x, hex);
	hex_lower(fp, 32, want);
	if (strcmp(hex, want) != 0) {
		if (err != NULL)
			snprintf(err, errlen, "fingerprint mismatch: %s has SHA-256 %s", pem_path, hex);
		goto done;
	}
	if (!is_ca(x)) {
		if (err != NULL)
			snprintf(err, errlen, "%s is not a CA certificate (neither self-signed nor basicConstraints CA)",
				 pem_path);
		goto done;
	}
	if (mkdir_p(trust_dir, 0755) != 0) {
		if (err != NULL)
			snprintf(err, errlen, "cannot create %s: %s", trust_dir, strerror(errno));
		goto done;
	}
	snprintf(path, sizeof(path), "%s/%s.pem", trust_dir, hex);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || (out = fdopen(fd, "w")) == NULL) {
		if (fd >= 0)
			close(fd);
		if (err != NULL)
			snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		goto done;
	}
	int ok = PEM_write_X509(out, x) == 1;
	ok = fflush(out) == 0 && ok;
	ok = fsync(fileno(out)) == 0 && ok;
	ok = fclose(out) == 0 && ok;
	if (!ok || rename(tmp, path) != 0) {
		if (err != NULL)
			snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		goto done;
	}
	rc = 0;
done:
	X509_free(x);
	ERR_clear_error();
	return rc;
}

int rn_trust_remove(const char *trust_dir, const unsigned char fp[32], char *err, size_t errlen)
{
	char hex[65], path[4096];
	hex_lower(fp, 32, hex);
	snprintf(path, sizeof(path), "%s/%s.pem", trust_dir, hex);
	if (unlink(path) != 0) {
		if (err != NULL)
			snprintf(err, errlen, errno == ENOENT ? "no root with fingerprint %s in %s"
				 : "cannot remove the root %s from %s", hex, trust_dir);
		return -1;
	}
	return 0;
}
