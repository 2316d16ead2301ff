package dev.tether.cli.sandbox;

import dev.tether.cli.UserError;
import dev.tether.cli.session.OwnFiles;
import dev.tether.cli.session.SandboxSession;
import dev.tether.kernel.ffm.LibC;
import dev.tether.sandbox.BindMount;
import dev.tether.sandbox.EngineSelector;
import dev.tether.sandbox.RootFs;
import dev.tether.sandbox.SandboxEngine;
import dev.tether.sandbox.SandboxPlan;
import dev.tether.sandbox.agent.Agent;
import dev.tether.sandbox.builtin.BuiltinEngine;
import dev.tether.sandbox.config.ConfigException;
import dev.tether.sandbox.config.ConfigLoader;
import dev.tether.sandbox.config.Settings;
import dev.tether.sandbox.config.TetherConfig;
import dev.tether.sandbox.limits.SessionLimits;
import dev.tether.sandbox.image.BuiltImage;
import dev.tether.sandbox.image.ImageBuilder;
import dev.tether.sandbox.image.ImageStore;
import dev.tether.sandbox.net.PublishedPort;
import dev.tether.sandbox.net.SandboxNetwork;
import dev.tether.sandbox.oci.ContainerEngine;
import dev.tether.sandbox.oci.EngineKind;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns command-line options, the config file and the agent profile into the engine and the
 * {@link SandboxPlan}: which image, mounts, environment (Leash's order: agent API keys, global
 * config, project config, {@code -e}; tether's CA variables last), ports and network.
 */
public final class SandboxPlanner {
    private final SandboxOptions options;
    private final Map<String, String> hostEnv;
    private final PrintWriter err;
    private final AgentMountPrompt prompt;

    public SandboxPlanner(SandboxOptions options, Map<String, String> hostEnv, PrintWriter err, AgentMountPrompt prompt) {
        this.options = options;
        this.hostEnv = hostEnv;
        this.err = err;
        this.prompt = prompt;
    }

    /** A planned run: the engine and everything but the session id, which the session adds. */
    public record Planned(SandboxEngine engine, Path projectDir, String agentName, Agent agent, Settings settings,
                          java.util.function.Function<String, SandboxPlan> forSession) {}

    public Planned plan(List<String> command, Agent agent, String agentName) {
        Path project = options.projectDir.toAbsolutePath().normalize();
        if (!Files.isDirectory(project)) {
            throw new UserError("project directory " + project + " does not exist");
        }
        Path home = HostUser.home(hostEnv);
        Path configFile = options.config != null ? options.config : TetherConfig.defaultFile(hostEnv, home);
        TetherConfig config;
        try {
            config = new ConfigLoader(hostEnv, home).load(configFile);
        } catch (ConfigException e) {
            throw new UserError("config: " + e.getMessage(), SandboxSession.EXIT_TETHER_ERROR);
        }
        Settings settings = config.forProject(project);
        LibC libc = LibC.load();
        String engineName = options.engine != null ? options.engine : settings.engine();
        SandboxEngine engine;
        try {
            engine = engineName != null ? EngineSelector.byName(engineName, libc) : EngineSelector.detect(libc);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
        ImageStore store = new ImageStore(ImageStore.DEFAULT_ROOT);
        String image = options.image != null ? options.image : settings.image();
        RootFs root;
        if (engine instanceof ContainerEngine) {
            if (image == null) {
                Optional<BuiltImage> def = store.defaultImage().filter(BuiltImage::imported);
                if (def.isPresent()) {
                    root = new RootFs.Image(def.get().reference());
                } else if (engineName == null && agent == null) {
                    // Nothing asked for and no image yet: the built-in sandbox runs with the host's system.
                    err.println("tether: no sandbox image yet ('tether image build' makes one); using the built-in sandbox");
                    engine = BuiltinEngine.detect(libc);
                    root = new RootFs.HostSystem();
                } else {
                    throw new UserError("no image for " + engine.name() + ": run 'tether image build', or pass --image",
                            SandboxSession.EXIT_TETHER_ERROR);
                }
            } else {
                root = new RootFs.Image(image);
            }
            ContainerEngine container = (ContainerEngine) engine;
            if (root instanceof RootFs.Image img && container.kind() == EngineKind.DOCKER && container.unavailableReason() == null
                    && !ImageBuilder.hasImage(container, img.reference())) {
                // No registry here: docker has only what was imported into it.
                throw new UserError("docker has no image " + img.reference() + (store.byReference(img.reference()).isPresent()
                        ? ": run 'tether image build' again, which imports it into every engine running now"
                        : ": import it into docker, or run 'tether image build'"), SandboxSession.EXIT_TETHER_ERROR);
            }
        } else if (image != null) {
            Path dir = Path.of(image);
            Optional<BuiltImage> built = store.byReference(image);
            if (built.isPresent()) {
                root = new RootFs.Directory(built.get().rootfs());
            } else if (dir.isAbsolute() && Files.isDirectory(dir)) {
                root = new RootFs.Directory(dir);
            } else {
                throw new UserError("the built-in engine runs a root file system directory or an image 'tether image build'"
                        + " made; '" + image + "' is neither", SandboxSession.EXIT_TETHER_ERROR);
            }
        } else if (agent != null) {
            root = store.defaultImage().map(b -> (RootFs) new RootFs.Directory(b.rootfs())).orElseThrow(() -> new UserError(
                    "no agent image yet: run 'tether image build' first", SandboxSession.EXIT_TETHER_ERROR));
        } else {
            root = new RootFs.HostSystem();
        }

        List<BindMount> mounts = new ArrayList<>();
        try {
            for (String v : settings.volumeSpecs()) {
                mounts.add(BindMount.parse(v, project, home));
            }
            for (String v : options.volumes) {
                mounts.add(BindMount.parse(v, Path.of("").toAbsolutePath(), home));
            }
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
        OwnFiles own = mounts.isEmpty() ? null : OwnFiles.ofThisProcess();
        for (BindMount m : mounts) {
            if (!Files.exists(m.host())) {
                throw new UserError("volume source " + m.host() + " does not exist");
            }
            List<Path> ownFiles = m.readOnly() ? List.of() : own.overlappedBy(m.host());
            if (!ownFiles.isEmpty()) {
                throw new UserError("volume " + m.host() + " would let the sandbox write tether's own files (" + ownFiles.getFirst()
                        + ": its config, CA or installation); mount it read-only (" + m.host() + ":" + m.target() + ":ro)");
            }
        }
        // A config file given with --config is tether's too: read-only when the project holds it.
        if (options.config != null) {
            Path given = configFile.toAbsolutePath().normalize();
            if (given.startsWith(project) && Files.isRegularFile(given)) {
                err.println("tether: " + given + " is tether's config: read-only in the sandbox");
                mounts.addAll(OwnFiles.atProjectNames(project, List.of(given)));
            }
        }
        if (agent != null) {
            Path dir = home.resolve(agent.configDir());
            if (prompt.shouldMount(agent, dir, config, project)) {
                try {
                    Files.createDirectories(dir);
                } catch (java.io.IOException e) {
                    throw new UserError("cannot create " + dir + ": " + e.getMessage());
                }
                mounts.add(new BindMount(dir, "/root/" + agent.configDir(), false));
            }
        }

        List<PublishedPort> ports = new ArrayList<>();
        try {
            for (String p : options.publish) {
                ports.add(PublishedPort.parse(p));
            }
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
        if (!ports.isEmpty() && options.noNetwork) {
            throw new UserError("--publish needs the sandbox network; drop --no-network");
        }
        Path givenCa = options.caCertificate != null ? options.caCertificate : settings.caCertificate();
        if (givenCa != null && !Files.isRegularFile(givenCa)) {
            throw new UserError("CA certificate " + givenCa + " does not exist");
        }
        // tether's proxy intercepts the sandbox's HTTPS: by default the sandbox trusts tether's CA.
        Path ca = givenCa != null ? givenCa : options.noNetwork ? null : tetherCaCertificate();
        Map<String, String> env = environment(agent, settings, ca != null);
        boolean tty = options.tty != null ? options.tty : StdioTerminal.isInteractive();
        InetAddress dns = options.noNetwork ? null : SandboxNetwork.hostResolver(Path.of("/etc/resolv.conf")).orElse(null);
        SessionLimits limits = limits(settings);
        SandboxEngine chosen = engine;
        RootFs chosenRoot = root;
        return new Planned(chosen, project, agentName, agent, settings, sessionId -> {
            Map<String, String> e = new LinkedHashMap<>(env);
            e.put("TETHER_SESSION", sessionId);
            String hostname = "tether-" + sessionId.substring(sessionId.length() - 6);
            return new SandboxPlan(sessionId, command, project, project, e, hostname, chosenRoot, mounts, ports, tty, ca,
                    !options.noNetwork, dns, limits);
        });
    }

    /** Defaults, then the config file, then the command line. */
    private SessionLimits limits(Settings settings) {
        SessionLimits limits = SessionLimits.defaults();
        if (settings.pidsLimit() != null) {
            limits = limits.withPids(settings.pidsLimit());
        }
        if (settings.memoryLimit() != null) {
            limits = limits.withMemory(settings.memoryLimit());
        }
        try {
            if (options.pidsLimit != null) {
                limits = limits.withPids(SessionLimits.parsePids(options.pidsLimit));
            }
            if (options.memory != null) {
                limits = limits.withMemory(SessionLimits.parseSize(options.memory));
            }
        } catch (IllegalArgumentException e) {
            throw new UserError((options.memory != null && e.getMessage().contains("size") ? "--memory " : "--pids-limit ")
                    + e.getMessage());
        }
        return limits;
    }

    private static Path tetherCaCertificate() {
        try {
            return dev.tether.proxy.ca.CertificateAuthority.openOrCreate(
                    dev.tether.cli.session.TetherDirs.certificateAuthority()).certificatePath();
        } catch (java.io.IOException e) {
            throw new UserError("cannot create tether's CA in " + dev.tether.cli.session.TetherDirs.certificateAuthority()
                    + ": " + e.getMessage());
        }
    }

    private Map<String, String> environment(Agent agent, Settings settings, boolean withCa) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        env.put("HOME", "/root");
        String term = hostEnv.get("TERM");
        if (term != null) {
            env.put("TERM", term);
        }
        String lang = hostEnv.get("LANG");
        env.put("LANG", lang == null ? "C.UTF-8" : lang);
        if (agent != null) {
            env.putAll(agent.forwardedKeys(hostEnv));
        }
        env.putAll(settings.env());
        for (String e : options.env) {
            int eq = e.indexOf('=');
            String key = eq < 0 ? e : e.substring(0, eq);
            if (!key.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw new UserError("-e " + e + ": '" + key + "' is not a valid variable name");
            }
            if (eq >= 0) {
                env.put(key, e.substring(eq + 1));
            } else if (hostEnv.containsKey(key)) {
                env.put(key, hostEnv.get(key));
            }
        }
        if (withCa) {
            env.putAll(Agent.caEnvironment(agent));
        }
        return env;
    }
}
