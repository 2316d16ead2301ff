package dev.tether.kernel.enforce;

/** The network rules cannot be loaded into the kernel guard as they are; nothing was changed. */
public final class UnenforceableNetworkPolicyException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UnenforceableNetworkPolicyException(String message) {
        super(message);
    }
}
