/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cli_opts.c — command line: global options before or after the command,
 * "--opt value" and "--opt=value", "--" ends the options. A PIN is never
 * taken from the command line: --pin and friends are refused with a reason.
 */
#include "cli.h"

#include <stdarg.h>
#include <string.h>

enum opt_id {
	O_MODULE, O_CONFIG, O_VERBOSE, O_DRY_RUN, O_LANG, O_JSON, O_ID, O_LABEL,
	O_PIN_FILE, O_PIN_ENV, O_REKEY, O_IF_DUE, O_WAIT, O_SHA256, O_HELP, O_VERSION
};

/* Which commands take an option: bit (1 << cmd); 0 = global. */
#define C(x) (1u << (x))
#define CHOICE (C(CLI_CMD_APPLY) | C(CLI_CMD_INSTALL) | C(CLI_CMD_RENEW))

static const struct opt {
	const char *name;
	enum opt_id id;
	int has_arg;
	unsigned cmds;
} opts[] = {
	{ "module", O_MODULE, 1, 0 },
	{ "config", O_CONFIG, 1, 0 },
	{ "verbose", O_VERBOSE, 0, 0 },
	{ "dry-run", O_DRY_RUN, 0, 0 },
	{ "lang", O_LANG, 1, 0 },
	{ "help", O_HELP, 0, 0 },
	{ "version", O_VERSION, 0, 0 },
	{ "json", O_JSON, 0, C(CLI_CMD_STATUS) },
	{ "id", O_ID, 1, CHOICE },
	{ "label", O_LABEL, 1, CHOICE },
	{ "pin-file", O_PIN_FILE, 1, CHOICE },
	{ "pin-env", O_PIN_ENV, 1, CHOICE },
	{ "rekey", O_REKEY, 0, C(CLI_CMD_APPLY) | C(CLI_CMD_RENEW) },
	{ "if-due", O_IF_DUE, 0, C(CLI_CMD_RENEW) },
	{ "wait", O_WAIT, 0, C(CLI_CMD_INSTALL) },
	{ "sha256", O_SHA256, 1, C(CLI_CMD_TRUST_ADD) },
};

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

const char *cli_cmd_name(enum cli_cmd c)
{
	switch (c) {
	case CLI_CMD_STATUS: return "status";
	case CLI_CMD_APPLY: return "apply";
	case CLI_CMD_INSTALL: return "install";
	case CLI_CMD_RENEW: return "renew";
	case CLI_CMD_TRUST_ADD: return "trust add";
	case CLI_CMD_TRUST_LIST: return "trust list";
	case CLI_CMD_TRUST_REMOVE: return "trust remove";
	case CLI_CMD_HELP: return "--help";
	case CLI_CMD_VERSION: return "--version";
	case CLI_CMD_NONE: break;
	}
	return "";
}

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

long cli_parse_hex(const char *s, unsigned char *out, size_t cap)
{
	size_t n = 0;
	int half = -1;
	if (s == NULL || *s == '\0')
		return -1;
	for (; *s; s++) {
		if (*s == ':') {
			if (half >= 0)
				return -1; /* "a:b" splits a byte */
			continue;
		}
		int v = hexval(*s);
		if (v < 0)
			return -1;
		if (half < 0) {
			half = v;
		} else {
			if (n >= cap)
				return -1;
			out[n++] = (unsigned char)(half << 4 | v);
			half = -1;
		}
	}
	return (half >= 0 || n == 0) ? -1 : (long)n;
}

static int is_pin_option(const char *a)
{
	static const char *const bad[] = { "-p", "--pin", "--user-pin", "--so-pin", "--password",
					   "--pass", "--passphrase", "-P" };
	size_t l = strcspn(a, "=");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (strlen(bad[i]) == l && strncmp(a, bad[i], l) == 0)
			return 1;
	return 0;
}

const char *cli_prescan_lang(int argc, char **argv)
{
	const char *lang = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--lang") == 0 && i + 1 < argc)
			lang = argv[++i];
		else if (strncmp(argv[i], "--lang=", 7) == 0)
			lang = argv[i] + 7;
	}
	if (lang != NULL && strcmp(lang, "zh") != 0 && strcmp(lang, "en") != 0)
		return NULL;
	return lang;
}

