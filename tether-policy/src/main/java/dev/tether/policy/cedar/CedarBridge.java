package dev.tether.policy.cedar;

import com.cedarpolicy.BasicAuthorizationEngine;
import com.cedarpolicy.model.DetailedError;
import com.cedarpolicy.model.ValidationRequest;
import com.cedarpolicy.model.ValidationResponse;
import com.cedarpolicy.model.policy.Policy;
import com.cedarpolicy.model.policy.PolicySet;
import com.cedarpolicy.model.schema.Schema;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The only place tether-policy calls cedar-java for parsing and validation. Callers run it via
 * {@link LargeStack}. Statement ids given to Cedar are {@code s<index>} so every message maps
 * back to its statement.
 */
public final class CedarBridge {
    private static final Pattern POLICY_ID = Pattern.compile("`s(\\d+)`");

    private final ObjectMapper json;
    private final BasicAuthorizationEngine engine = new BasicAuthorizationEngine();

    public CedarBridge() {
        // EST nests three JSON levels per operator; the lexer's limits keep it far below this.
        this.json = JsonMapper.builder().build();
        json.getFactory().setStreamReadConstraints(
                StreamReadConstraints.builder().maxNestingDepth(100_000).build());
    }

    /** Parses one statement to its EST, or returns null if Cedar's parser refused it. */
    public JsonNode toEst(String statementText) {
        try {
            String est = new Policy(statementText, "s").toJson();
            return json.readTree(est);
        } catch (Exception e) {
            return null;
        }
    }

    /**
     * Parses all statements in one call (one native round trip instead of one per statement).
     * Returns each statement's EST by index, or null if any statement fails to parse (callers
     * then use {@link #toEst} per statement to find which).
     */
    public JsonNode[] toEstAll(List<String> statements) {
        Set<Policy> policies = new HashSet<>();
        for (int i = 0; i < statements.size(); i++) {
            policies.add(new Policy(statements.get(i), "s" + i));
        }
        try {
            JsonNode all = json.readTree(new PolicySet(policies).toJson()).path("staticPolicies");
            JsonNode[] out = new JsonNode[statements.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = all.get("s" + i);
                if (out[i] == null) {
                    return null;
                }
            }
            return out;
        } catch (Exception e) {
            return null;
        }
    }

    /**
     * Validates statements against a schema. Parse errors come back too (with locations), which
     * is why callers use this to explain a statement {@link #toEst} refused.
     */
    public List<CedarIssue> validate(String schemaText, List<String> statements, List<Integer> indexes) {
        Set<Policy> policies = new HashSet<>();
        for (int i = 0; i < statements.size(); i++) {
            policies.add(new Policy(statements.get(i), "s" + indexes.get(i)));
        }
        List<CedarIssue> out = new ArrayList<>();
        ValidationResponse resp;
        try {
            Schema schema = new Schema(Schema.JsonOrCedar.Cedar, Optional.empty(), Optional.of(schemaText));
            resp = engine.validate(new ValidationRequest(schema, new PolicySet(policies)));
        } catch (Exception e) {
            out.add(new CedarIssue(indexes.isEmpty() ? 0 : indexes.get(0), false, true,
                    "Cedar could not validate the policy: " + e.getMessage(), "", -1, -1));
            return out;
        }
        resp.errors.ifPresent(errs -> {
            for (DetailedError d : errs) {
                out.add(issue(d, statementOf(d.message, indexes), false, true));
            }
        });
        resp.success.ifPresent(s -> {
            for (ValidationResponse.ValidationError ve : s.validationErrors) {
                out.add(issue(ve.getError(), idIndex(ve.getPolicyId(), indexes), false, false));
            }
            for (ValidationResponse.ValidationError ve : s.validationWarnings) {
                out.add(issue(ve.getError(), idIndex(ve.getPolicyId(), indexes), true, false));
            }
        });
        return out;
    }

    private static CedarIssue issue(DetailedError d, int statement, boolean warning, boolean parse) {
        int start = -1;
        int end = -1;
        String label = "";
        if (!d.sourceLocations.isEmpty()) {
            DetailedError.SourceLabel l = d.sourceLocations.get(0);
            start = l.start;
            end = l.end;
            label = l.label.orElse("");
        }
        String help = d.help.orElse("");
        if (help.isEmpty() && !label.isEmpty()) {
            help = label;
        }
        String msg = d.message;
        // Cedar names the policy in its message; the finding's location already says which.
        msg = msg.replaceFirst("^for policy `s\\d+`, ", "").replaceFirst("^failed to parse policy with id `s\\d+` from string: ", "");
        help = help.replaceFirst("^for policy `s\\d+`, ", "");
        return new CedarIssue(statement, warning, parse, msg, help, start, end);
    }

    private static int statementOf(String message, List<Integer> indexes) {
        Matcher m = POLICY_ID.matcher(message);
        if (m.find()) {
            return Integer.parseInt(m.group(1));
        }
        return indexes.isEmpty() ? 0 : indexes.get(0);
    }

    private static int idIndex(String id, List<Integer> indexes) {
        if (id != null && id.startsWith("s")) {
            try {
                return Integer.parseInt(id.substring(1));
            } catch (NumberFormatException e) {
                // fall through
            }
        }
        return indexes.isEmpty() ? 0 : indexes.get(0);
    }
}
