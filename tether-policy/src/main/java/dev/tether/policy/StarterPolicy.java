package dev.tether.policy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The policy tether writes on first run: a least-privilege baseline for a coding agent, with
 * comments that say why each line is there so a user can edit it with confidence.
 *
 * <ul>
 *   <li>the project read-write, except {@code .git/hooks/} and {@code .git/config}, which would
 *       run code on the host the next time someone uses git there;
 *   <li>system directories read-only, scratch space and the agent's own state read-write;
 *   <li>system binaries executable, nothing in the project (commented out, one line to enable);
 *   <li>network only to the agent's API host(s) and the package registries the project's build
 *       files show it needs.
 * </ul>
 */
public final class StarterPolicy {
    private StarterPolicy() {}

    /** What tether knows about an agent: the hosts it talks to and where it keeps its state. */
    record AgentProfile(String name, List<String> apiHosts, List<String> loginHosts, List<String> stateDirs,
            List<String> stateFiles) {}

    static AgentProfile profile(String agent) {
        return switch (agent.toLowerCase(Locale.ROOT)) {
            case "claude" -> new AgentProfile("Claude Code", List.of("api.anthropic.com"),
                    List.of("console.anthropic.com", "claude.ai"), List.of(".claude/"), List.of(".claude.json"));
            case "codex" -> new AgentProfile("Codex", List.of("api.openai.com", "chatgpt.com"),
                    List.of("auth.openai.com"), List.of(".codex/"), List.of());
            case "gemini" -> new AgentProfile("Gemini CLI",
                    List.of("generativelanguage.googleapis.com", "cloudcode-pa.googleapis.com"),
                    List.of("oauth2.googleapis.com", "accounts.google.com"), List.of(".gemini/"), List.of());
            case "qwen" -> new AgentProfile("Qwen Code", List.of("dashscope.aliyuncs.com", "dashscope-intl.aliyuncs.com"),
                    List.of("chat.qwen.ai"), List.of(".qwen/"), List.of());
            case "opencode" -> new AgentProfile("OpenCode", List.of("opencode.ai", "models.dev"),
                    List.of("api.anthropic.com", "api.openai.com"),
                    List.of(".local/share/opencode/", ".config/opencode/", ".cache/opencode/"), List.of());
            default -> new AgentProfile(agent, List.of(), List.of(), List.of(), List.of());
        };
    }

