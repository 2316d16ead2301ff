package dev.tether.cli.ui;

import dev.tether.cli.UserError;
import dev.tether.cli.control.ControlPlaneSettings;
import dev.tether.cli.control.HostControlPlane;
import dev.tether.events.store.AuditLocation;
import dev.tether.learn.AuditStoreEvents;
import dev.tether.learn.PolicyLearning;
import dev.tether.learn.ProjectAliases;
import dev.tether.learn.RecordedEventsException;
import dev.tether.learn.suggest.SuggestOptions;
import dev.tether.policy.Finding;
import dev.tether.policy.PolicyRejectedException;
import dev.tether.server.ControlPlane;
import dev.tether.server.ControlPlaneConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tether ui [--listen ADDR] [--policy FILE] [--db FILE] [--open]}: serves the control plane
 * (REST API, live stream, Control UI) without running a session: the host's audit store (every
 * recorded session, and the live activity of sessions other tether processes run) and one policy
 * file, edited and hot-reloaded. Prints the ready-to-open URL with the per-run access token.
 */
@Command(name = "ui", description = {"Serve the Control UI and its API over the audit store and a policy file",
    "(token-protected, loopback only by default)."}, sortOptions = false)
public final class UiCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--listen", paramLabel = "ADDR",
            description = "Address to listen on: HOST:PORT, [V6]:PORT or PORT (default: 127.0.0.1:18080).")
    String listen = ControlPlaneConfig.DEFAULT_HOST + ":" + ControlPlaneConfig.DEFAULT_PORT;

    @Option(names = "--allow-remote",
            description = "Allow a non-loopback listen address. The control plane can change the policy: only with care.")
    boolean allowRemote;

    @Option(names = {"-p", "--policy"}, paramLabel = "FILE",
            description = "The Cedar policy file to serve, edit and write (default: the project's .tether/policy.cedar,"
                    + " else ./policy.cedar).")
    Path policyFile;

    @Option(names = {"--audit", "--db"}, paramLabel = "DB",
            description = "Audit database: the activity and sessions shown, and what suggestions and \"what would change\""
                    + " learn from (default: $" + AuditLocation.OVERRIDE_ENV
                    + ", else $XDG_DATA_HOME/tether/audit.db, else ~/.local/share/tether/audit.db).")
    Path audit;

    @Option(names = "--open", description = "Open the URL in the desktop's browser (xdg-open).")
    boolean open;

    @Option(names = {"-C", "--project"}, paramLabel = "DIR",
            description = "The project the recorded sessions ran in (default: the policy's project, for <DIR>/.tether/policy.cedar, else the current directory).")
    Path project;

    @Override
    public Integer call() throws InterruptedException {
        HostControlPlane served = start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            served.close();
            stopped.countDown();
        }, "tether-ui-shutdown"));
        stopped.await();
        return 0;
    }

    /** Binds and starts; prints the URL. Separate from {@link #call()} so tests can stop it. */
    public HostControlPlane start() {
        PrintWriter out = spec.commandLine().getOut();
        ControlPlaneConfig config;
        try {
            config = ControlPlaneSettings.withExtractedUi(ControlPlaneConfig.defaults())
                    .withListen(listen).withAllowNonLoopback(allowRemote);
            config.checkedBindAddress();
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
        Path file = policyFile().toAbsolutePath().normalize();
        Path database = audit != null ? audit : AuditLocation.defaultDatabase();
        PolicyLearning learning = learning(file, database, spec.commandLine().getErr());
        HostControlPlane served;
        try {
            served = HostControlPlane.start(config, file, database, learning);
        } catch (PolicyRejectedException e) {
            throw new UserError("the policy " + file + " has errors:\n"
                    + e.errors().stream().map(Finding::render).collect(Collectors.joining("\n")));
        } catch (IOException e) {
            throw new UserError("cannot watch " + file + " for changes: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        } catch (RuntimeException e) {
            throw new UserError("cannot listen on " + listen + ": " + rootMessage(e));
        }
        ControlPlane plane = served.plane();
        out.println("tether control UI: " + plane.openUri());
        out.println("  (the token in this URL is the key to the control plane; it changes every run)");
        out.println("  policy " + file + "; activity from " + database
                + (Files.isRegularFile(database) ? "" : " (nothing recorded yet: shown once sessions record)"));
        out.flush();
        if (open) {
            openBrowser(plane, spec.commandLine().getErr());
        }
        return served;
    }

    private Path policyFile() {
        if (policyFile != null) {
            if (!Files.isRegularFile(policyFile)) {
                throw new UserError("no policy file at " + policyFile.toAbsolutePath().normalize());
            }
            return policyFile;
        }
        for (Path candidate : new Path[] {Path.of(".tether", "policy.cedar"), Path.of("policy.cedar")}) {
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        throw new UserError("no policy file here (looked for .tether/policy.cedar and policy.cedar): pass --policy FILE");
    }

    /** Learning over the audit store, or null (said on stderr) when there is none to read. */
    private PolicyLearning learning(Path policyFile, Path db, PrintWriter err) {
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
