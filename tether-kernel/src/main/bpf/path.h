/*
 * Kernel-side path resolution: the absolute path of a (mount, dentry) pair as the current task
 * sees it, i.e. walked up to the task's root (fs->root), crossing mounts. This is what d_path()
 * does; it is not callable from tracepoints, so the walk is done here with bounded loops.
 *
 * The result is written leaf first, one NUL-terminated component after the other, into a per-CPU
 * buffer; user space reverses it. Appending only keeps every write's bounds simple for the verifier.
 * The walk reads live dentries without the rename lock, as d_path's lockless first pass does: a
 * concurrent rename of a parent directory can give a mix of the old and new names.
 */
#ifndef TETHER_PATH_H
#define TETHER_PATH_H

#include "events.h"

/* A component is at most NAME_MAX (255) bytes; 2048 components of "x/" fill PATH_BYTES_MAX. */
#define NAME_BYTES_MAX 256
#define PATH_COMPONENTS_MAX 2048

struct path_buf {
	char buf[PATH_BYTES_MAX + NAME_BYTES_MAX + 8];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct path_buf);
} path_scratch SEC(".maps");

struct path_walk {
	struct dentry *dentry;
	struct mount *mnt;
	struct dentry *mnt_root;     /* mnt's root dentry: where the walk steps to the parent mount */
	struct dentry *root_dentry;  /* the task's root */
	struct vfsmount *root_mnt;
	__u32 len;                   /* bytes written to path_scratch */
	__u16 flags;                 /* enum str_flags */
	__u16 done;
};

static __always_inline struct mount *real_mount_of(struct vfsmount *vfsmnt)
{
	return (struct mount *)((void *)vfsmnt - bpf_core_field_offset(struct mount, mnt));
}

static __always_inline struct vfsmount *vfsmount_of(struct mount *mnt)
{
	return (struct vfsmount *)((void *)mnt + bpf_core_field_offset(struct mount, mnt));
}

/* One step up: either one dentry (appending its name) or one mount. Returns 1 to stop. */
static long path_walk_step(__u32 index, void *ctx)
{
	struct path_walk *w = ctx;
	/* Locals, not w->...: CO-RE relocations must only see kernel types. */
	struct dentry *d = w->dentry;
	struct mount *m = w->mnt;

	if (d == w->root_dentry && vfsmount_of(m) == w->root_mnt) {
		w->done = 1;
		return 1;
	}
	if (d == w->mnt_root) {
		struct mount *parent = BPF_CORE_READ(m, mnt_parent);
		if (parent == m || !parent) {
			/* The top of a mount tree that does not contain the task's root. */
			w->flags |= STR_UNREACHABLE;
			return 1;
		}
		w->dentry = BPF_CORE_READ(m, mnt_mountpoint);
		w->mnt = parent;
		w->mnt_root = BPF_CORE_READ(parent, mnt.mnt_root);
		return 0;
	}

	struct dentry *parent = BPF_CORE_READ(d, d_parent);
	if (parent == d || !parent) {
		/* A filesystem root that is not its mount's root: a detached or bind-mounted subtree. */
		w->flags |= STR_UNREACHABLE;
		return 1;
	}
	struct qstr name;
	if (bpf_core_read(&name, sizeof(name), &d->d_name) < 0) {
		w->flags |= STR_UNREACHABLE;
		return 1;
	}
	__u32 n = name.len;
	if (n > NAME_BYTES_MAX - 1)
		n = NAME_BYTES_MAX - 1;
	if (w->len + n + 1 > PATH_BYTES_MAX) {
		w->flags |= STR_TRUNCATED;
		return 1;
	}
	__u32 zero = 0;
	struct path_buf *pb = bpf_map_lookup_elem(&path_scratch, &zero);
	if (!pb)
		return 1;
	__u32 off = w->len;
	if (off > PATH_BYTES_MAX)
		return 1;
	long copied = bpf_probe_read_kernel_str(&pb->buf[off], n + 1, name.name);
	if (copied <= 0) {
		w->flags |= STR_UNREACHABLE;
		return 1;
	}
	w->len = off + (__u32)copied; /* copied counts the NUL */
	w->dentry = parent;
	return 0;
}

/*
 * Resolves (vfsmnt, dentry) for the current task into path_scratch. Returns the number of bytes
 * written (components and their NULs) and sets *flags.
 */
static __always_inline __u32 resolve_path(struct task_struct *task, struct vfsmount *vfsmnt,
					  struct dentry *dentry, __u16 *flags)
{
	struct path_walk w = {};
	if (!vfsmnt || !dentry) {
		*flags |= STR_UNREACHABLE;
		return 0;
	}
	w.dentry = dentry;
	w.mnt = real_mount_of(vfsmnt);
	w.mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
	w.root_dentry = BPF_CORE_READ(task, fs, root.dentry);
	w.root_mnt = BPF_CORE_READ(task, fs, root.mnt);
	bpf_loop(PATH_COMPONENTS_MAX, path_walk_step, &w, 0);
	if (!w.done && !(w.flags & (STR_UNREACHABLE | STR_TRUNCATED)))
		w.flags |= STR_TRUNCATED; /* ran out of steps */
	*flags |= w.flags;
	return w.len;
}

/* The struct file behind fd in the current task, or NULL. */
static __always_inline struct file *fd_file(struct task_struct *task, long fd)
{
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt || fd < 0)
		return NULL;
	unsigned int max = BPF_CORE_READ(fdt, max_fds);
	if ((unsigned long)fd >= max)
		return NULL;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = NULL;
	bpf_core_read(&f, sizeof(f), &fds[fd]);
	return f;
}

/* Copies what resolve_path left in path_scratch to dst (room for PATH_BYTES_MAX + 1 bytes). */
static __always_inline __u32 copy_resolved(char *dst, __u32 len)
{
	__u32 zero = 0;
	struct path_buf *pb = bpf_map_lookup_elem(&path_scratch, &zero);
	/* 64 bits and a barrier: the bounds check must be on the very register the helper gets. */
	__u64 n = len;
	barrier_var(n);
	if (!pb || n == 0 || n > PATH_BYTES_MAX)
		return 0;
	bpf_probe_read_kernel(dst, n, pb->buf);
	return n;
}

#endif
