package dev.tether.learn.suggest;

import dev.tether.events.Event;
import dev.tether.events.EventKind;
import dev.tether.learn.AliasedDecisions;
import dev.tether.learn.CedarText;
import dev.tether.learn.EventSelection;
import dev.tether.learn.InMemoryEvents;
import dev.tether.learn.RecordedEvents;
import dev.tether.learn.RecordedRequests;
import dev.tether.learn.RecordedSession;
import dev.tether.policy.Action;
import dev.tether.policy.ExecRequest;
import dev.tether.policy.Finding;
import dev.tether.policy.LoadResult;
import dev.tether.policy.McpRequest;
import dev.tether.policy.NetworkRequest;
import dev.tether.policy.PolicyLoader;
import dev.tether.policy.PolicySnapshot;
import dev.tether.policy.Transport;
import dev.tether.policy.model.Ips;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Suggests a least-privilege policy from recorded events: a permit for what the sessions did and
 * nothing broader than the recording supports (see docs/policy-learning.md for the rules), every
 * statement with the evidence it was learned from, and what the sessions were refused listed as
 * "not permitted; add if intended". The same events, in any order, give the same text.
 *
 * <p>What counts as done: events allowed, only observed (no decision), or denied by default in
 * shadow/permissive mode (no statement decided them: the policy in force did not know them yet).
 * What counts as refused: events denied, and events a {@code forbid} decided against even if shadow
 * or permissive mode let them through (a forbid states an intent a suggestion must not undo).
 */
public final class PolicySuggester {
    /** The kinds a suggestion reads. */
    public static final Set<EventKind> KINDS;

    static {
        Set<EventKind> k = EnumSet.copyOf(RecordedRequests.KINDS);
        k.add(EventKind.HTTP_REWRITE);
        KINDS = Set.copyOf(k);
    }

    private static final int LIST_NAMES = 12;
    /** Separates an id's verb from its subject (which may contain spaces) in id hints. */
    private static final String ID_SEP = "\u0000";
    private static final int LIST_ARGS = 8;
    private static final int MAX_SHOWN_TEXT = 100;

    private final SuggestOptions options;

    public PolicySuggester(SuggestOptions options) {
        this.options = options;
    }

    /** Learns from the events of {@code selection} in {@code source}. */
    public Suggestion suggest(RecordedEvents source, EventSelection selection) {
        Observations obs = new Observations(options.project());
        source.forEach(selection, KINDS, Set.of(), (id, e) -> obs.add(e));
        return new Writer(obs, source.describe(), selection).write();
    }

    /** Learns from {@code events} (all of them). */
    public Suggestion suggest(List<Event> events) {
        return suggest(new InMemoryEvents(events), EventSelection.all());
    }

    /** Writes the policy text and its statements from the folded observations. */
    private final class Writer {
        private final Observations obs;
        private final String sourceDescription;
        private final EventSelection selection;
        private final StringBuilder text = new StringBuilder();
        private final List<SuggestedStatement> statements = new ArrayList<>();
        private final Set<String> ids = new HashSet<>();
        private final boolean severalAgents;

        Writer(Observations obs, String sourceDescription, EventSelection selection) {
            this.obs = obs;
            this.sourceDescription = sourceDescription;
            this.selection = selection;
            this.severalAgents = obs.agents.size() > 1;
        }

        Suggestion write() {
            header();
            for (Map.Entry<String, Observations.AgentObs> e : obs.agents.entrySet()) {
                agentSection(e.getKey(), e.getValue());
            }
            PolicySnapshot permits = load(text.toString()).snapshot();
            List<NotPermitted> notPermitted = notPermitted(permits);
            unusableSection();
            String cedar = text.toString();
            LoadResult.Loaded loaded = load(cedar);
            List<RecordedSession> sessions = new ArrayList<>();
            obs.sessions.forEach((id, t) -> {
                TreeSet<String> agents = obs.sessionAgents.get(id);
                sessions.add(new RecordedSession(id, agents == null ? null : agents.first(), t.firstNs, t.lastNs, t.count));
            });
            sessions.sort(java.util.Comparator.comparingLong(RecordedSession::firstNs).thenComparing(RecordedSession::id));
            return new Suggestion(cedar, statements, notPermitted, sessions, obs.read, obs.used, obs.unusable,
                    loaded.warnings());
        }

