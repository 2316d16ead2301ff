package dev.tether.policy.compile;

import dev.tether.policy.model.NetTarget;
import java.util.HashSet;
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

        ExecEnv(String path, List<String> argv) {
            super(path);
            this.argv = argv;
        }

        Set<String> argvSet() {
            argumentsRead = true;
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
            if (args == null) {
                args = argv.size() <= 1 ? "" : String.join(" ", argv.subList(1, argv.size()));
            }
            return args;
        }

        boolean argumentsRead() {
            return argumentsRead;
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
