package dev.tether.kernel.enforce;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.policy.LoadResult;
import dev.tether.policy.Mode;
import dev.tether.policy.PolicyLoader;
import dev.tether.policy.Principal;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which directories one judgment may stand for ({@link FileAccessJudge#opensInsideAllowed}), under
 * both of the project's names, and where tether's own files may lie ({@link ProtectedFiles#mayHold}).
 */
class FileAccessJudgeTest {
    private static final String PROJECT = "/home/dev/proj";
    private static final Principal WHO = new Principal("claude", "s1");

    private static SessionPolicy policy(String text, Mode mode) {
        return new SessionPolicy(((LoadResult.Loaded) PolicyLoader.parse(text, "policy.cedar")).snapshot(), WHO, mode);
    }

    private static final String POLICY = """
            permit (principal, action in [Action::"FileOpenReadOnly", Action::"FileOpenReadWrite"], resource)
            when { resource in Dir::"/workspace/" };
            permit (principal, action == Action::"FileOpenReadOnly", resource in Dir::"/usr/");
            forbid (principal, action == Action::"FileOpenReadWrite", resource == File::"/workspace/out/keep.txt");
            forbid (principal, action == Action::"FileOpenReadOnly", resource in Dir::"/home/dev/proj/lib/private/");
            """;

    @Test
    void aDirectoryCountsOnlyWhenEveryOpenOfAnyChildIsAllowedUnderBothNames() {
        FileAccessJudge judge = new FileAccessJudge(PathAliases.project(PROJECT), new ProtectedFiles());
        SessionPolicy p = policy(POLICY, Mode.ENFORCE);
        // Permitted through /workspace, nothing inside told apart: yes, by either name.
        assertThat(judge.opensInsideAllowed(p, PROJECT + "/src")).isTrue();
        assertThat(judge.opensInsideAllowed(p, "/workspace/src")).isTrue();
        // A forbid names a file inside (by the /workspace name; asked by the project's own name too).
        assertThat(judge.opensInsideAllowed(p, PROJECT + "/out")).isFalse();
        assertThat(judge.opensInsideAllowed(p, "/workspace/out")).isFalse();
        // A forbid names a directory inside (by the project's own name; asked by /workspace too).
        assertThat(judge.opensInsideAllowed(p, "/workspace/lib")).isFalse();
        assertThat(judge.opensInsideAllowed(p, "/workspace/lib/private/deeper")).isFalse();
        // Alike but not allowed for writing (reads only), or not allowed at all.
        assertThat(judge.opensInsideAllowed(p, "/usr/lib")).isFalse();
        assertThat(judge.opensInsideAllowed(p, "/opt")).isFalse();
        // Shadow mode lets denials through, but a would-deny is no allow: still no.
        assertThat(judge.opensInsideAllowed(policy(POLICY, Mode.SHADOW), "/usr/lib")).isFalse();
    }

    @Test
    void aProtectedFilesDirectoryMayHoldItAndAnyDirectoryMayOnceItHasTwoNames(@TempDir Path dir) throws Exception {
        Path home = Files.createDirectories(dir.resolve("config"));
        Path other = Files.createDirectories(dir.resolve("other"));
        Path policyFile = Files.writeString(home.resolve("policy.cedar"), "");
        ProtectedFiles files = new ProtectedFiles().protectFromWrites(policyFile);
        FileKey homeKey = ProtectedFiles.key(home).orElseThrow();
        FileKey otherKey = ProtectedFiles.key(other).orElseThrow();
        assertThat(files.mayHold(homeKey)).isTrue();
        assertThat(files.mayHold(otherKey)).isFalse();
        Files.createLink(other.resolve("alias"), policyFile);
        files.refresh();
        assertThat(files.mayHold(otherKey)).isTrue();
    }
}
