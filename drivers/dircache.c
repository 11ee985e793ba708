/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/dircache.c — the per-user directory cache (see dircache.h).
 *
 * File format (all integers big-endian):
 *   "UKEYDIR1" ‖ u32 marker_len ‖ marker ‖ u32 count ‖
 *   count × (u16 key_len ‖ key ‖ u32 data_len ‖ data) ‖ SHA-256 of all before
 * The digest catches a torn or truncated file (writes are rename-atomic,
 * but a full disk or another program may still leave garbage); it is not a
 * defence against the user's own processes, which own the file anyway.
 */
#define _GNU_SOURCE /* asprintf */
#include "dircache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

static const uint8_t magic[8] = { 'U', 'K', 'E', 'Y', 'D', 'I', 'R', '1' };

typedef struct {
	uint8_t key[UKEY_DIRCACHE_MAX_KEY];
	size_t key_len;
	uint8_t *data;
	size_t len;
} entry;

struct ukey_dircache {
	char *path;            /* NULL: detached (no file) */
	uint8_t *marker;
	size_t marker_len;
	entry *v;
	size_t n, cap;
	size_t bytes;          /* serialised size without the digest */
	int dropped;
	unsigned hits;
};

static int cache_off(void)
{
	const char *e = getenv("UKEY_CACHE");

	return e && (!strcmp(e, "off") || !strcmp(e, "0") || !strcmp(e, "no"));
}

/* $XDG_CACHE_HOME/ukey (or ~/.cache/ukey), created 0700; NULL if there
 * is no usable home for it. */
static char *cache_dir(void)
{
	const char *base = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	char *dir = NULL, *parent = NULL;
	struct stat st;

	/* XDG: an absolute $XDG_CACHE_HOME, else ~/.cache; made if missing. */
	if (base && base[0] == '/')
		parent = strdup(base);
	else if (home && home[0] == '/' && asprintf(&parent, "%s/.cache", home) < 0)
		parent = NULL;
	if (!parent)
		return NULL;
	if ((mkdir(parent, 0700) != 0 && errno != EEXIST) ||
	    asprintf(&dir, "%s/ukey", parent) < 0) {
		free(parent);
		return NULL;
	}
	free(parent);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		goto no;
	/* Ours and private, or not used at all. */
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 022))
		goto no;
	return dir;
no:
	free(dir);
	return NULL;
}

static void entries_clear(ukey_dircache *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i].data);
	free(c->v);
	c->v = NULL;
	c->n = c->cap = 0;
	c->bytes = 8 + 4 + c->marker_len + 4;
}

static entry *find(const ukey_dircache *c, const uint8_t *key, size_t key_len)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].key_len == key_len && !memcmp(c->v[i].key, key, key_len))
			return &c->v[i];
	return NULL;
}

/* Add or replace (takes nothing: copies data). 0 ok, -1 refused. */
static int set_entry(ukey_dircache *c, const uint8_t *key, size_t key_len,
		     const uint8_t *data, size_t len)
{
	entry *e;
	uint8_t *copy;

	if (!key_len || key_len > UKEY_DIRCACHE_MAX_KEY ||
	    len > UKEY_DIRCACHE_MAX_FILE)
		return -1;
	e = find(c, key, key_len);
	if (c->bytes - (e ? 6 + e->key_len + e->len : 0) + 6 + key_len + len + 32 >
	    UKEY_DIRCACHE_MAX_FILE)
		return -1;
	copy = malloc(len ? len : 1);
	if (!copy)
		return -1;
	memcpy(copy, data, len);
	if (!e) {
		if (c->n >= UKEY_DIRCACHE_MAX_ENTRIES)
			goto refuse;
		if (c->n == c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 16;
			entry *v = realloc(c->v, cap * sizeof(*v));

			if (!v)
				goto refuse;
			c->v = v;
			c->cap = cap;
		}
		e = &c->v[c->n++];
		memcpy(e->key, key, key_len);
		e->key_len = key_len;
		e->data = NULL;
		e->len = 0;
		c->bytes += 6 + key_len;
	}
	c->bytes += len - e->len;
	free(e->data);
	e->data = copy;
	e->len = len;
	return 0;
refuse:
	free(copy);
	return -1;
}

