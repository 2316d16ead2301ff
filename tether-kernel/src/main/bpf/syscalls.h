/*
 * Syscall-exit dispatch shared by syscall_monitor.bpf.c (the one program attached to the raw
 * sys_exit tracepoint) and the family objects whose handlers it tail-calls (file_monitor.bpf.c,
 * net_monitor.bpf.c).
 *
 * Why sys_exit only: on x86-64 the argument registers saved in pt_regs at entry are still there at
 * exit (the ABI preserves them and the kernel restores them from pt_regs), so one program sees the
 * arguments and the result together, and user memory is read after the kernel itself copied it
 * in (read at entry, a string in a page not yet faulted in is lost). Why raw (tp_btf) and not
 * tp/syscalls/sys_exit_*: the per-syscall events ignore 32-bit (ia32) callers entirely, which
 * would let a sandboxed process hide its opens behind int $0x80; the raw tracepoint sees them.
 */
#ifndef TETHER_SYSCALLS_H
#define TETHER_SYSCALLS_H

#if !defined(__TARGET_ARCH_x86)
#error "tether's syscall monitors know the x86-64 and ia32 syscall tables only"
#endif

/* Prog array slots: native numbers at [0, 1024), ia32 numbers at [1024, 2048). */
#define SYSCALL_SLOTS 1024
#define COMPAT_BASE 1024
/* thread_info.status bit set while a task runs a 32-bit syscall (arch/x86 TS_COMPAT). */
#define X86_TS_COMPAT 0x0002

#define AT_FDCWD_VALUE -100
#define AT_REMOVEDIR_VALUE 0x200
#define O_WRONLY_VALUE 01
#define O_CREAT_VALUE 0100
#define O_TRUNC_VALUE 01000

/* x86-64 (checked against asm/unistd_64.h) */
#define NR_open 2
#define NR_creat 85
#define NR_execve 59
#define NR_execveat 322
#define NR_openat 257
#define NR_openat2 437
#define NR_unlink 87
#define NR_unlinkat 263
#define NR_rmdir 84
#define NR_mkdir 83
#define NR_mkdirat 258
#define NR_rename 82
#define NR_renameat 264
#define NR_renameat2 316
#define NR_link 86
#define NR_linkat 265
#define NR_symlink 88
#define NR_symlinkat 266
#define NR_chmod 90
#define NR_fchmod 91
#define NR_fchmodat 268
#define NR_fchmodat2 452
#define NR_chown 92
#define NR_fchown 93
#define NR_lchown 94
#define NR_fchownat 260
#define NR_connect 42
#define NR_accept 43
#define NR_sendto 44
#define NR_sendmsg 46
#define NR_bind 49
#define NR_listen 50
#define NR_accept4 288

/* ia32 (checked against asm/unistd_32.h); 16-bit-uid chown variants are 16, 95, 182 */
#define NR32_open 5
#define NR32_creat 8
#define NR32_link 9
#define NR32_unlink 10
#define NR32_chmod 15
#define NR32_lchown16 16
#define NR32_rename 38
#define NR32_mkdir 39
#define NR32_rmdir 40
#define NR32_symlink 83
#define NR32_fchmod 94
#define NR32_fchown16 95
#define NR32_socketcall 102
#define NR32_chown16 182
#define NR32_lchown 198
#define NR32_fchown 207
#define NR32_chown 212
#define NR32_openat 295
#define NR32_mkdirat 296
#define NR32_fchownat 298
#define NR32_unlinkat 301
#define NR32_renameat 302
#define NR32_linkat 303
#define NR32_symlinkat 304
#define NR32_fchmodat 306
#define NR32_renameat2 353
#define NR32_bind 361
#define NR32_connect 362
#define NR32_listen 363
#define NR32_accept4 364
#define NR32_sendto 369
#define NR32_sendmsg 370
#define NR32_openat2 437
#define NR32_fchmodat2 452

/*
 * The handlers, filled by each family object through libbpf's declarative prog-array
 * initialisation (the map is shared between all monitor objects).
 */
#define SYSCALL_HANDLERS_MAP                                             \
	struct {                                                         \
		__uint(type, BPF_MAP_TYPE_PROG_ARRAY);                   \
		__uint(max_entries, 2 * SYSCALL_SLOTS);                  \
		__type(key, __u32);                                      \
		__array(values, int(void *));                            \
	}

static __always_inline bool syscall_is_compat(void)
{
	struct task_struct *t = bpf_get_current_task_btf();
	return (t->thread_info.status & X86_TS_COMPAT) != 0;
}

/* The dispatch slot of the syscall that is returning: native number, or COMPAT_BASE + ia32 number. */
static __always_inline __u32 syscall_slot(struct pt_regs *regs)
{
	unsigned long nr = regs->orig_ax;
	if (nr >= SYSCALL_SLOTS)
		return 2 * SYSCALL_SLOTS; /* no handler there: x32 (bit 30) and garbage land here */
	return syscall_is_compat() ? COMPAT_BASE + nr : nr;
}

/* Argument i of the syscall (x86-64: rdi rsi rdx r10 r8 r9; ia32: ebx ecx edx esi edi ebp). */
static __always_inline unsigned long syscall_arg(struct pt_regs *regs, bool compat, int i)
{
	if (compat) {
		switch (i) {
		case 0: return (__u32)regs->bx;
		case 1: return (__u32)regs->cx;
		case 2: return (__u32)regs->dx;
		case 3: return (__u32)regs->si;
		case 4: return (__u32)regs->di;
		default: return (__u32)regs->bp;
		}
	}
	switch (i) {
	case 0: return regs->di;
	case 1: return regs->si;
	case 2: return regs->dx;
	case 3: return regs->r10;
	case 4: return regs->r8;
	default: return regs->r9;
	}
}

/* A signed int argument (a dirfd: AT_FDCWD is -100 in both ABIs). */
static __always_inline int syscall_int_arg(struct pt_regs *regs, bool compat, int i)
{
	return (int)syscall_arg(regs, compat, i);
}

#endif
