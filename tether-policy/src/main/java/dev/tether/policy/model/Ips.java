package dev.tether.policy.model;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * IP literal parsing and canonical text, without DNS: IPv4 as a plain dotted quad, IPv6 in
 * RFC 5952 form (lower case, no leading zeros, the longest run of zero groups shortened to
 * {@code ::}). IPv4-mapped IPv6 addresses are IPv4 addresses.
 */
public final class Ips {
    private Ips() {}

    /** Parses an IP literal (IPv6 without brackets); null if it is not one. Never resolves names. */
    public static InetAddress parse(String s) {
        if (s.isEmpty() || s.length() > 45) {
            return null;
        }
        try {
            if (s.indexOf(':') >= 0) {
                if (s.indexOf('%') >= 0 || s.indexOf('[') >= 0) {
                    return null;
                }
                InetAddress a = Inet6Address.ofLiteral(s);
                return a;
            }
            if (!isDottedQuad(s)) {
                return null;
            }
            return Inet4Address.ofLiteral(s);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static boolean isDottedQuad(String s) {
        int parts = 0;
        int digits = 0;
        for (int i = 0; i <= s.length(); i++) {
            if (i == s.length() || s.charAt(i) == '.') {
                if (digits == 0 || digits > 3) {
                    return false;
                }
                parts++;
                digits = 0;
            } else if (s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                digits++;
            } else {
                return false;
            }
        }
        return parts == 4;
    }

    /** Folds IPv4-mapped IPv6 to IPv4. */
    public static InetAddress unmap(InetAddress a) {
        if (a instanceof Inet6Address) {
            byte[] b = a.getAddress();
            for (int i = 0; i < 10; i++) {
                if (b[i] != 0) {
                    return a;
                }
            }
            if ((b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff) {
                try {
                    return InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]});
                } catch (java.net.UnknownHostException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return a;
    }

    /** Canonical text of an address (no brackets, no scope). */
    public static String format(InetAddress a) {
        byte[] b = a.getAddress();
        if (b.length == 4) {
            return (b[0] & 0xff) + "." + (b[1] & 0xff) + "." + (b[2] & 0xff) + "." + (b[3] & 0xff);
        }
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLen = 0;
        for (int i = 0; i < 8; ) {
            if (g[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen && j - i >= 2) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(g[i]));
        }
        return sb.toString();
    }

    /** {@code 1.2.3.4:80} or {@code [::1]:80}. */
    public static String formatWithPort(InetAddress a, int port) {
        return a.getAddress().length == 4 ? format(a) + ":" + port : "[" + format(a) + "]:" + port;
    }

    /** The address with host bits beyond {@code len} cleared. */
    public static InetAddress mask(InetAddress a, int len) {
        byte[] b = a.getAddress();
        for (int i = 0; i < b.length; i++) {
            int keep = Math.max(0, Math.min(8, len - 8 * i));
            b[i] = (byte) (b[i] & ((0xff << (8 - keep)) & 0xff));
        }
        try {
            return InetAddress.getByAddress(b);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
