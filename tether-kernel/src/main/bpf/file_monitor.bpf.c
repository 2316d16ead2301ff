// SPDX-License-Identifier: GPL-2.0
/*
 * File operations of sandboxed processes, at syscall exit (tail-called from syscall_monitor):
 * opens (open, openat, openat2, creat) and namespace changes (unlink, rmdir, mkdir, rename, link,
 * symlink, chmod, chown and their *at / 32-bit forms).
 *
 * Each path is recorded twice over: raw, as the process passed it (read from its memory after the
 * kernel used it), and resolved in the kernel: for a successful open the opened file's own path
 * (after symlinks, not racy), otherwise, when the raw path is relative, the directory it starts
 * from (cwd or the dirfd), which user space joins with the raw path.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "scope.h"
#include "file_events.h"
#include "ringbuf.h"
#include "path.h"
#include "syscalls.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct file_event);
} file_scratch SEC(".maps");

/* The arguments of any of the file syscalls, normalised. */
struct file_args {
	unsigned long path;   /* user pointer to the path, 0 for the fd-based calls */
	unsigned long path2;  /* second path (rename/link new path) or the symlink target */
	long fd;              /* fchmod/fchown: the file */
	int dirfd;
	int dirfd2;
	__u64 flags;
	__u32 mode;
	__u32 uid;
	__u32 gid;
	__u16 op;
	__u16 path2_is_text;  /* symlink target: text, not a path to resolve */
};

#define AT_EMPTY_PATH_VALUE 0x1000
#define AT_SYMLINK_NOFOLLOW_VALUE 0x100

static __always_inline __u32 uid16(unsigned long v)
{
	return (__u16)v == 0xffff ? (__u32)-1 : (__u16)v;
}

