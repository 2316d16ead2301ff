package dev.tether.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.events.Verdict;
import dev.tether.policy.Mode;
import dev.tether.server.spi.DecisionQuery;
import dev.tether.server.spi.SessionView;
import dev.tether.server.testing.HeadlessChromium;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/** The Control UI in a real headless Chromium against a real control plane. Screenshots: target/browser-screenshots/. */
class ControlUiBrowserTest {
    static HeadlessChromium chromium;
    ChromeDriver d;
    WebDriverWait wait;
    ControlPlaneFixture f;
    @TempDir Path dir;
    String testName;

    @BeforeAll
    static void browser() throws Exception {
        chromium = new HeadlessChromium();
    }

    @AfterAll
    static void closeBrowser() throws Exception {
        if (chromium != null) {
            chromium.close();
        }
    }

    @BeforeEach
    void start(TestInfo info) throws Exception {
        testName = info.getTestMethod().orElseThrow().getName();
        f = new ControlPlaneFixture(dir);
        d = chromium.driver();
        wait = new WebDriverWait(d, Duration.ofSeconds(30));
        // A list the page re-renders (the editor's completions, the event rows) can replace an
        // element between finding it and reading it: that poll did not see the condition, the
        // next one looks again (CI once failed on a completion item replaced mid-read).
        wait.ignoring(org.openqa.selenium.StaleElementReferenceException.class);
    }

    @AfterEach
    void stop() throws Exception {
        chromium.screenshot(testName + "-final");
        chromium.saveConsole(testName);
        f.close();
    }

    private WebElement byTest(String id) {
        return d.findElement(By.cssSelector("[data-testid='" + id + "']"));
    }

    private void openWithToken() {
        d.get(f.plane.openUri().toString());
        wait.until(ExpectedConditions.textToBe(By.cssSelector("[data-testid='conn']"), "live"));
    }

    /** Row text read in one script call: the table re-renders often, so element handles go stale. */
    @SuppressWarnings("unchecked")
    private List<String> rowTexts() {
        return (List<String>) d.executeScript(
                "return [...document.querySelectorAll(\"[data-testid='event-row']\")].map(r => r.innerText)");
    }

    private void waitForRow(String text) {
        wait.until(drv -> rowTexts().stream().anyMatch(r -> r.contains(text)));
    }

    private void waitForRowCount(int n) {
        wait.until(drv -> rowTexts().size() == n);
    }

    private String rowText(String text) {
        return rowTexts().stream().filter(r -> r.contains(text)).findFirst().orElseThrow();
    }

    private void clickRow(String text) {
        d.executeScript("[...document.querySelectorAll(\"[data-testid='event-row']\")]"
                + ".find(r => r.innerText.includes(arguments[0])).click()", text);
    }

