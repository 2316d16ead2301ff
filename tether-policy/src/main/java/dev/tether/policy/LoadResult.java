package dev.tether.policy;

import java.util.List;

/** The outcome of loading a policy: all of it, or none of it. */
public sealed interface LoadResult {
    /** Every finding, errors first. */
    List<Finding> findings();

    /** The policy compiled; warnings are worth showing but did not stop it. */
    record Loaded(PolicySnapshot snapshot, List<Finding> warnings) implements LoadResult {
        public Loaded {
            warnings = List.copyOf(warnings);
        }

        @Override
        public List<Finding> findings() {
            return warnings;
        }
    }

    /** The policy was refused; {@code errors} has at least one finding of severity ERROR. */
    record Rejected(List<Finding> errors) implements LoadResult {
        public Rejected {
            errors = List.copyOf(errors);
            if (errors.stream().noneMatch(f -> f.severity() == Severity.ERROR)) {
                throw new IllegalArgumentException("a rejection needs at least one error");
            }
        }

        @Override
        public List<Finding> findings() {
            return errors;
        }
    }
}
