package dev.tether.policy.model;

import java.net.InetAddress;
import java.util.Locale;

/**
 * The meaning of a {@code Host::"..."} id in a policy, parsed once at compile time. Canonical
 * spellings only (lower-case names, no trailing dot, {@code [v6]:port}); anything else is a
 * {@link Invalid} with the canonical spelling as a suggestion when there is one.
 */
public sealed interface HostId {
    /** {@code example.com} (any port). */
    record Name(String name) implements HostId {}

    /** {@code example.com:443}. */
    record NamePort(String name, int port) implements HostId {}

    /** {@code *.example.com}: strict subdomains at any depth, never the apex. */
    record Wildcard(String suffix) implements HostId {}

    /** {@code *.example.com:443}. */
    record WildcardPort(String suffix, int port) implements HostId {}

    /** {@code 10.1.2.3} or {@code ::1}. */
    record Ip(InetAddress address) implements HostId {}

    /** {@code 10.1.2.3:80} or {@code [::1]:8080}. */
    record IpPort(InetAddress address, int port) implements HostId {}

    /** Not a canonical Host id; never matches any request. */
    record Invalid(String reason, String suggestion) implements HostId {}

    static HostId parse(String id) {
        if (id.isEmpty()) {
            return new Invalid("empty host", "");
        }
        if (id.startsWith("[")) {
            int close = id.indexOf(']');
            if (close < 0) {
                return new Invalid("unclosed [ in IPv6 host", "");
            }
            InetAddress a = Ips.parse(id.substring(1, close));
            if (a == null) {
                return new Invalid("not an IPv6 address inside [ ]", "");
            }
            String rest = id.substring(close + 1);
            if (rest.isEmpty()) {
                return new Invalid("brackets are only for IPv6 with a port", Ips.format(Ips.unmap(a)));
            }
            if (!rest.startsWith(":")) {
                return new Invalid("expected :port after ]", "");
            }
            int port = port(rest.substring(1));
            if (port < 0) {
                return new Invalid("invalid port " + rest.substring(1), "");
            }
            return canonicalOr(new IpPort(Ips.unmap(a), port), id);
        }
        InetAddress bare = Ips.parse(id);
        if (bare != null) {
            return canonicalOr(new Ip(Ips.unmap(bare)), id);
        }
        if (id.indexOf(':') != id.lastIndexOf(':')) {
            return new Invalid("not a valid IPv6 address (write [addr]:port for a port)", "");
        }
        String hostPart = id;
        int port = -1;
        int colon = id.lastIndexOf(':');
        if (colon >= 0) {
            hostPart = id.substring(0, colon);
            port = port(id.substring(colon + 1));
            if (port < 0) {
                return new Invalid("invalid port " + id.substring(colon + 1) + " (1-65535)", "");
            }
            InetAddress v4 = Ips.parse(hostPart);
            if (v4 != null) {
                return canonicalOr(new IpPort(Ips.unmap(v4), port), id);
            }
        }
        boolean wildcard = hostPart.startsWith("*.");
        String name = wildcard ? hostPart.substring(2) : hostPart;
        if (name.contains("*")) {
            return new Invalid("* is only allowed as a leading *. label", "");
        }
        String fixed = name.toLowerCase(Locale.ROOT);
        if (fixed.endsWith(".")) {
            fixed = fixed.substring(0, fixed.length() - 1);
        }
        if (!HostNames.isValidName(fixed)) {
            return new Invalid("not a valid host name", "");
        }
        HostId h = wildcard
                ? (port < 0 ? new Wildcard(fixed) : new WildcardPort(fixed, port))
                : (port < 0 ? new Name(fixed) : new NamePort(fixed, port));
        return canonicalOr(h, id);
    }

    private static HostId canonicalOr(HostId h, String written) {
        String canon = canonical(h);
        if (!canon.equals(written)) {
            return new Invalid("not written canonically", canon);
        }
        return h;
    }

    static String canonical(HostId h) {
        return switch (h) {
            case Name n -> n.name();
            case NamePort n -> n.name() + ":" + n.port();
            case Wildcard w -> "*." + w.suffix();
            case WildcardPort w -> "*." + w.suffix() + ":" + w.port();
            case Ip ip -> Ips.format(ip.address());
            case IpPort ip -> Ips.formatWithPort(ip.address(), ip.port());
            case Invalid inv -> inv.suggestion();
        };
    }

    private static int port(String s) {
        if (s.isEmpty() || s.length() > 5 || s.charAt(0) == '0') {
            return -1;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return -1;
            }
        }
        int p = Integer.parseInt(s);
        return p >= 1 && p <= 65535 ? p : -1;
    }
}
