package dev.tether.policy.ir;

/** A Cedar entity uid, {@code type::"id"}; {@code type} may be namespaced ({@code MCP::Tool}). */
public record EntityRef(String type, String id) {
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(type).append("::\"");
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\r' -> sb.append("\\r");
                case '\0' -> sb.append("\\0");
                default -> sb.append(c);
            }
        }
        return sb.append('"').toString();
    }
}
