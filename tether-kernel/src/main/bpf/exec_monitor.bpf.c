// SPDX-License-Identifier: GPL-2.0
/*
 * Reports every successful exec inside a sandbox: the path exec was called with, argv, the
 * executed file's resolved path (after symlinks; for a #! script, its interpreter), the working
 * directory and the credentials after the exec.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "scope.h"
#include "process_events.h"
#include "ringbuf.h"
#include "path.h"

char LICENSE[] SEC("license") = "GPL";

/* exec_event is too large for the BPF stack: build it in a per-CPU scratch slot. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct exec_event);
} exec_scratch SEC(".maps");

/* Appends a resolved path at off; returns the bytes used (components, NULs, at least one NUL). */
static __always_inline __u32 put_resolved(struct exec_event *e, __u32 off, struct task_struct *task,
					  struct vfsmount *mnt, struct dentry *dentry,
					  __u16 *len, __u16 *flags)
{
	if (off > EXEC_FILENAME_MAX + EXEC_ARGS_MAX + PATH_BYTES_MAX + 1)
		return 0;
	__u32 n = resolve_path(task, mnt, dentry, flags);
	__u32 copied = copy_resolved(&e->data[off], n);
	if (copied == 0) {
		e->data[off] = 0;
		*len = 0;
		return 1;
	}
	*len = copied - 1; /* the last component's NUL ends the string */
	return copied;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 *slot = sandbox_slot();
	if (!slot)
		return 0;

	__u32 zero = 0;
	struct exec_event *e = bpf_map_lookup_elem(&exec_scratch, &zero);
	if (!e)
		return 0;

	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	fill_header(&e->hdr, EVENT_EXEC, *slot, task);
	e->flags = 0;
	e->argc = BPF_CORE_READ(bprm, argc);
	e->gid = BPF_CORE_READ(task, cred, gid.val);
	e->euid = BPF_CORE_READ(task, cred, euid.val);
	e->egid = BPF_CORE_READ(task, cred, egid.val);
	e->exe_flags = STR_FROM_FILE;
	e->cwd_flags = STR_BASE;

	/* The path exec was called with (for a script, the script). */
	const char *filename = BPF_CORE_READ(bprm, filename);
	long n = bpf_probe_read_kernel_str(e->data, EXEC_FILENAME_MAX, filename);
	if (n < 0)
		n = 1;
	if (n >= EXEC_FILENAME_MAX)
		e->flags |= EXEC_FILENAME_TRUNCATED;
	__u32 fname_len = (__u32)(n - 1) & (EXEC_FILENAME_MAX - 1);
	e->filename_len = fname_len;

	/* argv of the new image: [arg_start, arg_end) of its mm, NUL-separated. */
	unsigned long arg_start = BPF_CORE_READ(task, mm, arg_start);
	unsigned long arg_end = BPF_CORE_READ(task, mm, arg_end);
	unsigned long total = arg_end > arg_start ? arg_end - arg_start : 0;
	__u32 args_len = total;
	if (total > EXEC_ARGS_MAX) {
		args_len = EXEC_ARGS_MAX;
		e->flags |= EXEC_ARGS_TRUNCATED;
	}
	__u32 args_off = fname_len + 1;
	if (args_off > EXEC_FILENAME_MAX || args_len > EXEC_ARGS_MAX)
		return 0;
	if (args_len > 0 && bpf_probe_read_user(e->data + args_off, args_len, (void *)arg_start) < 0) {
		args_len = 0;
		e->flags |= EXEC_ARGS_FAULT;
	}
	e->args_len = args_len;

	__u32 off = args_off + args_len;
	struct file *exe = BPF_CORE_READ(bprm, file);
	off += put_resolved(e, off, task, BPF_CORE_READ(exe, f_path.mnt), BPF_CORE_READ(exe, f_path.dentry),
			    &e->exe_len, &e->exe_flags);
	off += put_resolved(e, off, task, BPF_CORE_READ(task, fs, pwd.mnt), BPF_CORE_READ(task, fs, pwd.dentry),
			    &e->cwd_len, &e->cwd_flags);

	emit_event(e, offsetof(struct exec_event, data) + off, sizeof(*e));
	return 0;
}