/* Fills a from the registers; false for a syscall this object does not handle. */
static __always_inline bool decode_args(struct pt_regs *regs, __u32 nr, struct file_args *a)
{
	bool c = nr >= COMPAT_BASE;
	switch (nr) {
	case NR_open:
	case COMPAT_BASE + NR32_open:
		a->op = FILE_OP_OPEN;
		a->path = syscall_arg(regs, c, 0);
		a->flags = (__u32)syscall_arg(regs, c, 1);
		a->mode = syscall_arg(regs, c, 2);
		return true;
	case NR_openat:
	case COMPAT_BASE + NR32_openat:
		a->op = FILE_OP_OPEN;
		a->dirfd = syscall_int_arg(regs, c, 0);
		a->path = syscall_arg(regs, c, 1);
		a->flags = (__u32)syscall_arg(regs, c, 2);
		a->mode = syscall_arg(regs, c, 3);
		return true;
	case NR_openat2:
	case COMPAT_BASE + NR32_openat2: {
		struct open_how how = {};
		a->op = FILE_OP_OPEN;
		a->dirfd = syscall_int_arg(regs, c, 0);
		a->path = syscall_arg(regs, c, 1);
		bpf_probe_read_user(&how, sizeof(how), (void *)syscall_arg(regs, c, 2));
		a->flags = how.flags;
		a->mode = how.mode;
		return true;
	}
	case NR_creat:
	case COMPAT_BASE + NR32_creat:
		a->op = FILE_OP_OPEN;
		a->path = syscall_arg(regs, c, 0);
		a->mode = syscall_arg(regs, c, 1);
		a->flags = O_CREAT_VALUE | O_WRONLY_VALUE | O_TRUNC_VALUE;
		return true;
	case NR_unlink:
	case COMPAT_BASE + NR32_unlink:
		a->op = FILE_OP_UNLINK;
		a->path = syscall_arg(regs, c, 0);
		return true;
	case NR_unlinkat:
	case COMPAT_BASE + NR32_unlinkat:
		a->dirfd = syscall_int_arg(regs, c, 0);
		a->path = syscall_arg(regs, c, 1);
		a->flags = (__u32)syscall_arg(regs, c, 2);
		a->op = (a->flags & AT_REMOVEDIR_VALUE) ? FILE_OP_RMDIR : FILE_OP_UNLINK;
		return true;
	case NR_rmdir:
	case COMPAT_BASE + NR32_rmdir:
		a->op = FILE_OP_RMDIR;
		a->path = syscall_arg(regs, c, 0);
		return true;
	case NR_mkdir:
	case COMPAT_BASE + NR32_mkdir:
		a->op = FILE_OP_MKDIR;
		a->path = syscall_arg(regs, c, 0);
		a->mode = syscall_arg(regs, c, 1);
		return true;
	case NR_mkdirat:
	case COMPAT_BASE + NR32_mkdirat:
		a->op = FILE_OP_MKDIR;
		a->dirfd = syscall_int_arg(regs, c, 0);
		a->path = syscall_arg(regs, c, 1);
		a->mode = syscall_arg(regs, c, 2);
		return true;
	case NR_rename:
	case COMPAT_BASE + NR32_rename:
		a->op = FILE_OP_RENAME;
		a->path = syscall_arg(regs, c, 0);
		a->path2 = syscall_arg(regs, c, 1);
		return true;
	case NR_renameat:
	case COMPAT_BASE + NR32_renameat:
	case NR_renameat2:
	case COMPAT_BASE + NR32_renameat2:
		a->op = FILE_OP_RENAME;
		a->dirfd = syscall_int_arg(regs, c, 0);
		a->path = syscall_arg(regs, c, 1);
		a->dirfd2 = syscall_int_arg(regs, c, 2);
		a->path2 = syscall_arg(regs, c, 3);
		if (nr == NR_renameat2 || nr == COMPAT_BASE + NR32_renameat2)
			a->flags = (__u32)syscall_arg(regs, c, 4);
		return true;
	case NR_link:
	case COMPAT_BASE + NR32_link:
		a->op = FILE_OP_LINK;
		a->path = syscall_arg(regs, c, 0);
		a->path2 = syscall_arg(regs, c, 1);
		return true;
	case NR_linkat:
	case COMPAT_BASE + NR32_linkat:
		a->op = FILE_OP_LINK;
		a->dirfd = syscall_int_arg(regs, c, 0);
		a->path = syscall_arg(regs, c, 1);
		a->dirfd2 = syscall_int_arg(regs, c, 2);
		a->path2 = syscall_arg(regs, c, 3);
		a->flags = (__u32)syscall_arg(regs, c, 4);
		return true;
	case NR_symlink:
	case COMPAT_BASE + NR32_symlink:
		/* symlink(target, linkpath): the resource is the link created; target is its text. */
		a->op = FILE_OP_SYMLINK;
		a->path2 = syscall_arg(regs, c, 0);
		a->path = syscall_arg(regs, c, 1);
		a->path2_is_text = 1;
		return true;
	case NR_symlinkat:
	case COMPAT_BASE + NR32_symlinkat:
		a->op = FILE_OP_SYMLINK;
		a->path2 = syscall_arg(regs, c, 0);
		a->dirfd = syscall_int_arg(regs, c, 1);
		a->path = syscall_arg(regs, c, 2);
		a->path2_is_text = 1;
		return true;
	case NR_chmod:
	case COMPAT_BASE + NR32_chmod:
		a->op = FILE_OP_CHMOD;
		a->path = syscall_arg(regs, c, 0);
		a->mode = syscall_arg(regs, c, 1);
		return true;
	case NR_fchmod:
	case COMPAT_BASE + NR32_fchmod:
		a->op = FILE_OP_CHMOD;
		a->fd = syscall_int_arg(regs, c, 0);
		a->dirfd = a->fd;
		a->mode = syscall_arg(regs, c, 1);
		return true;
	case NR_fchmodat:
	case COMPAT_BASE + NR32_fchmodat:
	case NR_fchmodat2:
	case COMPAT_BASE + NR32_fchmodat2:
		a->op = FILE_OP_CHMOD;
		a->dirfd = syscall_int_arg(regs, c, 0);
		a->path = syscall_arg(regs, c, 1);
		a->mode = syscall_arg(regs, c, 2);
		if (nr == NR_fchmodat2 || nr == COMPAT_BASE + NR32_fchmodat2)
			a->flags = (__u32)syscall_arg(regs, c, 3);
		return true;
	case NR_chown:
	case COMPAT_BASE + NR32_chown:
	case NR_lchown:
	case COMPAT_BASE + NR32_lchown:
		a->op = FILE_OP_CHOWN;
		a->path = syscall_arg(regs, c, 0);
		a->uid = syscall_arg(regs, c, 1);
		a->gid = syscall_arg(regs, c, 2);
		if (nr == NR_lchown || nr == COMPAT_BASE + NR32_lchown)
			a->flags = AT_SYMLINK_NOFOLLOW_VALUE;
		return true;
	case COMPAT_BASE + NR32_chown16:
	case COMPAT_BASE + NR32_lchown16:
		a->op = FILE_OP_CHOWN;
		a->path = syscall_arg(regs, c, 0);
		a->uid = uid16(syscall_arg(regs, c, 1));
		a->gid = uid16(syscall_arg(regs, c, 2));
		if (nr == COMPAT_BASE + NR32_lchown16)
			a->flags = AT_SYMLINK_NOFOLLOW_VALUE;
		return true;
	case NR_fchown:
	case COMPAT_BASE + NR32_fchown:
		a->op = FILE_OP_CHOWN;
		a->fd = syscall_int_arg(regs, c, 0);
		a->dirfd = a->fd;
		a->uid = syscall_arg(regs, c, 1);
		a->gid = syscall_arg(regs, c, 2);
		return true;
	case COMPAT_BASE + NR32_fchown16:
		a->op = FILE_OP_CHOWN;
		a->fd = syscall_int_arg(regs, c, 0);
		a->dirfd = a->fd;
		a->uid = uid16(syscall_arg(regs, c, 1));
		a->gid = uid16(syscall_arg(regs, c, 2));
		return true;
	case NR_fchownat:
	case COMPAT_BASE + NR32_fchownat:
		a->op = FILE_OP_CHOWN;
		a->dirfd = syscall_int_arg(regs, c, 0);
		a->path = syscall_arg(regs, c, 1);
		a->uid = syscall_arg(regs, c, 2);
		a->gid = syscall_arg(regs, c, 3);
		a->flags = (__u32)syscall_arg(regs, c, 4);
		return true;
	}
	return false;
}

