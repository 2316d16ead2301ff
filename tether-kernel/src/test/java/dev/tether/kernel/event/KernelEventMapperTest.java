package dev.tether.kernel.event;

import static dev.tether.kernel.event.KernelRecords.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.events.Event;
import dev.tether.events.EventFlag;
import dev.tether.events.EventKind;
import dev.tether.events.EventLayer;
import dev.tether.events.ExecDetail;
import dev.tether.events.ExitDetail;
import dev.tether.events.FileDetail;
import dev.tether.events.ForkDetail;
import dev.tether.events.KernelText;
import dev.tether.events.LossDetail;
import dev.tether.events.NetworkDetail;
import dev.tether.events.Verdict;
import dev.tether.kernel.event.KernelRecords.Slot;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class KernelEventMapperTest {
    private final KernelEventDecoder decoder = new KernelEventDecoder(0);
    private final KernelEventMapper mapper = new KernelEventMapper(
            slot -> slot == 1 ? new KernelEventMapper.Attribution("s-1", "claude") : null);

    private Event map(MemorySegment record) {
        return mapper.map(decoder.decode(record));
    }

    private static MemorySegment open(Arena a, long flags, long result, Slot raw, Slot resolved) {
        return KernelRecords.file(a, FileOp.OPEN, 257, result, flags, 0644, PathArgument.AT_FDCWD, raw, resolved,
                Slot.absent(), Slot.absent());
    }

    @Test
    void openFlagsDecideTheCedarAction() {
        assertThat(KernelEventMapper.openKind(0)).isEqualTo(EventKind.FILE_OPEN_READ_ONLY);
        assertThat(KernelEventMapper.openKind(0x80000 | 0x800)).isEqualTo(EventKind.FILE_OPEN_READ_ONLY);
        assertThat(KernelEventMapper.openKind(1)).isEqualTo(EventKind.FILE_OPEN_READ_WRITE);
        assertThat(KernelEventMapper.openKind(2)).isEqualTo(EventKind.FILE_OPEN_READ_WRITE);
        assertThat(KernelEventMapper.openKind(0100)).as("O_RDONLY|O_CREAT creates").isEqualTo(EventKind.FILE_OPEN_READ_WRITE);
        assertThat(KernelEventMapper.openKind(01000)).as("O_RDONLY|O_TRUNC truncates").isEqualTo(EventKind.FILE_OPEN_READ_WRITE);
        assertThat(KernelEventMapper.openKind(020200000 | 2)).as("O_TMPFILE").isEqualTo(EventKind.FILE_OPEN_READ_WRITE);
        assertThat(KernelEventMapper.openKind(010000000)).as("O_PATH").isEqualTo(EventKind.FILE_OPEN);
    }

    @Test
    void anOpenBecomesACedarFileEventAboutTheOpenedFile() {
        try (Arena a = Arena.ofConfined()) {
            Event e = map(open(a, 0x80000, 3, Slot.raw("/workspace/link"), Slot.opened("/etc/shadow")));
            assertThat(e.kind()).isEqualTo(EventKind.FILE_OPEN_READ_ONLY);
            assertThat(e.layer()).isEqualTo(EventLayer.KERNEL);
            assertThat(e.session()).isEqualTo("s-1");
            assertThat(e.principal()).isEqualTo("claude");
            assertThat(e.decision()).isEqualTo(Verdict.NONE);
            assertThat(e.resource()).isEqualTo("/etc/shadow");
            assertThat(e.errno()).isZero();
            assertThat(e.pid()).isEqualTo(KernelRecords.PID);
            assertThat(e.ppid()).isEqualTo(KernelRecords.PPID);
            assertThat(e.tid()).isEqualTo(KernelRecords.TID);
            assertThat(e.comm()).isEqualTo("sh");
            assertThat(e.cgroupId()).isEqualTo(77);
            // The path the process asked for, since a symlink led elsewhere.
            assertThat(e.detail()).isEqualTo(new FileDetail(0x80000, null, "/workspace/link", null, null));
        }
    }

    @Test
    void aFailedOpenIsAboutTheRequestedPathWithItsErrno() {
        try (Arena a = Arena.ofConfined()) {
            Event e = map(open(a, 01101, -13, Slot.raw("secret"), Slot.base("/workspace")));
            assertThat(e.kind()).isEqualTo(EventKind.FILE_OPEN_READ_WRITE);
            assertThat(e.resource()).isEqualTo("/workspace/secret");
            assertThat(e.errno()).isEqualTo(13);
            assertThat(e.detail()).isEqualTo(new FileDetail(01101, 0644, null, null, null));
        }
    }

    @Test
    void invalidUtf8AndNewlinesInPathsAreKeptFaithfully() {
        try (Arena a = Arena.ofConfined()) {
            byte[] name = {'/', 't', 'm', 'p', '/', 'a', '\n', (byte) 0xfe, 'b'};
            Event e = map(open(a, 0, -2, new Slot(name, 0), Slot.absent()));
            assertThat(e.has(EventFlag.RESOURCE_ESCAPED)).isTrue();
            assertThat(KernelText.unescape(e.resource())).isEqualTo(name);
            assertThat(e.resource()).isEqualTo("/tmp/a\n\\xfeb");
        }
    }

    @Test
    void aTruncatedRawPathIsFlagged() {
        try (Arena a = Arena.ofConfined()) {
            String longPath = "/" + "x".repeat(4096);
            Event e = map(open(a, 0, -36, new Slot(utf8(longPath.substring(0, 4096)), KernelEventLayouts.STR_TRUNCATED),
                    Slot.absent()));
            assertThat(e.has(EventFlag.RESOURCE_TRUNCATED)).isTrue();
            assertThat(e.resource()).hasSize(4096);
        }
    }

    @Test
    void namespaceChangesCarryTheirTargets() {
        try (Arena a = Arena.ofConfined()) {
            Event rename = map(KernelRecords.file(a, FileOp.RENAME, 82, 0, 0, 0, -100,
                    Slot.raw("a.txt"), Slot.base("/w"), Slot.raw("../b.txt"), Slot.base("/w/sub")));
            assertThat(rename.kind()).isEqualTo(EventKind.FILE_RENAME);
            assertThat(rename.resource()).isEqualTo("/w/a.txt");
            assertThat(((FileDetail) rename.detail()).target()).isEqualTo("/w/b.txt");

            Event symlink = map(KernelRecords.file(a, FileOp.SYMLINK, 88, 0, 0, 0, -100,
                    Slot.raw("/w/link"), Slot.absent(), Slot.raw("../etc/passwd"), Slot.absent()));
            assertThat(symlink.kind()).isEqualTo(EventKind.FILE_SYMLINK);
            assertThat(symlink.resource()).isEqualTo("/w/link");
            assertThat(((FileDetail) symlink.detail()).target()).as("a symlink's text is not resolved").isEqualTo("../etc/passwd");

            Event mkdir = map(KernelRecords.file(a, FileOp.MKDIR, 83, -17, 0, 0755, -100,
                    Slot.raw("/w/d"), Slot.absent(), Slot.absent(), Slot.absent()));
            assertThat(mkdir.kind()).isEqualTo(EventKind.FILE_MKDIR);
            assertThat(mkdir.errno()).isEqualTo(17);
            assertThat(((FileDetail) mkdir.detail()).mode()).isEqualTo(0755);

            Event unlink = map(KernelRecords.file(a, FileOp.UNLINK, 87, 0, 0, 0, -100,
                    Slot.raw("/w/x"), Slot.absent(), Slot.absent(), Slot.absent()));
            assertThat(unlink.kind()).isEqualTo(EventKind.FILE_UNLINK);
            assertThat(unlink.detail()).isNull();
        }
    }

    @Test
    void fchmodIsAboutTheFdsFile() {
        try (Arena a = Arena.ofConfined()) {
            Event e = map(KernelRecords.file(a, FileOp.CHMOD, 91, 0, 0, 0600, 5,
                    Slot.absent(), Slot.opened("/w/key"), Slot.absent(), Slot.absent()));
            assertThat(e.kind()).isEqualTo(EventKind.FILE_CHMOD);
            assertThat(e.resource()).isEqualTo("/w/key");
            assertThat(((FileDetail) e.detail()).mode()).isEqualTo(0600);
        }
    }

    @Test
    void execForkAndExitBuildTheProcessTreeAndCarryExe() {
        try (Arena a = Arena.ofConfined()) {
            Event exec = map(KernelRecords.exec(a, utf8("./build.sh"), utf8("./build.sh\0-j\0"), 2,
                    KernelRecords.components("/usr/bin/bash"), KernelRecords.components("/workspace"), 0));
            assertThat(exec.kind()).isEqualTo(EventKind.PROCESS_EXEC);
            assertThat(exec.resource()).isEqualTo("/workspace/build.sh");
            assertThat(exec.exe()).isEqualTo("/usr/bin/bash");
            assertThat(exec.errno()).isZero();
            assertThat(exec.detail()).isEqualTo(new ExecDetail(java.util.List.of("./build.sh", "-j"), 2, "/workspace", 1000));

            MemorySegment f = a.allocate(KernelEventLayouts.FORK_EVENT);
            KernelRecords.header(f, KernelEventLayouts.EVENT_FORK, "bash");
            f.set(ValueLayout.JAVA_INT, KernelEventLayouts.FORK_CHILD_PID, 555);
            Event fork = map(f);
            assertThat(fork.kind()).isEqualTo(EventKind.PROCESS_FORK);
            assertThat(fork.detail()).isEqualTo(new ForkDetail(555));

            // The child's events carry the parent's exe until it execs itself.
            MemorySegment childOpen = open(a, 0, 3, Slot.raw("/etc/hosts"), Slot.opened("/etc/hosts"));
            childOpen.set(ValueLayout.JAVA_INT, KernelEventLayouts.HDR_PID, 555);
            assertThat(map(childOpen).exe()).isEqualTo("/usr/bin/bash");

            MemorySegment x = a.allocate(KernelEventLayouts.EXIT_EVENT);
            KernelRecords.header(x, KernelEventLayouts.EVENT_EXIT, "bash");
            x.set(ValueLayout.JAVA_INT, KernelEventLayouts.HDR_PID, 555);
            x.set(ValueLayout.JAVA_INT, KernelEventLayouts.EXIT_CODE, 15);
            Event exit = map(x);
            assertThat(exit.detail()).isEqualTo(new ExitDetail(0, 15, false));
            assertThat(map(childOpen).exe()).as("forgotten after exit").isNull();
        }
    }

    @Test
    void networkResourcesUseCedarsHostPortForm() {
        try (Arena a = Arena.ofConfined()) {
            Event v4 = map(KernelRecords.net(a, NetOp.CONNECT, -111, NetEvent.AF_INET, 1, 6,
                    new byte[] {93, (byte) 184, (byte) 216, 34}, 443, new byte[0], 0));
            assertThat(v4.kind()).isEqualTo(EventKind.NETWORK_CONNECT);
            assertThat(v4.resource()).isEqualTo("93.184.216.34:443");
            assertThat(v4.errno()).isEqualTo(111);
            assertThat(v4.detail()).isEqualTo(new NetworkDetail(NetworkDetail.Family.INET, NetworkDetail.Protocol.TCP,
                    "93.184.216.34", 443, null));

            byte[] v6addr = new byte[16];
            v6addr[0] = 0x26;
            v6addr[1] = 0x06;
            v6addr[2] = 0x47;
            v6addr[15] = 1;
            Event v6 = map(KernelRecords.net(a, NetOp.SENDTO, 10, NetEvent.AF_INET6, 2, 17, v6addr, 53, new byte[0], 0));
            assertThat(v6.kind()).isEqualTo(EventKind.NETWORK_SEND_TO);
            assertThat(v6.resource()).isEqualTo("[2606:4700::1]:53");
            assertThat(((NetworkDetail) v6.detail()).protocol()).isEqualTo(NetworkDetail.Protocol.UDP);

            Event unix = map(KernelRecords.net(a, NetOp.CONNECT, 0, NetEvent.AF_UNIX, 1, 0, new byte[16], 0,
                    utf8("/run/docker.sock"), 0));
            assertThat(unix.resource()).isEqualTo("/run/docker.sock");
            assertThat(((NetworkDetail) unix.detail()).protocol()).isEqualTo(NetworkDetail.Protocol.UNIX_STREAM);

            Event abs = map(KernelRecords.net(a, NetOp.LISTEN, 0, NetEvent.AF_UNIX, 1, 0, new byte[16], 0,
                    utf8("\0dbus-1"), KernelEventLayouts.NET_UNIX_ABSTRACT | KernelEventLayouts.NET_ADDR_FROM_SOCKET));
            assertThat(abs.kind()).isEqualTo(EventKind.NETWORK_LISTEN);
            assertThat(abs.resource()).isEqualTo("@dbus-1");
        }
    }

    @Test
    void ipv6TextIsCanonical() {
        assertThat(KernelEventMapper.compressV6(new byte[16])).isEqualTo("::");
        byte[] one = new byte[16];
        one[15] = 1;
        assertThat(KernelEventMapper.compressV6(one)).isEqualTo("::1");
        byte[] mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 10, 0, 0, 1};
        assertThat(KernelEventMapper.compressV6(mapped)).isEqualTo("::ffff:10.0.0.1");
        byte[] b = {0x20, 0x01, 0x0d, (byte) 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1};
        assertThat(KernelEventMapper.compressV6(b)).isEqualTo("2001:db8:0:1::1");
    }

    @Test
    void malformedRecordsAndRingLossBecomeLossEvents() {
        try (Arena a = Arena.ofConfined()) {
            Event m = map(a.allocate(8));
            assertThat(m.kind()).isEqualTo(EventKind.EVENTS_LOST);
            assertThat(m.detail()).isEqualTo(new LossDetail(KernelEventMapper.LOSS_MALFORMED, 1));
        }
        Event loss = KernelEventMapper.ringBufferLoss(new KernelEventMapper.Attribution("s-1", "claude"), 0);
        assertThat(loss.kind()).isEqualTo(EventKind.EVENTS_LOST);
        assertThat(loss.session()).isEqualTo("s-1");
        assertThat(loss.detail()).isEqualTo(new LossDetail("kernel-ringbuf", 0));
    }
}
