package dev.tether.proxy.testing;

import dev.tether.proxy.event.HttpExchangeEvent;
import dev.tether.proxy.event.McpEvent;
import dev.tether.proxy.event.ProxyEvent;
import dev.tether.proxy.event.ProxyEventSink;
import dev.tether.proxy.event.ProxyNotice;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/** Keeps every event; waits (bounded) for one to appear, since events are emitted asynchronously. */
public final class RecordingSink implements ProxyEventSink {
    public final List<ProxyEvent> events = new CopyOnWriteArrayList<>();

    @Override
    public void emit(ProxyEvent event) {
        events.add(event);
    }

    public <T extends ProxyEvent> T await(Class<T> type, Predicate<T> p) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            for (ProxyEvent e : events) if (type.isInstance(e) && p.test(type.cast(e))) return type.cast(e);
            try {
                Thread.sleep(10);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        StringBuilder last = new StringBuilder();
        for (ProxyEvent e : events.subList(Math.max(0, events.size() - 15), events.size())) {
            String t = e.toString();
            last.append("\n  ").append(t.length() > 400 ? t.substring(0, 400) + "..." : t);
        }
        throw new AssertionError("no matching " + type.getSimpleName() + " among " + events.size() + " events; last:" + last);
    }

    public HttpExchangeEvent exchange(Predicate<HttpExchangeEvent> p) {
        return await(HttpExchangeEvent.class, p);
    }

    public McpEvent mcp(Predicate<McpEvent> p) {
        return await(McpEvent.class, p);
    }

    public ProxyNotice notice(Predicate<ProxyNotice> p) {
        return await(ProxyNotice.class, p);
    }
}
