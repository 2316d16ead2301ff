package dev.tether.fuzz.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tether.events.Event;
import dev.tether.events.EventFlag;
import dev.tether.events.EventKind;
import dev.tether.events.EventLayer;
import dev.tether.events.KernelText;
import dev.tether.events.NetworkDetail;
import dev.tether.events.Verdict;
import dev.tether.kernel.enforce.NetworkGuardEventDecoder;
import dev.tether.policy.PolicyRef;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Decision records from the cgroup-BPF network guard's ring buffer ({@code struct
 * net_decision_event}) carry what a sandboxed process asked for. Any bytes decode to an audit
 * event or, when shorter than the struct, to nothing; the event says what the record says (pid,
 * port, the comm's exact bytes, the policy the rule index names) and never shows an allow the
 * kernel did not report.
 */
class NetworkGuardRecordFuzzTest {
    private static final long GENERATION = 7;
    private static final List<PolicyRef> TABLE = List.of(new PolicyRef("policy0", "p.cedar", 1, 1),
            new PolicyRef("policy1", "p.cedar", 4, 1), new PolicyRef("web", "p.cedar", 9, 1));
    private static final long BOOT_TO_WALL = 1_700_000_000_000_000_000L;

    private final NetworkGuardEventDecoder decoder = new NetworkGuardEventDecoder("s1", "claude", BOOT_TO_WALL);

    @FuzzTest
    void networkGuardRecord(byte[] input) {
        MemorySegment r = MemorySegment.ofArray(input);
        Event e = decoder.decode(r, g -> g == GENERATION ? TABLE : List.of(), input.length % 2 == 0);
        if (input.length < NetworkGuardEventDecoder.RECORD_BYTES) {
            assertThat(e).isNull();
            return;
        }
        assertThat(e).isNotNull();
        assertThat(e.kind()).isEqualTo(EventKind.NETWORK_CONNECT);
        assertThat(e.layer()).isEqualTo(EventLayer.CGROUP_BPF);
        assertThat(e.timeNs()).isEqualTo(r.get(ValueLayout.JAVA_LONG_UNALIGNED, 0) + BOOT_TO_WALL);
        assertThat(e.pid()).isEqualTo(r.get(ValueLayout.JAVA_INT_UNALIGNED, 16));
        assertThat(e.tid()).isEqualTo(r.get(ValueLayout.JAVA_INT_UNALIGNED, 20));

        int verdict = input[34];
        Verdict expected = verdict == 1 || verdict == 4 ? Verdict.ALLOW : verdict == 3 ? Verdict.WOULD_DENY : Verdict.DENY;
        assertThat(e.decision()).isEqualTo(expected);

        long generation = Integer.toUnsignedLong(r.get(ValueLayout.JAVA_INT_UNALIGNED, 24));
        int policy = Short.toUnsignedInt(r.get(ValueLayout.JAVA_SHORT_UNALIGNED, 30));
        List<String> ids = generation == GENERATION && policy < TABLE.size() ? List.of(TABLE.get(policy).id()) : List.of();
        assertThat(e.policies()).isEqualTo(ids);

        byte[] comm = Arrays.copyOfRange(input, 56, 72);
        int len = 0;
        while (len < comm.length && comm[len] != 0) {
            len++;
        }
        byte[] commBytes = Arrays.copyOf(comm, len);
        byte[] decoded = e.has(EventFlag.COMM_ESCAPED) ? KernelText.unescape(e.comm()) : e.comm().getBytes(StandardCharsets.UTF_8);
        assertThat(decoded).as("comm %s keeps its bytes", e.comm()).isEqualTo(commBytes);

        int port = Short.toUnsignedInt(r.get(ValueLayout.JAVA_SHORT_UNALIGNED, 28));
        if (input[35] != 3) {
            assertThat(e.detail()).isInstanceOf(NetworkDetail.class);
            assertThat(((NetworkDetail) e.detail()).port()).isEqualTo(port);
            assertThat(e.resource()).endsWith(":" + port);
        }
    }
}
