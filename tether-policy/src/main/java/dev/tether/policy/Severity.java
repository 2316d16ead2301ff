package dev.tether.policy;

/** How bad a finding is: an {@code ERROR} rejects the policy, a {@code WARNING} does not. */
public enum Severity {
    ERROR,
    WARNING
}
