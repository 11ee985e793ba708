/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * APDU tracing: one line per command and one per response, hex, with a
 * wall-clock timestamp (microseconds) and the round-trip time. Data of
 * PIN/key-carrying commands is never written, only its length.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apdu.h"

struct ukey_trace {
	FILE *fp;
	int owns_fp;
	int shared;          /* the environment trace (refcounted singleton) */
	pthread_mutex_t lock;
};

/* The trace configured from the environment is shared by every channel of
 * the process so that lines from several threads never interleave. */
static pthread_mutex_t env_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ukey_trace *env_trace;
static unsigned long env_refs;

static int debug_has_apdu(const char *v)
{
	while (v != NULL && *v != '\0') {
		size_t n = strcspn(v, ", ");
		if ((n == 4 && strncmp(v, "apdu", 4) == 0) ||
		    (n == 3 && strncmp(v, "all", 3) == 0))
			return 1;
		v += n;
		v += strspn(v, ", ");
	}
	return 0;
}

static struct ukey_trace *trace_alloc(FILE *fp, int owns)
{
	struct ukey_trace *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->fp = fp;
	t->owns_fp = owns;
	pthread_mutex_init(&t->lock, NULL);
	return t;
}

struct ukey_trace *ukey_trace_from_env(void)
{
	const char *dbg = getenv("UKEY_DEBUG");
	if (!debug_has_apdu(dbg))
		return NULL;
	pthread_mutex_lock(&env_lock);
	if (env_trace == NULL) {
		FILE *fp = stderr;
		int owns = 0;
		const char *path = getenv("UKEY_DEBUG_FILE");
		if (path != NULL && *path != '\0') {
			FILE *f = fopen(path, "ae"); /* append, close-on-exec */
			if (f != NULL) {
				fp = f;
				owns = 1;
			} else {
				fprintf(stderr, "ukey: cannot open UKEY_DEBUG_FILE, "
						"tracing to stderr\n");
			}
		}
		env_trace = trace_alloc(fp, owns);
		if (env_trace == NULL) {
			if (owns)
				fclose(fp);
			pthread_mutex_unlock(&env_lock);
			return NULL;
		}
		env_trace->shared = 1;
	}
	env_refs++;
	struct ukey_trace *t = env_trace;
	pthread_mutex_unlock(&env_lock);
	return t;
}

struct ukey_trace *ukey_trace_new_fp(void *fp)
{
	if (fp == NULL)
		return NULL;
	return trace_alloc(fp, 0);
}

