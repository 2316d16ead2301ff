package dev.tether.kernel.event;

import static dev.tether.kernel.event.KernelEventLayouts.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class KernelEventDecoderTest {
    private final KernelEventDecoder decoder = new KernelEventDecoder(1_000);

    /** Builds an exec record the way exec_monitor.bpf.c does: filename, NUL, argv packed. */
    private static MemorySegment execRecord(Arena a, byte[] filename, byte[] args, int flags, long size) {
        MemorySegment r = a.allocate(Math.max(size, EXEC_DATA), 8);
        r.set(ValueLayout.JAVA_LONG, HDR_BOOT_NS, 5_000);
        r.set(ValueLayout.JAVA_LONG, HDR_CGROUP_ID, 77);
        r.set(ValueLayout.JAVA_INT, HDR_KIND, EVENT_EXEC);
        r.set(ValueLayout.JAVA_INT, HDR_SESSION_SLOT, 1);
        r.set(ValueLayout.JAVA_INT, HDR_PID, 100);
        r.set(ValueLayout.JAVA_INT, HDR_TID, 101);
        r.set(ValueLayout.JAVA_INT, HDR_PPID, 99);
        r.set(ValueLayout.JAVA_INT, HDR_UID, 1000);
        MemorySegment.copy("git".getBytes(StandardCharsets.US_ASCII), 0, r, ValueLayout.JAVA_BYTE, HDR_COMM, 3);
        r.set(ValueLayout.JAVA_INT, EXEC_FLAGS, flags);
        r.set(ValueLayout.JAVA_SHORT, EXEC_FILENAME_LEN, (short) filename.length);
        r.set(ValueLayout.JAVA_SHORT, EXEC_ARGS_LEN, (short) args.length);
        long off = EXEC_DATA;
        if (size >= EXEC_DATA + filename.length + 1 + args.length) {
            MemorySegment.copy(filename, 0, r, ValueLayout.JAVA_BYTE, off, filename.length);
            MemorySegment.copy(args, 0, r, ValueLayout.JAVA_BYTE, off + filename.length + 1, args.length);
        }
        return r.asSlice(0, size);
    }

    @Test
    void decodesAnExecWithItsArgv() {
        try (Arena a = Arena.ofConfined()) {
            byte[] f = "/usr/bin/git".getBytes(StandardCharsets.UTF_8);
            byte[] args = "git\0push\0--force\0".getBytes(StandardCharsets.UTF_8);
            KernelEvent e = decoder.decode(execRecord(a, f, args, 0, EXEC_DATA + f.length + 1 + args.length));
            assertThat(e).isInstanceOf(ExecEvent.class);
            ExecEvent x = (ExecEvent) e;
            assertThat(x.filename()).isEqualTo("/usr/bin/git");
            assertThat(x.argv()).containsExactly("git", "push", "--force");
            assertThat(x.header().wallTimeNs()).isEqualTo(6_000);
            assertThat(x.header().pid()).isEqualTo(100);
            assertThat(x.header().ppid()).isEqualTo(99);
            assertThat(x.header().comm()).isEqualTo("git");
            assertThat(x.argsTruncated()).isFalse();
        }
    }

    @Test
    void keepsATruncatedLastArgumentAndReportsTheFlag() {
        try (Arena a = Arena.ofConfined()) {
            byte[] f = "/bin/echo".getBytes(StandardCharsets.UTF_8);
            byte[] args = "echo\0aaaa".getBytes(StandardCharsets.UTF_8);
            ExecEvent x = (ExecEvent) decoder.decode(
                    execRecord(a, f, args, FLAG_ARGS_TRUNCATED, EXEC_DATA + f.length + 1 + args.length));
            assertThat(x.argv()).containsExactly("echo", "aaaa");
            assertThat(x.argsTruncated()).isTrue();
        }
    }

    @Test
    void lengthsBeyondTheRecordAreMalformedNotAnException() {
        try (Arena a = Arena.ofConfined()) {
            byte[] f = "/bin/x".getBytes(StandardCharsets.UTF_8);
            byte[] args = new byte[100];
            // Claims 100 argv bytes but the record stops right after the filename.
            KernelEvent e = decoder.decode(execRecord(a, f, args, 0, EXEC_DATA + f.length + 1));
            assertThat(e).isInstanceOf(MalformedEvent.class);
            assertThat(((MalformedEvent) e).reason()).contains("exceed");
        }
    }

    @Test
    void shortAndUnknownRecordsAreMalformed() {
        try (Arena a = Arena.ofConfined()) {
            assertThat(decoder.decode(a.allocate(10))).isInstanceOf(MalformedEvent.class);
            MemorySegment r = a.allocate(EVENT_HEADER.byteSize());
            r.set(ValueLayout.JAVA_INT, HDR_KIND, 99);
            assertThat(((MalformedEvent) decoder.decode(r)).reason()).contains("unknown event kind 99");
        }
    }
}
