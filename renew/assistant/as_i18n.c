/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* as_i18n.c — ukey-assistant's gettext domain (set-up in renew/i18n, the
 * same rules as ukey-renew's; the desktop's language decides). */
#include "as_logic.h"
#include "ukey_i18n.h"

static const char *localedir = "";

void as_i18n_init(void)
{
	localedir = ukey_i18n_init(AS_DOMAIN, NULL);
}

const char *as_locale_dir(void)
{
	return localedir;
}
