package dev.tether.policy;

import java.util.Optional;

/**
 * The Cedar actions tether understands, written in policies as {@code Action::"<cedarName>"}.
 *
 * <p>{@code FileOpenReadOnly} and {@code FileOpenReadWrite} are members of the action group
 * {@code FileOpen}: {@code action in Action::"FileOpen"} covers every open, while
 * {@code action == Action::"FileOpen"} only matches requests whose access mode is unknown.
 */
public enum Action {
    FILE_OPEN("FileOpen"),
    FILE_OPEN_READ_ONLY("FileOpenReadOnly"),
    FILE_OPEN_READ_WRITE("FileOpenReadWrite"),
    PROCESS_EXEC("ProcessExec"),
    NETWORK_CONNECT("NetworkConnect"),
    HTTP_REWRITE("HttpRewrite"),
    MCP_CALL("McpCall");

    private final String cedarName;

    Action(String cedarName) {
        this.cedarName = cedarName;
    }

    /** The entity id in {@code Action::"<id>"}, e.g. {@code FileOpenReadOnly}. */
    public String cedarName() {
        return cedarName;
    }

    /** True for the three file-open actions. */
    public boolean isFileOpen() {
        return this == FILE_OPEN || this == FILE_OPEN_READ_ONLY || this == FILE_OPEN_READ_WRITE;
    }

    public static Optional<Action> fromCedarName(String name) {
        for (Action a : values()) {
            if (a.cedarName.equals(name)) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }
}
