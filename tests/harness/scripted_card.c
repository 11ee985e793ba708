/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ukey-scripted-card — a trivial virtual card for vpcd, for transport tests.
 *
 *   ukey-scripted-card --port P [--atr HEX] [--script FILE]
 *                      [--reconnect[=MS]] [--verbose]
 *
 * Connects to vpcd on 127.0.0.1:P (retrying until vpcd listens), answers
 * power on/off/reset/ATR, and answers command APDUs:
 *   1. a pending GET RESPONSE (after a 61xx from a built-in),
 *   2. the script: lines ">> HEX" (a trailing '*' makes it a prefix match)
 *      followed by "<< HEX"; '#' starts a comment. If several entries match
 *      a command they are used in turn, the last one repeating.
 *   3. the built-ins of scripted_card.h (600-byte 61xx answer, 6Cxx, pull…),
 *   4. otherwise 6D 00.
 *
 * Pulling the card (built-in 80 E3, or SIGUSR2 at any time) closes the
 * connection, which vpcd reports as a removed card. The card comes back on
 * SIGUSR1, or by itself MS milliseconds later (default 1000) with
 * --reconnect. A connection closed by vpcd is re-established at once.
 *
 * It deliberately shares no code with tests/vtoken/: the harness must not
 * depend on the thing it is used to test.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "scripted_card.h"

#define PROG "ukey-scripted-card"
#define MSG_MAX 65535u           /* vpcd frames carry a 16-bit length */
#define SCRIPT_MAX_ENTRIES 4096u
#define CONNECT_RETRY_MS 10L
#define PARTIAL_READ_MS 5000     /* a frame that stalls this long = dead link */

/* ------------------------------------------------------------- utilities */

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Parse hex (spaces/tabs/colons ignored) into a malloc'd buffer.
 * Returns 0, or -1 on a bad digit, odd count or more than max bytes. */
static int parse_hex(const char *s, size_t max, uint8_t **out, size_t *outlen)
{
	size_t cap = strlen(s) / 2 + 1, n = 0;
	uint8_t *b = malloc(cap);
	int hi = -1;

	if (b == NULL)
		return -1;
	for (; *s != '\0'; s++) {
		int v;

		if (*s == ' ' || *s == '\t' || *s == ':' || *s == '\r' ||
		    *s == '\n')
			continue;
		v = hexval((unsigned char)*s);
		if (v < 0)
			goto bad;
		if (hi < 0) {
			hi = v;
		} else {
			if (n >= max || n >= cap)
				goto bad;
			b[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0)
		goto bad;
	*out = b;
	*outlen = n;
	return 0;
bad:
	free(b);
	return -1;
}

static void trace(int verbose, const char *dir, const uint8_t *p, size_t n)
{
	if (!verbose)
		return;
	fprintf(stderr, PROG ": %s", dir);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, " %02X", p[i]);
	fputc('\n', stderr);
}

/* ---------------------------------------------------------------- script */

struct entry {
	uint8_t *cmd, *rsp;
	size_t cmdlen, rsplen;
	int prefix;  /* cmd is a prefix */
	int used;
};

struct script {
	struct entry *e;
	size_t n;
};

static void script_free(struct script *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->e[i].cmd);
		free(s->e[i].rsp);
	}
	free(s->e);
	s->e = NULL;
	s->n = 0;
}