        private LoadResult.Loaded load(String policy) {
            LoadResult r = PolicyLoader.parse(policy, "suggested.cedar");
            if (r instanceof LoadResult.Rejected rej) {
                // Every id and literal is written from canonical, escaped values: a rejection is a bug here.
                throw new IllegalStateException("the suggested policy does not load (a bug in tether's policy learning): "
                        + rej.errors().stream().map(Finding::render).toList());
            }
            return (LoadResult.Loaded) r;
        }

        // ------------------------------------------------------------ header

        private void header() {
            comment("tether policy suggestion, learned from recorded activity by `tether policy suggest`.");
            comment("Source: " + sourceDescription + "; " + describeSelection() + ".");
            comment(obs.read + " events read, " + obs.used + " used"
                    + (obs.unusable.isEmpty() ? "" : "; " + (obs.read - obs.used) + " not usable or not requests (see the end)") + ".");
            int shown = 0;
            List<Map.Entry<String, Evidence.Tally>> byTime = new ArrayList<>(obs.sessions.entrySet());
            byTime.sort(java.util.Comparator.comparingLong((Map.Entry<String, Evidence.Tally> e) -> e.getValue().firstNs)
                    .thenComparing(Map.Entry::getKey));
            for (Map.Entry<String, Evidence.Tally> s : byTime) {
                if (shown++ == 20) {
                    comment("  ... and " + (obs.sessions.size() - 20) + " more sessions");
                    break;
                }
                TreeSet<String> agents = obs.sessionAgents.get(s.getKey());
                comment("  session " + s.getKey() + (agents == null ? "" : " (" + String.join(", ", agents) + ")") + ": "
                        + s.getValue().count + (s.getValue().count == 1 ? " event, " : " events, ") + s.getValue().freeze().span());
            }
            comment("");
            comment("Only what these sessions did is permitted: files by name, or a whole directory when at");
            comment("least " + options.minSiblings() + " of its entries were used (never /, /home, a home directory, /dev, /proc or");
            comment("/sys, nor one below which something was refused); hosts by name, or *.zone when at least "
                    + options.minSubdomains());
            comment("of its subdomains were reached; programs one by one, with their arguments when at most "
                    + options.maxArgPatterns());
            comment("argument lists (or first arguments) were seen; MCP tools one by one, per server.");
            if (options.project().known()) {
                comment("The project is written with its own path, " + options.project().project()
                        + "/; the sandbox also sees it as /workspace/,");
                comment("and tether applies these rules to both names.");
            }
            comment("Review before enforcing: `tether policy replay FILE` shows what this policy would change.");
            text.append('\n');
        }

        private String describeSelection() {
            StringBuilder sb = new StringBuilder();
            sb.append(selection.allSessions() ? "all sessions" : "sessions " + String.join(", ", selection.sessions()));
            if (selection.sinceNs() != null) {
                sb.append(", since ").append(Evidence.time(selection.sinceNs()));
            }
            if (selection.untilNs() != null) {
                sb.append(", until ").append(Evidence.time(selection.untilNs()));
            }
            return sb.toString();
        }

        // ------------------------------------------------------------ per agent

