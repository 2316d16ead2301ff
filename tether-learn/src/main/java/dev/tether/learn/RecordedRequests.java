package dev.tether.learn;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.events.Event;
import dev.tether.events.EventFlag;
import dev.tether.events.EventKind;
import dev.tether.events.ExecDetail;
import dev.tether.events.McpDetail;
import dev.tether.events.NetworkDetail;
import dev.tether.events.Verdict;
import dev.tether.policy.Action;
import dev.tether.policy.ExecRequest;
import dev.tether.policy.FileRequest;
import dev.tether.policy.McpRequest;
import dev.tether.policy.NetworkRequest;
import dev.tether.policy.Principal;
import dev.tether.policy.Transport;
import dev.tether.policy.model.HostNames;
import dev.tether.policy.model.Ips;
import java.net.InetAddress;
import java.util.EnumSet;
import java.util.Set;

/**
 * Rebuilds the policy request an event records, with the principal it was recorded for
 * ({@code Agent::"<principal>"} in {@code Session::"<session>"}):
 * <ul>
 *   <li>{@code FileOpen*}: a {@link FileRequest} for the resource path;</li>
 *   <li>{@code ProcessExec}: an {@link ExecRequest} for the resource path with {@code detail.argv};</li>
 *   <li>{@code NetworkConnect}: a {@link NetworkRequest} from {@code detail} (hostname, address,
 *       port, protocol), else from the resource ({@code host:port}, {@code ip:port}, {@code [v6]:port});</li>
 *   <li>{@code HttpRequest}: the proxy decides each request by its host, so a TCP
 *       {@link NetworkRequest} for the resource's {@code host:port};</li>
 *   <li>{@code McpCall}, and {@code McpMessage} when one was decided: an {@link McpRequest} for
 *       {@code detail.server}/{@code detail.tool} with the recorded arguments.</li>
 * </ul>
 * Anything else, or an event whose text was cut or escaped when recorded, is
 * {@link RecordedRequest.NotDecidable} with the reason.
 */
public final class RecordedRequests {
    /** Kinds whose events may be requests to the policy. */
    public static final Set<EventKind> KINDS = Set.copyOf(EnumSet.of(EventKind.FILE_OPEN,
            EventKind.FILE_OPEN_READ_ONLY, EventKind.FILE_OPEN_READ_WRITE, EventKind.PROCESS_EXEC,
            EventKind.NETWORK_CONNECT, EventKind.HTTP_REQUEST, EventKind.MCP_CALL, EventKind.MCP_MESSAGE));

    /** Verdicts that say a decision was made. */
    public static final Set<Verdict> DECIDED = Set.copyOf(EnumSet.of(Verdict.ALLOW, Verdict.DENY, Verdict.WOULD_DENY));

    private static final ObjectMapper JSON = new ObjectMapper();

    private RecordedRequests() {}

    /**
     * Whether {@code e} records a decision the policy made on a request (what replay re-decides):
     * a decided event of a request kind. An {@code McpMessage} only when it was decided, and not a
     * response (the request it answers was decided already).
     */
    public static boolean isDecision(Event e) {
        return KINDS.contains(e.kind()) && DECIDED.contains(e.decision());
    }

    /**
     * Whether {@code e} shows an operation a request kind performed, decided or only observed
     * (what a suggestion learns from). An undecided {@code McpMessage} counts only as a tool call.
     */
    public static boolean isObservation(Event e) {
        if (!KINDS.contains(e.kind())) {
            return false;
        }
        if (e.kind() == EventKind.MCP_MESSAGE && e.decision() == Verdict.NONE) {
            return e.detail() instanceof McpDetail m && "tools/call".equals(m.method()) && m.tool() != null;
        }
        return true;
    }

    /** Why {@link #allowedByTether} events are not asked again. */
    public static final String TETHER_ALLOWANCE = "let through by tether itself, not by a statement (TCP 80/443 handed to"
            + " tether's proxy, which decides them by host name; DNS to the sandbox's resolver)";

    /**
     * Whether {@code e} is an allow no statement made. A policy's allow always names the permits
     * that made it; an allow without any is tether's own: the kernel guard handing TCP 80/443 to
     * the proxy (which records its own decision by host name) or letting DNS reach the sandbox's
     * resolver. Replaying such an event with a policy would judge something no policy judged.
     */
    public static boolean allowedByTether(Event e) {
        return e.decision() == Verdict.ALLOW && e.policies().isEmpty();
    }

    public static RecordedRequest of(Event e) {
        if (allowedByTether(e)) {
            return new RecordedRequest.NotDecidable(TETHER_ALLOWANCE);
        }
        if (e.principal() == null || e.principal().isEmpty()) {
            return new RecordedRequest.NotDecidable("no principal was recorded");
        }
        Principal who = new Principal(e.principal(), e.session() == null || e.session().isEmpty() ? null : e.session());
        return switch (e.kind()) {
            case FILE_OPEN -> file(e, who, Action.FILE_OPEN);
            case FILE_OPEN_READ_ONLY -> file(e, who, Action.FILE_OPEN_READ_ONLY);
            case FILE_OPEN_READ_WRITE -> file(e, who, Action.FILE_OPEN_READ_WRITE);
            case PROCESS_EXEC -> exec(e, who);
            case NETWORK_CONNECT, HTTP_REQUEST -> network(e, who);
            case MCP_CALL, MCP_MESSAGE -> mcp(e, who);
            default -> new RecordedRequest.NotDecidable(e.kind().jsonName() + " is not a request to the policy");
        };
    }

