// SPDX-License-Identifier: GPL-2.0
/*
 * Socket operations of sandboxed processes, at syscall exit (tail-called from syscall_monitor):
 * connect, bind, listen, accept/accept4, sendto and sendmsg with a destination address, for IPv4,
 * IPv6 and Unix sockets, native and 32-bit (direct calls and socketcall(2)).
 *
 * connect/bind/sendto/sendmsg: the address argument, read from the process after the kernel
 * copied it. listen: the socket's bound local address; accept: the new connection's peer (for
 * Unix sockets, which rarely have named peers, the path the listener is bound to), both read
 * from the kernel socket. The socket's type and protocol always come from the kernel socket.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "scope.h"
#include "net_events.h"
#include "ringbuf.h"
#include "path.h"
#include "syscalls.h"

char LICENSE[] SEC("license") = "GPL";

#define AF_UNIX_VALUE 1
#define AF_INET_VALUE 2
#define AF_INET6_VALUE 10
#define S_IFMT_VALUE 00170000
#define S_IFSOCK_VALUE 0140000

/* socketcall(2) call numbers (linux/net.h) */
#define SYS_BIND 2
#define SYS_CONNECT 3
#define SYS_LISTEN 4
#define SYS_ACCEPT 5
#define SYS_SENDTO 11
#define SYS_SENDMSG 16
#define SYS_ACCEPT4 18

/* sockaddr_un is the largest address we decode: family + 108 path bytes. */
#define SOCKADDR_BYTES_MAX 112

struct net_args {
	long fd;
	unsigned long addr;     /* user pointer to a sockaddr, 0 when none */
	unsigned long addrlen;
	unsigned long msg;      /* sendmsg: user pointer to the msghdr */
	__u16 op;
	__u16 compat;
};

/* Arguments of a socketcall(2): an array of 32-bit words in the caller's memory. */
static __always_inline bool decode_socketcall(struct pt_regs *regs, struct net_args *a)
{
	__u32 call = (__u32)regs->bx;
	__u32 w[6] = {};
	switch (call) {
	case SYS_BIND: a->op = NET_OP_BIND; break;
	case SYS_CONNECT: a->op = NET_OP_CONNECT; break;
	case SYS_LISTEN: a->op = NET_OP_LISTEN; break;
	case SYS_ACCEPT:
	case SYS_ACCEPT4: a->op = NET_OP_ACCEPT; break;
	case SYS_SENDTO: a->op = NET_OP_SENDTO; break;
	case SYS_SENDMSG: a->op = NET_OP_SENDMSG; break;
	default: return false;
	}
	if (bpf_probe_read_user(w, sizeof(w), (void *)(unsigned long)(__u32)regs->cx) < 0)
		return false;
	a->fd = (int)w[0];
	switch (a->op) {
	case NET_OP_BIND:
	case NET_OP_CONNECT:
		a->addr = w[1];
		a->addrlen = w[2];
		break;
	case NET_OP_SENDTO:
		a->addr = w[4];
		a->addrlen = w[5];
		break;
	case NET_OP_SENDMSG:
		a->msg = w[1];
		break;
	}
	return true;
}

static __always_inline bool decode_args(struct pt_regs *regs, __u32 nr, struct net_args *a)
{
	bool c = nr >= COMPAT_BASE;
	a->compat = c;
	if (nr == COMPAT_BASE + NR32_socketcall)
		return decode_socketcall(regs, a);
	a->fd = syscall_int_arg(regs, c, 0);
	switch (nr) {
	case NR_connect:
	case COMPAT_BASE + NR32_connect:
		a->op = NET_OP_CONNECT;
		a->addr = syscall_arg(regs, c, 1);
		a->addrlen = (__u32)syscall_arg(regs, c, 2);
		return true;
	case NR_bind:
	case COMPAT_BASE + NR32_bind:
		a->op = NET_OP_BIND;
		a->addr = syscall_arg(regs, c, 1);
		a->addrlen = (__u32)syscall_arg(regs, c, 2);
		return true;
	case NR_listen:
	case COMPAT_BASE + NR32_listen:
		a->op = NET_OP_LISTEN;
		return true;
	case NR_accept:
	case NR_accept4:
	case COMPAT_BASE + NR32_accept4:
		a->op = NET_OP_ACCEPT;
		return true;
	case NR_sendto:
	case COMPAT_BASE + NR32_sendto:
		a->op = NET_OP_SENDTO;
		a->addr = syscall_arg(regs, c, 4);
		a->addrlen = (__u32)syscall_arg(regs, c, 5);
		return true;
	case NR_sendmsg:
	case COMPAT_BASE + NR32_sendmsg:
		a->op = NET_OP_SENDMSG;
		a->msg = syscall_arg(regs, c, 1);
		return true;
	}
	return false;
}

