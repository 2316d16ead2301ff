package dev.tether.cli.control;

import dev.tether.events.Event;
import dev.tether.events.EventDetail;
import dev.tether.events.EventFlag;
import dev.tether.events.ExecDetail;
import dev.tether.events.ExitDetail;
import dev.tether.events.FileDetail;
import dev.tether.events.ForkDetail;
import dev.tether.events.GapDetail;
import dev.tether.events.HttpDetail;
import dev.tether.events.LossDetail;
import dev.tether.events.McpDetail;
import dev.tether.events.NetworkDetail;
import dev.tether.events.PolicyDetail;
import dev.tether.events.SessionDetail;
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
     * {@code d}'s fields into {@code out} under the audit trail's names (docs/events.md, as the
     * store's {@code EventWriter} writes them), absent ones omitted (ActivityEvent's
     * {@code Map.copyOf} refuses nulls). Written out rather than Jackson's {@code convertValue},
     * which was ~45% of the live feed's CPU (once per recorded event, watched or not);
     * ActivityEventsTest holds the two to the same JSON for every detail type.
     */
    static void putFields(EventDetail d, Map<String, Object> out) {
        switch (d) {
            case FileDetail f -> {
                put(out, "flags", f.flags());
                put(out, "mode", f.mode());
                put(out, "target", f.target());
                put(out, "uid", f.uid());
                put(out, "gid", f.gid());
            }
            case ExecDetail x -> {
                put(out, "argv", x.argv());
                out.put("argc", x.argc());
                put(out, "cwd", x.cwd());
                put(out, "uid", x.uid());
            }
            case ForkDetail f -> out.put("childPid", f.childPid());
            case ExitDetail x -> {
                out.put("exitCode", x.exitCode());
                out.put("signal", x.signal());
                out.put("coreDumped", x.coreDumped());
            }
            case NetworkDetail n -> {
                put(out, "family", n.family() == null ? null : n.family().jsonName());
                put(out, "protocol", n.protocol() == null ? null : n.protocol().jsonName());
                put(out, "address", n.address());
                out.put("port", n.port());
                put(out, "hostname", n.hostname());
            }
            case HttpDetail h -> {
                put(out, "method", h.method());
                put(out, "url", h.url());
                put(out, "status", h.status());
                put(out, "header", h.header());
            }
            case McpDetail m -> {
                put(out, "server", m.server());
                put(out, "transport", m.transport());
                put(out, "direction", m.direction());
                put(out, "method", m.method());
                put(out, "tool", m.tool());
                put(out, "id", m.id());
                put(out, "arguments", m.arguments());
            }
            case PolicyDetail p -> {
                out.put("generation", p.generation());
                put(out, "policies", p.policies());
                put(out, "errors", p.errors());
            }
            case SessionDetail x -> {
                put(out, "command", x.command());
                put(out, "mode", x.mode());
                put(out, "sandbox", x.sandbox());
                put(out, "exitCode", x.exitCode());
            }
            case LossDetail l -> {
                put(out, "source", l.source());
                out.put("count", l.count());
            }
            case GapDetail g -> {
                put(out, "mechanism", g.mechanism());
                put(out, "action", g.action());
                put(out, "reason", g.reason());
            }
        }
    }

    private static void put(Map<String, Object> out, String name, Object value) {
        if (value != null) {
            out.put(name, value);
        }
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
