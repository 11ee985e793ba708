/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The module's view of apdu/pcsc and the driver registry, behind a table of
 * pointers so that unit tests can inject a fake reader and driver.
 */
#include "pcsc.h"
#include "driver.h"
#include "profile.h"

#include "p11_backend.h"
#include "p11_module.h"

static ukey_rv default_profiles_load(ukey_profile_set *out)
{
	char dirs[4096];
	return ukey_profiles_load(ukey_profiles_default_dirs(dirs, sizeof(dirs)),
				  out, NULL);
}

static const p11_backend real_backend = {
	.open = ukey_pcsc_open,
	.cancel = ukey_pcsc_cancel,
	.close = ukey_pcsc_close,
	.list_readers = ukey_pcsc_list_readers,
	.free_names = ukey_pcsc_free_names,
	.reader_state = ukey_pcsc_reader_state,
	.wait_change = ukey_pcsc_wait_change,
	.connect = ukey_pcsc_connect,
	.disconnect = ukey_pcsc_disconnect,
	.atr = ukey_pcsc_atr,
	.begin = ukey_pcsc_begin,
	.end = ukey_pcsc_end,
	.xfer = ukey_pcsc_xfer,
	.driver_find = ukey_driver_find,
	.profiles_load = default_profiles_load,
	.profiles_free = ukey_profiles_free,
};

const p11_backend *p11_be = &real_backend;

void p11_set_backend(const p11_backend *be)
{
	if (p11_g.initialized)
		return;
	p11_be = be ? be : &real_backend;
}
