package dev.tether.events;

import java.util.List;

/** Small factories for tests. */
public final class Events {
    private Events() {}

    public static Event open(String session, long t, String path, Verdict v) {
        return Event.builder(EventKind.FILE_OPEN_READ_ONLY).timeNs(t).session(session).principal("claude")
                .layer(EventLayer.FANOTIFY).resource(path).process(100, 1, 100).comm("cat").exe("/usr/bin/cat")
                .decision(v, v == Verdict.ALLOW ? List.of("policy0") : List.of("policy3"), null)
                .errno(v == Verdict.DENY ? 13 : 0).detail(FileDetail.open(0, null)).build();
    }

    public static Event start(String session, long t, String... command) {
        return Event.builder(EventKind.SESSION_START).timeNs(t).session(session).principal("claude")
                .detail(SessionDetail.start(List.of(command), "enforce", "podman:tether/claude")).build();
    }

    public static Event end(String session, long t, int exit) {
        return Event.builder(EventKind.SESSION_END).timeNs(t).session(session).principal("claude")
                .detail(SessionDetail.end(exit)).build();
    }

    public static Event lost(String session, long t, long count) {
        return Event.builder(EventKind.EVENTS_LOST).timeNs(t).session(session).layer(EventLayer.KERNEL)
                .detail(new LossDetail("kernel-ringbuf", count)).build();
    }

    public static Event fork(String session, long t, int parent, int child) {
        return Event.builder(EventKind.PROCESS_FORK).timeNs(t).session(session).layer(EventLayer.KERNEL)
                .process(parent, 0, parent).detail(new ForkDetail(child)).build();
    }

    public static Event exec(String session, long t, int pid, int ppid, String path, String... argv) {
        return Event.builder(EventKind.PROCESS_EXEC).timeNs(t).session(session).layer(EventLayer.KERNEL)
                .process(pid, ppid, pid).resource(path).exe(path).errno(0).decision(Verdict.ALLOW)
                .detail(new ExecDetail(List.of(argv))).build();
    }

    public static Event exit(String session, long t, int pid, int code) {
        return Event.builder(EventKind.PROCESS_EXIT).timeNs(t).session(session).layer(EventLayer.KERNEL)
                .process(pid, 0, pid).detail(new ExitDetail(code, 0, false)).build();
    }
}
