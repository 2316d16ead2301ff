package dev.tether.kernel.event;

import java.net.InetAddress;

/**
 * A socket operation by a sandboxed process, captured at syscall exit. The address is the remote
 * end for connect, sendto, sendmsg and accept, the local one for bind and listen.
 *
 * @param result the syscall's return value (accept: the new fd), or {@code -errno}
 * @param fd the socket the call was made on
 * @param family the address family ({@link #AF_INET}, {@link #AF_INET6}, {@link #AF_UNIX}, or
 *     whatever the caller passed)
 * @param socketType SOCK_STREAM 1, SOCK_DGRAM 2, ... from the kernel socket; 0 when fd is not a socket
 * @param protocol IPPROTO_TCP 6, IPPROTO_UDP 17, ... from the kernel socket
 * @param address the IP address, null for Unix sockets and when there is none
 * @param port host byte order; 0 for Unix sockets
 * @param unixPath a Unix socket's path or abstract name (without the leading NUL), else null
 * @param source where the address came from
 */
public record NetEvent(EventHeader header, NetOp op, int syscall, boolean compat, long result, int fd, int family,
        int socketType, int protocol, InetAddress address, int port, KernelString unixPath, boolean unixAbstract,
        AddressSource source) implements KernelEvent {

    public static final int AF_UNIX = 1;
    public static final int AF_INET = 2;
    public static final int AF_INET6 = 10;
    public static final int SOCK_STREAM = 1;
    public static final int SOCK_DGRAM = 2;
    public static final int IPPROTO_TCP = 6;
    public static final int IPPROTO_UDP = 17;

    /** Where {@link NetEvent}'s address came from. */
    public enum AddressSource {
        /** The sockaddr the process passed, read after the kernel used it. */
        ARGUMENT,
        /** The kernel socket (listen: its bound address; accept: the peer). */
        SOCKET,
        /** The call had no address (an unnamed Unix socket, a failed accept). */
        NONE,
        /** The process passed an address that could not be read. */
        UNREADABLE
    }

    /** 0 on success, else the positive errno. */
    public int errno() {
        return result < 0 ? (int) -result : 0;
    }
}
