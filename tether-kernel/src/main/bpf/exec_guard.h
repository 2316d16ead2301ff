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

#define EXEC_ARGV_TOKENS 8
#define EXEC_ARGV_TOKEN_BYTES 64
#define EXEC_EVENT_ARGV 256

/*
 * A program whose decision reads its arguments only as "does argv[1..] hold this literal"
 * (context.argv.contains/containsAll/containsAny of strings), for up to EXEC_ARGV_TOKENS
 * literals: user space evaluated the policy for every combination of them when it first allowed
 * the program, so the guard decides its later execs itself: it finds which literals the new
 * image's argv holds and looks the verdict up. Its fanotify exec events are skipped by an ignore
 * mark, like an image approved for any argv.
 */
struct exec_argv_rule {
	__u64 generation; /* the policy generation it was computed under, as exec_images */
	__u32 tokens;     /* literals in use */
	__u32 reserved;
	__u8 len[EXEC_ARGV_TOKENS];                /* bytes of each literal, < EXEC_ARGV_TOKEN_BYTES */
	__u8 deny[(1 << EXEC_ARGV_TOKENS) / 8];    /* bit m set: refuse when argv holds exactly the literals in m */
	char token[EXEC_ARGV_TOKENS][EXEC_ARGV_TOKEN_BYTES];
};

enum exec_guard_reason {
	EXEC_GUARD_NO_APPROVAL = 1,   /* an exec the permission gate never saw (memfd, unmarked mount) */
	EXEC_GUARD_OTHER_PROGRAM = 2, /* the image is not the file that was approved */
	EXEC_GUARD_OTHER_ARGV = 3,    /* argv changed between approval and exec (a racing thread) */
	EXEC_GUARD_ARGV_RULE = 4,     /* an exec_argv_rule refused the literals argv holds */
};

struct exec_guard_event {
	__u64 boot_ns;
	__u32 pid;
	__u32 old_tid;
	__u32 reason;
	__u32 held;       /* EXEC_GUARD_ARGV_RULE: bit j set when argv[1..] holds literal j */
	__u64 dev;        /* the image the kernel is about to run */
	__u64 ino;
	__u64 approved_dev;
	__u64 approved_ino;
	__u32 argv_total; /* the whole argv's length in bytes */
	__u32 argv_len;   /* bytes of it in argv[] */
	__u8 argv[EXEC_EVENT_ARGV];
};

#endif
