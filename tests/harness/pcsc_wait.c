/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ukey-pcsc-wait — readiness probe for the integration-test harness.
 *
 *   ukey-pcsc-wait --readers N --cards K --timeout-ms T [--print]
 *
 * Polls pcscd directly through libpcsclite (deliberately not through apdu/,
 * so a bug there cannot make the harness lie) until at least N readers are
 * listed and at least K of them show a card. Exit 0 when ready; 1 with a
 * one-line reason on timeout; 2 on a usage error. --print lists the readers
 * on stdout once ready, one a line: "NAME<TAB>card<TAB>ATR-HEX" or
 * "NAME<TAB>empty".
 *
 * Never hangs: besides the bounded PC/SC waits, an alarm ends the process
 * shortly after the deadline in case libpcsclite blocks on a half-started
 * daemon.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <PCSC/winscard.h>

#define POLL_SLICE_MS 100L   /* longest single blocking PC/SC wait */
#define RETRY_SLEEP_MS 10L   /* pause between attempts while pcscd starts */
#define MAX_READERS 64

static void usage(void)
{
	fprintf(stderr, "usage: ukey-pcsc-wait --readers N --cards K "
			"--timeout-ms T [--print]\n");
}

static int parse_num(const char *s, long max, long *out)
{
	char *end = NULL;
	long v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0 || v > max)
		return -1;
	*out = v;
	return 0;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void on_alarm(int sig)
{
	static const char msg[] =
		"ukey-pcsc-wait: timeout: PC/SC call blocked past the deadline\n";

	(void)sig;
	/* async-signal-safe only */
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* nothing more we can do */
	}
	_exit(1);
}

/* "name<TAB>card<TAB>ATRHEX" or "name<TAB>empty" */
static void print_reader(const SCARD_READERSTATE *st)
{
	if (!(st->dwEventState & SCARD_STATE_PRESENT)) {
		printf("%s\tempty\n", st->szReader);
		return;
	}
	printf("%s\tcard\t", st->szReader);
	for (DWORD i = 0; i < st->cbAtr && i < sizeof(st->rgbAtr); i++)
		printf("%02X", st->rgbAtr[i]);
	putchar('\n');
}

/* Last observed state, for the timeout message. */
struct progress {
	long readers, present;
	LONG last_err;
};

/*
 * One attempt on an established context: list readers, read their states,
 * and, if not yet ready, block (bounded) until something changes.
 * Returns 1 ready, 0 not yet, -1 context is dead (re-establish).
 */
static int attempt(SCARDCONTEXT ctx, long want_readers, long want_cards,
		   long wait_ms, int print, struct progress *pg)
{
	char *names = NULL;
	DWORD len = 0;
	SCARD_READERSTATE st[MAX_READERS + 1];
	DWORD n = 0;
	long present = 0;
	LONG rv;
	int ret = 0;

	rv = SCardListReaders(ctx, NULL, NULL, &len);
	if (rv == SCARD_E_NO_READERS_AVAILABLE) {
		pg->readers = pg->present = 0;
		len = 0;
	} else if (rv != SCARD_S_SUCCESS) {
		pg->last_err = rv;
		return -1;
	}
	if (len > 0) {
		/* the reader list comes from pcscd: bound it before using it */
		if (len > (DWORD)(MAX_READERS * (MAX_READERNAME + 1) + 1)) {
			pg->last_err = SCARD_E_INSUFFICIENT_BUFFER;
			return -1;
		}
		names = calloc(1, (size_t)len + 1);
		if (names == NULL) {
			fprintf(stderr, "ukey-pcsc-wait: out of memory\n");
			exit(1);
		}
		rv = SCardListReaders(ctx, NULL, names, &len);
		if (rv != SCARD_S_SUCCESS) {
			/* list changed in between: just retry */
			free(names);
			pg->last_err = rv;
			return rv == SCARD_E_INSUFFICIENT_BUFFER ||
			       rv == SCARD_E_NO_READERS_AVAILABLE ? 0 : -1;
		}
		names[len] = '\0'; /* multi-string: also guard the final NUL */
		for (const char *p = names; *p != '\0' && n < MAX_READERS;
		     p += strlen(p) + 1) {
			memset(&st[n], 0, sizeof(st[n]));
			st[n].szReader = p;
			st[n].dwCurrentState = SCARD_STATE_UNAWARE;
			n++;
		}
	}
	pg->readers = (long)n;

	if (n > 0) {
		rv = SCardGetStatusChange(ctx, 0, st, n);
		if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT) {
			pg->last_err = rv;
			free(names);
			return rv == SCARD_E_UNKNOWN_READER ? 0 : -1;
		}
		for (DWORD i = 0; i < n; i++) {
			if (st[i].dwEventState & SCARD_STATE_PRESENT)
				present++;
			st[i].dwCurrentState = st[i].dwEventState &
					       ~(DWORD)SCARD_STATE_CHANGED;
		}
	}
	pg->present = present;

	if ((long)n >= want_readers && present >= want_cards) {
		if (print) {
			for (DWORD i = 0; i < n; i++)
				print_reader(&st[i]);
		}
		ret = 1;
	} else if (wait_ms > 0) {
		/* Sleep until a card or the reader list changes (the PnP
		 * pseudo-reader), at most one slice: event-driven, no fixed
		 * sleeps on the happy path. */
		memset(&st[n], 0, sizeof(st[n]));
		st[n].szReader = "\\\\?PnP?\\Notification";
		st[n].dwCurrentState = (DWORD)n << 16;
		rv = SCardGetStatusChange(ctx, (DWORD)wait_ms, st, n + 1);
		if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT &&
		    rv != SCARD_E_UNKNOWN_READER) {
			pg->last_err = rv;
			ret = -1;
		}
	}
	free(names);
	return ret;
}

