/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* drivers/registry.c — built-in drivers by the name a profile's "driver =" uses. */
#include <string.h>

#include "driver.h"

extern const ukey_driver ukey_ftcos_driver;
extern const ukey_driver ukey_gmt0017_driver; /* Watchdata / GM/T 0017 */
extern const ukey_driver ukey_epass2003_driver; /* Feitian ePass2003 */

static const ukey_driver *const drivers[] = {
	&ukey_ftcos_driver,
	&ukey_gmt0017_driver,
	&ukey_epass2003_driver,
};

const ukey_driver *ukey_driver_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++)
		if (strcmp(drivers[i]->name, name) == 0)
			return drivers[i];
	return NULL;
}