        private void agentSection(String agent, Observations.AgentObs a) {
            comment("==== Agent::" + CedarText.quote(agent) + " ====");
            text.append('\n');
            for (Action action : List.of(Action.FILE_OPEN_READ_ONLY, Action.FILE_OPEN_READ_WRITE, Action.FILE_OPEN)) {
                SortedMap<String, Evidence.Tally> used = a.files.get(action);
                if (used != null && !used.isEmpty()) {
                    files(agent, a, action, used);
                }
            }
            if (!a.execs.isEmpty()) {
                section("Programs");
                a.execs.forEach((path, x) -> program(agent, path, x));
            }
            if (!a.hosts.isEmpty() || !a.addresses.isEmpty()) {
                section("Network");
                hosts(agent, a);
                a.addresses.forEach((ip, ports) -> address(agent, ip, ports));
            }
            if (!a.mcp.isEmpty()) {
                section("MCP tools");
                a.mcp.forEach((server, m) -> mcp(agent, server, m));
            }
            if (!a.rewrites.isEmpty()) {
                section("Header injection");
                comment("The proxy set these headers; rewrites are not learned (their values are never recorded):");
                comment("keep the HttpRewrite permits of the policy that set them.");
                a.rewrites.forEach((what, t) -> comment("  " + what + ": " + t.freeze().describe()));
                text.append('\n');
            }
        }

        private void section(String title) {
            comment("---- " + title + " ----");
            text.append('\n');
        }

        private String principal(String agent) {
            return "principal == " + CedarText.entity("Agent", agent);
        }

        private static String verb(Action action) {
            return switch (action) {
                case FILE_OPEN_READ_ONLY -> "read";
                case FILE_OPEN_READ_WRITE -> "written";
                default -> "opened (mode unknown)";
            };
        }

        private static String idVerb(Action action) {
            return switch (action) {
                case FILE_OPEN_READ_ONLY -> "read";
                case FILE_OPEN_READ_WRITE -> "write";
                default -> "open";
            };
        }

        // ------------------------------------------------------------ files

        private void files(String agent, Observations.AgentObs a, Action action, SortedMap<String, Evidence.Tally> used) {
            section(switch (action) {
                case FILE_OPEN_READ_ONLY -> "Files read";
                case FILE_OPEN_READ_WRITE -> "Files written (opened for writing)";
                default -> "Files opened in an unknown mode (FileOpen)";
            });
            List<String> refused = new ArrayList<>();
            for (Observations.Refusal r : obs.refusals.values()) {
                if (r.agent.equals(agent) && r.request.action() == action) {
                    refused.add(r.resource);
                }
            }
            List<FileGrouping.Grant> grants = FileGrouping.group(used, refused, options.homes(), options.minSiblings());
            // One statement per granted directory, one per directory of single files; in path order.
            SortedMap<String, List<FileGrouping.Grant>> byKey = new TreeMap<>();
            for (FileGrouping.Grant g : grants) {
                String key = switch (g) {
                    case FileGrouping.DirGrant d -> dirId(d.path());
                    case FileGrouping.FileGrant f -> FileGrouping.parent(f.path()) == null ? "/" : dirId(FileGrouping.parent(f.path()));
                };
                byKey.computeIfAbsent(key + (g instanceof FileGrouping.DirGrant ? "\u0001" : ""), k -> new ArrayList<>()).add(g);
            }
            for (List<FileGrouping.Grant> group : byKey.values()) {
                if (group.getFirst() instanceof FileGrouping.DirGrant d) {
                    dirStatement(agent, a, action, d);
                } else {
                    fileStatement(agent, a, action, group.stream().map(g -> (FileGrouping.FileGrant) g).toList());
                }
            }
        }

        private void dirStatement(String agent, Observations.AgentObs a, Action action, FileGrouping.DirGrant d) {
            Evidence ev = Evidence.Tally.merge(d.members().values());
            String dir = dirId(d.path());
            List<String> lines = new ArrayList<>();
            String summary = "Dir " + dir + ": " + d.members().size() + " entries " + verb(action) + ", " + ev.describe();
            lines.add(summary);
            List<String> names = new ArrayList<>();
            for (String p : d.members().keySet()) {
                names.add(p.equals(d.path()) ? "." : p.substring(d.path().length() + (d.path().equals("/") ? 0 : 1)));
            }
            lines.add("  " + listed(names, LIST_NAMES));
            workspaceNote(a, d.members().keySet(), lines);
            String body = "permit (" + principal(agent) + ", action == " + CedarText.entity("Action", action.cedarName())
                    + ", resource in " + CedarText.entity("Dir", dir) + ");";
            emit(idVerb(action) + ID_SEP + d.path(), SuggestedStatement.Kind.DIRECTORY, agent, action.cedarName(),
                    List.of(dir), lines, body, ev);
        }

