package dev.tether.server.spi;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.tether.events.Verdict;
import java.util.List;
import java.util.Map;

/**
 * One event as the control plane serves it (REST and live stream). The daemon maps the events
 * module's {@code Event} to this record; the wire format is documented in docs/api.md.
 *
 * @param seq         the event's id in the source it comes from (the audit store's event id, which
 *                    grows in write order): the same number in queries and on the live stream,
 *                    so it is the paging cursor and the de-duplication key
 * @param timeNs      wall-clock time, nanoseconds since the epoch
 * @param action      Cedar action name ({@code FileOpenReadOnly}, {@code NetworkConnect}, ...) or a
 *                    lifecycle kind ({@code SessionStart}, ...)
 * @param resource    the path, host[:port], or MCP tool name the action targets (MCP server in {@code detail.server})
 * @param verdict     allow, deny, would-deny, or none (nothing was decided: lifecycle events)
 * @param policyIds   the statements that decided ({@code policy3@policy.cedar:12:1})
 * @param processChain the acting process first, then its ancestors
 * @param detail      small, family-specific extras (argv, errno, HTTP method, ...)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ActivityEvent(
        long seq,
        long timeNs,
        String session,
        String agent,
        int pid,
        int ppid,
        String comm,
        String exe,
        String action,
        String resource,
        Verdict verdict,
        List<String> policyIds,
        String reason,
        List<ProcessInfo> processChain,
        Map<String, Object> detail) {

    public ActivityEvent {
        policyIds = policyIds == null ? List.of() : List.copyOf(policyIds);
        processChain = processChain == null ? List.of() : List.copyOf(processChain);
        detail = detail == null ? Map.of() : Map.copyOf(detail);
    }

    /** The same event with a sequence number assigned by the log that stores it. */
    public ActivityEvent withSeq(long newSeq) {
        return new ActivityEvent(newSeq, timeNs, session, agent, pid, ppid, comm, exe, action, resource, verdict,
                policyIds, reason, processChain, detail);
    }
}
