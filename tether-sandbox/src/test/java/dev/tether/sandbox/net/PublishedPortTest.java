package dev.tether.sandbox.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.sandbox.BindMount;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class PublishedPortTest {
    @Test
    void dockerSyntax() {
        assertThat(PublishedPort.parse("8080:80")).isEqualTo(new PublishedPort(java.net.InetAddress.ofLiteral("127.0.0.1"), 8080, 80));
        assertThat(PublishedPort.parse("0.0.0.0:9000:9000/tcp").hostAddress().isAnyLocalAddress()).isTrue();
        assertThat(PublishedPort.parse("[::1]:3000:3000").hostAddress().getHostAddress()).isEqualTo("0:0:0:0:0:0:0:1");
        assertThat(PublishedPort.parse("5000").sandboxPort()).isEqualTo(5000);
        assertThatThrownBy(() -> PublishedPort.parse("53:53/udp")).hasMessageContaining("only TCP");
        assertThatThrownBy(() -> PublishedPort.parse("x:80")).hasMessageContaining("'x' is not a port");
    }

    @Test
    void volumeSyntax() {
        Path home = Path.of("/home/me");
        assertThat(BindMount.parse("~/data:/data:ro", Path.of("/p"), home)).isEqualTo(new BindMount(Path.of("/home/me/data"), "/data", true));
        assertThat(BindMount.parse("./x:/x", Path.of("/p"), home)).isEqualTo(new BindMount(Path.of("/p/x"), "/x", false));
        assertThatThrownBy(() -> BindMount.parse("/a:rel", Path.of("/p"), home)).hasMessageContaining("absolute path inside");
        assertThatThrownBy(() -> BindMount.parse("/a:/b:rx", Path.of("/p"), home)).hasMessageContaining("unknown mode 'rx'");
    }

    @Test
    void slotsNeverOverlap() {
        NetworkSlot a = new NetworkSlot(0);
        NetworkSlot b = new NetworkSlot(1);
        assertThat(a.host4().getHostAddress()).isEqualTo("100.96.0.1");
        assertThat(b.sandbox4().getHostAddress()).isEqualTo("100.96.0.6");
        assertThat(a.contains4(b.host4())).isFalse();
        assertThat(new NetworkSlot(NetworkSlot.COUNT - 1).sandbox4().getHostAddress()).isEqualTo("100.96.255.254");
        assertThat(b.sandbox6().getHostAddress()).isEqualTo("fd74:6574:6865:1:0:0:0:2");
    }
}