    /** Package registries by the build file that shows a project needs them. */
    static Map<String, List<String>> registries(Path project) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (exists(project, "package.json")) {
            out.put("npm (package.json)", List.of("registry.npmjs.org"));
        }
        if (exists(project, "pyproject.toml") || exists(project, "requirements.txt") || exists(project, "setup.py")) {
            out.put("PyPI (Python project)", List.of("pypi.org", "files.pythonhosted.org"));
        }
        if (exists(project, "pom.xml") || exists(project, "build.gradle") || exists(project, "build.gradle.kts")) {
            List<String> maven = new ArrayList<>(List.of("repo.maven.apache.org", "repo1.maven.org"));
            if (exists(project, "build.gradle") || exists(project, "build.gradle.kts")) {
                maven.addAll(List.of("plugins.gradle.org", "services.gradle.org"));
            }
            out.put("Maven Central (JVM project)", maven);
        }
        if (exists(project, "go.mod")) {
            out.put("Go module proxy (go.mod)", List.of("proxy.golang.org", "sum.golang.org"));
        }
        if (exists(project, "Cargo.toml")) {
            out.put("crates.io (Cargo.toml)", List.of("index.crates.io", "static.crates.io", "crates.io"));
        }
        if (exists(project, "Gemfile")) {
            out.put("RubyGems (Gemfile)", List.of("rubygems.org", "index.rubygems.org"));
        }
        return out;
    }

    private static boolean exists(Path dir, String name) {
        try {
            return Files.isRegularFile(dir.resolve(name));
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** The starter policy for a project, with the agent's home directory at {@code /root}. */
    public static String forProject(Path projectDir, String agent) {
        return forProject(projectDir, agent, Path.of("/root"));
    }

    /**
     * The starter policy for a project as the sandbox sees it.
     *
     * @param projectDir the project's path inside the sandbox; if it also exists here, its build
     *     files decide which package registries are allowed
     * @param agent the agent name ({@code claude}, {@code codex}, {@code gemini}, {@code qwen},
     *     {@code opencode}, or any other command)
     * @param home the agent's home directory inside the sandbox
     */
    public static String forProject(Path projectDir, String agent, Path home) {
        String project = dir(projectDir);
        String homeDir = dir(home);
        AgentProfile a = profile(agent);
        StringBuilder sb = new StringBuilder();
        sb.append("""
                // tether starter policy for %s in %s
                //
                // Cedar: a request is denied unless a permit matches it and no forbid does; the
                // order of statements does not matter. Reference: docs/policy.md. Check changes
                // with `tether policy check`, try requests with `tether policy decide`, and run
                // with `--mode permissive` to see what an agent needs before tightening.

                // ---- The project ----

                @id("project-read-write")
                permit (
                    principal,
                    action in [Action::"FileOpenReadOnly", Action::"FileOpenReadWrite"],
                    resource in Dir::"%s"
                );

                // Git hooks and git config run code on the host the next time anyone uses git in
                // this checkout, outside the sandbox: the agent may read them, never change them.
                @id("protect-git-hooks")
                forbid (
                    principal,
                    action == Action::"FileOpenReadWrite",
                    resource
                ) when {
                    resource in Dir::"%s.git/hooks/" || resource == File::"%s.git/config"
                };

                @id("no-exec-git-hooks")
                forbid (principal, action == Action::"ProcessExec", resource in Dir::"%s.git/hooks/");

                // ---- The system ----

                @id("system-read-only")
                permit (
                    principal,
                    action == Action::"FileOpenReadOnly",
                    resource
                ) when {
                    resource in [
                        Dir::"/usr/", Dir::"/lib/", Dir::"/lib64/", Dir::"/bin/", Dir::"/sbin/",
                        Dir::"/etc/", Dir::"/opt/", Dir::"/proc/", Dir::"/sys/", Dir::"/dev/"
                    ]
                };

                // Scratch space and the devices programs write to.
                @id("scratch-read-write")
                permit (
                    principal,
                    action in [Action::"FileOpenReadOnly", Action::"FileOpenReadWrite"],
                    resource
                ) when {
                    resource in [Dir::"/tmp/", Dir::"/var/tmp/", Dir::"/dev/pts/"] ||
                    resource in [File::"/dev/null", File::"/dev/zero", File::"/dev/tty", File::"/dev/urandom", File::"/dev/random"]
                };

                """.formatted(a.name(), project, project, project, project, project));

        sb.append("// ---- The agent's home: its own state and caches read-write, the rest read-only ----\n\n");
        List<String> rw = new ArrayList<>();
        for (String d : a.stateDirs()) {
            rw.add("Dir::\"" + homeDir + d + "\"");
        }
        for (String d : List.of(".cache/", ".npm/", ".local/")) {
            String e = "Dir::\"" + homeDir + d + "\"";
            if (!rw.contains(e)) {
                rw.add(e);
            }
        }
        List<String> rwFiles = new ArrayList<>();
        for (String f : a.stateFiles()) {
            rwFiles.add("File::\"" + homeDir + f + "\"");
        }
        sb.append("@id(\"home-state\")\npermit (\n    principal,\n    action in [Action::\"FileOpenReadOnly\", Action::\"FileOpenReadWrite\"],\n    resource\n) when {\n    resource in [")
                .append(String.join(", ", rw)).append(']');
        if (!rwFiles.isEmpty()) {
            sb.append(" ||\n    resource in [").append(String.join(", ", rwFiles)).append(']');
        }
        sb.append("\n};\n\n");
        sb.append("@id(\"home-read-only\")\npermit (principal, action == Action::\"FileOpenReadOnly\", resource in Dir::\"")
                .append(homeDir).append("\");\n\n");
        sb.append("""
                // Credentials that may be mounted into a home directory stay unreadable.
                @id("no-credentials")
                forbid (
                    principal,
                    action in [Action::"FileOpenReadOnly", Action::"FileOpenReadWrite"],
                    resource
                ) when {
                    resource in [Dir::"%1$s.ssh/", Dir::"%1$s.aws/", Dir::"%1$s.config/gcloud/", Dir::"%1$s.docker/", Dir::"%1$s.kube/"]
                };

                // ---- Programs ----

                @id("exec-system-binaries")
                permit (
                    principal,
                    action == Action::"ProcessExec",
                    resource
                ) when {
                    resource in [
                        Dir::"/usr/bin/", Dir::"/bin/", Dir::"/usr/sbin/", Dir::"/sbin/", Dir::"/usr/local/bin/",
                        Dir::"/usr/lib/", Dir::"/usr/libexec/", Dir::"/usr/local/lib/", Dir::"/opt/"
                    ]
                };

                // Programs inside the project (./gradlew, node_modules/.bin, build outputs) are code
                // the agent may have written itself. Uncomment to let it run them:
                // permit (principal, action == Action::"ProcessExec", resource in Dir::"%2$s");

                """.formatted(homeDir, project));

        sb.append("// ---- Network: the agent's API and the registries this project uses ----\n\n");
        List<String> hosts = new ArrayList<>();
        for (String h : a.apiHosts()) {
            hosts.add("Host::\"" + h + ":443\"");
        }
        if (hosts.isEmpty()) {
            sb.append("// tether does not know which API \"").append(agent)
                    .append("\" talks to; add its host, e.g. Host::\"api.example.com:443\".\n");
        } else {
            sb.append("// ").append(a.name()).append("'s API.\n");
        }
        Map<String, List<String>> regs = registries(projectDir);
        for (Map.Entry<String, List<String>> e : regs.entrySet()) {
            sb.append("// ").append(e.getKey()).append(".\n");
            for (String h : e.getValue()) {
                hosts.add("Host::\"" + h + ":443\"");
            }
        }
        if (!hosts.isEmpty()) {
            sb.append("@id(\"network-allowlist\")\npermit (\n    principal,\n    action == Action::\"NetworkConnect\",\n    resource\n) when {\n    resource in [\n");
            for (int i = 0; i < hosts.size(); i++) {
                sb.append("        ").append(hosts.get(i)).append(i + 1 < hosts.size() ? ",\n" : "\n");
            }
            sb.append("    ]\n};\n\n");
        }
        if (!a.loginHosts().isEmpty()) {
            sb.append("// Logging in from inside the sandbox also needs these (uncomment if you log in there):\n");
            sb.append("// permit (principal, action == Action::\"NetworkConnect\", resource)\n// when { resource in [");
            List<String> lh = new ArrayList<>();
            for (String h : a.loginHosts()) {
                lh.add("Host::\"" + h + ":443\"");
            }
            sb.append(String.join(", ", lh)).append("] };\n\n");
        }
        if (regs.isEmpty()) {
            sb.append("""
                    // No build file showed which package registry this project uses. For example:
                    // permit (principal, action == Action::"NetworkConnect", resource)
                    // when { resource in [Host::"registry.npmjs.org:443", Host::"pypi.org:443", Host::"files.pythonhosted.org:443"] };

                    """);
        }
        sb.append("""
                // Cloud metadata endpoints hand out credentials; never reachable, whatever else is allowed.
                @id("no-metadata-service")
                forbid (principal, action == Action::"NetworkConnect", resource)
                when { resource in [Host::"169.254.169.254", Host::"fd00:ec2::254", Host::"metadata.google.internal"] };
                """);
        return sb.toString();
    }

    /** A directory as a Cedar {@code Dir::} id: absolute, normalised, ending in /, escaped. */
    private static String dir(Path p) {
        String s = p.toAbsolutePath().normalize().toString();
        if (!s.endsWith("/")) {
            s = s + "/";
        }
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }
}
