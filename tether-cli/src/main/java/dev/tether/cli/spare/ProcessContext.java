package dev.tether.cli.spare;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What a process inherits besides its environment and the name of its working directory, as
 * /proc shows it: namespaces, root, the working directory's identity (device and inode),
 * credentials and capabilities, umask, no_new_privs and seccomp, resource limits and cgroup. A spare runs a client's command only when these are the same as the
 * client's, so the command runs exactly as the JVM the client would have started.
 */
public record ProcessContext(Map<String, String> facts) {
    private static final String[] NAMESPACES = {"cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"};
    private static final String[] STATUS = {"Uid", "Gid", "Groups", "Umask", "NoNewPrivs", "Seccomp",
            "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"};

    public ProcessContext {
        facts = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(facts));
    }

    public static ProcessContext of(long pid) throws IOException {
        Path proc = Path.of("/proc", Long.toString(pid));
        Map<String, String> facts = new LinkedHashMap<>();
        for (String ns : NAMESPACES) {
            Path link = proc.resolve("ns").resolve(ns);
            facts.put("the " + ns + " namespace", Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                    ? Files.readSymbolicLink(link).toString() : "none");
        }
        facts.put("the root directory", Files.readSymbolicLink(proc.resolve("root")).toString());
        // The directory itself, not only its name: one removed and made again under the same name
        // is another directory, and the spare's own would be the removed one.
        facts.put("the working directory's identity", String.valueOf(Files.readAttributes(proc.resolve("cwd"),
                java.nio.file.attribute.BasicFileAttributes.class).fileKey()));
        for (String line : Files.readAllLines(proc.resolve("status"))) {
            int colon = line.indexOf(':');
            if (colon > 0 && java.util.Arrays.asList(STATUS).contains(line.substring(0, colon))) {
                facts.put(line.substring(0, colon), line.substring(colon + 1).trim());
            }
        }
        facts.put("the resource limits", limitsAsTheJvmSetsThem(Files.readString(proc.resolve("limits"))));
        facts.put("the cgroup", Files.readString(proc.resolve("cgroup")));
        return new ProcessContext(facts);
    }

    /**
     * /proc/PID/limits with the open-files soft limit left out: every JVM raises its own to the
     * hard limit as it starts (MaxFDLimit), so a cold start and a spare run with the same soft
     * limit whenever the hard limits agree, whatever soft limit the client had.
     */
    static String limitsAsTheJvmSetsThem(String limits) {
        StringBuilder out = new StringBuilder();
        for (String line : limits.split("\n")) {
            if (line.startsWith("Max open files")) {
                String[] columns = line.substring("Max open files".length()).trim().split("\\s+");
                line = "Max open files (hard) " + (columns.length > 1 ? columns[1] : "?");
            }
            out.append(line).append('\n');
        }
        return out.toString();
    }

    /** The first fact on which the two differ (named), or empty when they agree on all. */
    public Optional<String> differenceFrom(ProcessContext other) {
        for (var e : facts.entrySet()) {
            if (!e.getValue().equals(other.facts.get(e.getKey()))) {
                return Optional.of(e.getKey());
            }
        }
        return other.facts.keySet().stream().filter(k -> !facts.containsKey(k)).findFirst();
    }

    /** The nice value of {@code pid}'s main thread (field 19 of /proc/PID/stat). */
    public static int niceOf(long pid) throws IOException {
        return Integer.parseInt(statFieldsAfterName(Files.readString(Path.of("/proc", Long.toString(pid), "stat")))[16]);
    }

    /**
     * The fields of a /proc/PID/stat line from field 3 (state) on, so field N is at index N - 3.
     * The name field (2) may hold spaces and parentheses: the fields after it follow the last ')'.
     */
    public static String[] statFieldsAfterName(String stat) {
        return stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
    }
}
