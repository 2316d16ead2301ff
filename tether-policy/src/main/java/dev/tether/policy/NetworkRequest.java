package dev.tether.policy;

import java.net.InetAddress;
import java.util.Objects;

/**
 * Opening a connection (or sending a UDP datagram). The resource is {@code Host::"<hostname>"}
 * when the hostname is known, else {@code Host::"<address>"}; it is a member of every name the
 * destination has: {@code Host::"name:port"}, {@code Host::"*.<suffix>"} and
 * {@code DnsZone::"<suffix>"} for each parent domain, {@code Host::"<ip>"},
 * {@code Host::"<ip>:port"} ({@code [v6]:port}) and the {@code Net::"<prefix>/<len>"} of every
 * prefix length. Context: {@code hostname} ("" when unknown), {@code port}, {@code protocol}.
 *
 * @param hostname the DNS name, if known (proxy, DNS-aware layers); an IP literal is treated
 *     as the address
 * @param address the IP address, if known (kernel layers)
 */
public record NetworkRequest(Principal principal, String hostname, InetAddress address, int port, Transport transport)
        implements Request {
    public NetworkRequest {
        Objects.requireNonNull(principal, "principal");
        Objects.requireNonNull(transport, "transport");
        if (hostname == null && address == null) {
            throw new IllegalArgumentException("a network request needs a hostname or an address");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
    }

    @Override
    public Action action() {
        return Action.NETWORK_CONNECT;
    }
}
