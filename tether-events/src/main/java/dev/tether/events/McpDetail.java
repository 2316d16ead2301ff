package dev.tether.events;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The MCP family, recorded by the MCP observer / stdio relay. The event's {@code resource} is
 * {@code server/tool} for tool calls, else the server name.
 *
 * @param server MCP server name or host
 * @param transport {@code stdio}, {@code http} or {@code sse}
 * @param direction {@code request}, {@code response} or {@code notification}
 * @param method JSON-RPC method ({@code tools/call}, ...)
 * @param tool the tool for {@code tools/call}, else null
 * @param id JSON-RPC id as text, null for notifications
 * @param arguments the tool arguments as compact JSON, cut to {@link EventLimits#MAX_TEXT_BYTES}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record McpDetail(String server, String transport, String direction, String method, String tool, String id,
        String arguments) implements EventDetail {
    @Override
    public McpDetail withinLimits() {
        EventLimits.Cut s = EventLimits.cutText(server);
        EventLimits.Cut m = EventLimits.cutText(method);
        EventLimits.Cut t = EventLimits.cutText(tool);
        EventLimits.Cut i = EventLimits.cutText(id);
        EventLimits.Cut a = EventLimits.cutText(arguments);
        if (s.truncated() || m.truncated() || t.truncated() || i.truncated() || a.truncated()) {
            return new McpDetail(s.text(), transport, direction, m.text(), t.text(), i.text(), a.text());
        }
        return this;
    }
}
