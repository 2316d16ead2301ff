package dev.tether.learn.suggest;

import dev.tether.events.Event;
import dev.tether.events.EventKind;
import dev.tether.events.HttpDetail;
import dev.tether.events.Verdict;
import dev.tether.learn.ProjectAliases;
import dev.tether.learn.RecordedRequest;
import dev.tether.learn.RecordedRequests;
import dev.tether.policy.Action;
import dev.tether.policy.ExecRequest;
import dev.tether.policy.FileRequest;
import dev.tether.policy.McpRequest;
import dev.tether.policy.NetworkRequest;
import dev.tether.policy.Request;
import dev.tether.policy.Transport;
import dev.tether.policy.model.Ips;
import dev.tether.policy.model.PathNames;
import java.util.EnumMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Everything a recording shows, folded per agent: which files each action used, which programs ran
 * with which arguments, which destinations were reached on which ports, which MCP tools were
 * called; and, across agents, what was refused and what could not be used. Order-independent (so
 * the same events in any order give the same suggestion). Not thread-safe.
 */
final class Observations {
    /** A port and transport a destination was reached on. */
    record PortProto(int port, Transport transport) implements Comparable<PortProto> {
        @Override
        public int compareTo(PortProto o) {
            return port != o.port ? Integer.compare(port, o.port) : transport.compareTo(o.transport);
        }

        String describe() {
            return port + "/" + transport.cedarName();
        }
    }

    static final class ExecObs {
        final Evidence.Tally total = new Evidence.Tally();
        final SortedMap<String, Evidence.Tally> byArgs = new TreeMap<>();
        /** Set when some run's arguments were cut or escaped in the recording: they cannot be constrained. */
        boolean argsUnknown;
    }

    static final class McpObs {
        Evidence.Tally serverLevel;
        final SortedMap<String, Evidence.Tally> tools = new TreeMap<>();
    }

    static final class AgentObs {
        final Map<Action, SortedMap<String, Evidence.Tally>> files = new EnumMap<>(Action.class);
        /** Paths (in the project's own name) that were recorded under /workspace. */
        final java.util.Set<String> seenAsWorkspace = new TreeSet<>();
        final SortedMap<String, ExecObs> execs = new TreeMap<>();
        final SortedMap<String, SortedMap<PortProto, Evidence.Tally>> hosts = new TreeMap<>();
        final SortedMap<String, SortedMap<PortProto, Evidence.Tally>> addresses = new TreeMap<>();
        final SortedMap<String, McpObs> mcp = new TreeMap<>();
        /** "host:port header" → header injections seen. */
        final SortedMap<String, Evidence.Tally> rewrites = new TreeMap<>();
    }

    /** A refused request, keyed by what was asked (so repeats fold together). */
    static final class Refusal {
        final String agent;
        final Request request;
        /** What was asked for, in the project's own name: path, "path args", host:port/proto, server/tool. */
        final String resource;
        final Evidence.Tally tally = new Evidence.Tally();
        final TreeSet<String> policies = new TreeSet<>();
        String reason;

        Refusal(String agent, Request request, String resource) {
            this.agent = agent;
            this.request = request;
            this.resource = resource;
        }
    }

    final SortedMap<String, AgentObs> agents = new TreeMap<>();
    final SortedMap<String, Refusal> refusals = new TreeMap<>();
    /** Refusals that no statement could lift (tether's own: killed execs, raw sockets), by kind and reason. */
    final SortedMap<String, Evidence.Tally> unliftable = new TreeMap<>();
    final SortedMap<String, Long> unusable = new TreeMap<>();
    /** Every session an event was read from, with the agents it recorded. */
    final SortedMap<String, Evidence.Tally> sessions = new TreeMap<>();
    final SortedMap<String, TreeSet<String>> sessionAgents = new TreeMap<>();
    long read;
    long used;

    private final ProjectAliases project;

    Observations(ProjectAliases project) {
        this.project = project;
    }

