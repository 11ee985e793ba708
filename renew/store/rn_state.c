/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rn_state.c — the pending-renewal state file.
 *
 * Format (text, one "key=value" per line, LF line ends):
 *   ukey-renew-state 1
 *   phase=waiting | received
 *   server=https://ca.example/cmp
 *   token_serial=...            (printable ASCII, <= 16)
 *   token_label=...             (no control characters, <= 32 bytes)
 *   cert_id=<hex>               (<= 64 bytes, may be empty)
 *   cert_label=...              (<= 127 bytes)
 *   old_cert=<base64 DER>
 *   rekey=0 | 1
 *   new_key_id=<hex>            (rekey only)
 *   transaction_id=<hex>        (waiting: required)
 *   waiting_rsp=<base64 DER>    (waiting: required)
 *   last_poll_rsp=<base64 DER>
 *   new_cert=<base64 DER>       (received: required)
 *   created=<unix seconds>
 *   next_poll=<unix seconds>
 *   end
 * Every field is checked on load; any problem is "FILE:LINE: what".
 */
#include "rn_state.h"
#include "rn_store_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define RN_STATE_MAGIC "ukey-renew-state"
#define RN_STATE_VERSION 1
#define RN_STATE_MAX_FILE (256u * 1024u)
#define RN_STATE_MAX_BLOB (64u * 1024u)

