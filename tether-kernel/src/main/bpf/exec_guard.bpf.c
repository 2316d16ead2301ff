// SPDX-License-Identifier: GPL-2.0
/*
 * The second half of exec enforcement. The fanotify exec permission gate decides an exec with
 * the argv it reads from the caller's memory and records what it approved here; when the new
 * image is in place (sched_process_exec, before its first instruction) this program checks that
 * the image is the approved file and its argv is the approved argv, and kills it otherwise. So a
 * thread rewriting argv after the gate read it, or an exec the gate never saw (a memfd, a mount
 * without marks), ends in SIGKILL instead of an unjudged program.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "scope.h"
#include "syscalls.h"
#include "exec_guard.h"

char LICENSE[] SEC("license") = "GPL";

/*
 * tid -> what the gate approved that thread to exec. An entry lives from the gate's answer to the
 * new image's first instruction, so only a few exist at once; max_entries matches the sandbox's
 * task limit. Allocated per insert (BPF_F_NO_PREALLOC): preallocated, its 4096 values of 8 KB
 * cost 34 MB and ~55 ms of map creation in every enforcing session. Kernels before 6.1 allow
 * that in a tracepoint program only with a warning (no BPF memory allocator yet): there the
 * loader preallocates instead (ExecGuard).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct exec_approval);
} exec_approvals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct exec_approval);
} exec_seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} exec_guard_events SEC(".maps");

/*
 * tid -> the open or exec syscall that sandboxed thread is in right now. The permission gate
 * needs it for every event it decides (read or write? which argv?); /proc/<tid>/syscall gives the
 * same registers but only once the thread has gone to sleep, which the gate had to wait for.
 * An entry lives exactly as long as the syscall: written at entry, removed at exit, at thread
 * exit and when exec renumbers the thread; so a thread the gate finds here is in that syscall
 * (it is blocked in it waiting for the answer), and one that is not (io_uring worker, ia32 call,
 * a full map) is looked up in /proc as before.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct gate_syscall);
} gate_syscalls SEC(".maps");

/* Programs approved for any argv (see struct exec_image_key) -> the generation they were judged in. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct exec_image_key);
	__type(value, __u64);
} exec_images SEC(".maps");

/*
 * Programs whose policy reads argv only as literals it may hold (see struct exec_argv_rule).
 * Filled by user space once per program and policy: allocated per insert, as exec_approvals.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct exec_image_key);
	__type(value, struct exec_argv_rule);
} exec_argv_rules SEC(".maps");

/* [0]: the current generation; a policy change increments it, so every older image is void. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} exec_image_generation SEC(".maps");

static __always_inline bool gate_syscall_nr(__u32 nr)
{
	return nr == NR_open || nr == NR_openat || nr == NR_creat || nr == NR_execve || nr == NR_execveat;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(note_gate_syscall, struct pt_regs *regs, long id)
{
	__u32 nr = syscall_slot(regs); /* ia32 calls get COMPAT_BASE + nr: never recorded */
	if (!gate_syscall_nr(nr) || !sandbox_slot())
		return 0;
	__u64 id_both = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id_both;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct gate_syscall v = {
		.nr = nr,
		.args = { regs->di, regs->si, regs->dx, regs->r10 },
		.entered_ns = bpf_ktime_get_ns(),
		.tgid = id_both >> 32,
		.ppid = BPF_CORE_READ(task, real_parent, tgid),
	};
	bpf_get_current_comm(v.comm, sizeof(v.comm));
	bpf_map_update_elem(&gate_syscalls, &tid, &v, BPF_ANY);
	return 0;
}

/* Unconditional (no scope check): a thread moved out of the sandbox mid-call still leaves. */
SEC("tp_btf/sys_exit")
int BPF_PROG(forget_gate_syscall, struct pt_regs *regs, long ret)
{
	if (!gate_syscall_nr(syscall_slot(regs)))
		return 0;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	bpf_map_delete_elem(&gate_syscalls, &tid);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(forget_exited_thread, struct task_struct *task)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	bpf_map_delete_elem(&gate_syscalls, &tid);
	return 0;
}

/* The new image's argv: where it starts, and its length in bytes (NULs included). */
static __always_inline __u64 argv_bounds(struct task_struct *task, unsigned long *start)
{
	*start = BPF_CORE_READ(task, mm, arg_start);
	unsigned long end = BPF_CORE_READ(task, mm, arg_end);
	return end > *start ? end - *start : 0;
}

/* Copies the first len (<= EXEC_APPROVAL_ARGV) bytes of argv into seen; < 0 when unreadable. */
static __always_inline long copy_argv(struct exec_approval *seen, unsigned long start, __u32 len)
{
	if (len == 0)
		return 0;
	return bpf_probe_read_user(seen->argv, len & (EXEC_APPROVAL_ARGV - 1) ? len & (EXEC_APPROVAL_ARGV - 1) : EXEC_APPROVAL_ARGV,
				   (void *)start);
}

