package dev.tether.policy;

/**
 * One operation to decide. Each kind maps to a Cedar request with a fixed entity model,
 * documented on the record and in docs/policy.md.
 */
public sealed interface Request permits FileRequest, ExecRequest, NetworkRequest, McpRequest {
    Principal principal();

    Action action();
}