/* Start of the last string slot: every put_* below starts at or before it. */
#define SLOT_START_MAX ((FILE_STRINGS - 1) * (PATH_BYTES_MAX + 1))

/* Slot i = the raw string at uptr. Returns the next free offset. */
static __always_inline __u32 put_raw(struct file_event *e, int i, __u32 pos, unsigned long uptr)
{
	if (pos > SLOT_START_MAX)
		return pos;
	e->len[i] = 0;
	if (!uptr) {
		e->str_flags[i] = STR_ABSENT;
		e->data[pos] = 0;
		return pos + 1;
	}
	/* One byte more than kept: a string that fills it is longer than any path the kernel takes. */
	long n = bpf_probe_read_user_str(&e->data[pos], PATH_BYTES_MAX + 1, (void *)uptr);
	if (n <= 0) {
		e->str_flags[i] = STR_FAULT;
		e->data[pos] = 0;
		return pos + 1;
	}
	e->str_flags[i] = n == PATH_BYTES_MAX + 1 ? STR_TRUNCATED : 0;
	e->len[i] = n - 1;
	return pos + n;
}

/* Slot i = the resolved path of (mnt, dentry), flagged kind. Returns the next free offset. */
static __always_inline __u32 put_resolved(struct file_event *e, int i, __u32 pos, struct task_struct *task,
					  struct vfsmount *mnt, struct dentry *dentry, __u16 kind)
{
	if (pos > SLOT_START_MAX)
		return pos;
	__u16 flags = kind;
	__u32 n = resolve_path(task, mnt, dentry, &flags);
	__u32 copied = copy_resolved(&e->data[pos], n);
	e->str_flags[i] = flags;
	if (copied == 0) {
		e->len[i] = 0;
		e->data[pos] = 0;
		return pos + 1;
	}
	e->len[i] = copied - 1;
	return pos + copied;
}

