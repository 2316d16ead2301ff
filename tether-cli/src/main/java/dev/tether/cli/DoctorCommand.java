package dev.tether.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tether.cli.session.HostAccess;
import dev.tether.kernel.ffm.LibBpf;
import dev.tether.kernel.ffm.LibC;
import dev.tether.kernel.ffm.MissingNativeLibraryException;
import dev.tether.kernel.probe.KernelProbes;
import dev.tether.kernel.probe.Probe;
import dev.tether.sandbox.EngineDetector;
import dev.tether.sandbox.EngineStatus;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code tether doctor}: probes which kernel mechanisms and engines work on this host. */
@Command(name = "doctor", description = "Probe this host: kernel mechanisms (by loading them), cgroup2, sandbox engines.")
public final class DoctorCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--json", description = "Print the findings as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (!HostAccess.isRoot()) {
            throw new UserError("doctor loads probe programs into the kernel, which needs root: run it with sudo");
        }
        LibC libc = LibC.load();
        LibBpf libbpf = null;
        String libbpfMissing = null;
        try {
            libbpf = LibBpf.load();
        } catch (MissingNativeLibraryException e) {
            libbpfMissing = e.getMessage();
        }
        List<Probe> probes = new KernelProbes(libc, libbpf, libbpfMissing).run();
        List<EngineStatus> engines = EngineDetector.detect(libc);
        List<Coverage> coverage = Coverage.of(probes, engines);
        if (json) {
            out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(toJson(probes, engines, coverage)));
        } else {
            out.println("Kernel mechanisms (each loaded or used for real):");
            for (Probe p : probes) {
                out.printf("  %-36s %-9s %s%n", p.mechanism(), p.works() ? "yes" : "NO", p.detail());
            }
            out.println();
            out.println("Sandbox engines:");
            for (EngineStatus e : engines) {
                out.printf("  %-36s %-9s %s%n", e.engine(), e.usable() ? "yes" : "no", e.detail());
            }
            out.println();
            printSandboxReadiness(out);
            out.println();
            out.println("What tether uses for each action on this host:");
            for (Coverage c : coverage) {
                out.printf("  %-20s %-11s %s%n", c.action(), c.layer(), c.mechanism());
            }
        }
        boolean monitorWorks = probes.stream().anyMatch(p -> p.mechanism().equals("BPF tracepoint programs") && p.works());
        return monitorWorks ? 0 : 1;
    }

    /** Which engine a run would use, the agent image, and each agent's readiness (image, key, config). */
    private static void printSandboxReadiness(PrintWriter out) {
        var env = System.getenv();
        out.println("Sandbox for 'tether run' and the agents:");
        var engine = dev.tether.sandbox.EngineSelector.detect(LibC.load());
        out.printf("  %-36s %s%n", "default engine", engine.name());
        var store = new dev.tether.sandbox.image.ImageStore(dev.tether.sandbox.image.ImageStore.DEFAULT_ROOT);
        var image = store.defaultImage();
        out.printf("  %-36s %s%n", "agent image", image.map(i -> i.reference() + (i.imported() ? " (imported into podman)" : " (rootfs only)")
                + ", rootfs " + i.rootfs()).orElse("NONE: run 'tether image build'"));
        java.nio.file.Path home = dev.tether.cli.sandbox.HostUser.home(env);
        for (var agent : dev.tether.sandbox.agent.Agent.values()) {
            String installed = image.flatMap(i -> i.agents().stream().filter(a -> a.startsWith(agent.command() + " ")).findFirst())
                    .map(a -> "in image: " + a.substring(agent.command().length() + 1)).orElse("NOT in the image");
            var keys = agent.forwardedKeys(env).keySet();
            String key = keys.isEmpty() ? "no API key set (" + String.join("/", agent.apiKeys()) + ")" : "key: " + String.join(",", keys);
            java.nio.file.Path cfg = home.resolve(agent.configDir());
            String config = java.nio.file.Files.isDirectory(cfg) ? "config ~/" + agent.configDir() : "no ~/" + agent.configDir();
            boolean ready = image.isPresent() && installed.startsWith("in image");
            out.printf("  %-36s %-9s %s; %s; %s%n", "tether " + agent.command(), ready ? "ready" : "NOT READY", installed, key, config);
        }
    }

    private static ObjectNode toJson(List<Probe> probes, List<EngineStatus> engines, List<Coverage> coverage) {
        ObjectMapper m = new ObjectMapper();
        ObjectNode root = m.createObjectNode();
        ArrayNode k = root.putArray("kernel");
        for (Probe p : probes) {
            k.addObject().put("mechanism", p.mechanism()).put("available", p.works()).put("detail", p.detail());
        }
        ArrayNode e = root.putArray("engines");
        for (EngineStatus s : engines) {
            e.addObject().put("engine", s.engine()).put("usable", s.usable()).put("detail", s.detail());
        }
        ArrayNode c = root.putArray("coverage");
        for (Coverage cv : coverage) {
            c.addObject().put("action", cv.action()).put("layer", cv.layer()).put("mechanism", cv.mechanism());
        }
        return root;
    }
}