        private void fileStatement(String agent, Observations.AgentObs a, Action action, List<FileGrouping.FileGrant> files) {
            Evidence ev = Evidence.Tally.merge(files.stream().map(FileGrouping.FileGrant::tally).toList());
            String parent = FileGrouping.parent(files.getFirst().path());
            String where = parent == null ? "/" : dirId(parent);
            List<String> lines = new ArrayList<>();
            String summary = (files.size() == 1 ? files.getFirst().path() + ": " + verb(action)
                    : files.size() + " files in " + where + " " + verb(action)) + ", " + ev.describe();
            lines.add(summary);
            if (files.size() > 1) {
                List<String> each = new ArrayList<>();
                for (FileGrouping.FileGrant f : files) {
                    each.add(f.path().substring(f.path().lastIndexOf('/') + 1) + " " + Evidence.times(f.tally().count));
                }
                lines.add("  " + listed(each, LIST_NAMES));
            }
            List<String> paths = files.stream().map(FileGrouping.FileGrant::path).toList();
            workspaceNote(a, paths, lines);
            String head = "permit (" + principal(agent) + ", action == " + CedarText.entity("Action", action.cedarName());
            String body;
            if (files.size() == 1) {
                body = head + ", resource == " + CedarText.entity("File", paths.getFirst()) + ");";
            } else {
                StringBuilder b = new StringBuilder(head).append(", resource)\nwhen { resource in [\n");
                for (int i = 0; i < paths.size(); i++) {
                    b.append("    ").append(CedarText.entity("File", paths.get(i))).append(i + 1 < paths.size() ? ",\n" : "\n");
                }
                body = b.append("] };").toString();
            }
            emit(idVerb(action) + ID_SEP + (files.size() == 1 ? paths.getFirst() : where), SuggestedStatement.Kind.FILES, agent,
                    action.cedarName(), paths, lines, body, ev);
        }

        private void workspaceNote(Observations.AgentObs a, java.util.Collection<String> paths, List<String> lines) {
            long n = paths.stream().filter(a.seenAsWorkspace::contains).count();
            if (n > 0) {
                lines.add("  (" + (n == paths.size() ? (n == 1 ? "recorded" : "all recorded") : n + " of these recorded")
                        + " under /workspace/: written with the project's own path, which tether applies to both)");
            }
        }

        // ------------------------------------------------------------ programs

