/*
 * runner: run a command N times (no shell), print wall-time median, p99 and
 * mean in ms plus the peak RSS of the children, as one line:
 *   LABEL runs=N ok=K median_ms=.. p99_ms=.. mean_ms=.. max_rss_kib=..
 * Usage: runner LABEL N EXPECT_EXIT -- CMD ARGS...
 * A run whose exit code differs from EXPECT_EXIT counts as not ok. The
 * children's stdout goes to /dev/null (only their time and memory count).
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	struct timespec t0, t1;
	struct rusage ru;
	posix_spawn_file_actions_t fa;
	long n, i, ok = 0, maxrss = 0;
	int expect, status;
	double *ms, sum = 0;
	pid_t pid;

	if (argc < 6 || strcmp(argv[4], "--") != 0) {
		fprintf(stderr, "usage: runner LABEL N EXPECT_EXIT -- CMD ARGS...\n");
		return 64;
	}
	n = strtol(argv[2], NULL, 10);
	expect = atoi(argv[3]);
	if (n < 1 || n > 1000000 || (ms = calloc((size_t)n, sizeof(*ms))) == NULL) {
		fprintf(stderr, "runner: N must be 1..1000000\n");
		return 64;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	for (i = 0; i < n; i++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (posix_spawnp(&pid, argv[5], &fa, NULL, argv + 5, environ) != 0) {
			perror("runner: spawn");
			return 1;
		}
		if (wait4(pid, &status, 0, &ru) < 0) {
			perror("runner: wait4");
			return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms[i] = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
		sum += ms[i];
		if (ru.ru_maxrss > maxrss)
			maxrss = ru.ru_maxrss;
		if (WIFEXITED(status) && WEXITSTATUS(status) == expect)
			ok++;
	}
	qsort(ms, (size_t)n, sizeof(*ms), cmp);
	printf("%s runs=%ld ok=%ld median_ms=%.3f p99_ms=%.3f mean_ms=%.3f max_rss_kib=%ld\n",
	    argv[1], n, ok, ms[n / 2], ms[(n * 99 + 99) / 100 - 1], sum / (double)n,
	    maxrss);
	free(ms);
	posix_spawn_file_actions_destroy(&fa);
	return ok == n ? 0 : 1;
}
