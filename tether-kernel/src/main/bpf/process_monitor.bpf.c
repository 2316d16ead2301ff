// SPDX-License-Identifier: GPL-2.0
/* Process tree bookkeeping for sandboxes: every new process (fork/clone) and every process exit. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "scope.h"
#include "process_events.h"
#include "ringbuf.h"

char LICENSE[] SEC("license") = "GPL";

/* Runs in the parent, so the parent's cgroup decides the scope (the child inherits it). */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 *slot = sandbox_slot();
	if (!slot)
		return 0;
	int child_pid = BPF_CORE_READ(child, pid);
	int child_tgid = BPF_CORE_READ(child, tgid);
	if (child_pid != child_tgid)
		return 0; /* a new thread in an existing process, not a new process */

	struct fork_event e = {};
	fill_header(&e.hdr, EVENT_FORK, *slot, (struct task_struct *)bpf_get_current_task());
	e.child_pid = child_tgid;
	e.child_tid = child_pid;
	emit_event(&e, sizeof(e), sizeof(e));
	return 0;
}

/*
 * Runs in the exiting thread, once per thread. Only the last thread of the group reports: by then
 * do_exit has counted it out of signal->live (this holds on kernels whose tracepoint has no
 * group_dead argument too).
 */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_exit, struct task_struct *task)
{
	__u32 *slot = sandbox_slot();
	if (!slot)
		return 0;
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;

	struct exit_event e = {};
	fill_header(&e.hdr, EVENT_EXIT, *slot, task);
	/* A group exit (exit_group, a fatal signal) leaves its status in the signal struct. */
	int code = BPF_CORE_READ(task, signal, group_exit_code);
	if (code == 0)
		code = BPF_CORE_READ(task, exit_code);
	e.exit_code = code;
	emit_event(&e, sizeof(e), sizeof(e));
	return 0;
}
