package dev.tether.cli.ui;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.server.testing.HeadlessChromium;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The control plane fed by real sessions: {@code tether run} (the packaged jar, as root, built-in
 * sandbox, real kernel enforcement) serves the Control UI, and headless Chromium drives it. Each
 * session records to its own audit database. Screenshots: target/browser-screenshots/.
 */
class ControlPlaneSandboxIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration SESSION = Duration.ofSeconds(120);
    static HeadlessChromium browser;

    @TempDir Path project;
    @TempDir Path outside;
    Path policy;
    Path auditDb;
    int port;
    String testName;
    ChromeDriver d;
    WebDriverWait wait;
    RunningTether tether;

    @BeforeAll
    static void requirements() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")),
                "sandbox sessions need root (BPF, cgroups, namespaces, fanotify); not root here, so they are skipped");
        assertThat(RunningTether.jar()).as("the packaged tether.jar (mvn package)").exists();
        browser = new HeadlessChromium();
    }

    @AfterAll
    static void closeBrowser() throws Exception {
        if (browser != null) {
            browser.close();
        }
    }

    @BeforeEach
    void setUp(TestInfo info) throws Exception {
        testName = info.getTestMethod().orElseThrow().getName();
        d = browser.driver();
        wait = new WebDriverWait(d, Duration.ofSeconds(60));
        wait.ignoring(org.openqa.selenium.StaleElementReferenceException.class); // re-rendered rows: look again
        auditDb = outside.resolve("audit.db");
        port = RunningTether.freePort();
        // Outside the project, so the sandbox cannot even see it; tether writes it on save.
        policy = outside.resolve("policy.cedar");
        Files.writeString(policy, """
                // control plane IT policy
                permit (principal, action == Action::"ProcessExec", resource);
                permit (principal, action == Action::"FileOpenReadOnly", resource)
                unless { resource == File::"/workspace/secret.txt" || resource == File::"PROJECT/secret.txt" };
                permit (principal, action == Action::"FileOpenReadWrite", resource)
                when { resource in [Dir::"/workspace/", Dir::"PROJECT/", Dir::"/dev/", Dir::"/tmp/"] };
                permit (principal, action == Action::"NetworkConnect", resource);
                """.replace("PROJECT", project.toRealPath().toString()));
        Files.writeString(project.resolve("secret.txt"), "the-secret-42\n");
    }

    @AfterEach
    void tearDown() throws Exception {
        if (browser != null && d != null) {
            browser.screenshot(testName + "-final");
            browser.saveConsole(testName);
        }
        if (tether != null) {
            tether.close();
        }
    }

    private RunningTether run(String script) throws IOException {
        tether = RunningTether.start(project, auditDb, "run", "--engine", "builtin", "--policy", policy.toString(),
                "--ui-listen", "127.0.0.1:" + port, "--", "sh", "-c", script);
        return tether;
    }

    private String sessionId() throws InterruptedException {
        String line = tether.awaitLine(l -> l.startsWith("tether: session "), SESSION);
        return line.substring("tether: session ".length()).split(" ")[0];
    }

    private void open(URI url) {
        d.get(url.toString());
        wait.until(ExpectedConditions.textToBe(By.cssSelector("[data-testid='conn']"), "live"));
    }

    private WebElement byTest(String id) {
        return d.findElement(By.cssSelector("[data-testid='" + id + "']"));
    }

    /** Row texts read in one script call: the table re-renders often, so element handles go stale. */
    @SuppressWarnings("unchecked")
    private List<String> rowTexts() {
        return (List<String>) d.executeScript(
                "return [...document.querySelectorAll(\"[data-testid='event-row']\")].map(r => r.innerText)");
    }

    /**
     * Waits for a row holding every part. The table is virtualised (only the rows in view are in the
     * page) and a session's shell loops make thousands of events, so the text filter narrows it to
     * the resource (the second part) first, as a user would.
     */
    private void waitForRow(String... parts) {
        filterText(parts.length > 1 ? parts[1] : parts[0]);
        wait.until(drv -> rowTexts().stream().anyMatch(r -> Stream.of(parts).allMatch(r::contains)));
        filterText("");
    }

    private void filterText(String text) {
        d.executeScript("const f = document.querySelector(\"[data-testid='f-text']\"); f.value = arguments[0];"
                + " f.dispatchEvent(new Event('input', {bubbles: true}));", text);
    }

    private static void touch(Path p) throws IOException {
        Files.writeString(p, "");
    }

    private JsonNode api(URI openUri, String path) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + path))
                .header("Authorization", "Bearer " + RunningTether.token(openUri)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    private JsonNode setMode(URI openUri, String session, String mode) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/api/sessions/" + session + "/mode"))
                .header("Authorization", "Bearer " + RunningTether.token(openUri))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"mode\":\"" + mode + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    /**
     * Waits for the line the sandbox's shell writes to {@code p} ({@code echo $? > p}): the file
     * exists, truncated, before the shell writes the line into it, so existing is not enough.
     */
    private static void awaitLine(Path p) throws Exception {
        long deadline = System.nanoTime() + SESSION.toNanos();
        while (!Files.exists(p) || !Files.readString(p).endsWith("\n")) {
            assertThat(System.nanoTime()).as("waiting for a line in " + p).isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    @Test
    void switchingTheModeLiveMovesTheProjectsReadOnlyMounts() throws Exception {
        // Only w/ may be written: the rest of the project is mounted read-only, so rm is refused by
        // the kernel. Permissive mode (switched through the API) leaves the project writable; back
        // in enforce mode it is read-only again: the same sandbox throughout.
        Files.writeString(policy, """
                permit (principal, action in [Action::"ProcessExec", Action::"FileOpenReadOnly"], resource);
                permit (principal, action == Action::"FileOpenReadWrite", resource)
                when { resource in [Dir::"/workspace/w/", Dir::"/dev/"] };
                """); // not /tmp/: the project (a @TempDir) lies there
        Path w = Files.createDirectory(project.resolve("w"));
        Files.writeString(project.resolve("notes.txt"), "n\n");
        Files.writeString(project.resolve("other.txt"), "o\n");
        run("cd /workspace; rm notes.txt 2>/dev/null; echo $? > w/r1; until [ -e w/go ]; do sleep 0.1; done;"
                + " rm notes.txt; echo $? > w/r2; until [ -e w/go2 ]; do sleep 0.1; done; rm other.txt 2>/dev/null; echo $? > w/r3");
        String session = sessionId();
        URI url = tether.awaitControlUi();
        awaitLine(w.resolve("r1"));
        assertThat(setMode(url, session, "permissive").path("mode").asText()).isEqualToIgnoringCase("permissive");
        touch(w.resolve("go"));
        awaitLine(w.resolve("r2"));
        setMode(url, session, "enforce");
        touch(w.resolve("go2"));
        awaitLine(w.resolve("r3"));
        assertThat(Files.readString(w.resolve("r1")).strip()).as("enforce: rm refused").isEqualTo("1");
        assertThat(Files.readString(w.resolve("r2")).strip()).as("permissive: rm let through").isEqualTo("0");
        assertThat(Files.readString(w.resolve("r3")).strip()).as("enforce again: rm refused").isEqualTo("1");
        assertThat(project.resolve("notes.txt")).doesNotExist();
        assertThat(project.resolve("other.txt")).exists();
    }

    @Test
    void aRealSandboxRunShowsItsEventsLive() throws Exception {
        // The command waits for the browser: everything it does after 'go' can only reach the page live.
        run("until [ -e /workspace/go ]; do sleep 0.2; done; cat /etc/hostname; ls / > /dev/null;"
                + " cat /workspace/secret.txt || echo refused; until [ -e /workspace/done ]; do sleep 0.2; done");
        String session = sessionId();
        URI url = tether.awaitControlUi();
        open(url);
        long backlog = ((Number) d.executeScript("return window.tetherStats.backlogSize")).longValue();
        touch(project.resolve("go"));

        waitForRow("ProcessExec", "/usr/bin/cat");
        waitForRow("ProcessExec", "/usr/bin/ls");
        waitForRow("FileOpenReadOnly", "/etc/hostname", "allow");
        waitForRow("FileOpenReadOnly", "/workspace/secret.txt", "deny");
        // They came on the live stream, after the backlog the page loaded with.
        long received = ((Number) d.executeScript("return window.tetherStats.eventsReceived")).longValue();
        assertThat(received).isGreaterThan(backlog);
        browser.screenshot("sandbox-events-live");

        // The denied read, in detail: the deciding reason and the process chain up to the shell.
        filterText("/workspace/secret.txt");
        wait.until(drv -> rowTexts().stream().anyMatch(r -> r.contains("/workspace/secret.txt") && r.contains("deny")));
        d.executeScript("[...document.querySelectorAll(\"[data-testid='event-row']\")]"
                + ".find(r => r.innerText.includes('/workspace/secret.txt') && r.innerText.includes('deny')).click()");
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("[data-testid='detail-title']"),
                "FileOpenReadOnly"));
        assertThat(byTest("detail-reason").getText()).contains("denied");
        wait.until(drv -> byTest("detail-chain").getText().contains("sh"));
        assertThat(byTest("detail-chain").getText()).contains("cat");
        browser.screenshot("sandbox-event-detail");

        // The session is listed, running, controllable.
        byTest("tab-sessions").click();
        wait.until(drv -> drv.findElements(By.cssSelector("[data-testid='session-row']")).stream()
                .anyMatch(r -> r.getText().contains(session) && r.getText().contains("RUNNING")));
        assertThat(byTest("session-row").getText()).contains("Agent::\"sh\"");
        assertThat(api(url, "/api/sessions/" + session).get("sandbox").asText()).isEqualTo("builtin");
        // Suggestions learn from the same audit store the session records to.
        assertThat(api(url, "/api/suggestions?session=" + session).toString()).contains("cedar");
        assertThat(d.findElements(By.cssSelector("[data-testid='stop-session']"))).hasSize(1);
        browser.screenshot("sandbox-session-listed");

        touch(project.resolve("done"));
        assertThat(tether.awaitExit(SESSION)).as(tether.stderr()).isZero();
        assertThat(tether.stderr()).containsPattern("DENIED .* FileOpenReadOnly /workspace/secret.txt");
    }

    @Test
    void editingThePolicyInTheUiChangesADecisionInsideTheRunningSandbox() throws Exception {
        // The sandbox keeps trying to read the secret; the policy denies it until the UI saves a permit.
        run("while :; do if s=$(cat /workspace/secret.txt 2>/dev/null); then echo \"$s\" > /workspace/result; break; fi;"
                + " sleep 0.3; done; until [ -e /workspace/done ]; do sleep 0.2; done");
        URI url = tether.awaitControlUi();
        open(url);
        waitForRow("FileOpenReadOnly", "/workspace/secret.txt", "deny");
        assertThat(project.resolve("result")).doesNotExist();

        byTest("tab-policy").click();
        wait.until(drv -> (Boolean) d.executeScript(
                "return document.querySelector('.cm-content')?.innerText.includes('control plane IT policy') === true"));
        WebElement content = d.findElement(By.cssSelector(".cm-content"));
        content.click();
        content.sendKeys(Keys.chord(Keys.CONTROL, Keys.END));
        content.sendKeys(Keys.ENTER);
        content.sendKeys(Keys.ESCAPE);
        content.sendKeys("permit (principal, action == Action::\"FileOpenReadOnly\", resource == File::\"/workspace/secret.txt\");");
        content.sendKeys(Keys.ESCAPE);
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("[data-testid='policy-status']"),
                "edited"));
        browser.screenshot("policy-edited");
        byTest("save").click();
        // Before applying, the UI replays the session's recorded decisions with the new text: the
        // denied reads of the secret are shown as newly allowed; apply.
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("[data-testid='whatif']")));
        wait.until(drv -> byTest("whatif").getText().contains("/workspace/secret.txt"));
        browser.screenshot("policy-what-would-change");
        byTest("whatif-apply").click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("[data-testid='policy-status']"),
                "is in force"));

        // The running sandbox now reads it: the kernel-level gate applies the saved policy.
        wait.until(drv -> Files.exists(project.resolve("result")));
        wait.until(drv -> readQuietly(project.resolve("result")).contains("the-secret-42"));
        assertThat(Files.readString(policy)).contains("resource == File::\"/workspace/secret.txt\");");
        assertThat(tether.stderr()).contains("policy reloaded (generation 2)");
        byTest("tab-activity").click();
        waitForRow("FileOpenReadOnly", "/workspace/secret.txt", "allow");
        browser.screenshot("policy-saved-sandbox-reads");

        touch(project.resolve("done"));
        assertThat(tether.awaitExit(SESSION)).as(tether.stderr()).isZero();
    }

    private static String readQuietly(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "";
        }
    }

    @Test
    void theSessionsViewStopButtonStopsTheRealSandbox() throws Exception {
        run("touch /workspace/started; sleep 300; touch /workspace/finished");
        String session = sessionId();
        URI url = tether.awaitControlUi();
        open(url);
        byTest("tab-sessions").click();
        wait.until(drv -> drv.findElements(By.cssSelector("[data-testid='session-row']")).stream()
                .anyMatch(r -> r.getText().contains(session) && r.getText().contains("RUNNING")));
        wait.until(drv -> Files.exists(project.resolve("started")));
        browser.screenshot("stop-before");
        byTest("stop-session").click();

        int exit = tether.awaitExit(Duration.ofSeconds(60));
        assertThat(exit).as(tether.stderr()).isNotZero();
        assertThat(tether.stderr()).contains("session " + session + " (sh) ended");
        assertThat(project.resolve("finished")).as("the command was stopped, not finished").doesNotExist();
        assertThat(Path.of("/sys/fs/cgroup/unified/tether", session)).doesNotExist();
        try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
            assertThat(all.filter(ph -> {
                try {
                    return Files.readString(Path.of("/proc", Long.toString(ph.pid()), "cgroup")).contains(session);
                } catch (IOException e) {
                    return false;
                }
            }).map(ProcessHandle::pid).toList()).as("no process of the session survives").isEmpty();
        }
    }

    @Test
    void theSandboxCannotReachTheControlPlane() throws Exception {
        // Probes from inside: the control plane's port on the sandbox's own loopback (v4, v6), on the
        // gateway (the host's end of the sandbox's link, v4 and v6), and through tether's proxy with
        // a Host header naming it, all with the token in hand. A server the sandbox starts itself on
        // the same port answers, so the probe works and that loopback is the sandbox's own.
        String script = """
                exec 2>/workspace/probe-errors
                until [ -s /workspace/token ]; do sleep 0.2; done
                T=$(cat /workspace/token); P=%d
                GW4=$(ip -4 route show default | awk '{print $3; exit}')
                GW6=$(ip -6 route show default | awk '{print $3; exit}')
                probe() { c=$(curl -sS -m 5 -o /dev/null -w '%%{http_code}' -H "Authorization: Bearer $T" $3 "$2" 2>/dev/null); echo "$1 exit=$? code=$c"; }
                {
                  probe loopback4 "http://127.0.0.1:$P/api/sessions"
                  probe loopback6 "http://[::1]:$P/api/sessions"
                  probe gateway4 "http://$GW4:$P/api/sessions"
                  probe gateway6 "http://[$GW6]:$P/api/sessions"
                  probe proxy "http://$GW4:80/api/sessions" "-H Host:127.0.0.1:$P"
                  /usr/bin/python3 -m http.server $P --bind 127.0.0.1 --directory /workspace >/dev/null 2>&1 &
                  for i in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$P/" && break; sleep 0.2; done
                  probe own-server "http://127.0.0.1:$P/hello.txt"
                  kill $!
                  echo "gateways $GW4 $GW6"
                } > /workspace/probes.tmp
                mv /workspace/probes.tmp /workspace/probes
                until [ -e /workspace/done ]; do sleep 0.2; done
                """.formatted(port);
        Files.writeString(project.resolve("hello.txt"), "served by the sandbox itself\n");
        run(script);
        URI url = tether.awaitControlUi();
        // The host reaches it (so it was up for every probe), and hands the token to the sandbox.
        assertThat(api(url, "/api/sessions").get("sessions")).isNotEmpty();
        Files.writeString(project.resolve("token"), RunningTether.token(url));
        Path probes = project.resolve("probes");
        long deadline = System.nanoTime() + SESSION.toNanos();
        while (!Files.exists(probes) && System.nanoTime() < deadline && tether.isAlive()) {
            Thread.sleep(200);
        }
        assertThat(probes).as(tether.stderr()).exists();
        Map<String, String> results = Files.readAllLines(probes).stream().filter(l -> l.contains(" exit="))
                .collect(Collectors.toMap(l -> l.substring(0, l.indexOf(' ')), l -> l.substring(l.indexOf(' ') + 1)));
        String all = Files.readString(probes) + "\nstderr of the probes:\n" + Files.readString(project.resolve("probe-errors"))
                + "\ntether:\n" + tether.stderr();
        assertThat(all).as("the sandbox's gateways").containsPattern("gateways 100\\.96\\.\\d+\\.\\d+ fd74:");
        // Nothing there: refused (exit 7) or dropped (exit 28, timeout); never an HTTP answer.
        for (String probe : List.of("loopback4", "loopback6", "gateway4", "gateway6")) {
            assertThat(results.get(probe)).as(probe + " in\n" + all).matches("exit=(7|28) code=000");
        }
        // Through the proxy the Host header cannot pick the port: whatever answers, it is not the control plane.
        assertThat(results.get("proxy")).as(all).doesNotContain("code=200").doesNotContain("code=401");
        // The positive control: curl works in there, and 127.0.0.1:PORT is the sandbox's own.
        assertThat(results.get("own-server")).as(all).isEqualTo("exit=0 code=200");
        // The control plane is still up for the host.
        assertThat(api(url, "/api/sessions").get("sessions")).isNotEmpty();
        touch(project.resolve("done"));
        assertThat(tether.awaitExit(SESSION)).as(tether.stderr()).isZero();
    }

    @Test
    void aTakenPortLeavesTheSessionRunningWithoutAUi() throws Exception {
        try (ServerSocket taken = new ServerSocket(port, 50, java.net.InetAddress.getLoopbackAddress())) {
            run("until [ -e /workspace/go ]; do sleep 0.2; done; cat /etc/hostname > /dev/null");
            String said = tether.awaitLine(l -> l.contains("127.0.0.1:" + port + " is in use"), SESSION);
            assertThat(said).contains("runs without one");
            touch(project.resolve("go"));
            assertThat(tether.awaitExit(SESSION)).as(tether.stderr()).isZero();
            assertThat(tether.stderr()).doesNotContain("tether: control UI: http");
        }
        // --no-ui: not even an attempt.
        tether = RunningTether.start(project, auditDb, "run", "--engine", "builtin", "--policy", policy.toString(),
                "--no-ui", "--", "cat", "/etc/hostname");
        assertThat(tether.awaitExit(SESSION)).as(tether.stderr()).isZero();
        assertThat(tether.stderr()).doesNotContain("control UI");
        d = null; // no browser in this test: no screenshot
    }
}
