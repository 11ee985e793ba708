/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rn_config.c — renew.conf: "key = value" lines, whole-line '#' comments,
 * blank lines. Keys: server, trust_dir, module, window_days,
 * wait_limit_minutes, poll_seconds, support_text. A value runs to the end of
 * the line (surrounding blanks removed), so '#' inside a value is kept.
 * Errors: "FILE:LINE: what" (English; the CLI puts a translated sentence
 * before it). A file that fails leaves the configuration unchanged.
 */
#include "rn_config.h"
#include "rn_store_util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RN_CONFIG_MAX_FILE (64u * 1024u)
#define RN_CONFIG_SYSTEM "/etc/ukey/renew.conf"

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

void rn_config_defaults(struct rn_config *c)
{
	memset(c, 0, sizeof(*c));
	c->window_days = 180;
	c->wait_limit_minutes = 30;
	c->poll_seconds = 0;
	if (geteuid() == 0) {
		snprintf(c->trust_dir, sizeof(c->trust_dir), "/etc/ukey/trust");
		return;
	}
	const char *x = getenv("XDG_CONFIG_HOME");
	if (x != NULL && x[0] == '/') {
		snprintf(c->trust_dir, sizeof(c->trust_dir), "%s/ukey/trust", x);
		return;
	}
	const char *h = rn_home_dir();
	if (h != NULL)
		snprintf(c->trust_dir, sizeof(c->trust_dir), "%s/.config/ukey/trust", h);
}

enum ckey { C_SERVER, C_TRUST_DIR, C_MODULE, C_WINDOW, C_WAIT, C_POLL, C_SUPPORT, C_COUNT };

static const struct {
	const char *name;
	long min, max; /* numbers; min > max: a string */
} keys[C_COUNT] = {
	[C_SERVER] = { "server", 1, 0 },
	[C_TRUST_DIR] = { "trust_dir", 1, 0 },
	[C_MODULE] = { "module", 1, 0 },
	[C_WINDOW] = { "window_days", 1, 3650 },
	[C_WAIT] = { "wait_limit_minutes", 1, 10080 },
	[C_POLL] = { "poll_seconds", 0, 3600 },
	[C_SUPPORT] = { "support_text", 1, 0 },
};

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* "~/x" → $HOME/x */
static int set_path(char *dst, size_t cap, const char *v, size_t n)
{
	if (n >= 2 && v[0] == '~' && v[1] == '/') {
		const char *h = rn_home_dir();
		if (h == NULL)
			return -1;
		int w = snprintf(dst, cap, "%s%.*s", h, (int)(n - 1), v + 1);
		return (w < 0 || (size_t)w >= cap) ? -1 : 0;
	}
	if (n >= cap)
		return -1;
	memcpy(dst, v, n);
	dst[n] = '\0';
	return 0;
}

static int check_url(const char *v, size_t n, const char **what)
{
	size_t p;
	if (n >= 7 && memcmp(v, "http://", 7) == 0)
		p = 7;
	else if (n >= 8 && memcmp(v, "https://", 8) == 0)
		p = 8;
	else
		return (*what = "server must be an http:// or https:// URL"), -1;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] <= 0x20 || (unsigned char)v[i] >= 0x7f)
			return (*what = "server URL contains a space or a non-ASCII character"), -1;
	if (p == n || v[p] == '/' || v[p] == ':' || v[p] == '?' || v[p] == '#')
		return (*what = "server URL has no host"), -1;
	return 0;
}

