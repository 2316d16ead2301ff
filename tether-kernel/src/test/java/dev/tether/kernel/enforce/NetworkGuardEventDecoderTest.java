package dev.tether.kernel.enforce;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.events.Event;
import dev.tether.events.EventFlag;
import dev.tether.events.KernelText;
import dev.tether.events.NetworkDetail;
import dev.tether.events.Verdict;
import dev.tether.policy.PolicyRef;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.junit.jupiter.api.Test;

class NetworkGuardEventDecoderTest {
    private final NetworkGuardEventDecoder decoder = new NetworkGuardEventDecoder("s1", "claude", 1000);
    private final List<PolicyRef> table = List.of(new PolicyRef("policy0", "p.cedar", 1, 1));

    private static MemorySegment record(int verdict, int hook, int policy, byte[] comm) {
        MemorySegment r = MemorySegment.ofArray(new byte[NetworkGuardEventDecoder.RECORD_BYTES]);
        r.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, 5);
        r.set(ValueLayout.JAVA_INT_UNALIGNED, 16, 42);
        r.set(ValueLayout.JAVA_INT_UNALIGNED, 20, 43);
        r.set(ValueLayout.JAVA_INT_UNALIGNED, 24, 7);
        r.set(ValueLayout.JAVA_SHORT_UNALIGNED, 28, (short) 443);
        r.set(ValueLayout.JAVA_SHORT_UNALIGNED, 30, (short) policy);
        r.set(ValueLayout.JAVA_BYTE, 32, (byte) 2);
        r.set(ValueLayout.JAVA_BYTE, 33, (byte) 1);
        r.set(ValueLayout.JAVA_BYTE, 34, (byte) verdict);
        r.set(ValueLayout.JAVA_BYTE, 35, (byte) hook);
        MemorySegment.copy(new byte[] {93, (byte) 184, (byte) 216, 34}, 0, r, ValueLayout.JAVA_BYTE, 40, 4);
        MemorySegment.copy(comm, 0, r, ValueLayout.JAVA_BYTE, 56, Math.min(16, comm.length));
        return r;
    }

    @Test
    void decodesAConnectDecision() {
        Event e = decoder.decode(record(1, 1, 0, "curl".getBytes()), g -> g == 7 ? table : List.of(), false);
        assertThat(e.decision()).isEqualTo(Verdict.ALLOW);
        assertThat(e.policies()).containsExactly("policy0");
        assertThat(e.resource()).isEqualTo("93.184.216.34:443");
        assertThat(e.timeNs()).isEqualTo(1005);
        assertThat(e.pid()).isEqualTo(42);
        assertThat(e.comm()).isEqualTo("curl");
        assertThat(((NetworkDetail) e.detail()).port()).isEqualTo(443);
    }

    @Test
    void anUnknownVerdictIsShownAsADenialAndShortRecordsAsNothing() {
        Event e = decoder.decode(record(77, 1, 0xffff, "x".getBytes()), g -> List.of(), false);
        assertThat(e.decision()).isEqualTo(Verdict.DENY);
        assertThat(decoder.decode(MemorySegment.ofArray(new byte[71]), g -> List.of(), false)).isNull();
    }

    /** The comm was decoded lossily (U+FFFD), unlike every other kernel text; NetworkGuardRecordFuzzTest holds it to its bytes. */
    @Test
    void aCommThatIsNotUtf8KeepsItsBytes() {
        byte[] comm = {(byte) 0xff, 'a', '\\', 'x', '4', '1'};
        Event e = decoder.decode(record(2, 1, 0xffff, comm), g -> List.of(), false);
        assertThat(e.has(EventFlag.COMM_ESCAPED)).isTrue();
        assertThat(KernelText.unescape(e.comm())).isEqualTo(comm);
    }

    @Test
    void aPinnedAddressCarriesTheNameItWasResolvedFrom() {
        java.net.InetAddress ip = java.net.InetAddress.ofLiteral("93.184.216.34");
        List<PolicyRef> pins = List.of(new PolicyRef("api", "p.cedar", 3, 1));
        Event allowed = decoder.decode(record(1, 1, CgroupNetworkGuard.PIN_POLICY, "curl".getBytes()), g -> List.of(), pins,
                a -> a.equals(ip) ? List.of("api.example.com") : null, false);
        assertThat(allowed.policies()).containsExactly("api");
        assertThat(((NetworkDetail) allowed.detail()).hostname()).isEqualTo("api.example.com");
        assertThat(allowed.reason()).isEqualTo("allowed: permit api matched 93.184.216.34:443 (resolved from api.example.com)");
        // Two names share the address: no single hostname, both in the reason.
        Event denied = decoder.decode(record(2, 1, 0xffff, "curl".getBytes()), g -> List.of(), pins,
                a -> List.of("a.test", "b.test"), false);
        assertThat(((NetworkDetail) denied.detail()).hostname()).isNull();
        assertThat(denied.reason()).isEqualTo("denied: no permit matched 93.184.216.34:443 (resolved from a.test, b.test)");
        // Not pinned: as before.
        Event plain = decoder.decode(record(2, 1, 0xffff, "curl".getBytes()), g -> List.of(), pins, a -> null, false);
        assertThat(((NetworkDetail) plain.detail()).hostname()).isNull();
        assertThat(plain.reason()).isEqualTo("denied: no permit matched 93.184.216.34:443");
    }
}
