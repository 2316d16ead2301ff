package dev.tether.policy.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * Converts an MCP call's JSON arguments to the {@code context.arguments} record the policy's
 * inferred types describe. Only attributes the policy declares are kept; a value of another
 * type than declared makes the request non-conforming, which Cedar (validating requests against
 * the schema) refuses, so the engine denies it and says why.
 */
public final class ArgumentValues {
    private ArgumentValues() {}

    /** Thrown for a value whose JSON type is not the declared one. */
    public static final class Mismatch extends Exception {
        private static final long serialVersionUID = 1L;

        Mismatch(String message) {
            super(message, null, false, false);
        }
    }

    public static Map<String, Object> convert(JsonNode arguments, ArgType.Rec type) throws Mismatch {
        if (arguments == null || !arguments.isObject()) {
            return Map.of();
        }
        return record(arguments, type, "context.arguments");
    }

    private static Map<String, Object> record(JsonNode obj, ArgType.Rec type, String path) throws Mismatch {
        if (type.attrs().isEmpty()) {
            return Map.of();
        }
        Map<String, Object> out = new HashMap<>();
        for (Map.Entry<String, ArgType> e : type.attrs().entrySet()) {
            JsonNode v = obj.get(e.getKey());
            if (v == null || v.isNull()) {
                continue;
            }
            out.put(e.getKey(), value(v, e.getValue(), path + "." + e.getKey()));
        }
        return Map.copyOf(out);
    }

    private static Object value(JsonNode v, ArgType t, String path) throws Mismatch {
        switch (t) {
            case ArgType.Prim p -> {
                Object x = prim(v, p);
                if (x == null) {
                    throw new Mismatch(path + " is " + jsonKind(v) + " but the policy uses it as a " + p.cedar);
                }
                return x;
            }
            case ArgType.SetOf s -> {
                if (!v.isArray()) {
                    throw new Mismatch(path + " is " + jsonKind(v) + " but the policy uses it as a Set<" + s.element().cedar + ">");
                }
                Set<Object> set = new HashSet<>();
                for (JsonNode x : v) {
                    Object o = prim(x, s.element());
                    if (o == null) {
                        throw new Mismatch(path + " has " + jsonKind(x) + " elements but the policy uses it as a Set<"
                                + s.element().cedar + ">");
                    }
                    set.add(o);
                }
                return Set.copyOf(set);
            }
            case ArgType.Rec r -> {
                if (!v.isObject()) {
                    throw new Mismatch(path + " is " + jsonKind(v) + " but the policy reads attributes of it");
                }
                return record(v, r, path);
            }
        }
    }

    private static Object prim(JsonNode v, ArgType.Prim p) {
        return switch (p) {
            case STRING -> v.isTextual() ? v.textValue() : null;
            case LONG -> v.isIntegralNumber() && v.canConvertToLong() ? v.longValue() : null;
            case BOOL -> v.isBoolean() ? v.booleanValue() : null;
        };
    }

    static String jsonKind(JsonNode v) {
        if (v.isTextual()) {
            return "a string";
        }
        if (v.isIntegralNumber()) {
            return v.canConvertToLong() ? "an integer" : "an integer too large for a Long";
        }
        if (v.isNumber()) {
            return "a fractional number";
        }
        if (v.isBoolean()) {
            return "a boolean";
        }
        if (v.isArray()) {
            return "an array";
        }
        if (v.isObject()) {
            return "an object";
        }
        return "null";
    }

    /** All field names of a JSON object (for explanations). */
    static Set<String> names(JsonNode obj) {
        Set<String> s = new HashSet<>();
        for (Iterator<String> it = obj.fieldNames(); it.hasNext(); ) {
            s.add(it.next());
        }
        return s;
    }
}
