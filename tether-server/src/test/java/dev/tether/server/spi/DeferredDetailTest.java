package dev.tether.server.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tether.events.Verdict;
import dev.tether.server.ControlPlane;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class DeferredDetailTest {
    private static ActivityEvent event(Map<String, Object> detail) {
        return new ActivityEvent(7, 1, "s", "Agent::\"a\"", 1, 0, "sh", "/bin/sh", "ProcessExec", "/bin/true",
                Verdict.ALLOW, List.of(), null, List.of(), detail);
    }

    @Test
    void isBuiltOnlyWhenReadAndThenOnce() {
        AtomicInteger builds = new AtomicInteger();
        DeferredDetail detail = new DeferredDetail(() -> {
            builds.incrementAndGet();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("argv", List.of("true"));
            m.put("layer", "kernel");
            return m;
        });
        ActivityEvent e = event(detail);
        assertThat(builds).as("making the event does not build its detail").hasValue(0);
        assertThat(e.detail()).isSameAs(detail);
        assertThat(e.detail().get("layer")).isEqualTo("kernel");
        assertThat(e.detail()).containsEntry("argv", List.of("true")).hasSize(2);
        assertThat(builds).hasValue(1);
    }

    @Test
    void isUnmodifiableAndEqualToTheSameEagerMap() {
        ActivityEvent deferred = event(new DeferredDetail(() -> Map.of("errno", 13)));
        ActivityEvent eager = event(Map.of("errno", 13));
        assertThat(deferred).isEqualTo(eager);
        assertThat(deferred.hashCode()).isEqualTo(eager.hashCode());
        assertThatThrownBy(() -> deferred.detail().put("x", 1)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> deferred.detail().entrySet().clear()).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void goesOnTheWireLikeAnEagerMap() throws Exception {
        var wire = ControlPlane.wireMapper();
        Map<String, Object> fields = Map.of("argv", List.of("git", "status"), "layer", "kernel", "errno", 1);
        JsonNode deferred = wire.readTree(wire.writeValueAsString(event(new DeferredDetail(() -> fields))));
        JsonNode eager = wire.readTree(wire.writeValueAsString(event(fields)));
        assertThat(deferred).isEqualTo(eager);
        assertThat(deferred.get("detail").get("argv").get(1).asText()).isEqualTo("status");
    }
}
