package dev.tether.cli.spare;

import dev.tether.kernel.ffm.LibC;
import dev.tether.kernel.ffm.NativeCallException;
import dev.tether.kernel.ffm.ProcessDescriptors;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import sun.misc.Signal;

/**
 * A spare tether: the JVM the next {@code ./tether} command would start, started ahead of it (at
 * the end of the previous session, at nice 19) with the same command line, environment, working
 * directory and process context, warmed up and waiting on a Unix socket. {@code tether-attach}
 * (the launcher execs it when {@code TETHER_SPARE=1}) hands it a command: the spare checks that
 * everything the command would have inherited is the same as its own, takes the client's stdin,
 * stdout and stderr (pidfd_getfd, dup3 onto 0-2), runs the command as {@code Main} would, and
 * sends the exit status back. Anything different and the client starts cold; nothing is adjusted
 * to fit. See docs/sandbox.md "Warm start".
 */
public final class SpareProcess {
    /** The spare's only argument (not a command users type). */
    public static final String ARGUMENT = "__spare";
    /** A spare nobody used for this long exits (it holds a JVM's memory). */
    static final Duration IDLE_LIMIT = Duration.ofMinutes(30);
    private static final Duration RETIRE_CHECK = Duration.ofSeconds(2);
    private static final Duration REQUEST_DEADLINE = Duration.ofSeconds(5);
    /** The variable the shell sets to the path of the program it runs: the client's, not tether's. */
    private static final String SHELL_PROGRAM_VARIABLE = "_";

    private SpareProcess() {}

    public static boolean enabled(Map<String, String> env) {
        return "1".equals(env.get("TETHER_SPARE"));
    }

    /** $TETHER_SPARE_SOCKET, else /run/tether/spare-UID.sock (the launcher computes the same). */
    public static Path socket(Map<String, String> env) throws IOException {
        String given = env.get("TETHER_SPARE_SOCKET");
        if (given != null && given.startsWith("/")) {
            return Path.of(given);
        }
        return Path.of("/run/tether", "spare-" + Files.getAttribute(Path.of("/proc/self"), "unix:uid") + ".sock");
    }

    /** A client's command, its stdio already this process's 0, 1 and 2. */
    public static final class Adopted<T> {
        private final SocketChannel client;
        private final List<String> arguments;
        private final T prepared;
        private boolean finished;

        private Adopted(SocketChannel client, List<String> arguments, T prepared) {
            this.client = client;
            this.arguments = arguments;
            this.prepared = prepared;
        }

        /** What the warm-up made for the command. */
        public T prepared() {
            return prepared;
        }

        public String[] arguments() {
            return arguments.toArray(String[]::new);
        }

        /** Sends the client the command's exit status (it exits with it). */
        public synchronized void finish(int exit) {
            if (finished) {
                return;
            }
            finished = true;
            try {
                ByteBuffer status = ByteBuffer.allocate(5).put((byte) 'X').putInt(exit).flip();
                while (status.hasRemaining()) {
                    client.write(status);
                }
                client.close();
            } catch (IOException e) {
                // The client is gone; its exit status has no reader.
            }
        }

        private synchronized boolean isFinished() {
            return finished;
        }
    }

    /**
     * Warms up, then waits until a matching client hands over a command; returns it. Exits the JVM
     * (status 0) when retired: its socket replaced or removed, the jar rebuilt, or idle for
     * {@link #IDLE_LIMIT}.
     */
    public static <T> Adopted<T> await(Map<String, String> env, java.util.function.Supplier<T> warmUp) {
        try {
            LibC libc = LibC.load();
            ProcessDescriptors descriptors = ProcessDescriptors.load(libc);
            T prepared = warmUp.get();
            return serve(env, descriptors, prepared);
        } catch (IOException | RuntimeException e) {
            System.err.println("tether: spare: " + e); // its stderr: /dev/null, or a test's file
            System.exit(0);
            throw new AssertionError("exited");
        }
    }

