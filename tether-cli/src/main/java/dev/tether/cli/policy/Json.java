package dev.tether.cli.policy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tether.policy.Finding;
import dev.tether.policy.PolicyRef;
import java.util.List;

/** JSON shapes shared by the policy commands. */
final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Json() {}

    static ArrayNode findings(List<Finding> findings) {
        ArrayNode a = MAPPER.createArrayNode();
        for (Finding f : findings) {
            ObjectNode o = a.addObject();
            o.put("code", f.code());
            o.put("severity", f.severity().name().toLowerCase(java.util.Locale.ROOT));
            o.put("file", f.file());
            o.put("line", f.line());
            o.put("column", f.column());
            o.put("lineText", f.lineText());
            o.put("message", f.message());
            o.put("suggestion", f.suggestion());
        }
        return a;
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
