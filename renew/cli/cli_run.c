/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cli_run.c — ukey-renew's commands on top of librenew (renew.h): builds
 * the options from the configuration and the command line, calls the
 * library, and turns its outcome into text and an exit code.
 */
#include "cli.h"
#include "rn_config.h"

#include <stdlib.h>
#include <string.h>

#ifndef UKEY_RENEW_VERSION
#define UKEY_RENEW_VERSION "0"
#endif

struct run {
	struct cli_opts o;
	struct rn_config cfg;
	struct cli_ctx ctx;
	struct renew_options ro;
};

static int need_server(const struct run *r)
{
	if (r->cfg.server[0] != '\0')
		return 0;
	fprintf(stderr, "ukey-renew: %s\n",
		_("No CA server is configured: set 'server = https://…' in /etc/ukey/renew.conf or "
		  "~/.config/ukey/renew.conf (or a file given with --config)."));
	return -1;
}

static void show_ambiguous(struct run *r)
{
	struct renew_inventory inv;
	struct renew_result res;
	memset(&inv, 0, sizeof(inv));
	memset(&res, 0, sizeof(res));
	struct renew_options ro = r->ro;
	ro.id = NULL;
	ro.id_len = 0;
	ro.label = NULL;
	ro.get_pin = NULL;
	if (renew_status(&ro, &inv, &res) == RENEW_OK)
		cli_list_choices(stderr, &inv);
	renew_inventory_free(&inv);
}

static void show_come_back(FILE *f, long check_after_s)
{
	if (check_after_s <= 0)
		check_after_s = 60;
	time_t when = time(NULL) + check_after_s;
	struct tm tm;
	char t[64] = "?";
	if (localtime_r(&when, &tm) != NULL)
		strftime(t, sizeof(t), "%Y-%m-%d %H:%M", &tm);
	long min = (check_after_s + 59) / 60;
	fprintf(f, _("Come back after %s (in about %ld min) and run: ukey-renew install\n"), t, min);
}

/* The common end of apply / install / renew. */
static int finish(struct run *r, enum renew_rc rc, struct renew_result *res)
{
	cli_progress_end(&r->ctx.progress);
	res->rc = rc;
	if (r->ctx.pin.failed) {
		fprintf(stderr, "ukey-renew: %s\n", r->ctx.pin.why);
		fprintf(stderr, "%s\n", _("Nothing was sent to the CA."));
		return CLI_EXIT_PIN;
	}
	switch (rc) {
	case RENEW_OK:
		cli_report_success(stdout, res);
		return CLI_EXIT_OK;
	case RENEW_DRY_RUN:
	case RENEW_NOT_DUE:
		printf("%s\n", cli_rc_text(rc));
		if (res->detail[0] != '\0')
			printf(_("  Detail: %s\n"), res->detail);
		return CLI_EXIT_OK;
	case RENEW_PENDING:
		if (r->o.cmd == CLI_CMD_APPLY) {
			printf("%s\n", _("The request was sent. The CA is reviewing it (usually a few "
					 "minutes); the renewal is saved on this computer."));
			show_come_back(stdout, res->check_after_s);
		} else if (r->o.cmd == CLI_CMD_RENEW || r->o.wait) {
			printf(_("The CA has still not decided after %ld minutes.\n"),
			       r->cfg.wait_limit_minutes);
			printf("%s\n", r->cfg.support_text[0] != '\0'
					       ? r->cfg.support_text
					       : _("Please contact your CA's support."));
			printf("%s\n", _("Your request is saved: run 'ukey-renew install' later to finish."));
		} else {
			printf("%s\n", _("The CA has not decided yet."));
			show_come_back(stdout, res->check_after_s);
		}
		return CLI_EXIT_PENDING;
	case RENEW_AMBIGUOUS:
		cli_report_failure(stderr, res);
		show_ambiguous(r);
		return CLI_EXIT_NO_TOKEN;
	default:
		cli_report_failure(stderr, res);
		return cli_exit_code(rc);
	}
}

static int selected(const struct run *r, const struct renew_cert_info *c)
{
	if (r->o.have_id)
		return c->id_len == r->o.id_len && memcmp(c->id, r->o.id, c->id_len) == 0;
	if (r->o.label != NULL)
		return strcmp(c->label, r->o.label) == 0;
	return 1;
}

static int cmd_status(struct run *r)
{
	struct renew_inventory inv;
	struct renew_result res;
	memset(&inv, 0, sizeof(inv));
	memset(&res, 0, sizeof(res));
	enum renew_rc rc = renew_status(&r->ro, &inv, &res);
	cli_progress_end(&r->ctx.progress);
	int code;
	if (rc == RENEW_OK && inv.n_certs == 0)
		rc = RENEW_NO_TOKEN;
	if (rc == RENEW_NO_TOKEN) {
		if (r->o.json)
			cli_status_json(stdout, &inv);
		if (inv.n_tokens > 0)
			fprintf(stderr, "ukey-renew: %s\n",
				_("A key was found, but it holds no certificate."));
		else
			fprintf(stderr, "ukey-renew: %s\n", cli_rc_text(rc));
		if (res.detail[0] != '\0')
			fprintf(stderr, _("  Detail: %s\n"), res.detail);
		code = CLI_EXIT_NO_TOKEN;
	} else if (rc != RENEW_OK) {
		res.rc = rc;
		cli_report_failure(stderr, &res);
		code = CLI_EXIT_ERROR; /* status knows only 0, 10, 11, 2 and 1 */
	} else {
		if (r->o.json)
			cli_status_json(stdout, &inv);
		else
			cli_status_table(stdout, &inv, r->cfg.window_days);
		code = cli_status_exit(&inv);
	}
	renew_inventory_free(&inv);
	return code;
}

