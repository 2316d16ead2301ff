package dev.tether.proxy.testing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.proxy.decide.HeaderRewrite;
import dev.tether.proxy.decide.ProxyDecisions;
import dev.tether.proxy.decide.Verdict;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * A small, real rule table implementing {@link ProxyDecisions} with Cedar's shape (default deny,
 * forbid beats permit, Leash host patterns: {@code *.example.com} matches sub-domains only).
 * Stands in for the policy module until it is merged; rules can change between requests, like a
 * policy reload.
 */
public final class RuleDecisions implements ProxyDecisions {
    public record HostRule(String id, boolean permit, String pattern) {}

    public record ToolRule(String id, boolean permit, String server, String tool, Predicate<JsonNode> when) {}

    public final List<HostRule> hosts = new CopyOnWriteArrayList<>();
    public final List<ToolRule> tools = new CopyOnWriteArrayList<>();
    public final List<HeaderRewrite> rewrites = new CopyOnWriteArrayList<>();
    public final Map<String, String> rewriteHosts = new java.util.concurrent.ConcurrentHashMap<>();

    public RuleDecisions permitHost(String id, String pattern) {
        hosts.add(new HostRule(id, true, pattern));
        return this;
    }

    public RuleDecisions forbidHost(String id, String pattern) {
        hosts.add(new HostRule(id, false, pattern));
        return this;
    }

    /** Forbids connections to addresses starting with {@code prefix} (a stand-in for {@code Net::} rules). */
    public RuleDecisions forbidAddress(String id, String prefix) {
        hosts.add(new HostRule(id, false, "addr:" + prefix));
        return this;
    }

    public RuleDecisions permitTool(String id, String server, String tool) {
        tools.add(new ToolRule(id, true, server, tool, a -> true));
        return this;
    }

    public RuleDecisions permitTool(String id, String server, String tool, Predicate<JsonNode> when) {
        tools.add(new ToolRule(id, true, server, tool, when));
        return this;
    }

    public RuleDecisions forbidTool(String id, String server, String tool) {
        tools.add(new ToolRule(id, false, server, tool, a -> true));
        return this;
    }

    public RuleDecisions rewrite(String id, String host, String header, String value) {
        rewrites.add(new HeaderRewrite(header, value, id));
        rewriteHosts.put(id, host);
        return this;
    }

    static boolean hostMatches(String pattern, String host, int port) {
        String p = pattern;
        int colon = p.lastIndexOf(':');
        if (colon > 0 && p.indexOf(':') == colon) {
            if (Integer.parseInt(p.substring(colon + 1)) != port) return false;
            p = p.substring(0, colon);
        }
        if (p.startsWith("*.")) return host.endsWith(p.substring(1)) && host.length() > p.length() - 1;
        return p.equals(host);
    }

    @Override
    public Verdict connect(String hostname, InetAddress address, int port) {
        String h = hostname != null ? hostname : address == null ? "" : address.getHostAddress();
        List<String> permits = new ArrayList<>();
        for (HostRule r : hosts) {
            if (r.pattern().startsWith("addr:")) {
                if (address != null && address.getHostAddress().startsWith(r.pattern().substring(5))) {
                    return Verdict.deny("forbid " + r.id() + " matched address " + address.getHostAddress(), r.id());
                }
                continue;
            }
            if (!hostMatches(r.pattern(), h, port)) continue;
            if (!r.permit()) return Verdict.deny("forbid " + r.id() + " matched " + h, r.id());
            permits.add(r.id());
        }
        return permits.isEmpty() ? Verdict.deny("no permit matched " + h + ":" + port)
                : new Verdict(true, permits, "permit " + String.join(",", permits));
    }

    @Override
    public Verdict mcpCall(String server, String tool, JsonNode arguments) {
        List<String> permits = new ArrayList<>();
        for (ToolRule r : tools) {
            if (!r.server().equals("*") && !r.server().equals(server)) continue;
            if (!r.tool().equals("*") && !r.tool().equals(tool)) continue;
            boolean when;
            try {
                when = r.when().test(arguments);
            } catch (RuntimeException e) {
                when = false; // like a Cedar evaluation error: the policy does not apply
            }
            if (!when) continue;
            if (!r.permit()) return Verdict.deny("forbid " + r.id() + " matched tool " + tool, r.id());
            permits.add(r.id());
        }
        return permits.isEmpty() ? Verdict.deny("no permit for tool " + tool + " on " + server)
                : new Verdict(true, permits, "permit " + String.join(",", permits));
    }

    @Override
    public List<HeaderRewrite> headerRewrites(String hostname, int port) {
        List<HeaderRewrite> out = new ArrayList<>();
        for (HeaderRewrite r : rewrites) {
            if (hostMatches(rewriteHosts.get(r.policyId()), hostname, port)) out.add(r);
        }
        return out;
    }
}
