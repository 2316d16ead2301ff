package dev.tether.cli.control;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.events.EventDetail;
import dev.tether.events.ExecDetail;
import dev.tether.events.ExitDetail;
import dev.tether.events.FileDetail;
import dev.tether.events.ForkDetail;
import dev.tether.events.GapDetail;
import dev.tether.events.HttpDetail;
import dev.tether.events.LossDetail;
import dev.tether.events.McpDetail;
import dev.tether.events.NetworkDetail;
import dev.tether.events.NetworkDetail.Family;
import dev.tether.events.NetworkDetail.Protocol;
import dev.tether.events.PolicyDetail;
import dev.tether.events.SessionDetail;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class ActivityEventsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Every detail type, with each optional field both present and absent. */
    private static final List<EventDetail> SAMPLES = List.of(
            new FileDetail(0x241, 0644, "/workspace/a \"b\"\n", 1000, 1000),
            new FileDetail(null, null, null, null, null),
            new ExecDetail(List.of("git", "push", "--force", "ünï"), 4, "/workspace", 0),
            new ExecDetail(List.of(), 0, null, null),
            new ForkDetail(4242),
            new ExitDetail(137, 9, true),
            new ExitDetail(0, 0, false),
            new NetworkDetail(Family.INET6, Protocol.UDP, "::1", 53, "example.com"),
            new NetworkDetail(Family.INET, Protocol.TCP, "10.0.0.1", 443, null),
            new NetworkDetail(null, null, null, 0, null),
            new HttpDetail("GET", "https://example.com/x?y=1", 200, "Authorization"),
            new HttpDetail(null, null, null, null),
            new McpDetail("fs", "stdio", "request", "tools/call", "read_file", "7", "{\"path\":\"/etc\"}"),
            new McpDetail(null, null, null, null, null, null, null),
            new PolicyDetail(Long.MAX_VALUE, 12, List.of("policy.cedar:3:7: unexpected token")),
            new PolicyDetail(1, null, null),
            new SessionDetail(List.of("sh", "-c", "true"), "enforce", "podman", 0),
            new SessionDetail(null, null, null, null),
            new LossDetail("kernel-ringbuf", 5_000_000_000L),
            new LossDetail(null, 0),
            new GapDetail("fanotify", "FileOpen", "no fanotify"),
            new GapDetail(null, null, null));

    @Test
    void everyDetailTypeIsSampled() {
        Set<Class<?>> sampled = SAMPLES.stream().map(Object::getClass).collect(Collectors.toSet());
        assertThat(sampled).containsExactlyInAnyOrderElementsOf(Arrays.asList(EventDetail.class.getPermittedSubclasses()));
    }

    @Test
    void theWrittenOutFieldsAreWhatJacksonMadeOfTheRecord() {
        for (EventDetail d : SAMPLES) {
            Map<String, Object> written = new LinkedHashMap<>();
            ActivityEvents.putFields(d, written);
            Map<String, Object> jackson = new LinkedHashMap<>(JSON.convertValue(d, new TypeReference<Map<String, Object>>() {}));
            jackson.values().removeIf(v -> v == null);
            assertThat(written).as(d.toString()).doesNotContainValue(null);
            assertThat((Object) JSON.valueToTree(written)).as(d.toString()).isEqualTo(JSON.valueToTree(jackson));
            assertThat(written.keySet()).as("field order, %s", d).containsExactlyElementsOf(jackson.keySet());
        }
    }
}
