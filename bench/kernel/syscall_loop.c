// The workload of bench/kernel/run.sh and of the monitor's flood test: a tight loop of one
// operation, timed one iteration at a time, printing percentiles so the caller can compare runs.
//
//   syscall_loop open N PATH     open(PATH, O_RDONLY) + close, N times
//   syscall_loop openfail N PATH open of a missing PATH (ENOENT), N times
//   syscall_loop exec N PROGRAM  fork + execve(PROGRAM) + wait, N times
//   syscall_loop getppid N -     getppid(2), N times: a syscall no monitor handler reports, so
//                                what it costs is the tax every syscall of every task pays
//
// Output (one line): "<mode> n=<N> p50=<ns> p90=<ns> p99=<ns> mean=<ns> ok=<successes>".
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s open|openfail|exec|getppid N PATH\n", argv[0]);
		return 2;
	}
	const char *mode = argv[1];
	long n = atol(argv[2]);
	const char *path = argv[3];
	long long *t = malloc(sizeof(long long) * (n > 0 ? n : 1));
	long ok = 0;
	long long total = 0;
	for (long i = 0; i < n; i++) {
		long long start = now_ns();
		if (strcmp(mode, "getppid") == 0) {
			if (syscall(SYS_getppid) > 0)
				ok++;
		} else if (strcmp(mode, "exec") == 0) {
			pid_t pid = fork();
			if (pid == 0) {
				execl(path, path, (char *)NULL);
				_exit(127);
			}
			int status;
			if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0)
				ok++;
		} else {
			int fd = open(path, O_RDONLY);
			if (fd >= 0) {
				ok++;
				close(fd);
			}
		}
		t[i] = now_ns() - start;
		total += t[i];
	}
	qsort(t, n, sizeof(long long), cmp);
	printf("%s n=%ld p50=%lld p90=%lld p99=%lld mean=%lld ok=%ld\n", mode, n, t[n / 2], t[n * 9 / 10],
	       t[n * 99 / 100], n ? total / n : 0, ok);
	return 0;
}
