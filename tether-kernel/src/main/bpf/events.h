/*
 * The header every event record starts with, the event kinds, and the flags that describe how a
 * string was captured. Shared by the BPF programs and tether's Java decoder
 * (dev.tether.kernel.event.KernelEventLayouts); the per-family records live in
 * process_events.h, file_events.h and net_events.h. Every field is naturally aligned and the structs
 * carry no implicit padding; KernelEventLayoutTest checks the Java offsets against the BTF.
 */
#ifndef TETHER_EVENTS_H
#define TETHER_EVENTS_H

#define TASK_COMM_LEN 16

/* The longest path kept, in bytes without the NUL: PATH_MAX - 1 is the longest the kernel accepts. */
#define PATH_BYTES_MAX 4096

enum event_kind {
	EVENT_EXEC = 1,
	EVENT_FORK = 2,
	EVENT_EXIT = 3,
	EVENT_FILE = 4,
	EVENT_NET = 5,
};

/*
 * How one string of a record was captured (one u16 per string).
 *
 * Raw strings are the process's own argument, read from its memory at syscall exit. Resolved
 * paths are built in the kernel from dentries and mounts, up to the task's root (so they are the
 * paths the sandbox sees), and are carried as their components, leaf first, each NUL-terminated:
 * user space reverses and joins them. That way the BPF side only ever appends.
 */
enum str_flags {
	STR_TRUNCATED = 1 << 0,   /* raw: longer than PATH_BYTES_MAX, a prefix is kept;
				     resolved: deeper than the walk allows, the leaf side is kept */
	STR_FAULT = 1 << 1,       /* raw: the process's memory could not be read */
	STR_UNREACHABLE = 1 << 2, /* resolved: the walk did not meet the task's root (another mount
				     namespace, a pseudo filesystem, a detached mount) */
	STR_FROM_FILE = 1 << 3,   /* resolved: the object the call opened or named by fd */
	STR_BASE = 1 << 4,        /* resolved: the directory a relative raw path starts from
				     (cwd or the dirfd), joined with the raw path in user space */
	STR_ABSENT = 1 << 5,      /* no such string for this call */
};

struct event_header {
	__u64 boot_ns;     /* bpf_ktime_get_boot_ns(); user space adds the wall-clock offset */
	__u64 cgroup_id;   /* the task's own cgroup2 id (may be a descendant of the session's) */
	__u32 kind;        /* enum event_kind */
	__u32 session_slot;
	__u32 pid;         /* thread group id, initial pid namespace */
	__u32 tid;
	__u32 ppid;
	__u32 uid;         /* real uid */
	char comm[TASK_COMM_LEN];
};

#endif
