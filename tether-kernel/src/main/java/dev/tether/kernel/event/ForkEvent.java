package dev.tether.kernel.event;

/**
 * A new process in a sandbox; the header is the task that forked. New threads are not reported.
 *
 * @param childPid the new process's pid (initial pid namespace)
 */
public record ForkEvent(EventHeader header, int childPid) implements KernelEvent {}
