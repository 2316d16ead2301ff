package dev.tether.cli.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.events.Event;
import dev.tether.events.EventKind;
import dev.tether.events.EventLayer;
import dev.tether.events.FileDetail;
import dev.tether.events.SessionDetail;
import dev.tether.events.Verdict;
import dev.tether.events.store.AuditStore;
import dev.tether.policy.Mode;
import dev.tether.policy.Principal;
import dev.tether.server.spi.SessionView;
import dev.tether.server.spi.SessionView.State;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sessions view over a real audit store; this process's own session is a recording stand-in. */
class HostSessionsTest {
    @TempDir Path dir;
    Path locks;
    AuditStore writer;
    AuditReader reader;
    HostSessions sessions;
    final List<SessionView> changes = new ArrayList<>();
    final long t0 = Event.nowNs();

    /** This process's session: records what the directory asks of it. */
    static final class RecordingSession implements HostSessions.GovernedSession {
        final List<String> calls = new ArrayList<>();
        Mode mode;
        long unrecordedLoss;

        RecordingSession(Mode mode) {
            this.mode = mode;
        }

        @Override public String id() { return "20261127-0344-own222"; }
        @Override public Principal principal() { return new Principal("claude", id()); }
        @Override public List<String> command() { return List.of("claude", "-p", "hi"); }
        @Override public String sandbox() { return "builtin"; }
        @Override public Instant startedAt() { return Instant.now(); }
        @Override public Mode mode() { return mode; }

        @Override
        public void setMode(Mode m) {
            if (mode == null) {
                throw new UnsupportedOperationException("only monitors");
            }
            calls.add("mode " + m.configName());
            mode = m;
        }

        @Override
        public void stop() {
            calls.add("stop");
        }

        @Override
        public long unrecordedLoss() {
            return unrecordedLoss;
        }
    }

    @BeforeEach
    void open() throws Exception {
        locks = Files.createDirectories(dir.resolve("locks"));
        writer = AuditStore.open(dir.resolve("audit.db"));
        reader = new AuditReader(dir.resolve("audit.db"));
        sessions = new HostSessions(reader, locks, Mode.ENFORCE);
        sessions.onChange(changes::add);
    }

    @AfterEach
    void close() {
        reader.close();
        writer.close();
    }

    private void record(String session, String agent, boolean ended, Verdict... decisions) {
        List<Event> evs = new ArrayList<>();
        evs.add(Event.builder(EventKind.SESSION_START).timeNs(t0).session(session).principal(agent)
                .detail(SessionDetail.start(List.of(agent, "--yes"), "shadow", "podman")).build());
        int i = 0;
        for (Verdict v : decisions) {
            evs.add(Event.builder(EventKind.FILE_OPEN_READ_ONLY).timeNs(t0 + ++i).session(session).principal(agent)
                    .layer(EventLayer.FANOTIFY).process(10, 1, 10).resource("/workspace/" + i).decision(v)
                    .detail(new FileDetail(0, null, null, null, null)).build());
        }
        if (ended) {
            evs.add(Event.builder(EventKind.SESSION_END).timeNs(t0 + 1000).session(session).principal(agent)
                    .detail(SessionDetail.end(0)).build());
        }
        writer.append(evs);
    }

    @Test
    void recordedSessionsAreShownReadOnlyWithTheirWholeCounts() {
        record("20261127-0341-done22", "codex", true, Verdict.ALLOW, Verdict.DENY, Verdict.WOULD_DENY, Verdict.ALLOW);
        SessionView done = sessions.get("20261127-0341-done22").orElseThrow();
        assertThat(done.controllable()).isFalse();
        assertThat(done.state()).isEqualTo(State.EXITED);
        assertThat(done.agent()).isEqualTo("codex");
        assertThat(done.principal()).isEqualTo("Agent::\"codex\"");
        assertThat(done.command()).containsExactly("codex", "--yes");
        assertThat(done.sandbox()).isEqualTo("podman");
        assertThat(done.mode()).isEqualTo(Mode.SHADOW);
        assertThat(done.endedAt()).isNotNull();
        // Counts: every event of the session (start and end included), by decision.
        assertThat(done.counts()).isEqualTo(new SessionView.EventCounts(6, 2, 1, 1, 0));
        assertThatThrownBy(() -> sessions.stop("20261127-0341-done22")).isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("another tether process");
        assertThatThrownBy(() -> sessions.setMode("20261127-0341-done22", Mode.ENFORCE))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThat(sessions.stop("20261127-0345-nope22")).isFalse();
        assertThat(sessions.get("20261127-0345-nope22")).isEmpty();
    }

