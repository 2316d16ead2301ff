package dev.tether.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.tether.policy.cedar.CedarReference;
import dev.tether.policy.principals.PrincipalsFile;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The semantics issue 3 states, one assertion each, checked against the engine and against
 * cedar-java on the same request.
 */
class IssueSemanticsTest {
    static final Principal CLAUDE = new Principal("claude", "s1");

    static PolicySnapshot load(String text) {
        return load(text, "");
    }

    static PolicySnapshot load(String text, String principals) {
        var dir = PrincipalsFile.parse(principals, "principals.toml").directory();
        LoadResult r = PolicyLoader.parse(text, "policy.cedar", dir);
        assertThat(r.findings()).as("%s", r.findings().stream().map(Finding::render).toList())
                .noneMatch(f -> f.severity() == Severity.ERROR);
        return ((LoadResult.Loaded) r).snapshot();
    }

    /** The engine's answer, after checking cedar-java gives the same one. */
    static boolean allowed(PolicySnapshot s, Request r) {
        boolean ours = s.decide(r).allowed();
        assertThat(new CedarReference(s).decide(r).allowed()).as("cedar-java on %s", r).isEqualTo(ours);
        return ours;
    }

    static NetworkRequest host(String h, int port) {
        return new NetworkRequest(CLAUDE, h, null, port, Transport.TCP);
    }

    static NetworkRequest ip(String a, int port, Transport t) {
        return new NetworkRequest(CLAUDE, null, InetAddress.ofLiteral(a), port, t);
    }

    @Test
    void wildcardMatchesSubdomainsAtAnyDepthButNeverTheApexOrALookalike() {
        PolicySnapshot s = load("permit (principal, action == Action::\"NetworkConnect\", resource in Host::\"*.example.com\");");
        assertThat(allowed(s, host("a.example.com", 443))).isTrue();
        assertThat(allowed(s, host("x.a.example.com", 443))).isTrue();
        assertThat(allowed(s, host("example.com", 443))).isFalse();
        assertThat(allowed(s, host("badexample.com", 443))).isFalse();
    }

    @Test
    void dnsZoneCoversTheApexAndAllSubdomains() {
        PolicySnapshot s = load("forbid (principal, action == Action::\"NetworkConnect\", resource in DnsZone::\"example.com\");"
                + "permit (principal, action == Action::\"NetworkConnect\", resource);");
        assertThat(allowed(s, host("example.com", 443))).isFalse();
        assertThat(allowed(s, host("deep.a.example.com", 80))).isFalse();
        assertThat(allowed(s, host("example.org", 443))).isTrue();
        assertThat(allowed(s, host("notexample.com", 443))).isTrue();
    }

    @Test
    void directoriesMatchByPathComponentAfterNormalisation() {
        PolicySnapshot s = load("permit (principal, action == Action::\"FileOpenReadOnly\", resource in Dir::\"/srv/\");");
        Action ro = Action.FILE_OPEN_READ_ONLY;
        assertThat(allowed(s, new FileRequest(CLAUDE, ro, "/srv/a/b"))).isTrue();
        assertThat(allowed(s, new FileRequest(CLAUDE, ro, "/srv"))).isTrue();
        assertThat(allowed(s, new FileRequest(CLAUDE, ro, "/srvdata"))).isFalse();
        assertThat(allowed(s, new FileRequest(CLAUDE, ro, "/srvdata/x"))).isFalse();
        assertThat(allowed(s, new FileRequest(CLAUDE, ro, "/srv/../etc/passwd"))).isFalse();
        assertThat(allowed(s, new FileRequest(CLAUDE, ro, "/etc/../srv//x/./y/"))).isTrue();
        assertThat(allowed(s, new FileRequest(CLAUDE, ro, "srv/x"))).isFalse();
    }

