// SPDX-License-Identifier: GPL-2.0
/*
 * One tiny program per BPF program type tether may rely on. `tether doctor` loads and attaches
 * each on its own to learn what this kernel really allows (a version number says nothing about
 * lockdown, LSM boot flags or trampoline restrictions). None of them changes any behaviour.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tracepoint/syscalls/sys_enter_openat")
int probe_tracepoint(void *ctx)
{
	return 0;
}

SEC("raw_tracepoint/sched_process_exec")
int probe_raw_tracepoint(void *ctx)
{
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(probe_tp_btf, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	return 0;
}

/* Sends a signal only to a task with this (impossible) tgid: the helper's presence is the probe. */
SEC("tracepoint/syscalls/sys_enter_getppid")
int probe_send_signal(void *ctx)
{
	if ((bpf_get_current_pid_tgid() >> 32) == 0x7fffffff)
		bpf_send_signal(9);
	return 0;
}

SEC("lsm/file_open")
int BPF_PROG(probe_lsm, struct file *file)
{
	return 0;
}

SEC("fentry/do_unlinkat")
int BPF_PROG(probe_fentry, int dfd, struct filename *name)
{
	return 0;
}

SEC("cgroup/connect4")
int probe_connect4(struct bpf_sock_addr *ctx)
{
	return 1;
}

SEC("cgroup/connect6")
int probe_connect6(struct bpf_sock_addr *ctx)
{
	return 1;
}

SEC("cgroup/sendmsg4")
int probe_sendmsg4(struct bpf_sock_addr *ctx)
{
	return 1;
}

SEC("cgroup/sock_create")
int probe_sock_create(struct bpf_sock *ctx)
{
	return 1;
}
