package dev.tether.events;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * What happened. The first seven are the Cedar actions policies are written against (their JSON
 * name is the Cedar action name, e.g. {@code FileOpenReadOnly}); the rest are operations and
 * lifecycle facts that Cedar does not decide but the audit trail records, named in the same style.
 *
 * <p>The declaration order is persisted (the audit store keeps a bit per kind at {@code ordinal()}):
 * add new kinds at the end, never reorder or remove. At most 64 kinds.
 */
public enum EventKind {
    FILE_OPEN("FileOpen", EventFamily.FILE, true, FileDetail.class),
    FILE_OPEN_READ_ONLY("FileOpenReadOnly", EventFamily.FILE, true, FileDetail.class),
    FILE_OPEN_READ_WRITE("FileOpenReadWrite", EventFamily.FILE, true, FileDetail.class),
    PROCESS_EXEC("ProcessExec", EventFamily.PROCESS, true, ExecDetail.class),
    NETWORK_CONNECT("NetworkConnect", EventFamily.NETWORK, true, NetworkDetail.class),
    HTTP_REWRITE("HttpRewrite", EventFamily.HTTP, true, HttpDetail.class),
    MCP_CALL("McpCall", EventFamily.MCP, true, McpDetail.class),

    PROCESS_FORK("ProcessFork", EventFamily.PROCESS, false, ForkDetail.class),
    PROCESS_EXIT("ProcessExit", EventFamily.PROCESS, false, ExitDetail.class),
    FILE_UNLINK("FileUnlink", EventFamily.FILE, false, FileDetail.class),
    FILE_RENAME("FileRename", EventFamily.FILE, false, FileDetail.class),
    FILE_MKDIR("FileMkdir", EventFamily.FILE, false, FileDetail.class),
    FILE_RMDIR("FileRmdir", EventFamily.FILE, false, FileDetail.class),
    FILE_CHMOD("FileChmod", EventFamily.FILE, false, FileDetail.class),
    FILE_CHOWN("FileChown", EventFamily.FILE, false, FileDetail.class),
    FILE_LINK("FileLink", EventFamily.FILE, false, FileDetail.class),
    FILE_SYMLINK("FileSymlink", EventFamily.FILE, false, FileDetail.class),
    NETWORK_BIND("NetworkBind", EventFamily.NETWORK, false, NetworkDetail.class),
    NETWORK_LISTEN("NetworkListen", EventFamily.NETWORK, false, NetworkDetail.class),
    NETWORK_ACCEPT("NetworkAccept", EventFamily.NETWORK, false, NetworkDetail.class),
    NETWORK_SEND_TO("NetworkSendTo", EventFamily.NETWORK, false, NetworkDetail.class),
    HTTP_REQUEST("HttpRequest", EventFamily.HTTP, false, HttpDetail.class),
    MCP_MESSAGE("McpMessage", EventFamily.MCP, false, McpDetail.class),
    POLICY_RELOAD("PolicyReload", EventFamily.POLICY, false, PolicyDetail.class),
    POLICY_REJECTED("PolicyRejected", EventFamily.POLICY, false, PolicyDetail.class),
    SESSION_START("SessionStart", EventFamily.SESSION, false, SessionDetail.class),
    SESSION_END("SessionEnd", EventFamily.SESSION, false, SessionDetail.class),
    EVENTS_LOST("EventsLost", EventFamily.MONITOR, false, LossDetail.class),
    ENFORCEMENT_GAP("EnforcementGap", EventFamily.MONITOR, false, GapDetail.class);

    private static final Map<String, EventKind> BY_LOWER_NAME = Arrays.stream(values())
            .collect(Collectors.toUnmodifiableMap(k -> k.jsonName.toLowerCase(java.util.Locale.ROOT), Function.identity()));

    private final String jsonName;
    private final EventFamily family;
    private final boolean cedarAction;
    private final Class<? extends EventDetail> detailType;

    EventKind(String jsonName, EventFamily family, boolean cedarAction, Class<? extends EventDetail> detailType) {
        this.jsonName = jsonName;
        this.family = family;
        this.cedarAction = cedarAction;
        this.detailType = detailType;
    }

    /** The name in JSON, the store and {@code tether log}: the Cedar action name for Cedar actions. */
    public String jsonName() {
        return jsonName;
    }

    public EventFamily family() {
        return family;
    }

    /** True for the seven kinds that are Cedar actions ({@code Action::"<jsonName>"}). */
    public boolean isCedarAction() {
        return cedarAction;
    }

    /** The only detail record an event of this kind may carry. */
    public Class<? extends EventDetail> detailType() {
        return detailType;
    }

    /** By JSON name, case-insensitively ({@code FileOpenReadOnly}, {@code fileopenreadonly}). */
    public static Optional<EventKind> fromJsonName(String name) {
        return name == null ? Optional.empty() : Optional.ofNullable(BY_LOWER_NAME.get(name.toLowerCase(java.util.Locale.ROOT)));
    }
}
