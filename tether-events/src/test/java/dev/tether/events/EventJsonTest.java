package dev.tether.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

public class EventJsonTest {
    private final EventJson json = new EventJson();

    public static List<Event> oneOfEachKind() {
        long t = 1_764_215_067_123_456_789L;
        return List.of(
                Event.builder(EventKind.FILE_OPEN_READ_ONLY).timeNs(t).session("s1").principal("claude")
                        .layer(EventLayer.FANOTIFY).resource("/workspace/.env").process(10, 9, 11).comm("cat")
                        .exe("/usr/bin/cat").cgroupId(777).errno(13)
                        .decision(Verdict.DENY, List.of("policy3"), "denied: forbid policy3 at policy.cedar:12:1")
                        .detail(FileDetail.open(0, null)).build(),
                Event.builder(EventKind.FILE_OPEN).timeNs(t).session("s1").resource("/a").detail(FileDetail.open(0x241, 0644)).build(),
                Event.builder(EventKind.FILE_OPEN_READ_WRITE).timeNs(t).session("s1").resource("/a").build(),
                Event.builder(EventKind.PROCESS_EXEC).timeNs(t).session("s1").resource("/usr/bin/git")
                        .decision(Verdict.WOULD_DENY, List.of("policy9"), null)
                        .detail(new ExecDetail(List.of("git", "push", "origin"), 3, "/workspace", 1000)).build(),
                Event.builder(EventKind.NETWORK_CONNECT).timeNs(t).session("s1").layer(EventLayer.CGROUP_BPF).resource("[::1]:8080")
                        .detail(new NetworkDetail(NetworkDetail.Family.INET6, NetworkDetail.Protocol.TCP, "::1", 8080, "localhost")).build(),
                Event.builder(EventKind.HTTP_REWRITE).timeNs(t).session("s1").layer(EventLayer.PROXY).resource("api.example.com:443")
                        .detail(new HttpDetail("POST", "https://api.example.com/v1", 201, "Authorization")).build(),
                Event.builder(EventKind.MCP_CALL).timeNs(t).session("s1").layer(EventLayer.MCP).resource("fs/read_file")
                        .detail(new McpDetail("fs", "stdio", "request", "tools/call", "read_file", "1", "{\"path\":\"/x\"}")).build(),
                Event.builder(EventKind.PROCESS_FORK).timeNs(t).session("s1").process(10, 9, 10).detail(new ForkDetail(12)).build(),
                Event.builder(EventKind.PROCESS_EXIT).timeNs(t).session("s1").detail(new ExitDetail(0, 9, true)).build(),
                Event.builder(EventKind.FILE_UNLINK).timeNs(t).session("s1").resource("/w/x").build(),
                Event.builder(EventKind.FILE_RENAME).timeNs(t).session("s1").resource("/w/x").detail(FileDetail.target("/w/y")).build(),
                Event.builder(EventKind.FILE_MKDIR).timeNs(t).session("s1").resource("/w/d").detail(FileDetail.mode(0755)).build(),
                Event.builder(EventKind.FILE_RMDIR).timeNs(t).session("s1").resource("/w/d").build(),
                Event.builder(EventKind.FILE_CHMOD).timeNs(t).session("s1").resource("/w/x").detail(FileDetail.mode(0600)).build(),
                Event.builder(EventKind.FILE_CHOWN).timeNs(t).session("s1").resource("/w/x").detail(FileDetail.owner(0, -1)).build(),
                Event.builder(EventKind.FILE_LINK).timeNs(t).session("s1").resource("/w/x").detail(FileDetail.target("/w/z")).build(),
                Event.builder(EventKind.FILE_SYMLINK).timeNs(t).session("s1").resource("/w/l").detail(FileDetail.target("../x")).build(),
                Event.builder(EventKind.NETWORK_BIND).timeNs(t).session("s1").resource("0.0.0.0:3000")
                        .detail(new NetworkDetail(NetworkDetail.Family.INET, NetworkDetail.Protocol.TCP, "0.0.0.0", 3000, null)).build(),
                Event.builder(EventKind.NETWORK_LISTEN).timeNs(t).session("s1").build(),
                Event.builder(EventKind.NETWORK_ACCEPT).timeNs(t).session("s1").resource("/run/app.sock")
                        .detail(new NetworkDetail(NetworkDetail.Family.UNIX, NetworkDetail.Protocol.UNIX_STREAM, "/run/app.sock", 0, null)).build(),
                Event.builder(EventKind.NETWORK_SEND_TO).timeNs(t).session("s1").resource("8.8.8.8:53")
                        .detail(new NetworkDetail(NetworkDetail.Family.INET, NetworkDetail.Protocol.UDP, "8.8.8.8", 53, null)).build(),
                Event.builder(EventKind.HTTP_REQUEST).timeNs(t).session("s1").layer(EventLayer.PROXY).resource("evil.example:443")
                        .decision(Verdict.DENY).detail(new HttpDetail("CONNECT", "evil.example:443", 403, null)).build(),
                Event.builder(EventKind.MCP_MESSAGE).timeNs(t).session("s1").layer(EventLayer.MCP)
                        .detail(new McpDetail("fs", "http", "response", null, null, "1", null)).build(),
                Event.builder(EventKind.POLICY_RELOAD).timeNs(t).layer(EventLayer.POLICY).resource("/etc/tether/policy.cedar")
                        .detail(new PolicyDetail(4, 12, List.of())).build(),
                Event.builder(EventKind.POLICY_REJECTED).timeNs(t).layer(EventLayer.POLICY).resource("/etc/tether/policy.cedar")
                        .detail(new PolicyDetail(4, null, List.of("policy.cedar:3:9: unknown action \"FileRead\""))).build(),
                Event.builder(EventKind.SESSION_START).timeNs(t).session("s1").principal("claude")
                        .detail(SessionDetail.start(List.of("claude", "-p", "fix the tests"), "enforce", "podman:tether/claude")).build(),
                Event.builder(EventKind.SESSION_END).timeNs(t).session("s1").detail(SessionDetail.end(0)).build(),
                Event.builder(EventKind.EVENTS_LOST).timeNs(t).session("s1").detail(new LossDetail("kernel-ringbuf", 0)).build(),
                Event.builder(EventKind.ENFORCEMENT_GAP).timeNs(t).session("s1")
                        .detail(new GapDetail("bpf-lsm", "FileOpen", "BPF LSM not enabled; fanotify enforces file opens")).build());
    }

