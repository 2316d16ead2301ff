/*
 * tether-landlock: applies tether's Landlock floor (`tether run --lock`) to itself, then execs the
 * sandboxed command, which inherits it with everything it starts. Statically linked and
 * bind-mounted read-only into the sandbox, so it needs nothing from the sandbox's root.
 *
 *   tether-landlock -- CMD [ARGS...]
 *
 * The ruleset comes in the environment variable TETHER_LANDLOCK_RULESET (removed before the exec),
 * computed by tether from the policy (dev.tether.kernel.landlock.LandlockFloor), one line of
 * space-separated tokens:
 *
 *   tether-landlock-1 fs=HEX net=HEX [path=HEX:MODE:PATH]... [unjudged=HEX:FSTYPE,...] [port=N]...
 *
 *   fs, net   the handled access rights (the kernel's LANDLOCK_ACCESS_* bits)
 *   path      grant HEX under PATH (percent-encoded); MODE 'a': a missing PATH is granted at its
 *             nearest existing ancestor (wider than the policy), except that it is never widened to
 *             / (that would undo the floor): then it is left out and said so;
 *             MODE 'o': a missing PATH is skipped. Rights a file cannot hold are dropped for files.
 *   unjudged  grant HEX on every mount of these file system types (those tether's gate never
 *             judges: proc, sysfs, ...), found in /proc/self/mountinfo
 *   port      allow TCP connect to this port (when net has LANDLOCK_ACCESS_NET_CONNECT_TCP)
 *
 * Fails closed: any problem exits 125 with the reason and the command never runs. Exit 127/126
 * when the command cannot be found/executed, as a shell does.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* From the kernel's UAPI linux/landlock.h (the build host's headers may predate ABI 4). */
struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
};
struct ll_path_beneath_attr {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));
struct ll_net_port_attr {
	uint64_t allowed_access;
	uint64_t port;
};
#define LL_RULE_PATH_BENEATH 1
#define LL_RULE_NET_PORT 2
#define LL_CREATE_RULESET_VERSION (1U << 0)
#define LL_FS_EXECUTE (1ULL << 0)
#define LL_FS_WRITE_FILE (1ULL << 1)
#define LL_FS_READ_FILE (1ULL << 2)
#define LL_FS_TRUNCATE (1ULL << 14)
#define LL_FS_IOCTL_DEV (1ULL << 15)
/* The rights a rule on a non-directory may carry. */
#define LL_FS_FILE_RIGHTS (LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV)
#define LL_NET_CONNECT_TCP (1ULL << 1)
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif

#define ENV "TETHER_LANDLOCK_RULESET"
#define FAIL 125

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("tether-landlock: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs("; the command was not started (--lock fails closed)\n", stderr);
	va_end(ap);
	exit(FAIL);
}

static int ruleset = -1;
static uint64_t handled_fs;

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes %XX in place; returns 0 on malformed input. */
static int unescape(char *s)
{
	char *out = s;
	for (; *s; s++) {
		if (*s == '%') {
			int h = hexval(s[1]), l = h < 0 ? -1 : hexval(s[2]);
			if (h < 0 || l < 0)
				return 0;
			*out++ = (char)(h * 16 + l);
			s += 2;
		} else {
			*out++ = *s;
		}
	}
	*out = 0;
	return 1;
}

static uint64_t parse_hex(const char *s, const char *what)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 16);
	if (errno || end == s || (*end && *end != ':'))
		die("malformed %s '%s' in " ENV, what, s);
	return v;
}

static void add_fd(int fd, uint64_t access, const char *path)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		die("cannot stat %s: %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		access &= LL_FS_FILE_RIGHTS;
	access &= handled_fs;
	if (!access)
		return;
	struct ll_path_beneath_attr a = { .allowed_access = access, .parent_fd = fd };
	if (syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH, &a, 0) < 0)
		die("landlock_add_rule(%s, 0x%llx): %s", path, (unsigned long long)access, strerror(errno));
}

static void add_path(char *spec)
{
	uint64_t access = parse_hex(spec, "path rights");
	char *mode = strchr(spec, ':');
	if (!mode || (mode[1] != 'a' && mode[1] != 'o') || mode[2] != ':')
		die("malformed path rule '%s' in " ENV, spec);
	char *path = mode + 3;
	if (!unescape(path) || path[0] != '/')
		die("malformed path '%s' in " ENV, path);
	char *missing = NULL;
	for (;;) {
		int fd = open(path, O_PATH | O_CLOEXEC);
		if (fd >= 0) {
			add_fd(fd, access, path);
			close(fd);
			if (missing)
				fprintf(stderr, "tether-landlock: %s does not exist in the sandbox: its rights are granted at %s\n",
					missing, path);
			free(missing);
			return;
		}
		if (errno != ENOENT && errno != ENOTDIR)
			die("cannot open %s: %s", path, strerror(errno));
		if (mode[1] == 'o')
			return;
		if (!missing)
			missing = strdup(path);
		char *slash = strrchr(path, '/');
		if (slash == path) {
			/* Granting at / would undo the whole floor: leave it out, and say the floor is narrower there. */
			fprintf(stderr, "tether-landlock: %s does not exist in the sandbox and has no existing parent below /:"
				" not granted (the floor refuses it even if it is created later)\n", missing);
			free(missing);
			return;
		}
		*slash = 0;
	}
}

