package dev.tether.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * {@link EventKind#PROCESS_EXEC}: the new program image. The event's {@code resource} is the
 * executed path, {@code exe} the same path once the exec succeeded.
 *
 * @param argv the arguments as recorded (a prefix when {@link EventFlag#ARGV_TRUNCATED})
 * @param argc how many arguments the process really had
 * @param cwd working directory, or null when not captured
 * @param uid real uid, or null when not captured
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ExecDetail(List<String> argv, int argc, String cwd, Integer uid) implements EventDetail {
    public ExecDetail {
        argv = argv == null ? List.of() : List.copyOf(argv);
    }

    public ExecDetail(List<String> argv) {
        this(argv, argv.size(), null, null);
    }

    @Override
    public ExecDetail withinLimits() {
        EventLimits.CutList a = EventLimits.cutList(argv, EventLimits.MAX_ARGV_BYTES, Integer.MAX_VALUE);
        EventLimits.Cut c = EventLimits.cutPath(cwd);
        return a.truncated() || c.truncated() ? new ExecDetail(a.items(), argc, c.text(), uid) : this;
    }
}
