package dev.tether.kernel.event;

import static dev.tether.kernel.event.KernelEventLayouts.*;
import static dev.tether.kernel.event.KernelRecords.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.kernel.event.KernelRecords.Slot;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class KernelEventDecoderTest {
    private final KernelEventDecoder decoder = new KernelEventDecoder(1_000);

    @Test
    void decodesAnExecWithArgvExeAndCwd() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment r = KernelRecords.exec(a, utf8("/usr/bin/git"), utf8("git\0push\0--force\0"), 3,
                    KernelRecords.components("/usr/lib/git-core/git"), KernelRecords.components("/workspace/src"), 0);
            ExecEvent x = (ExecEvent) decoder.decode(r);
            assertThat(x.filename().text()).isEqualTo("/usr/bin/git");
            assertThat(x.argv()).containsExactly("git", "push", "--force");
            assertThat(x.argc()).isEqualTo(3);
            assertThat(x.exe().path()).isEqualTo("/usr/lib/git-core/git");
            assertThat(x.exe().complete()).isTrue();
            assertThat(x.cwd().path()).isEqualTo("/workspace/src");
            assertThat(x.header().wallTimeNs()).isEqualTo(6_000);
            assertThat(x.header().pid()).isEqualTo(100);
            assertThat(x.header().ppid()).isEqualTo(99);
            assertThat(x.header().comm()).isEqualTo("git");
            assertThat(x.gid()).isEqualTo(1000);
            assertThat(x.argvTruncated()).isFalse();
        }
    }

    @Test
    void theRootDirectoryIsAPathWithNoComponents() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment r = KernelRecords.exec(a, utf8("/bin/true"), utf8("true\0"), 1,
                    KernelRecords.components("/usr/bin/true"), new byte[0], 0);
            assertThat(((ExecEvent) decoder.decode(r)).cwd().path()).isEqualTo("/");
        }
    }

    @Test
    void keepsATruncatedLastArgumentAndReportsTheFlag() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment r = KernelRecords.exec(a, utf8("/bin/echo"), utf8("echo\0aaaa"), 5000,
                    KernelRecords.components("/usr/bin/echo"), KernelRecords.components("/"), EXEC_ARGS_TRUNCATED);
            ExecEvent x = (ExecEvent) decoder.decode(r);
            assertThat(x.argv()).containsExactly("echo", "aaaa");
            assertThat(x.argvTruncated()).isTrue();
            assertThat(x.argc()).isEqualTo(5000);
        }
    }

    @Test
    void invalidUtf8InArgvIsEscapedAndFlagged() {
        try (Arena a = Arena.ofConfined()) {
            byte[] args = {'c', 'a', 't', 0, 'x', (byte) 0xff, '\n', 0};
            MemorySegment r = KernelRecords.exec(a, utf8("/bin/cat"), args, 2,
                    KernelRecords.components("/usr/bin/cat"), KernelRecords.components("/tmp"), 0);
            ExecEvent x = (ExecEvent) decoder.decode(r);
            assertThat(x.argvEscaped()).isTrue();
            assertThat(x.argv()).containsExactly("cat", "x\\xff\n");
        }
    }

    @Test
    void lengthsBeyondTheRecordAreMalformedNotAnException() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment r = KernelRecords.exec(a, utf8("/bin/x"), utf8("x\0"), 1, new byte[0], new byte[0], 0);
            r.set(ValueLayout.JAVA_SHORT, EXEC_ARGS_LEN, (short) 100);
            KernelEvent e = decoder.decode(r);
            assertThat(e).isInstanceOf(MalformedEvent.class);
            assertThat(((MalformedEvent) e).reason()).contains("exceed");
        }
    }

    @Test
    void shortAndUnknownRecordsAreMalformed() {
        try (Arena a = Arena.ofConfined()) {
            assertThat(decoder.decode(a.allocate(10))).isInstanceOf(MalformedEvent.class);
            assertThat(decoder.decode(MemorySegment.NULL)).isInstanceOf(MalformedEvent.class);
            MemorySegment r = a.allocate(EVENT_HEADER.byteSize());
            r.set(ValueLayout.JAVA_INT, HDR_KIND, 99);
            assertThat(((MalformedEvent) decoder.decode(r)).reason()).contains("unknown event kind 99");
            MemorySegment fork = a.allocate(EVENT_HEADER.byteSize());
            fork.set(ValueLayout.JAVA_INT, HDR_KIND, EVENT_FORK);
            assertThat(decoder.decode(fork)).isInstanceOf(MalformedEvent.class);
        }
    }

    @Test
    void decodesForkAndExit() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment f = a.allocate(FORK_EVENT);
            KernelRecords.header(f, EVENT_FORK, "sh");
            f.set(ValueLayout.JAVA_INT, FORK_CHILD_PID, 4242);
            assertThat(((ForkEvent) decoder.decode(f)).childPid()).isEqualTo(4242);

            MemorySegment x = a.allocate(EXIT_EVENT);
            KernelRecords.header(x, EVENT_EXIT, "sh");
            x.set(ValueLayout.JAVA_INT, EXIT_CODE, 7 << 8);
            ExitEvent exited = (ExitEvent) decoder.decode(x);
            assertThat(exited.exitCode()).isEqualTo(7);
            assertThat(exited.signal()).isZero();
            x.set(ValueLayout.JAVA_INT, EXIT_CODE, 9 | 0x80);
            ExitEvent killed = (ExitEvent) decoder.decode(x);
            assertThat(killed.signal()).isEqualTo(9);
            assertThat(killed.coreDumped()).isTrue();
        }
    }

    @Test
    void decodesASuccessfulOpenWithTheOpenedFilesPath() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment r = KernelRecords.file(a, FileOp.OPEN, 257, 3, 0x80000, 0, PathArgument.AT_FDCWD,
                    Slot.raw("../etc/./locale.alias"), Slot.opened("/etc/locale.alias"), Slot.absent(), Slot.absent());
            FileEvent f = (FileEvent) decoder.decode(r);
            assertThat(f.op()).isEqualTo(FileOp.OPEN);
            assertThat(f.syscall()).isEqualTo(257);
            assertThat(f.compat()).isFalse();
            assertThat(f.result()).isEqualTo(3);
            assertThat(f.errno()).isZero();
            assertThat(f.flags()).isEqualTo(0x80000);
            assertThat(f.path().raw().text()).isEqualTo("../etc/./locale.alias");
            assertThat(f.path().resolution()).isEqualTo(PathArgument.Resolution.OPENED_FILE);
            assertThat(f.path().objectPath().text()).isEqualTo("/etc/locale.alias");
            assertThat(f.second()).isNull();
        }
    }

    @Test
    void aFailedRelativeOpenIsJoinedWithItsStartDirectory() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment r = KernelRecords.file(a, FileOp.OPEN, 257, -2, 0, 0, PathArgument.AT_FDCWD,
                    Slot.raw("sub/../missing.txt"), Slot.base("/workspace"), Slot.absent(), Slot.absent());
            FileEvent f = (FileEvent) decoder.decode(r);
            assertThat(f.errno()).isEqualTo(2);
            assertThat(f.path().resolution()).isEqualTo(PathArgument.Resolution.START_DIRECTORY);
            assertThat(f.path().requestedPath().text()).isEqualTo("/workspace/missing.txt");
            assertThat(f.path().objectPath().text()).isEqualTo("/workspace/missing.txt");
        }
    }

    @Test
    void decodesARenameWithBothPaths() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment r = KernelRecords.file(a, FileOp.RENAME, 316, 0, 0, 0, PathArgument.AT_FDCWD,
                    Slot.raw("a.txt"), Slot.base("/workspace"), Slot.raw("/tmp/b.txt"), Slot.absent());
            FileEvent f = (FileEvent) decoder.decode(r);
            assertThat(f.path().requestedPath().text()).isEqualTo("/workspace/a.txt");
            assertThat(f.second().requestedPath().text()).isEqualTo("/tmp/b.txt");
        }
    }

    @Test
    void aCompatSyscallIsMarked() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment r = KernelRecords.file(a, FileOp.UNLINK, COMPAT_BASE + 10, 0, 0, 0, PathArgument.AT_FDCWD,
                    Slot.raw("/tmp/x"), Slot.absent(), Slot.absent(), Slot.absent());
            FileEvent f = (FileEvent) decoder.decode(r);
            assertThat(f.compat()).isTrue();
            assertThat(f.syscall()).isEqualTo(10);
        }
    }

    @Test
    void fileRecordsWithBadLengthsOrOpsAreMalformed() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment r = KernelRecords.file(a, FileOp.OPEN, 257, 3, 0, 0, -100,
                    Slot.raw("/x"), Slot.absent(), Slot.absent(), Slot.absent());
            r.set(ValueLayout.JAVA_SHORT, FILE_LEN, (short) 5000);
            assertThat(decoder.decode(r)).isInstanceOf(MalformedEvent.class);
            r.set(ValueLayout.JAVA_SHORT, FILE_LEN, (short) 200);
            assertThat(decoder.decode(r)).isInstanceOf(MalformedEvent.class);
            r.set(ValueLayout.JAVA_SHORT, FILE_LEN, (short) 2);
            r.set(ValueLayout.JAVA_SHORT, FILE_OP, (short) 77);
            assertThat(((MalformedEvent) decoder.decode(r)).reason()).contains("unknown file operation 77");
        }
    }

    @Test
    void decodesInetInet6AndUnixAddresses() throws Exception {
        try (Arena a = Arena.ofConfined()) {
            NetEvent v4 = (NetEvent) decoder.decode(KernelRecords.net(a, NetOp.CONNECT, 0, NetEvent.AF_INET, 1, 6,
                    new byte[] {127, 0, 0, 1}, 8080, new byte[0], 0));
            assertThat(v4.address()).isEqualTo(InetAddress.getByName("127.0.0.1"));
            assertThat(v4.port()).isEqualTo(8080);
            assertThat(v4.source()).isEqualTo(NetEvent.AddressSource.ARGUMENT);

            byte[] loop6 = new byte[16];
            loop6[15] = 1;
            NetEvent v6 = (NetEvent) decoder.decode(KernelRecords.net(a, NetOp.SENDTO, 1, NetEvent.AF_INET6, 2, 17,
                    loop6, 53, new byte[0], 0));
            assertThat(v6.address()).isEqualTo(InetAddress.getByName("::1"));

            NetEvent unix = (NetEvent) decoder.decode(KernelRecords.net(a, NetOp.CONNECT, 0, NetEvent.AF_UNIX, 1, 0,
                    new byte[16], 0, utf8("/run/x.sock\0garbage"), 0));
            assertThat(unix.unixPath().text()).isEqualTo("/run/x.sock");
            assertThat(unix.address()).isNull();

            NetEvent abs = (NetEvent) decoder.decode(KernelRecords.net(a, NetOp.BIND, 0, NetEvent.AF_UNIX, 2, 0,
                    new byte[16], 0, utf8("\0name\0x"), NET_UNIX_ABSTRACT));
            assertThat(abs.unixAbstract()).isTrue();
            assertThat(abs.unixPath().text()).isEqualTo("name\0x");

            NetEvent fault = (NetEvent) decoder.decode(KernelRecords.net(a, NetOp.CONNECT, -14, NetEvent.AF_INET, 1, 6,
                    new byte[16], 0, new byte[0], NET_ADDR_FAULT));
            assertThat(fault.source()).isEqualTo(NetEvent.AddressSource.UNREADABLE);
            assertThat(fault.address()).isNull();
            assertThat(fault.errno()).isEqualTo(14);
        }
    }

    @Test
    void aUnixPathLengthBeyondTheRecordIsMalformed() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment r = KernelRecords.net(a, NetOp.CONNECT, 0, NetEvent.AF_UNIX, 1, 0, new byte[16], 0,
                    utf8("/x"), 0);
            r.set(ValueLayout.JAVA_SHORT, NET_PATH_LEN, (short) 100);
            assertThat(decoder.decode(r)).isInstanceOf(MalformedEvent.class);
        }
    }
}
