/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The vendor profiles of the source tree, compiled into the module as its
 * defaults. The table is generated from every vendor-profiles/NAME.profile
 * by profile_builtin.cmake (when CMake runs), so the files stay the one
 * source; the text is parsed at load time by the same
 * ukey_profile_parse as a file (see ukey_profiles_load in profile.h for
 * the precedence: built-in < install dir < UKEY_PROFILE_DIR).
 */
#ifndef UKEY_PROFILE_BUILTIN_H
#define UKEY_PROFILE_BUILTIN_H

#include <stddef.h>

typedef struct {
	const char *file;          /* "vendor-profiles/NAME.profile" */
	const unsigned char *text; /* the file's bytes, not NUL-terminated */
	size_t len;
} ukey_profile_builtin;

/* Sorted by file name; ukey_profile_builtins_n entries (the array has one
 * more, all-zero, so that it is never empty). */
extern const ukey_profile_builtin ukey_profile_builtins[];
extern const size_t ukey_profile_builtins_n;

#endif /* UKEY_PROFILE_BUILTIN_H */
