package dev.tether.sandbox.config;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Settings from one scope of the config file (global or one project), or the merge of both.
 *
 * @param engine podman, docker or builtin, or null when unset
 * @param image the sandbox image (Leash: {@code target_image}), or null
 * @param policy the Cedar policy file, or null
 * @param caCertificate tether's CA certificate to install in the sandbox, or null
 * @param env environment variables for the sandbox (Leash: {@code envvars})
 * @param agentMounts whether to mount an agent's config directory, by agent name (Leash: {@code codex = true})
 * @param volumes extra bind mounts by host path: a docker-style target spec, or null to cancel an
 *     inherited one (Leash: {@code "~/x" = false})
 * @param pidsLimit most tasks in the sandbox ({@code pids_limit}; 0 = no cap), or null for the default
 * @param memoryLimit most memory of the sandbox in bytes ({@code memory = "8g"}; 0 = no cap), or null for the default
 * @param lock whether sessions put a Landlock floor under the policy ({@code lock = true}, as {@code --lock}), or null
 */
public record Settings(String engine, String image, Path policy, Path caCertificate, Map<String, String> env,
                       Map<String, Boolean> agentMounts, Map<String, String> volumes, Long pidsLimit, Long memoryLimit, Boolean lock) {
    public static final Settings EMPTY = new Settings(null, null, null, null, Map.of(), Map.of(), Map.of());

    /** Settings without limits of their own. */
    public Settings(String engine, String image, Path policy, Path caCertificate, Map<String, String> env,
                    Map<String, Boolean> agentMounts, Map<String, String> volumes) {
        this(engine, image, policy, caCertificate, env, agentMounts, volumes, null, null);
    }

    /** Settings without a lock setting of their own. */
    public Settings(String engine, String image, Path policy, Path caCertificate, Map<String, String> env,
                    Map<String, Boolean> agentMounts, Map<String, String> volumes, Long pidsLimit, Long memoryLimit) {
        this(engine, image, policy, caCertificate, env, agentMounts, volumes, pidsLimit, memoryLimit, null);
    }

    public Settings {
        env = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(env));
        agentMounts = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(agentMounts));
        volumes = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(volumes)); // values may be null
    }

    /** {@code over} wins wherever it sets something. */
    public Settings overriddenBy(Settings over) {
        Map<String, String> e = new LinkedHashMap<>(env);
        e.putAll(over.env);
        Map<String, Boolean> m = new LinkedHashMap<>(agentMounts);
        m.putAll(over.agentMounts);
        Map<String, String> v = new LinkedHashMap<>(volumes);
        v.putAll(over.volumes);
        return new Settings(first(over.engine, engine), first(over.image, image), first(over.policy, policy),
                first(over.caCertificate, caCertificate), e, m, v, first(over.pidsLimit, pidsLimit),
                first(over.memoryLimit, memoryLimit), first(over.lock, lock));
    }

    /** Volume specs in effect ({@code HOST:TARGET[:mode]}), cancelled ones left out. */
    public java.util.List<String> volumeSpecs() {
        return volumes.entrySet().stream().filter(x -> x.getValue() != null).map(x -> x.getKey() + ":" + x.getValue()).toList();
    }

    public Optional<Boolean> agentMount(String agent) {
        return Optional.ofNullable(agentMounts.get(agent));
    }

    private static <T> T first(T a, T b) {
        return a != null ? a : b;
    }
}
