package dev.tether.kernel.event;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ByteStringsTest {
    @Test
    void validUtf8IsKeptAsIs() {
        byte[] b = "/home/zoë/a\\b\nc".getBytes(StandardCharsets.UTF_8);
        assertThat(ByteStrings.decode(b, 0, b.length)).isEqualTo("/home/zoë/a\\b\nc");
    }

    @Test
    void invalidBytesBecomeHexEscapesAndBackslashesAreEscapedToKeepItReversible() {
        byte[] b = {'/', 'x', (byte) 0xff, '\\', (byte) 0xc3};
        assertThat(ByteStrings.decode(b, 0, b.length)).isEqualTo("/x\\xff\\\\\\xc3");
    }

    @Test
    void decodesASliceOnly() {
        byte[] b = "abcdef".getBytes(StandardCharsets.US_ASCII);
        assertThat(ByteStrings.decode(b, 2, 3)).isEqualTo("cde");
    }
}
