/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cli_messages.c — every renew_rc and renew_step as a translated sentence:
 * what failed and what to do about it.
 */
#include "cli.h"

#include <string.h>

static const char *const rc_msgids[] = {
	[RENEW_OK] = N_("Done."),
	[RENEW_NOT_DUE] = N_("No renewal is due: the certificate has more days left than the "
			     "renewal window. Nothing was sent to the CA."),
	[RENEW_PENDING] = N_("The CA has not decided yet. Your request is saved; run "
			     "'ukey-renew install' later to finish."),
	[RENEW_NO_TOKEN] = N_("No key (token) with a certificate was found. Plug the key in, "
			      "check that the right PKCS#11 module is used (--module), and try again."),
	[RENEW_AMBIGUOUS] = N_("There are several certificates: choose one with --id HEX or "
			       "--label LABEL."),
	[RENEW_NO_MATCH] = N_("No certificate matches --id/--label. Run 'ukey-renew status' to see "
			      "the certificates."),
	[RENEW_NOTHING_PENDING] = N_("There is no pending renewal to install. Run 'ukey-renew apply' "
				     "(or 'ukey-renew renew') first."),
	[RENEW_REJECTED] = N_("The CA refused the renewal."),
	[RENEW_BAD_ANSWER] = N_("The CA's answer failed a check and was refused. The key was not "
				"changed. Contact your CA's support with the detail below."),
	[RENEW_NETWORK] = N_("The CA server could not be reached (network, TLS or HTTP problem). "
			     "Nothing was written to the key. Check the network, the server "
			     "address in the configuration and the trusted roots ('ukey-renew trust list')."),
	[RENEW_PIN_INCORRECT] = N_("Wrong PIN. Nothing was sent to the CA."),
	[RENEW_PIN_LOCKED] = N_("The PIN of the key is locked. Nothing was sent to the CA. Have it "
				"unlocked with the administrator (SO) PIN or by your CA's support."),
	[RENEW_PIN_INVALID] = N_("The key refused the PIN (wrong length or characters). Nothing was "
				 "sent to the CA."),
	[RENEW_TOKEN_REMOVED] = N_("The key was removed during the work. Plug it in again and rerun "
				   "the same command: it resumes where it stopped."),
	[RENEW_TOKEN_ERROR] = N_("The key reported an error. Rerun the same command; if it fails "
				 "again, run it with --verbose and contact support."),
	[RENEW_MODULE] = N_("The PKCS#11 module could not be loaded. Check the path given with "
			    "--module or in the configuration."),
	[RENEW_CONFIG] = N_("The configuration is wrong."),
	[RENEW_STATE] = N_("The saved renewal state cannot be used. See the detail below; the "
			   "state directory is described in the README."),
	[RENEW_BUSY] = N_("Another ukey-renew is working on this renewal. Wait until it ends, "
			  "then try again."),
	[RENEW_DRY_RUN] = N_("Dry run: stopped before the first message to the CA or the first "
			     "write to the key. Nothing was changed."),
	[RENEW_TRUST] = N_("Problem with the trusted root certificates."),
	[RENEW_INTERNAL] = N_("Internal error. Please report it with the output of --verbose."),
};

static const char *const step_msgids[] = {
	[RENEW_STEP_NONE] = N_("starting"),
	[RENEW_STEP_LOAD_MODULE] = N_("loading the PKCS#11 module"),
	[RENEW_STEP_FIND_TOKEN] = N_("looking for the key and its certificate"),
	[RENEW_STEP_LOGIN] = N_("logging in to the key with the PIN"),
	[RENEW_STEP_GENERATE_KEY] = N_("generating a new key pair on the key"),
	[RENEW_STEP_SEND_REQUEST] = N_("sending the renewal request to the CA"),
	[RENEW_STEP_WAIT] = N_("waiting for the CA to approve"),
	[RENEW_STEP_RECEIVE] = N_("receiving the renewed certificate"),
	[RENEW_STEP_VERIFY_CHAIN] = N_("checking that the certificate chains to a trusted root"),
	[RENEW_STEP_VERIFY_KEY] = N_("checking that the certificate is for the key's own key pair"),
	[RENEW_STEP_SIGN_TEST] = N_("test signature with the key"),
	[RENEW_STEP_VERIFY_FIELDS] = N_("checking the subject and validity of the certificate"),
	[RENEW_STEP_WRITE_CERT] = N_("writing the new certificate to the key"),
	[RENEW_STEP_READ_BACK] = N_("reading the new certificate back from the key"),
	[RENEW_STEP_DELETE_OLD_CERT] = N_("deleting the old certificate from the key"),
	[RENEW_STEP_DELETE_OLD_KEY] = N_("deleting the old key pair from the key"),
	[RENEW_STEP_DONE] = N_("finished"),
};