    @Test
    void forbidBeatsPermitAndOrderNeverMatters() {
        String permit = "permit (principal, action == Action::\"FileOpenReadWrite\", resource in Dir::\"/w/\");\n";
        String forbid = "forbid (principal, action == Action::\"FileOpenReadWrite\", resource == File::\"/w/.env\");\n";
        for (String text : List.of(permit + forbid, forbid + permit)) {
            PolicySnapshot s = load(text);
            Decision d = s.decide(new FileRequest(CLAUDE, Action.FILE_OPEN_READ_WRITE, "/w/.env"));
            assertThat(d.allowed()).isFalse();
            assertThat(d.reason()).startsWith("denied: forbid policy").endsWith("matched /w/.env");
            assertThat(allowed(s, new FileRequest(CLAUDE, Action.FILE_OPEN_READ_WRITE, "/w/src"))).isTrue();
        }
        assertThat(allowed(load(""), new FileRequest(CLAUDE, Action.FILE_OPEN_READ_ONLY, "/"))).as("default deny").isFalse();
    }

    @Test
    void principalsSessionsAndTeamsFromThePrincipalsFile() {
        PolicySnapshot s = load("""
                permit (principal == Agent::"codex", action == Action::"FileOpenReadOnly", resource in Dir::"/a/");
                permit (principal in Session::"s1", action == Action::"FileOpenReadOnly", resource in Dir::"/b/");
                permit (principal in Team::"everyone", action == Action::"FileOpenReadOnly", resource in Dir::"/c/");
                """, "[agents.claude]\nteams = [\"dev\"]\n[teams.dev]\nteams = [\"everyone\"]\n");
        Principal codex = new Principal("codex", "s9");
        assertThat(allowed(s, new FileRequest(codex, Action.FILE_OPEN_READ_ONLY, "/a/x"))).isTrue();
        assertThat(allowed(s, new FileRequest(CLAUDE, Action.FILE_OPEN_READ_ONLY, "/a/x"))).isFalse();
        assertThat(allowed(s, new FileRequest(CLAUDE, Action.FILE_OPEN_READ_ONLY, "/b/x"))).isTrue();
        assertThat(allowed(s, new FileRequest(codex, Action.FILE_OPEN_READ_ONLY, "/b/x"))).isFalse();
        assertThat(allowed(s, new FileRequest(CLAUDE, Action.FILE_OPEN_READ_ONLY, "/c/x"))).as("nested team").isTrue();
        assertThat(allowed(s, new FileRequest(codex, Action.FILE_OPEN_READ_ONLY, "/c/x"))).isFalse();
    }

    @Test
    void cidrIpv6PortsAndProtocols() {
        PolicySnapshot s = load("""
                permit (principal, action == Action::"NetworkConnect", resource)
                when { resource in Net::"10.0.0.0/8" && !(resource in Net::"10.1.0.0/16") };
                permit (principal, action == Action::"NetworkConnect", resource)
                when { resource in Net::"fd00::/8" && context.protocol == "udp" && context.port >= 1024 };
                permit (principal, action == Action::"NetworkConnect", resource in Host::"[::1]:8080");
                """);
        assertThat(allowed(s, ip("10.2.3.4", 22, Transport.TCP))).isTrue();
        assertThat(allowed(s, ip("10.1.3.4", 22, Transport.TCP))).isFalse();
        assertThat(allowed(s, ip("fd12::1", 5353, Transport.UDP))).isTrue();
        assertThat(allowed(s, ip("fd12::1", 53, Transport.UDP))).isFalse();
        assertThat(allowed(s, ip("fd12::1", 5353, Transport.TCP))).isFalse();
        assertThat(allowed(s, ip("::1", 8080, Transport.TCP))).isTrue();
        assertThat(allowed(s, ip("::1", 8081, Transport.TCP))).isFalse();
        assertThat(allowed(s, ip("::ffff:10.2.3.4", 22, Transport.TCP))).as("v4-mapped is v4").isTrue();
        NetworkRules rules = s.networkRules(CLAUDE);
        assertThat(rules.allows(InetAddress.ofLiteral("10.2.3.4"), 22, Transport.TCP)).isTrue();
        assertThat(rules.allows(InetAddress.ofLiteral("10.1.3.4"), 22, Transport.TCP)).isFalse();
        assertThat(rules.allows(InetAddress.ofLiteral("fd12::1"), 5353, Transport.UDP)).isTrue();
        assertThat(rules.allows(InetAddress.ofLiteral("fd12::1"), 1023, Transport.UDP)).isFalse();
        assertThat(rules.lookup(InetAddress.ofLiteral("10.1.3.4")).prefix().toString()).isEqualTo("10.1.0.0/16");
        assertThat(rules.lookup(InetAddress.ofLiteral("10.1.3.4")).rules()).isEmpty();
        assertThat(rules.hostnamePermits()).isFalse();
    }

