package dev.tether.policy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * Calling an MCP tool (or, with a null tool, using a server at all). The resource is
 * {@code MCP::Tool::"<tool>"}, a member of {@code MCP::Server::"<server>"}, or the server itself
 * when {@code tool} is null. {@code context.arguments} holds the call's arguments, typed as the
 * policy uses them (see docs/policy.md).
 *
 * @param arguments the JSON object of the tool call's arguments, or null
 */
public record McpRequest(Principal principal, String server, String tool, JsonNode arguments) implements Request {
    public McpRequest {
        Objects.requireNonNull(principal, "principal");
        Objects.requireNonNull(server, "server");
    }

    @Override
    public Action action() {
        return Action.MCP_CALL;
    }
}
