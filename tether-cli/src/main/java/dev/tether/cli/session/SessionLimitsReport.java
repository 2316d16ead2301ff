package dev.tether.cli.session;

import dev.tether.sandbox.SandboxProcess;
import dev.tether.sandbox.limits.LimitCgroups;
import dev.tether.sandbox.limits.SessionLimits;
import java.io.PrintWriter;
import java.nio.file.Path;

/** The session's resource limits on the console: what is in force at start, what they stopped at the end. */
final class SessionLimitsReport {
    private SessionLimitsReport() {}

    static void started(SessionLimits limits, SandboxProcess process, PrintWriter err) {
        err.println("tether: limits: " + limits.describe());
        for (String w : process.warnings()) {
            err.println("tether: WARNING: " + w);
        }
    }

    /** Read before the cgroups are removed; silent when no limit was reached. */
    static void ended(String sessionId, Path sessionCgroup, SessionLimits limits, PrintWriter err) {
        LimitCgroups.Usage u = LimitCgroups.usage(sessionId, sessionCgroup);
        if (u.pidsLimitHits() > 0) {
            err.println("tether: the task limit (" + limits.pids() + ") refused " + u.pidsLimitHits()
                    + " process/thread creations in the sandbox");
        }
        if (u.oomKills() > 0) {
            err.println("tether: the memory limit (" + SessionLimits.formatBytes(limits.memoryBytes()) + ") made the kernel"
                    + " end " + u.oomKills() + " process(es) in the sandbox (out of memory)");
        }
    }
}
