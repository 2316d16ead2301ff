package dev.tether.events;

import java.util.Optional;

/** Which part of tether observed (and, where it decides, enforced) the event. */
public enum EventLayer {
    /** BPF tracepoint monitors. */
    KERNEL("kernel"),
    /** fanotify permission events (file open/exec decisions). */
    FANOTIFY("fanotify"),
    /** cgroup-BPF socket hooks (connect/sendmsg decisions). */
    CGROUP_BPF("cgroup-bpf"),
    LANDLOCK("landlock"),
    /** The HTTP(S) proxy. */
    PROXY("proxy"),
    /** The MCP observer and stdio relay. */
    MCP("mcp"),
    /** Policy loading and reload. */
    POLICY("policy"),
    /** The tether daemon itself: sessions, loss reports. */
    DAEMON("daemon");

    private final String jsonName;

    EventLayer(String jsonName) {
        this.jsonName = jsonName;
    }

    public String jsonName() {
        return jsonName;
    }

    public static Optional<EventLayer> fromJsonName(String name) {
        for (EventLayer l : values()) {
            if (l.jsonName.equalsIgnoreCase(name)) {
                return Optional.of(l);
            }
        }
        return Optional.empty();
    }
}
