package dev.tether.sandbox;

import java.nio.file.Path;

/**
 * The network namespace tether prepared for a sandbox, and the files that make names resolve
 * through tether (see {@code dev.tether.sandbox.net.SandboxNetwork}).
 *
 * @param namespace a bind-mounted netns file, e.g. /run/netns/tether-SESSION
 * @param resolvConf mounted at /etc/resolv.conf
 * @param hosts mounted at /etc/hosts
 */
public record NetworkAttachment(Path namespace, Path resolvConf, Path hosts) {}