const char *cli_rc_msgid(enum renew_rc rc)
{
	if ((size_t)rc < sizeof(rc_msgids) / sizeof(rc_msgids[0]) && rc_msgids[rc] != NULL)
		return rc_msgids[rc];
	return rc_msgids[RENEW_INTERNAL];
}

const char *cli_step_msgid(enum renew_step step)
{
	if ((size_t)step < sizeof(step_msgids) / sizeof(step_msgids[0]) && step_msgids[step] != NULL)
		return step_msgids[step];
	return step_msgids[RENEW_STEP_NONE];
}

const char *cli_rc_text(enum renew_rc rc)
{
	return _(cli_rc_msgid(rc));
}

const char *cli_step_text(enum renew_step step)
{
	return _(cli_step_msgid(step));
}

void cli_fmt_time(time_t t, char *buf, size_t n)
{
	struct tm tm;
	if (t == 0 || gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, n, "?");
		return;
	}
	strftime(buf, n, "%Y-%m-%d %H:%M UTC", &tm);
}

void cli_report_failure(FILE *f, const struct renew_result *res)
{
	fprintf(f, "ukey-renew: %s\n", cli_rc_text(res->rc));
	if (res->rc == RENEW_REJECTED && res->ca_text[0] != '\0')
		fprintf(f, _("  The CA says: %s\n"), res->ca_text);
	if (res->rc == RENEW_PIN_INCORRECT) {
		if (res->tries_left == 1)
			fputs(_("  Only ONE try is left: one more wrong PIN locks the key.\n"), f);
		else if (res->tries_left == -2)
			fputs(_("  Few tries are left before the PIN is locked.\n"), f);
		else if (res->tries_left > 1)
			fprintf(f, _("  %d tries are left before the PIN is locked.\n"), res->tries_left);
	}
	if (res->step != RENEW_STEP_NONE && res->rc != RENEW_DRY_RUN)
		fprintf(f, _("  Failed step: %s\n"), cli_step_text(res->step));
	if (res->detail[0] != '\0')
		fprintf(f, _("  Detail: %s\n"), res->detail);
	if (res->rc != RENEW_REJECTED && res->ca_text[0] != '\0')
		fprintf(f, _("  The CA says: %s\n"), res->ca_text);
}

void cli_report_success(FILE *f, const struct renew_result *res)
{
	char a[40], b[40];
	fprintf(f, "%s\n", _("renewal succeeded"));
	if (res->token_label[0] != '\0')
		fprintf(f, _("  Key: %s\n"), res->token_label);
	cli_fmt_time(res->old_not_before, a, sizeof(a));
	cli_fmt_time(res->old_not_after, b, sizeof(b));
	fprintf(f, _("  Old certificate valid: %s to %s\n"), a, b);
	cli_fmt_time(res->new_not_before, a, sizeof(a));
	cli_fmt_time(res->new_not_after, b, sizeof(b));
	fprintf(f, _("  New certificate valid: %s to %s\n"), a, b);
	if (res->old_cert_kept)
		fprintf(f, "%s\n", _("  Note: this PKCS#11 module cannot delete certificates, so the old "
				   "certificate is still on the key; applications should pick the newer one."));
	if (res->old_key_kept)
		fprintf(f, "%s\n", _("  Note: the old key pair was kept on the key with its certificate."));
}
