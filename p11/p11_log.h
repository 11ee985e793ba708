/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Call tracing (p11_log.c): UKEY_DEBUG=p11 logs every C_* call and its
 * return code to stderr or UKEY_DEBUG_FILE; PINs, keys and data are never
 * logged. Also the module's secret wipe.
 */
#ifndef UKEY_P11_LOG_H
#define UKEY_P11_LOG_H

#include <stddef.h>

#include <p11-kit/pkcs11.h>

void p11_log_init(void);
int p11_log_enabled(void);
/* Log "fn = CKR_..." and return rv. */
CK_RV p11_log_rv(const char *fn, CK_RV rv);
void p11_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *p11_rv_name(CK_RV rv);

/* Constant-time secret wipe */
void p11_wipe(void *p, size_t n);

#endif /* UKEY_P11_LOG_H */
