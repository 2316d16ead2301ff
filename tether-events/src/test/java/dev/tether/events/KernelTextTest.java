package dev.tether.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class KernelTextTest {
    @Test
    void validUtf8IsKeptExactly() {
        for (String s : List.of("", "/workspace/a.txt", "/w/caf\u00e9", "/w/\u65e5\u672c", "/w/\ud83d\ude00", "/w/back\\slash", "/w/new\nline")) {
            KernelText.Decoded d = KernelText.decode(s.getBytes(StandardCharsets.UTF_8));
            assertThat(d.text()).isEqualTo(s);
            assertThat(d.escaped()).isFalse();
        }
    }

    @Test
    void invalidBytesAreEscapedAndBackslashesDoubled() {
        byte[] b = {'/', 'w', '/', (byte) 0xff, '\\', 'x', (byte) 0xc3, (byte) 0xa9, (byte) 0xc3};
        KernelText.Decoded d = KernelText.decode(b);
        assertThat(d.escaped()).isTrue();
        assertThat(d.text()).isEqualTo("/w/\\xff\\\\x\u00e9\\xc3");
        assertThat(KernelText.unescape(d.text())).isEqualTo(b);
    }

    @Test
    void malformedSequencesAreInvalid() {
        byte[][] bad = {
            {(byte) 0xc0, (byte) 0x80}, // overlong NUL
            {(byte) 0xe0, (byte) 0x80, (byte) 0x80}, // overlong
            {(byte) 0xed, (byte) 0xa0, (byte) 0x80}, // surrogate D800
            {(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, // above U+10FFFF
            {(byte) 0x80}, // lone continuation
            {(byte) 0xe2, (byte) 0x82}, // cut short
        };
        for (byte[] b : bad) {
            KernelText.Decoded d = KernelText.decode(b);
            assertThat(d.escaped()).isTrue();
            assertThat(KernelText.unescape(d.text())).isEqualTo(b);
        }
    }

    @Test
    void randomBytesAlwaysRoundTrip() {
        Random r = new Random(7);
        for (int i = 0; i < 5_000; i++) {
            byte[] b = new byte[r.nextInt(40)];
            r.nextBytes(b);
            KernelText.Decoded d = KernelText.decode(b);
            byte[] back = d.escaped() ? KernelText.unescape(d.text()) : d.text().getBytes(StandardCharsets.UTF_8);
            assertThat(back).isEqualTo(b);
        }
    }

    @Test
    void argvIsSplitOnNulAndEscapedTogether() {
        byte[] ok = "git\0push\0origin\0".getBytes(StandardCharsets.UTF_8);
        assertThat(KernelText.decodeNulSeparated(ok, 0, ok.length))
                .isEqualTo(new KernelText.DecodedList(List.of("git", "push", "origin"), false));
        byte[] bad = {'a', '\\', 0, (byte) 0xfe, 0, 'c'};
        KernelText.DecodedList d = KernelText.decodeNulSeparated(bad, 0, bad.length);
        assertThat(d.escaped()).isTrue();
        assertThat(d.items()).containsExactly("a\\\\", "\\xfe", "c");
        byte[] empties = {0, 0};
        assertThat(KernelText.decodeNulSeparated(empties, 0, 2).items()).containsExactly("", "");
    }
}
