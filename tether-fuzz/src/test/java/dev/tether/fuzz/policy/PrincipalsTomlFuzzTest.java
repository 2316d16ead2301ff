package dev.tether.fuzz.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tether.policy.Finding;
import dev.tether.policy.principals.PrincipalDirectory;
import dev.tether.policy.principals.PrincipalsFile;
import java.nio.charset.StandardCharsets;

/**
 * The principals file (which teams agents and sessions belong to, TOML) loads into a directory or
 * into located findings, never both and never an exception; team membership of a loaded
 * directory is computable for any principal (cycles were refused).
 */
class PrincipalsTomlFuzzTest {
    @FuzzTest
    @DictionaryFile(resourcePath = "principals.dict")
    void principalsToml(byte[] input) {
        String text = new String(input, StandardCharsets.UTF_8);
        PrincipalsFile.Result r = PrincipalsFile.parse(text, "principals.toml");
        if (r.directory() == null) {
            assertThat(r.errors()).isNotEmpty();
            for (Finding f : r.errors()) {
                assertThat(f.line()).isGreaterThanOrEqualTo(1);
                assertThat(f.column()).isGreaterThanOrEqualTo(1);
            }
            return;
        }
        assertThat(r.errors()).isEmpty();
        PrincipalDirectory dir = r.directory();
        for (String agent : dir.agentTeams().keySet()) {
            dir.teamsOf(agent, null);
        }
        for (String session : dir.sessionTeams().keySet()) {
            dir.teamsOf("claude", session);
        }
    }
}
