package dev.tether.kernel.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The Java layouts must match the C structs the BPF objects were compiled with: read the struct
 * members from the object's own BTF (bpftool, which the build already requires) and compare
 * every offset and size.
 */
class KernelEventLayoutTest {
    private static final Path OBJECT = Path.of("target/classes/bpf/exec_monitor.bpf.o");

    @Test
    void javaLayoutsMatchTheCompiledBtf() throws Exception {
        assumeTrue(Files.exists(OBJECT), "BPF object not built at " + OBJECT);
        Process p = new ProcessBuilder(bpftool(), "-j", "btf", "dump", "file", OBJECT.toString())
                .redirectErrorStream(false).start();
        JsonNode types = new ObjectMapper().readTree(p.getInputStream()).get("types");
        assertThat(p.waitFor()).isZero();
        Map<String, JsonNode> structs = new HashMap<>();
        for (JsonNode t : types) {
            if ("STRUCT".equals(t.path("kind").asText())) {
                structs.put(t.path("name").asText(), t);
            }
        }
        assertMatches(structs.get("event_header"), KernelEventLayouts.EVENT_HEADER);
        assertMatches(structs.get("exec_event"), KernelEventLayouts.EXEC_EVENT);
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
