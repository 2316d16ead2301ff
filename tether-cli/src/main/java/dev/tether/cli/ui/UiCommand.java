package dev.tether.cli.ui;

import dev.tether.cli.UserError;
import dev.tether.server.ControlPlane;
import dev.tether.server.ControlPlaneConfig;
import dev.tether.server.spi.EnforcementMode;
import dev.tether.server.standalone.CedarPolicyControl;
import dev.tether.server.standalone.InMemoryEventLog;
import dev.tether.server.standalone.InMemorySessionDirectory;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tether ui [--listen ADDR] [--open]}: serves the control plane (REST API, live stream,
 * Control UI) on its own, over a policy file, until interrupted. Prints the ready-to-open URL with
 * the per-run access token.
 */
@Command(name = "ui", description = "Serve the Control UI and its API (token-protected, loopback only by default).",
        sortOptions = false)
public final class UiCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--listen", paramLabel = "ADDR",
            description = "Address to listen on: HOST:PORT, [V6]:PORT or PORT (default: 127.0.0.1:18080).")
    String listen = ControlPlaneConfig.DEFAULT_HOST + ":" + ControlPlaneConfig.DEFAULT_PORT;

    @Option(names = "--allow-remote",
            description = "Allow a non-loopback listen address. The control plane can change the policy: only with care.")
    boolean allowRemote;

    @Option(names = {"-p", "--policy"}, paramLabel = "FILE",
            description = "The Cedar policy file to serve and persist to (default: ./policy.cedar).")
    Path policyFile = Path.of("policy.cedar");

    @Option(names = "--open", description = "Open the URL in the desktop's browser (xdg-open).")
    boolean open;

    @Override
    public Integer call() throws InterruptedException {
        ControlPlane plane = start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            plane.close();
            stopped.countDown();
        }, "tether-ui-shutdown"));
        stopped.await();
        return 0;
    }

    /** Binds and starts; prints the URL. Separate from {@link #call()} so tests can stop it. */
    public ControlPlane start() {
        PrintWriter out = spec.commandLine().getOut();
        ControlPlaneConfig config;
        try {
            config = ControlPlaneConfig.defaults().withListen(listen).withAllowNonLoopback(allowRemote);
            config.checkedBindAddress();
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
        Path file = policyFile.toAbsolutePath().normalize();
        if (!Files.isRegularFile(file)) {
            throw new UserError("no policy file at " + file + ": pass --policy FILE");
        }
        CedarPolicyControl policy;
        try {
            policy = CedarPolicyControl.fromFile(file);
        } catch (IOException e) {
            throw new UserError("cannot read " + file + ": " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
        ControlPlane plane;
        try {
            // Until the daemon wires the audit store and its sessions in, the standalone UI serves the
            // policy with an empty in-memory event log and session list.
            plane = ControlPlane.start(config, policy, new InMemoryEventLog(100_000),
                    new InMemorySessionDirectory(EnforcementMode.ENFORCE));
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        } catch (RuntimeException e) {
            throw new UserError("cannot listen on " + listen + ": " + rootMessage(e));
        }
        out.println("tether control UI: " + plane.openUri());
        out.println("  (the token in this URL is the key to the control plane; it changes every run)");
        out.flush();
        if (open) {
            openBrowser(plane, spec.commandLine().getErr());
        }
        return plane;
    }

    private static void openBrowser(ControlPlane plane, PrintWriter err) {
        try {
            new ProcessBuilder("xdg-open", plane.openUri().toString()).inheritIO().start();
        } catch (IOException e) {
            err.println("tether: cannot open a browser (" + e.getMessage() + "); open the URL above yourself");
        }
    }

    private static String rootMessage(Throwable t) {
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage();
    }
}
