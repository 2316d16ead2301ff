/* The event ring buffer shared by all monitors, its loss counter and the common header fill. */
#ifndef TETHER_RINGBUF_H
#define TETHER_RINGBUF_H

#define EVENTS_RINGBUF_BYTES (16 * 1024 * 1024)

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, EVENTS_RINGBUF_BYTES);
} events SEC(".maps");

/* Per-CPU count of events that did not fit in the ring: user space sums and reports them. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} events_lost SEC(".maps");

static __always_inline void count_lost_event(void)
{
	__u32 zero = 0;
	__u64 *lost = bpf_map_lookup_elem(&events_lost, &zero);
	if (lost)
		(*lost)++;
}

static __always_inline void fill_header(struct event_header *h, __u32 kind, __u32 slot,
					struct task_struct *task)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	h->boot_ns = bpf_ktime_get_boot_ns();
	h->cgroup_id = bpf_get_current_cgroup_id();
	h->kind = kind;
	h->session_slot = slot;
	h->pid = pid_tgid >> 32;
	h->tid = (__u32)pid_tgid;
	h->ppid = BPF_CORE_READ(task, real_parent, tgid);
	h->uid = (__u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(h->comm, sizeof(h->comm));
}

/*
 * Submit without waking the consumer on every event (a wakeup costs ~2 us and loses events under
 * load): user space polls on a short timer and drains after each timeout. Once the ring is a
 * quarter full we do wake it, so a burst is drained before it overflows.
 */
static __always_inline void emit_event(void *data, __u64 size, __u64 max)
{
	if (size > max)
		size = max;
	__u64 flags = BPF_RB_NO_WAKEUP;
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > EVENTS_RINGBUF_BYTES / 4)
		flags = BPF_RB_FORCE_WAKEUP;
	if (bpf_ringbuf_output(&events, data, size, flags) != 0)
		count_lost_event();
}

#endif
