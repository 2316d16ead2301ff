package dev.tether.events.export;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.events.Event;
import dev.tether.events.EventJson;
import dev.tether.events.EventJsonTest;
import dev.tether.events.EventKind;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class EventExporterTest {
    private final ObjectMapper plain = new ObjectMapper();

    private List<String> export(ExportFormat f, List<Event> events) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (EventExporter x = EventExporter.open(f, out, "build-host")) {
            events.forEach(x::write);
            assertThat(x.written()).isEqualTo(events.size());
        }
        String text = out.toString(StandardCharsets.UTF_8);
        assertThat(text).endsWith("\n");
        return List.of(text.split("\n"));
    }

    @Test
    void jsonlIsOneEventPerLineInTheSchema() {
        List<Event> events = EventJsonTest.oneOfEachKind();
        List<String> lines = export(ExportFormat.JSONL, events);
        assertThat(lines).hasSize(events.size());
        EventJson json = new EventJson();
        List<Event> back = new ArrayList<>();
        lines.forEach(l -> back.add(json.read(l)));
        assertThat(back).containsExactlyElementsOf(events);
    }

    @Test
    void ocsfClassesFollowTheDocumentedMapping() throws Exception {
        List<Event> events = EventJsonTest.oneOfEachKind();
        List<String> lines = export(ExportFormat.OCSF, events);
        for (int i = 0; i < events.size(); i++) {
            Event e = events.get(i);
            JsonNode o = plain.readTree(lines.get(i));
            int expectedClass = switch (e.kind().family()) {
                case PROCESS -> 1007;
                case FILE -> 1001;
                case NETWORK -> 4001;
                case HTTP -> 4002;
                case MCP -> 6003;
                default -> 0;
            };
            assertThat(o.get("class_uid").asInt()).as(e.kind().jsonName()).isEqualTo(expectedClass);
            assertThat(o.get("type_uid").asLong()).isEqualTo(expectedClass * 100L + o.get("activity_id").asInt());
            assertThat(o.get("time").asLong()).isEqualTo(e.timeNs() / 1_000_000);
            assertThat(o.at("/metadata/version").asText()).isEqualTo("1.1.0");
            assertThat(o.at("/device/hostname").asText()).isEqualTo("build-host");
            assertThat(plain.treeToValue(o.at("/unmapped/tether/event"), Event.class)).isEqualTo(e);
        }
    }

    @Test
    void ocsfCarriesDecisionsAndTheOperationsSpecifics() throws Exception {
        List<Event> events = EventJsonTest.oneOfEachKind();
        List<String> lines = export(ExportFormat.OCSF, events);
        JsonNode deniedOpen = plain.readTree(lines.get(0));
        assertThat(deniedOpen.get("activity_name").asText()).isEqualTo("Open");
        assertThat(deniedOpen.get("action_id").asInt()).isEqualTo(2);
        assertThat(deniedOpen.get("disposition_id").asInt()).isEqualTo(2);
        assertThat(deniedOpen.get("status_code").asText()).isEqualTo("EACCES");
        assertThat(deniedOpen.at("/file/path").asText()).isEqualTo("/workspace/.env");
        assertThat(deniedOpen.at("/actor/process/pid").asInt()).isEqualTo(10);
        assertThat(deniedOpen.at("/actor/user/name").asText()).isEqualTo("claude");
        assertThat(deniedOpen.at("/actor/session/uid").asText()).isEqualTo("s1");
        assertThat(deniedOpen.at("/metadata/profiles/0").asText()).isEqualTo("security_control");

        JsonNode exec = plain.readTree(lines.get(indexOf(events, EventKind.PROCESS_EXEC)));
        assertThat(exec.at("/process/cmd_line").asText()).isEqualTo("git push origin");
        assertThat(exec.get("disposition").asText()).isEqualTo("Detected");

        JsonNode connect = plain.readTree(lines.get(indexOf(events, EventKind.NETWORK_CONNECT)));
        assertThat(connect.at("/dst_endpoint/ip").asText()).isEqualTo("::1");
        assertThat(connect.at("/dst_endpoint/port").asInt()).isEqualTo(8080);
        assertThat(connect.at("/connection_info/protocol_ver_id").asInt()).isEqualTo(6);

        JsonNode http = plain.readTree(lines.get(indexOf(events, EventKind.HTTP_REWRITE)));
        assertThat(http.get("activity_id").asInt()).isEqualTo(6);
        assertThat(http.at("/http_request/url/hostname").asText()).isEqualTo("api.example.com");

        JsonNode rename = plain.readTree(lines.get(indexOf(events, EventKind.FILE_RENAME)));
        assertThat(rename.get("activity_id").asInt()).isEqualTo(5);
        assertThat(rename.at("/file_result/path").asText()).isEqualTo("/w/y");

        JsonNode exit = plain.readTree(lines.get(indexOf(events, EventKind.PROCESS_EXIT)));
        assertThat(exit.get("activity_id").asInt()).isEqualTo(2);
        assertThat(exit.get("exit_code").asInt()).isEqualTo(137);
    }

    private static int indexOf(List<Event> events, EventKind k) {
        for (int i = 0; i < events.size(); i++) {
            if (events.get(i).kind() == k) {
                return i;
            }
        }
        throw new AssertionError(k);
    }
}