static int script_load(const char *path, struct script *s)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	unsigned long lineno = 0;
	int want_rsp = 0, ret = -1;
	const char *why = "";

	if (f == NULL) {
		fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
		return -1;
	}
	s->e = calloc(SCRIPT_MAX_ENTRIES, sizeof(*s->e));
	if (s->e == NULL)
		goto out;
	while (getline(&line, &cap, f) >= 0) {
		char *p = line, *hash;
		struct entry *e;

		lineno++;
		hash = strchr(p, '#');
		if (hash != NULL)
			*hash = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '\n' || *p == '\r')
			continue;
		if (strncmp(p, ">>", 2) == 0 && !want_rsp) {
			char *star;

			if (s->n >= SCRIPT_MAX_ENTRIES) {
				fprintf(stderr, PROG ": %s:%lu: too many "
					"entries\n", path, lineno);
				goto out;
			}
			e = &s->e[s->n];
			star = strchr(p + 2, '*');
			if (star != NULL) {
				e->prefix = 1;
				*star = '\0';
				/* nothing but blanks may follow the '*' */
				why = ": only blanks may follow '*'";
				for (char *q = star + 1; *q != '\0'; q++)
					if (*q != ' ' && *q != '\t' &&
					    *q != '\r' && *q != '\n')
						goto syntax;
			}
			why = ": bad hex";
			if (parse_hex(p + 2, MSG_MAX, &e->cmd, &e->cmdlen) != 0)
				goto syntax;
			s->n++; /* the entry owns cmd now (freed on error) */
			why = ": a command has at least CLA INS P1 P2";
			if (e->cmdlen < (e->prefix ? 1u : 4u))
				goto syntax;
			want_rsp = 1;
		} else if (strncmp(p, "<<", 2) == 0 && want_rsp) {
			e = &s->e[s->n - 1];
			why = ": bad hex, or less than SW1 SW2";
			if (parse_hex(p + 2, MSG_MAX, &e->rsp, &e->rsplen) != 0 ||
			    e->rsplen < 2)
				goto syntax;
			want_rsp = 0;
		} else {
			why = "";
			goto syntax;
		}
	}
	if (ferror(f)) {
		fprintf(stderr, PROG ": %s: read error\n", path);
		goto out;
	}
	if (want_rsp) {
		fprintf(stderr, PROG ": %s: last '>>' has no '<<'\n", path);
		goto out;
	}
	ret = 0;
	goto out;
syntax:
	fprintf(stderr, PROG ": %s:%lu: expected a %s HEX line%s\n", path,
		lineno, want_rsp ? "'<<'" : "'>>'", why);
out:
	free(line);
	fclose(f);
	if (ret != 0)
		script_free(s);
	return ret;
}

static const struct entry *script_match(struct script *s, const uint8_t *cmd,
					size_t len)
{
	struct entry *last = NULL;

	for (size_t i = 0; i < s->n; i++) {
		struct entry *e = &s->e[i];
		int hit = e->prefix ? (len >= e->cmdlen &&
				       memcmp(cmd, e->cmd, e->cmdlen) == 0)
				    : (len == e->cmdlen &&
				       memcmp(cmd, e->cmd, len) == 0);

		if (!hit)
			continue;
		if (!e->used) {
			e->used = 1;
			return e;
		}
		last = e;
	}
	return last;
}

/* ------------------------------------------------------------------ card */

struct card {
	struct script script;
	uint8_t atr[33];
	size_t atrlen;
	int verbose;
	/* volatile card state (cleared on power on / reset) */
	uint8_t pending[SC_BIG_LEN];
	size_t pending_len, pending_off;
	uint32_t counter;
};

static void card_reset(struct card *c)
{
	c->pending_len = c->pending_off = 0;
	c->counter = 0;
}

static size_t put_sw(uint8_t *r, size_t n, unsigned sw)
{
	r[n] = (uint8_t)(sw >> 8);
	r[n + 1] = (uint8_t)sw;
	return n + 2;
}

/* Hand out the next piece of pending data: at most `le` bytes. */
static size_t give_pending(struct card *c, size_t le, uint8_t *r)
{
	size_t left = c->pending_len - c->pending_off;
	size_t n = le < left ? le : left;

	memcpy(r, c->pending + c->pending_off, n);
	c->pending_off += n;
	left -= n;
	if (left == 0) {
		c->pending_len = c->pending_off = 0;
		return put_sw(r, n, 0x9000);
	}
	return put_sw(r, n, 0x6100u | (left >= 256 ? 0u : (unsigned)left));
}

