package dev.tether.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class DecideSmokeTest {
    static final Principal CLAUDE = new Principal("claude", "s1");

    static PolicySnapshot load(String text) {
        LoadResult r = PolicyLoader.parse(text, "policy.cedar");
        if (r instanceof LoadResult.Rejected rej) {
            throw new AssertionError(rej.errors().stream().map(Finding::render).toList());
        }
        return ((LoadResult.Loaded) r).snapshot();
    }

    @Test
    void leashStylePolicyDecides() throws Exception {
        PolicySnapshot s = load("""
                permit (principal, action in [Action::"FileOpen", Action::"FileOpenReadOnly", Action::"FileOpenReadWrite"], resource)
                when { resource in [ Dir::"/workspace/" ] };

                forbid (principal, action == Action::"FileOpenReadWrite", resource)
                when { resource in [ Dir::"/workspace/secrets/" ] };

                permit (principal, action == Action::"ProcessExec", resource)
                when { resource in [ Dir::"/bin/", Dir::"/usr/bin/" ] };

                forbid (principal, action == Action::"ProcessExec", resource)
                when { resource in [ File::"/usr/bin/git" ] && context.argv.contains("push") };

                permit (principal, action == Action::"NetworkConnect", resource)
                when { resource in [ Host::"api.internal", Host::"*.corp.example" ] || resource in Net::"10.0.0.0/8" };
                """);
        assertThat(s.decide(new FileRequest(CLAUDE, Action.FILE_OPEN_READ_WRITE, "/workspace/a.txt")).allowed()).isTrue();
        Decision d = s.decide(new FileRequest(CLAUDE, Action.FILE_OPEN_READ_WRITE, "/workspace/secrets/../secrets/k"));
        assertThat(d.allowed()).isFalse();
        assertThat(d.reason()).isEqualTo("denied: forbid policy1 at policy.cedar:4:1 matched /workspace/secrets/k");
        assertThat(s.decide(new FileRequest(CLAUDE, Action.FILE_OPEN_READ_ONLY, "/workspacedata/x")).allowed()).isFalse();
        assertThat(s.decide(new ExecRequest(CLAUDE, "/usr/bin/git", List.of("git", "status"))).allowed()).isTrue();
        assertThat(s.decide(new ExecRequest(CLAUDE, "/usr/bin/git", List.of("git", "push", "origin"))).allowed()).isFalse();
        assertThat(s.decide(new NetworkRequest(CLAUDE, "a.b.corp.example", null, 443, Transport.TCP)).allowed()).isTrue();
        assertThat(s.decide(new NetworkRequest(CLAUDE, "corp.example", null, 443, Transport.TCP)).allowed()).isFalse();
        assertThat(s.decide(new NetworkRequest(CLAUDE, null, InetAddress.ofLiteral("10.2.3.4"), 22, Transport.UDP)).allowed()).isTrue();
        assertThat(s.decide(new NetworkRequest(CLAUDE, null, InetAddress.ofLiteral("11.2.3.4"), 22, Transport.UDP)).allowed()).isFalse();
        NetworkRules rules = s.networkRules(CLAUDE);
        assertThat(rules.allows(InetAddress.ofLiteral("10.2.3.4"), 22, Transport.UDP)).isTrue();
        assertThat(rules.allows(InetAddress.ofLiteral("11.2.3.4"), 22, Transport.UDP)).isFalse();
        assertThat(rules.hostnamePermits()).isTrue();
    }
}
