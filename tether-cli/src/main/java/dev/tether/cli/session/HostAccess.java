package dev.tether.cli.session;

import dev.tether.cli.UserError;

/** Checks for the privileges tether's kernel work needs, with the reason spelled out. */
public final class HostAccess {
    private HostAccess() {}

    public static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    public static void requireRoot(String what) {
        if (!isRoot()) {
            throw new UserError(what + " needs root: it loads eBPF programs into the kernel, creates a cgroup for the"
                    + " sandbox and sets up its namespaces. Run it with sudo.", SandboxSession.EXIT_TETHER_ERROR);
        }
    }
}
