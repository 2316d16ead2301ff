package dev.tether.cli.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ExecEventLogTest {
    @Test
    void quotesArgumentsSoTheConsoleLineIsUnambiguous() {
        assertThat(ExecEventLog.quoteArgv(List.of("git", "commit", "-m", "it's done", ""))).isEqualTo(
                "git commit -m 'it'\\''s done' ''");
        assertThat(ExecEventLog.quoteArgv(List.of("printf", "a\nb"))).isEqualTo("printf 'a\\nb'");
        assertThat(ExecEventLog.quoteArgv(List.of("/usr/bin/env", "X=1", "a@b:c,d"))).isEqualTo("/usr/bin/env X=1 a@b:c,d");
    }
}
