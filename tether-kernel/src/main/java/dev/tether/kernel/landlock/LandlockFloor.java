package dev.tether.kernel.landlock;

import static dev.tether.kernel.ffm.Landlock.FS_EXECUTE;
import static dev.tether.kernel.ffm.Landlock.FS_IOCTL_DEV;
import static dev.tether.kernel.ffm.Landlock.FS_MAKE_DIR;
import static dev.tether.kernel.ffm.Landlock.FS_MAKE_FIFO;
import static dev.tether.kernel.ffm.Landlock.FS_MAKE_REG;
import static dev.tether.kernel.ffm.Landlock.FS_MAKE_SOCK;
import static dev.tether.kernel.ffm.Landlock.FS_MAKE_SYM;
import static dev.tether.kernel.ffm.Landlock.FS_READ_DIR;
import static dev.tether.kernel.ffm.Landlock.FS_READ_FILE;
import static dev.tether.kernel.ffm.Landlock.FS_REFER;
import static dev.tether.kernel.ffm.Landlock.FS_REMOVE_DIR;
import static dev.tether.kernel.ffm.Landlock.FS_REMOVE_FILE;
import static dev.tether.kernel.ffm.Landlock.FS_TRUNCATE;
import static dev.tether.kernel.ffm.Landlock.FS_WRITE_FILE;