    private static String pathProblem(Event e) {
        if (e.resource() == null || e.resource().isEmpty()) {
            return "no resource was recorded";
        }
        if (e.has(EventFlag.RESOURCE_ESCAPED)) {
            return "the path is not UTF-8 (recorded escaped), so no policy id can name it";
        }
        if (e.has(EventFlag.RESOURCE_TRUNCATED)) {
            return "the path was cut when recorded";
        }
        if (!e.resource().startsWith("/")) {
            return "the resource is not an absolute path";
        }
        return null;
    }

    private static RecordedRequest file(Event e, Principal who, Action action) {
        String problem = pathProblem(e);
        return problem != null ? new RecordedRequest.NotDecidable(problem)
                : new RecordedRequest.Decidable(new FileRequest(who, action, e.resource()));
    }

    /**
     * The program an exec event ran, when its path is usable even though its arguments may not be
     * (cut or escaped when recorded); null otherwise.
     */
    public static String execPath(Event e) {
        return e.kind() == EventKind.PROCESS_EXEC && pathProblem(e) == null && !allowedByTether(e) ? e.resource() : null;
    }

    private static RecordedRequest exec(Event e, Principal who) {
        String problem = pathProblem(e);
        if (problem != null) {
            return new RecordedRequest.NotDecidable(problem);
        }
        if (!(e.detail() instanceof ExecDetail x)) {
            return new RecordedRequest.NotDecidable("the exec's arguments were not recorded");
        }
        if (e.has(EventFlag.ARGV_TRUNCATED)) {
            return new RecordedRequest.NotDecidable("the exec's arguments were cut when recorded");
        }
        if (e.has(EventFlag.DETAIL_ESCAPED)) {
            return new RecordedRequest.NotDecidable("the exec's arguments are not UTF-8 (recorded escaped)");
        }
        return new RecordedRequest.Decidable(new ExecRequest(who, e.resource(), x.argv()));
    }

    private static RecordedRequest network(Event e, Principal who) {
        NetworkDetail d = e.detail() instanceof NetworkDetail n ? n : null;
        if (d != null && d.family() == NetworkDetail.Family.UNIX) {
            return new RecordedRequest.NotDecidable("a Unix socket is not a network destination the policy decides");
        }
        Destination parsed = Destination.parse(e.resource());
        String hostname = d == null || d.hostname() == null ? null : HostNames.canonicalRequestName(d.hostname());
        InetAddress address = d == null || d.address() == null ? null : Ips.parse(d.address());
        if (hostname == null && address == null && parsed != null) {
            hostname = parsed.hostname();
            address = parsed.address();
        }
        if (hostname == null && address == null || parsed == null && d == null) {
            return new RecordedRequest.NotDecidable("the destination " + (e.resource() == null ? "was not recorded"
                    : "\"" + e.resource() + "\" is not host:port"));
        }
        int port = parsed != null ? parsed.port() : d.port();
        Transport t = e.kind() == EventKind.NETWORK_CONNECT && d != null && d.protocol() == NetworkDetail.Protocol.UDP
                ? Transport.UDP : Transport.TCP;
        return new RecordedRequest.Decidable(new NetworkRequest(who, hostname, address, port, t));
    }

    /**
     * A {@code host:port} destination as events write it: {@code 93.184.216.34:443},
     * {@code [2606:4700::1]:443}, {@code api.example.com:443}.
     */
    public record Destination(String hostname, InetAddress address, int port) {
        public static Destination parse(String resource) {
            if (resource == null) {
                return null;
            }
            String host;
            String portText;
            if (resource.startsWith("[")) {
                int close = resource.indexOf(']');
                if (close < 0 || close + 1 >= resource.length() || resource.charAt(close + 1) != ':') {
                    return null;
                }
                host = resource.substring(1, close);
                portText = resource.substring(close + 2);
            } else {
                int colon = resource.lastIndexOf(':');
                if (colon <= 0 || resource.indexOf(':') != colon) {
                    return null;
                }
                host = resource.substring(0, colon);
                portText = resource.substring(colon + 1);
            }
            int port;
            try {
                port = Integer.parseInt(portText);
            } catch (NumberFormatException ex) {
                return null;
            }
            if (port < 0 || port > 65535) {
                return null;
            }
            InetAddress a = Ips.parse(host);
            if (a != null) {
                return new Destination(null, Ips.unmap(a), port);
            }
            String name = HostNames.canonicalRequestName(host);
            return name == null ? null : new Destination(name, null, port);
        }
    }

    private static RecordedRequest mcp(Event e, Principal who) {
        McpDetail d = e.detail() instanceof McpDetail m ? m : null;
        String server = d != null && d.server() != null ? d.server() : null;
        String tool = d != null ? d.tool() : null;
        if (server == null && e.resource() != null) {
            int slash = e.resource().indexOf('/');
            server = slash < 0 ? e.resource() : e.resource().substring(0, slash);
            if (tool == null && slash >= 0 && e.kind() == EventKind.MCP_CALL) {
                tool = e.resource().substring(slash + 1);
            }
        }
        if (server == null || server.isEmpty()) {
            return new RecordedRequest.NotDecidable("the MCP server was not recorded");
        }
        JsonNode arguments = null;
        if (d != null && d.arguments() != null) {
            try {
                arguments = JSON.readTree(d.arguments());
            } catch (JsonProcessingException ex) {
                return new RecordedRequest.NotDecidable(e.has(EventFlag.DETAIL_TRUNCATED)
                        ? "the tool call's arguments were cut when recorded" : "the recorded arguments are not JSON");
            }
        }
        return new RecordedRequest.Decidable(new McpRequest(who, server, tool, arguments));
    }
}
