/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cli_progress.c — what the user sees while the library works: one line per
 * step, a live "waiting" line on a terminal (\r: elapsed, next poll, time
 * left before giving up), one line per poll otherwise, and --verbose traces.
 */
#include "cli.h"

#include <string.h>
#include <unistd.h>

void cli_progress_init(struct cli_progress *p, FILE *out, int verbose, int show_steps)
{
	memset(p, 0, sizeof(*p));
	p->out = out;
	p->tty = isatty(fileno(out));
	p->verbose = verbose;
	p->show_steps = show_steps;
}

void cli_fmt_duration(long s, char *buf, size_t n)
{
	if (s < 0)
		s = 0;
	if (s >= 3600)
		snprintf(buf, n, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
	else
		snprintf(buf, n, "%ld:%02ld", s / 60, s % 60);
}

void cli_progress_end(struct cli_progress *p)
{
	if (p->line_open) {
		fputc('\n', p->out);
		fflush(p->out);
		p->line_open = 0;
	}
}

void cli_progress_event(struct cli_progress *p, const struct renew_event *ev)
{
	char el[32], left[32], next[32];
	switch (ev->type) {
	case RENEW_EV_STEP:
		if (!p->show_steps && !p->verbose)
			return;
		if (ev->step == RENEW_STEP_WAIT && p->tty)
			return; /* the live line says it */
		cli_progress_end(p);
		fprintf(p->out, "%s %s\n", "→", cli_step_text(ev->step));
		break;
	case RENEW_EV_WAITING:
		cli_fmt_duration(ev->elapsed_s, el, sizeof(el));
		cli_fmt_duration(ev->left_s, left, sizeof(left));
		cli_fmt_duration(ev->next_poll_s, next, sizeof(next));
		if (p->tty) {
			fputs("\r\033[K", p->out);
			if (ev->next_poll_s <= 0)
				fprintf(p->out, _("Waiting for the CA: %s elapsed, asking now, giving up in %s"),
					el, left);
			else
				fprintf(p->out, _("Waiting for the CA: %s elapsed, next question in %s, giving up in %s"),
					el, next, left);
			p->line_open = 1;
		} else if (ev->next_poll_s <= 0) {
			fprintf(p->out, _("Waiting for the CA: %s elapsed, asking now, giving up in %s"), el,
				left);
			fputc('\n', p->out);
		}
		break;
	case RENEW_EV_TRACE:
		if (!p->verbose || ev->text == NULL)
			return;
		cli_progress_end(p);
		fprintf(p->out, "  · %s\n", ev->text);
		break;
	case RENEW_EV_DRY_RUN:
		cli_progress_end(p);
		fprintf(p->out, _("Dry run: the next step would %s\n"), ev->text ? ev->text : "");
		break;
	}
	fflush(p->out);
}

void cli_on_event(const struct renew_event *ev, void *arg)
{
	struct cli_ctx *ctx = arg;
	cli_progress_event(&ctx->progress, ev);
}