int rn_config_parse(struct rn_config *c, const char *name, const char *buf, size_t len,
		    char *err, size_t errlen)
{
	if (name == NULL)
		name = "(config)";
	if (len > RN_CONFIG_MAX_FILE) {
		seterr(err, errlen, "%s:1: file too large (%zu bytes, at most %u)", name, len,
		       RN_CONFIG_MAX_FILE);
		return -1;
	}
	struct rn_config nc = *c;
	unsigned seen = 0;
	unsigned long line = 0;
	size_t pos = 0;
	while (pos < len) {
		line++;
		const char *l = buf + pos;
		const char *nl = memchr(l, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - l) : len - pos;
		pos += n + (nl ? 1 : 0);
		if (n > 0 && l[n - 1] == '\r')
			n--;
		for (size_t i = 0; i < n; i++) {
			unsigned char ch = (unsigned char)l[i];
			if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
				seterr(err, errlen, "%s:%lu: control character in line", name, line);
				return -1;
			}
		}
		if (line == 1 && n >= 3 && memcmp(l, "\xef\xbb\xbf", 3) == 0) {
			l += 3; /* UTF-8 byte order mark */
			n -= 3;
		}
		size_t s = 0;
		while (s < n && is_blank(l[s]))
			s++;
		if (s == n || l[s] == '#')
			continue;
		const char *eq = memchr(l + s, '=', n - s);
		if (eq == NULL) {
			seterr(err, errlen, "%s:%lu: missing '=' (expected \"key = value\")", name, line);
			return -1;
		}
		size_t ke = (size_t)(eq - l);
		while (ke > s && is_blank(l[ke - 1]))
			ke--;
		size_t vs = (size_t)(eq - l) + 1, ve = n;
		while (vs < ve && is_blank(l[vs]))
			vs++;
		while (ve > vs && is_blank(l[ve - 1]))
			ve--;
		const char *k = l + s, *v = l + vs;
		size_t kl = ke - s, vl = ve - vs;
		if (kl == 0) {
			seterr(err, errlen, "%s:%lu: missing key before '='", name, line);
			return -1;
		}
		int id = -1;
		for (int i = 0; i < C_COUNT; i++)
			if (strlen(keys[i].name) == kl && memcmp(keys[i].name, k, kl) == 0)
				id = i;
		if (id < 0) {
			seterr(err, errlen, "%s:%lu: unknown key '%.*s'", name, line,
			       (int)(kl > 40 ? 40 : kl), k);
			return -1;
		}
		if (seen & (1u << id)) {
			seterr(err, errlen, "%s:%lu: duplicate key '%s'", name, line, keys[id].name);
			return -1;
		}
		seen |= 1u << id;
		if (keys[id].min <= keys[id].max) {
			/* a number */
			char tmp[24];
			if (vl == 0 || vl >= sizeof(tmp)) {
				seterr(err, errlen, "%s:%lu: %s: not a number", name, line, keys[id].name);
				return -1;
			}
			memcpy(tmp, v, vl);
			tmp[vl] = '\0';
			for (size_t i = 0; i < vl; i++)
				if (tmp[i] < '0' || tmp[i] > '9') {
					seterr(err, errlen, "%s:%lu: %s: not a number: '%s'", name,
					       line, keys[id].name, tmp);
					return -1;
				}
			errno = 0;
			long x = strtol(tmp, NULL, 10);
			if (errno != 0 || x < keys[id].min || x > keys[id].max) {
				seterr(err, errlen, "%s:%lu: %s: %s out of range %ld..%ld", name, line,
				       keys[id].name, tmp, keys[id].min, keys[id].max);
				return -1;
			}
			if (id == C_WINDOW)
				nc.window_days = x;
			else if (id == C_WAIT)
				nc.wait_limit_minutes = x;
			else
				nc.poll_seconds = x;
			continue;
		}
		const char *what = NULL;
		switch (id) {
		case C_SERVER:
			if (check_url(v, vl, &what) == 0 && vl >= sizeof(nc.server))
				what = "server URL too long";
			if (what == NULL) {
				memcpy(nc.server, v, vl);
				nc.server[vl] = '\0';
			}
			break;
		case C_TRUST_DIR:
		case C_MODULE: {
			char *dst = id == C_TRUST_DIR ? nc.trust_dir : nc.module;
			size_t cap = id == C_TRUST_DIR ? sizeof(nc.trust_dir) : sizeof(nc.module);
			if (vl == 0)
				what = "empty value";
			else if (id == C_TRUST_DIR && v[0] != '/' && !(vl >= 2 && v[0] == '~' && v[1] == '/'))
				what = "trust_dir must be an absolute path";
			else if (set_path(dst, cap, v, vl) != 0)
				what = "path too long";
			break;
		}
		case C_SUPPORT:
			if (vl >= sizeof(nc.support_text)) {
				what = "support_text too long";
			} else {
				memcpy(nc.support_text, v, vl);
				nc.support_text[vl] = '\0';
			}
			break;
		default:
			what = "internal error";
		}
		if (what != NULL) {
			seterr(err, errlen, "%s:%lu: %s", name, line, what);
			return -1;
		}
	}
	*c = nc;
	return 0;
}

int rn_config_load(struct rn_config *c, const char *path, int must_exist, char *err, size_t errlen)
{
	char *buf;
	size_t n;
	int r = rn_read_file(path, 0, !must_exist, RN_CONFIG_MAX_FILE, &buf, &n, err, errlen);
	if (r != 0)
		return r > 0 ? 0 : -1; /* an optional file that is not there */
	int rc = rn_config_parse(c, path, buf, n, err, errlen);
	free(buf);
	return rc;
}

int rn_config_load_all(struct rn_config *c, const char *extra, char *err, size_t errlen)
{
	/* UKEY_RENEW_SYSTEM_CONFIG replaces /etc/ukey/renew.conf (tests). */
	const char *sys = getenv("UKEY_RENEW_SYSTEM_CONFIG");
	if (sys == NULL || sys[0] == '\0')
		sys = RN_CONFIG_SYSTEM;
	if (rn_config_load(c, sys, 0, err, errlen) != 0)
		return -1;
	char user[4096];
	const char *x = getenv("XDG_CONFIG_HOME");
	const char *h = rn_home_dir();
	int w = -1;
	if (x != NULL && x[0] == '/')
		w = snprintf(user, sizeof(user), "%s/ukey/renew.conf", x);
	else if (h != NULL)
		w = snprintf(user, sizeof(user), "%s/.config/ukey/renew.conf", h);
	if (w > 0 && (size_t)w < sizeof(user) && rn_config_load(c, user, 0, err, errlen) != 0)
		return -1;
	if (extra != NULL && rn_config_load(c, extra, 1, err, errlen) != 0)
		return -1;
	return 0;
}