static void trace_destroy(struct ukey_trace *t)
{
	if (t->owns_fp)
		fclose(t->fp);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

void ukey_trace_free(struct ukey_trace *t)
{
	if (t == NULL)
		return;
	if (t->shared) {
		pthread_mutex_lock(&env_lock);
		if (env_refs > 0 && --env_refs == 0 && env_trace == t) {
			env_trace = NULL;
			trace_destroy(t);
		}
		pthread_mutex_unlock(&env_lock);
		return;
	}
	trace_destroy(t);
}

/* A growable line buffer; on allocation failure the line is truncated. */
typedef struct {
	char *p;
	size_t len, cap;
	int failed;
} line_buf;

static void lb_reserve(line_buf *b, size_t more)
{
	if (b->failed || b->len + more + 1 <= b->cap)
		return;
	size_t ncap = b->cap ? b->cap : 256;
	while (ncap < b->len + more + 1)
		ncap *= 2;
	char *np = realloc(b->p, ncap);
	if (np == NULL) {
		b->failed = 1;
		return;
	}
	b->p = np;
	b->cap = ncap;
}

static void lb_printf(line_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void lb_printf(line_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	lb_reserve(b, (size_t)n);
	if (b->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static void lb_hex(line_buf *b, const uint8_t *p, size_t n)
{
	static const char hx[] = "0123456789ABCDEF";
	lb_reserve(b, n * 3);
	if (b->failed)
		return;
	for (size_t i = 0; i < n; i++) {
		b->p[b->len++] = ' ';
		b->p[b->len++] = hx[p[i] >> 4];
		b->p[b->len++] = hx[p[i] & 15];
	}
	b->p[b->len] = '\0';
}

/* Timestamp `back_us` microseconds ago (the command line is written after
 * the exchange, stamped with its send time). */
static void lb_stamp_at(line_buf *b, long back_us)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (back_us > 0) {
		long long ns = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec -
			       (long long)back_us * 1000LL;
		ts.tv_sec = (time_t)(ns / 1000000000LL);
		ts.tv_nsec = (long)(ns % 1000000000LL);
	}
	gmtime_r(&ts.tv_sec, &tm);
	lb_printf(b, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ ukey apdu ",
		  tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		  tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000);
}

static void lb_stamp(line_buf *b)
{
	lb_stamp_at(b, 0);
}

static void trace_write(struct ukey_trace *t, line_buf *b)
{
	if (b->p == NULL)
		return;
	pthread_mutex_lock(&t->lock);
	fputs(b->p, t->fp);
	fflush(t->fp);
	pthread_mutex_unlock(&t->lock);
}

void ukey_trace_note(struct ukey_trace *t, const char *fmt, ...)
{
	if (t == NULL || fmt == NULL)
		return;
	line_buf b = {0};
	lb_stamp(&b);
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* One line per note: flatten any embedded newlines. */
	for (char *c = msg; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	lb_printf(&b, "-- %s\n", msg);
	trace_write(t, &b);
	free(b.p);
}

static int ins_is_sensitive(uint8_t ins)
{
	return ins == 0x20 || ins == 0x24 || ins == 0x2C || ins == 0xF4;
}

/* Header, Lc, "** redacted **", Le: shows the shape, never the data. */
static void put_redacted(line_buf *b, const uint8_t *cmd, size_t cmdlen)
{
	ukey_apdu a;
	lb_hex(b, cmd, cmdlen < 4 ? cmdlen : 4);
	if (cmdlen <= 4)
		return;
	if (ukey_apdu_decode(cmd, cmdlen, &a) != UKEY_OK) {
		lb_printf(b, " ** redacted (%zu bytes) **", cmdlen - 4);
		return;
	}
	size_t lc_off = 4, lc_bytes = 0;
	if (a.lc > 0)
		lc_bytes = a.lc > 255 || cmd[4] == 0 ? 3 : 1;
	if (lc_bytes)
		lb_hex(b, cmd + lc_off, lc_bytes);
	if (a.lc > 0)
		lb_printf(b, " ** redacted (%zu bytes) **", a.lc);
	size_t tail = cmdlen - 4 - lc_bytes - a.lc; /* the Le field */
	if (tail > 0)
		lb_hex(b, cmd + cmdlen - tail, tail);
}

void ukey_trace_exchange(struct ukey_trace *t, const uint8_t *cmd,
			 size_t cmdlen, int sensitive, const uint8_t *rsp,
			 size_t rsplen, long usec)
{
	if (t == NULL)
		return;
	line_buf b = {0};
	lb_stamp_at(&b, usec);
	lb_printf(&b, ">>");
	if (cmd == NULL || cmdlen == 0) {
		lb_printf(&b, " (empty)");
	} else if (sensitive || (cmdlen >= 2 && ins_is_sensitive(cmd[1]))) {
		put_redacted(&b, cmd, cmdlen);
	} else {
		lb_hex(&b, cmd, cmdlen);
	}
	lb_printf(&b, "\n");
	lb_stamp(&b);
	lb_printf(&b, "<<");
	if (rsp == NULL)
		lb_printf(&b, " (no response)");
	else if (rsplen == 0)
		lb_printf(&b, " (empty)");
	else
		lb_hex(&b, rsp, rsplen);
	lb_printf(&b, " (%ld us)\n", usec);
	trace_write(t, &b);
	free(b.p);
}
