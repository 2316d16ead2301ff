package dev.tether.policy.diff;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tether.policy.Action;
import dev.tether.policy.ExecRequest;
import dev.tether.policy.FileRequest;
import dev.tether.policy.McpRequest;
import dev.tether.policy.NetworkRequest;
import dev.tether.policy.Principal;
import dev.tether.policy.Request;
import dev.tether.policy.Transport;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Random policy sets over every construct the compiler supports, and random requests drawn from
 * the same small pools of names so that statements and requests actually meet. Deliberately
 * includes the edge cases the issue lists: nested directories, {@code /srv/} vs
 * {@code /srvdata}, wildcards vs apex, CIDR nesting, IPv6, principals in teams, argv and MCP
 * argument conditions, and requests with non-normalised paths, odd host spellings and
 * mistyped MCP arguments.
 */
final class RandomPolicies {
    private final RandomGenerator rnd;
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    static final String[] AGENTS = {"claude", "codex"};
    static final String[] SESSIONS = {"s1", "s2"};
    static final String[] TEAMS = {"dev", "ops", "all"};
    /** Used for the principals file: claude in dev, s2 in ops, dev and ops in all. */
    static final String PRINCIPALS_TOML = """
            [agents.claude]
            teams = ["dev"]
            [sessions.s2]
            teams = ["ops"]
            [teams.dev]
            teams = ["all"]
            [teams.ops]
            teams = ["all"]
            """;
    static final String[] COMPONENTS = {"srv", "srvdata", "a", "b", ".git", "hooks", "x.txt"};
    static final String[] LABELS = {"example", "com", "api", "corp", "a"};
    static final String[] V4 = {"10.0.0.1", "10.1.2.3", "10.1.2.200", "192.168.1.10", "8.8.8.8", "127.0.0.1"};
    static final String[] V6 = {"::1", "fd00::1", "2001:db8::5", "2001:db8:1::9", "fe80::1"};
    static final String[] CIDRS = {"10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.128/25", "0.0.0.0/0",
        "192.168.0.0/16", "127.0.0.0/8", "fd00::/8", "2001:db8::/32", "2001:db8:1::/48", "::/0", "::1/128"};
    static final int[] PORTS = {22, 53, 80, 443, 8080};
    static final String[] ARGV = {"push", "status", "--force", "-f", "origin", "main", "commit"};
    static final String[] SERVERS = {"fs", "web"};
    static final String[] TOOLS = {"read", "write", "search"};

    /** A generated policy set that loads, with the generator that made it (for requests) and its seed. */
    record LoadedSet(long seed, RandomPolicies gen, String text, dev.tether.policy.PolicySnapshot snapshot) {}

    /**
     * The policy sets of seeds {@code base} to {@code base + count - 1} (1 to 12 statements each)
     * that load against {@link #PRINCIPALS_TOML}, in seed order, each with its own generator.
     */
    static List<LoadedSet> loadedSets(long base, int count) {
        dev.tether.policy.principals.PrincipalDirectory dir = dev.tether.policy.principals.PrincipalsFile
                .parse(PRINCIPALS_TOML, "principals.toml").directory();
        return java.util.stream.LongStream.range(base, base + count).mapToObj(seed -> {
            RandomGenerator rnd = java.util.random.RandomGeneratorFactory.of("L64X128MixRandom").create(seed);
            RandomPolicies gen = new RandomPolicies(rnd);
            String text = gen.policySet(1 + rnd.nextInt(12));
            return dev.tether.policy.PolicyLoader.parse(text, "random.cedar", dir)
                    instanceof dev.tether.policy.LoadResult.Loaded loaded
                    ? new LoadedSet(seed, gen, text, loaded.snapshot()) : null;
        }).filter(java.util.Objects::nonNull).toList();
    }

    RandomPolicies(RandomGenerator rnd) {
        this.rnd = rnd;
    }

    private <T> T pick(T[] a) {
        return a[rnd.nextInt(a.length)];
    }

