/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz entry: the renew.conf parser (renew/store/rn_config.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rn_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rn_config c;
	char err[512];
	rn_config_defaults(&c);
	if (rn_config_parse(&c, "fuzz.conf", (const char *)data, size, err, sizeof(err)) == 0) {
		if (c.window_days < 1 || c.window_days > 3650 || c.wait_limit_minutes < 1 ||
		    c.wait_limit_minutes > 10080 || c.poll_seconds < 0 || c.poll_seconds > 3600 ||
		    memchr(c.server, '\0', sizeof(c.server)) == NULL ||
		    memchr(c.support_text, '\0', sizeof(c.support_text)) == NULL)
			abort();
	} else if (strncmp(err, "fuzz.conf:", 10) != 0) {
		abort();
	}
	return 0;
}
