/*
 * tether-attach: hands a tether command to a spare tether process (a JVM started after the last
 * session with this same environment, directory and build, already warm and waiting on a socket),
 * or, when there is none or it does not match, runs the command cold (execs the JVM as the launcher
 * would have). Run by the ./tether launcher when TETHER_SPARE=1; see docs/sandbox.md "Warm start".
 *
 *   tether-attach SOCKET NARGS COLD_COMMAND...
 *
 *   SOCKET        the spare's Unix socket; it must belong to this user, as must its peer
 *   NARGS         how many of COLD_COMMAND's last words are tether's own arguments (the rest is
 *                 the java command line); only those are sent to the spare
 *   COLD_COMMAND  what to exec when no spare takes the command
 *
 * The request: "tether-spare-1", this process's pid, its working directory, its environment and
 * the arguments, each NUL-terminated, counts written as decimal text. The spare answers 'Y' (it
 * took this process's stdin, stdout and stderr with pidfd_getfd and runs the command) or 'N' and a
 * reason (then the cold command runs; TETHER_TIMINGS prints the reason). After 'Y', SIGINT,
 * SIGTERM and SIGHUP are forwarded as one byte each (the signal's number); the spare sends 'X' and
 * the exit status as four bytes, big-endian. If the spare ends without a status, this exits 255.
 * Never used with a terminal on 0, 1 or 2: a sandbox that wants the terminal as its controlling
 * terminal must be started in this terminal's session, which a spare is not.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

extern char **environ;

struct buffer {
	char *data;
	size_t len, cap;
};

static int append(struct buffer *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->cap ? b->cap * 2 : 4096);
		while (cap < b->len + n + 1)
			cap *= 2;
		char *grown = realloc(b->data, cap);
		if (!grown)
			return -1;
		b->data = grown;
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->data[b->len + n] = '\0';
	b->len += n + 1;
	return 0;
}

static int append_str(struct buffer *b, const char *s)
{
	return append(b, s, strlen(s));
}

static int append_num(struct buffer *b, long v)
{
	char text[32];
	snprintf(text, sizeof(text), "%ld", v);
	return append_str(b, text);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads exactly n bytes; 0 on success, -1 on EOF or error. */
static int read_all(int fd, char *p, size_t n)
{
	while (n > 0) {
		ssize_t r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int timings(void)
{
	return getenv("TETHER_TIMINGS") != NULL;
}

static void __attribute__((noreturn)) run_cold(char **cold, const char *why)
{
	if (why && timings())
		fprintf(stderr, "tether: cold start: %s\n", why);
	execv(cold[0], cold);
	fprintf(stderr, "tether: cannot run %s: %s\n", cold[0], strerror(errno));
	exit(127);
}

/* Connects to the spare; -1 (and why) when there is none this user may trust. */
static int connect_spare(const char *path, const char **why)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct stat st;
	if (strlen(path) >= sizeof(addr.sun_path)) {
		*why = "the spare's socket path is too long";
		return -1;
	}
	if (lstat(path, &st) != 0) {
		*why = "no spare is waiting";
		return -1;
	}
	if (!S_ISSOCK(st.st_mode) || st.st_uid != geteuid()) {
		*why = "the spare's socket is not this user's";
		return -1;
	}
	strcpy(addr.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*why = "no socket";
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		*why = "the spare is gone";
		close(fd);
		return -1;
	}
	struct ucred peer;
	socklen_t len = sizeof(peer);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &len) != 0 || peer.uid != geteuid()) {
		*why = "the spare runs as another user";
		close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: tether-attach SOCKET NARGS COLD_COMMAND...\n");
		return 2;
	}
	char **cold = argv + 3;
	int cold_len = argc - 3;
	char *end;
	long nargs = strtol(argv[2], &end, 10);
	if (*end != '\0' || nargs < 0 || nargs >= cold_len) {
		fprintf(stderr, "tether-attach: NARGS must count the last words of the cold command\n");
		return 2;
	}
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) < 0)
			run_cold(cold, "stdin, stdout or stderr is closed (a spare takes all three)");
		if (isatty(fd))
			run_cold(cold, "a terminal (the sandbox needs it as its controlling terminal)");
	}
	const char *why = NULL;
	int sock = connect_spare(argv[1], &why);
	if (sock < 0)
		run_cold(cold, why);

	char cwd[4096];
	if (!getcwd(cwd, sizeof(cwd)))
		run_cold(cold, "the working directory cannot be named");
	struct buffer req = { 0 };
	long nenv = 0;
	for (char **e = environ; *e; e++)
		nenv++;
	int failed = append_str(&req, "tether-spare-1") || append_num(&req, (long)getpid()) ||
		     append_str(&req, cwd) || append_num(&req, nenv);
	for (char **e = environ; *e && !failed; e++)
		failed = append_str(&req, *e);
	failed = failed || append_num(&req, nargs);
	for (long i = cold_len - nargs; i < cold_len && !failed; i++)
		failed = append_str(&req, cold[i]);
	if (failed || write_all(sock, req.data, req.len) != 0) {
		close(sock);
		run_cold(cold, "the request could not be sent");
	}
	free(req.data);

	/* Signals are blocked before the answer so none is lost between 'Y' and the forwarding loop;
	 * a 'N' unblocks them again before the cold command inherits the mask. */
	sigset_t forwarded, previous;
	sigemptyset(&forwarded);
	sigaddset(&forwarded, SIGINT);
	sigaddset(&forwarded, SIGTERM);
	sigaddset(&forwarded, SIGHUP);
	sigprocmask(SIG_BLOCK, &forwarded, &previous);

	char answer = 0;
	if (read_all(sock, &answer, 1) != 0 || answer != 'Y') {
		char reason[512] = "the spare did not answer";
		if (answer == 'N') {
			ssize_t n = read(sock, reason, sizeof(reason) - 1);
			reason[n > 0 ? n : 0] = '\0';
		}
		close(sock);
		sigprocmask(SIG_SETMASK, &previous, NULL);
		run_cold(cold, reason);
	}

	int sigfd = signalfd(-1, &forwarded, SFD_CLOEXEC);
	struct pollfd fds[2] = { { .fd = sock, .events = POLLIN }, { .fd = sigfd, .events = POLLIN } };
	for (;;) {
		int n = poll(fds, sigfd >= 0 ? 2 : 1, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (sigfd >= 0 && (fds[1].revents & POLLIN)) {
			struct signalfd_siginfo info;
			if (read(sigfd, &info, sizeof(info)) == sizeof(info)) {
				char signo = (char)info.ssi_signo;
				if (write_all(sock, &signo, 1) != 0)
					break;
			}
		}
		if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			unsigned char status[5];
			if (read_all(sock, (char *)status, sizeof(status)) != 0 || status[0] != 'X')
				break;
			return (int)(((unsigned)status[1] << 24) | ((unsigned)status[2] << 16) |
				     ((unsigned)status[3] << 8) | (unsigned)status[4]);
		}
	}
	fprintf(stderr, "tether: the session's process ended without an exit status\n");
	return 255;
}
