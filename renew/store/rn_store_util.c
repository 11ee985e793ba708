/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rn_store_util.c — base64, hex, mkdir -p, home directory. */
#include "rn_store_util.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

static const char b64_alpha[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

long rn_b64_decode(const char *in, size_t inlen, unsigned char *out, size_t outcap)
{
	if (inlen % 4 != 0)
		return -1;
	size_t n = 0;
	for (size_t i = 0; i < inlen; i += 4) {
		int v[4];
		int pad = 0;
		for (int k = 0; k < 4; k++) {
			unsigned char c = (unsigned char)in[i + (size_t)k];
			if (c == '=') {
				/* padding only in the last quantum, positions 2..3 */
				if (i + 4 != inlen || k < 2)
					return -1;
				pad++;
				v[k] = 0;
				continue;
			}
			if (pad)
				return -1; /* data after '=' */
			v[k] = b64_val(c);
			if (v[k] < 0)
				return -1;
		}
		unsigned long q = ((unsigned long)v[0] << 18) | ((unsigned long)v[1] << 12) |
				  ((unsigned long)v[2] << 6) | (unsigned long)v[3];
		/* canonical: the bits the padding drops must be zero */
		if (pad == 1 && (v[2] & 0x03))
			return -1;
		if (pad == 2 && (v[1] & 0x0f))
			return -1;
		unsigned char b[3] = { (unsigned char)(q >> 16), (unsigned char)(q >> 8),
				       (unsigned char)q };
		size_t take = 3 - (size_t)pad;
		if (out != NULL) {
			if (n + take > outcap)
				return -1;
			memcpy(out + n, b, take);
		}
		n += take;
	}
	return (long)n;
}

size_t rn_b64_encode(const unsigned char *in, size_t len, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i += 3) {
		unsigned long q = (unsigned long)in[i] << 16;
		if (i + 1 < len)
			q |= (unsigned long)in[i + 1] << 8;
		if (i + 2 < len)
			q |= in[i + 2];
		out[o++] = b64_alpha[(q >> 18) & 63];
		out[o++] = b64_alpha[(q >> 12) & 63];
		out[o++] = i + 1 < len ? b64_alpha[(q >> 6) & 63] : '=';
		out[o++] = i + 2 < len ? b64_alpha[q & 63] : '=';
	}
	out[o] = '\0';
	return o;
}

void rn_hex_encode(const unsigned char *in, size_t len, char *out)
{
	static const char h[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = h[in[i] >> 4];
		out[2 * i + 1] = h[in[i] & 15];
	}
	out[2 * len] = '\0';
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long rn_hex_decode(const char *in, size_t inlen, unsigned char *out, size_t outcap)
{
	if (inlen % 2 != 0 || inlen / 2 > outcap)
		return -1;
	for (size_t i = 0; i < inlen; i += 2) {
		int a = hexval((unsigned char)in[i]), b = hexval((unsigned char)in[i + 1]);
		if (a < 0 || b < 0)
			return -1;
		out[i / 2] = (unsigned char)(a << 4 | b);
	}
	return (long)(inlen / 2);
}

int rn_mkdir_p(const char *path, unsigned mode)
{
	size_t len = strlen(path);
	if (len == 0 || len >= 4096) {
		errno = EINVAL;
		return -1;
	}
	char buf[4096];
	memcpy(buf, path, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		char saved = buf[i];
		buf[i] = '\0';
		if (mkdir(buf, (mode_t)mode) != 0 && errno != EEXIST)
			return -1;
		buf[i] = saved;
	}
	struct stat st;
	if (stat(path, &st) != 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

const char *rn_home_dir(void)
{
	const char *h = getenv("HOME");
	if (h != NULL && h[0] == '/')
		return h;
	struct passwd *pw = getpwuid(geteuid());
	if (pw != NULL && pw->pw_dir != NULL && pw->pw_dir[0] == '/')
		return pw->pw_dir;
	return NULL;
}

int rn_read_all(int fd, const char *path, size_t max, char **buf, size_t *n,
		char *err, size_t errlen)
{
	char *b = malloc(max + 1);
	size_t k = 0;
	*buf = NULL;
	*n = 0;
	if (b == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	while (k <= max) {
		ssize_t r = read(fd, b + k, max + 1 - k);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
			free(b);
			return -1;
		}
		if (r == 0)
			break;
		k += (size_t)r;
	}
	*buf = b;
	*n = k;
	return 0;
}

int rn_read_file(const char *path, int nofollow, int missing_ok, size_t max,
		 char **buf, size_t *n, char *err, size_t errlen)
{
	*buf = NULL;
	*n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0));
	if (fd < 0) {
		if (errno == ENOENT && missing_ok)
			return 1;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	struct stat sb;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	int r = rn_read_all(fd, path, max, buf, n, err, errlen);
	close(fd);
	return r;
}
