package dev.tether.kernel.enforce;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.policy.LoadResult;
import dev.tether.policy.PolicyLoader;
import dev.tether.policy.Principal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which parts of a project stay writable for a policy's write permits (the rest is mounted read-only). */
class ProjectWriteLayoutTest {
    @TempDir Path project;

    @BeforeEach
    void tree() throws Exception {
        Files.createDirectories(project.resolve("src/main"));
        Files.createDirectories(project.resolve("docs"));
        Files.createDirectories(project.resolve(".tether"));
        Files.writeString(project.resolve("notes.txt"), "n");
        Files.writeString(project.resolve("src/main/App.java"), "a");
        Files.createSymbolicLink(project.resolve("out"), Path.of("/tmp"));
    }

    private ProjectWriteLayout layout(String policy, Path... kept) {
        var snapshot = ((LoadResult.Loaded) PolicyLoader.parse(policy, "policy.cedar")).snapshot();
        return ProjectWriteLayout.derive(snapshot.permitBounds(new Principal("sh", "s1")).writes(), project,
                List.of(project.toString(), "/workspace"), List.of(kept));
    }

    private static String writes(String resource) {
        return "permit (principal, action == Action::\"FileOpenReadOnly\", resource in Dir::\"/workspace/\");\n"
                + "permit (principal, action == Action::\"FileOpenReadWrite\", resource) when { " + resource + " };\n";
    }

    @Test
    void noWritePermitMakesTheWholeProjectReadOnly() {
        var l = layout("permit (principal, action == Action::\"FileOpenReadOnly\", resource in Dir::\"/workspace/\");\n"
                + "permit (principal, action == Action::\"FileOpenReadWrite\", resource in Dir::\"/var/scratch/\");\n");
        assertThat(l.wholeWritable()).isFalse();
        assertThat(l.islands()).isEmpty();
        assertThat(l.exposed()).isEmpty();
    }

    @Test
    void aPermitOnTheProjectOrAboveLeavesItWritable() {
        assertThat(layout(writes("resource in Dir::\"/workspace/\"")).wholeWritable()).isTrue();
        assertThat(layout(writes("resource in Dir::\"" + project.getParent() + "/\"")).wholeWritable()).isTrue();
        // A permit tether cannot bound to a path reaches /: nothing is made read-only.
        assertThat(layout("permit (principal, action == Action::\"FileOpenReadWrite\", resource);").wholeWritable()).isTrue();
    }

    @Test
    void directoriesAndFilesAPermitReachesAreIslandsByEitherName() {
        var l = layout(writes("resource in Dir::\"/workspace/src/\" || resource == File::\"" + project + "/notes.txt\""
                + " || resource in Dir::\"/workspace/src/main/\""));
        assertThat(l.wholeWritable()).isFalse();
        assertThat(l.islands()).containsExactly("notes.txt", "src"); // src/main lies inside src
        assertThat(l.exposed()).isEmpty();
    }

    @Test
    void aPermittedPathThatDoesNotExistYetKeepsItsNearestDirectoryWritableAndSaysSo() {
        var l = layout(writes("resource in Dir::\"/workspace/docs/site/\" || resource == File::\"/workspace/src/main/New.java\""));
        assertThat(l.islands()).containsExactly("docs", "src/main");
        assertThat(l.exposed()).containsExactly("docs", "src/main");
        // To be created at the top: the top stays writable, and that is said too.
        var top = layout(writes("resource in Dir::\"/workspace/build/\""));
        assertThat(top.wholeWritable()).isTrue();
        assertThat(top.exposed()).containsExactly("");
    }

    @Test
    void aPermitThroughASymbolicLinkWritesNothingInTheProject() {
        // The gate judges where a link leads (here /tmp): the link's own name opens nothing writable.
        var l = layout(writes("resource in Dir::\"/workspace/out/\""));
        assertThat(l.wholeWritable()).isFalse();
        assertThat(l.islands()).isEmpty();
    }

    @Test
    void guardingKeepsProjectPathsOnly() {
        var l = layout(writes("resource in Dir::\"/workspace/src/\"")).guarding(List.of(project.resolve("src/main/App.java"),
                project, Path.of("/etc/passwd"), project.resolve("docs")), project);
        assertThat(l.guarded()).containsExactly("docs", "src/main/App.java");
        assertThat(l.islands()).containsExactly("src");
    }

    @Test
    void whatTetherKeepsReadOnlyIsNeverAnIsland() {
        var l = layout(writes("resource in Dir::\"/workspace/.tether/\" || resource in Dir::\"/workspace/src/\""),
                project.resolve(".tether"));
        assertThat(l.islands()).containsExactly("src");
    }
}
