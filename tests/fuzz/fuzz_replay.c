/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Replays corpus files (or every regular file of given directories)
 * through LLVMFuzzerTestOneInput, so the fuzz entry runs in every CI build
 * without libFuzzer. Exit status 0 only if at least one input ran.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_MAX_INPUT (1u << 20)

static int run_file(const char *path, unsigned long *count)
{
	FILE *fp = fopen(path, "rb");
	if (fp == NULL) {
		fprintf(stderr, "fuzz_replay: cannot open %s\n", path);
		return -1;
	}
	uint8_t *buf = malloc(REPLAY_MAX_INPUT);
	if (buf == NULL) {
		fclose(fp);
		return -1;
	}
	size_t n = fread(buf, 1, REPLAY_MAX_INPUT, fp);
	fclose(fp);
	/* Exact-size copy so ASan sees reads past the end. */
	uint8_t *in = malloc(n ? n : 1);
	if (in == NULL) {
		free(buf);
		return -1;
	}
	memcpy(in, buf, n);
	free(buf);
	LLVMFuzzerTestOneInput(in, n);
	free(in);
	(*count)++;
	return 0;
}

static int run_path(const char *path, unsigned long *count)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		fprintf(stderr, "fuzz_replay: no such file or directory: %s\n", path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path, count);
	DIR *d = opendir(path);
	if (d == NULL)
		return -1;
	int rc = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		size_t len = strlen(path) + strlen(e->d_name) + 2;
		char *p = malloc(len);
		if (p == NULL) {
			rc = -1;
			break;
		}
		snprintf(p, len, "%s/%s", path, e->d_name);
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode) &&
		    run_file(p, count) != 0)
			rc = -1;
		free(p);
	}
	closedir(d);
	return rc;
}

int main(int argc, char **argv)
{
	unsigned long count = 0;
	int rc = 0;
	for (int i = 1; i < argc; i++)
		if (run_path(argv[i], &count) != 0)
			rc = 1;
	printf("fuzz_replay: %lu inputs\n", count);
	return rc == 0 && count > 0 ? 0 : 1;
}