/* Le of a short case-2 command (len 5), 256 for "00"; 0 if not case 2. */
static size_t short_le(const uint8_t *cmd, size_t len)
{
	if (len != 5)
		return 0;
	return cmd[4] == 0 ? 256 : cmd[4];
}

/* Returns the response length, or 0 to pull the card. r holds MSG_MAX. */
static size_t card_apdu(struct card *c, const uint8_t *cmd, size_t len,
			uint8_t *r)
{
	const struct entry *e;
	int had_pending = c->pending_len > 0;

	c->counter++;
	if (len < 4)
		return put_sw(r, 0, 0x6700);

	if (cmd[1] == 0xC0 && had_pending) {
		size_t le = short_le(cmd, len);

		if (le == 0)
			return put_sw(r, 0, 0x6700);
		return give_pending(c, le, r);
	}
	/* any other command drops what GET RESPONSE would have returned */
	c->pending_len = c->pending_off = 0;

	e = script_match(&c->script, cmd, len);
	if (e != NULL) {
		memcpy(r, e->rsp, e->rsplen);
		return e->rsplen;
	}

	if (cmd[0] != SC_CLA || cmd[1] < SC_INS_BIG_T0 ||
	    cmd[1] > SC_INS_COUNTER)
		return put_sw(r, 0, cmd[1] == 0xC0 ? 0x6985 : 0x6D00);
	if (cmd[2] != 0 || cmd[3] != 0)
		return put_sw(r, 0, 0x6A86);

	switch (cmd[1]) {
	case SC_INS_BIG_T0:
	case SC_INS_BIG_DATA:
		if (len != 5)
			return put_sw(r, 0, 0x6700);
		for (size_t i = 0; i < SC_BIG_LEN; i++)
			c->pending[i] = sc_big_byte(i);
		c->pending_len = SC_BIG_LEN;
		c->pending_off = 0;
		if (cmd[1] == SC_INS_BIG_DATA)
			return give_pending(c, 256, r);
		return put_sw(r, 0, 0x6100); /* 256 or more waiting */
	case SC_INS_EXACT_LE:
		if (len != 5)
			return put_sw(r, 0, 0x6700);
		if (short_le(cmd, len) != SC_EXACT_LEN)
			return put_sw(r, 0, 0x6C00 | SC_EXACT_LEN);
		for (size_t i = 0; i < SC_EXACT_LEN; i++)
			r[i] = sc_exact_byte(i);
		return put_sw(r, SC_EXACT_LEN, 0x9000);
	case SC_INS_PULL:
		return 0;
	case SC_INS_ECHO:
		if (len < 6 || cmd[4] == 0 ||
		    (len != 5u + cmd[4] && len != 6u + cmd[4]))
			return put_sw(r, 0, 0x6700);
		memcpy(r, cmd + 5, cmd[4]);
		return put_sw(r, cmd[4], 0x9000);
	default: /* SC_INS_COUNTER */
		r[0] = (uint8_t)(c->counter >> 24);
		r[1] = (uint8_t)(c->counter >> 16);
		r[2] = (uint8_t)(c->counter >> 8);
		r[3] = (uint8_t)c->counter;
		return put_sw(r, 4, 0x9000);
	}
}

/* ------------------------------------------------------- signals and I/O */

static int sig_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
	unsigned char b = (unsigned char)sig;
	int saved = errno;

	/* async-signal-safe; a full pipe just drops the duplicate */
	if (write(sig_pipe[1], &b, 1) < 0) {
		/* ignored */
	}
	errno = saved;
}