static __always_inline void refuse(struct task_struct *task, __u32 old_tid, __u32 reason,
				   struct exec_approval *ok, __u32 held)
{
	bpf_send_signal(9);
	struct exec_guard_event *e = bpf_ringbuf_reserve(&exec_guard_events, sizeof(*e), 0);
	if (!e)
		return;
	e->boot_ns = bpf_ktime_get_boot_ns();
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->old_tid = old_tid;
	e->reason = reason;
	e->held = held;
	struct inode *inode = BPF_CORE_READ(task, mm, exe_file, f_inode);
	e->ino = BPF_CORE_READ(inode, i_ino);
	e->dev = BPF_CORE_READ(inode, i_sb, s_dev);
	e->approved_dev = ok ? ok->dev : 0;
	e->approved_ino = ok ? ok->ino : 0;
	/* The refused command for the audit trail: the new image's argv (the process dies unread). */
	unsigned long start;
	__u64 total = argv_bounds(task, &start);
	__u32 n = total > EXEC_EVENT_ARGV ? EXEC_EVENT_ARGV : (__u32)total;
	e->argv_total = (__u32)total;
	e->argv_len = 0;
	if (n > 0 && n <= EXEC_EVENT_ARGV && bpf_probe_read_user(e->argv, n, (void *)start) == 0)
		e->argv_len = n;
	bpf_ringbuf_submit(e, 0);
}

/*
 * argv against the approval, 8 bytes a step. A bpf_loop callback is verified once; the byte loop
 * it replaces was verified step by step (up to 8,192 steps: ~80 ms of kernel time at every
 * session's start, for this program alone).
 */
struct argv_compare {
	struct exec_approval *seen;
	struct exec_approval *ok;
	__u32 len;
	__u32 mismatch;
};

static long compare_argv_step(__u64 i, void *data)
{
	struct argv_compare *c = data;
	__u64 off = i * 8;
	if (off >= c->len || off > EXEC_APPROVAL_ARGV - 8)
		return 1;
	__u64 diff = *(__u64 *)&c->seen->argv[off] ^ *(__u64 *)&c->ok->argv[off];
	__u64 rest = c->len - off;
	if (rest < 8)
		diff &= (1ULL << (rest * 8)) - 1; /* little-endian: the bytes past len are the high ones */
	if (diff) {
		c->mismatch = 1;
		return 1;
	}
	return 0;
}

/*
 * Which of an exec_argv_rule's literals argv[1..] holds: one byte a step over the argv copied
 * into exec_seen, every literal still matching the current argument compared at once.
 */
struct argv_scan {
	struct exec_argv_rule *rule;
	struct exec_approval *seen;
	__u32 len;        /* bytes of argv in seen */
	__u32 index;      /* the argument the scan is in (argv[0] is never matched) */
	__u32 pos;        /* its bytes so far, saturated at EXEC_ARGV_TOKEN_BYTES */
	__u32 alive;      /* literals equal to the argument so far */
	__u32 all;        /* every literal in use */
	__u32 held;       /* literals some argument equalled */
};

static long scan_argv_step(__u64 i, void *data)
{
	struct argv_scan *s = data;
	if (i >= s->len)
		return 1;
	__u8 b = s->seen->argv[i & (EXEC_APPROVAL_ARGV - 1)];
	__u32 pos = s->pos;
	if (b == 0) {
		if (s->index > 0) {
			for (int j = 0; j < EXEC_ARGV_TOKENS; j++) {
				if ((s->alive & (1u << j)) && pos == s->rule->len[j])
					s->held |= 1u << j;
			}
		}
		s->index++;
		s->pos = 0;
		s->alive = s->all;
		return 0;
	}
	__u32 alive = s->alive;
	for (int j = 0; j < EXEC_ARGV_TOKENS; j++) {
		if ((alive & (1u << j)) && (pos >= s->rule->len[j] || pos >= EXEC_ARGV_TOKEN_BYTES
					     || s->rule->token[j][pos & (EXEC_ARGV_TOKEN_BYTES - 1)] != b))
			alive &= ~(1u << j);
	}
	s->alive = alive;
	if (pos < EXEC_ARGV_TOKEN_BYTES)
		s->pos = pos + 1;
	return 0;
}

static __always_inline bool rule_denies(struct exec_argv_rule *rule, __u32 held)
{
	held &= (1u << EXEC_ARGV_TOKENS) - 1;
	return (rule->deny[(held >> 3) & 31] >> (held & 7)) & 1;
}

