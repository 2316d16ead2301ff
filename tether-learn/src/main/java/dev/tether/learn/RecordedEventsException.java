package dev.tether.learn;

/** The recorded events could not be read (a corrupt store, a malformed events file); the message says where. */
public final class RecordedEventsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public RecordedEventsException(String message) {
        super(message);
    }

    public RecordedEventsException(String message, Throwable cause) {
        super(message, cause);
    }
}
