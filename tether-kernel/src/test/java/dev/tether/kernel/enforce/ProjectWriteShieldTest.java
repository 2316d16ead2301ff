package dev.tether.kernel.enforce;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.kernel.mount.MountChange;
import dev.tether.kernel.mount.SandboxMountEditor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The order of mount changes between two layouts: nothing writable that neither allows, even
 * half way. The editor is a recorder here; {@code MountNamespaceHelperIT} runs the real one.
 */
class ProjectWriteShieldTest {
    private final List<MountChange> made = new ArrayList<>();
    private Set<String> failing = Set.of();
    private final SandboxMountEditor recorder = changes -> {
        Map<MountChange, String> failed = new LinkedHashMap<>();
        for (MountChange c : changes) {
            if (failing.contains(c.toString())) {
                failed.put(c, "Operation not permitted");
            } else {
                made.add(c);
            }
        }
        return failed;
    };
    private final ProjectWriteShield shield = new ProjectWriteShield(recorder, List.of("/p", "/workspace"));

    private static ProjectWriteLayout islands(String... rel) {
        return new ProjectWriteLayout(false, List.of(rel), List.of());
    }

    @Test
    void firstLayoutMakesTheProjectReadOnlyBeforeAttachingIslands() {
        shield.apply(islands("src", "notes.txt"));
        assertThat(made).extracting(MountChange::toString).containsExactly(
                "ro /p", "ro /workspace", "bind-rw /p/notes.txt", "bind-rw /workspace/notes.txt",
                "bind-rw /p/src", "bind-rw /workspace/src");
        assertThat(shield.readOnly()).isTrue();
        assertThat(shield.islands()).containsExactly("notes.txt", "src");
    }

    @Test
    void aWholeWritableLayoutChangesNothingAtFirst() {
        shield.apply(ProjectWriteLayout.writable());
        assertThat(made).isEmpty();
        assertThat(shield.readOnly()).isFalse();
    }

    @Test
    void narrowingDetachesIslandsBeforeAnythingIsAttached() {
        shield.apply(islands("src"));
        made.clear();
        shield.apply(islands("docs"));
        assertThat(made).extracting(MountChange::toString).containsExactly(
                "detach /p/src", "detach /workspace/src", "bind-rw /p/docs", "bind-rw /workspace/docs");
        assertThat(shield.islands()).containsExactly("docs");
    }

    @Test
    void wideningToTheWholeProjectDropsIslandsThenMakesItWritable() {
        shield.apply(islands("src"));
        made.clear();
        shield.apply(ProjectWriteLayout.writable());
        assertThat(made).extracting(MountChange::toString).containsExactly(
                "detach /p/src", "detach /workspace/src", "rw /p", "rw /workspace");
        assertThat(shield.readOnly()).isFalse();
        assertThat(shield.islands()).isEmpty();
        made.clear();
        shield.apply(islands("src")); // and back again
        assertThat(made).extracting(MountChange::toString).containsExactly(
                "ro /p", "ro /workspace", "bind-rw /p/src", "bind-rw /workspace/src");
    }

    @Test
    void whatAForbidProtectsIsMountedReadOnlyBeforeIslandsAndReleasedLast() {
        ProjectWriteShield withStartGuard = new ProjectWriteShield(recorder, List.of("/p", "/workspace"), List.of("secrets"));
        withStartGuard.apply(new ProjectWriteLayout(false, List.of("src"), List.of(), List.of("secrets", "src/README")));
        // secrets/ was mounted by the engine at start: only the new guard is made, before the island
        // that copies it.
        assertThat(made).extracting(MountChange::toString).containsExactly(
                "ro /p", "ro /workspace", "bind-ro /p/src/README", "bind-ro /workspace/src/README",
                "bind-rw /p/src", "bind-rw /workspace/src");
        made.clear();
        // Permissive: everything writable; guards go after the project is writable (never a moment
        // with less protection than the new layout's).
        withStartGuard.apply(ProjectWriteLayout.writable());
        assertThat(made).extracting(MountChange::toString).containsExactly(
                "detach /p/src", "detach /workspace/src", "rw /p", "rw /workspace",
                "detach /p/secrets", "detach /workspace/secrets", "detach /p/src/README", "detach /workspace/src/README");
        assertThat(withStartGuard.guarded()).isEmpty();
    }

    @Test
    void aDirectoryNoLongerProtectedButNowPermittedLosesItsReadOnlyMountBeforeBecomingAnIsland() {
        ProjectWriteShield shield = new ProjectWriteShield(recorder, List.of("/p"), List.of("gen"));
        shield.apply(new ProjectWriteLayout(false, List.of("src"), List.of(), List.of("gen")));
        made.clear();
        shield.apply(new ProjectWriteLayout(false, List.of("gen", "src"), List.of(), List.of()));
        assertThat(made).extracting(MountChange::toString).containsExactly("detach /p/gen", "bind-rw /p/gen");
        assertThat(shield.islands()).containsExactly("gen", "src");
        assertThat(shield.guarded()).isEmpty();
    }

    @Test
    void aFailedChangeIsReportedAndNotTakenAsMade() {
        failing = Set.of("bind-rw /p/src", "bind-rw /workspace/src");
        var outcome = shield.apply(islands("src"));
        assertThat(outcome.failed()).hasSize(2).containsValue("Operation not permitted");
        assertThat(outcome.applied()).extracting(MountChange::toString).containsExactly("ro /p", "ro /workspace");
        assertThat(shield.islands()).isEmpty();
        // The next change tries again what is still missing.
        failing = Set.of();
        made.clear();
        shield.apply(islands("src"));
        assertThat(made).extracting(MountChange::toString).containsExactly("bind-rw /p/src", "bind-rw /workspace/src");
    }
}
