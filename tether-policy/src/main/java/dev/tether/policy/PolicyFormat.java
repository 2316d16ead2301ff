package dev.tether.policy;

import com.cedarpolicy.formatter.PolicyFormatter;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.policy.cedar.CedarBridge;
import dev.tether.policy.cedar.LargeStack;
import dev.tether.policy.text.Lexer;
import dev.tether.policy.text.Statement;
import java.util.List;

/**
 * Formats policy text with Cedar's own formatter (comments kept). Only a policy that loads is
 * formatted, and the result is checked to parse to exactly the same statements before it is
 * returned, so formatting can never change what a policy means.
 */
public final class PolicyFormat {
    private PolicyFormat() {}

    /** The formatted text, or null with the findings that prevented formatting. */
    public record Result(String text, List<Finding> findings) {
        public Result {
            findings = List.copyOf(findings);
        }

        public boolean formatted() {
            return text != null;
        }
    }

    public static Result format(String text, String sourceName) {
        LoadResult loaded = PolicyLoader.parse(text, sourceName);
        if (loaded instanceof LoadResult.Rejected r) {
            return new Result(null, r.errors());
        }
        if (Lexer.lex(text).statements().isEmpty()) {
            return new Result(text, loaded.findings());
        }
        return LargeStack.call(() -> {
            String pretty;
            try {
                pretty = PolicyFormatter.policiesStrToPretty(text);
            } catch (Exception e) {
                return new Result(null, List.of(new Finding("TP003", Severity.ERROR, sourceName, 1, 1, "",
                        "Cedar's formatter refused the policy: " + e.getMessage(), "")));
            }
            if (!sameStatements(text, pretty)) {
                return new Result(null, List.of(new Finding("TP003", Severity.ERROR, sourceName, 1, 1, "",
                        "formatting would change the policy's statements; left as written", "")));
            }
            return new Result(pretty, loaded.findings());
        });
    }

    private static boolean sameStatements(String a, String b) {
        List<Statement> sa = Lexer.lex(a).statements();
        List<Statement> sb = Lexer.lex(b).statements();
        if (sa.size() != sb.size()) {
            return false;
        }
        CedarBridge cedar = new CedarBridge();
        for (int i = 0; i < sa.size(); i++) {
            JsonNode x = cedar.toEst(sa.get(i).text());
            JsonNode y = cedar.toEst(sb.get(i).text());
            if (x == null || !x.equals(y)) {
                return false;
            }
        }
        return true;
    }
}