        private void program(String agent, String path, Observations.ExecObs x) {
            Evidence ev = x.total.freeze();
            SortedMap<String, Long> counts = new TreeMap<>();
            x.byArgs.forEach((args, t) -> counts.put(args, t.count));
            List<String> lines = new ArrayList<>();
            List<String> alternatives;
            String how;
            if (x.argsUnknown) {
                alternatives = List.of();
                how = "some runs' arguments were cut when recorded, so arguments are not constrained";
            } else {
                ArgvPatterns.Pattern p = ArgvPatterns.of(counts, options.maxArgPatterns());
                alternatives = p.alternatives();
                how = p.explanation();
            }
            String condition = alternatives.isEmpty() ? null : String.join(" || ", alternatives);
            lines.add(path + ": run " + ev.describe());
            lines.add("  " + how + (counts.isEmpty() ? "" : ":"));
            if (!counts.isEmpty()) {
                List<String> shown = new ArrayList<>();
                counts.forEach((args, n) -> shown.add(shorten(CedarText.quote(args)) + " " + (n == 1 ? "once" : "×" + n)));
                for (int i = 0; i < shown.size() && i < LIST_ARGS; i++) {
                    lines.add("    " + shown.get(i));
                }
                if (shown.size() > LIST_ARGS) {
                    lines.add("    ... and " + (shown.size() - LIST_ARGS) + " more");
                }
            }
            // Argument lists refused for this program: the boundary a permit without an exact list must keep.
            SortedSet<String> refusedArgs = new TreeSet<>();
            for (Observations.Refusal r : obs.refusals.values()) {
                if (r.agent.equals(agent) && r.request instanceof ExecRequest xr
                        && options.project().preferred(dev.tether.policy.model.PathNames.normalise(xr.path())).equals(path)) {
                    String args = Observations.args(xr);
                    if (!x.byArgs.containsKey(args)) {
                        refusedArgs.add(args);
                    }
                }
            }
            boolean exact = condition != null && !condition.contains(" like ");
            StringBuilder body = new StringBuilder("permit (").append(principal(agent)).append(", action == ")
                    .append(CedarText.entity("Action", "ProcessExec")).append(", resource == ")
                    .append(CedarText.entity("File", path)).append(")");
            if (condition != null) {
                body.append("\n").append(clause("when", alternatives));
            }
            if (!exact && !refusedArgs.isEmpty()) {
                lines.add("  except the argument lists that were refused: " + listed(
                        refusedArgs.stream().map(s -> shorten(CedarText.quote(s))).toList(), LIST_ARGS));
                List<String> alts = new ArrayList<>();
                refusedArgs.forEach(s -> alts.add("context.args == " + CedarText.quote(s)));
                body.append("\n").append(clause("unless", alts));
            }
            body.append(';');
            emit("exec" + ID_SEP + path, SuggestedStatement.Kind.PROGRAM, agent, "ProcessExec", List.of(path), lines,
                    body.toString(), ev);
        }

        // ------------------------------------------------------------ network

        private void hosts(String agent, Observations.AgentObs a) {
            SortedSet<String> refusedNames = new TreeSet<>();
            for (Observations.Refusal r : obs.refusals.values()) {
                if (r.agent.equals(agent) && r.request instanceof NetworkRequest n && n.hostname() != null) {
                    refusedNames.add(n.hostname());
                }
            }
            SortedSet<String> names = new TreeSet<>(a.hosts.keySet());
            for (HostGrouping.HostGrant g : HostGrouping.group(names, options.minSubdomains())) {
                if (g.wildcard() && refusedNames.stream().anyMatch(n -> n.endsWith("." + g.host()))) {
                    // A refusal inside the zone: the wildcard would undo it, so its names stay one by one.
                    for (String member : g.members()) {
                        hostStatement(agent, member, false, List.of(member), a.hosts.get(member));
                    }
                    continue;
                }
                SortedMap<Observations.PortProto, Evidence.Tally> ports = new TreeMap<>();
                for (String member : g.members()) {
                    a.hosts.get(member).forEach((pp, t) -> ports.computeIfAbsent(pp, k -> new Evidence.Tally()).addAll(t));
                }
                hostStatement(agent, g.host(), g.wildcard(), List.copyOf(g.members()), ports);
            }
        }

        private void hostStatement(String agent, String host, boolean wildcard, List<String> members,
                SortedMap<Observations.PortProto, Evidence.Tally> ports) {
            Evidence ev = Evidence.Tally.merge(ports.values());
            String shown = wildcard ? "*." + host : host;
            List<String> lines = new ArrayList<>();
            lines.add(shown + ": " + portsText(ports) + ", " + ev.describe());
            if (wildcard) {
                lines.add("  " + members.size() + " subdomains reached: " + listed(members, LIST_NAMES));
            }
            List<String> ids = new ArrayList<>();
            String condition = portCondition(ports, pp -> (wildcard ? "*." + host : host) + ":" + pp.port(), ids);
            String body = "permit (" + principal(agent) + ", action == " + CedarText.entity("Action", "NetworkConnect")
                    + ", resource)\nwhen { " + condition + " };";
            emit("connect" + ID_SEP + shown, wildcard ? SuggestedStatement.Kind.ZONE : SuggestedStatement.Kind.HOST, agent,
                    "NetworkConnect", ids, lines, body, ev);
        }

