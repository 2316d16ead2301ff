package dev.tether.cli.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tether.cli.UserError;
import dev.tether.policy.Action;
import dev.tether.policy.Decision;
import dev.tether.policy.ExecRequest;
import dev.tether.policy.FileRequest;
import dev.tether.policy.Finding;
import dev.tether.policy.HeaderRewrite;
import dev.tether.policy.LoadResult;
import dev.tether.policy.McpRequest;
import dev.tether.policy.NetworkRequest;
import dev.tether.policy.PolicyLoader;
import dev.tether.policy.PolicySnapshot;
import dev.tether.policy.Principal;
import dev.tether.policy.Request;
import dev.tether.policy.Transport;
import dev.tether.policy.cedar.CedarReference;
import dev.tether.policy.model.HostId;
import dev.tether.policy.model.HostNames;
import dev.tether.policy.model.Ips;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code tether policy decide FILE --action A --resource R}: what the policy says, and why. */
@Command(
        name = "decide",
        mixinStandardHelpOptions = true,
        description = {"Decide one request against a policy and explain the decision.",
            "RESOURCE is a path (/etc/passwd), a host or address (api.example.com:443, 10.1.2.3, [::1]:8080),",
            "an MCP server/tool (filesystem/read_file), or an entity literal (File::\"/etc/passwd\").",
            "Context: ProcessExec argv=\"push origin\"; NetworkConnect protocol=udp, port=53, hostname=NAME,",
            "address=IP; McpCall arguments=JSON, server=NAME; HttpRewrite header=NAME, value=VALUE.",
            "Exit status: 0 allowed, 1 denied, 2 bad input or a policy that does not load."})
