/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ukey_i18n.h — the locale and gettext set-up of the renewal front ends. */
#ifndef UKEY_I18N_H
#define UKEY_I18N_H

/* Sets the locale (falling back to C.UTF-8 + LANGUAGE when the requested one
 * is not generated), finds domain's catalog directory, binds domain and makes
 * it the default. lang: "zh", "en" or NULL (the environment decides).
 * Returns the catalog directory in use. */
const char *ukey_i18n_init(const char *domain, const char *lang);

#endif
