/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/profile.c — vendor-profile parser, directory loader, ATR matcher
 * and getters (see profile.h for the file format).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "profile.h"
#include "profile_builtin.h"

#ifndef UKEY_PROFILE_INSTALL_DIR
#define UKEY_PROFILE_INSTALL_DIR "/usr/local/share/ukey/vendor-profiles"
#endif

#define PROFILE_MAX_FILE (64 * 1024) /* a profile is a few hundred bytes */
#define PROFILE_MAX_LINE 1024

static void set_err(char *err, size_t errsz, const char *file, size_t line,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void set_err(char *err, size_t errsz, const char *file, size_t line,
		    const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (!err || !errsz)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(err, errsz, "%s:%zu: %s", file ? file : "(profile)", line, msg);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Hex bytes, separated by spaces/colons or not. Returns 0 or -1. */
static int parse_hex(const char *s, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = 0;

	while (*s) {
		int hi, lo;

		if (*s == ' ' || *s == '\t' || *s == ':') {
			s++;
			continue;
		}
		hi = hexval((unsigned char)s[0]);
		lo = s[1] ? hexval((unsigned char)s[1]) : -1;
		if (hi < 0 || lo < 0 || n >= cap)
			return -1;
		out[n++] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	*len = n;
	return 0;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!*s || *s == '-' || *s == '+' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "yes", "true", "1", "on" };
	static const char *const no[] = { "no", "false", "0", "off" };

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = 0;
	return s;
}

/* Copy a value into a fixed field; too long is an error, not a truncation. */
static int copy_field(char *dst, size_t dstsz, const char *v)
{
	size_t l = strlen(v);

	if (l >= dstsz)
		return -1;
	memcpy(dst, v, l + 1);
	return 0;
}

/* Handle one "key = value" line. Returns NULL or an error message. */
static const char *apply_kv(ukey_profile *p, const char *key, const char *val,
			    int *last_was_atr)
{
	unsigned long u;
	int b;
	size_t len;
	int was_atr = *last_was_atr;

	*last_was_atr = 0;
	if (strcmp(key, "name") == 0) {
		if (copy_field(p->name, sizeof(p->name), val))
			return "name too long";
	} else if (strcmp(key, "driver") == 0) {
		if (copy_field(p->driver, sizeof(p->driver), val))
			return "driver too long";
	} else if (strcmp(key, "layout") == 0) {
		if (copy_field(p->layouts, sizeof(p->layouts), val))
			return "layout list too long";
	} else if (strcmp(key, "manufacturer") == 0) {
		if (copy_field(p->manufacturer, sizeof(p->manufacturer), val))
			return "manufacturer longer than 32 bytes";
	} else if (strcmp(key, "model") == 0) {
		if (copy_field(p->model, sizeof(p->model), val))
			return "model longer than 16 bytes";
	} else if (strcmp(key, "atr") == 0) {
		ukey_atr_pattern *a;

		if (p->n_atrs >= UKEY_PROFILE_MAX_ATRS)
			return "too many atr lines";
		a = &p->atrs[p->n_atrs];
		if (parse_hex(val, a->atr, sizeof(a->atr), &len) || len < 2)
			return "atr: expected 2..33 hex bytes";
		a->len = len;
		memset(a->mask, 0xFF, sizeof(a->mask));
		for (size_t i = 0; i < len; i++)
			a->atr[i] &= a->mask[i];
		p->n_atrs++;
		*last_was_atr = 1;
	} else if (strcmp(key, "atr_mask") == 0) {
		ukey_atr_pattern *a;
		uint8_t m[33];

		if (!was_atr)
			return "atr_mask must directly follow its atr line";
		a = &p->atrs[p->n_atrs - 1];
		if (parse_hex(val, m, sizeof(m), &len))
			return "atr_mask: bad hex";
		if (len != a->len)
			return "atr_mask length differs from its atr";
		memcpy(a->mask, m, len);
		for (size_t i = 0; i < len; i++)
			a->atr[i] &= m[i];
	} else if (strcmp(key, "extended_apdu") == 0) {
		if (parse_bool(val, &b))
			return "extended_apdu: expected yes or no";
		p->chan.extended_ok = b;
	} else if (strcmp(key, "chaining") == 0) {
		if (parse_bool(val, &b))
			return "chaining: expected yes or no";
		p->chan.chaining_ok = b;
	} else if (strcmp(key, "max_lc") == 0) {
		if (parse_uint(val, 65535, &u) || u == 0)
			return "max_lc: expected 1..65535";
		p->chan.max_lc = u;
	} else if (strcmp(key, "max_get_response") == 0) {
		if (parse_uint(val, 4096, &u) || u == 0)
			return "max_get_response: expected 1..4096";
		p->chan.max_get_response = (unsigned)u;
	} else if (strcmp(key, "get_response_cla") == 0) {
		if (parse_uint(val, 255, &u))
			return "get_response_cla: expected 0..255";
		p->chan.get_response_cla = (uint8_t)u;
	} else if (strcmp(key, "pin_min") == 0) {
		if (parse_uint(val, 255, &u))
			return "pin_min: expected 0..255";
		p->pin_min = (unsigned)u;
	} else if (strcmp(key, "pin_max") == 0) {
		if (parse_uint(val, 255, &u) || u == 0)
			return "pin_max: expected 1..255";
		p->pin_max = (unsigned)u;
	}
	/* Every line is kept for the driver-specific getters. A repeated key
	 * (atr/atr_mask) keeps its first value there; the typed fields above
	 * hold them all. */
	for (size_t i = 0; i < p->n_kv; i++)
		if (strcmp(p->kv[i].key, key) == 0)
			return NULL;
	if (p->n_kv >= UKEY_PROFILE_MAX_KV)
		return "too many settings";
	if (copy_field(p->kv[p->n_kv].key, sizeof(p->kv[0].key), key))
		return "key too long";
	if (copy_field(p->kv[p->n_kv].value, sizeof(p->kv[0].value), val))
		return "value too long";
	p->n_kv++;
	return NULL;
}

ukey_rv ukey_profile_parse(const char *text, size_t len, const char *file,
			   ukey_profile *out, char *err, size_t errsz)
{
	size_t pos = 0, lineno = 0;
	int last_was_atr = 0;

	if (err && errsz)
		err[0] = 0;
	if (!text || !out)
		return UKEY_E_ARGS;
	memset(out, 0, sizeof(*out));
	if (file && copy_field(out->file, sizeof(out->file), file))
		snprintf(out->file, sizeof(out->file), "%.*s", (int)sizeof(out->file) - 1, file);
	out->pin_min = 4;
	out->pin_max = 16;

	while (pos < len) {
		char line[PROFILE_MAX_LINE];
		size_t start = pos, l;
		char *s, *eq, *key, *val;

		while (pos < len && text[pos] != '\n')
			pos++;
		l = pos - start;
		if (pos < len)
			pos++; /* skip '\n' */
		lineno++;
		if (l >= sizeof(line)) {
			set_err(err, errsz, file, lineno, "line longer than %zu bytes",
				sizeof(line) - 1);
			return UKEY_E_MALFORMED;
		}
		memcpy(line, text + start, l);
		line[l] = 0;
		if (memchr(line, 0, l)) {
			set_err(err, errsz, file, lineno, "NUL byte in line");
			return UKEY_E_MALFORMED;
		}
		s = trim(line);
		if (!*s || *s == '#')
			continue;
		eq = strchr(s, '=');
		if (!eq) {
			set_err(err, errsz, file, lineno, "expected 'key = value'");
			return UKEY_E_MALFORMED;
		}
		*eq = 0;
		key = trim(s);
		val = trim(eq + 1);
		if (!*key) {
			set_err(err, errsz, file, lineno, "empty key");
			return UKEY_E_MALFORMED;
		}
		for (const char *k = key; *k; k++)
			if (!isalnum((unsigned char)*k) && *k != '_' && *k != '-' && *k != '.') {
				set_err(err, errsz, file, lineno, "bad character in key '%s'", key);
				return UKEY_E_MALFORMED;
			}
		{
			const char *msg = apply_kv(out, key, val, &last_was_atr);

			if (msg) {
				set_err(err, errsz, file, lineno, "%s", msg);
				return UKEY_E_MALFORMED;
			}
		}
	}
	if (!lineno)
		lineno = 1;
	if (!out->name[0]) {
		set_err(err, errsz, file, lineno, "missing 'name'");
		return UKEY_E_MALFORMED;
	}
	if (!out->driver[0]) {
		set_err(err, errsz, file, lineno, "missing 'driver'");
		return UKEY_E_MALFORMED;
	}
	if (!out->n_atrs) {
		set_err(err, errsz, file, lineno, "no 'atr' line");
		return UKEY_E_MALFORMED;
	}
	if (out->pin_min > out->pin_max) {
		set_err(err, errsz, file, lineno, "pin_min > pin_max");
		return UKEY_E_MALFORMED;
	}
	return UKEY_OK;
}

/* ----------------------------------------------------------------- loader */

static void report_line(void (*report)(const char *), const char *line)
{
	if (report)
		report(line);
	else
		fprintf(stderr, "ukey: %s\n", line);
}

static int read_file(const char *path, char **data, size_t *len, char *err,
		     size_t errsz)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;

	if (!f) {
		snprintf(err, errsz, "%s:0: cannot open: %s", path, strerror(errno));
		return -1;
	}
	buf = malloc(PROFILE_MAX_FILE + 1);
	if (!buf) {
		fclose(f);
		return -2;
	}
	n = fread(buf, 1, PROFILE_MAX_FILE + 1, f);
	if (ferror(f)) {
		snprintf(err, errsz, "%s:0: read error", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	if (n > PROFILE_MAX_FILE) {
		snprintf(err, errsz, "%s:0: file larger than %d bytes", path,
			 PROFILE_MAX_FILE);
		free(buf);
		return -1;
	}
	*data = buf;
	*len = n;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* Add or replace (same file name from an earlier directory) a profile. */
static ukey_rv set_put(ukey_profile_set *set, size_t *cap, const ukey_profile *p)
{
	for (size_t i = 0; i < set->n; i++)
		if (strcmp(base_name(set->v[i].file), base_name(p->file)) == 0) {
			set->v[i] = *p;
			return UKEY_OK;
		}
	if (set->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		ukey_profile *nv = realloc(set->v, ncap * sizeof(*nv));

		if (!nv)
			return UKEY_E_NOMEM;
		set->v = nv;
		*cap = ncap;
	}
	set->v[set->n++] = *p;
	return UKEY_OK;
}

static ukey_rv load_dir(const char *dir, ukey_profile_set *set, size_t *cap,
			void (*report)(const char *))
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, ncap = 0;
	ukey_rv rv = UKEY_OK;
	ukey_profile *prof = NULL;

	if (!d)
		return UKEY_OK; /* a missing directory is not an error */
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);

		if (l <= 8 || strcmp(de->d_name + l - 8, ".profile") != 0 ||
		    de->d_name[0] == '.')
			continue;
		if (n == ncap) {
			size_t c2 = ncap ? ncap * 2 : 16;
			char **nn = realloc(names, c2 * sizeof(*nn));

			if (!nn) {
				rv = UKEY_E_NOMEM;
				goto out;
			}
			names = nn;
			ncap = c2;
		}
		names[n] = strdup(de->d_name);
		if (!names[n]) {
			rv = UKEY_E_NOMEM;
			goto out;
		}
		n++;
	}
	qsort(names, n, sizeof(*names), cmp_str);
	prof = malloc(sizeof(*prof));
	if (!prof) {
		rv = UKEY_E_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		/* err holds a path plus a message: room for both, so the
		 * report is never cut (and -Wformat-truncation stays quiet) */
		char path[512], err[512 + 256];
		char *data = NULL;
		size_t len = 0;
		int r;

		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >=
		    sizeof(path)) {
			snprintf(err, sizeof(err), "%s/%s:0: path too long", dir, names[i]);
			report_line(report, err);
			continue;
		}
		r = read_file(path, &data, &len, err, sizeof(err));
		if (r == -2) {
			rv = UKEY_E_NOMEM;
			goto out;
		}
		if (r) {
			report_line(report, err);
			continue;
		}
		if (ukey_profile_parse(data, len, path, prof, err, sizeof(err)) ==
		    UKEY_OK)
			rv = set_put(set, cap, prof);
		else
			report_line(report, err);
		free(data);
		if (rv)
			goto out;
	}
out:
	free(prof);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return rv;
}

