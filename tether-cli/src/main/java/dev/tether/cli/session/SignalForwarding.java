package dev.tether.cli.session;

import dev.tether.kernel.cgroup.SandboxCgroup;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * While a sandbox runs, SIGINT is left to the terminal (it reaches the sandbox's foreground
 * processes directly, and the agent decides what Ctrl-C means) and SIGTERM/SIGHUP stop the whole
 * sandbox; the JVM itself does not exit on them, so cleanup always runs on the main path.
 */
final class SignalForwarding implements AutoCloseable {
    private final SignalHandler previousInt;
    private final SignalHandler previousTerm;
    private final SignalHandler previousHup;

    private SignalForwarding(SandboxCgroup cgroup) {
        SignalHandler stop = sig -> cgroup.kill();
        previousInt = Signal.handle(new Signal("INT"), sig -> { });
        previousTerm = Signal.handle(new Signal("TERM"), stop);
        previousHup = Signal.handle(new Signal("HUP"), stop);
    }

    static SignalForwarding install(SandboxCgroup cgroup) {
        return new SignalForwarding(cgroup);
    }

    @Override
    public void close() {
        Signal.handle(new Signal("INT"), previousInt);
        Signal.handle(new Signal("TERM"), previousTerm);
        Signal.handle(new Signal("HUP"), previousHup);
    }
}
