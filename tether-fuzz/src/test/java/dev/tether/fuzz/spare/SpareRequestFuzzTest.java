package dev.tether.fuzz.spare;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tether.cli.spare.SpareRequest;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * What tether-attach sends a spare tether (from a process of the same user, but not one tether
 * controls): any bytes are either a request or a {@code MalformedException} with a reason, never
 * another exception; the reader's "is it all here" agrees with the parser (a request that parses
 * is complete); a request written back as tether_attach.c writes it reads as the same request.
 */
class SpareRequestFuzzTest {
    @FuzzTest
    void spareRequest(byte[] input) {
        boolean complete = SpareRequest.complete(input, input.length);
        SpareRequest r;
        try {
            r = SpareRequest.parse(input, input.length);
        } catch (SpareRequest.MalformedException e) {
            assertThat(e.getMessage()).isNotBlank();
            return;
        }
        assertThat(complete).as("a request that parses is complete").isTrue();
        assertThat(r.pid()).isPositive();
        assertThat(r.workingDirectory()).startsWith("/");
        assertThat(r.environment().keySet()).allSatisfy(k -> assertThat(k).isNotEmpty().doesNotContain("="));
        byte[] again = write(r);
        try {
            assertThat(SpareRequest.parse(again, again.length)).isEqualTo(r);
        } catch (SpareRequest.MalformedException e) {
            throw new AssertionError("a parsed request written back does not parse: " + e.getMessage(), e);
        }
    }

    private static byte[] write(SpareRequest r) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        word(out, "tether-spare-1");
        word(out, Integer.toString(r.pid()));
        word(out, r.workingDirectory());
        word(out, Integer.toString(r.environment().size()));
        for (Map.Entry<String, String> e : r.environment().entrySet()) {
            word(out, e.getKey() + "=" + e.getValue());
        }
        word(out, Integer.toString(r.arguments().size()));
        r.arguments().forEach(a -> word(out, a));
        return out.toByteArray();
    }

    private static void word(ByteArrayOutputStream out, String w) {
        out.writeBytes(w.getBytes(StandardCharsets.UTF_8));
        out.write(0);
    }
}