    private static <T> Adopted<T> serve(Map<String, String> env, ProcessDescriptors descriptors, T prepared) throws IOException {
        Path socket = socket(env);
        Path dir = socket.getParent();
        if (!Files.isDirectory(dir)) {
            if (env.get("TETHER_SPARE_SOCKET") != null) {
                // A directory somebody chose and removed (tests do, to retire every spare in it).
                throw new IOException("the directory of TETHER_SPARE_SOCKET, " + dir + ", is gone");
            }
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        Path jar = ownJar();
        long jarModified = jar == null ? 0 : Files.getLastModifiedTime(jar).toMillis();
        java.util.function.BooleanSupplier rebuilt = () -> {
            try {
                return jar != null && Files.getLastModifiedTime(jar).toMillis() != jarModified;
            } catch (IOException e) {
                return true; // the jar is gone: as good as rebuilt
            }
        };
        ProcessContext own = ProcessContext.of(ProcessHandle.current().pid());
        String cwd = System.getProperty("user.dir");

        // Bound under a private name and renamed into place: a client never finds a socket nobody
        // listens on yet, and an older spare sees its socket replaced and retires.
        Path bound = dir.resolve(socket.getFileName() + "." + ProcessHandle.current().pid());
        Files.deleteIfExists(bound);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(bound));
        Files.setPosixFilePermissions(bound, PosixFilePermissions.fromString("rw-------"));
        Files.move(bound, socket, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Object key = fileKey(socket).orElseThrow(() -> new IOException(socket + " vanished as it was made"));
        server.configureBlocking(false);
        long idleSince = System.nanoTime();
        try (Selector selector = Selector.open()) {
            server.register(selector, SelectionKey.OP_ACCEPT);
            while (true) {
                selector.select(RETIRE_CHECK.toMillis());
                selector.selectedKeys().clear();
                SocketChannel client = server.accept();
                long acceptedNs = System.nanoTime();
                if (client == null) {
                    if (!key.equals(fileKey(socket).orElse(null)) || rebuilt.getAsBoolean()
                            || System.nanoTime() - idleSince > IDLE_LIMIT.toNanos()) {
                        retire(socket, key, server);
                    }
                    continue;
                }
                if (rebuilt.getAsBoolean()) {
                    refuse(client, "tether was rebuilt after this spare started");
                    retire(socket, key, server);
                }
                SpareRequest r;
                try {
                    // Only this user may hand over a command (the socket's mode says so too): the pid
                    // it names is then one this user could act on anyway.
                    String peer = client.getOption(jdk.net.ExtendedSocketOptions.SO_PEERCRED).user().getName();
                    if (!peer.equals(System.getProperty("user.name"))) {
                        refuse(client, "the client runs as " + peer + ", this spare as " + System.getProperty("user.name"));
                        continue;
                    }
                    Optional<SpareRequest> request = read(client);
                    if (request.isEmpty()) {
                        continue;
                    }
                    r = request.get();
                    Optional<String> mismatch = mismatch(r, env, cwd, own);
                    if (mismatch.isPresent()) {
                        refuse(client, mismatch.get());
                        continue; // another client may match; a new spare for this one replaces us
                    }
                } catch (IOException e) {
                    client.close(); // that client went away mid-request; the spare waits on
                    continue;
                }
                try {
                    adopt(r, descriptors);
                } catch (IOException | RuntimeException e) {
                    refuse(client, "the client's stdin, stdout and stderr could not be taken: " + e.getMessage());
                    retire(socket, key, server);
                }
                if (key.equals(fileKey(socket).orElse(null))) {
                    Files.deleteIfExists(socket);
                }
                server.close();
                selector.close();
                System.setProperty("tether.spare.client", Integer.toString(r.pid()));
                // For TETHER_TIMINGS: where the hand-over's time went (PhaseTimings).
                System.setProperty("tether.spare.handover", acceptedNs + "," + System.nanoTime());
                client.configureBlocking(true);
                client.write(ByteBuffer.wrap(new byte[] {'Y'}));
                Adopted<T> adopted = new Adopted<>(client, r.arguments(), prepared);
                Thread.ofPlatform().daemon().name("tether-spare-client").start(() -> forwardSignals(adopted));
                return adopted;
            }
        }
    }

    /** What differs between the client and this spare, if anything (the environment's "_" aside). */
    static Optional<String> mismatch(SpareRequest r, Map<String, String> env, String cwd, ProcessContext own) {
        if (!r.workingDirectory().equals(cwd)) {
            return Optional.of("another working directory (the spare's is " + cwd + ")");
        }
        Map<String, String> theirs = new HashMap<>(r.environment());
        Map<String, String> ours = new HashMap<>(env);
        theirs.remove(SHELL_PROGRAM_VARIABLE);
        ours.remove(SHELL_PROGRAM_VARIABLE);
        if (!theirs.equals(ours)) {
            List<String> names = new ArrayList<>();
            for (String name : union(theirs.keySet(), ours.keySet())) {
                if (!java.util.Objects.equals(theirs.get(name), ours.get(name))) {
                    names.add(name);
                }
            }
            return Optional.of("another environment (" + String.join(", ", names.subList(0, Math.min(5, names.size())))
                    + (names.size() > 5 ? ", ..." : "") + ")");
        }
        try {
            return ProcessContext.of(r.pid()).differenceFrom(own).map(f -> "another " + f.replaceFirst("^the ", ""));
        } catch (IOException e) {
            return Optional.of("the client's process cannot be read: " + e.getMessage());
        }
    }

    private static List<String> union(java.util.Set<String> a, java.util.Set<String> b) {
        java.util.TreeSet<String> all = new java.util.TreeSet<>(a);
        all.addAll(b);
        return List.copyOf(all);
    }

    /** The client's stdio become 0, 1, 2 and every thread takes the client's nice value. */
    private static void adopt(SpareRequest r, ProcessDescriptors descriptors) throws IOException {
        int nice = ProcessContext.niceOf(r.pid());
        int[] taken = {-1, -1, -1};
        try {
            for (int fd = 0; fd < 3; fd++) {
                taken[fd] = descriptors.take(r.pid(), fd);
            }
            // Threads started from here on inherit the nice value of the thread that starts them.
            try (var tasks = Files.list(Path.of("/proc/self/task"))) {
                for (Path task : tasks.toList()) {
                    try {
                        descriptors.setNice(Integer.parseInt(task.getFileName().toString()), nice);
                    } catch (NativeCallException e) {
                        if (e.errno() != 3) { // ESRCH: the thread ended meanwhile
                            throw e;
                        }
                    }
                }
            }
            for (int fd = 0; fd < 3; fd++) {
                descriptors.duplicateOnto(taken[fd], fd);
            }
        } finally {
            for (int fd : taken) {
                if (fd >= 0) {
                    descriptors.close(fd);
                }
            }
        }
    }

    /** Reads one request within {@link #REQUEST_DEADLINE}; a malformed or late one is refused with the reason. */
    private static Optional<SpareRequest> read(SocketChannel client) throws IOException {
        client.configureBlocking(false);
        byte[] bytes = new byte[64 * 1024];
        int length = 0;
        long deadline = System.nanoTime() + REQUEST_DEADLINE.toNanos();
        try (Selector selector = Selector.open()) {
            client.register(selector, SelectionKey.OP_READ);
            while (!SpareRequest.complete(bytes, length)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    refuse(client, "the request did not arrive within " + REQUEST_DEADLINE.toSeconds() + " s");
                    return Optional.empty();
                }
                selector.select(Math.max(1, left / 1_000_000));
                selector.selectedKeys().clear();
                if (length == bytes.length) {
                    if (bytes.length >= SpareRequest.MAX_BYTES) {
                        refuse(client, "the request is larger than " + SpareRequest.MAX_BYTES + " bytes");
                        return Optional.empty();
                    }
                    bytes = java.util.Arrays.copyOf(bytes, Math.min(SpareRequest.MAX_BYTES, bytes.length * 2));
                }
                int n = client.read(ByteBuffer.wrap(bytes, length, bytes.length - length));
                if (n < 0) {
                    break; // the client sent all it will: parse() says what is missing
                }
                length += n;
            }
        }
        client.configureBlocking(true);
        try {
            return Optional.of(SpareRequest.parse(bytes, length));
        } catch (SpareRequest.MalformedException e) {
            refuse(client, "malformed request: " + e.getMessage());
            return Optional.empty();
        }
    }

