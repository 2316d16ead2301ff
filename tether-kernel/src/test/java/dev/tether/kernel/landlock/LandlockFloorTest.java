package dev.tether.kernel.landlock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.kernel.enforce.PathAliases;
import dev.tether.kernel.ffm.Landlock;
import dev.tether.policy.LoadResult;
import dev.tether.policy.PermitBounds;
import dev.tether.policy.PolicyLoader;
import dev.tether.policy.Principal;
import dev.tether.policy.StarterPolicy;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Deriving the --lock floor from a policy: pure Java, no kernel. */
class LandlockFloorTest {
    private static final Principal WHO = new Principal("claude", "s1");
    private static final PathAliases PROJECT = PathAliases.project("/home/me/proj");
    private static final Set<String> UNJUDGED = Set.of("proc", "sysfs");

    private static PermitBounds bounds(String text) {
        LoadResult r = PolicyLoader.parse(text, "floor.cedar");
        assertThat(r).as("%s", r).isInstanceOf(LoadResult.Loaded.class);
        return ((LoadResult.Loaded) r).snapshot().permitBounds(WHO);
    }

    private static Map<String, Long> policyGrants(LandlockFloor f) {
        return f.grants().stream().filter(LandlockFloor.Grant::fromPolicy)
                .collect(Collectors.toMap(LandlockFloor.Grant::path, LandlockFloor.Grant::rights));
    }

    @Test
    void starterPolicyGivesReadWriteExecUnderBothProjectNamesAndItsPorts() {
        PermitBounds b = bounds(StarterPolicy.forProject(Path.of("/home/me/proj"), "claude"));
        LandlockFloor f = LandlockFloor.derive(b, PROJECT, 7, UNJUDGED, List.of(53, 80, 443));
        Map<String, Long> g = policyGrants(f);
        long handled = Landlock.fsRights(7);
        assertThat(g.get("/home/me/proj")).isEqualTo(LandlockFloor.writeRights(handled) | LandlockFloor.readRights(handled));
        assertThat(g.get("/workspace")).as("the project's other name").isEqualTo(g.get("/home/me/proj"));
        assertThat(g.get("/usr")).isEqualTo(LandlockFloor.readRights(handled));
        assertThat(g.get("/usr/bin")).isEqualTo(LandlockFloor.execRights(handled));
        assertThat(g.get("/dev/null")).as("a File permit").isEqualTo(LandlockFloor.readRights(handled) | LandlockFloor.writeRights(handled));
        // git hooks: forbidden for writes by the policy, but Landlock cannot subtract; the gate keeps the forbid.
        assertThat(g).doesNotContainKey("/home/me/proj/.git/hooks");
        assertThat(f.grants()).filteredOn(x -> !x.fromPolicy()).extracting(LandlockFloor.Grant::path)
                .contains("/lib64/ld-linux-x86-64.so.2");
        assertThat(f.governsNetwork()).isTrue();
        assertThat(f.connectPorts()).containsExactlyInAnyOrder(53, 80, 443);
        assertThat(f.summary()).contains("ABI 7").contains("TCP connect only to ports [53, 80, 443]");
    }

    @Test
    void aPermitAboveAMountedDirectoryReachesItsOtherNames() {
        LandlockFloor f = LandlockFloor.derive(bounds("""
                permit (principal, action == Action::"FileOpenReadOnly", resource in Dir::"/home/");
                permit (principal, action == Action::"FileOpenReadWrite", resource in Dir::"/workspace/src/");
                """), PROJECT, 7, UNJUDGED, List.of());
        Map<String, Long> g = policyGrants(f);
        assertThat(g).containsKeys("/home", "/workspace", "/workspace/src", "/home/me/proj/src");
        assertThat(LandlockFloor.names("/", PROJECT)).contains("/", "/workspace", "/home/me/proj");
    }

    @Test
    void olderAbisHandleFewerRightsAndAbiOneIsRefused() {
        PermitBounds b = bounds("permit (principal, action == Action::\"FileOpenReadOnly\", resource in Dir::\"/usr/\");");
        assertThatThrownBy(() -> LandlockFloor.derive(b, PROJECT, 1, UNJUDGED, List.of()))
                .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("REFER");
        LandlockFloor abi3 = LandlockFloor.derive(b, PROJECT, 3, UNJUDGED, List.of());
        assertThat(abi3.handledFs() & Landlock.FS_IOCTL_DEV).isZero();
        assertThat(abi3.handledFs() & Landlock.FS_TRUNCATE).isNotZero();
        assertThat(abi3.governsNetwork()).isFalse();
        assertThat(abi3.networkNote()).contains("ABI 3");
        assertThat(abi3.encode()).contains(" net=0 ").doesNotContain("port=");
    }

