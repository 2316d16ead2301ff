package dev.tether.kernel.event;

/** A record decoded from the kernel's event ring buffer. */
public sealed interface KernelEvent permits ExecEvent, ForkEvent, ExitEvent, FileEvent, NetEvent, MalformedEvent {
    EventHeader header();
}
