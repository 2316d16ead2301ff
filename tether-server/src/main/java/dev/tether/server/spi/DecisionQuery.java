package dev.tether.server.spi;

import java.util.List;

/**
 * A request to evaluate against the current policy without anything happening ("what would the
 * policy say?"). {@code action} is a Cedar action name such as {@code FileOpenReadOnly}; {@code
 * resource} is the path, host[:port] or MCP tool the action targets. {@code argv} only for
 * ProcessExec, {@code server} only for McpCall.
 */
public record DecisionQuery(
        String agent, String session, String action, String resource, List<String> argv, String server) {}