    @Test
    void unboundedConnectPermitsLeaveNetworkToTheGuard() {
        LandlockFloor f = LandlockFloor.derive(bounds("""
                permit (principal, action == Action::"NetworkConnect", resource in Net::"10.0.0.0/8");
                """), PROJECT, 7, UNJUDGED, List.of(53));
        assertThat(f.governsNetwork()).isFalse();
        assertThat(f.summary()).contains("network left to the cgroup-BPF guard: a NetworkConnect permit is not bounded");
    }

    @Test
    void encodesPathsSafely() {
        LandlockFloor f = LandlockFloor.derive(bounds("""
                permit (principal, action == Action::"FileOpenReadOnly", resource in Dir::"/srv/a b:c/\u00e9/");
                permit (principal, action == Action::"NetworkConnect", resource in Host::"api.example.com:443");
                """), PathAliases.none(), 7, UNJUDGED, List.of());
        String e = f.encode();
        assertThat(e).startsWith("tether-landlock-1 fs=ffff net=2 ");
        assertThat(e).contains(" path=" + Long.toHexString(LandlockFloor.readRights(0xffff)) + ":a:/srv/a%20b%3ac/%c3%a9 ");
        assertThat(e).contains(" unjudged=ffff:proc,sysfs").endsWith(" port=443");
        assertThat(e.split(" ")).allMatch(t -> !t.isEmpty());
    }

    @Test
    void aReloadBeyondTheFloorNamesWhatTheFloorStillDenies() {
        String base = """
                permit (principal, action == Action::"FileOpenReadOnly", resource in Dir::"/usr/");
                permit (principal, action in [Action::"FileOpenReadOnly", Action::"FileOpenReadWrite"], resource in Dir::"/workspace/");
                permit (principal, action == Action::"NetworkConnect", resource in Host::"api.example.com:443");
                """;
        Function<String, LandlockFloor> floor = t -> LandlockFloor.derive(bounds(t), PROJECT, 7, UNJUDGED, List.of(53));
        LandlockFloor start = floor.apply(base);
        assertThat(start.deniedBeyond(floor.apply(base))).isEmpty();
        assertThat(start.deniedBeyond(floor.apply("""
                permit (principal, action == Action::"FileOpenReadOnly", resource in Dir::"/usr/share/");
                """))).as("narrower").isEmpty();
        List<String> beyond = start.deniedBeyond(floor.apply(base + """
                permit (principal, action == Action::"FileOpenReadWrite", resource in Dir::"/usr/local/");
                permit (principal, action == Action::"FileOpenReadOnly", resource in Dir::"/opt/");
                permit (principal, action == Action::"NetworkConnect", resource in Host::"db.example.com:5432");
                """));
        assertThat(beyond).containsExactlyInAnyOrder("/usr/local (write, create/remove/rename)", "/opt (read, list)",
                "TCP connect to port(s) [5432]");
        assertThat(start.deniedBeyond(floor.apply(base + """
                permit (principal, action == Action::"NetworkConnect", resource in Net::"10.0.0.0/8");
                """))).containsExactly("TCP connect to ports other than [53, 443] (a NetworkConnect permit is not bounded to named ports)");
    }

    /** The helper's C constants and these must be the kernel's same bits: a drift fails here, not in a sandbox. */
    @Test
    void helperSourceAgreesOnTheKernelsRightBits() throws IOException, IllegalAccessException {
        String c = Files.readString(Path.of("src/main/bpf/tether_landlock.c"));
        Matcher m = Pattern.compile("#define LL_(FS|NET)_(\\w+) \\(1ULL << (\\d+)\\)").matcher(c);
        int checked = 0;
        while (m.find()) {
            Field f;
            try {
                f = Landlock.class.getField(m.group(1) + "_" + m.group(2));
            } catch (NoSuchFieldException e) {
                throw new AssertionError("Landlock." + m.group(1) + "_" + m.group(2) + " is missing", e);
            }
            assertThat(f.getLong(null)).as(f.getName()).isEqualTo(1L << Integer.parseInt(m.group(3)));
            checked++;
        }
        assertThat(checked).isGreaterThanOrEqualTo(6);
        assertThat(c).contains("#define ENV \"" + LandlockFloor.ENVIRONMENT + "\"");
    }
}
