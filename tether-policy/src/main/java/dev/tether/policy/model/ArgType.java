package dev.tether.policy.model;

import java.util.Map;
import java.util.TreeMap;

/**
 * The type of an MCP tool-call argument as the policy uses it. Cedar records are closed, so the
 * schema for {@code context.arguments} is derived from the policy: every attribute a statement
 * reads is declared optional with the type its use implies.
 */
public sealed interface ArgType {
    enum Prim implements ArgType {
        STRING("String"),
        LONG("Long"),
        BOOL("Bool");

        final String cedar;

        Prim(String cedar) {
            this.cedar = cedar;
        }
    }

    record SetOf(Prim element) implements ArgType {}

    record Rec(Map<String, ArgType> attrs) implements ArgType {
        public Rec {
            attrs = java.util.Collections.unmodifiableMap(new TreeMap<>(attrs));
        }
    }

    Rec EMPTY = new Rec(Map.of());

    /** Cedar schema syntax for this type (every record attribute optional). */
    default String cedarSchema() {
        return switch (this) {
            case Prim p -> p.cedar;
            case SetOf s -> "Set<" + s.element().cedar + ">";
            case Rec r -> {
                StringBuilder sb = new StringBuilder("{");
                boolean first = true;
                for (Map.Entry<String, ArgType> e : r.attrs().entrySet()) {
                    sb.append(first ? " " : ", ");
                    first = false;
                    sb.append('"').append(escape(e.getKey())).append("\"?: ").append(e.getValue().cedarSchema());
                }
                yield sb.append(first ? "}" : " }").toString();
            }
        };
    }

    default String describe() {
        return switch (this) {
            case Prim p -> p.cedar;
            case SetOf s -> "Set<" + s.element().cedar + ">";
            case Rec r -> "record";
        };
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }
}
