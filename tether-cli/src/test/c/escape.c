/*
 * Known ways around open-based file policy, each tried for real inside a sandbox by EnforcementIT.
 * Prints the file's first line on success, or "denied: <errno name>" and exits 1.
 *
 *   escape openat2 PATH ro|rw      open through openat2(2) (flags in user memory)
 *   escape opath-reopen PATH       O_PATH open, then reopen via /proc/self/fd/N
 *   escape io_uring PATH           IORING_OP_OPENAT: the open runs in a kernel worker thread
 *   escape connect ADDR PORT [udp] TCP connect (or UDP connect + send) to an IPv4/IPv6 literal
 *   escape sendto ADDR PORT        unconnected UDP sendto
 *   escape raw                     a raw ICMP socket; escape packet: an AF_PACKET socket
 *   escape listen ADDR PORT        accept TCP connections (and close them) until killed
 *   escape memfd-exec PROGRAM      copy PROGRAM into a memfd and fexecve it (no file on any mount)
 *   escape race-exec N PROGRAM     N times: exec "PROGRAM mark good" while another thread keeps
 *                                  rewriting that argument to "evil"; prints what happened
 *   escape mark WORD               writes WORD to ./marks (the victim of race-exec)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <pthread.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

static int finish(int fd)
{
	if (fd < 0) {
		printf("denied: %s\n", strerrorname_np(-fd > 0 ? -fd : errno));
		return 1;
	}
	char buf[256];
	ssize_t n = read(fd, buf, sizeof buf - 1);
	if (n < 0) {
		printf("denied: %s (read)\n", strerrorname_np(errno));
		return 1;
	}
	buf[n] = 0;
	char *nl = strchr(buf, '\n');
	if (nl)
		*nl = 0;
	printf("%s\n", buf);
	return 0;
}

static int via_openat2(const char *path, int write)
{
	struct open_how how = { .flags = write ? O_RDWR : O_RDONLY };
	long fd = syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
	return finish(fd < 0 ? -errno : (int)fd);
}

static int via_opath(const char *path)
{
	int p = open(path, O_PATH);
	if (p < 0)
		return finish(-errno);
	char proc[64];
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", p);
	int fd = open(proc, O_RDONLY);
	return finish(fd < 0 ? -errno : fd);
}

static int via_io_uring(const char *path)
{
	struct io_uring_params p;
	memset(&p, 0, sizeof p);
	int ring = syscall(__NR_io_uring_setup, 4, &p);
	if (ring < 0) {
		printf("unsupported: io_uring_setup %s\n", strerrorname_np(errno));
		return 2;
	}
	size_t sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	size_t cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	char *sq = mmap(0, sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQ_RING);
	char *cq = mmap(0, cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_CQ_RING);
	struct io_uring_sqe *sqes = mmap(0, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
					 MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED) {
		printf("unsupported: mmap\n");
		return 2;
	}
	struct io_uring_sqe *sqe = &sqes[0];
	memset(sqe, 0, sizeof *sqe);
	sqe->opcode = IORING_OP_OPENAT;
	sqe->fd = AT_FDCWD;
	sqe->addr = (unsigned long)path;
	sqe->open_flags = O_RDONLY;
	unsigned *tail = (unsigned *)(sq + p.sq_off.tail);
	unsigned *array = (unsigned *)(sq + p.sq_off.array);
	array[*tail & *(unsigned *)(sq + p.sq_off.ring_mask)] = 0;
	__atomic_store_n(tail, *tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, ring, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0) {
		printf("unsupported: io_uring_enter %s\n", strerrorname_np(errno));
		return 2;
	}
	unsigned head = *(unsigned *)(cq + p.cq_off.head);
	struct io_uring_cqe *cqe = &((struct io_uring_cqe *)(cq + p.cq_off.cqes))[head & *(unsigned *)(cq + p.cq_off.ring_mask)];
	return finish(cqe->res);
}

static int net_result(int rc, const char *what)
{
	if (rc < 0) {
		printf("denied: %s (%s)\n", strerrorname_np(errno), what);
		return 1;
	}
	printf("%s\n", what);
	return 0;
}

static int to_sockaddr(const char *addr, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof *ss);
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		*len = sizeof *a4;
		return AF_INET;
	}
	if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		*len = sizeof *a6;
		return AF_INET6;
	}
	return -1;
}

static int via_connect(const char *addr, int port, int udp, int unconnected)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int family = to_sockaddr(addr, port, &ss, &len);
	if (family < 0) {
		printf("bad address %s\n", addr);
		return 64;
	}
	int s = socket(family, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
	if (s < 0)
		return net_result(-1, "socket");
	if (unconnected)
		return net_result((int)sendto(s, "x", 1, 0, (struct sockaddr *)&ss, len), "sent");
	if (connect(s, (struct sockaddr *)&ss, len) < 0)
		return net_result(-1, "connect");
	if (udp)
		return net_result((int)send(s, "x", 1, 0), "sent");
	return net_result(0, "connected");
}

static int listen_on(const char *addr, int port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int family = to_sockaddr(addr, port, &ss, &len);
	int s = socket(family, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (s < 0 || bind(s, (struct sockaddr *)&ss, len) < 0 || listen(s, 64) < 0) {
		perror("listen");
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	for (;;) {
		int c = accept(s, NULL, NULL);
		if (c >= 0)
			close(c);
	}
}

static int memfd_exec(const char *program, char **envp)
{
	int src = open(program, O_RDONLY);
	int mfd = memfd_create("payload", 0);
	if (src < 0 || mfd < 0) {
		perror("memfd");
		return 1;
	}
	char buf[65536];
	ssize_t n;
	while ((n = read(src, buf, sizeof buf)) > 0)
		if (write(mfd, buf, n) != n)
			return 1;
	char *args[] = { (char *)program, NULL };
	syscall(SYS_execveat, mfd, "", args, envp, AT_EMPTY_PATH);
	printf("denied: %s (memfd exec)\n", strerrorname_np(errno));
	return 1;
}

static char race_word[8] = "good";
static volatile int racing = 1;

static void *flip(void *unused)
{
	(void)unused;
	volatile char *w = race_word;
	while (racing) {
		w[0] = 'e', w[1] = 'v', w[2] = 'i', w[3] = 'l';
		for (volatile int spin = 0; spin < 50; spin++)
			;
		w[0] = 'g', w[1] = 'o', w[2] = 'o', w[3] = 'd';
		for (volatile int spin = 0; spin < 50; spin++)
			;
	}
	return NULL;
}

static int race_exec(int rounds, const char *program, char **envp)
{
	int ran = 0, refused = 0, killed = 0;
	for (int i = 0; i < rounds; i++) {
		pid_t child = fork();
		if (child == 0) {
			pthread_t t;
			pthread_create(&t, NULL, flip, NULL);
			usleep(100);
			char *args[] = { (char *)program, "mark", race_word, NULL };
			execve(program, args, envp);
			_exit(errno == EPERM ? 126 : 127);
		}
		int status;
		waitpid(child, &status, 0);
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
			killed++;
		else if (WIFEXITED(status) && WEXITSTATUS(status) == 126)
			refused++;
		else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			ran++;
	}
	printf("ran=%d refused=%d killed=%d\n", ran, refused, killed);
	return 0;
}

static int mark(const char *word)
{
	FILE *f = fopen("marks", "a");
	if (!f)
		return 1;
	fprintf(f, "%s\n", word);
	fclose(f);
	return 0;
}

int main(int argc, char **argv, char **envp)
{
	(void)envp;
	if (argc >= 3 && !strcmp(argv[1], "memfd-exec"))
		return memfd_exec(argv[2], envp);
	if (argc >= 4 && !strcmp(argv[1], "race-exec"))
		return race_exec(atoi(argv[2]), argv[3], envp);
	if (argc >= 3 && !strcmp(argv[1], "mark"))
		return mark(argv[2]);
	if (argc >= 4 && !strcmp(argv[1], "listen"))
		return listen_on(argv[2], atoi(argv[3]));
	if (argc >= 4 && !strcmp(argv[1], "connect"))
		return via_connect(argv[2], atoi(argv[3]), argc >= 5 && !strcmp(argv[4], "udp"), 0);
	if (argc >= 4 && !strcmp(argv[1], "sendto"))
		return via_connect(argv[2], atoi(argv[3]), 1, 1);
	if (argc >= 2 && !strcmp(argv[1], "raw"))
		return net_result(socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), "raw socket");
	if (argc >= 2 && !strcmp(argv[1], "packet"))
		return net_result(socket(17 /* AF_PACKET */, SOCK_RAW, 0), "packet socket");
	if (argc >= 4 && !strcmp(argv[1], "openat2"))
		return via_openat2(argv[2], !strcmp(argv[3], "rw"));
	if (argc >= 3 && !strcmp(argv[1], "opath-reopen"))
		return via_opath(argv[2]);
	if (argc >= 3 && !strcmp(argv[1], "io_uring"))
		return via_io_uring(argv[2]);
	fprintf(stderr, "usage: escape openat2|opath-reopen|io_uring|connect|sendto|raw|packet ...\n");
	return 64;
}