    private static void refuse(SocketChannel client, String reason) {
        try {
            client.configureBlocking(true);
            client.write(ByteBuffer.wrap(("N" + reason).getBytes(StandardCharsets.UTF_8)));
            client.close();
        } catch (IOException e) {
            // The client went away; it starts cold either way.
        }
    }

    private static void retire(Path socket, Object key, ServerSocketChannel server) throws IOException {
        if (key.equals(fileKey(socket).orElse(null))) {
            Files.deleteIfExists(socket);
        }
        server.close();
        System.exit(0);
    }

    /**
     * The client's signals arrive as one byte each and are raised here, where the session's own
     * handlers act on them as on the cold JVM's; the client gone before the status was sent is a
     * SIGTERM (the sandbox is stopped, the session recorded as ended).
     */
    private static void forwardSignals(Adopted<?> adopted) {
        ByteBuffer one = ByteBuffer.allocate(1);
        try {
            while (adopted.client.read(one.clear()) > 0) {
                String name = switch (one.get(0)) {
                    case 1 -> "HUP";
                    case 2 -> "INT";
                    case 15 -> "TERM";
                    default -> null;
                };
                if (name != null) {
                    Signal.raise(new Signal(name));
                }
            }
        } catch (IOException e) {
            // Closed by finish(), or the client is gone: the same as EOF below.
        }
        if (!adopted.isFinished()) {
            Signal.raise(new Signal("TERM"));
        }
    }