void rn_state_clear(struct rn_state *st)
{
	if (st == NULL)
		return;
	free(st->old_cert);
	free(st->new_cert);
	/* the rn_cmp_pending blobs are malloc'd (rn_cmp.h); freed here so the
	 * store does not depend on the CMP objects */
	free(st->cmp.transaction_id);
	free(st->cmp.waiting_rsp);
	free(st->cmp.last_poll_rsp);
	memset(st, 0, sizeof(*st));
}

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	if (err == NULL || errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---- directory and paths ---- */

int rn_state_dir(const char *dir, int create, char *out, size_t outlen, char *err, size_t errlen)
{
	int n;
	if (dir != NULL && dir[0] != '\0') {
		n = snprintf(out, outlen, "%s", dir);
	} else {
		const char *x = getenv("XDG_STATE_HOME");
		if (x != NULL && x[0] == '/') {
			n = snprintf(out, outlen, "%s/ukey", x);
		} else {
			const char *h = rn_home_dir();
			if (h == NULL) {
				seterr(err, errlen, "no state directory: neither XDG_STATE_HOME nor HOME is set");
				return -1;
			}
			n = snprintf(out, outlen, "%s/.local/state/ukey", h);
		}
	}
	if (n < 0 || (size_t)n >= outlen) {
		seterr(err, errlen, "state directory path too long");
		return -1;
	}
	if (create) {
		if (rn_mkdir_p(out, 0700) != 0) {
			seterr(err, errlen, "%s: cannot create the state directory: %s", out, strerror(errno));
			return -1;
		}
	}
	return 0;
}

int rn_state_path(const char *dir, const char *token_serial, const unsigned char *id,
		  size_t id_len, char *out, size_t outlen)
{
	char ser[17 * 1 + 8];
	size_t k = 0;
	for (const char *p = token_serial ? token_serial : ""; *p && k < 16; p++) {
		unsigned char c = (unsigned char)*p;
		int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			 (c >= '0' && c <= '9') || c == '_' || c == '-';
		ser[k++] = ok ? (char)c : '_';
	}
	if (k == 0)
		memcpy(ser, "none", (k = 4));
	ser[k] = '\0';
	char idhex[2 * 64 + 1];
	if (id_len > 64)
		return -1;
	if (id_len == 0)
		strcpy(idhex, "noid");
	else
		rn_hex_encode(id, id_len, idhex);
	int n = snprintf(out, outlen, "%s/pending-%s-%s.state", dir, ser, idhex);
	return (n < 0 || (size_t)n >= outlen) ? -1 : 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void rn_state_list_free(char **paths, size_t n)
{
	if (paths == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}

int rn_state_list(const char *dir, char ***paths, size_t *n, char *err, size_t errlen)
{
	*paths = NULL;
	*n = 0;
	DIR *d = opendir(dir);
	if (d == NULL) {
		if (errno == ENOENT)
			return 0;
		seterr(err, errlen, "%s: cannot read the state directory: %s", dir, strerror(errno));
		return -1;
	}
	char **v = NULL;
	size_t cnt = 0, cap = 0;
	struct dirent *e;
	int rc = 0;
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		if (l < 8 + 6 || strncmp(e->d_name, "pending-", 8) != 0 ||
		    strcmp(e->d_name + l - 6, ".state") != 0)
			continue;
		if (cnt == cap) {
			size_t nc = cap ? cap * 2 : 8;
			char **nv = realloc(v, nc * sizeof(*nv));
			if (nv == NULL) {
				rc = -1;
				break;
			}
			v = nv;
			cap = nc;
		}
		size_t len = strlen(dir) + l + 2;
		char *p = malloc(len);
		if (p == NULL) {
			rc = -1;
			break;
		}
		snprintf(p, len, "%s/%s", dir, e->d_name);
		v[cnt++] = p;
	}
	closedir(d);
	if (rc != 0) {
		rn_state_list_free(v, cnt);
		seterr(err, errlen, "out of memory");
		return -1;
	}
	if (cnt > 1)
		qsort(v, cnt, sizeof(*v), cmp_str);
	*paths = v;
	*n = cnt;
	return 0;
}

/* ---- parsing ---- */

enum fkind { F_PHASE, F_URL, F_ASCII, F_TEXT, F_HEX, F_B64, F_BOOL, F_TIME };

enum fid {
	K_PHASE, K_SERVER, K_TOKEN_SERIAL, K_TOKEN_LABEL, K_CERT_ID, K_CERT_LABEL,
	K_OLD_CERT, K_REKEY, K_NEW_KEY_ID, K_TRANSACTION_ID, K_WAITING_RSP,
	K_LAST_POLL_RSP, K_NEW_CERT, K_CREATED, K_NEXT_POLL, K_COUNT
};

static const struct field {
	const char *name;
	enum fkind kind;
	size_t max;     /* bytes of the decoded value (strings: without NUL) */
} fields[K_COUNT] = {
	[K_PHASE] = { "phase", F_PHASE, 0 },
	[K_SERVER] = { "server", F_URL, 511 },
	[K_TOKEN_SERIAL] = { "token_serial", F_ASCII, 16 },
	[K_TOKEN_LABEL] = { "token_label", F_TEXT, 32 },
	[K_CERT_ID] = { "cert_id", F_HEX, 64 },
	[K_CERT_LABEL] = { "cert_label", F_TEXT, 127 },
	[K_OLD_CERT] = { "old_cert", F_B64, RN_STATE_MAX_BLOB },
	[K_REKEY] = { "rekey", F_BOOL, 0 },
	[K_NEW_KEY_ID] = { "new_key_id", F_HEX, 64 },
	[K_TRANSACTION_ID] = { "transaction_id", F_HEX, 64 },
	[K_WAITING_RSP] = { "waiting_rsp", F_B64, RN_STATE_MAX_BLOB },
	[K_LAST_POLL_RSP] = { "last_poll_rsp", F_B64, RN_STATE_MAX_BLOB },
	[K_NEW_CERT] = { "new_cert", F_B64, RN_STATE_MAX_BLOB },
	[K_CREATED] = { "created", F_TIME, 0 },
	[K_NEXT_POLL] = { "next_poll", F_TIME, 0 },
};

/* Where a field's value goes. */
static void field_target(struct rn_state *st, enum fid id, char **str, unsigned char **fixed,
			 size_t **len, unsigned char ***blob)
{
	*str = NULL;
	*fixed = NULL;
	*len = NULL;
	*blob = NULL;
	switch (id) {
	case K_SERVER: *str = st->server; break;
	case K_TOKEN_SERIAL: *str = st->token_serial; break;
	case K_TOKEN_LABEL: *str = st->token_label; break;
	case K_CERT_LABEL: *str = st->cert_label; break;
	case K_CERT_ID: *fixed = st->cert_id; *len = &st->cert_id_len; break;
	case K_NEW_KEY_ID: *fixed = st->new_key_id; *len = &st->new_key_id_len; break;
	case K_TRANSACTION_ID:
		*blob = &st->cmp.transaction_id; *len = &st->cmp.transaction_id_len; break;
	case K_OLD_CERT: *blob = &st->old_cert; *len = &st->old_cert_len; break;
	case K_WAITING_RSP: *blob = &st->cmp.waiting_rsp; *len = &st->cmp.waiting_rsp_len; break;
	case K_LAST_POLL_RSP:
		*blob = &st->cmp.last_poll_rsp; *len = &st->cmp.last_poll_rsp_len; break;
	case K_NEW_CERT: *blob = &st->new_cert; *len = &st->new_cert_len; break;
	default: break;
	}
}

static int parse_time(const char *v, size_t n, time_t *out)
{
	if (n == 0 || n > 18)
		return -1;
	if (n > 1 && v[0] == '0')
		return -1;
	long long x = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		x = x * 10 + (v[i] - '0');
	}
	if ((long long)(time_t)x != x)
		return -1;
	*out = (time_t)x;
	return 0;
}

/* One field's value. Returns 0, or -1 with what (static text) set. */
static int parse_value(struct rn_state *st, enum fid id, const char *v, size_t n,
		       const char **what)
{
	const struct field *f = &fields[id];
	char *str;
	unsigned char *fixed, **blob;
	size_t *len;
	field_target(st, id, &str, &fixed, &len, &blob);
	switch (f->kind) {
	case F_PHASE:
		if (n == 7 && memcmp(v, "waiting", 7) == 0)
			st->phase = RN_PHASE_WAITING;
		else if (n == 8 && memcmp(v, "received", 8) == 0)
			st->phase = RN_PHASE_RECEIVED;
		else
			return (*what = "must be 'waiting' or 'received'"), -1;
		return 0;
	case F_BOOL:
		if (n != 1 || (v[0] != '0' && v[0] != '1'))
			return (*what = "must be 0 or 1"), -1;
		st->rekey = v[0] == '1';
		return 0;
	case F_TIME: {
		time_t t;
		if (parse_time(v, n, &t) != 0)
			return (*what = "must be a non-negative decimal number of seconds"), -1;
		if (id == K_CREATED)
			st->created = t;
		else
			st->next_poll = t;
		return 0;
	}
	case F_URL:
	case F_ASCII:
	case F_TEXT:
		if (n > f->max)
			return (*what = "value too long"), -1;
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)v[i];
			if (c < 0x20 || c == 0x7f)
				return (*what = "control character in value"), -1;
			if (f->kind != F_TEXT && c > 0x7e)
				return (*what = "non-ASCII character in value"), -1;
			if (f->kind == F_URL && c == ' ')
				return (*what = "space in URL"), -1;
		}
		if (f->kind == F_URL && !((n > 7 && memcmp(v, "http://", 7) == 0) ||
					  (n > 8 && memcmp(v, "https://", 8) == 0)))
			return (*what = "must be an http:// or https:// URL"), -1;
		memcpy(str, v, n);
		str[n] = '\0';
		return 0;
	case F_HEX: {
		if (n / 2 > f->max)
			return (*what = "value too long"), -1;
		unsigned char tmp[64];
		long l = rn_hex_decode(v, n, tmp, sizeof(tmp));
		if (l < 0)
			return (*what = "invalid hex"), -1;
		if (id == K_TRANSACTION_ID && l == 0)
			return (*what = "empty value"), -1;
		if (fixed != NULL) {
			memcpy(fixed, tmp, (size_t)l);
		} else {
			*blob = malloc(l ? (size_t)l : 1);
			if (*blob == NULL)
				return (*what = "out of memory"), -1;
			memcpy(*blob, tmp, (size_t)l);
		}
		*len = (size_t)l;
		return 0;
	}
	case F_B64: {
		long l = rn_b64_decode(v, n, NULL, 0);
		if (l < 0)
			return (*what = "invalid base64"), -1;
		if (l == 0)
			return (*what = "empty value"), -1;
		if ((size_t)l > f->max)
			return (*what = "value too long"), -1;
		*blob = malloc((size_t)l);
		if (*blob == NULL)
			return (*what = "out of memory"), -1;
		rn_b64_decode(v, n, *blob, (size_t)l);
		*len = (size_t)l;
		return 0;
	}
	}
	return (*what = "internal error"), -1;
}

