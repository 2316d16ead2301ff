package dev.tether.events.tree;

import static dev.tether.events.Events.exec;
import static dev.tether.events.Events.exit;
import static dev.tether.events.Events.fork;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ProcessTreeTest {
    private static final String S = "s1";

    @Test
    void tracesAnEventBackToTheCommandTheAgentRan() {
        ProcessTree t = ProcessTree.of(List.of(
                exec(S, 10, 100, 1, "/usr/bin/claude", "claude", "-p", "fix"),
                fork(S, 20, 100, 200),
                exec(S, 21, 200, 100, "/bin/sh", "sh", "-c", "make test"),
                fork(S, 30, 200, 300),
                exec(S, 31, 300, 200, "/usr/bin/make", "make", "test"),
                fork(S, 40, 300, 400),
                exec(S, 41, 400, 300, "/usr/bin/cc", "cc", "-c", "a.c")));
        List<ProcessStep> chain = t.ancestry(400, 50);
        assertThat(chain).extracting(ProcessStep::pid).containsExactly(400, 300, 200, 100);
        assertThat(chain).extracting(ProcessStep::exe).containsExactly("/usr/bin/cc", "/usr/bin/make", "/bin/sh", "/usr/bin/claude");
        assertThat(chain.getLast().argv()).containsExactly("claude", "-p", "fix");
        assertThat(chain.get(1).argv()).containsExactly("make", "test");
    }

    @Test
    void beforeItsExecAForkedChildRunsItsParentsProgram() {
        ProcessTree t = ProcessTree.of(List.of(
                exec(S, 10, 100, 1, "/bin/bash", "bash"),
                fork(S, 20, 100, 200),
                exec(S, 30, 200, 100, "/usr/bin/ls", "ls")));
        ProcessStep child = t.ancestry(200, 25).getFirst();
        assertThat(child.exe()).isEqualTo("/bin/bash");
        assertThat(child.execNs()).isNull();
        assertThat(t.ancestry(200, 30).getFirst().exe()).isEqualTo("/usr/bin/ls");
    }

    @Test
    void aReusedPidIsTracedToTheRightIncarnation() {
        ProcessTree t = ProcessTree.of(List.of(
                exec(S, 10, 100, 1, "/bin/bash", "bash"),
                exec(S, 11, 101, 1, "/usr/bin/python3", "python3"),
                fork(S, 20, 100, 500),
                exec(S, 21, 500, 100, "/usr/bin/git", "git", "status"),
                exit(S, 22, 500, 0),
                fork(S, 30, 101, 500),
                exec(S, 31, 500, 101, "/usr/bin/curl", "curl", "example.com")));
        assertThat(t.ancestry(500, 21).get(1).exe()).isEqualTo("/bin/bash");
        assertThat(t.ancestry(500, 35)).extracting(ProcessStep::exe).containsExactly("/usr/bin/curl", "/usr/bin/python3");
        assertThat(t.ancestry(500, 25)).isEmpty();
    }

    @Test
    void withoutForkEventsTheExecsPpidStillLinksTheChain() {
        ProcessTree t = ProcessTree.of(List.of(
                exec(S, 10, 100, 1, "/bin/bash", "bash"),
                exec(S, 20, 200, 100, "/usr/bin/make", "make")));
        assertThat(t.ancestry(200, 25)).extracting(ProcessStep::pid).containsExactly(200, 100);
    }

    @Test
    void aFailedExecKeepsTheOldImage() {
        ProcessTree t = new ProcessTree();
        t.apply(exec(S, 10, 100, 1, "/bin/bash", "bash"));
        t.apply(exec(S, 20, 100, 1, "/nope", "nope").toBuilder().errno(2).build());
        assertThat(t.ancestry(100, 30).getFirst().exe()).isEqualTo("/bin/bash");
    }
}
