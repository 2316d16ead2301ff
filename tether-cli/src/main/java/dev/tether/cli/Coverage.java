package dev.tether.cli;

import dev.tether.kernel.probe.Probe;
import dev.tether.sandbox.EngineStatus;
import java.util.ArrayList;
import java.util.List;

/**
 * Which mechanism tether uses for an action on this host, given what the probes found. Only
 * what tether actually implements today is claimed; the rest says "not yet".
 */
record Coverage(String action, String layer, String mechanism) {

    static List<Coverage> of(List<Probe> probes, List<EngineStatus> engines) {
        boolean tracepoints = works(probes, "BPF tracepoint programs");
        List<Coverage> out = new ArrayList<>();
        out.add(new Coverage("ProcessExec", "monitor", tracepoints
                ? "tracepoint sched/sched_process_exec, scoped to the sandbox cgroup"
                : "NONE: BPF tracepoints do not load here"));
        out.add(new Coverage("ProcessExec", "enforce", "not yet implemented"));
        out.add(new Coverage("FileOpen*", "monitor", "not yet implemented"));
        out.add(new Coverage("FileOpen*", "enforce", "not yet implemented"));
        out.add(new Coverage("NetworkConnect", "monitor", "not yet implemented"));
        out.add(new Coverage("NetworkConnect", "enforce", "not yet implemented"));
        out.add(new Coverage("HttpRewrite", "proxy", "not yet implemented"));
        out.add(new Coverage("McpCall", "proxy", "not yet implemented"));
        String sandbox = engines.stream().filter(EngineStatus::usable).map(EngineStatus::engine).findFirst()
                .map(e -> e + " (first usable engine)").orElse("NONE: no engine usable");
        out.add(new Coverage("sandbox", "engine", sandbox));
        return out;
    }

    private static boolean works(List<Probe> probes, String mechanism) {
        return probes.stream().anyMatch(p -> p.mechanism().equals(mechanism) && p.works());
    }
}
