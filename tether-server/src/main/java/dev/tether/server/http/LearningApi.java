package dev.tether.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tether.learn.EventSelection;
import dev.tether.learn.LearningJson;
import dev.tether.learn.PolicyLearning;
import dev.tether.learn.RecordedEventsException;
import dev.tether.learn.RecordedSession;
import dev.tether.learn.TimeArguments;
import dev.tether.learn.replay.Baseline;
import dev.tether.learn.replay.ReplayReport;
import dev.tether.learn.suggest.SuggestedStatement;
import dev.tether.learn.suggest.Suggestion;
import dev.tether.policy.Finding;
import dev.tether.policy.LoadResult;
import dev.tether.policy.PolicySnapshot;
import dev.tether.policy.Severity;
import dev.tether.server.spi.LintFinding;
import dev.tether.server.spi.PolicyControl;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Policy learning over the recorded activity: suggestions ({@code GET /api/suggestions}, and
 * Leash's {@code GET /suggest}) and "what would change" ({@code POST /api/policies/replay}), which
 * the editor calls before saving. Without a recording attached they answer 503 and say so.
 */
final class LearningApi {
    static final int DEFAULT_MAX_CHANGES = 500;
    private static final int MAX_CHANGES_LIMIT = 10_000;

    private final PolicyLearning learning;
    private final PolicyControl policy;
    private final JsonBodies bodies;
    private final ObjectMapper mapper;

    LearningApi(PolicyLearning learning, PolicyControl policy, JsonBodies bodies, ObjectMapper mapper) {
        this.learning = learning;
        this.policy = policy;
        this.bodies = bodies;
        this.mapper = mapper;
    }

    void register(RoutesConfig r) {
        r.get("/api/suggestions", ctx -> suggestions(ctx, false));
        r.get("/suggest", ctx -> suggestions(ctx, true));
        r.get("/api/suggestions/sessions", this::sessions);
        r.post("/api/policies/replay", this::replay);
    }

    private PolicyLearning learning() {
        if (learning == null) {
            throw new ApiException(503, "no recorded activity is attached to this control plane, so there is nothing to learn"
                    + " from or replay against: start it where tether records (tether run, or tether ui with an audit store);"
                    + " the CLI works on any recording: tether policy suggest|replay --audit DB or --events FILE");
        }
        return learning;
    }

    private void sessions(Context ctx) {
        List<RecordedSession> s;
        try {
            s = learning().sessions();
        } catch (RecordedEventsException e) {
            throw new ApiException(500, "cannot read the recording: " + e.getMessage());
        }
        ctx.json(mapper.createObjectNode().set("sessions", LearningJson.sessions(mapper, s)));
    }

    /**
     * Query: {@code session} (repeatable), {@code since}, {@code until} (instant, date or duration
     * back from now); Leash's {@code window} (a duration: since now minus it) is accepted too.
     * Leash's {@code tail} is not: a suggestion learns from whole sessions.
     */
    private void suggestions(Context ctx, boolean leashPath) {
        PolicyLearning l = learning();
        EventSelection sel = selection(ctx.queryParams("session"), param(ctx, "since"), param(ctx, "until"),
                param(ctx, "window"));
        Suggestion s;
        try {
            s = l.suggest(sel);
        } catch (RecordedEventsException e) {
            throw new ApiException(500, "cannot read the recording: " + e.getMessage());
        }
        ObjectNode o = LearningJson.suggestion(mapper, s);
        // Leash's /suggest shape, so its clients read the same answer.
        o.put("generated_at", Instant.now().toString());
        o.put("event_count", s.eventsRead());
        o.put("sequence_count", s.sessions().size());
        ArrayNode leash = o.putArray("suggestions");
        for (SuggestedStatement st : s.statements()) {
            ObjectNode j = leash.addObject();
            j.put("Kind", st.kind().wireName());
            j.put("Summary", st.summary());
            j.put("ProposedCedar", st.cedar());
            j.put("PolicyCount", st.resources().size());
            j.put("Confidence", 1.0); // every statement is what was observed, not a guess
            j.putArray("PolicyRefs");
            ObjectNode meta = j.putObject("Metadata");
            meta.put("id", st.id());
            meta.put("agent", st.agent());
            meta.put("action", st.action());
            meta.put("events", Long.toString(st.evidence().count()));
        }
        if (leashPath) {
            o.put("note", "tether's suggestion: the whole policy is in 'cedar'; see docs/policy-learning.md");
        }
        ctx.json(o);
    }

    /**
     * Body: {@code cedar} (default: the policy in force), {@code against} ({@code "recorded"},
     * the default, or {@code "current"}: the policy in force's decisions), {@code sessions},
     * {@code since}, {@code until}, {@code maxChanges}.
     */
    private void replay(Context ctx) {
        PolicyLearning l = learning();
        JsonNode body = bodies.object(ctx, true);
        String cedar = JsonBodies.string(body, "cedar", false);
        String current = policy.current().text();
        PolicySnapshot candidate = compileOrThrow(l, cedar == null ? current : cedar, "candidate.cedar");
        String against = JsonBodies.string(body, "against", false);
        against = against == null ? "recorded" : against.toLowerCase(Locale.ROOT);
        Baseline baseline;
        String note = null;
        switch (against) {
            case "recorded" -> baseline = Baseline.recorded();
            case "current" -> {
                LoadResult lr = l.compile(current, "current.cedar");
                if (lr instanceof LoadResult.Loaded loaded) {
                    baseline = new Baseline.Policy(loaded.snapshot());
                } else {
                    baseline = Baseline.recorded();
                    note = "the policy in force does not compile for replay (" + firstError(lr)
                            + "), so the candidate is compared with the recorded decisions";
                }
            }
            default -> throw new ApiException(400, "'against' must be \"recorded\" or \"current\"");
        }
        int maxChanges = JsonBodies.integer(body, "maxChanges", DEFAULT_MAX_CHANGES);
        if (maxChanges < 0 || maxChanges > MAX_CHANGES_LIMIT) {
            throw new ApiException(400, "'maxChanges' must be between 0 and " + MAX_CHANGES_LIMIT);
        }
        List<String> sessions = new ArrayList<>();
        JsonNode s = body.get("sessions");
        if (s != null && !s.isNull()) {
            if (!s.isArray()) {
                throw new ApiException(400, "'sessions' must be an array of session ids");
            }
            for (JsonNode id : s) {
                if (!id.isTextual()) {
                    throw new ApiException(400, "'sessions' must be an array of session ids");
                }
                sessions.add(id.asText());
            }
        }
        EventSelection sel = selection(sessions, JsonBodies.string(body, "since", false),
                JsonBodies.string(body, "until", false), null);
        ReplayReport report;
        try {
            report = l.replay(candidate, baseline, sel, maxChanges);
        } catch (RecordedEventsException e) {
            throw new ApiException(500, "cannot read the recording: " + e.getMessage());
        }
        ObjectNode o = LearningJson.replay(mapper, report);
        if (note != null) {
            o.put("note", note);
        }
        ctx.json(o);
    }

    private PolicySnapshot compileOrThrow(PolicyLearning l, String text, String name) {
        LoadResult lr = l.compile(text, name);
        if (lr instanceof LoadResult.Loaded loaded) {
            return loaded.snapshot();
        }
        List<LintFinding> errors = new ArrayList<>();
        for (Finding f : lr.findings()) {
            if (f.severity() == Severity.ERROR) {
                errors.add(new LintFinding(f.code(), LintFinding.Severity.ERROR, f.file(), f.line(), f.column(), f.lineText(),
                        f.message(), f.suggestion()));
            }
        }
        LintFinding first = errors.getFirst();
        Map<String, Object> extra = new HashMap<>();
        extra.put("findings", errors);
        extra.put("line", first.line());
        extra.put("column", first.column());
        extra.put("code", first.code());
        extra.put("suggestion", first.suggestion());
        throw new ApiException(400, "the candidate policy does not load, so it cannot be replayed: " + first.file() + ":"
                + first.line() + ":" + first.column() + ": " + first.message(), extra);
    }

    private static String firstError(LoadResult lr) {
        for (Finding f : lr.findings()) {
            if (f.severity() == Severity.ERROR) {
                return f.code() + " at " + f.line() + ":" + f.column() + ": " + f.message();
            }
        }
        return "an error";
    }

    private EventSelection selection(List<String> sessions, String since, String until, String window) {
        Instant now = Instant.now();
        Long sinceNs = null;
        Long untilNs = null;
        try {
            if (since != null) {
                sinceNs = TimeArguments.parse(since, now, java.time.ZoneId.systemDefault());
            }
            if (until != null) {
                untilNs = TimeArguments.parse(until, now, java.time.ZoneId.systemDefault());
            }
            if (window != null && sinceNs == null) {
                Duration d = TimeArguments.duration(window);
                if (d == null) {
                    throw new IllegalArgumentException("'" + window + "' is not a duration (30m, 2h, 1h30m)");
                }
                sinceNs = TimeArguments.parse(window, now, java.time.ZoneId.systemDefault());
            }
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, e.getMessage());
        }
        EventSelection sel;
        try {
            sel = new EventSelection(sessions, sinceNs, untilNs);
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, e.getMessage());
        }
        if (!sel.allSessions()) {
            Set<String> known = new TreeSet<>();
            try {
                learning().sessions().forEach(r -> known.add(r.id()));
            } catch (RecordedEventsException e) {
                throw new ApiException(500, "cannot read the recording: " + e.getMessage());
            }
            for (String id : sel.sessions()) {
                if (!known.contains(id)) {
                    throw new ApiException(404, "no recorded session '" + id + "'");
                }
            }
        }
        return sel;
    }

    private static String param(Context ctx, String name) {
        String v = ctx.queryParam(name);
        return v == null || v.isBlank() ? null : v;
    }
}
