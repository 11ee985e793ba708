/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ukey-vtoken — a virtual token for vpcd.
 *
 *   ukey-vtoken --os ftcos|gmt0017|epass2003 --atr NAME_OR_HEX --port P
 *               --state FILE [--sm des|aes|fips]
 *               [--pull-after N] [--reconnect-after-pull MS] [--delay-ms MS]
 *               [--garble N] [--t0] [--apdu-log FILE] [--slow-ack]
 *   ukey-vtoken init --os ftcos|gmt0017|epass2003 --state FILE --secrets FILE [--label L]
 *               [--key-bits 2048] [--ca-cert PEM --ca-key PEM] [--days-left N]
 *               [--days-valid N] [--cn NAME] [--layout pkcs15|espk] [--serial HEX]
 *               [--atr NAME|HEX]      (FTCOS model: selects the transport key;
 *                                      ePass2003: the SM model, or --sm) [--sm M]
 *   ukey-vtoken show --os ftcos --state FILE
 *   ukey-vtoken check --state FILE [--list]   (ESPK layout checker,
 *               vt_check_espk.c; FTCOS and ePass2003 images)
 *
 * vpcd protocol: every message is a 2-byte big-endian length then payload;
 * a 1-byte payload from vpcd is a control (00 off, 01 on, 02 reset, 04 ATR),
 * anything longer a command APDU answered with the response APDU.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "vt_os_ftcos.h"
#include "vtoken.h"

static volatile sig_atomic_t stop_flag;

static void on_term(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) && errno == EINTR && !stop_flag)
		;
}

