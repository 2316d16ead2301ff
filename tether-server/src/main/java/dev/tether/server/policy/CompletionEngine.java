package dev.tether.server.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Completions for the policy editor: inside an entity id string ({@code Action::"|}, {@code
 * File::"/wo|}) it offers actions or the observed values of that type; elsewhere keywords, entity
 * types, context keys and statement snippets. Only the text up to the cursor on its line matters,
 * so a half-written policy still gets help.
 */
public final class CompletionEngine {
    private static final Pattern IN_ID = Pattern.compile("((?:[A-Za-z_][A-Za-z0-9_]*::)*[A-Za-z_][A-Za-z0-9_]*)::\"([^\"]*)$");
    private static final Pattern WORD = Pattern.compile("([A-Za-z_][A-Za-z0-9_.:]*)$");

    private final ObservedResources observed;

    public CompletionEngine(ObservedResources observed) {
        this.observed = observed;
    }

    /** {@code line} and {@code column} are 1-based; column points just after the last typed character. */
    public List<CompletionItem> complete(String text, int line, int column, int maxItems) {
        String[] lines = text.split("\n", -1);
        if (line < 1 || line > lines.length) {
            return List.of();
        }
        String lineText = lines[line - 1];
        int col = Math.max(1, Math.min(column, lineText.length() + 1));
        String prefix = lineText.substring(0, col - 1);
        if (inCommentOrString(prefix)) {
            Matcher id = IN_ID.matcher(prefix);
            if (!id.find()) {
                return List.of();
            }
            return idCompletions(id.group(1), id.group(2), line, col, lineText, maxItems);
        }
        Matcher w = WORD.matcher(prefix);
        String word = w.find() ? w.group(1) : "";
        return wordCompletions(word, line, col, maxItems);
    }

    /** True if the prefix ends inside a // comment or an open string (the latter is where ids live). */
    private static boolean inCommentOrString(String prefix) {
        boolean inString = false;
        for (int i = 0; i < prefix.length(); i++) {
            char c = prefix.charAt(i);
            if (inString) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
            } else if (c == '/' && i + 1 < prefix.length() && prefix.charAt(i + 1) == '/') {
                return true;
            }
        }
        return inString;
    }

    private List<CompletionItem> idCompletions(String type, String typed, int line, int col, String lineText,
            int max) {
        List<String> values;
        String kind;
        Map<String, String> details = Map.of();
        switch (type) {
            case "Action" -> {
                values = List.copyOf(CedarVocabulary.ACTIONS.keySet());
                details = CedarVocabulary.ACTIONS;
                kind = "action";
            }
            case "File" -> {
                values = observed.values(ObservedResources.Kind.FILE);
                kind = "resource";
            }
            case "Dir" -> {
                values = observed.values(ObservedResources.Kind.DIR);
                kind = "resource";
            }
            case "Host", "DnsZone" -> {
                values = observed.values(ObservedResources.Kind.HOST);
                kind = "resource";
            }
            case "MCP::Tool" -> {
                values = observed.values(ObservedResources.Kind.MCP_TOOL);
                kind = "tool";
            }
            case "MCP::Server" -> {
                values = observed.values(ObservedResources.Kind.MCP_SERVER);
                kind = "server";
            }
            case "Agent" -> {
                values = observed.values(ObservedResources.Kind.AGENT);
                kind = "resource";
            }
            default -> {
                return List.of();
            }
        }
        boolean closed = col - 1 < lineText.length() && lineText.charAt(col - 1) == '"';
        int startCol = col - typed.length();
        String lower = typed.toLowerCase(Locale.ROOT);
        List<CompletionItem> out = new ArrayList<>();
        for (String v : values) {
            if (!v.toLowerCase(Locale.ROOT).contains(lower)) {
                continue;
            }
            String insert = closed ? v : v + "\"";
            out.add(new CompletionItem(v, kind, insert, details.getOrDefault(v, "seen in " + type + " events"),
                    range(line, startCol, col)));
            if (out.size() >= max) {
                break;
            }
        }
        return out;
    }

    private List<CompletionItem> wordCompletions(String word, int line, int col, int max) {
        String lower = word.toLowerCase(Locale.ROOT);
        int startCol = col - word.length();
        CompletionItem.Range r = range(line, startCol, col);
        List<CompletionItem> out = new ArrayList<>();
        if (lower.isEmpty() || "permit".startsWith(lower) || "forbid".startsWith(lower)) {
            for (String eff : List.of("permit", "forbid")) {
                if (eff.startsWith(lower)) {
                    out.add(new CompletionItem(eff + " statement", "snippet",
                            eff + " (principal, action == Action::\"\", resource);",
                            "a new " + eff + " statement", r));
                }
            }
        }
        for (String k : CedarVocabulary.KEYWORDS) {
            if (k.startsWith(lower) && !k.equals(lower)) {
                out.add(new CompletionItem(k, "keyword", k, "keyword", r));
            }
        }
        for (var e : CedarVocabulary.ENTITY_TYPES.entrySet()) {
            if (e.getKey().toLowerCase(Locale.ROOT).startsWith(lower)) {
                out.add(new CompletionItem(e.getKey() + "::", "entityType", e.getKey() + "::\"", e.getValue(), r));
            }
        }
        for (var e : CedarVocabulary.ACTIONS.entrySet()) {
            String full = "Action::\"" + e.getKey() + "\"";
            if (!lower.isEmpty() && (full.toLowerCase(Locale.ROOT).startsWith(lower)
                    || e.getKey().toLowerCase(Locale.ROOT).startsWith(lower))) {
                out.add(new CompletionItem(full, "action", full, e.getValue(), r));
            }
        }
        for (String c : CedarVocabulary.CONTEXT_KEYS) {
            if (lower.length() >= 2 && c.startsWith(lower) && !c.equals(lower)) {
                out.add(new CompletionItem(c, "conditionKey", c, "request context", r));
            }
        }
        return out.size() > max ? out.subList(0, max) : out;
    }

    private static CompletionItem.Range range(int line, int startCol, int endCol) {
        return new CompletionItem.Range(new CompletionItem.Position(line, startCol), new CompletionItem.Position(line, endCol));
    }
}
