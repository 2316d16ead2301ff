package dev.tether.proxy.event;

import java.time.Instant;

/** What the proxy reports. Secret values never appear in any field (see {@code SecretRedactor}). */
public sealed interface ProxyEvent permits HttpExchangeEvent, McpEvent, ProxyNotice {
    Instant time();
}
