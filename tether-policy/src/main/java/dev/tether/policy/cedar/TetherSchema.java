package dev.tether.policy.cedar;

import dev.tether.policy.model.ArgType;

/**
 * The Cedar schema of tether's entity model. Validating against it turns typos in entity types,
 * actions and context attributes into errors, and guarantees (strict validation) that no
 * statement can hit a runtime error, which is what lets the compiler treat conditions as plain
 * boolean logic.
 */
public final class TetherSchema {
    private TetherSchema() {}

    /** The schema text, with {@code context.arguments} of {@code McpCall} typed as given. */
    public static String text(ArgType.Rec mcpArguments) {
        return """
                entity Team in [Team];
                entity Session in [Team];
                entity Agent in [Session, Team];
                entity Dir;
                entity File in [Dir];
                entity DnsZone;
                entity Net;
                entity Host in [Host, DnsZone, Net];
                namespace MCP {
                  entity Server;
                  entity Tool in [Server];
                }
                action FileOpen, FileOpenReadOnly, FileOpenReadWrite
                  appliesTo { principal: [Agent], resource: [File], context: {} };
                action ProcessExec appliesTo {
                  principal: [Agent], resource: [File],
                  context: { argv: Set<String>, args: String }
                };
                action NetworkConnect appliesTo {
                  principal: [Agent], resource: [Host],
                  context: { hostname: String, port: Long, protocol: String }
                };
                action HttpRewrite appliesTo {
                  principal: [Agent], resource: [Host],
                  context: { header: String, value: String }
                };
                action McpCall appliesTo {
                  principal: [Agent], resource: [MCP::Tool, MCP::Server],
                  context: { arguments: %s }
                };
                """.formatted(mcpArguments.cedarSchema());
    }
}
