package dev.tether.sandbox.net;

import java.net.InetAddress;

/**
 * A docker-style {@code -p [HOST_IP:]HOST_PORT:SANDBOX_PORT[/tcp]}: connections to the host port are
 * forwarded to the sandbox port.
 */
public record PublishedPort(InetAddress hostAddress, int hostPort, int sandboxPort) {

    /** @throws IllegalArgumentException with a message a user can act on */
    public static PublishedPort parse(String spec) {
        String s = spec;
        if (s.endsWith("/tcp")) {
            s = s.substring(0, s.length() - 4);
        } else if (s.contains("/")) {
            throw new IllegalArgumentException("publish '" + spec + "': only TCP ports can be published (use PORT or PORT/tcp)");
        }
        String hostIp = "127.0.0.1";
        String rest = s;
        if (s.startsWith("[")) {
            int end = s.indexOf("]:");
            if (end < 0) {
                throw new IllegalArgumentException("publish '" + spec + "' is not [IP]:HOST_PORT:SANDBOX_PORT");
            }
            hostIp = s.substring(1, end);
            rest = s.substring(end + 2);
        } else if (s.chars().filter(c -> c == ':').count() == 2) {
            int first = s.indexOf(':');
            hostIp = s.substring(0, first);
            rest = s.substring(first + 1);
        }
        String[] ports = rest.split(":", -1);
        if (ports.length > 2) {
            throw new IllegalArgumentException("publish '" + spec + "' is not [HOST_IP:]HOST_PORT:SANDBOX_PORT");
        }
        int hostPort = port(ports[0], spec);
        int sandboxPort = ports.length == 2 ? port(ports[1], spec) : hostPort;
        InetAddress address;
        try {
            address = InetAddress.ofLiteral(hostIp.isEmpty() ? "0.0.0.0" : hostIp);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("publish '" + spec + "': '" + hostIp + "' is not an IP address");
        }
        return new PublishedPort(address, hostPort, sandboxPort);
    }

    private static int port(String s, String spec) {
        try {
            int p = Integer.parseInt(s);
            if (p >= 1 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new IllegalArgumentException("publish '" + spec + "': '" + s + "' is not a port (1-65535)");
    }
}
