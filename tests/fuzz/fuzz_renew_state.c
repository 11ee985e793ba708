/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz entry: the pending-state file parser (renew/store/rn_state.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rn_state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rn_state st;
	char err[512];
	if (rn_state_parse("fuzz.state", (const char *)data, size, &st, err, sizeof(err)) == 0) {
		/* what was accepted must be self-consistent */
		if (st.old_cert == NULL || st.old_cert_len == 0 || st.cert_id_len > sizeof(st.cert_id) ||
		    (st.phase != RN_PHASE_WAITING && st.phase != RN_PHASE_RECEIVED) ||
		    memchr(st.server, '\0', sizeof(st.server)) == NULL)
			abort();
		rn_state_clear(&st);
	} else if (err[0] == '\0' || st.old_cert != NULL) {
		abort();
	}
	return 0;
}
