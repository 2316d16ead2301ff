package dev.tether.sandbox.net;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
 * {@link #sweep} list the firewall only for sessions with a marker. Listing it is four
 * {@code iptables -S} runs (~40 ms each on the slower test hosts), which every session's stop and
 * every start's sweep paid even on the hosts that never need a rule.
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
        boolean marked = false;
        for (String tool : TOOLS) {
            String chain = chainNeedingRules(cmd, tool);
            if (chain == null) {
                continue;
            }
            if (!marked) { // before the first rule: a crash after it leaves a marker to find it by
                mark(markers, sessionId);
                marked = true;
            }
            List<String> comment = List.of("-m", "comment", "--comment", tag(sessionId));
            List<String> in = new ArrayList<>(List.of(tool, "-w", "5", "-I", chain, "1", "-i", hostInterface));
            in.addAll(comment);
            in.addAll(List.of("-j", "ACCEPT"));
            List<String> out = new ArrayList<>(List.of(tool, "-w", "5", "-I", chain, "1", "-o", hostInterface,
                    "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED"));
            out.addAll(comment);
            out.addAll(List.of("-j", "ACCEPT"));
            cmd.require(in, null, "letting " + hostInterface + " through " + tool + " " + chain);
            cmd.require(out, null, "letting replies to " + hostInterface + " through " + tool + " " + chain);
        }
    }

    /**
     * {@code DOCKER-USER} when it exists, {@code FORWARD} when its policy drops, else null (the
     * default ACCEPT policy lets tether's own nft forward chain decide alone).
     */
    static String chainNeedingRules(HostCommands cmd, String tool) {
        HostCommands.Result docker = cmd.run(List.of(tool, "-w", "5", "-S", DOCKER_CHAIN), null);
        if (docker.ok()) {
            return DOCKER_CHAIN;
        }
        HostCommands.Result forward = cmd.run(List.of(tool, "-w", "5", "-S", "FORWARD"), null);
        if (forward.ok() && forward.stdout().lines().anyMatch(l -> l.strip().equals("-P FORWARD DROP"))) {
            return "FORWARD";
        }
        return null;
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
        List<String> problems = removeWhere(cmd, tag::equals);
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

    private static void mark(Path markers, String sessionId) {
        try {
            Files.createDirectories(markers);
            Files.writeString(markers.resolve(sessionId), "");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record " + sessionId + "'s forwarding rules in " + markers, e);
        }
    }

    private static void unmark(Path marker) {
        try {
            Files.deleteIfExists(marker);
        } catch (IOException e) {
            // a later sweep finds the rules gone and tries again
        }
    }

    private static List<String> removeWhere(HostCommands cmd, Predicate<String> tagMatches) {
        List<String> problems = new ArrayList<>();
        for (String tool : TOOLS) {
            for (String chain : List.of(DOCKER_CHAIN, "FORWARD")) {
                HostCommands.Result listed = cmd.run(List.of(tool, "-w", "5", "-S", chain), null);
                if (!listed.ok()) {
                    continue; // no such chain, or no iptables at all
                }
                for (String rule : listed.stdout().lines().toList()) {
                    List<String> words = List.of(rule.strip().split("\\s+"));
                    int c = words.indexOf("--comment");
                    if (words.size() < 3 || !words.getFirst().equals("-A") || c < 0 || c + 1 >= words.size()
                            || !tagMatches.test(words.get(c + 1).replace("\"", ""))) {
                        continue;
                    }
                    List<String> delete = new ArrayList<>(List.of(tool, "-w", "5", "-D"));
                    delete.addAll(words.subList(1, words.size()).stream().map(w -> w.replace("\"", "")).toList());
                    HostCommands.Result r = cmd.run(delete, null);
                    if (!r.ok()) {
                        problems.add(String.join(" ", delete) + ": " + r.stderr().strip());
                    }
                }
            }
        }
        return problems;
    }
}
