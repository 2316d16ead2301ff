package dev.tether.kernel.enforce;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.policy.LoadResult;
import dev.tether.policy.Mode;
import dev.tether.policy.PolicyLoader;
import dev.tether.policy.PolicySnapshot;
import dev.tether.policy.Principal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Carrying a scan over to a reloaded policy is only done when a new scan would find the same. */
class ForbiddenInodesTest {
    @TempDir Path project;

    private String forbidSecret() {
        return "@id(\"no-secret\")\nforbid (principal, action == Action::\"FileOpenReadOnly\", resource == File::\""
                + project + "/secret\");\n"
                + "forbid (principal, action == Action::\"FileOpenReadWrite\", resource in Dir::\"" + project + "/locked/\");\n";
    }

    private String permitAll() {
        return "permit (principal, action in [Action::\"FileOpenReadOnly\", Action::\"FileOpenReadWrite\"], resource in Dir::\""
                + project + "/\");\n";
    }

    private static PolicySnapshot compile(String text) {
        return ((LoadResult.Loaded) PolicyLoader.parse(text, "policy.cedar")).snapshot();
    }

    private ForbiddenInodes scan(PolicySnapshot snapshot) throws Exception {
        FileAccessJudge judge = new FileAccessJudge(PathAliases.project(project.toString()), new ProtectedFiles());
        return ForbiddenInodes.scan(project, judge, new SessionPolicy(snapshot, new Principal("sh", "s1"), Mode.ENFORCE),
                ForbiddenInodes.DEFAULT_LIMIT);
    }

    private void tree() throws Exception {
        Files.writeString(project.resolve("secret"), "s");
        Files.createLink(project.resolve("innocent-name"), project.resolve("secret")); // same inode, permitted name
        Files.createDirectories(project.resolve("locked"));
        Files.writeString(project.resolve("locked/file"), "l");
        Files.writeString(project.resolve("readme"), "r");
    }

    @Test
    void sameForbidsUnderMovedStatementsCarryOverExactlyAsANewScanFinds() throws Exception {
        tree();
        PolicySnapshot before = compile(permitAll() + forbidSecret());
        // a permit added above the forbids: positional ids and lines of the forbids move
        PolicySnapshot after = compile("permit (principal, action == Action::\"ProcessExec\", resource in Dir::\"/usr/bin/\");\n\n"
                + permitAll() + forbidSecret());
        ForbiddenInodes scanned = scan(before);
        assertThat(scanned.denyRead()).as("the secret's inode (also reachable as innocent-name)").hasSize(1);

        ForbiddenInodes carried = scanned.carriedOver(before, after).orElseThrow();
        assertThat(carried).isEqualTo(scan(after));
        assertThat(carried.denyRead().values().iterator().next().determining().getFirst().location())
                .isEqualTo("policy.cedar:4:1");
    }

    @Test
    void anEditedForbidIsScannedAgain() throws Exception {
        tree();
        PolicySnapshot before = compile(permitAll() + forbidSecret());
        assertThat(scan(before).carriedOver(before, compile(permitAll() + forbidSecret().replace("/secret", "/readme"))))
                .isEmpty();
        assertThat(scan(before).carriedOver(before, compile(permitAll() + forbidSecret()
                + "forbid (principal, action == Action::\"FileOpenReadOnly\", resource == File::\"" + project + "/readme\");\n")))
                .as("an added forbid").isEmpty();
        assertThat(scan(before).carriedOver(before, compile(permitAll()))).as("a removed forbid").isEmpty();
    }

    @Test
    void forbiddenFilesAreConfinedWhenEachHasOneNameUnderAReadOnlyPath() throws Exception {
        Files.createDirectories(project.resolve("locked"));
        Files.writeString(project.resolve("locked/file"), "l");
        Files.writeString(project.resolve("secret"), "s");
        Files.writeString(project.resolve("readme"), "r");
        // Forbidden to read and to write: mounted read-only itself, like the directory where creating is forbidden.
        ForbiddenInodes both = scan(compile(permitAll() + forbidSecret()
                + "forbid (principal, action == Action::\"FileOpenReadWrite\", resource == File::\"" + project + "/secret\");\n"));
        assertThat(both.readOnlyPaths()).containsExactlyInAnyOrder(project.resolve("locked"), project.resolve("secret"));
        assertThat(both.confined()).isTrue();
        // Forbidden to read only: nothing makes it read-only, so a rename or link could take it anywhere.
        ForbiddenInodes readOnly = scan(compile(permitAll() + forbidSecret()));
        assertThat(readOnly.readOnlyPaths()).containsExactly(project.resolve("locked"));
        assertThat(readOnly.confined()).isFalse();
        // A second name (a hard link made before the session) anywhere: not confined.
        Files.createLink(project.resolve("locked-alias"), project.resolve("locked/file"));
        ForbiddenInodes linked = scan(compile(permitAll()
                + "forbid (principal, action == Action::\"FileOpenReadWrite\", resource in Dir::\"" + project + "/locked/\");\n"));
        assertThat(linked.isEmpty()).isFalse();
        assertThat(linked.confined()).isFalse();
        assertThat(ForbiddenInodes.none().confined()).isTrue();
        assertThat(ForbiddenInodes.none().isEmpty()).isTrue();
    }

