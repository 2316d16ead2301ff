package dev.tether.events;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import java.time.Instant;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One thing that happened in (or to) a session, as the audit trail records it. Its JSON form
 * ({@link EventJson}) is the schema documented in {@code docs/events.md}.
 *
 * <p>Producers build events with {@link #builder(EventKind)}, which keeps texts within
 * {@link EventLimits} and sets the matching {@link EventFlag}s; the canonical constructor takes
 * values as they are (used when reading back what was recorded).
 *
 * @param timeNs wall-clock time, nanoseconds since the Unix epoch
 * @param session session id; null only for host-wide events (a policy reload)
 * @param principal the Cedar principal's id (the agent, e.g. {@code claude}), null when unknown
 * @param layer which part of tether observed it
 * @param kind what happened: a Cedar action or a lifecycle kind
 * @param resource what it happened to: path, {@code host:port}, MCP server/tool; null when none
 * @param decision the verdict, {@link Verdict#NONE} when no decision was made
 * @param policies ids of the policies that determined the decision (empty when none)
 * @param reason the decision explained in words, or null
 * @param errno the operation's outcome: 0 success, a positive errno on failure, null unknown
 * @param pid thread-group id in the initial pid namespace, 0 when not a process's act
 * @param ppid parent's pid, 0 when unknown
 * @param tid thread id, 0 when unknown
 * @param comm the task's comm (≤ 15 bytes), or null
 * @param exe the process's executable path, or null
 * @param cgroupId the task's cgroup2 id, 0 when unknown
 * @param flags truncation/escaping marks on the text fields
 * @param detail the family's typed detail, or null; always an instance of {@link EventKind#detailType()}
 */
@JsonSerialize(using = EventJson.Serializer.class)
@JsonDeserialize(using = EventJson.Deserializer.class)
public record Event(
        long timeNs,
        String session,
        String principal,
        EventLayer layer,
        EventKind kind,
        String resource,
        Verdict decision,
        List<String> policies,
        String reason,
        Integer errno,
        int pid,
        int ppid,
        int tid,
        String comm,
        String exe,
        long cgroupId,
        Set<EventFlag> flags,
        EventDetail detail) {

    public Event {
        Objects.requireNonNull(layer, "layer");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(decision, "decision");
        policies = policies == null ? List.of() : List.copyOf(policies);
        flags = flags == null || flags.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(flags));
        if (detail != null && !kind.detailType().isInstance(detail)) {
            throw new IllegalArgumentException(kind.jsonName() + " carries " + kind.detailType().getSimpleName()
                    + ", not " + detail.getClass().getSimpleName());
        }
    }

    public Instant time() {
        return Instant.ofEpochSecond(Math.floorDiv(timeNs, 1_000_000_000L), Math.floorMod(timeNs, 1_000_000_000L));
    }

    public boolean has(EventFlag flag) {
        return flags.contains(flag);
    }

    /** Starts an event of {@code kind}, with decision {@link Verdict#NONE} and layer {@link EventLayer#DAEMON}. */
    public static Builder builder(EventKind kind) {
        return new Builder(kind);
    }

    /** A builder holding this event's values. */
    public Builder toBuilder() {
        Builder b = new Builder(kind);
        b.timeNs = timeNs;
        b.timeSet = true;
        b.session = session;
        b.principal = principal;
        b.layer = layer;
        b.resource = resource;
        b.decision = decision;
        b.policies = policies;
        b.reason = reason;
        b.errno = errno;
        b.pid = pid;
        b.ppid = ppid;
        b.tid = tid;
        b.comm = comm;
        b.exe = exe;
        b.cgroupId = cgroupId;
        b.flags = flags.isEmpty() ? EnumSet.noneOf(EventFlag.class) : EnumSet.copyOf(flags);
        b.detail = detail;
        return b;
    }

    /** Wall-clock now, in ns since the epoch (microsecond resolution or better on Linux). */
    public static long nowNs() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    /**
     * Builds an event, bounding texts and flagging what it cut or escaped. Not thread-safe; one per
     * producer thread (it can be reused: {@link #build()} does not reset it).
     */
    public static final class Builder {
        private final EventKind kind;
        private long timeNs;
        private boolean timeSet;
        private String session;
        private String principal;
        private EventLayer layer = EventLayer.DAEMON;
        private String resource;
        private Verdict decision = Verdict.NONE;
        private List<String> policies = List.of();
        private String reason;
        private Integer errno;
        private int pid;
        private int ppid;
        private int tid;
        private String comm;
        private String exe;
        private long cgroupId;
        private EnumSet<EventFlag> flags = EnumSet.noneOf(EventFlag.class);
        private EventDetail detail;

        private Builder(EventKind kind) {
            this.kind = Objects.requireNonNull(kind, "kind");
        }

        /** Wall-clock ns since the epoch; unset means "now" at {@link #build()}. */
        public Builder timeNs(long timeNs) {
            this.timeNs = timeNs;
            this.timeSet = true;
            return this;
        }

        public Builder session(String session) {
            this.session = session;
            return this;
        }

        public Builder principal(String principal) {
            this.principal = principal;
            return this;
        }

        public Builder layer(EventLayer layer) {
            this.layer = Objects.requireNonNull(layer);
            return this;
        }

        /** A resource that is already text (proxy, MCP); cut to {@link EventLimits#MAX_PATH_BYTES} if longer. */
        public Builder resource(String resource) {
            this.resource = resource;
            return this;
        }

        /** A resource from kernel bytes: decoded, escaped and flagged as {@link KernelText} says. */
        public Builder resourceBytes(byte[] b, int off, int len, boolean truncatedBySource) {
            KernelText.Decoded d = KernelText.decode(b, off, len);
            this.resource = d.text();
            flag(EventFlag.RESOURCE_ESCAPED, d.escaped());
            flag(EventFlag.RESOURCE_TRUNCATED, truncatedBySource);
            return this;
        }

        public Builder decision(Verdict decision, List<String> policies, String reason) {
            this.decision = Objects.requireNonNull(decision);
            this.policies = policies == null ? List.of() : policies;
            this.reason = reason;
            return this;
        }

        public Builder decision(Verdict decision) {
            return decision(decision, List.of(), null);
        }

        public Builder errno(Integer errno) {
            this.errno = errno;
            return this;
        }

        public Builder process(int pid, int ppid, int tid) {
            this.pid = pid;
            this.ppid = ppid;
            this.tid = tid;
            return this;
        }

        public Builder comm(String comm) {
            this.comm = comm;
            return this;
        }

        /** comm from the kernel's 16-byte buffer, up to its first NUL. */
        public Builder commBytes(byte[] b, int off, int maxLen) {
            int len = 0;
            while (len < maxLen && b[off + len] != 0) {
                len++;
            }
            KernelText.Decoded d = KernelText.decode(b, off, len);
            this.comm = d.text();
            flag(EventFlag.COMM_ESCAPED, d.escaped());
            return this;
        }

        public Builder exe(String exe) {
            this.exe = exe;
            return this;
        }

        public Builder exeBytes(byte[] b, int off, int len, boolean truncatedBySource) {
            KernelText.Decoded d = KernelText.decode(b, off, len);
            this.exe = d.text();
            flag(EventFlag.EXE_ESCAPED, d.escaped());
            flag(EventFlag.EXE_TRUNCATED, truncatedBySource);
            return this;
        }

        public Builder cgroupId(long cgroupId) {
            this.cgroupId = cgroupId;
            return this;
        }

        public Builder flag(EventFlag flag) {
            flags.add(flag);
            return this;
        }

        public Builder flag(EventFlag flag, boolean set) {
            if (set) {
                flags.add(flag);
            }
            return this;
        }

        public Builder flags(Collection<EventFlag> more) {
            flags.addAll(more);
            return this;
        }

        public Builder detail(EventDetail detail) {
            this.detail = detail;
            return this;
        }

        public Event build() {
            EventLimits.Cut r = EventLimits.cutPath(resource);
            EventLimits.Cut x = EventLimits.cutPath(exe);
            // The reason is tether's own text, not the sandbox's; it is cut without a flag.
            EventLimits.Cut why = EventLimits.cutText(reason);
            EventDetail d = detail == null ? null : detail.withinLimits();
            Set<EventFlag> f = flags;
            if (r.truncated() || x.truncated() || d != detail) {
                EnumSet<EventFlag> more = EnumSet.copyOf(flags);
                more.addAll(truncationFlags(r.truncated(), x.truncated(), detail, d));
                f = more;
            }
            return new Event(timeSet ? timeNs : nowNs(), session, principal, layer, kind, r.text(), decision,
                    policies, why.text(), errno, pid, ppid, tid, comm, x.text(), cgroupId, f, d);
        }

        private static EnumSet<EventFlag> truncationFlags(boolean resource, boolean exe, EventDetail before, EventDetail after) {
            EnumSet<EventFlag> f = EnumSet.noneOf(EventFlag.class);
            if (resource) {
                f.add(EventFlag.RESOURCE_TRUNCATED);
            }
            if (exe) {
                f.add(EventFlag.EXE_TRUNCATED);
            }
            if (after != before) {
                if (before instanceof ExecDetail b && after instanceof ExecDetail a) {
                    if (!a.argv().equals(b.argv())) {
                        f.add(EventFlag.ARGV_TRUNCATED);
                    }
                    if (!Objects.equals(a.cwd(), b.cwd())) {
                        f.add(EventFlag.DETAIL_TRUNCATED);
                    }
                } else {
                    f.add(EventFlag.DETAIL_TRUNCATED);
                }
            }
            return f;
        }
    }
}
