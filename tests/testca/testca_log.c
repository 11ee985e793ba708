/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One line per request to --log FILE (or stderr); diagnostics to stderr. */
#include <pthread.h>
#include <stdarg.h>
#include <string.h>

#include "testca.h"

static FILE *g_log;
static pthread_mutex_t g_log_lock = PTHREAD_MUTEX_INITIALIZER;

void testca_log_open(const char *file)
{
    if (file != NULL && strcmp(file, "-") != 0)
        g_log = fopen(file, "a");
    if (g_log == NULL) {
        if (file != NULL && strcmp(file, "-") != 0)
            fprintf(stderr, "ukey-testca: cannot open log %s, using stderr\n", file);
        g_log = stderr;
    }
    setvbuf(g_log, NULL, _IOLBF, 0);
}

void testca_log_close(void)
{
    if (g_log != NULL && g_log != stderr)
        fclose(g_log);
    g_log = NULL;
}

/* fmt comes from the printf-checked callers below (clang wants it said) */
__attribute__((format(printf, 2, 0)))
static void vline(FILE *f, const char *fmt, va_list ap)
{
    char ts[32];
    time_t now = time(NULL);
    struct tm tm;

    gmtime_r(&now, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
    pthread_mutex_lock(&g_log_lock);
    fprintf(f, "%s ", ts);
    vfprintf(f, fmt, ap);
    fputc('\n', f);
    fflush(f);
    pthread_mutex_unlock(&g_log_lock);
}

void testca_log(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vline(g_log != NULL ? g_log : stderr, fmt, ap);
    va_end(ap);
}

void testca_msg(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vline(stderr, fmt, ap);
    va_end(ap);
}
