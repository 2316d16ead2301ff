package dev.tether.proxy.transparent;

import java.net.InetSocketAddress;

/**
 * A connection the transparent listener accepted: its two endpoints as the proxy sees them and the
 * socket's file descriptor (-1 when the transport does not expose one), which lookups that read
 * kernel state about the socket (SO_ORIGINAL_DST, SO_COOKIE) need.
 */
public record AcceptedConnection(InetSocketAddress local, InetSocketAddress remote, int fd) {}
