package dev.tether.kernel.event;

/**
 * The last thread of a sandboxed process exited.
 *
 * @param status the wait(2) status: exit code in bits 8-15, or the terminating signal in bits
 *     0-6 and 0x80 when it dumped core
 */
public record ExitEvent(EventHeader header, int status) implements KernelEvent {
    public int exitCode() {
        return (status >> 8) & 0xff;
    }

    /** The signal that killed it, 0 when it exited. */
    public int signal() {
        return status & 0x7f;
    }

    public boolean coreDumped() {
        return (status & 0x80) != 0;
    }
}