/* Does the colon-separated list name the install dir? */
static int names_install_dir(const char *dirs)
{
	static const char inst[] = UKEY_PROFILE_INSTALL_DIR;
	const size_t il = sizeof(inst) - 1;

	for (const char *p = dirs; p; p = strchr(p, ':') ? strchr(p, ':') + 1 : NULL)
		if (strncmp(p, inst, il) == 0 && (p[il] == ':' || p[il] == 0))
			return 1;
	return 0;
}

/* The compiled-in copies of vendor-profiles/, through the same parser and
 * the same reports as files (their file names are the override keys). */
static ukey_rv load_builtins(ukey_profile_set *set, size_t *cap,
			     void (*report)(const char *))
{
	ukey_profile *prof = malloc(sizeof(*prof));
	ukey_rv rv = UKEY_OK;

	if (!prof)
		return UKEY_E_NOMEM;
	for (size_t i = 0; i < ukey_profile_builtins_n && rv == UKEY_OK; i++) {
		const ukey_profile_builtin *b = &ukey_profile_builtins[i];
		char file[300], err[300 + 256];

		snprintf(file, sizeof(file), "built-in:%s", b->file);
		if (ukey_profile_parse((const char *)b->text, b->len, file, prof, err,
				       sizeof(err)) == UKEY_OK)
			rv = set_put(set, cap, prof);
		else
			report_line(report, err);
	}
	free(prof);
	return rv;
}

