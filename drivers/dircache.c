/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* drivers/dircache.c — placeholder; filled by the directory cache. */
typedef int ukey_dircache_placeholder;