    @Test
    void outsideTheProjectWhatForbidsReachIsFoundInTheSandboxsTree(@TempDir Path outside) throws Exception {
        // This process stands for the sandbox: its /proc/PID/root is the host's root.
        Files.createDirectories(outside.resolve("keys/deeper"));
        Files.writeString(outside.resolve("keys/a"), "a");
        Files.writeString(outside.resolve("keys/deeper/b"), "b");
        Files.writeString(outside.resolve("shadow"), "s");
        Files.writeString(outside.resolve("fine"), "f");
        tree();
        SessionPolicy policy = new SessionPolicy(compile(permitAll() + forbidSecret()
                + "forbid (principal, action == Action::\"FileOpenReadOnly\", resource in Dir::\"" + outside + "/keys/\");\n"
                + "forbid (principal, action == Action::\"FileOpenReadWrite\", resource == File::\"" + outside + "/shadow\");\n"),
                new Principal("sh", "s1"), Mode.ENFORCE);
        FileAccessJudge judge = new FileAccessJudge(PathAliases.project(project.toString()), new ProtectedFiles());
        int self = (int) ProcessHandle.current().pid();
        var libc = dev.tether.kernel.ffm.LibC.load();
        ForbiddenInodes found = ForbiddenInodes.scanOutside(self, List.of(project.toString(), "/workspace"), judge, policy, libc,
                ForbiddenInodes.OUTSIDE_LIMIT);
        assertThat(found.denyRead().keySet()).containsExactlyInAnyOrder(key(outside.resolve("keys/a")), key(outside.resolve("keys/deeper/b")));
        assertThat(found.denyWrite().keySet()).containsExactly(key(outside.resolve("shadow")));
        assertThat(found.truncated()).isFalse();
        assertThat(found.readOnlyPaths()).isEmpty();
        // One name each, on a writable mount: a link of them can be made on that mount only.
        assertThat(found.confined()).isTrue();
        assertThat(found.writableMounts()).hasSize(1);
        // The project is its own scan's: its forbidden secret is not walked here.
        assertThat(found.denyRead()).doesNotContainKey(key(project.resolve("secret")));
        ForbiddenInodes both = scan(policy.snapshot()).withOutside(found);
        assertThat(both.denyRead()).containsKeys(key(project.resolve("secret")), key(outside.resolve("keys/a")));
        assertThat(both.confined()).as("the project's secret has a second name").isFalse();
        assertThat(both.writableMounts()).isEqualTo(found.writableMounts());
        // A limit below what the reach holds: said, so the files beyond are known to be protected by name only.
        assertThat(ForbiddenInodes.scanOutside(self, List.of(project.toString()), judge, policy, libc, 2).truncated()).isTrue();
        // A forbid without a path constraint reaches the whole tree, from its root.
        SessionPolicy everywhere = new SessionPolicy(compile(permitAll() + "forbid (principal, action == Action::\"FileOpenReadWrite\","
                + " resource) unless { resource in Dir::\"/tmp/\" };\n"), new Principal("sh", "s1"), Mode.ENFORCE);
        ForbiddenInodes wide = ForbiddenInodes.scanOutside(self, List.of(project.toString()), judge, everywhere, libc, 50);
        assertThat(wide.truncated()).isTrue();
        assertThat(wide.denyWrite()).isNotEmpty();
    }

    private static FileKey key(Path p) {
        return ProtectedFiles.key(p).orElseThrow();
    }

    @Test
    void aPolicyWithoutForbidsFindsNothingToScanFor() throws Exception {
        tree();
        PolicySnapshot permits = compile(permitAll());
        assertThat(ForbiddenInodes.forbidsNothing(permits)).isTrue();
        ForbiddenInodes s = scan(permits);
        assertThat(s.denyRead()).isEmpty();
        assertThat(s.denyWrite()).isEmpty();
        assertThat(s.readOnlyPaths()).isEmpty();
        assertThat(ForbiddenInodes.forbidsNothing(compile(permitAll() + forbidSecret()))).isFalse();
    }
}
