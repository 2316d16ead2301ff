package dev.tether.proxy;

import java.net.IDN;
import java.net.InetAddress;
import java.util.Locale;
import java.util.regex.Pattern;

/** Host name handling shared by every place a host enters the proxy (CONNECT, SNI, Host, URI). */
public final class Hosts {
    private static final Pattern NAME = Pattern.compile("[a-z0-9_]([a-z0-9_-]{0,62})(\\.[a-z0-9_]([a-z0-9_-]{0,62}))*");
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    private Hosts() {}

    /**
     * The canonical form the policy sees: lower case, IDNs in ASCII, no trailing dot, IPv6
     * without brackets. Throws {@link IllegalArgumentException} for anything that is not a host
     * name or IP literal (wildcards, user-info, paths, spaces).
     */
    public static String normalise(String raw) {
        if (raw == null || raw.isEmpty()) throw new IllegalArgumentException("empty host");
        String h = raw;
        if (h.startsWith("[") && h.endsWith("]")) h = h.substring(1, h.length() - 1);
        if (h.indexOf(':') >= 0) {
            try {
                return InetAddress.ofLiteral(h).getHostAddress();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("not a host: " + raw);
            }
        }
        while (h.endsWith(".")) h = h.substring(0, h.length() - 1);
        try {
            h = IDN.toASCII(h, IDN.USE_STD3_ASCII_RULES).toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
            // STD3 rules refuse '_', which real hosts use; fall back to the plain check below
            h = h.toLowerCase(Locale.ROOT);
        }
        if (IPV4.matcher(h).matches()) {
            try {
                return InetAddress.ofLiteral(h).getHostAddress();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("not a host: " + raw);
            }
        }
        if (h.length() > 253 || !NAME.matcher(h).matches()) throw new IllegalArgumentException("not a host: " + raw);
        return h;
    }

    public static boolean isIpLiteral(String normalised) {
        return normalised.indexOf(':') >= 0 || IPV4.matcher(normalised).matches();
    }

    /** The address when {@code normalised} is an IP literal, else null (never resolves names). */
    public static InetAddress literalOrNull(String normalised) {
        return isIpLiteral(normalised) ? InetAddress.ofLiteral(normalised) : null;
    }

    /** Splits {@code host[:port]} / {@code [v6]:port}; port is {@code defaultPort} when absent. */
    public static HostPort split(String authority, int defaultPort) {
        String a = authority.strip();
        int at = a.lastIndexOf('@');
        if (at >= 0) throw new IllegalArgumentException("user-info in host: " + authority);
        String host;
        int port = defaultPort;
        if (a.startsWith("[")) {
            int close = a.indexOf(']');
            if (close < 0) throw new IllegalArgumentException("bad IPv6 host: " + authority);
            host = a.substring(1, close);
            if (close + 1 < a.length()) {
                if (a.charAt(close + 1) != ':') throw new IllegalArgumentException("bad host: " + authority);
                port = parsePort(a.substring(close + 2), authority);
            }
        } else {
            int colon = a.lastIndexOf(':');
            if (colon >= 0 && a.indexOf(':') == colon) {
                host = a.substring(0, colon);
                port = parsePort(a.substring(colon + 1), authority);
            } else {
                host = a;
            }
        }
        if (port < 0) throw new IllegalArgumentException("no port in " + authority);
        return new HostPort(normalise(host), port);
    }

    private static int parsePort(String s, String authority) {
        try {
            int p = Integer.parseInt(s);
            if (p < 1 || p > 65535) throw new NumberFormatException();
            return p;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad port in " + authority);
        }
    }

    /** {@code host} in URI/Host-header form (IPv6 bracketed). */
    public static String authority(String host, int port, int defaultPort) {
        String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
        return port == defaultPort ? h : h + ":" + port;
    }

    public record HostPort(String host, int port) {}
}
