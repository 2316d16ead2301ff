package dev.tether.proxy.transparent;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * Where a transparently intercepted connection was really going. The kernel layer steers the
 * sandbox's TCP 80/443 to the proxy and records the original destination somewhere; this is how
 * the proxy reads it back. Two implementations are expected: {@link SoOriginalDestination}
 * (nft/iptables REDIRECT or DNAT: conntrack keeps it, {@code getsockopt(SO_ORIGINAL_DST)}) and a
 * cgroup {@code connect4/6} rewrite that records it in a BPF map keyed by socket cookie or the
 * client's source port (provided by tether-kernel).
 */
@FunctionalInterface
public interface OriginalDestination {
    /** The original destination; throws when it is unknown (the proxy then refuses the connection). */
    InetSocketAddress lookup(AcceptedConnection connection) throws IOException;
}