    @Test
    void everyKindRoundTripsExactly() {
        List<Event> events = oneOfEachKind();
        assertThat(events.stream().map(Event::kind)).containsExactlyInAnyOrder(EventKind.values());
        for (Event e : events) {
            String s = json.write(e);
            assertThat(json.read(s)).as(s).isEqualTo(e);
        }
    }

    @Test
    void handWrittenDetailsMatchWhatJacksonWritesForTheRecords() throws Exception {
        ObjectMapper plain = new ObjectMapper();
        for (Event e : oneOfEachKind()) {
            if (e.detail() == null) {
                continue;
            }
            JsonNode written = plain.readTree(json.write(e)).get("detail");
            assertThat(written.toString()).as(e.kind().jsonName()).isEqualTo(plain.writeValueAsString(e.detail()));
        }
    }

    @Test
    void writesTheDocumentedFieldNamesAndOmitsAbsentOnes() throws Exception {
        Event e = oneOfEachKind().get(0);
        JsonNode n = new ObjectMapper().readTree(json.write(e));
        assertThat(n.get("time").asText()).isEqualTo("2025-11-27T03:44:27.123456789Z");
        assertThat(n.get("action").asText()).isEqualTo("FileOpenReadOnly");
        assertThat(n.get("decision").asText()).isEqualTo("deny");
        assertThat(n.get("policies").get(0).asText()).isEqualTo("policy3");
        assertThat(n.get("errno").asInt()).isEqualTo(13);
        assertThat(n.get("cgroup").asLong()).isEqualTo(777);
        assertThat(n.get("layer").asText()).isEqualTo("fanotify");
        assertThat(n.get("detail").get("flags").asInt()).isZero();
        assertThat(n.get("detail").has("mode")).isFalse();
        assertThat(n.has("flags")).isFalse();

        Event bare = Event.builder(EventKind.NETWORK_LISTEN).timeNs(1).build();
        assertThat(json.write(bare))
                .isEqualTo("{\"time\":\"1970-01-01T00:00:00.000000001Z\",\"layer\":\"daemon\",\"action\":\"NetworkListen\",\"decision\":\"none\"}");
    }

    @Test
    void anyMapperWritesTheSameFormBecauseEventCarriesItsSerializer() throws Exception {
        Event e = oneOfEachKind().get(3);
        assertThat(new ObjectMapper().writeValueAsString(e)).isEqualTo(json.write(e));
        assertThat(new ObjectMapper().readValue(json.write(e), Event.class)).isEqualTo(e);
    }

