package dev.tether.cli.ui;

import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

/**
 * HOOK for the integrator: the two control-plane proofs that need real sessions. They belong here
 * (tether-cli sees the sandbox, the kernel monitors and the server) and are completed when
 * {@code tether run} serves the control plane. Until then they are disabled, visibly, with the
 * reason; nothing here pretends to pass.
 *
 * <p>How to complete them (see tether-server's ControlUiBrowserTest and HeadlessChromium for the
 * browser side, and LiveStreamTest/SseReader for reading the stream from Java):
 * <ol>
 *   <li>Start a daemon-side {@code ControlPlane.start(config, policyControl, eventSource, sessions)}
 *       with {@code eventSource} fed by the session's event bus and {@code sessions} listing it.</li>
 *   <li>{@link #aRealSandboxRunShowsItsEventsLive}: run {@code sh -c 'cat /etc/hostname; ls /'} in the
 *       built-in sandbox; open {@code plane.openUri()} in headless Chromium; wait for event rows
 *       with resource {@code /usr/bin/cat} and {@code /usr/bin/ls} (ProcessExec) and the session
 *       in the Sessions tab; screenshot.</li>
 *   <li>{@link #theSandboxCannotReachTheControlPlane}: from inside the sandbox, {@code curl} (or
 *       bash {@code /dev/tcp}) to {@code 127.0.0.1:PORT}, the host's addresses and {@code [::1]:PORT}
 *       must all fail to connect (own netns, proxy-only route); also with the token in hand.</li>
 * </ol>
 */
class ControlPlaneSandboxIntegrationTest {
    @Test
    @Disabled("integrator: needs tether run to serve the control plane over its sessions (issue 8)")
    void aRealSandboxRunShowsItsEventsLive() {}

    @Test
    @Disabled("integrator: needs the sandbox's network namespace wired to the proxy (issue 8)")
    void theSandboxCannotReachTheControlPlane() {}
}
