/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A stand-in for vpcd for tests without pcscd: listens on 127.0.0.1
 * (ephemeral port written to PORTFILE) and accepts a virtual card.
 *   vpcd_driver PORTFILE          write loop for the kill -9 test: power on,
 *                                 ATR, then UPDATE BINARY of 3F00/5015/4404
 *                                 with changing data until the card goes away
 *   vpcd_driver PORTFILE script   commands from stdin, one per line:
 *                                 "accept" (wait for the card, power on, print
 *                                 "atr HEX"), "apdu HEX" (print "rsp HEX" or
 *                                 "closed"), "ms N" (print the round trip of
 *                                 the previous apdu in ms as "took N") */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int full_io(int fd, uint8_t *p, size_t n, int wr)
{
	while (n) {
		ssize_t r = wr ? write(fd, p, n) : read(fd, p, n);
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Like vpcd, send the length and the message back to back: without
 * TCP_NODELAY the second small write waits for the peer's delayed ACK
 * (~40 ms), which once passed for the cost of a state save. */
static int accept_card(int s)
{
	int fd = accept(s, NULL, NULL), one = 1;
	if (fd >= 0)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}

static int xchg(int fd, const uint8_t *cmd, size_t len, uint8_t *rsp, size_t *rl)
{
	uint8_t h[2] = { (uint8_t)(len >> 8), (uint8_t)len };
	if (full_io(fd, h, 2, 1) || full_io(fd, (uint8_t *)cmd, len, 1))
		return -1;
	if (len == 1 && cmd[0] != 0x04)
		return 0;
	if (full_io(fd, h, 2, 0))
		return -1;
	*rl = (size_t)h[0] << 8 | h[1];
	return full_io(fd, rsp, *rl, 0);
}

#include <time.h>

static void hex_out(const char *tag, const uint8_t *p, size_t n)
{
	printf("%s ", tag);
	for (size_t i = 0; i < n; i++)
		printf("%02X", p[i]);
	printf("\n");
	fflush(stdout);
}

static int script(int s)
{
	static uint8_t rsp[70000], cmd[70000];
	char line[8192];
	int fd = -1;
	size_t rl;
	long took = 0;
	while (fgets(line, sizeof line, stdin)) {
		if (!strncmp(line, "accept", 6)) {
			if (fd >= 0)
				close(fd);
			fd = accept_card(s);
			const uint8_t on = 0x01, atr = 0x04;
			if (fd < 0 || xchg(fd, &on, 1, rsp, &rl) || xchg(fd, &atr, 1, rsp, &rl))
				return 1;
			hex_out("atr", rsp, rl);
		} else if (!strncmp(line, "apdu ", 5)) {
			size_t n = 0;
			unsigned v;
			const char *h = line + 5;
			while (n < sizeof cmd && sscanf(h, "%2x", &v) == 1) {
				cmd[n++] = (uint8_t)v;
				h += 2;
			}
			struct timespec a, b;
			clock_gettime(CLOCK_MONOTONIC, &a);
			if (fd < 0 || xchg(fd, cmd, n, rsp, &rl)) {
				printf("closed\n");
				fflush(stdout);
				continue;
			}
			clock_gettime(CLOCK_MONOTONIC, &b);
			took = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
			hex_out("rsp", rsp, rl);
		} else if (!strncmp(line, "ms", 2)) {
			printf("took %ld\n", took);
			fflush(stdout);
		}
	}
	if (fd >= 0)
		close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2 && !(argc == 3 && !strcmp(argv[2], "script")))
		return 2;
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = { 0 };
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t al = sizeof a;
	if (bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 1) ||
	    getsockname(s, (struct sockaddr *)&a, &al))
		return 1;
	FILE *f = fopen(argv[1], "w");
	if (!f)
		return 1;
	fprintf(f, "%u\n", ntohs(a.sin_port));
	fclose(f);
	if (argc == 3)
		return script(s);
	int fd = accept_card(s);
	if (fd < 0)
		return 1;
	static uint8_t rsp[70000];
	size_t rl;
	const uint8_t on = 0x01, atr = 0x04;
	if (xchg(fd, &on, 1, rsp, &rl) || xchg(fd, &atr, 1, rsp, &rl))
		return 1;
	const uint8_t sel[3][7] = { { 0, 0xA4, 0, 0, 2, 0x3F, 0x00 },
				    { 0, 0xA4, 0, 0, 2, 0x50, 0x15 },
				    { 0, 0xA4, 0, 0, 2, 0x44, 0x04 } };
	for (int i = 0; i < 3; i++)
		if (xchg(fd, sel[i], 7, rsp, &rl) || rl != 2 || rsp[0] != 0x90)
			return 1;
	uint8_t upd[5 + 224] = { 0, 0xD6, 0, 0, 224 };
	for (unsigned long n = 0;; n++) {
		upd[3] = (uint8_t)(n % 2 ? 0 : 224);   /* offsets 0 and 224 */
		memset(upd + 5, (int)(n & 0xFF), 224);
		if (xchg(fd, upd, sizeof upd, rsp, &rl) || rl != 2 || rsp[0] != 0x90)
			break;
	}
	close(fd);
	close(s);
	return 0;
}
