package dev.tether.policy;

import java.net.InetAddress;
import java.util.List;
import java.util.Objects;

/**
 * The {@code NetworkConnect} part of a snapshot for one principal, in the shape of BPF
 * longest-prefix-match maps.
 *
 * <p>Every address prefix the policy mentions (by {@code Net::}, {@code Host::"ip"} or
 * {@code Host::"ip:port"}) plus both default routes ({@code 0.0.0.0/0}, {@code ::/0}) is an
 * {@link LpmEntry}. All addresses whose longest matching entry is the same entry are treated
 * identically by every statement (a statement can only tell addresses apart by the prefixes it
 * mentions), so each entry carries the complete rule list for its addresses, already resolved
 * for nested and negated prefixes. A kernel program looks up the destination address, then
 * scans the entry's rules: deny if a {@code FORBID} rule matches port and transport, else allow
 * if a {@code PERMIT} rule does, else deny. {@link #allows} is that algorithm in Java. The
 * result equals {@link PolicySnapshot#decide} for every request without a hostname (what
 * cgroup-BPF sees); a differential test holds it to that.
 *
 * <p>Statements that test a hostname cannot be decided from an address:
 * {@link #hostnamePermits()} says some permit may allow a connection these rules deny (route it
 * through the proxy or a DNS-aware pin), {@link #hostnameForbids()} that some forbid may deny a
 * connection these rules allow (the proxy must check it); {@link #hostnameSources()} names them.
 */
public record NetworkRules(
        List<LpmEntry> entries,
        boolean hostnamePermits,
        boolean hostnameForbids,
        List<PolicyRef> hostnameSources) {

    public NetworkRules {
        entries = List.copyOf(entries);
        hostnameSources = List.copyOf(hostnameSources);
    }

    public enum Effect {
        PERMIT,
        FORBID
    }

    /** An address prefix in canonical form (host bits zero). */
    public record Prefix(InetAddress network, int length) {
        public Prefix {
            Objects.requireNonNull(network, "network");
            int bits = network.getAddress().length * 8;
            if (length < 0 || length > bits) {
                throw new IllegalArgumentException("prefix length " + length + " out of range");
            }
        }

        public boolean isIpv6() {
            return network.getAddress().length == 16;
        }

        /** True if {@code address} (same family) is inside this prefix. */
        public boolean contains(InetAddress address) {
            byte[] a = address.getAddress();
            byte[] n = network.getAddress();
            if (a.length != n.length) {
                return false;
            }
            int full = length / 8;
            for (int i = 0; i < full; i++) {
                if (a[i] != n[i]) {
                    return false;
                }
            }
            int rem = length % 8;
            if (rem == 0) {
                return true;
            }
            int mask = (0xff << (8 - rem)) & 0xff;
            return (a[full] & mask) == (n[full] & mask);
        }

        /** True if every address of {@code other} is inside this prefix. */
        public boolean covers(Prefix other) {
            return other.length >= length && contains(other.network);
        }

        @Override
        public String toString() {
            return dev.tether.policy.model.Ips.format(network) + "/" + length;
        }
    }

    /** Ports {@code [portFrom, portTo]} on a transport ({@code null}: TCP and UDP). */
    public record Rule(Effect effect, int portFrom, int portTo, Transport transport, PolicyRef source) {
        public boolean matches(int port, Transport t) {
            return port >= portFrom && port <= portTo && (transport == null || transport == t);
        }
    }

    /** A map key and the complete rule list for addresses whose longest match it is. */
    public record LpmEntry(Prefix prefix, List<Rule> rules) {
        public LpmEntry {
            rules = List.copyOf(rules);
        }
    }

    /** The entry a longest-prefix-match lookup of {@code address} finds. */
    public LpmEntry lookup(InetAddress address) {
        LpmEntry best = null;
        for (LpmEntry e : entries) {
            if (e.prefix().contains(address) && (best == null || e.prefix().length() > best.prefix().length())) {
                best = e;
            }
        }
        return best;
    }

    /** The decision these rules give for a connection without a hostname. */
    public boolean allows(InetAddress address, int port, Transport transport) {
        LpmEntry e = lookup(dev.tether.policy.model.Ips.unmap(address));
        if (e == null) {
            return false;
        }
        boolean permitted = false;
        for (Rule r : e.rules()) {
            if (r.matches(port, transport)) {
                if (r.effect() == Effect.FORBID) {
                    return false;
                }
                permitted = true;
            }
        }
        return permitted;
    }
}
