/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>
#include <string.h>

#include "mock_xfer.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t hex2bin(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;
	for (const char *p = hex; *p; p++) {
		int v = hexval(*p);
		if (v < 0)
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			if (n >= cap)
				abort();
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	return n;
}

void mock_init(mock_xfer *m)
{
	memset(m, 0, sizeof(*m));
}

void mock_add_hex(mock_xfer *m, const char *hex)
{
	if (m->nsteps >= MOCK_MAX_STEPS)
		abort();
	m->rsplen[m->nsteps] = hex2bin(hex, m->rsp[m->nsteps], MOCK_MAX_RSP);
	m->nsteps++;
}

void mock_add_bytes(mock_xfer *m, const uint8_t *p, size_t n)
{
	if (m->nsteps >= MOCK_MAX_STEPS || n > MOCK_MAX_RSP)
		abort();
	memcpy(m->rsp[m->nsteps], p, n);
	m->rsplen[m->nsteps] = n;
	m->nsteps++;
}

void mock_add_err(mock_xfer *m, ukey_rv err)
{
	if (m->nsteps >= MOCK_MAX_STEPS)
		abort();
	m->err[m->nsteps] = err;
	m->nsteps++;
}

ukey_rv mock_xfer_fn(void *ctx, const uint8_t *cmd, size_t cmdlen,
		     uint8_t *rsp, size_t rspcap, size_t *rsplen)
{
	mock_xfer *m = ctx;
	size_t i = m->ncalls;
	if (i < MOCK_MAX_STEPS && cmdlen <= MOCK_MAX_CMD) {
		memcpy(m->cmd[i], cmd, cmdlen);
		m->cmdlen[i] = cmdlen;
	}
	m->ncalls++;
	if (i >= m->nsteps) {
		if (!m->repeat_last || m->nsteps == 0)
			return UKEY_E_TRANSPORT; /* script exhausted */
		i = m->nsteps - 1;
	}
	if (m->err[i] != UKEY_OK)
		return m->err[i];
	if (m->rsplen[i] > rspcap)
		return UKEY_E_BUFFER_TOO_SMALL;
	memcpy(rsp, m->rsp[i], m->rsplen[i]);
	*rsplen = m->rsplen[i];
	return UKEY_OK;
}

int mock_cmd_is(const mock_xfer *m, size_t i, const char *hex)
{
	uint8_t want[MOCK_MAX_CMD];
	size_t n = hex2bin(hex, want, sizeof(want));
	return i < m->ncalls && i < MOCK_MAX_STEPS && m->cmdlen[i] == n &&
	       memcmp(m->cmd[i], want, n) == 0;
}
