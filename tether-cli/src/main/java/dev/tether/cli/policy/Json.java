package dev.tether.cli.policy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tether.learn.LearningJson;
import dev.tether.policy.Finding;
import dev.tether.policy.PolicyRef;
import java.util.List;

/** JSON shapes shared by the policy commands. */
final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Json() {}

    /** Findings as the learning API writes them: one shape for every JSON output. */
    static ArrayNode findings(List<Finding> findings) {
        return LearningJson.findings(MAPPER, findings);
    }

    static ArrayNode refs(List<PolicyRef> refs) {
        ArrayNode a = MAPPER.createArrayNode();
        for (PolicyRef r : refs) {
            ObjectNode o = a.addObject();
            o.put("id", r.id());
            o.put("file", r.file());
            o.put("line", r.line());
            o.put("column", r.column());
        }
        return a;
    }

    static String write(Object node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
