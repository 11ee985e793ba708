/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rn_config.h — renew.conf: "key = value" lines, '#' comments, blank lines.
 * Files are read in order (/etc/ukey/renew.conf, $XDG_CONFIG_HOME/ukey/renew.conf,
 * --config), later values win. Any error is one line: "FILE:LINE: what".
 */
#ifndef UKEY_RN_CONFIG_H
#define UKEY_RN_CONFIG_H

#include <stddef.h>

struct rn_config {
	char server[512];          /* http(s)://host[:port]/path */
	char trust_dir[512];       /* default: $XDG_CONFIG_HOME/ukey/trust (root: /etc/ukey/trust) */
	char module[512];          /* PKCS#11 module path (optional key) */
	long window_days;          /* 1..3650, default 180 */
	long wait_limit_minutes;   /* 1..10080, default 30 */
	long poll_seconds;         /* 0 (follow the CA) or 1..3600 */
	char support_text[1024];   /* shown when the wait limit is reached */
};

void rn_config_defaults(struct rn_config *c);
/* Reads path into c. must_exist == 0: a missing file is not an error. */
int rn_config_load(struct rn_config *c, const char *path, int must_exist, char *err, size_t errlen);
/* Parses a buffer (name used in messages): the fuzz target's entry. */
int rn_config_parse(struct rn_config *c, const char *name, const char *buf, size_t len,
		    char *err, size_t errlen);
/* The standard sequence: /etc/ukey/renew.conf, the user's file, then extra (if non-NULL, must exist). */
int rn_config_load_all(struct rn_config *c, const char *extra, char *err, size_t errlen);

#endif