int rn_state_parse(const char *name, const char *buf, size_t len, struct rn_state *st,
		   char *err, size_t errlen)
{
	memset(st, 0, sizeof(*st));
	if (name == NULL)
		name = "(state)";
	if (len > RN_STATE_MAX_FILE) {
		seterr(err, errlen, "%s:1: file too large (%zu bytes, at most %u)", name, len,
		       RN_STATE_MAX_FILE);
		return -1;
	}
	if (len == 0) {
		seterr(err, errlen, "%s:1: empty file", name);
		return -1;
	}
	unsigned seen = 0;
	unsigned long line = 0;
	size_t pos = 0;
	int ended = 0;
	while (pos < len) {
		line++;
		const char *l = buf + pos;
		const char *nl = memchr(l, '\n', len - pos);
		if (nl == NULL) {
			seterr(err, errlen, "%s:%lu: truncated (last line has no end of line)", name, line);
			goto fail;
		}
		size_t n = (size_t)(nl - l);
		pos += n + 1;
		if (memchr(l, '\0', n) != NULL) {
			seterr(err, errlen, "%s:%lu: NUL byte", name, line);
			goto fail;
		}
		if (ended) {
			seterr(err, errlen, "%s:%lu: data after 'end'", name, line);
			goto fail;
		}
		if (line == 1) {
			size_t ml = strlen(RN_STATE_MAGIC);
			if (n < ml + 2 || memcmp(l, RN_STATE_MAGIC " ", ml + 1) != 0) {
				seterr(err, errlen, "%s:1: not a ukey-renew state file", name);
				goto fail;
			}
			if (n != ml + 2 || l[ml + 1] != '0' + RN_STATE_VERSION) {
				seterr(err, errlen, "%s:1: unsupported state file version '%.*s'",
				       name, (int)(n - ml - 1 > 20 ? 20 : n - ml - 1), l + ml + 1);
				goto fail;
			}
			continue;
		}
		if (n == 3 && memcmp(l, "end", 3) == 0) {
			ended = 1;
			continue;
		}
		const char *eq = memchr(l, '=', n);
		if (eq == NULL) {
			seterr(err, errlen, "%s:%lu: missing '='", name, line);
			goto fail;
		}
		size_t kl = (size_t)(eq - l);
		int id = -1;
		for (int i = 0; i < K_COUNT; i++)
			if (strlen(fields[i].name) == kl && memcmp(fields[i].name, l, kl) == 0)
				id = i;
		if (id < 0) {
			char key[40];
			size_t c = 0;
			for (size_t i = 0; i < kl && c < 32; i++)
				key[c++] = (l[i] >= 0x20 && l[i] < 0x7f) ? l[i] : '?';
			key[c] = '\0';
			seterr(err, errlen, "%s:%lu: unknown key '%s'", name, line, key);
			goto fail;
		}
		if (seen & (1u << id)) {
			seterr(err, errlen, "%s:%lu: duplicate key '%s'", name, line, fields[id].name);
			goto fail;
		}
		seen |= 1u << id;
		const char *what = NULL;
		if (parse_value(st, (enum fid)id, eq + 1, n - kl - 1, &what) != 0) {
			seterr(err, errlen, "%s:%lu: %s: %s", name, line, fields[id].name, what);
			goto fail;
		}
	}
	if (!ended) {
		seterr(err, errlen, "%s:%lu: truncated (no 'end' line)", name, line);
		goto fail;
	}
	static const enum fid required[] = { K_PHASE, K_SERVER, K_TOKEN_SERIAL, K_CERT_ID,
					     K_OLD_CERT, K_REKEY, K_CREATED };
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!(seen & (1u << required[i]))) {
			seterr(err, errlen, "%s:%lu: missing field '%s'", name, line,
			       fields[required[i]].name);
			goto fail;
		}
	if (st->phase == RN_PHASE_WAITING) {
		if (!(seen & (1u << K_TRANSACTION_ID))) {
			seterr(err, errlen, "%s:%lu: missing field 'transaction_id' (phase waiting)", name, line);
			goto fail;
		}
		if (!(seen & (1u << K_WAITING_RSP))) {
			seterr(err, errlen, "%s:%lu: missing field 'waiting_rsp' (phase waiting)", name, line);
			goto fail;
		}
	} else if (!(seen & (1u << K_NEW_CERT))) {
		seterr(err, errlen, "%s:%lu: missing field 'new_cert' (phase received)", name, line);
		goto fail;
	}
	if (st->rekey && st->new_key_id_len == 0) {
		seterr(err, errlen, "%s:%lu: rekey=1 needs a non-empty 'new_key_id'", name, line);
		goto fail;
	}
	if (!st->rekey && (seen & (1u << K_NEW_KEY_ID)) && st->new_key_id_len != 0) {
		seterr(err, errlen, "%s:%lu: 'new_key_id' set but rekey=0", name, line);
		goto fail;
	}
	return 0;
