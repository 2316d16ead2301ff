package dev.tether.kernel.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class KernelReleaseTest {
    @Test
    void readsMajorAndMinorOfDistributionReleases() {
        assertThat(KernelRelease.parse("6.18.44")).isEqualTo(new KernelRelease(6, 18));
        assertThat(KernelRelease.parse("5.15.0-91-generic")).isEqualTo(new KernelRelease(5, 15));
        assertThat(KernelRelease.parse("6.1.0-28-amd64")).isEqualTo(new KernelRelease(6, 1));
        assertThat(KernelRelease.parse("4.18.0-553.el8_10.x86_64")).isEqualTo(new KernelRelease(4, 18));
        assertThat(KernelRelease.parse("6.10-rc3")).isEqualTo(new KernelRelease(6, 10));
    }

    @Test
    void comparesNumericallyNotAsText() {
        assertThat(KernelRelease.parse("6.10.1").atLeast(6, 9)).isTrue();
        assertThat(KernelRelease.parse("6.1.0").atLeast(6, 1)).isTrue();
        assertThat(KernelRelease.parse("6.0.19").atLeast(6, 1)).isFalse();
        assertThat(KernelRelease.parse("5.19.17").atLeast(6, 1)).isFalse();
        assertThat(KernelRelease.parse("10.0").atLeast(6, 1)).isTrue();
    }

    @Test
    void refusesWhatIsNoRelease() {
        assertThatThrownBy(() -> KernelRelease.parse("linux")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'linux'");
        assertThatThrownBy(() -> KernelRelease.parse(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theRunningKernelHasARelease() {
        // os.version on Linux is uname's release: this JVM's kernel parses (and is no older than 3.0).
        assertThat(KernelRelease.running()).hasValueSatisfying(k -> assertThat(k.atLeast(3, 0)).isTrue());
    }
}
