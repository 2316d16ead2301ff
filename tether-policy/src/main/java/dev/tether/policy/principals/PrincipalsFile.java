package dev.tether.policy.principals;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import dev.tether.policy.Finding;
import dev.tether.policy.Severity;
import dev.tether.policy.text.SourceText;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the principals file (TOML):
 * <pre>
 * [agents.claude]
 * teams = ["dev"]
 *
 * [sessions."ci-nightly"]
 * teams = ["ci"]
 *
 * [teams.dev]
 * teams = ["everyone"]
 * </pre>
 * Unknown keys, wrong types and team cycles are errors located in the file.
 */
public final class PrincipalsFile {
    private PrincipalsFile() {}

    /** The directory, or the findings that stopped it (never both). */
    public record Result(PrincipalDirectory directory, List<Finding> errors) {}

    public static Result parse(String text, String sourceName) {
        SourceText src = new SourceText(sourceName, text);
        List<Finding> errors = new ArrayList<>();
        JsonNode root;
        try {
            root = new TomlMapper().readTree(text);
        } catch (JacksonException e) {
            JsonLocation loc = e.getLocation();
            int line = loc == null || loc.getLineNr() < 1 ? 1 : loc.getLineNr();
            int col = loc == null || loc.getColumnNr() < 1 ? 1 : loc.getColumnNr();
            errors.add(new Finding("TP060", Severity.ERROR, sourceName, line, col, src.lineText(line),
                    "principals file is not valid TOML: " + e.getOriginalMessage(),
                    "see docs/policy.md, \"Principals file\""));
            return new Result(null, errors);
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            return new Result(PrincipalDirectory.EMPTY, List.of());
        }
        Map<String, List<String>> agents = new LinkedHashMap<>();
        Map<String, List<String>> sessions = new LinkedHashMap<>();
        Map<String, List<String>> teams = new LinkedHashMap<>();
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String section = it.next();
            Map<String, List<String>> target = switch (section) {
                case "agents" -> agents;
                case "sessions" -> sessions;
                case "teams" -> teams;
                default -> null;
            };
            if (target == null) {
                errors.add(at(src, section, "unknown section [" + section + "]",
                        "the sections are [agents.NAME], [sessions.ID] and [teams.NAME]"));
                continue;
            }
            JsonNode members = root.get(section);
            if (!members.isObject()) {
                errors.add(at(src, section, section + " must be a table", "write [" + section + ".NAME]"));
                continue;
            }
            for (Map.Entry<String, JsonNode> e : members.properties()) {
                JsonNode body = e.getValue();
                List<String> list = new ArrayList<>();
                boolean ok = body.isObject();
                if (ok) {
                    for (Iterator<String> keys = body.fieldNames(); keys.hasNext(); ) {
                        String k = keys.next();
                        if (!k.equals("teams")) {
                            errors.add(at(src, k, "unknown key " + k + " in [" + section + "." + e.getKey() + "]",
                                    "the only key is teams = [\"...\"]"));
                        }
                    }
                    JsonNode t = body.path("teams");
                    if (!t.isMissingNode() && !t.isArray()) {
                        ok = false;
                    }
                    for (JsonNode x : t) {
                        if (!x.isTextual() || x.asText().isEmpty()) {
                            ok = false;
                        } else {
                            list.add(x.asText());
                        }
                    }
                }
                if (!ok) {
                    errors.add(at(src, e.getKey(), "[" + section + "." + e.getKey() + "] needs teams = [\"name\", ...]",
                            "teams is a list of non-empty strings"));
                    continue;
                }
                target.put(e.getKey(), list);
            }
        }
        String cycle = findCycle(teams);
        if (cycle != null) {
            errors.add(at(src, "[teams." + cycle + "]", "team " + cycle + " is a member of itself (through its teams)",
                    "remove one membership of the cycle"));
        }
        if (!errors.isEmpty()) {
            return new Result(null, errors);
        }
        return new Result(new PrincipalDirectory(agents, sessions, teams), List.of());
    }

    private static String findCycle(Map<String, List<String>> teams) {
        Set<String> done = new HashSet<>();
        for (String start : teams.keySet()) {
            String c = dfs(start, teams, new HashSet<>(), done);
            if (c != null) {
                return c;
            }
        }
        return null;
    }

    private static String dfs(String t, Map<String, List<String>> teams, Set<String> path, Set<String> done) {
        if (done.contains(t)) {
            return null;
        }
        if (!path.add(t)) {
            return t;
        }
        for (String p : teams.getOrDefault(t, List.of())) {
            String c = dfs(p, teams, path, done);
            if (c != null) {
                return c;
            }
        }
        path.remove(t);
        done.add(t);
        return null;
    }

    /** Locates a key by its first appearance in the text (TOML trees carry no positions). */
    private static Finding at(SourceText src, String key, String message, String suggestion) {
        String text = src.text();
        int off = indexOfKey(text, key);
        int line = src.line(Math.max(0, off));
        int col = off < 0 ? 1 : src.column(off);
        return new Finding("TP060", Severity.ERROR, src.name(), line, col, src.lineText(line), message, suggestion);
    }

    private static int indexOfKey(String text, String key) {
        int i = text.indexOf("\"" + key + "\"");
        if (i >= 0) {
            return i;
        }
        i = 0;
        while ((i = text.indexOf(key, i)) >= 0) {
            boolean before = i == 0 || !Character.isLetterOrDigit(text.charAt(i - 1));
            int end = i + key.length();
            boolean after = end >= text.length() || !Character.isLetterOrDigit(text.charAt(end));
            if (before && after) {
                return i;
            }
            i = end;
        }
        return -1;
    }
}