static int setup_signals(void)
{
	struct sigaction sa;

	if (pipe(sig_pipe) != 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		int fl = fcntl(sig_pipe[i], F_GETFL);

		if (fl < 0 || fcntl(sig_pipe[i], F_SETFL, fl | O_NONBLOCK) != 0)
			return -1;
		(void)fcntl(sig_pipe[i], F_SETFD, FD_CLOEXEC);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) != 0 ||
	    sigaction(SIGUSR2, &sa, NULL) != 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/* Drain the signal pipe; returns the last signal seen, or 0. */
static int take_signal(void)
{
	unsigned char b;
	int last = 0;

	while (read(sig_pipe[0], &b, 1) == 1)
		last = b;
	return last;
}

/* Wait up to ms (-1 forever) for a signal; returns it, or 0 on timeout. */
static int wait_signal(long ms)
{
	struct pollfd p = { sig_pipe[0], POLLIN, 0 };
	int r = poll(&p, 1, ms < 0 ? -1 : (int)(ms > 60000 ? 60000 : ms));

	if (r > 0)
		return take_signal();
	return 0;
}

/* Connect to vpcd, retrying until it listens. */
static int vpcd_connect(unsigned port)
{
	struct sockaddr_in a;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (;;) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0) {
			fprintf(stderr, PROG ": socket: %s\n", strerror(errno));
			return -1;
		}
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
			return fd;
		int err = errno;
		close(fd);
		errno = err;
		if (errno != ECONNREFUSED && errno != EINTR &&
		    errno != ENETUNREACH && errno != EAGAIN &&
		    errno != ETIMEDOUT) {
			fprintf(stderr, PROG ": connect to port %u: %s\n", port,
				strerror(errno));
			return -1;
		}
		/* vpcd not loaded yet; SIGUSR2 (pull) is moot while out */
		(void)wait_signal(CONNECT_RETRY_MS);
	}
}

/* Read exactly n bytes. Returns 1 ok, 0 link closed/stalled, -1 signal
 * arrived before the first byte (only when first). */
