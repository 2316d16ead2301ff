package dev.tether.fuzz.policy;

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
import dev.tether.policy.text.Lexer;
import dev.tether.policy.text.Statement;
import dev.tether.policy.text.Token;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Requests that meet a policy: built from the string literals the policy itself names (paths,
 * hosts, addresses, MCP names), exactly, one level below and beside them, so a fuzzed policy is
 * asked about what it talks about rather than about unrelated names it trivially denies.
 */
final class PolicyRequests {
    /** Bounds the cost per input: cedar-java takes tens of microseconds per request. */
    private static final int MAX_LITERALS = 12;

    private PolicyRequests() {}

    static List<Request> derivedFrom(String text) {
        Set<String> literals = new LinkedHashSet<>();
        Set<String> principals = new LinkedHashSet<>(List.of("claude"));
        for (Statement st : Lexer.lex(text).statements()) {
            List<Token> toks = st.tokens();
            for (int i = 0; i < toks.size(); i++) {
                Token t = toks.get(i);
                if (t.kind() != Token.Kind.STRING || literals.size() >= MAX_LITERALS) {
                    continue;
                }
                boolean agent = i >= 2 && toks.get(i - 1).isPunct("::") && toks.get(i - 2).value().equals("Agent");
                if (agent && !t.value().isEmpty()) {
                    principals.add(t.value());
                } else {
                    literals.add(t.value());
                }
            }
        }
        List<Request> out = new ArrayList<>();
        for (String agent : principals.stream().limit(3).toList()) {
            Principal p = new Principal(agent, "s1");
            for (String lit : literals) {
                addFor(p, lit, out);
            }
            addFor(p, "/workspace/src/main.c", out);
        }
        return out;
    }

    private static void addFor(Principal p, String lit, List<Request> out) {
        if (lit.startsWith("/")) {
            String trimmed = lit.endsWith("/") ? lit.substring(0, lit.length() - 1) : lit;
            for (String path : List.of(lit, trimmed + "/child", trimmed + "x")) {
                out.add(new FileRequest(p, Action.FILE_OPEN_READ_ONLY, path));
                out.add(new FileRequest(p, Action.FILE_OPEN_READ_WRITE, path));
            }
            out.add(new ExecRequest(p, lit, List.of(lit, "push", "--force")));
            out.add(new ExecRequest(p, lit, List.of(lit)));
            return;
        }
        String host = lit;
        int port = 443;
        int colon = lit.lastIndexOf(':');
        if (colon > 0 && !lit.startsWith("[") && lit.indexOf(':') == colon) {
            host = lit.substring(0, colon);
            try {
                port = Integer.parseInt(lit.substring(colon + 1));
            } catch (NumberFormatException e) {
                port = 443;
            }
            if (port < 0 || port > 65535) {
                port = 443;
            }
        }
        if (host.startsWith("*.")) {
            host = "api" + host.substring(1);
        }
        if (!host.isEmpty() && host.length() < 254) {
            out.add(new NetworkRequest(p, host, null, port, Transport.TCP));
            out.add(new NetworkRequest(p, "sub." + host, null, port, Transport.UDP));
            InetAddress literal = addressLiteral(host);
            if (literal != null) {
                out.add(new NetworkRequest(p, null, literal, port, Transport.TCP));
            }
        }
        ObjectNode args = JsonNodeFactory.instance.objectNode().put("path", lit).put("count", lit.length());
        out.add(new McpRequest(p, lit, null, null));
        out.add(new McpRequest(p, "server", lit, args));
        out.add(new McpRequest(p, lit, lit, null));
    }

    /** Only literals that already are addresses: never a DNS lookup. */
    private static InetAddress addressLiteral(String s) {
        String h = s.startsWith("[") && s.endsWith("]") ? s.substring(1, s.length() - 1) : s;
        int slash = h.indexOf('/');
        if (slash > 0) {
            h = h.substring(0, slash);
        }
        boolean v4 = h.matches("\\d{1,3}(\\.\\d{1,3}){3}");
        boolean v6 = h.contains(":") && h.matches("[0-9A-Fa-f:.]+");
        if (!v4 && !v6) {
            return null;
        }
        try {
            return InetAddress.getByName(h);
        } catch (UnknownHostException e) {
            return null;
        }
    }
}
