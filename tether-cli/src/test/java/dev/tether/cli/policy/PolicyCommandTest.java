package dev.tether.cli.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The policy commands through the real command line (picocli parsing, exit codes, output). */
class PolicyCommandTest {
    static final String POLICY = """
            @id("project")
            permit (principal, action in [Action::"FileOpenReadOnly", Action::"FileOpenReadWrite"], resource in Dir::"/workspace/");
            forbid (principal, action == Action::"FileOpenReadWrite", resource)
            when { resource in Dir::"/workspace/.git/hooks/" || resource == File::"/workspace/.git/config" };
            permit (principal, action == Action::"ProcessExec", resource in Dir::"/usr/bin/");
            forbid (principal, action == Action::"ProcessExec", resource == File::"/usr/bin/git")
            when { context.argv.contains("push") };
            permit (principal in Team::"net", action == Action::"NetworkConnect", resource)
            when { resource in [Host::"api.example.com:443"] || resource in Net::"10.0.0.0/8" };
            permit (principal, action == Action::"NetworkConnect", resource == Host::"10.88.0.1")
            when { context.port == 53 && context.protocol == "udp" };
            permit (principal, action == Action::"HttpRewrite", resource == Host::"api.example.com")
            when { context.header == "Authorization" && context.value == "secret:EXAMPLE" };
            permit (principal, action == Action::"McpCall", resource in MCP::Server::"fs")
            unless { context.arguments has path && context.arguments.path like "/etc/*" };
            """;

    @TempDir
    Path dir;

    Path policy;
    Path principals;
    StringWriter out;
    StringWriter err;

    @BeforeEach
    void files() throws Exception {
        policy = dir.resolve("policy.cedar");
        Files.writeString(policy, POLICY);
        principals = dir.resolve("principals.toml");
        Files.writeString(principals, "[agents.claude]\nteams = [\"net\"]\n");
    }

