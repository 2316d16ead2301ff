package dev.tether.proxy.secret;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Removes secrets from anything the proxy reports: every known secret value (from the secrets
 * file and every resolved {@code secret:NAME}) is replaced by {@code [REDACTED:NAME]}, and values
 * under credential-looking keys ({@code password}, {@code token}, {@code authorization}, ...) are
 * replaced by {@code [REDACTED]} whatever they contain. Thread-safe.
 */
public final class SecretRedactor {
    private static final Pattern CREDENTIAL_KEY =
            Pattern.compile("(?i).*(passw(or)?d|secret|token|api[-_]?key|authorization|credential|private[-_]?key|cookie).*");
    /** Shorter values would redact ordinary words; such secrets are refused nowhere, only not searched for. */
    private static final int MIN_SECRET_LENGTH = 4;

    /** Event copies keep this much of each string: audit events are not a place for 50 MB arguments. */
    private static final int MAX_EVENT_STRING = 4096;

    private final Map<String, String> valueToName = new ConcurrentHashMap<>();

    public void register(String name, String value) {
        if (value != null && value.length() >= MIN_SECRET_LENGTH) valueToName.put(value, name);
    }

    public String redact(String text) {
        if (text == null || valueToName.isEmpty()) return text;
        String out = text;
        for (Map.Entry<String, String> e : valueToName.entrySet()) {
            if (out.contains(e.getKey())) out = out.replace(e.getKey(), "[REDACTED:" + e.getValue() + "]");
        }
        return out;
    }

    /** A redacted deep copy (the input is not modified); null stays null. */
    public JsonNode redact(JsonNode node) {
        if (node == null) return null;
        return copy(node, false);
    }

    private JsonNode copy(JsonNode node, boolean underCredentialKey) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        if (node.isObject()) {
            ObjectNode out = f.objectNode();
            Iterator<Map.Entry<String, JsonNode>> it = node.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                boolean cred = underCredentialKey || CREDENTIAL_KEY.matcher(e.getKey()).matches();
                out.set(redact(e.getKey()), copy(e.getValue(), cred));
            }
            return out;
        }
        if (node.isArray()) {
            ArrayNode out = f.arrayNode();
            for (JsonNode n : node) out.add(copy(n, underCredentialKey));
            return out;
        }
        if (underCredentialKey && !node.isNull()) return f.textNode("[REDACTED]");
        if (node.isTextual()) {
            String t = redact(node.asText()); // redact first: a cut must not split a secret into an unrecognisable prefix
            return f.textNode(t.length() <= MAX_EVENT_STRING ? t
                    : t.substring(0, MAX_EVENT_STRING) + "...(" + (t.length() - MAX_EVENT_STRING) + " more chars)");
        }
        return node.deepCopy();
    }
}