public final class PolicyDecideCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "The Cedar policy file.")
    Path file;

    @Option(names = "--action", required = true, paramLabel = "ACTION",
            description = "FileOpenReadOnly, FileOpenReadWrite, FileOpen, ProcessExec, NetworkConnect, HttpRewrite, McpCall.")
    String action;

    @Option(names = "--resource", required = true, paramLabel = "RESOURCE", description = "What the request is about.")
    String resource;

    @Option(names = "--principal", paramLabel = "AGENT", defaultValue = "cli",
            description = "The agent: a name or Agent::\"name\" (default: ${DEFAULT-VALUE}).")
    String principal;

    @Option(names = "--session", paramLabel = "ID", description = "The session the agent runs in.")
    String session;

    @Option(names = "--principals", paramLabel = "FILE", description = "Principals file (TOML) with team memberships.")
    Path principals;

    @Option(names = "--context", paramLabel = "KEY=VALUE", description = "A context attribute (repeatable).")
    Map<String, String> context = new LinkedHashMap<>();

    @Option(names = "--json", description = "Print the decision as JSON.")
    boolean json;

    @Option(names = "--cedar", description = "Also ask cedar-java's authorizer and show whether it agrees.")
    boolean cedar;

    private static final Pattern ENTITY = Pattern.compile("^((?:[A-Za-z_][A-Za-z0-9_]*::)*[A-Za-z_][A-Za-z0-9_]*)::\"((?:[^\"\\\\]|\\\\.)*)\"$");

    @Override
    public Integer call() {
        Action a = Action.fromCedarName(action).or(() -> Arrays.stream(Action.values())
                .filter(x -> x.cedarName().equalsIgnoreCase(action)).findFirst())
                .orElseThrow(() -> new UserError("unknown action " + action + "; the actions are "
                        + String.join(", ", Arrays.stream(Action.values()).map(Action::cedarName).toList())));
        Principal p = new Principal(agentName(principal), session);
        LoadResult loaded = PolicyLoader.load(file, principals);
        if (loaded instanceof LoadResult.Rejected r) {
            for (Finding f : r.errors()) {
                spec.commandLine().getErr().println(f.render());
            }
            throw new UserError(file + " does not load (tether policy check " + file + ")");
        }
        PolicySnapshot snap = ((LoadResult.Loaded) loaded).snapshot();
        if (a == Action.HTTP_REWRITE) {
            return rewrites(snap, p);
        }
        Request req = request(a, p);
        Decision d = snap.decide(req);
        CedarReference.Answer ref = cedar ? new CedarReference(snap).decide(req) : null;
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            ObjectNode o = Json.MAPPER.createObjectNode();
            o.put("decision", d.allowed() ? "ALLOW" : "DENY");
            o.put("allowed", d.allowed());
            o.put("reason", d.reason());
            o.set("determining", Json.refs(d.determining()));
            o.put("request", describe(req));
            if (ref != null) {
                ObjectNode c = o.putObject("cedar");
                c.put("allowed", ref.allowed());
                c.set("determining", Json.refs(ref.determining()));
                c.put("agrees", ref.allowed() == d.allowed() && Set.copyOf(ref.determining()).equals(Set.copyOf(d.determining())));
            }
            out.println(Json.write(o));
        } else {
            out.println(d.allowed() ? "ALLOW" : "DENY");
            out.println(d.reason());
            out.println("  request: " + describe(req));
            for (var r : d.determining()) {
                out.println("  determined by: " + r);
            }
            if (ref != null) {
                boolean agrees = ref.allowed() == d.allowed() && Set.copyOf(ref.determining()).equals(Set.copyOf(d.determining()));
                out.println("  cedar-java: " + (ref.allowed() ? "ALLOW" : "DENY") + " " + ref.determining().stream()
                        .map(x -> x.id()).toList() + (agrees ? " (agrees)" : " (DISAGREES: please report this)"));
            }
        }
        return d.allowed() ? 0 : 1;
    }

    private int rewrites(PolicySnapshot snap, Principal p) {
        Target t = host(resource, Action.HTTP_REWRITE);
        expectOnly(Action.HTTP_REWRITE, Set.of("header", "value"));
        String host = t.hostname != null ? t.hostname : Ips.format(t.address);
        List<HeaderRewrite> rw = snap.headerRewrites(p, host, t.port);
        String header = context.get("header");
        String value = context.get("value");
        PrintWriter out = spec.commandLine().getOut();
        boolean match = header != null && rw.stream()
                .anyMatch(h -> h.header().equalsIgnoreCase(header) && (value == null || h.value().equals(value)));
        if (json) {
            ObjectNode o = Json.MAPPER.createObjectNode();
            if (header != null) {
                o.put("decision", match ? "ALLOW" : "DENY");
                o.put("allowed", match);
            }
            var arr = o.putArray("rewrites");
            for (HeaderRewrite h : rw) {
                ObjectNode x = arr.addObject();
                x.put("header", h.header());
                x.put("value", h.value());
                x.put("source", h.source().toString());
            }
            out.println(Json.write(o));
        } else {
            if (header != null) {
                out.println(match ? "ALLOW" : "DENY");
            }
            out.println(rw.isEmpty() ? "no header rewrites for " + host + ":" + t.port
                    : "header rewrites for " + host + ":" + t.port + ":");
            for (HeaderRewrite h : rw) {
                out.println("  " + h.header() + ": " + h.value() + "  (" + h.source() + ")");
            }
        }
        return header == null || match ? 0 : 1;
    }

    static String agentName(String p) {
        Matcher m = ENTITY.matcher(p);
        if (m.matches()) {
            if (!m.group(1).equals("Agent")) {
                throw new UserError("--principal is an agent (Agent::\"name\" or a name); give sessions with --session");
            }
            return unescape(m.group(2));
        }
        if (p.isEmpty()) {
            throw new UserError("--principal is empty");
        }
        return p;
    }

    private static String unescape(String s) {
        return s.replace("\\\"", "\"").replace("\\\\", "\\");
    }

    private void expectOnly(Action a, Set<String> keys) {
        for (String k : context.keySet()) {
            if (!keys.contains(k)) {
                throw new UserError("--context " + k + " does not apply to " + a.cedarName()
                        + (keys.isEmpty() ? " (it takes no context)" : "; it takes " + String.join(", ", keys.stream().sorted().toList())));
            }
        }
    }

    Request request(Action a, Principal p) {
        return switch (a) {
            case FILE_OPEN, FILE_OPEN_READ_ONLY, FILE_OPEN_READ_WRITE -> {
                expectOnly(a, Set.of());
                yield new FileRequest(p, a, path());
            }
            case PROCESS_EXEC -> {
                expectOnly(a, Set.of("argv", "args"));
                String path = path();
                List<String> argv = new ArrayList<>();
                argv.add(path.substring(path.lastIndexOf('/') + 1));
                String words = context.getOrDefault("argv", context.getOrDefault("args", ""));
                if (context.containsKey("argv") && context.containsKey("args")) {
                    throw new UserError("give the arguments once: --context argv=\"...\" (args is the same words joined)");
                }
                for (String w : words.trim().split("\\s+")) {
                    if (!w.isEmpty()) {
                        argv.add(w);
                    }
                }
                yield new ExecRequest(p, path, argv);
            }
            case NETWORK_CONNECT -> {
                expectOnly(a, Set.of("protocol", "port", "hostname", "address"));
                Target t = host(resource, a);
                Transport tr = switch (context.getOrDefault("protocol", "tcp").toLowerCase(Locale.ROOT)) {
                    case "tcp" -> Transport.TCP;
                    case "udp" -> Transport.UDP;
                    default -> throw new UserError("--context protocol is tcp or udp");
                };
                String hostname = t.hostname;
                InetAddress address = t.address;
                if (context.containsKey("hostname")) {
                    hostname = context.get("hostname");
                }
                if (context.containsKey("address")) {
                    address = Ips.parse(context.get("address"));
                    if (address == null) {
                        throw new UserError("--context address=" + context.get("address") + " is not an IP address");
                    }
                }
                yield new NetworkRequest(p, hostname, address, t.port, tr);
            }
            case MCP_CALL -> {
                expectOnly(a, Set.of("arguments", "server"));
                JsonNode args = null;
                if (context.containsKey("arguments")) {
                    try {
                        args = Json.MAPPER.readTree(context.get("arguments"));
                    } catch (java.io.IOException e) {
                        throw new UserError("--context arguments is not JSON: " + e.getMessage());
                    }
                }
                Matcher m = ENTITY.matcher(resource);
                String server;
                String tool;
                if (m.matches()) {
                    switch (m.group(1)) {
                        case "MCP::Tool" -> {
                            tool = unescape(m.group(2));
                            server = context.get("server");
                            if (server == null) {
                                throw new UserError("a tool call needs its server: --context server=NAME (or --resource server/tool)");
                            }
                        }
                        case "MCP::Server" -> {
                            server = unescape(m.group(2));
                            tool = null;
                        }
                        default -> throw new UserError("an McpCall resource is server/tool, MCP::Tool::\"...\" or MCP::Server::\"...\"");
                    }
                } else {
                    int slash = resource.indexOf('/');
                    server = slash < 0 ? resource : resource.substring(0, slash);
                    tool = slash < 0 ? null : resource.substring(slash + 1);
                    if (context.containsKey("server")) {
                        throw new UserError("--context server only goes with --resource MCP::Tool::\"...\"");
                    }
                }
                yield new McpRequest(p, server, tool, args);
            }
            case HTTP_REWRITE -> throw new IllegalStateException("handled separately");
        };
    }

    private String path() {
        Matcher m = ENTITY.matcher(resource);
        String path;
        if (m.matches()) {
            if (!m.group(1).equals("File")) {
                throw new UserError("the resource of " + action + " is a file: a path or File::\"...\" (a Dir is never a request's resource)");
            }
            path = unescape(m.group(2));
        } else {
            path = resource;
        }
        if (!path.startsWith("/")) {
            throw new UserError("--resource must be an absolute path (as the sandbox sees it), not " + path);
        }
        return path;
    }

    /** A destination: hostname and/or address and port. */
    record Target(String hostname, InetAddress address, int port) {}

    private Target host(String r, Action a) {
        String spelled = r;
        Matcher m = ENTITY.matcher(r);
        if (m.matches()) {
            if (!m.group(1).equals("Host")) {
                throw new UserError("the resource of " + a.cedarName() + " is a host: name[:port], address[:port] or Host::\"...\"");
            }
            spelled = unescape(m.group(2));
        }
        int defaultPort = 443;
        if (context.containsKey("port")) {
            try {
                defaultPort = Integer.parseInt(context.get("port"));
            } catch (NumberFormatException e) {
                throw new UserError("--context port is a number");
            }
            if (defaultPort < 0 || defaultPort > 65535) {
                throw new UserError("--context port is 0-65535");
            }
        }
        InetAddress bare = Ips.parse(spelled);
        if (bare != null) {
            return new Target(null, bare, defaultPort);
        }
        HostId h = HostNames.parseHost(spelled.toLowerCase(Locale.ROOT));
        return switch (h) {
            case HostId.Name n -> new Target(n.name(), null, defaultPort);
            case HostId.NamePort n -> new Target(n.name(), null, n.port());
            case HostId.Ip ip -> new Target(null, ip.address(), defaultPort);
            case HostId.IpPort ip -> new Target(null, ip.address(), ip.port());
            case HostId.Wildcard w -> throw new UserError("a request goes to one host, not a wildcard: " + spelled);
            case HostId.WildcardPort w -> throw new UserError("a request goes to one host, not a wildcard: " + spelled);
            case HostId.Invalid inv -> throw new UserError("not a host: " + spelled + " (" + inv.reason() + ")");
        };
    }

    private static String describe(Request r) {
        String who = "Agent::\"" + r.principal().agent() + "\"" + (r.principal().session() == null ? ""
                : " in Session::\"" + r.principal().session() + "\"");
        String what = switch (r) {
            case FileRequest f -> "File::\"" + f.path() + "\"";
            case ExecRequest x -> "File::\"" + x.path() + "\" argv " + x.argv().subList(1, x.argv().size());
            case NetworkRequest n -> (n.hostname() != null ? n.hostname() : "") + (n.address() != null
                    ? (n.hostname() != null ? " (" : "") + Ips.format(n.address()) + (n.hostname() != null ? ")" : "") : "")
                    + " port " + n.port() + " " + n.transport().cedarName();
            case McpRequest m -> m.tool() == null ? "MCP::Server::\"" + m.server() + "\""
                    : "MCP::Tool::\"" + m.tool() + "\" on MCP::Server::\"" + m.server() + "\""
                            + (m.arguments() == null ? "" : " arguments " + m.arguments());
        };
        return who + " " + r.action().cedarName() + " " + what;
    }
}
