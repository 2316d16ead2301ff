package dev.tether.policy;

import java.util.Optional;

/**
 * The Cedar actions tether understands, written in policies as {@code Action::"<cedarName>"}.
 *
 * <p>The three file actions are distinct, with no action groups: an open for reading is
 * {@code FileOpenReadOnly}, any open that can write is {@code FileOpenReadWrite}, and
 * {@code FileOpen} is an open whose access mode the enforcing layer could not tell. This is what
 * makes Leash's {@code action in [Action::"FileOpen", Action::"FileOpenReadOnly"]} read-only.
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
