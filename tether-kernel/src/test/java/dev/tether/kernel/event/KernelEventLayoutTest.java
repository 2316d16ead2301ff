package dev.tether.kernel.event;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The Java layouts must match the C structs the BPF objects were compiled with: read the struct
 * members from the object's own BTF (bpftool, which the build already requires) and compare
 * every offset and size.
 */
class KernelEventLayoutTest {
    private static final Path OBJECTS = Path.of("target/classes/bpf");

    /**
     * Every record against event_layouts.bpf.o (which exists to carry them all in its BTF), and the
     * header against each monitor that embeds it in a map value.
     */
    @Test
    void javaLayoutsMatchTheCompiledBtf() throws Exception {
        Map<String, JsonNode> all = structsOf("event_layouts");
        for (GroupLayout layout : List.of(KernelEventLayouts.EVENT_HEADER, KernelEventLayouts.EXEC_EVENT,
                KernelEventLayouts.FORK_EVENT, KernelEventLayouts.EXIT_EVENT, KernelEventLayouts.FILE_EVENT,
                KernelEventLayouts.NET_EVENT)) {
            assertMatches(all.get(layout.name().orElseThrow()), layout);
        }
        assertMatches(structsOf("exec_monitor").get("exec_event"), KernelEventLayouts.EXEC_EVENT);
        assertMatches(structsOf("file_monitor").get("file_event"), KernelEventLayouts.FILE_EVENT);
    }

    private static Map<String, JsonNode> structsOf(String object) throws Exception {
        Path file = OBJECTS.resolve(object + ".bpf.o");
        assertThat(file).as("BPF object built by the generate-resources phase").exists();
        Process p = new ProcessBuilder(bpftool(), "-j", "btf", "dump", "file", file.toString())
                .redirectErrorStream(false).start();
        JsonNode types = new ObjectMapper().readTree(p.getInputStream()).get("types");
        assertThat(p.waitFor()).isZero();
        Map<String, JsonNode> structs = new HashMap<>();
        for (JsonNode t : types) {
            if ("STRUCT".equals(t.path("kind").asText())) {
                structs.put(t.path("name").asText(), t);
            }
        }
        return structs;
    }

    private static void assertMatches(JsonNode btf, GroupLayout java) {
        assertThat(btf).as("struct %s in BTF", java.name().orElseThrow()).isNotNull();
        assertThat(btf.get("size").asLong()).as("size of %s", java.name().orElseThrow()).isEqualTo(java.byteSize());
        assertThat(btf.get("members")).hasSize(java.memberLayouts().size());
        for (JsonNode m : btf.get("members")) {
            String name = m.get("name").asText();
            long bitsOffset = m.get("bits_offset").asLong();
            long javaOffset = java.byteOffset(MemoryLayout.PathElement.groupElement(name));
            assertThat(bitsOffset / 8).as("offset of %s.%s", java.name().orElseThrow(), name).isEqualTo(javaOffset);
        }
    }

    private static String bpftool() {
        for (String p : new String[] {"/usr/sbin/bpftool", "/usr/bin/bpftool", "/sbin/bpftool"}) {
            if (Files.isExecutable(Path.of(p))) {
                return p;
            }
        }
        return "bpftool";
    }
}
