package dev.tether.policy;

import java.util.Locale;

/** Transport protocol of a connection; {@code context.protocol} is {@code "tcp"} or {@code "udp"}. */
public enum Transport {
    TCP,
    UDP;

    public String cedarName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
