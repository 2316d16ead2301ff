package dev.tether.policy.lint;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.policy.Action;
import dev.tether.policy.Decision;
import dev.tether.policy.ExecRequest;
import dev.tether.policy.FileRequest;
import dev.tether.policy.Finding;
import dev.tether.policy.HeaderRewrite;
import dev.tether.policy.LoadResult;
import dev.tether.policy.McpRequest;
import dev.tether.policy.NetworkRequest;
import dev.tether.policy.PolicyLoader;
import dev.tether.policy.PolicySnapshot;
import dev.tether.policy.Principal;
import dev.tether.policy.Request;
import dev.tether.policy.Transport;
import dev.tether.policy.cedar.CedarReference;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Leash-dialect policies under {@code src/test/resources/leash}: each states its intended
 * decisions in {@code // expect:} lines; the engine must produce them, cedar-java must agree,
 * and the findings plus explanations must equal the {@code .expected} golden file.
 */
class LeashGoldenTest {
    static final Path DIR = GoldenFiles.resources("leash");
    static final Principal AGENT = new Principal("claude", "leash");

    @TestFactory
    Stream<DynamicTest> leashPolicies() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(DIR)) {
            files = s.filter(p -> p.toString().endsWith(".cedar")).sorted().toList();
        }
        return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> run(f)));
    }

    private static void run(Path f) throws IOException {
        LoadResult r = PolicyLoader.load(f);
        assertThat(r).as("loads: %s", r.findings().stream().map(Finding::render).toList())
                .isInstanceOf(LoadResult.Loaded.class);
        PolicySnapshot snap = ((LoadResult.Loaded) r).snapshot();
        CedarReference cedar = new CedarReference(snap);
        StringBuilder out = new StringBuilder();
        for (Finding x : r.findings()) {
            out.append(x.render()).append("\n\n");
        }
        for (String line : Files.readAllLines(f)) {
            if (!line.startsWith("// expect: ")) {
                continue;
            }
            String[] w = line.substring("// expect: ".length()).trim().split("\\s+");
            if (w[0].equals("REWRITE")) {
                int colon = w[1].lastIndexOf(':');
                List<HeaderRewrite> rw = snap.headerRewrites(AGENT, w[1].substring(0, colon),
                        Integer.parseInt(w[1].substring(colon + 1)));
                List<String> got = rw.stream().map(h -> h.header() + "=" + h.value()).toList();
                assertThat(got).as(line).containsExactly(Arrays.copyOfRange(w, 2, w.length));
                out.append(line.substring(3)).append("\n  -> ").append(rw).append('\n');
                continue;
            }
            Request req = request(w);
            Decision d = snap.decide(req);
            assertThat(d.allowed()).as(line + " -> " + d.reason()).isEqualTo(w[0].equals("ALLOW"));
            assertThat(cedar.decide(req).allowed()).as("cedar-java on " + line).isEqualTo(d.allowed());
            out.append(line.substring(3)).append("\n  -> ").append(d.reason()).append('\n');
        }
        GoldenFiles.check(DIR.resolve(f.getFileName().toString().replace(".cedar", ".expected")), out.toString());
    }

    static Request request(String[] w) {
        Action a = Action.fromCedarName(w[1]).orElseThrow();
        String res = w[2];
        return switch (a) {
            case FILE_OPEN, FILE_OPEN_READ_ONLY, FILE_OPEN_READ_WRITE -> new FileRequest(AGENT, a, res);
            case PROCESS_EXEC -> {
                List<String> argv = new java.util.ArrayList<>();
                argv.add(res.substring(res.lastIndexOf('/') + 1));
                argv.addAll(Arrays.asList(w).subList(3, w.length));
                yield new ExecRequest(AGENT, res, argv);
            }
            case NETWORK_CONNECT -> {
                int colon = res.lastIndexOf(':');
                Transport t = w.length > 3 && w[3].equals("udp") ? Transport.UDP : Transport.TCP;
                yield new NetworkRequest(AGENT, res.substring(0, colon), null, Integer.parseInt(res.substring(colon + 1)), t);
            }
            case MCP_CALL -> {
                int slash = res.indexOf('/');
                yield slash < 0 ? new McpRequest(AGENT, res, null, null)
                        : new McpRequest(AGENT, res.substring(0, slash), res.substring(slash + 1), null);
            }
            case HTTP_REWRITE -> throw new IllegalArgumentException("use REWRITE");
        };
    }
}
