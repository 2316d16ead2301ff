/*
 * The exec guard's maps and records, shared with dev.tether.kernel.enforce.ExecGuard.
 */
#ifndef TETHER_EXEC_GUARD_H
#define TETHER_EXEC_GUARD_H

#define EXEC_APPROVAL_ARGV 8192

/*
 * What user space approved when it let an exec through (fanotify exec permission event): the
 * program's identity and the argv the new image must have. Keyed by the exec'ing thread id.
 */
struct exec_approval {
	__u64 dev;        /* kernel encoding of the executable's device (MKDEV) */
	__u64 ino;
	__u32 total;      /* the whole argv's length in bytes (NULs included) */
	__u32 len;        /* bytes of argv[] that are compared: min(total, EXEC_APPROVAL_ARGV) */
	__u8 argv[EXEC_APPROVAL_ARGV];
};

/* The open/exec syscall a sandboxed thread is in: native number and its first four arguments. */
struct gate_syscall {
	__u64 nr;
	__u64 args[4];
	__u64 entered_ns; /* when the call began: tells two calls of one thread apart */
	__u32 tgid;       /* what the gate's event names the process by, without reading /proc */
	__u32 ppid;
	char comm[16];
};

/*
 * A program user space approved for any argv under the policy generation it was judged in (the
 * policy never reads argv for it). Its fanotify exec event is then skipped by an ignore mark, so
 * there is no per-thread approval: the image's identity is checked against this map instead.
 */
struct exec_image_key {
	__u64 dev;        /* kernel encoding (MKDEV), as in struct exec_approval */
	__u64 ino;
};

enum exec_guard_reason {
	EXEC_GUARD_NO_APPROVAL = 1,   /* an exec the permission gate never saw (memfd, unmarked mount) */
	EXEC_GUARD_OTHER_PROGRAM = 2, /* the image is not the file that was approved */
	EXEC_GUARD_OTHER_ARGV = 3,    /* argv changed between approval and exec (a racing thread) */
};

struct exec_guard_event {
	__u64 boot_ns;
	__u32 pid;
	__u32 old_tid;
	__u32 reason;
	__u32 reserved;
	__u64 dev;        /* the image the kernel is about to run */
	__u64 ino;
	__u64 approved_dev;
	__u64 approved_ino;
};

#endif
