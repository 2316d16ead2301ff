package dev.tether.sandbox.net;

/** The sandbox's network could not be set up as required; the sandbox must not start. */
public final class NetworkSetupException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public NetworkSetupException(String message) {
        super(message);
    }
}