    @Test
    void pageLoadsWithTheTokenAndRefusesWithoutIt() throws Exception {
        d.get(f.plane.baseUri().toString());
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("[data-testid='refused']")));
        assertThat(byTest("refused").getText()).contains("Access token required");
        assertThat(d.findElement(By.id("app")).isDisplayed()).isFalse();
        chromium.screenshot("refused-without-token");

        // A wrong token is refused by the server too.
        d.get(f.plane.baseUri() + "?token=" + "A".repeat(43));
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("[data-testid='refused']")));
        assertThat(byTest("refused").getText()).contains("wrong access token");

        openWithToken();
        assertThat(d.getCurrentUrl()).doesNotContain("token");
        assertThat((String) d.executeScript("return location.href")).doesNotContain(f.token());
        assertThat(byTest("refused").isDisplayed()).isFalse();
        // Reloading keeps working: the token stays in this tab's session storage, not in the URL.
        d.navigate().refresh();
        wait.until(ExpectedConditions.textToBe(By.cssSelector("[data-testid='conn']"), "live"));
        chromium.screenshot("loaded-with-token");
    }

    @Test
    void eventsAppearLiveWithBurstsFiltersPauseAndDetail() throws Exception {
        f.events.publish(ControlPlaneFixture.event("s1", "claude", "FileOpenReadOnly", "/workspace/README.md", Verdict.ALLOW));
        openWithToken();
        waitForRow("/workspace/README.md");

        for (int i = 0; i < 5; i++) {
            f.events.publish(ControlPlaneFixture.event("s1", "claude", "NetworkConnect", "evil.example:443", Verdict.DENY));
        }
        f.events.publish(ControlPlaneFixture.event("s2", "codex", "ProcessExec", "/usr/bin/git", Verdict.ALLOW));
        waitForRow("/usr/bin/git");
        waitForRow("evil.example:443");
        assertThat(rowText("evil.example:443")).contains("×5");
        chromium.screenshot("activity-live");

        new Select(byTest("f-decision")).selectByValue("deny");
        waitForRowCount(1);
        assertThat(rowText("evil.example")).contains("deny");
        new Select(byTest("f-decision")).selectByValue("");
        byTest("f-text").sendKeys("git");
        waitForRowCount(1);
        byTest("f-text").sendKeys(Keys.chord(Keys.CONTROL, "a"), Keys.BACK_SPACE);
        waitForRowCount(3);
        new Select(byTest("f-session")).selectByValue("s2");
        waitForRowCount(1);
        new Select(byTest("f-session")).selectByValue("");
        waitForRowCount(3);

        byTest("pause").click();
        f.events.publish(ControlPlaneFixture.event("s1", "claude", "FileOpenReadWrite", "/workspace/paused.txt", Verdict.ALLOW));
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("[data-testid='counts']"),
                "1 new while paused"));
        assertThat(rowTexts()).noneMatch(r -> r.contains("paused.txt"));
        byTest("pause").click();
        waitForRow("/workspace/paused.txt");

        clickRow("evil.example:443");
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("[data-testid='detail-title']"),
                "NetworkConnect"));
        assertThat(byTest("detail-chain").findElements(By.tagName("li"))).hasSize(3);
        assertThat(byTest("detail-chain").getText()).contains("claude").contains("bash");
        assertThat(byTest("detail-policies").getText()).contains("policy1");
        assertThat(byTest("detail-reason").getText()).contains("denied");
        chromium.screenshot("activity-detail");
    }

    private void openPolicyEditor() {
        openPolicyEditor("tether test policy");
    }

    private void openPolicyEditor(String marker) {
        byTest("tab-policy").click();
        wait.until(drv -> (Boolean) d.executeScript(
                "return document.querySelector('.cm-content')?.innerText.includes(arguments[0]) === true", marker));
    }

    /** Replaces the editor's text as a paste would (the editor marks itself edited). */
    private void setEditorText(String text) {
        d.executeScript("window.tetherEditor.setText(arguments[0])", text);
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("[data-testid='policy-status']"),
                "edited"));
    }

    /** The standard fixture swapped for one with two recorded sessions in a real audit store behind learning. */
    private void withRecordedActivity() throws Exception {
        f.close();
        f = LearningFixture.start(dir);
        openWithToken();
        openPolicyEditor("tether learning test policy");
    }

    @SuppressWarnings("unchecked")
    private List<String> changes(String direction) {
        return (List<String>) d.executeScript("return [...document.querySelectorAll(\"[data-testid='change'][data-direction='\""
                + " + arguments[0] + \"']\")].map(e => e.innerText)", direction);
    }

    @Test
    void suggestionsPanelLearnsFromTheRecordedSessionsAndOpensTheSuggestionInTheEditor() throws Exception {
        withRecordedActivity();
        byTest("suggest").click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("[data-testid='suggestions']")));
        wait.until(drv -> drv.findElements(By.cssSelector("[data-testid='suggest-session']")).size() == 2);
        assertThat(byTest("suggest-sessions").getText()).contains("s-one").contains("s-two").contains("6 events");
        // Learn from one session only.
        d.findElements(By.cssSelector("[data-testid='suggest-session']")).get(1).click();
        byTest("suggest-run").click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("[data-testid='suggest-status']"),
                "statements learned from 6 events in 1 session"));
        String suggested = byTest("suggest-text").getAttribute("value");
        assertThat(suggested).contains("sessions s-one").doesNotContain("s-two")
                .contains("resource in Dir::\"/home/dev/proj/src/\"").contains("Host::\"api.example.com:443\"")
                .contains("// Dir /home/dev/proj/src/: 3 entries read");
        chromium.screenshot("suggestions-panel");
        byTest("suggest-open").click();
        wait.until(ExpectedConditions.invisibilityOfElementLocated(By.cssSelector("[data-testid='suggestions']")));
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("[data-testid='policy-status']"),
                "suggestion loaded into the editor, not applied"));
        assertThat((String) d.executeScript("return window.tetherEditor.text()")).isEqualTo(suggested);
        // Opened, not applied.
        assertThat(f.policy.current().generation()).isEqualTo(1);
    }

    @Test
    void savingShowsWhatWouldChangeBeforeApplyingAndCancelKeepsThePolicy() throws Exception {
        withRecordedActivity();
        // Drop the git permit and allow writing the report: git status becomes denied, the writes allowed.
        String edited = LearningFixture.POLICY.replace("@id(\"git\")\npermit (principal, action == Action::\"ProcessExec\","
                + " resource == File::\"/usr/bin/git\");\n", "")
                + "\n@id(\"reports\")\npermit (principal, action == Action::\"FileOpenReadWrite\", resource in Dir::\"/home/dev/proj/out/\");\n";
        assertThat(edited).doesNotContain("@id(\"git\")");
        setEditorText(edited);
        byTest("save").click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("[data-testid='whatif']")));
        assertThat(byTest("whatif-summary").getText()).contains("replayed 12 recorded decisions: 2 newly denied, 2 newly allowed");
        assertThat(changes("newly-denied")).singleElement().satisfies(c -> assertThat(c)
                .contains("ProcessExec /usr/bin/git status").contains("×2").contains("now denied: no permit matches (default deny)"));
        assertThat(changes("newly-allowed")).singleElement().satisfies(c -> assertThat(c)
                .contains("FileOpenReadWrite /home/dev/proj/out/report.txt").contains("now allowed: permit reports at candidate.cedar:"));
        chromium.screenshot("what-would-change");
        byTest("whatif-cancel").click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("[data-testid='policy-status']"),
                "not applied"));
        assertThat(f.policy.current().generation()).isEqualTo(1);
        assertThat(f.policy.current().text()).contains("@id(\"git\")");

        byTest("save").click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("[data-testid='whatif']")));
        byTest("whatif-apply").click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("[data-testid='policy-status']"),
                "is in force"));
        assertThat(f.policy.current().generation()).isEqualTo(2);
        assertThat(f.policy.current().text()).doesNotContain("@id(\"git\")").contains("@id(\"reports\")");
    }

    @Test
    void savingWhatChangesNothingRecordedAppliesAtOnceAndSaysSo() throws Exception {
        withRecordedActivity();
        setEditorText(LearningFixture.POLICY + "\n// reviewed\n");
        byTest("save").click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("[data-testid='policy-status']"),
                "is in force (replayed 12 recorded decisions: 0 newly denied, 0 newly allowed, nothing changes)"));
        assertThat(byTest("whatif").isDisplayed()).isFalse();
        assertThat(f.policy.current().text()).contains("// reviewed");
    }

    private void typeAtEnd(String text) {
        WebElement content = d.findElement(By.cssSelector(".cm-content"));
        content.click();
        content.sendKeys(Keys.chord(Keys.CONTROL, Keys.END));
        content.sendKeys(Keys.ENTER);
        content.sendKeys(Keys.ESCAPE);
        content.sendKeys(text);
        content.sendKeys(Keys.ESCAPE);
    }

    private String decideInUi(String action, String resource) {
        new Select(byTest("d-action")).selectByVisibleText(action);
        byTest("d-resource").clear();
        byTest("d-resource").sendKeys(resource);
        d.executeScript("document.querySelector(\"[data-testid='d-result']\").textContent=''");
        byTest("d-submit").click();
        wait.until(drv -> !byTest("d-result").getText().isEmpty());
        return byTest("d-result").getText();
    }

    @Test
    void editingAndSavingThePolicyChangesTheDecision() throws Exception {
        openWithToken();
        openPolicyEditor();
        assertThat(decideInUi("FileOpenReadOnly", "/etc/hosts")).startsWith("DENY");
        typeAtEnd("permit (principal, action == Action::\"FileOpenReadOnly\", resource == File::\"/etc/hosts\");");
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("[data-testid='policy-status']"),
                "edited"));
        byTest("save").click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("[data-testid='policy-status']"),
                "is in force"));
        assertThat(f.policy.current().text()).contains("File::\"/etc/hosts\"");
        assertThat(f.policy.decide(new DecisionQuery(null, null, "FileOpenReadOnly", "/etc/hosts", null, null)).allowed())
                .isTrue();
        assertThat(decideInUi("FileOpenReadOnly", "/etc/hosts")).startsWith("ALLOW");
        chromium.screenshot("policy-saved");
    }

    @Test
    void lintMarkersAppearForABrokenPolicyAndSavingIsRefused() throws Exception {
        openWithToken();
        openPolicyEditor();
        long gen = f.policy.current().generation();
        typeAtEnd("permit (principal, action == Action::\"FileRead\", resource);");
        wait.until(drv -> !drv.findElements(By.cssSelector(".cm-lintRange-error")).isEmpty());
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("[data-testid='lint-summary']"),
                "unknown action \"FileRead\""));
        assertThat(d.findElements(By.cssSelector(".cm-lint-marker-error"))).isNotEmpty();
        chromium.screenshot("lint-markers");
        byTest("save").click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("[data-testid='policy-status']"),
                "previous policy stays in force"));
        assertThat(f.policy.current().generation()).isEqualTo(gen);
    }

    @Test
    void editorCompletesActionsAndObservedPaths() throws Exception {
        f.events.publish(ControlPlaneFixture.event("s1", "claude", "FileOpenReadOnly", "/workspace/src/observed.rs",
                Verdict.DENY));
        openWithToken();
        openPolicyEditor();
        typeAtEnd("permit (principal, action == Action::\"FileOpenR");
        WebElement content = d.findElement(By.cssSelector(".cm-content"));
        content.sendKeys(Keys.chord(Keys.CONTROL, " "));
        wait.until(drv -> drv.findElements(By.cssSelector(".cm-tooltip-autocomplete li")).stream()
                .anyMatch(li -> li.getText().contains("FileOpenReadOnly")));
        chromium.screenshot("complete-actions");
        content.sendKeys(Keys.ESCAPE);
        content.sendKeys(Keys.END, ", resource == File::\"/workspace/src/obs");
        content.sendKeys(Keys.chord(Keys.CONTROL, " "));
        wait.until(drv -> drv.findElements(By.cssSelector(".cm-tooltip-autocomplete li")).stream()
                .anyMatch(li -> li.getText().contains("/workspace/src/observed.rs")));
        chromium.screenshot("complete-observed-paths");
    }

    @Test
    void allowThisFromAnEventProposesShowsAndApplies() throws Exception {
        f.events.publish(ControlPlaneFixture.event("s1", "claude", "FileOpenReadOnly", "/etc/passwd", Verdict.DENY));
        openWithToken();
        waitForRow("/etc/passwd");
        clickRow("/etc/passwd");
        wait.until(ExpectedConditions.elementToBeClickable(By.cssSelector("[data-testid='allow-this']"))).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("[data-testid='proposal']")));
        String proposed = byTest("proposal-text").getAttribute("value");
        assertThat(proposed).contains("permit (").contains("Agent::\"claude\"").contains("File::\"/etc/passwd\"");
        chromium.screenshot("allow-this-proposal");
        byTest("proposal-apply").click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("[data-testid='proposal-status']"),
                "applied"));
        assertThat(f.policy.decide(new DecisionQuery("claude", null, "FileOpenReadOnly", "/etc/passwd", null, null))
                .allowed()).isTrue();
    }

    @Test
    void sessionsViewShowsAgentsAndStopsOne() throws Exception {
        Process sleeper = new ProcessBuilder("sleep", "300").start();
        f.sessions.register(new SessionView("s-7f3a", "claude", "Agent::\"claude\"", List.of("claude", "--yes"), "podman",
                SessionView.State.RUNNING, Mode.SHADOW, Instant.now(), null), sleeper::destroy);
        f.events.publish(ControlPlaneFixture.event("s-7f3a", "claude", "FileOpenReadOnly", "/workspace/.env", Verdict.DENY));
        openWithToken();
        byTest("tab-sessions").click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("[data-testid='session-row']")));
        WebElement r = byTest("session-row");
        assertThat(r.getText()).contains("s-7f3a").contains("Agent::\"claude\"").contains("RUNNING");
        chromium.screenshot("sessions");
        byTest("stop-session").click();
        assertThat(sleeper.waitFor(30, TimeUnit.SECONDS)).isTrue();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("[data-testid='session-state']"),
                "EXITED"));
    }
}
