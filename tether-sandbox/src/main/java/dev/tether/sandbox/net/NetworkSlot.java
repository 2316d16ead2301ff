package dev.tether.sandbox.net;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * One session's share of tether's address space: a /30 out of 100.96.0.0/16 (shared address space,
 * RFC 6598, which home and office networks rarely use) and a /64 out of the ULA prefix
 * fd74:6574:6865::/48 ("teth"). Slot {@code i} owns 100.96.0.0 + 4i .. +3 and fd74:6574:6865:i::/64;
 * the host side is .1 / ::1, the sandbox .2 / ::2. Slots are handed out by {@link NetworkSlots},
 * so concurrent sessions never share one.
 */
public record NetworkSlot(int index) {
    public static final int COUNT = 1 << 14;
    static final int BASE4 = (100 << 24) | (96 << 16);
    static final String PREFIX6 = "fd74:6574:6865:";

    public NetworkSlot {
        if (index < 0 || index >= COUNT) {
            throw new IllegalArgumentException("network slot out of range: " + index);
        }
    }

    public Inet4Address subnet4() {
        return v4(BASE4 + 4 * index);
    }

    public Inet4Address host4() {
        return v4(BASE4 + 4 * index + 1);
    }

    public Inet4Address sandbox4() {
        return v4(BASE4 + 4 * index + 2);
    }

    public Inet6Address host6() {
        return v6(PREFIX6 + Integer.toHexString(index) + "::1");
    }

    public Inet6Address sandbox6() {
        return v6(PREFIX6 + Integer.toHexString(index) + "::2");
    }

    public String subnet6() {
        return PREFIX6 + Integer.toHexString(index) + "::/64";
    }

    /** Host side of the veth pair: unique per slot, within IFNAMSIZ. */
    public String hostInterface() {
        return "tth" + index;
    }

    /** True when {@code a} falls in this slot's IPv4 /30. */
    public boolean contains4(InetAddress a) {
        if (!(a instanceof Inet4Address)) {
            return false;
        }
        byte[] b = a.getAddress();
        int x = ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
        return (x & ~3) == BASE4 + 4 * index;
    }

    private static Inet4Address v4(int x) {
        try {
            return (Inet4Address) InetAddress.getByAddress(new byte[] {(byte) (x >>> 24), (byte) (x >>> 16), (byte) (x >>> 8), (byte) x});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Inet6Address v6(String literal) {
        try {
            return (Inet6Address) InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
