package dev.tether.sandbox.builtin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.kernel.ffm.LibC;
import dev.tether.kernel.ffm.NativeCallException;
import dev.tether.sandbox.SandboxEngine;
import dev.tether.sandbox.SandboxProcess;
import dev.tether.sandbox.limits.LimitCgroups;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Starts bwrap so that its sandbox pid 1 joins the sandbox cgroup before it execs the command.
 * A JVM cannot hand extra descriptors to a child, so two FIFOs stand in for them: bwrap writes
 * {@code {"child-pid": N}} to the info FIFO (its fd 3), tether moves N into the cgroup, then writes
 * one byte to the block FIFO (fd 4), on which the sandbox waits before its exec.
 */
final class CgroupHandshake {
    private static final long HANDSHAKE_SECONDS = 30;

    private final LibC libc;

    CgroupHandshake(LibC libc) {
        this.libc = libc;
    }

    SandboxProcess launch(List<String> bwrapArgv, Path cgroupProcs, LimitCgroups limits, SandboxEngine.StartHook beforeCommand) {
        Path dir;
        try {
            dir = Files.createTempDirectory("tether-bwrap-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the sandbox handshake directory", e);
        }
        Path info = dir.resolve("info");
        Path block = dir.resolve("block");
        Process process = null;
        try {
            mkfifo(info);
            mkfifo(block);
            // O_RDWR opens of a FIFO never block, so the shell's own opens below find their peer
            // at once; and since we hold both ends, a dying bwrap cannot leave us waiting in open().
            try (FileChannel infoCh = FileChannel.open(info, StandardOpenOption.READ, StandardOpenOption.WRITE);
                 FileChannel blockCh = FileChannel.open(block, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                // sh's "$0"/"$1" are the FIFOs; the rest is bwrap's command line.
                List<String> argv = new ArrayList<>(List.of("/bin/sh", "-c",
                        "b=\"$1\"; shift; exec \"$@\" 3>\"$0\" 4<\"$b\"", info.toString(), block.toString()));
                argv.addAll(bwrapArgv);
                ProcessBuilder pb = new ProcessBuilder(argv).inheritIO();
                pb.environment().clear();
                pb.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
                process = pb.start();
                long sandboxInit = awaitChildPid(process, infoCh);
                Files.writeString(cgroupProcs, Long.toString(sandboxInit));
                limits.join(sandboxInit);
                awaitBlocked(process, sandboxInit);
                beforeCommand.beforeCommand(sandboxInit);
                blockCh.write(ByteBuffer.wrap(new byte[] {'1'}));
                return new LocalSandboxProcess(process, sandboxInit, limits);
            }
        } catch (IOException e) {
            if (process != null) {
                process.destroyForcibly();
            }
            throw new UncheckedIOException("cannot start the sandbox: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            if (process != null) {
                process.destroyForcibly();
            }
            throw e;
        } finally {
            try {
                Files.deleteIfExists(info);
                Files.deleteIfExists(block);
                Files.deleteIfExists(dir);
            } catch (IOException ignored) {
                // a temp directory left in /tmp is harmless
            }
        }
    }

    private static long awaitChildPid(Process process, FileChannel infoCh) throws IOException {
        var exec = Executors.newVirtualThreadPerTaskExecutor();
        try {
            Future<Long> result = exec.submit(() -> readChildPid(Channels.newInputStream(infoCh)));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(HANDSHAKE_SECONDS);
            while (true) {
                try {
                    return result.get(50, TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    if (!process.isAlive() || System.nanoTime() > deadline) {
                        // Release the parser: it reads this instead of bwrap's report.
                        infoCh.write(ByteBuffer.wrap("{}".getBytes(StandardCharsets.US_ASCII)));
                        if (!process.isAlive()) {
                            throw new IOException("bwrap exited with status " + process.exitValue()
                                    + " before the sandbox started");
                        }
                        throw new IOException("the sandbox did not start within " + HANDSHAKE_SECONDS + " s");
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while starting the sandbox", e);
        } catch (ExecutionException e) {
            throw new IOException("sandbox handshake failed: " + e.getCause().getMessage(), e.getCause());
        } finally {
            exec.shutdownNow();
        }
    }

    /**
     * Waits until the sandbox's first process sits in read() on the block fd (fd 4): bwrap reads it
     * after building the sandbox's mounts and right before exec, so from then on the mount table
     * is final and nothing of the command has run.
     */
    private static void awaitBlocked(Process process, long pid) throws IOException {
        Path syscall = Path.of("/proc", Long.toString(pid), "syscall");
        String blockedInRead = dev.tether.kernel.enforce.SyscallTable.forThisMachine().read() + " 0x4 ";
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(HANDSHAKE_SECONDS);
        while (true) {
            String s;
            try {
                s = Files.readString(syscall);
            } catch (IOException e) {
                throw new IOException("the sandbox's first process exited during setup", e);
            }
            if (s.startsWith(blockedInRead)) {
                return;
            }
            if (!process.isAlive()) {
                throw new IOException("bwrap exited with status " + process.exitValue() + " during setup");
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("the sandbox did not finish its setup within " + HANDSHAKE_SECONDS + " s");
            }
            try {
                Thread.sleep(0, 200_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
    }

    /**
     * Reads bwrap's info document. The sandbox still holds the FIFO's write end while it waits
     * for us, so there is no EOF to wait for: parse exactly one JSON object.
     */
    static long readChildPid(InputStream in) throws IOException {
        ObjectMapper json = new ObjectMapper();
        JsonNode node;
        try (var parser = json.createParser(in)) {
            node = json.readTree(parser);
        }
        if (node == null) {
            throw new IOException("bwrap reported nothing on its info fd");
        }
        JsonNode pid = node.get("child-pid");
        if (pid == null || !pid.canConvertToLong() || pid.asLong() <= 0) {
            throw new IOException("bwrap's info has no child-pid: " + node);
        }
        return pid.asLong();
    }

    private void mkfifo(Path p) throws IOException {
        try {
            libc.mkfifo(p.toString(), 0600);
        } catch (NativeCallException e) {
            throw new IOException(e.getMessage(), e);
        }
    }
}