        private void address(String agent, String ip, SortedMap<Observations.PortProto, Evidence.Tally> ports) {
            Evidence ev = Evidence.Tally.merge(ports.values());
            List<String> lines = new ArrayList<>();
            lines.add(ip + ": " + portsText(ports) + ", " + ev.describe());
            lines.add("  (an address: the layer that saw it knew no host name)");
            java.net.InetAddress addr = Ips.parse(ip);
            List<String> ids = new ArrayList<>();
            String condition = portCondition(ports, pp -> Ips.formatWithPort(addr, pp.port()), ids);
            String body = "permit (" + principal(agent) + ", action == " + CedarText.entity("Action", "NetworkConnect")
                    + ", resource)\nwhen { " + condition + " };";
            emit("connect" + ID_SEP + ip, SuggestedStatement.Kind.HOST, agent, "NetworkConnect", ids, lines, body, ev);
        }

        private static String portsText(SortedMap<Observations.PortProto, Evidence.Tally> ports) {
            List<String> each = new ArrayList<>();
            ports.forEach((pp, t) -> each.add(pp.describe()));
            return (each.size() == 1 ? "port " : "ports ") + String.join(", ", each);
        }

        /**
         * {@code resource in [Host::"h:p", ...] && context.protocol == "tcp"} per group of ports
         * reached with the same protocols, joined with ||.
         */
        private String portCondition(SortedMap<Observations.PortProto, Evidence.Tally> ports,
                java.util.function.Function<Observations.PortProto, String> hostId, List<String> idsOut) {
            SortedMap<Integer, SortedSet<Transport>> byPort = new TreeMap<>();
            Map<Integer, Observations.PortProto> any = new LinkedHashMap<>();
            for (Observations.PortProto pp : ports.keySet()) {
                byPort.computeIfAbsent(pp.port(), k -> new TreeSet<>()).add(pp.transport());
                any.putIfAbsent(pp.port(), pp);
            }
            SortedMap<String, List<String>> byProtocols = new TreeMap<>();
            byPort.forEach((port, ts) -> {
                String key = ts.size() == 1 ? ts.first().cedarName() : "";
                String id = hostId.apply(any.get(port));
                byProtocols.computeIfAbsent(key, k -> new ArrayList<>()).add(id);
                idsOut.add(id);
            });
            List<String> alternatives = new ArrayList<>();
            byProtocols.forEach((proto, hostIds) -> {
                String in = hostIds.size() == 1 ? "resource in " + CedarText.entity("Host", hostIds.getFirst())
                        : "resource in [" + String.join(", ", hostIds.stream().map(h -> CedarText.entity("Host", h)).toList()) + "]";
                alternatives.add(proto.isEmpty() ? in : in + " && context.protocol == " + CedarText.quote(proto));
            });
            if (alternatives.size() == 1) {
                return alternatives.getFirst();
            }
            return String.join(" || ", alternatives.stream().map(s -> "(" + s + ")").toList());
        }

        // ------------------------------------------------------------ MCP