    /**
     * Starts the spare for the next command: this JVM's own command line with {@link #ARGUMENT}
     * in place of its {@code ownArgumentCount} arguments, in a session of its own (setsid), at
     * nice 19 until a client adopts it, its stdio on /dev/null. Not after a JVM that records the
     * start-up cache: the launcher creates the cache once it exits, and the spare would lack it.
     */
    public static void startSuccessor(int ownArgumentCount, PrintStream err) {
        try {
            ProcessHandle.Info self = ProcessHandle.current().info();
            if (self.command().isEmpty() || self.arguments().isEmpty()) {
                return;
            }
            List<String> cmdline = new ArrayList<>(List.of(self.command().get()));
            cmdline.addAll(List.of(self.arguments().get()));
            if (cmdline.size() <= ownArgumentCount) {
                return;
            }
            List<String> jvm = cmdline.subList(0, cmdline.size() - ownArgumentCount);
            if (jvm.stream().anyMatch(a -> a.startsWith("-XX:AOTMode=record") || a.startsWith("-XX:AOTCacheOutput"))) {
                return;
            }
            List<String> command = new ArrayList<>(List.of("setsid", "-f", "nice", "-n", "19"));
            command.addAll(jvm);
            command.add(ARGUMENT);
            Process p = new ProcessBuilder(command)
                    .redirectInput(new File("/dev/null"))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            if (!p.waitFor(5, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0) {
                err.println("tether: no spare started for the next command (setsid did not succeed)");
            }
        } catch (IOException e) {
            err.println("tether: no spare started for the next command: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Optional<Object> fileKey(Path p) {
        try {
            return Optional.ofNullable(Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey());
        } catch (IOException e) { // NoSuchFileException: removed
            return Optional.empty();
        }
    }

    private static Path ownJar() {
        try {
            Path p = Path.of(SpareProcess.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return Files.isRegularFile(p) ? p : null;
        } catch (Exception e) {
            return null;
        }
    }
}