int main(int argc, char **argv)
{
	long want_readers = -1, want_cards = -1, timeout_ms = -1;
	int print = 0;
	struct progress pg = { 0, 0, SCARD_S_SUCCESS };
	long deadline;

	for (int i = 1; i < argc; i++) {
		long *dst = NULL;
		long max = 0;

		if (strcmp(argv[i], "--readers") == 0) {
			dst = &want_readers;
			max = MAX_READERS;
		} else if (strcmp(argv[i], "--cards") == 0) {
			dst = &want_cards;
			max = MAX_READERS;
		} else if (strcmp(argv[i], "--timeout-ms") == 0) {
			dst = &timeout_ms;
			max = 3600L * 1000L;
		} else if (strcmp(argv[i], "--print") == 0) {
			print = 1;
			continue;
		} else {
			fprintf(stderr, "ukey-pcsc-wait: unknown argument '%s'\n",
				argv[i]);
			usage();
			return 2;
		}
		if (i + 1 >= argc || parse_num(argv[i + 1], max, dst) != 0) {
			fprintf(stderr, "ukey-pcsc-wait: %s needs a number "
					"0..%ld\n", argv[i], max);
			return 2;
		}
		i++;
	}
	if (want_readers < 0 || want_cards < 0 || timeout_ms < 0) {
		usage();
		return 2;
	}
	if (want_cards > want_readers) {
		fprintf(stderr, "ukey-pcsc-wait: --cards %ld > --readers %ld\n",
			want_cards, want_readers);
		return 2;
	}

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	alarm((unsigned)(timeout_ms / 1000 + 2));

	deadline = now_ms() + timeout_ms;
	for (;;) {
		SCARDCONTEXT ctx;
		LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL,
						&ctx);

		if (rv == SCARD_S_SUCCESS) {
			int r;

			do {
				long left = deadline - now_ms();

				r = attempt(ctx, want_readers, want_cards,
					    left < POLL_SLICE_MS ? left
								 : POLL_SLICE_MS,
					    print, &pg);
				if (r == 1) {
					SCardReleaseContext(ctx);
					return 0;
				}
			} while (r == 0 && now_ms() < deadline);
			SCardReleaseContext(ctx);
		} else {
			pg.last_err = rv;
		}
		if (now_ms() >= deadline)
			break;
		sleep_ms(RETRY_SLEEP_MS);
	}
	fprintf(stderr,
		"ukey-pcsc-wait: timeout after %ld ms: %ld/%ld readers, "
		"%ld/%ld cards present (last PC/SC error: %s)\n",
		timeout_ms, pg.readers, want_readers, pg.present, want_cards,
		pg.last_err == SCARD_S_SUCCESS ? "none"
					       : pcsc_stringify_error(pg.last_err));
	return 1;
}
