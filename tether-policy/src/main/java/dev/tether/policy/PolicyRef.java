package dev.tether.policy;

/**
 * A policy statement and where it was written. {@code id} is the statement's {@code @id("...")}
 * annotation if it has one, else Cedar's positional id {@code policy<N>} (N counts statements
 * from 0 in file order).
 */
public record PolicyRef(String id, String file, int line, int column) {
    /** {@code file:line:column}. */
    public String location() {
        return file + ":" + line + ":" + column;
    }

    @Override
    public String toString() {
        return id + " at " + location();
    }
}
