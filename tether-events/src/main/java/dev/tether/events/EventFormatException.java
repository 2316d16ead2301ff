package dev.tether.events;

/** Input that is not a valid event in the documented JSON form. */
public final class EventFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public EventFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
