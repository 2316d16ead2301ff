/* Socket operation records (see events.h for the header). */
#ifndef TETHER_NET_EVENTS_H
#define TETHER_NET_EVENTS_H

#include "events.h"

#define UNIX_PATH_BYTES 108

enum net_op {
	NET_OP_CONNECT = 1,
	NET_OP_BIND = 2,
	NET_OP_LISTEN = 3,
	NET_OP_ACCEPT = 4,    /* accept, accept4 */
	NET_OP_SENDTO = 5,    /* sendto with a destination address */
	NET_OP_SENDMSG = 6,   /* sendmsg with msg_name set */
};

enum net_flags {
	NET_ADDR_FAULT = 1 << 0,       /* the sockaddr could not be read from the process */
	NET_ADDR_FROM_SOCKET = 1 << 1, /* address taken from the kernel socket, not the argument */
	NET_UNIX_ABSTRACT = 1 << 2,    /* path is an abstract name (sun_path[0] == 0, not kept) */
	NET_ADDR_NONE = 1 << 3,        /* no address (unbound unix socket, failed accept) */
};

/*
 * The address is the remote end for connect/sendto/sendmsg/accept and the local one for
 * bind/listen. IPv4 addresses occupy addr[0..3]; all in network byte order.
 */
struct net_event {
	struct event_header hdr;
	__s64 result;       /* the syscall's return value (accept: the new fd), or -errno */
	__s32 fd;           /* the socket the call was made on */
	__u16 op;           /* enum net_op */
	__u16 syscall_nr;   /* native number, or 1024 + the ia32 number for 32-bit callers */
	__u16 family;       /* AF_INET 2, AF_INET6 10, AF_UNIX 1, or what the caller passed */
	__u16 sock_type;    /* SOCK_STREAM 1, SOCK_DGRAM 2, ...; 0 when the fd is not a socket */
	__u16 protocol;     /* IPPROTO_TCP 6, IPPROTO_UDP 17, ... from the socket */
	__u16 port;         /* host byte order */
	__u16 flags;        /* enum net_flags */
	__u16 path_len;     /* unix: bytes of sun_path kept */
	__u32 scope_id;     /* IPv6 scope id */
	__u8 addr[16];
	char path[UNIX_PATH_BYTES];
	__u32 reserved;
};

#endif
