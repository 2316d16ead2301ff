package dev.tether.server.policy;

/** One editor completion, Leash-compatible: 1-based line/column range that {@code insertText} replaces. */
public record CompletionItem(String label, String kind, String insertText, String detail, Range range) {
    public record Position(int line, int column) {}

    public record Range(Position start, Position end) {}
}
