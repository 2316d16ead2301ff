package dev.tether.events;

import java.util.List;

/**
 * The fields of every {@link EventDetail}, in the audit trail's names and order (docs/events.md):
 * the one list that the store's {@link EventWriter} and the control plane's events are both
 * written from. Absent (null) values are not visited.
 */
public final class DetailFields {
    private DetailFields() {}

    /** Receives a detail's fields in order. */
    public interface Sink {
        void text(String name, String value);

        /** A value known to be plain ASCII without quotes (an enum's JSON name). */
        void ascii(String name, String value);

        void integer(String name, int value);

        void number(String name, long value);

        void bool(String name, boolean value);

        void texts(String name, List<String> values);
    }

    /** A sink that takes every field as a boxed value (e.g. into a map). */
    @FunctionalInterface
    public interface Values extends Sink {
        void value(String name, Object value);

        @Override
        default void text(String name, String value) {
            value(name, value);
        }

        @Override
        default void ascii(String name, String value) {
            value(name, value);
        }

        @Override
        default void integer(String name, int value) {
            value(name, value);
        }

        @Override
        default void number(String name, long value) {
            value(name, value);
        }

        @Override
        default void bool(String name, boolean value) {
            value(name, value);
        }

        @Override
        default void texts(String name, List<String> values) {
            value(name, values);
        }
    }

    public static void visit(EventDetail detail, Sink sink) {
        switch (detail) {
            case FileDetail f -> {
                number(sink, "flags", f.flags());
                number(sink, "mode", f.mode());
                text(sink, "target", f.target());
                number(sink, "uid", f.uid());
                number(sink, "gid", f.gid());
            }
            case ExecDetail x -> {
                texts(sink, "argv", x.argv());
                sink.integer("argc", x.argc());
                text(sink, "cwd", x.cwd());
                number(sink, "uid", x.uid());
            }
            case ForkDetail f -> sink.integer("childPid", f.childPid());
            case ExitDetail x -> {
                sink.integer("exitCode", x.exitCode());
                sink.integer("signal", x.signal());
                sink.bool("coreDumped", x.coreDumped());
            }
            case NetworkDetail n -> {
                if (n.family() != null) {
                    sink.ascii("family", n.family().jsonName());
                }
                if (n.protocol() != null) {
                    sink.ascii("protocol", n.protocol().jsonName());
                }
                text(sink, "address", n.address());
                sink.integer("port", n.port());
                text(sink, "hostname", n.hostname());
            }
            case HttpDetail h -> {
                text(sink, "method", h.method());
                text(sink, "url", h.url());
                number(sink, "status", h.status());
                text(sink, "header", h.header());
            }
            case McpDetail m -> {
                text(sink, "server", m.server());
                text(sink, "transport", m.transport());
                text(sink, "direction", m.direction());
                text(sink, "method", m.method());
                text(sink, "tool", m.tool());
                text(sink, "id", m.id());
                text(sink, "arguments", m.arguments());
            }
            case PolicyDetail p -> {
                sink.number("generation", p.generation());
                number(sink, "policies", p.policies());
                texts(sink, "errors", p.errors());
            }
            case SessionDetail s -> {
                texts(sink, "command", s.command());
                text(sink, "mode", s.mode());
                text(sink, "sandbox", s.sandbox());
                number(sink, "exitCode", s.exitCode());
            }
            case LossDetail l -> {
                text(sink, "source", l.source());
                sink.number("count", l.count());
            }
            case GapDetail g -> {
                text(sink, "mechanism", g.mechanism());
                text(sink, "action", g.action());
                text(sink, "reason", g.reason());
            }
        }
    }

    private static void text(Sink sink, String name, String value) {
        if (value != null) {
            sink.text(name, value);
        }
    }

    private static void number(Sink sink, String name, Integer value) {
        if (value != null) {
            sink.integer(name, value);
        }
    }

    private static void texts(Sink sink, String name, List<String> values) {
        if (values != null) {
            sink.texts(name, values);
        }
    }
}
