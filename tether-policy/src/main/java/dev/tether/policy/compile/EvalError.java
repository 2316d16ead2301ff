package dev.tether.policy.compile;

/**
 * A Cedar evaluation error inside one statement. Cedar skips an erroring statement (it neither
 * permits nor forbids), and so does the engine. Validation makes these unreachable for loaded
 * policies; the type exists so an unexpected case follows Cedar instead of crashing a caller.
 */
final class EvalError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    EvalError(String message) {
        super(message, null, false, false);
    }
}
