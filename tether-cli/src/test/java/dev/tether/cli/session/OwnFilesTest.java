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
    void theConfigAndDataAreProtectedAndTheLauncherTreeAndJarDirectoryAreTheInstallation() {
        Path home = Path.of("/home/dev");
        OwnFiles own = OwnFiles.of(Map.of("TETHER_HOME", "/opt/tether"), home, Path.of("/opt/tether/tether-cli/target/tether.jar"));
        assertThat(own.protectedDirs()).containsExactly(home.resolve(".config/tether"), home.resolve(".local/share/tether"));
        assertThat(own.installation()).containsExactly(Path.of("/opt/tether"), Path.of("/opt/tether/tether-cli/target"));
        // XDG directories move config and data; a relative TETHER_HOME names nothing; classes name their directory
        OwnFiles xdg = OwnFiles.of(Map.of("TETHER_HOME", "relative", "XDG_CONFIG_HOME", "/x/config", "XDG_DATA_HOME", "/x/data"),
                home, Path.of("/opt/t/classes"));
        assertThat(xdg.protectedDirs()).containsExactly(Path.of("/x/config/tether"), Path.of("/x/data/tether"));
        assertThat(xdg.installation()).containsExactly(Path.of("/opt/t/classes"));
    }

    @Test
    void nothingOfTethersLiesInAnOrdinaryProject() throws Exception {
        Path project = Files.createDirectories(tmp.resolve("project"));
        OwnFiles own = new OwnFiles(List.of(tmp.resolve("home/.config/tether")), List.of(tmp.resolve("install")));
        assertThat(own.protectedInside(project)).isEmpty();
        assertThat(own.installationOverlapping(project)).isEmpty();
    }

    @Test
    void aProjectHoldingTheConfigGetsItUnderItsOwnName() throws Exception {
        Path home = Files.createDirectories(tmp.resolve("home"));
        Path config = Files.createDirectories(home.resolve(".config/tether"));
        assertThat(new OwnFiles(List.of(config), List.of()).protectedInside(home)).containsExactly(config);
    }

    @Test
    void aProjectInsideTheInstallationOverlapsItAsAWhole() throws Exception {
        Path install = Files.createDirectories(tmp.resolve("tether"));
        Path project = Files.createDirectories(install.resolve("tether-cli/target/it-projects/x"));
        OwnFiles own = new OwnFiles(List.of(), List.of(install));
        assertThat(own.installationOverlapping(project)).containsExactly(project);
        assertThat(own.installationOverlapping(install)).containsExactly(install);
        assertThat(own.protectedInside(project)).isEmpty();
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
