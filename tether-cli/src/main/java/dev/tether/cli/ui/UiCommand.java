package dev.tether.cli.ui;

import dev.tether.cli.UserError;
import dev.tether.events.store.AuditLocation;
import dev.tether.learn.AuditStoreEvents;
import dev.tether.learn.PolicyLearning;
import dev.tether.learn.ProjectAliases;
import dev.tether.learn.RecordedEventsException;
import dev.tether.learn.suggest.SuggestOptions;
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

    @Option(names = "--audit", paramLabel = "DB",
            description = "The audit database suggestions and \"what would change\" learn from (default: the host's, if any).")
    Path audit;

    @Option(names = {"-C", "--project"}, paramLabel = "DIR",
            description = "The project the recorded sessions ran in (default: the policy's project, for <DIR>/.tether/policy.cedar, else the current directory).")
    Path project;

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
        PolicyLearning learning = learning(file, spec.commandLine().getErr());
        try {
            // The standalone UI serves the policy with an empty in-memory event log and session list;
            // suggestions and "what would change" learn from the host's audit store.
            plane = ControlPlane.start(config, policy, new InMemoryEventLog(100_000),
                    new InMemorySessionDirectory(EnforcementMode.ENFORCE), learning);
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

    /** Learning over the audit store, or null (said on stderr) when there is none to read. */
    private PolicyLearning learning(Path policyFile, PrintWriter err) {
        Path db = audit != null ? audit : AuditLocation.defaultDatabase();
        if (!Files.isRegularFile(db)) {
            if (audit != null) {
                throw new UserError("no audit database at " + db);
            }
            err.println("tether: no audit store at " + db + " yet: suggestions and \"what would change\" are off until"
                    + " sessions are recorded (tether run)");
            return null;
        }
        Path dir = project != null ? project.toAbsolutePath().normalize() : projectOf(policyFile);
        try {
            return new PolicyLearning(AuditStoreEvents.openReadOnly(db), SuggestOptions.defaults(
                    new ProjectAliases(dir.toString()), dev.tether.cli.policy.PolicySuggestCommand.homes()));
        } catch (RecordedEventsException | IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
    }

    /** {@code P} for a policy at {@code P/.tether/policy.cedar} (where tether run keeps it), else the current directory. */
    static Path projectOf(Path policyFile) {
        Path parent = policyFile.getParent();
        if (parent != null && parent.getFileName() != null && parent.getFileName().toString().equals(".tether")
                && parent.getParent() != null) {
            return parent.getParent();
        }
        return Path.of("").toAbsolutePath();
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
