package dev.tether.kernel.ffm;

/** A native call failed; carries the errno so callers can tell EPERM from ENOENT. */
public final class NativeCallException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int errno;

    public NativeCallException(String call, int errno) {
        super(call + " failed: " + Errno.describe(errno));
        this.errno = errno;
    }

    public NativeCallException(String call, int errno, String detail) {
        super(call + " failed: " + Errno.describe(errno) + (detail == null || detail.isBlank() ? "" : "\n" + detail));
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }

    public String getErrnoDescription() {
        return Errno.describe(errno);
    }
}