/* The sendmsg destination: msg_name/msg_namelen of the (native or compat) msghdr. */
static __always_inline void read_msg_name(struct net_args *a)
{
	if (!a->msg)
		return;
	if (a->compat) {
		__u32 hdr[2] = {};
		if (bpf_probe_read_user(hdr, sizeof(hdr), (void *)a->msg) == 0) {
			a->addr = hdr[0];
			a->addrlen = hdr[1];
		}
		return;
	}
	struct user_msghdr m = {};
	if (bpf_probe_read_user(&m, sizeof(m), (void *)a->msg) == 0) {
		a->addr = (unsigned long)m.msg_name;
		a->addrlen = (__u32)m.msg_namelen;
	}
}

/* The kernel socket behind fd, or NULL when fd is not a socket. */
static __always_inline struct socket *fd_socket(struct task_struct *task, long fd)
{
	struct file *f = fd_file(task, fd);
	if (!f)
		return NULL;
	umode_t mode = BPF_CORE_READ(f, f_inode, i_mode);
	if ((mode & S_IFMT_VALUE) != S_IFSOCK_VALUE)
		return NULL;
	return BPF_CORE_READ(f, private_data);
}

/* Decodes a sockaddr the process passed (family, address, port, Unix path). */
static __always_inline void put_user_addr(struct net_event *e, unsigned long uaddr, unsigned long len)
{
	__u8 sa[SOCKADDR_BYTES_MAX] = {};
	if (len > SOCKADDR_BYTES_MAX)
		len = SOCKADDR_BYTES_MAX;
	if (len < 2) {
		e->flags |= NET_ADDR_NONE;
		return;
	}
	barrier_var(len);
	if (len > SOCKADDR_BYTES_MAX)
		return;
	if (bpf_probe_read_user(sa, len, (void *)uaddr) < 0) {
		e->flags |= NET_ADDR_FAULT;
		return;
	}
	__u16 family = *(__u16 *)sa;
	e->family = family;
	if (family == AF_INET_VALUE) {
		e->port = bpf_ntohs(*(__u16 *)&sa[2]);
		__builtin_memcpy(e->addr, &sa[4], 4);
	} else if (family == AF_INET6_VALUE) {
		e->port = bpf_ntohs(*(__u16 *)&sa[2]);
		__builtin_memcpy(e->addr, &sa[8], 16);
		e->scope_id = *(__u32 *)&sa[24];
	} else if (family == AF_UNIX_VALUE) {
		__u64 n = len - 2;
		if (n == 0) {
			e->flags |= NET_ADDR_NONE; /* autobind / unnamed */
			return;
		}
		if (sa[2] == 0)
			e->flags |= NET_UNIX_ABSTRACT;
		/*
		 * Kept as given (addrlen - 2 bytes); user space ends a pathname at its first NUL, as the
		 * kernel does, while an abstract name is exactly these bytes.
		 */
		barrier_var(n);
		if (n > UNIX_PATH_BYTES)
			n = UNIX_PATH_BYTES;
		barrier_var(n);
		if (n > 0 && n <= UNIX_PATH_BYTES)
			bpf_probe_read_kernel(e->path, n, &sa[2]);
		e->path_len = n;
	}
}

/* The socket's own address (local = 1) or its peer's (local = 0), from the kernel. */
static __always_inline void put_socket_addr(struct net_event *e, struct sock *sk, bool local)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	e->family = family;
	e->flags |= NET_ADDR_FROM_SOCKET;
	if (family == AF_INET_VALUE) {
		__u32 a = local ? BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr) : BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memcpy(e->addr, &a, 4);
		e->port = local ? BPF_CORE_READ(sk, __sk_common.skc_num) : bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	} else if (family == AF_INET6_VALUE) {
		if (local)
			BPF_CORE_READ_INTO(&e->addr, sk, __sk_common.skc_v6_rcv_saddr);
		else
			BPF_CORE_READ_INTO(&e->addr, sk, __sk_common.skc_v6_daddr);
		e->port = local ? BPF_CORE_READ(sk, __sk_common.skc_num) : bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	} else if (family == AF_UNIX_VALUE) {
		struct unix_address *ua = BPF_CORE_READ((struct unix_sock *)sk, addr);
		if (!ua) {
			e->flags |= NET_ADDR_NONE;
			return;
		}
		int alen = BPF_CORE_READ(ua, len) - 2; /* minus sun_family */
		if (alen <= 0) {
			e->flags |= NET_ADDR_NONE;
			return;
		}
		__u64 len = alen > UNIX_PATH_BYTES ? UNIX_PATH_BYTES : alen;
		char *sun_path = (char *)ua + bpf_core_field_offset(struct unix_address, name) + 2;
		char first = 0;
		bpf_probe_read_kernel(&first, 1, sun_path);
		if (first == 0) {
			e->flags |= NET_UNIX_ABSTRACT;
			barrier_var(len);
			if (len > 0 && len <= UNIX_PATH_BYTES)
				bpf_probe_read_kernel(e->path, len, sun_path);
			e->path_len = len;
		} else {
			long n = bpf_probe_read_kernel_str(e->path, UNIX_PATH_BYTES, sun_path);
			e->path_len = n > 0 ? n - 1 : 0;
		}
	}
}

