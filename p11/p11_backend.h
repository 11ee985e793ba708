/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The backend (p11_backend.c): everything p11/ needs from apdu/pcsc (the
 * PC/SC transport) and from drivers/ (driver registry, profile loading),
 * behind pointers so that unit tests can inject a fake reader and driver.
 */
#ifndef UKEY_P11_BACKEND_H
#define UKEY_P11_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "pcsc.h"
#include "driver.h"
#include "profile.h"

typedef struct p11_backend {
	ukey_rv (*open)(ukey_pcsc **out);
	void (*cancel)(ukey_pcsc *ctx);
	void (*close)(ukey_pcsc *ctx);
	ukey_rv (*list_readers)(ukey_pcsc *ctx, char ***names, size_t *count);
	void (*free_names)(char **names, size_t count);
	ukey_rv (*reader_state)(ukey_pcsc *ctx, const char *reader,
				ukey_reader_state *st);
	ukey_rv (*wait_change)(ukey_pcsc *ctx, const char *const *readers,
			       size_t n, long timeout_ms);
	ukey_rv (*connect)(ukey_pcsc *ctx, const char *reader,
			   ukey_pcsc_card **out);
	void (*disconnect)(ukey_pcsc_card *card, int reset);
	ukey_rv (*atr)(ukey_pcsc_card *card, uint8_t *atr, size_t cap,
		       size_t *len);
	ukey_rv (*begin)(ukey_pcsc_card *card);
	void (*end)(ukey_pcsc_card *card);
	ukey_xfer_fn xfer;
	const ukey_driver *(*driver_find)(const char *name);
	ukey_rv (*profiles_load)(ukey_profile_set *out);
	void (*profiles_free)(ukey_profile_set *set);
} p11_backend;

extern const p11_backend *p11_be;
/* Test hook: NULL restores the real backend. Only while not initialised. */
void p11_set_backend(const p11_backend *be);

#endif /* UKEY_P11_BACKEND_H */
