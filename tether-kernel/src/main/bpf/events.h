/*
 * Event records shared by the BPF programs and tether's Java decoder
 * (dev.tether.kernel.event.*Layout). Every field is naturally aligned and the structs carry no
 * implicit padding; KernelEventLayoutTest checks the Java offsets against this object's BTF.
 */
#ifndef TETHER_EVENTS_H
#define TETHER_EVENTS_H

#define TASK_COMM_LEN 16
#define EXEC_FILENAME_MAX 4096
#define EXEC_ARGS_MAX 8192

enum event_kind {
	EVENT_EXEC = 1,
};

enum event_flags {
	EVENT_FILENAME_TRUNCATED = 1 << 0,
	EVENT_ARGS_TRUNCATED = 1 << 1,
};

struct event_header {
	__u64 boot_ns;     /* bpf_ktime_get_boot_ns(); user space adds the wall-clock offset */
	__u64 cgroup_id;   /* the task's own cgroup2 id (may be a descendant of the session's) */
	__u32 kind;        /* enum event_kind */
	__u32 session_slot;
	__u32 pid;         /* thread group id, initial pid namespace */
	__u32 tid;
	__u32 ppid;
	__u32 uid;
	char comm[TASK_COMM_LEN];
};

struct exec_event {
	struct event_header hdr;
	__u32 flags;         /* enum event_flags */
	__u16 filename_len;  /* bytes of filename in data[], without NUL */
	__u16 args_len;      /* bytes of argv after the filename's NUL: NUL-separated */
	/* filename, NUL, then argv; the record is cut to the bytes used */
	char data[EXEC_FILENAME_MAX + EXEC_ARGS_MAX];
};

#endif
