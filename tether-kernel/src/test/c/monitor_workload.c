// The workload SandboxMonitorIT runs inside a monitored cgroup. Built static (no dynamic loader,
// so the only file and socket syscalls are the ones written here) and run by absolute path.
//
//   monitor_workload script DIR PORT   the scripted sequence the test expects event by event;
//                                      prints the long path it created (step 15) on stdout
//   monitor_workload child ...         exits with status 3 (exec'd by the script, step 16)
//   monitor_workload loop N PATH       N opens (and closes) of PATH: the flood
//   monitor_workload block FIFO        opens FIFO for reading, which blocks until killed
//   monitor_workload compat            one 32-bit open(2) of /etc/hostname through int $0x80
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHILD_ARGS 5000

static void die(const char *what)
{
	perror(what);
	exit(100);
}

static int tcp6_listener(struct sockaddr_in6 *bound)
{
	int l = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 4) < 0)
		die("ipv6 listener");
	socklen_t len = sizeof(*bound);
	getsockname(l, (struct sockaddr *)bound, &len);
	return l;
}

static int script(const char *dir, int port)
{
	char path[8192];
	if (chdir(dir) < 0)
		die("chdir");

	/* 1-3: create, reopen through a dirfd */
	snprintf(path, sizeof path, "%s/a.txt", dir);
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0 || write(fd, "hello", 5) != 5)
		die("create a.txt");
	close(fd);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	fd = openat(dfd, "a.txt", O_RDONLY);
	if (dfd < 0 || fd < 0)
		die("openat");
	close(fd);
	/* 4-5 */
	if (rename("a.txt", "b.txt") < 0)
		die("rename");
	if (open("missing.txt", O_RDONLY) >= 0)
		die("missing.txt exists");
	/* 6-9 */
	if (mkdir("sub", 0750) < 0 || symlink("../b.txt", "sub/link") < 0)
		die("mkdir/symlink");
	fd = open("sub/link", O_RDONLY);
	if (fd < 0)
		die("open link");
	close(fd);
	if (link("b.txt", "hard.txt") < 0)
		die("link");
	/* 10-12 */
	if (chmod("b.txt", 0600) < 0 || chown("b.txt", getuid(), getgid()) < 0)
		die("chmod/chown");
	fd = open("b.txt", O_RDONLY);
	if (fd < 0 || fchmod(fd, 0644) < 0)
		die("fchmod");
	close(fd);
	/* 13 */
	if (unlink("hard.txt") < 0 || unlink("sub/link") < 0 || rmdir("sub") < 0)
		die("cleanup");
	/* 14: a name with a newline and a byte that is not UTF-8 */
	const char *bad = "bad\n\xff.txt";
	fd = open(bad, O_CREAT | O_WRONLY, 0600);
	if (fd < 0)
		die("bad name");
	close(fd);
	unlink(bad);
	/* 15: a path just under PATH_MAX, then one over it */
	snprintf(path, sizeof path, "%s", dir);
	while (strlen(path) + 1 + 250 + 2 < 4095) {
		size_t n = strlen(path);
		path[n] = '/';
		memset(path + n + 1, 'd', 250);
		path[n + 251] = 0;
		if (mkdir(path, 0700) < 0)
			die("deep mkdir");
	}
	size_t n = strlen(path);
	memset(path + n, 0, 8);
	path[n] = '/';
	memset(path + n + 1, 'f', 4094 - n);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	if (fd < 0)
		die("long path");
	close(fd);
	printf("%s\n", path);
	fflush(stdout);
	if (unlink(path) < 0)
		die("unlink long path");
	strcat(path, "/too-long-for-the-kernel");
	if (open(path, O_RDONLY) >= 0 || errno != ENAMETOOLONG)
		die("expected ENAMETOOLONG");
	/* 16: fork and exec with thousands of arguments */
	pid_t child = fork();
	if (child == 0) {
		static char *argv[CHILD_ARGS + 4];
		argv[0] = "/proc/self/exe";
		argv[1] = "child";
		argv[2] = "two words";
		for (int i = 0; i < CHILD_ARGS; i++)
			argv[3 + i] = "ab";
		argv[CHILD_ARGS + 3] = NULL;
		execv("/proc/self/exe", argv);
		_exit(101);
	}
	int status;
	if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 3)
		die("child");
	/* 17a: connect to the test's listener */
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in v4 = {.sin_family = AF_INET, .sin_port = htons(port)};
	inet_pton(AF_INET, "127.0.0.1", &v4.sin_addr);
	if (connect(s, (struct sockaddr *)&v4, sizeof(v4)) < 0)
		die("connect v4");
	close(s);
	/* 17b: IPv6 bind, listen, connect, accept */
	struct sockaddr_in6 bound;
	int l = tcp6_listener(&bound);
	int c = socket(AF_INET6, SOCK_STREAM, 0);
	if (connect(c, (struct sockaddr *)&bound, sizeof(bound)) < 0)
		die("connect v6");
	int acc = accept(l, NULL, NULL);
	if (acc < 0)
		die("accept v6");
	printf("%d\n", ntohs(bound.sin6_port));
	struct sockaddr_in6 cl;
	socklen_t cll = sizeof(cl);
	getsockname(c, (struct sockaddr *)&cl, &cll);
	printf("%d\n", ntohs(cl.sin6_port));
	fflush(stdout);
	close(acc);
	close(c);
	close(l);
	/* 17c: UDP over IPv6 */
	int u = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 d6 = {.sin6_family = AF_INET6, .sin6_port = htons(9), .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	if (sendto(u, "x", 1, 0, (struct sockaddr *)&d6, sizeof(d6)) != 1)
		die("sendto v6");
	send(u, "y", 1, MSG_DONTWAIT); /* no address: not reported */
	close(u);
	/* 17d: a Unix socket */
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	snprintf(un.sun_path, sizeof un.sun_path, "%s/s.sock", dir);
	int us = socket(AF_UNIX, SOCK_STREAM, 0);
	if (bind(us, (struct sockaddr *)&un, sizeof(un)) < 0 || listen(us, 4) < 0)
		die("unix listener");
	int uc = socket(AF_UNIX, SOCK_STREAM, 0);
	if (connect(uc, (struct sockaddr *)&un, sizeof(un)) < 0)
		die("unix connect");
	int ua = accept(us, NULL, NULL);
	if (ua < 0)
		die("unix accept");
	close(ua);
	close(uc);
	close(us);
	unlink(un.sun_path);
	/* 17e: an abstract name nobody listens on */
	struct sockaddr_un ab = {.sun_family = AF_UNIX};
	memcpy(ab.sun_path, "\0tether-none", 12);
	int ua2 = socket(AF_UNIX, SOCK_STREAM, 0);
	if (connect(ua2, (struct sockaddr *)&ab, offsetof(struct sockaddr_un, sun_path) + 12) == 0 || errno != ECONNREFUSED)
		die("abstract connect");
	close(ua2);
	/* 17f: sendmsg with a destination */
	int um = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in d4 = {.sin_family = AF_INET, .sin_port = htons(9)};
	inet_pton(AF_INET, "127.0.0.1", &d4.sin_addr);
	char payload[] = "z";
	struct iovec iov = {.iov_base = payload, .iov_len = 1};
	struct msghdr msg = {.msg_name = &d4, .msg_namelen = sizeof(d4), .msg_iov = &iov, .msg_iovlen = 1};
	if (sendmsg(um, &msg, 0) != 1)
		die("sendmsg");
	close(um);
	return 0;
}

static int loop(long n, const char *path)
{
	for (long i = 0; i < n; i++) {
		int fd = open(path, O_RDONLY);
		if (fd < 0)
			die("loop open");
		close(fd);
	}
	return 0;
}

static const char compat_path[] = "/etc/hostname";

static int compat(void)
{
	long r;
	/* ia32 open(2) is number 5; the path is in the binary's low, 32-bit addressable data. */
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(5), "b"(compat_path), "c"(O_RDONLY), "d"(0) : "memory");
	if (r < 0)
		return 102;
	close((int)r);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "script") == 0)
		return script(argv[2], atoi(argv[3]));
	if (argc >= 2 && strcmp(argv[1], "child") == 0)
		return 3;
	if (argc == 4 && strcmp(argv[1], "loop") == 0)
		return loop(atol(argv[2]), argv[3]);
	if (argc == 3 && strcmp(argv[1], "block") == 0)
		return open(argv[2], O_RDONLY) < 0 ? 1 : 0;
	if (argc == 2 && strcmp(argv[1], "compat") == 0)
		return compat();
	fprintf(stderr, "usage: see the comment at the top of monitor_workload.c\n");
	return 2;
}
