package dev.tether.server.spi;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * What the control plane needs from the policy engine. The daemon implements it over the policy
 * module's {@code PolicyHolder}; {@link dev.tether.server.standalone.CedarPolicyControl} is a
 * self-contained implementation over cedar-java.
 *
 * <p>Implementations must make {@link #replace} atomic: a concurrent reader sees either the old or
 * the new policy, never a mix, and a rejected text leaves the old policy in force.
 */
public interface PolicyControl {
    /** The policy in force now. */
    PolicyView current();

    /** Parses and lints {@code text} without applying it. Errors and warnings, in text order. */
    List<LintFinding> validate(String text);

    /** Validates and, if there are no errors, hot-reloads {@code text} as the policy in force. */
    PolicyChange replace(String text);

    /** Evaluates a request against the policy in force. */
    DecisionView decide(DecisionQuery query);

    /** The file the policy persists to, if any. */
    Optional<Path> policyFile();

    /**
     * Writes {@code text} to {@link #policyFile()} atomically (temp file + rename). The caller has
     * validated it. Throws if there is no policy file or the write fails.
     */
    void persist(String text) throws java.io.IOException;

    /** Calls {@code listener} after every accepted change. Returns a handle that unregisters it. */
    AutoCloseable onChange(Consumer<PolicyView> listener);
}
