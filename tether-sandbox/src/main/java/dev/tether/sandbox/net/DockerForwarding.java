package dev.tether.sandbox.net;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Lets a sandbox's forwarded traffic through the host's iptables {@code filter FORWARD} chain
 * when something else there would drop it: dockerd sets that chain's policy to DROP when it turns
 * on IP forwarding itself, and puts its own chains in front. tether's nft table has its own
 * {@code forward} base chain, but in netfilter an accept in one base chain does not override a
 * drop in another: the packet must be accepted in both. So, for the session's host interface:
 * {@code -i tthN -j ACCEPT} and {@code -o tthN} replies ({@code ESTABLISHED,RELATED}) in
 * {@code DOCKER-USER} (the chain docker keeps first in FORWARD and never flushes) when it exists,
 * else at the top of {@code FORWARD} when that chain's policy is DROP; nothing otherwise.
 *
 * <p>Driven through the {@code iptables}/{@code ip6tables} commands, not nft: they write to
 * whichever backend (nft or legacy) docker itself uses. Each rule carries the comment
 * {@code tether-SESSION}, by which {@link #remove} and {@link #sweep} find it again.
 *
 * <p>A session that adds rules first leaves a marker file named for it in the markers directory
 * ({@code /run/tether/net/forwarding}), removed once its rules are: {@link #remove} and
 * {@link #sweep} touch the firewall only for sessions with a marker. Each tool run is a process
 * (~15-40 ms on the test hosts, on a session's start and stop path), so each does one thing: one
 * {@code -S} listing of the filter table per tool decides, one {@code -restore --noflush}
 * transaction per tool adds both rules, and at the stop one transaction per tool deletes exactly
 * what the marker says was added (a listing only when that fails).
 */
final class DockerForwarding {
    static final String DOCKER_CHAIN = "DOCKER-USER";
    private static final List<String> TOOLS = List.of("iptables", "ip6tables");

    private DockerForwarding() {}

    static String tag(String sessionId) {
        return SandboxNetwork.NETNS_PREFIX + sessionId;
    }

    /** Adds the accept rules for {@code hostInterface} wherever the host's FORWARD chain needs them. */
    static void allow(HostCommands cmd, Path markers, String sessionId, String hostInterface) {
        Map<String, String> chains = new LinkedHashMap<>();
        for (String tool : TOOLS) {
            String chain = chainNeedingRules(cmd, tool);
            if (chain != null) {
                chains.put(tool, chain);
            }
        }
        if (chains.isEmpty()) {
            return;
        }
        // Before the first rule: a crash after it leaves a marker (what goes where) to find it by.
        List<Placement> placed = chains.entrySet().stream().map(e -> new Placement(e.getKey(), e.getValue(), hostInterface)).toList();
        mark(markers, sessionId, placed);
        for (Placement p : placed) {
            cmd.require(p.restore(), p.script("-I", " 1", tag(sessionId)),
                    "letting " + hostInterface + " and its replies through " + p.tool() + " " + p.chain());
        }
    }

    /** Where one tool's two rules for a session's host interface went: one line of its marker. */
    private record Placement(String tool, String chain, String hostInterface) {
        static Optional<Placement> parse(String markerLine) {
            String[] f = markerLine.strip().split(" ");
            return f.length == 3 && TOOLS.contains(f[0]) && List.of(DOCKER_CHAIN, "FORWARD").contains(f[1])
                    && f[2].matches("[A-Za-z0-9_.-]{1,15}") ? Optional.of(new Placement(f[0], f[1], f[2])) : Optional.empty();
        }

        String markerLine() {
            return tool + " " + chain + " " + hostInterface;
        }

        List<String> restore() {
            return List.of(tool + "-restore", "-w", "5", "--noflush");
        }

        /** Both rules in one restore transaction: {@code -I} (at {@code position}) or {@code -D}. */
        String script(String operation, String position, String tag) {
            return "*filter\n"
                    + operation + " " + chain + position + " -i " + hostInterface + " -m comment --comment " + tag + " -j ACCEPT\n"
                    + operation + " " + chain + position + " -o " + hostInterface + " -m conntrack --ctstate RELATED,ESTABLISHED"
                    + " -m comment --comment " + tag + " -j ACCEPT\n"
                    + "COMMIT\n";
        }
    }

    /**
     * {@code DOCKER-USER} when it exists, {@code FORWARD} when its policy drops, else null (the
     * default ACCEPT policy lets tether's own nft forward chain decide alone). One listing of the
     * filter table answers both.
     */
    static String chainNeedingRules(HostCommands cmd, String tool) {
        HostCommands.Result listed = cmd.run(List.of(tool, "-w", "5", "-S"), null);
        if (!listed.ok()) {
            return null; // no iptables, or no filter table
        }
        List<String> lines = listed.stdout().lines().map(String::strip).toList();
        if (lines.contains("-N " + DOCKER_CHAIN)) {
            return DOCKER_CHAIN;
        }
        return lines.contains("-P FORWARD DROP") ? "FORWARD" : null;
    }

    /**
     * Removes the rules of {@code sessionId} if it added any (it left a marker); returns the
     * problems met (empty when all went; the marker stays while some remain, for a later sweep).
     */
    static List<String> remove(HostCommands cmd, Path markers, String sessionId) {
        Path marker = markers.resolve(sessionId);
        if (!Files.exists(marker)) {
            return List.of();
        }
        String tag = tag(sessionId);
        // The rules the marker says were added, deleted in one transaction per tool without
        // listing the firewall first; a listing only when that fails (a rule gone or changed) or
        // when the marker does not say (written by an older tether, or cut short by a crash).
        List<Placement> placed = placements(marker);
        List<String> toList = new ArrayList<>(placed.isEmpty() ? TOOLS : List.of());
        for (Placement p : placed) {
            if (!cmd.run(p.restore(), p.script("-D", "", tag)).ok()) {
                toList.add(p.tool());
            }
        }
        List<String> problems = toList.isEmpty() ? List.of() : removeWhere(cmd, toList, tag::equals);
        if (problems.isEmpty()) {
            unmark(marker);
        }
        return problems;
    }

    /** Removes the rules of every session with a marker that {@code isStale} says is dead. */
    static List<String> sweep(HostCommands cmd, Path markers, Predicate<String> isStale) {
        List<String> problems = new ArrayList<>();
        try (Stream<Path> listed = Files.list(markers)) {
            for (Path marker : listed.toList()) {
                String sessionId = marker.getFileName().toString();
                if (isStale.test(sessionId)) {
                    problems.addAll(remove(cmd, markers, sessionId));
                }
            }
        } catch (NoSuchFileException e) {
            // no session ever needed a rule here
        } catch (IOException e) {
            problems.add("cannot list " + markers + ": " + e.getMessage());
        }
        return problems;
    }

    private static void mark(Path markers, String sessionId, List<Placement> placed) {
        try {
            Files.createDirectories(markers);
            Files.writeString(markers.resolve(sessionId),
                    String.join("\n", placed.stream().map(Placement::markerLine).toList()) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record " + sessionId + "'s forwarding rules in " + markers, e);
        }
    }

    private static List<Placement> placements(Path marker) {
        try {
            return Files.readAllLines(marker).stream().map(Placement::parse).flatMap(Optional::stream).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static void unmark(Path marker) {
        try {
            Files.deleteIfExists(marker);
        } catch (IOException e) {
            // a later sweep finds the rules gone and tries again
        }
    }

    /** Deletes, per tool in one restore transaction, every rule of the filter table whose comment matches. */
    private static List<String> removeWhere(HostCommands cmd, List<String> tools, Predicate<String> tagMatches) {
        List<String> problems = new ArrayList<>();
        for (String tool : tools) {
            HostCommands.Result listed = cmd.run(List.of(tool, "-w", "5", "-S"), null);
            if (!listed.ok()) {
                continue; // no iptables at all
            }
            StringBuilder deletions = new StringBuilder();
            for (String rule : listed.stdout().lines().toList()) {
                List<String> words = List.of(rule.strip().split("\\s+"));
                int c = words.indexOf("--comment");
                if (words.size() < 3 || !words.getFirst().equals("-A") || c < 0 || c + 1 >= words.size()
                        || !tagMatches.test(words.get(c + 1).replace("\"", ""))) {
                    continue;
                }
                // -S prints rules in the syntax restore reads: the same words, appended becomes deleted.
                deletions.append("-D ").append(rule.strip().substring(3)).append('\n');
            }
            if (!deletions.isEmpty()) {
                HostCommands.Result r = cmd.run(List.of(tool + "-restore", "-w", "5", "--noflush"),
                        "*filter\n" + deletions + "COMMIT\n");
                if (!r.ok()) {
                    problems.add(tool + "-restore (" + deletions.toString().strip().replace('\n', ';') + "): "
                            + r.stderr().strip());
                }
            }
        }
        return problems;
    }
}
