package dev.tether.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StarterPolicyTest {
    @TempDir
    Path project;

    static PolicySnapshot load(String text) {
        LoadResult r = PolicyLoader.parse(text, "starter.cedar");
        assertThat(r.findings()).as("findings: %s", r.findings().stream().map(Finding::render).toList()).isEmpty();
        return ((LoadResult.Loaded) r).snapshot();
    }

    static boolean allowed(PolicySnapshot s, Request r) {
        return s.decide(r).allowed();
    }

    @ParameterizedTest
    @ValueSource(strings = {"claude", "codex", "gemini", "qwen", "opencode", "my-own-agent"})
    void everyAgentsStarterLoadsCleanlyAndIsLeastPrivilege(String agent) throws Exception {
        Files.writeString(project.resolve("package.json"), "{}");
        PolicySnapshot s = load(StarterPolicy.forProject(project, agent));
        Principal p = new Principal(agent, "first-run");
        String proj = project.toString();
        assertThat(allowed(s, new FileRequest(p, Action.FILE_OPEN_READ_WRITE, proj + "/src/main.js"))).isTrue();
        assertThat(allowed(s, new FileRequest(p, Action.FILE_OPEN_READ_ONLY, proj))).isTrue();
        assertThat(allowed(s, new FileRequest(p, Action.FILE_OPEN_READ_WRITE, proj + "/.git/hooks/pre-commit"))).isFalse();
        assertThat(allowed(s, new FileRequest(p, Action.FILE_OPEN_READ_ONLY, proj + "/.git/hooks/pre-commit"))).isTrue();
        assertThat(allowed(s, new FileRequest(p, Action.FILE_OPEN_READ_WRITE, proj + "/.git/config"))).isFalse();
        assertThat(allowed(s, new FileRequest(p, Action.FILE_OPEN_READ_WRITE, proj + "/.git/index"))).isTrue();
        assertThat(allowed(s, new FileRequest(p, Action.FILE_OPEN_READ_ONLY, "/etc/ssl/certs/ca-certificates.crt"))).isTrue();
        assertThat(allowed(s, new FileRequest(p, Action.FILE_OPEN_READ_WRITE, "/etc/passwd"))).isFalse();
        assertThat(allowed(s, new FileRequest(p, Action.FILE_OPEN_READ_WRITE, "/usr/bin/git"))).isFalse();
        assertThat(allowed(s, new FileRequest(p, Action.FILE_OPEN_READ_WRITE, "/tmp/x"))).isTrue();
        assertThat(allowed(s, new FileRequest(p, Action.FILE_OPEN_READ_WRITE, "/dev/null"))).isTrue();
        assertThat(allowed(s, new FileRequest(p, Action.FILE_OPEN_READ_ONLY, "/root/.ssh/id_ed25519"))).isFalse();
        assertThat(allowed(s, new FileRequest(p, Action.FILE_OPEN_READ_WRITE, "/root/.bashrc"))).isFalse();
        assertThat(allowed(s, new ExecRequest(p, "/usr/bin/git", List.of("git", "status")))).isTrue();
        assertThat(allowed(s, new ExecRequest(p, proj + "/gradlew", List.of("./gradlew")))).isFalse();
        assertThat(allowed(s, new ExecRequest(p, proj + "/.git/hooks/post-checkout", List.of("hook")))).isFalse();
        assertThat(allowed(s, new NetworkRequest(p, "registry.npmjs.org", null, 443, Transport.TCP))).isTrue();
        assertThat(allowed(s, new NetworkRequest(p, "pypi.org", null, 443, Transport.TCP))).isFalse();
        assertThat(allowed(s, new NetworkRequest(p, "evil.example", null, 443, Transport.TCP))).isFalse();
        assertThat(allowed(s, new NetworkRequest(p, null, InetAddress.ofLiteral("169.254.169.254"), 80, Transport.TCP))).isFalse();
    }

    @Test
    void agentApiHostsAndStateAreAllowed() {
        PolicySnapshot s = load(StarterPolicy.forProject(project, "claude"));
        Principal p = Principal.agent("claude");
        assertThat(allowed(s, new NetworkRequest(p, "api.anthropic.com", null, 443, Transport.TCP))).isTrue();
        assertThat(allowed(s, new NetworkRequest(p, "api.anthropic.com", null, 80, Transport.TCP))).isFalse();
        assertThat(allowed(s, new NetworkRequest(p, "api.openai.com", null, 443, Transport.TCP))).isFalse();
        assertThat(allowed(s, new FileRequest(p, Action.FILE_OPEN_READ_WRITE, "/root/.claude/settings.json"))).isTrue();
        assertThat(allowed(s, new FileRequest(p, Action.FILE_OPEN_READ_WRITE, "/root/.claude.json"))).isTrue();
        PolicySnapshot codex = load(StarterPolicy.forProject(project, "codex", Path.of("/home/agent")));
        Principal c = Principal.agent("codex");
        assertThat(allowed(codex, new NetworkRequest(c, "api.openai.com", null, 443, Transport.TCP))).isTrue();
        assertThat(allowed(codex, new FileRequest(c, Action.FILE_OPEN_READ_WRITE, "/home/agent/.codex/auth.json"))).isTrue();
    }

    @Test
    void registriesFollowTheProjectsBuildFiles() throws Exception {
        Files.writeString(project.resolve("pom.xml"), "<project/>");
        Files.writeString(project.resolve("go.mod"), "module x");
        String text = StarterPolicy.forProject(project, "claude");
        PolicySnapshot s = load(text);
        Principal p = Principal.agent("claude");
        assertThat(allowed(s, new NetworkRequest(p, "repo.maven.apache.org", null, 443, Transport.TCP))).isTrue();
        assertThat(allowed(s, new NetworkRequest(p, "proxy.golang.org", null, 443, Transport.TCP))).isTrue();
        assertThat(allowed(s, new NetworkRequest(p, "registry.npmjs.org", null, 443, Transport.TCP))).isFalse();
        assertThat(text).contains("// Maven Central (JVM project).").contains("// Go module proxy (go.mod).");
    }

    @Test
    void oddProjectPathsAreEscaped() throws Exception {
        Path odd = Files.createDirectories(project.resolve("we\"ird\\ name"));
        PolicySnapshot s = load(StarterPolicy.forProject(odd, "claude"));
        Principal p = Principal.agent("claude");
        assertThat(allowed(s, new FileRequest(p, Action.FILE_OPEN_READ_WRITE, odd + "/a.txt"))).isTrue();
        assertThat(allowed(s, new FileRequest(p, Action.FILE_OPEN_READ_WRITE, odd + "/.git/config"))).isFalse();
    }
}