    @Test
    void execArgumentsArgvAndArgs() {
        PolicySnapshot s = load("""
                permit (principal, action == Action::"ProcessExec", resource in Dir::"/usr/bin/");
                forbid (principal, action == Action::"ProcessExec", resource == File::"/usr/bin/git")
                when { context.argv.contains("push") };
                forbid (principal, action == Action::"ProcessExec", resource == File::"/usr/bin/rm")
                when { context.args like "-rf /*" };
                """);
        assertThat(allowed(s, new ExecRequest(CLAUDE, "/usr/bin/git", List.of("git", "push", "origin")))).isFalse();
        assertThat(allowed(s, new ExecRequest(CLAUDE, "/usr/bin/git", List.of("push", "status")))).as("argv[0] is not an argument").isTrue();
        assertThat(allowed(s, new ExecRequest(CLAUDE, "/usr/bin/rm", List.of("rm", "-rf", "/home")))).isFalse();
        assertThat(allowed(s, new ExecRequest(CLAUDE, "/usr/bin/rm", List.of("rm", "-rf", "build")))).isTrue();
    }

    @Test
    void mcpPermitIsAnEnforcedAllowlistWithArgumentConditions() {
        PolicySnapshot s = load("""
                permit (principal, action == Action::"McpCall", resource in MCP::Server::"fs")
                unless { context.arguments has path && context.arguments.path like "/etc/*" };
                """);
        var f = JsonNodeFactory.instance;
        assertThat(allowed(s, new McpRequest(CLAUDE, "fs", "read_file", f.objectNode().put("path", "/w/a")))).isTrue();
        assertThat(allowed(s, new McpRequest(CLAUDE, "fs", "read_file", f.objectNode().put("path", "/etc/shadow")))).isFalse();
        assertThat(allowed(s, new McpRequest(CLAUDE, "web", "fetch", null))).as("not on the allowlist").isFalse();
        Decision mistyped = s.decide(new McpRequest(CLAUDE, "fs", "read_file", f.objectNode().set("path", f.arrayNode().add("/etc/shadow"))));
        assertThat(mistyped.allowed()).isFalse();
        assertThat(mistyped.reason()).contains("context.arguments.path is an array but the policy uses it as a String");
    }

    @Test
    void explanationsNameTheStatementItsLocationAndTheResource() {
        PolicySnapshot s = load("""
                permit (principal, action == Action::"FileOpenReadOnly", resource in Dir::"/workspace/");

                @id("no-env")
                forbid (principal, action == Action::"FileOpenReadOnly", resource == File::"/workspace/.env");
                """);
        Decision d = s.decide(new FileRequest(CLAUDE, Action.FILE_OPEN_READ_ONLY, "/workspace/.env"));
        assertThat(d.reason()).isEqualTo("denied: forbid no-env at policy.cedar:3:1 matched /workspace/.env");
        assertThat(d.determining()).containsExactly(new PolicyRef("no-env", "policy.cedar", 3, 1));
        Decision none = s.decide(new FileRequest(CLAUDE, Action.FILE_OPEN_READ_ONLY, "/etc/hosts"));
        assertThat(none.reason()).isEqualTo("denied: no permit matched FileOpenReadOnly /etc/hosts");
        assertThat(none.determining()).isEmpty();
    }
}
