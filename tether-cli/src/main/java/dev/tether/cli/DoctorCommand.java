package dev.tether.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code tether doctor}: probes which kernel mechanisms and engines work on this host. */
@Command(name = "doctor", description = "Probe this host: kernel mechanisms, cgroup2, container engines.")
public final class DoctorCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new UserError("doctor is not implemented yet", 1);
    }
}