static ukey_dircache *new_cache(const uint8_t *marker, size_t marker_len)
{
	ukey_dircache *c;

	if (!marker_len || marker_len > UKEY_DIRCACHE_MAX_MARKER)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->marker = malloc(marker_len);
	if (!c->marker) {
		free(c);
		return NULL;
	}
	memcpy(c->marker, marker, marker_len);
	c->marker_len = marker_len;
	c->bytes = 8 + 4 + marker_len + 4;
	return c;
}

ukey_dircache *ukey_dircache_new_detached(const uint8_t *marker,
					  size_t marker_len)
{
	return new_cache(marker, marker_len);
}

/* --------------------------------------------------------------- parsing */

typedef struct {
	const uint8_t *p;
	size_t left;
} rd;

static int take(rd *r, size_t n, const uint8_t **out)
{
	if (n > r->left)
		return -1;
	*out = r->p;
	r->p += n;
	r->left -= n;
	return 0;
}

static int take_u(rd *r, size_t width, size_t *v)
{
	const uint8_t *b;

	if (take(r, width, &b))
		return -1;
	*v = 0;
	for (size_t i = 0; i < width; i++)
		*v = (*v << 8) | b[i];
	return 0;
}

static int sha256(const uint8_t *buf, size_t len, uint8_t out[32])
{
	unsigned int olen = 0;

	return EVP_Digest(buf, len, out, &olen, EVP_sha256(), NULL) == 1 &&
			       olen == 32 ? 0 : -1;
}

int ukey_dircache_parse(ukey_dircache *c, const uint8_t *buf, size_t len)
{
	rd r = { buf, len };
	const uint8_t *b, *key, *data;
	size_t mlen, count, klen, dlen;
	uint8_t digest[32];
	ukey_dircache tmp;

	if (!c || !buf || len < sizeof(magic) + 32 || len > UKEY_DIRCACHE_MAX_FILE)
		return -1;
	if (sha256(buf, len - 32, digest) || memcmp(digest, buf + len - 32, 32))
		return -1;
	r.left -= 32;
	if (take(&r, sizeof(magic), &b) || memcmp(b, magic, sizeof(magic)))
		return -1;
	if (take_u(&r, 4, &mlen) || mlen != c->marker_len || take(&r, mlen, &b) ||
	    memcmp(b, c->marker, mlen))
		return -1; /* another marker: the token changed */
	if (take_u(&r, 4, &count) || count > UKEY_DIRCACHE_MAX_ENTRIES)
		return -1;
	/* Fill a scratch copy, so that a bad entry leaves c as it was. */
	tmp = *c;
	tmp.v = NULL;
	tmp.n = tmp.cap = 0;
	tmp.bytes = 8 + 4 + c->marker_len + 4;
	for (size_t i = 0; i < count; i++) {
		if (take_u(&r, 2, &klen) || take(&r, klen, &key) ||
		    take_u(&r, 4, &dlen) || take(&r, dlen, &data) ||
		    find(&tmp, key, klen) ||
		    set_entry(&tmp, key, klen, data, dlen)) {
			entries_clear(&tmp);
			return -1;
		}
	}
	if (r.left) {
		entries_clear(&tmp);
		return -1; /* trailing bytes: not a file we wrote */
	}
	entries_clear(c);
	c->v = tmp.v;
	c->n = tmp.n;
	c->cap = tmp.cap;
	c->bytes = tmp.bytes;
	return 0;
}

/* ------------------------------------------------------------------ files */

static void load(ukey_dircache *c)
{
	int fd = open(c->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	uint8_t *buf = NULL;
	size_t got = 0;

	if (fd < 0)
		return;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 077) ||
	    st.st_size <= 0 || (unsigned long long)st.st_size > UKEY_DIRCACHE_MAX_FILE)
		goto out;
	buf = malloc((size_t)st.st_size);
	if (!buf)
		goto out;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto out;
		got += (size_t)n;
	}
	(void)ukey_dircache_parse(c, buf, got);
out:
	free(buf);
	close(fd);
}

