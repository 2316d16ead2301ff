package dev.tether.learn.suggest;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Turns the paths one action was used on into grants: a directory as a whole where enough of its
 * entries were used, single files elsewhere.
 *
 * <p>The rule, bottom-up: a directory is granted as a whole when at least {@code minSiblings} of
 * its entries were used, counting files directly in it and subdirectories that were themselves
 * granted as a whole; and never when a path below it was refused for the same action (the
 * recording shows a boundary there), nor for {@code /}, {@code /home}, any home directory or a
 * directory above one, {@code /dev}, {@code /proc} and {@code /sys} (their entries are devices and
 * kernel state, unrelated to each other). A directory granted inside another granted one is
 * folded into it.
 */
final class FileGrouping {
    /** Directories whose entries have nothing in common but their parent. */
    private static final Set<String> NEVER = Set.of("/", "/home", "/root", "/dev", "/proc", "/sys");

    /** A grant: a whole directory (with the used paths it covers), or one file. */
    sealed interface Grant permits DirGrant, FileGrant {
        String path();
    }

    record DirGrant(String path, SortedMap<String, Evidence.Tally> members) implements Grant {}

    record FileGrant(String path, Evidence.Tally tally) implements Grant {}

    private static final class Node {
        final Set<String> files = new TreeSet<>();
        final Set<String> subdirs = new TreeSet<>();
        boolean boundary;
        boolean qualified;
    }

    private FileGrouping() {}

    /**
     * @param used the paths used (normalised, absolute) and their evidence
     * @param refused paths refused for the same action and principal: no grant may cover them
     * @param homes home directories (and their ancestors) that are never granted as a whole
     */
    static List<Grant> group(SortedMap<String, Evidence.Tally> used, Collection<String> refused, List<String> homes,
            int minSiblings) {
        Map<String, Node> dirs = new HashMap<>();
        for (String p : used.keySet()) {
            String parent = parent(p);
            if (parent == null) {
                continue;
            }
            dirs.computeIfAbsent(parent, k -> new Node()).files.add(p);
            for (String child = parent, up = parent(parent); up != null; child = up, up = parent(up)) {
                dirs.computeIfAbsent(up, k -> new Node()).subdirs.add(child);
            }
        }
        for (String r : refused) {
            if (used.containsKey(r)) {
                continue; // used as well: the refusal was lifted at some point
            }
            for (String up = parent(r); up != null; up = parent(up)) {
                Node n = dirs.get(up);
                if (n != null) {
                    n.boundary = true;
                }
            }
        }
        List<String> deepestFirst = new ArrayList<>(dirs.keySet());
        deepestFirst.sort(Comparator.comparingInt(FileGrouping::depth).reversed().thenComparing(Comparator.naturalOrder()));
        for (String d : deepestFirst) {
            Node n = dirs.get(d);
            Set<String> entries = new TreeSet<>(n.files);
            for (String sub : n.subdirs) {
                if (dirs.get(sub).qualified) {
                    entries.add(sub);
                }
            }
            n.qualified = entries.size() >= minSiblings && !n.boundary && !neverGrouped(d, homes);
        }
        List<String> granted = new ArrayList<>();
        for (Map.Entry<String, Node> e : new TreeMap<>(dirs).entrySet()) {
            if (e.getValue().qualified && !underAny(e.getKey(), granted)) {
                granted.add(e.getKey()); // sorted order puts ancestors first
            }
        }
        Map<String, SortedMap<String, Evidence.Tally>> members = new TreeMap<>();
        granted.forEach(g -> members.put(g, new TreeMap<>()));
        List<Grant> out = new ArrayList<>();
        for (Map.Entry<String, Evidence.Tally> e : used.entrySet()) {
            String cover = coveringGrant(e.getKey(), granted);
            if (cover != null) {
                members.get(cover).put(e.getKey(), e.getValue());
            } else {
                out.add(new FileGrant(e.getKey(), e.getValue()));
            }
        }
        members.forEach((d, m) -> out.add(new DirGrant(d, m)));
        out.sort(Comparator.comparing(Grant::path));
        return out;
    }

    /** Whether {@code dir} may never be granted as a whole. */
    static boolean neverGrouped(String dir, List<String> homes) {
        if (NEVER.contains(dir) || "/home".equals(parent(dir))) {
            return true;
        }
        for (String h : homes) {
            if (h.equals(dir) || isUnder(h, dir)) {
                return true;
            }
        }
        return false;
    }

    private static String coveringGrant(String path, List<String> granted) {
        for (String g : granted) {
            if (path.equals(g) || isUnder(path, g)) {
                return g;
            }
        }
        return null;
    }

    private static boolean underAny(String dir, List<String> granted) {
        return coveringGrant(dir, granted) != null;
    }

    /** Whether {@code path} is strictly below {@code dir}. */
    static boolean isUnder(String path, String dir) {
        if (dir.equals("/")) {
            return path.length() > 1 && path.startsWith("/");
        }
        return path.length() > dir.length() && path.startsWith(dir) && path.charAt(dir.length()) == '/';
    }

    /** The directory containing {@code path}; null for {@code /}. */
    static String parent(String path) {
        if (path.equals("/")) {
            return null;
        }
        int slash = path.lastIndexOf('/');
        return slash <= 0 ? "/" : path.substring(0, slash);
    }

    private static int depth(String dir) {
        if (dir.equals("/")) {
            return 0;
        }
        int n = 0;
        for (int i = 0; i < dir.length(); i++) {
            if (dir.charAt(i) == '/') {
                n++;
            }
        }
        return n;
    }
}
