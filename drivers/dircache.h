/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/dircache.h — the per-user cache of a token's public directory
 * (internal to drivers/).
 *
 * Every ssh, curl or browser start is a cold process; without a cache it
 * re-reads the token's directory files before its first signature. A layout
 * may keep what it read of the *public* directory (directory files,
 * certificates, public keys — never a PIN, a PIN-related file, a private
 * object's value or anything read under a verified PIN) in
 * $XDG_CACHE_HOME/ukey/<scope>-<token id> (mode 0600, directory 0700),
 * and use it in a later process only when the change marker the layout
 * read from the card (PKCS#15: the whole TokenInfo, whose lastUpdate every
 * writer rewrites) is byte for byte the one stored with it.
 *
 * The cache never fails its caller: an unreadable, foreign, corrupt or
 * stale file is simply not used. UKEY_CACHE=off turns it off.
 */
#ifndef UKEY_DIRCACHE_H
#define UKEY_DIRCACHE_H

#include <stddef.h>
#include <stdint.h>

#define UKEY_DIRCACHE_MAX_FILE   (1u << 20) /* bytes of a cache file */
#define UKEY_DIRCACHE_MAX_ENTRIES 512
#define UKEY_DIRCACHE_MAX_KEY     64
#define UKEY_DIRCACHE_MAX_MARKER  4096

typedef struct ukey_dircache ukey_dircache;

/* The cache of token `id` (e.g. its serial) under `scope` (e.g. the profile
 * name), valid for `marker`. Entries of a stored file with another marker
 * are dropped. NULL when caching is off, the id is empty or memory is
 * short: every other function accepts NULL and does nothing. */
ukey_dircache *ukey_dircache_open(const char *scope, const uint8_t *id,
				  size_t id_len, const uint8_t *marker,
				  size_t marker_len);
void ukey_dircache_close(ukey_dircache *c);

/* Look up key; *data is borrowed until the next put/drop/close. 1 found. */
int ukey_dircache_get(ukey_dircache *c, const uint8_t *key, size_t key_len,
		      const uint8_t **data, size_t *len);
/* Add or replace an entry and rewrite the file (atomically). */
void ukey_dircache_put(ukey_dircache *c, const uint8_t *key, size_t key_len,
		       const uint8_t *data, size_t len);
/* The token is about to change: forget every entry, remove the file, and
 * take no more entries until closed. */
void ukey_dircache_drop(ukey_dircache *c);
/* How many lookups were answered from the cache (for traces and tests). */
unsigned ukey_dircache_hits(const ukey_dircache *c);

/* Parse a cache file's bytes (exposed for the fuzz target): 0 and the
 * entries appended to c if well-formed and its marker equals c's, -1
 * otherwise (c unchanged). */
int ukey_dircache_parse(ukey_dircache *c, const uint8_t *buf, size_t len);
/* An empty cache that never touches the file system (fuzzing, tests). */
ukey_dircache *ukey_dircache_new_detached(const uint8_t *marker,
					  size_t marker_len);

#endif /* UKEY_DIRCACHE_H */
