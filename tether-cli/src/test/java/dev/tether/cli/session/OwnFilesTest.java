package dev.tether.cli.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.cli.session.OwnFiles.Installed;
import dev.tether.sandbox.BindMount;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OwnFilesTest {
    @TempDir
    Path tmp;

    private static final PrintWriter QUIET = new PrintWriter(new StringWriter());

    @Test
    void theConfigAndDataAreProtectedAndTheLauncherTreeJarAndJdkAreTheInstallation() throws Exception {
        Path home = Path.of("/home/dev");
        Path jdk = Path.of("/usr/lib/jvm/jdk-25");
        OwnFiles own = OwnFiles.of(Map.of("TETHER_HOME", "/opt/tether"), home, Path.of("/opt/tether/tether-cli/target/tether.jar"), jdk);
        assertThat(own.protectedDirs()).containsExactly(home.resolve(".config/tether"), home.resolve(".local/share/tether"));
        assertThat(own.installation()).containsExactly(new Installed.Whole(Path.of("/opt/tether")),
                new Installed.JarDirectory(Path.of("/opt/tether/tether-cli/target"), "tether.jar"), new Installed.Whole(jdk));
        // XDG directories move config and data; a relative TETHER_HOME names nothing; classes name their directory
        OwnFiles xdg = OwnFiles.of(Map.of("TETHER_HOME", "relative", "XDG_CONFIG_HOME", "/x/config", "XDG_DATA_HOME", "/x/data"),
                home, Path.of("/opt/t/classes"), jdk);
        assertThat(xdg.protectedDirs()).containsExactly(Path.of("/x/config/tether"), Path.of("/x/data/tether"));
        assertThat(xdg.installation()).containsExactly(new Installed.Whole(Path.of("/opt/t/classes")), new Installed.Whole(jdk));
        // a source tree (it has the Maven wrapper): its rebuild runs Maven's plugins from ~/.m2 as whoever runs it
        Path tree = Files.createDirectories(tmp.resolve("tether"));
        Files.writeString(tree.resolve("mvnw"), "#!/bin/sh\n");
        OwnFiles source = OwnFiles.of(Map.of("TETHER_HOME", tree.toString()), home, tree.resolve("tether-cli/target/tether.jar"), jdk);
        assertThat(source.installation()).containsExactly(new Installed.Whole(tree), new Installed.Whole(home.resolve(".m2")),
                new Installed.JarDirectory(tree.resolve("tether-cli/target"), "tether.jar"), new Installed.Whole(jdk));
    }

    @Test
    void nothingOfTethersLiesInAnOrdinaryProject() throws Exception {
        Path project = Files.createDirectories(tmp.resolve("project"));
        OwnFiles own = new OwnFiles(List.of(tmp.resolve("home/.config/tether")), List.of(new Installed.Whole(tmp.resolve("install"))));
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
    void aProjectAnywhereInTheSourceTreeIsProtectedAsAWhole() throws Exception {
        Path tree = Files.createDirectories(tmp.resolve("work/tether"));
        Path jarDir = Files.createDirectories(tree.resolve("tether-cli/target"));
        OwnFiles own = new OwnFiles(List.of(), List.of(new Installed.Whole(tree), new Installed.JarDirectory(jarDir, "tether.jar")));
        Path src = Files.createDirectories(tree.resolve("tether-cli/src"));
        assertThat(own.installationInside(src)).containsExactly(src);
        Path git = Files.createDirectories(tree.resolve(".git/hooks"));
        assertThat(own.installationInside(git)).containsExactly(git);
        assertThat(own.installationInside(tree)).containsExactly(tree, jarDir);
        assertThat(own.installationInside(tmp.resolve("work"))).containsExactly(tree, jarDir);
        // build output too: a rebuild packages the classes it finds in target/
        Path classes = Files.createDirectories(tree.resolve("tether-kernel/target/classes"));
        assertThat(own.installationInside(classes)).containsExactly(classes);
        Path nativeLibs = Files.createDirectories(jarDir.resolve("tether.native-1795801072"));
        assertThat(own.installationInside(nativeLibs)).containsExactly(nativeLibs);
        assertThat(own.protectedInside(src)).isEmpty();
    }

    @Test
    void aProjectBesideACopiedJarIsNotTethers() throws Exception {
        // bench/system copies the jar into its work directory and makes projects next to it
        Path work = Files.createDirectories(tmp.resolve("bench"));
        OwnFiles own = new OwnFiles(List.of(), List.of(new Installed.JarDirectory(work, "tether.jar"), new Installed.Whole(tmp.resolve("jdk"))));
        assertThat(own.installationInside(Files.createDirectories(work.resolve("p-monitor-0")))).isEmpty();
        assertThat(own.installationInside(Files.createDirectories(work.resolve("tether.aot.123.conf")))).isNotEmpty();
        Path inJdk = Files.createDirectories(tmp.resolve("jdk/lib"));
        assertThat(own.installationInside(inJdk)).containsExactly(inJdk);
    }

    @Test
    void onlyAWholeProjectMountIsAnnouncedWhenTheProjectIsTheInstallation() throws Exception {
        Path tree = Files.createDirectories(tmp.resolve("tether"));
        Path jarDir = Files.createDirectories(tree.resolve("tether-cli/target"));
        OwnFiles both = new OwnFiles(List.of(), List.of(new Installed.Whole(tree), new Installed.JarDirectory(jarDir, "tether.jar")));
        assertThat(both.readOnlyPaths(tree, QUIET)).containsExactly(tree);
        assertThat(both.readOnlyPaths(tmp, QUIET)).containsExactly(tree, jarDir);
    }

    @Test
    void theReadOnlyMountsAreAtBothNamesOfTheProjectAndOnlyForWhatExists() throws Exception {
        Path project = Files.createDirectories(tmp.resolve("work"));
        Path install = Files.createDirectories(project.resolve("tools/tether"));
        Path config = project.resolve("home/.config/tether"); // not created
        OwnFiles own = new OwnFiles(List.of(config), List.of(new Installed.Whole(install)));
        StringWriter said = new StringWriter();
        List<Path> paths = own.readOnlyPaths(project, new PrintWriter(said, true));
        assertThat(paths).containsExactly(install);
        assertThat(said.toString()).contains(install + " is part of what tether runs from").doesNotContain("config or CA");
        assertThat(OwnFiles.atProjectNames(project, paths)).containsExactly(
                new BindMount(install, install.toString(), true),
                new BindMount(install, "/workspace/tools/tether", true));
        assertThat(OwnFiles.atProjectNames(project, List.of(project))).containsExactly(
                new BindMount(project, project.toString(), true),
                new BindMount(project, "/workspace", true));
    }

    @Test
    void aVolumeOverlapsWhatAProjectThereWould() throws Exception {
        Path home = Files.createDirectories(tmp.resolve("home"));
        Path config = Files.createDirectories(home.resolve(".config/tether"));
        Path m2 = Files.createDirectories(home.resolve(".m2/repository"));
        OwnFiles own = new OwnFiles(List.of(config), List.of(new Installed.Whole(home.resolve(".m2"))));
        assertThat(own.overlappedBy(home)).containsExactly(config, home.resolve(".m2"));
        assertThat(own.overlappedBy(m2)).containsExactly(m2);
        assertThat(own.overlappedBy(Files.createDirectories(home.resolve("code")))).isEmpty();
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
