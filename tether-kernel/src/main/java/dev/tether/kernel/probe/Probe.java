package dev.tether.kernel.probe;

/**
 * What one probe found.
 *
 * @param mechanism a short name ("BPF LSM", "fanotify permission events", ...)
 * @param status whether it worked when tried
 * @param detail the evidence: what was tried and what the kernel answered
 */
public record Probe(String mechanism, Status status, String detail) {
    public enum Status { AVAILABLE, MISSING }

    public static Probe available(String mechanism, String detail) {
        return new Probe(mechanism, Status.AVAILABLE, detail);
    }

    public static Probe missing(String mechanism, String detail) {
        return new Probe(mechanism, Status.MISSING, detail);
    }

    public boolean works() {
        return status == Status.AVAILABLE;
    }
}
