package dev.tether.policy;

import java.util.List;
import java.util.Objects;

/**
 * Where a policy's permits can reach for one principal: a sound over-approximation, never
 * narrower than what {@link PolicySnapshot#decide} allows. For the three actions the file gate asks
 * about ({@code FileOpenReadOnly}, {@code FileOpenReadWrite}, {@code ProcessExec}), every request
 * some permit can allow is for a path in (or equal to) one of the listed paths. Forbids are not
 * subtracted (an allow-list such as Landlock cannot express them); conditions are not evaluated,
 * only the resource constraints every matching request must satisfy. A permit with no such
 * constraint (any resource, or a condition tether cannot bound) reaches {@code /}.
 *
 * <p>For {@code NetworkConnect}: the ports on which some permit can allow a connection (any
 * transport), or {@link #anyPort} when a permit is not bounded to a set of ports.
 */
public record PermitBounds(List<PermittedPath> reads, List<PermittedPath> writes, List<PermittedPath> execs,
                           boolean anyPort, List<PortRange> ports) {
    public PermitBounds {
        reads = List.copyOf(reads);
        writes = List.copyOf(writes);
        execs = List.copyOf(execs);
        ports = List.copyOf(ports);
    }

    /**
     * A path a permit reaches: the file itself, or (when {@code hierarchy}) the directory and
     * everything below it. Normalised, no trailing slash ({@code /} for the root).
     */
    public record PermittedPath(String path, boolean hierarchy, PolicyRef source) {
        public PermittedPath {
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(source, "source");
        }
    }

    /** Ports {@code [from, to]}. */
    public record PortRange(int from, int to) {
        public PortRange {
            if (from < 0 || to > 65535 || from > to) {
                throw new IllegalArgumentException("bad port range " + from + "-" + to);
            }
        }

        public int size() {
            return to - from + 1;
        }
    }
}