static int read_full(int fd, uint8_t *p, size_t n)
{
	while (n) {
		ssize_t r = read(fd, p, n);
		if (r < 0 && errno == EINTR) {
			if (stop_flag)
				return -1;
			continue;
		}
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int write_full(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int send_msg(int fd, const uint8_t *p, size_t n)
{
	if (n > 0xFFFF)
		return -1;
	uint8_t h[2] = { (uint8_t)(n >> 8), (uint8_t)n };
	return write_full(fd, h, 2) || write_full(fd, p, n);
}

/* Connect to vpcd, retrying every 50 ms until it listens (or SIGTERM). */
static int connect_vpcd(int port)
{
	while (!stop_flag) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -1;
		struct sockaddr_in a = { 0 };
		a.sin_family = AF_INET;
		a.sin_port = htons((uint16_t)port);
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0) {
			int one = 1;
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
			return fd;
		}
		close(fd);
		sleep_ms(50);
	}
	return -1;
}

typedef struct {
	const vt_os *os;
	void *st;
	const char *state_path;
	uint8_t atr[33];
	size_t atr_len;
	long pull_after, reconnect_ms, delay_ms, garble;
	int t0, use_t0;
	int slow_ack;
	int port;
	FILE *log;
	unsigned long count;
} server;

/* With --apdu-log, every state write is logged as "save begin HASH" before
 * the file is touched and "save done HASH" once it is committed (HASH =
 * SHA-256 of the image): a crash test can then check that the file on disk
 * is the last committed image or the one being written, never a third one.
 * The image holds RSA keys, so its hash reveals nothing usable about PINs. */
static void log_save(server *s, const char *what, const vt_buf *b)
{
	if (!s->log)
		return;
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	if (!EVP_Digest(b->p, b->len, md, &mdlen, EVP_sha256(), NULL))
		mdlen = 0;
	fprintf(s->log, "save %s ", what);
	for (unsigned i = 0; i < mdlen; i++)
		fprintf(s->log, "%02x", md[i]);
	fprintf(s->log, "\n");
	fflush(s->log);
}

static int save_state(server *s)
{
	vt_buf b = { 0 };
	int rc = vt_image_wrap(s->os, s->st, &b);
	if (!rc) {
		log_save(s, "begin", &b);
		rc = vt_state_write(s->state_path, b.p, b.len);
		if (!rc)
			log_save(s, "done", &b);
	}
	vt_buf_free(&b);
	if (rc)
		fprintf(stderr, "ukey-vtoken: cannot save %s: %s\n", s->state_path,
			strerror(errno));
	return rc;
}

static void quick_ack(int fd)
{
#ifdef TCP_QUICKACK
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
#else
	(void)fd;
#endif
}

/* Serve one vpcd connection. Returns 1 when the token was pulled
 * (--pull-after), 0 when vpcd went away, -1 on SIGTERM. */
static int serve(server *s, int fd, vt_t0 *t0)
{
	static uint8_t msg[65536], rsp[VT_RSP_MAX];
	for (;;) {
		uint8_t h[2];
		/* vpcd writes a message as two sends (length, then payload) on a
		 * Nagle socket: the payload waits for our ACK of the length, which
		 * the kernel delays ~40 ms. So by default we ask for an immediate
		 * ACK (Linux re-arms delayed ACKs, so before every message): the
		 * token then answers at real-token speed. --slow-ack keeps the
		 * old ~40 ms per APDU for tests that want a slow token. */
		if (!s->slow_ack)
			quick_ack(fd);
		if (read_full(fd, h, 2))
			return stop_flag ? -1 : 0;
		size_t n = (size_t)h[0] << 8 | h[1];
		if (n == 0)
			continue;
		if (read_full(fd, msg, n))
			return stop_flag ? -1 : 0;
		if (n == 1) {
			switch (msg[0]) {
			case 0x00: /* power off */
			case 0x01: /* power on */
			case 0x02: /* reset */
				s->os->reset(s->st);
				vt_t0_clear(t0);
				break;
			case 0x04:
				if (send_msg(fd, s->atr, s->atr_len))
					return 0;
				break;
			default:
				break;
			}
			continue;
		}
		s->count++;
		if (s->pull_after > 0 && s->count == (unsigned long)s->pull_after) {
			/* pulled while the command was on its way: not executed */
			s->pull_after = 0;
			return 1;
		}
		if (s->delay_ms > 0)
			sleep_ms(s->delay_ms);
		int dirty = 0;
		size_t rl = s->use_t0 ? vt_t0_apdu(t0, s->os, s->st, msg, n, rsp, &dirty)
				      : s->os->apdu(s->st, msg, n, rsp, &dirty);
		if (rl < 2 || rl > VT_RSP_MAX)
			rl = vt_sw(rsp, 0, 0x6F00);
		if (dirty && save_state(s))
			rl = vt_sw(rsp, 0, 0x6581);   /* memory failure */
		if (s->log) {
			fprintf(s->log, "%lu %02X %02X %02X %02X len=%zu -> %02X%02X\n",
				s->count, msg[0], msg[1], msg[2], msg[3], n,
				rsp[rl - 2], rsp[rl - 1]);
			fflush(s->log);
		}
		if (s->garble > 0 && s->count == (unsigned long)s->garble)
			for (size_t i = 0; i < rl; i++)
				rsp[i] ^= 0xA5;
		if (rl > 0xFFFF)
			rl = vt_sw(rsp, 0, 0x6F00);
		if (send_msg(fd, rsp, rl))
			return 0;
	}
}

static void usage(void)
{
	fprintf(stderr,
		"usage: ukey-vtoken --os ftcos|gmt0017|epass2003 --atr NAME|HEX --port P --state FILE\n"
		"                   [--sm des|aes|fips] [--pull-after N] [--reconnect-after-pull MS] [--delay-ms MS]\n"
		"                   [--garble N] [--t0] [--apdu-log FILE] [--slow-ack]\n"
		"       ukey-vtoken init --os OS --state FILE --secrets FILE [--label L]\n"
		"                   [--key-bits N] [--ca-cert PEM --ca-key PEM] [--days-left N]\n"
		"                   [--days-valid N] [--cn NAME] [--layout pkcs15|espk] [--serial HEX]\n"
		"                   [--atr NAME|HEX] [--sm des|aes|fips]\n"
		"       ukey-vtoken show [--os OS] --state FILE\n"
		"       ukey-vtoken check --state FILE [--list]\n");
}

static int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Load the state file, or a blank card if it does not exist (*created set). */
static void *load_or_create(const vt_os *os, const char *path, int must_exist,
			    int *created)
{
	uint8_t *img;
	size_t len;
	if (created)
		*created = 0;
	if (vt_state_read(path, &img, &len)) {
		if (errno == ENOENT && !must_exist) {
			if (created)
				*created = 1;
			return os->create();
		}
		fprintf(stderr, "ukey-vtoken: cannot read %s: %s\n", path, strerror(errno));
		return NULL;
	}
	void *st = vt_image_unwrap(os, img, len);
	vt_wipe(img, len);
	free(img);
	return st;
}

static const char *opt_val(int argc, char **argv, int *i)
{
	if (*i + 1 >= argc) {
		fprintf(stderr, "ukey-vtoken: %s needs a value\n", argv[*i]);
		return NULL;
	}
	return argv[++*i];
}

/* Peek at the OS name of an existing image (for `show` without --os). */
static const vt_os *os_of_file(const char *path)
{
	uint8_t *img;
	size_t len;
	if (vt_state_read(path, &img, &len))
		return NULL;
	const vt_os *os = NULL;
	if (len > 7 && img[6] <= 32 && (size_t)img[6] + 7 <= len) {
		char name[33];
		memcpy(name, img + 7, img[6]);
		name[img[6]] = '\0';
		os = vt_os_find(name);
	}
	free(img);
	return os;
}

static int cmd_init_show(int argc, char **argv, int show)
{
	vt_init_params p = { 0 };
	const char *os_name = NULL, *state = NULL, *secrets = NULL, *atr = NULL;
	uint8_t atr_b[33];
	size_t atr_len = 0;
	long v;
	p.key_bits = 2048;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
#define OPT(name) (!strcmp(a, name) && (val = opt_val(argc, argv, &i)))
		if (OPT("--os")) os_name = val;
		else if (OPT("--state")) state = val;
		else if (!show && OPT("--secrets")) secrets = val;
		else if (!show && OPT("--label")) p.label = val;
		else if (!show && OPT("--ca-cert")) p.ca_cert_path = val;
		else if (!show && OPT("--ca-key")) p.ca_key_path = val;
		else if (!show && OPT("--cn")) p.subject_cn = val;
		else if (!show && OPT("--layout")) p.layout = val;
		else if (!show && OPT("--serial")) p.serial = val;
		else if (!show && OPT("--atr")) atr = val;
		else if (!show && OPT("--sm")) p.model = val;
		else if (!show && OPT("--key-bits")) {
			if (parse_long(val, 0, 4096, &v)) goto bad;
			p.key_bits = (unsigned)v;
		} else if (!show && OPT("--days-left")) {
			if (parse_long(val, -36500, 36500, &v)) goto bad;
			p.days_left = (int)v;
		} else if (!show && OPT("--days-valid")) {
			if (parse_long(val, 1, 36500, &v)) goto bad;
			p.days_valid = (int)v;
		} else {
			goto bad;
		}
#undef OPT
	}
	if (!state || (!show && !secrets))
		goto bad;
	const vt_os *os = os_name ? vt_os_find(os_name) : os_of_file(state);
	if (!os) {
		fprintf(stderr, "ukey-vtoken: unknown or missing --os\n");
		return 2;
	}
	if (show) {
		void *st = load_or_create(os, state, 1, NULL);
		if (!st)
			return 1;
		if (os->describe)
			os->describe(st, stdout);
		else
			printf("os: %s\n", os->name);
		os->destroy(st);
		return 0;
	}
	if (atr && vt_atr_lookup(atr, atr_b, &atr_len)) {
		fprintf(stderr, "ukey-vtoken: unknown ATR '%s'\n", atr);
		return 2;
	}
	if ((atr && os != &vt_os_ftcos && !os->set_model) ||
	    (p.model && !os->set_model)) {
		fprintf(stderr, "ukey-vtoken: init --atr/--sm select FTCOS and ePass2003 models only\n");
		return 2;
	}
	static char upin[64], sopin[64];
	if (vt_read_secrets(secrets, upin, sopin, sizeof upin))
		return 1;
	p.user_pin = upin[0] ? upin : NULL;
	p.so_pin = sopin[0] ? sopin : NULL;
	void *st = os->create();
	/* the model (transport key) is fixed before personalisation, as at
	 * manufacture; without --atr the card is a default-key FTCOS */
	if (st && atr && os == &vt_os_ftcos)
		ft_set_model_from_atr(st, atr_b, atr_len);
	if (st && os->set_model && (atr || p.model) &&
	    os->set_model(st, p.model, atr_b, atr_len)) {
		fprintf(stderr, "ukey-vtoken: unknown --sm model '%s'\n", p.model);
		os->destroy(st);
		return 2;
	}
	int rc = st ? os->init(st, &p) : -1;
	vt_wipe(upin, sizeof upin);
	vt_wipe(sopin, sizeof sopin);
	if (!rc) {
		vt_buf b = { 0 };
		rc = vt_image_wrap(os, st, &b) || vt_state_write(state, b.p, b.len);
		if (rc)
			fprintf(stderr, "ukey-vtoken: cannot write %s\n", state);
		vt_buf_free(&b);
	}
	if (st)
		os->destroy(st);
	return rc ? 1 : 0;
bad:
	usage();
	return 2;
}

