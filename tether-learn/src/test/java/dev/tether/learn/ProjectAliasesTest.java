package dev.tether.learn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ProjectAliasesTest {
    final ProjectAliases a = new ProjectAliases("/home/dev/proj/");

    @Test
    void aPathUnderEitherNameHasTheOther() {
        assertThat(a.names("/workspace/src/a")).containsExactly("/workspace/src/a", "/home/dev/proj/src/a");
        assertThat(a.names("/home/dev/proj/src/a")).containsExactly("/home/dev/proj/src/a", "/workspace/src/a");
        assertThat(a.names("/home/dev/proj")).containsExactly("/home/dev/proj", "/workspace");
        assertThat(a.names("/home/dev/project2/x")).containsExactly("/home/dev/project2/x");
        assertThat(a.names("/workspacex")).containsExactly("/workspacex");
    }

    @Test
    void suggestionsPreferTheProjectsOwnName() {
        assertThat(a.preferred("/workspace/src/a")).isEqualTo("/home/dev/proj/src/a");
        assertThat(a.preferred("/workspace")).isEqualTo("/home/dev/proj");
        assertThat(a.preferred("/etc/hosts")).isEqualTo("/etc/hosts");
        assertThat(ProjectAliases.none().preferred("/workspace/a")).isEqualTo("/workspace/a");
        assertThat(new ProjectAliases("/workspace").known()).isFalse();
    }

    @Test
    void theProjectMustBeAnAbsoluteDirectoryOtherThanRoot() {
        assertThatThrownBy(() -> new ProjectAliases("proj")).hasMessageContaining("absolute");
        assertThatThrownBy(() -> new ProjectAliases("/")).hasMessageContaining("cannot be /");
        assertThat(new ProjectAliases("/a/./b/../c").project()).isEqualTo("/a/c");
        assertThat(List.of(a.inProject("/workspace/x"), a.inProject("/home/dev/proj/x"), a.inProject("/etc")))
                .containsExactly(true, true, false);
    }
}