    private int pick(int[] a) {
        return a[rnd.nextInt(a.length)];
    }

    private boolean chance(double p) {
        return rnd.nextDouble() < p;
    }

    // ---------------- policies ----------------

    enum Family {
        FILE,
        EXEC,
        NET,
        MCP,
        REWRITE,
        ANY
    }

    String policySet(int statements) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < statements; i++) {
            sb.append(statement()).append('\n');
        }
        return sb.toString();
    }

    String statement() {
        Family f = pick(Family.values());
        boolean permit = f == Family.REWRITE || chance(0.6);
        StringBuilder sb = new StringBuilder(permit ? "permit" : "forbid");
        sb.append(" (\n  ").append(principalScope()).append(",\n  ").append(actionScope(f)).append(",\n  ")
                .append(resourceScope(f)).append("\n)");
        int conds = f == Family.REWRITE ? 1 : rnd.nextInt(3);
        for (int i = 0; i < conds; i++) {
            boolean unless = f != Family.REWRITE && chance(0.3);
            String body = f == Family.REWRITE ? rewriteCondition() : condition(f, 2);
            sb.append(unless ? " unless { " : " when { ").append(body).append(" }");
        }
        return sb.append(";").toString();
    }

    private String principalScope() {
        return switch (rnd.nextInt(7)) {
            case 0, 1, 2 -> "principal";
            case 3 -> "principal == Agent::\"" + pick(AGENTS) + "\"";
            case 4 -> "principal in Team::\"" + pick(TEAMS) + "\"";
            case 5 -> "principal in Session::\"" + pick(SESSIONS) + "\"";
            default -> "principal is Agent in Team::\"" + pick(TEAMS) + "\"";
        };
    }

    private String actionScope(Family f) {
        List<Action> acts = switch (f) {
            case FILE -> List.of(Action.FILE_OPEN, Action.FILE_OPEN_READ_ONLY, Action.FILE_OPEN_READ_WRITE);
            case EXEC -> List.of(Action.PROCESS_EXEC);
            case NET -> List.of(Action.NETWORK_CONNECT);
            case MCP -> List.of(Action.MCP_CALL);
            case REWRITE -> List.of(Action.HTTP_REWRITE);
            case ANY -> List.of();
        };
        if (acts.isEmpty()) {
            return "action";
        }
        if (f == Family.FILE) {
            return switch (rnd.nextInt(4)) {
                case 0 -> "action == Action::\"" + acts.get(rnd.nextInt(3)).cedarName() + "\"";
                case 1 -> "action in Action::\"FileOpen\"";
                case 2 -> "action in [Action::\"FileOpenReadOnly\", Action::\"FileOpen\"]";
                default -> "action in [Action::\"FileOpenReadWrite\"]";
            };
        }
        return chance(0.5) ? "action == Action::\"" + acts.get(0).cedarName() + "\""
                : "action in [Action::\"" + acts.get(0).cedarName() + "\"]";
    }

    private String resourceScope(Family f) {
        if (chance(0.5)) {
            return "resource";
        }
        return switch (f) {
            case FILE, EXEC -> switch (rnd.nextInt(4)) {
                case 0 -> "resource in " + dir();
                case 1 -> "resource == " + file();
                case 2 -> "resource is File";
                default -> "resource is File in " + dir();
            };
            case NET, REWRITE -> switch (rnd.nextInt(4)) {
                case 0 -> "resource in " + hostEntity();
                case 1 -> "resource == Host::\"" + hostName() + "\"";
                case 2 -> "resource is Host";
                default -> "resource in " + netOrZone();
            };
            case MCP -> switch (rnd.nextInt(3)) {
                case 0 -> "resource in MCP::Server::\"" + pick(SERVERS) + "\"";
                case 1 -> "resource == MCP::Tool::\"" + pick(TOOLS) + "\"";
                default -> "resource is MCP::Tool";
            };
            case ANY -> "resource";
        };
    }

    String path(int maxDepth) {
        int depth = 1 + rnd.nextInt(maxDepth);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < depth; i++) {
            sb.append('/').append(pick(COMPONENTS));
        }
        return sb.toString();
    }

    private String dir() {
        if (chance(0.1)) {
            return "Dir::\"/\"";
        }
        String p = path(3);
        return "Dir::\"" + p + (chance(0.7) ? "/" : "") + "\"";
    }

    private String file() {
        return "File::\"" + path(4) + "\"";
    }

    String hostName() {
        int n = 1 + rnd.nextInt(3);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                sb.append('.');
            }
            sb.append(pick(LABELS));
        }
        return sb.toString();
    }

    private String hostEntity() {
        return switch (rnd.nextInt(7)) {
            case 0 -> "Host::\"" + hostName() + "\"";
            case 1 -> "Host::\"*." + hostName() + "\"";
            case 2 -> "Host::\"" + hostName() + ":" + pick(PORTS) + "\"";
            case 3 -> "Host::\"*." + hostName() + ":" + pick(PORTS) + "\"";
            case 4 -> "Host::\"" + pick(V4) + (chance(0.5) ? ":" + pick(PORTS) : "") + "\"";
            case 5 -> chance(0.5) ? "Host::\"" + pick(V6) + "\"" : "Host::\"[" + pick(V6) + "]:" + pick(PORTS) + "\"";
            default -> "DnsZone::\"" + hostName() + "\"";
        };
    }

    private String netOrZone() {
        return chance(0.6) ? "Net::\"" + pick(CIDRS) + "\"" : "DnsZone::\"" + hostName() + "\"";
    }

    /** A homogeneous entity list (Cedar's validator rejects mixed-type sets). */
    private String entityList(Family f) {
        int n = 1 + rnd.nextInt(3);
        List<String> els = new ArrayList<>();
        int kind = rnd.nextInt(3);
        for (int i = 0; i < n; i++) {
            els.add(switch (f) {
                case FILE, EXEC -> kind == 0 ? file() : dir();
                case NET, REWRITE -> switch (kind) {
                    case 0 -> hostEntity().startsWith("Host") ? hostEntity().replaceFirst("^DnsZone::", "Host::") : "Host::\"" + hostName() + "\"";
                    case 1 -> "Net::\"" + pick(CIDRS) + "\"";
                    default -> "DnsZone::\"" + hostName() + "\"";
                };
                case MCP -> kind == 0 ? "MCP::Tool::\"" + pick(TOOLS) + "\"" : "MCP::Server::\"" + pick(SERVERS) + "\"";
                case ANY -> "Team::\"" + pick(TEAMS) + "\"";
            });
        }
        return "[" + String.join(", ", els) + "]";
    }

    private String condition(Family f, int depth) {
        if (depth > 0 && chance(0.45)) {
            return switch (rnd.nextInt(4)) {
                case 0 -> "(" + condition(f, depth - 1) + " && " + condition(f, depth - 1) + ")";
                case 1 -> "(" + condition(f, depth - 1) + " || " + condition(f, depth - 1) + ")";
                case 2 -> "!(" + condition(f, depth - 1) + ")";
                default -> "(if " + condition(f, depth - 1) + " then " + condition(f, depth - 1) + " else "
                        + condition(f, depth - 1) + ")";
            };
        }
        return atom(f);
    }

    private String atom(Family f) {
        int common = rnd.nextInt(10);
        if (common == 0) {
            return switch (rnd.nextInt(4)) {
                case 0 -> "principal == Agent::\"" + pick(AGENTS) + "\"";
                case 1 -> "principal in Team::\"" + pick(TEAMS) + "\"";
                case 2 -> "principal in [Session::\"" + pick(SESSIONS) + "\", Session::\"" + pick(SESSIONS) + "\"]";
                default -> chance(0.5) ? "true" : "false";
            };
        }
        if (common == 1 && f != Family.ANY) {
            return "resource in " + entityList(f);
        }
        return switch (f) {
            case FILE -> switch (rnd.nextInt(3)) {
                case 0 -> "resource in " + dir();
                case 1 -> "resource == " + file();
                default -> "action == Action::\"FileOpenReadOnly\"";
            };
            case EXEC -> switch (rnd.nextInt(7)) {
                case 0 -> "context.argv.contains(\"" + pick(ARGV) + "\")";
                case 1 -> "context.argv.containsAny([\"" + pick(ARGV) + "\", \"" + pick(ARGV) + "\"])";
                case 2 -> "context.argv.containsAll([\"" + pick(ARGV) + "\", \"" + pick(ARGV) + "\"])";
                case 3 -> "context.args like \"" + pattern() + "\"";
                case 4 -> "context.args == \"" + pick(ARGV) + " " + pick(ARGV) + "\"";
                case 5 -> "context.argv.isEmpty()";
                default -> "resource in " + dir();
            };
            case NET -> switch (rnd.nextInt(9)) {
                case 0 -> "context.port == " + pick(PORTS);
                case 1 -> "context.port " + pick(new String[] {"<", "<=", ">", ">="}) + " " + pick(PORTS);
                case 2 -> "context.protocol == \"" + (chance(0.5) ? "tcp" : "udp") + "\"";
                case 3 -> "context.hostname like \"*." + pick(LABELS) + "\"";
                case 4 -> "context.hostname == \"\"";
                case 5 -> "[" + pick(PORTS) + ", " + pick(PORTS) + "].contains(context.port)";
                case 6 -> "resource in " + netOrZone();
                case 7 -> "resource == Host::\"" + (chance(0.5) ? hostName() : pick(V4)) + "\"";
                default -> "resource in " + hostEntity();
            };
            case MCP -> switch (rnd.nextInt(8)) {
                case 0 -> "context.arguments has path && context.arguments.path like \"" + pathPattern() + "\"";
                case 1 -> "context.arguments has n && context.arguments.n > " + rnd.nextInt(5);
                case 2 -> "context.arguments has recursive && context.arguments.recursive";
                case 3 -> "context.arguments has tags && context.arguments.tags.contains(\"" + pick(ARGV) + "\")";
                case 4 -> "context.arguments has opts && context.arguments.opts has mode && context.arguments.opts.mode == \"" + (chance(0.5) ? "r" : "w") + "\"";
                case 5 -> "context.arguments has path";
                case 6 -> "resource is MCP::Server";
                default -> "resource in MCP::Server::\"" + pick(SERVERS) + "\"";
            };
            case REWRITE -> rewriteCondition();
            case ANY -> switch (rnd.nextInt(3)) {
                case 0 -> "principal == Agent::\"" + pick(AGENTS) + "\"";
                case 1 -> "principal in Team::\"" + pick(TEAMS) + "\"";
                default -> "principal is Agent";
            };
        };
    }

    private String rewriteCondition() {
        String h = chance(0.5) ? "Authorization" : "X-Api-Key";
        String v = "secret:" + (chance(0.5) ? "A" : "B");
        String base = "context.header == \"" + h + "\" && context.value == \"" + v + "\"";
        return chance(0.3) ? base + " && resource in " + hostEntity() : base;
    }

    private String pattern() {
        return switch (rnd.nextInt(4)) {
            case 0 -> pick(ARGV) + "*";
            case 1 -> "*" + pick(ARGV);
            case 2 -> "*" + pick(ARGV) + "*";
            default -> pick(ARGV) + " *" + pick(ARGV);
        };
    }

    private String pathPattern() {
        return switch (rnd.nextInt(3)) {
            case 0 -> "/" + pick(COMPONENTS) + "/*";
            case 1 -> "*" + pick(COMPONENTS);
            default -> "/" + pick(COMPONENTS);
        };
    }

    // ---------------- requests ----------------

    Principal principal() {
        String agent = chance(0.9) ? pick(AGENTS) : "qwen";
        String session = chance(0.25) ? null : pick(SESSIONS);
        return new Principal(agent, session);
    }

    Request request() {
        Principal p = principal();
        return switch (rnd.nextInt(5)) {
            case 0, 1 -> new FileRequest(p, pick(new Action[] {Action.FILE_OPEN, Action.FILE_OPEN_READ_ONLY,
                Action.FILE_OPEN_READ_WRITE}), requestPath());
            case 2 -> new ExecRequest(p, requestPath(), argv());
            case 3 -> networkRequest(p);
            default -> new McpRequest(p, pick(SERVERS), chance(0.2) ? null : pick(TOOLS), arguments());
        };
    }

    String requestPath() {
        String p = path(4);
        return switch (rnd.nextInt(12)) {
            case 0 -> p + "/";
            case 1 -> p.replaceFirst("/", "//");
            case 2 -> p + "/../" + pick(COMPONENTS);
            case 3 -> "/" + pick(COMPONENTS) + "/./" + p.substring(1);
            case 4 -> "/";
            case 5 -> chance(0.5) ? p.substring(1) : "/..";
            default -> p;
        };
    }

    List<String> argv() {
        List<String> a = new ArrayList<>();
        a.add("git");
        int n = rnd.nextInt(4);
        for (int i = 0; i < n; i++) {
            a.add(pick(ARGV));
        }
        return a;
    }

    NetworkRequest networkRequest(Principal p) {
        String host = null;
        InetAddress addr = null;
        int mode = rnd.nextInt(6);
        if (mode <= 2) {
            host = hostName();
            host = switch (rnd.nextInt(8)) {
                case 0 -> host.toUpperCase(java.util.Locale.ROOT);
                case 1 -> host + ".";
                case 2 -> "bad host!";
                default -> host;
            };
        }
        if (mode >= 2) {
            addr = InetAddress.ofLiteral(chance(0.6) ? pick(V4) : pick(V6));
        }
        if (mode == 5 && chance(0.5)) {
            host = chance(0.5) ? pick(V4) : "[" + pick(V6) + "]";
            addr = null;
        }
        if (host == null && addr == null) {
            addr = InetAddress.ofLiteral(pick(V4));
        }
        int port = chance(0.9) ? pick(PORTS) : rnd.nextInt(65536);
        return new NetworkRequest(p, host, addr, port, chance(0.7) ? Transport.TCP : Transport.UDP);
    }

    JsonNode arguments() {
        if (chance(0.1)) {
            return null;
        }
        ObjectNode o = JSON.objectNode();
        if (chance(0.6)) {
            o.set("path", chance(0.9) ? JSON.textNode(path(3)) : JSON.numberNode(7));
        }
        if (chance(0.5)) {
            o.set("n", chance(0.9) ? JSON.numberNode(rnd.nextInt(6)) : JSON.numberNode(1.5));
        }
        if (chance(0.5)) {
            o.set("recursive", chance(0.9) ? JSON.booleanNode(chance(0.5)) : JSON.textNode("yes"));
        }
        if (chance(0.4)) {
            ArrayNode tags = JSON.arrayNode();
            int n = rnd.nextInt(3);
            for (int i = 0; i < n; i++) {
                tags.add(pick(ARGV));
            }
            if (chance(0.05)) {
                tags.add(3);
            }
            o.set("tags", tags);
        }
        if (chance(0.4)) {
            ObjectNode opts = JSON.objectNode();
            if (chance(0.8)) {
                opts.set("mode", JSON.textNode(chance(0.5) ? "r" : "w"));
            }
            opts.set("extra", JSON.textNode("ignored"));
            o.set("opts", chance(0.95) ? opts : JSON.textNode("flat"));
        }
        if (chance(0.3)) {
            o.set("undeclared", JSON.textNode("x"));
        }
        return o;
    }

    String rewriteHost() {
        return switch (rnd.nextInt(4)) {
            case 0 -> pick(V4);
            case 1 -> hostName().toUpperCase(java.util.Locale.ROOT);
            default -> hostName();
        };
    }

    int port() {
        return pick(PORTS);
    }
}
