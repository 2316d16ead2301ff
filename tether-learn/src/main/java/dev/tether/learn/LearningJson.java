package dev.tether.learn;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tether.learn.replay.ReplayChange;
import dev.tether.learn.replay.ReplayReport;
import dev.tether.learn.suggest.Evidence;
import dev.tether.learn.suggest.NotPermitted;
import dev.tether.learn.suggest.SuggestedStatement;
import dev.tether.learn.suggest.Suggestion;
import dev.tether.policy.Finding;
import dev.tether.policy.PolicyRef;
import java.util.List;
import java.util.Locale;

/**
 * The JSON forms of suggestions and replay reports, shared by {@code tether policy suggest|replay
 * --json} and the control plane's API (docs/policy-learning.md documents them). Times are ISO-8601
 * UTC strings with nine fraction digits, as in events.
 */
public final class LearningJson {
    private LearningJson() {}

    public static ObjectNode suggestion(ObjectMapper m, Suggestion s) {
        ObjectNode o = m.createObjectNode();
        o.put("cedar", s.cedar());
        ArrayNode st = o.putArray("statements");
        for (SuggestedStatement x : s.statements()) {
            ObjectNode j = st.addObject();
            j.put("id", x.id());
            j.put("kind", x.kind().wireName());
            j.put("agent", x.agent());
            j.put("action", x.action());
            strings(j.putArray("resources"), x.resources());
            j.put("summary", x.summary());
            j.put("cedar", x.cedar());
            j.set("evidence", evidence(m, x.evidence()));
        }
        ArrayNode np = o.putArray("notPermitted");
        for (NotPermitted x : s.notPermitted()) {
            ObjectNode j = np.addObject();
            j.put("agent", x.agent());
            j.put("action", x.action());
            j.put("resource", x.resource());
            strings(j.putArray("policies"), x.policies());
            j.put("reason", x.reason());
            j.put("statement", x.statement());
            j.set("evidence", evidence(m, x.evidence()));
        }
        o.set("sessions", sessions(m, s.sessions()));
        o.put("eventsRead", s.eventsRead());
        o.put("eventsUsed", s.eventsUsed());
        ObjectNode un = o.putObject("unusable");
        s.unusable().forEach(un::put);
        o.set("warnings", findings(m, s.warnings()));
        return o;
    }

    public static ArrayNode sessions(ObjectMapper m, List<RecordedSession> sessions) {
        ArrayNode a = m.createArrayNode();
        for (RecordedSession r : sessions) {
            ObjectNode j = a.addObject();
            j.put("id", r.id());
            j.put("agent", r.agent());
            j.put("events", r.events());
            j.put("first", time(r.firstNs()));
            j.put("last", time(r.lastNs()));
        }
        return a;
    }

    public static ObjectNode replay(ObjectMapper m, ReplayReport r) {
        ObjectNode o = m.createObjectNode();
        o.put("candidate", r.candidate());
        o.put("baseline", r.baseline());
        strings(o.putArray("sessions"), r.sessions());
        o.put("decisions", r.decisions());
        o.put("unchanged", r.unchanged());
        o.put("unchangedAllowed", r.unchangedAllowed());
        o.put("unchangedDenied", r.unchangedDenied());
        o.put("newlyDenied", r.newlyDenied());
        o.put("newlyAllowed", r.newlyAllowed());
        ArrayNode ch = o.putArray("changes");
        for (ReplayChange c : r.changes()) {
            ObjectNode j = ch.addObject();
            j.put("direction", c.direction().words().replace(' ', '-'));
            j.put("agent", c.agent());
            j.put("action", c.action());
            j.put("resource", c.resource());
            j.put("count", c.count());
            strings(j.putArray("sessions"), c.sessions());
            j.put("first", time(c.firstNs()));
            j.put("last", time(c.lastNs()));
            ArrayNode ids = j.putArray("eventIds");
            c.eventIds().forEach(ids::add);
            j.put("recorded", c.recorded().jsonName());
            j.put("baselineReason", c.baselineReason());
            ArrayNode rules = j.putArray("rules");
            for (PolicyRef p : c.rules()) {
                rules.addObject().put("id", p.id()).put("file", p.file()).put("line", p.line()).put("column", p.column());
            }
            j.put("responsible", c.responsible());
            j.put("reason", c.reason());
        }
        o.put("changeGroups", r.changeGroups());
        o.put("complete", r.complete());
        ObjectNode nr = o.putObject("notReplayable");
        r.notReplayable().forEach(nr::put);
        o.put("elapsedMs", Math.round(r.elapsedNanos() / 1e6));
        return o;
    }

    public static ArrayNode findings(ObjectMapper m, List<Finding> findings) {
        ArrayNode a = m.createArrayNode();
        for (Finding f : findings) {
            ObjectNode o = a.addObject();
            o.put("code", f.code());
            o.put("severity", f.severity().name().toLowerCase(Locale.ROOT));
            o.put("file", f.file());
            o.put("line", f.line());
            o.put("column", f.column());
            o.put("lineText", f.lineText());
            o.put("message", f.message());
            o.put("suggestion", f.suggestion());
        }
        return a;
    }

    private static ObjectNode evidence(ObjectMapper m, Evidence e) {
        ObjectNode o = m.createObjectNode();
        o.put("count", e.count());
        o.put("first", time(e.firstNs()));
        o.put("last", time(e.lastNs()));
        strings(o.putArray("sessions"), e.sessions());
        return o;
    }

    private static void strings(ArrayNode a, List<String> values) {
        values.forEach(a::add);
    }

    private static String time(long ns) {
        return dev.tether.events.EventJson.formatTime(ns);
    }
}