    void add(Event e) {
        read++;
        if (e.session() != null) {
            sessions.computeIfAbsent(e.session(), k -> new Evidence.Tally()).add(e);
            if (e.principal() != null) {
                sessionAgents.computeIfAbsent(e.session(), k -> new TreeSet<>()).add(e.principal());
            }
        }
        if (e.kind() == EventKind.HTTP_REWRITE) {
            if (e.principal() != null && e.detail() instanceof HttpDetail h && h.header() != null && e.resource() != null) {
                agent(e.principal()).rewrites.computeIfAbsent(e.resource() + " " + h.header(), k -> new Evidence.Tally()).add(e);
                used++;
            }
            return;
        }
        if (!RecordedRequests.isObservation(e)) {
            return;
        }
        boolean refused = e.decision() == Verdict.DENY || e.decision() == Verdict.WOULD_DENY && !e.policies().isEmpty();
        switch (RecordedRequests.of(e)) {
            case RecordedRequest.NotDecidable nd -> {
                String execPath = RecordedRequests.execPath(e);
                if (execPath != null && !refused && e.principal() != null) {
                    ExecObs x = agent(e.principal()).execs.computeIfAbsent(preferred(execPath), k -> new ExecObs());
                    x.total.add(e);
                    x.argsUnknown = true;
                    used++;
                } else if (refused) {
                    unliftable.computeIfAbsent(e.kind().jsonName() + ": " + (e.reason() == null ? nd.reason() : e.reason()),
                            k -> new Evidence.Tally()).add(e);
                    used++;
                } else {
                    unusable.merge(e.kind().jsonName() + ": " + nd.reason(), 1L, Long::sum);
                }
            }
            case RecordedRequest.Decidable d -> {
                used++;
                if (refused) {
                    refuse(e, d.request());
                } else {
                    permit(e, d.request());
                }
            }
        }
    }

    private AgentObs agent(String name) {
        return agents.computeIfAbsent(name, k -> new AgentObs());
    }

    private String preferred(String path) {
        String n = PathNames.normalise(path);
        return project.preferred(n == null ? path : n);
    }

    private void permit(Event e, Request r) {
        AgentObs a = agent(r.principal().agent());
        switch (r) {
            case FileRequest f -> {
                String p = preferred(f.path());
                if (!p.equals(PathNames.normalise(f.path()))) {
                    a.seenAsWorkspace.add(p);
                }
                a.files.computeIfAbsent(f.action(), k -> new TreeMap<>()).computeIfAbsent(p, k -> new Evidence.Tally()).add(e);
            }
            case ExecRequest x -> {
                ExecObs o = a.execs.computeIfAbsent(preferred(x.path()), k -> new ExecObs());
                o.total.add(e);
                o.byArgs.computeIfAbsent(args(x), k -> new Evidence.Tally()).add(e);
            }
            case NetworkRequest n -> {
                PortProto pp = new PortProto(n.port(), n.transport());
                SortedMap<String, SortedMap<PortProto, Evidence.Tally>> where = n.hostname() != null ? a.hosts : a.addresses;
                String key = n.hostname() != null ? n.hostname() : Ips.format(Ips.unmap(n.address()));
                where.computeIfAbsent(key, k -> new TreeMap<>()).computeIfAbsent(pp, k -> new Evidence.Tally()).add(e);
            }
            case McpRequest m -> {
                McpObs o = a.mcp.computeIfAbsent(m.server(), k -> new McpObs());
                if (m.tool() == null) {
                    if (o.serverLevel == null) {
                        o.serverLevel = new Evidence.Tally();
                    }
                    o.serverLevel.add(e);
                } else {
                    o.tools.computeIfAbsent(m.tool(), k -> new Evidence.Tally()).add(e);
                }
            }
        }
    }

    private void refuse(Event e, Request r) {
        String resource = switch (r) {
            case FileRequest f -> preferred(f.path());
            case ExecRequest x -> preferred(x.path()) + (x.argv().size() > 1 ? " " + args(x) : "");
            case NetworkRequest n -> (n.hostname() != null ? n.hostname() + ":" + n.port()
                    : Ips.formatWithPort(Ips.unmap(n.address()), n.port())) + "/" + n.transport().cedarName();
            case McpRequest m -> m.tool() == null ? m.server() : m.server() + "/" + m.tool();
        };
        String key = r.principal().agent() + "\u0000" + r.action().cedarName() + "\u0000" + resource;
        Refusal ref = refusals.computeIfAbsent(key, k -> new Refusal(r.principal().agent(), r, resource));
        ref.tally.add(e);
        ref.policies.addAll(e.policies());
        if (e.reason() != null && (ref.reason == null || e.reason().compareTo(ref.reason) < 0)) {
            ref.reason = e.reason(); // the same one whatever the order events came in
        }
    }

    /** {@code context.args}: the arguments after the program name, joined by single spaces. */
    static String args(ExecRequest x) {
        return x.argv().size() <= 1 ? "" : String.join(" ", x.argv().subList(1, x.argv().size()));
    }
}
