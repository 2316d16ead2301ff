package dev.tether.proxy.event;

/**
 * Where proxy events go (the session's event bus once wired). Called from event-loop threads:
 * must not block; a slow consumer must drop, not stall the proxy.
 */
@FunctionalInterface
public interface ProxyEventSink {
    void emit(ProxyEvent event);

    static ProxyEventSink discarding() {
        return e -> {};
    }
}
