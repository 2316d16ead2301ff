package dev.tether.events.store;

/** The audit store could not be opened or read; the message says what and where. */
public final class AuditStoreException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public AuditStoreException(String message, Throwable cause) {
        super(message, cause);
    }

    public AuditStoreException(String message) {
        super(message);
    }
}