fail:
	rn_state_clear(st);
	return -1;
}

int rn_state_load(const char *path, struct rn_state *st, char *err, size_t errlen)
{
	memset(st, 0, sizeof(*st));
	char *buf;
	size_t n;
	/* a file larger than the maximum reads as max + 1 bytes: the parser
	 * names it too large */
	if (rn_read_file(path, 1, 0, RN_STATE_MAX_FILE, &buf, &n, err, errlen) != 0)
		return -1;
	int rc = rn_state_parse(path, buf, n, st, err, errlen);
	free(buf);
	return rc;
}

/* ---- writing ---- */

struct sbuf {
	char *p;
	size_t n, cap;
	int oom;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t nc = b->cap ? b->cap : 1024;
		while (nc < b->n + n + 1)
			nc *= 2;
		char *np = realloc(b->p, nc);
		if (np == NULL) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = nc;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void sb_kv(struct sbuf *b, const char *k, const char *v)
{
	sb_add(b, k, strlen(k));
	sb_add(b, "=", 1);
	sb_add(b, v, strlen(v));
	sb_add(b, "\n", 1);
}

static void sb_hex(struct sbuf *b, const char *k, const unsigned char *d, size_t n)
{
	char h[2 * 64 + 1];
	if (n > 64) {
		b->oom = 2;
		return;
	}
	rn_hex_encode(d, n, h);
	sb_kv(b, k, h);
}

static void sb_b64(struct sbuf *b, const char *k, const unsigned char *d, size_t n)
{
	if (n > RN_STATE_MAX_BLOB) {
		b->oom = 2;
		return;
	}
	char *t = malloc(4 * ((n + 2) / 3) + 1);
	if (t == NULL) {
		b->oom = 1;
		return;
	}
	rn_b64_encode(d, n, t);
	sb_kv(b, k, t);
	free(t);
}

static int fsync_dir_of(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	if (slash == NULL) {
		strcpy(dir, ".");
	} else {
		size_t l = (size_t)(slash - path);
		if (l == 0)
			l = 1;
		if (l >= sizeof(dir))
			return -1;
		memcpy(dir, path, l);
		dir[l] = '\0';
	}
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

int rn_state_save(const char *path, const struct rn_state *st, char *err, size_t errlen)
{
	struct sbuf b = { 0 };
	char num[32];
	sb_add(&b, RN_STATE_MAGIC " 1\n", strlen(RN_STATE_MAGIC) + 3);
	sb_kv(&b, "phase", st->phase == RN_PHASE_RECEIVED ? "received" :
			   st->phase == RN_PHASE_WAITING ? "waiting" : "?");
	sb_kv(&b, "server", st->server);
	sb_kv(&b, "token_serial", st->token_serial);
	sb_kv(&b, "token_label", st->token_label);
	sb_hex(&b, "cert_id", st->cert_id, st->cert_id_len);
	sb_kv(&b, "cert_label", st->cert_label);
	if (st->old_cert_len)
		sb_b64(&b, "old_cert", st->old_cert, st->old_cert_len);
	sb_kv(&b, "rekey", st->rekey ? "1" : "0");
	if (st->rekey)
		sb_hex(&b, "new_key_id", st->new_key_id, st->new_key_id_len);
	if (st->cmp.transaction_id_len)
		sb_hex(&b, "transaction_id", st->cmp.transaction_id, st->cmp.transaction_id_len);
	if (st->cmp.waiting_rsp_len)
		sb_b64(&b, "waiting_rsp", st->cmp.waiting_rsp, st->cmp.waiting_rsp_len);
	if (st->cmp.last_poll_rsp_len)
		sb_b64(&b, "last_poll_rsp", st->cmp.last_poll_rsp, st->cmp.last_poll_rsp_len);
	if (st->new_cert_len)
		sb_b64(&b, "new_cert", st->new_cert, st->new_cert_len);
	snprintf(num, sizeof(num), "%lld", (long long)(st->created < 0 ? 0 : st->created));
	sb_kv(&b, "created", num);
	snprintf(num, sizeof(num), "%lld", (long long)(st->next_poll < 0 ? 0 : st->next_poll));
	sb_kv(&b, "next_poll", num);
	sb_add(&b, "end\n", 4);
	if (b.oom) {
		seterr(err, errlen, "%s: %s", path, b.oom == 2 ? "a field is too long" : "out of memory");
		free(b.p);
		return -1;
	}
	/* What is written must load: check it with the same parser. */
	struct rn_state chk;
	if (rn_state_parse(path, b.p, b.n, &chk, err, errlen) != 0) {
		free(b.p);
		return -1;
	}
	rn_state_clear(&chk);

	size_t pl = strlen(path);
	char *tmp = malloc(pl + 16);
	if (tmp == NULL) {
		free(b.p);
		seterr(err, errlen, "out of memory");
		return -1;
	}
	snprintf(tmp, pl + 16, "%s.tmp.XXXXXX", path);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		seterr(err, errlen, "%s: cannot create a temporary file: %s", path, strerror(errno));
		free(tmp);
		free(b.p);
		return -1;
	}
	int saved = 0;
	const char *what = NULL;
	if (fchmod(fd, 0600) != 0) {
		what = "chmod";
	} else {
		size_t off = 0;
		while (off < b.n) {
			ssize_t w = write(fd, b.p + off, b.n - off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				what = "write";
				break;
			}
			off += (size_t)w;
		}
		if (what == NULL && fsync(fd) != 0)
			what = "fsync";
	}
	saved = errno;
	if (close(fd) != 0 && what == NULL) {
		what = "close";
		saved = errno;
	}
	if (what == NULL && rename(tmp, path) != 0) {
		what = "rename";
		saved = errno;
	}
	if (what != NULL) {
		unlink(tmp);
		seterr(err, errlen, "%s: %s failed: %s", path, what, strerror(saved));
		free(tmp);
		free(b.p);
		return -1;
	}
	free(tmp);
	free(b.p);
	if (fsync_dir_of(path) != 0) {
		seterr(err, errlen, "%s: fsync of the directory failed: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int rn_state_remove(const char *path, char *err, size_t errlen)
{
	if (unlink(path) != 0) {
		if (errno == ENOENT)
			return 0;
		seterr(err, errlen, "%s: cannot remove: %s", path, strerror(errno));
		return -1;
	}
	if (fsync_dir_of(path) != 0) {
		seterr(err, errlen, "%s: fsync of the directory failed: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}
