package dev.tether.proxy.transparent;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Reads the pre-NAT destination of a REDIRECTed/DNATed TCP connection from conntrack with
 * {@code getsockopt(fd, SOL_IP, SO_ORIGINAL_DST)} (or {@code SOL_IPV6, IP6T_SO_ORIGINAL_DST}),
 * called through FFM. Works when the NAT rule ran in the network namespace the proxy's socket
 * lives in.
 */
public final class SoOriginalDestination implements OriginalDestination {
    private static final int SOL_IP = 0;
    private static final int SOL_IPV6 = 41;
    private static final int SO_ORIGINAL_DST = 80; // same value for IP6T_SO_ORIGINAL_DST
    private static final int AF_INET = 2;
    private static final int AF_INET6 = 10;

    private final MethodHandle getsockopt;
    private final StructLayout captureLayout = Linker.Option.captureStateLayout();
    private final VarHandle errnoHandle = captureLayout.varHandle(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));

    public SoOriginalDestination() {
        Linker linker = Linker.nativeLinker();
        getsockopt = linker.downcallHandle(
                linker.defaultLookup().find("getsockopt").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS),
                Linker.Option.captureCallState("errno"));
    }

    @Override
    public InetSocketAddress lookup(AcceptedConnection c) throws IOException {
        if (c.fd() < 0) throw new IOException("SO_ORIGINAL_DST needs the socket's fd (use the epoll transport)");
        boolean v6 = c.local().getAddress() instanceof java.net.Inet6Address
                && !isV4Mapped(c.local().getAddress());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment addr = arena.allocate(28); // sizeof(sockaddr_in6) >= sizeof(sockaddr_in)
            MemorySegment len = arena.allocate(ValueLayout.JAVA_INT);
            len.set(ValueLayout.JAVA_INT, 0, 28);
            MemorySegment state = arena.allocate(captureLayout);
            int rc = (int) getsockopt.invokeExact(state, c.fd(), v6 ? SOL_IPV6 : SOL_IP, SO_ORIGINAL_DST, addr, len);
            if (rc != 0) {
                int errno = (int) errnoHandle.get(state, 0L);
                throw new IOException("getsockopt(SO_ORIGINAL_DST) failed, errno " + errno
                        + (errno == 2 ? " (no NAT entry: the connection was not redirected)" : ""));
            }
            return decode(addr);
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("getsockopt(SO_ORIGINAL_DST): " + t, t);
        }
    }

    private static boolean isV4Mapped(InetAddress a) {
        byte[] b = a.getAddress();
        if (b.length != 16) return false;
        for (int i = 0; i < 10; i++) if (b[i] != 0) return false;
        return (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
    }

    private static InetSocketAddress decode(MemorySegment sa) throws IOException {
        int family = Short.toUnsignedInt(sa.get(ValueLayout.JAVA_SHORT, 0));
        int port = (Byte.toUnsignedInt(sa.get(ValueLayout.JAVA_BYTE, 2)) << 8) | Byte.toUnsignedInt(sa.get(ValueLayout.JAVA_BYTE, 3));
        byte[] ip;
        if (family == AF_INET) {
            ip = sa.asSlice(4, 4).toArray(ValueLayout.JAVA_BYTE);
        } else if (family == AF_INET6) {
            ip = sa.asSlice(8, 16).toArray(ValueLayout.JAVA_BYTE);
        } else {
            throw new IOException("SO_ORIGINAL_DST returned address family " + family);
        }
        return new InetSocketAddress(InetAddress.getByAddress(ip), port);
    }
}
