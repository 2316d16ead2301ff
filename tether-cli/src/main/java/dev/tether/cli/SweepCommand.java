package dev.tether.cli;

import dev.tether.cli.session.HostAccess;
import dev.tether.cli.session.SessionLock;
import dev.tether.cli.session.StaleSessionSweeper;
import dev.tether.kernel.cgroup.Cgroup2Hierarchy;
import dev.tether.kernel.ffm.LibC;
import dev.tether.kernel.cgroup.MountTable;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code tether sweep}: removes what dead tether sessions left (processes, containers, cgroups,
 * network namespaces, nft tables, files). Every run does this at start; tether's crash watchdog
 * runs it when tether itself is killed.
 */
@Command(name = "sweep", description = "Clean up after tether sessions that died (kill -9, crash).")
public final class SweepCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        HostAccess.requireRoot("tether sweep");
        Cgroup2Hierarchy cgroups = Cgroup2Hierarchy.find(MountTable.read())
                .orElseThrow(() -> new UserError("no cgroup2 hierarchy is mounted"));
        List<String> swept = StaleSessionSweeper.sweep(LibC.load(), cgroups, SessionLock.DIR);
        spec.commandLine().getErr().println("tether: swept " + swept.size() + " dead session(s)" + (swept.isEmpty() ? "" : ": " + swept));
        return 0;
    }
}
