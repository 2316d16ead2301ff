/*
 * Known ways around open-based file policy, each tried for real inside a sandbox by EnforcementIT.
 * Prints the file's first line on success, or "denied: <errno name>" and exits 1.
 *
 *   escape openat2 PATH ro|rw      open through openat2(2) (flags in user memory)
 *   escape opath-reopen PATH       O_PATH open, then reopen via /proc/self/fd/N
 *   escape io_uring PATH           IORING_OP_OPENAT: the open runs in a kernel worker thread
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

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "openat2"))
		return via_openat2(argv[2], !strcmp(argv[3], "rw"));
	if (argc >= 3 && !strcmp(argv[1], "opath-reopen"))
		return via_opath(argv[2]);
	if (argc >= 3 && !strcmp(argv[1], "io_uring"))
		return via_io_uring(argv[2]);
	fprintf(stderr, "usage: escape openat2 PATH ro|rw | opath-reopen PATH | io_uring PATH\n");
	return 64;
}
