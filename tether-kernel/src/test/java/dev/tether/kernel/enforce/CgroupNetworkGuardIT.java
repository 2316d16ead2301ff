package dev.tether.kernel.enforce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tether.events.Event;
import dev.tether.events.Verdict;
import dev.tether.kernel.cgroup.Cgroup2Hierarchy;
import dev.tether.kernel.cgroup.KernelFilesystems;
import dev.tether.kernel.cgroup.MountTable;
import dev.tether.kernel.ffm.LibBpf;
import dev.tether.kernel.ffm.LibC;
import dev.tether.policy.LoadResult;
import dev.tether.policy.Mode;
import dev.tether.policy.PolicyLoader;
import dev.tether.policy.PolicySnapshot;
import dev.tether.policy.Principal;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The cgroup-BPF guard on its own, against the real kernel: processes are put in a scratch
 * cgroup as root (with every capability, so refusals are the guard's and nobody else's).
 */
class CgroupNetworkGuardIT {
    private static final Principal WHO = new Principal("test", "s1");
    private static LibBpf libbpf;
    private static LibC libc;
    private static Cgroup2Hierarchy hierarchy;
    private static Path escape;

    private Path cgroup;
    private final List<Event> events = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void root() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "cgroup-BPF needs root; skipped");
        libc = LibC.load();
        libbpf = LibBpf.load();
        KernelFilesystems.ensureMounted(libc);
        hierarchy = Cgroup2Hierarchy.find(MountTable.read()).orElseThrow();
        Path out = Path.of("target/test-bin").toAbsolutePath();
        Files.createDirectories(out);
        escape = out.resolve("escape");
        Process cc = new ProcessBuilder("gcc", "-O2", "-pthread", "-o", escape.toString(), "../tether-cli/src/test/c/escape.c")
                .redirectErrorStream(true).start();
        String log = new String(cc.getInputStream().readAllBytes());
        assertThat(cc.waitFor()).as(log).isZero();
    }

    @BeforeEach
    void scratchCgroup() throws IOException {
        cgroup = hierarchy.mountPoint().resolve("tether-guard-it-" + ProcessHandle.current().pid());
        Files.createDirectories(cgroup);
    }

    @AfterEach
    void removeCgroup() throws IOException {
        Files.deleteIfExists(cgroup);
    }

    private static PolicySnapshot policy(String text) {
        LoadResult r = PolicyLoader.parse(text, "guard-it.cedar");
        assertThat(r).isInstanceOf(LoadResult.Loaded.class);
        return ((LoadResult.Loaded) r).snapshot();
    }

    /** Runs escape with {@code args} inside the scratch cgroup and returns its output line. */
    private String inCgroup(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("sh", "-c", "echo $$ > \"$0\"; exec \"$@\"",
                cgroup.resolve("cgroup.procs").toString(), escape.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        p.waitFor();
        return out;
    }

    private CgroupNetworkGuard attach(PolicySnapshot s, Mode mode) {
        return CgroupNetworkGuard.attach(libbpf, libc, cgroup, s.networkRules(WHO), s.generation(), mode,
                new CgroupNetworkGuard.Options(true, false), events::add, "s1", "test");
    }

    @Test
    void rawSocketsAreRefusedWhateverThePolicySays() throws Exception {
        // (AF_PACKET sockets never reach cgroup/sock_create, which the kernel runs for inet
        // families only: every engine drops CAP_NET_RAW instead, without which they fail.)
        try (var guard = attach(policy("permit (principal, action, resource);"), Mode.ENFORCE)) {
            assertThat(inCgroup("raw")).isEqualTo("denied: EPERM (raw socket)");
            EnforcementAwait.until(() -> events.size() >= 1);
        }
        assertThat(events).allMatch(e -> e.decision() == Verdict.DENY)
                .allMatch(e -> e.reason().contains("raw or packet"));
        // Outside the cgroup the same root process may open one: the guard is scoped.
        assertThat(new String(new ProcessBuilder(escape.toString(), "raw").start().getInputStream().readAllBytes()).strip())
                .isEqualTo("raw socket");
    }

    @Test
    void reloadFlipsRulesAtOnceAndShadowModeLetsThrough() throws Exception {
        String deny = "permit (principal, action == Action::\"NetworkConnect\", resource in Net::\"10.253.0.0/16\");";
        PolicySnapshot first = policy(deny);
        try (var guard = attach(first, Mode.ENFORCE)) {
            // 10.9.0.1 is not permitted: refused before any packet leaves (EPERM, not a timeout).
            assertThat(inCgroup("sendto", "10.9.0.1", "9")).isEqualTo("denied: EPERM (sent)");
            assertThat(inCgroup("sendto", "10.253.0.1", "9")).isEqualTo("sent");
            PolicySnapshot second = policy("permit (principal, action == Action::\"NetworkConnect\", resource in Net::\"10.9.0.0/16\");");
            guard.apply(second.networkRules(WHO), 2, Mode.ENFORCE, new CgroupNetworkGuard.Options(true, false));
            assertThat(inCgroup("sendto", "10.9.0.1", "9")).isEqualTo("sent");
            assertThat(inCgroup("sendto", "10.253.0.1", "9")).isEqualTo("denied: EPERM (sent)");
            guard.apply(second.networkRules(WHO), 3, Mode.SHADOW, new CgroupNetworkGuard.Options(true, false));
            assertThat(inCgroup("sendto", "10.253.0.1", "9")).isEqualTo("sent");
            EnforcementAwait.until(() -> events.stream().anyMatch(e -> e.decision() == Verdict.WOULD_DENY));
        }
    }

    @Test
    void aPolicyThatDoesNotFitTheKernelMapsIsRefusedAndTheOldOneStays() throws Exception {
        PolicySnapshot ok = policy("permit (principal, action == Action::\"NetworkConnect\", resource in Net::\"10.253.0.0/16\");");
        StringBuilder many = new StringBuilder();
        for (int port = 1; port <= 40; port++) {
            many.append("permit (principal, action == Action::\"NetworkConnect\", resource in Net::\"10.9.0.0/16\") when { context.port == ")
                    .append(port * 2).append(" };\n");
        }
        try (var guard = attach(ok, Mode.ENFORCE)) {
            PolicySnapshot tooMany = policy(many.toString());
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> guard.apply(tooMany.networkRules(WHO), 2, Mode.ENFORCE,
                    new CgroupNetworkGuard.Options(true, false))).isInstanceOf(UnenforceableNetworkPolicyException.class)
                    .hasMessageContaining("rules apply to");
            assertThat(inCgroup("sendto", "10.253.0.1", "9")).isEqualTo("sent");
        }
    }
}
