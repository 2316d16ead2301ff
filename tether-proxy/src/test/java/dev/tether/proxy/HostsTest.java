package dev.tether.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class HostsTest {
    @Test
    void normalisesWhatThePolicySees() {
        assertThat(Hosts.normalise("API.Example.COM.")).isEqualTo("api.example.com");
        assertThat(Hosts.normalise("bücher.example")).isEqualTo("xn--bcher-kva.example");
        assertThat(Hosts.normalise("[::1]")).isEqualTo("0:0:0:0:0:0:0:1");
        assertThat(Hosts.normalise("127.000.0.1")).isEqualTo("127.0.0.1");
        assertThat(Hosts.normalise("my_host.internal")).isEqualTo("my_host.internal");
    }

    @Test
    void refusesWhatIsNotAHost() {
        for (String bad : new String[] {"*.example.com", "a b", "evil.com/x", "", "a..b", "-x.com"}) {
            assertThatThrownBy(() -> Hosts.normalise(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> Hosts.split("user@host:443", 443)).hasMessageContaining("user-info");
    }

    @Test
    void splitsAuthorities() {
        assertThat(Hosts.split("Example.com:8443", 443)).isEqualTo(new Hosts.HostPort("example.com", 8443));
        assertThat(Hosts.split("[::1]:8080", 80)).isEqualTo(new Hosts.HostPort("0:0:0:0:0:0:0:1", 8080));
        assertThat(Hosts.split("example.com", 80).port()).isEqualTo(80);
        assertThatThrownBy(() -> Hosts.split("example.com:99999", 80)).hasMessageContaining("bad port");
    }
}
