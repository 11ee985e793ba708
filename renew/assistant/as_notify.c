/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * as_notify.c — thresholds and the notify.state file (see as_notify.h).
 * File: one line per certificate, "SERIAL IDHEX NOTAFTER MASK".
 */
#include "as_notify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const long as_thresholds[AS_N_THRESHOLDS] = { 60, 30, 10, 3 };

long as_days_between(time_t now, time_t not_after)
{
	long long d = (long long)not_after - (long long)now;
	if (d >= 0)
		return (long)(d / 86400);
	return (long)-((-d + 86399) / 86400);
}

long as_notify_decide(long days_left, unsigned *mask)
{
	int hit = -1;
	for (int i = 0; i < AS_N_THRESHOLDS; i++)
		if (days_left <= as_thresholds[i])
			hit = i; /* the thresholds decrease: the last one crossed is the most urgent */
	if (hit < 0 || (*mask & (1u << hit)))
		return 0;
	for (int i = 0; i <= hit; i++)
		*mask |= 1u << i;
	return as_thresholds[hit];
}

time_t as_now(void)
{
	const char *e = getenv("UKEY_ASSISTANT_NOW");
	if (e != NULL && e[0] != '\0') {
		char *end;
		long long v = strtoll(e, &end, 10);
		if (*end == '\0')
			return (time_t)v;
	}
	return time(NULL);
}

int as_notify_state_path(char *buf, size_t n)
{
	const char *x = getenv("XDG_STATE_HOME");
	int r;
	if (x != NULL && x[0] == '/')
		r = snprintf(buf, n, "%s/ukey/notify.state", x);
	else {
		const char *h = getenv("HOME");
		if (h == NULL || h[0] == '\0')
			return -1;
		r = snprintf(buf, n, "%s/.local/state/ukey/notify.state", h);
	}
	return (r < 0 || (size_t)r >= n) ? -1 : 0;
}

static struct as_notify_entry *add(struct as_notify_state *s)
{
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 8;
		struct as_notify_entry *ne = realloc(s->e, nc * sizeof(*ne));
		if (ne == NULL)
			return NULL;
		s->e = ne;
		s->cap = nc;
	}
	struct as_notify_entry *e = &s->e[s->n++];
	memset(e, 0, sizeof(*e));
	return e;
}

int as_notify_state_load(struct as_notify_state *s, const char *path)
{
	memset(s, 0, sizeof(*s));
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return errno == ENOENT ? 0 : -1;
	char line[512];
	while (fgets(line, sizeof(line), f) != NULL) {
		char serial[17], id[129];
		long long na;
		unsigned mask;
		if (line[0] == '#' || sscanf(line, "%16s %128s %lld %u", serial, id, &na, &mask) != 4)
			continue;
		struct as_notify_entry *e = add(s);
		if (e == NULL)
			break;
		memcpy(e->token_serial, serial, sizeof(serial));
		memcpy(e->id_hex, id, sizeof(id));
		e->not_after = na;
		e->mask = mask & ((1u << AS_N_THRESHOLDS) - 1);
	}
	fclose(f);
	return 0;
}

static int mkdir_p(char *dir)
{
	for (char *p = dir + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(dir, 0700) != 0 && errno != EEXIST)
				return -1;
			*p = '/';
		}
	return (mkdir(dir, 0700) != 0 && errno != EEXIST) ? -1 : 0;
}

int as_notify_state_save(const struct as_notify_state *s, const char *path)
{
	char dir[4096], tmp[4200];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash == NULL)
		return -1;
	*slash = '\0';
	if (mkdir_p(dir) != 0)
		return -1;
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "w");
	if (f == NULL)
		return -1;
	fprintf(f, "# ukey-assistant --notify: thresholds announced (60 30 10 3 days = bits 1 2 4 8)\n");
	for (size_t i = 0; i < s->n; i++)
		fprintf(f, "%s %s %lld %u\n", s->e[i].token_serial[0] ? s->e[i].token_serial : "-",
			s->e[i].id_hex[0] ? s->e[i].id_hex : "-", s->e[i].not_after, s->e[i].mask);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		fclose(f);
		unlink(tmp);
		return -1;
	}
	fclose(f);
	if (rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

struct as_notify_entry *as_notify_state_get(struct as_notify_state *s, const char *serial,
					   const char *id_hex, long long not_after)
{
	const char *sr = serial[0] ? serial : "-", *ih = id_hex[0] ? id_hex : "-";
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->e[i].token_serial, sr) == 0 && strcmp(s->e[i].id_hex, ih) == 0 &&
		    s->e[i].not_after == not_after)
			return &s->e[i];
	struct as_notify_entry *e = add(s);
	if (e == NULL)
		return NULL;
	snprintf(e->token_serial, sizeof(e->token_serial), "%s", sr);
	snprintf(e->id_hex, sizeof(e->id_hex), "%s", ih);
	e->not_after = not_after;
	return e;
}

void as_notify_state_free(struct as_notify_state *s)
{
	free(s->e);
	memset(s, 0, sizeof(*s));
}
