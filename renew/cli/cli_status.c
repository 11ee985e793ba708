/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cli_status.c — `status` as a readable list and as JSON. */
#include "cli.h"

#include <string.h>

void cli_iso8601(time_t t, char buf[32])
{
	struct tm tm;
	if (gmtime_r(&t, &tm) == NULL) {
		strcpy(buf, "1970-01-01T00:00:00Z");
		return;
	}
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Length of a valid UTF-8 sequence at s (1..4), or 0. */
static int utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	int n;
	unsigned long cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	for (int i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void cli_json_string(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");
	fputc('"', f);
	while (*s) {
		unsigned char c = *s;
		switch (c) {
		case '"': fputs("\\\"", f); s++; continue;
		case '\\': fputs("\\\\", f); s++; continue;
		case '\n': fputs("\\n", f); s++; continue;
		case '\r': fputs("\\r", f); s++; continue;
		case '\t': fputs("\\t", f); s++; continue;
		case '\b': fputs("\\b", f); s++; continue;
		case '\f': fputs("\\f", f); s++; continue;
		default: break;
		}
		if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\u%04x", c);
			s++;
			continue;
		}
		int n = utf8_len(s);
		if (n == 0) {
			fputs("\\ufffd", f);
			s++;
			continue;
		}
		fwrite(s, 1, (size_t)n, f);
		s += n;
	}
	fputc('"', f);
}

static const char *jbool(int v)
{
	return v ? "true" : "false";
}

void cli_status_json(FILE *f, const struct renew_inventory *inv)
{
	fputs("[", f);
	for (size_t i = 0; inv != NULL && i < inv->n_certs; i++) {
		const struct renew_cert_info *c = &inv->certs[i];
		char nb[32], na[32], idhex[2 * 64 + 1];
		size_t idl = c->id_len > 64 ? 64 : c->id_len;
		for (size_t k = 0; k < idl; k++)
			snprintf(idhex + 2 * k, 3, "%02x", c->id[k]);
		idhex[2 * idl] = '\0';
		cli_iso8601(c->not_before, nb);
		cli_iso8601(c->not_after, na);
		fputs(i ? ",\n  {" : "\n  {", f);
		fputs("\"token_label\": ", f);
		cli_json_string(f, c->token_label);
		fputs(", \"token_serial\": ", f);
		cli_json_string(f, c->token_serial);
		fputs(", \"id\": ", f);
		cli_json_string(f, idhex);
		fputs(", \"label\": ", f);
		cli_json_string(f, c->label);
		fputs(", \"subject\": ", f);
		cli_json_string(f, c->subject);
		fputs(", \"issuer\": ", f);
		cli_json_string(f, c->issuer);
		fputs(", \"serial\": ", f);
		cli_json_string(f, c->serial_hex);
		fprintf(f, ", \"not_before\": \"%s\", \"not_after\": \"%s\", \"days_left\": %ld", nb, na,
			c->days_left);
		fprintf(f, ", \"key_present\": %s",
			c->key_present < 0 ? "null" : jbool(c->key_present));
		fprintf(f, ", \"due\": %s, \"expired\": %s, \"pending\": %s, \"superseded\": %s}",
			jbool(c->due), jbool(c->expired), jbool(c->pending), jbool(c->superseded));
	}
	fputs(inv != NULL && inv->n_certs ? "\n]\n" : "]\n", f);
}

void cli_status_table(FILE *f, const struct renew_inventory *inv, long window_days)
{
	const char *last_serial = NULL, *last_label = NULL;
	for (size_t i = 0; i < inv->n_certs; i++) {
		const struct renew_cert_info *c = &inv->certs[i];
		char nb[40], na[40];
		if (last_serial == NULL || strcmp(last_serial, c->token_serial) != 0 ||
		    strcmp(last_label, c->token_label) != 0) {
			if (i)
				fputc('\n', f);
			fprintf(f, _("Key \"%s\" (serial %s)\n"), c->token_label, c->token_serial);
			last_serial = c->token_serial;
			last_label = c->token_label;
		}
		cli_fmt_time(c->not_before, nb, sizeof(nb));
		cli_fmt_time(c->not_after, na, sizeof(na));
		fprintf(f, _("  Certificate \"%s\" (--id "), c->label);
		for (size_t k = 0; k < c->id_len && k < 64; k++)
			fprintf(f, "%02x", c->id[k]);
		fputs(")\n", f);
		fprintf(f, _("    Subject:    %s\n"), c->subject);
		fprintf(f, _("    Issuer:     %s\n"), c->issuer);
		fprintf(f, _("    Serial:     %s\n"), c->serial_hex);
		fprintf(f, _("    Valid:      %s to %s\n"), nb, na);
		if (c->expired)
			fprintf(f, _("    Days left:  none, expired %ld days ago\n"), -c->days_left);
		else
			fprintf(f, _("    Days left:  %ld\n"), c->days_left);
		fprintf(f, "%s", c->key_present > 0 ? _("    Key pair:   on the key\n")
				 : c->key_present == 0 ? _("    Key pair:   NOT on the key (renewal needs it)\n")
						       : _("    Key pair:   unknown without the PIN\n"));
		if (c->pending)
			fputs(_("    Renewal:    pending at the CA: run 'ukey-renew install'\n"), f);
		else if (c->superseded)
			fputs(_("    Renewal:    replaced by a newer certificate on this key\n"), f);
		else if (c->expired)
			fputs(_("    Renewal:    the certificate has expired; the CA may refuse to "
				"renew it: contact your CA\n"), f);
		else if (c->due)
			fputs(_("    Renewal:    open: run 'ukey-renew renew'\n"), f);
		else
			fprintf(f, _("    Renewal:    not yet: more than %ld days left (opens in %ld "
				     "days); no need to apply\n"),
				window_days, c->days_left - window_days);
	}
}

void cli_list_choices(FILE *f, const struct renew_inventory *inv)
{
	fputs(_("Certificates found (choose one with --id or --label):\n"), f);
	for (size_t i = 0; inv != NULL && i < inv->n_certs; i++) {
		const struct renew_cert_info *c = &inv->certs[i];
		fputs("  --id ", f);
		for (size_t k = 0; k < c->id_len && k < 64; k++)
			fprintf(f, "%02x", c->id[k]);
		fprintf(f, _("  label \"%s\"  %s  (key \"%s\", %ld days left)\n"), c->label, c->subject,
			c->token_label, c->days_left);
	}
}
