package dev.tether.kernel.bpf;

/**
 * A thread draining the kernel's event ring buffer into a sink. Two implementations exist so
 * their throughput can be compared (bench/kernel): {@link MappedRingBufferConsumer}, the default,
 * reads the mapped ring itself; {@link RingBufferConsumer} goes through libbpf with one upcall
 * per record.
 */
public sealed interface EventRingConsumer extends AutoCloseable permits MappedRingBufferConsumer, RingBufferConsumer {
    /** How {@link SandboxMonitor} reads the ring. */
    enum Kind { MAPPED, LIBBPF }

    /** Records handed to the sink (including those it threw on). */
    long delivered();

    /** Records the sink threw on: delivered but not processed. */
    long sinkFailures();

    /** Stops the thread after draining what the kernel has already written. */
    @Override
    void close();
}
