/*
 * tether-mounts: changes the mounts of a running sandbox from outside it, so that deleting,
 * renaming, linking and truncating by path (which open nothing, so the fanotify gate never sees
 * them) are refused by the kernel where the policy permits no write. Run by tether as root on the
 * host, never inside the sandbox. A mount namespace can only be entered by a single-threaded
 * process, which the JVM is not; hence this program.
 *
 *   tether-mounts --pid PID [--fanotify TETHER_PID:FD:MASK] OP PATH [OP PATH]...
 *
 *   PID       a process of the sandbox: its mount namespace and root are entered
 *   fanotify  tether's fanotify gate (taken with pidfd_getfd): each new mount is marked with MASK
 *             while still detached, so no open through it goes unjudged
 *   OP PATH   PATH as the sandbox names it; no symbolic link is followed anywhere in it:
 *     ro        make the mount whose root is PATH read-only (mount_setattr)
 *     rw        make it writable again
 *     bind-rw   attach a writable copy of the tree at PATH (with the mounts below it, their flags
 *               kept) over PATH; refused (EBUSY) when PATH is already the root of a mount
 *     bind-ro   attach a read-only copy of the tree at PATH over PATH (a file or a directory a
 *               forbid protects); refused (EBUSY) when PATH is already the root of a mount
 *     detach    make the mount at PATH read-only, then detach it (what it covered shows again;
 *               a process that still holds a directory in it keeps a read-only mount)
 *
 * Prints one line per operation, "ok OP PATH" or "error OP PATH: REASON", and exits 0 when every
 * operation succeeded, 1 when one failed, 2 on bad usage or when the namespace cannot be entered.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define FAN_MARK_ADD 0x00000001
#define FAN_MARK_MOUNT 0x00000010
/* sys/mount.h clashes with linux/mount.h on older C libraries. */
#define DETACH_LAZILY 2 /* MNT_DETACH */

/* The host's /proc, opened before entering the sandbox: the sandbox's own /proc (another pid
 * namespace) has no entry for this process, so "/proc/self" would not resolve there. */
static int host_proc = -1;

static int sys_open_tree(int dfd, const char *path, unsigned flags) {
    return (int)syscall(SYS_open_tree, dfd, path, flags);
}

static int sys_move_mount(int from, const char *from_path, int to, const char *to_path, unsigned flags) {
    return (int)syscall(SYS_move_mount, from, from_path, to, to_path, flags);
}

static int sys_mount_setattr(int dfd, const char *path, unsigned flags, struct mount_attr *attr) {
    return (int)syscall(SYS_mount_setattr, dfd, path, flags, attr, sizeof(*attr));
}

/* The sandbox owns the tree: a path is resolved without following any link it may have planted. */
static int open_path(const char *path) {
    struct open_how how = {
        .flags = O_PATH | O_CLOEXEC,
        .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
    };
    return (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
}

static int set_attr(int fd, uint64_t set, uint64_t clear) {
    struct mount_attr attr = {.attr_set = set, .attr_clr = clear};
    return sys_mount_setattr(fd, "", AT_EMPTY_PATH, &attr);
}

/* 1 when fd is the root of a mount, 0 when not, -1 when the kernel cannot say. */
static int mount_root(int fd) {
    struct statx st;
    if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &st) < 0) {
        return -1;
    }
    if (!(st.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT)) {
        errno = ENOTSUP;
        return -1;
    }
    return (st.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
}

static int bind_copy(int target, int writable, int fanfd, uint64_t mask) {
    /* A mount already there is someone else's (a read-only mount of tether's own files, a volume):
     * a writable copy of it would undo what it is for; a read-only one is already there. */
    int root = mount_root(target);
    if (root != 0) {
        if (root == 1) {
            errno = EBUSY;
        }
        return -1;
    }
    int tree = sys_open_tree(target, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
    if (tree < 0) {
        return -1;
    }
    /* A writable copy: only its top becomes writable, mounts below it (read-only ones included)
     * keep their flags. A read-only copy: read-only throughout. Private either way, so nothing
     * propagates back to the host's mounts. */
    struct mount_attr attr = writable ? (struct mount_attr){.attr_clr = MOUNT_ATTR_RDONLY}
                                      : (struct mount_attr){.attr_set = MOUNT_ATTR_RDONLY};
    struct mount_attr private = {.propagation = MS_PRIVATE};
    if (sys_mount_setattr(tree, "", AT_EMPTY_PATH | (writable ? 0 : AT_RECURSIVE), &attr) < 0
        || sys_mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &private) < 0) {
        int e = errno;
        close(tree);
        errno = e;
        return -1;
    }
    if (fanfd >= 0) {
        char self[64];
        snprintf(self, sizeof(self), "self/fd/%d", tree);
        if (syscall(SYS_fanotify_mark, fanfd, FAN_MARK_ADD | FAN_MARK_MOUNT, mask, host_proc, self) < 0) {
            int e = errno;
            close(tree);
            errno = e;
            return -1;
        }
    }
    int rc = sys_move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
    int e = errno;
    close(tree);
    errno = e;
    return rc;
}

