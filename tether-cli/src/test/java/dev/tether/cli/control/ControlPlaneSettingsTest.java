package dev.tether.cli.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ControlPlaneSettingsTest {
    @Test
    void defaultsToLoopback18080WithAFreshToken() {
        ControlPlaneSettings s = ControlPlaneSettings.of(false, null);
        assertThat(s.enabled()).isTrue();
        assertThat(s.config().host()).isEqualTo("127.0.0.1");
        assertThat(s.config().port()).isEqualTo(18080);
        assertThat(s.config().token().reveal()).isNotEqualTo(ControlPlaneSettings.of(false, null).config().token().reveal());
        assertThat(s.auditDatabase()).isNotNull();
    }

    @Test
    void noUiDisablesItAndListenTakesTheUsualForms() {
        assertThat(ControlPlaneSettings.of(true, "127.0.0.1:1").enabled()).isFalse();
        assertThat(ControlPlaneSettings.of(false, "18181").config().port()).isEqualTo(18181);
        assertThat(ControlPlaneSettings.of(false, "[::1]:0").config().host()).isEqualTo("::1");
        assertThat(ControlPlaneSettings.of(false, "localhost:9").config().port()).isEqualTo(9);
    }

    @Test
    void refusesWhatItCannotListenOnSafely() {
        assertThatThrownBy(() -> ControlPlaneSettings.of(false, "0.0.0.0:18080"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("non-loopback");
        assertThatThrownBy(() -> ControlPlaneSettings.of(false, "127.0.0.1:http"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a number");
        assertThatThrownBy(() -> ControlPlaneSettings.of(false, "127.0.0.1:70000"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("out of range");
    }
}