int vt_check_espk_main(int argc, char **argv); /* vt_check_espk.c */

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "check"))
		return vt_check_espk_main(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "init"))
		return cmd_init_show(argc, argv, 0);
	if (argc > 1 && !strcmp(argv[1], "show"))
		return cmd_init_show(argc, argv, 1);

	server s = { 0 };
	const char *os_name = NULL, *atr = NULL, *log_path = NULL, *model = NULL;
	long port = -1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
#define OPT(name) (!strcmp(a, name) && (val = opt_val(argc, argv, &i)))
		if (OPT("--os")) os_name = val;
		else if (OPT("--atr")) atr = val;
		else if (OPT("--state")) s.state_path = val;
		else if (OPT("--apdu-log")) log_path = val;
		else if (OPT("--sm")) model = val;
		else if (OPT("--port")) { if (parse_long(val, 1, 65535, &port)) goto bad; }
		else if (OPT("--pull-after")) { if (parse_long(val, 1, 1L << 30, &s.pull_after)) goto bad; }
		else if (OPT("--reconnect-after-pull")) { if (parse_long(val, 0, 600000, &s.reconnect_ms)) goto bad; }
		else if (OPT("--delay-ms")) { if (parse_long(val, 0, 600000, &s.delay_ms)) goto bad; }
		else if (OPT("--garble")) { if (parse_long(val, 1, 1L << 30, &s.garble)) goto bad; }
		else if (!strcmp(a, "--t0")) s.t0 = 1;
		/* --quick-ack was the opt-in before it became the default. */
		else if (!strcmp(a, "--quick-ack")) s.slow_ack = 0;
		else if (!strcmp(a, "--slow-ack")) s.slow_ack = 1;
		else goto bad;
