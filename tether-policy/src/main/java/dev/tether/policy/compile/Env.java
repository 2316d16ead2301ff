package dev.tether.policy.compile;

import dev.tether.policy.model.NetTarget;
import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The request as the compiled conditions see it; one subclass per resource kind. */
abstract sealed class Env {

    /** File opens and execs: the resource is {@code File::"<path>"}. */
    static sealed class PathEnv extends Env permits ExecEnv {
        final String path;

        PathEnv(String path) {
            this.path = path;
        }
    }

    static final class ExecEnv extends PathEnv {
        final List<String> argv;
        private Set<String> argvSet;
        private String args;
        /** Set when a condition looked at the arguments (argv or args): the decision may depend on them. */
        private boolean argumentsRead;

        /** Non-null when probing: argv is the literals it holds, and every look at it is recorded. */
        private final ArgvProbe probe;

        ExecEnv(String path, List<String> argv) {
            super(path);
            this.argv = argv;
            this.probe = null;
        }

        private ExecEnv(String path, ArgvProbe probe) {
            super(path);
            this.argv = List.of();
            this.probe = probe;
        }

        /** An exec whose argv[1..] holds exactly {@code held}, as far as membership tests can tell. */
        static ExecEnv probing(String path, Set<String> held) {
            return new ExecEnv(path, new ArgvProbe(held));
        }

        /** Probing: the literals conditions asked argv about, in the order they asked. */
        Set<String> queried() {
            return probe.queried;
        }

        /** Probing: whether a condition looked at the arguments other than by asking whether argv holds a string. */
        boolean argumentsSeenOtherwise() {
            return probe.otherUse;
        }

        Set<?> argvSet() {
            argumentsRead = true;
            if (probe != null) {
                return probe;
            }
            if (argvSet == null) {
                Set<String> s = new HashSet<>();
                for (int i = 1; i < argv.size(); i++) {
                    s.add(argv.get(i));
                }
                argvSet = Set.copyOf(s);
            }
            return argvSet;
        }

        String args() {
            argumentsRead = true;
            if (probe != null) {
                probe.otherUse = true;
                return "";
            }
            if (args == null) {
                args = argv.size() <= 1 ? "" : String.join(" ", argv.subList(1, argv.size()));
            }
            return args;
        }

        boolean argumentsRead() {
            return argumentsRead;
        }
    }

    /**
     * {@code context.argv} while probing: answers {@code contains} (and so {@code containsAll},
     * {@code containsAny}) from the held literals and records the question; any other use (size,
     * iteration, equality, hashing) is recorded as such, so the caller knows the decision may
     * depend on more than which literals argv holds.
     */
    private static final class ArgvProbe extends AbstractSet<Object> {
        private final Set<String> held;
        private final Set<String> queried = new LinkedHashSet<>();
        private boolean otherUse;

        ArgvProbe(Set<String> held) {
            this.held = held;
        }

        @Override
        public boolean contains(Object o) {
            if (o instanceof String s) {
                queried.add(s);
                return held.contains(s);
            }
            return false; // argv holds strings only, whatever it is
        }

        @Override
        public Iterator<Object> iterator() {
            otherUse = true;
            return new ArrayList<Object>(held).iterator();
        }

        @Override
        public int size() {
            otherUse = true;
            return held.size();
        }
    }

    /** Network connections and HTTP rewrites: the resource is {@code Host::"<primary>"}. */
    static final class NetEnv extends Env {
        final NetTarget target;
        final String header;
        final String value;

        NetEnv(NetTarget target, String header, String value) {
            this.target = target;
            this.header = header;
            this.value = value;
        }
    }

    /** MCP calls: the resource is the tool (member of the server) or the server. */
    static final class McpEnv extends Env {
        final String server;
        final String tool;
        final Map<String, Object> arguments;

        McpEnv(String server, String tool, Map<String, Object> arguments) {
            this.server = server;
            this.tool = tool;
            this.arguments = arguments;
        }
    }
}