static int read_full(int fd, uint8_t *p, size_t n, int first, int *sig)
{
	size_t got = 0;

	while (got < n) {
		struct pollfd pf[2] = { { fd, POLLIN, 0 },
					{ sig_pipe[0], POLLIN, 0 } };
		int r = poll(pf, first && got == 0 ? 2 : 1,
			     first && got == 0 ? -1 : PARTIAL_READ_MS);
		ssize_t k;

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return 0;
		if (first && got == 0 && (pf[1].revents & POLLIN)) {
			*sig = take_signal();
			if (*sig != 0)
				return -1;
			continue;
		}
		k = read(fd, p + got, n - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return 0;
		got += (size_t)k;
	}
	return 1;
}

static int send_frame(int fd, const uint8_t *p, size_t n)
{
	uint8_t hdr[2] = { (uint8_t)(n >> 8), (uint8_t)n };
	const uint8_t *parts[2] = { hdr, p };
	size_t lens[2] = { 2, n };

	for (int i = 0; i < 2; i++) {
		size_t off = 0;

		while (off < lens[i]) {
			ssize_t k = send(fd, parts[i] + off, lens[i] - off,
					 MSG_NOSIGNAL);

			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				return -1;
			off += (size_t)k;
		}
	}
	return 0;
}

/* Serve one vpcd connection. Returns 1 when the card was pulled, 0 when the
 * link was closed by the other side. */
static int serve(int fd, struct card *c, uint8_t *msg, uint8_t *rsp)
{
	for (;;) {
		uint8_t hdr[2];
		size_t len, rlen;
		int sig = 0, r = read_full(fd, hdr, 2, 1, &sig);

		if (r < 0) {
			if (sig == SIGUSR2)
				return 1;
			continue; /* SIGUSR1 while inserted: nothing to do */
		}
		if (r == 0)
			return 0;
		len = (size_t)hdr[0] << 8 | hdr[1];
		if (len == 0)
			continue;
		if (read_full(fd, msg, len, 0, &sig) != 1)
			return 0;
		if (len == 1) {
			switch (msg[0]) {
			case 0x00: /* power off */
			case 0x01: /* power on */
			case 0x02: /* reset */
				card_reset(c);
				break;
			case 0x04: /* ATR */
				if (send_frame(fd, c->atr, c->atrlen) != 0)
					return 0;
				break;
			default:
				break; /* unknown control: vpcd expects nothing */
			}
			continue;
		}
		trace(c->verbose, ">>", msg, len);
		rlen = card_apdu(c, msg, len, rsp);
		if (rlen == 0) {
			if (c->verbose)
				fprintf(stderr, PROG ": pulling the card\n");
			return 1;
		}
		trace(c->verbose, "<<", rsp, rlen);
		if (send_frame(fd, rsp, rlen) != 0)
			return 0;
	}
}

/* ------------------------------------------------------------------ main */

static void usage(void)
{
	fprintf(stderr, "usage: " PROG " --port P [--atr HEX] [--script FILE] "
			"[--reconnect[=MS]] [--verbose]\n");
}

int main(int argc, char **argv)
{
	struct card *c = calloc(1, sizeof(*c));
	const char *atr_hex = SC_DEFAULT_ATR, *script_path = NULL;
	long port = -1, reconnect_ms = -1;
	uint8_t *msg = malloc(MSG_MAX), *rsp = malloc(MSG_MAX), *atr = NULL;
	size_t atrlen = 0;
	int ret = 1;

	if (c == NULL || msg == NULL || rsp == NULL) {
		fprintf(stderr, PROG ": out of memory\n");
		goto out;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		char *end;

		if (strcmp(a, "--port") == 0 && i + 1 < argc) {
			errno = 0;
			port = strtol(argv[++i], &end, 0);
			if (errno != 0 || *end != '\0' || port < 1 ||
			    port > 65535) {
				fprintf(stderr, PROG ": bad --port\n");
				goto out;
			}
		} else if (strcmp(a, "--atr") == 0 && i + 1 < argc) {
			atr_hex = argv[++i];
		} else if (strcmp(a, "--script") == 0 && i + 1 < argc) {
			script_path = argv[++i];
		} else if (strcmp(a, "--reconnect") == 0) {
			reconnect_ms = 1000;
		} else if (strncmp(a, "--reconnect=", 12) == 0) {
			errno = 0;
			reconnect_ms = strtol(a + 12, &end, 10);
			if (errno != 0 || *end != '\0' || reconnect_ms < 0 ||
			    reconnect_ms > 3600000L) {
				fprintf(stderr, PROG ": bad --reconnect\n");
				goto out;
			}
		} else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
			c->verbose = 1;
		} else {
			usage();
			goto out;
		}
	}
	if (port < 0) {
		usage();
		goto out;
	}
	if (parse_hex(atr_hex, sizeof(c->atr), &atr, &atrlen) != 0 ||
	    atrlen < 2) {
		fprintf(stderr, PROG ": --atr needs 2..33 hex bytes\n");
		goto out;
	}
	memcpy(c->atr, atr, atrlen);
	c->atrlen = atrlen;
	if (script_path != NULL && script_load(script_path, &c->script) != 0)
		goto out;
	if (setup_signals() != 0) {
		fprintf(stderr, PROG ": signal setup: %s\n", strerror(errno));
		goto out;
	}
	/* stderr may be a pipe read by the harness: keep lines whole */
	setvbuf(stderr, NULL, _IOLBF, 0);

	for (;;) {
		int fd = vpcd_connect((unsigned)port);
		int pulled;

		if (fd < 0)
			goto out;
		card_reset(c);
		pulled = serve(fd, c, msg, rsp);
		close(fd);
		if (!pulled)
			continue; /* vpcd dropped us: reconnect at once */
		if (c->verbose)
			fprintf(stderr, PROG ": card pulled\n");
		/* out of the reader until SIGUSR1 or the --reconnect delay */
		long until = reconnect_ms >= 0 ? now_ms() + reconnect_ms : -1;
		for (;;) {
			long left = until < 0 ? -1 : until - now_ms();

			if (until >= 0 && left <= 0)
				break;
			if (wait_signal(left) == SIGUSR1)
				break;
		}
		if (c->verbose)
			fprintf(stderr, PROG ": card inserted\n");
	}
out:
	if (c != NULL)
		script_free(&c->script);
	free(c);
	free(atr);
	free(msg);
	free(rsp);
	return ret;
}