ukey_rv ukey_profiles_load(const char *dirs, ukey_profile_set *out,
			   void (*report)(const char *line))
{
	size_t cap = 0;
	const char *p;

	if (!out)
		return UKEY_E_ARGS;
	out->v = NULL;
	out->n = 0;
	if (!dirs)
		return UKEY_OK;
	/* The install dir stands for its compiled-in copy too: built-in
	 * profiles are the lowest layer, any file of the same name in the
	 * install dir or a later dir replaces one. */
	if (names_install_dir(dirs)) {
		ukey_rv rv = load_builtins(out, &cap, report);

		if (rv) {
			ukey_profiles_free(out);
			return rv;
		}
	}
	p = dirs;
	while (*p) {
		const char *e = strchr(p, ':');
		size_t l = e ? (size_t)(e - p) : strlen(p);

		if (l > 0 && l < 400) {
			char dir[400];
			ukey_rv rv;

			memcpy(dir, p, l);
			dir[l] = 0;
			rv = load_dir(dir, out, &cap, report);
			if (rv) {
				ukey_profiles_free(out);
				return rv;
			}
		}
		if (!e)
			break;
		p = e + 1;
	}
	return UKEY_OK;
}

const char *ukey_profiles_default_dirs(char *buf, size_t bufsz)
{
	const char *env = getenv("UKEY_PROFILE_DIR");

	if (!buf || !bufsz)
		return NULL;
	if (env && *env)
		snprintf(buf, bufsz, "%s:%s", UKEY_PROFILE_INSTALL_DIR, env);
	else
		snprintf(buf, bufsz, "%s", UKEY_PROFILE_INSTALL_DIR);
	return buf;
}

