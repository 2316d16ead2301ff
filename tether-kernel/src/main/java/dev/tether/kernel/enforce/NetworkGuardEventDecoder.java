package dev.tether.kernel.enforce;

import dev.tether.events.Event;
import dev.tether.events.EventKind;
import dev.tether.events.EventLayer;
import dev.tether.events.NetworkDetail;
import dev.tether.events.Verdict;
import dev.tether.policy.PolicyRef;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.function.LongFunction;

/**
 * Turns a {@code struct net_decision_event} (net_guard.h) from the guard's ring buffer into an
 * audit event. The record describes what a sandboxed process asked for, so nothing in it is
 * trusted: an unknown verdict is shown as a denial (the kernel already decided; the trail must not
 * claim an allow it cannot vouch for) and the comm keeps its bytes as {@code KernelText} says.
 */
public final class NetworkGuardEventDecoder {
    /** sizeof(struct net_decision_event). */
    public static final int RECORD_BYTES = 72;
    static final int HOOK_SOCK_CREATE = 3;

    private final String sessionId;
    private final String principal;
    private final long bootToWallNs;

    public NetworkGuardEventDecoder(String sessionId, String principal, long bootToWallNs) {
        this.sessionId = sessionId;
        this.principal = principal;
        this.bootToWallNs = bootToWallNs;
    }

    /**
     * The event for one record, or null for a record shorter than the struct.
     *
     * @param policyTables the policy table of a generation (the statements rule indices point at)
     * @param loopbackGuarded whether the host's loopback is refused unless a rule names it
     */
    public Event decode(MemorySegment r, LongFunction<List<PolicyRef>> policyTables, boolean loopbackGuarded) {
        return decode(r, policyTables, List.of(), loopbackGuarded);
    }

    /**
     * Like {@link #decode(MemorySegment, LongFunction, boolean)}; a rule index with the
     * {@link CgroupNetworkGuard#PIN_POLICY} bit points into {@code pinTable} (rules of DNS-pinned
     * addresses) instead of the generation's table.
     */
    public Event decode(MemorySegment r, LongFunction<List<PolicyRef>> policyTables, List<PolicyRef> pinTable,
            boolean loopbackGuarded) {
        return decode(r, policyTables, pinTable, a -> null, loopbackGuarded);
    }

    /**
     * Like {@link #decode(MemorySegment, LongFunction, List, boolean)}; {@code pinNames} gives the
     * names a DNS-pinned address was resolved from (null when not pinned): the event's hostname
     * when there is one name, and every name in the reason.
     */
    public Event decode(MemorySegment r, LongFunction<List<PolicyRef>> policyTables, List<PolicyRef> pinTable,
            java.util.function.Function<InetAddress, List<String>> pinNames, boolean loopbackGuarded) {
        if (r.byteSize() < RECORD_BYTES) {
            return null;
        }
        long bootNs = r.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
        int pid = r.get(ValueLayout.JAVA_INT_UNALIGNED, 16);
        int tid = r.get(ValueLayout.JAVA_INT_UNALIGNED, 20);
        long generation = Integer.toUnsignedLong(r.get(ValueLayout.JAVA_INT_UNALIGNED, 24));
        int port = Short.toUnsignedInt(r.get(ValueLayout.JAVA_SHORT_UNALIGNED, 28));
        int policy = Short.toUnsignedInt(r.get(ValueLayout.JAVA_SHORT_UNALIGNED, 30));
        int family = Byte.toUnsignedInt(r.get(ValueLayout.JAVA_BYTE, 32));
        int transport = r.get(ValueLayout.JAVA_BYTE, 33);
        int verdict = r.get(ValueLayout.JAVA_BYTE, 34);
        int hook = r.get(ValueLayout.JAVA_BYTE, 35);
        int sockType = r.get(ValueLayout.JAVA_INT_UNALIGNED, 36);
        byte[] addr = new byte[16];
        MemorySegment.copy(r, ValueLayout.JAVA_BYTE, 40, addr, 0, 16);
        byte[] comm = new byte[16];
        MemorySegment.copy(r, ValueLayout.JAVA_BYTE, 56, comm, 0, 16);
        Verdict v = switch (verdict) {
            case 1, 4 -> Verdict.ALLOW;
            case 3 -> Verdict.WOULD_DENY;
            default -> Verdict.DENY;
        };
        List<PolicyRef> table = policyTables.apply(generation);
        if (policy != CgroupNetworkGuard.NO_POLICY && (policy & CgroupNetworkGuard.PIN_POLICY) != 0) {
            table = pinTable;
            policy &= ~CgroupNetworkGuard.PIN_POLICY;
        }
        List<String> ids = policy < table.size() ? List.of(table.get(policy).id()) : List.of();
        String resource;
        String reason;
        String ip = null;
        List<String> names = null;
        if (hook == HOOK_SOCK_CREATE) {
            resource = "socket(family " + family + ", type " + sockType + ")";
            reason = "denied: tether never allows raw or packet sockets in a sandbox (they bypass address rules)";
        } else {
            try {
                InetAddress a = InetAddress.getByAddress(family == 2 ? java.util.Arrays.copyOf(addr, 4) : addr);
                ip = a.getHostAddress();
                resource = (family == 2 ? ip : "[" + ip + "]") + ":" + port;
                names = pinNames.apply(a);
            } catch (UnknownHostException e) {
                return null;
            }
            reason = switch (verdict) {
                case 4 -> "allowed: TCP " + port + " goes to tether's proxy, which decides by hostname";
                case 1 -> ids.isEmpty() ? "allowed: DNS to the sandbox's resolver"
                        : "allowed: permit " + String.join(", ", ids) + " matched " + resource;
                default -> policy < table.size() ? "denied: forbid " + ids.getFirst() + " matched " + resource
                        : policy == CgroupNetworkGuard.NO_POLICY && loopbackGuarded && isLoopbackGuard(family, addr)
                                ? "denied: the host's loopback is unreachable unless a rule names it"
                                : "denied: no permit matched " + resource;
            };
            if (names != null && !names.isEmpty() && verdict != 4) {
                reason += " (resolved from " + String.join(", ", names) + ")";
            }
        }
        String hostname = names != null && names.size() == 1 ? names.getFirst() : null;
        return Event.builder(EventKind.NETWORK_CONNECT)
                .timeNs(bootNs + bootToWallNs)
                .session(sessionId)
                .principal(principal)
                .layer(EventLayer.CGROUP_BPF)
                .resource(resource)
                .decision(v, ids, reason)
                .errno(v == Verdict.DENY ? 1 : null)
                .process(pid, 0, tid)
                .commBytes(comm, 0, comm.length)
                .detail(hook == HOOK_SOCK_CREATE ? null : new NetworkDetail(family == 2 ? NetworkDetail.Family.INET : NetworkDetail.Family.INET6,
                        transport == 1 ? NetworkDetail.Protocol.TCP : transport == 2 ? NetworkDetail.Protocol.UDP
                                : NetworkDetail.Protocol.OTHER, ip, port, hostname))
                .build();
    }

    /** Whether a refusal with no policy came from the host-loopback guard (127/8, 0/8, ::1, ::). */
    static boolean isLoopbackGuard(int family, byte[] addr) {
        if (family == 2) {
            return addr[0] == 127 || addr[0] == 0;
        }
        for (int i = 0; i < 15; i++) {
            if (addr[i] != 0) {
                return false;
            }
        }
        return addr[15] == 0 || addr[15] == 1;
    }
}
