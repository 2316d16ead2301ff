package dev.tether.server.policy;

import dev.tether.server.spi.ActivityEvent;

/**
 * Turns one observed event into the narrowest Cedar statement that allows ("allow this") or forbids
 * ("deny this") exactly it: its agent, its action, its resource.
 */
public final class StatementProposer {
    private StatementProposer() {}

    public enum Effect {
        PERMIT,
        FORBID
    }

    public static String propose(ActivityEvent e, Effect effect) {
        return build(effect, e.agent(), e.action(), e.resource(), e.detail().get("server"));
    }

    /** Same, from the parts (Leash's add-from-action). */
    public static String build(Effect effect, String agent, String action, String resource, Object mcpServer) {
        if (action == null || !CedarVocabulary.ACTIONS.containsKey(action)) {
            throw new IllegalArgumentException("cannot propose a statement for action '" + action + "'");
        }
        if (resource == null || resource.isBlank()) {
            throw new IllegalArgumentException("cannot propose a statement without a resource");
        }
        String principal = agent == null || agent.isBlank() ? "principal" : "principal == Agent::" + quote(agent);
        String res = switch (action) {
            case "NetworkConnect", "HttpRewrite" -> "resource == Host::" + quote(resource);
            case "McpCall" -> "resource == MCP::Tool::" + quote(resource);
            default -> "resource == File::" + quote(resource);
        };
        String stmt = (effect == Effect.PERMIT ? "permit" : "forbid") + " (\n    " + principal
                + ",\n    action == Action::" + quote(action) + ",\n    " + res + "\n)";
        if (action.equals("McpCall") && mcpServer != null) {
            stmt += "\nwhen { context.server == " + quote(mcpServer.toString()) + " }";
        }
        return stmt + ";";
    }

    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\r' -> sb.append("\\r");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u{%x}", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
