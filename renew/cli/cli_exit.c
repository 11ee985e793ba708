/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cli_exit.c — the one table from library outcomes to exit codes (the
 * contract in renew/README.md).
 */
#include "cli.h"

static const struct {
	enum renew_rc rc;
	int code;
} table[] = {
	{ RENEW_OK, CLI_EXIT_OK },
	{ RENEW_NOT_DUE, CLI_EXIT_OK },
	{ RENEW_DRY_RUN, CLI_EXIT_OK },
	{ RENEW_PENDING, CLI_EXIT_PENDING },
	{ RENEW_NO_TOKEN, CLI_EXIT_NO_TOKEN },
	{ RENEW_AMBIGUOUS, CLI_EXIT_NO_TOKEN },
	{ RENEW_NO_MATCH, CLI_EXIT_NO_TOKEN },
	{ RENEW_NOTHING_PENDING, CLI_EXIT_NOTHING_PENDING },
	{ RENEW_REJECTED, CLI_EXIT_REJECTED },
	{ RENEW_BAD_ANSWER, CLI_EXIT_BAD_ANSWER },
	{ RENEW_NETWORK, CLI_EXIT_NETWORK },
	{ RENEW_PIN_INCORRECT, CLI_EXIT_PIN },
	{ RENEW_PIN_LOCKED, CLI_EXIT_PIN },
	{ RENEW_PIN_INVALID, CLI_EXIT_PIN },
	{ RENEW_TOKEN_REMOVED, CLI_EXIT_ERROR },
	{ RENEW_TOKEN_ERROR, CLI_EXIT_ERROR },
	{ RENEW_MODULE, CLI_EXIT_ERROR },
	{ RENEW_CONFIG, CLI_EXIT_ERROR },
	{ RENEW_STATE, CLI_EXIT_ERROR },
	{ RENEW_BUSY, CLI_EXIT_BUSY },
	{ RENEW_TRUST, CLI_EXIT_ERROR },
	{ RENEW_INTERNAL, CLI_EXIT_ERROR },
};

int cli_exit_code(enum renew_rc rc)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].rc == rc)
			return table[i].code;
	return CLI_EXIT_ERROR;
}

int cli_status_exit(const struct renew_inventory *inv)
{
	if (inv == NULL || inv->n_certs == 0)
		return CLI_EXIT_NO_TOKEN;
	int due = 0;
	for (size_t i = 0; i < inv->n_certs; i++) {
		if (inv->certs[i].pending)
			return CLI_EXIT_PENDING;
		if (inv->certs[i].due || inv->certs[i].expired)
			due = 1;
	}
	return due ? CLI_EXIT_DUE : CLI_EXIT_OK;
}