static enum cli_cmd find_cmd(const char *a, const char *b, int *used)
{
	*used = 1;
	if (strcmp(a, "status") == 0)
		return CLI_CMD_STATUS;
	if (strcmp(a, "apply") == 0)
		return CLI_CMD_APPLY;
	if (strcmp(a, "install") == 0)
		return CLI_CMD_INSTALL;
	if (strcmp(a, "renew") == 0)
		return CLI_CMD_RENEW;
	if (strcmp(a, "help") == 0)
		return CLI_CMD_HELP;
	if (strcmp(a, "trust") == 0 && b != NULL) {
		*used = 2;
		if (strcmp(b, "add") == 0)
			return CLI_CMD_TRUST_ADD;
		if (strcmp(b, "list") == 0)
			return CLI_CMD_TRUST_LIST;
		if (strcmp(b, "remove") == 0)
			return CLI_CMD_TRUST_REMOVE;
	}
	return CLI_CMD_NONE;
}

int cli_parse(int argc, char **argv, struct cli_opts *o, char *err, size_t errlen)
{
	memset(o, 0, sizeof(*o));
	const char *pos[8];
	size_t npos = 0;
	/* which option was seen, to check it against the command afterwards */
	const struct opt *seen[32];
	size_t nseen = 0;
	int help = 0, version = 0, only_pos = 0;
	const char *id_text = NULL;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (only_pos || a[0] != '-' || a[1] == '\0') {
			if (npos == sizeof(pos) / sizeof(pos[0])) {
				seterr(err, errlen, _("too many arguments: '%s'"), a);
				return -1;
			}
			pos[npos++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_pos = 1;
			continue;
		}
		if (is_pin_option(a) || (strncmp(a, "--pin", 5) == 0 &&
					 strncmp(a, "--pin-file", 10) != 0 &&
					 strncmp(a, "--pin-env", 9) != 0)) {
			seterr(err, errlen, _("a PIN is never accepted on the command line (other users "
					      "could read it in the process list): omit it to be asked on "
					      "the terminal, or use --pin-file FILE or --pin-env NAME"));
			return -1;
		}
		if (strcmp(a, "-h") == 0) {
			help = 1;
			continue;
		}
		if (strcmp(a, "-V") == 0) {
			version = 1;
			continue;
		}
		if (strcmp(a, "-v") == 0) {
			o->verbose = 1;
			continue;
		}
		if (a[1] != '-') {
			seterr(err, errlen, _("unknown option '%s'"), a);
			return -1;
		}
		const char *name = a + 2;
		size_t nl = strcspn(name, "=");
		const char *val = name[nl] == '=' ? name + nl + 1 : NULL;
		const struct opt *op = NULL;
		for (size_t k = 0; k < sizeof(opts) / sizeof(opts[0]); k++)
			if (strlen(opts[k].name) == nl && strncmp(opts[k].name, name, nl) == 0)
				op = &opts[k];
		if (op == NULL) {
			seterr(err, errlen, _("unknown option '%.*s'"), (int)(nl + 2), a);
			return -1;
		}
		if (op->has_arg && val == NULL) {
			if (i + 1 >= argc) {
				seterr(err, errlen, _("option '--%s' needs a value"), op->name);
				return -1;
			}
			val = argv[++i];
		} else if (!op->has_arg && val != NULL) {
			seterr(err, errlen, _("option '--%s' takes no value"), op->name);
			return -1;
		}
		for (size_t k = 0; k < nseen; k++)
			if (seen[k] == op) {
				seterr(err, errlen, _("option '--%s' given twice"), op->name);
				return -1;
			}
		if (nseen < sizeof(seen) / sizeof(seen[0]))
			seen[nseen++] = op;
		switch (op->id) {
		case O_MODULE: o->module = val; break;
		case O_CONFIG: o->config = val; break;
		case O_VERBOSE: o->verbose = 1; break;
		case O_DRY_RUN: o->dry_run = 1; break;
		case O_LANG:
			if (strcmp(val, "zh") != 0 && strcmp(val, "en") != 0) {
				seterr(err, errlen, _("--lang must be 'zh' or 'en', not '%s'"), val);
				return -1;
			}
			o->lang = val;
			break;
		case O_JSON: o->json = 1; break;
		case O_ID: id_text = val; break;
		case O_LABEL: o->label = val; break;
		case O_PIN_FILE: o->pin_file = val; break;
		case O_PIN_ENV: o->pin_env = val; break;
		case O_REKEY: o->rekey = 1; break;
		case O_IF_DUE: o->if_due = 1; break;
		case O_WAIT: o->wait = 1; break;
		case O_SHA256: o->sha256 = val; break;
		case O_HELP: help = 1; break;
		case O_VERSION: version = 1; break;
		}
	}

	if (help) {
		o->cmd = CLI_CMD_HELP;
		return 0;
	}
	if (version) {
		o->cmd = CLI_CMD_VERSION;
		return 0;
	}
	if (npos == 0) {
		seterr(err, errlen, _("no command given"));
		return -1;
	}
	int used;
	o->cmd = find_cmd(pos[0], npos > 1 ? pos[1] : NULL, &used);
	if (o->cmd == CLI_CMD_NONE) {
		if (strcmp(pos[0], "trust") == 0)
			seterr(err, errlen, _("'trust' needs 'add', 'list' or 'remove'"));
		else
			seterr(err, errlen, _("unknown command '%s'"), pos[0]);
		return -1;
	}
	if (o->cmd == CLI_CMD_HELP) {
		if (npos > 1) {
			seterr(err, errlen, _("too many arguments: '%s'"), pos[1]);
			return -1;
		}
		return 0;
	}
	size_t want = (o->cmd == CLI_CMD_TRUST_ADD || o->cmd == CLI_CMD_TRUST_REMOVE) ? 1 : 0;
	if (npos - (size_t)used < want) {
		seterr(err, errlen, o->cmd == CLI_CMD_TRUST_ADD
			       ? _("'trust add' needs the root certificate file (PEM)")
			       : _("'trust remove' needs the SHA-256 fingerprint"));
		return -1;
	}
	if (npos - (size_t)used > want) {
		seterr(err, errlen, _("too many arguments: '%s'"), pos[(size_t)used + want]);
		return -1;
	}
	if (want)
		o->arg = pos[used];
	for (size_t k = 0; k < nseen; k++)
		if (seen[k]->cmds != 0 && !(seen[k]->cmds & C(o->cmd))) {
			seterr(err, errlen, _("option '--%s' does not apply to '%s'"), seen[k]->name,
			       cli_cmd_name(o->cmd));
			return -1;
		}
	if (o->cmd == CLI_CMD_TRUST_ADD && o->sha256 == NULL) {
		seterr(err, errlen, _("'trust add' needs --sha256 FINGERPRINT (compare it with the one "
				      "your CA publishes)"));
		return -1;
	}
	if (o->pin_file != NULL && o->pin_env != NULL) {
		seterr(err, errlen, _("use either --pin-file or --pin-env, not both"));
		return -1;
	}
	if (id_text != NULL && o->label != NULL) {
		seterr(err, errlen, _("use either --id or --label, not both"));
		return -1;
	}
	if (id_text != NULL) {
		long n = cli_parse_hex(id_text, o->id, sizeof(o->id));
		if (n < 0) {
			seterr(err, errlen, _("--id must be hexadecimal (at most 64 bytes), not '%s'"),
			       id_text);
			return -1;
		}
		o->id_len = (size_t)n;
		o->have_id = 1;
	}
	return 0;
}

