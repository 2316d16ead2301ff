package dev.tether.fuzz.kernel;

import static dev.tether.kernel.event.KernelEventLayouts.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tether.kernel.event.ExecEvent;
import dev.tether.kernel.event.KernelEvent;
import dev.tether.kernel.event.KernelEventDecoder;
import dev.tether.kernel.event.MalformedEvent;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Records from the kernel monitor's ring buffer describe what sandboxed processes did (their paths,
 * their argv), in lengths the BPF program wrote: any bytes decode to an event or to a
 * {@link MalformedEvent} that says why, never an exception; the header is read as it is.
 */
class KernelEventRecordFuzzTest {
    private final KernelEventDecoder decoder = new KernelEventDecoder(0);

    @FuzzTest
    void kernelEventRecord(byte[] input) {
        MemorySegment r = MemorySegment.ofArray(input);
        KernelEvent e = decoder.decode(r);
        assertThat(e).isNotNull();
        if (e instanceof MalformedEvent m) {
            assertThat(m.reason()).isNotBlank();
            return;
        }
        assertThat(e.header().pid()).isEqualTo(r.get(ValueLayout.JAVA_INT_UNALIGNED, HDR_PID));
        assertThat(e.header().kind()).isEqualTo(r.get(ValueLayout.JAVA_INT_UNALIGNED, HDR_KIND));
        if (e instanceof ExecEvent x) {
            int argsLen = Short.toUnsignedInt(r.get(ValueLayout.JAVA_SHORT_UNALIGNED, EXEC_ARGS_LEN));
            assertThat(x.argv().size()).isLessThanOrEqualTo(argsLen + 1);
        }
    }
}