SEC("tp_btf/sys_exit")
int BPF_PROG(handle_net_syscall, struct pt_regs *regs, long ret)
{
	__u32 nr = syscall_slot(regs);
	/*
	 * send() is sendto() without an address: the most frequent call on any connected socket, and
	 * nothing to report. One register test drops it before the scope check.
	 */
	if (nr == NR_sendto && !regs->r8)
		return 0;
	if (nr == COMPAT_BASE + NR32_sendto && !(__u32)regs->di)
		return 0;

	__u32 *slot = sandbox_slot();
	if (!slot)
		return 0;
	struct net_args a = {};
	if (!decode_args(regs, nr, &a))
		return 0;
	if (a.op == NET_OP_SENDMSG)
		read_msg_name(&a);
	if ((a.op == NET_OP_SENDTO || a.op == NET_OP_SENDMSG) && !a.addr)
		return 0; /* sent on a connected socket: no destination to report */

	struct net_event e = {};
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	fill_header(&e.hdr, EVENT_NET, *slot, task);
	e.result = ret;
	e.fd = a.fd;
	e.op = a.op;
	e.syscall_nr = nr;

	struct socket *sock = fd_socket(task, a.fd);
	struct sock *sk = NULL;
	if (sock) {
		e.sock_type = BPF_CORE_READ(sock, type);
		sk = BPF_CORE_READ(sock, sk);
		if (sk)
			e.protocol = BPF_CORE_READ(sk, sk_protocol);
	}

	if (a.op == NET_OP_LISTEN) {
		if (sk)
			put_socket_addr(&e, sk, true);
		else
			e.flags |= NET_ADDR_NONE;
	} else if (a.op == NET_OP_ACCEPT) {
		struct socket *conn = ret >= 0 ? fd_socket(task, ret) : NULL;
		struct sock *csk = conn ? BPF_CORE_READ(conn, sk) : NULL;
		if (csk)
			put_socket_addr(&e, csk, BPF_CORE_READ(csk, __sk_common.skc_family) == AF_UNIX_VALUE);
		else
			e.flags |= NET_ADDR_NONE;
	} else if (a.addr) {
		put_user_addr(&e, a.addr, a.addrlen);
	} else {
		e.flags |= NET_ADDR_NONE;
	}

	emit_event(&e, offsetof(struct net_event, path) + (e.path_len & 127), sizeof(e));
	return 0;
}

SYSCALL_HANDLERS_MAP syscall_handlers SEC(".maps") = {
	.values = {
		[NR_connect] = (void *)&handle_net_syscall,
		[NR_accept] = (void *)&handle_net_syscall,
		[NR_sendto] = (void *)&handle_net_syscall,
		[NR_sendmsg] = (void *)&handle_net_syscall,
		[NR_bind] = (void *)&handle_net_syscall,
		[NR_listen] = (void *)&handle_net_syscall,
		[NR_accept4] = (void *)&handle_net_syscall,
		[COMPAT_BASE + NR32_socketcall] = (void *)&handle_net_syscall,
		[COMPAT_BASE + NR32_connect] = (void *)&handle_net_syscall,
		[COMPAT_BASE + NR32_bind] = (void *)&handle_net_syscall,
		[COMPAT_BASE + NR32_listen] = (void *)&handle_net_syscall,
		[COMPAT_BASE + NR32_accept4] = (void *)&handle_net_syscall,
		[COMPAT_BASE + NR32_sendto] = (void *)&handle_net_syscall,
		[COMPAT_BASE + NR32_sendmsg] = (void *)&handle_net_syscall,
	},
};
