/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ukey_i18n.c — gettext set-up shared by ukey-renew and ukey-assistant
 * (glibc's libintl; compiled into each front end with its own
 * UKEY_I18N_LOCALEDIR / UKEY_I18N_BUILD_DIR).
 *
 * Catalog directory: $UKEY_LOCALEDIR, else the build tree's locale/ when the
 * executable runs from the build tree, else the installed locale directory.
 *
 * A bare system often has no zh_CN locale generated: setlocale(LC_ALL, "")
 * then fails for LANG=zh_CN.UTF-8 and gettext would stay English. In that
 * case the locale falls back to C.UTF-8 (built into glibc) and LANGUAGE is
 * set to the requested language: glibc's gettext honours LANGUAGE for any
 * locale other than "C", so the zh_CN catalog is still used. A lang of
 * "zh" or "en" (--lang) overrides the environment the same way.
 */
#include "ukey_i18n.h"

#include <libintl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef UKEY_I18N_LOCALEDIR
#define UKEY_I18N_LOCALEDIR "/usr/local/share/locale"
#endif

static char localedir[4300];

static int has_catalog(const char *dir, const char *domain)
{
	char p[4200];
	struct stat st;
	int n = snprintf(p, sizeof(p), "%s/zh_CN/LC_MESSAGES/%s.mo", dir, domain);
	if (n < 0 || (size_t)n >= sizeof(p))
		return 0;
	return stat(p, &st) == 0;
}

static void find_localedir(const char *domain)
{
	const char *e = getenv("UKEY_LOCALEDIR");
	if (e != NULL && e[0] != '\0') {
		snprintf(localedir, sizeof(localedir), "%s", e);
		return;
	}
	char exe[4096];
	ssize_t l = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (l > 0) {
		exe[l] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash != NULL)
			*slash = '\0';
#ifdef UKEY_I18N_BUILD_DIR
		size_t bl = strlen(UKEY_I18N_BUILD_DIR);
		if (strncmp(exe, UKEY_I18N_BUILD_DIR, bl) == 0 &&
		    (exe[bl] == '/' || exe[bl] == '\0') &&
		    has_catalog(UKEY_I18N_BUILD_DIR "/locale", domain)) {
			snprintf(localedir, sizeof(localedir), "%s", UKEY_I18N_BUILD_DIR "/locale");
			return;
		}
#endif
		/* not installed where it was built for: a copied build tree
		 * (<dir>/../locale) or a relocated prefix (<prefix>/share/locale) */
		if (!has_catalog(UKEY_I18N_LOCALEDIR, domain)) {
			static const char *const rel[] = { "/../locale", "/../share/locale" };
			for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
				char cand[4200];
				snprintf(cand, sizeof(cand), "%s%s", exe, rel[i]);
				if (has_catalog(cand, domain)) {
					snprintf(localedir, sizeof(localedir), "%s", cand);
					return;
				}
			}
		}
	}
	snprintf(localedir, sizeof(localedir), "%s", UKEY_I18N_LOCALEDIR);
}

/* "zh_CN.UTF-8@x" → "zh_CN" */
static void language_of(const char *loc, char *out, size_t n)
{
	size_t l = strcspn(loc, ".@");
	if (l >= n)
		l = n - 1;
	memcpy(out, loc, l);
	out[l] = '\0';
}

static int is_c_locale(const char *l)
{
	return l == NULL || strcmp(l, "C") == 0 || strcmp(l, "POSIX") == 0;
}

static const char *env_nonempty(const char *name)
{
	const char *v = getenv(name);
	return (v != NULL && v[0] != '\0') ? v : NULL;
}

const char *ukey_i18n_init(const char *domain, const char *lang)
{
	if (lang != NULL) {
		/* --lang wins over LANGUAGE and the locale variables */
		setenv("LANGUAGE", strcmp(lang, "zh") == 0 ? "zh_CN" : "en", 1);
	}
	if (setlocale(LC_ALL, "") == NULL) {
		/* the requested locale is not installed */
		const char *req = env_nonempty("LC_ALL");
		if (req == NULL)
			req = env_nonempty("LC_MESSAGES");
		if (req == NULL)
			req = env_nonempty("LANG");
		if (setlocale(LC_ALL, "C.UTF-8") == NULL)
			setlocale(LC_ALL, "C");
		if (lang == NULL && req != NULL && !is_c_locale(req) && env_nonempty("LANGUAGE") == NULL) {
			char l[64];
			language_of(req, l, sizeof(l));
			if (l[0] != '\0')
				setenv("LANGUAGE", l, 1);
		}
	}
	/* LANGUAGE is ignored in the "C" locale: --lang zh needs another one */
	if (lang != NULL && strcmp(lang, "zh") == 0 && is_c_locale(setlocale(LC_MESSAGES, NULL))) {
		if (setlocale(LC_ALL, "C.UTF-8") == NULL)
			setlocale(LC_ALL, "C");
	}
	find_localedir(domain);
	bindtextdomain(domain, localedir);
	bind_textdomain_codeset(domain, "UTF-8");
	textdomain(domain);
	return localedir;
}
