package dev.tether.cli.sandbox;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The sandbox options {@code tether run} and the agent commands share (docker-style where docker has them). */
public final class SandboxOptions {
    @Option(names = "--engine", paramLabel = "ENGINE", description = "podman, docker or builtin (default: podman when installed, then docker, then builtin).")
    public String engine;

    @Option(names = "--image", paramLabel = "IMAGE", description = "Image (engine reference, or a rootfs directory for builtin); default: config, then the image 'tether image build' made.")
    public String image;

    @Option(names = {"-v", "--volume"}, paramLabel = "HOST:TARGET[:ro|rw]", description = "Bind-mount a host path into the sandbox (repeatable).")
    public List<String> volumes = new ArrayList<>();

    @Option(names = {"-e", "--env"}, paramLabel = "KEY[=VALUE]", description = "Set a variable in the sandbox; KEY alone copies the host's value (repeatable).")
    public List<String> env = new ArrayList<>();

    @Option(names = {"-p", "--publish"}, paramLabel = "[IP:]HOST_PORT:PORT", description = "Publish a sandbox TCP port on the host (default IP 127.0.0.1; repeatable).")
    public List<String> publish = new ArrayList<>();

    @Option(names = "--ca-cert", paramLabel = "PEM", description = "CA certificate the sandbox trusts in addition to the system roots (tether's proxy CA).")
    public Path caCertificate;

    @Option(names = "--no-network", description = "No network at all inside the sandbox (only loopback).")
    public boolean noNetwork;

    @Option(names = "--config", paramLabel = "FILE", description = "Config file (default: ~/.config/tether/config.toml).")
    public Path config;

    @Option(names = "--tty", negatable = true, description = "Give the command a terminal (default: when stdin and stdout are terminals).")
    public Boolean tty;

    @Option(names = {"-C", "--project"}, paramLabel = "DIR", description = "Project directory to mount (default: the current directory).")
    public Path projectDir = Path.of("");

    @Option(names = "--events", paramLabel = "FILE", description = "Write every event as one JSON line to FILE.")
    public Path eventsFile;

    @Option(names = {"-q", "--quiet"}, description = "Do not print a line per event to stderr.")
    public boolean quiet;

    @Option(names = "--policy", paramLabel = "FILE", description = "Cedar policy to enforce, hot-reloaded when the file changes (default: config 'policy').")
    public Path policy;

    @Option(names = "--monitor-only", description = "Watch and record only: no policy, nothing enforced (for measuring and discovery).")
    public boolean monitorOnly;

    @Option(names = "--pids-limit", paramLabel = "N", description = "Most processes and threads the sandbox may have at once (default 4096; 0 = no limit).")
    public String pidsLimit;

    @Option(names = {"-m", "--memory"}, paramLabel = "SIZE", description = "Most memory the sandbox may use, e.g. 512m, 8g (default: half of the host's memory; 0 = no limit).")
    public String memory;

    @Option(names = "--mode", paramLabel = "MODE", description = "enforce (default), shadow (record would-deny, allow) or permissive.")
    public String mode = "enforce";

    @Option(names = "--lock", negatable = true, description = "Also put a Landlock ruleset under the policy: the union of its permits, fixed for the session (a reload cannot widen past it; forbids stay with the gate). Refuses to start without Landlock (default: config 'lock').")
    public Boolean lock;

    @Option(names = {"--ui-listen", "--listen"}, paramLabel = "ADDR", description = "Where the session's Control UI and API listen: HOST:PORT, [V6]:PORT or PORT, loopback only (default: 127.0.0.1:18080).")
    public String uiListen;

    @Option(names = "--no-ui", description = "Serve no Control UI for this session (its events still go to the audit store, which 'tether ui' shows).")
    public boolean noUi;
}
