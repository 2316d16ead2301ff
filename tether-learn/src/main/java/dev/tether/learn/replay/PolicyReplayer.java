package dev.tether.learn.replay;

import dev.tether.events.Event;
import dev.tether.events.Verdict;
import dev.tether.learn.AliasedDecisions;
import dev.tether.learn.EventSelection;
import dev.tether.learn.ProjectAliases;
import dev.tether.learn.RecordedEvents;
import dev.tether.learn.RecordedRequest;
import dev.tether.learn.RecordedRequests;
import dev.tether.policy.Decision;
import dev.tether.policy.ExecRequest;
import dev.tether.policy.FileRequest;
import dev.tether.policy.McpRequest;
import dev.tether.policy.NetworkRequest;
import dev.tether.policy.PolicyRef;
import dev.tether.policy.PolicySnapshot;
import dev.tether.policy.Request;
import dev.tether.policy.model.Ips;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Re-decides recorded decisions with a candidate policy, for the same principal as recorded
 * ({@code Agent::"<agent>"} in {@code Session::"<session>"}), and reports what changes. File and
 * program requests are decided under both of the project's names, as the enforcing layers decide
 * them ({@link AliasedDecisions}).
 *
 * <p>Sources that can be read in parallel ({@link RecordedEvents#partitions}) are read on several
 * threads; the result does not depend on how many.
 */
public final class PolicyReplayer {
    private static final int EVENT_IDS_KEPT = 20;

    private final ProjectAliases aliases;
    private final int threads;

    public PolicyReplayer(ProjectAliases aliases) {
        this(aliases, Math.max(1, Runtime.getRuntime().availableProcessors()));
    }

    public PolicyReplayer(ProjectAliases aliases, int threads) {
        this.aliases = aliases;
        this.threads = threads;
    }

    /**
     * @param maxChanges at most this many changed requests are listed (all are counted)
     */
    public ReplayReport replay(RecordedEvents source, EventSelection selection, PolicySnapshot candidate,
            Baseline baseline, int maxChanges) {
        long start = System.nanoTime();
        List<EventSelection> parts = source.partitions(selection, threads);
        Tally total;
        if (parts.size() == 1) {
            total = replayPart(source, parts.getFirst(), candidate, baseline);
        } else {
            total = new Tally();
            try (ExecutorService pool = Executors.newFixedThreadPool(Math.min(threads, parts.size()),
                    r -> new Thread(r, "tether-replay"))) {
                List<Future<Tally>> futures = new ArrayList<>();
                for (EventSelection p : parts) {
                    futures.add(pool.submit(() -> replayPart(source, p, candidate, baseline)));
                }
                for (Future<Tally> f : futures) {
                    total.addAll(f.get());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("replay interrupted", e);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException re) {
                    throw re;
                }
                throw new IllegalStateException(e.getCause());
            }
        }
        List<ReplayChange> changes = new ArrayList<>();
        for (Change c : total.changes.values()) {
            changes.add(c.freeze());
        }
        changes.sort(Comparator.comparing(ReplayChange::direction).thenComparing(ReplayChange::action)
                .thenComparing(ReplayChange::resource).thenComparing(c -> c.agent() == null ? "" : c.agent()));
        int groups = changes.size();
        List<ReplayChange> shown = changes.size() > maxChanges ? changes.subList(0, Math.max(0, maxChanges)) : changes;
        String baselineName = switch (baseline) {
            case Baseline.Recorded r -> "recorded";
            case Baseline.Policy p -> p.snapshot().sourceName();
        };
        return new ReplayReport(candidate.sourceName(), baselineName, List.copyOf(total.sessions), total.decisions,
                total.unchangedAllowed, total.unchangedDenied, total.newlyDenied, total.newlyAllowed, shown, groups,
                total.notReplayable, System.nanoTime() - start);
    }

    private Tally replayPart(RecordedEvents source, EventSelection part, PolicySnapshot candidate, Baseline baseline) {
        Tally t = new Tally();
        PolicySnapshot base = baseline instanceof Baseline.Policy p ? p.snapshot() : null;
        source.forEach(part, RecordedRequests.KINDS, RecordedRequests.DECIDED, (id, e) -> {
            if (!RecordedRequests.isDecision(e)) {
                return;
            }
            if (e.session() != null && !e.session().equals(t.lastSession)) {
                t.sessions.add(e.session());
                t.lastSession = e.session();
            }
            switch (RecordedRequests.of(e)) {
                case RecordedRequest.NotDecidable nd -> {
                    t.notReplayable.merge(e.kind().jsonName() + ": " + nd.reason(), 1L, Long::sum);
                }
                case RecordedRequest.Decidable d -> {
                    t.decisions++;
                    Request r = d.request();
                    boolean before;
                    String beforeReason;
                    if (base == null) {
                        before = e.decision() == Verdict.ALLOW;
                        beforeReason = e.reason();
                    } else {
                        Decision bd = AliasedDecisions.decide(base, r, aliases);
                        before = bd.allowed();
                        beforeReason = bd.reason();
                    }
                    Decision after = AliasedDecisions.decide(candidate, r, aliases);
                    if (before == after.allowed()) {
                        if (before) {
                            t.unchangedAllowed++;
                        } else {
                            t.unchangedDenied++;
                        }
                        return;
                    }
                    if (after.allowed()) {
                        t.newlyAllowed++;
                    } else {
                        t.newlyDenied++;
                    }
                    ReplayChange.Direction dir = after.allowed() ? ReplayChange.Direction.NEWLY_ALLOWED
                            : ReplayChange.Direction.NEWLY_DENIED;
                    String resource = describe(r);
                    String key = dir.ordinal() + "\u0000" + r.principal().agent() + "\u0000" + r.action().cedarName()
                            + "\u0000" + resource;
                    t.changes.computeIfAbsent(key, k -> new Change(dir, r.principal().agent(), r.action().cedarName(),
                            resource)).add(id, e, beforeReason, after);
                }
            }
        });
        return t;
    }

    /** The request as one line: path, "path args", host:port/tcp, server/tool. */
    static String describe(Request r) {
        return switch (r) {
            case FileRequest f -> f.path();
            case ExecRequest x -> x.argv().size() > 1 ? x.path() + " " + String.join(" ", x.argv().subList(1, x.argv().size()))
                    : x.path();
            case NetworkRequest n -> (n.hostname() != null ? n.hostname() + (n.address() != null ? " (" + Ips.format(n.address()) + ")" : "")
                    + ":" + n.port() : Ips.formatWithPort(n.address(), n.port())) + "/" + n.transport().cedarName();
            case McpRequest m -> m.tool() == null ? m.server() : m.server() + "/" + m.tool();
        };
    }

    /** Counts of one part of the replay; parts merge. */
    private static final class Tally {
        long decisions;
        long unchangedAllowed;
        long unchangedDenied;
        long newlyDenied;
        long newlyAllowed;
        final Map<String, Change> changes = new HashMap<>();
        final SortedMap<String, Long> notReplayable = new TreeMap<>();
        final Set<String> sessions = new TreeSet<>();
        String lastSession;

        void addAll(Tally o) {
            decisions += o.decisions;
            unchangedAllowed += o.unchangedAllowed;
            unchangedDenied += o.unchangedDenied;
            newlyDenied += o.newlyDenied;
            newlyAllowed += o.newlyAllowed;
            o.changes.forEach((k, c) -> changes.merge(k, c, Change::merge));
            o.notReplayable.forEach((k, n) -> notReplayable.merge(k, n, Long::sum));
            sessions.addAll(o.sessions);
        }
    }

    /** One changed request, accumulating. */
    private static final class Change {
        final ReplayChange.Direction direction;
        final String agent;
        final String action;
        final String resource;
        long count;
        long firstNs = Long.MAX_VALUE;
        long lastNs = Long.MIN_VALUE;
        final Set<String> sessions = new TreeSet<>();
        final TreeSet<Long> eventIds = new TreeSet<>();
        /** Fields of the earliest event, so the result does not depend on reading order. */
        long earliestId = Long.MAX_VALUE;
        Verdict recorded;
        String baselineReason;
        Decision decision;

        Change(ReplayChange.Direction direction, String agent, String action, String resource) {
            this.direction = direction;
            this.agent = agent;
            this.action = action;
            this.resource = resource;
        }

        void add(long id, Event e, String beforeReason, Decision after) {
            count++;
            firstNs = Math.min(firstNs, e.timeNs());
            lastNs = Math.max(lastNs, e.timeNs());
            if (e.session() != null) {
                sessions.add(e.session());
            }
            keepId(id);
            if (id < earliestId) {
                earliestId = id;
                recorded = e.decision();
                baselineReason = beforeReason;
                decision = after;
            }
        }

        private void keepId(long id) {
            eventIds.add(id);
            if (eventIds.size() > EVENT_IDS_KEPT) {
                eventIds.pollLast();
            }
        }

        Change merge(Change o) {
            count += o.count;
            firstNs = Math.min(firstNs, o.firstNs);
            lastNs = Math.max(lastNs, o.lastNs);
            sessions.addAll(o.sessions);
            o.eventIds.forEach(this::keepId);
            if (o.earliestId < earliestId) {
                earliestId = o.earliestId;
                recorded = o.recorded;
                baselineReason = o.baselineReason;
                decision = o.decision;
            }
            return this;
        }

        ReplayChange freeze() {
            List<PolicyRef> rules = decision.determining();
            return new ReplayChange(direction, agent, action, resource, count, List.copyOf(sessions), firstNs, lastNs,
                    List.copyOf(eventIds), recorded, baselineReason, rules, decision.reason());
        }
    }
}
