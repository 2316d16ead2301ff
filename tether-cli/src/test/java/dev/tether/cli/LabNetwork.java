package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A network namespace playing "the outside world" for tests: 10.254.0.1, 10.254.0.2 and
 * fd00:7e7e::1 with TCP listeners on port 7777, reached from sandboxes through the host's routing.
 */
final class LabNetwork implements AutoCloseable {
    private final String ns;
    private final String hostIf;
    private final List<Process> listeners = new ArrayList<>();

    private LabNetwork(String ns, String hostIf) {
        this.ns = ns;
        this.hostIf = hostIf;
    }

    static LabNetwork create(Path escape) throws Exception {
        return create(escape, "", "10.254.0.", "fd00:7e7e::");
    }

    /**
     * A lab of its own, for tests that may run while others use theirs: namespace
     * {@code tether-lab-TAG-PID}, addresses {@code PREFIX4 1}, {@code PREFIX4 2}, {@code PREFIX6 1}
     * (e.g. "10.251.0.", "fd00:7e7d::"), host side {@code .254} / {@code ::fe}, each with a TCP
     * listener on port 7777.
     */
    static LabNetwork create(Path escape, String tag, String prefix4, String prefix6) throws Exception {
        LabNetwork lab = withoutListeners(tag, prefix4, prefix6);
        try {
            for (String a : List.of(prefix4 + "1", prefix4 + "2", prefix6 + "1")) {
                lab.start(List.of(escape.toString(), "listen", a, "7777"), "listening");
            }
            return lab;
        } catch (Exception e) {
            lab.close();
            throw e;
        }
    }

    /** The default lab's namespace and addresses with nothing listening yet ({@link #start} runs servers in it). */
    static LabNetwork withoutListeners() throws Exception {
        return withoutListeners("", "10.254.0.", "fd00:7e7e::");
    }

    /** A lab as {@link #create(Path, String, String, String)} makes it, with nothing listening yet. */
    static LabNetwork withoutListeners(String tag, String prefix4, String prefix6) throws Exception {
        long id = ProcessHandle.current().pid() % 100000;
        LabNetwork lab = tag.isEmpty() ? new LabNetwork("tether-lab-" + id, "tlab" + id)
                : new LabNetwork("tether-lab-" + tag + "-" + id, "t" + tag + id);
        lab.cleanup();
        try {
            lab.ip("netns", "add", lab.ns);
            lab.ip("link", "add", lab.hostIf, "type", "veth", "peer", "name", "eth0", "netns", lab.ns);
            lab.ip("addr", "add", prefix4 + "254/24", "dev", lab.hostIf);
            lab.ip("-6", "addr", "add", prefix6 + "fe/64", "dev", lab.hostIf, "nodad");
            lab.ip("link", "set", lab.hostIf, "up");
            lab.ip("-n", lab.ns, "link", "set", "lo", "up");
            lab.ip("-n", lab.ns, "addr", "add", prefix4 + "1/24", "dev", "eth0");
            lab.ip("-n", lab.ns, "addr", "add", prefix4 + "2/24", "dev", "eth0");
            lab.ip("-n", lab.ns, "-6", "addr", "add", prefix6 + "1/64", "dev", "eth0", "nodad");
            lab.ip("-n", lab.ns, "link", "set", "eth0", "up");
            lab.ip("-n", lab.ns, "route", "add", "default", "via", prefix4 + "254");
            lab.ip("-n", lab.ns, "-6", "route", "add", "default", "via", prefix6 + "fe");
            return lab;
        } catch (Exception e) {
            lab.close();
            throw e;
        }
    }

    /**
     * Runs {@code argv} inside the lab's namespace until the lab closes; waits for its first output
     * line to be {@code ready} (when not null), then keeps draining its output.
     */
    Process start(List<String> argv, String ready) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        cmd.addAll(argv);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        listeners.add(p);
        if (ready != null) {
            var out = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream()));
            String first = out.readLine();
            assertThat(first).as("first line of " + argv).isEqualTo(ready);
            Thread.ofVirtual().start(() -> {
                try {
                    while (out.readLine() != null) {
                        // drained so the server never blocks on a full pipe
                    }
                } catch (IOException e) {
                    // closed
                }
            });
        }
        return p;
    }

    String namespace() {
        return ns;
    }

    /** An HTTP server (python3 http.server, answering 200 for "/") at {@code address}:{@code port} in the lab. */
    void http(String address, int port) throws IOException {
        Process p = new ProcessBuilder("ip", "netns", "exec", ns, "python3", "-u", "-m", "http.server", "--bind", address,
                Integer.toString(port)).redirectErrorStream(true).start();
        listeners.add(p);
        String first = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream())).readLine();
        assertThat(first).as("http server on " + address).startsWith("Serving HTTP");
    }

    private void ip(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("ip"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(String.join(" ", cmd) + ": " + out).isZero();
    }

    private void cleanup() throws IOException, InterruptedException {
        new ProcessBuilder("ip", "link", "del", hostIf).start().waitFor();
        new ProcessBuilder("ip", "netns", "del", ns).start().waitFor();
    }

    @Override
    public void close() throws Exception {
        for (Process p : listeners) {
            p.destroyForcibly().waitFor();
        }
        cleanup();
    }
}