#undef OPT
	}
	s.reconnect_ms = s.reconnect_ms ? s.reconnect_ms : -1;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--reconnect-after-pull"))
			s.reconnect_ms = s.reconnect_ms < 0 ? 0 : s.reconnect_ms;
	if (!os_name || !atr || port < 0 || !s.state_path)
		goto bad;
	s.os = vt_os_find(os_name);
	if (!s.os) {
		fprintf(stderr, "ukey-vtoken: unknown OS '%s'\n", os_name);
		return 2;
	}
	if (vt_atr_lookup(atr, s.atr, &s.atr_len)) {
		fprintf(stderr, "ukey-vtoken: unknown ATR '%s'\n", atr);
		return 2;
	}
	s.port = (int)port;
	int created;
	s.st = load_or_create(s.os, s.state_path, 0, &created);
	if (!s.st)
		return 1;
	/* FTCOS: a new card gets the transport key of the model --atr names and
	 * keeps it in its image (saved with the first change); an existing
	 * image keeps its own key whatever --atr says, like a real chip. */
	if (s.os == &vt_os_ftcos) {
		if (created)
			ft_set_model_from_atr(s.st, s.atr, s.atr_len);
		else if (!ft_model_matches_atr(s.st, s.atr, s.atr_len))
			fprintf(stderr, "ukey-vtoken: note: %s was made for another FTCOS "
				"model; its own transport key is kept (init --atr sets it)\n",
				s.state_path);
	}
	if (model && !s.os->set_model) {
		fprintf(stderr, "ukey-vtoken: --sm is for --os epass2003\n");
		s.os->destroy(s.st);
		return 2;
	}
	/* ePass2003: the SM model is chosen at manufacture the same way */
	if (s.os->set_model) {
		if (created && s.os->set_model(s.st, model, s.atr, s.atr_len)) {
			fprintf(stderr, "ukey-vtoken: unknown --sm model '%s'\n", model);
			s.os->destroy(s.st);
			return 2;
		}
		if (!created && s.os->model_matches &&
		    !s.os->model_matches(s.st, model, s.atr, s.atr_len))
			fprintf(stderr, "ukey-vtoken: note: %s holds a card of another "
				"SM model; its own is kept (init --sm sets it)\n",
				s.state_path);
	}
	if (log_path && !(s.log = fopen(log_path, "a"))) {
		fprintf(stderr, "ukey-vtoken: cannot open %s\n", log_path);
		s.os->destroy(s.st);
		return 1;
	}
	struct sigaction sa = { 0 };
	sa.sa_handler = on_term;          /* no SA_RESTART: reads get EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	vt_t0 t0 = { 0 };
	t0.enforce_short = s.t0;
	/* OSes that are T=0 by nature always get the GET RESPONSE treatment;
	 * --t0 forces it (and short APDUs) for any OS. */
	s.use_t0 = s.t0 || s.os->t0;
	int rc = 0;
	while (!stop_flag) {
		int fd = connect_vpcd(s.port);
		if (fd < 0)
			break;
		s.os->reset(s.st);
		vt_t0_clear(&t0);
		int r = serve(&s, fd, &t0);
		close(fd);
		if (r == 1) {
			if (s.reconnect_ms < 0)
				break;
			sleep_ms(s.reconnect_ms);
		} else if (r < 0) {
			break;
		} else {
			sleep_ms(50);
		}
	}
	vt_t0_clear(&t0);
	if (s.log) {
		fprintf(s.log, "total %lu\n", s.count);
		fclose(s.log);
	}
	s.os->destroy(s.st);
	return rc;
bad:
	usage();
	return 2;
}
