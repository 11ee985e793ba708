/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cli_trust.c — `trust add | list | remove`. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

int cli_trust_add(const char *trust_dir, const char *pem, const char *fp)
{
	struct renew_result res;
	memset(&res, 0, sizeof(res));
	enum renew_rc rc = renew_trust_add(trust_dir, pem, fp, &res);
	if (rc != RENEW_OK) {
		res.rc = rc;
		cli_report_failure(stderr, &res);
		fprintf(stderr, _("  The root was not added. Compare the fingerprint with the one your "
				  "CA publishes.\n"));
		return cli_exit_code(rc);
	}
	printf(_("Root certificate trusted (stored in %s).\n"), trust_dir);
	return CLI_EXIT_OK;
}

int cli_trust_list(const char *trust_dir)
{
	struct renew_result res;
	memset(&res, 0, sizeof(res));
	struct renew_trust_entry *e = NULL;
	size_t n = 0;
	enum renew_rc rc = renew_trust_list(trust_dir, &e, &n, &res);
	if (rc != RENEW_OK) {
		res.rc = rc;
		cli_report_failure(stderr, &res);
		return cli_exit_code(rc);
	}
	if (n == 0) {
		printf(_("No trusted root in %s. Add your CA's root with 'ukey-renew trust add "
			 "ROOT.pem --sha256 FINGERPRINT'.\n"), trust_dir);
	}
	for (size_t i = 0; i < n; i++) {
		char t[40];
		cli_fmt_time(e[i].not_after, t, sizeof(t));
		printf("%s\n", e[i].sha256_hex);
		printf(_("    %s (valid until %s)\n"), e[i].subject, t);
	}
	free(e);
	return CLI_EXIT_OK;
}

int cli_trust_remove(const char *trust_dir, const char *fp)
{
	struct renew_result res;
	memset(&res, 0, sizeof(res));
	enum renew_rc rc = renew_trust_remove(trust_dir, fp, &res);
	if (rc != RENEW_OK) {
		res.rc = rc;
		cli_report_failure(stderr, &res);
		return cli_exit_code(rc);
	}
	printf(_("Root certificate removed from %s.\n"), trust_dir);
	return CLI_EXIT_OK;
}
