package dev.tether.server.policy;

import dev.tether.server.spi.ActivityEvent;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The most recently seen paths, directories, hosts, MCP servers/tools and agents, fed from the event
 * stream, so the editor can offer what the agents actually touched. Bounded per kind (least recently
 * seen evicted); thread-safe.
 */
public final class ObservedResources {
    public enum Kind {
        FILE,
        DIR,
        HOST,
        MCP_SERVER,
        MCP_TOOL,
        AGENT
    }

    private final int capacity;
    private final Map<Kind, LinkedHashMap<String, Boolean>> byKind = new java.util.EnumMap<>(Kind.class);

    public ObservedResources(int capacityPerKind) {
        this.capacity = capacityPerKind;
        for (Kind k : Kind.values()) {
            byKind.put(k, new LinkedHashMap<>(64, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                    return size() > capacity;
                }
            });
        }
    }

    public void record(ActivityEvent e) {
        if (e.agent() != null) {
            add(Kind.AGENT, e.agent());
        }
        String r = e.resource();
        if (r == null || r.isEmpty() || e.action() == null) {
            return;
        }
        switch (e.action()) {
            case "FileOpen", "FileOpenReadOnly", "FileOpenReadWrite", "ProcessExec" -> {
                add(Kind.FILE, r);
                int slash = r.lastIndexOf('/');
                if (slash > 0) {
                    add(Kind.DIR, r.substring(0, slash + 1));
                }
            }
            case "NetworkConnect", "HttpRewrite" -> {
                add(Kind.HOST, r);
                String bare = r.replaceFirst(":\\d+$", "");
                if (!bare.equals(r)) {
                    add(Kind.HOST, bare);
                }
            }
            case "McpCall" -> {
                add(Kind.MCP_TOOL, r);
                Object server = e.detail().get("server");
                if (server != null) {
                    add(Kind.MCP_SERVER, server.toString());
                }
            }
            default -> {}
        }
    }

    private void add(Kind k, String v) {
        LinkedHashMap<String, Boolean> m = byKind.get(k);
        synchronized (m) {
            m.put(v, Boolean.TRUE);
        }
    }

    /** Most recently seen first. */
    public List<String> values(Kind k) {
        LinkedHashMap<String, Boolean> m = byKind.get(k);
        List<String> out;
        synchronized (m) {
            out = new ArrayList<>(m.keySet());
        }
        Collections.reverse(out);
        return out;
    }
}
