/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* as_main.h — the two modes of ukey-assistant. */
#ifndef UKEY_AS_MAIN_H
#define UKEY_AS_MAIN_H

#include "renew.h"
#include "rn_config.h"

int as_notify_main(const struct renew_options *base, const char *self, long wait_s);
int as_app_main(const struct renew_options *base, const struct rn_config *cfg, int argc, char **argv);

#endif
