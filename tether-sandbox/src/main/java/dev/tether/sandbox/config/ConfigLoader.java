package dev.tether.sandbox.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.tomlj.Toml;
import org.tomlj.TomlParseError;
import org.tomlj.TomlParseResult;
import org.tomlj.TomlPosition;
import org.tomlj.TomlTable;

/**
 * Reads the config file. tether's own keys and Leash's ({@code [leash] target_image}, {@code envvars},
 * {@code [volumes] codex = true}, {@code "~/dir" = "/target:ro"}, {@code [projects."/p"]}) are both
 * understood; anything else is refused with its location and the nearest known key.
 */
public final class ConfigLoader {
    /** Agents whose config directory can be toggled by name, as in Leash. */
    public static final Set<String> AGENTS = Set.of("claude", "codex", "gemini", "qwen", "opencode");
    public static final Set<String> ENGINES = Set.of("podman", "docker", "builtin");
    private static final List<String> SCALARS = List.of("engine", "image", "target_image", "policy", "ca_certificate",
            "pids_limit", "memory", "lock");
    private static final List<String> TABLE_KEYS = List.of("envvars", "volumes");
    private static final List<String> ROOT_TABLES = List.of("tether", "leash", "volumes", "projects");
    private static final Pattern ENV_REF = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}|\\$([A-Za-z_][A-Za-z0-9_]*)");

    private final Map<String, String> env;
    private final Path home;

    public ConfigLoader(Map<String, String> env, Path home) {
        this.env = env;
        this.home = home;
    }

    /** Loads {@code file}; a missing file is an empty config. */
    public TetherConfig load(Path file) {
        if (!Files.exists(file)) {
            return TetherConfig.empty(file);
        }
        try {
            return parse(Files.readString(file), file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read config " + file, e);
        }
    }

    public TetherConfig parse(String text, Path file) {
        String name = file.toString();
        TomlParseResult toml = Toml.parse(text);
        if (toml.hasErrors()) {
            TomlParseError e = toml.errors().getFirst();
            TomlPosition p = e.position();
            throw new ConfigException(name, p == null ? 1 : p.line(), p == null ? 1 : p.column(),
                    "not valid TOML: " + e.getMessage().replaceFirst("\\s*\\(line \\d+, column \\d+\\)$", ""), null);
        }
        Path baseDir = file.toAbsolutePath().getParent();
        Settings global = Settings.EMPTY;
        Map<Path, Settings> projects = new LinkedHashMap<>();
        List<String> rootKeys = new ArrayList<>(ROOT_TABLES);
        rootKeys.addAll(SCALARS);
        rootKeys.add("envvars");
        // Top-level scalars and [tether]/[leash] all set global values; later ones refine earlier.
        global = global.overriddenBy(scope(toml, List.of(), name, baseDir, Set.of("tether", "leash", "volumes", "projects"), false));
        for (String key : toml.keySet()) {
            List<String> path = List.of(key);
            switch (key) {
                case "tether", "leash" -> global = global.overriddenBy(scope(toml, path, name, baseDir, Set.of(), false));
                case "volumes" -> global = global.overriddenBy(volumesTable(toml, path, name, false));
                case "projects" -> {
                    TomlTable ps = table(toml, path, name);
                    for (String projectKey : ps.keySet()) {
                        List<String> pp = List.of("projects", projectKey);
                        Path dir = projectPath(projectKey, toml, pp, name);
                        table(toml, pp, name);
                        Settings s = scope(toml, pp, name, dir, Set.of(), true);
                        projects.merge(dir, s, Settings::overriddenBy);
                    }
                }
                default -> {
                    if (!SCALARS.contains(key) && !key.equals("envvars")) {
                        throw unknown(toml, path, name, rootKeys);
                    }
                }
            }
        }
        return new TetherConfig(file, global, projects);
    }

    /**
     * One scope's keys at {@code at}: engine, image/target_image, policy, ca_certificate, envvars,
     * volumes; in a project also agent toggles and Leash's custom volumes written directly.
     */
    private Settings scope(TomlTable root, List<String> at, String file, Path baseDir, Set<String> skip, boolean project) {
        TomlTable t = at.isEmpty() ? root : table(root, at, file);
        String engine = null;
        String image = null;
        Path policy = null;
        Path ca = null;
        Long pids = null;
        Long memory = null;
        Boolean lock = null;
        Map<String, String> envvars = new LinkedHashMap<>();
        Map<String, Boolean> agents = new LinkedHashMap<>();
        Map<String, String> volumes = new LinkedHashMap<>();
        List<String> known = new ArrayList<>(SCALARS);
        known.addAll(TABLE_KEYS);
        if (project) {
            known.addAll(AGENTS);
        }
        if (at.isEmpty()) {
            known.addAll(ROOT_TABLES);
        }
        for (String key : t.keySet()) {
            if (skip.contains(key)) {
                continue;
            }
            List<String> path = append(at, key);
            switch (key) {
                case "engine" -> {
                    engine = string(root, path, file);
                    if (!ENGINES.contains(engine)) {
                        throw error(root, path, file, "engine '" + engine + "' is not one of podman, docker, builtin",
                                suggest(engine, ENGINES));
                    }
                }
                case "image", "target_image" -> image = nonEmpty(root, path, file);
                case "policy" -> policy = baseDir.resolve(pathText(expand(nonEmpty(root, path, file)), root, path, file)).normalize();
                case "ca_certificate" -> ca = baseDir.resolve(pathText(expand(nonEmpty(root, path, file)), root, path, file)).normalize();
                case "pids_limit" -> pids = limit(root, path, file, false);
                case "memory" -> memory = limit(root, path, file, true);
                case "lock" -> lock = bool(root, path, file);
                case "envvars" -> {
                    TomlTable e = table(root, path, file);
                    for (String k : e.keySet()) {
                        List<String> kp = append(path, k);
                        if (!k.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                            throw error(root, kp, file, "'" + k + "' is not a valid environment variable name", null);
                        }
                        envvars.put(k, string(root, kp, file));
                    }
                }
                case "volumes" -> {
                    Settings v = volumesTable(root, path, file, project);
                    agents.putAll(v.agentMounts());
                    volumes.putAll(v.volumes());
                }
                default -> {
                    if (project && AGENTS.contains(key)) {
                        agents.put(key, bool(root, path, file));
                    } else if (project && looksLikePath(key)) {
                        volumes.putAll(volumesEntry(root, path, file, key, project));
                    } else {
                        throw unknown(root, path, file, known);
                    }
                }
            }
        }
        return new Settings(engine, image, policy, ca, envvars, agents, volumes, pids, memory, lock);
    }

    /** Leash's volumes table: agent toggles ({@code codex = true}) and {@code "HOST" = "TARGET[:mode]"}. */
    private Settings volumesTable(TomlTable root, List<String> at, String file, boolean project) {
        TomlTable t = table(root, at, file);
        Map<String, Boolean> agents = new LinkedHashMap<>();
        Map<String, String> volumes = new LinkedHashMap<>();
        for (String key : t.keySet()) {
            List<String> path = append(at, key);
            if (AGENTS.contains(key)) {
                agents.put(key, bool(root, path, file));
            } else {
                volumes.putAll(volumesEntry(root, path, file, key, project));
            }
        }
        return new Settings(null, null, null, null, Map.of(), agents, volumes);
    }

    private Map<String, String> volumesEntry(TomlTable root, List<String> path, String file, String key, boolean project) {
        Object v = root.get(path);
        Map<String, String> out = new LinkedHashMap<>();
        String host = pathText(expand(key), root, path, file);
        if (v instanceof String s) {
            String spec = pathText(s.strip(), root, path, file);
            if (spec.isEmpty() || !spec.startsWith("/")) {
                throw error(root, path, file, "volume target '" + s + "' must be an absolute path inside the sandbox,"
                        + " optionally with :ro or :rw", "e.g. \"" + key + "\" = \"/data:ro\"");
            }
            String mode = spec.contains(":") ? spec.substring(spec.indexOf(':') + 1) : "";
            if (!mode.isEmpty() && !Set.of("ro", "rw", "z", "Z").contains(mode)) {
                throw error(root, path, file, "volume mode '" + mode + "' is not ro or rw", suggest(mode, Set.of("ro", "rw")));
            }
            out.put(host, spec);
        } else if (Boolean.FALSE.equals(v)) {
            if (!project) {
                throw error(root, path, file, "'false' only cancels an inherited volume inside a project section", null);
            }
            out.put(host, null);
        } else {
            throw error(root, path, file, "a volume is \"HOST\" = \"TARGET[:ro|rw]\" (or false in a project to cancel one)",
                    AGENTS.contains(key) ? null : suggest(key, AGENTS));
        }
        return out;
    }

    private Path projectPath(String key, TomlTable root, List<String> path, String file) {
        String expanded = pathText(expand(key.strip()), root, path, file);
        if (expanded.isEmpty() || !expanded.startsWith("/")) {
            throw error(root, path, file, "project key '" + key + "' must be an absolute path (or start with ~)",
                    "e.g. [projects.\"/home/me/src/app\"]");
        }
        return normalise(Path.of(expanded));
    }

    /** {@code text} as a path, or a config error naming the key (a NUL cannot be in a path). */
    private static String pathText(String text, TomlTable root, List<String> path, String file) {
        if (text.indexOf('\0') >= 0) {
            throw error(root, path, file, "a path cannot contain a NUL character (\\u0000)", null);
        }
        try {
            Path.of(text);
        } catch (java.nio.file.InvalidPathException e) {
            throw error(root, path, file, "not a valid path: " + e.getReason(), null);
        }
        return text;
    }

    /** Absolute, normalised, symlinks resolved when the directory exists (as Leash does). */
    public static Path normalise(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        try {
            return abs.toRealPath();
        } catch (IOException e) {
            return abs;
        }
    }

    /**
     * {@code ~} and {@code $VAR}/{@code ${VAR}} expansion, as Leash does for paths. Text holding a
     * NUL is returned as it is: no path can hold one (resolving it would throw), and the caller's
     * {@link #pathText} refuses it with the key's location.
     */
    String expand(String s) {
        if (s.indexOf('\0') >= 0) {
            return s;
        }
        String out = s;
        if (out.equals("~")) {
            out = home.toString();
        } else if (out.startsWith("~/")) {
            out = home.resolve(out.substring(2)).toString();
        }
        Matcher m = ENV_REF.matcher(out);
        StringBuilder b = new StringBuilder();
        while (m.find()) {
            String var = m.group(1) != null ? m.group(1) : m.group(2);
            String val = var.equals("HOME") ? home.toString() : env.getOrDefault(var, "");
            m.appendReplacement(b, Matcher.quoteReplacement(val));
        }
        m.appendTail(b);
        return b.toString();
    }

    private static boolean looksLikePath(String key) {
        return key.startsWith("/") || key.startsWith("~") || key.startsWith("./") || key.startsWith("../") || key.startsWith("$");
    }

    private static List<String> append(List<String> at, String key) {
        List<String> p = new ArrayList<>(at);
        p.add(key);
        return p;
    }

    private static TomlTable table(TomlTable root, List<String> path, String file) {
        Object v = root.get(path);
        if (v instanceof TomlTable t) {
            return t;
        }
        throw error(root, path, file, "'" + String.join(".", path) + "' must be a table", null);
    }

    private static String string(TomlTable root, List<String> path, String file) {
        Object v = root.get(path);
        if (v instanceof String s) {
            return s;
        }
        throw error(root, path, file, "'" + String.join(".", path) + "' must be a string, not " + typeOf(v),
                v == null ? null : "write it in quotes: \"" + v + "\"");
    }

    private static String nonEmpty(TomlTable root, List<String> path, String file) {
        String s = string(root, path, file).strip();
        if (s.isEmpty()) {
            throw error(root, path, file, "'" + String.join(".", path) + "' must not be empty", null);
        }
        return s;
    }

    /** {@code pids_limit = 4096} or {@code memory = "8g"} (a number is bytes); 0 or "unlimited" for no cap. */
    private static long limit(TomlTable root, List<String> path, String file, boolean size) {
        Object v = root.get(path);
        String what = String.join(".", path);
        if (v instanceof Long n) {
            if (n < 0) {
                throw error(root, path, file, "'" + what + "' cannot be negative", "0 means no limit");
            }
            return n;
        }
        if (v instanceof String s) {
            try {
                return size ? dev.tether.sandbox.limits.SessionLimits.parseSize(s)
                        : dev.tether.sandbox.limits.SessionLimits.parsePids(s);
            } catch (IllegalArgumentException e) {
                throw error(root, path, file, "'" + what + "': " + e.getMessage(), null);
            }
        }
        throw error(root, path, file, "'" + what + "' must be " + (size ? "a size like \"8g\"" : "a number") + ", not "
                + typeOf(v), null);
    }

    private static boolean bool(TomlTable root, List<String> path, String file) {
        Object v = root.get(path);
        if (v instanceof Boolean b) {
            return b;
        }
        throw error(root, path, file, "'" + String.join(".", path) + "' must be true or false, not " + typeOf(v),
                v instanceof String s && Set.of("true", "false", "yes", "no").contains(s.toLowerCase(java.util.Locale.ROOT))
                        ? "write " + (Set.of("true", "yes").contains(s.toLowerCase(java.util.Locale.ROOT)) ? "true" : "false") + " without quotes"
                        : null);
    }

    private static String typeOf(Object v) {
        return switch (v) {
            case null -> "nothing";
            case String s -> "a string";
            case Boolean b -> "a boolean";
            case Long l -> "a number";
            case Double d -> "a number";
            case TomlTable t -> "a table";
            default -> v.getClass().getSimpleName().replace("Toml", "").toLowerCase(java.util.Locale.ROOT);
        };
    }

    private static ConfigException unknown(TomlTable root, List<String> path, String file, List<String> known) {
        String key = path.getLast();
        return error(root, path, file, "unknown key '" + String.join(".", path) + "'", suggest(key, known));
    }

    private static ConfigException error(TomlTable root, List<String> path, String file, String problem, String suggestion) {
        TomlPosition p = null;
        try {
            p = root.inputPositionOf(path);
        } catch (RuntimeException e) {
            // no position for implicit tables
        }
        return new ConfigException(file, p == null ? 1 : p.line(), p == null ? 1 : p.column(), problem, suggestion);
    }

    /** "did you mean" by edit distance, or the list of what is allowed. */
    static String suggest(String given, java.util.Collection<String> known) {
        String best = known.stream().min(Comparator.comparingInt((String k) -> distance(given, k))).orElse(null);
        if (best != null && distance(given, best) <= Math.max(2, given.length() / 3)) {
            return "did you mean '" + best + "'?";
        }
        return "known keys here: " + String.join(", ", known.stream().sorted().toList());
    }

    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int c = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + c);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