/* An argv longer than the scan reads: refused when any literal it may hold past that could be refused. */
struct argv_unread {
	struct exec_argv_rule *rule;
	__u32 held;
	__u32 deny;
};

static long any_superset_denied(__u64 m, void *data)
{
	struct argv_unread *u = data;
	if (m >= (1u << EXEC_ARGV_TOKENS))
		return 1;
	if (((__u32)m & u->held) == u->held && rule_denies(u->rule, (__u32)m)) {
		u->deny = 1;
		return 1;
	}
	return 0;
}

/* Decides an exec by its argv_rule: true when it must not run; *held says which literals argv holds. */
static __always_inline bool argv_rule_refuses(struct task_struct *task, struct exec_argv_rule *rule, __u32 *held)
{
	__u32 zero = 0;
	struct exec_approval *seen = bpf_map_lookup_elem(&exec_seen, &zero);
	if (!seen)
		return true;
	unsigned long start;
	__u64 total = argv_bounds(task, &start);
	__u32 len = total > EXEC_APPROVAL_ARGV ? EXEC_APPROVAL_ARGV : (__u32)total;
	if (copy_argv(seen, start, len) < 0)
		return true;
	__u32 tokens = rule->tokens > EXEC_ARGV_TOKENS ? EXEC_ARGV_TOKENS : rule->tokens;
	struct argv_scan scan = { .rule = rule, .seen = seen, .len = len, .all = (1u << tokens) - 1 };
	scan.alive = scan.all;
	bpf_loop(len, scan_argv_step, &scan, 0);
	*held = scan.held;
	if (total <= len)
		return rule_denies(rule, scan.held);
	/* The arguments past what was read may hold any of the other literals. */
	struct argv_unread u = { .rule = rule, .held = scan.held };
	bpf_loop(1u << EXEC_ARGV_TOKENS, any_superset_denied, &u, 0);
	return u.deny;
}

SEC("tracepoint/sched/sched_process_exec")
int guard_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	if (!sandbox_slot())
		return 0;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 key = ctx->old_pid;
	/* exec gave a non-leader thread the leader's number: its old one must not keep an entry */
	bpf_map_delete_elem(&gate_syscalls, &key);
	struct inode *inode = BPF_CORE_READ(task, mm, exe_file, f_inode);
	__u64 ino = BPF_CORE_READ(inode, i_ino);
	__u64 dev = BPF_CORE_READ(inode, i_sb, s_dev);

	/* A program approved for any argv under the policy in force needs no per-exec approval; one
	 * left by an earlier exec of this thread that failed after the gate's answer is dropped. */
	struct exec_image_key image = { .dev = dev, .ino = ino };
	__u64 *judged_in = bpf_map_lookup_elem(&exec_images, &image);
	__u32 zero = 0;
	__u64 *current = bpf_map_lookup_elem(&exec_image_generation, &zero);
	if (judged_in && current && *judged_in == *current) {
		bpf_map_delete_elem(&exec_approvals, &key);
		return 0;
	}
	struct exec_argv_rule *rule = bpf_map_lookup_elem(&exec_argv_rules, &image);
	if (rule && current && rule->generation == *current) {
		__u32 held = 0;
		bpf_map_delete_elem(&exec_approvals, &key);
		if (argv_rule_refuses(task, rule, &held))
			refuse(task, key, EXEC_GUARD_ARGV_RULE, NULL, held);
		return 0;
	}

	struct exec_approval *ok = bpf_map_lookup_elem(&exec_approvals, &key);
	if (!ok) {
		refuse(task, key, EXEC_GUARD_NO_APPROVAL, NULL, 0);
		return 0;
	}

	if (ino != ok->ino || dev != ok->dev) {
		refuse(task, key, EXEC_GUARD_OTHER_PROGRAM, ok, 0);
		bpf_map_delete_elem(&exec_approvals, &key);
		return 0;
	}

	struct exec_approval *seen = bpf_map_lookup_elem(&exec_seen, &zero);
	if (!seen)
		return 0;
	unsigned long start;
	__u64 total = argv_bounds(task, &start);
	__u32 len = total > EXEC_APPROVAL_ARGV ? EXEC_APPROVAL_ARGV : (__u32)total;
	__u32 mismatch = total != ok->total || len != ok->len;
	if (!mismatch && len > 0) {
		if (copy_argv(seen, start, len) < 0) {
			mismatch = 1;
		} else {
			struct argv_compare cmp = { .seen = seen, .ok = ok, .len = len };
			bpf_loop((len + 7) / 8, compare_argv_step, &cmp, 0);
			mismatch = cmp.mismatch;
		}
	}
	bpf_map_delete_elem(&exec_approvals, &key);
	if (mismatch)
		refuse(task, key, EXEC_GUARD_OTHER_ARGV, NULL, 0);
	return 0;
}