static int detach(int target) {
    if (set_attr(target, MOUNT_ATTR_RDONLY, 0) < 0) {
        return -1;
    }
    /* umount2 takes no directory descriptor: resolve the descriptor's magic link from the host's /proc. */
    char self[64];
    snprintf(self, sizeof(self), "self/fd/%d", target);
    if (fchdir(host_proc) < 0) {
        return -1;
    }
    int rc = (int)syscall(SYS_umount2, self, DETACH_LAZILY);
    int e = errno;
    if (chdir("/") < 0) {
        return -1;
    }
    errno = e;
    return rc;
}

static int take_fanotify(const char *spec, uint64_t *mask) {
    long pid;
    int fd;
    unsigned long long m;
    if (sscanf(spec, "%ld:%d:%llu", &pid, &fd, &m) != 3) {
        errno = EINVAL;
        return -1;
    }
    int pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
    if (pidfd < 0) {
        return -1;
    }
    int fan = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
    int e = errno;
    close(pidfd);
    errno = e;
    *mask = m;
    return fan;
}

static int enter(long pid) {
    host_proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (host_proc < 0) {
        return -1;
    }
    char path[64];
    snprintf(path, sizeof(path), "/proc/%ld/root", pid);
    int root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    snprintf(path, sizeof(path), "/proc/%ld/ns/mnt", pid);
    int ns = open(path, O_RDONLY | O_CLOEXEC);
    if (root < 0 || ns < 0) {
        return -1;
    }
    /* The namespace's own root may not be the sandbox's (pivot_root): take the process's. */
    if (setns(ns, CLONE_NEWNS) < 0 || fchdir(root) < 0 || chroot(".") < 0 || chdir("/") < 0) {
        return -1;
    }
    close(root);
    close(ns);
    return 0;
}

int main(int argc, char **argv) {
    long pid = -1;
    int fanfd = -1;
    uint64_t mask = 0;
    int i = 1;
    for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        if (strcmp(argv[i], "--pid") == 0) {
            pid = strtol(argv[i + 1], NULL, 10);
        } else if (strcmp(argv[i], "--fanotify") == 0) {
            fanfd = take_fanotify(argv[i + 1], &mask);
            if (fanfd < 0) {
                fprintf(stderr, "tether-mounts: cannot take tether's fanotify descriptor %s: %s\n", argv[i + 1],
                        strerror(errno));
                return 2;
            }
        } else {
            fprintf(stderr, "tether-mounts: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (pid <= 0 || (argc - i) % 2 != 0) {
        fprintf(stderr, "usage: tether-mounts --pid PID [--fanotify TETHER_PID:FD:MASK] OP PATH [OP PATH]...\n");
        return 2;
    }
    if (enter(pid) < 0) {
        fprintf(stderr, "tether-mounts: cannot enter the mount namespace of process %ld: %s\n", pid, strerror(errno));
        return 2;
    }
    int failed = 0;
    for (; i < argc; i += 2) {
        const char *op = argv[i];
        const char *path = argv[i + 1];
        int target = open_path(path);
        int rc = -1;
        if (target >= 0) {
            if (strcmp(op, "ro") == 0) {
                rc = set_attr(target, MOUNT_ATTR_RDONLY, 0);
            } else if (strcmp(op, "rw") == 0) {
                rc = set_attr(target, 0, MOUNT_ATTR_RDONLY);
            } else if (strcmp(op, "bind-rw") == 0) {
                rc = bind_copy(target, 1, fanfd, mask);
            } else if (strcmp(op, "bind-ro") == 0) {
                rc = bind_copy(target, 0, fanfd, mask);
            } else if (strcmp(op, "detach") == 0) {
                rc = detach(target);
            } else {
                errno = EINVAL;
            }
            int e = errno;
            close(target);
            errno = e;
        }
        if (rc == 0) {
            printf("ok %s %s\n", op, path);
        } else {
            printf("error %s %s: %s\n", op, path, strerror(errno));
            failed = 1;
        }
    }
    return failed;
}
