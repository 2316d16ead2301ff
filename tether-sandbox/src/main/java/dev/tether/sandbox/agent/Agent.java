package dev.tether.sandbox.agent;

import dev.tether.sandbox.SandboxSpec;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The coding agents tether knows by name: how to install them (npm), which API keys they read,
 * where they keep their configuration, and which variables make their runtime trust tether's CA.
 */
public enum Agent {
    CLAUDE("claude", "@anthropic-ai/claude-code", List.of("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL"),
            ".claude", List.of("NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE")),
    CODEX("codex", "@openai/codex", List.of("OPENAI_API_KEY", "OPENAI_BASE_URL"),
            ".codex", List.of("SSL_CERT_FILE", "CODEX_CA_CERTIFICATE")),
    GEMINI("gemini", "@google/gemini-cli", List.of("GEMINI_API_KEY", "GOOGLE_API_KEY"),
            ".gemini", List.of("NODE_EXTRA_CA_CERTS")),
    QWEN("qwen", "@qwen-code/qwen-code", List.of("DASHSCOPE_API_KEY", "OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL"),
            ".qwen", List.of("NODE_EXTRA_CA_CERTS")),
    OPENCODE("opencode", "opencode-ai", List.of("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY", "DASHSCOPE_API_KEY"),
            ".config/opencode", List.of("NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE"));

    /** CA variables every sandbox gets too: programs the agents start (curl, git, python) read these. */
    static final List<String> COMMON_CA_VARIABLES = List.of("SSL_CERT_FILE", "CURL_CA_BUNDLE", "GIT_SSL_CAINFO", "REQUESTS_CA_BUNDLE");

    private final String command;
    private final String npmPackage;
    private final List<String> apiKeys;
    private final String configDir;
    private final List<String> caVariables;

    Agent(String command, String npmPackage, List<String> apiKeys, String configDir, List<String> caVariables) {
        this.command = command;
        this.npmPackage = npmPackage;
        this.apiKeys = apiKeys;
        this.configDir = configDir;
        this.caVariables = caVariables;
    }

    /** The agent's name, which is also its command and its Cedar principal ({@code Agent::"claude"}). */
    public String command() {
        return command;
    }

    public String npmPackage() {
        return npmPackage;
    }

    /** Host variables forwarded into the sandbox when set. */
    public List<String> apiKeys() {
        return apiKeys;
    }

    /** Its configuration directory relative to the home directory (host and sandbox alike). */
    public String configDir() {
        return configDir;
    }

    /** The variables its runtime reads for extra trusted CAs. */
    public List<String> caVariables() {
        return caVariables;
    }

    public static Optional<Agent> byName(String name) {
        return Arrays.stream(values()).filter(a -> a.command.equals(name)).findFirst();
    }

    /** The host's API keys for this agent that are set (and non-empty). */
    public Map<String, String> forwardedKeys(Map<String, String> hostEnv) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String k : apiKeys) {
            String v = hostEnv.get(k);
            if (v != null && !v.isEmpty()) {
                out.put(k, v);
            }
        }
        return out;
    }

    /**
     * The CA variables pointing at the sandbox's bundle (which holds the system roots plus tether's
     * CA), for {@code agent} (null: any command). They replace whatever the host or config set:
     * a host-wide NODE_EXTRA_CA_CERTS must not decide what the sandbox trusts.
     */
    public static Map<String, String> caEnvironment(Agent agent) {
        Map<String, String> out = new LinkedHashMap<>();
        List<String> vars = new java.util.ArrayList<>(COMMON_CA_VARIABLES);
        if (agent != null) {
            vars.addAll(agent.caVariables);
        } else {
            vars.add("NODE_EXTRA_CA_CERTS");
        }
        for (String v : vars) {
            out.put(v, SandboxSpec.CA_BUNDLE);
        }
        return out;
    }
}