void ukey_profiles_free(ukey_profile_set *set)
{
	if (!set)
		return;
	free(set->v);
	set->v = NULL;
	set->n = 0;
}

/* ----------------------------------------------------------------- match */

const ukey_profile *ukey_profile_match(const ukey_profile_set *set,
				       const uint8_t *atr, size_t atr_len)
{
	if (!set || !atr)
		return NULL;
	for (size_t i = 0; i < set->n; i++) {
		const ukey_profile *p = &set->v[i];

		for (size_t j = 0; j < p->n_atrs && j < UKEY_PROFILE_MAX_ATRS; j++) {
			const ukey_atr_pattern *a = &p->atrs[j];
			size_t k;

			if (a->len != atr_len)
				continue;
			for (k = 0; k < atr_len; k++)
				if ((atr[k] & a->mask[k]) != a->atr[k])
					break;
			if (k == atr_len)
				return p;
		}
	}
	return NULL;
}

/* ---------------------------------------------------------------- getters */

const char *ukey_profile_get(const ukey_profile *p, const char *key)
{
	if (!p || !key)
		return NULL;
	for (size_t i = 0; i < p->n_kv && i < UKEY_PROFILE_MAX_KV; i++)
		if (strcmp(p->kv[i].key, key) == 0)
			return p->kv[i].value;
	return NULL;
}

ukey_rv ukey_profile_get_hex(const ukey_profile *p, const char *key,
			     uint8_t *out, size_t cap, size_t *len)
{
	const char *v = ukey_profile_get(p, key);
	size_t n;

	if (!v || !out || !len || parse_hex(v, out, cap, &n))
		return UKEY_E_ARGS;
	*len = n;
	return UKEY_OK;
}

unsigned long ukey_profile_get_uint(const ukey_profile *p, const char *key,
				    unsigned long def)
{
	const char *v = ukey_profile_get(p, key);
	unsigned long u;

	if (!v || parse_uint(v, (unsigned long)-1, &u))
		return def;
	return u;
}

int ukey_profile_get_bool(const ukey_profile *p, const char *key, int def)
{
	const char *v = ukey_profile_get(p, key);
	int b;

	if (!v || parse_bool(v, &b))
		return def;
	return b;
}

int ukey_profile_list_next(const char **cursor, const char **item, size_t *len)
{
	const char *s = cursor ? *cursor : NULL, *e;

	if (!s)
		return 0;
	while (*s == ' ' || *s == ',')
		s++;
	if (!*s) {
		*cursor = s;
		return 0;
	}
	for (e = s; *e && *e != ',' && *e != ' '; e++)
		;
	*item = s;
	*len = (size_t)(e - s);
	*cursor = e;
	return 1;
}

int ukey_profile_list_has(const char *list, const char *name)
{
	const char *item;
	size_t l, n = strlen(name);

	while (ukey_profile_list_next(&list, &item, &l))
		if (l == n && strncmp(item, name, n) == 0)
			return 1;
	return 0;
}
