/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cli_pin.c — where the PIN comes from: the terminal without echo
 * (/dev/tty, so it works with redirected stdin/stdout), the first line of
 * --pin-file FILE, or the environment variable named by --pin-env. Never the
 * command line. Every copy is wiped after use.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	interrupted = sig;
}

static int from_file(struct cli_pin *p, char *pin, size_t cap)
{
	int fd = open(p->file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(p->why, sizeof(p->why), _("cannot read the PIN file %s: %s"), p->file,
			 strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) == 0 && (st.st_mode & 077))
		fprintf(stderr, _("warning: the PIN file %s can be read by other users; "
				  "protect it with: chmod 600 %s\n"), p->file, p->file);
	char buf[256];
	size_t n = 0;
	for (;;) {
		ssize_t r = read(fd, buf + n, sizeof(buf) - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		if (memchr(buf, '\n', n) != NULL || n == sizeof(buf))
			break;
	}
	close(fd);
	size_t l = 0;
	while (l < n && buf[l] != '\n')
		l++;
	if (l > 0 && buf[l - 1] == '\r')
		l--;
	int rc;
	if (l == 0) {
		snprintf(p->why, sizeof(p->why), _("the PIN file %s is empty (the PIN is its first line)"),
			 p->file);
		rc = -1;
	} else if (l >= cap || l == sizeof(buf)) {
		snprintf(p->why, sizeof(p->why), _("the first line of the PIN file %s is too long for a PIN"),
			 p->file);
		rc = -1;
	} else {
		memcpy(pin, buf, l);
		pin[l] = '\0';
		rc = (int)l;
	}
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

static int from_env(struct cli_pin *p, char *pin, size_t cap)
{
	char *v = getenv(p->env);
	if (v == NULL || v[0] == '\0') {
		snprintf(p->why, sizeof(p->why), _("the environment variable %s (--pin-env) is not set"),
			 p->env);
		return -1;
	}
	size_t l = strlen(v);
	if (l >= cap) {
		snprintf(p->why, sizeof(p->why), _("the environment variable %s is too long for a PIN"),
			 p->env);
		return -1;
	}
	memcpy(pin, v, l + 1);
	/* wipe the process's copy: child processes and /proc/self/environ
	 * readers (same user) no longer see it */
	explicit_bzero(v, l);
	unsetenv(p->env);
	return (int)l;
}

static int from_tty(struct cli_pin *p, char *pin, size_t cap, int tries_left)
{
	const char *path = p->tty_path ? p->tty_path : "/dev/tty";
	int fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(p->why, sizeof(p->why),
			 _("no terminal to ask the PIN on: use --pin-file FILE or --pin-env NAME"));
		return -1;
	}
	FILE *tty = fdopen(dup(fd), "w");
	if (tty == NULL) {
		close(fd);
		snprintf(p->why, sizeof(p->why), _("cannot write to the terminal"));
		return -1;
	}
	if (tries_left == 1)
		fputs(_("This is the LAST try: one more wrong PIN locks the key.\n"), tty);
	else if (tries_left == -2)
		fputs(_("Few tries are left before the PIN is locked.\n"), tty);
	else if (tries_left > 1)
		fprintf(tty, _("%d tries left before the PIN is locked.\n"), tries_left);
	fputs(_("PIN of the key (not shown): "), tty);
	fflush(tty);

	struct termios old, noecho;
	int have_tc = tcgetattr(fd, &old) == 0;
	if (have_tc) {
		noecho = old;
		noecho.c_lflag &= (tcflag_t)~(ECHO | ECHOE | ECHOK | ECHONL);
		noecho.c_lflag |= ICANON;
		tcsetattr(fd, TCSAFLUSH, &noecho);
	}
	struct sigaction sa, o_int, o_term, o_hup;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: read() returns EINTR */
	sigemptyset(&sa.sa_mask);
	interrupted = 0;
	sigaction(SIGINT, &sa, &o_int);
	sigaction(SIGTERM, &sa, &o_term);
	sigaction(SIGHUP, &sa, &o_hup);

	size_t n = 0;
	int rc = 0, toolong = 0;
	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR && !interrupted)
			continue;
		if (r <= 0) {
			rc = -1;
			break;
		}
		if (c == '\n' || c == '\r')
			break;
		if (n + 1 < cap)
			pin[n++] = c;
		else
			toolong = 1;
		c = 0;
	}
	pin[n] = '\0';
	if (have_tc)
		tcsetattr(fd, TCSAFLUSH, &old);
	sigaction(SIGINT, &o_int, NULL);
	sigaction(SIGTERM, &o_term, NULL);
	sigaction(SIGHUP, &o_hup, NULL);
	fputc('\n', tty);
	fclose(tty);
	close(fd);
	if (interrupted) {
		explicit_bzero(pin, cap);
		snprintf(p->why, sizeof(p->why), _("PIN entry interrupted"));
		int sig = interrupted;
		interrupted = 0;
		raise(sig); /* the terminal is restored: now die as asked */
		return -1;
	}
	if (rc != 0 || toolong || n == 0) {
		explicit_bzero(pin, cap);
		snprintf(p->why, sizeof(p->why), toolong ? _("the PIN typed is too long")
						   : _("no PIN was typed"));
		return -1;
	}
	return (int)n;
}

int cli_pin_read(struct cli_pin *p, char *pin, size_t cap, int tries_left)
{
	p->asked++;
	p->failed = 0;
	p->why[0] = '\0';
	if (cap < 2)
		return -1;
	int rc;
	if (p->file != NULL)
		rc = from_file(p, pin, cap);
	else if (p->env != NULL)
		rc = from_env(p, pin, cap);
	else
		rc = from_tty(p, pin, cap, tries_left);
	if (rc < 0) {
		p->failed = 1;
		explicit_bzero(pin, cap);
	}
	return rc;
}

int cli_get_pin(char *pin, size_t cap, int tries_left, void *arg)
{
	struct cli_ctx *ctx = arg;
	cli_progress_end(&ctx->progress);
	return cli_pin_read(&ctx->pin, pin, cap, tries_left);
}
