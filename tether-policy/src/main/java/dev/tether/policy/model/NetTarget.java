package dev.tether.policy.model;

import dev.tether.policy.Transport;
import java.net.InetAddress;

/**
 * A network destination in canonical form: host name lower case without trailing dot (or null),
 * address unmapped (or null); an IP literal given as host name becomes the address.
 * {@code primary} is the resource id: the host name if known, else the address text.
 */
public record NetTarget(String hostname, InetAddress address, int port, Transport transport, String primary) {

    /** Canonicalises a destination; returns null (with {@code why} filled) if it is not valid. */
    public static NetTarget of(String hostname, InetAddress address, int port, Transport transport, StringBuilder why) {
        String h = null;
        InetAddress a = address == null ? null : Ips.unmap(address);
        if (hostname != null && !hostname.isEmpty()) {
            String lit = hostname.startsWith("[") && hostname.endsWith("]")
                    ? hostname.substring(1, hostname.length() - 1) : hostname;
            InetAddress parsed = Ips.parse(lit);
            if (parsed != null) {
                if (a == null) {
                    a = Ips.unmap(parsed);
                }
            } else {
                h = HostNames.canonicalRequestName(hostname);
                if (h == null) {
                    why.append("invalid host name \"").append(hostname).append('"');
                    return null;
                }
            }
        }
        if (h == null && a == null) {
            why.append("no host name or address");
            return null;
        }
        String primary = h != null ? h : Ips.format(a);
        return new NetTarget(h, a, port, transport, primary);
    }

    /** How the destination is shown in explanations: {@code name:port (addr) tcp}. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        if (hostname != null) {
            sb.append(hostname).append(':').append(port);
            if (address != null) {
                sb.append(" (").append(Ips.format(address)).append(')');
            }
        } else {
            sb.append(Ips.formatWithPort(address, port));
        }
        return sb.append(' ').append(transport.cedarName()).toString();
    }
}
