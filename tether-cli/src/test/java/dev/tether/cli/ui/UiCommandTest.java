package dev.tether.cli.ui;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.cli.Main;
import dev.tether.server.ControlPlane;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class UiCommandTest {
    @TempDir Path dir;

    @Test
    void servesThePolicyBehindTheTokenItPrints() throws Exception {
        Path policy = dir.resolve("p.cedar");
        Files.writeString(policy, "permit (principal, action == Action::\"FileOpen\", resource);\n");
        CommandLine cli = Main.newCommandLine();
        StringWriter out = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.parseArgs("ui", "--listen", "127.0.0.1:0", "--policy", policy.toString());
        UiCommand ui = cli.getSubcommands().get("ui").getCommand();
        try (ControlPlane plane = ui.start()) {
            String printed = out.toString();
            assertThat(printed).contains("tether control UI: http://127.0.0.1:" + plane.port() + "/?token=");
            String token = printed.substring(printed.indexOf("?token=") + 7).lines().findFirst().orElseThrow().trim();
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> withToken = http.send(HttpRequest.newBuilder(URI.create(plane.baseUri() + "api/policies"))
                    .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(withToken.statusCode()).isEqualTo(200);
            assertThat(withToken.body()).contains("FileOpen");
            HttpResponse<String> without = http.send(HttpRequest.newBuilder(URI.create(plane.baseUri() + "api/policies"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(without.statusCode()).isEqualTo(401);
        }
    }

    @Test
    void learnsFromTheAuditStoreItIsGiven() throws Exception {
        Path project = dir.resolve("proj");
        Files.createDirectories(project.resolve(".tether"));
        Path policy = project.resolve(".tether/policy.cedar");
        Files.writeString(policy, "permit (principal, action == Action::\"FileOpenReadOnly\", resource in Dir::\"/workspace/\");\n");
        Path db = dir.resolve("audit.db");
        try (dev.tether.events.store.AuditStore store = dev.tether.events.store.AuditStore.open(db)) {
            store.append(java.util.List.of(dev.tether.events.Event.builder(dev.tether.events.EventKind.FILE_OPEN_READ_ONLY)
                    .session("s1").principal("claude").layer(dev.tether.events.EventLayer.FANOTIFY)
                    .resource("/workspace/README").decision(dev.tether.events.Verdict.ALLOW, java.util.List.of("policy0"), "allowed")
                    .build()));
        }
        CommandLine cli = Main.newCommandLine();
        StringWriter out = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.parseArgs("ui", "--listen", "127.0.0.1:0", "--policy", policy.toString(), "--audit", db.toString());
        UiCommand ui = cli.getSubcommands().get("ui").getCommand();
        try (ControlPlane plane = ui.start()) {
            String token = out.toString().substring(out.toString().indexOf("?token=") + 7).lines().findFirst().orElseThrow().trim();
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(plane.baseUri()
                    + "api/suggestions")).header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            // The project is the policy's (proj/.tether/policy.cedar): /workspace paths are written with its own path.
            assertThat(r.body()).contains("File::\\\"" + project.toAbsolutePath() + "/README\\\"");
        }
        assertThat(UiCommand.projectOf(Path.of("/srv/app/.tether/policy.cedar"))).isEqualTo(Path.of("/srv/app"));
        CommandLine again = Main.newCommandLine();
        StringWriter err = new StringWriter();
        again.setErr(new PrintWriter(err));
        assertThat(again.execute("ui", "--listen", "127.0.0.1:0", "--policy", policy.toString(), "--audit",
                dir.resolve("none.db").toString())).isEqualTo(2);
        assertThat(err.toString()).contains("no audit database at");
    }

    @Test
    void refusesANonLoopbackAddressWithoutTheOptIn() throws Exception {
        Path policy = dir.resolve("p.cedar");
        Files.writeString(policy, "permit (principal, action, resource);\n");
        CommandLine cli = Main.newCommandLine();
        StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err));
        int code = cli.execute("ui", "--listen", "0.0.0.0:0", "--policy", policy.toString());
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("refusing to listen on non-loopback address 0.0.0.0");
    }

    @Test
    void refusesABrokenPolicyWithItsLocation() throws Exception {
        Path policy = dir.resolve("bad.cedar");
        Files.writeString(policy, "permit (principal, action == Action::\"Nope\", resource);\n");
        CommandLine cli = Main.newCommandLine();
        StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err));
        assertThat(cli.execute("ui", "--listen", "127.0.0.1:0", "--policy", policy.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("bad.cedar:1:30").contains("unknown action");
    }
}