    @Test
    void aSessionStillOpenInTheStoreIsRunningOnlyWhileItsTetherLives() throws Exception {
        record("20261127-0342-open22", "gemini", false, Verdict.ALLOW);
        // No lock file: the tether that ran it is gone (a crash), so it is over.
        assertThat(sessions.get("20261127-0342-open22").orElseThrow().state()).isEqualTo(State.EXITED);
        Files.writeString(locks.resolve("20261127-0342-open22.lock"), ProcessHandle.current().pid() + "\n");
        assertThat(sessions.get("20261127-0342-open22").orElseThrow().state()).isEqualTo(State.RUNNING);
        Process dead = new ProcessBuilder("true").start();
        dead.waitFor();
        Files.writeString(locks.resolve("20261127-0342-open22.lock"), dead.pid() + "\n");
        assertThat(sessions.get("20261127-0342-open22").orElseThrow().state()).isEqualTo(State.EXITED);
    }

    @Test
    void theOwnSessionIsStoppedAndSwitchedThroughItsGovernor() {
        RecordingSession own = new RecordingSession(Mode.ENFORCE);
        sessions.register(own);
        record(own.id(), "claude", false, Verdict.DENY);
        record("20261127-0343-other2", "qwen", true, Verdict.ALLOW);
        List<SessionView> all = sessions.list();
        assertThat(all).extracting(SessionView::id).contains(own.id(), "20261127-0343-other2");
        SessionView mine = sessions.get(own.id()).orElseThrow();
        assertThat(mine.controllable()).isTrue();
        assertThat(mine.state()).isEqualTo(State.RUNNING);
        assertThat(mine.counts().denied()).isEqualTo(1);
        // Loss: what the store recorded (a bus drop report) plus what the session knows but records at its end.
        writer.append(List.of(Event.builder(EventKind.EVENTS_LOST).timeNs(t0 + 50).session(own.id()).principal("claude")
                .detail(new dev.tether.events.LossDetail("bus:audit-store", 40)).build()));
        own.unrecordedLoss = 2;
        assertThat(sessions.get(own.id()).orElseThrow().counts().lost()).isEqualTo(42);

        assertThat(sessions.setMode(own.id(), Mode.PERMISSIVE)).isTrue();
        assertThat(sessions.get(own.id()).orElseThrow().mode()).isEqualTo(Mode.PERMISSIVE);
        sessions.setDefaultMode(Mode.SHADOW);
        assertThat(sessions.defaultMode()).isEqualTo(Mode.SHADOW);
        assertThat(own.calls).containsExactly("mode permissive", "mode shadow");

        assertThat(sessions.stop(own.id())).isTrue();
        assertThat(own.calls).endsWith("stop");
        assertThat(sessions.get(own.id()).orElseThrow().state()).isEqualTo(State.STOPPING);
        assertThat(changes).extracting(SessionView::state).contains(State.STOPPING);

        // Its end arrives on the feed.
        sessions.observe(new ActivityEvents().from(1, Event.builder(EventKind.SESSION_END).timeNs(Event.nowNs())
                .session(own.id()).principal("claude").detail(SessionDetail.end(137)).build(), List.of()));
        SessionView ended = sessions.get(own.id()).orElseThrow();
        assertThat(ended.state()).isEqualTo(State.EXITED);
        assertThat(ended.endedAt()).isNotNull();
        assertThat(changes.getLast().state()).isEqualTo(State.EXITED);
        assertThatThrownBy(() -> sessions.setMode(own.id(), Mode.ENFORCE)).hasMessageContaining("has ended");
        assertThatThrownBy(() -> sessions.setDefaultMode(Mode.ENFORCE)).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void aMonitorOnlySessionHasNoModeToSwitch() {
        RecordingSession own = new RecordingSession(null);
        sessions.register(own);
        assertThat(sessions.get(own.id()).orElseThrow().mode()).isNull();
        assertThatThrownBy(() -> sessions.setMode(own.id(), Mode.SHADOW)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> sessions.setDefaultMode(Mode.SHADOW)).isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("nothing to apply a mode to");
    }

    @Test
    void withoutAStoreOnlyTheOwnSessionIsShown() {
        HostSessions bare = new HostSessions(new AuditReader(dir.resolve("missing.db")), locks, Mode.ENFORCE);
        RecordingSession own = new RecordingSession(Mode.ENFORCE);
        bare.register(own);
        assertThat(bare.list()).extracting(SessionView::id).containsExactly(own.id());
        assertThat(bare.get(own.id()).orElseThrow().counts()).isNull();
    }
}