void cli_usage(FILE *f)
{
	fputs(_("Usage: ukey-renew [OPTIONS] COMMAND [COMMAND OPTIONS]\n"
		"\n"
		"Renews the certificate on a USB key through its PKCS#11 module and the\n"
		"CA's CMP service.\n"
		"\n"
		"Commands:\n"
		"  status [--json]            every token and certificate, and whether\n"
		"                             renewal is open (no PIN needed)\n"
		"  apply                      send the renewal request to the CA\n"
		"  install [--wait]           fetch the renewed certificate and write it\n"
		"                             onto the key\n"
		"  renew [--if-due]           apply, wait for the CA, install\n"
		"  trust add ROOT.pem --sha256 FINGERPRINT\n"
		"                             trust the CA's root certificate\n"
		"  trust list                 list the trusted roots\n"
		"  trust remove FINGERPRINT   stop trusting a root\n"
		"\n"
		"Options of apply, install and renew:\n"
		"  --id HEX | --label LABEL   which certificate (when there are several)\n"
		"  --pin-file FILE            read the PIN from the first line of FILE\n"
		"  --pin-env NAME             read the PIN from environment variable NAME\n"
		"                             (otherwise it is asked on the terminal)\n"
		"  --rekey                    (apply, renew) generate a new key pair first\n"
		"\n"
		"Global options (before or after the command):\n"
		"  --module PATH              PKCS#11 module (default: ukey-pkcs11.so)\n"
		"  --config FILE              configuration file read after the others\n"
		"  --verbose                  show each PKCS#11 call and CMP message\n"
		"  --dry-run                  stop before the first message to the CA or\n"
		"                             the first write to the key\n"
		"  --lang zh|en               language of the messages\n"
		"  --help, --version\n"
		"\n"
		"Exit codes: 0 done / nothing due, 1 error, 2 no token or certificate,\n"
		"3 nothing pending, 4 PIN problem, 5 busy, 10 renewal due, 11 pending at\n"
		"the CA, 20 refused by the CA, 30 bad answer from the CA, 31 CA\n"
		"unreachable (network, TLS, HTTP).\n"), f);
}
