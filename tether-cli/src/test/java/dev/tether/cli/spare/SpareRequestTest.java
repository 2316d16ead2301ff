package dev.tether.cli.spare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SpareRequestTest {
    /** Words as tether_attach.c writes them, each NUL-terminated. */
    private static byte[] words(String... words) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String w : words) {
            out.writeBytes(w.getBytes(StandardCharsets.UTF_8));
            out.write(0);
        }
        return out.toByteArray();
    }

    @Test
    void aRequestAsTheClientWritesItIsRead() throws Exception {
        byte[] b = words("tether-spare-1", "4242", "/home/me/project", "3", "HOME=/root", "A=x=y", "A=second",
                "2", "run", "--");
        assertThat(SpareRequest.complete(b, b.length)).isTrue();
        SpareRequest r = SpareRequest.parse(b, b.length);
        assertThat(r.pid()).isEqualTo(4242);
        assertThat(r.workingDirectory()).isEqualTo("/home/me/project");
        // The first definition of a name is the one a C program sees; '=' in values is kept.
        assertThat(r.environment()).containsExactly(java.util.Map.entry("HOME", "/root"), java.util.Map.entry("A", "x=y"));
        assertThat(r.arguments()).containsExactly("run", "--");
    }

    @Test
    void everyPrefixOfARequestIsIncomplete() {
        byte[] b = words("tether-spare-1", "1", "/", "1", "A=b", "1", "run");
        for (int n = 0; n < b.length; n++) {
            assertThat(SpareRequest.complete(b, n)).as("first %d bytes", n).isFalse();
        }
        assertThat(SpareRequest.complete(b, b.length)).isTrue();
    }

    @Test
    void malformedRequestsAreRefusedWithTheReason() {
        assertRefused(words("other-protocol", "1", "/", "0", "0"), "unknown protocol 'other-protocol'");
        assertRefused(words("tether-spare-1", "0", "/", "0", "0"), "the pid must be positive");
        assertRefused(words("tether-spare-1", "-3", "/", "0", "0"), "the pid is not a number: '-3'");
        assertRefused(words("tether-spare-1", "1", "relative", "0", "0"), "must be absolute");
        assertRefused(words("tether-spare-1", "1", "/", "x", "0"), "the number of environment entries is not a number");
        assertRefused(words("tether-spare-1", "1", "/", "1", "NOEQUALS", "0"), "environment entry 1 is not NAME=VALUE");
        assertRefused(words("tether-spare-1", "1", "/", "0", "100001"), "more than 100000");
        assertRefused(words("tether-spare-1", "1", "/", "0", "99999999999"), "is not a number");
        byte[] trailing = words("tether-spare-1", "1", "/", "0", "0", "extra");
        assertRefused(trailing, "6 bytes after the last argument");
        // A count that is not a number ends the wait for more bytes: parse reports it.
        byte[] bad = words("tether-spare-1", "1", "/", "many");
        assertThat(SpareRequest.complete(bad, bad.length)).isTrue();
    }

    private static void assertRefused(byte[] b, String reason) {
        assertThatThrownBy(() -> SpareRequest.parse(b, b.length))
                .isInstanceOf(SpareRequest.MalformedException.class).hasMessageContaining(reason);
    }
}