        private void mcp(String agent, String server, Observations.McpObs m) {
            List<Evidence.Tally> all = new ArrayList<>(m.tools.values());
            if (m.serverLevel != null) {
                all.add(m.serverLevel);
            }
            Evidence ev = Evidence.Tally.merge(all);
            List<String> lines = new ArrayList<>();
            lines.add("MCP server " + CedarText.quote(server) + ": " + (m.tools.isEmpty() ? "used"
                    : m.tools.size() + (m.tools.size() == 1 ? " tool" : " tools") + " called") + ", " + ev.describe());
            if (!m.tools.isEmpty()) {
                List<String> each = new ArrayList<>();
                m.tools.forEach((tool, t) -> each.add(tool + " " + (t.count == 1 ? "once" : "×" + t.count)));
                lines.add("  " + listed(each, LIST_NAMES));
            }
            if (m.serverLevel != null) {
                lines.add("  and requests to the server itself (no tool), " + Evidence.times(m.serverLevel.count));
            }
            String server_ = CedarText.entity("MCP::Server", server);
            List<String> resources = new ArrayList<>();
            String body;
            String head = "permit (" + principal(agent) + ", action == " + CedarText.entity("Action", "McpCall");
            if (m.tools.isEmpty()) {
                body = head + ", resource == " + server_ + ");";
                resources.add(server);
            } else {
                List<String> tools = new ArrayList<>();
                m.tools.keySet().forEach(t -> {
                    tools.add(CedarText.entity("MCP::Tool", t));
                    resources.add(server + "/" + t);
                });
                String in = tools.size() == 1 ? "resource == " + tools.getFirst() : "resource in [" + String.join(", ", tools) + "]";
                if (m.serverLevel != null) {
                    in = "resource == " + server_ + " || " + in;
                    resources.addFirst(server);
                }
                body = head + ", resource in " + server_ + ")\nwhen { " + in + " };";
            }
            emit("mcp" + ID_SEP + server, SuggestedStatement.Kind.MCP_SERVER, agent, "McpCall", resources, lines, body, ev);
        }

        // ------------------------------------------------------------ not permitted

        private List<NotPermitted> notPermitted(PolicySnapshot permits) {
            List<NotPermitted> out = new ArrayList<>();
            List<Observations.Refusal> shown = new ArrayList<>();
            for (Observations.Refusal r : obs.refusals.values()) {
                if (!AliasedDecisions.decide(permits, r.request, options.project()).allowed()) {
                    shown.add(r);
                }
            }
            if (shown.isEmpty() && obs.unliftable.isEmpty()) {
                return out;
            }
            section("Not permitted; add if intended");
            comment("The sessions were refused these (or a forbid decided against them and shadow or permissive");
            comment("mode let them through). Nothing here is permitted: uncomment a statement to permit it.");
            text.append('\n');
            for (Observations.Refusal r : shown) {
                Evidence ev = r.tally.freeze();
                String by = r.policies.isEmpty() ? "" : " by " + String.join(", ", r.policies);
                String statement = refusalStatement(r);
                String line = r.request.action().cedarName() + " " + r.resource + (severalAgents ? " (Agent::"
                        + CedarText.quote(r.agent) + ")" : "") + ": refused" + by + ", " + ev.describe();
                comment(line);
                if (r.reason != null) {
                    comment("  " + shorten(r.reason));
                }
                comment(statement);
                text.append('\n');
                out.add(new NotPermitted(r.agent, r.request.action().cedarName(), r.resource, List.copyOf(r.policies),
                        r.reason, statement, ev));
            }
            obs.unliftable.forEach((what, t) -> {
                Evidence ev = t.freeze();
                comment(shorten(what) + ": " + ev.describe());
                comment("  (tether's own refusal, not the policy's: no statement can permit it)");
                text.append('\n');
                int colon = what.indexOf(": ");
                out.add(new NotPermitted(null, what.substring(0, colon), null, List.of(), what.substring(colon + 2), null, ev));
            });
            return out;
        }

        private String refusalStatement(Observations.Refusal r) {
            String head = "permit (" + principal(r.agent) + ", action == " + CedarText.entity("Action", r.request.action().cedarName());
            return switch (r.request) {
                case dev.tether.policy.FileRequest f -> head + ", resource == " + CedarText.entity("File", r.resource) + ");";
                case ExecRequest x -> head + ", resource == " + CedarText.entity("File",
                        options.project().preferred(dev.tether.policy.model.PathNames.normalise(x.path())))
                        + ") when { context.args == " + CedarText.quote(Observations.args(x)) + " };";
                case NetworkRequest n -> {
                    String id = n.hostname() != null ? n.hostname() + ":" + n.port()
                            : Ips.formatWithPort(Ips.unmap(n.address()), n.port());
                    yield head + ", resource) when { resource in " + CedarText.entity("Host", id)
                            + " && context.protocol == " + CedarText.quote(n.transport().cedarName()) + " };";
                }
                case McpRequest m -> m.tool() == null
                        ? head + ", resource == " + CedarText.entity("MCP::Server", m.server()) + ");"
                        : head + ", resource == " + CedarText.entity("MCP::Tool", m.tool()) + ") when { resource in "
                                + CedarText.entity("MCP::Server", m.server()) + " };";
            };
        }

