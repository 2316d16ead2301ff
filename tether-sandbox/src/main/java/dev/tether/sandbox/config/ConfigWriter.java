package dev.tether.sandbox.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Records a remembered answer (e.g. "mount ~/.claude: yes, for this project") in the config file
 * by inserting one line under the right table header, so the user's comments and layout survive.
 * The result is parsed again before it replaces the file (atomically); a file that would not parse
 * is never written.
 */
public final class ConfigWriter {
    private final ConfigLoader loader;

    public ConfigWriter(Map<String, String> env, Path home) {
        this.loader = new ConfigLoader(env, home);
    }

    /** Sets {@code agent = value} under {@code [volumes]} (project null) or {@code [projects."DIR"]}. */
    public void rememberAgentMount(Path file, String agent, Path project, boolean value) {
        if (!ConfigLoader.AGENTS.contains(agent)) {
            throw new IllegalArgumentException("unknown agent " + agent);
        }
        String header = project == null ? "[volumes]" : "[projects." + quote(project.toString()) + "]";
        String line = agent + " = " + value;
        try {
            String text = Files.exists(file) ? Files.readString(file) : "";
            String updated = insert(text, header, agent, line);
            loader.parse(updated, file); // refuse to write what would not load
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), "config-", ".tmp");
            Files.writeString(tmp, updated);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot update " + file, e);
        }
    }

    /** Replaces {@code key = ...} in the table {@code header} or adds it right under the header. */
    static String insert(String text, String header, String key, String line) {
        List<String> lines = new ArrayList<>(text.lines().toList());
        int start = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).strip().equals(header)) {
                start = i;
                break;
            }
        }
        if (start < 0) {
            if (!lines.isEmpty() && !lines.getLast().isBlank()) {
                lines.add("");
            }
            lines.add(header);
            lines.add(line);
        } else {
            int end = lines.size();
            for (int i = start + 1; i < lines.size(); i++) {
                if (lines.get(i).strip().startsWith("[")) {
                    end = i;
                    break;
                }
            }
            boolean replaced = false;
            for (int i = start + 1; i < end; i++) {
                String l = lines.get(i).strip();
                if (l.startsWith(key + " ") || l.startsWith(key + "=")) {
                    lines.set(i, line);
                    replaced = true;
                }
            }
            if (!replaced) {
                lines.add(start + 1, line);
            }
        }
        return String.join("\n", lines) + "\n";
    }

    private static String quote(String s) {
        return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
}
