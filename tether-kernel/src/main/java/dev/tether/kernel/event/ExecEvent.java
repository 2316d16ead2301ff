package dev.tether.kernel.event;

import java.util.List;

/** A successful exec inside a sandbox: the new image's path and argv. */
public record ExecEvent(
        EventHeader header, String filename, List<String> argv, boolean filenameTruncated, boolean argsTruncated)
        implements KernelEvent {
    public ExecEvent {
        argv = List.copyOf(argv);
    }
}
