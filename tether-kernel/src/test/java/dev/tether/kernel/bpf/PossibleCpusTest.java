package dev.tether.kernel.bpf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PossibleCpusTest {
    @Test
    void countsHighestCpuPlusOne() {
        assertThat(PossibleCpus.parse("0-1\n")).isEqualTo(2);
        assertThat(PossibleCpus.parse("0")).isEqualTo(1);
        assertThat(PossibleCpus.parse("0-3,8-11")).isEqualTo(12);
    }

    @Test
    void rejectsAnEmptyList() {
        assertThatThrownBy(() -> PossibleCpus.parse("\n")).isInstanceOf(IllegalArgumentException.class);
    }
}
