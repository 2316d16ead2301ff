package dev.tether.policy;

/**
 * A header the proxy sets on requests to a host. {@code value} is literal, or {@code secret:NAME}
 * which the proxy resolves so the secret never enters the sandbox.
 */
public record HeaderRewrite(String header, String value, PolicyRef source) {
    /** The secret name if the value is a {@code secret:NAME} reference, else null. */
    public String secretName() {
        return value.startsWith("secret:") ? value.substring("secret:".length()) : null;
    }
}
