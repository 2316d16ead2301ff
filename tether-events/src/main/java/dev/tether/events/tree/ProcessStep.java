package dev.tether.events.tree;

import java.util.List;

/**
 * One process in an ancestry chain, as it was at the time asked about.
 *
 * @param pid the process
 * @param ppid its parent (0 when unknown)
 * @param exe the program it was running then, or null when no exec of it was recorded
 * @param argv that program's arguments (empty when unknown)
 * @param startNs when this process (this incarnation of the pid) was forked or first seen
 * @param execNs when it exec'd that program, or null when it ran its parent's program
 */
public record ProcessStep(int pid, int ppid, String exe, List<String> argv, long startNs, Long execNs) {
    public ProcessStep {
        argv = List.copyOf(argv);
    }
}