    int run(String... args) {
        out = new StringWriter();
        err = new StringWriter();
        CommandLine cli = Main.newCommandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    @Test
    void checkReportsAndExitsZeroOrOne() throws Exception {
        assertThat(run("policy", "check", policy.toString())).isZero();
        assertThat(out.toString()).contains("ok, 8 statements");

        Path bad = dir.resolve("bad.cedar");
        Files.writeString(bad, "permit (principal, action == Action::\"FileOpn\", resource);\n");
        assertThat(run("policy", "check", bad.toString())).isEqualTo(1);
        assertThat(out.toString()).contains(bad + ":1:30: error TP010").contains("^").contains("help: did you mean")
                .contains("invalid, 1 error");

        assertThat(run("policy", "check", bad.toString(), "--json")).isEqualTo(1);
        JsonNode j = new ObjectMapper().readTree(out.toString());
        assertThat(j.get("valid").asBoolean()).isFalse();
        assertThat(j.get("findings").get(0).get("code").asText()).isEqualTo("TP010");
        assertThat(j.get("findings").get(0).get("line").asInt()).isEqualTo(1);
        assertThat(j.get("findings").get(0).get("column").asInt()).isEqualTo(30);
    }

    @Test
    void decideFilesAndExec() {
        assertThat(run("policy", "decide", policy.toString(), "--action", "FileOpenReadWrite", "--resource",
                "/workspace/.git/config", "--cedar")).isEqualTo(1);
        assertThat(out.toString()).startsWith("DENY").contains("forbid policy1 at " + policy + ":3:1")
                .contains("cedar-java: DENY [policy1] (agrees)");
        assertThat(run("policy", "decide", policy.toString(), "--action", "FileOpenReadWrite", "--resource",
                "File::\"/workspace/src/a.c\"")).isZero();
        assertThat(out.toString()).startsWith("ALLOW").contains("permit project at");
        assertThat(run("policy", "decide", policy.toString(), "--action", "ProcessExec", "--resource", "/usr/bin/git",
                "--context", "argv=push origin")).isEqualTo(1);
        assertThat(run("policy", "decide", policy.toString(), "--action", "processexec", "--resource", "/usr/bin/git",
                "--context", "argv=status")).isZero();
    }

    @Test
    void decideNetworkWithPrincipalsAndJson() throws Exception {
        assertThat(run("policy", "decide", policy.toString(), "--action", "NetworkConnect", "--resource", "10.1.2.3",
                "--principal", "claude")).isEqualTo(1);
        assertThat(out.toString()).contains("no permit matched");
        assertThat(run("policy", "decide", policy.toString(), "--principals", principals.toString(), "--action",
                "NetworkConnect", "--resource", "10.1.2.3", "--principal", "Agent::\"claude\"", "--json", "--cedar")).isZero();
        JsonNode j = new ObjectMapper().readTree(out.toString());
        assertThat(j.get("decision").asText()).isEqualTo("ALLOW");
        assertThat(j.get("cedar").get("agrees").asBoolean()).isTrue();
        assertThat(run("policy", "decide", policy.toString(), "--action", "NetworkConnect", "--resource", "10.88.0.1:53",
                "--context", "protocol=udp")).isZero();
        assertThat(run("policy", "decide", policy.toString(), "--action", "NetworkConnect", "--resource", "10.88.0.1:53")).isEqualTo(1);
    }

    @Test
    void decideMcpAndRewrites() {
        assertThat(run("policy", "decide", policy.toString(), "--action", "McpCall", "--resource", "fs/read_file",
                "--context", "arguments={\"path\":\"/workspace/a\"}")).isZero();
        assertThat(run("policy", "decide", policy.toString(), "--action", "McpCall", "--resource", "fs/read_file",
                "--context", "arguments={\"path\":\"/etc/shadow\"}")).isEqualTo(1);
        assertThat(run("policy", "decide", policy.toString(), "--action", "McpCall", "--resource", "fs/read_file",
                "--context", "arguments={\"path\":7}")).isEqualTo(1);
        assertThat(out.toString()).contains("context.arguments.path is an integer but the policy uses it as a String");
        assertThat(run("policy", "decide", policy.toString(), "--action", "HttpRewrite", "--resource", "api.example.com")).isZero();
        assertThat(out.toString()).contains("Authorization: secret:EXAMPLE");
        assertThat(run("policy", "decide", policy.toString(), "--action", "HttpRewrite", "--resource", "other.example.com",
                "--context", "header=Authorization")).isEqualTo(1);
    }

    @Test
    void badInputIsOneLineAndExitTwo() throws Exception {
        assertThat(run("policy", "decide", policy.toString(), "--action", "FileOpn", "--resource", "/x")).isEqualTo(2);
        assertThat(err.toString()).startsWith("tether: unknown action FileOpn").doesNotContain("Exception");
        assertThat(run("policy", "decide", policy.toString(), "--action", "FileOpenReadOnly", "--resource", "etc/passwd")).isEqualTo(2);
        assertThat(run("policy", "decide", policy.toString(), "--action", "FileOpenReadOnly", "--resource", "/x",
                "--context", "argv=a")).isEqualTo(2);
        assertThat(err.toString()).contains("takes no context");
        Path bad = dir.resolve("bad.cedar");
        Files.write(bad, new byte[] {'p', (byte) 0xff});
        assertThat(run("policy", "decide", bad.toString(), "--action", "FileOpenReadOnly", "--resource", "/x")).isEqualTo(2);
        assertThat(err.toString()).contains("TP002").contains("does not load");
    }

    @Test
    void fmtPrintsChecksAndWrites() throws Exception {
        Path messy = dir.resolve("messy.cedar");
        Files.writeString(messy, "// hello\npermit(principal,action==Action::\"FileOpenReadOnly\",resource);\n");
        assertThat(run("policy", "fmt", messy.toString())).isZero();
        String pretty = out.toString();
        assertThat(pretty).contains("// hello").contains("action == Action::\"FileOpenReadOnly\"");
        assertThat(run("policy", "fmt", "--check", messy.toString())).isEqualTo(1);
        assertThat(run("policy", "fmt", "--write", messy.toString())).isZero();
        assertThat(Files.readString(messy)).isEqualTo(pretty);
        assertThat(run("policy", "fmt", "--check", messy.toString())).isZero();
        Path bad = dir.resolve("bad.cedar");
        Files.writeString(bad, "permit(principal, action, resource) when {");
        assertThat(run("policy", "fmt", "--write", bad.toString())).isEqualTo(2);
        assertThat(Files.readString(bad)).isEqualTo("permit(principal, action, resource) when {");
    }
}
