package dev.tether.kernel.landlock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tether.kernel.enforce.FanotifyGate;
import dev.tether.kernel.enforce.PathAliases;
import dev.tether.kernel.ffm.Landlock;
import dev.tether.kernel.ffm.LibC;
import dev.tether.kernel.ffm.NativeCallException;
import dev.tether.policy.LoadResult;
import dev.tether.policy.PolicyLoader;
import dev.tether.policy.Principal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The compiled tether-landlock helper against the real kernel (Landlock needs no root, only
 * no_new_privs, which the helper sets): a floor derived from a policy lets the permitted through
 * and refuses the rest with EACCES, for the process and what it starts.
 */
class LandlockHelperIT {
    private static int abi;

    @BeforeAll
    static void landlock() {
        try {
            abi = new Landlock(LibC.load()).abi();
        } catch (NativeCallException e) {
            assumeTrue(false, "this kernel has no Landlock (" + e.getMessage() + "): helper tests skipped");
        }
    }

    record Run(int exit, String out, String err) {}

    private static Run run(String ruleset, String script) throws Exception {
        Path helper = Path.of("target/classes/bpf/tether-landlock").toAbsolutePath();
        ProcessBuilder pb = new ProcessBuilder(helper.toString(), "--", "/bin/sh", "-c", script);
        pb.environment().put(LandlockFloor.ENVIRONMENT, ruleset);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        String err = new String(p.getErrorStream().readAllBytes());
        return new Run(p.waitFor(), out, err);
    }

    @Test
    void permittedWorksTheRestIsRefusedWithEacces(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("readable"));
        Files.createDirectories(dir.resolve("writable"));
        Files.writeString(dir.resolve("readable/a.txt"), "readable\n");
        Files.writeString(dir.resolve("secret.txt"), "secret\n");
        LoadResult r = PolicyLoader.parse("""
                permit (principal, action == Action::"FileOpenReadOnly", resource)
                when { resource in [Dir::"/usr/", Dir::"/etc/", Dir::"/lib/", Dir::"/lib64/", Dir::"%1$s/readable/"] };
                permit (principal, action in [Action::"FileOpenReadOnly", Action::"FileOpenReadWrite"], resource)
                when { resource in Dir::"%1$s/writable/" || resource == File::"/dev/null" };
                permit (principal, action == Action::"ProcessExec", resource)
                when { resource in [Dir::"/usr/bin/", Dir::"/bin/"] };
                """.formatted(dir), "helper.cedar");
        var bounds = ((LoadResult.Loaded) r).snapshot().permitBounds(new Principal("sh", null));
        LandlockFloor floor = LandlockFloor.derive(bounds, PathAliases.none(), abi, FanotifyGate.UNMARKED_FS, List.of());

        Run ok = run(floor.encode(), "cat " + dir + "/readable/a.txt && echo w > " + dir + "/writable/new.txt && mkdir "
                + dir + "/writable/sub && cat " + dir + "/writable/new.txt > /dev/null && grep NoNewPrivs /proc/self/status"
                + " && env | grep -c TETHER_LANDLOCK || true");
        assertThat(ok.err()).isEmpty();
        assertThat(ok.out()).contains("readable").contains("NoNewPrivs:\t1").endsWith("0\n");

        Run denied = run(floor.encode(), "cat " + dir + "/secret.txt; echo x > " + dir + "/readable/b.txt; echo $?;"
                + " ls " + dir + " >/dev/null; echo $?");
        assertThat(denied.out()).isEqualTo("2\n2\n");
        assertThat(denied.err()).contains(dir + "/secret.txt: Permission denied")
                .contains(dir + "/readable/b.txt: Permission denied");
        assertThat(Files.exists(dir.resolve("readable/b.txt"))).isFalse();
    }

    @Test
    void aMissingPermittedPathIsGrantedAtItsNearestAncestorAndSaidSo(@TempDir Path dir) throws Exception {
        long rw = LandlockFloor.writeRights(Landlock.fsRights(abi));
        String ruleset = "tether-landlock-1 fs=" + Long.toHexString(Landlock.fsRights(abi)) + " net=0 path="
                + Long.toHexString(rw) + ":a:" + dir + "/not/yet path=" + Long.toHexString(LandlockFloor.execRights(~0L))
                + ":a:/usr/bin path=" + Long.toHexString(LandlockFloor.execRights(~0L)) + ":o:/no/such/loader"
                + " path=4:a:/usr path=4:o:/lib path=4:o:/lib64 path=5:o:/lib64/ld-linux-x86-64.so.2"
                + " unjudged=ffff:proc";
        Run r = run(ruleset, "mkdir -p " + dir + "/not/yet && echo ok > " + dir + "/not/yet/f && echo done");
        assertThat(r.out()).isEqualTo("done\n");
        assertThat(r.err()).contains(dir + "/not/yet does not exist in the sandbox: its rights are granted at " + dir);
    }

    @Test
    void failsClosedOnABadRuleset() throws Exception {
        Run r = run("tether-landlock-1 fs=ffff net=0 path=zz:a:/usr", "echo ran");
        assertThat(r.exit()).isEqualTo(125);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).contains("malformed path rights").contains("fails closed");
        Run unknownRight = run("tether-landlock-1 fs=ffffffffff net=0", "echo ran");
        assertThat(unknownRight.exit()).isEqualTo(125);
        assertThat(unknownRight.err()).contains("landlock_create_ruleset");
    }
}
