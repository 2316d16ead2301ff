package dev.tether.learn.suggest;

import com.google.common.net.InternetDomainName;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Groups host names into {@code *.zone} where several subdomains of one zone were reached: at
 * least {@code minSubdomains} distinct names whose parent is the zone. Only one level (the names'
 * own parent, never a grandparent), and never a public suffix ({@code *.com}, {@code *.co.uk}: the
 * zone must be a registrable domain or below one, by the public suffix list). The zone itself is
 * not a member of {@code *.zone}, so a connection to it stays a grant of its own.
 */
final class HostGrouping {
    /** A zone wildcard and the names it was made from, or a single name. */
    record HostGrant(String host, boolean wildcard, SortedSet<String> members) {}

    private HostGrouping() {}

    static List<HostGrant> group(SortedSet<String> names, int minSubdomains) {
        SortedMap<String, SortedSet<String>> byParent = new TreeMap<>();
        for (String n : names) {
            int dot = n.indexOf('.');
            if (dot > 0) {
                byParent.computeIfAbsent(n.substring(dot + 1), k -> new TreeSet<>()).add(n);
            }
        }
        SortedSet<String> grouped = new TreeSet<>();
        List<HostGrant> out = new ArrayList<>();
        for (Map.Entry<String, SortedSet<String>> e : byParent.entrySet()) {
            if (e.getValue().size() >= minSubdomains && groupable(e.getKey())) {
                out.add(new HostGrant(e.getKey(), true, e.getValue()));
                grouped.addAll(e.getValue());
            }
        }
        for (String n : names) {
            if (!grouped.contains(n)) {
                out.add(new HostGrant(n, false, new TreeSet<>(List.of(n))));
            }
        }
        out.sort((a, b) -> a.host().equals(b.host()) ? Boolean.compare(a.wildcard(), b.wildcard())
                : a.host().compareTo(b.host()));
        return out;
    }

    /** Whether {@code *.zone} may be suggested: a valid name under a public suffix, not a suffix itself. */
    static boolean groupable(String zone) {
        if (zone.indexOf('.') < 0 || !InternetDomainName.isValid(zone)) {
            return false;
        }
        InternetDomainName d = InternetDomainName.from(zone);
        return d.isUnderPublicSuffix();
    }
}
