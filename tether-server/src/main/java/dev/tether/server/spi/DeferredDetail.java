package dev.tether.server.spi;

import java.util.AbstractMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;

/**
 * An event's {@link ActivityEvent#detail() detail} that is built the first time something reads
 * it, then kept. The control plane maps every recorded event as it is committed, but most are
 * never read field by field: they are counted, and sent only to live-stream clients that are
 * connected. Building the map (a Jackson conversion of the detail record) was the largest part of
 * the live feed's CPU per event (~45% of its samples in a session of many short processes).
 * Unmodifiable, like the maps {@link ActivityEvent} copies; thread-safe.
 */
public final class DeferredDetail extends AbstractMap<String, Object> {
    private final Object lock = new Object();
    private Supplier<Map<String, Object>> builder; // null once built
    private volatile Map<String, Object> built;

    /** @param builder makes the map, once; what it returns is copied (no null keys or values) */
    public DeferredDetail(Supplier<Map<String, Object>> builder) {
        this.builder = Objects.requireNonNull(builder, "builder");
    }

    private Map<String, Object> map() {
        Map<String, Object> m = built;
        if (m == null) {
            synchronized (lock) {
                m = built;
                if (m == null) {
                    m = Map.copyOf(builder.get());
                    builder = null;
                    built = m;
                }
            }
        }
        return m;
    }

    @Override
    public Set<Entry<String, Object>> entrySet() {
        return map().entrySet();
    }

    @Override
    public Object get(Object key) {
        return map().get(key);
    }

    @Override
    public boolean containsKey(Object key) {
        return map().containsKey(key);
    }

    @Override
    public int size() {
        return map().size();
    }
}
