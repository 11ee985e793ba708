/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rn_state_lock.c — flock on <state dir>/lock, with a bounded wait. */
#include "rn_state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

struct rn_lock {
	int fd;
};

static double now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int rn_state_lock(const char *dir, long wait_s, struct rn_lock **out, char *err, size_t errlen)
{
	*out = NULL;
	char path[4096];
	int n = snprintf(path, sizeof(path), "%s/lock", dir);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		snprintf(err, errlen, "%s: path too long", dir);
		return -1;
	}
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot open the lock file: %s", path, strerror(errno));
		return -1;
	}
	double deadline = now_mono() + (wait_s > 0 ? (double)wait_s : 0.0);
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			snprintf(err, errlen, "%s: flock: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		if (now_mono() >= deadline) {
			snprintf(err, errlen, "%s: held by another process (waited %ld s)", path,
				 wait_s > 0 ? wait_s : 0L);
			close(fd);
			return 1;
		}
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	struct rn_lock *l = malloc(sizeof(*l));
	if (l == NULL) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	l->fd = fd;
	*out = l;
	return 0;
}

void rn_state_unlock(struct rn_lock *l)
{
	if (l == NULL)
		return;
	flock(l->fd, LOCK_UN);
	close(l->fd);
	free(l);
}