static __always_inline __u32 put_absent(struct file_event *e, int i, __u32 pos)
{
	if (pos > SLOT_START_MAX)
		return pos;
	e->len[i] = 0;
	e->str_flags[i] = STR_ABSENT;
	e->data[pos] = 0;
	return pos + 1;
}

static __always_inline __u32 put_file(struct file_event *e, int i, __u32 pos, struct task_struct *task, long fd)
{
	struct file *f = fd_file(task, fd);
	if (!f)
		return put_absent(e, i, pos);
	return put_resolved(e, i, pos, task, BPF_CORE_READ(f, f_path.mnt), BPF_CORE_READ(f, f_path.dentry),
			    STR_FROM_FILE);
}

/* The directory a relative path given with dirfd starts from. */
static __always_inline __u32 put_base(struct file_event *e, int i, __u32 pos, struct task_struct *task, int dirfd)
{
	if (dirfd == AT_FDCWD_VALUE)
		return put_resolved(e, i, pos, task, BPF_CORE_READ(task, fs, pwd.mnt),
				    BPF_CORE_READ(task, fs, pwd.dentry), STR_BASE);
	struct file *f = fd_file(task, dirfd);
	if (!f)
		return put_absent(e, i, pos);
	return put_resolved(e, i, pos, task, BPF_CORE_READ(f, f_path.mnt), BPF_CORE_READ(f, f_path.dentry),
			    STR_BASE);
}

static __always_inline bool raw_is_absolute(struct file_event *e, int i, __u32 start)
{
	if (start > SLOT_START_MAX)
		return false;
	return !(e->str_flags[i] & (STR_FAULT | STR_ABSENT)) && e->data[start] == '/';
}

/*
 * Everything after decoding, as a global function: the verifier checks it once, with the arguments
 * unknown, instead of once for every syscall decode_args tells apart (~50 of them: 45-78 ms of
 * kernel time at every session's start).
 */
