package dev.tether.server.policy;

import java.util.List;
import java.util.Map;

/** The actions and entity types of tether's Cedar dialect (Leash's, plus principals, Net and MCP). */
public final class CedarVocabulary {
    private CedarVocabulary() {}

    /** Action name → what it covers, for completions and lint. */
    public static final Map<String, String> ACTIONS = orderedMap(
            "FileOpen", "open a file for reading or writing",
            "FileOpenReadOnly", "open a file read-only",
            "FileOpenReadWrite", "open a file for writing",
            "ProcessExec", "execute a program (context.argv, context.args)",
            "NetworkConnect", "connect to a host, address or network",
            "HttpRewrite", "inject or rewrite an HTTP header (context.header, context.value)",
            "McpCall", "call an MCP tool (context.arguments)");

    /** Entity type → what its ids name. */
    public static final Map<String, String> ENTITY_TYPES = orderedMap(
            "Agent", "an agent principal, e.g. Agent::\"claude\"",
            "Session", "one session principal",
            "Team", "a group of agents from the principals file",
            "Container", "a sandbox container principal",
            "File", "an exact absolute path",
            "Dir", "a directory prefix ending in /",
            "Host", "a host name, *.wildcard, host:port or IP",
            "DnsZone", "a DNS zone and everything under it",
            "Net", "a CIDR range, IPv4 or IPv6",
            "MCP::Server", "an MCP server by name or host",
            "MCP::Tool", "an MCP tool by name",
            "Action", "an action");

    public static final List<String> KEYWORDS = List.of(
            "permit", "forbid", "when", "unless", "principal", "action", "resource", "context", "in", "like", "has",
            "is", "if", "then", "else", "true", "false");

    public static final List<String> CONTEXT_KEYS = List.of(
            "context.hostname", "context.argv", "context.args", "context.header", "context.value",
            "context.arguments", "context.server", "context.port");

    private static Map<String, String> orderedMap(String... kv) {
        var m = new java.util.LinkedHashMap<String, String>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return java.util.Collections.unmodifiableMap(m);
    }
}
