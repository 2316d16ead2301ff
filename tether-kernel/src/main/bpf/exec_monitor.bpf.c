// SPDX-License-Identifier: GPL-2.0
/* Reports every successful exec inside a sandbox: the new image's path and its argv. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "scope.h"
#include "events.h"
#include "ringbuf.h"

char LICENSE[] SEC("license") = "GPL";

/* exec_event is too large for the BPF stack: build it in a per-CPU scratch slot. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct exec_event);
} exec_scratch SEC(".maps");

SEC("tracepoint/sched/sched_process_exec")
int handle_exec(struct trace_event_raw_sched_process_exec *ctx)
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

	/* The filename lives in the tracepoint record (__data_loc: offset in the low 16 bits). */
	unsigned int loc = ctx->__data_loc_filename & 0xFFFF;
	long n = bpf_probe_read_kernel_str(e->data, EXEC_FILENAME_MAX, (void *)ctx + loc);
	if (n < 0)
		n = 1;
	if (n >= EXEC_FILENAME_MAX)
		e->flags |= EVENT_FILENAME_TRUNCATED;
	__u32 fname_len = (__u32)(n - 1) & (EXEC_FILENAME_MAX - 1);
	e->filename_len = fname_len;

	/* argv of the new image: [arg_start, arg_end) of its mm, NUL-separated, packed after the
	 * filename's NUL so the record carries no unused bytes. */
	unsigned long arg_start = BPF_CORE_READ(task, mm, arg_start);
	unsigned long arg_end = BPF_CORE_READ(task, mm, arg_end);
	unsigned long total = arg_end > arg_start ? arg_end - arg_start : 0;
	__u32 args_len = total;
	if (total > EXEC_ARGS_MAX) {
		args_len = EXEC_ARGS_MAX;
		e->flags |= EVENT_ARGS_TRUNCATED;
	}
	__u32 args_off = fname_len + 1;
	if (args_off > EXEC_FILENAME_MAX)
		return 0;
	if (args_len > EXEC_ARGS_MAX)
		return 0;
	if (args_len > 0 && bpf_probe_read_user(e->data + args_off, args_len, (void *)arg_start) < 0)
		args_len = 0;
	e->args_len = args_len;

	emit_event(e, offsetof(struct exec_event, data) + args_off + args_len, sizeof(*e));
	return 0;
}