static int put_u(uint8_t *p, size_t v, size_t width)
{
	for (size_t i = 0; i < width; i++)
		p[i] = (uint8_t)(v >> (8 * (width - 1 - i)));
	return (int)width;
}

static void save(ukey_dircache *c)
{
	size_t total = c->bytes + 32, off = 0;
	uint8_t *buf;
	char *tmp = NULL;
	int fd, ok = 0;

	if (!c->path || c->dropped)
		return;
	buf = malloc(total);
	if (!buf)
		return;
	memcpy(buf, magic, sizeof(magic));
	off = sizeof(magic);
	off += (size_t)put_u(buf + off, c->marker_len, 4);
	memcpy(buf + off, c->marker, c->marker_len);
	off += c->marker_len;
	off += (size_t)put_u(buf + off, c->n, 4);
	for (size_t i = 0; i < c->n; i++) {
		off += (size_t)put_u(buf + off, c->v[i].key_len, 2);
		memcpy(buf + off, c->v[i].key, c->v[i].key_len);
		off += c->v[i].key_len;
		off += (size_t)put_u(buf + off, c->v[i].len, 4);
		memcpy(buf + off, c->v[i].data, c->v[i].len);
		off += c->v[i].len;
	}
	if (off != c->bytes || sha256(buf, off, buf + off))
		goto out;
	if (asprintf(&tmp, "%s.%ld.tmp", c->path, (long)getpid()) < 0) {
		tmp = NULL;
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		goto out;
	ok = 1;
	for (size_t w = 0; w < total;) {
		ssize_t n = write(fd, buf + w, total - w);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ok = 0;
			break;
		}
		w += (size_t)n;
	}
	if (close(fd) != 0)
		ok = 0;
	/* No fsync: a cache lost in a crash is re-read from the card; a torn
	 * one fails its digest. */
	if (!ok || rename(tmp, c->path) != 0)
		unlink(tmp);
out:
	free(tmp);
	free(buf);
}

ukey_dircache *ukey_dircache_open(const char *scope, const uint8_t *id,
				  size_t id_len, const uint8_t *marker,
				  size_t marker_len)
{
	ukey_dircache *c;
	char name[160], *dir;
	size_t o = 0;

	if (cache_off() || !scope || !id || !id_len || id_len > 32)
		return NULL;
	/* File name: the scope's safe characters, '-', the id in hex. */
	for (const char *s = scope; *s && o < 64; s++)
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_')
			name[o++] = *s;
	name[o++] = '-';
	for (size_t i = 0; i < id_len; i++)
		o += (size_t)snprintf(name + o, sizeof(name) - o, "%02x", id[i]);
	c = new_cache(marker, marker_len);
	if (!c)
		return NULL;
	dir = cache_dir();
	if (!dir || asprintf(&c->path, "%s/%s", dir, name) < 0) {
		free(dir);
		c->path = NULL;
		ukey_dircache_close(c);
		return NULL;
	}
	free(dir);
	load(c);
	return c;
}

void ukey_dircache_close(ukey_dircache *c)
{
	if (!c)
		return;
	entries_clear(c);
	free(c->marker);
	free(c->path);
	free(c);
}

int ukey_dircache_get(ukey_dircache *c, const uint8_t *key, size_t key_len,
		      const uint8_t **data, size_t *len)
{
	const entry *e;

	if (!c || c->dropped)
		return 0;
	e = find(c, key, key_len);
	if (!e)
		return 0;
	*data = e->data;
	*len = e->len;
	c->hits++;
	return 1;
}

void ukey_dircache_put(ukey_dircache *c, const uint8_t *key, size_t key_len,
		       const uint8_t *data, size_t len)
{
	if (!c || c->dropped)
		return;
	if (set_entry(c, key, key_len, data, len) == 0)
		save(c);
}

void ukey_dircache_drop(ukey_dircache *c)
{
	if (!c || c->dropped)
		return;
	entries_clear(c);
	c->dropped = 1;
	if (c->path)
		unlink(c->path);
}

unsigned ukey_dircache_hits(const ukey_dircache *c)
{
	return c ? c->hits : 0;
}
