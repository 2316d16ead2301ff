package dev.tether.proxy.decide;

import java.util.Objects;

/**
 * An {@code HttpRewrite} the policy asks for: set {@code header} to {@code value} on requests to a
 * host. {@code value} may be {@code secret:NAME}, resolved on the host side by the proxy.
 */
public record HeaderRewrite(String header, String value, String policyId) {
    public HeaderRewrite {
        Objects.requireNonNull(header, "header");
        Objects.requireNonNull(value, "value");
    }
}