import dev.tether.kernel.enforce.PathAliases;
import dev.tether.kernel.ffm.Landlock;
import dev.tether.policy.PermitBounds;
import dev.tether.policy.PermitBounds.PermittedPath;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The Landlock ruleset {@code tether run --lock} puts under a session: the union of what the
 * policy permits (for the session's principal, under every name a mount gives a path) plus what the
 * fanotify gate never judges, so the floor denies nothing the gate would allow under the policy
 * it started with. Forbids stay with the gate (Landlock only allows). It is fixed for the
 * session: a reload can narrow the gate, never widen past this.
 *
 * @param abi the kernel's Landlock ABI the rights were chosen for
 * @param handledFs the file-system rights the ruleset governs (everything the ABI knows)
 * @param grants rights per path, policy-derived first
 * @param unjudgedRights rights on every mount of {@code unjudgedFileSystems}
 * @param unjudgedFileSystems the file systems the gate leaves alone
 * @param connectPorts TCP ports connect may reach, or null when the floor does not govern network
 * @param networkNote why network is left to the cgroup-BPF guard (null when governed)
 */
public record LandlockFloor(int abi, long handledFs, List<Grant> grants, long unjudgedRights,
                            Set<String> unjudgedFileSystems, Set<Integer> connectPorts, String networkNote) {
    /** The oldest ABI the floor works on: ABI 1 refuses every rename/link across directories (REFER). */
    public static final int MIN_ABI = 2;
    /** Landlock's network rules arrived in ABI 4. */
    public static final int NET_ABI = 4;
    /** The environment variable the helper reads its ruleset from. */
    public static final String ENVIRONMENT = "TETHER_LANDLOCK_RULESET";
    /** An environment string may be 128 KiB (MAX_ARG_STRLEN); stay clear of it. */
    static final int MAX_ENCODED = 120 * 1024;
    /** More ports than this and the floor leaves network to the kernel guard (a rule per port). */
    static final int MAX_PORTS = 4096;

    /**
     * ELF interpreters the gate lets through as part of an approved exec (bprm_check_security
     * semantics); the kernel opens them for execution, so the floor must let them run. Missing
     * ones are skipped.
     */
    static final List<String> LOADERS = List.of("/lib64/ld-linux-x86-64.so.2", "/lib/ld-linux-x86-64.so.2",
            "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", "/lib/ld-linux.so.2", "/lib/ld-linux-aarch64.so.1",
            "/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1", "/lib/ld-musl-x86_64.so.1", "/lib/ld-musl-aarch64.so.1");

    public LandlockFloor {
        grants = List.copyOf(grants);
        unjudgedFileSystems = Set.copyOf(unjudgedFileSystems);
        connectPorts = connectPorts == null ? null : Set.copyOf(connectPorts);
    }

    /** What the helper does when a path does not exist in the sandbox. */
    public enum Missing {
        /** Grant the rights at the nearest existing ancestor: wider than the policy, never narrower. */
        ANCESTOR,
        /** Skip it. */
        SKIP
    }

    /**
     * Rights under a path (the file, or a directory and everything below it).
     *
     * @param fromPolicy false for what every sandbox needs (the ELF loaders)
     */
    public record Grant(String path, long rights, Missing missing, boolean fromPolicy) {}

    /** A read permit: read files, list directories, terminal ioctls on devices (reading a tty). */
    static long readRights(long handled) {
        return (FS_READ_FILE | FS_READ_DIR | FS_IOCTL_DEV) & handled;
    }

    /**
     * A read-write permit: an open that may write (O_RDWR reads too) or create, and the directory
     * changes the gate never judges (mkdir, unlink, rename, symlink): the policy's read-write
     * places are where they may happen. Device nodes (mknod) are never granted.
     */
    static long writeRights(long handled) {
        return (FS_READ_FILE | FS_WRITE_FILE | FS_TRUNCATE | FS_IOCTL_DEV | FS_MAKE_REG | FS_MAKE_DIR | FS_MAKE_SYM
                | FS_MAKE_FIFO | FS_MAKE_SOCK | FS_REMOVE_FILE | FS_REMOVE_DIR | FS_REFER) & handled;
    }

    /** An exec permit: execve opens the program for reading and execution. */
    static long execRights(long handled) {
        return (FS_EXECUTE | FS_READ_FILE) & handled;
    }

    /**
     * The floor for a policy's bounds.
     *
     * @param aliases the mounts that show one host directory under several names
     * @param unjudged the file systems the gate never judges
     * @param extraPorts TCP ports the session needs beyond the policy (the proxy's 80/443, DNS)
     * @throws UnsupportedOperationException when the ABI is too old for a floor that is never narrower
     */
    public static LandlockFloor derive(PermitBounds bounds, PathAliases aliases, int abi, Set<String> unjudged,
                                       Collection<Integer> extraPorts) {
        if (abi < MIN_ABI) {
            throw new UnsupportedOperationException("Landlock ABI " + abi + " refuses every rename and link across"
                    + " directories (it has no REFER right), which the policy does not forbid; --lock needs ABI "
                    + MIN_ABI + " or later");
        }
        long handled = Landlock.fsRights(abi);
        Map<String, Long> byPath = new LinkedHashMap<>();
        add(byPath, bounds.reads(), readRights(handled), aliases);
        add(byPath, bounds.writes(), writeRights(handled), aliases);
        add(byPath, bounds.execs(), execRights(handled), aliases);
        List<Grant> grants = new ArrayList<>();
        byPath.forEach((p, r) -> grants.add(new Grant(p, r, Missing.ANCESTOR, true)));
        for (String loader : LOADERS) {
            grants.add(new Grant(loader, execRights(handled), Missing.SKIP, false));
        }
        Set<Integer> ports = null;
        String note;
        if (abi < NET_ABI) {
            note = "Landlock ABI " + abi + " has no network rules (ABI " + NET_ABI + ")";
        } else if (bounds.anyPort()) {
            note = "a NetworkConnect permit is not bounded to named ports";
        } else {
            ports = new TreeSet<>(extraPorts);
            long count = ports.size();
            for (PermitBounds.PortRange r : bounds.ports()) {
                count += r.size();
            }
            if (count > MAX_PORTS) {
                ports = null;
                note = "the policy's NetworkConnect permits name more than " + MAX_PORTS + " ports";
            } else {
                for (PermitBounds.PortRange r : bounds.ports()) {
                    for (int p = r.from(); p <= r.to(); p++) {
                        ports.add(p);
                    }
                }
                note = null;
            }
        }
        return new LandlockFloor(abi, handled, grants, handled, unjudged, ports, note);
    }

    private static void add(Map<String, Long> byPath, List<PermittedPath> paths, long rights, PathAliases aliases) {
        for (PermittedPath p : paths) {
            for (String name : names(p.path(), aliases)) {
                byPath.merge(name, rights, (a, b) -> a | b);
            }
        }
    }

    /**
     * Every name under which the gate would let a permit on {@code path} count: the path, its
     * names under the other mounts of its group, and, when a mounted directory lies below the
     * path, that mount's other names (a file there is judged under both).
     */
    static List<String> names(String path, PathAliases aliases) {
        List<String> out = new ArrayList<>(aliases.of(path));
        for (List<String> group : aliases.mounts()) {
            for (String mount : group) {
                if (!path.equals(mount) && (path.equals("/") || mount.startsWith(path + "/"))) {
                    for (String other : group) {
                        if (!out.contains(other)) {
                            out.add(other);
                        }
                    }
                }
            }
        }
        return out;
    }

    /** True when TCP connect is governed by the floor. */
    public boolean governsNetwork() {
        return connectPorts != null;
    }

    /** The ruleset in the helper's format (see tether_landlock.c). */
    public String encode() {
        StringBuilder b = new StringBuilder("tether-landlock-1");
        b.append(" fs=").append(Long.toHexString(handledFs));
        b.append(" net=").append(Long.toHexString(governsNetwork() ? Landlock.NET_CONNECT_TCP : 0));
        for (Grant g : grants) {
            b.append(" path=").append(Long.toHexString(g.rights())).append(':')
                    .append(g.missing() == Missing.ANCESTOR ? 'a' : 'o').append(':').append(escape(g.path()));
        }
        if (!unjudgedFileSystems.isEmpty()) {
            b.append(" unjudged=").append(Long.toHexString(unjudgedRights)).append(':')
                    .append(String.join(",", new TreeSet<>(unjudgedFileSystems)));
        }
        if (governsNetwork()) {
            for (int p : new TreeSet<>(connectPorts)) {
                b.append(" port=").append(p);
            }
        }
        if (b.length() > MAX_ENCODED) {
            throw new IllegalStateException("the policy permits " + grants.size() + " paths, " + b.length()
                    + " bytes as a Landlock ruleset: more than the " + MAX_ENCODED + " --lock can hand to the sandbox");
        }
        return b.toString();
    }

    /** Percent-encodes every byte outside a safe set (spaces separate tokens, ':' fields). */
    static String escape(String path) {
        StringBuilder b = new StringBuilder();
        for (byte x : path.getBytes(StandardCharsets.UTF_8)) {
            int c = x & 0xff;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || "/._-~+,@=".indexOf(c) >= 0) {
                b.append((char) c);
            } else {
                b.append('%').append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 15, 16));
            }
        }
        return b.toString();
    }

    /**
     * What {@code next} (a reloaded policy's floor) permits that this floor still denies: one line
     * per path or port, empty when the reload stays within this floor.
     */
    public List<String> deniedBeyond(LandlockFloor next) {
        List<String> out = new ArrayList<>();
        for (Grant g : next.grants()) {
            if (!g.fromPolicy()) {
                continue;
            }
            long missing = g.rights() & ~covered(g.path());
            if (missing != 0) {
                out.add(g.path() + " (" + describe(missing) + ")");
            }
        }
        if (governsNetwork()) {
            if (!next.governsNetwork()) {
                out.add("TCP connect to ports other than " + new TreeSet<>(connectPorts) + " (" + next.networkNote() + ")");
            } else {
                Set<Integer> extra = new TreeSet<>(next.connectPorts());
                extra.removeAll(connectPorts);
                if (!extra.isEmpty()) {
                    out.add("TCP connect to port(s) " + extra);
                }
            }
        }
        return out;
    }

    /** The rights this floor grants at {@code path} from its grants on the path and its ancestors. */
    private long covered(String path) {
        long r = 0;
        for (Grant g : grants) {
            String q = g.path();
            if (q.equals(path) || q.equals("/") || path.startsWith(q + "/")) {
                r |= g.rights();
            }
        }
        return r;
    }

    /** Rights in words: read, list, write, create/remove, exec, ... */
    static String describe(long rights) {
        List<String> w = new ArrayList<>();
        if ((rights & FS_READ_FILE) != 0) {
            w.add("read");
        }
        if ((rights & FS_READ_DIR) != 0) {
            w.add("list");
        }
        if ((rights & (FS_WRITE_FILE | FS_TRUNCATE)) != 0) {
            w.add("write");
        }
        if ((rights & (FS_MAKE_REG | FS_MAKE_DIR | FS_MAKE_SYM | FS_MAKE_FIFO | FS_MAKE_SOCK | FS_REMOVE_FILE
                | FS_REMOVE_DIR | FS_REFER)) != 0) {
            w.add("create/remove/rename");
        }
        if ((rights & FS_EXECUTE) != 0) {
            w.add("exec");
        }
        if ((rights & FS_IOCTL_DEV) != 0 && w.isEmpty()) {
            w.add("device ioctl");
        }
        return String.join(", ", w);
    }

    /** One line for the session's start: how many paths per kind, and the network part. */
    public String summary() {
        long reads = grants.stream().filter(g -> g.fromPolicy() && (g.rights() & FS_READ_DIR) != 0).count();
        long writes = grants.stream().filter(g -> g.fromPolicy() && (g.rights() & FS_WRITE_FILE) != 0).count();
        long execs = grants.stream().filter(g -> g.fromPolicy() && (g.rights() & FS_EXECUTE) != 0).count();
        String net = governsNetwork() ? "TCP connect only to ports " + new TreeSet<>(connectPorts)
                : "network left to the cgroup-BPF guard: " + networkNote;
        return "Landlock ABI " + abi + " floor: " + reads + " read, " + writes + " read-write, " + execs
                + " exec path(s) from the policy; " + net;
    }
}
