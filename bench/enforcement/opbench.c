/*
 * Per-operation latency of the syscalls tether enforces, measured from inside (or outside) a
 * sandbox: prints "<op> n=<N> p50=<ns> p90=<ns> p99=<ns>".
 *
 *   opbench open PATH N           open(O_RDONLY) + close
 *   opbench create DIR N          open(DIR/bench-create-I, O_WRONLY|O_CREAT|O_EXCL) + close, a new file
 *                                 each time (all removed afterwards, untimed)
 *   opbench exec [PROGRAM] N      fork + execve(PROGRAM, default /bin/true) + wait
 *   opbench connect N             TCP connect to a listener it starts on 127.0.0.1, then close
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now(void)
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

static void report(const char *op, long long *t, int n)
{
	qsort(t, n, sizeof *t, cmp);
	printf("%s n=%d p50=%lld p90=%lld p99=%lld\n", op, n, t[n / 2], t[n * 9 / 10], t[n * 99 / 100]);
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 64;
	int n = atoi(argv[argc - 1]);
	long long *t = calloc(n, sizeof *t);
	if (!strcmp(argv[1], "open")) {
		for (int i = 0; i < n; i++) {
			long long s = now();
			int fd = open(argv[2], O_RDONLY);
			if (fd < 0) {
				perror("open");
				return 1;
			}
			close(fd);
			t[i] = now() - s;
		}
		report("open+close", t, n);
	} else if (!strcmp(argv[1], "create")) {
		char path[4096];
		for (int i = 0; i < n; i++) {
			snprintf(path, sizeof path, "%s/bench-create-%d", argv[2], i);
			long long s = now();
			int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
			if (fd < 0) {
				perror("create");
				return 1;
			}
			close(fd);
			t[i] = now() - s;
		}
		for (int i = 0; i < n; i++) {
			snprintf(path, sizeof path, "%s/bench-create-%d", argv[2], i);
			unlink(path);
		}
		report("create+close", t, n);
	} else if (!strcmp(argv[1], "exec")) {
		const char *program = argc > 3 ? argv[2] : "/bin/true";
		for (int i = 0; i < n; i++) {
			long long s = now();
			pid_t p = fork();
			if (p == 0) {
				execl(program, "true", (char *)NULL);
				_exit(127);
			}
			int st;
			waitpid(p, &st, 0);
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
				fprintf(stderr, "exec failed\n");
				return 1;
			}
			t[i] = now() - s;
		}
		report("exec", t, n);
	} else if (!strcmp(argv[1], "connect")) {
		int l = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		int one = 1;
		setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 4096) < 0) {
			perror("listen");
			return 1;
		}
		socklen_t len = sizeof a;
		getsockname(l, (struct sockaddr *)&a, &len);
		for (int i = 0; i < n; i++) {
			int c = socket(AF_INET, SOCK_STREAM, 0);
			long long s = now();
			int rc = connect(c, (struct sockaddr *)&a, sizeof a);
			t[i] = now() - s;
			if (rc < 0) {
				perror("connect");
				return 1;
			}
			close(c);
			int acc = accept(l, NULL, NULL);
			close(acc);
		}
		report("connect", t, n);
	}
	return 0;
}
