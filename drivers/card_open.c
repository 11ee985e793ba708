/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* drivers/card_open.c — placeholder; filled by the channel refactor. */
typedef int ukey_card_open_placeholder;
