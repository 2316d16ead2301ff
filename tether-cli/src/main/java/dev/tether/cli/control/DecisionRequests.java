package dev.tether.cli.control;

import dev.tether.policy.Action;
import dev.tether.policy.ExecRequest;
import dev.tether.policy.FileRequest;
import dev.tether.policy.McpRequest;
import dev.tether.policy.NetworkRequest;
import dev.tether.policy.Principal;
import dev.tether.policy.Request;
import dev.tether.policy.Transport;
import dev.tether.policy.model.HostId;
import dev.tether.policy.model.HostNames;
import dev.tether.policy.model.Ips;
import dev.tether.server.spi.DecisionQuery;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Turns the control plane's "ask the policy" question ({@link DecisionQuery}: an action name and a
 * resource as the UI types them) into the policy module's request. Bad input is an
 * {@link IllegalArgumentException} saying what is accepted (the API answers 400 with it).
 */
final class DecisionRequests {
    private DecisionRequests() {}

    /** What was asked: a decision, or (HttpRewrite) which headers the proxy would set for a host. */
    sealed interface Asked {
        record Decide(Request request) implements Asked {}

        record Rewrites(String host, int port) implements Asked {}
    }

    private static final int DEFAULT_PORT = 443;

    static Asked of(Principal p, DecisionQuery q) {
        if (q.action() == null) {
            throw new IllegalArgumentException("action is required");
        }
        Action a = Action.fromCedarName(q.action()).orElseThrow(() -> new IllegalArgumentException("unknown action '"
                + q.action() + "'; the actions are " + String.join(", ",
                        Arrays.stream(Action.values()).map(Action::cedarName).toList())));
        String resource = q.resource() == null ? "" : q.resource().trim();
        if (resource.isEmpty()) {
            throw new IllegalArgumentException("resource is required");
        }
        return switch (a) {
            case FILE_OPEN, FILE_OPEN_READ_ONLY, FILE_OPEN_READ_WRITE -> new Asked.Decide(new FileRequest(p, a, path(a, resource)));
            case PROCESS_EXEC -> {
                String path = path(a, resource);
                List<String> argv = q.argv() == null || q.argv().isEmpty()
                        ? List.of(path.substring(path.lastIndexOf('/') + 1)) : q.argv();
                yield new Asked.Decide(new ExecRequest(p, path, argv));
            }
            case NETWORK_CONNECT -> {
                Target t = host(resource);
                yield new Asked.Decide(new NetworkRequest(p, t.hostname(), t.address(), t.port(), Transport.TCP));
            }
            case HTTP_REWRITE -> {
                Target t = host(resource);
                yield new Asked.Rewrites(t.hostname() != null ? t.hostname() : Ips.format(t.address()), t.port());
            }
            case MCP_CALL -> {
                String server = q.server();
                String tool = resource;
                if (server == null || server.isBlank()) {
                    int slash = resource.indexOf('/');
                    server = slash < 0 ? resource : resource.substring(0, slash);
                    tool = slash < 0 ? null : resource.substring(slash + 1);
                }
                if (server.isEmpty() || tool != null && tool.isEmpty()) {
                    throw new IllegalArgumentException("an McpCall resource is server/tool, or the tool with 'server' given");
                }
                yield new Asked.Decide(new McpRequest(p, server, tool, null));
            }
        };
    }

    private static String path(Action a, String resource) {
        if (!resource.startsWith("/")) {
            throw new IllegalArgumentException("the resource of " + a.cedarName()
                    + " is an absolute path as the sandbox sees it (e.g. /workspace/.env), not '" + resource + "'");
        }
        return resource;
    }

    private record Target(String hostname, InetAddress address, int port) {}

    /** {@code name[:port]}, {@code address[:port]} or {@code [v6]:port}; port 443 when none is given. */
    private static Target host(String spelled) {
        InetAddress bare = Ips.parse(spelled);
        if (bare != null) {
            return new Target(null, bare, DEFAULT_PORT);
        }
        HostId h = HostNames.parseHost(spelled.toLowerCase(Locale.ROOT));
        return switch (h) {
            case HostId.Name n -> new Target(n.name(), null, DEFAULT_PORT);
            case HostId.NamePort n -> new Target(n.name(), null, n.port());
            case HostId.Ip ip -> new Target(null, ip.address(), DEFAULT_PORT);
            case HostId.IpPort ip -> new Target(null, ip.address(), ip.port());
            case HostId.Wildcard w -> throw new IllegalArgumentException("a request goes to one host, not a wildcard: " + spelled);
            case HostId.WildcardPort w -> throw new IllegalArgumentException("a request goes to one host, not a wildcard: " + spelled);
            case HostId.Invalid inv -> throw new IllegalArgumentException("not a host: " + spelled + " (" + inv.reason() + ")");
        };
    }
}
