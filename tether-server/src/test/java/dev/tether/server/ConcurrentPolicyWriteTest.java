package dev.tether.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Many writers at once: the last valid write wins, rejected writes never show, and no state is torn. */
class ConcurrentPolicyWriteTest {
    @TempDir Path dir;

    static String policyFor(int writer, int n) {
        return "// writer " + writer + " write " + n + "\n"
                + "permit (principal, action == Action::\"FileOpenReadOnly\", resource == File::\"/w/" + writer + "/" + n
                + "\");\n";
    }

    @Test
    void concurrentReplacesAreSerialisedAndTheLastValidOneWins() throws Exception {
        try (ControlPlaneFixture f = new ControlPlaneFixture(dir)) {
            long startGen = f.policy.current().generation();
            Set<String> valid = ConcurrentHashMap.newKeySet();
            valid.add(ControlPlaneFixture.BASE_POLICY);
            Map<Long, String> appliedByGeneration = new ConcurrentHashMap<>();
            List<String> problems = Collections.synchronizedList(new ArrayList<>());
            AtomicBoolean writing = new AtomicBoolean(true);
            int writers = 6;
            int perWriter = 20;
            for (int w = 0; w < writers; w++) {
                for (int n = 0; n < perWriter; n++) {
                    valid.add(policyFor(w, n));
                }
            }
            ExecutorService pool = Executors.newFixedThreadPool(writers + 1);
            CountDownLatch go = new CountDownLatch(1);
            Future<?> reader = pool.submit(() -> {
                long lastGen = 0;
                while (writing.get()) {
                    JsonNode p = f.ok("GET", "/api/policies", null);
                    String text = p.get("cedar").asText();
                    if (!valid.contains(text)) {
                        problems.add("a reader saw a policy nobody wrote validly: " + text);
                    }
                    long gen = p.get("generation").asLong();
                    if (gen < lastGen) {
                        problems.add("generation went backwards: " + lastGen + " -> " + gen);
                    }
                    lastGen = gen;
                }
                return null;
            });
            List<Future<?>> futures = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int writer = w;
                futures.add(pool.submit(() -> {
                    go.await();
                    for (int n = 0; n < perWriter; n++) {
                        // Every third write is broken and must be refused without a trace.
                        boolean broken = n % 3 == 2;
                        String text = broken ? "permit (principal, action == Action::\"FileOpen\", resource" : policyFor(writer, n);
                        HttpResponse<String> r = f.send("PUT", "/api/policies", f.jsonString(Map.of("cedar", text)));
                        if (broken) {
                            if (r.statusCode() != 400) {
                                problems.add("broken write answered " + r.statusCode());
                            }
                            continue;
                        }
                        if (r.statusCode() != 200) {
                            problems.add("valid write answered " + r.statusCode() + ": " + r.body());
                            continue;
                        }
                        JsonNode body = f.json.readTree(r.body());
                        if (!body.get("cedar").asText().equals(text)) {
                            problems.add("a write's response shows another write's policy");
                        }
                        String prev = appliedByGeneration.put(body.get("generation").asLong(), text);
                        if (prev != null) {
                            problems.add("two writes got generation " + body.get("generation").asLong());
                        }
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> fu : futures) {
                fu.get();
            }
            writing.set(false);
            reader.get();
            pool.shutdown();

            assertThat(problems).isEmpty();
            int validWrites = writers * (perWriter - perWriter / 3);
            assertThat(appliedByGeneration).hasSize(validWrites);
            long lastGen = Collections.max(appliedByGeneration.keySet());
            assertThat(lastGen).isEqualTo(startGen + validWrites);
            assertThat(f.policy.current().generation()).isEqualTo(lastGen);
            assertThat(f.policy.current().text()).isEqualTo(appliedByGeneration.get(lastGen));
        }
    }

    @Test
    void concurrentPatchesNeverLoseAStatement() throws Exception {
        try (ControlPlaneFixture f = new ControlPlaneFixture(dir)) {
            int writers = 6;
            int perWriter = 10;
            ExecutorService pool = Executors.newFixedThreadPool(writers);
            List<Future<?>> futures = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int writer = w;
                futures.add(pool.submit(() -> {
                    for (int n = 0; n < perWriter; n++) {
                        String stmt = "permit (principal, action == Action::\"ProcessExec\", resource == File::\"/bin/p" + writer
                                + "_" + n + "\");";
                        f.ok("PATCH", "/api/policies", f.jsonString(Map.of("add", List.of(Map.of("cedar", stmt)))));
                    }
                    return null;
                }));
            }
            for (Future<?> fu : futures) {
                fu.get();
            }
            pool.shutdown();
            String text = f.policy.current().text();
            Set<String> missing = new HashSet<>();
            for (int w = 0; w < writers; w++) {
                for (int n = 0; n < perWriter; n++) {
                    if (!text.contains("/bin/p" + w + "_" + n + "\"")) {
                        missing.add(w + "_" + n);
                    }
                }
            }
            assertThat(missing).isEmpty();
            assertThat(text).startsWith(ControlPlaneFixture.BASE_POLICY.stripTrailing());
        }
    }
}
