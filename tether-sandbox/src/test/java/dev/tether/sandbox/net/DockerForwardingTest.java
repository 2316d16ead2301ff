package dev.tether.sandbox.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docker's FORWARD DROP, for real but without touching this shared host's firewall: a private
 * "host" namespace with docker's layout (policy DROP, FORWARD jumping to DOCKER-USER first), a
 * "sandbox" namespace behind a veth {@code tthfw0} and an "upstream" namespace. A TCP connect from
 * the sandbox to a closed port upstream is refused (RST: it was forwarded) or times out (dropped).
 */
class DockerForwardingTest {
    private static final String UPSTREAM = "10.231.1.2";
    private final String id = Long.toString(ProcessHandle.current().pid());
    private final String host = "ttfw-h-" + id;
    private final String sandbox = "ttfw-a-" + id;
    private final String upstream = "ttfw-b-" + id;
    private final HostCommands root = new HostCommands();
    private HostCommands inHost;
    @TempDir Path markers;

    @BeforeAll
    static void requireRoot() {
        assumeTrue("root".equals(System.getProperty("user.name")), "network namespace tests need root");
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/iptables")) || Files.isExecutable(Path.of("/sbin/iptables")),
                "iptables is not installed");
    }

    @BeforeEach
    void namespaces() {
        for (String ns : List.of(host, sandbox, upstream)) {
            root.require(List.of("ip", "netns", "add", ns), null, "netns " + ns);
        }
        root.require(List.of("ip", "-n", host, "-batch", "-"), String.join("\n",
                "link add tthfw0 type veth peer name eth0 netns " + sandbox,
                "link add up0 type veth peer name eth0 netns " + upstream,
                "addr add 10.231.0.1/30 dev tthfw0", "addr add 10.231.1.1/30 dev up0",
                "link set tthfw0 up", "link set up0 up", "link set lo up", ""), "host links");
        root.require(List.of("ip", "-n", sandbox, "-batch", "-"), String.join("\n", "link set lo up",
                "addr add 10.231.0.2/30 dev eth0", "link set eth0 up", "route add default via 10.231.0.1", ""), "sandbox links");
        root.require(List.of("ip", "-n", upstream, "-batch", "-"), String.join("\n", "link set lo up",
                "addr add " + UPSTREAM + "/30 dev eth0", "link set eth0 up", "route add default via 10.231.1.1", ""), "upstream links");
        inHost = new HostCommands(List.of("ip", "netns", "exec", host));
        inHost.require(List.of("sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward"), null, "forwarding");
    }

    @AfterEach
    void removeNamespaces() {
        for (String ns : List.of(host, sandbox, upstream)) {
            root.run(List.of("ip", "netns", "del", ns), null);
        }
    }

    private void dockerLayout() {
        inHost.require(List.of("iptables", "-P", "FORWARD", "DROP"), null, "policy");
        inHost.require(List.of("iptables", "-N", "DOCKER-USER"), null, "chain");
        inHost.require(List.of("iptables", "-A", "DOCKER-USER", "-j", "RETURN"), null, "return");
        inHost.require(List.of("iptables", "-I", "FORWARD", "-j", "DOCKER-USER"), null, "jump");
    }

    /** True when the connect came back refused (forwarded both ways), false when it timed out (dropped). */
    private boolean forwarded() {
        var r = root.run(List.of("ip", "netns", "exec", sandbox, "timeout", "2", "bash", "-c",
                "echo > /dev/tcp/" + UPSTREAM + "/9"), null);
        return r.stderr().contains("refused");
    }

    @Test
    void dockersDropPolicyIsPassedThroughDockerUserAndClosedAgain() {
        dockerLayout();
        assertThat(forwarded()).as("docker's FORWARD DROP before tether's rules").isFalse();
        assertThat(DockerForwarding.chainNeedingRules(inHost, "iptables")).isEqualTo("DOCKER-USER");
        DockerForwarding.allow(inHost, markers, "fwdtest", "tthfw0");
        // The marker says which tool put the rules in which chain (ip6tables has no DOCKER-USER in
        // this "host"), so the stop deletes them without listing the firewall.
        assertThat(markers.resolve("fwdtest")).hasContent("iptables DOCKER-USER tthfw0");
        assertThat(forwarded()).as("with tether's DOCKER-USER rules").isTrue();
        assertThat(DockerForwarding.remove(inHost, markers, "fwdtest")).isEmpty();
        assertThat(markers.resolve("fwdtest")).doesNotExist();
        assertThat(inHost.run(List.of("iptables", "-S"), null).stdout()).doesNotContain("tether-fwdtest")
                .contains("-A DOCKER-USER -j RETURN");
        assertThat(forwarded()).as("after the session").isFalse();
    }

    @Test
    void aDropPolicyWithoutDockerGetsTheRulesAtTheTopOfForward() {
        inHost.require(List.of("iptables", "-P", "FORWARD", "DROP"), null, "policy");
        assertThat(DockerForwarding.chainNeedingRules(inHost, "iptables")).isEqualTo("FORWARD");
        DockerForwarding.allow(inHost, markers, "fwdtest", "tthfw0");
        assertThat(forwarded()).isTrue();
        // A dead session's rules go with the sweep; a live one's stay.
        DockerForwarding.allow(inHost, markers, "other", "tthfw9");
        assertThat(DockerForwarding.sweep(inHost, markers, s -> s.equals("fwdtest"))).isEmpty();
        String rules = inHost.run(List.of("iptables", "-S", "FORWARD"), null).stdout();
        assertThat(rules).doesNotContain("tether-fwdtest").contains("tether-other");
        assertThat(forwarded()).isFalse();
        assertThat(markers.resolve("fwdtest")).doesNotExist();
        assertThat(markers.resolve("other")).exists();
    }

    @Test
    void anAcceptPolicyNeedsNoRules() {
        assertThat(DockerForwarding.chainNeedingRules(inHost, "iptables")).isNull();
        DockerForwarding.allow(inHost, markers, "fwdtest", "tthfw0");
        assertThat(inHost.run(List.of("iptables", "-S"), null).stdout()).doesNotContain("tether-fwdtest");
        assertThat(forwarded()).isTrue();
        assertThat(markers).isEmptyDirectory();
    }

    @Test
    void rulesLeftByACrashBetweenTheMarkerAndTheEndOfAllowAreSwept() throws Exception {
        dockerLayout();
        DockerForwarding.allow(inHost, markers, "crashed", "tthfw0");
        // The session's tether died before removing anything: only the sweep is left to do it.
        // An empty marker (written by a tether before markers said where the rules went) means
        // listing every tool's table.
        Files.writeString(markers.resolve("crashed"), "");
        assertThat(DockerForwarding.sweep(inHost, markers, s -> false)).isEmpty();
        assertThat(inHost.run(List.of("iptables", "-S"), null).stdout()).contains("tether-crashed");
        assertThat(DockerForwarding.sweep(inHost, markers, "crashed"::equals)).isEmpty();
        assertThat(inHost.run(List.of("iptables", "-S"), null).stdout()).doesNotContain("tether-crashed");
        assertThat(markers).isEmptyDirectory();
        assertThat(forwarded()).isFalse();
    }

    @Test
    void aSessionWithoutAMarkerHasNothingToRemove() {
        // No marker: remove and sweep do not list the firewall at all (what every session on a
        // host without docker's DROP now saves); a rule tether never recorded is not its own.
        dockerLayout();
        inHost.require(List.of("iptables", "-I", "DOCKER-USER", "1", "-i", "tthfw0", "-m", "comment", "--comment",
                "tether-unrecorded", "-j", "ACCEPT"), null, "a rule without a marker");
        assertThat(DockerForwarding.remove(inHost, markers, "unrecorded")).isEmpty();
        assertThat(DockerForwarding.sweep(inHost, markers, s -> true)).isEmpty();
        assertThat(inHost.run(List.of("iptables", "-S"), null).stdout()).contains("tether-unrecorded");
    }

    @Test
    void aRuleRemovedBySomeoneElseFallsBackToListing() {
        dockerLayout();
        DockerForwarding.allow(inHost, markers, "fwdtest", "tthfw0");
        // One of the two rules deleted behind tether's back: deleting both in one transaction fails,
        // so the stop lists the chain and deletes what is left of the session's.
        inHost.require(List.of("iptables", "-D", "DOCKER-USER", "-i", "tthfw0", "-m", "comment", "--comment",
                "tether-fwdtest", "-j", "ACCEPT"), null, "someone else");
        assertThat(inHost.run(List.of("iptables", "-S"), null).stdout()).contains("tether-fwdtest");
        assertThat(DockerForwarding.remove(inHost, markers, "fwdtest")).isEmpty();
        assertThat(inHost.run(List.of("iptables", "-S"), null).stdout()).doesNotContain("tether-fwdtest")
                .contains("-A DOCKER-USER -j RETURN");
        assertThat(markers.resolve("fwdtest")).doesNotExist();
    }
}
