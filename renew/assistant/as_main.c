/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * as_main.c — ukey-assistant [--notify [--wait S]] [--config FILE]
 * [--module PATH]: the window, or the reminder for the daily timer.
 */
#include "as_logic.h"
#include "as_main.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	static struct rn_config cfg;
	struct renew_options ro;
	const char *config = NULL, *module = NULL;
	int notify = 0;
	long wait_s = 0;
	char err[1200];

	as_i18n_init();
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--notify") == 0)
			notify = 1;
		else if (strcmp(argv[i], "--wait") == 0 && i + 1 < argc)
			wait_s = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			config = argv[++i];
		else if (strcmp(argv[i], "--module") == 0 && i + 1 < argc)
			module = argv[++i];
		else if (strcmp(argv[i], "--help") == 0) {
			printf("usage: ukey-assistant [--config FILE] [--module PATH] [--notify [--wait SECONDS]]\n");
			return 0;
		} else {
			fprintf(stderr, "ukey-assistant: unknown argument %s\n", argv[i]);
			return 1;
		}
	}
	rn_config_defaults(&cfg);
	if (rn_config_load_all(&cfg, config, err, sizeof(err)) != 0) {
		fprintf(stderr, "ukey-assistant: %s %s\n", as_rc_text(RENEW_CONFIG), err);
		if (notify)
			return 1;
		/* the window says it too */
	}
	memset(&ro, 0, sizeof(ro));
	ro.module_path = module ? module : (cfg.module[0] ? cfg.module : NULL);
	ro.server = cfg.server[0] ? cfg.server : NULL;
	ro.trust_dir = cfg.trust_dir;
	ro.window_days = cfg.window_days;
	ro.wait_limit_minutes = cfg.wait_limit_minutes;
	ro.poll_seconds = cfg.poll_seconds;
	if (notify)
		return as_notify_main(&ro, argv[0], wait_s);
	int gargc = 1;
	return as_app_main(&ro, &cfg, gargc, argv);
}
