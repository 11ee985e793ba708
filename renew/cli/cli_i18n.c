/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cli_i18n.c — ukey-renew's gettext domain (set-up in renew/i18n). */
#include "cli.h"
#include "ukey_i18n.h"

static const char *localedir = "";

void cli_i18n_init(const char *lang)
{
	localedir = ukey_i18n_init(CLI_DOMAIN, lang);
}

const char *cli_locale_dir(void)
{
	return localedir;
}
