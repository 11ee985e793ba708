/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Persistence of a virtual token: the state file is replaced atomically
 * (write path.tmp, fsync, rename, fsync the directory) so that a kill at
 * any moment leaves either the old or the new image, never a torn one. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vtoken.h"

#define VT_STATE_MAX (64u * 1024u * 1024u) /* refuse absurd files */

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int vt_state_write(const char *path, const uint8_t *data, size_t len)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp ||
	    snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (write_all(fd, data, len) || fsync(fd)) {
		int e = errno;
		close(fd);
		unlink(tmp);
		errno = e;
		return -1;
	}
	if (close(fd) || rename(tmp, path)) {
		int e = errno;
		unlink(tmp);
		errno = e;
		return -1;
	}
	/* make the rename itself durable */
	char *slash = strrchr(dir, '/');
	if (slash == dir)
		dir[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -1;
	int rc = fsync(dfd);
	close(dfd);
	return rc;
}

int vt_state_read(const char *path, uint8_t **data, size_t *len)
{
	*data = NULL;
	*len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    (unsigned long long)st.st_size > VT_STATE_MAX) {
		close(fd);
		errno = EFBIG;
		return -1;
	}
	size_t n = (size_t)st.st_size;
	uint8_t *p = malloc(n ? n : 1);
	if (!p) {
		close(fd);
		return -1;
	}
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, p + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			free(p);
			close(fd);
			errno = EIO;
			return -1;
		}
		got += (size_t)r;
	}
	close(fd);
	*data = p;
	*len = n;
	return 0;
}

/* Image: "UKVT" | u16 version | u8 namelen | name | u32 crc-less length |
 * OS bytes. The length makes truncation detectable even without rename. */
static const uint8_t vt_magic[4] = { 'U', 'K', 'V', 'T' };
#define VT_IMAGE_VERSION 1

int vt_image_wrap(const vt_os *os, void *st, vt_buf *out)
{
	vt_buf inner = { 0 };
	size_t nl = strlen(os->name);
	if (nl > 32 || os->save(st, &inner)) {
		vt_buf_free(&inner);
		return -1;
	}
	int rc = vt_buf_put(out, vt_magic, 4) ||
		 vt_buf_put_u16(out, VT_IMAGE_VERSION) ||
		 vt_buf_put_u8(out, (uint8_t)nl) ||
		 vt_buf_put(out, os->name, nl) ||
		 vt_buf_put_blob(out, inner.p, inner.len);
	vt_buf_free(&inner);
	return rc ? -1 : 0;
}

void *vt_image_unwrap(const vt_os *os, const uint8_t *img, size_t len)
{
	vt_rd r = { img, len, 0 };
	uint8_t m[4];
	char name[33];
	vt_rd_bytes(&r, m, 4);
	uint16_t ver = vt_rd_u16(&r);
	uint8_t nl = vt_rd_u8(&r);
	if (r.err || memcmp(m, vt_magic, 4) || ver != VT_IMAGE_VERSION ||
	    nl > 32) {
		fprintf(stderr, "ukey-vtoken: state file is not a vtoken image\n");
		return NULL;
	}
	vt_rd_bytes(&r, name, nl);
	name[nl] = '\0';
	if (r.err || strcmp(name, os->name)) {
		fprintf(stderr, "ukey-vtoken: state file holds a '%s' token, not '%s'\n",
			r.err ? "?" : name, os->name);
		return NULL;
	}
	uint32_t n = vt_rd_u32(&r);
	if (r.err || n != r.left) {
		fprintf(stderr, "ukey-vtoken: state file truncated or padded\n");
		return NULL;
	}
	return os->load(r.p, n);
}

const vt_os *vt_os_find(const char *name)
{
	if (!name)
		return NULL;
	if (!strcmp(name, "ftcos"))
		return &vt_os_ftcos;
	if (!strcmp(name, "gmt0017"))
		return &vt_os_gmt0017;
	if (!strcmp(name, "epass2003"))
		return &vt_os_epass2003;
	return NULL;
}

int vt_read_secrets(const char *path, char *user_pin, char *so_pin, size_t cap)
{
	uint8_t *data;
	size_t len;
	user_pin[0] = so_pin[0] = '\0';
	if (vt_state_read(path, &data, &len)) {
		fprintf(stderr, "ukey-vtoken: cannot read secrets file %s: %s\n",
			path, strerror(errno));
		return -1;
	}
	int rc = 0;
	size_t i = 0;
	while (i < len && !rc) {
		size_t e = i;
		while (e < len && data[e] != '\n')
			e++;
		size_t l = e - i;
		if (l && data[i + l - 1] == '\r')
			l--;
		const char *line = (const char *)data + i;
		char *dst = NULL;
		size_t klen = 0;
		if (l >= 9 && !memcmp(line, "user_pin=", 9)) {
			dst = user_pin;
			klen = 9;
		} else if (l >= 7 && !memcmp(line, "so_pin=", 7)) {
			dst = so_pin;
			klen = 7;
		}
		if (dst) {
			if (l - klen >= cap) {
				fprintf(stderr, "ukey-vtoken: a PIN in %s is too long\n", path);
				rc = -1;
			} else {
				memcpy(dst, line + klen, l - klen);
				dst[l - klen] = '\0';
			}
		}
		i = e + 1;
	}
	vt_wipe(data, len);
	free(data);
	return rc;
}
