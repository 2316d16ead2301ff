package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.cli.session.TestDnsServer;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Hostname rules in the kernel, as root: the sandbox resolves names through the session's DNS
 * forwarder, which pins each answered address with the rules for the name asked, so a permit of
 * {@code Host::"allowed.test:8080"} opens that address and port (and only after the name was
 * resolved) while another name's address stays refused by the cgroup guard. Own lab network
 * (10.251.0.0/24, namespace tether-lab-dns-PID) and a test DNS server on the host's loopback.
 */
class DnsEnforcementIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Path escapeBinary;

    /*
     * The file gate judges an open whose syscall it cannot read from /proc/TID/syscall as a write
     * (fail closed); under load that has hit the open accompanying an exec (getent) and
     * /etc/locale.alias. /usr and /etc are read-only mounts in the sandbox, so permitting
     * read-write opens there keeps this test about the network without opening anything. The
     * gate has also refused, with no event, the exec of one member of a three-process pipeline
     * under load; the scripts below avoid pipelines.
     */
    static final String DNS_POLICY = """
            permit (principal, action == Action::"FileOpenReadWrite", resource)
            when { resource in [Dir::"/usr/", Dir::"/etc/"] };
            @id("allowed-host")
            permit (principal, action == Action::"NetworkConnect", resource in Host::"allowed.test:8080");
            """;

    @BeforeAll
    static void requireRootAndBuildEscapeProgram() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")),
                "DNS enforcement tests need root (BPF, namespaces); not root here, so they are skipped");
        Path out = Path.of("target/test-bin").toAbsolutePath();
        Files.createDirectories(out);
        escapeBinary = out.resolve("escape-dns");
        Process p = new ProcessBuilder("gcc", "-O2", "-pthread", "-o", escapeBinary.toString(), "src/test/c/escape.c")
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as("compiling escape.c: " + log).isZero();
    }

    private static Path project(String name) throws Exception {
        Path project = TetherProcess.itProject("dns", name);
        if (Files.exists(project)) {
            try (Stream<Path> w = Files.walk(project)) {
                w.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
        Files.createDirectories(project.resolve("src"));
        Files.createDirectories(project.resolve("bin"));
        Files.createDirectories(project.resolve(".tether"));
        Files.copy(escapeBinary, project.resolve("bin/escape"));
        project.resolve("bin/escape").toFile().setExecutable(true);
        Files.writeString(project.resolve(".tether/policy.cedar"), EnforcementIT.POLICY + DNS_POLICY);
        return project;
    }

    private static List<JsonNode> decisions(Path events, String verdict) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(events)) {
            JsonNode n = JSON.readTree(line);
            if ("NetworkConnect".equals(n.path("action").asText()) && verdict.equals(n.path("decision").asText())) {
                out.add(n);
            }
        }
        return out;
    }

    @Test
    void aPermittedNameOpensItsAddressesOnlyAfterResolvingAndOtherNamesStayRefused() throws Exception {
        Path project = project("dnsPinning");
        Path events = project.resolve("events.jsonl");
        try (LabNetwork lab = LabNetwork.create(escapeBinary, "dns", "10.251.0.", "fd00:7e7d::");
             TestDnsServer dns = TestDnsServer.start(InetAddress.getLoopbackAddress())
                     .name("allowed.test", "10.251.0.1", "fd00:7e7d::1").name("other.test", "10.251.0.2")) {
            lab.http("10.251.0.1", 8080);
            lab.http("fd00:7e7d::1", 8080);
            String upstream = "TETHER_DNS_UPSTREAM=127.0.0.1:" + dns.address().getPort();
            var r = TetherProcess.run(project, List.of("env", upstream), "run", "--engine", "builtin",
                    "--events", events.toString(), "--policy", project.resolve(".tether/policy.cedar").toString(),
                    "--", "sh", "-c", String.join("; ",
                            "bin/escape connect 10.251.0.1 8080",
                            "set -- $(getent ahostsv4 allowed.test); echo $1", // no pipeline: see the note on DNS_POLICY
                            "bin/escape connect 10.251.0.1 8080",
                            "curl -4 --noproxy '*' -sS -o /dev/null -w 'http=%{http_code}\\n' http://allowed.test:8080/; echo curl-allowed=$?",
                            "curl -6 --noproxy '*' -sS -o /dev/null -w 'http=%{http_code}\\n' http://allowed.test:8080/; echo curl6-allowed=$?",
                            "bin/escape connect 10.251.0.1 7777",
                            "curl --noproxy '*' -sS -o /dev/null http://other.test:7777/ 2>/dev/null; echo curl-other=$?",
                            "bin/escape connect 10.251.0.2 7777",
                            "echo done"));
            assertThat(r.stdout().lines().toList()).as(r.stderr()).containsExactly(
                    "denied: EPERM (connect)",  // before the name was resolved: no rule for the bare address
                    "10.251.0.1",
                    "connected",                // pinned with allowed.test's rules
                    "http=200",
                    "curl-allowed=0",
                    "http=200",                 // the AAAA answer is pinned too
                    "curl6-allowed=0",
                    "denied: EPERM (connect)",  // pinned, but the permit is for port 8080 only
                    "curl-other=7",             // other.test resolves, its address is pinned with no permit
                    "denied: EPERM (connect)",
                    "done");
            assertThat(dns.queries()).as("the sandbox's queries reached the upstream through tether").isGreaterThanOrEqualTo(2);
            assertThat(decisions(events, "allow")).filteredOn(n -> n.path("resource").asText().equals("10.251.0.1:8080"))
                    .extracting(n -> n.path("reason").asText() + " | " + n.path("detail").path("hostname").asText())
                    .contains("allowed: permit allowed-host matched 10.251.0.1:8080 (resolved from allowed.test) | allowed.test");
            assertThat(decisions(events, "deny")).extracting(n -> n.path("resource").asText())
                    .contains("10.251.0.2:7777", "10.251.0.1:7777");
        }
    }

    @Test
    void aReloadRecomputesThePinsOfAddressesAlreadyResolved() throws Exception {
        Path project = project("dnsPinReload");
        Path events = project.resolve("events.jsonl");
        Path out1 = project.resolve("src/out1");
        Path out2 = project.resolve("src/out2");
        try (LabNetwork lab = LabNetwork.create(escapeBinary, "dns", "10.251.0.", "fd00:7e7d::");
             TestDnsServer dns = TestDnsServer.start(InetAddress.getLoopbackAddress()).name("allowed.test", "10.251.0.1")) {
            lab.http("10.251.0.1", 8080);
            Process tether = new ProcessBuilder(withEnv("TETHER_DNS_UPSTREAM=127.0.0.1:" + dns.address().getPort(),
                    "run", "--engine", "builtin", "--events", events.toString(),
                    "--policy", project.resolve(".tether/policy.cedar").toString(), "--", "sh", "-c",
                    "getent ahostsv4 allowed.test > /dev/null; bin/escape connect 10.251.0.1 8080 > src/out1;"
                            + " while [ ! -e src/go ]; do sleep 0.05; done;"
                            + " n=0; until bin/escape connect 10.251.0.1 8080 | grep -q denied; do n=$((n+1));"
                            + " [ $n -gt 200 ] && break; sleep 0.05; done; bin/escape connect 10.251.0.1 8080 > src/out2"))
                    .directory(project.toFile()).redirectErrorStream(true)
                    .redirectOutput(project.resolve("run.log").toFile()).start();
            try {
                EnforcementIT.await(() -> Files.exists(out1) && Files.size(out1) > 0);
                assertThat(Files.readString(out1)).isEqualTo("connected\n");
                // The permit moves to another port: the pinned address must follow at once,
                // although the sandbox does not resolve the name again.
                Files.writeString(project.resolve(".tether/policy.cedar"),
                        EnforcementIT.POLICY + DNS_POLICY.replace("allowed.test:8080", "allowed.test:9090"));
                Files.writeString(project.resolve("src/go"), "");
                assertThat(tether.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            } finally {
                tether.destroyForcibly();
            }
            assertThat(Files.readString(out2)).as(Files.readString(project.resolve("run.log")))
                    .isEqualTo("denied: EPERM (connect)\n");
            assertThat(Files.readString(project.resolve("run.log"))).contains("policy reloaded");
            assertThat(dns.queries()).as("no second resolution was needed").isEqualTo(1);
        }
    }

    private static List<String> withEnv(String assignment, String... args) {
        List<String> cmd = new ArrayList<>(List.of("env", assignment));
        cmd.addAll(TetherProcess.command());
        cmd.addAll(List.of(args));
        return cmd;
    }
}
