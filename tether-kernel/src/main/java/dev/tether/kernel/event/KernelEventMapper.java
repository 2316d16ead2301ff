package dev.tether.kernel.event;

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
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * The one place where kernel records become audit {@link Event}s: the Cedar action (or
 * lifecycle kind), the resource in the form policies use, errno, the typed detail, and the
 * faithfulness flags. See docs/events.md, "Kernel events", for the rules written out.
 *
 * <p>It also remembers each process's executable from its exec (and a child's from its parent at
 * fork) so file and network events carry {@code exe}. Not thread-safe: one per consumer thread.
 */
public final class KernelEventMapper {
    /**
     * Which session (and principal) a sandbox slot belongs to. The function given to the mapper
     * returns null for an unknown slot; it is also asked for slot -1, the slot of a record too
     * short to carry a header (a monitor serving one session attributes those to it).
     */
    public record Attribution(String session, String principal) {}

    /** Loss source name for records the kernel could not put in the ring. */
    public static final String LOSS_RINGBUF = "kernel-ringbuf";
    /** Loss source name for records that arrived but could not be decoded. */
    public static final String LOSS_MALFORMED = "kernel-malformed";

    private static final int O_ACCMODE = 3;
    private static final int O_RDONLY = 0;
    private static final int O_CREAT = 0100;
    private static final int O_TRUNC = 01000;
    private static final int O_TMPFILE = 020000000 | 0200000;
    private static final int O_PATH = 010000000;
    /** Bounds the exe table: a fork bomb must not grow it without limit. */
    private static final int MAX_TRACKED_PROCESSES = 65_536;

    private final IntFunction<Attribution> sessions;
    private final Map<Integer, Exe> exeByPid = new HashMap<>();

    private record Exe(String path, boolean escaped) {}

    public KernelEventMapper(IntFunction<Attribution> sessions) {
        this.sessions = sessions;
    }

    /** The audit event for {@code e}. Never throws on any record the decoder produced. */
    public Event map(KernelEvent e) {
        return switch (e) {
            case ExecEvent x -> exec(x);
            case ForkEvent f -> fork(f);
            case ExitEvent x -> exit(x);
            case FileEvent f -> file(f);
            case NetEvent n -> net(n);
            case MalformedEvent m -> common(EventKind.EVENTS_LOST, m.header())
                    .detail(new LossDetail(LOSS_MALFORMED, 1))
                    .build();
        };
    }

    /** The {@code EventsLost} report for a session: {@code count} records the ring had no room for. */
    public static Event ringBufferLoss(Attribution who, long count) {
        return Event.builder(EventKind.EVENTS_LOST)
                .session(who == null ? null : who.session())
                .principal(who == null ? null : who.principal())
                .layer(EventLayer.KERNEL)
                .detail(new LossDetail(LOSS_RINGBUF, count))
                .build();
    }

    /**
     * The Cedar action of an open: {@code FileOpenReadOnly} for a read-only open that creates and
     * truncates nothing, {@code FileOpenReadWrite} for any open that may change the file,
     * {@code FileOpen} when no access is requested (O_PATH).
     */
    public static EventKind openKind(long flags) {
        if ((flags & O_PATH) != 0) {
            return EventKind.FILE_OPEN;
        }
        boolean readOnly = (flags & O_ACCMODE) == O_RDONLY && (flags & (O_CREAT | O_TRUNC)) == 0
                && (flags & O_TMPFILE) != O_TMPFILE;
        return readOnly ? EventKind.FILE_OPEN_READ_ONLY : EventKind.FILE_OPEN_READ_WRITE;
    }

    // ---- families --------------------------------------------------------------------------

    private Event exec(ExecEvent x) {
        EventHeader h = x.header();
        Exe exe = x.exe().complete() ? new Exe(x.exe().path(), x.exe().escaped()) : null;
        remember(h.pid(), exe);
        Event.Builder b = common(EventKind.PROCESS_EXEC, h).errno(0);
        KernelString program = execPath(x);
        b.resource(program.text())
                .flag(EventFlag.RESOURCE_ESCAPED, program.escaped())
                .flag(EventFlag.RESOURCE_TRUNCATED, program.truncated());
        // One flag covers all detail text: when argv or cwd is escaped, both are.
        String cwd = x.cwd().complete() ? x.cwd().path() : null;
        boolean detailEscaped = x.argvEscaped() || (cwd != null && x.cwd().escaped());
        List<String> argv = x.argv();
        if (detailEscaped) {
            if (!x.argvEscaped()) {
                argv = escapeAll(argv);
            }
            if (cwd != null && !x.cwd().escaped()) {
                cwd = KernelText.escape(cwd);
            }
        }
        b.flag(EventFlag.DETAIL_ESCAPED, detailEscaped)
                .flag(EventFlag.ARGV_TRUNCATED, x.argvTruncated() || x.argvUnreadable())
                .detail(new ExecDetail(argv, x.argc(), cwd, h.uid()));
        return b.build();
    }

