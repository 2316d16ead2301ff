package dev.tether.cli.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OwnFilesTest {
    @TempDir
    Path tmp;

    @Test
    void theConfigAndDataAreProtectedAndTheLauncherTreeJarDirectoryAndJdkAreTheInstallation() throws Exception {
        Path home = Path.of("/home/dev");
        Path jdk = Path.of("/usr/lib/jvm/jdk-25");
        OwnFiles own = OwnFiles.of(Map.of("TETHER_HOME", "/opt/tether"), home, Path.of("/opt/tether/tether-cli/target/tether.jar"), jdk);
        assertThat(own.protectedDirs()).containsExactly(home.resolve(".config/tether"), home.resolve(".local/share/tether"));
        assertThat(own.installation()).containsExactly(Path.of("/opt/tether"), Path.of("/opt/tether/tether-cli/target"), jdk);
        // XDG directories move config and data; a relative TETHER_HOME names nothing; classes name their directory
        OwnFiles xdg = OwnFiles.of(Map.of("TETHER_HOME", "relative", "XDG_CONFIG_HOME", "/x/config", "XDG_DATA_HOME", "/x/data"),
                home, Path.of("/opt/t/classes"), jdk);
        assertThat(xdg.protectedDirs()).containsExactly(Path.of("/x/config/tether"), Path.of("/x/data/tether"));
        assertThat(xdg.installation()).containsExactly(Path.of("/opt/t/classes"), jdk);
        // a source tree (it has the Maven wrapper): its rebuild runs Maven's plugins from ~/.m2 as whoever runs it
        Path tree = Files.createDirectories(tmp.resolve("tether"));
        Files.writeString(tree.resolve("mvnw"), "#!/bin/sh\n");
        OwnFiles source = OwnFiles.of(Map.of("TETHER_HOME", tree.toString()), home, tree.resolve("tether-cli/target/tether.jar"), jdk);
        assertThat(source.installation()).containsExactly(tree, home.resolve(".m2"), tree.resolve("tether-cli/target"), jdk);
    }

    @Test
    void nothingOfTethersLiesInAnOrdinaryProject() throws Exception {
        Path project = Files.createDirectories(tmp.resolve("project"));
        OwnFiles own = new OwnFiles(List.of(tmp.resolve("home/.config/tether")), List.of(tmp.resolve("install")));
        assertThat(own.protectedInside(project)).isEmpty();
        assertThat(own.installationInside(project)).isEmpty();
    }

    @Test
    void aProjectHoldingTheConfigGetsItUnderItsOwnName() throws Exception {
        Path home = Files.createDirectories(tmp.resolve("home"));
        Path config = Files.createDirectories(home.resolve(".config/tether"));
        assertThat(new OwnFiles(List.of(config), List.of()).protectedInside(home)).containsExactly(config);
    }

    @Test
    void aProjectInsideTheInstallationIsProtectedAsAWholeAndOneHoldingItProtectsIt() throws Exception {
        Path install = Files.createDirectories(tmp.resolve("work/tether"));
        Path project = Files.createDirectories(install.resolve("tether-cli/src"));
        OwnFiles own = new OwnFiles(List.of(), List.of(install));
        assertThat(own.installationInside(project)).containsExactly(project);
        assertThat(own.installationInside(install)).containsExactly(install);
        assertThat(own.installationInside(tmp.resolve("work"))).containsExactly(install);
        assertThat(own.protectedInside(project)).isEmpty();
        // the whole project read-only: what else of the installation it holds needs no mount of its own
        Path jarDir = Files.createDirectories(install.resolve("tether-cli/target"));
        OwnFiles both = new OwnFiles(List.of(), List.of(install, jarDir));
        assertThat(both.readOnlyPaths(install, new java.io.PrintWriter(new java.io.StringWriter()))).containsExactly(install);
        assertThat(both.readOnlyPaths(tmp.resolve("work"), new java.io.PrintWriter(new java.io.StringWriter())))
                .containsExactly(install, jarDir);
    }

    @Test
    void theReadOnlyMountsAreAtBothNamesOfTheProjectAndOnlyForWhatExists() throws Exception {
        Path project = Files.createDirectories(tmp.resolve("work"));
        Path install = Files.createDirectories(project.resolve("tools/tether"));
        Path config = project.resolve("home/.config/tether"); // not created
        OwnFiles own = new OwnFiles(List.of(config), List.of(install));
        java.io.StringWriter said = new java.io.StringWriter();
        List<Path> paths = own.readOnlyPaths(project, new java.io.PrintWriter(said, true));
        assertThat(paths).containsExactly(install);
        assertThat(said.toString()).contains(install + " is part of what tether runs from").doesNotContain("config or CA");
        assertThat(OwnFiles.atProjectNames(project, paths)).containsExactly(
                new dev.tether.sandbox.BindMount(install, install.toString(), true),
                new dev.tether.sandbox.BindMount(install, "/workspace/tools/tether", true));
        assertThat(OwnFiles.atProjectNames(project, List.of(project))).containsExactly(
                new dev.tether.sandbox.BindMount(project, project.toString(), true),
                new dev.tether.sandbox.BindMount(project, "/workspace", true));
    }

    @Test
    void aProjectReachedThroughASymlinkIsTheSameProject() throws Exception {
        Path real = Files.createDirectories(tmp.resolve("real"));
        Path data = Files.createDirectories(real.resolve("data/tether"));
        Path link = Files.createSymbolicLink(tmp.resolve("link"), real);
        // named under the project's own (linked) name, where the sandbox mounts it
        assertThat(new OwnFiles(List.of(data), List.of()).protectedInside(link)).containsExactly(link.resolve("data/tether"));
    }
}