__noinline int record_file_syscall(struct file_args *a, long ret, __u32 slot, __u32 nr)
{
	if (!a)
		return 0;
	__u32 zero = 0;
	struct file_event *e = bpf_map_lookup_elem(&file_scratch, &zero);
	if (!e)
		return 0;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	fill_header(&e->hdr, EVENT_FILE, slot, task);
	e->result = ret;
	e->open_flags = a->flags;
	e->mode = a->mode;
	e->uid = a->uid;
	e->gid = a->gid;
	e->dirfd = a->dirfd;
	e->dirfd2 = a->dirfd2;
	e->op = a->op;
	e->syscall_nr = nr;
	e->reserved = 0;

	__u32 pos = 0;
	__u32 start0 = pos;
	pos = put_raw(e, 0, pos, a->path);
	if (a->op == FILE_OP_OPEN && ret >= 0)
		pos = put_file(e, 1, pos, task, ret);
	else if (!a->path)
		pos = put_file(e, 1, pos, task, a->fd);
	else if (raw_is_absolute(e, 0, start0))
		pos = put_absent(e, 1, pos);
	else
		pos = put_base(e, 1, pos, task, a->dirfd);

	__u32 start2 = pos;
	pos = put_raw(e, 2, pos, a->path2);
	if (!a->path2 || a->path2_is_text || raw_is_absolute(e, 2, start2))
		pos = put_absent(e, 3, pos);
	else
		pos = put_base(e, 3, pos, task, a->dirfd2);

	emit_event(e, offsetof(struct file_event, data) + pos, sizeof(*e));
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(handle_file_syscall, struct pt_regs *regs, long ret)
{
	__u32 *slot = sandbox_slot();
	if (!slot)
		return 0;
	__u32 nr = syscall_slot(regs);
	struct file_args a = { .dirfd = AT_FDCWD_VALUE, .dirfd2 = AT_FDCWD_VALUE, .fd = -1 };
	if (!decode_args(regs, nr, &a))
		return 0;
	return record_file_syscall(&a, ret, *slot, nr);
}

SYSCALL_HANDLERS_MAP syscall_handlers SEC(".maps") = {
	.values = {
		[NR_open] = (void *)&handle_file_syscall,
		[NR_creat] = (void *)&handle_file_syscall,
		[NR_openat] = (void *)&handle_file_syscall,
		[NR_openat2] = (void *)&handle_file_syscall,
		[NR_unlink] = (void *)&handle_file_syscall,
		[NR_unlinkat] = (void *)&handle_file_syscall,
		[NR_rmdir] = (void *)&handle_file_syscall,
		[NR_mkdir] = (void *)&handle_file_syscall,
		[NR_mkdirat] = (void *)&handle_file_syscall,
		[NR_rename] = (void *)&handle_file_syscall,
		[NR_renameat] = (void *)&handle_file_syscall,
		[NR_renameat2] = (void *)&handle_file_syscall,
		[NR_link] = (void *)&handle_file_syscall,
		[NR_linkat] = (void *)&handle_file_syscall,
		[NR_symlink] = (void *)&handle_file_syscall,
		[NR_symlinkat] = (void *)&handle_file_syscall,
		[NR_chmod] = (void *)&handle_file_syscall,
		[NR_fchmod] = (void *)&handle_file_syscall,
		[NR_fchmodat] = (void *)&handle_file_syscall,
		[NR_fchmodat2] = (void *)&handle_file_syscall,
		[NR_chown] = (void *)&handle_file_syscall,
		[NR_fchown] = (void *)&handle_file_syscall,
		[NR_lchown] = (void *)&handle_file_syscall,
		[NR_fchownat] = (void *)&handle_file_syscall,
		[COMPAT_BASE + NR32_open] = (void *)&handle_file_syscall,
		[COMPAT_BASE + NR32_creat] = (void *)&handle_file_syscall,
		[COMPAT_BASE + NR32_openat] = (void *)&handle_file_syscall,
		[COMPAT_BASE + NR32_openat2] = (void *)&handle_file_syscall,
		[COMPAT_BASE + NR32_unlink] = (void *)&handle_file_syscall,
		[COMPAT_BASE + NR32_unlinkat] = (void *)&handle_file_syscall,
		[COMPAT_BASE + NR32_rmdir] = (void *)&handle_file_syscall,
		[COMPAT_BASE + NR32_mkdir] = (void *)&handle_file_syscall,
		[COMPAT_BASE + NR32_mkdirat] = (void *)&handle_file_syscall,
		[COMPAT_BASE + NR32_rename] = (void *)&handle_file_syscall,
		[COMPAT_BASE + NR32_renameat] = (void *)&handle_file_syscall,
		[COMPAT_BASE + NR32_renameat2] = (void *)&handle_file_syscall,
		[COMPAT_BASE + NR32_link] = (void *)&handle_file_syscall,
		[COMPAT_BASE + NR32_linkat] = (void *)&handle_file_syscall,
		[COMPAT_BASE + NR32_symlink] = (void *)&handle_file_syscall,
		[COMPAT_BASE + NR32_symlinkat] = (void *)&handle_file_syscall,
		[COMPAT_BASE + NR32_chmod] = (void *)&handle_file_syscall,
		[COMPAT_BASE + NR32_fchmod] = (void *)&handle_file_syscall,
		[COMPAT_BASE + NR32_fchmodat] = (void *)&handle_file_syscall,
		[COMPAT_BASE + NR32_fchmodat2] = (void *)&handle_file_syscall,
		[COMPAT_BASE + NR32_chown] = (void *)&handle_file_syscall,
		[COMPAT_BASE + NR32_chown16] = (void *)&handle_file_syscall,
		[COMPAT_BASE + NR32_lchown] = (void *)&handle_file_syscall,
		[COMPAT_BASE + NR32_lchown16] = (void *)&handle_file_syscall,
		[COMPAT_BASE + NR32_fchown] = (void *)&handle_file_syscall,
		[COMPAT_BASE + NR32_fchown16] = (void *)&handle_file_syscall,
		[COMPAT_BASE + NR32_fchownat] = (void *)&handle_file_syscall,
	},
};
