package dev.tether.policy.model;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Host names, DNS zones and CIDR networks: validation of policy ids and the reference list of
 * network entities a destination is a member of.
 */
public final class HostNames {
    private HostNames() {}

    /** Lower-case DNS name: labels of [a-z0-9_-], 1-63 chars, total at most 253. */
    public static boolean isValidName(String s) {
        if (s.isEmpty() || s.length() > 253) {
            return false;
        }
        int labelLen = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '.') {
                if (labelLen == 0) {
                    return false;
                }
                labelLen = 0;
                continue;
            }
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
                return false;
            }
            if (++labelLen > 63) {
                return false;
            }
        }
        return labelLen > 0;
    }

    /** Parses a policy {@code Host::} id. */
    public static HostId parseHost(String id) {
        return HostId.parse(id);
    }

    /** Canonical text of a parsed host id. */
    public static String canonical(HostId h) {
        return HostId.canonical(h);
    }

    /** A request's host name in canonical form (lower case, no trailing dot), or null if invalid. */
    public static String canonicalRequestName(String hostname) {
        String h = hostname.toLowerCase(Locale.ROOT);
        if (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        return isValidName(h) ? h : null;
    }

    /** A parsed {@code Net::"addr/len"} id. */
    public record Cidr(InetAddress network, int length) {}

    /** Parses a canonical CIDR id; returns null with no suggestion if it is not one at all. */
    public static Cidr parseCidr(String id) {
        int slash = id.indexOf('/');
        if (slash < 0) {
            return null;
        }
        InetAddress a = Ips.parse(id.substring(0, slash));
        if (a == null) {
            return null;
        }
        String l = id.substring(slash + 1);
        if (l.isEmpty() || l.length() > 3 || (l.length() > 1 && l.charAt(0) == '0')) {
            return null;
        }
        for (int i = 0; i < l.length(); i++) {
            if (l.charAt(i) < '0' || l.charAt(i) > '9') {
                return null;
            }
        }
        int len = Integer.parseInt(l);
        if (len > a.getAddress().length * 8) {
            return null;
        }
        return new Cidr(a, len);
    }

    /** The canonical spelling of a CIDR (host bits cleared, canonical address text). */
    public static String canonicalCidr(Cidr c) {
        return Ips.format(Ips.mask(c.network(), c.length())) + "/" + c.length();
    }

    /** True if {@code id} is a canonical {@code Net::} id. */
    public static boolean isCanonicalCidr(String id) {
        Cidr c = parseCidr(id);
        return c != null && canonicalCidr(c).equals(id)
                && c.network().getAddress().length == Ips.unmap(c.network()).getAddress().length;
    }

    /**
     * The reference membership of a destination: every {@code Host}, {@code DnsZone} and
     * {@code Net} entity id (as "Type::id" pairs) the request's resource is a member of,
     * excluding the resource itself.
     */
    public static List<String[]> ancestors(NetTarget t) {
        List<String[]> out = new ArrayList<>();
        String h = t.hostname();
        int p = t.port();
        if (h != null) {
            out.add(new String[] {"Host", h + ":" + p});
            out.add(new String[] {"DnsZone", h});
            for (int i = 0; i < h.length(); i++) {
                if (h.charAt(i) == '.') {
                    String s = h.substring(i + 1);
                    out.add(new String[] {"Host", "*." + s});
                    out.add(new String[] {"Host", "*." + s + ":" + p});
                    out.add(new String[] {"DnsZone", s});
                }
            }
        }
        InetAddress a = t.address();
        if (a != null) {
            if (h != null) {
                out.add(new String[] {"Host", Ips.format(a)});
            }
            out.add(new String[] {"Host", Ips.formatWithPort(a, p)});
            int bits = a.getAddress().length * 8;
            for (int len = 0; len <= bits; len++) {
                out.add(new String[] {"Net", Ips.format(Ips.mask(a, len)) + "/" + len});
            }
        }
        return out;
    }
}
