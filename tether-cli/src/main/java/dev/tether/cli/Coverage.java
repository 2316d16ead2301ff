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
        boolean fanotify = works(probes, "fanotify permission events");
        boolean lsm = works(probes, "BPF LSM");
        boolean signal = works(probes, "bpf_send_signal from tracepoints");
        out.add(new Coverage("ProcessExec", "enforce", !fanotify ? "NONE: fanotify permission events are refused here"
                : "fanotify FAN_OPEN_EXEC_PERM on the sandbox's mounts (path, argv)"
                + (tracepoints && signal ? " + exec guard at sched_process_exec (argv re-check, SIGKILL)"
                        : "; NO exec guard (tracepoints or bpf_send_signal refused): argv races not caught")
                + (lsm ? "; BPF LSM loads here but is not used yet" : "")));
        out.add(new Coverage("FileOpen*", "monitor", "not yet implemented"));
        out.add(new Coverage("FileOpen*", "enforce", fanotify
                ? "fanotify FAN_OPEN_PERM on the sandbox's mounts, read/write from the syscall; forbidden inodes; read-only mounts"
                : "NONE: fanotify permission events are refused here (tether refuses to start with a policy)"));
        java.util.Optional<Probe> landlock = probes.stream().filter(p -> p.mechanism().equals("Landlock")).findFirst();
        out.add(new Coverage("FileOpen*/ProcessExec", "--lock floor", landlock.filter(Probe::works)
                .map(p -> "Landlock " + p.detail() + ": the union of the policy's permits, fixed per session"
                        + " (network ports too from ABI 4)")
                .orElse("NONE: Landlock is not available here (" + landlock.map(Probe::detail).orElse("not probed")
                        + "); --lock refuses to start")));
        out.add(new Coverage("NetworkConnect", "monitor", "not yet implemented"));
        boolean connect = works(probes, "cgroup-BPF connect4") && works(probes, "cgroup-BPF connect6");
        out.add(new Coverage("NetworkConnect", "enforce", connect
                ? "cgroup-BPF connect4/6, sendmsg4/6, sock_create on the session cgroup (addresses, CIDR, ports, TCP/UDP)"
                : "NONE: cgroup-BPF socket programs are refused here"));
        out.add(new Coverage("NetworkConnect", "hostnames", "TCP 80/443: tether's proxy (SNI/Host); other ports:"
                + " DNS-aware pinning (the session's DNS forwarder pins each answered address with the rules for the name asked)"));
        out.add(new Coverage("HttpRewrite", "proxy", "tether's MITM proxy on the sandbox's gateway (secrets resolved on the host)"));
        out.add(new Coverage("McpCall", "proxy", "MCP observer in the proxy (HTTP, SSE) and 'tether mcp-relay' for stdio servers"));
        String sandbox = engines.stream().filter(EngineStatus::usable).map(EngineStatus::engine).findFirst()
                .map(e -> e + " (first usable engine)").orElse("NONE: no engine usable");
        out.add(new Coverage("sandbox", "engine", sandbox));
        return out;
    }

    private static boolean works(List<Probe> probes, String mechanism) {
        return probes.stream().anyMatch(p -> p.mechanism().equals(mechanism) && p.works());
    }
}
