package dev.tether.kernel.event;

import dev.tether.events.KernelText;

/**
 * A string the kernel handed over as bytes (a path, a socket name): the exact text when the bytes
 * were UTF-8, otherwise {@link KernelText}'s escaped form ({@code \xNN}, {@code \\}) with
 * {@code escaped} set, so the bytes can always be recovered.
 *
 * @param truncated the process's string was longer than the monitor keeps; this is a prefix
 */
public record KernelString(String text, boolean escaped, boolean truncated) {

    static KernelString decode(byte[] b, int off, int len, boolean truncated) {
        KernelText.Decoded d = KernelText.decode(b, off, len);
        return new KernelString(d.text(), d.escaped(), truncated);
    }

    /** The text in escaped form, for joining it with text that is. */
    String escapedText() {
        return escaped ? text : KernelText.escape(text);
    }
}
