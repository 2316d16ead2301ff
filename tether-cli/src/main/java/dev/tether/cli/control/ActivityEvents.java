package dev.tether.cli.control;

import dev.tether.events.DetailFields;
import dev.tether.events.Event;
import dev.tether.events.EventDetail;
import dev.tether.events.EventFlag;
import dev.tether.events.McpDetail;
import dev.tether.events.tree.ProcessStep;
import dev.tether.server.spi.ActivityEvent;
import dev.tether.server.spi.ProcessInfo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How a recorded {@link Event} looks on the control plane (REST and live stream): the
 * {@link ActivityEvent} of docs/api.md. The family's detail keeps the audit trail's field names
 * (docs/events.md); the observing layer, the errno and the faithfulness flags ride along in it,
 * since the control plane's event has no fields of its own for them.
 */
final class ActivityEvents {
    /** {@code e} as stored under id {@code seq}, with the acting process's ancestry. */
    ActivityEvent from(long seq, Event e, List<ProcessInfo> chain) {
        Map<String, Object> detail = new LinkedHashMap<>();
        if (e.detail() != null) {
            putFields(e.detail(), detail);
        }
        detail.put("layer", e.layer().jsonName());
        if (e.errno() != null) {
            detail.put("errno", e.errno());
        }
        if (!e.flags().isEmpty()) {
            List<String> flags = new ArrayList<>(e.flags().size());
            for (EventFlag f : e.flags()) {
                flags.add(f.jsonName());
            }
            detail.put("eventFlags", flags);
        }
        return new ActivityEvent(seq, e.timeNs(), e.session(), e.principal(), e.pid(), e.ppid(), e.comm(), e.exe(),
                e.kind().jsonName(), resource(e), e.decision(), e.policies(), e.reason(), chain, detail);
    }

    /**
     * {@code d}'s fields into {@code out} under the audit trail's names, in its order
     * ({@link DetailFields}, which the store's {@code EventWriter} writes from too); absent ones
     * omitted (ActivityEvent's {@code Map.copyOf} refuses nulls). Not Jackson's
     * {@code convertValue}, which was ~45% of the live feed's CPU (once per recorded event, watched
     * or not); ActivityEventsTest holds the two to the same JSON for every detail type.
     */
    static void putFields(EventDetail d, Map<String, Object> out) {
        DetailFields.visit(d, (DetailFields.Values) out::put);
    }

    /**
     * The control plane names an MCP call's tool as its resource and keeps the server in
     * {@code detail.server} (so "allow this" proposes {@code MCP::Tool} with a server condition); the
     * audit trail's {@code server/tool} resource is kept for everything else.
     */
    private static String resource(Event e) {
        if (e.detail() instanceof McpDetail m && m.tool() != null) {
            return m.tool();
        }
        return e.resource();
    }

    /**
     * The chain the UI shows: the acting process as the event saw it, then its ancestors from the
     * session's recorded forks and execs ({@code ancestryOfParent}, which may be empty).
     */
    static List<ProcessInfo> chain(Event e, List<ProcessStep> ancestryOfParent) {
        if (e.pid() <= 0) {
            return List.of();
        }
        List<ProcessInfo> out = new ArrayList<>(1 + ancestryOfParent.size());
        out.add(new ProcessInfo(e.pid(), e.comm(), e.exe()));
        for (ProcessStep s : ancestryOfParent) {
            out.add(new ProcessInfo(s.pid(), commOf(s), s.exe()));
        }
        return out;
    }

    /** What {@code comm} shows for a recorded ancestor: its program's file name (the kernel keeps 15 bytes of it). */
    private static String commOf(ProcessStep s) {
        String name = s.exe() != null ? s.exe() : s.argv().isEmpty() ? null : s.argv().getFirst();
        if (name == null) {
            return null;
        }
        name = name.substring(name.lastIndexOf('/') + 1);
        return name.length() > 15 ? name.substring(0, 15) : name;
    }
}
