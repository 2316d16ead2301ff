// SPDX-License-Identifier: GPL-2.0
/*
 * The only program on the raw sys_exit tracepoint: it tail-calls the handler registered for the
 * returning syscall (see syscalls.h) and does nothing else. Every syscall of every task on the host
 * passes through here while monitoring is on, so it must stay this small: one load of the syscall
 * number, one of the compat bit, one prog-array lookup. Empty slots end it. The handlers check
 * the sandbox scope first thing.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "syscalls.h"

char LICENSE[] SEC("license") = "GPL";

SYSCALL_HANDLERS_MAP syscall_handlers SEC(".maps");

SEC("tp_btf/sys_exit")
int BPF_PROG(dispatch_sys_exit, struct pt_regs *regs, long ret)
{
	bpf_tail_call(ctx, &syscall_handlers, syscall_slot(regs));
	return 0;
}