static int cmd_renew(struct run *r)
{
	struct renew_result res;
	memset(&res, 0, sizeof(res));
	if (r->o.if_due) {
		struct renew_inventory inv;
		memset(&inv, 0, sizeof(inv));
		struct renew_options ro = r->ro;
		ro.get_pin = NULL;
		enum renew_rc rc = renew_status(&ro, &inv, &res);
		int due = 0, any = 0;
		for (size_t i = 0; rc == RENEW_OK && i < inv.n_certs; i++)
			if (selected(r, &inv.certs[i])) {
				any = 1;
				if (inv.certs[i].due || inv.certs[i].expired || inv.certs[i].pending)
					due = 1;
			}
		renew_inventory_free(&inv);
		if (rc == RENEW_OK && !any)
			rc = (r->o.have_id || r->o.label) ? RENEW_NO_MATCH : RENEW_NO_TOKEN;
		if (rc != RENEW_OK)
			return finish(r, rc, &res);
		if (!due) {
			cli_progress_end(&r->ctx.progress);
			printf("%s\n", cli_rc_text(RENEW_NOT_DUE));
			return CLI_EXIT_OK;
		}
		memset(&res, 0, sizeof(res));
	}
	if (need_server(r) != 0)
		return CLI_EXIT_ERROR;
	return finish(r, renew_renew(&r->ro, &res), &res);
}

int cli_main(int argc, char **argv)
{
	static struct run run; /* zeroed; large */
	struct run *r = &run;
	char err[1200];

	cli_i18n_init(cli_prescan_lang(argc, argv));
	if (cli_parse(argc, argv, &r->o, err, sizeof(err)) != 0) {
		fprintf(stderr, "ukey-renew: %s\n", err);
		fprintf(stderr, "%s\n", _("Try 'ukey-renew --help'."));
		return CLI_EXIT_ERROR;
	}
	if (r->o.cmd == CLI_CMD_HELP) {
		cli_usage(stdout);
		return CLI_EXIT_OK;
	}
	if (r->o.cmd == CLI_CMD_VERSION) {
		printf("ukey-renew %s\n", UKEY_RENEW_VERSION);
		return CLI_EXIT_OK;
	}
	rn_config_defaults(&r->cfg);
	if (rn_config_load_all(&r->cfg, r->o.config, err, sizeof(err)) != 0) {
		fprintf(stderr, "ukey-renew: %s %s\n", _("The configuration is wrong:"), err);
		return CLI_EXIT_ERROR;
	}

	switch (r->o.cmd) {
	case CLI_CMD_TRUST_ADD:
		if (r->o.dry_run) {
			printf(_("Dry run: would check %s against the fingerprint and add it to %s.\n"),
			       r->o.arg, r->cfg.trust_dir);
			return CLI_EXIT_OK;
		}
		return cli_trust_add(r->cfg.trust_dir, r->o.arg, r->o.sha256);
	case CLI_CMD_TRUST_LIST:
		return cli_trust_list(r->cfg.trust_dir);
	case CLI_CMD_TRUST_REMOVE:
		if (r->o.dry_run) {
			printf(_("Dry run: would remove the root %s from %s.\n"), r->o.arg,
			       r->cfg.trust_dir);
			return CLI_EXIT_OK;
		}
		return cli_trust_remove(r->cfg.trust_dir, r->o.arg);
	default:
		break;
	}

	int steps = r->o.cmd != CLI_CMD_STATUS;
	cli_progress_init(&r->ctx.progress, stderr, r->o.verbose, steps);
	r->ctx.pin.file = r->o.pin_file;
	r->ctx.pin.env = r->o.pin_env;
	struct renew_options *ro = &r->ro;
	ro->module_path = r->o.module ? r->o.module : (r->cfg.module[0] ? r->cfg.module : NULL);
	ro->server = r->cfg.server[0] ? r->cfg.server : NULL;
	ro->trust_dir = r->cfg.trust_dir;
	ro->state_dir = NULL;
	ro->window_days = r->cfg.window_days;
	ro->wait_limit_minutes = r->cfg.wait_limit_minutes;
	ro->poll_seconds = r->cfg.poll_seconds;
	ro->id = r->o.have_id ? r->o.id : NULL;
	ro->id_len = r->o.have_id ? r->o.id_len : 0;
	ro->label = r->o.label;
	ro->rekey = r->o.rekey;
	ro->dry_run = r->o.dry_run;
	ro->verbose = r->o.verbose;
	ro->on_event = cli_on_event;
	ro->get_pin = cli_get_pin;
	ro->arg = &r->ctx;

	struct renew_result res;
	memset(&res, 0, sizeof(res));
	int code;
	switch (r->o.cmd) {
	case CLI_CMD_STATUS:
		ro->get_pin = NULL;
		code = cmd_status(r);
		break;
	case CLI_CMD_APPLY:
		if (need_server(r) != 0)
			return CLI_EXIT_ERROR;
		code = finish(r, renew_apply(ro, &res), &res);
		break;
	case CLI_CMD_INSTALL:
		code = finish(r, renew_install(ro, r->o.wait, &res), &res);
		break;
	case CLI_CMD_RENEW:
		code = cmd_renew(r);
		break;
	default:
		code = CLI_EXIT_ERROR;
	}
	explicit_bzero(&res, sizeof(res));
	return code;
}
