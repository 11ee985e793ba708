/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * as_i18n.c — gettext set-up of ukey-assistant (same rules as renew/cli/cli_i18n.c).
 *
 * Catalog directory: $UKEY_LOCALEDIR, else the build tree's locale/ when the
 * executable runs from the build tree, else the installed locale directory.
 *
 * A bare system often has no zh_CN locale generated: setlocale(LC_ALL, "")
 * then fails for LANG=zh_CN.UTF-8 and gettext would stay English. In that
 * case the locale falls back to C.UTF-8 (built into glibc) and LANGUAGE is
 * set to the requested language: glibc's gettext honours LANGUAGE for any
 * locale other than "C", so the zh_CN catalog is still used. --lang zh|en
 * overrides the environment the same way.
 */
#include "as_logic.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef UKEY_AS_LOCALEDIR
#define UKEY_AS_LOCALEDIR "/usr/local/share/locale"
#endif

static char localedir[4300];

static int has_catalog(const char *dir)
{
	char p[4200];
	struct stat st;
	int n = snprintf(p, sizeof(p), "%s/zh_CN/LC_MESSAGES/" AS_DOMAIN ".mo", dir);
	if (n < 0 || (size_t)n >= sizeof(p))
		return 0;
	return stat(p, &st) == 0;
}

static void find_localedir(void)
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
#ifdef UKEY_AS_BUILD_DIR
		size_t bl = strlen(UKEY_AS_BUILD_DIR);
		if (strncmp(exe, UKEY_AS_BUILD_DIR, bl) == 0 &&
		    (exe[bl] == '/' || exe[bl] == '\0') &&
		    has_catalog(UKEY_AS_BUILD_DIR "/locale")) {
			snprintf(localedir, sizeof(localedir), "%s", UKEY_AS_BUILD_DIR "/locale");
			return;
		}
#endif
		/* not installed where it was built for: a copied build tree
		 * (<dir>/../locale) or a relocated prefix (<prefix>/share/locale) */
		if (!has_catalog(UKEY_AS_LOCALEDIR)) {
			static const char *const rel[] = { "/../locale", "/../share/locale" };
			for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
				char cand[4200];
				snprintf(cand, sizeof(cand), "%s%s", exe, rel[i]);
				if (has_catalog(cand)) {
					snprintf(localedir, sizeof(localedir), "%s", cand);
					return;
				}
			}
		}
	}
	snprintf(localedir, sizeof(localedir), "%s", UKEY_AS_LOCALEDIR);
}

const char *as_locale_dir(void)
{
	return localedir;
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

void as_i18n_init(void)
{
	if (setlocale(LC_ALL, "") == NULL) {
		/* the requested locale is not generated on this system */
		const char *req = env_nonempty("LC_ALL");
		if (req == NULL)
			req = env_nonempty("LC_MESSAGES");
		if (req == NULL)
			req = env_nonempty("LANG");
		if (setlocale(LC_ALL, "C.UTF-8") == NULL)
			setlocale(LC_ALL, "C");
		if (req != NULL && !is_c_locale(req) && env_nonempty("LANGUAGE") == NULL) {
			char l[64];
			language_of(req, l, sizeof(l));
			if (l[0] != '\0')
				setenv("LANGUAGE", l, 1);
		}
	}
	find_localedir();
	bindtextdomain(AS_DOMAIN, localedir);
	bind_textdomain_codeset(AS_DOMAIN, "UTF-8");
	textdomain(AS_DOMAIN);
}