/* Mount points in mountinfo escape space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
	char *out = s;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = 0;
}

static int listed(const char *fstype, const char *list)
{
	size_t n = strlen(fstype);
	for (const char *p = list; *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (len == n && !strncmp(p, fstype, n))
			return 1;
		if (!comma)
			break;
		p = comma + 1;
	}
	return 0;
}

static void add_unjudged(char *spec)
{
	uint64_t access = parse_hex(spec, "unjudged rights");
	char *types = strchr(spec, ':');
	if (!types)
		die("malformed unjudged rule '%s' in " ENV, spec);
	types++;
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		die("cannot read /proc/self/mountinfo: %s", strerror(errno));
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		/* id parent major:minor root mountpoint options [optional...] - fstype source superoptions */
		char *fields[5] = { 0 }, *save = NULL, *tok = strtok_r(line, " \n", &save);
		int i = 0;
		for (; tok && i < 5; tok = strtok_r(NULL, " \n", &save))
			fields[i++] = tok;
		while (tok && strcmp(tok, "-"))
			tok = strtok_r(NULL, " \n", &save);
		char *fstype = tok ? strtok_r(NULL, " \n", &save) : NULL;
		if (i < 5 || !fstype)
			die("unexpected line in /proc/self/mountinfo");
		if (!listed(fstype, types))
			continue;
		unescape_octal(fields[4]);
		int fd = open(fields[4], O_PATH | O_CLOEXEC);
		if (fd < 0)
			continue; /* a mount hidden under a later one: not reachable by path, nothing to grant */
		add_fd(fd, access, fields[4]);
		close(fd);
	}
	free(line);
	fclose(f);
}

static void add_port(const char *spec)
{
	char *end;
	unsigned long port = strtoul(spec, &end, 10);
	if (*end || end == spec || port > 65535)
		die("malformed port '%s' in " ENV, spec);
	struct ll_net_port_attr a = { .allowed_access = LL_NET_CONNECT_TCP, .port = port };
	if (syscall(SYS_landlock_add_rule, ruleset, LL_RULE_NET_PORT, &a, 0) < 0)
		die("landlock_add_rule(port %lu): %s", port, strerror(errno));
}

int main(int argc, char **argv)
{
	if (argc < 3 || strcmp(argv[1], "--")) {
		fprintf(stderr, "usage: %s -- CMD [ARGS...] (with " ENV " set)\n", argv[0]);
		return FAIL;
	}
	const char *env = getenv(ENV);
	if (!env)
		die(ENV " is not set");
	char *spec = strdup(env);
	unsetenv(ENV);

	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);
	if (abi < 0)
		die("this kernel has no Landlock (%s)", strerror(errno));

	char *save = NULL, *tok = strtok_r(spec, " ", &save);
	if (!tok || strcmp(tok, "tether-landlock-1"))
		die(ENV " is not a tether-landlock-1 ruleset");
	struct ll_ruleset_attr attr = { 0 };
	char *fs = strtok_r(NULL, " ", &save), *net = strtok_r(NULL, " ", &save);
	if (!fs || strncmp(fs, "fs=", 3) || !net || strncmp(net, "net=", 4))
		die(ENV " does not start with fs= and net=");
	attr.handled_access_fs = handled_fs = parse_hex(fs + 3, "fs");
	attr.handled_access_net = parse_hex(net + 4, "net");
	/* The kernel refuses rights its ABI does not know (EINVAL): never silently fewer. */
	ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
	if (ruleset < 0)
		die("landlock_create_ruleset(fs=0x%llx, net=0x%llx) on ABI %ld: %s", (unsigned long long)attr.handled_access_fs,
			(unsigned long long)attr.handled_access_net, abi, strerror(errno));

	while ((tok = strtok_r(NULL, " ", &save))) {
		if (!strncmp(tok, "path=", 5))
			add_path(tok + 5);
		else if (!strncmp(tok, "unjudged=", 9))
			add_unjudged(tok + 9);
		else if (!strncmp(tok, "port=", 5))
			add_port(tok + 5);
		else
			die("unknown token '%s' in " ENV, tok);
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die("prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));
	if (syscall(SYS_landlock_restrict_self, ruleset, 0) < 0)
		die("landlock_restrict_self: %s", strerror(errno));
	close(ruleset);
	free(spec);

	execvp(argv[2], argv + 2);
	int e = errno;
	fprintf(stderr, "tether-landlock: cannot run %s: %s\n", argv[2], strerror(e));
	return e == ENOENT ? 127 : 126;
}