    /** What was executed, absolute: the filename, or the cwd joined with a relative one. */
    private static KernelString execPath(ExecEvent x) {
        KernelString f = x.filename();
        if (f.text().startsWith("/") || !x.cwd().complete()) {
            return f;
        }
        PathArgument asArgument = new PathArgument(f, false, PathArgument.AT_FDCWD, x.cwd(),
                PathArgument.Resolution.START_DIRECTORY);
        return asArgument.requestedPath();
    }

    private Event fork(ForkEvent f) {
        Exe parent = exeByPid.get(f.header().pid());
        remember(f.childPid(), parent);
        return common(EventKind.PROCESS_FORK, f.header()).detail(new ForkDetail(f.childPid())).build();
    }

    private Event exit(ExitEvent x) {
        Event event = common(EventKind.PROCESS_EXIT, x.header())
                .detail(new ExitDetail(x.exitCode(), x.signal(), x.coreDumped()))
                .build();
        exeByPid.remove(x.header().pid());
        return event;
    }

    private Event file(FileEvent f) {
        EventKind kind = switch (f.op()) {
            case OPEN -> openKind(f.flags());
            case UNLINK -> EventKind.FILE_UNLINK;
            case RMDIR -> EventKind.FILE_RMDIR;
            case MKDIR -> EventKind.FILE_MKDIR;
            case RENAME -> EventKind.FILE_RENAME;
            case LINK -> EventKind.FILE_LINK;
            case SYMLINK -> EventKind.FILE_SYMLINK;
            case CHMOD -> EventKind.FILE_CHMOD;
            case CHOWN -> EventKind.FILE_CHOWN;
        };
        Event.Builder b = common(kind, f.header()).errno(f.errno());
        PathArgument p = f.path();
        KernelString resource = f.op() == FileOp.OPEN || f.op() == FileOp.CHMOD || f.op() == FileOp.CHOWN
                ? p.objectPath() : p.requestedPath();
        if (resource != null) {
            b.resource(resource.text())
                    .flag(EventFlag.RESOURCE_ESCAPED, resource.escaped())
                    .flag(EventFlag.RESOURCE_TRUNCATED, resource.truncated());
        }
        KernelString target = switch (f.op()) {
            case RENAME, LINK -> f.second() == null ? null : f.second().requestedPath();
            case SYMLINK -> f.second() == null ? null : f.second().raw();
            // An open that followed a symlink (or "..", or crossed a bind mount): what was asked.
            case OPEN -> openedElsewhere(p.requestedPath(), resource) ? p.requestedPath() : null;
            default -> null;
        };
        String targetText = null;
        if (target != null) {
            targetText = target.text();
            b.flag(EventFlag.DETAIL_ESCAPED, target.escaped()).flag(EventFlag.DETAIL_TRUNCATED, target.truncated());
        }
        int flags = (int) f.flags();
        FileDetail detail = switch (f.op()) {
            case OPEN -> new FileDetail(flags, createsFile(f.flags()) ? f.mode() : null, targetText, null, null);
            case MKDIR, CHMOD -> new FileDetail(null, f.mode(), null, null, null);
            case CHOWN -> new FileDetail(null, null, null, f.uid(), f.gid());
            case RENAME, LINK, SYMLINK -> new FileDetail(flags == 0 ? null : flags, null, targetText, null, null);
            case UNLINK, RMDIR -> null;
        };
        return b.detail(detail).build();
    }

    /**
     * True when the path asked for is not simply the opened file's path: a symlink or {@code ..}
     * was followed. A successful relative open carries no start directory, so a relative request
     * counts as the same file when the opened path ends with it.
     */
    private static boolean openedElsewhere(KernelString requested, KernelString opened) {
        if (requested == null || opened == null || requested.escaped() != opened.escaped()) {
            return requested != null && opened != null;
        }
        String r = requested.text();
        String o = opened.text();
        if (r.equals(o)) {
            return false;
        }
        if (r.startsWith("/")) {
            return !r.equals(o);
        }
        String rel = r.startsWith("./") ? r.substring(2) : r;
        boolean plain = !rel.isEmpty() && !rel.contains("//") && !("/" + rel + "/").contains("/./")
                && !("/" + rel + "/").contains("/../");
        return !(plain && o.endsWith("/" + rel));
    }

