/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Cost of one state save, and of the cheaper variants one could think of
 * (a measuring tool, not a test; numbers in tests/vtoken/README.md):
 *   vtoken_state_bench DIR [N] [SIZE]
 * full      vt_state_write: tmp + fsync + rename + fsync(dir)   (what runs)
 * fdatasync tmp + fdatasync + rename + fsync(dir)
 * no-dirsync tmp + fsync + rename          (rename not durable: a power
 *            cut can bring back the old image after the answer left)
 * no-sync   tmp + rename                    (no durability at all) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vtoken.h"

enum { V_FULL, V_FDATASYNC, V_NODIRSYNC, V_NOSYNC, V_N };
static const char *names[V_N] = { "full", "fdatasync", "no-dirsync", "no-sync" };

static int variant_write(int v, const char *dir, const char *path,
			 const uint8_t *d, size_t n)
{
	if (v == V_FULL)
		return vt_state_write(path, d, n);
	char tmp[4096];
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
		return -1; /* path too long for the temporary name */
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, d, n) != (ssize_t)n)
		return -1;
	if ((v == V_FDATASYNC && fdatasync(fd)) || (v == V_NODIRSYNC && fsync(fd)))
		return -1;
	if (close(fd) || rename(tmp, path))
		return -1;
	if (v == V_FDATASYNC) {
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0 || fsync(dfd))
			return -1;
		close(dfd);
	}
	return 0;
}

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: vtoken_state_bench DIR [N] [SIZE]\n");
		return 2;
	}
	const char *dir = argv[1];
	long n = argc > 2 ? strtol(argv[2], NULL, 10) : 200;
	long size = argc > 3 ? strtol(argv[3], NULL, 10) : 6699;
	if (n < 1 || n > 100000 || size < 1 || size > (1L << 24)) {
		fprintf(stderr, "vtoken_state_bench: bad N or SIZE\n");
		return 2;
	}
	char path[4096];
	snprintf(path, sizeof path, "%s/bench.state", dir);
	uint8_t *d = malloc((size_t)size);
	double *t = malloc(sizeof *t * (size_t)n);
	if (!d || !t)
		return 1;
	printf("%ld writes of %ld bytes in %s\n", n, size, dir);
	for (int v = 0; v < V_N; v++) {
		double sum = 0;
		for (long i = 0; i < n; i++) {
			memset(d, (int)(i & 0xFF), (size_t)size);
			double a = now_ms();
			if (variant_write(v, dir, path, d, (size_t)size)) {
				fprintf(stderr, "vtoken_state_bench: %s: %s\n", names[v],
					strerror(errno));
				return 1;
			}
			t[i] = now_ms() - a;
			sum += t[i];
		}
		qsort(t, (size_t)n, sizeof *t, cmp_double);
		printf("  %-10s mean %7.3f ms  median %7.3f ms  p95 %7.3f ms\n", names[v],
		       sum / (double)n, t[n / 2], t[n * 95 / 100]);
	}
	unlink(path);
	free(d);
	free(t);
	return 0;
}
