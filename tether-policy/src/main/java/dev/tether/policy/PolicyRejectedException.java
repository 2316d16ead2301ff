package dev.tether.policy;

import java.util.List;

/** The policy could not be loaded at all (no previous version to keep). */
public final class PolicyRejectedException extends Exception {
    private static final long serialVersionUID = 1L;
    private final transient List<Finding> errors;

    public PolicyRejectedException(List<Finding> errors) {
        super(errors.isEmpty() ? "policy rejected" : errors.get(0).render(), null, false, false);
        this.errors = List.copyOf(errors);
    }

    public List<Finding> errors() {
        return errors;
    }
}