    @Test
    void timeKeepsNanosecondsAndParsesOtherIsoForms() {
        assertThat(EventJson.formatTime(0)).isEqualTo("1970-01-01T00:00:00.000000000Z");
        long t = 1_764_215_067_000_000_001L;
        assertThat(EventJson.parseTime(EventJson.formatTime(t))).isEqualTo(t);
        assertThat(EventJson.parseTime("2025-11-27T03:44:27Z")).isEqualTo(1_764_215_067_000_000_000L);
        assertThat(EventJson.formatTime(-1)).isEqualTo("1969-12-31T23:59:59.999999999Z");
    }

    @Test
    void theWrittenTimeFormParsesExactlyAsTheGeneralIsoParserDoes() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(42);
        for (int i = 0; i < 200_000; i++) {
            long t = r.nextLong(); // every nanosecond time: years 1677 to 2262
            String s = EventJson.formatTime(t);
            java.time.Instant ref = java.time.Instant.parse(s);
            assertThat(EventJson.parseTime(s)).as(s).isEqualTo(ref.getEpochSecond() * 1_000_000_000L + ref.getNano());
        }
        // Near misses of the fixed form: the same value as Instant.parse gives (it takes 24:00, a
        // lowercase z and 23:59:60), or the same refusal.
        for (String near : List.of("2025-02-29T00:00:00.000000000Z", "2024-02-30T00:00:00.000000000Z",
                "2025-13-01T00:00:00.000000000Z", "2025-00-01T00:00:00.000000000Z", "2025-01-01T24:00:00.000000000Z",
                "2025-01-01T00:60:00.000000000Z", "2025-01-01T00:00:60.000000000Z", "2025-01-01T00:00:00.00000000xZ",
                "+025-01-01T00:00:00.000000000Z", "2025-01-01T00:00:00.000000000z", "2025-04-31T00:00:00.000000000Z",
                "2025-01-01T23:59:60.000000000Z", "2025-01-01 00:00:00.000000000Z")) {
            Long expected;
            try {
                java.time.Instant ref = java.time.Instant.parse(near);
                expected = ref.getEpochSecond() * 1_000_000_000L + ref.getNano();
            } catch (java.time.DateTimeException ex) {
                expected = null;
            }
            if (expected == null) {
                assertThatThrownBy(() -> EventJson.parseTime(near)).as(near).isInstanceOf(java.time.DateTimeException.class);
            } else {
                assertThat(EventJson.parseTime(near)).as(near).isEqualTo(expected);
            }
        }
        assertThat(EventJson.parseTime("2024-02-29T23:59:59.999999999Z"))
                .isEqualTo(java.time.Instant.parse("2024-02-29T23:59:59.999999999Z").getEpochSecond() * 1_000_000_000L + 999_999_999L);
    }

    @Test
    void aDetailBeforeItsActionAndAnActionGivenTwiceAreReadCorrectlyOrRefused() {
        Event e = oneOfEachKind().stream().filter(x -> x.detail() != null).findFirst().orElseThrow();
        String written = json.write(e);
        // the same event with "detail" moved to the front: read through the tree, same result
        com.fasterxml.jackson.databind.node.ObjectNode n = (com.fasterxml.jackson.databind.node.ObjectNode) readTree(written);
        com.fasterxml.jackson.databind.node.ObjectNode reordered = new ObjectMapper().createObjectNode();
        reordered.set("detail", n.get("detail"));
        n.fields().forEachRemaining(f -> { if (!f.getKey().equals("detail")) { reordered.set(f.getKey(), f.getValue()); } });
        assertThat(json.read(reordered.toString())).isEqualTo(e);
        // a second, different "action" after the detail: refused, not an event with a foreign detail
        EventKind other = java.util.Arrays.stream(EventKind.values())
                .filter(k -> k.detailType() != e.kind().detailType()).findFirst().orElseThrow();
        String twice = written.substring(0, written.length() - 1) + ",\"action\":\"" + other.jsonName() + "\"}";
        assertThatThrownBy(() -> json.read(twice)).isInstanceOf(EventFormatException.class);
    }

    private static JsonNode readTree(String s) {
        try {
            return new ObjectMapper().readTree(s);
        } catch (Exception ex) {
            throw new AssertionError(ex);
        }
    }

    @Test
    void flagsRoundTrip() {
        Event e = Event.builder(EventKind.FILE_OPEN).timeNs(5).flags(EnumSet.of(EventFlag.RESOURCE_ESCAPED, EventFlag.ARGV_TRUNCATED)).build();
        assertThat(json.write(e)).contains("\"flags\":[\"resource_escaped\",\"argv_truncated\"]");
        assertThat(json.read(json.write(e)).flags()).isEqualTo(Set.of(EventFlag.RESOURCE_ESCAPED, EventFlag.ARGV_TRUNCATED));
    }

    @Test
    void badInputIsRefusedWithTheReason() {
        assertThatThrownBy(() -> json.read("{\"time\":\"2025-11-27T03:44:27Z\",\"layer\":\"kernel\",\"action\":\"FileRead\"}"))
                .isInstanceOf(EventFormatException.class).hasMessageContaining("unknown action");
        assertThatThrownBy(() -> json.read("{\"layer\":\"kernel\",\"action\":\"FileOpen\"}"))
                .isInstanceOf(EventFormatException.class).hasMessageContaining("no \"time\"");
        assertThatThrownBy(() -> json.read("{\"time\":\"yesterday\",\"layer\":\"kernel\",\"action\":\"FileOpen\"}"))
                .isInstanceOf(EventFormatException.class).hasMessageContaining("ISO-8601");
        assertThatThrownBy(() -> json.read("[1]")).isInstanceOf(EventFormatException.class);
        assertThatThrownBy(() -> json.read("{\"time\":\"2025-11-27T03:44:27Z\""))
                .isInstanceOf(EventFormatException.class);
    }

    @Test
    void unknownFieldsAreSkipped() {
        Event e = json.read("{\"time\":\"2025-11-27T03:44:27Z\",\"future\":{\"a\":[1,2]},\"layer\":\"kernel\",\"action\":\"FileOpen\"}");
        assertThat(e.kind()).isEqualTo(EventKind.FILE_OPEN);
    }

    @Test
    void detailBeforeActionStillReadsTheRightType() {
        Event e = json.read("{\"detail\":{\"childPid\":42},\"time\":\"2025-11-27T03:44:27Z\",\"layer\":\"kernel\",\"action\":\"ProcessFork\"}");
        assertThat(e.detail()).isEqualTo(new ForkDetail(42));
    }

    @Test
    void aDetailOfAnotherFamilyIsRejected() {
        assertThatThrownBy(() -> Event.builder(EventKind.FILE_OPEN).detail(new ForkDetail(1)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("FileDetail");
    }

    @Test
    void newlinesAndControlCharactersSurviveAsJsonEscapes() {
        Event e = Event.builder(EventKind.FILE_OPEN).timeNs(1).resource("/w/a\nb\u0000c\u001b[31m").build();
        String s = json.write(e);
        assertThat(s).doesNotContain("\n").contains("a\\nb\\u0000c\\u001B[31m");
        assertThat(json.read(s)).isEqualTo(e);
    }

    /** Found by EventJsonFuzzTest: bytes Jackson takes for UTF-32 escaped as UncheckedIOException. */
    @Test
    void bytesThatAreNotTextAreRefusedAsBadInput() {
        byte[] utf32ish = {'{', 0, 0, 0, 0, 'e', '"', ':', ' ', '"', '2', '0'};
        assertThatThrownBy(() -> json.read(utf32ish)).isInstanceOf(EventFormatException.class);
    }

    /** Found by EventJsonFuzzTest: the JSON literal null read as a null event. */
    @Test
    void nullIsRefusedNotReturned() {
        assertThatThrownBy(() -> json.read("null")).isInstanceOf(EventFormatException.class);
        assertThatThrownBy(() -> json.read("null".getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .isInstanceOf(EventFormatException.class);
    }

    /**
     * Found by EventJsonFuzzTest: a list holding null or an array threw NullPointerException, and
     * an object or array where a text field belongs was read into, its members taken for the
     * event's own fields.
     */
    @Test
    void nonStringValuesInTextFieldsAndListsAreRefused() {
        String head = "{\"time\":\"2025-11-27T03:44:27Z\",\"layer\":\"kernel\",\"action\":\"ProcessExec\",";
        for (String bad : List.of("\"policies\":[null]}", "\"policies\":[\"p1\",[\"p2\"]]}", "\"flags\":[{}]}",
                "\"session\":{\"decision\":\"deny\"},\"decision\":\"allow\"}", "\"resource\":[\"/etc\"]}")) {
            assertThatThrownBy(() -> json.read(head + bad)).as(bad).isInstanceOf(EventFormatException.class);
        }
        assertThat(json.read(head + "\"policies\":[\"p1\",\"p2\"],\"session\":null}").policies()).containsExactly("p1", "p2");
    }
}
