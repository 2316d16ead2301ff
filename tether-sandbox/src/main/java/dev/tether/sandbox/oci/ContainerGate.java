package dev.tether.sandbox.oci;

import dev.tether.sandbox.SandboxEngine;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A start gate for containers: the container's first process is a shell blocked opening a FIFO
 * tether mounted in. Once it is blocked there the container's mounts are final and nothing of the
 * command has run; tether attaches enforcement to those mounts, then opens the FIFO's write end.
 */
final class ContainerGate {
    private static final long TIMEOUT_SECONDS = 60;

    private ContainerGate() {}

    static Path create(Path sessionFiles) {
        Path fifo = sessionFiles.resolve("gate");
        try {
            Files.deleteIfExists(fifo);
            Process mk = new ProcessBuilder("mkfifo", "-m", "600", fifo.toString()).redirectErrorStream(true).start();
            String out = new String(mk.getInputStream().readAllBytes());
            if (mk.waitFor() != 0) {
                throw new IllegalStateException("mkfifo " + fifo + ": " + out.strip());
            }
            return fifo;
        } catch (IOException e) {
            throw new IllegalStateException("cannot create the container's start gate: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Waits for the gated shell, runs the hook with its pid, then lets the command run. */
    static void open(Process engine, Path fifo, Path sessionCgroup, SandboxEngine.StartHook hook) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        long pid;
        while (true) {
            Optional<Long> waiting = blockedOnGate(sessionCgroup);
            if (waiting.isPresent()) {
                pid = waiting.get();
                break;
            }
            if (!engine.isAlive()) {
                throw new IOException("the container engine exited with status " + engine.exitValue() + " before the container started");
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("the container did not reach its start gate within " + TIMEOUT_SECONDS + " s");
            }
            sleep();
        }
        hook.beforeCommand(pid);
        // O_RDWR never blocks on a FIFO; the shell's pending open-for-read completes with it.
        try (FileChannel w = FileChannel.open(fifo, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            w.write(ByteBuffer.wrap(new byte[] {'\n'}));
        }
    }

    /** A process in the container's cgroup (below the session's) sleeping in the FIFO open. */
    static Optional<Long> blockedOnGate(Path sessionCgroup) throws IOException {
        try (Stream<Path> walk = Files.walk(sessionCgroup)) {
            for (Path procs : walk.filter(p -> p.getFileName().toString().equals("cgroup.procs"))
                    .filter(p -> !p.getParent().equals(sessionCgroup)).toList()) {
                for (String line : readLines(procs)) {
                    if (line.isBlank()) {
                        continue;
                    }
                    long pid = Long.parseLong(line.strip());
                    // Our gate shell, sleeping in open() of the FIFO: wait_for_partner (fifo_open when
                    // inlined). runc init sleeps the same way on its exec.fifo, hence the cmdline check.
                    String wchan = read(Path.of("/proc", line.strip(), "wchan"));
                    if ((wchan.equals("wait_for_partner") || wchan.equals("fifo_open"))
                            && read(Path.of("/proc", line.strip(), "cmdline")).contains(ContainerEngine.GATE)) {
                        return Optional.of(pid);
                    }
                }
            }
        }
        return Optional.empty();
    }

    private static java.util.List<String> readLines(Path p) {
        try {
            return Files.readAllLines(p);
        } catch (IOException e) {
            return java.util.List.of();
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p).strip();
        } catch (IOException e) {
            return "";
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(2);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
