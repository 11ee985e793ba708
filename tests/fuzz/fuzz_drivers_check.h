/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tests/fuzz/fuzz_drivers_check.h — invariants every object, card and PIN
 * description from a driver must keep, however hostile the card was.
 * A broken invariant traps (a fuzzer crash); every owned buffer is read
 * completely so that ASan sees a buffer shorter than its length.
 */
#ifndef UKEY_FUZZ_DRIVERS_CHECK_H
#define UKEY_FUZZ_DRIVERS_CHECK_H

#include "driver.h"

void fuzz_check_object(const ukey_object *o);
void fuzz_check_objlist(const ukey_objlist *l);
void fuzz_check_card(const ukey_card *card);
void fuzz_check_pin_info(const ukey_pin_info *pi);
/* NUL within sz bytes. */
void fuzz_check_str(const char *s, size_t sz);

#endif /* UKEY_FUZZ_DRIVERS_CHECK_H */
