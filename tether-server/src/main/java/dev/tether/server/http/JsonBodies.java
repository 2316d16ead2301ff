package dev.tether.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;

/** Reads request bodies strictly: malformed JSON and wrong field types are 400s that say what is wrong. */
final class JsonBodies {
    private final ObjectMapper mapper;

    JsonBodies(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    String text(Context ctx) {
        return new String(ctx.bodyAsBytes(), StandardCharsets.UTF_8);
    }

    /** The body as a JSON object; an empty body is an empty object only if {@code emptyOk}. */
    JsonNode object(Context ctx, boolean emptyOk) {
        return parseObject(text(ctx), emptyOk);
    }

    JsonNode parseObject(String raw, boolean emptyOk) {
        String body = raw.strip();
        if (body.isEmpty()) {
            if (emptyOk) {
                return mapper.createObjectNode();
            }
            throw new ApiException(400, "request body is empty: a JSON object is expected");
        }
        JsonNode node;
        try {
            node = mapper.readTree(body);
        } catch (JsonProcessingException e) {
            throw new ApiException(400, "malformed JSON: " + e.getOriginalMessage()
                    + " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")");
        }
        if (node == null || !node.isObject()) {
            throw new ApiException(400, "a JSON object is expected");
        }
        return node;
    }

    static String string(JsonNode obj, String field, boolean required) {
        JsonNode v = obj.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw new ApiException(400, "field '" + field + "' is required");
            }
            return null;
        }
        if (!v.isTextual()) {
            throw new ApiException(400, "field '" + field + "' must be a string");
        }
        return v.asText();
    }

    static int integer(JsonNode obj, String field, int dflt) {
        JsonNode v = obj.get(field);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.canConvertToInt()) {
            throw new ApiException(400, "field '" + field + "' must be an integer");
        }
        return v.asInt();
    }

    /**
     * Leash accepts Cedar as {@code {"cedar": "..."}} or as the raw body; so do we. A JSON body
     * without a string {@code cedar} field is refused.
     */
    String cedar(Context ctx, boolean emptyOk) {
        String body = text(ctx);
        String trimmed = body.strip();
        String ct = ctx.contentType() == null ? "" : ctx.contentType();
        if (trimmed.isEmpty()) {
            if (emptyOk) {
                return null;
            }
            throw new ApiException(400, "request body is empty: send {\"cedar\": \"...\"} or the policy text");
        }
        if (ct.contains("json") || trimmed.startsWith("{")) {
            JsonNode node = parseObject(body, false);
            String cedar = string(node, "cedar", !emptyOk);
            if (cedar == null) {
                return null;
            }
            return cedar;
        }
        return body;
    }
}