    private static boolean createsFile(long flags) {
        return (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE;
    }

    private Event net(NetEvent n) {
        EventKind kind = switch (n.op()) {
            case CONNECT -> EventKind.NETWORK_CONNECT;
            case BIND -> EventKind.NETWORK_BIND;
            case LISTEN -> EventKind.NETWORK_LISTEN;
            case ACCEPT -> EventKind.NETWORK_ACCEPT;
            case SENDTO, SENDMSG -> EventKind.NETWORK_SEND_TO;
        };
        Event.Builder b = common(kind, n.header()).errno(n.errno());
        NetworkDetail.Family family = switch (n.family()) {
            case NetEvent.AF_INET -> NetworkDetail.Family.INET;
            case NetEvent.AF_INET6 -> NetworkDetail.Family.INET6;
            case NetEvent.AF_UNIX -> NetworkDetail.Family.UNIX;
            default -> null;
        };
        NetworkDetail.Protocol protocol = protocol(n, family);
        String address = null;
        String resource = null;
        if (n.address() != null) {
            address = addressText(n.address());
            resource = (n.address() instanceof Inet6Address ? "[" + address + "]" : address) + ":" + n.port();
        } else if (n.unixPath() != null) {
            address = (n.unixAbstract() ? "@" : "") + n.unixPath().text();
            resource = address;
            b.flag(EventFlag.RESOURCE_ESCAPED, n.unixPath().escaped())
                    .flag(EventFlag.DETAIL_ESCAPED, n.unixPath().escaped());
        }
        b.resource(resource);
        return b.detail(new NetworkDetail(family, protocol, address, n.port(), null)).build();
    }

    private static NetworkDetail.Protocol protocol(NetEvent n, NetworkDetail.Family family) {
        if (n.socketType() == 0) {
            return null; // not a socket (or it was closed under the call)
        }
        if (family == NetworkDetail.Family.UNIX) {
            return switch (n.socketType()) {
                case NetEvent.SOCK_STREAM -> NetworkDetail.Protocol.UNIX_STREAM;
                case NetEvent.SOCK_DGRAM -> NetworkDetail.Protocol.UNIX_DGRAM;
                default -> NetworkDetail.Protocol.OTHER;
            };
        }
        return switch (n.protocol()) {
            case NetEvent.IPPROTO_TCP -> NetworkDetail.Protocol.TCP;
            case NetEvent.IPPROTO_UDP -> NetworkDetail.Protocol.UDP;
            default -> NetworkDetail.Protocol.OTHER;
        };
    }

    /** IP text without a host name lookup; IPv6 in its compressed form, scope as %id. */
    static String addressText(InetAddress a) {
        if (a instanceof Inet6Address v6) {
            String s = compressV6(v6.getAddress());
            return v6.getScopeId() != 0 ? s + "%" + v6.getScopeId() : s;
        }
        return a.getHostAddress();
    }

    /** RFC 5952 text: lower case, longest run of zero groups (≥ 2) as "::", IPv4-mapped as ::ffff:a.b.c.d. */
    static String compressV6(byte[] b) {
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = (b[2 * i] & 0xff) << 8 | (b[2 * i + 1] & 0xff);
        }
        if (g[0] == 0 && g[1] == 0 && g[2] == 0 && g[3] == 0 && g[4] == 0 && g[5] == 0xffff) {
            return "::ffff:" + (b[12] & 0xff) + "." + (b[13] & 0xff) + "." + (b[14] & 0xff) + "." + (b[15] & 0xff);
        }
        int bestStart = -1;
        int bestLen = 0;
        for (int i = 0; i < 8; ) {
            if (g[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        if (bestLen < 2) {
            bestStart = -1;
        }
        StringBuilder s = new StringBuilder(40);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                s.append("::");
                i += bestLen - 1;
                continue;
            }
            if (!s.isEmpty() && s.charAt(s.length() - 1) != ':') {
                s.append(':');
            }
            s.append(Integer.toHexString(g[i]));
        }
        return s.toString();
    }

    // ---- shared ----------------------------------------------------------------------------

    private Event.Builder common(EventKind kind, EventHeader h) {
        Attribution who = sessions.apply(h.sessionSlot());
        Event.Builder b = Event.builder(kind)
                .timeNs(h.wallTimeNs())
                .layer(EventLayer.KERNEL)
                .process(h.pid(), h.ppid(), h.tid())
                .comm(h.comm())
                .flag(EventFlag.COMM_ESCAPED, h.commEscaped())
                .cgroupId(h.cgroupId());
        if (who != null) {
            b.session(who.session()).principal(who.principal());
        }
        Exe exe = exeByPid.get(h.pid());
        if (exe != null) {
            b.exe(exe.path()).flag(EventFlag.EXE_ESCAPED, exe.escaped());
        }
        return b;
    }

    private void remember(int pid, Exe exe) {
        if (exe == null) {
            exeByPid.remove(pid);
            return;
        }
        if (exeByPid.size() >= MAX_TRACKED_PROCESSES && !exeByPid.containsKey(pid)) {
            exeByPid.clear(); // losing exe names is better than unbounded memory; events stay exact
        }
        exeByPid.put(pid, exe);
    }

    private static List<String> escapeAll(List<String> items) {
        List<String> out = new ArrayList<>(items.size());
        for (String s : items) {
            out.add(KernelText.escape(s));
        }
        return out;
    }
}
