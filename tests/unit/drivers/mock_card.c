/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit/drivers/mock_card.c — see mock_card.h. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock_card.h"

void mock_init(mock_card *m)
{
	memset(m, 0, sizeof(*m));
	/* A scripted card has fixed answers: a directory cache left in the
	 * user's home by an earlier run would change what the driver sends. */
	setenv("UKEY_CACHE", "off", 1);
}

long mock_hex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (*s) {
		unsigned v;

		if (isspace((unsigned char)*s)) {
			s++;
			continue;
		}
		if (!isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1]) ||
		    n >= cap || sscanf(s, "%2x", &v) != 1)
			return -1;
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return (long)n;
}

static int dup_hex(const char *s, uint8_t **out, size_t *len)
{
	uint8_t *buf = malloc(70000);
	long n;

	if (!buf)
		return -1;
	n = mock_hex(s, buf, 70000);
	if (n < 0) {
		free(buf);
		return -1;
	}
	*out = buf;
	*len = (size_t)n;
	return 0;
}

int mock_add(mock_card *m, const char *cmd_hex, const char *rsp_hex)
{
	if (m->n >= MOCK_MAX_STEPS)
		return -1;
	if (dup_hex(cmd_hex, &m->cmd[m->n], &m->cmd_len[m->n]))
		return -1;
	if (dup_hex(rsp_hex, &m->rsp[m->n], &m->rsp_len[m->n])) {
		free(m->cmd[m->n]);
		return -1;
	}
	m->n++;
	return 0;
}

int mock_add_prefix(mock_card *m, const char *cmd_hex, const char *rsp_hex)
{
	if (mock_add(m, cmd_hex, rsp_hex))
		return -1;
	m->prefix_only[m->n - 1] = 1;
	return 0;
}

int mock_add_raw(mock_card *m, const uint8_t *cmd, size_t cmdlen,
		 const uint8_t *rsp, size_t rsplen)
{
	if (m->n >= MOCK_MAX_STEPS)
		return -1;
	m->cmd[m->n] = malloc(cmdlen ? cmdlen : 1);
	m->rsp[m->n] = malloc(rsplen ? rsplen : 1);
	if (!m->cmd[m->n] || !m->rsp[m->n]) {
		free(m->cmd[m->n]);
		free(m->rsp[m->n]);
		return -1;
	}
	memcpy(m->cmd[m->n], cmd, cmdlen);
	memcpy(m->rsp[m->n], rsp, rsplen);
	m->cmd_len[m->n] = cmdlen;
	m->rsp_len[m->n] = rsplen;
	m->n++;
	return 0;
}

int mock_load(mock_card *m, const char *path)
{
	FILE *f = fopen(path, "r");
	static char line[70000], cmd[70000];
	int have_cmd = 0, rc = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = 0;
		if (strncmp(line, ">> ", 3) == 0) {
			snprintf(cmd, sizeof(cmd), "%s", line + 3);
			have_cmd = 1;
		} else if (strncmp(line, "<< ", 3) == 0 && have_cmd) {
			if (mock_add(m, cmd, line + 3)) {
				rc = -1;
				break;
			}
			have_cmd = 0;
		}
	}
	fclose(f);
	return rc;
}

void mock_free(mock_card *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->cmd[i]);
		free(m->rsp[i]);
		free(m->got[i]);
	}
	memset(m, 0, sizeof(*m));
}

ukey_rv mock_xfer(void *ctx, const uint8_t *cmd, size_t cmdlen, uint8_t *rsp,
		  size_t rspcap, size_t *rsplen)
{
	mock_card *m = ctx;
	size_t i = m->pos;

	if (i >= m->n ||
	    (m->prefix_only[i] ? cmdlen < m->cmd_len[i] : m->cmd_len[i] != cmdlen) ||
	    memcmp(m->cmd[i], cmd, m->cmd_len[i]) != 0) {
		int k = 0;

		if (!m->mismatch) {
			m->mismatch = 1;
			m->mismatch_at = i;
			k = snprintf(m->last_error, sizeof(m->last_error),
				     "step %zu: unexpected command", i);
			for (size_t j = 0; j < cmdlen && j < 24 && k > 0 &&
			     (size_t)k < sizeof(m->last_error) - 4; j++)
				k += snprintf(m->last_error + k,
					      sizeof(m->last_error) - (size_t)k,
					      " %02X", cmd[j]);
		}
		return UKEY_E_TRANSPORT;
	}
	if (m->rsp_len[i] > rspcap)
		return UKEY_E_BUFFER_TOO_SMALL;
	memcpy(rsp, m->rsp[i], m->rsp_len[i]);
	*rsplen = m->rsp_len[i];
	free(m->got[i]);
	m->got[i] = malloc(cmdlen ? cmdlen : 1);
	if (m->got[i])
		memcpy(m->got[i], cmd, cmdlen);
	m->got_len[i] = m->got[i] ? cmdlen : 0;
	m->pos++;
	return UKEY_OK;
}

int mock_done(const mock_card *m)
{
	return !m->mismatch && m->pos == m->n;
}

int mock_load_data(mock_card *m, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", UKEY_TEST_DATA, name);
	return mock_load(m, path);
}

int mock_load_profile(const char *name, ukey_profile *prof)
{
	char path[512], err[512];
	static char text[65536];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", UKEY_TEST_PROFILES, name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(text, 1, sizeof(text), f);
	fclose(f);
	return ukey_profile_parse(text, n, path, prof, err, sizeof(err)) == UKEY_OK
		       ? 0 : -1;
}