        private void unusableSection() {
            if (obs.unusable.isEmpty()) {
                return;
            }
            section("Not learned from");
            comment("These events say nothing a rule could be written from:");
            obs.unusable.forEach((why, n) -> comment("  " + why + ": " + n));
            text.append('\n');
        }

        // ------------------------------------------------------------ output

        private void emit(String idHint, SuggestedStatement.Kind kind, String agent, String action, List<String> resources,
                List<String> commentLines, String body, Evidence ev) {
            String id = allocateId((severalAgents ? agent + " " : "") + idHint);
            StringBuilder s = new StringBuilder();
            for (String l : commentLines) {
                s.append("// ").append(CedarText.comment(l)).append('\n');
            }
            s.append("@id(").append(CedarText.quote(id)).append(")\n").append(body).append('\n');
            text.append(s).append('\n');
            statements.add(new SuggestedStatement(id, kind, agent, action, resources, commentLines.getFirst(), s.toString(), ev));
        }

        private void comment(String line) {
            text.append(line.isEmpty() ? "//" : "// " + CedarText.comment(line)).append('\n');
        }

        /**
         * A readable, unique id from a verb and what it is about: "read-usr-lib-x86-64-linux-gnu".
         * A long subject keeps its end (the part that tells statements apart); repeats get -2, -3, ...
         */
        private String allocateId(String hint) {
            int sep = hint.indexOf(ID_SEP);
            String head = slug(hint.substring(0, Math.max(sep, 0)));
            String subject = slug(hint.substring(sep + 1));
            int room = 60 - head.length() - (head.isEmpty() ? 0 : 1);
            if (subject.length() > room) {
                subject = subject.substring(subject.length() - room);
                int dash = subject.indexOf('-');
                if (dash >= 0 && dash + 1 < subject.length()) {
                    subject = subject.substring(dash + 1);
                }
            }
            String base = head.isEmpty() ? subject : subject.isEmpty() ? head : head + "-" + subject;
            if (base.isEmpty()) {
                base = "statement";
            }
            String id = base;
            for (int n = 2; !ids.add(id); n++) {
                id = base + "-" + n;
            }
            return id;
        }

        private static String slug(String text) {
            StringBuilder slug = new StringBuilder();
            for (char c : text.toLowerCase(Locale.ROOT).toCharArray()) {
                if (c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
                    slug.append(c);
                } else if (!slug.isEmpty() && slug.charAt(slug.length() - 1) != '-') {
                    slug.append('-');
                }
            }
            return slug.toString().replaceAll("-+$", "");
        }
    }

    /** {@code when { a || b }}, with one alternative per line when they do not fit on one. */
    private static String clause(String keyword, List<String> alternatives) {
        String one = String.join(" || ", alternatives);
        if (one.length() <= 90 || alternatives.size() == 1) {
            return keyword + " { " + one + " }";
        }
        return keyword + " {\n    " + String.join(" ||\n    ", alternatives) + "\n}";
    }

    private static String dirId(String dir) {
        return dir.equals("/") ? "/" : dir + "/";
    }

    private static String listed(List<String> names, int max) {
        if (names.size() <= max) {
            return String.join(", ", names);
        }
        return String.join(", ", names.subList(0, max)) + " and " + (names.size() - max) + " more";
    }

    private static String shorten(String s) {
        return s.length() <= MAX_SHOWN_TEXT ? s : s.substring(0, MAX_SHOWN_TEXT - 1) + "…";
    }
}
