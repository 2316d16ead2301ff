package dev.tether.sandbox.net;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * Runs the host's network tools ({@code ip}, {@code nft}) with a script on stdin. These are the
 * kernel's own front ends to netlink; tether drives them rather than re-implementing netlink.
 */
public final class HostCommands {
    /** A finished command. */
    public record Result(int exit, String stdout, String stderr) {
        public boolean ok() {
            return exit == 0;
        }
    }

    private static final long TIMEOUT_SECONDS = 30;
    private static final Executor READERS = task -> Thread.ofVirtual().name("host-command-output").start(task);

    private final List<String> prefix;

    public HostCommands() {
        this(List.of());
    }

    /** Runs every command behind {@code prefix}, e.g. {@code ip netns exec NS} (tests with a private "host"). */
    HostCommands(List<String> prefix) {
        this.prefix = List.copyOf(prefix);
    }

    /** Runs {@code argv}, feeding {@code stdin} (may be null), and returns what it printed. */
    public Result run(List<String> argv, String stdin) {
        try {
            List<String> full = new java.util.ArrayList<>(prefix);
            full.addAll(argv);
            ProcessBuilder pb = new ProcessBuilder(full);
            pb.environment().put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
            Process p = pb.start();
            // Readers on threads of their own: the common pool has one thread on a 2-CPU host, so
            // commands run in parallel would wait for each other's output there.
            CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()), READERS);
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()), READERS);
            try (OutputStream in = p.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, "", String.join(" ", argv) + " did not finish within " + TIMEOUT_SECONDS + " s");
            }
            return new Result(p.exitValue(), out.join(), err.join());
        } catch (IOException e) {
            return new Result(-1, "", argv.getFirst() + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "", "interrupted");
        }
    }

    /** Like {@link #run} but a failure is an exception carrying the tool's own message. */
    public String require(List<String> argv, String stdin, String what) {
        Result r = run(argv, stdin);
        if (!r.ok()) {
            throw new NetworkSetupException(what + " failed (" + String.join(" ", argv) + "): " + r.stderr().strip());
        }
        return r.stdout();
    }

    private static String read(InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
